//! `fetch_article`: under `"auto"`, the default, an entry's article page is
//! fetched only when its feed carries a teaser of it; `true` fetches every
//! page, `false` none, and a `summary_selector` every one. Checked on real
//! feeds (through a scripted fetcher, so their real links are counted
//! without a network), and end to end with `poll`, `run` and `preview`
//! against a server on 127.0.0.1.
//
// regression: #12

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::in_process::{Answer, HangGuard, InProcessDaemon, ScriptedServer, next_hit};
use common::{Recorder, TestDir, get, hits_to, linkpost_async, read_post, serve_recorder};
use linkpost::clock::PausedClock;
use linkpost::refresh::{self, Refresher, Shared};
use linkpost::store::Store;
use wiremock::ResponseTemplate;

/// A whole post, as WordPress puts it in `content:encoded`: well over the
/// length of a teaser.
const WHOLE_POST: &str = "<p>From the feed: the whole post is here. Service meshes moved their \
    data path into the kernel this year, and the sidecar, once the only way to get mutual TLS \
    and retries, became one option among several.</p><p>The post walks through what changed: \
    ambient mode splits the mesh in two layers, the ztunnel handles L4 on every node, and a \
    waypoint proxy adds L7 only where a namespace asks for it. Traffic policies then attach to \
    the waypoint, not to each pod.</p><p>It closes with the numbers: memory per node went down \
    by a third, and nobody had to restart an application to get there.</p>";

/// A WordPress excerpt, its "[…]" included.
const EXCERPT: &str = "<p>From the feed: only the start of the teaser post, as the excerpt \
    shows it. [&#8230;]</p>";

/// An RSS feed under `base` with a whole post and a teaser.
fn blog_feed(base: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Blog</title><link>{base}/</link>
<item><title>Whole post</title><link>{base}/posts/whole/</link><guid isPermaLink="false">{base}/?p=1</guid>
<pubDate>Tue, 02 Sep 2025 10:00:00 +0000</pubDate>
<description><![CDATA[<p>From the feed: the whole post is here. [&#8230;]</p>]]></description>
<content:encoded><![CDATA[{WHOLE_POST}]]></content:encoded></item>
<item><title>Teaser post</title><link>{base}/posts/teaser/</link><guid isPermaLink="false">{base}/?p=2</guid>
<pubDate>Mon, 01 Sep 2025 10:00:00 +0000</pubDate>
<description><![CDATA[{EXCERPT}]]></description></item>
</channel></rss>"#
    )
}

/// The article page of `slug`, with enough text for the main-content
/// heuristic and an `article` element for a selector.
fn article_page(slug: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{slug}</title></head><body>\
         <nav>Home About Archive</nav><article><p>From the page: the {slug} post as its own \
         page shows it, with every paragraph the feed may have left out. It goes on for a \
         while, so that this is clearly the main content of the page.</p></article>\
         <footer>Share this post</footer></body></html>"
    )
}

/// A server on 127.0.0.1 serving `/{mode}/feed.xml` (the blog feed under
/// `/{mode}`) and `/{mode}/posts/{slug}/` (article pages).
async fn blog_server() -> (
    wiremock::MockServer,
    Arc<std::sync::Mutex<Vec<common::Hit>>>,
) {
    let recorder = Recorder::new(|request, _| {
        let host = common::request_host(request);
        let path = request.url.path();
        let mut parts = path.trim_matches('/').split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(mode), Some("feed.xml"), None, None) => ResponseTemplate::new(200).set_body_raw(
                blog_feed(&format!("http://{host}/{mode}")),
                "application/rss+xml",
            ),
            (Some(_), Some("posts"), Some(slug), None) => ResponseTemplate::new(200)
                .set_body_raw(article_page(slug), "text/html; charset=utf-8"),
            _ => ResponseTemplate::new(404),
        }
    });
    let hits = Arc::clone(&recorder.hits);
    (serve_recorder(recorder).await, hits)
}

/// Each written post's `summary_source`, by the path of its URL, from the
/// JSON log lines of a run.
fn summary_sources(log: &str) -> HashMap<String, String> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["fields"]["message"] == "post written")
        .map(|event| {
            let url = event["fields"]["item_url"].as_str().unwrap_or("");
            let path = url::Url::parse(url).map_or(String::new(), |u| u.path().to_string());
            let source = event["fields"]["summary_source"].as_str().unwrap_or("");
            (path, source.to_string())
        })
        .collect()
}

