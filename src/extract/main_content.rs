//! The main-content heuristic: find the element that holds the article, as
//! Mozilla Readability does, then read its text from the article's first
//! sentence.
//!
//! 1. Clutter goes: navigation, asides, forms, and elements whose class or
//!    id names a widget, a banner, comments and the like; unless the element
//!    holds most of the page's prose, whatever its class says.
//! 2. Every run of text (a `<p>`, a `<div>`'s own text, a `<br>` run; see
//!    [`blocks`](super::blocks)) of 25 characters or more scores its block
//!    and, less and less, four levels of ancestors: one point, one per comma,
//!    one per 100 characters up to three. Each scored element starts from its
//!    tag and class weight; its score is then cut by its link density.
//! 3. The best element wins; its parent takes over when the score rises
//!    going up, or when most of the near-best candidates sit inside it; its
//!    siblings join when they score well or read as paragraphs.
//! 4. Captions go, and the text starts at the first block that reads as the
//!    article's prose ([`lead`](super::lead)).
//!
//! Runs only when no selector or rule gave text; reads no meta tags or links.
//! Every step is linear in the page (or bounded by a constant per block).

use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use super::blocks::{Block, TextSizes, blocks, class_words};
use super::lead;

/// Elements that are never part of an article's text.
const NOISE_ELEMENTS: &[&str] = &[
    "nav", "footer", "aside", "form", "button", "select", "textarea", "dialog", "menu", "object",
    "embed", "canvas",
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

/// Readability's `positive` pattern: class or id parts that suggest content.
const POSITIVE_PARTS: &[&str] = &[
    "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text",
    "blog", "story",
];

/// Readability's `negative` pattern: class or id parts that suggest clutter.
const NEGATIVE_PARTS: &[&str] = &[
    "-ad-",
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
];

/// Least text, in characters, for the found block to count as an article.
const MIN_ARTICLE_CHARS: usize = 140;

/// Least width of a run for it to score, as in Readability.
const MIN_SCORED_WIDTH: usize = 25;

/// Levels of ancestors a run scores, its own block included.
const SCORED_LEVELS: usize = 5;

/// Candidates near the best that vote for a common ancestor.
const TOP_CANDIDATES: usize = 5;

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
    if matches!(
        element.attr("role"),
        Some("navigation" | "banner" | "contentinfo" | "complementary" | "dialog" | "alert")
    ) {
        return true;
    }
    class_words(element).any(|w| NOISE_WORDS.contains(&w.as_str()))
}

/// A run's width: characters, a CJK character counting two (it carries
/// about as much as a short word).
pub(super) fn width(text: &str) -> usize {
    text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFF00..=0xFF60)
}

