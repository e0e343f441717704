//! Summary extraction: HTML in, clean plain text out.
//!
//! Pure and synchronous. `scraper::Html` is `!Send`, so every document is
//! parsed and dropped inside one function here and never crosses an `.await`.
//! This module never fetches anything; the pipeline hands it bytes.

use ego_tree::NodeRef;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

/// Elements whose text a reader never sees.
const HIDDEN_ELEMENTS: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas",
    "button", "select", "textarea",
];

/// Elements that separate their text from the surrounding text.
const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "img",
    "details",
    "summary",
];

/// Where a post's summary text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummarySource {
    /// The feed's `summary_selector` on the fetched article page.
    Selector,
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
    /// The stable lower-case name used in logs and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            SummarySource::Selector => "selector",
            SummarySource::Article => "article",
            SummarySource::Content => "content",
            SummarySource::Summary => "summary",
            SummarySource::Meta => "meta",
        }
    }
}

/// What an article page yielded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageExtract {
    /// Text of the first selector that matched non-empty text.
    pub selected_text: Option<String>,
    /// Text of the main content found by the heuristic, when asked for.
    pub article_text: Option<String>,
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
    /// Run the main-content heuristic when no selector yields text.
    pub heuristic: bool,
}

/// Extracts the selected text, the main content (when asked), the meta
/// description and the canonical URL of a page.
pub fn extract_page(html: &str, page_url: &Url, options: &PageOptions<'_>) -> PageExtract {
    let mut doc = Html::parse_document(html);
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
    let article_text = if options.heuristic && selected_text.is_none() {
        main_content(&mut doc)
    } else {
        None
    };
    PageExtract {
        selected_text,
        article_text,
        meta_description,
        canonical,
    }
}

/// The text of every element `selector` matches, in document order, joined
/// with spaces (as miniflux's scraper does, so `article > p` takes every
/// paragraph); a match inside an earlier match is not counted twice.
fn selected_text(doc: &Html, selector: &Selector) -> Option<String> {
    let mut taken = std::collections::HashSet::new();
    let mut parts = Vec::new();
    for el in doc.select(selector) {
        if el.ancestors().any(|a| taken.contains(&a.id())) {
            continue;
        }
        taken.insert(el.id());
        let text = element_text(el);
        if !text.is_empty() {
            parts.push(text);
        }
    }
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

/// Selectors the extractor itself uses, parsed once.
struct Builtin {
    paragraph: Selector,
    canonical: Selector,
    /// `og:description` (as a property, or as a name), then `description`.
    meta_descriptions: [Selector; 3],
    /// Article containers, in order of trust.
    candidates: Vec<Selector>,
}

static BUILTIN: std::sync::LazyLock<Builtin> = std::sync::LazyLock::new(|| {
    let parse = |css: &str| Selector::parse(css).expect("built-in selectors are valid CSS");
    Builtin {
        paragraph: parse("p"),
        canonical: parse("link[rel~=\"canonical\"]"),
        meta_descriptions: [
            parse("meta[property=\"og:description\"]"),
            parse("meta[name=\"og:description\"]"),
            parse("meta[name=\"description\"]"),
        ],
        candidates: [
            "[itemprop=articleBody]",
            "article",
            "[role=main]",
            "main",
            ".entry-content, .post-content, .article-content, .article-body, .post-body, \
             .story-body, .gh-content, .c-entry-content, .td-post-content",
        ]
        .into_iter()
        .map(parse)
        .collect(),
    }
});

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
fn main_content(doc: &mut Html) -> Option<String> {
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

/// Decodes an HTML page: the charset of the `Content-Type` header, else a
/// byte order mark, else a `<meta charset>` or `http-equiv` declaration in
/// the first 1024 bytes, else UTF-8. Labels follow the WHATWG Encoding
/// Standard, so `ISO-8859-1` reads as windows-1252, as browsers do.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    let from_header = content_type
        .and_then(charset_param)
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()));
    let encoding = from_header
        .or_else(|| encoding_rs::Encoding::for_bom(bytes).map(|(e, _)| e))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(1024)]))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|part| {
        let (name, value) = part.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
    })
}

fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(pos) = rest.find("charset") {
        rest = &rest[pos + "charset".len()..];
        let value = rest.trim_start().strip_prefix('=')?.trim_start();
        let value = value.trim_start_matches(['"', '\'']);
        let label: String = value
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
            .collect();
        if let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) {
            // A page cannot really be UTF-16 if its head reads as ASCII.
            return Some(
                if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                    encoding_rs::UTF_8
                } else {
                    encoding
                },
            );
        }
    }
    None
}

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

/// Turns an HTML fragment (a feed's description or content) into plain text.
pub fn html_to_text(html: &str) -> String {
    let fragment = Html::parse_fragment(html);
    let mut raw = String::with_capacity(html.len() / 2);
    push_text(*fragment.root_element(), &mut raw);
    collapse_whitespace(&raw)
}

/// The visible text of one element and its descendants.
fn element_text(el: ElementRef<'_>) -> String {
    let mut raw = String::new();
    push_text(*el, &mut raw);
    collapse_whitespace(&raw)
}

fn push_text(node: NodeRef<'_, Node>, out: &mut String) {
    // An explicit stack instead of recursion: hostile pages nest deeply.
    let mut stack = vec![(node, false)];
    while let Some((node, closing)) = stack.pop() {
        match node.value() {
            Node::Text(text) if !closing => out.push_str(text),
            Node::Element(el) => {
                let name = el.name();
                if HIDDEN_ELEMENTS.contains(&name) {
                    continue;
                }
                let block = BLOCK_ELEMENTS.contains(&name);
                if block {
                    out.push(' ');
                }
                if !closing {
                    if block {
                        stack.push((node, true));
                    }
                    for child in node.children().rev() {
                        stack.push((child, false));
                    }
                }
            }
            Node::Document | Node::Fragment if !closing => {
                for child in node.children().rev() {
                    stack.push((child, false));
                }
            }
            _ => {}
        }
    }
}

/// Collapses every run of white space into one space and trims the ends.
///
/// Non-breaking and other Unicode spaces count as white space; zero-width
/// characters and soft hyphens are dropped, since they only carry layout.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if matches!(
            c,
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}'
        ) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// Removes the boilerplate WordPress and friends append to feed descriptions.
pub fn clean_feed_text(text: &str) -> String {
    let mut text = text.trim().to_string();
    // "The post X appeared first on Y." is appended by Yoast SEO.
    if let Some(pos) = text.rfind("The post ")
        && text[pos..].contains(" appeared first on ")
        && text.ends_with('.')
    {
        text.truncate(pos);
    }
    loop {
        let trimmed = text.trim_end();
        let stripped = [
            "[…]",
            "[...]",
            "[&hellip;]",
            "Continue reading →",
            "Continue reading…",
            "Continue reading",
            "Read more",
            "→",
        ]
        .iter()
        .find_map(|tail| trimmed.strip_suffix(tail));
        match stripped {
            Some(rest) => text = rest.trim_end().to_string(),
            None => break,
        }
    }
    text.trim().to_string()
}

/// Abbreviations whose trailing dot does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "fig", "no", "vol", "approx", "cf",
    "al", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "ca", "eg", "ie",
];

/// Returns true when the `.`, `!` or `?` at char index `i` ends a sentence.
fn ends_sentence(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    if !matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？') {
        return false;
    }
    // Closing quotes and brackets may follow the mark.
    let mut j = i + 1;
    while j < chars.len() && matches!(chars[j], '"' | '\'' | '”' | '’' | ')' | ']' | '»') {
        j += 1;
    }
    if j < chars.len() && !chars[j].is_whitespace() {
        return false; // "v1.2", "example.com", "e.g.x"
    }
    if c != '.' {
        return true;
    }
    // The word that the dot ends, e.g. "e.g", "U.S", "Dr".
    let start = chars[..i]
        .iter()
        .rposition(|c| c.is_whitespace())
        .map_or(0, |p| p + 1);
    let word: String = chars[start..i]
        .iter()
        .filter(|c| c.is_alphanumeric() || **c == '.')
        .collect();
    if word.contains('.') {
        return false; // "e.g.", "i.e.", "U.S."
    }
    let mut letters = word.chars();
    if let (Some(first), None) = (letters.next(), letters.next())
        && first.is_alphabetic()
        && first.is_uppercase()
    {
        return false; // an initial, as in "John F. Kennedy"
    }
    !ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