/// The summary of the post titled `title` in `dir`.
fn summary_of(dir: &TestDir, title: &str) -> String {
    dir.posts()
        .iter()
        .map(|p| read_post(&std::fs::read_to_string(p).expect("read post")).0)
        .find(|pairs| get(pairs, "title").as_str() == title)
        .map(|pairs| get(&pairs, "summary").as_str().to_string())
        .unwrap_or_else(|| panic!("no post titled {title}"))
}

#[tokio::test]
async fn poll_fetches_teasers_under_auto_every_page_under_true_and_none_under_false() {
    let (server, hits) = blog_server().await;
    let uri = server.uri();
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"Auto\"\nurl = \"{uri}/auto/feed.xml\"\n\
         [[feed]]\nname = \"Never\"\nurl = \"{uri}/never/feed.xml\"\nfetch_article = false\n\
         [[feed]]\nname = \"Always\"\nurl = \"{uri}/always/feed.xml\"\nfetch_article = true\n\
         [[feed]]\nname = \"Selected\"\nurl = \"{uri}/selected/feed.xml\"\nsummary_selector = \"article\"\n"
    ));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec![
        "poll".into(),
        "--config".into(),
        config,
        "--log-format".into(),
        "json".into(),
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(dir.posts().len(), 8, "two posts per feed");

    let requests = |path: &str| hits_to(&hits, path).len();
    let sources = summary_sources(&stderr);
    // (feed, page requests and summary source of the whole post, then of the teaser)
    let cases = [
        ("auto", (0, "content"), (1, "article")),
        ("never", (0, "content"), (0, "summary")),
        ("always", (1, "article"), (1, "article")),
        ("selected", (1, "selector"), (1, "selector")),
    ];
    for (mode, whole, teaser) in cases {
        for (slug, (want_requests, want_source)) in [("whole", whole), ("teaser", teaser)] {
            let path = format!("/{mode}/posts/{slug}/");
            assert_eq!(requests(&path), want_requests, "{path}");
            assert_eq!(
                sources.get(&path).map(String::as_str),
                Some(want_source),
                "{path}; log:\n{stderr}"
            );
        }
    }
    assert_eq!(requests("/auto/feed.xml"), 1);
}

#[tokio::test]
async fn auto_keeps_the_whole_post_from_the_feed_and_takes_the_teasers_page() {
    let (server, hits) = blog_server().await;
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"Blog\"\nurl = \"{}/auto/feed.xml\"\nfetch_article = \"auto\"\n",
        server.uri()
    ));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) =
        linkpost_async(vec!["poll".into(), "--config".into(), config.clone()]).await;
    assert_eq!(code, 0, "{stderr}");
    let whole = summary_of(&dir, "Whole post");
    assert!(
        whole.starts_with("From the feed: the whole post is here.")
            && whole.ends_with("to get there."),
        "{whole}"
    );
    let teaser = summary_of(&dir, "Teaser post");
    assert!(
        teaser.starts_with("From the page: the teaser post"),
        "{teaser}"
    );

    // A second poll knows both entries: no page is fetched again.
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(hits_to(&hits, "/auto/posts/teaser/").len(), 1);
    assert!(hits_to(&hits, "/auto/posts/whole/").is_empty());
}

#[tokio::test(start_paused = true)]
async fn run_fetches_only_the_teasers_page_under_auto() {
    let _guard = HangGuard::new("run_fetches_only_the_teasers_page", Duration::from_secs(60));
    let clock = Arc::new(PausedClock::starting_at(chrono::Utc::now()));
    let (server, mut hits) = ScriptedServer::new(Arc::clone(&clock), |url, _| match url.path() {
        "/feed.xml" => Answer::rss(blog_feed("https://blog.example")),
        path => Answer {
            status: 200,
            headers: vec![("content-type", "text/html; charset=utf-8".to_string())],
            body: article_page(path.trim_matches('/').rsplit('/').next().unwrap_or("")),
        },
    });
    let dir = TestDir::new(
        "[[feed]]\nname = \"Blog\"\nurl = \"https://blog.example/feed.xml\"\ninterval = \"1h\"\n",
    );
    let mut daemon = InProcessDaemon::start(&dir.config_path(), clock, Arc::clone(&server));
    next_hit(&mut hits).await;
    daemon.poll_done().await;
    daemon.stop().await;
    assert_eq!(server.hits_to("/posts/teaser/").len(), 1);
    assert!(server.hits_to("/posts/whole/").is_empty());
    assert!(summary_of(&dir, "Whole post").starts_with("From the feed: the whole post"));
    assert!(summary_of(&dir, "Teaser post").starts_with("From the page: the teaser post"));
}

