//! Character sets: an article page's bytes decoded as a browser would.
//!
//! Picks the charset from the header, a byte order mark or the first 1024
//! bytes; never builds a document.

/// Decodes an HTML page: the charset of the `Content-Type` header, else a
/// byte order mark, else a `<meta charset>` or `http-equiv` declaration in
/// the first 1024 bytes, else UTF-8. Labels follow the WHATWG Encoding
/// Standard, so `ISO-8859-1` reads as windows-1252, as browsers do.
///
/// A page whose own declaration names a legacy charset but whose bytes are
/// valid UTF-8 with non-ASCII text reads as UTF-8: pages are re-saved and
/// converted without their `<meta>` being updated, and legacy text is
/// almost never valid UTF-8 by chance.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    let from_header = content_type
        .and_then(charset_param)
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()));
    let encoding = from_header
        .or_else(|| encoding_rs::Encoding::for_bom(bytes).map(|(e, _)| e))
        .or_else(|| {
            meta_charset(&bytes[..bytes.len().min(1024)]).map(|declared| {
                if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
                    encoding_rs::UTF_8
                } else {
                    declared
                }
            })
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_declared_legacy_but_saved_as_utf8_reads_as_utf8() {
        let page = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">\
                    <p>脆弱性対策情報データベース</p>";
        assert!(decode_html(page.as_bytes(), None).contains("脆弱性対策情報"));
        // Real Shift_JIS bytes still read as Shift_JIS.
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(page);
        assert!(decode_html(&sjis, None).contains("脆弱性対策情報"));
        // The header is trusted as it is.
        let latin = decode_html(
            "<p>café</p>".as_bytes(),
            Some("text/html; charset=windows-1252"),
        );
        assert_eq!(latin, "<p>cafÃ©</p>");
    }
}
