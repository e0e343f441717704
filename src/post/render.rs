//! Rendering: a post's fields in, the markdown file's text out.
//!
//! Pure. The front matter is YAML written by hand with fixed keys, because the
//! maintained YAML serializers either are archived (serde_yaml) or reorder and
//! restyle values; every scalar goes through [`yaml_string`], which is proven
//! against a real YAML parser by the tests, so no title can break the file.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use url::Url;

/// Everything that goes into one link post.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// The entry's title, as plain text.
    pub title: String,
    /// Publication time (updated time, then first-seen time as fallbacks).
    pub date: DateTime<FixedOffset>,
    /// The feed's configured tags, then those from the entry's categories
    /// (see [`merge_tags`](super::tags::merge_tags)).
    pub tags: Vec<String>,
    /// The feed's configured name.
    pub source: String,
    /// The article's URL: canonical where the page names one, else the
    /// entry link without tracking parameters.
    pub external_url: Url,
    /// Whether the post waits for review.
    pub draft: bool,
    /// Short summary, cut at `tldr_length`.
    pub tldr: String,
    /// Longer summary, cut at `summary_length`.
    pub summary: String,
    /// The entry's author, when the feed names one (for `body_template`).
    pub author: Option<String>,
    /// The entry's categories as the feed wrote them (for `body_template`;
    /// tags come from them only through `tags_from_categories`).
    pub categories: Vec<String>,
}

/// Renders the post as YAML front matter plus the one-line link body.
pub fn render_post(post: &Post) -> String {
    let mut out = String::with_capacity(512 + post.tldr.len() + post.summary.len());
    out.push_str("---\n");
    push_key(&mut out, "title", &yaml_string(&post.title));
    let date = post.date.to_rfc3339_opts(SecondsFormat::Secs, false);
    push_key(&mut out, "date", &yaml_string(&date));
    if post.tags.is_empty() {
        push_key(&mut out, "tags", "[]");
    } else {
        out.push_str("tags:\n");
        for tag in &post.tags {
            out.push_str("- ");
            out.push_str(&yaml_string(tag));
            out.push('\n');
        }
    }
    push_key(&mut out, "source", &yaml_string(&post.source));
    push_key(
        &mut out,
        "external_url",
        &yaml_url(post.external_url.as_str()),
    );
    push_key(&mut out, "post_kind", "link");
    push_key(&mut out, "draft", if post.draft { "true" } else { "false" });
    push_key(&mut out, "tldr", &yaml_string(&post.tldr));
    push_key(&mut out, "summary", &yaml_string(&post.summary));
    out.push_str("---\n");
    out.push_str(&markdown_link(
        "Open the original post ↗",
        post.external_url.as_str(),
    ));
    out.push('\n');
    out
}

fn push_key(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(": ");
    out.push_str(value);
    out.push('\n');
}

/// A markdown inline link; URLs with parentheses or spaces go in `<…>`.
pub(super) fn markdown_link(text: &str, url: &str) -> String {
    if url.contains(['(', ')', ' ', '<', '>']) {
        format!(
            "[{text}](<{}>)",
            url.replace('<', "%3C").replace('>', "%3E")
        )
    } else {
        format!("[{text}]({url})")
    }
}

/// Characters YAML 1.2 allows unescaped in a document (its `c-printable`).
fn is_yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Characters that need the double-quoted style: anything not printable, and
/// the line and tab characters whose meaning single quotes would fold away.
fn needs_escape(c: char) -> bool {
    !is_yaml_printable(c)
        || matches!(
            c,
            '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
        )
}

/// Whether any character of `s` [needs an escape](needs_escape), checked a
/// byte at a time (a summary is quoted on every post): printable ASCII needs
/// none, other ASCII does, and the non-ASCII characters that do are U+0080 to
/// U+009F (C2 80 to C2 9F), U+2028 and U+2029 (E2 80 A8, E2 80 A9), U+FEFF
/// (EF BB BF), U+FFFE and U+FFFF (EF BF BE, EF BF BF).
fn needs_double_quotes(s: &str) -> bool {
    let bytes = s.as_bytes();
    // Sixteen bytes at a time, without stopping early inside a chunk, so
    // the check compiles to vector instructions.
    let control = |chunk: &[u8]| {
        chunk
            .iter()
            .fold(false, |any, &b| any | (b < 0x20) | (b == 0x7f))
    };
    if bytes.chunks(16).any(control) {
        return true;
    }
    memchr::memchr3_iter(0xc2, 0xe2, 0xef, bytes).any(|i| {
        let next = &bytes[i + 1..];
        match bytes[i] {
            0xc2 => next.first().is_some_and(|n| (0x80..=0x9f).contains(n)),
            0xe2 => next.starts_with(&[0x80, 0xa8]) || next.starts_with(&[0x80, 0xa9]),
            _ => {
                next.starts_with(&[0xbb, 0xbf])
                    || next.starts_with(&[0xbf, 0xbe])
                    || next.starts_with(&[0xbf, 0xbf])
            }
        }
    })
}

