//! End to end: the CNCF fixture served on 127.0.0.1, polled by the real
//! binary and by the library, checked against the expected post.

mod common;

use std::sync::Arc;

use common::{TestDir, Value, get, linkpost_async, read_post, serve_fixture};
use linkpost::refresh::{self, Refresher, Shared};
use linkpost::store::Store;

const ISTIO_FILE: &str =
    "2025-09-09-kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day.md";

fn cncf_feed(server_uri: &str) -> String {
    format!(
        "[[feed]]\nname = \"CNCF\"\nurl = \"{server_uri}/feed.xml\"\ntags = [\"cncf\"]\n\
         summary_selector = \".post-content\"\ndraft = true\n"
    )
}

async fn poll_with_binary(dir: &TestDir) -> (i32, String) {
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    (code, stderr)
}

async fn poll_with_library(dir: &TestDir) -> linkpost::refresh::PassReport {
    let config = Arc::new(dir.load_config());
    let store = Store::open(&config.database).expect("open store");
    let refresher = Arc::new(Refresher::new(config, &Shared::new(store)).expect("refresher"));
    refresh::poll_all(refresher).await.expect("pass runs")
}

#[tokio::test]
async fn cncf_fixture_produces_the_seed_post_and_a_second_poll_writes_nothing() {
    let server = serve_fixture("cncf").await;
    let dir = TestDir::new(&cncf_feed(&server.uri()));

    let (code, stderr) = poll_with_binary(&dir).await;
    assert_eq!(code, 0, "poll exits 0; stderr:\n{stderr}");
    let posts = dir.posts();
    let names: Vec<String> = posts
        .iter()
        .map(|p| {
            p.file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "2025-09-08-fixture-post-with-quotes-a-colon-all-in-the-title.md",
            ISTIO_FILE,
            "2025-09-10-fixture-post-platform-teams-and-the-golden-path.md",
        ]
    );

    // The Istio Day post equals the expected file, as YAML values in key order.
    let port = server.address().port().to_string();
    let expected =
        std::fs::read_to_string(common::fixtures().join("cncf/expected/istio-day.draft.md"))
            .expect("expected file")
            .replace("PORT", &port);
    let actual = std::fs::read_to_string(dir.output_dir().join(ISTIO_FILE)).expect("istio post");
    let (want_pairs, want_body) = read_post(&expected);
    let (got_pairs, got_body) = read_post(&actual);
    assert_eq!(got_pairs, want_pairs);
    assert_eq!(got_body.trim_end(), want_body.trim_end());

    // The item without a page falls back to the feed's description, and its
    // title's quotes, ampersand and colon survive.
    let text = std::fs::read_to_string(&posts[0]).expect("markup post");
    let (pairs, body) = read_post(&text);
    assert_eq!(
        get(&pairs, "title").as_str(),
        "Fixture post with \"quotes\" & a colon: all in the title"
    );
    assert_eq!(get(&pairs, "date").as_str(), "2025-09-08T16:00:00+00:00");
    assert_eq!(get(&pairs, "source").as_str(), "CNCF");
    assert_eq!(
        get(&pairs, "tags"),
        &Value::List(vec![Value::Str("cncf".into())])
    );
    assert_eq!(get(&pairs, "draft"), &Value::Bool(true));
    let url = format!("http://127.0.0.1:{port}/blog/2025/09/08/fixture-markup-title/");
    assert_eq!(get(&pairs, "external_url").as_str(), url);
    assert_eq!(
        get(&pairs, "summary").as_str(),
        "This entry has no usable article page, so its summary comes from the feed itself. \
         It checks that quotes, ampersands and colons survive the front matter."
    );
    assert_eq!(get(&pairs, "tldr"), get(&pairs, "summary"));
    assert_eq!(
        body.trim_end(),
        format!("[Open the original post ↗]({url})")
    );

    // The platform post takes its page's text and drops the tracking parameters.
    let text = std::fs::read_to_string(&posts[2]).expect("platform post");
    let (pairs, _) = read_post(&text);
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "title",
            "date",
            "tags",
            "source",
            "external_url",
            "post_kind",
            "draft",
            "tldr",
            "summary"
        ]
    );
    assert!(!get(&pairs, "external_url").as_str().contains("utm_"));
    assert!(!get(&pairs, "summary").as_str().is_empty());

    // A second poll writes nothing and fetches no article page.
    let before: Vec<String> = posts
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect();
    let requests_before = server.received_requests().await.expect("recorded").len();
    let (code, stderr) = poll_with_binary(&dir).await;
    assert_eq!(code, 0, "second poll exits 0; stderr:\n{stderr}");
    let after: Vec<String> = dir
        .posts()
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect();
    assert_eq!(after, before, "second poll changes no file");
    let requests = server.received_requests().await.expect("recorded");
    let new_paths: Vec<&str> = requests[requests_before..]
        .iter()
        .map(|r| r.url.path())
        .collect();
    assert_eq!(
        new_paths,
        ["/feed.xml"],
        "second poll fetches only the feed"
    );
}

