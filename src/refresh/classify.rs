//! Dedupe and filters: which of a feed's entries are new, and which of those
//! the feed's `include`/`exclude` patterns keep out. Runs in one store
//! transaction per poll, before any article page is fetched (miniflux checks
//! `IsNewEntry` before scraping too), and records what gets no post.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tracing::debug;
use url::Url;

use crate::canon::{PostUrls, canonicalize};
use crate::feed::FeedItem;
use crate::filter::EntryFilter;
use crate::store::{EntryState, NewEntry, Store, StoreError};

/// An entry that passed dedupe and will get a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The entry.
    pub item: FeedItem,
    /// Its link, canonicalized: the dedupe key.
    pub link: Url,
}

/// A feed's entries, sorted by what becomes of them.
#[derive(Debug, Default, PartialEq)]
pub struct Classified {
    /// New entries, to build posts for, newest first.
    pub candidates: Vec<Candidate>,
    /// Entries seen before, in an earlier poll or earlier in this document.
    pub seen: usize,
    /// New entries beyond `backfill` on a first poll: recorded, no post.
    pub skipped: usize,
    /// New entries kept out by the feed's filters: recorded, no post.
    pub filtered: usize,
    /// Entries without a link.
    pub unusable: usize,
}

/// A feed as [`classify`] needs it.
#[derive(Debug, Clone, Copy)]
pub struct FeedRules<'a> {
    /// The feed's name.
    pub name: &'a str,
    /// Entries written on its first poll (`backfill`).
    pub backfill: usize,
    /// Which entries it keeps out.
    pub filter: &'a EntryFilter,
}

