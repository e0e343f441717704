//! Entry titles as the text a reader sees: feed text types read, stray
//! entities decoded, and a title made from the text of an entry that has
//! none. Never touches links or dates.

use crate::extract;

/// Longest title made from an entry's text, in characters.
pub const MAX_DERIVED_TITLE: usize = 100;

/// A title for an entry that has none, as Miniflux makes one: the start of
/// its text, cut at a word boundary near [`MAX_DERIVED_TITLE`] characters.
/// `None` when the entry has no text (its post is then titled by its URL).
pub(super) fn title_from_text(html: Option<&str>) -> Option<String> {
    let text = extract::clean_feed_text(&extract::html_to_text(html?));
    if text.chars().count() <= MAX_DERIVED_TITLE {
        return Some(text).filter(|t| !t.is_empty());
    }
    let cut: String = text.chars().take(MAX_DERIVED_TITLE).collect();
    // Keep whole words; one longer than the whole limit is cut where it is.
    let words = match cut.rfind(char::is_whitespace) {
        Some(space) if space >= MAX_DERIVED_TITLE / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    let words = words.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—".contains(c));
    Some(format!("{words}…"))
}

/// A feed text as plain text: HTML-typed text is converted, and plain text
/// gets its stray entities (`&#8217;`, `&amp;`) decoded, as feeds often
/// escape twice.
///
/// RSS says nothing of the type of its titles, and real feeds put HTML in
/// them (craigslist's `1930ft<sup>2</sup>`, livemint's `<span
/// class='webrupee'>₹</span>`, in CDATA). With `guess_html`, plain text
/// that [looks like HTML](looks_like_html) is read as HTML, as feedparser
/// does for every format but Atom, whose `type="text"` is explicit.
pub(super) fn text_of(text: &feed_rs::model::Text, guess_html: bool) -> String {
    let subtype = text.content_type.subty();
    if subtype == "html"
        || subtype == "xhtml"
        || (guess_html && subtype == "plain" && looks_like_html(&text.content))
    {
        return extract::html_to_text(&text.content);
    }
    plain_text(&text.content)
}

/// Whether plain text is really HTML, by feedparser's conservative test
/// (`looks_like_html`): it closes at least one tag, and every tag it opens
/// or closes is a known HTML element. A title such as `Vec<T> in Rust` or
/// `a <b` stays text.
fn looks_like_html(text: &str) -> bool {
    let mut closes_a_tag = false;
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let tag = rest.strip_prefix('/').unwrap_or(rest);
        let name_len = tag
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(tag.len());
        if name_len == 0 {
            continue;
        }
        if !HTML_ELEMENTS.contains(&tag[..name_len].to_ascii_lowercase().as_str()) {
            return false;
        }
        closes_a_tag |= closing && tag[name_len..].starts_with('>');
    }
    closes_a_tag
}

/// The elements feedparser's sanitizer accepts, which its HTML test allows.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "big",
    "blockquote",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "command",
    "datagrid",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "event-source",
    "fieldset",
    "figcaption",
    "figure",
    "font",
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
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "keygen",
    "label",
    "legend",
    "li",
    "m",
    "map",
    "menu",
    "meter",
    "multicol",
    "nav",
    "nextid",
    "noscript",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "pre",
    "progress",
    "q",
    "s",
    "samp",
    "section",
    "select",
    "small",
    "sound",
    "source",
    "spacer",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
];

/// Plain text with its stray entities decoded and white space collapsed.
/// With `<` escaped, `html_to_text` reads no markup but applies html5ever's
/// full entity table, decoding each reference once.
pub(super) fn plain_text(text: &str) -> String {
    if text.contains('&') {
        extract::html_to_text(&text.replace('<', "&lt;"))
    } else {
        extract::collapse_whitespace(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_titles_are_cut_at_a_word() {
        let short = title_from_text(Some("<p>Just a <b>short</b> note.</p>"));
        assert_eq!(short.as_deref(), Some("Just a short note."));
        assert_eq!(title_from_text(Some("<p> </p><img src=x>")), None);
        assert_eq!(title_from_text(None), None);
        let unbroken = "x".repeat(300);
        let cut = title_from_text(Some(&unbroken)).expect("title");
        assert_eq!(cut.chars().count(), MAX_DERIVED_TITLE + 1, "cut, with …");
        // Words: cut after the last whole one within the limit.
        let words = "word ".repeat(40);
        assert_eq!(
            title_from_text(Some(&words)).as_deref(),
            Some(format!("{}…", "word ".repeat(20).trim_end()).as_str())
        );
        // A comma before the cut goes with the cut.
        let clause = format!("{}, {}", "a".repeat(90), "b".repeat(30));
        assert_eq!(
            title_from_text(Some(&clause)).as_deref(),
            Some(format!("{}…", "a".repeat(90)).as_str())
        );
    }

    #[test]
    fn plain_text_is_read_as_html_only_when_it_looks_like_html() {
        let cases = [
            ("1930ft<sup>2</sup>", true),
            ("raise <span class='webrupee'>₹</span>4,000", true),
            ("a <b>bold</b> move", true),
            ("Vec<T> in Rust", false),
            ("a < b and c > d", false),
            ("<br> only opens", false),
            ("<custom>x</custom>", false),
            ("<b>mixed</b> with <T>", false),
            ("no tags at all &amp;", false),
        ];
        for (text, want) in cases {
            assert_eq!(looks_like_html(text), want, "{text}");
        }
    }

    #[test]
    fn entities_decode_once() {
        assert_eq!(
            plain_text("a &amp;amp; &#x41; &bogus; & b"),
            "a &amp; A &bogus; & b"
        );
    }
}
