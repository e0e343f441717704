//! Filters: which entries a feed keeps out, by the `include` and `exclude`
//! lists of case-insensitive regular expressions (Miniflux's keep and block
//! rules). Pure: patterns are compiled once, when the config is loaded, and
//! matched here; recording what is kept out is `refresh::classify`'s work.
//!
//! A pattern matches the entry's title, summary, categories (each one on its
//! own) and URL, or one of them when it starts with a field name and a
//! colon: `title:`, `summary:`, `category:` (or `categories:`), `url:`.
//! An entry is kept out when any `exclude` pattern matches, or when the
//! `include` list is not empty and none of its patterns matches.

use std::cell::OnceCell;

use regex::{Regex, RegexBuilder};
use url::Url;

use crate::feed::FeedItem;

/// Largest compiled program of one pattern, in bytes: a hostile config
/// (`\w{1000}{1000}`) is refused instead of taking the machine's memory.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Largest lazy DFA cache of one pattern while it matches, in bytes.
const PATTERN_DFA_SIZE_LIMIT: usize = 1 << 20;

/// The part of an entry a pattern is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    /// The title, as plain text.
    Title,
    /// The summary (RSS description, Atom summary, JSON Feed summary), or
    /// the content when there is none, as plain text.
    Summary,
    /// Each category (RSS `<category>`, Atom `term`, JSON Feed `tags`) on
    /// its own, so `^podcast$` matches a whole category.
    Category,
    /// The link, canonicalised as the dedupe key is (tracking parameters
    /// dropped, host lower-cased).
    Url,
}

impl FilterField {
    /// Every field, in the order an unprefixed pattern tries them: the
    /// cheap ones first, the summary (whose HTML is read) last.
    const ALL: [FilterField; 4] = [
        FilterField::Title,
        FilterField::Url,
        FilterField::Category,
        FilterField::Summary,
    ];

    /// The field a prefix names, if any.
    fn from_prefix(prefix: &str) -> Option<FilterField> {
        match prefix {
            "title" => Some(FilterField::Title),
            "summary" => Some(FilterField::Summary),
            "category" | "categories" => Some(FilterField::Category),
            "url" => Some(FilterField::Url),
            _ => None,
        }
    }
}

/// A pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The text before the first colon looks like a field name but is none.
    #[error(
        "unknown field \"{0}\" before ':'; write title:, summary:, category: or url:, \
         or \\: for a colon the pattern itself holds"
    )]
    UnknownField(String),
    /// Nothing to match: it would match every entry.
    #[error("the pattern is empty, so it would match every entry")]
    Empty,
    /// Not a regular expression the `regex` crate accepts, or too big.
    #[error("invalid regular expression: {0}")]
    Regex(String),
}

/// One compiled pattern, with the text it was written as.
#[derive(Debug, Clone)]
pub struct FilterPattern {
    /// As written in the config, prefix included.
    written: String,
    /// The field it is limited to; `None` for every field.
    field: Option<FilterField>,
    regex: Regex,
}

// Two patterns are equal when they were written alike (a `Regex` has no
// equality of its own).
impl PartialEq for FilterPattern {
    fn eq(&self, other: &FilterPattern) -> bool {
        self.written == other.written
    }
}

impl FilterPattern {
    /// Compiles `written`: an optional `field:` prefix, then a regular
    /// expression matched ignoring case.
    ///
    /// A prefix is text of ASCII letters before the first colon; other text
    /// there (`https://`, `\:`) is part of the expression.
    pub fn parse(written: &str) -> Result<FilterPattern, FilterError> {
        let (field, expression) = match written.split_once(':') {
            Some((prefix, rest))
                if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphabetic()) =>
            {
                let field = FilterField::from_prefix(&prefix.to_ascii_lowercase())
                    .ok_or_else(|| FilterError::UnknownField(prefix.to_string()))?;
                (Some(field), rest)
            }
            _ => (None, written),
        };
        if expression.is_empty() {
            return Err(FilterError::Empty);
        }
        let regex = RegexBuilder::new(expression)
            .case_insensitive(true)
            .size_limit(PATTERN_SIZE_LIMIT)
            .dfa_size_limit(PATTERN_DFA_SIZE_LIMIT)
            .build()
            .map_err(|e| FilterError::Regex(one_line(&e)))?;
        Ok(FilterPattern {
            written: written.to_string(),
            field,
            regex,
        })
    }

    /// The pattern as written in the config.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// Whether the pattern matches any of its fields of `entry`.
    fn matches(&self, entry: &EntryFields<'_>) -> bool {
        let fields: &[FilterField] = match &self.field {
            Some(field) => std::slice::from_ref(field),
            None => &FilterField::ALL,
        };
        fields.iter().any(|&field| match field {
            FilterField::Title => entry.title.is_some_and(|t| self.regex.is_match(t)),
            FilterField::Url => self.regex.is_match(entry.url.as_str()),
            FilterField::Category => entry.categories.iter().any(|c| self.regex.is_match(c)),
            FilterField::Summary => self.regex.is_match(entry.summary()),
        })
    }
}

