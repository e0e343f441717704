//! Moved feeds and `check --fetch` (issue 15): a feed whose URL redirects
//! permanently on every poll for a week is reported by `linkpost feeds` and
//! rewritten by `linkpost fix-moved`; a temporary redirect, or a permanent
//! one that stops, is not. Polls run through the library on a clock the
//! test sets, against a real server on 127.0.0.1 and the real HTTP client;
//! `feeds`, `fix-moved` and `check` run as the binary.

mod common;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use wiremock::ResponseTemplate;

use common::{Recorder, TestDir, feeds_json, linkpost_async, rss, serve_recorder};
use linkpost::clock::Clock;
use linkpost::refresh::{self, Refresher, Shared};
use linkpost::store::Store;

/// A clock that reads whatever the test last set.
#[derive(Debug)]
struct SetClock(Mutex<DateTime<Utc>>);

impl Clock for SetClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// Polls every feed of `dir`'s config once, at `at`, with the real client.
async fn poll_at(dir: &TestDir, at: DateTime<Utc>) {
    let config = Arc::new(dir.load_config());
    let store = Store::open(&config.database).expect("open store");
    let shared = Shared {
        clock: Arc::new(SetClock(Mutex::new(at))),
        ..Shared::new(store)
    };
    let refresher = Arc::new(Refresher::new(config, &shared).expect("refresher"));
    let report = refresh::poll_all(refresher).await.expect("pass runs");
    assert_eq!(report.feeds_failed, 0, "{report:?}");
}

/// What the test's server does with the feed's old URL, poll by poll.
#[derive(Debug, Clone, Copy)]
enum Old {
    /// 301 to `/new-feed`.
    Moved,
    /// 302 to `/new-feed`.
    Found,
    /// 200 with the feed itself.
    Here,
}

/// A server whose `/old-feed` answers the n-th request as `script[n - 1]`
/// (the last one after that); `/new-feed` serves the feed, and each
/// article page redirects permanently to `/article` (which must not count).
async fn serve(script: Vec<Old>) -> wiremock::MockServer {
    let recorder = Recorder::new(move |request, n| {
        let base = format!("http://{}", common::request_host(request));
        let feed = || {
            ResponseTemplate::new(200).set_body_raw(
                rss(&base, &[("a", 1), ("b", 2)]),
                "application/rss+xml; charset=UTF-8",
            )
        };
        let path = request.url.path();
        match path {
            "/old-feed" => match script[(n - 1).min(script.len() - 1)] {
                Old::Moved => ResponseTemplate::new(301).insert_header("location", "/new-feed"),
                Old::Found => ResponseTemplate::new(302).insert_header("location", "/new-feed"),
                Old::Here => feed(),
            },
            "/new-feed" => feed(),
            "/article" => ResponseTemplate::new(200).set_body_raw(
                "<html><body><article><p>The article.</p></article></body></html>",
                "text/html; charset=UTF-8",
            ),
            _ if path.starts_with("/posts/") => {
                ResponseTemplate::new(301).insert_header("location", "/article")
            }
            _ => ResponseTemplate::new(404),
        }
    });
    serve_recorder(recorder).await
}

/// The config the moved-feed tests start from: comments around the feed.
fn config_text(base: &str) -> String {
    format!(
        "# Feeds I read.\n\n[[feed]]\n# An old friend.\nname = \"Old\"\n\
         url = \"{base}/old-feed\" # since 2019\ntags = [\"friends\"]\n\n# The end.\n"
    )
}

/// Polls at `start` plus each of `days`.
async fn poll_on_days(dir: &TestDir, start: DateTime<Utc>, days: &[i64]) {
    for &day in days {
        poll_at(dir, start + TimeDelta::days(day)).await;
    }
}

async fn run(args: &[&str], dir: &TestDir) -> (i32, String, String) {
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args.extend([
        "--config".to_string(),
        dir.config_path().display().to_string(),
    ]);
    linkpost_async(args).await
}

