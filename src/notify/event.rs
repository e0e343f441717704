//! What a notification says: the three events and their JSON bodies.
//!
//! Pure data; sending them is [`super`]'s job.

use serde::Serialize;

/// The kind of an event, as written in a `[[notify]]` table's `events`
/// list and sent in the `X-Linkpost-Event-Type` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A poll of a feed wrote new posts.
    NewDrafts,
    /// A feed has failed, on every poll, for `notify_after`.
    FeedFailing,
    /// A feed was disabled (410 Gone).
    FeedDisabled,
}

impl EventKind {
    /// Every kind, the default of `events`.
    pub const ALL: [EventKind; 3] = [
        EventKind::NewDrafts,
        EventKind::FeedFailing,
        EventKind::FeedDisabled,
    ];

    /// The name in the config and the header.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::NewDrafts => "new_drafts",
            EventKind::FeedFailing => "feed_failing",
            EventKind::FeedDisabled => "feed_disabled",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One new post in a [`Event::NewDrafts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPost {
    /// The post's title.
    pub title: String,
    /// The article's URL (the post's `external_url`).
    pub url: String,
    /// The file written, relative to `output_dir`.
    pub file: String,
    /// The post's date, RFC 3339.
    pub date: String,
    /// Whether it was written as a draft.
    pub draft: bool,
}

/// An event, serialized as the webhook's JSON body: an object whose
/// `event` key names the [`EventKind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// One poll of `feed` wrote `posts` (one request per poll, never per post).
    NewDrafts {
        /// The feed's configured name.
        feed: String,
        /// The posts written, in the order they were written.
        posts: Vec<NewPost>,
    },
    /// `feed` has failed on every poll since `since`, for at least
    /// `notify_after`. Sent once per run of failures.
    FeedFailing {
        /// The feed's configured name.
        feed: String,
        /// The feed's URL.
        url: String,
        /// When the first failed poll of the run started, RFC 3339.
        since: String,
        /// The last poll's error.
        last_error: String,
        /// Failed polls in a row, this one included.
        consecutive_errors: u32,
    },
    /// `feed` was disabled and is no longer polled.
    FeedDisabled {
        /// The feed's configured name.
        feed: String,
        /// The feed's URL.
        url: String,
        /// The HTTP status that disabled it (410).
        status: u16,
        /// Why, in words (`"410 Gone"`).
        reason: String,
    },
}

impl Event {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::NewDrafts { .. } => EventKind::NewDrafts,
            Event::FeedFailing { .. } => EventKind::FeedFailing,
            Event::FeedDisabled { .. } => EventKind::FeedDisabled,
        }
    }

    /// The feed the event is about.
    pub fn feed(&self) -> &str {
        match self {
            Event::NewDrafts { feed, .. }
            | Event::FeedFailing { feed, .. }
            | Event::FeedDisabled { feed, .. } => feed,
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings, numbers and booleans only: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("new_entries"), None);
    }

    #[test]
    fn bodies_name_their_event_and_fields() {
        let event = Event::FeedDisabled {
            feed: "Old".into(),
            url: "https://old.example/feed".into(),
            status: 410,
            reason: "410 Gone".into(),
        };
        let json: serde_json::Value = serde_json::from_slice(&event.to_json()).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({"event": "feed_disabled", "feed": "Old",
                "url": "https://old.example/feed", "status": 410, "reason": "410 Gone"})
        );
        let event = Event::NewDrafts {
            feed: "CNCF".into(),
            posts: vec![NewPost {
                title: "Istio Day".into(),
                url: "https://www.cncf.io/blog/istio-day/".into(),
                file: "2025-09-09-istio-day.md".into(),
                date: "2025-09-09T13:21:00+00:00".into(),
                draft: true,
            }],
        };
        let json: serde_json::Value = serde_json::from_slice(&event.to_json()).expect("JSON");
        assert_eq!(json["event"], "new_drafts");
        assert_eq!(json["posts"][0]["file"], "2025-09-09-istio-day.md");
    }
}