/// Splits `items` (newest first) of `feed` into new candidates and the rest,
/// recording the rest: entries known under a new URL or guid get it as an
/// alias, new entries the filter keeps out are recorded as filtered, and on
/// a `first_poll` entries beyond the newest `backfill` are recorded as
/// skipped.
///
/// The filter sees new entries only: one seen before stays as it was. A
/// filtered entry takes no place in `backfill` (the newest `backfill`
/// entries that pass the filter are written), and, recorded under its URLs,
/// it is seen from then on by every feed that carries it.
pub fn classify(
    store: &mut Store,
    feed: FeedRules<'_>,
    items: Vec<FeedItem>,
    first_poll: bool,
    now: DateTime<Utc>,
) -> Result<Classified, StoreError> {
    let FeedRules {
        name: feed,
        backfill,
        filter,
    } = feed;
    let mut out = Classified::default();
    // Duplicates within one document, by link and by guid.
    let mut urls_this_poll: HashSet<String> = HashSet::new();
    let mut guids_this_poll: HashSet<String> = HashSet::new();
    let mut position = 0;
    for item in items {
        let Some(link) = item.link.as_ref() else {
            debug!(
                title = item.title.as_deref().unwrap_or(""),
                "entry has no link; skipped"
            );
            out.unusable += 1;
            continue;
        };
        let link = canonicalize(link);
        let new_url = urls_this_poll.insert(link.to_string());
        let new_guid = item
            .guid
            .as_ref()
            .is_none_or(|g| guids_this_poll.insert(g.clone()));
        if !(new_url && new_guid) {
            out.seen += 1;
            continue;
        }
        let urls = PostUrls::new(&link);
        // Known under another name too: this one is remembered as well.
        if store
            .find_seen_and_alias(feed, item.guid.as_deref(), &urls)?
            .is_some()
        {
            debug!(item_url = %link, "already seen");
            position += 1;
            out.seen += 1;
            continue;
        }
        let entry = NewEntry {
            feed,
            guid: item.guid.as_deref(),
            urls: &urls,
            // Entries recorded unwritten keep no title (`NewEntry::title`).
            title: "",
            now: now.timestamp(),
        };
        if let Some(reason) = filter.check(&item, &link) {
            debug!(item_url = %link, %reason, "filtered");
            store.record_unwritten(&entry, EntryState::Filtered)?;
            out.filtered += 1;
            continue;
        }
        let index = position;
        position += 1;
        if first_poll && index >= backfill {
            store.record_unwritten(&entry, EntryState::Skipped)?;
            out.skipped += 1;
            continue;
        }
        out.candidates.push(Candidate { item, link });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(link: Option<&str>, guid: Option<&str>) -> FeedItem {
        FeedItem {
            guid: guid.map(str::to_string),
            link: link.map(|l| Url::parse(l).expect("url")),
            title: Some(format!("title of {}", link.unwrap_or("nothing"))),
            ..FeedItem::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_757_000_000, 0).expect("time")
    }

    /// Claims `url` for feed `feed` as an earlier poll would have.
    fn seen_before(store: &mut Store, feed: &str, guid: Option<&str>, url: &str) {
        let urls = PostUrls::new(&Url::parse(url).expect("url"));
        let entry = NewEntry {
            feed,
            guid,
            urls: &urls,
            title: "t",
            now: 1,
        };
        store
            .record_unwritten(&entry, EntryState::Skipped)
            .expect("record")
            .expect("new");
    }

    #[test]
    #[expect(
        clippy::type_complexity,
        reason = "a table of cases, one tuple per row, reads best inline"
    )]
    fn each_entry_is_new_seen_skipped_or_unusable() {
        type Item<'a> = (Option<&'a str>, Option<&'a str>);
        // (case, seen before as (feed, guid, url), items newest first,
        //  first poll, backfill, candidate links, seen, skipped, unusable)
        let cases: Vec<(
            &str,
            Vec<(&str, Option<&str>, &str)>,
            Vec<Item>,
            bool,
            usize,
            Vec<&str>,
            usize,
            usize,
            usize,
        )> = vec![
            (
                "all new on a later poll",
                vec![],
                vec![
                    (Some("https://e.com/a"), None),
                    (Some("https://e.com/b"), None),
                ],
                false,
                0,
                vec!["https://e.com/a", "https://e.com/b"],
                0,
                0,
                0,
            ),
            (
                "tracking parameters and fragments make no new entry",
                vec![],
                vec![
                    (Some("https://E.com/a?utm_source=rss#more"), None),
                    (Some("https://e.com/a"), None),
                ],
                false,
                0,
                vec!["https://e.com/a"],
                1,
                0,
                0,
            ),
            (
                "a guid repeated in one document",
                vec![],
                vec![
                    (Some("https://e.com/a"), Some("g")),
                    (Some("https://e.com/b"), Some("g")),
                ],
                false,
                0,
                vec!["https://e.com/a"],
                1,
                0,
                0,
            ),
            (
                "seen before by URL, from another feed",
                vec![("Other", None, "https://e.com/a")],
                vec![
                    (Some("https://e.com/a"), Some("g1")),
                    (Some("https://e.com/b"), None),
                ],
                false,
                0,
                vec!["https://e.com/b"],
                1,
                0,
                0,
            ),
            (
                "seen before by this feed's guid, under a new URL",
                vec![("F", Some("g1"), "https://e.com/old")],
                vec![(Some("https://e.com/new"), Some("g1"))],
                false,
                0,
                vec![],
                1,
                0,
                0,
            ),
            (
                "another feed's guid is not this one's",
                vec![("Other", Some("g1"), "https://e.com/old")],
                vec![(Some("https://e.com/new"), Some("g1"))],
                false,
                0,
                vec!["https://e.com/new"],
                0,
                0,
                0,
            ),
            (
                "first poll keeps the newest backfill",
                vec![],
                vec![
                    (Some("https://e.com/c"), None),
                    (Some("https://e.com/b"), None),
                    (Some("https://e.com/a"), None),
                ],
                true,
                2,
                vec!["https://e.com/c", "https://e.com/b"],
                0,
                1,
                0,
            ),
            (
                "backfill is the newest entries, seen ones included",
                vec![("F", None, "https://e.com/c")],
                vec![
                    (Some("https://e.com/c"), None),
                    (Some("https://e.com/b"), None),
                    (Some("https://e.com/a"), None),
                ],
                true,
                2,
                vec!["https://e.com/b"],
                1,
                1,
                0,
            ),
            (
                "backfill 0 on a first poll records everything",
                vec![],
                vec![(Some("https://e.com/a"), None)],
                true,
                0,
                vec![],
                0,
                1,
                0,
            ),
            (
                "no link",
                vec![],
                vec![(None, Some("g")), (Some("https://e.com/a"), None)],
                false,
                0,
                vec!["https://e.com/a"],
                0,
                0,
                1,
            ),
        ];
        for (case, before, items, first_poll, backfill, links, seen, skipped, unusable) in cases {
            let mut store = Store::open_in_memory().expect("store");
            for (feed, guid, url) in before {
                seen_before(&mut store, feed, guid, url);
            }
            let items = items.into_iter().map(|(l, g)| item(l, g)).collect();
            let rules = FeedRules {
                name: "F",
                backfill,
                filter: &EntryFilter::default(),
            };
            let out = classify(&mut store, rules, items, first_poll, now()).expect("classify");
            let got: Vec<&str> = out.candidates.iter().map(|c| c.link.as_str()).collect();
            assert_eq!(got, links, "{case}: candidates");
            assert_eq!(
                (out.seen, out.skipped, out.unusable),
                (seen, skipped, unusable),
                "{case}: seen, skipped, unusable"
            );
        }
    }

    #[test]
    fn what_is_recorded_dedupes_the_next_poll() {
        let mut store = Store::open_in_memory().expect("store");
        seen_before(&mut store, "F", Some("g1"), "https://e.com/old");
        let first = vec![
            item(Some("https://e.com/new"), Some("g1")),
            item(Some("https://e.com/b"), None),
            item(Some("https://e.com/a"), None),
        ];
        let no_filter = EntryFilter::default();
        let rules = |name, backfill| FeedRules {
            name,
            backfill,
            filter: &no_filter,
        };
        let out = classify(&mut store, rules("F", 2), first, true, now()).expect("classify");
        assert_eq!(out.candidates.len(), 1, "b is new and within backfill");
        assert_eq!(out.skipped, 1, "a is beyond backfill");
        // The alias learned from g1 and the skipped entry both dedupe now,
        // in any feed for URLs.
        let again = vec![
            item(Some("https://e.com/new"), None),
            item(Some("https://e.com/a"), None),
        ];
        let out = classify(&mut store, rules("G", 0), again, false, now()).expect("classify");
        assert!(out.candidates.is_empty(), "{:?}", out.candidates);
        assert_eq!(out.seen, 2);
    }

    #[test]
    fn filtered_entries_take_no_backfill_place_and_stay_seen_in_every_feed() {
        let mut store = Store::open_in_memory().expect("store");
        let filter = EntryFilter {
            include: Vec::new(),
            exclude: vec![crate::filter::FilterPattern::parse("url:/sponsored/").expect("pattern")],
        };
        let first = vec![
            item(Some("https://e.com/sponsored/x"), None),
            item(Some("https://e.com/c"), None),
            item(Some("https://e.com/sponsored/y"), None),
            item(Some("https://e.com/b"), None),
            item(Some("https://e.com/a"), None),
        ];
        let rules = FeedRules {
            name: "F",
            backfill: 2,
            filter: &filter,
        };
        let out = classify(&mut store, rules, first, true, now()).expect("classify");
        let got: Vec<&str> = out.candidates.iter().map(|c| c.link.as_str()).collect();
        assert_eq!(
            got,
            ["https://e.com/c", "https://e.com/b"],
            "backfill 2 of the kept"
        );
        assert_eq!((out.filtered, out.skipped), (2, 1));

        // Neither this feed nor another one without filters brings them back.
        let again = vec![
            item(Some("https://e.com/sponsored/x"), None),
            item(Some("https://e.com/sponsored/y?utm_source=rss"), None),
        ];
        let out = classify(&mut store, rules, again.clone(), false, now()).expect("classify");
        assert_eq!((out.candidates.len(), out.seen, out.filtered), (0, 2, 0));
        let other = FeedRules {
            name: "G",
            backfill: 10,
            filter: &EntryFilter::default(),
        };
        let out = classify(&mut store, other, again, false, now()).expect("classify");
        assert_eq!((out.candidates.len(), out.seen), (0, 2));
        assert_eq!(store.count_filtered("F").expect("count"), 2);
    }
}