/// A `regex::Error` as one line: a syntax error's own message prints the
/// pattern and a caret on lines of their own.
fn one_line(err: &regex::Error) -> String {
    let text = err.to_string();
    text.lines()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .map_or_else(
            || text.split_whitespace().collect::<Vec<_>>().join(" "),
            str::to_string,
        )
}

/// Why an entry is kept out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterReason {
    /// This `exclude` pattern (as written) matched.
    Excluded(String),
    /// The `include` list is not empty and none of its patterns matched.
    NotIncluded,
}

impl std::fmt::Display for FilterReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterReason::Excluded(pattern) => write!(f, "exclude pattern \"{pattern}\" matched"),
            FilterReason::NotIncluded => f.write_str("no include pattern matched"),
        }
    }
}

/// A feed's filter: the top-level lists joined with the feed's own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryFilter {
    /// When not empty, an entry must match one of these to be kept.
    pub include: Vec<FilterPattern>,
    /// An entry matching any of these is kept out.
    pub exclude: Vec<FilterPattern>,
}

impl EntryFilter {
    /// Whether the filter keeps every entry without looking at it.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Why `item`, whose canonical link is `link`, is kept out; `None` when
    /// it is kept. `exclude` is tried first, so a pattern is named whenever
    /// one matched.
    pub fn check(&self, item: &FeedItem, link: &Url) -> Option<FilterReason> {
        if self.is_empty() {
            return None;
        }
        let entry = EntryFields {
            title: item.title.as_deref(),
            url: link,
            categories: &item.categories,
            summary_html: item
                .summary_html
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .or(item.content_html.as_deref()),
            summary: OnceCell::new(),
        };
        if let Some(pattern) = self.exclude.iter().find(|p| p.matches(&entry)) {
            return Some(FilterReason::Excluded(pattern.written.clone()));
        }
        if !self.include.is_empty() && !self.include.iter().any(|p| p.matches(&entry)) {
            return Some(FilterReason::NotIncluded);
        }
        None
    }
}

/// The fields of one entry patterns are matched against; the summary's
/// text is made from its HTML once, and only when a pattern needs it.
struct EntryFields<'a> {
    title: Option<&'a str>,
    url: &'a Url,
    categories: &'a [String],
    summary_html: Option<&'a str>,
    summary: OnceCell<String>,
}

