//! Review end to end: the CNCF fixture polled by the real binary, then
//! `drafts`, `approve` and `reject` run as a reviewer would, checking the
//! files and the store after each.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{TestDir, linkpost, linkpost_async, read_post, serve_fixture};
use linkpost::store::{EntryState, Store};

const ISTIO_FILE: &str =
    "2025-09-09-kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day.md";
const GOLDEN_PATH_FILE: &str = "2025-09-10-fixture-post-platform-teams-and-the-golden-path.md";

fn cncf_feed(server_uri: &str) -> String {
    format!(
        "[[feed]]\nname = \"CNCF\"\nurl = \"{server_uri}/feed.xml\"\ntags = [\"cncf\"]\n\
         summary_selector = \".post-content\"\ndraft = true\n"
    )
}

/// A test folder whose config sets `top` before the CNCF feed, polled once.
async fn polled(top: &str) -> (wiremock::MockServer, TestDir) {
    let server = serve_fixture("cncf").await;
    let dir = TestDir::new(&format!("{top}{}", cncf_feed(&server.uri())));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "poll; stderr:\n{stderr}");
    assert_eq!(dir.posts().len(), 3);
    (server, dir)
}

fn run(dir: &TestDir, args: &[&str]) -> (i32, String, String) {
    let config = dir.config_path().display().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--config", &config]);
    linkpost(&all)
}

fn drafts_json(dir: &TestDir) -> Vec<serde_json::Value> {
    let (code, stdout, stderr) = run(dir, &["drafts", "--json"]);
    assert_eq!(code, 0, "drafts; stderr:\n{stderr}");
    serde_json::from_str(&stdout).expect("drafts --json is JSON")
}

fn id_of(dir: &TestDir, file: &str) -> String {
    drafts_json(dir)
        .iter()
        .find(|d| d["path"].as_str().is_some_and(|p| p.ends_with(file)))
        .unwrap_or_else(|| panic!("{file} is not listed"))["id"]
        .to_string()
}

