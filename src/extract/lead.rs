//! Where the article starts: the blocks a page puts before its first
//! sentence (title, kicker, byline, dates, reading time, share row, dek,
//! lead image caption and credit, ad labels) are left out of the summary,
//! and captions and credits anywhere else too.
//!
//! A block is the start when it reads as prose: no heading, caption or
//! byline markup around it, few links, not the page's title again, and
//! either long or a whole sentence that does not look like a byline, a
//! credit or a date. When no block reads as prose, the text starts at the
//! first block that is not marked as a caption, heading or byline.

use super::blocks::Block;
use super::text::width;

/// A block at least this wide is prose whatever its punctuation.
const LONG_WIDTH: usize = 120;

/// A shorter block is prose only as a whole sentence at least this wide.
const SENTENCE_WIDTH: usize = 40;

/// Letters and digits a block needs to be taken for part of the title.
const MIN_TITLE_LETTERS: usize = 20;

/// A short sentence starts the article when prose follows it.
const SHORT_SENTENCE_WIDTH: usize = 10;

/// A heading starts the article when it is a whole sentence this wide.
const HEADING_SENTENCE_WIDTH: usize = 60;

/// A dek is no wider than this.
const DEK_WIDTH: usize = 400;

/// A short block that starts with one of these is a caption or a credit.
const CREDIT_LEADS: &[&str] = &[
    "photo:",
    "photos:",
    "(photo",
    "image:",
    "images:",
    "image source",
    "photograph:",
    "photo by",
    "photo credit",
    "credit:",
    "courtesy of",
    "illustration by",
    "illustration:",
    "©",
    "(c)",
    "view images",
    "view this photo",
    "getty image",
    "reuters/",
    "ap photo",
    "associated press",
    "istock",
    "shutterstock",
];

/// A short block that names one of these and is not a sentence (or is very
/// short) is a credit: "Spencer Platt/Getty Images", "Andrew Harnik/Shutterstock".
const CREDIT_NAMES: &[&str] = &[
    "getty image",
    "reuters/",
    "ap photo",
    "afp/",
    "/afp",
    "shutterstock",
    "istock",
    "associated press",
    "courtesy of",
    "©",
];

/// A block naming a credit source is a credit whatever its punctuation when
/// it is no wider than this.
const CREDIT_WIDTH: usize = 30;

/// A short block that starts with one of these is a date line.
const DATE_PREFIXES: &[&str] = &[
    "posted ",
    "published ",
    "updated ",
    "last updated",
    "filed under",
];

/// A short block that starts with one of these is a byline, sentence or not.
const BYLINE_PREFIXES: &[&str] = &[
    "editors:",
    "editor:",
    "authors:",
    "author:",
    "written by",
    "words by",
    "story by",
    "reporting by",
];

/// Date lines are no wider than this.
const DATE_WIDTH: usize = 80;

/// A short block that starts with one of these, unless it is a sentence,
/// is a byline or a label.
const META_PREFIXES: &[&str] = &[
    "by ",
    "advertisement",
    "sponsored",
    "[pr]",
    "continue reading",
    "read more",
    "share",
    "listen",
    "watch",
    "video",
    "editor",
];

/// Blocks no wider than this can be a byline, credit or label by their words.
const SHORT_WIDTH: usize = 160;

/// The article's text: from the first block that reads as its prose, with
/// captions and credits left out, joined with spaces.
pub(super) fn article_text(blocks: &[Block], title: &[String]) -> String {
    let titles: Vec<String> = title
        .iter()
        .map(|t| letters(t))
        .filter(|t| !t.is_empty())
        .collect();
    let start = (0..blocks.len())
        .find(|&i| starts_article(blocks, i, &titles))
        .or_else(|| blocks.iter().position(|b| !is_marked(b)))
        .unwrap_or(blocks.len());
    let parts: Vec<&str> = blocks[start..]
        .iter()
        .filter(|b| !b.marks.caption && !is_credit(&b.text))
        .map(|b| b.text.as_str())
        .collect();
    parts.join(" ")
}

fn is_marked(block: &Block) -> bool {
    block.marks.heading || block.marks.caption || block.marks.meta
}

