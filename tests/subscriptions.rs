//! Managing the feed list from the command line: `import-opml`,
//! `export-opml` and `add`, each checked on the config file's text before
//! and after (comments kept, only new lines added, nothing changed on any
//! error), against loopback servers only.

mod common;

use std::path::Path;

use common::{TestDir, fixtures, linkpost, linkpost_async, rss};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A config with comments, a feed and a rule after it.
const CONFIG: &str = "# The feeds of my link blog.\n\
    tldr_length = 500 # short tldrs\n\n\
    [[feed]]\n\
    name = \"Daring Fireball\"\n\
    url = \"https://daringfireball.net/feeds/main\" # already here\n\
    tags = [\"apple\"]\n\n\
    # Rules come last.\n\
    [[rule]]\n\
    name = \"example\"\n\
    hosts = [\"example.org\"]\n\
    content = [\"article\"]\n";

fn config_text(dir: &TestDir) -> String {
    std::fs::read_to_string(dir.config_path()).expect("read config")
}

fn run(dir: &TestDir, args: &[&str]) -> (i32, String, String) {
    let config = dir.config_path().display().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--config", &config]);
    linkpost(&all)
}

/// (name, url, tags) of every feed of the config, as `check` reads it.
fn feeds_of(config: &Path) -> Vec<(String, String, Vec<String>)> {
    linkpost::config::Config::load(config)
        .expect("valid config")
        .feeds
        .into_iter()
        .map(|f| (f.name, f.url.to_string(), f.tags))
        .collect()
}