#[tokio::test]
async fn same_article_with_other_tracking_parameters_in_a_second_feed_writes_nothing() {
    let server = serve_fixture("cncf").await;
    let dir = TestDir::new(&cncf_feed(&server.uri()));
    let report = poll_with_library(&dir).await;
    assert_eq!(report.posts_written, 3);

    // A second feed, e.g. a newsletter, links the Istio Day article with its own tracking.
    let port = server.address().port();
    let other = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Newsletter</title>
        <item><title>Istio Day is coming</title>
        <link>HTTP://127.0.0.1:{port}/blog/2025/09/09/kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day/?utm_source=newsletter&amp;utm_campaign=w37&amp;fbclid=abc#top</link>
        <guid>newsletter-37-1</guid><pubDate>Thu, 11 Sep 2025 09:00:00 +0000</pubDate>
        <description>Same article, other feed.</description></item>
        </channel></rss>"#
    );
    std::fs::write(dir.dir.path().join("newsletter.xml"), other).expect("write feed");
    dir.append_config("[[feed]]\nname = \"Newsletter\"\nurl = \"file:newsletter.xml\"\n");
    let report = poll_with_library(&dir).await;
    assert_eq!(report.feeds_failed, 0);
    assert_eq!(
        report.posts_written, 0,
        "the article is known under its normalized URL"
    );
    assert_eq!(dir.posts().len(), 3);
}

fn feed_with_link(link: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
        <item><title>Renamed post</title><link>{link}</link>
        <guid isPermaLink="false">https://blog.example/?p=42</guid>
        <pubDate>Mon, 01 Sep 2025 10:00:00 +0000</pubDate>
        <description>Body.</description></item>
        </channel></rss>"#
    )
}

#[tokio::test]
async fn same_guid_under_a_changed_link_writes_nothing() {
    let dir = TestDir::new("[[feed]]\nname = \"Blog\"\nurl = \"file:blog.xml\"\n");
    let feed_path = dir.dir.path().join("blog.xml");
    std::fs::write(
        &feed_path,
        feed_with_link("https://blog.example/2025/09/old-slug/"),
    )
    .expect("write");
    assert_eq!(poll_with_library(&dir).await.posts_written, 1);

    std::fs::write(
        &feed_path,
        feed_with_link("https://blog.example/2025/09/new-slug/"),
    )
    .expect("write");
    let report = poll_with_library(&dir).await;
    assert_eq!((report.feeds_failed, report.posts_written), (0, 0));
    assert_eq!(dir.posts().len(), 1);
}

#[tokio::test]
async fn first_poll_writes_only_the_newest_backfill_entries_and_never_the_rest() {
    let items: String = (1..=5)
        .map(|day| {
            format!(
                "<item><title>Post {day}</title><link>https://b.example/{day}</link>\
                 <pubDate>0{day} Sep 2025 10:00:00 +0000</pubDate><description>Text {day}.</description></item>"
            )
        })
        .collect();
    let dir = TestDir::new(
        "[[feed]]\nname = \"B\"\nurl = \"file:b.xml\"\nbackfill = 2\nfetch_article = false\n",
    );
    std::fs::write(
        dir.dir.path().join("b.xml"),
        format!("<rss version=\"2.0\"><channel>{items}</channel></rss>"),
    )
    .expect("write");
    assert_eq!(poll_with_library(&dir).await.posts_written, 2);
    let names: Vec<String> = dir
        .posts()
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["2025-09-04-post-4.md", "2025-09-05-post-5.md"]);
    // Later polls do not bring back the skipped ones.
    assert_eq!(poll_with_library(&dir).await.posts_written, 0);
    assert_eq!(dir.posts().len(), 2);
}