/// Whether `blocks[i]` is the article's first prose: prose itself, or a
/// short sentence (a greeting, a dateline, a one-line first paragraph)
/// that prose follows; and not a dek (a standfirst between the title and
/// the byline row).
fn starts_article(blocks: &[Block], i: usize, titles: &[String]) -> bool {
    let block = &blocks[i];
    let text = block.text.as_str();
    if is_title(text, titles) || is_credit(text) || is_meta_line(text) {
        return false;
    }
    // A caption without markup: a photo credit follows it directly, with
    // no image between ("(Mike Cason/mcason@al.com)", "REUTERS/Brendan
    // McDermid"); a credit after an image belongs to that image.
    if width(text) <= SHORT_WIDTH
        && blocks.get(i + 1).is_some_and(|next| {
            !next.marks.caption
                && !next.after_image
                && is_credit(&next.text)
                && next.text.contains('/')
        })
    {
        return false;
    }
    let next_prose = || {
        blocks[i + 1..]
            .iter()
            .filter(|b| !b.marks.caption && !is_credit(&b.text))
            .take(2)
            .any(|b| is_prose(b, titles))
    };
    let start = is_prose(block, titles)
        || (is_plain(block)
            && width(text) >= SHORT_SENTENCE_WIDTH
            && ends_sentence(text)
            && (text.split_whitespace().count() >= 2 || width(text) >= 2 * SHORT_SENTENCE_WIDTH)
            && next_prose())
        || (block.marks.heading
            && !block.marks.caption
            && !block.marks.meta
            && (HEADING_SENTENCE_WIDTH..=SHORT_WIDTH).contains(&width(text))
            && ends_sentence(text)
            && text.matches(['.', '!', '?', '。']).count() == 1
            && next_prose());
    start && !is_dek(blocks, i, titles)
}

/// Prose: plain, wide enough, and either long or a whole sentence.
fn is_prose(block: &Block, titles: &[String]) -> bool {
    let text = block.text.as_str();
    let wide = width(text);
    is_plain(block)
        && wide >= SENTENCE_WIDTH
        && !is_credit(text)
        && !is_meta_line(text)
        && !is_title(text, titles)
        && (wide >= LONG_WIDTH || ends_sentence(text))
}

/// No heading, caption, byline or list markup around it, and few links.
fn is_plain(block: &Block) -> bool {
    !is_marked(block) && !block.marks.list && block.link_density() <= 0.5
}

/// A dek: the first prose right after the title, short, and followed by a
/// byline, date or link row before the body.
fn is_dek(blocks: &[Block], i: usize, titles: &[String]) -> bool {
    // A paragraph that ends with a colon introduces what follows it.
    if width(&blocks[i].text) > DEK_WIDTH || blocks[i].text.trim_end().ends_with(':') {
        return false;
    }
    let after_title = blocks[..i].iter().rev().find(|b| {
        b.marks.heading || is_title(&b.text, titles) || (!b.marks.meta && !b.marks.caption)
    });
    let follows_title = after_title.is_some_and(|b| b.marks.heading || is_title(&b.text, titles));
    if !follows_title {
        return false;
    }
    let mut gap = false;
    for next in &blocks[i + 1..] {
        if is_prose(next, titles) {
            return gap;
        }
        // A byline or date row, or a row of links (tags, share), between
        // it and the body; a list, code or a short question after a first
        // paragraph are the article's own.
        if next.marks.meta || is_meta_line(&next.text) || next.link_density() > 0.5 {
            gap = true;
        }
    }
    false
}

/// A caption or photo credit.
fn is_credit(text: &str) -> bool {
    let wide = width(text);
    if wide > SHORT_WIDTH {
        return false;
    }
    let lower = text.to_lowercase();
    // "(Mike Cason/mcason@al.com)", "(Luis Sinco / Los Angeles Times)"
    let parenthesised = text.starts_with('(') && text.ends_with(')') && text.contains('/');
    let names = CREDIT_NAMES.iter().any(|m| lower.contains(m));
    parenthesised
        || CREDIT_LEADS.iter().any(|m| lower.starts_with(m))
        || (names && (wide <= CREDIT_WIDTH || !ends_sentence(text)))
}

/// A byline, a date line, an ad label or a reading time.
fn is_meta_line(text: &str) -> bool {
    if width(text) > SHORT_WIDTH {
        return false;
    }
    let lower = text.to_lowercase();
    if width(text) <= DATE_WIDTH && DATE_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    if BYLINE_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    if META_PREFIXES.iter().any(|p| lower.starts_with(p)) && !ends_sentence(text) {
        return true;
    }
    if lower.contains("min read") || lower.contains("minute read") {
        return true;
    }
    // Mostly digits and date words: "Dec. 13, 2016, 12:31 PM UTC".
    let digits = text.chars().filter(char::is_ascii_digit).count();
    digits * 4 >= text.chars().filter(|c| !c.is_whitespace()).count()
}

