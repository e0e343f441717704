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

/// Drafts put in the page's DOM at once; the rest come in a `<template>`
/// (parsed, but neither built into the page nor styled) that the script
/// adds right after the first paint, so hundreds of drafts load fast.
pub(super) const FIRST_CARDS: usize = 60;

/// The part of the page that changes: counts and the drafts.
#[derive(Template)]
#[template(path = "review_live.html")]
pub(super) struct Live {
    pub counts: PostCounts,
    /// The first [`FIRST_CARDS`] drafts, by day.
    pub days: Vec<Day>,
    /// The rest, by day (a day may continue here).
    pub later: Vec<Day>,
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
        let mut later: Vec<Day> = Vec::new();
        for (n, draft) in drafts.into_iter().enumerate() {
            let days = if n < FIRST_CARDS {
                &mut days
            } else {
                &mut later
            };
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
            later,
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