#[tokio::test]
async fn a_301_kept_for_7_days_is_reported_then_fixed() {
    let server = serve(vec![Old::Moved]).await;
    let base = server.uri();
    let dir = TestDir::new(&config_text(&base));
    let before = std::fs::read_to_string(dir.config_path()).expect("config");
    // Real time is `start` + 8 days, for `feeds`, which reads the system clock.
    let start = Utc::now() - TimeDelta::days(8);

    poll_on_days(&dir, start, &[0, 3, 6]).await;
    let config = dir.load_config();
    let state = Store::open(&config.database)
        .expect("store")
        .feed_state("Old")
        .expect("state")
        .expect("polled");
    let old_url = format!("{base}/old-feed");
    let new_url = format!("{base}/new-feed");
    assert_eq!(state.moved_to.as_deref(), Some(new_url.as_str()));
    assert_eq!(
        state.moved(&old_url, start + TimeDelta::days(6)),
        None,
        "six days are not a week"
    );
    poll_on_days(&dir, start, &[7]).await;
    // Only the feed request counts: its article pages redirected too.
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests.iter().any(|r| r.url.path() == "/article"),
        "the article pages were fetched through their redirect"
    );

    let rows = feeds_json(&dir).await;
    let row = &rows[0];
    assert_eq!(row["moved_to"], new_url.as_str(), "{row}");
    let since = start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(row["moved_since"], since.as_str(), "{row}");
    let (code, stdout, stderr) = run(&["feeds"], &dir).await;
    assert_eq!(code, 0, "{stderr}");
    let line = format!("Old: moved to {new_url}, since {}", &since[..10]);
    assert!(stdout.contains(&line), "{line} in:\n{stdout}");
    assert!(stdout.contains("linkpost fix-moved"), "{stdout}");

    // --dry-run shows the diff and writes nothing.
    let (code, stdout, stderr) = run(&["fix-moved", "--dry-run"], &dir).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("-url = \"{old_url}\" # since 2019")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("+url = \"{new_url}\" # since 2019")),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.config_path()).expect("config"),
        before
    );

    // Without it, only the url's value changes: comments and keys stay.
    let (code, stdout, stderr) = run(&["fix-moved"], &dir).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("Old: {old_url} -> {new_url}")),
        "{stdout}"
    );
    let after = std::fs::read_to_string(dir.config_path()).expect("config");
    assert_eq!(
        after,
        before.replace(&format!("\"{old_url}\""), &format!("\"{new_url}\""))
    );
    assert_ne!(after, before);

    // The feed kept its name, so its history too: nothing is moved any
    // more, and the next poll of the new URL writes nothing again.
    let rows = feeds_json(&dir).await;
    assert!(rows[0]["moved_to"].is_null(), "{}", rows[0]);
    let written = rows[0]["posts_written"].clone();
    poll_on_days(&dir, start, &[8]).await;
    let rows = feeds_json(&dir).await;
    assert_eq!(rows[0]["url"], new_url.as_str());
    assert_eq!(rows[0]["posts_written"], written);
    assert_eq!(rows[0]["last_status"], "ok: 0 new");
    let (code, stdout, stderr) = run(&["fix-moved"], &dir).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("no feed has moved"), "{stdout}");
}

#[tokio::test]
async fn a_302_is_never_reported() {
    let server = serve(vec![Old::Found]).await;
    let dir = TestDir::new(&config_text(&server.uri()));
    let start = Utc::now() - TimeDelta::days(30);
    poll_on_days(&dir, start, &[0, 7, 14, 29]).await;
    let rows = feeds_json(&dir).await;
    assert!(rows[0]["moved_to"].is_null(), "{}", rows[0]);
    let before = std::fs::read_to_string(dir.config_path()).expect("config");
    let (code, stdout, stderr) = run(&["fix-moved"], &dir).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("no feed has moved"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(dir.config_path()).expect("config"),
        before
    );
}

#[tokio::test]
async fn a_301_that_stops_before_7_days_is_not_reported() {
    // 301s from day 0 to day 9, but on day 5 the old URL answered itself:
    // never seven days of 301s in a row.
    let server = serve(vec![Old::Moved, Old::Moved, Old::Here, Old::Moved]).await;
    let dir = TestDir::new(&config_text(&server.uri()));
    let start = Utc::now() - TimeDelta::days(9);
    poll_on_days(&dir, start, &[0, 4, 5, 9]).await;
    let rows = feeds_json(&dir).await;
    assert!(rows[0]["moved_to"].is_null(), "{}", rows[0]);
    let (code, stdout, stderr) = run(&["feeds"], &dir).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("moved to"), "{stdout}");
}

#[tokio::test]
async fn check_fetch_reports_each_feed_and_writes_nothing() {
    let server = serve(vec![Old::Moved]).await;
    let base = server.uri();
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"good\"\nurl = \"{base}/old-feed\"\n\n\
         [[feed]]\nname = \"broken\"\nurl = \"{base}/missing\"\n"
    ));
    let (code, stdout, stderr) = run(&["check", "--fetch"], &dir).await;
    assert_eq!(
        code, 2,
        "a feed failed; stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{}: ok, 2 feeds", dir.config_path().display()).as_str(),
            &format!(
                "good: ok, 2 entries, newest 2025-09-02T10:00:00Z, redirects permanently to {base}/new-feed"
            ),
            &format!("broken: error: {base}/missing answered HTTP 404"),
            "1 of 2 feeds failed",
        ],
        "{stdout}"
    );
    let (code, stdout, stderr) = run(&["check", "--fetch", "--json"], &dir).await;
    assert_eq!(code, 2, "{stderr}");
    let rows: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(rows[0]["entries"], 2);
    assert_eq!(rows[1]["ok"], false);
    assert!(
        rows[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("HTTP 404")),
        "{stdout}"
    );
    // Nothing written: no store, no output folder, no article page fetched.
    assert!(!dir.database().exists());
    assert!(!dir.database().parent().expect("state dir").exists());
    assert!(!dir.output_dir().exists());
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|r| !r.url.path().starts_with("/posts/")),
        "{requests:?}"
    );

    // All good: exit 0.
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"good\"\nurl = \"{base}/new-feed\"\n"
    ));
    let (code, stdout, stderr) = run(&["check", "--fetch"], &dir).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
}
