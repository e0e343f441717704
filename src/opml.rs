//! OPML subscription lists, as feed readers import and export them.
//!
//! [`parse`] reads the feeds of an OPML file (1.0, 1.1 or 2.0): every
//! `<outline>` with an `xmlUrl`, with the folders it is nested in and its
//! `category` attribute as tags. It is hostile input: the file is capped at
//! [`MAX_OPML_SIZE`], nesting at [`MAX_DEPTH`], the feeds at
//! [`MAX_FEEDS`], and a document type that declares entities (the "billion
//! laughs") is refused, never expanded. [`write()`] makes the OPML 2.0 file
//! `export-opml` prints: feeds grouped in a folder named by their first
//! tag, every tag in `category`, so that readers see folders and an import
//! gets every tag back.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

/// Largest OPML file read: a list of 100,000 feeds is about 20 MB.
pub const MAX_OPML_SIZE: u64 = 32 * 1024 * 1024;
/// Deepest nesting of elements read (`<opml>` and `<body>` count).
pub const MAX_DEPTH: usize = 32;
/// Most feeds read from one file.
pub const MAX_FEEDS: usize = 100_000;
/// Most tags taken for one feed (folders and categories); the rest are
/// left out.
pub const MAX_TAGS: usize = 64;

/// An OPML file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    /// The file is larger than [`MAX_OPML_SIZE`].
    #[error("it is larger than {} MiB; an OPML subscription list is far smaller", MAX_OPML_SIZE / 1024 / 1024)]
    TooLarge,
    /// The XML is broken.
    #[error("it is not well-formed XML (at byte {position}): {message}")]
    Xml {
        /// Byte offset of the problem.
        position: u64,
        /// What the parser said.
        message: String,
    },
    /// The root element is not `<opml>`.
    #[error("it is not OPML: the root element is <{0}>, not <opml>")]
    NotOpml(String),
    /// Outlines nest deeper than [`MAX_DEPTH`].
    #[error("its outlines nest deeper than {MAX_DEPTH} levels; refused as a possible bomb")]
    TooDeep,
    /// More than [`MAX_FEEDS`] feeds.
    #[error("it lists more than {MAX_FEEDS} feeds; refused")]
    TooManyFeeds,
    /// A document type declares entities.
    #[error("it declares XML entities in a DOCTYPE; refused (entity expansion is a known attack)")]
    Entities,
}

/// One feed of an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// Its `title`, else its `text`, trimmed; may be empty.
    pub title: String,
    /// Its `xmlUrl`, trimmed.
    pub xml_url: String,
    /// Its `htmlUrl`, if any.
    pub html_url: Option<String>,
    /// The folders it is in, outermost first, then its `category` values,
    /// without repeats (in any letter case).
    pub tags: Vec<String>,
}

/// Reads the feeds of an OPML document, in document order.
pub fn parse(bytes: &[u8]) -> Result<Vec<OpmlFeed>, OpmlError> {
    if bytes.len() as u64 > MAX_OPML_SIZE {
        return Err(OpmlError::TooLarge);
    }
    let text = as_utf8(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let xml_error = |reader: &quick_xml::Reader<&[u8]>, e: &dyn std::fmt::Display| OpmlError::Xml {
        position: reader.error_position(),
        message: e.to_string(),
    };
    let mut feeds = Vec::new();
    // The folder names of the open outlines (None for an outline that is
    // no folder, e.g. a feed with children).
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(&reader, &e))?;
        match event {
            Event::DocType(doctype) if AsRef::<str>::as_ref(&doctype).contains("ENTITY") => {
                return Err(OpmlError::Entities);
            }
            Event::Start(ref element) | Event::Empty(ref element) => {
                let name = element.local_name().into_inner().to_string();
                if !seen_root {
                    seen_root = true;
                    if !name.eq_ignore_ascii_case("opml") {
                        return Err(OpmlError::NotOpml(name));
                    }
                }
                let is_start = matches!(event, Event::Start(_));
                if name != "outline" {
                    if is_start {
                        push_level(&mut folders, None)?;
                    }
                    continue;
                }
                let outline = Outline::read(element).map_err(|e| xml_error(&reader, &e))?;
                let folder = match outline.xml_url {
                    Some(xml_url) => {
                        if feeds.len() >= MAX_FEEDS {
                            return Err(OpmlError::TooManyFeeds);
                        }
                        let mut tags = Vec::new();
                        for folder in folders.iter().flatten() {
                            push_new_tag(&mut tags, folder);
                        }
                        for tag in outline.categories {
                            push_new_tag(&mut tags, &tag);
                        }
                        feeds.push(OpmlFeed {
                            title: outline.title,
                            xml_url,
                            html_url: outline.html_url,
                            tags,
                        });
                        None
                    }
                    None => Some(outline.title).filter(|t| !t.is_empty()),
                };
                if is_start {
                    push_level(&mut folders, folder)?;
                }
            }
            Event::End(_) => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(OpmlError::NotOpml(String::new()));
    }
    Ok(feeds)
}

