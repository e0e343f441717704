//! Front matter of posts on disk: reading what a reviewer may have edited,
//! and flipping `draft` without touching any other byte.
//!
//! Pure. [`render`](super::render) writes front matter; this module reads it
//! back from a file a person may have changed by hand. The YAML between the
//! `---` lines goes through a real YAML parser (saphyr), whose spans locate
//! the `draft` value exactly, so [`set_draft`] rewrites those few bytes and
//! nothing else: not the key order, not the quoting, not a comment.

use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::render::yaml_string;

/// Why a file's front matter could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    /// The file does not start with a `---` line.
    #[error("it does not start with a `---` front matter line")]
    Missing,
    /// No closing `---` line.
    #[error("its front matter has no closing `---` line")]
    Unterminated,
    /// The TOML between `+++` lines does not parse.
    #[error("its front matter is not valid TOML (line {line}): {message}")]
    Toml {
        /// Line in the file, 1-based.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// The YAML does not parse.
    #[error("its front matter is not valid YAML (line {line}): {message}")]
    Yaml {
        /// Line in the file, 1-based.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// The front matter is not a mapping of keys to values.
    #[error("its front matter is not a mapping of keys to values")]
    NotAMapping,
    /// No `draft` key.
    #[error("its front matter has no `draft` key")]
    NoDraft,
    /// `draft` holds something other than a boolean.
    #[error("its front matter has `draft: {0}`, which is neither true nor false")]
    DraftNotBoolean(String),
}

/// The front matter of one post file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    /// Top-level keys with plain text values (nested values are skipped).
    pub fields: HashMap<String, String>,
    /// Top-level keys whose values are lists of text (such as `tags`).
    pub lists: HashMap<String, Vec<String>>,
    /// The `draft` flag's value.
    pub draft: bool,
    /// Byte range of the `draft` value in the file.
    draft_span: Range<usize>,
    /// Byte ranges in the file of each top-level value, for [`set_fields`],
    /// and whether the range starts right after the key's colon (nested
    /// values and block scalars) rather than at the value's first byte.
    values: HashMap<String, (Range<usize>, bool)>,
    /// Where the closing `---` (or `+++`) line starts: new keys go before it.
    yaml_end: usize,
    /// YAML (`---`) or TOML (`+++`, Hugo's and Zola's).
    toml: bool,
}

impl FrontMatter {
    /// The text value of a top-level key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// The list value of a top-level key (each item's text).
    pub fn list(&self, key: &str) -> Option<&[String]> {
        self.lists.get(key).map(Vec::as_slice)
    }
}

/// A new value for a front matter key, for [`set_fields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewValue {
    /// A text value.
    Text(String),
    /// A list of texts.
    List(Vec<String>),
}

/// A nested value being read: where its text starts, where its last
/// event ended, and its items when it is a list of texts.
struct Nested {
    key: String,
    start: usize,
    end: usize,
    items: Option<Vec<String>>,
}

