//! The command line: exit codes and messages a script can rely on.

mod common;

use common::{TestDir, linkpost, linkpost_async, serve_fixture};

#[test]
fn check_accepts_the_shipped_example() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config/linkpost.toml");
    let (code, stdout, stderr) = linkpost(&["check", "--config", example]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("ok, 3 feeds"), "{stdout}");
}

#[test]
fn the_shipped_example_sets_every_key() {
    // Every key the config accepts appears, uncommented, in the example.
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/linkpost.toml"))
            .expect("read example");
    let set: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    for key in [
        "database",
        "output_dir",
        "publish_dir",
        "user_agent",
        "concurrency",
        "per_host_limit",
        "connect_timeout",
        "timeout",
        "max_body_size",
        "tldr_length",
        "summary_length",
        "allow_private_addresses",
        "durable_writes",
        "name",
        "url",
        "tags",
        "summary_selector",
        "summary_exclude",
        "fetch_article",
        "draft",
        "backfill",
        "interval",
    ] {
        assert!(
            set.contains(&key),
            "config/linkpost.toml does not set `{key}`"
        );
    }
    let config = linkpost::config::Config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/linkpost.toml"
    )))
    .expect("example is valid");
    let urls: Vec<&str> = config.feeds.iter().map(|f| f.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://www.cncf.io/feed/",
            "https://kubernetes.io/feed.xml",
            "https://istio.io/latest/blog/feed.xml"
        ]
    );
}

#[test]
fn invalid_config_exits_3_naming_file_line_and_key() {
    let dir = TestDir::new(
        "[[feed]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n[[feed]]\nname = \"A\"\nurl = \"https://b.example/feed\"\n",
    );
    let config = dir.config_path().display().to_string();
    for command in ["check", "poll"] {
        let (code, _, stderr) = linkpost(&[command, "--config", &config]);
        assert_eq!(code, 3, "{command}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{config}:7: feed[1].name: duplicate feed name \"A\""
            )),
            "{stderr}"
        );
    }
    assert!(
        !dir.database().exists(),
        "nothing created for an invalid config"
    );
}

#[test]
fn missing_config_exits_3() {
    let (code, _, stderr) = linkpost(&["poll", "--config", "/nonexistent/linkpost.toml"]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("cannot read config /nonexistent/linkpost.toml"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_failing_feed_is_counted_and_does_not_stop_the_others() {
    let server = serve_fixture("cncf").await;
    let uri = server.uri();
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"Broken\"\nurl = \"{uri}/missing.xml\"\n\
         [[feed]]\nname = \"Not a feed\"\nurl = \"{uri}/blog/2025/09/10/fixture-platform-teams-golden-path/\"\n\
         [[feed]]\nname = \"CNCF\"\nurl = \"{uri}/feed.xml\"\n"
    ));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 2, "exit 2 when a feed failed: {stderr}");
    assert!(stderr.contains("missing.xml answered HTTP 404"), "{stderr}");
    assert!(stderr.contains("not a feed linkpost can read"), "{stderr}");
    assert_eq!(dir.posts().len(), 3, "the healthy feed wrote its posts");
}