/// The weight an element starts from: its tag and its class and id.
fn initial_score(el: ElementRef<'_>) -> f64 {
    let element = el.value();
    let tag = match element.name() {
        "div" => 5.0,
        "article" => 10.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    let item = if element.attr("itemprop") == Some("articleBody") {
        25.0
    } else {
        0.0
    };
    tag + item + class_weight(element.attr("class")) + class_weight(element.attr("id"))
}

/// Readability's class weight: +25 for a content-like value, -25 for a
/// clutter-like one (both can apply).
fn class_weight(value: Option<&str>) -> f64 {
    let Some(value) = value else { return 0.0 };
    let value = value.to_ascii_lowercase();
    let mut weight = 0.0;
    if NEGATIVE_PARTS.iter().any(|part| value.contains(part)) {
        weight -= 25.0;
    }
    if POSITIVE_PARTS.iter().any(|part| value.contains(part)) {
        weight += 25.0;
    }
    weight
}

/// Readability's score of one run: a point, one per comma, one per 100
/// characters of width up to three.
fn run_score(block: &Block) -> f64 {
    let commas = block
        .text
        .chars()
        .filter(|c| matches!(c, ',' | '，' | '、'))
        .count();
    1.0 + commas as f64 + (width(&block.text) / 100).min(3) as f64
}

/// Most matches of one rule selector read; a page cannot make the rule
/// walk a huge number of nested matches.
const MAX_RULE_MATCHES: usize = 200;

/// The text a rule's content selectors find, from the article's first
/// sentence: every match of the first selector that yields an article's
/// worth of text, clutter inside it left out.
pub(super) fn rule_content(doc: &Html, selectors: &[Selector], title: &[String]) -> Option<String> {
    let body = body(doc);
    let sizes = TextSizes::of(body);
    let total_prose = sizes.prose(body.id());
    let clutter = |el: ElementRef<'_>| is_noise(el) && sizes.prose(el.id()) * 2 <= total_prose;
    for selector in selectors {
        let mut taken: HashSet<NodeId> = HashSet::new();
        let mut article = Vec::new();
        for el in doc.select(selector).take(MAX_RULE_MATCHES) {
            if el.ancestors().any(|a| taken.contains(&a.id())) {
                continue;
            }
            taken.insert(el.id());
            article.extend(blocks(el, &sizes, clutter));
        }
        let text = lead::article_text(&article, title);
        if text.chars().count() >= MIN_ARTICLE_CHARS {
            return Some(text);
        }
    }
    None
}

/// The article's text on the page, from its first sentence; `None` when no
/// block holds enough prose to be one.
pub(super) fn main_content(doc: &Html, title: &[String]) -> Option<String> {
    let body = body(doc);
    let sizes = TextSizes::of(body);
    let total_prose = sizes.prose(body.id());
    // An element is clutter by its tag or class only while it holds less
    // than half of the page's prose.
    let clutter = |el: ElementRef<'_>| is_noise(el) && sizes.prose(el.id()) * 2 <= total_prose;
    let runs = blocks(body, &sizes, clutter);
    let top = best_candidate(doc, body, &runs, &sizes)?;
    let mut article = Vec::new();
    for root in with_siblings(doc, top, &sizes) {
        let root = doc.tree.get(root).and_then(ElementRef::wrap)?;
        article.extend(blocks(root, &sizes, clutter));
    }
    let article = with_split_parts(doc, article, runs);
    let text = lead::article_text(&article, title);
    (text.chars().count() >= MIN_ARTICLE_CHARS).then_some(text)
}

/// The `<body>`, or the whole document when it has none.
fn body(doc: &Html) -> ElementRef<'_> {
    doc.root_element()
        .children()
        .filter_map(ElementRef::wrap)
        .find(|el| el.value().name() == "body")
        .unwrap_or_else(|| doc.root_element())
}

/// The best-scored element and its score, after the parent and common
/// ancestor moves.
struct Best {
    id: NodeId,
    score: f64,
    /// Every scored element's score.
    scores: HashMap<NodeId, f64>,
}

fn best_candidate(
    doc: &Html,
    body: ElementRef<'_>,
    runs: &[Block],
    sizes: &TextSizes,
) -> Option<Best> {
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    for run in runs {
        if run.marks.heading || run.marks.caption || width(&run.text) < MIN_SCORED_WIDTH {
            continue;
        }
        let score = run_score(run);
        let mut node = doc.tree.get(run.container);
        for level in 0..SCORED_LEVELS {
            let Some(el) = node.and_then(ElementRef::wrap) else {
                break;
            };
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                _ => level as f64 * 3.0,
            };
            *scores.entry(el.id()).or_insert_with(|| initial_score(el)) += score / divider;
            if el.id() == body.id() {
                break;
            }
            node = el.parent();
        }
    }
    for (id, score) in &mut scores {
        *score *= 1.0 - sizes.link_density(*id);
    }
    let mut ranked: Vec<(NodeId, f64)> = scores.iter().map(|(id, s)| (*id, *s)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let &(mut top, top_score) = ranked.first()?;
    // Most of the near-best candidates inside one ancestor: the article is
    // split in parts, and the ancestor holds them all.
    let alternatives: Vec<NodeId> = ranked
        .iter()
        .skip(1)
        .take(TOP_CANDIDATES - 1)
        .filter(|(_, s)| *s >= top_score * 0.75)
        .map(|(id, _)| *id)
        .collect();
    if alternatives.len() >= 3 {
        let mut ancestor = doc.tree.get(top).and_then(|n| n.parent());
        while let Some(node) = ancestor.filter(|n| n.id() != body.id()) {
            let inside = alternatives
                .iter()
                .filter(|alt| {
                    doc.tree
                        .get(**alt)
                        .is_some_and(|n| n.ancestors().any(|a| a.id() == node.id()))
                })
                .count();
            if inside >= 3 {
                top = node.id();
                break;
            }
            ancestor = node.parent();
        }
    }
    // A parent scoring more than its best child holds more of the article.
    let mut last = scores.get(&top).copied().unwrap_or(top_score);
    let threshold = last / 3.0;
    let mut parent = doc.tree.get(top).and_then(|n| n.parent());
    while let Some(node) = parent.filter(|n| n.id() != body.id()) {
        if let Some(&score) = scores.get(&node.id()) {
            if score < threshold {
                break;
            }
            if score > last {
                top = node.id();
                break;
            }
            last = score;
        }
        parent = node.parent();
    }
    let score = scores.get(&top).copied().unwrap_or(top_score);
    Some(Best {
        id: top,
        score,
        scores,
    })
}

