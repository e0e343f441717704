//! The page's templates (askama, checked at compile time, HTML-escaped):
//! the whole page, and the live part the script reloads.
//!
//! Every text from a feed or a draft goes through the templates' escaping;
//! a link to an original is only made of an http(s) URL.

use askama::Template;

use crate::review::DraftView;
use crate::store::PostCounts;

/// One draft as the page shows it.
pub(super) struct Card {
    pub id: i64,
    pub title: String,
    pub source: String,
    pub feed: String,
    /// `2025-09-09 13:21`, or empty.
    pub when: String,
    /// The original's URL, when it is http(s).
    pub url: Option<String>,
    pub tags: Vec<String>,
    pub tldr: String,
    pub problem: Option<String>,
    pub fingerprint: String,
}

/// Drafts of one day.
pub(super) struct Day {
    /// `2025-09-09`, or `undated`.
    pub day: String,
    pub cards: Vec<Card>,
}

/// The part of the page that changes: counts and the drafts.
#[derive(Template)]
#[template(path = "review_live.html")]
pub(super) struct Live {
    pub counts: PostCounts,
    pub days: Vec<Day>,
    pub stamp: String,
    pub notices: Vec<String>,
}

/// The whole page.
#[derive(Template)]
#[template(path = "review.html")]
pub(super) struct Page {
    pub csrf: String,
    pub feeds: Vec<String>,
    pub live: Live,
}

impl Live {
    pub(super) fn new(
        drafts: Vec<DraftView>,
        counts: PostCounts,
        stamp: String,
        notices: Vec<String>,
    ) -> Live {
        let mut days: Vec<Day> = Vec::new();
        for draft in drafts {
            let day = draft
                .date
                .as_deref()
                .and_then(|d| d.get(..10))
                .unwrap_or("undated")
                .to_string();
            let card = card(draft);
            match days.last_mut() {
                Some(last) if last.day == day => last.cards.push(card),
                _ => days.push(Day {
                    day,
                    cards: vec![card],
                }),
            }
        }
        Live {
            counts,
            days,
            stamp,
            notices,
        }
    }
}

fn card(d: DraftView) -> Card {
    let when = d
        .date
        .as_deref()
        .and_then(|date| chrono::DateTime::parse_from_rfc3339(date).ok())
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let url = url::Url::parse(&d.external_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from);
    Card {
        id: d.id,
        title: d.title,
        source: d.source,
        feed: d.feed,
        when,
        url,
        tags: d.tags,
        tldr: d.full_tldr,
        problem: d.problem,
        fingerprint: d.fingerprint,
    }
}