/// Quotes `s` as a YAML scalar that reads back as exactly `s`.
///
/// Single-quoted when it needs no escapes (the seed's style), double-quoted
/// with escapes otherwise.
pub fn yaml_string(s: &str) -> String {
    if !needs_double_quotes(s) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for (i, part) in s.split('\'').enumerate() {
            if i > 0 {
                out.push_str("''");
            }
            out.push_str(part);
        }
        out.push('\'');
        return out;
    }
    let mut out = String::with_capacity(s.len() + 8);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02X}"));
                } else {
                    out.push_str(&format!("\\u{code:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes a URL plain, as the seed does, when YAML cannot misread it.
fn yaml_url(url: &str) -> String {
    let plain_safe = url.starts_with("http://") || url.starts_with("https://");
    let plain_safe = plain_safe
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?&=%+@;!$*,'()[]".contains(&b));
    // A plain scalar may not end with `:`, which would read as a mapping key.
    if plain_safe && !url.ends_with(':') {
        url.to_string()
    } else {
        yaml_string(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_byte_check_agrees_with_the_character_check(s in "(?s).{0,40}", t in "[ -~\u{80}-\u{a0}\u{2027}-\u{202a}\u{feff}\u{fffd}-\u{ffff}\t\n]{0,20}") {
            for s in [s.as_str(), t.as_str()] {
                proptest::prop_assert_eq!(needs_double_quotes(s), s.chars().any(needs_escape), "{:?}", s);
            }
        }
    }

    #[test]
    fn the_byte_check_agrees_at_every_boundary() {
        for code in [
            0x0, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0x84, 0x85, 0x86, 0x9f, 0xa0, 0xff, 0x2027, 0x2028,
            0x2029, 0x202a, 0xfefe, 0xfeff, 0xff00, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x10ffff,
        ] {
            let c = char::from_u32(code).expect("a character");
            assert_eq!(
                needs_double_quotes(&format!("a{c}b")),
                needs_escape(c),
                "U+{code:04X}"
            );
        }
    }

    #[test]
    fn quotes_plainly_when_possible() {
        assert_eq!(yaml_string("it's: #1"), "'it''s: #1'");
        assert_eq!(yaml_string("a\tb\nc"), "\"a\\tb\\nc\"");
        assert_eq!(
            yaml_string("nul\0 bel\u{7} del\u{7f}"),
            "\"nul\\0 bel\\x07 del\\x7F\""
        );
        assert_eq!(yaml_string("ls\u{2028}"), "\"ls\\u2028\"");
    }

    #[test]
    fn renders_keys_in_order() {
        let post = Post {
            title: "T".into(),
            date: DateTime::parse_from_rfc3339("2025-09-09T13:21:00+00:00").expect("valid date"),
            tags: vec!["cncf".into()],
            source: "CNCF".into(),
            external_url: Url::parse("https://www.cncf.io/blog/x/").expect("valid url"),
            draft: true,
            tldr: "Short.".into(),
            summary: "Long.".into(),
            author: None,
            categories: Vec::new(),
        };
        let want = "---\ntitle: 'T'\ndate: '2025-09-09T13:21:00+00:00'\ntags:\n- 'cncf'\nsource: 'CNCF'\n\
                    external_url: https://www.cncf.io/blog/x/\npost_kind: link\ndraft: true\n\
                    tldr: 'Short.'\nsummary: 'Long.'\n---\n[Open the original post ↗](https://www.cncf.io/blog/x/)\n";
        assert_eq!(render_post(&post), want);
    }

    #[test]
    fn hostile_tags_are_quoted_and_read_back_exactly() {
        let tags = ["a: b\n- c", "<script>", "'quoted'", "#x", "- y", "[z]"];
        let post = Post {
            title: "T".into(),
            date: DateTime::parse_from_rfc3339("2025-09-09T13:21:00+00:00").expect("valid date"),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            source: "S".into(),
            external_url: Url::parse("https://e.example/x").expect("valid url"),
            draft: true,
            tldr: String::new(),
            summary: String::new(),
            author: None,
            categories: Vec::new(),
        };
        let text = render_post(&post);
        let front = super::super::front_matter::read(&text).expect("valid front matter");
        let read: Vec<&str> = front
            .list("tags")
            .expect("tags is a list")
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(read, tags);
    }
}
