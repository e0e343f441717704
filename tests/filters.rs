//! Filters end to end (issue 15): entries kept out by `include`/`exclude`
//! are recorded as filtered, never written, never back (across polls and
//! across feeds carrying the same article), and counted by `feeds`.

mod common;

use common::{Recorder, TestDir, feeds_json, linkpost_async, read_post, serve_recorder};
use wiremock::ResponseTemplate;

/// An RSS document with one item per (title, link path, day of September 2025).
fn rss(base: &str, items: &[(&str, &str, u32)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, path, day)| {
            format!(
                "<item><title>{title}</title><link>{base}{path}</link>\
                 <pubDate>{day:02} Sep 2025 10:00:00 +0000</pubDate><description>Text of {title}.</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>"
    )
}

async fn poll(dir: &TestDir) {
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "{stderr}");
}

fn titles(dir: &TestDir) -> Vec<String> {
    let mut titles: Vec<String> = dir
        .posts()
        .iter()
        .map(|p| {
            let (pairs, _) = read_post(&std::fs::read_to_string(p).expect("post"));
            common::get(&pairs, "title").as_str().to_string()
        })
        .collect();
    titles.sort();
    titles
}

fn feed_row<'a>(feeds: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    feeds
        .as_array()
        .expect("array")
        .iter()
        .find(|row| row["name"] == name)
        .unwrap_or_else(|| panic!("no feed {name} in {feeds}"))
}

#[tokio::test]
async fn a_filtered_entry_never_returns_across_polls_and_feeds_and_is_counted() {
    let recorder = Recorder::new(|request, n| {
        let base = format!("http://{}", common::request_host(request));
        let body = match (request.url.path(), n) {
            // Newest first by date: two entries kept out, newer than the
            // one backfill = 1 writes.
            ("/a.xml", 1) => rss(
                &base,
                &[
                    ("Sponsored: cloud costs", "/posts/sponsored-x/", 5),
                    ("Rust engineer", "/jobs/rust/", 4),
                    ("Kept one", "/posts/kept-1/", 3),
                    ("Old one", "/posts/old/", 2),
                ],
            ),
            ("/a.xml", _) => rss(
                &base,
                &[
                    ("New one", "/posts/new-1/", 6),
                    ("Sponsored: cloud costs", "/posts/sponsored-x/", 5),
                    ("Rust engineer", "/jobs/rust/", 4),
                    ("Kept one", "/posts/kept-1/", 3),
                ],
            ),
            // Feed B has no title pattern, but carries A's filtered article.
            ("/b.xml", _) => rss(
                &base,
                &[
                    (
                        "Sponsored: cloud costs",
                        "/posts/sponsored-x/?utm_source=b",
                        5,
                    ),
                    ("B one", "/posts/b-1/", 4),
                ],
            ),
            _ => return ResponseTemplate::new(404),
        };
        ResponseTemplate::new(200).set_body_raw(body, "application/rss+xml")
    });
    let server = serve_recorder(recorder).await;
    let uri = server.uri();
    let dir = TestDir::new(&format!(
        "exclude = [\"url:/jobs/\"]\n\
         [[feed]]\nname = \"A\"\nurl = \"{uri}/a.xml\"\nfetch_article = false\nbackfill = 1\n\
         exclude = [\"title:^sponsored\"]\n"
    ));

    poll(&dir).await;
    assert_eq!(
        titles(&dir),
        ["Kept one"],
        "backfill 1 counts no filtered entry"
    );
    let feeds = feeds_json(&dir).await;
    let a = feed_row(&feeds, "A");
    assert_eq!(a["filtered"], 2, "{a}");
    assert_eq!(a["last_status"], "ok: 1 new, 2 filtered", "{a}");

    // Next poll, with a second feed carrying the filtered article.
    dir.append_config(&format!(
        "[[feed]]\nname = \"B\"\nurl = \"{uri}/b.xml\"\nfetch_article = false\n"
    ));
    poll(&dir).await;
    assert_eq!(titles(&dir), ["B one", "Kept one", "New one"]);
    poll(&dir).await;
    assert_eq!(dir.posts().len(), 3, "a third poll writes nothing");

    let feeds = feeds_json(&dir).await;
    assert_eq!(feed_row(&feeds, "A")["filtered"], 2);
    assert_eq!(feed_row(&feeds, "A")["last_status"], "ok: 0 new");
    assert_eq!(
        feed_row(&feeds, "B")["filtered"],
        0,
        "seen through A, not filtered again"
    );

    let config = dir.config_path().display().to_string();
    let (code, table, stderr) =
        linkpost_async(vec!["feeds".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "{stderr}");
    let header = table.lines().next().expect("header");
    assert!(header.contains("FILTERED"), "{table}");
}
