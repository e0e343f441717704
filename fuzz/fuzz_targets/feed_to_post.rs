//! Feed bytes → posts, through the same public stages a poll uses:
//! parse, canonicalize, extract, cut, render, name the file. Beyond "no
//! panic", every rendered post must read back with its title intact and get
//! a plain file name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkpost::post::file_name;
use linkpost::post::{front_matter, render};
use linkpost::{canon, extract, feed};

fuzz_target!(|data: &[u8]| {
    let Ok(base) = url::Url::parse("https://example.com/feed/") else {
        return;
    };
    let Ok(parsed) = feed::parse_feed(data, &base) else {
        return;
    };
    let now = chrono::DateTime::UNIX_EPOCH.fixed_offset();
    for item in parsed.items.iter().take(50) {
        let Some(link) = item.link.as_ref().map(canon::canonicalize) else {
            continue;
        };
        let text = item
            .content_html
            .as_deref()
            .or(item.summary_html.as_deref())
            .map(|html| extract::clean_feed_text(&extract::html_to_text(html)))
            .unwrap_or_default();
        let title = item.title.clone().unwrap_or_else(|| link.to_string());
        let post = render::Post {
            title: title.clone(),
            date: item.date().map_or(now, |d| d.fixed_offset()),
            tags: vec!["fuzz".into()],
            source: "Fuzz".into(),
            external_url: link,
            draft: true,
            tldr: extract::cut_text(&text, 700),
            summary: extract::cut_text(&text, 2000),
        };
        let rendered = render::render_post(&post);
        let read = front_matter::read(&rendered).expect("rendered front matter reads back");
        assert!(read.draft);
        assert_eq!(read.get("title"), Some(title.as_str()));
        let name = file_name::file_name(&post.date, &file_name::slugify(&title));
        assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
    }
});
