//! A page as a reader sees it: runs of text, each held by the block element
//! it sits in, with what the elements around it say about it (a heading, a
//! caption, a byline row).
//!
//! `<div>` text and `<br>` runs come out as blocks like `<p>` text does, so
//! the scoring in `main_content` never depends on a page using `<p>`.
//! One pass over the tree with an explicit stack: hostile pages nest deeply.

use std::collections::HashMap;

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Node};

use super::text::{BLOCK_ELEMENTS, HIDDEN_ELEMENTS, collapse_whitespace};

/// Class and id words of an element whose text is a caption or a credit.
const CAPTION_WORDS: &[&str] = &[
    "caption",
    "captions",
    "figcaption",
    "credit",
    "credits",
    "photographer",
    "copyright",
];

/// Class and id words of an element whose text is about the article rather
/// than of it: bylines, dates, share rows, tags, kickers, deks.
const META_WORDS: &[&str] = &[
    "byline",
    "bylines",
    "author",
    "authors",
    "dateline",
    "date",
    "time",
    "timestamp",
    "published",
    "updated",
    "pubdate",
    "meta",
    "share",
    "sharing",
    "social",
    "tags",
    "category",
    "categories",
    "kicker",
    "eyebrow",
    "breadcrumb",
    "breadcrumbs",
    "dek",
    "deck",
    "subtitle",
    "subheadline",
    "subhead",
    "standfirst",
    "strapline",
    "summary",
    "excerpt",
    "headline",
    "toolbar",
    "readtime",
    "advertisement",
    "ad",
    "ads",
    "promo",
    "sponsored",
    // Wikipedia's tagline and notices; print style sheets hide site chrome.
    "metadata",
    "noprint",
];

/// Marks above this many characters of text are ignored: a byline row, a
/// caption or a dek is short, and a container that holds the article is not
/// one of them whatever its class says.
const MAX_MARKED_CHARS: usize = 500;

/// Elements that make their text a caption.
const CAPTION_ELEMENTS: &[&str] = &["figure", "figcaption", "picture"];

/// What the elements around a run of text say about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Marks {
    /// Inside `h1`–`h6`.
    pub heading: bool,
    /// A figure, a caption or a photo credit.
    pub caption: bool,
    /// A byline, date, share row, tag list, kicker, dek or ad label.
    pub meta: bool,
    /// Inside a list item.
    pub list: bool,
}

impl Marks {
    fn with(self, other: Marks) -> Marks {
        Marks {
            heading: self.heading || other.heading,
            caption: self.caption || other.caption,
            meta: self.meta || other.meta,
            list: self.list || other.list,
        }
    }
}

/// One run of text between block boundaries.
#[derive(Debug, Clone)]
pub(super) struct Block {
    /// The innermost block element holding the text.
    pub container: NodeId,
    /// The text, white space collapsed.
    pub text: String,
    /// Characters of `text`.
    pub chars: usize,
    /// Characters of `text` inside links.
    pub link_chars: usize,
    /// What the surrounding elements say of most of the text.
    pub marks: Marks,
    /// An image came between the previous block and this one.
    pub after_image: bool,
}

impl Block {
    /// Share of the text inside links, 0 to 1.
    pub fn link_density(&self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f64 / self.chars as f64
        }
    }
}

/// Text and link characters under each element, counted bottom-up once.
#[derive(Debug, Default)]
pub(super) struct TextSizes {
    sizes: HashMap<NodeId, (usize, usize)>,
    /// Prose characters of the whole counted tree.
    total_prose: usize,
}

impl TextSizes {
    /// Counts every element under `root` (hidden elements count nothing).
    pub fn of(root: ElementRef<'_>) -> TextSizes {
        let order: Vec<NodeRef<'_, Node>> = visible_preorder(*root);
        let mut sizes: HashMap<NodeId, (usize, usize)> = HashMap::with_capacity(order.len());
        for node in order.iter().rev() {
            let own = match node.value() {
                Node::Text(text) => (text.trim().chars().count(), 0),
                Node::Element(el) => {
                    let (text, link) = sizes.get(&node.id()).copied().unwrap_or_default();
                    if el.name() == "a" {
                        (text, text)
                    } else {
                        (text, link)
                    }
                }
                _ => (0, 0),
            };
            if matches!(node.value(), Node::Element(_)) {
                sizes.insert(node.id(), own);
            }
            if node.id() == root.id() {
                continue;
            }
            if let Some(parent) = node.parent() {
                let entry = sizes.entry(parent.id()).or_default();
                entry.0 += own.0;
                entry.1 += own.1;
            }
        }
        let total_prose = sizes
            .get(&root.id())
            .map_or(0, |&(text, link)| text - link.min(text));
        TextSizes { sizes, total_prose }
    }