/// Puts the entry behind `file` back into the state a crash would leave:
/// claimed (pending, with its rendered post), the file present or not.
fn simulate_crash_before_mark(dir: &TestDir, file: &str, remove_file: bool) {
    let path = dir.output_dir().join(file);
    let content = std::fs::read_to_string(&path).expect("post exists");
    if remove_file {
        std::fs::remove_file(&path).expect("remove post");
    }
    let conn = rusqlite::Connection::open(dir.database()).expect("open db");
    let changed = conn
        .execute(
            "UPDATE entries SET state = 'pending', pending_content = ?2, final_state = 'draft',
                    written_at = NULL
             WHERE file = ?1",
            rusqlite::params![file, content],
        )
        .expect("update");
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn a_crash_between_claim_and_write_loses_nothing_and_duplicates_nothing() {
    let server = serve_fixture("cncf").await;
    let dir = TestDir::new(&cncf_feed(&server.uri()));
    assert_eq!(poll_with_library(&dir).await.posts_written, 3);
    let original = std::fs::read_to_string(dir.output_dir().join(ISTIO_FILE)).expect("read");

    // Crash after the claim, before the file was written.
    simulate_crash_before_mark(&dir, ISTIO_FILE, true);
    let report = poll_with_library(&dir).await;
    assert_eq!(report.recovered, 1, "the claimed post is finished");
    assert_eq!(dir.posts().len(), 3, "one file per entry");
    assert_eq!(
        std::fs::read_to_string(dir.output_dir().join(ISTIO_FILE)).expect("read"),
        original
    );

    // Crash after the file was written, before the store said so.
    simulate_crash_before_mark(&dir, ISTIO_FILE, false);
    let report = poll_with_library(&dir).await;
    assert_eq!(report.recovered, 1);
    assert_eq!(dir.posts().len(), 3, "no second file");

    // Power loss after the link, before the data reached the disk: the file
    // is empty or cut short. It is this entry's, so it is completed in place.
    for keep in [0, 10] {
        simulate_crash_before_mark(&dir, ISTIO_FILE, false);
        let path = dir.output_dir().join(ISTIO_FILE);
        std::fs::write(&path, &original.as_bytes()[..keep]).expect("tear the file");
        let report = poll_with_library(&dir).await;
        assert_eq!(report.recovered, 1);
        assert_eq!(dir.posts().len(), 3, "no second file for a torn one");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            original,
            "completed in place"
        );
    }

    // And nothing is pending any more.
    assert_eq!(poll_with_library(&dir).await.posts_written, 0);
    assert_eq!(dir.posts().len(), 3);
}

#[tokio::test]
async fn an_existing_file_is_never_overwritten() {
    let server = serve_fixture("cncf").await;
    let dir = TestDir::new(&cncf_feed(&server.uri()));
    std::fs::create_dir_all(dir.output_dir()).expect("mkdir");
    std::fs::write(dir.output_dir().join(ISTIO_FILE), "a person's own file\n").expect("write");
    assert_eq!(poll_with_library(&dir).await.posts_written, 3);
    assert_eq!(
        std::fs::read_to_string(dir.output_dir().join(ISTIO_FILE)).expect("read"),
        "a person's own file\n"
    );
    let alt = ISTIO_FILE.replace(".md", "-2.md");
    let (pairs, _) =
        read_post(&std::fs::read_to_string(dir.output_dir().join(alt)).expect("alternative name"));
    assert_eq!(get(&pairs, "source").as_str(), "CNCF");
}

#[tokio::test]
async fn categories_become_tags_mapped_dropped_and_quoted() {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    let link = format!("{}/posts/1", server.uri());
    let feed = format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T</title>\
         <link>{link}</link><description>d</description>\
         <item><title>One</title><link>{link}</link><guid>{link}</guid>\
         <description>Some words about the post.</description>\
         <category> Cloud Native </category><category>Uncategorized</category>\
         <category>CNCF</category><category>Rust</category><category>rust</category>\
         <category>a: b&#10;- c</category><category>&lt;script&gt;</category>\
         <category>   </category></item></channel></rss>"
    );
    Mock::given(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"))
        .mount(&server)
        .await;
    let dir = TestDir::new(&format!(
        "tags_from_categories = true\ntag_drop = [\"uncategorized\"]\n\
         [[feed]]\nname = \"Blog\"\nurl = \"{}/feed.xml\"\ntags = [\"cncf\"]\n\
         fetch_article = false\ntag_map = {{ \"cloud native\" = \"Cloud-Native\" }}\n",
        server.uri()
    ));
    let (code, stderr) = poll_with_binary(&dir).await;
    assert_eq!(code, 0, "poll exits 0; stderr:\n{stderr}");
    let posts = dir.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let text = std::fs::read_to_string(&posts[0]).expect("read post");
    let (pairs, _) = read_post(&text);
    let want = ["cncf", "Cloud-Native", "rust", "a: b\n- c", "<script>"]
        .map(|t| Value::Str(t.to_string()))
        .to_vec();
    assert_eq!(get(&pairs, "tags"), &Value::List(want), "{text}");
}