/// The page's title (or the title with the site's name) shown again.
fn is_title(text: &str, titles: &[String]) -> bool {
    let block = letters(text);
    // A few words that happen to be in the title are not the title.
    (block.chars().count() >= MIN_TITLE_LETTERS || titles.contains(&block))
        && titles.iter().any(|t| {
            t.contains(&block) || (block.starts_with(t.as_str()) && block.len() < t.len() + 40)
        })
}

/// Whether the text ends as a sentence does (closing quotes and emoji
/// after the mark allowed).
pub(super) fn ends_sentence(text: &str) -> bool {
    text.trim_end_matches(|c: char| {
        matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '»' | '」' | '』')
            || c.is_whitespace()
            || (u32::from(c) >= 0x2190 && !c.is_alphanumeric() && !is_sentence_mark(c))
    })
    .ends_with(is_sentence_mark)
}

fn is_sentence_mark(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？' | ':')
}

/// Lower-cased letters and digits only, for comparing titles.
fn letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::blocks::Marks;

    fn block(text: &str) -> Block {
        Block {
            container: ego_tree::Tree::new(0).root().id(),
            text: text.to_string(),
            chars: text.chars().count(),
            link_chars: 0,
            marks: Marks::default(),
            after_image: false,
        }
    }

    #[test]
    fn leading_title_byline_credit_and_date_are_skipped() {
        let blocks = [
            block("Helter Shelter: NYC's Fallout Shelters Basically Don't Exist Anymore"),
            block("by Nathan Tempey"),
            block("Published March 3, 2016 10:42 AM"),
            block("Image source: Getty Images."),
            block("(Photo: Brett Davis, USA TODAY Sports)"),
            block("Dec. 13, 2016, 12:31 PM UTC"),
            block(
                "The city's fallout shelters were stocked with crackers in the 1960s, and most are gone.",
            ),
            block("Second paragraph."),
            block("REUTERS/Brendan McDermid"),
        ];
        let title = [
            "Helter Shelter: NYC's Fallout Shelters Basically Don't Exist Anymore | Gothamist"
                .to_string(),
        ];
        assert_eq!(
            article_text(&blocks, &title),
            "The city's fallout shelters were stocked with crackers in the 1960s, and most are gone. Second paragraph."
        );
    }

    #[test]
    fn a_sentence_that_starts_with_by_is_prose() {
        let blocks = [block(
            "By the time the vote came, the Senate had already gone home for the night.",
        )];
        assert!(article_text(&blocks, &[]).starts_with("By the time"));
    }

    #[test]
    fn a_first_paragraph_before_a_list_is_not_a_dek() {
        let mut title = block("Miniflux 2");
        title.marks.heading = true;
        let mut item = block("Written in Go");
        item.marks.list = true;
        let blocks = [
            title,
            block("Miniflux is a minimalist and opinionated feed reader:"),
            item,
            block("It's simple, fast, lightweight and super easy to install, on any machine."),
        ];
        assert!(article_text(&blocks, &[]).starts_with("Miniflux is a minimalist"));
    }

    #[test]
    fn a_dek_between_the_title_and_the_byline_is_skipped() {
        let mut title = block("The secret of the giant flowers");
        title.marks.heading = true;
        let mut author = block("Christie Wilcox");
        author.marks.meta = true;
        let blocks = [
            title,
            block("Their bizarre genome shows what parasites can do: steal, delete and copy DNA."),
            author,
            block(
                "At first sight they are invisible. In their home, the forests of South-East Asia, they creep along.",
            ),
        ];
        assert!(article_text(&blocks, &[]).starts_with("At first sight"));
    }

    #[test]
    fn marked_blocks_never_start_the_article() {
        let mut dek =
            block("A long dek that reads like a sentence and is wide enough to count as prose.");
        dek.marks.meta = true;
        let blocks = [
            dek,
            block("The body starts here, and it is a real sentence of the article."),
        ];
        assert!(article_text(&blocks, &[]).starts_with("The body starts here"));
    }
}