    /// Characters of visible text under `id`.
    pub fn text(&self, id: NodeId) -> usize {
        self.sizes.get(&id).map_or(0, |s| s.0)
    }

    /// Characters of visible text under `id` that are not inside links.
    pub fn prose(&self, id: NodeId) -> usize {
        self.sizes.get(&id).map_or(0, |s| s.0 - s.1.min(s.0))
    }

    /// Whether the prose under `id` is at most half of the page's: what a
    /// class name or a tag may drop.
    pub fn is_minor(&self, id: NodeId) -> bool {
        self.prose(id) * 2 <= self.total_prose
    }

    /// Share of the text under `id` inside links, 0 to 1.
    pub fn link_density(&self, id: NodeId) -> f64 {
        match self.sizes.get(&id) {
            Some(&(text, link)) if text > 0 => link.min(text) as f64 / text as f64,
            _ => 0.0,
        }
    }
}

/// The nodes under `root` in document order, skipping what a reader never sees.
fn visible_preorder(root: NodeRef<'_, Node>) -> Vec<NodeRef<'_, Node>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if let Node::Element(el) = node.value()
            && is_hidden(el)
        {
            continue;
        }
        out.push(node);
        for child in node.children().rev() {
            stack.push(child);
        }
    }
    out
}

/// Elements whose text a reader never sees.
pub(super) fn is_hidden(el: &scraper::node::Element) -> bool {
    HIDDEN_ELEMENTS.contains(&el.name())
        || el.attr("hidden").is_some()
        || el.attr("aria-hidden") == Some("true")
        || el.attr("style").is_some_and(|style| {
            let style: String = style
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            style.contains("display:none") || style.contains("visibility:hidden")
        })
}

