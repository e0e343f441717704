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
//! [`Page`] also reads a rule's or a selector's matches the same way.
//! Every step is linear in the page, or bounded by a constant per block
//! (five levels of ancestors, five candidates).

use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use super::blocks::{Block, TextSizes, blocks, class_words};
use super::lead;
use super::text::width;

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
    "sr",
    "visually",
];

/// Whole class names of text only screen readers get.
const SCREEN_READER_CLASSES: &[&str] = &["screen-reader-text", "sr-only", "visually-hidden"];

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

/// Least prose, in characters, under one element for it to join an
/// article as a part split off from it.
const MIN_SPLIT_PART_CHARS: usize = 250;

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
    element.attr("class").is_some_and(|c| {
        c.split_whitespace()
            .any(|c| SCREEN_READER_CLASSES.contains(&c))
    }) || class_words(element).any(|w| NOISE_WORDS.contains(&w.as_str()))
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

/// Most matches of one selector read; a page cannot make a rule or a
/// selector walk a huge number of nested matches.
const MAX_MATCHES: usize = 200;

/// A parsed page ready to read: its body and the text sizes of its
/// elements, counted once.
pub(super) struct Page<'a> {
    doc: &'a Html,
    body: ElementRef<'a>,
    sizes: TextSizes,
}

impl<'a> Page<'a> {
    /// Counts `doc`'s text once.
    pub(super) fn new(doc: &'a Html) -> Page<'a> {
        let body = body(doc);
        Page {
            doc,
            body,
            sizes: TextSizes::of(body),
        }
    }

    /// Clutter by tag or class, only while it holds at most half of the
    /// page's prose.
    fn clutter(&self, el: ElementRef<'_>) -> bool {
        is_noise(el) && self.sizes.is_minor(el.id())
    }

    /// The blocks under `root`, clutter and what `skip` says left out.
    fn blocks_of(&self, root: ElementRef<'_>, skip: &dyn Fn(ElementRef<'_>) -> bool) -> Vec<Block> {
        blocks(root, &self.sizes, |el| self.clutter(el) || skip(el))
    }

    /// The text of the outermost matches of `selector` (at most
    /// [`MAX_MATCHES`]), from the article's first sentence, leaving out
    /// clutter and what `skip` says; `None` under an article's worth.
    pub(super) fn read_matches(
        &self,
        selector: &Selector,
        skip: &dyn Fn(ElementRef<'_>) -> bool,
        title: &[String],
    ) -> Option<String> {
        let mut article = Vec::new();
        for el in outermost_matches(self.doc, selector) {
            article.extend(self.blocks_of(el, skip));
        }
        let text = lead::article_text(&article, title);
        (text.chars().count() >= MIN_ARTICLE_CHARS).then_some(text)
    }
}

/// The matches of `selector` in document order that are not inside an
/// earlier match, at most [`MAX_MATCHES`] of them.
pub(super) fn outermost_matches<'a>(doc: &'a Html, selector: &Selector) -> Vec<ElementRef<'a>> {
    let mut taken: HashSet<NodeId> = HashSet::new();
    let mut out = Vec::new();
    for el in doc.select(selector).take(MAX_MATCHES) {
        if el.ancestors().any(|a| taken.contains(&a.id())) {
            continue;
        }
        taken.insert(el.id());
        out.push(el);
    }
    out
}

