//! The main-content heuristic: drop navigation, banners and widgets, then
//! find the block that holds the article's paragraphs.
//!
//! Runs only when no selector yielded text; never reads meta tags or links.

use scraper::{ElementRef, Html};

use super::text::element_text;
use super::{BUILTIN, remove_elements};

/// Elements that are never part of an article's text.
const NOISE_ELEMENTS: &[&str] = &[
    "nav", "header", "footer", "aside", "form", "script", "style", "noscript", "template", "svg",
    "iframe", "button", "select", "textarea", "dialog", "menu", "object", "embed", "canvas",
];

/// Class and id words that mark navigation, widgets and banners.
const NOISE_WORDS: &[&str] = &[
    "share",
    "sharing",
    "social",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "banner",
    "related",
    "comment",
    "comments",
    "subscribe",
    "subscription",
    "newsletter",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "promo",
    "advert",
    "advertisement",
    "ad",
    "ads",
    "popup",
    "modal",
    "menu",
    "nav",
    "navbar",
    "navigation",
    "footer",
    "header",
    "masthead",
    "widget",
    "toolbar",
    "skip",
    "signup",
    "paywall",
    "outbrain",
    "taboola",
    "sponsored",
    "recommended",
    "trending",
    "hidden",
    "screen-reader-text",
    "sr",
    "visually",
];

fn is_noise(el: ElementRef<'_>) -> bool {
    let element = el.value();
    let name = element.name();
    if NOISE_ELEMENTS.contains(&name) {
        return true;
    }
    // Never drop the page or an article container for its class words
    // (WordPress puts "has-sidebar" on <body>).
    if matches!(name, "html" | "body" | "main" | "article") {
        return false;
    }
    if element.attr("aria-hidden") == Some("true") || element.attr("hidden").is_some() {
        return true;
    }
    if matches!(
        element.attr("role"),
        Some("navigation" | "banner" | "contentinfo" | "complementary" | "dialog" | "alert")
    ) {
        return true;
    }
    let words = element
        .attr("class")
        .into_iter()
        .chain(element.attr("id"))
        .flat_map(|v| v.split(|c: char| c.is_whitespace() || c == '-' || c == '_'))
        .map(str::to_ascii_lowercase);
    words.into_iter().any(|w| NOISE_WORDS.contains(&w.as_str()))
}

/// Characters of an element's text, ignoring white space at the ends of each text node.
fn text_chars(el: ElementRef<'_>) -> usize {
    el.text().map(|t| t.trim().chars().count()).sum()
}

/// Least paragraph text, in characters, for a block to count as an article.
const MIN_ARTICLE_CHARS: usize = 140;

/// Readability-style main content: after dropping navigation, headers,
/// footers, asides, forms, widgets and banners, the semantic container
/// (`[itemprop=articleBody]`, `article`, `[role=main]`, `main`, common
/// content classes) with the most paragraph text, else the block whose
/// paragraphs hold the most text.
pub(super) fn main_content(doc: &mut Html) -> Option<String> {
    remove_elements(doc, is_noise);
    let builtin = &*BUILTIN;
    let paragraph = &builtin.paragraph;
    let p_chars = |el: ElementRef<'_>| -> usize { el.select(paragraph).map(text_chars).sum() };
    for selector in &builtin.candidates {
        let best = doc
            .select(selector)
            .map(|el| (p_chars(el), el))
            .max_by_key(|(chars, _)| *chars);
        if let Some((chars, el)) = best
            && chars >= MIN_ARTICLE_CHARS
        {
            return Some(element_text(el)).filter(|t| !t.is_empty());
        }
    }
    // Densest block: each paragraph scores its parent fully and its
    // grandparent by half; the best-scored element wins.
    let mut scores: std::collections::HashMap<ego_tree::NodeId, usize> =
        std::collections::HashMap::new();
    for p in doc.select(paragraph) {
        let chars = text_chars(p);
        if chars < 25 {
            continue;
        }
        if let Some(parent) = p.parent() {
            *scores.entry(parent.id()).or_default() += chars;
            if let Some(grandparent) = parent.parent() {
                *scores.entry(grandparent.id()).or_default() += chars / 2;
            }
        }
    }
    let (id, _) = scores.into_iter().max_by_key(|(_, score)| *score)?;
    let el = doc.tree.get(id).and_then(ElementRef::wrap)?;
    (p_chars(el) >= MIN_ARTICLE_CHARS)
        .then(|| element_text(el))
        .filter(|t| !t.is_empty())
}
