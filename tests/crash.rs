//! Crash consistency: the real binary is killed with SIGKILL at many points
//! while it writes a feed of many entries, restarted each time, and at the
//! end every entry has exactly one file, no temporary file is left, nothing
//! is pending and SQLite's integrity check passes.

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestDir, read_post};

const ENTRIES: usize = 300;

/// A feed of `ENTRIES` entries linking to example.com (never fetched: the
/// feed says `fetch_article = false`; its short entries would be teasers).
fn feed() -> String {
    let mut out =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Many</title>");
    for i in 0..ENTRIES {
        out.push_str(&format!(
            "<item><title>Entry {i}: a title</title><link>https://example.com/posts/{i}/</link>\
             <guid>entry-{i}</guid><pubDate>{:02} Sep 2025 {:02}:{:02}:00 +0000</pubDate>\
             <description>Text of entry {i}.</description></item>",
            1 + i % 28,
            (i / 60) % 24,
            i % 60
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn start_poll(dir: &TestDir) -> Child {
    Command::new(env!("CARGO_BIN_EXE_linkpost"))
        .args(["poll", "--config"])
        .arg(dir.config_path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start linkpost poll")
}

/// (file name, external_url) of every post file.
fn finished_posts(dir: &TestDir) -> Vec<(String, String)> {
    dir.posts()
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .map(|p| {
            let (pairs, _) = read_post(&std::fs::read_to_string(p).expect("read"));
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (
                name,
                common::get(&pairs, "external_url").as_str().to_string(),
            )
        })
        .collect()
}

fn count_posts(dir: &TestDir) -> usize {
    std::fs::read_dir(dir.output_dir())
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".md"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn sigkill_at_many_points_loses_nothing_and_duplicates_nothing() {
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"Many\"\nurl = \"file:many.xml\"\nbackfill = {ENTRIES}\nfetch_article = false\n"
    ));
    std::fs::write(dir.dir.path().join("many.xml"), feed()).expect("write feed");

    // Kill points: right at start (store opening, migrations), then after
    // more and more posts, so kills land before, during and after writes.
    let steps = [0, 0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
    let mut kills = 0;
    for step in steps {
        let before = count_posts(&dir);
        let mut child = start_poll(&dir);
        let target = (before + step).min(ENTRIES);
        let deadline = Instant::now() + Duration::from_secs(60);
        // Watch the outcome (files appearing) and kill as soon as the target
        // is reached; the child may also finish first.
        let exited = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break Some(status);
            }
            if count_posts(&dir) >= target {
                break None;
            }
            assert!(Instant::now() < deadline, "poll made no progress");
            std::thread::yield_now();
        };
        if exited.is_none() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
            kills += 1;
            // Even between crashes no entry has two files.
            let files = finished_posts(&dir);
            let urls: BTreeSet<&String> = files.iter().map(|(_, url)| url).collect();
            assert_eq!(urls.len(), files.len(), "a second file after a kill");
        }
    }
    eprintln!("{kills} of {} runs killed", steps.len());
    assert!(kills >= steps.len() / 2, "only {kills} kills landed");

    // A last run finishes whatever was claimed and not written.
    let (code, _, stderr) =
        common::linkpost(&["poll", "--config", &dir.config_path().display().to_string()]);
    assert_eq!(code, 0, "{stderr}");

    // Exactly one file per entry, each a complete post.
    let mut urls = BTreeSet::new();
    for path in dir.posts() {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(
            !name.starts_with('.'),
            "temporary or backup file left: {name}"
        );
        let (pairs, body) = read_post(&std::fs::read_to_string(&path).expect("read"));
        let url = common::get(&pairs, "external_url").as_str().to_string();
        assert!(body.contains(&url), "{name} is complete");
        assert!(urls.insert(url), "{name}: a second file for one entry");
    }
    assert_eq!(urls.len(), ENTRIES, "every entry has its file");

    let conn = rusqlite::Connection::open(dir.database()).expect("open db");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok");
    let (drafts, other): (i64, i64) = conn
        .query_row(
            "SELECT sum(state = 'draft'), sum(state <> 'draft') FROM entries",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("count states");
    assert_eq!((drafts, other), (ENTRIES as i64, 0), "nothing pending");
    let journaled: i64 = conn
        .query_row("SELECT count(*) FROM pending_batches", [], |row| row.get(0))
        .expect("count journal rows");
    assert_eq!(journaled, 0, "no writer journal left");
}