/// Opens an element: one level deeper, refused past [`MAX_DEPTH`].
fn push_level(levels: &mut Vec<Option<String>>, folder: Option<String>) -> Result<(), OpmlError> {
    if levels.len() >= MAX_DEPTH {
        return Err(OpmlError::TooDeep);
    }
    levels.push(folder);
    Ok(())
}

/// The attributes of one `<outline>` linkpost reads.
struct Outline {
    title: String,
    xml_url: Option<String>,
    html_url: Option<String>,
    categories: Vec<String>,
}

impl Outline {
    fn read(element: &BytesStart<'_>) -> Result<Outline, quick_xml::Error> {
        let (mut title, mut text) = (None, None);
        let mut outline = Outline {
            title: String::new(),
            xml_url: None,
            html_url: None,
            categories: Vec::new(),
        };
        for attribute in element.attributes().with_checks(false) {
            let attribute = attribute.map_err(quick_xml::Error::from)?;
            let value = attribute.normalized_value(XmlVersion::Implicit1_0)?;
            let value = value.trim();
            // Readers differ in case: `xmlUrl`, `xmlurl`, `XMLURL`.
            let key = attribute.key.local_name().into_inner().to_ascii_lowercase();
            match key.as_str() {
                "title" => title = Some(value.to_string()),
                "text" => text = Some(value.to_string()),
                "xmlurl" if !value.is_empty() => outline.xml_url = Some(value.to_string()),
                "htmlurl" if !value.is_empty() => outline.html_url = Some(value.to_string()),
                "category" => outline.categories = categories(value),
                _ => {}
            }
        }
        outline.title = title
            .filter(|t| !t.is_empty())
            .or(text)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(outline)
    }
}

/// The tags of an OPML 2.0 `category` attribute: comma-separated, each a
/// slash-delimited path whose levels are tags, as nested folders are.
fn categories(value: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for level in value.split(',').flat_map(|path| path.split('/')) {
        if tags.len() == MAX_TAGS {
            break;
        }
        push_new_tag(&mut tags, level);
    }
    tags
}

/// Adds `tag`, trimmed, unless it is empty, `tags` has it in any case, or
/// `tags` holds [`MAX_TAGS`] already (so a hostile `category` of 100,000
/// values costs 64 comparisons each, not 100,000).
fn push_new_tag(tags: &mut Vec<String>, tag: &str) {
    let tag = tag.trim();
    if !tag.is_empty() && tags.len() < MAX_TAGS && !tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    {
        tags.push(tag.to_string());
    }
}

/// The document as UTF-8: unchanged when it is, else decoded as its XML
/// declaration or byte order mark says, else as windows-1252.
fn as_utf8(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text));
    }
    let declared = declared_encoding(bytes).and_then(encoding_rs::Encoding::for_label);
    let encoding = declared.unwrap_or(encoding_rs::WINDOWS_1252);
    let (text, _, _) = encoding.decode(bytes);
    Cow::Owned(text.into_owned())
}

/// The `encoding` of an XML declaration at the start of `bytes`.
fn declared_encoding(bytes: &[u8]) -> Option<&[u8]> {
    let head = bytes.get(..bytes.len().min(200))?;
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let declaration = &head[..end];
    let at = declaration
        .windows(b"encoding".len())
        .position(|w| w == b"encoding")?;
    let rest = &declaration[at + b"encoding".len()..];
    let quote_at = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let quote = rest[quote_at];
    let value = &rest[quote_at + 1..];
    let close = value.iter().position(|&b| b == quote)?;
    Some(&value[..close])
}

/// A feed as `export-opml` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFeed<'a> {
    /// Its name: the outline's `text` and `title`.
    pub name: &'a str,
    /// Its URL: `xmlUrl`.
    pub url: &'a str,
    /// Its tags: the first names its folder, all are in `category`.
    pub tags: &'a [String],
}

