//! Summary extraction: HTML in, clean plain text out.
//!
//! Pure and synchronous. `scraper::Html` is `!Send`, so every document is
//! parsed and dropped inside one function here and never crosses an `.await`.
//! This module never fetches anything; a poll hands it bytes.

mod blocks;
mod charset;
mod lead;
mod main_content;
mod rules;
mod text;

use scraper::{ElementRef, Html, Selector};
use url::Url;

pub use charset::decode_html;
use main_content::{Page, main_content, outermost_matches};
pub use rules::{Rule, RuleError, RuleSpec, builtin_rules};
use text::element_text;
pub use text::{
    clean_feed_text, collapse_whitespace, cut_text, html_to_text, tail, without_appeared_first_on,
};

/// Where a post's summary text came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummarySource {
    /// The feed's `summary_selector` on the fetched article page.
    Selector,
    /// An extraction rule (built in, or the config's) on the fetched
    /// article page; it holds the rule's name.
    Rule(String),
    /// The main-content heuristic on the fetched article page.
    Article,
    /// The entry's full content in the feed.
    Content,
    /// The entry's summary or description in the feed.
    Summary,
    /// The article page's `og:description` or `meta description`.
    Meta,
}

impl SummarySource {
    /// The stable lower-case name used in logs and JSON output:
    /// `rule:NAME` for a rule.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            SummarySource::Rule(rule) => format!("rule:{rule}").into(),
            SummarySource::Selector => "selector".into(),
            SummarySource::Article => "article".into(),
            SummarySource::Content => "content".into(),
            SummarySource::Summary => "summary".into(),
            SummarySource::Meta => "meta".into(),
        }
    }
}

/// What an article page yielded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageExtract {
    /// Text of the first selector that matched non-empty text.
    pub selected_text: Option<String>,
    /// Text of the main content found by a rule or the heuristic, when
    /// asked for.
    pub article_text: Option<String>,
    /// The rule that found `article_text`; `None` when the heuristic did.
    pub article_rule: Option<String>,
    /// `og:description` or `meta name=description`, as text.
    pub meta_description: Option<String>,
    /// `<link rel=canonical>` resolved against the page URL, same host only.
    pub canonical: Option<Url>,
}

/// Parses a CSS selector list as the config gives it; `None` when invalid.
pub fn parse_selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

/// What to take from an article page.
#[derive(Debug, Default, Clone, Copy)]
pub struct PageOptions<'a> {
    /// Selectors tried in order; the first with text wins.
    pub selectors: &'a [Selector],
    /// Elements removed before any text is taken.
    pub excludes: &'a [Selector],
    /// Run the extraction rules, then the main-content heuristic, when no
    /// selector yields text.
    pub heuristic: bool,
    /// The config's own rules, tried before the built-in ones.
    pub rules: &'a [Rule],
}

/// Extracts the selected text, the main content (when asked), the meta
/// description and the canonical URL of a page.
pub fn extract_page(html: &str, page_url: &Url, options: &PageOptions<'_>) -> PageExtract {
    let mut doc = Html::parse_document(text::cut_at_nesting(html));
    let builtin = &*BUILTIN;
    let meta_description = builtin
        .meta_descriptions
        .iter()
        .find_map(|selector| meta_content(&doc, selector));
    let canonical = doc
        .select(&builtin.canonical)
        .find_map(|el| el.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .filter(|url| {
            matches!(url.scheme(), "http" | "https")
                && url.host_str() == page_url.host_str()
                && url.port_or_known_default() == page_url.port_or_known_default()
        });
    for exclude in options.excludes {
        remove_elements(&mut doc, |el| exclude.matches(&el));
    }
    let selected_text = options
        .selectors
        .iter()
        .find_map(|selector| selected_text(&doc, selector));
    let (article_text, article_rule) = if options.heuristic && selected_text.is_none() {
        article(&doc, page_url, options.rules)
    } else {
        (None, None)
    };
    PageExtract {
        selected_text,
        article_text,
        article_rule,
        meta_description,
        canonical,
    }
}

/// The article's text by the first applicable rule that finds one, else by
/// the main-content heuristic; with the rule's name. A rule that finds too
/// little leaves the page as it was for the next.
fn article(doc: &Html, page_url: &Url, user: &[Rule]) -> (Option<String>, Option<String>) {
    let titles = titles(doc);
    let generator = doc.select(&BUILTIN.generator).find_map(|el| {
        el.value()
            .attr("content")
            .or_else(|| el.value().attr("value"))
    });
    let page = Page::new(doc);
    for rule in rules::applicable(user, doc, page_url, generator) {
        if let Some(text) = rule.read(&page, &titles) {
            return (Some(text), Some(rule.name.clone()));
        }
    }
    (main_content(&page, &titles), None)
}

/// The text of every element `selector` matches, in document order, joined
/// with spaces (as miniflux's scraper does, so `article > p` takes every
/// paragraph); a match inside an earlier match is not counted twice.
fn selected_text(doc: &Html, selector: &Selector) -> Option<String> {
    let parts: Vec<String> = outermost_matches(doc, selector)
        .into_iter()
        .map(element_text)
        .filter(|text| !text.is_empty())
        .collect();
    Some(parts.join(" ")).filter(|t| !t.is_empty())
}

/// Detaches every element `matches` accepts (with its subtree).
fn remove_elements(doc: &mut Html, matches: impl Fn(ElementRef<'_>) -> bool) {
    let ids: Vec<_> = doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|el| matches(*el))
        .map(|el| el.id())
        .collect();
    for id in ids {
        if let Some(mut node) = doc.tree.get_mut(id) {
            node.detach();
        }
    }
}

/// The page's titles as it states them: `og:title`, `<title>` (often with
/// the site's name) and the first `<h1>`, for finding the title again in
/// the text.
fn titles(doc: &Html) -> Vec<String> {
    let builtin = &*BUILTIN;
    let mut out: Vec<String> = builtin
        .og_titles
        .iter()
        .filter_map(|selector| meta_content(doc, selector))
        .collect();
    out.extend(
        [&builtin.title, &builtin.h1]
            .into_iter()
            .filter_map(|selector| doc.select(selector).next())
            .map(element_text)
            .filter(|t| !t.is_empty()),
    );
    out
}

/// Selectors the extractor itself uses, parsed once.
struct Builtin {
    canonical: Selector,
    /// `og:description` (as a property, or as a name), then `description`.
    meta_descriptions: [Selector; 3],
    /// `og:title`, as a property or as a name.
    og_titles: [Selector; 2],
    title: Selector,
    h1: Selector,
    generator: Selector,
}

static BUILTIN: std::sync::LazyLock<Builtin> = std::sync::LazyLock::new(|| {
    let parse = |css: &str| Selector::parse(css).expect("built-in selectors are valid CSS");
    Builtin {
        canonical: parse("link[rel~=\"canonical\"]"),
        meta_descriptions: [
            parse("meta[property=\"og:description\"]"),
            parse("meta[name=\"og:description\"]"),
            parse("meta[name=\"description\"]"),
        ],
        og_titles: [
            parse("meta[property=\"og:title\"]"),
            parse("meta[name=\"og:title\"]"),
        ],
        title: parse("head > title, title"),
        h1: parse("h1"),
        generator: parse("meta[name=\"generator\" i]"),
    }
});

fn meta_content(doc: &Html, selector: &Selector) -> Option<String> {
    doc.select(selector)
        .find_map(|el| {
            el.value()
                .attr("content")
                .or_else(|| el.value().attr("value"))
        })
        .map(html_to_text)
        .filter(|text| !text.is_empty())
}
