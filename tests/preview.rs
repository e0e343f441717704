//! `linkpost preview` and each step of the summary fallback chain, end to end.

mod common;

use common::{Recorder, TestDir, linkpost_async, rss, serve_fixture, serve_recorder};
use wiremock::ResponseTemplate;

async fn preview(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["preview".to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    all.push("--json".into());
    let (code, stdout, stderr) = linkpost_async(all).await;
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("preview --json prints JSON")
}

#[tokio::test]
async fn preview_shows_the_cncf_posts_and_writes_nothing() {
    let server = serve_fixture("cncf").await;
    let cwd = tempfile::tempdir().expect("tempdir");
    let feed = format!("{}/feed.xml", server.uri());
    let posts = preview(&[&feed, "--selector", ".post-content"]).await;
    let posts = posts.as_array().expect("array");
    assert_eq!(posts.len(), 3);
    let istio = &posts[1];
    for key in [
        "title",
        "date",
        "external_url",
        "tldr",
        "summary",
        "summary_source",
    ] {
        assert!(istio.get(key).is_some(), "{key}");
    }
    assert_eq!(istio["summary_source"], "selector");
    assert_eq!(istio["date"], "2025-09-09T13:21:00+00:00");
    let expected =
        std::fs::read_to_string(common::fixtures().join("cncf/expected/istio-day.draft.md"))
            .expect("expected");
    let (pairs, _) = common::read_post(&expected);
    assert_eq!(istio["summary"], common::get(&pairs, "summary").as_str());
    assert_eq!(istio["tldr"], common::get(&pairs, "tldr").as_str());
    assert_eq!(
        posts[2]["summary_source"], "summary",
        "the 404 page falls back to the feed"
    );
    // Run from an empty folder with a config-like environment: nothing appears.
    let cwd_path = cwd.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_linkpost"))
            .args(["preview", &feed, "--selector", ".post-content"])
            .current_dir(&cwd_path)
            .env("LINKPOST_CONFIG", cwd_path.join("linkpost.toml"))
            .output()
            .expect("run preview")
    })
    .await
    .expect("task");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("summary: from selector"));
    assert_eq!(
        std::fs::read_dir(cwd.path()).expect("list").count(),
        0,
        "nothing written"
    );
}

/// A feed of one entry whose page is served by `page`.
async fn one_entry_server(
    description: &'static str,
    page: ResponseTemplate,
) -> (wiremock::MockServer, String) {
    let recorder = Recorder::new(move |request, _| {
        let host = common::request_host(request);
        if request.url.path() == "/feed.xml" {
            let body =
                rss(&format!("http://{host}"), &[("a", 1)]).replace("Text of a.", description);
            ResponseTemplate::new(200).set_body_raw(body, "application/rss+xml")
        } else {
            page.clone()
        }
    });
    let server = serve_recorder(recorder).await;
    let feed = format!("{}/feed.xml", server.uri());
    (server, feed)
}

const ARTICLE: &str = "<html><head><meta name=\"description\" content=\"Meta says hello.\"></head><body>\
    <nav>Home About Blog Contact</nav><article><p>The article body has enough text to be found by the \
    heuristic: several sentences about service meshes, gateways and the people who run them. It goes on \
    for a while so that it clearly is the main content of this page.</p></article></body></html>";

#[tokio::test]
async fn fallback_chain_article_then_content_summary_and_meta() {
    let html = ResponseTemplate::new(200).set_body_raw(ARTICLE, "text/html; charset=utf-8");
    let (_server, feed) = one_entry_server("Feed text.", html.clone()).await;
    let posts = preview(&[&feed, "--fetch-article"]).await;
    assert_eq!(posts[0]["summary_source"], "article");
    assert!(
        posts[0]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("The article body")),
        "{posts}"
    );

    // A selector that matches nothing falls back to the feed's text.
    let posts = preview(&[&feed, "--selector", ".missing"]).await;
    assert_eq!(posts[0]["summary_source"], "summary");
    assert_eq!(posts[0]["summary"], "Feed text.");

    // No text in the feed either: the page's meta description.
    let (_server, feed) = one_entry_server("", html).await;
    let posts = preview(&[&feed, "--selector", ".missing"]).await;
    assert_eq!(posts[0]["summary_source"], "meta");
    assert_eq!(posts[0]["summary"], "Meta says hello.");
}