/// Reads the front matter at the start of `text`: YAML between `---`
/// lines, or TOML between `+++` lines (`front_matter = "toml"` or
/// `"zola"`; Zola's `[taxonomies]` and `[extra]` keys are read as if they
/// were at the top).
pub fn read(text: &str) -> Result<FrontMatter, FrontMatterError> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if let Some(start) = line_len_if(&text[bom..], "+++") {
        return read_toml(text, bom + start);
    }
    let yaml_start = bom + line_len_if(&text[bom..], "---").ok_or(FrontMatterError::Missing)?;
    let yaml_len = closing_line(&text[yaml_start..]).ok_or(FrontMatterError::Unterminated)?;
    let yaml = &text[yaml_start..yaml_start + yaml_len];
    let line_offset = text[..yaml_start].matches('\n').count();
    let yaml_err = |e: saphyr_parser::ScanError| FrontMatterError::Yaml {
        line: line_offset + e.marker().line(),
        message: e.info().to_string(),
    };

    let mut fields = HashMap::new();
    let mut lists = HashMap::new();
    let mut values = HashMap::new();
    let mut draft = None;
    let mut depth = 0usize;
    let mut key: Option<(String, usize)> = None;
    let mut nested: Option<Nested> = None;
    for event in Parser::new_from_str(yaml) {
        let (event, span) = event.map_err(yaml_err)?;
        let start = char_to_byte(yaml, span.start.index());
        let end = char_to_byte(yaml, span.end.index());
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) => {}
            Event::DocumentEnd | Event::Nothing => {}
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 0 && !matches!(event, Event::MappingStart(..)) {
                    return Err(FrontMatterError::NotAMapping);
                }
                depth += 1;
                if depth == 2 {
                    // A nested value (e.g. `tags`): its text runs from just
                    // after its key's colon.
                    if let Some((k, key_end)) = key.take() {
                        let colon = yaml[key_end..]
                            .find(':')
                            .map_or(key_end, |i| key_end + i + 1);
                        nested = Some(Nested {
                            key: k,
                            start: colon,
                            end: end.max(colon),
                            items: matches!(event, Event::SequenceStart(..)).then(Vec::new),
                        });
                    }
                } else if let Some(n) = nested.as_mut() {
                    n.items = None;
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if let Some(n) = nested.as_mut()
                    && end > start
                {
                    // A flow collection's closing bracket (the parser's span
                    // can run on over a comment after it).
                    n.end = start + 1;
                }
                if depth == 1
                    && let Some(n) = nested.take()
                {
                    values.insert(
                        n.key.clone(),
                        (yaml_start + n.start..yaml_start + n.end, true),
                    );
                    if let Some(items) = n.items {
                        lists.insert(n.key, items);
                    }
                }
            }
            Event::Scalar(value, style, ..) if depth == 1 => match key.take() {
                None => {
                    let key_end = scalar_end(yaml, start, end, style);
                    key = Some((value.into_owned(), key_end));
                }
                Some((k, key_end)) => {
                    let end = scalar_end(yaml, start, end, style);
                    if k == "draft" {
                        draft = Some((
                            value.to_string(),
                            style,
                            yaml_start + start..yaml_start + end,
                        ));
                    }
                    let range = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        // A block scalar: from after the colon (its `|` or
                        // `>` included) to its last line's text; the line
                        // break after it stays.
                        let colon = yaml[key_end..]
                            .find(':')
                            .map_or(key_end, |i| key_end + i + 1);
                        let block_end = colon + yaml[colon..end.max(colon)].trim_end().len();
                        (yaml_start + colon..yaml_start + block_end, true)
                    } else {
                        (yaml_start + start..yaml_start + end, false)
                    };
                    values.insert(k.clone(), range);
                    fields.insert(k, value.into_owned());
                }
            },
            Event::Scalar(value, style, ..) => {
                if let Some(n) = nested.as_mut() {
                    n.end = n.end.max(scalar_end(yaml, start, end, style));
                    if depth == 2
                        && let Some(items) = n.items.as_mut()
                    {
                        items.push(value.into_owned());
                    }
                }
            }
            Event::Alias(_) if depth == 1 => {
                // An alias as a key or a value: skip the pair it belongs to.
                if key.take().is_none() {
                    key = Some((String::new(), end));
                }
            }
            Event::Alias(_) => {
                if let Some(n) = nested.as_mut() {
                    n.end = n.end.max(end);
                    n.items = None;
                }
            }
        }
    }
    if fields.is_empty() && draft.is_none() && !yaml.trim().is_empty() {
        return Err(FrontMatterError::NotAMapping);
    }
    let (value, style, draft_span) = draft.ok_or(FrontMatterError::NoDraft)?;
    let draft = match (style, value.as_str()) {
        (ScalarStyle::Plain, "true" | "True" | "TRUE") => true,
        (ScalarStyle::Plain, "false" | "False" | "FALSE") => false,
        _ => return Err(FrontMatterError::DraftNotBoolean(value)),
    };
    Ok(FrontMatter {
        fields,
        lists,
        draft,
        draft_span,
        values,
        yaml_end: yaml_start + yaml_len,
        toml: false,
    })
}

