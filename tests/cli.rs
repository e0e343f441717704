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
        "review_listen",
        "review_token",
        "http_listen",
        "reject_keep",
        "notify_after",
        "tags_from_categories",
        "tag_map",
        "tag_drop",
        "include",
        "name",
        "url",
        "tags",
        "summary_selector",
        "summary_exclude",
        "fetch_article",
        "draft",
        "backfill",
        "interval",
        "hosts",
        "generator",
        "markup",
        "content",
        "exclude",
        "secret",
        "events",
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
    // The example's webhook is a placeholder on a reserved name: no test
    // polls the example, and nothing may ever reach it.
    let hooks: Vec<&str> = config.notify.iter().map(|n| n.url.as_str()).collect();
    assert_eq!(hooks, ["https://hooks.example.com/linkpost"]);
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
fn an_invalid_filter_pattern_exits_3_naming_file_line_and_key() {
    let dir = TestDir::new(
        "exclude = [\"title:sponsor\"]\n[[feed]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n\
         [[feed]]\nname = \"B\"\nurl = \"https://b.example/feed\"\nexclude = [\"ok\", \"title:[z-a]\"]\n",
    );
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost(&["check", "--config", &config]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{config}:10: feed[1].exclude[1]: \"title:[z-a]\": invalid regular expression: "
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
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

/// Runs `linkpost` with its stdout a pipe whose reader is already gone, as
/// in `linkpost drafts | head -0`: every write fails with a broken pipe.
fn linkpost_into_closed_pipe(args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linkpost"))
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run linkpost");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_closed_stdout_ends_a_command_quietly_with_exit_0() {
    let server = serve_fixture("cncf").await;
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"CNCF\"\nurl = \"{}/feed.xml\"\nsummary_selector = \".post-content\"\n",
        server.uri()
    ));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) =
        linkpost_async(vec!["poll".into(), "--config".into(), config.clone()]).await;
    assert_eq!(code, 0, "{stderr}");
    for args in [
        vec!["drafts", "--config", &config],
        vec!["drafts", "--json", "--config", &config],
        vec!["feeds", "--config", &config],
        vec!["check", "--config", &config],
    ] {
        let (code, stderr) = linkpost_into_closed_pipe(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(
            !stderr.contains("Broken pipe") && !stderr.contains("linkpost:"),
            "{args:?} ends quietly: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_fetch_failure_names_the_url_once_and_each_cause_once() {
    // A port nothing listens on: the connection is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("http://127.0.0.1:{port}/feed.xml");
    let dir = TestDir::new(&format!("[[feed]]\nname = \"Offline\"\nurl = \"{url}\"\n"));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 2, "a failed feed makes poll exit 2: {stderr}");
    let feeds = common::feeds_json(&dir).await;
    let error = feeds[0]["last_error"].as_str().expect("last_error");
    assert!(
        error.starts_with(&format!("request to {url} failed: ")),
        "the URL comes first: {error}"
    );
    assert_eq!(error.matches(&url).count(), 1, "the URL once: {error}");
    assert!(
        !error.contains("internal error"),
        "a fetch failure is the feed's error: {error}"
    );
    let causes: Vec<&str> = error.split(": ").collect();
    for (i, cause) in causes.iter().enumerate() {
        assert!(
            !causes[i + 1..].contains(cause),
            "{cause:?} printed twice: {error}"
        );
    }
}

#[test]
fn an_unreadable_config_prints_its_cause_once() {
    let (code, _, stderr) = linkpost(&["check", "--config", "/nonexistent/linkpost.toml"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
}

/// `man/` holds the pages `linkpost manpages` writes from the clap
/// definitions; a change to a command's arguments or help must regenerate
/// them (`cargo run -- manpages man`).
#[test]
fn the_committed_man_pages_are_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linkpost"))
        .args(["manpages", &dir.path().display().to_string()])
        .env_remove("LINKPOST_CONFIG")
        .output()
        .expect("run linkpost");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let names = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read man folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let fresh = names(dir.path());
    assert!(fresh.contains(&"linkpost.1".to_string()), "{fresh:?}");
    assert_eq!(
        names(&committed),
        fresh,
        "man/ is stale: run `cargo run -- manpages man`"
    );
    for name in fresh {
        let want = std::fs::read_to_string(dir.path().join(&name)).expect("read fresh page");
        let have = std::fs::read_to_string(committed.join(&name)).expect("read committed page");
        assert!(
            want == have,
            "man/{name} is stale: run `cargo run -- manpages man`"
        );
    }
}

#[test]
fn completions_cover_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, script, stderr) = linkpost(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        for command in ["poll", "run", "approve", "import-opml", "add"] {
            assert!(
                script.contains(command),
                "{shell} completions lack {command}"
            );
        }
    }
}

/// The shell completions the package installs (`completions/`) are what
/// `linkpost completions` prints now.
#[test]
fn the_committed_completions_are_current() {
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "linkpost.bash"),
        ("zsh", "_linkpost"),
        ("fish", "linkpost.fish"),
    ] {
        let (code, script, stderr) = linkpost(&["completions", shell]);
        assert_eq!(code, 0, "{stderr}");
        let have = std::fs::read_to_string(committed.join(file)).expect("read completions");
        assert!(
            have == script,
            "completions/{file} is stale: run `cargo run -- completions {shell} > completions/{file}`"
        );
    }
}

/// The package's `/etc/linkpost/linkpost.toml` is the shipped example with
/// its paths under the service's state folder, and valid.
#[test]
fn the_packaged_config_is_the_example_with_service_paths() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join("config/linkpost.toml")).expect("read");
    let packaged = root.join("packaging/linkpost.toml");
    let service_line = |line: &str| -> String {
        let key = line.split(" =").next().unwrap_or_default();
        match key {
            "database" => "database = \"/var/lib/linkpost/linkpost.db\"".into(),
            "output_dir" => "output_dir = \"/var/lib/linkpost/drafts\"".into(),
            "publish_dir" => "publish_dir = \"/var/lib/linkpost/published\"".into(),
            _ if line.starts_with("# Try it:") => "# Installed by the linkpost package as \
                /etc/linkpost/linkpost.toml: the\n# service (linkpost.service) reads it. Edit \
                the feeds, then\n# `systemctl enable --now linkpost`; `systemctl reload \
                linkpost` after changes."
                .into(),
            _ => line.to_string(),
        }
    };
    let expected: Vec<String> = example.split('\n').map(service_line).collect();
    assert!(
        expected.join("\n") == std::fs::read_to_string(&packaged).expect("read packaged"),
        "packaging/linkpost.toml must be config/linkpost.toml with the service's paths: run packaging/make-config.sh"
    );
    // Checked as installed: beside the body template it names.
    let etc = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&packaged, etc.path().join("linkpost.toml")).expect("copy config");
    std::fs::copy(
        root.join("config/body.md.j2"),
        etc.path().join("body.md.j2"),
    )
    .expect("copy template");
    let installed = etc.path().join("linkpost.toml");
    let (code, stdout, stderr) =
        linkpost(&["check", "--config", installed.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("ok, 3 feeds"), "{stdout}");
}