/// The article's text on the page, from its first sentence; `None` when no
/// block holds enough prose to be one.
pub(super) fn main_content(page: &Page<'_>, title: &[String]) -> Option<String> {
    let (doc, body, sizes) = (page.doc, page.body, &page.sizes);
    let no_skip = |_: ElementRef<'_>| false;
    let runs = page.blocks_of(body, &no_skip);
    let top = best_candidate(doc, body, &runs, sizes)?;
    let mut article = Vec::new();
    for root in with_siblings(doc, top, sizes) {
        let root = doc.tree.get(root).and_then(ElementRef::wrap)?;
        article.extend(page.blocks_of(root, &no_skip));
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
        // How many alternatives each element holds, counted once per
        // alternative's ancestor chain.
        let mut holds: HashMap<NodeId, usize> = HashMap::new();
        for alt in &alternatives {
            for ancestor in doc.tree.get(*alt).into_iter().flat_map(|n| n.ancestors()) {
                *holds.entry(ancestor.id()).or_default() += 1;
            }
        }
        let mut ancestor = doc.tree.get(top).and_then(|n| n.parent());
        while let Some(node) = ancestor.filter(|n| n.id() != body.id()) {
            if holds.get(&node.id()).copied().unwrap_or(0) >= 3 {
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
                || (text > 0
                    && text <= 80
                    && density == 0.0
                    && lead::ends_sentence(&sibling.text().collect::<String>())));
        if paragraph || (score >= threshold && sizes.prose(sibling.id()) > 0) {
            out.push(sibling.id());
        }
    }
    out
}

/// The article's blocks, plus the prose elsewhere on the page that sits
/// in the same kind of element as most of the article's text: an article
/// split over several rows or columns (`p.story-text__paragraph` in two
/// sections, `section.textmodul > div > p`), in document order.
///
/// The kind is the text's element and the class on it or on one of its
/// two nearest ancestors, carried by at least three of the article's
/// blocks. A block elsewhere joins only when it reads as prose, and only
/// with the others under the same classed element, if they come to
/// [`MIN_SPLIT_PART_CHARS`]: a teaser that borrows the article's markup
/// is shorter than that.
fn with_split_parts(doc: &Html, article: Vec<Block>, runs: Vec<Block>) -> Vec<Block> {
    // (signature, the part: the element holding the classed one)
    let signature = |id: NodeId| -> Option<(String, NodeId)> {
        let mut node = doc.tree.get(id);
        let tag = node.and_then(ElementRef::wrap)?.value().name().to_string();
        for level in 0..3 {
            let el = node.and_then(ElementRef::wrap)?;
            if let Some(class) = el
                .value()
                .attr("class")
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                // The part is what holds the classed element: the section
                // around a run of `p.story-text__paragraph`.
                let part = el.parent().map_or(el.id(), |p| p.id());
                return Some((format!("{tag}/{level}/{class}"), part));
            }
            node = el.parent();
        }
        None
    };
    let mut by_signature: HashMap<String, (usize, usize)> = HashMap::new();
    let total: usize = article.iter().map(|b| b.chars).sum();
    for block in &article {
        if let Some((sig, _)) = signature(block.container) {
            let entry = by_signature.entry(sig).or_default();
            entry.0 += block.chars;
            entry.1 += 1;
        }
    }
    let Some((dominant, (chars, count))) = by_signature.into_iter().max_by_key(|(_, (c, _))| *c)
    else {
        return article;
    };
    if chars * 2 < total || count < 3 {
        return article;
    }
    // Every article block must be found among the page's blocks, or the
    // order cannot be kept: then the article stays as it is.
    let inside: HashSet<NodeId> = article.iter().map(|b| b.container).collect();
    let found: HashSet<NodeId> = runs
        .iter()
        .map(|b| b.container)
        .filter(|c| inside.contains(c))
        .collect();
    if found.len() != inside.len() {
        return article;
    }
    let holder = |b: &Block| -> Option<NodeId> {
        if width(&b.text) < MIN_SCORED_WIDTH || b.link_density() >= 0.5 {
            return None;
        }
        signature(b.container).and_then(|(sig, holder)| (sig == dominant).then_some(holder))
    };
    let mut part_chars: HashMap<NodeId, usize> = HashMap::new();
    for block in runs.iter().filter(|b| !inside.contains(&b.container)) {
        if let Some(holder) = holder(block) {
            *part_chars.entry(holder).or_default() += block.chars;
        }
    }
    runs.into_iter()
        .filter(|b| {
            inside.contains(&b.container)
                || holder(b).is_some_and(|h| {
                    part_chars.get(&h).copied().unwrap_or(0) >= MIN_SPLIT_PART_CHARS
                })
        })
        .collect()
}
