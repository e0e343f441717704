//! A feed's bytes as UTF-8 when they do not say what they are: a feed that
//! declares no encoding (or declares UTF-8) but is not valid UTF-8 is read as
//! windows-1252, as feedparser, browsers and Miniflux's sniffing do, unless
//! it is mostly UTF-8 with a few stray bytes.
//!
//! quick-xml (under feed-rs) already honours an XML declaration's encoding
//! and UTF-16 byte order marks; such documents are left to it. The HTTP
//! `Content-Type` charset does not reach this module (the fetcher does not
//! pass it), so a body is judged by its bytes alone.

use std::borrow::Cow;

use encoding_rs::{UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

const UTF_8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// An XML document as quick-xml should read it: unchanged when it is UTF-8,
/// UTF-16 or declares another encoding, else decoded (see the module doc).
pub(super) fn xml_as_utf8(bytes: &[u8]) -> Cow<'_, [u8]> {
    if std::str::from_utf8(bytes).is_ok() || is_utf16(bytes) {
        return Cow::Borrowed(bytes);
    }
    match declared_encoding(bytes) {
        // quick-xml decodes what the document declares.
        Some(label) if encoding_rs::Encoding::for_label(label) != Some(UTF_8) => {
            Cow::Borrowed(bytes)
        }
        _ => Cow::Owned(undeclared_as_utf8(bytes).into_bytes()),
    }
}

/// A document without an encoding declaration (JSON) as UTF-8 text.
pub(super) fn text_as_utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(undeclared_as_utf8(bytes)),
    }
}

/// Bytes that are not valid UTF-8 and name no other encoding: UTF-8 with
/// the bad bytes replaced when the valid multi-byte characters outnumber
/// them (a UTF-8 feed with a stray Latin-1 byte), else windows-1252 (a
/// Latin-1 feed, whose accented letters are almost never valid UTF-8).
fn undeclared_as_utf8(bytes: &[u8]) -> String {
    if bytes.starts_with(UTF_8_BOM) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    if multibyte > invalid {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
        text.into_owned()
    }
}

/// UTF-16, by its byte order mark or by `<?` written in UTF-16 (XML 1.0
/// appendix F), which quick-xml reads.
fn is_utf16(bytes: &[u8]) -> bool {
    matches!(
        encoding_rs::Encoding::for_bom(bytes),
        Some((e, _)) if e == UTF_16LE || e == UTF_16BE
    ) || bytes.starts_with(b"<\0?\0")
        || bytes.starts_with(b"\0<\0?")
}

/// The `encoding` of the XML declaration that opens the document.
fn declared_encoding(bytes: &[u8]) -> Option<&[u8]> {
    let bytes = bytes.strip_prefix(UTF_8_BOM).unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = bytes[start..].strip_prefix(b"<?xml")?;
    let declaration = &rest[..rest.windows(2).position(|w| w == b"?>")?];
    let at = declaration.windows(8).position(|w| w == b"encoding")?;
    let value = declaration[at + 8..]
        .trim_ascii_start()
        .strip_prefix(b"=")?;
    let value = value.trim_ascii_start();
    let quote = *value.first().filter(|q| matches!(q, b'"' | b'\''))?;
    let value = &value[1..];
    Some(&value[..value.iter().position(|&b| b == quote)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_1_without_a_declaration_reads_as_windows_1252() {
        // regression: #12. UOL Notícias: ISO-8859-1, no XML declaration.
        let bytes = include_bytes!("../../tests/fixtures/feeds/uol-noticias-latin1.rss");
        let text = String::from_utf8(xml_as_utf8(bytes).into_owned()).expect("UTF-8 now");
        assert!(text.contains("<description>Últimas Notícias</description>"));
        let declared_utf8 = b"<?xml version='1.0' encoding='utf-8'?><t>Caf\xe9 \x93x\x94</t>";
        assert_eq!(
            xml_as_utf8(declared_utf8).as_ref(),
            "<?xml version='1.0' encoding='utf-8'?><t>Café “x”</t>".as_bytes(),
            "a false UTF-8 declaration too"
        );
    }

    #[test]
    fn a_stray_byte_in_utf8_is_replaced_not_the_whole_document_reread() {
        let bytes = b"<t>Gr\xc3\xbc\xc3\x9fe aus \xe6\x97\xa5\xe6\x9c\xac \xff</t>";
        assert_eq!(
            xml_as_utf8(bytes).as_ref(),
            "<t>Grüße aus 日本 \u{fffd}</t>".as_bytes()
        );
    }

    #[test]
    fn documents_that_say_their_encoding_are_left_to_quick_xml() {
        let utf8 = "<t>Grüße</t>".as_bytes();
        assert!(matches!(xml_as_utf8(utf8), Cow::Borrowed(_)));
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>Caf\xe9</t>";
        assert!(matches!(xml_as_utf8(latin1), Cow::Borrowed(_)));
        let utf16: Vec<u8> = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>\u{e9}</t>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(matches!(xml_as_utf8(&utf16), Cow::Borrowed(_)));
        assert_eq!(
            declared_encoding(b"\xEF\xBB\xBF <?xml version = '1.0' encoding = 'koi8-r' ?><a/>"),
            Some(&b"koi8-r"[..])
        );
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a/>"), None);
        assert_eq!(declared_encoding(b"<?xml encoding=\"x"), None);
    }

    #[test]
    fn json_text_gets_the_same_guess() {
        assert_eq!(
            text_as_utf8(b"{\"title\": \"Caf\xe9\"}"),
            "{\"title\": \"Café\"}"
        );
    }
}
