//! Store and output folder faults: a second poller, a corrupted or
//! read-only database, a read-only or full output folder. Each gives a clear
//! message and a non-zero exit, and leaves nothing half written; the next
//! healthy run writes every post exactly once.

mod common;

use std::time::Duration;

use common::{Daemon, TestDir, in_mount_namespace, linkpost};

fn feed_dir(entries: usize) -> TestDir {
    let dir = TestDir::new(
        "[[feed]]\nname = \"F\"\nurl = \"file:f.xml\"\nbackfill = 50\nfetch_article = false\n",
    );
    let items: Vec<(String, u32)> = (0..entries)
        .map(|i| (format!("p{i}"), 1 + i as u32 % 28))
        .collect();
    let items: Vec<(&str, u32)> = items.iter().map(|(s, d)| (s.as_str(), *d)).collect();
    std::fs::write(
        dir.dir.path().join("f.xml"),
        common::rss("https://example.com", &items),
    )
    .expect("write feed");
    dir
}

fn poll(dir: &TestDir) -> (i32, String) {
    let (code, _, stderr) =
        linkpost(&["poll", "--config", &dir.config_path().display().to_string()]);
    (code, stderr)
}

/// The post files (not temporary ones) in the output folder.
fn post_names(dir: &TestDir) -> Vec<String> {
    dir.posts()
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn a_second_poller_on_one_database_is_refused_at_once() {
    let dir = feed_dir(3);
    dir.append_config("interval = \"1h\"\n");
    let daemon = Daemon::start(&dir.config_path());
    common::wait_until(
        "the daemon wrote its posts",
        Duration::from_secs(30),
        || post_names(&dir).len() == 3,
    )
    .await;
    let (code, stderr) = poll(&dir);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("another linkpost (pid "), "{stderr}");
    assert!(stderr.contains("is polling with database"), "{stderr}");
    // Review and status commands work alongside the daemon. The writer
    // records a post in the store just after its file is written, so the
    // drafts are awaited, not assumed the moment the files appear.
    let config = dir.config_path().display().to_string();
    let drafts = || {
        let (code, stdout, stderr) = linkpost(&["drafts", "--json", "--config", &config]);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<Vec<serde_json::Value>>(&stdout)
            .expect("json")
            .len()
    };
    common::wait_until(
        "drafts lists the daemon's posts",
        Duration::from_secs(30),
        || drafts() == 3,
    )
    .await;
    let (code, _) = daemon.stop(Duration::from_secs(30)).await;
    assert_eq!(code, 0);
    let (code, stderr) = poll(&dir);
    assert_eq!(code, 0, "free once the daemon is gone: {stderr}");
}

#[test]
fn a_corrupted_database_is_named_and_nothing_is_written() {
    let dir = feed_dir(3);
    std::fs::create_dir_all(dir.database().parent().expect("parent")).expect("state dir");
    std::fs::write(
        dir.database(),
        "this is not a database, just some text ".repeat(200),
    )
    .expect("write garbage");
    let config = dir.config_path().display().to_string();
    for command in ["poll", "feeds", "drafts"] {
        let (code, _, stderr) = linkpost(&[command, "--config", &config]);
        assert_eq!(code, 1, "{command}: {stderr}");
        assert!(
            stderr.contains(&dir.database().display().to_string()),
            "{command} names the file: {stderr}"
        );
        assert!(stderr.contains("not a database"), "{command}: {stderr}");
    }
    assert!(post_names(&dir).is_empty());
}

/// Runs `linkpost poll` with `folder` (relative to the test folder) on a
/// tmpfs that is read-only (`room` = "ro") or has `room` KiB free; what the
/// run left there is copied back to the real folder afterwards.
fn poll_on_tmpfs(dir: &TestDir, folder: &str, room: &str) -> (i32, String) {
    let script = r#"
        set -u
        mkdir -p "$FOLDER"
        saved=$(mktemp -d)
        cp -a "$FOLDER"/. "$saved"/
        mount -t tmpfs -o size=256k tmpfs "$FOLDER" || exit 99
        cp -a "$saved"/. "$FOLDER"/
        if [ "$ROOM" = ro ]; then
            mount -o remount,ro "$FOLDER" || exit 99
        else
            avail=$(df -k --output=avail "$FOLDER" | tail -n 1)
            fill=$((avail - ROOM))
            if [ "$fill" -gt 0 ]; then head -c $((fill * 1024)) /dev/zero > "$FOLDER/.filler" 2>/dev/null; fi
        fi
        "$LINKPOST" poll --config linkpost.toml
        code=$?
        # What the run left in the folder, for the test to see, is put back
        # in the real folder once the tmpfs is gone.
        rm -f "$FOLDER/.filler"
        ls -A "$FOLDER" > after.txt
        rm -rf "$saved" && mkdir "$saved" && cp -a "$FOLDER"/. "$saved"/
        umount "$FOLDER" || exit 99
        cp -a "$saved"/. "$FOLDER"/
        exit $code
    "#;
    in_mount_namespace(
        dir.dir.path(),
        script,
        &[],
        &[("FOLDER", folder), ("ROOM", room)],
    )
}

fn left_in_folder(dir: &TestDir) -> Vec<String> {
    std::fs::read_to_string(dir.dir.path().join("after.txt"))
        .expect("after.txt")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_read_only_output_folder_fails_clearly_and_the_next_run_writes_everything_once() {
    let dir = feed_dir(20);
    let (code, stderr) = poll_on_tmpfs(&dir, "drafts", "ro");
    assert_eq!(code, 2, "the feed's pass failed: {stderr}");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    assert!(stderr.contains("drafts"), "names the folder: {stderr}");
    assert!(left_in_folder(&dir).is_empty(), "nothing half written");
    let (code, stderr) = poll(&dir);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(post_names(&dir).len(), 20, "every entry, once");
}

#[test]
fn a_full_output_folder_fails_clearly_and_the_next_run_writes_everything_once() {
    let dir = feed_dir(40);
    let (code, stderr) = poll_on_tmpfs(&dir, "drafts", "16");
    assert_eq!(code, 2, "the feed's pass failed: {stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    let left = left_in_folder(&dir);
    assert!(!left.is_empty() && left.len() < 40, "some fit: {left:?}");
    assert!(
        left.iter()
            .all(|n| n.ends_with(".md") && !n.starts_with('.')),
        "only finished posts: {left:?}"
    );
    // The store still holds the claims of the posts that did not fit, so
    // the next run writes them, and no entry twice.
    let (code, stderr) = poll(&dir);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(post_names(&dir).len(), 40, "every entry, once");
}

#[test]
fn a_read_only_database_folder_fails_clearly_and_writes_nothing() {
    let dir = feed_dir(3);
    let (code, _) = poll(&dir);
    assert_eq!(code, 0);
    std::fs::remove_dir_all(dir.output_dir()).expect("clear drafts");
    let (code, stderr) = poll_on_tmpfs(&dir, "state", "ro");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    assert!(stderr.contains("state"), "names the path: {stderr}");
    assert!(post_names(&dir).is_empty());
}