/// Cuts `text` to at most `max` characters.
///
/// The result is the whole text when it fits, else the longest prefix that
/// ends a sentence, else a prefix cut at a word boundary with `…` appended
/// (the ellipsis counted in `max`).
pub fn cut_text(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    // Longest prefix that ends a sentence: scan back from the limit.
    let mut end = None;
    for i in (0..max).rev() {
        if ends_sentence(&chars, i) {
            let mut j = i + 1;
            while j < max && matches!(chars[j], '"' | '\'' | '”' | '’' | ')' | ']' | '»') {
                j += 1;
            }
            end = Some(j);
            break;
        }
    }
    if let Some(end) = end {
        return chars[..end].iter().collect();
    }
    let limit = max - 1; // room for the ellipsis
    let cut = chars[..=limit.min(chars.len() - 1)]
        .iter()
        .rposition(|c| c.is_whitespace())
        .filter(|&p| p > 0 && p <= limit)
        .unwrap_or(limit);
    let mut out: String = chars[..cut].iter().collect();
    while out.ends_with([',', ';', ':', '-', '–', '—', ' ']) {
        out.pop();
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn html_to_text_drops_hidden_and_separates_blocks() {
        let html = "<p>One&nbsp;two&amp;three</p><ul><li>a</li><li>b</li></ul>x<br>y <b>bo</b>ld\
                    <script>var x = 1;</script><style>p{}</style>\
                    <script type=\"application/ld+json\">{\"a\":1}</script>";
        assert_eq!(html_to_text(html), "One two&three a b x y bold");
    }

    #[test]
    fn entities_are_decoded_once() {
        assert_eq!(
            html_to_text("a &amp;amp; b &#8217; &lt;p&gt;"),
            "a &amp; b ’ <p>"
        );
    }

    #[test]
    fn clean_feed_text_removes_wordpress_tails() {
        assert_eq!(
            clean_feed_text("Find your community! […]"),
            "Find your community!"
        );
        assert_eq!(
            clean_feed_text("Body text. The post Hello appeared first on CNCF."),
            "Body text."
        );
        assert_eq!(
            clean_feed_text("Shipping safely … Read more"),
            "Shipping safely …"
        );
    }

    #[test]
    fn cut_keeps_whole_text_that_fits() {
        assert_eq!(cut_text("Short. Text", 100), "Short. Text");
    }

    #[test]
    fn cut_ends_at_the_last_sentence_in_range() {
        let text = "First one. Second one! Third one? Fourth is long enough to overflow";
        assert_eq!(cut_text(text, 40), "First one. Second one! Third one?");
        assert_eq!(cut_text(text, 33), "First one. Second one! Third one?");
        assert_eq!(cut_text(text, 32), "First one. Second one!");
    }

    #[test]
    fn cut_skips_abbreviations_initials_and_decimals() {
        let text = "Tools, e.g. Istio and the U.S. agencies. Version v1.2 ships. Dr. Who by John F. Kennedy is here at last";
        assert_eq!(
            cut_text(text, 50),
            "Tools, e.g. Istio and the U.S. agencies."
        );
        assert_eq!(
            cut_text(text, 70),
            "Tools, e.g. Istio and the U.S. agencies. Version v1.2 ships."
        );
        assert_eq!(
            cut_text(text, 100),
            "Tools, e.g. Istio and the U.S. agencies. Version v1.2 ships."
        );
    }

    #[test]
    fn cut_without_sentence_end_cuts_at_a_word() {
        assert_eq!(cut_text("alpha beta gamma delta", 12), "alpha beta…");
        assert_eq!(cut_text("supercalifragilistic", 6), "super…");
    }

    proptest! {
        #[test]
        fn cut_never_exceeds_max(text in "\\PC{0,300}", max in 1usize..200) {
            let out = cut_text(&text, max);
            prop_assert!(out.chars().count() <= max);
        }

        #[test]
        fn html_to_text_never_panics(html in "\\PC{0,400}") {
            let _ = html_to_text(&html);
        }
    }
}
