//! What feed-rs does not keep of an RSS `<item>`, read with quick-xml: the
//! Atom links some writers put there instead of `<link>`, and whether the
//! `<guid>` is a permalink.
//!
//! Items are found in document order, so the caller pairs them with feed-rs's
//! entries by position, and only when the counts agree.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

/// The Atom namespace, whose `link` elements some RSS writers put in items
/// instead of `<link>` (.NET's SyndicationFeed writes `<a10:link href>`).
const ATOM_NAMESPACE: &str = "http://www.w3.org/2005/Atom";

/// One RSS item's link-bearing parts that feed-rs drops.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct RssItem {
    /// The `href` of the item's first Atom `link` whose `rel` is absent or
    /// `alternate`.
    pub atom_link: Option<String>,
    /// `<guid isPermaLink="false">`: the guid names the item but is no page
    /// (RSS 2.0 spec), so it is never the item's link.
    pub guid_not_permalink: bool,
}

/// Every RSS `<item>` (and RSS 1.0 `<item>`) in document order.
pub(super) fn rss_items(bytes: &[u8]) -> Vec<RssItem> {
    let mut reader = quick_xml::NsReader::from_reader(bytes);
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut item_depth: Option<usize> = None;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((_, Event::Eof)) | Err(_) => break,
            Ok(resolved) => resolved,
        };
        let is_atom = matches!(ns, ResolveResult::Bound(Namespace(n)) if n == ATOM_NAMESPACE);
        let (element, opens) = match &event {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(_) => {
                if item_depth == Some(depth) {
                    item_depth = None;
                }
                depth = depth.saturating_sub(1);
                continue;
            }
            _ => continue,
        };
        if opens {
            depth += 1;
        }
        let local = element.local_name();
        if item_depth.is_none() {
            if !is_atom && local.as_ref() == "item" {
                items.push(RssItem::default());
                if opens {
                    item_depth = Some(depth);
                }
            }
            continue;
        }
        let Some(item) = items.last_mut() else {
            continue;
        };
        match local.as_ref() {
            "link"
                if is_atom
                    && item.atom_link.is_none()
                    && attribute(element, "rel").is_none_or(|rel| rel == "alternate") =>
            {
                item.atom_link = attribute(element, "href");
            }
            "guid" if !is_atom => {
                item.guid_not_permalink = attribute(element, "isPermaLink")
                    .is_some_and(|p| p.trim().eq_ignore_ascii_case("false"));
            }
            _ => {}
        }
    }
    items
}

/// An attribute's value, entities decoded; `None` when absent or malformed.
fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    let value = element.try_get_attribute(name).ok()??;
    let value = value
        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .ok()?;
    Some(value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom_links_and_guid_permalinks_are_read_per_item() {
        let xml = br#"<rss xmlns:a10="http://www.w3.org/2005/Atom"><channel>
            <a10:link href="https://e.com/channel"/>
            <item><a10:link rel="enclosure" href="https://e.com/a.mp3"/>
                  <a10:link href="https://e.com/a"/><guid>https://e.com/ga</guid></item>
            <item><guid isPermaLink=" FALSE ">https://e.com/gb</guid></item>
            <item/>
            </channel></rss>"#;
        assert_eq!(
            rss_items(xml),
            [
                RssItem {
                    atom_link: Some("https://e.com/a".to_string()),
                    guid_not_permalink: false,
                },
                RssItem {
                    atom_link: None,
                    guid_not_permalink: true,
                },
                RssItem::default(),
            ]
        );
    }
}