#[tokio::test]
async fn real_feeds_under_auto_whole_wordpress_posts_stay_and_excerpts_are_fetched() {
    let fixtures = common::fixtures();
    // (feed file, article pages fetched out of the entries written)
    let cases = [
        // WordPress with every whole post in content:encoded.
        ("feeds/wordpress-natasha.xml", 0, 10),
        // Medium: a snippet and "Continue reading on »".
        ("feeds/medium-emarley.rss", 10, 10),
        // WordPress excerpts: two "[…]" or "Read more", one short text.
        ("cncf/feed.xml", 3, 3),
    ];
    for (file, want_pages, want_posts) in cases {
        let feed = std::fs::read_to_string(fixtures.join(file))
            .expect("fixture")
            .replace("PORT", "8080");
        let clock = Arc::new(PausedClock::starting_at(chrono::Utc::now()));
        let (server, mut hits) = ScriptedServer::new(clock.clone(), move |url, _| {
            if url.path() == "/feed.xml" {
                Answer::rss(feed.clone())
            } else {
                Answer::status(404)
            }
        });
        let dir =
            TestDir::new("[[feed]]\nname = \"Real\"\nurl = \"https://feeds.example/feed.xml\"\n");
        let config = Arc::new(dir.load_config());
        let store = Store::open(&config.database).expect("open store");
        let shared = Shared {
            fetcher: Some(server),
            clock,
            ..Shared::new(store)
        };
        let refresher = Arc::new(Refresher::new(config, &shared).expect("refresher"));
        let report = refresh::poll_all(refresher).await.expect("pass runs");
        assert_eq!(report.posts_written, want_posts, "{file}");
        let mut pages = 0;
        while let Ok(hit) = hits.try_recv() {
            if hit.path != "/feed.xml" {
                pages += 1;
            }
        }
        assert_eq!(pages, want_pages, "{file}");
    }
}

#[tokio::test]
async fn preview_shows_whether_each_page_was_fetched_and_why() {
    let (server, hits) = blog_server().await;
    let uri = server.uri();
    // (feed, preview flags, (page fetched, reason) of the whole post and the teaser)
    type Case<'a> = (&'a str, &'a [&'a str], [(bool, &'a str); 2]);
    let cases: [Case; 3] = [
        ("auto", &[], [(false, "whole"), (true, "read-more")]),
        (
            "always",
            &["--fetch-article"],
            [(true, "always"), (true, "always")],
        ),
        (
            "never",
            &["--no-fetch-article"],
            [(false, "never"), (false, "never")],
        ),
    ];
    for (mode, flags, want) in cases {
        let mut args = vec!["preview".to_string(), format!("{uri}/{mode}/feed.xml")];
        args.extend(flags.iter().map(|f| f.to_string()));
        args.push("--json".to_string());
        let (code, stdout, stderr) = linkpost_async(args).await;
        assert_eq!(code, 0, "{stderr}");
        let posts: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        let got: Vec<(bool, &str)> = posts
            .as_array()
            .expect("array")
            .iter()
            .map(|p| {
                (
                    p["page_fetched"].as_bool().unwrap_or_default(),
                    p["page_reason"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(got, want, "{mode}");
        for ((fetched, _), slug) in want.iter().zip(["whole", "teaser"]) {
            let requests = hits_to(&hits, &format!("/{mode}/posts/{slug}/")).len();
            assert_eq!(requests, usize::from(*fetched), "{mode} {slug}");
        }
    }
    // Entries past --limit are not built, so their pages are not fetched.
    let (code, stdout, stderr) = linkpost_async(vec![
        "preview".into(),
        format!("{uri}/limited/feed.xml"),
        "--limit".into(),
        "1".into(),
        "--json".into(),
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    let posts: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(posts.as_array().map(Vec::len), Some(1));
    assert_eq!(posts[0]["title"], "Whole post", "the newest entry");
    assert!(hits_to(&hits, "/limited/posts/teaser/").is_empty());
    // The text output says it in words.
    let (code, stdout, stderr) =
        linkpost_async(vec!["preview".into(), format!("{uri}/text/feed.xml")]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("page:    not fetched (auto: the feed's text looks whole)")
            && stdout
                .contains("page:    fetched (auto: the feed's text ends in a \"read more\" sign)"),
        "{stdout}"
    );
    // --fetch-article and --no-fetch-article do not go together.
    let (code, _, stderr) = linkpost_async(vec![
        "preview".into(),
        format!("{uri}/auto/feed.xml"),
        "--fetch-article".into(),
        "--no-fetch-article".into(),
    ])
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