/// Reads TOML front matter starting at `toml_start` (after the `+++` line).
fn read_toml(text: &str, toml_start: usize) -> Result<FrontMatter, FrontMatterError> {
    let mut len = None;
    let mut offset = 0;
    for line in text[toml_start..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            len = Some(offset);
            break;
        }
        offset += line.len();
    }
    let toml_len = len.ok_or(FrontMatterError::Unterminated)?;
    let source = &text[toml_start..toml_start + toml_len];
    let line_offset = text[..toml_start].matches('\n').count();
    let doc = toml_edit::Document::parse(source).map_err(|e| FrontMatterError::Toml {
        line: line_offset
            + e.span()
                .map_or(0, |s| source[..s.start].matches('\n').count() + 1),
        message: e.message().trim().to_string(),
    })?;
    let mut fields = HashMap::new();
    let mut lists = HashMap::new();
    let mut values = HashMap::new();
    let mut draft = None;
    let mut read_table = |table: &toml_edit::Table| {
        for (key, item) in table.iter() {
            let Some(value) = item.as_value() else {
                continue;
            };
            let Some(span) = value.span() else {
                continue;
            };
            let range = toml_start + span.start..toml_start + span.end;
            match value {
                toml_edit::Value::Boolean(b) if key == "draft" => {
                    draft = Some((*b.value(), range.clone()));
                }
                toml_edit::Value::String(s) => {
                    fields.insert(key.to_string(), s.value().clone());
                }
                toml_edit::Value::Datetime(d) => {
                    fields.insert(key.to_string(), d.value().to_string());
                }
                toml_edit::Value::Array(items) => {
                    let texts: Option<Vec<String>> = items
                        .iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect();
                    if let Some(texts) = texts {
                        lists.insert(key.to_string(), texts);
                    }
                }
                _ => {}
            }
            values.entry(key.to_string()).or_insert((range, false));
        }
    };
    read_table(doc.as_table());
    for nested in ["taxonomies", "extra"] {
        if let Some(table) = doc.get(nested).and_then(toml_edit::Item::as_table) {
            read_table(table);
        }
    }
    let (draft, draft_span) = match (draft, doc.get("draft")) {
        (Some(found), _) => found,
        (None, Some(other)) => {
            return Err(FrontMatterError::DraftNotBoolean(
                other.to_string().trim().to_string(),
            ));
        }
        (None, None) => return Err(FrontMatterError::NoDraft),
    };
    Ok(FrontMatter {
        fields,
        lists,
        draft,
        draft_span,
        values,
        yaml_end: toml_start + toml_len,
        toml: true,
    })
}

/// Where a scalar's text ends. The parser's span of a quoted scalar can run
/// on past its closing quote (over a comment after it), so quoted scalars
/// are measured here; plain ones end where the parser says.
fn scalar_end(yaml: &str, start: usize, end: usize, style: ScalarStyle) -> usize {
    let rest = &yaml[start..];
    let found = match style {
        ScalarStyle::SingleQuoted => {
            // `''` inside is an escaped quote.
            let mut chars = rest.char_indices().skip(1).peekable();
            let mut close = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().map(|&(_, c)| c) == Some('\'') {
                        chars.next();
                    } else {
                        close = Some(i + 1);
                        break;
                    }
                }
            }
            close
        }
        ScalarStyle::DoubleQuoted => {
            let mut chars = rest.char_indices().skip(1);
            let mut close = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => {
                        close = Some(i + 1);
                        break;
                    }
                    _ => {}
                }
            }
            close
        }
        _ => None,
    };
    found.map_or(end, |len| start + len)
}

/// `text` with the front matter's `draft` value set to `draft`; every other
/// byte is kept. `front_matter` must be what [`read`] returned for `text`.
pub fn set_draft(text: &str, front_matter: &FrontMatter, draft: bool) -> String {
    let span = front_matter.draft_span.clone();
    let mut out = String::with_capacity(text.len() + 1);
    out.push_str(&text[..span.start]);
    out.push_str(if draft { "true" } else { "false" });
    out.push_str(&text[span.end..]);
    out
}

/// `text` with the values of `changes` replaced, quoted as
/// [`render`](super::render) quotes them; a key the front matter lacks is
/// added at its end. Every byte outside the replaced values is kept: the
/// other keys, their order and quoting, comments, the body. `front_matter`
/// must be what [`read`] returned for `text`.
pub fn set_fields(text: &str, front_matter: &FrontMatter, changes: &[(&str, NewValue)]) -> String {
    if front_matter.toml {
        return set_toml_fields(text, front_matter, changes);
    }
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut added = String::new();
    for (key, value) in changes {
        match front_matter.values.get(*key) {
            Some((range, nested)) => {
                let nested = *nested;
                let new = match value {
                    NewValue::Text(s) if nested => format!(" {}", yaml_string(s)),
                    NewValue::Text(s) => yaml_string(s),
                    NewValue::List(items) if nested => block_list(items),
                    // A scalar becomes a list: written after the colon, so
                    // the block list starts on its own line.
                    NewValue::List(items) => {
                        let colon = text[..range.start]
                            .rfind(':')
                            .map_or(range.start, |i| i + 1);
                        edits.push((colon..range.end, block_list(items)));
                        continue;
                    }
                };
                edits.push((range.clone(), new));
            }
            None => {
                added.push_str(key);
                added.push(':');
                match value {
                    NewValue::Text(s) => {
                        added.push(' ');
                        added.push_str(&yaml_string(s));
                    }
                    NewValue::List(items) => added.push_str(&block_list(items)),
                }
                added.push('\n');
            }
        }
    }
    apply_edits(text, front_matter, edits, added)
}