#[tokio::test]
async fn a_page_that_is_not_html_or_fails_falls_back_to_the_feed() {
    let pdf = ResponseTemplate::new(200).set_body_raw("%PDF-1.7", "application/pdf");
    let (_server, feed) = one_entry_server("Feed text.", pdf).await;
    let posts = preview(&[&feed, "--fetch-article"]).await;
    assert_eq!(posts[0]["summary_source"], "summary");

    let failing = ResponseTemplate::new(500);
    let (_server, feed) = one_entry_server("Feed text.", failing).await;
    let posts = preview(&[&feed, "--fetch-article"]).await;
    assert_eq!(posts[0]["summary_source"], "summary");
}

#[tokio::test]
async fn a_canonical_url_becomes_external_url_and_dedupes() {
    let page = ResponseTemplate::new(200).set_body_raw(
        "<html><head><link rel=\"canonical\" href=\"/canonical/a/\"></head><body><div class=\"c\">Body.</div></body></html>",
        "text/html",
    );
    let (server, feed) = one_entry_server("Feed text.", page).await;
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"A\"\nurl = \"{feed}\"\nsummary_selector = \".c\"\n"
    ));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) =
        linkpost_async(vec!["poll".into(), "--config".into(), config.clone()]).await;
    assert_eq!(code, 0, "{stderr}");
    let posts = dir.posts();
    assert_eq!(posts.len(), 1);
    let (pairs, _) = common::read_post(&std::fs::read_to_string(&posts[0]).expect("read"));
    let canonical = format!("{}/canonical/a/", server.uri());
    assert_eq!(common::get(&pairs, "external_url").as_str(), canonical);

    // Another feed linking the canonical URL directly writes nothing.
    std::fs::write(
        dir.dir.path().join("other.xml"),
        format!("<rss version=\"2.0\"><channel><item><title>Same</title><link>{canonical}?utm_source=x</link></item></channel></rss>"),
    )
    .expect("write");
    dir.append_config("[[feed]]\nname = \"Other\"\nurl = \"file:other.xml\"\n");
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(dir.posts().len(), 1);
}

#[tokio::test]
async fn preview_marks_what_a_filter_keeps_out_and_why() {
    let recorder = Recorder::new(|request, _| {
        let base = format!("http://{}", common::request_host(request));
        let body = rss(&base, &[("sponsored-a", 3), ("kubernetes-b", 2), ("c", 1)]);
        ResponseTemplate::new(200).set_body_raw(body, "application/rss+xml")
    });
    let server = serve_recorder(recorder).await;
    let feed = format!("{}/feed.xml", server.uri());
    let marks = |posts: &serde_json::Value| -> Vec<(String, bool, serde_json::Value)> {
        posts
            .as_array()
            .expect("array")
            .iter()
            .map(|p| {
                (
                    p["title"].as_str().expect("title").to_string(),
                    p["filtered"].as_bool().expect("filtered"),
                    p["filter_reason"].clone(),
                )
            })
            .collect()
    };
    let posts = preview(&[
        &feed,
        "--no-fetch-article",
        "--filter-exclude",
        "title:SPONSORED",
        "--filter-include",
        "kubernetes",
        "--filter-include",
        "url:/posts/sponsored",
    ])
    .await;
    assert_eq!(
        marks(&posts),
        [
            (
                "Post sponsored-a".to_string(),
                true,
                serde_json::json!("exclude pattern \"title:SPONSORED\" matched")
            ),
            (
                "Post kubernetes-b".to_string(),
                false,
                serde_json::Value::Null
            ),
            (
                "Post c".to_string(),
                true,
                serde_json::json!("no include pattern matched")
            ),
        ]
    );
    assert_eq!(posts[0]["page_reason"], "filtered");
    assert_eq!(posts[1]["page_reason"], "never");

    // The patterns of the config's feed with that URL, in the text output.
    let dir = TestDir::new(&format!(
        "exclude = [\"category:nothing\"]\n[[feed]]\nname = \"F\"\nurl = \"{feed}\"\nexclude = [\"summary:text of kubernetes\"]\n"
    ));
    let config = dir.config_path().display().to_string();
    let (code, stdout, stderr) = linkpost_async(vec![
        "preview".into(),
        feed.clone(),
        "--no-fetch-article".into(),
        "--config".into(),
        config,
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "[filtered] Post kubernetes-b\n  filter:  kept out, exclude pattern \"summary:text of kubernetes\" matched"
        ),
        "{stdout}"
    );
    assert!(stdout.starts_with("Post sponsored-a\n"), "{stdout}");
    assert!(!dir.database().exists(), "preview touches no store");

    // A bad pattern is refused like a bad config.
    let (code, _, stderr) = linkpost_async(vec![
        "preview".into(),
        feed,
        "--filter-exclude".into(),
        "title:(".into(),
    ])
    .await;
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("--filter-exclude \"title:(\": invalid regular expression"),
        "{stderr}"
    );
}
