//! Article pages come from links in the feed, so by default linkpost will
//! not fetch them from loopback, private or link-local addresses unless the
//! feed itself is served from such an address or the config allows it.
//! Every server here is on 127.0.0.1, and every "refused" case asserts that
//! it received no request at all.

mod common;

use common::{Recorder, TestDir, hits_to, linkpost_async, read_post, serve_recorder};
use wiremock::ResponseTemplate;

const PAGE: &str =
    "<html><body><div class=\"post-content\"><p>Text from the page.</p></div></body></html>";

fn page_server() -> Recorder {
    Recorder::new(|_, _| ResponseTemplate::new(200).set_body_raw(PAGE, "text/html"))
}

/// A `file:` feed (so not on any address) whose entries link to `base`.
fn file_feed(dir: &TestDir, base: &str, extra: &str) {
    let feed = common::rss(base, &[("a", 1), ("b", 2)]);
    std::fs::write(dir.dir.path().join("feed.xml"), feed).expect("write feed");
    dir.append_config(&format!(
        "[[feed]]\nname = \"F\"\nurl = \"file:feed.xml\"\nsummary_selector = \".post-content\"\n{extra}"
    ));
}

async fn poll(dir: &TestDir) -> (i32, String) {
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    (code, stderr)
}

fn summaries(dir: &TestDir) -> Vec<String> {
    dir.posts()
        .iter()
        .map(|p| {
            let (pairs, _) = read_post(&std::fs::read_to_string(p).expect("post"));
            common::get(&pairs, "summary").as_str().to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_feed_cannot_make_linkpost_fetch_loopback_pages() {
    for host in ["127.0.0.1", "localhost", "127.0.0.2"] {
        let recorder = page_server();
        let hits = recorder.hits.clone();
        let server = serve_recorder(recorder).await;
        let base = server.uri().replace("127.0.0.1", host);
        let dir = TestDir::new("");
        file_feed(&dir, &base, "");

        let (code, stderr) = poll(&dir).await;
        assert_eq!(code, 0, "the feed itself is fine; stderr:\n{stderr}");
        assert!(
            hits_to(&hits, "/posts/a/").is_empty() && hits.lock().expect("hits").is_empty(),
            "{host}: no request reached the server"
        );
        assert!(stderr.contains("refused to fetch"), "{stderr}");
        assert!(stderr.contains("allow_private_addresses"), "{stderr}");
        // The posts are written from the feed's own text.
        assert_eq!(summaries(&dir), ["Text of a.", "Text of b."], "{host}");
    }
}

#[tokio::test]
async fn allow_private_addresses_lets_the_fetch_through() {
    for (top, feed) in [
        ("allow_private_addresses = true\n", ""),
        ("", "allow_private_addresses = true\n"),
    ] {
        let recorder = page_server();
        let hits = recorder.hits.clone();
        let server = serve_recorder(recorder).await;
        let dir = TestDir::new(top);
        file_feed(&dir, &server.uri(), feed);
        let (code, stderr) = poll(&dir).await;
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(hits_to(&hits, "/posts/a/").len(), 1);
        assert_eq!(
            summaries(&dir),
            ["Text from the page.", "Text from the page."]
        );
    }
}

#[tokio::test]
async fn a_feed_served_from_a_private_address_may_link_to_pages_there() {
    let recorder = Recorder::new(|request, _| {
        if request.url.path() == "/feed.xml" {
            let base = format!("http://{}", common::request_host(request));
            ResponseTemplate::new(200)
                .set_body_raw(common::rss(&base, &[("a", 1)]), "application/rss+xml")
        } else {
            ResponseTemplate::new(200).set_body_raw(PAGE, "text/html")
        }
    });
    let hits = recorder.hits.clone();
    let server = serve_recorder(recorder).await;
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"Intranet\"\nurl = \"{}/feed.xml\"\nsummary_selector = \".post-content\"\n",
        server.uri()
    ));
    let (code, stderr) = poll(&dir).await;
    assert_eq!(code, 0, "{stderr}");
    let paths: Vec<String> = hits
        .lock()
        .expect("hits")
        .iter()
        .map(|h| h.path.clone())
        .collect();
    assert_eq!(paths, ["/feed.xml", "/posts/a/"], "{stderr}");
    assert_eq!(summaries(&dir), ["Text from the page."]);
}

#[tokio::test]
async fn preview_follows_the_same_rule() {
    let recorder = page_server();
    let hits = recorder.hits.clone();
    let server = serve_recorder(recorder).await;
    let dir = TestDir::new("");
    let feed = dir.dir.path().join("feed.xml");
    std::fs::write(&feed, common::rss(&server.uri(), &[("a", 1)])).expect("write");
    let feed = feed.display().to_string();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "preview".to_string(),
            feed.clone(),
            "--json".into(),
            "--selector".into(),
            ".post-content".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let (code, stdout, _) = linkpost_async(args(&[])).await;
    assert_eq!(code, 0);
    assert!(hits.lock().expect("hits").is_empty());
    assert!(stdout.contains("Text of a."), "{stdout}");
    let (code, stdout, _) = linkpost_async(args(&["--allow-private-addresses"])).await;
    assert_eq!(code, 0);
    assert_eq!(hits_to(&hits, "/posts/a/").len(), 1);
    assert!(stdout.contains("Text from the page."), "{stdout}");
}

/// A request whose connect timeout has no client of its own (a feed's
/// limits the fetcher was not built for) still goes only where its reach
/// allows: the fallback is the guarded client, never the open one.
#[tokio::test]
async fn a_page_fetch_with_an_unknown_timeout_is_still_guarded() {
    let server = wiremock::MockServer::start().await;
    let config = linkpost::config::Config::parse(std::path::Path::new("x.toml"), "")
        .expect("default config");
    let fetcher = linkpost::fetch::Fetcher::new(&config).expect("fetcher");
    let limits = linkpost::config::HttpLimits {
        connect_timeout: std::time::Duration::from_secs(7),
        ..config.http
    };
    let url = url::Url::parse(&format!(
        "http://localhost:{}/page",
        server.address().port()
    ))
    .expect("url");
    let guarded = fetcher
        .fetch_within(&url, &limits, None, linkpost::fetch::Reach::PublicOnly)
        .await;
    assert!(
        guarded.is_err(),
        "localhost fetched through the open client"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