/// [`set_fields`] for TOML front matter: each value replaced by its TOML
/// form on one line; a missing key added before the closing `+++` (for
/// Zola's, that is inside `[extra]`, where linkpost's own keys live).
fn set_toml_fields(text: &str, front_matter: &FrontMatter, changes: &[(&str, NewValue)]) -> String {
    use super::format::{toml_list, toml_string};
    let render = |value: &NewValue| match value {
        NewValue::Text(s) => toml_string(s),
        NewValue::List(items) => toml_list(items),
    };
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut added = String::new();
    for (key, value) in changes {
        match front_matter.values.get(*key) {
            Some((range, _)) => edits.push((range.clone(), render(value))),
            None => {
                added.push_str(key);
                added.push_str(" = ");
                added.push_str(&render(value));
                added.push('\n');
            }
        }
    }
    apply_edits(text, front_matter, edits, added)
}

/// `text` with each `(range, new text)` of `edits` replaced, and `added`
/// (new keys) put before the closing line.
fn apply_edits(
    text: &str,
    front_matter: &FrontMatter,
    mut edits: Vec<(Range<usize>, String)>,
    added: String,
) -> String {
    if !added.is_empty() {
        edits.push((front_matter.yaml_end..front_matter.yaml_end, added));
    }
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = text.to_string();
    for (range, new) in edits {
        out.replace_range(range, &new);
    }
    out
}

/// A block list after a key's colon: `\n- 'a'\n- 'b'`, or ` []`.
fn block_list(items: &[String]) -> String {
    if items.is_empty() {
        return " []".to_string();
    }
    let mut out = String::new();
    for item in items {
        out.push_str("\n- ");
        out.push_str(&yaml_string(item));
    }
    out
}

/// The length of `text`'s first line (with its line end) when that line is
/// `marker`, give or take trailing blanks.
fn line_len_if(text: &str, marker: &str) -> Option<usize> {
    let (line, len) = match text.find('\n') {
        Some(end) => (&text[..end], end + 1),
        None => (text, text.len()),
    };
    (line.trim_end() == marker).then_some(len)
}