/// The OPML 2.0 document of `feeds`: those without tags at the top, the
/// others in a folder per first tag, in order of first appearance.
pub fn write(title: &str, date_created: &str, feeds: &[ExportFeed<'_>]) -> String {
    use quick_xml::escape::escape;
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str(&format!(
        "  <head>\n    <title>{}</title>\n    <dateCreated>{}</dateCreated>\n  </head>\n  <body>\n",
        escape(title),
        escape(date_created)
    ));
    let outline = |feed: &ExportFeed<'_>, indent: &str| {
        let mut line = format!(
            "{indent}<outline type=\"rss\" text=\"{name}\" title=\"{name}\" xmlUrl=\"{url}\"",
            name = escape(feed.name),
            url = escape(feed.url),
        );
        if !feed.tags.is_empty() {
            line.push_str(&format!(" category=\"{}\"", escape(feed.tags.join(","))));
        }
        line.push_str("/>\n");
        line
    };
    let mut folders: Vec<&str> = Vec::new();
    for feed in feeds {
        match feed.tags.first() {
            None => out.push_str(&outline(feed, "    ")),
            Some(tag) if !folders.contains(&tag.as_str()) => folders.push(tag),
            Some(_) => {}
        }
    }
    for folder in folders {
        out.push_str(&format!(
            "    <outline text=\"{name}\" title=\"{name}\">\n",
            name = escape(folder)
        ));
        for feed in feeds
            .iter()
            .filter(|f| f.tags.first().map(String::as_str) == Some(folder))
        {
            out.push_str(&outline(feed, "      "));
        }
        out.push_str("    </outline>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_folders_and_categories_become_tags() {
        let opml = br#"<?xml version="1.0"?>
<opml version="2.0"><head><title>x</title></head><body>
  <outline text="Top" xmlUrl=" https://top.example/feed "/>
  <outline text="Tech">
    <outline text="Cloud Native">
      <outline title="CNCF &amp; friends" text="ignored" xmlUrl="https://www.cncf.io/feed/" htmlUrl="https://www.cncf.io/" category="/news/k8s,tech"/>
    </outline>
    <outline text="Go" type="rss" xmlurl="https://go.dev/blog/feed.atom"/>
  </outline>
  <outline text="Empty folder"/>
</body></opml>"#;
        let feeds = parse(opml).unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].xml_url, "https://top.example/feed");
        assert!(feeds[0].tags.is_empty());
        assert_eq!(feeds[1].title, "CNCF & friends");
        assert_eq!(feeds[1].html_url.as_deref(), Some("https://www.cncf.io/"));
        assert_eq!(feeds[1].tags, ["Tech", "Cloud Native", "news", "k8s"]);
        assert_eq!(feeds[2].tags, ["Tech"]);
    }

    #[test]
    fn hostile_files_are_refused() {
        let entities = br#"<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>"#;
        assert!(matches!(parse(entities), Err(OpmlError::Entities)));

        let deep = format!(
            "<opml><body>{}{}</body></opml>",
            "<outline text=\"f\">".repeat(MAX_DEPTH + 10),
            "</outline>".repeat(MAX_DEPTH + 10)
        );
        assert!(matches!(parse(deep.as_bytes()), Err(OpmlError::TooDeep)));

        let big = vec![b' '; MAX_OPML_SIZE as usize + 1];
        assert!(matches!(parse(&big), Err(OpmlError::TooLarge)));

        assert!(matches!(
            parse(b"<rss><channel/></rss>"),
            Err(OpmlError::NotOpml(name)) if name == "rss"
        ));
        assert!(matches!(
            parse(b"<opml><body><outline></body></opml>"),
            Err(OpmlError::Xml { .. })
        ));
    }

    #[test]
    fn a_feed_gets_at_most_max_tags() {
        let many: Vec<String> = (0..200_000).map(|i| format!("t{i}")).collect();
        let opml = format!(
            "<opml><body><outline text=\"f\" xmlUrl=\"https://x.example/\" category=\"{}\"/></body></opml>",
            many.join(",")
        );
        let feeds = parse(opml.as_bytes()).unwrap();
        assert_eq!(feeds[0].tags, many[..MAX_TAGS]);
    }

    #[test]
    fn too_many_feeds_are_refused() {
        let outline = "<outline text=\"f\" xmlUrl=\"https://x.example/\"/>";
        let opml = format!(
            "<opml><body>{}</body></opml>",
            outline.repeat(MAX_FEEDS + 1)
        );
        assert!(matches!(
            parse(opml.as_bytes()),
            Err(OpmlError::TooManyFeeds)
        ));
    }

    #[test]
    fn a_latin1_file_is_decoded() {
        let opml = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml><body>\
            <outline text=\"Caf\xe9\" xmlUrl=\"https://x.example/\"/></body></opml>";
        assert_eq!(parse(opml).unwrap()[0].title, "Caf\u{e9}");
    }

    #[test]
    fn written_files_read_back_the_same() {
        let k8s = vec!["k8s".to_string(), "cloud native".to_string()];
        let k8s_only = vec!["k8s".to_string()];
        let feeds = [
            ExportFeed {
                name: "No tags <&>",
                url: "https://a.example/feed?x=1&y=\"2\"",
                tags: &[],
            },
            ExportFeed {
                name: "Kubernetes",
                url: "https://kubernetes.io/feed.xml",
                tags: &k8s,
            },
            ExportFeed {
                name: "Other",
                url: "https://b.example/",
                tags: &k8s_only,
            },
        ];
        let text = write("linkpost feeds", "Fri, 04 Dec 2026 10:00:00 GMT", &feeds);
        let read = parse(text.as_bytes()).unwrap();
        let back: Vec<(&str, &str, &[String])> = read
            .iter()
            .map(|f| (f.title.as_str(), f.xml_url.as_str(), f.tags.as_slice()))
            .collect();
        assert_eq!(
            back,
            [
                ("No tags <&>", "https://a.example/feed?x=1&y=\"2\"", &[][..]),
                ("Kubernetes", "https://kubernetes.io/feed.xml", &k8s[..]),
                ("Other", "https://b.example/", &k8s_only[..]),
            ]
        );
    }
}