/// The best element and those of its siblings that read as more of the
/// article, in document order.
fn with_siblings(doc: &Html, best: Best, sizes: &TextSizes) -> Vec<NodeId> {
    let Some(node) = doc.tree.get(best.id) else {
        return vec![best.id];
    };
    let Some(parent) = node.parent() else {
        return vec![best.id];
    };
    let best_class = ElementRef::wrap(node).and_then(|el| el.value().attr("class"));
    let threshold = f64::max(10.0, best.score * 0.2);
    let mut out = Vec::new();
    for sibling in parent.children().filter_map(ElementRef::wrap) {
        if sibling.id() == best.id {
            out.push(sibling.id());
            continue;
        }
        let mut score = best.scores.get(&sibling.id()).copied().unwrap_or_default();
        if best_class.is_some() && sibling.value().attr("class") == best_class {
            score += best.score * 0.2;
        }
        let text = sizes.text(sibling.id());
        let density = sizes.link_density(sibling.id());
        let paragraph = sibling.value().name() == "p"
            && ((text > 80 && density < 0.25)
                || (text > 0 && text <= 80 && density == 0.0 && ends_with_period(sibling)));
        if paragraph || (score >= threshold && sizes.prose(sibling.id()) > 0) {
            out.push(sibling.id());
        }
    }
    out
}

/// The article's blocks, plus those elsewhere on the page that sit in
/// the same kind of element as most of its text (an article split into
/// several rows or columns: `p.story-text__paragraph` in two sections), in
/// document order.
fn with_split_parts(doc: &Html, article: Vec<Block>, runs: Vec<Block>) -> Vec<Block> {
    let signature = |id: NodeId| -> Option<String> {
        let mut node = doc.tree.get(id);
        let tag = node.and_then(ElementRef::wrap)?.value().name().to_string();
        for level in 0..3 {
            let el = node.and_then(ElementRef::wrap)?;
            if let Some(class) = el.value().attr("class").filter(|c| !c.trim().is_empty()) {
                return Some(format!("{tag}/{level}/{}", class.trim()));
            }
            node = el.parent();
        }
        None
    };
    let mut by_signature: HashMap<String, usize> = HashMap::new();
    let total: usize = article.iter().map(|b| b.chars).sum();
    for block in &article {
        if let Some(sig) = signature(block.container) {
            *by_signature.entry(sig).or_default() += block.chars;
        }
    }
    let Some((dominant, chars)) = by_signature.into_iter().max_by_key(|(_, chars)| *chars) else {
        return article;
    };
    if chars * 2 < total {
        return article;
    }
    let inside: HashSet<NodeId> = article.iter().map(|b| b.container).collect();
    runs.into_iter()
        .filter(|b| {
            inside.contains(&b.container)
                || signature(b.container).is_some_and(|sig| sig == dominant)
        })
        .collect()
}

fn ends_with_period(el: ElementRef<'_>) -> bool {
    el.text()
        .collect::<String>()
        .trim_end()
        .ends_with(['.', '!', '?', '。'])
}
