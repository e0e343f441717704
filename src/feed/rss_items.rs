//! What feed-rs does not keep of an RSS `<item>`, read with quick-xml: the
//! Atom links some writers put there instead of `<link>`.
//!
//! Items are found in document order, so the caller pairs them with feed-rs's
//! entries by position, and only when the counts agree.

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

/// The Atom namespace, whose `link` elements some RSS writers put in items
/// instead of `<link>` (.NET's SyndicationFeed writes `<a10:link href>`).
pub(super) const ATOM_NAMESPACE: &[u8] = b"http://www.w3.org/2005/Atom";

/// For each RSS `<item>` in document order, the `href` of its first Atom
/// `link` whose `rel` is absent or `alternate`. feed-rs reads no Atom
/// element inside an RSS item.
pub(super) fn atom_links_of_rss_items(bytes: &[u8]) -> Vec<Option<String>> {
    let mut reader = quick_xml::NsReader::from_reader(bytes);
    let mut links = Vec::new();
    let mut depth = 0usize;
    let mut item_depth: Option<usize> = None;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((_, Event::Eof)) | Err(_) => break,
            Ok(resolved) => resolved,
        };
        let is_atom =
            matches!(ns, ResolveResult::Bound(Namespace(n)) if n.as_bytes() == ATOM_NAMESPACE);
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
        if item_depth.is_none() && !is_atom && local.as_ref() == "item" {
            links.push(None);
            if opens {
                item_depth = Some(depth);
            }
        } else if item_depth.is_some() && is_atom && local.as_ref() == "link" {
            let attr = |name: &str| -> Option<String> {
                let value = element.try_get_attribute(name).ok()??;
                let value = value
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()?;
                Some(value.into_owned())
            };
            let alternate = attr("rel").is_none_or(|rel| rel == "alternate");
            if let Some(slot) = links.last_mut()
                && slot.is_none()
                && alternate
            {
                *slot = attr("href");
            }
        }
    }
    links
}