/// Every file under the test folder except the database, with contents.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("list") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if !path.ends_with("state") {
                    stack.push(path);
                }
            } else {
                out.insert(path.clone(), std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// Each post's (id, state, file, published file) as the store records it.
fn store_rows(dir: &TestDir) -> Vec<(i64, EntryState, String, Option<String>)> {
    let store = Store::open(&dir.database()).expect("open store");
    let all = [
        EntryState::Draft,
        EntryState::Approved,
        EntryState::Rejected,
        EntryState::Missing,
    ];
    let mut rows: Vec<_> = store
        .posts(&all)
        .expect("posts")
        .into_iter()
        .map(|p| (p.id, p.state, p.file, p.published_file))
        .collect();
    rows.sort_by_key(|r| r.0);
    rows
}

fn state_of(dir: &TestDir, file: &str) -> EntryState {
    store_rows(dir)
        .into_iter()
        .find(|r| r.2 == file)
        .unwrap_or_else(|| panic!("no row for {file}"))
        .1
}

#[tokio::test]
async fn approving_the_istio_day_draft_gives_the_expected_approved_post() {
    let (server, dir) = polled("").await;

    // `drafts --json`: newest first, with the fields scripts rely on.
    let drafts = drafts_json(&dir);
    let dates: Vec<&str> = drafts
        .iter()
        .map(|d| d["date"].as_str().expect("date"))
        .collect();
    assert_eq!(
        dates,
        [
            "2025-09-10T07:45:00+00:00",
            "2025-09-09T13:21:00+00:00",
            "2025-09-08T16:00:00+00:00"
        ]
    );
    for d in &drafts {
        for key in [
            "id",
            "path",
            "title",
            "source",
            "date",
            "external_url",
            "state",
        ] {
            assert!(!d[key].is_null(), "{key} missing in {d}");
        }
        assert_eq!(d["state"], "draft");
        assert_eq!(d["source"], "CNCF");
    }
    let istio = &drafts[1];
    assert_eq!(
        istio["title"],
        "KubeCon + CloudNativeCon North America 2025 Co-located Event Deep Dive: Istio Day"
    );
    let id = istio["id"].to_string();

    // The text listing shows the id, date, source, title, tldr and path.
    let (code, stdout, _) = run(&dir, &["drafts"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains(&format!("{id}  2025-09-09  CNCF  KubeCon + CloudNativeCon")),
        "{stdout}"
    );
    assert!(stdout.contains(ISTIO_FILE), "{stdout}");
    assert!(stdout.contains("3 drafts waiting"), "{stdout}");

    let draft_path = dir.output_dir().join(ISTIO_FILE);
    let draft = std::fs::read_to_string(&draft_path).expect("draft");
    let (code, stdout, stderr) = run(&dir, &["approve", &id]);
    assert_eq!(code, 0, "approve; stderr:\n{stderr}");
    assert!(stdout.contains(&format!("approved {id}")), "{stdout}");

    let approved = std::fs::read_to_string(&draft_path).expect("approved post");
    let port = server.address().port().to_string();
    let expected =
        std::fs::read_to_string(common::fixtures().join("cncf/expected/istio-day.approved.md"))
            .expect("expected file")
            .replace("PORT", &port);
    let (want_pairs, want_body) = read_post(&expected);
    let (got_pairs, got_body) = read_post(&approved);
    assert_eq!(got_pairs, want_pairs);
    assert_eq!(got_body.trim_end(), want_body.trim_end());
    assert_eq!(
        approved,
        draft.replacen("\ndraft: true\n", "\ndraft: false\n", 1),
        "only the draft value changed"
    );
    assert_eq!(state_of(&dir, ISTIO_FILE), EntryState::Approved);

    // No longer a draft; approving again is refused and changes nothing.
    assert_eq!(drafts_json(&dir).len(), 2);
    let before = files(dir.dir.path());
    let (code, _, stderr) = run(&dir, &["approve", &id]);
    assert_eq!(code, 1);
    assert!(stderr.contains("already approved"), "{stderr}");
    assert_eq!(files(dir.dir.path()), before);

    // `feeds` counts posts by state.
    let (code, stdout, _) = run(&dir, &["feeds", "--json"]);
    assert_eq!(code, 0);
    let feeds: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(feeds[0]["drafts"], 2);
    assert_eq!(feeds[0]["approved"], 1);
    assert_eq!(feeds[0]["posts_written"], 3);
}

#[tokio::test]
async fn an_edited_draft_keeps_every_edit_through_approve() {
    let (_server, dir) = polled("").await;
    let path = dir.output_dir().join(ISTIO_FILE);
    let draft = std::fs::read_to_string(&path).expect("draft");
    // The reviewer retitles it, adds a tag and a comment, rewrites the
    // summary as a block scalar and writes a body of their own.
    let (front, _) = draft
        .split_once("\n---\n")
        .expect("front matter ends with ---");
    let mut edited = String::new();
    for line in front.lines() {
        if line.starts_with("title:") {
            edited.push_str("title: \"Istio Day: what we're watching\"  # retitled\n");
        } else if line == "- cncf" {
            edited.push_str("- cncf\n- istio\n");
        } else if line.starts_with("summary:") {
            edited.push_str("summary: |\n  My own words.\n  draft: true is not a key here.\n");
        } else {
            edited.push_str(line);
            edited.push('\n');
        }
    }
    edited.push_str("---\nMy take: go.\n\n[Open the original post ↗](https://example.com/)\n");
    std::fs::write(&path, &edited).expect("edit draft");

    // By path, as a reviewer in the output folder would type it.
    let (code, _, stderr) = run(&dir, &["approve", &path.display().to_string()]);
    assert_eq!(code, 0, "approve; stderr:\n{stderr}");
    let approved = std::fs::read_to_string(&path).expect("approved");
    assert_eq!(
        approved,
        edited.replacen("\ndraft: true\n", "\ndraft: false\n", 1)
    );
    let (pairs, _) = read_post(&approved);
    assert_eq!(
        common::get(&pairs, "title").as_str(),
        "Istio Day: what we're watching"
    );
    assert_eq!(common::get(&pairs, "draft"), &common::Value::Bool(false));
}

#[tokio::test]
async fn a_rejected_article_is_never_written_again_whichever_feed_brings_it() {
    let (server, dir) = polled("").await;
    let path = dir.output_dir().join(ISTIO_FILE);
    let (code, stdout, stderr) = run(&dir, &["reject", &path.display().to_string()]);
    assert_eq!(code, 0, "reject; stderr:\n{stderr}");
    assert!(stdout.contains("rejected"), "{stdout}");
    assert!(!path.exists(), "the draft is removed");
    assert!(
        dir.output_dir()
            .join(".linkpost-rejected")
            .join(ISTIO_FILE)
            .is_file(),
        "and kept for reject_keep"
    );
    assert_eq!(state_of(&dir, ISTIO_FILE), EntryState::Rejected);

    // A newsletter links the same article with its own tracking.
    let port = server.address().port();
    let other = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Newsletter</title>
        <item><title>Istio Day is coming</title>
        <link>http://127.0.0.1:{port}/blog/2025/09/09/kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day/?utm_source=newsletter&amp;fbclid=abc</link>
        <guid>newsletter-37-1</guid><pubDate>Thu, 11 Sep 2025 09:00:00 +0000</pubDate>
        <description>Same article, other feed.</description></item>
        </channel></rss>"#
    );
    std::fs::write(dir.dir.path().join("newsletter.xml"), other).expect("write feed");
    dir.append_config("[[feed]]\nname = \"Newsletter\"\nurl = \"file:newsletter.xml\"\n");
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "poll; stderr:\n{stderr}");
    assert_eq!(dir.posts().len(), 2, "nothing new written");
    assert!(!path.exists());
    assert_eq!(drafts_json(&dir).len(), 2);
}

#[tokio::test]
async fn approve_with_publish_dir_moves_the_file_and_never_clobbers() {
    let (_server, dir) = polled("publish_dir = \"site/content/links\"\n").await;
    let publish_dir = dir.dir.path().join("site/content/links");
    let istio = id_of(&dir, ISTIO_FILE);
    let golden = id_of(&dir, GOLDEN_PATH_FILE);

    let draft = std::fs::read_to_string(dir.output_dir().join(ISTIO_FILE)).expect("draft");
    let (code, stdout, stderr) = run(&dir, &["approve", &istio]);
    assert_eq!(code, 0, "approve; stderr:\n{stderr}");
    let published = publish_dir.join(ISTIO_FILE);
    let published_real = std::fs::canonicalize(&publish_dir)
        .expect("publish dir")
        .join(ISTIO_FILE);
    assert!(
        stdout.contains(&format!("approved {istio}: {}", published_real.display())),
        "names where the post went: {stdout}"
    );
    assert!(
        !dir.output_dir().join(ISTIO_FILE).exists(),
        "moved, not copied"
    );
    assert_eq!(
        std::fs::read_to_string(&published).expect("published"),
        draft.replacen("\ndraft: true\n", "\ndraft: false\n", 1)
    );
    let rows = store_rows(&dir);
    let row = rows.iter().find(|r| r.2 == ISTIO_FILE).expect("row");
    assert_eq!(row.1, EntryState::Approved);
    assert!(row.3.as_deref().is_some_and(|p| p.ends_with(ISTIO_FILE)));
    // The published file is known as linkpost's, and already handled.
    let (code, _, stderr) = run(&dir, &["approve", &published.display().to_string()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("already approved"), "{stderr}");

    // A file of the same name in the site is never overwritten.
    let theirs = publish_dir.join(GOLDEN_PATH_FILE);
    std::fs::write(&theirs, "---\ntitle: someone else's post\n---\n").expect("write");
    let before = files(dir.dir.path());
    let rows_before = store_rows(&dir);
    let (code, _, stderr) = run(&dir, &["approve", &golden]);
    assert_eq!(code, 1, "refused; stderr:\n{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(stderr.contains(GOLDEN_PATH_FILE), "{stderr}");
    assert_eq!(files(dir.dir.path()), before, "no file changed");
    assert_eq!(store_rows(&dir), rows_before, "the store did not change");
    assert_eq!(state_of(&dir, GOLDEN_PATH_FILE), EntryState::Draft);
}

#[tokio::test]
async fn bad_arguments_exit_non_zero_and_change_nothing() {
    let (_server, dir) = polled("").await;
    let istio = id_of(&dir, ISTIO_FILE);
    let golden_path = dir.output_dir().join(GOLDEN_PATH_FILE);
    let (code, _, _) = run(&dir, &["reject", &golden_path.display().to_string()]);
    assert_eq!(code, 0);
    std::fs::write(dir.output_dir().join("notes.md"), "---\ndraft: true\n---\n").expect("notes");
    let notes = dir.output_dir().join("notes.md").display().to_string();
    let outside = dir.config_path().display().to_string();
    let nowhere = dir.output_dir().join("nope.md").display().to_string();

    let before = files(dir.dir.path());
    let rows_before = store_rows(&dir);
    for (args, message) in [
        (vec!["approve", "9999"], "no post has id 9999"),
        (vec!["reject", "9999"], "no post has id 9999"),
        (vec!["approve", &notes], "records no post with that file"),
        (vec!["approve", &outside], "not in the output folder"),
        (vec!["approve", &nowhere], "no such file"),
        (vec!["approve", "0"], "no post has id 0"),
        (vec!["reject", "2025-09-10-x.md"], "no such file"),
        // Already handled: the rejected one, by id and as a path.
        (
            vec!["approve", &golden_path.display().to_string()],
            "no such file",
        ),
        // One bad argument stops the good ones too.
        (vec!["approve", &istio, "9999"], "nothing was changed"),
        (vec!["reject", "9999", &istio], "nothing was changed"),
    ] {
        let (code, stdout, stderr) = run(&dir, &args);
        assert_eq!(code, 1, "{args:?} exits 1; stderr:\n{stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert_eq!(files(dir.dir.path()), before, "{args:?} changed a file");
        assert_eq!(store_rows(&dir), rows_before, "{args:?} changed the store");
    }
    let rejected_id = store_rows(&dir)
        .into_iter()
        .find(|r| r.1 == EntryState::Rejected)
        .expect("rejected row")
        .0
        .to_string();
    let (code, _, stderr) = run(&dir, &["approve", &rejected_id]);
    assert_eq!(code, 1);
    assert!(stderr.contains("already rejected"), "{stderr}");
    assert_eq!(files(dir.dir.path()), before);
}

#[tokio::test]
async fn a_draft_deleted_by_hand_is_reported_missing_and_never_recreated() {
    let (_server, dir) = polled("").await;
    let id = id_of(&dir, ISTIO_FILE);
    std::fs::remove_file(dir.output_dir().join(ISTIO_FILE)).expect("delete draft");

    let (code, stdout, stderr) = run(&dir, &["drafts", "--json"]);
    assert_eq!(code, 0);
    assert!(stderr.contains(&format!("post {id}")), "{stderr}");
    assert!(stderr.contains("deleted or moved by hand"), "{stderr}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&stdout).expect("json");
    assert_eq!(listed.len(), 2);
    assert_eq!(state_of(&dir, ISTIO_FILE), EntryState::Missing);
    let (_, stdout, _) = run(&dir, &["feeds", "--json"]);
    let feeds: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(feeds[0]["missing"], 1);

    // Reported once, not on every listing; never written again.
    let (_, _, stderr) = run(&dir, &["drafts"]);
    assert!(!stderr.contains("deleted or moved"), "{stderr}");
    let config = dir.config_path().display().to_string();
    let (code, _, _) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0);
    assert!(!dir.output_dir().join(ISTIO_FILE).exists());
    let (code, _, stderr) = run(&dir, &["approve", &id]);
    assert_eq!(code, 1);
    assert!(stderr.contains("deleted or moved by hand"), "{stderr}");
}

#[tokio::test]
async fn a_draft_set_to_false_or_moved_to_the_site_by_hand_counts_as_approved() {
    let (_server, dir) = polled("publish_dir = \"site\"\n").await;
    let path = dir.output_dir().join(ISTIO_FILE);
    let text = std::fs::read_to_string(&path).expect("draft");
    std::fs::write(&path, text.replace("draft: true", "draft: false")).expect("edit");
    let golden = dir.output_dir().join(GOLDEN_PATH_FILE);
    let golden_text = std::fs::read_to_string(&golden).expect("draft");
    std::fs::create_dir_all(dir.dir.path().join("site")).expect("site");
    std::fs::write(
        dir.dir.path().join("site").join(GOLDEN_PATH_FILE),
        golden_text.replace("draft: true", "draft: false"),
    )
    .expect("publish by hand");
    std::fs::remove_file(&golden).expect("move by hand");

    let (code, _, stderr) = run(&dir, &["drafts"]);
    assert_eq!(code, 0);
    assert_eq!(stderr.matches("published by hand").count(), 2, "{stderr}");
    assert_eq!(state_of(&dir, ISTIO_FILE), EntryState::Approved);
    assert_eq!(state_of(&dir, GOLDEN_PATH_FILE), EntryState::Approved);
    assert_eq!(drafts_json(&dir).len(), 1);
}

#[tokio::test]
async fn a_review_interrupted_by_a_crash_is_undone_by_the_next_command() {
    let (_server, dir) = polled("").await;
    let path = dir.output_dir().join(ISTIO_FILE);
    let draft = std::fs::read_to_string(&path).expect("draft");
    // As if approve died after replacing the draft, before the store commit.
    let backup = dir
        .output_dir()
        .join(format!(".linkpost-backup-{ISTIO_FILE}"));
    std::fs::hard_link(&path, &backup).expect("backup");
    std::fs::remove_file(&path).expect("unlink");
    std::fs::write(&path, draft.replace("draft: true", "draft: false")).expect("replace");

    let (code, _, stderr) = run(&dir, &["drafts"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("interrupted by a crash"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).expect("draft"), draft);
    assert!(!backup.exists());
    assert_eq!(state_of(&dir, ISTIO_FILE), EntryState::Draft);
    assert_eq!(drafts_json(&dir).len(), 3);
}

/// Runs linkpost with a file size limit of `kib` KiB, so every write past
/// it fails as on a full disk (SIGXFSZ ignored, so write() returns EFBIG).
fn run_with_file_limit(dir: &TestDir, kib: u32, args: &[&str]) -> (i32, String) {
    let config = dir.config_path().display().to_string();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\" --config \"$CONFIG\""
        ))
        .arg(env!("CARGO_BIN_EXE_linkpost"))
        .args(args)
        .env("CONFIG", config)
        .output()
        .expect("run linkpost under ulimit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_store_that_cannot_be_written_changes_nothing() {
    for verdict in ["approve", "reject"] {
        let (_server, dir) = polled("").await;
        let id = id_of(&dir, ISTIO_FILE);
        let before = files(dir.dir.path());
        let rows_before = store_rows(&dir);
        let (code, stderr) = run_with_file_limit(&dir, 0, &[verdict, &id]);
        assert_eq!(code, 1, "{verdict}: {stderr}");
        assert!(stderr.contains("cannot open database"), "{stderr}");
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        assert_eq!(files(dir.dir.path()), before, "{verdict} changed a file");
        assert_eq!(store_rows(&dir), rows_before, "{verdict} changed the store");
    }
}

/// The output folder's file system, as `run_on_tmpfs` sets it up.
#[derive(Debug, Clone, Copy)]
enum Disk {
    /// Only this many KiB free.
    Full(u32),
    /// Mounted read-only.
    ReadOnly,
}

/// Runs linkpost with the output folder on a small tmpfs, in a private mount
/// namespace (so no root is needed and nothing outlives the command). The
/// drafts are copied in first and everything on the tmpfs copied out to
/// `after/` at the end. Returns (code, stderr).
fn run_on_tmpfs(dir: &TestDir, disk: Disk, publish: bool, args: &[&str]) -> (i32, String) {
    let root = dir.dir.path();
    std::fs::create_dir_all(root.join("full")).expect("mount point");
    let _ = std::fs::remove_dir_all(root.join("after"));
    std::fs::create_dir_all(root.join("after")).expect("after");
    let publish_key = if publish {
        "publish_dir = \"full/site\"\n"
    } else {
        ""
    };
    std::fs::write(
        root.join("full.toml"),
        format!("database = \"state/linkpost.db\"\noutput_dir = \"full\"\n{publish_key}"),
    )
    .expect("config");
    let script = r#"
        set -u
        mount -t tmpfs -o size=512k tmpfs full || exit 99
        cp -a drafts/. full/
        if [ "$ROOM" = ro ]; then
            mkdir -p full/site
            mount -o remount,ro full || exit 99
        else
            avail=$(df -k --output=avail full | tail -n 1)
            fill=$((avail - ROOM))
            if [ "$fill" -gt 0 ]; then head -c $((fill * 1024)) /dev/zero > full/.filler 2>/dev/null; fi
        fi
        "$LINKPOST" "$@" --config full.toml
        code=$?
        rm -f full/.filler
        cp -a full/. after/
        exit $code
    "#;
    let room = match disk {
        Disk::Full(kib) => kib.to_string(),
        Disk::ReadOnly => "ro".to_string(),
    };
    common::in_mount_namespace(root, script, args, &[("ROOM", &room)])
}

#[tokio::test]
async fn a_full_disk_leaves_the_file_and_the_store_as_they_were_or_both_changed() {
    // From no room to plenty: each command either fails having changed
    // nothing or succeeds having changed both; no temporary file is left.
    for publish in [false, true] {
        for verdict in ["approve", "reject"] {
            let mut outcomes = Vec::new();
            for room in [0, 4, 8, 16, 64] {
                let (_server, dir) = polled("").await;
                let id = id_of(&dir, ISTIO_FILE);
                let before = files(&dir.output_dir());
                let rows_before = store_rows(&dir);
                let (code, stderr) = run_on_tmpfs(&dir, Disk::Full(room), publish, &[verdict, &id]);
                let after = files(&dir.dir.path().join("after"));
                let context = format!("{verdict} (publish: {publish}) with {room} KiB free");
                for path in after.keys() {
                    let name = path.file_name().expect("name").to_string_lossy();
                    assert!(!name.starts_with(".linkpost"), "{context} left {name}");
                }
                let state = state_of(&dir, ISTIO_FILE);
                if code == 0 {
                    let want = if verdict == "approve" {
                        EntryState::Approved
                    } else {
                        EntryState::Rejected
                    };
                    assert_eq!(state, want, "{context}");
                    let draft = dir.dir.path().join("after").join(ISTIO_FILE);
                    match (verdict, publish) {
                        ("approve", false) => assert!(
                            std::fs::read_to_string(&draft)
                                .expect("approved")
                                .contains("\ndraft: false\n"),
                            "{context}"
                        ),
                        ("approve", true) => {
                            assert!(!draft.exists(), "{context}");
                            let published = dir.dir.path().join("after/site").join(ISTIO_FILE);
                            assert!(published.exists(), "{context}");
                        }
                        _ => assert!(!draft.exists(), "{context}"),
                    }
                } else {
                    assert_eq!(code, 1, "{context}: {stderr}");
                    assert!(
                        stderr.contains("nothing was changed"),
                        "{context}: {stderr}"
                    );
                    assert!(
                        stderr.contains("No space left on device"),
                        "{context}: {stderr}"
                    );
                    let after_drafts: BTreeMap<_, _> = after
                        .iter()
                        .filter(|(p, _)| p.parent() == Some(&dir.dir.path().join("after")))
                        .map(|(p, c)| (p.file_name().map(|n| n.to_owned()), c.clone()))
                        .collect();
                    let before_drafts: BTreeMap<_, _> = before
                        .iter()
                        .map(|(p, c)| (p.file_name().map(|n| n.to_owned()), c.clone()))
                        .collect();
                    assert_eq!(after_drafts, before_drafts, "{context} changed a draft");
                    assert_eq!(store_rows(&dir), rows_before, "{context} changed the store");
                }
                outcomes.push(code);
            }
            if verdict == "approve" {
                assert_eq!(
                    outcomes[0], 1,
                    "with no room approve fails (publish: {publish})"
                );
            }
            assert_eq!(
                outcomes.last(),
                Some(&0),
                "with room {verdict} works (publish: {publish})"
            );
        }
    }
}

#[tokio::test]
async fn a_read_only_folder_changes_nothing() {
    for publish in [false, true] {
        for verdict in ["approve", "reject"] {
            let (_server, dir) = polled("").await;
            let id = id_of(&dir, ISTIO_FILE);
            let rows_before = store_rows(&dir);
            let before = files(&dir.output_dir());
            let (code, stderr) = run_on_tmpfs(&dir, Disk::ReadOnly, publish, &[verdict, &id]);
            let context = format!("{verdict} (publish: {publish})");
            assert_eq!(code, 1, "{context}: {stderr}");
            assert!(
                stderr.contains("Read-only file system"),
                "{context}: {stderr}"
            );
            assert!(
                stderr.contains("nothing was changed"),
                "{context}: {stderr}"
            );
            let after: BTreeMap<_, _> = files(&dir.dir.path().join("after"))
                .into_iter()
                .map(|(p, c)| (p.file_name().map(|n| n.to_owned()), c))
                .collect();
            let before: BTreeMap<_, _> = before
                .into_iter()
                .map(|(p, c)| (p.file_name().map(|n| n.to_owned()), c))
                .collect();
            assert_eq!(after, before, "{context} changed a file");
            assert_eq!(store_rows(&dir), rows_before, "{context} changed the store");
        }
    }
}

/// `drafts`, `reject`, `restore` and `approve` work on TOML (Hugo) and Zola
/// front matter as on YAML: the list reads each flavour, approve changes
/// only the `draft` value's bytes, a rejected draft comes back as it was.
#[tokio::test]
async fn every_front_matter_flavour_is_reviewed_the_same_way() {
    for flavour in ["toml", "zola"] {
        let (_server, dir) = polled(&format!("front_matter = \"{flavour}\"\n")).await;
        let drafts = drafts_json(&dir);
        assert_eq!(drafts.len(), 3, "{flavour}");
        let istio = drafts
            .iter()
            .find(|d| d["path"].as_str().is_some_and(|p| p.ends_with(ISTIO_FILE)))
            .expect("istio draft listed");
        assert_eq!(
            istio["title"].as_str(),
            Some(
                "KubeCon + CloudNativeCon North America 2025 Co-located Event Deep Dive: Istio Day"
            ),
            "{flavour}: {istio}"
        );
        let path = dir.output_dir().join(ISTIO_FILE);
        let draft = std::fs::read_to_string(&path).expect("draft");
        assert!(draft.starts_with("+++\n"), "{flavour}: {draft}");

        let id = id_of(&dir, ISTIO_FILE);
        let (code, _, stderr) = run(&dir, &["reject", &id]);
        assert_eq!(code, 0, "{flavour}: {stderr}");
        assert!(!path.exists());
        let (code, _, stderr) = run(&dir, &["restore", &id]);
        assert_eq!(code, 0, "{flavour}: {stderr}");
        assert_eq!(std::fs::read_to_string(&path).expect("restored"), draft);

        let (code, _, stderr) = run(&dir, &["approve", &id]);
        assert_eq!(code, 0, "{flavour}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("approved"),
            draft.replacen("draft = true", "draft = false", 1),
            "{flavour}"
        );
        assert_eq!(state_of(&dir, ISTIO_FILE), EntryState::Approved);
    }
}

/// With `filename_template = "{yyyy}/{mm}/{slug}/index.md"` (Hugo page
/// bundles) drafts are written in folders, listed, rejected, restored (by
/// path too) and approved into the same folders under `publish_dir`; a
/// second poll writes nothing.
#[tokio::test]
async fn page_bundle_drafts_are_written_and_reviewed_in_their_folders() {
    let (server, dir) = {
        let server = serve_fixture("cncf").await;
        let dir = TestDir::new(&format!(
            "filename_template = \"{{yyyy}}/{{mm}}/{{slug}}/index.md\"\npublish_dir = \"site/content/links\"\n{}",
            cncf_feed(&server.uri())
        ));
        (server, dir)
    };
    let config = dir.config_path().display().to_string();
    let poll = || linkpost_async(vec!["poll".into(), "--config".into(), config.clone()]);
    let (code, _, stderr) = poll().await;
    assert_eq!(code, 0, "{stderr}");
    let bundle = "2025/09/kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day/index.md";
    let draft = dir.output_dir().join(bundle);
    assert!(draft.is_file(), "{}", draft.display());
    assert_eq!(drafts_json(&dir).len(), 3);
    let (code, _, stderr) = poll().await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(drafts_json(&dir).len(), 3, "a second poll writes nothing");

    let text = std::fs::read_to_string(&draft).expect("draft");
    let by_path = draft.display().to_string();
    let (code, _, stderr) = run(&dir, &["reject", &by_path]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!draft.exists());
    let id = store_rows(&dir)
        .into_iter()
        .find(|(_, _, file, _)| file == bundle)
        .expect("the bundle's entry")
        .0
        .to_string();
    let (code, _, stderr) = run(&dir, &["restore", &id]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&draft).expect("restored"), text);

    let (code, _, stderr) = run(&dir, &["approve", &by_path]);
    assert_eq!(code, 0, "{stderr}");
    let published = dir.dir.path().join("site/content/links").join(bundle);
    assert_eq!(
        std::fs::read_to_string(&published).expect("published"),
        text.replacen("draft: true", "draft: false", 1)
    );
    assert!(!draft.exists());
    drop(server);
}