#[test]
fn importing_a_readers_opml_appends_its_feeds_keeping_the_file() {
    let dir = TestDir::new(CONFIG);
    let before = config_text(&dir);
    let opml = fixtures().join("opml/netnewswire-subs.opml");
    let opml = opml.to_str().expect("utf-8 path");

    // A dry run shows the change and writes nothing.
    let (code, stdout, stderr) = run(&dir, &["import-opml", opml, "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("+[[feed]]"), "{stdout}");
    assert!(stdout.contains("dry run"), "{stdout}");
    assert_eq!(config_text(&dir), before);

    let (code, stdout, stderr) = run(&dir, &["import-opml", opml]);
    assert_eq!(code, 0, "{stderr}");
    let after = config_text(&dir);
    // Comments, layout and every old line kept; the feeds come after them.
    assert!(after.starts_with(&before), "{after}");
    let feeds = feeds_of(&dir.config_path());
    // 207 outlines: Daring Fireball is already there (http, not https) and
    // one feed is listed twice.
    assert_eq!(feeds.len(), 1 + 205, "{stdout}");
    assert!(
        stdout.contains(
            "= http://daringfireball.net/feeds/main (already there as \"Daring Fireball\")"
        ),
        "{stdout}"
    );
    // Folders become tags; names stay unique.
    let find = |name: &str| {
        feeds
            .iter()
            .find(|f| f.0 == name)
            .unwrap_or_else(|| panic!("no feed {name}"))
    };
    assert_eq!(find("Charlie's Diary").2, ["Writers"]);
    assert_eq!(find("chat & code").2, Vec::<String>::new());
    assert_eq!(
        find("Daring Fireball").1,
        "https://daringfireball.net/feeds/main"
    );
    let names: std::collections::HashSet<&String> = feeds.iter().map(|f| &f.0).collect();
    assert_eq!(names.len(), feeds.len());

    // A second import adds nothing and leaves the file as it is.
    let (code, stdout, stderr) = run(&dir, &["import-opml", opml]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(": 0 new, 207 already present"), "{stdout}");
    assert_eq!(config_text(&dir), after);
}

#[test]
fn nested_folders_become_tags_and_names_are_made_unique() {
    let dir = TestDir::new(CONFIG);
    let opml = dir.dir.path().join("nested.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Inoreader</title></head><body>
  <outline text="Cloud">
    <outline text="CNCF projects">
      <outline text="Daring Fireball" title="Daring Fireball" type="rss" xmlUrl="https://example.com/df-other.xml"/>
      <outline text="no url folder"/>
    </outline>
    <outline title="Istio" text="Istio" xmlUrl="https://istio.io/latest/blog/feed.xml" category="/service mesh"/>
  </outline>
  <outline text="ftp" xmlUrl="ftp://example.com/feed"/>
</body></opml>"#,
    )
    .expect("write opml");
    let (code, stdout, stderr) = run(&dir, &["import-opml", opml.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    let feeds = feeds_of(&dir.config_path());
    assert_eq!(
        feeds[1..],
        [
            (
                "Daring Fireball (2)".to_string(),
                "https://example.com/df-other.xml".to_string(),
                vec!["Cloud".to_string(), "CNCF projects".to_string()]
            ),
            (
                "Istio".to_string(),
                "https://istio.io/latest/blog/feed.xml".to_string(),
                vec!["Cloud".to_string(), "service mesh".to_string()]
            ),
        ]
    );
    assert!(
        stdout.contains("! ftp://example.com/feed: ftp is no http or https URL"),
        "{stdout}"
    );
}

#[test]
fn export_then_import_gives_the_same_feeds() {
    let source = TestDir::new(
        "[[feed]]\nname = \"CNCF & friends <3>\"\nurl = \"https://www.cncf.io/feed/?a=1&b=2\"\n\
         tags = [\"cncf\", \"cloud native\"]\n\n\
         [[feed]]\nname = \"Untagged\"\nurl = \"https://example.com/feed.xml\"\n\n\
         [[feed]]\nname = \"Also CNCF\"\nurl = \"https://example.net/atom.xml\"\ntags = [\"cncf\"]\n",
    );
    let (code, opml, stderr) = run(&source, &["export-opml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(opml.contains("<opml version=\"2.0\">"), "{opml}");
    let file = source.dir.path().join("export.opml");
    std::fs::write(&file, &opml).expect("write opml");

    let target = TestDir::new("# nothing yet\n");
    let (code, _, stderr) = run(&target, &["import-opml", file.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    let mut expected = feeds_of(&source.config_path());
    let mut imported = feeds_of(&target.config_path());
    expected.sort();
    imported.sort();
    assert_eq!(imported, expected);

    // `--output` writes the same document to a file.
    let out = source.dir.path().join("out.opml");
    let (code, _, stderr) = run(
        &source,
        &["export-opml", "--output", out.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(&out).expect("read export");
    let strip_date = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("dateCreated"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_date(&written), strip_date(&opml));
}

#[test]
fn hostile_opml_files_are_refused_and_change_nothing() {
    let dir = TestDir::new(CONFIG);
    let before = config_text(&dir);
    let bombs = dir.dir.path();

    let entities = bombs.join("laughs.opml");
    let mut laughs =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE opml [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        laughs.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    laughs.push_str("]>\n<opml version=\"2.0\"><body><outline text=\"&lol9;\" xmlUrl=\"https://x.example/\"/></body></opml>\n");
    std::fs::write(&entities, laughs).expect("write");

    let deep = bombs.join("deep.opml");
    std::fs::write(
        &deep,
        format!(
            "<opml version=\"2.0\"><body>{}<outline text=\"f\" xmlUrl=\"https://x.example/\"/>{}</body></opml>",
            "<outline text=\"folder\">".repeat(100_000),
            "</outline>".repeat(100_000)
        ),
    )
    .expect("write");

    let huge = bombs.join("huge.opml");
    let file = std::fs::File::create(&huge).expect("create");
    file.set_len(100 * 1024 * 1024)
        .expect("a sparse 100 MB file");

    let cases = [
        (&entities, "declares XML entities"),
        (&deep, "nest deeper than"),
        (&huge, "larger than 32 MiB"),
    ];
    for (file, message) in cases {
        let (code, stdout, stderr) = run(&dir, &["import-opml", file.to_str().expect("utf-8")]);
        assert_eq!(code, 1, "{}: {stdout}{stderr}", file.display());
        assert!(stderr.contains(message), "{}: {stderr}", file.display());
        assert!(stderr.contains(&file.display().to_string()), "{stderr}");
        assert_eq!(config_text(&dir), before);
    }
}

#[test]
fn an_import_that_would_break_the_config_writes_nothing() {
    // A config whose `feed` is no list of tables cannot take new feeds.
    let dir = TestDir::new("feed = \"oops\"\n");
    let before = config_text(&dir);
    let (code, _, stderr) = run(
        &dir,
        &[
            "import-opml",
            fixtures()
                .join("opml/netnewswire-no-titles.opml")
                .to_str()
                .expect("utf-8"),
        ],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("linkpost.toml"), "{stderr}");
    assert_eq!(config_text(&dir), before);
}

/// A server with the page of an article of The Atlantic (two feed links),
/// the two feeds, a site whose feed is only at a common path, a page that
/// links a thousand feeds, and a page that links two feeds of other sites.
async fn site() -> MockServer {
    let server = MockServer::start().await;
    let base = server.uri();
    let page =
        std::fs::read(fixtures().join("discovery/theatlantic-article.html")).expect("read page");
    let mount = |at: &'static str, template: ResponseTemplate| {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(template)
    };
    let html =
        |body: Vec<u8>| ResponseTemplate::new(200).set_body_raw(body, "text/html; charset=utf-8");
    let feed = |body: String| ResponseTemplate::new(200).set_body_raw(body, "application/rss+xml");
    mount("/2026/12/article/", html(page)).mount(&server).await;
    mount("/feed/all/", feed(rss(&base, &[("one", 1), ("two", 2)])))
        .mount(&server)
        .await;
    mount("/feed/best-of/", feed(rss(&base, &[("best", 3)])))
        .mount(&server)
        .await;
    let plain = b"<html><head><title>No links</title></head><body>hi</body></html>".to_vec();
    mount("/plain/", html(plain)).mount(&server).await;
    mount("/index.xml", feed(rss(&base, &[("indexed", 4)])))
        .mount(&server)
        .await;
    let many: String = (0..1000)
        .map(|i| {
            format!(
                "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed/all/?n={i}\">"
            )
        })
        .collect();
    mount(
        "/many/",
        html(format!("<html><head>{many}</head></html>").into_bytes()),
    )
    .mount(&server)
    .await;
    let elsewhere = "<html><head>\
        <link rel=\"alternate\" type=\"application/rss+xml\" href=\"http://a.invalid/feed\">\
        <link rel=\"alternate\" type=\"application/atom+xml\" href=\"http://b.invalid/feed\">\
        </head></html>";
    mount("/elsewhere/", html(elsewhere.as_bytes().to_vec()))
        .mount(&server)
        .await;
    // Article pages of the feeds' entries: anything else is a 404.
    server
}

#[tokio::test]
async fn add_finds_the_main_feed_of_an_article_page_and_appends_it() {
    let server = site().await;
    let dir = TestDir::new(CONFIG);
    let before = config_text(&dir);
    let config = dir.config_path().display().to_string();
    let article = format!("{}/2026/12/article/", server.uri());
    let args = |more: &[&str]| {
        let mut args: Vec<String> = ["add", &article, "--config", &config]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(more.iter().map(|s| s.to_string()));
        args
    };

    let (code, stdout, stderr) =
        linkpost_async(args(&["--tags", "news,long reads", "--dry-run"])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("found 2 feeds"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "1. {}/feed/all/ \"The Atlantic\"  <- chosen",
            server.uri()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("the first poll would write 2 drafts"),
        "{stdout}"
    );
    assert!(stdout.contains("Post two"), "{stdout}");
    assert!(stdout.contains("+[[feed]]"), "{stdout}");
    assert_eq!(config_text(&dir), before, "a dry run writes nothing");

    let (code, stdout, stderr) = linkpost_async(args(&["--tags", "news,long reads"])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("added feed \"T\""), "{stdout}");
    let after = config_text(&dir);
    assert_eq!(
        after,
        format!(
            "{before}\n[[feed]]\nname = \"T\"\nurl = \"{}/feed/all/\"\ntags = [\"news\", \"long reads\"]\n",
            server.uri()
        )
    );

    // The same feed again is refused; so is a second feed of a taken name.
    let (code, _, stderr) = linkpost_async(args(&[])).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("already in"), "{stderr}");
    assert!(stderr.contains("as feed \"T\""), "{stderr}");
    let (code, _, stderr) = linkpost_async(args(&["--pick", "2", "--name", "T"])).await;
    assert_eq!(code, 1);
    assert!(
        stderr.contains("already has a feed named \"T\""),
        "{stderr}"
    );

    // --pick takes the other one; its name is made unique.
    let (code, stdout, stderr) = linkpost_async(args(&["--pick", "2"])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("added feed \"T (2)\""), "{stdout}");
    assert_eq!(config_text(&dir).matches("[[feed]]").count(), 3);
    assert!(config_text(&dir).starts_with(&after));
}

#[tokio::test]
async fn add_tries_common_paths_and_takes_a_feed_url_as_it_is() {
    let server = site().await;
    let dir = TestDir::new("");
    let config = dir.config_path().display().to_string();

    let plain = format!("{}/plain/", server.uri());
    let (code, stdout, stderr) =
        linkpost_async(vec!["add".into(), plain, "--config".into(), config.clone()]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("(at a common feed path)"), "{stdout}");
    let feeds = feeds_of(&dir.config_path());
    assert_eq!(feeds.len(), 1);
    assert_eq!(feeds[0].1, format!("{}/index.xml", server.uri()));

    let feed = format!("{}/feed/best-of/", server.uri());
    let (code, stdout, stderr) = linkpost_async(vec![
        "add".into(),
        feed.clone(),
        "--name".into(),
        "Best of".into(),
        "--config".into(),
        config,
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("found"), "one feed, no list: {stdout}");
    assert!(
        stdout.contains("the first poll would write 1 drafts"),
        "{stdout}"
    );
    assert_eq!(feeds_of(&dir.config_path())[1].1, feed);
}

#[tokio::test]
async fn add_caps_a_page_of_a_thousand_feeds_and_asks_when_none_stands_out() {
    let server = site().await;
    let dir = TestDir::new(CONFIG);
    let before = config_text(&dir);
    let config = dir.config_path().display().to_string();

    let many = format!("{}/many/", server.uri());
    let (code, stdout, stderr) = linkpost_async(vec![
        "add".into(),
        many,
        "--dry-run".into(),
        "--config".into(),
        config.clone(),
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("found 50 feeds"), "{stdout}");
    assert!(
        stdout.contains("950 more feed links on the page were left out"),
        "{stdout}"
    );

    let elsewhere = format!("{}/elsewhere/", server.uri());
    let (code, stdout, stderr) = linkpost_async(vec![
        "add".into(),
        elsewhere,
        "--config".into(),
        config.clone(),
    ])
    .await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("1. http://a.invalid/feed"), "{stdout}");
    assert!(stderr.contains("choose one with --pick"), "{stderr}");

    let nothing = format!("{}/nothing-here/", server.uri());
    let (code, _, stderr) =
        linkpost_async(vec!["add".into(), nothing, "--config".into(), config]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("nothing-here"), "{stderr}");
    assert_eq!(config_text(&dir), before, "no error changes the config");
}