/// The offset of the line closing the front matter (`---` or `...`).
fn closing_line(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == "---" || bare == "..." {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The byte offset of the `index`-th character of `text`.
fn char_to_byte(text: &str, index: usize) -> usize {
    text.char_indices()
        .nth(index)
        .map_or(text.len(), |(byte, _)| byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = "---\ntitle: 'Ünïcode: a \"post\"'\ndate: '2025-09-09T13:21:00+00:00'\n\
        tags:\n- cncf\nsource: CNCF\ndraft: true # review me\ntldr: 'short'\n---\nbody\n";

    #[test]
    fn reads_top_level_values_and_the_draft_flag() {
        let fm = read(POST).expect("front matter");
        assert!(fm.draft);
        assert_eq!(fm.get("title"), Some("Ünïcode: a \"post\""));
        assert_eq!(fm.get("source"), Some("CNCF"));
        assert_eq!(fm.get("tldr"), Some("short"));
        assert_eq!(fm.get("tags"), None, "nested values are skipped");
    }

    #[test]
    fn set_draft_changes_only_the_value() {
        let fm = read(POST).expect("front matter");
        let approved = set_draft(POST, &fm, false);
        assert_eq!(approved, POST.replace("draft: true #", "draft: false #"));
        let again = read(&approved).expect("front matter");
        assert!(!again.draft);
        assert_eq!(set_draft(&approved, &again, true), POST);
    }

    #[test]
    fn a_body_line_that_looks_like_draft_is_not_touched() {
        let text = "---\r\ntitle: x\r\ndraft: True\r\n---\r\ndraft: true\r\n";
        let fm = read(text).expect("front matter");
        assert_eq!(
            set_draft(text, &fm, false),
            "---\r\ntitle: x\r\ndraft: false\r\n---\r\ndraft: true\r\n"
        );
    }

    #[test]
    fn a_nested_draft_key_is_not_the_flag() {
        let text = "---\nparams:\n  draft: false\ndraft: true\n---\n";
        let fm = read(text).expect("front matter");
        assert!(fm.draft);
        assert_eq!(
            set_draft(text, &fm, false),
            text.replacen("draft: true", "draft: false", 1)
        );
    }

    #[test]
    fn set_fields_replaces_only_the_values_edited() {
        let text = "---\ntitle: 'Old: \"one\"\n  two' # the title\ndate: x\ntags:\n- cncf # mine\n- 'b'\n\
            source: S\ndraft: true # review me\ntldr: plain words\n---\nbody: 'x'\n";
        let fm = read(text).expect("front matter");
        assert_eq!(
            fm.list("tags"),
            Some(&["cncf".to_string(), "b".to_string()][..])
        );
        let edited = set_fields(
            text,
            &fm,
            &[
                ("title", NewValue::Text("New \u{2014} it's \"here\"".into())),
                ("tags", NewValue::List(vec!["a".into(), "b: c".into()])),
                ("tldr", NewValue::Text("line one\nline two".into())),
                ("summary", NewValue::Text("added".into())),
            ],
        );
        assert_eq!(
            edited,
            "---\ntitle: 'New \u{2014} it''s \"here\"' # the title\ndate: x\ntags:\n- 'a'\n- 'b: c'\n\
             source: S\ndraft: true # review me\ntldr: \"line one\\nline two\"\nsummary: 'added'\n---\nbody: 'x'\n"
        );
        let again = read(&edited).expect("still front matter");
        assert_eq!(again.get("title"), Some("New \u{2014} it's \"here\""));
        assert_eq!(again.get("tldr"), Some("line one\nline two"));
        assert_eq!(again.get("summary"), Some("added"));
        assert_eq!(
            again.list("tags"),
            Some(&["a".to_string(), "b: c".to_string()][..])
        );
        assert!(again.draft);
    }

    #[test]
    fn set_fields_handles_flow_and_empty_lists() {
        let text = "---\ntags: [x, 'y'] # t\ndraft: false\n---\n";
        let fm = read(text).expect("front matter");
        let edited = set_fields(text, &fm, &[("tags", NewValue::List(vec![]))]);
        assert_eq!(edited, "---\ntags: [] # t\ndraft: false\n---\n");
        let fm = read(&edited).expect("front matter");
        let edited = set_fields(&edited, &fm, &[("tags", NewValue::List(vec!["z".into()]))]);
        assert_eq!(edited, "---\ntags:\n- 'z' # t\ndraft: false\n---\n");
        assert_eq!(
            read(&edited).expect("fm").list("tags"),
            Some(&["z".to_string()][..])
        );
    }

    #[test]
    fn set_fields_replaces_block_and_multi_line_plain_scalars_whole() {
        let text = "---\ntldr: |\n  line one\n  line two\n\nsummary: plain words\n  that go on # note\n\
            draft: true\n---\n";
        let fm = read(text).expect("front matter");
        let edited = set_fields(
            text,
            &fm,
            &[
                ("tldr", NewValue::Text("t".into())),
                ("summary", NewValue::Text("s".into())),
            ],
        );
        let again = read(&edited).expect("still front matter");
        assert_eq!(again.get("tldr"), Some("t"), "{edited}");
        assert_eq!(again.get("summary"), Some("s"), "{edited}");
        assert!(again.draft);
        assert!(edited.contains("# note\ndraft: true\n"), "{edited}");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(read("title: x\n"), Err(FrontMatterError::Missing));
        assert_eq!(read("---\ntitle: x\n"), Err(FrontMatterError::Unterminated));
        assert_eq!(read("---\ntitle: x\n---\n"), Err(FrontMatterError::NoDraft));
        assert_eq!(
            read("---\ndraft: 'true'\n---\n"),
            Err(FrontMatterError::DraftNotBoolean("true".into()))
        );
        assert_eq!(
            read("---\ndraft: maybe\n---\n"),
            Err(FrontMatterError::DraftNotBoolean("maybe".into()))
        );
        assert_eq!(read("---\n- a\n---\n"), Err(FrontMatterError::NotAMapping));
        assert!(matches!(
            read("---\ntitle: 'open\ndraft: true\n---\n"),
            Err(FrontMatterError::Yaml { .. })
        ));
    }

    #[test]
    fn reads_what_render_writes() {
        let post = crate::post::render::Post {
            title: "---\n- a: 'b' #c".into(),
            date: chrono::DateTime::parse_from_rfc3339("2025-09-09T13:21:00+00:00").expect("date"),
            tags: vec!["a".into(), "b: c".into()],
            source: "S".into(),
            external_url: url::Url::parse("https://e.com/a?b=c#d").expect("url"),
            draft: true,
            tldr: "t".into(),
            summary: "s\u{202e}".into(),
            author: None,
            categories: Vec::new(),
        };
        let text = crate::post::render::render_post(&post);
        let fm = read(&text).expect("front matter");
        assert!(fm.draft);
        assert_eq!(fm.get("title"), Some(post.title.as_str()));
        assert_eq!(fm.get("summary"), Some(post.summary.as_str()));
        assert_eq!(fm.get("external_url"), Some(post.external_url.as_str()));
        let flipped = set_draft(&text, &fm, false);
        let expected = crate::post::render::render_post(&crate::post::render::Post {
            draft: false,
            ..post
        });
        assert_eq!(flipped, expected);
    }

    fn toml_post(flavour: crate::post::Flavour) -> String {
        let post = crate::post::render::Post {
            title: "A \"title\"\n+++\nwith lines".into(),
            date: chrono::DateTime::parse_from_rfc3339("2025-11-10T16:00:00+00:00").expect("date"),
            tags: vec!["cncf".into(), "k8s".into()],
            source: "CNCF".into(),
            external_url: url::Url::parse("https://www.cncf.io/x/").expect("url"),
            draft: true,
            tldr: "short".into(),
            summary: "long".into(),
            author: None,
            categories: Vec::new(),
        };
        crate::post::PostFormat {
            flavour,
            ..Default::default()
        }
        .render(&post)
    }

    #[test]
    fn toml_and_zola_front_matter_read_approve_and_edit() {
        use crate::post::Flavour;
        for flavour in [Flavour::Toml, Flavour::Zola] {
            let text = toml_post(flavour);
            let fm = read(&text).expect("front matter");
            assert!(fm.draft, "{flavour:?}");
            assert_eq!(fm.get("title"), Some("A \"title\"\n+++\nwith lines"));
            assert_eq!(fm.get("external_url"), Some("https://www.cncf.io/x/"));
            assert_eq!(fm.get("tldr"), Some("short"));
            assert_eq!(fm.get("date"), Some("2025-11-10T16:00:00+00:00"));
            assert_eq!(
                fm.list("tags"),
                Some(&["cncf".to_string(), "k8s".to_string()][..])
            );

            let approved = set_draft(&text, &fm, false);
            assert_eq!(approved, text.replacen("draft = true", "draft = false", 1));
            assert!(!read(&approved).expect("again").draft);

            let edited = set_fields(
                &text,
                &fm,
                &[
                    ("title", NewValue::Text("New \\ title".into())),
                    ("tags", NewValue::List(vec!["mesh".into()])),
                    ("tldr", NewValue::Text("line\nbreak".into())),
                ],
            );
            let again = read(&edited).expect("edited front matter");
            assert_eq!(again.get("title"), Some("New \\ title"));
            assert_eq!(again.list("tags"), Some(&["mesh".to_string()][..]));
            assert_eq!(again.get("tldr"), Some("line\nbreak"));
            assert_eq!(again.get("summary"), Some("long"), "other keys untouched");
            assert!(edited.ends_with(&text[text.rfind("+++").expect("end")..]));
        }
    }

    #[test]
    fn toml_front_matter_errors() {
        assert!(matches!(
            read("+++\ntitle = 'x'\n"),
            Err(FrontMatterError::Unterminated)
        ));
        assert!(matches!(
            read("+++\ntitle = \n+++\n"),
            Err(FrontMatterError::Toml { line: 2, .. })
        ));
        assert!(matches!(
            read("+++\ntitle = 'x'\n+++\n"),
            Err(FrontMatterError::NoDraft)
        ));
        assert!(matches!(
            read("+++\ndraft = 'yes'\n+++\n"),
            Err(FrontMatterError::DraftNotBoolean(_))
        ));
    }
}