/// The lower-cased words of an element's class and id, split at `-` and `_`.
pub(super) fn class_words(el: &scraper::node::Element) -> impl Iterator<Item = String> + '_ {
    el.attr("class")
        .into_iter()
        .chain(el.attr("id"))
        .flat_map(|v| v.split(|c: char| c.is_whitespace() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
}

/// What `el` itself says about the text inside it.
fn own_marks(el: &scraper::node::Element, text_chars: usize) -> Marks {
    let name = el.name();
    let mut marks = Marks {
        heading: matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6"),
        list: name == "li",
        ..Marks::default()
    };
    if text_chars > MAX_MARKED_CHARS {
        return marks;
    }
    marks.caption = CAPTION_ELEMENTS.contains(&name);
    marks.meta = matches!(name, "time" | "address");
    if el.attr("rel") == Some("author")
        || el
            .attr("itemprop")
            .is_some_and(|p| p.contains("author") || p.contains("date"))
    {
        marks.meta = true;
    }
    for word in class_words(el) {
        if CAPTION_WORDS.contains(&word.as_str()) {
            marks.caption = true;
        } else if META_WORDS.contains(&word.as_str()) {
            marks.meta = true;
        }
    }
    marks
}

/// Text accumulated since the last block boundary.
#[derive(Default)]
struct Run {
    /// An image was seen since the last block.
    after_image: bool,
    raw: String,
    chars: usize,
    link: usize,
    heading: usize,
    caption: usize,
    meta: usize,
}

/// The blocks under `root` in document order. Elements for which `skip`
/// says true are left out with everything inside them.
pub(super) fn blocks(
    root: ElementRef<'_>,
    sizes: &TextSizes,
    skip: impl Fn(ElementRef<'_>) -> bool,
) -> Vec<Block> {
    enum Step<'a> {
        Enter(NodeRef<'a, Node>, Marks, bool),
        Leave,
    }
    let mut out = Vec::new();
    let mut run = Run::default();
    // The block elements open around the current run, with their marks.
    let mut containers: Vec<(NodeId, Marks)> = vec![(root.id(), Marks::default())];
    let mut stack = vec![Step::Enter(*root, Marks::default(), false)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Leave => {
                flush(&mut run, &containers, &mut out);
                containers.pop();
            }
            Step::Enter(node, marks, in_link) => match node.value() {
                Node::Text(text) => {
                    let chars = text.trim().chars().count();
                    if chars == 0 {
                        run.raw.push(' ');
                        continue;
                    }
                    run.raw.push_str(text);
                    run.chars += chars;
                    if in_link {
                        run.link += chars;
                    }
                    if marks.heading {
                        run.heading += chars;
                    }
                    if marks.caption {
                        run.caption += chars;
                    }
                    if marks.meta {
                        run.meta += chars;
                    }
                }
                Node::Element(el) => {
                    let Some(element) = ElementRef::wrap(node) else {
                        continue;
                    };
                    if is_hidden(el) || (node.id() != root.id() && skip(element)) {
                        continue;
                    }
                    let name = el.name();
                    let inner = marks.with(own_marks(el, sizes.text(node.id())));
                    let in_link = in_link || name == "a";
                    if matches!(name, "img" | "picture" | "video") {
                        flush(&mut run, &containers, &mut out);
                        run.after_image = true;
                        continue;
                    }
                    if name == "br" || name == "hr" {
                        flush(&mut run, &containers, &mut out);
                        continue;
                    }
                    if BLOCK_ELEMENTS.contains(&name) && node.id() != root.id() {
                        flush(&mut run, &containers, &mut out);
                        containers.push((node.id(), inner));
                        stack.push(Step::Leave);
                    }
                    for child in node.children().rev() {
                        stack.push(Step::Enter(child, inner, in_link));
                    }
                }
                _ => {}
            },
        }
    }
    flush(&mut run, &containers, &mut out);
    out
}

fn flush(run: &mut Run, containers: &[(NodeId, Marks)], out: &mut Vec<Block>) {
    if run.chars == 0 {
        run.raw.clear();
        return;
    }
    let taken = std::mem::take(run);
    let Some(&(container, container_marks)) = containers.last() else {
        return;
    };
    let most = |n: usize| n * 2 > taken.chars;
    let text = collapse_whitespace(&taken.raw);
    let chars = text.chars().count();
    out.push(Block {
        container,
        text,
        chars,
        link_chars: taken.link.min(chars),
        marks: Marks {
            heading: most(taken.heading),
            caption: most(taken.caption),
            meta: most(taken.meta),
            list: container_marks.list,
        },
        after_image: taken.after_image,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn texts(html: &str) -> Vec<(String, Marks)> {
        let doc = Html::parse_document(html);
        let root = doc.root_element();
        let sizes = TextSizes::of(root);
        blocks(root, &sizes, |_| false)
            .into_iter()
            .map(|b| (b.text, b.marks))
            .collect()
    }

    #[test]
    fn div_text_and_br_runs_are_blocks() {
        let got = texts("<div>One <b>two</b><br>three<br><br>four<div>five</div>six</div>");
        let got: Vec<_> = got.into_iter().map(|(t, _)| t).collect();
        assert_eq!(got, ["One two", "three", "four", "five", "six"]);
    }

    #[test]
    fn marks_follow_the_elements_around_the_text() {
        let got = texts(
            "<h1>Title</h1><p class=\"byline\">By <a>Ann</a></p>\
             <figure><img><figcaption>Photo: Getty</figcaption></figure>\
             <p>Body <span class=\"date\">x</span> text.</p><ul><li>item</li></ul>",
        );
        assert!(got[0].1.heading);
        assert!(got[1].1.meta && !got[1].1.heading);
        assert!(got[2].1.caption);
        assert_eq!(got[3].0, "Body x text.");
        assert_eq!(got[3].1, Marks::default());
        assert!(got[4].1.list);
    }

    #[test]
    fn a_long_container_is_not_marked_by_its_class() {
        let body = "word ".repeat(200);
        let got = texts(&format!("<div class=\"post-meta\"><p>{body}</p></div>"));
        assert!(!got[0].1.meta);
    }

    #[test]
    fn hidden_text_is_not_a_block() {
        let got =
            texts("<p hidden>a</p><p style=\"display: none\">b</p><script>c</script><p>d</p>");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "d");
    }
}
