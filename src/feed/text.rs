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
pub(super) fn text_of(text: &feed_rs::model::Text) -> String {
    if text.content_type.subty() == "html" || text.content_type.subty() == "xhtml" {
        return extract::html_to_text(&text.content);
    }
    plain_text(&text.content)
}

/// Plain text with its stray entities decoded and white space collapsed.
pub(super) fn plain_text(text: &str) -> String {
    if text.contains('&') {
        extract::collapse_whitespace(&decode_entities(text))
    } else {
        extract::collapse_whitespace(text)
    }
}

/// Decodes character references without interpreting any markup: with
/// `<` escaped, html5ever (through scraper) applies its full entity table to
/// plain text, decoding each reference once.
fn decode_entities(text: &str) -> String {
    let fragment = scraper::Html::parse_fragment(&text.replace('<', "&lt;"));
    fragment.root_element().text().collect()
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
    }

    #[test]
    fn entities_decode_once() {
        assert_eq!(
            decode_entities("a &amp;amp; &#x41; &bogus; & b"),
            "a &amp; A &bogus; & b"
        );
    }
}