impl EntryFields<'_> {
    fn summary(&self) -> &str {
        self.summary.get_or_init(|| {
            self.summary_html
                .map(crate::extract::html_to_text)
                .unwrap_or_default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> EntryFilter {
        let compile = |list: &[&str]| {
            list.iter()
                .map(|p| FilterPattern::parse(p).expect(p))
                .collect()
        };
        EntryFilter {
            include: compile(include),
            exclude: compile(exclude),
        }
    }

    fn entry() -> (FeedItem, Url) {
        let link = Url::parse("https://blog.example/jobs/2025/rust-engineer").expect("url");
        let item = FeedItem {
            title: Some("We are hiring: Rust Engineer".into()),
            link: Some(link.clone()),
            summary_html: Some("<p>Join the <b>Platform</b> team, sponsored by ACME.</p>".into()),
            categories: vec!["Careers".into(), "Cloud Native".into()],
            ..FeedItem::default()
        };
        (item, link)
    }

    #[test]
    fn patterns_match_fields_ignoring_case_and_include_meets_exclude() {
        let not_included = Some(FilterReason::NotIncluded);
        let excluded = |p: &str| Some(FilterReason::Excluded(p.to_string()));
        /// (case, include, exclude, verdict)
        type Case<'a> = (&'a str, Vec<&'a str>, Vec<&'a str>, Option<FilterReason>);
        let cases: Vec<Case> = vec![
            ("no patterns keep everything", vec![], vec![], None),
            (
                "unprefixed: the title",
                vec![],
                vec!["hiring"],
                excluded("hiring"),
            ),
            (
                "unprefixed: the url",
                vec![],
                vec!["/jobs/"],
                excluded("/jobs/"),
            ),
            (
                "unprefixed: a category",
                vec![],
                vec!["^careers$"],
                excluded("^careers$"),
            ),
            (
                "unprefixed: the summary's text",
                vec![],
                vec!["platform team"],
                excluded("platform team"),
            ),
            ("the summary's tags are not text", vec![], vec!["<b>"], None),
            (
                "case is ignored",
                vec![],
                vec!["RUST ENGINEER"],
                excluded("RUST ENGINEER"),
            ),
            (
                "title: only the title",
                vec![],
                vec!["title:sponsored"],
                None,
            ),
            (
                "summary: the summary",
                vec![],
                vec!["summary:sponsored"],
                excluded("summary:sponsored"),
            ),
            ("url: only the url", vec![], vec!["url:hiring"], None),
            (
                "url: matches",
                vec![],
                vec!["url:/jobs/"],
                excluded("url:/jobs/"),
            ),
            (
                "category: a whole category",
                vec![],
                vec!["category:^cloud native$"],
                excluded("category:^cloud native$"),
            ),
            (
                "categories: is category:",
                vec![],
                vec!["categories:^native"],
                None,
            ),
            (
                "the prefix in any case",
                vec![],
                vec!["Title:HIRING"],
                excluded("Title:HIRING"),
            ),
            (
                "a prefix before a URL",
                vec![],
                vec!["url:https://blog"],
                excluded("url:https://blog"),
            ),
            (
                "a colon after non-letters is the expression's",
                vec![],
                vec!["[:] rust"],
                excluded("[:] rust"),
            ),
            (
                "an escaped colon",
                vec![],
                vec![r"hiring\: rust"],
                excluded(r"hiring\: rust"),
            ),
            ("an include that matches keeps", vec!["rust"], vec![], None),
            (
                "an include that misses keeps out",
                vec!["golang", "title:platform"],
                vec![],
                not_included.clone(),
            ),
            (
                "one of several includes is enough",
                vec!["golang", "summary:platform"],
                vec![],
                None,
            ),
            (
                "exclude wins over a matching include",
                vec!["rust"],
                vec!["acme"],
                excluded("acme"),
            ),
            (
                "the first exclude that matches is named",
                vec![],
                vec!["nothing", "title:rust", "url:jobs"],
                excluded("title:rust"),
            ),
        ];
        let (item, link) = entry();
        for (case, include, exclude, want) in cases {
            assert_eq!(
                filter(&include, &exclude).check(&item, &link),
                want,
                "{case}"
            );
        }
    }

    #[test]
    fn an_entry_without_a_summary_is_matched_by_its_content() {
        let (mut item, link) = entry();
        item.summary_html = None;
        item.content_html = Some("<div>Full text about eBPF</div>".into());
        let only = filter(&["summary:ebpf"], &[]);
        assert_eq!(only.check(&item, &link), None);
        item.content_html = None;
        item.title = None;
        assert_eq!(only.check(&item, &link), Some(FilterReason::NotIncluded));
    }

    #[test]
    fn bad_patterns_are_refused_in_one_line() {
        assert_eq!(
            FilterPattern::parse("author:bob"),
            Err(FilterError::UnknownField("author".into()))
        );
        assert_eq!(
            FilterPattern::parse("https://blog.example"),
            Err(FilterError::UnknownField("https".into())),
            "a URL needs its url: prefix"
        );
        assert_eq!(FilterPattern::parse(""), Err(FilterError::Empty));
        assert_eq!(FilterPattern::parse("title:"), Err(FilterError::Empty));
        let Err(FilterError::Regex(message)) = FilterPattern::parse("title:(sponsor") else {
            panic!("an unclosed group is refused");
        };
        assert_eq!(message, "unclosed group");
        let Err(FilterError::Regex(message)) = FilterPattern::parse(r"\w{1000}{1000}") else {
            panic!("a pattern over the size limit is refused");
        };
        assert!(message.contains("size limit"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}
