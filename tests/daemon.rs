//! The daemon. Its schedule (Retry-After, backoff, restarts, overdue feeds)
//! runs in this process on paused time against a scripted server, so hours
//! of schedule take milliseconds; conditional GET, reload, clean shutdown and
//! systemd notify run on the real binary against servers on 127.0.0.1.
//! Assertions are on order and lower bounds, never on exact timings.

mod common;

use std::time::Duration;

use std::sync::Arc;

use common::in_process::{Answer, HangGuard, InProcessDaemon, ScriptedServer, next_hit};
use common::{
    Daemon, Recorder, TestDir, feeds_json, hits_to, linkpost_async, read_post, rss, serve_recorder,
    wait_until,
};
use linkpost::clock::PausedClock;
use wiremock::ResponseTemplate;

const LONG: Duration = Duration::from_secs(60);

fn feed(name: &str, url: &str, extra: &str) -> String {
    format!("[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n{extra}\n")
}

fn rss_response(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/rss+xml")
}

async fn poll(dir: &TestDir) -> i32 {
    let config = dir.config_path().display().to_string();
    linkpost_async(vec!["poll".into(), "--config".into(), config])
        .await
        .0
}

#[tokio::test]
async fn second_poll_is_conditional_and_a_304_writes_nothing() {
    let recorder = Recorder::new(|request, _| {
        if request
            .headers
            .get("if-none-match")
            .is_some_and(|v| v == "\"v1\"")
        {
            return ResponseTemplate::new(304);
        }
        rss_response(rss("https://blog.example", &[("a", 1), ("b", 2)]))
            .insert_header("etag", "\"v1\"")
            .insert_header("last-modified", "Tue, 02 Sep 2025 10:00:00 GMT")
    });
    let hits = recorder.hits.clone();
    let server = serve_recorder(recorder).await;
    let dir = TestDir::new(&feed("Blog", &format!("{}/feed.xml", server.uri()), ""));

    assert_eq!(poll(&dir).await, 0);
    assert_eq!(dir.posts().len(), 2);
    assert_eq!(poll(&dir).await, 0);
    assert_eq!(dir.posts().len(), 2, "a 304 writes nothing");

    let hits = hits_to(&hits, "/feed.xml");
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].header("if-none-match"), None);
    assert_eq!(hits[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        hits[1].header("if-modified-since"),
        Some("Tue, 02 Sep 2025 10:00:00 GMT")
    );
    assert!(
        hits[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("linkpost/"))
    );
    assert!(
        hits[0]
            .header("accept-encoding")
            .is_some_and(|ae| ae.contains("gzip") && ae.contains("br"))
    );

    let feeds = feeds_json(&dir).await;
    assert_eq!(feeds[0]["name"], "Blog");
    assert_eq!(feeds[0]["last_status"], "not modified");
    assert_eq!(feeds[0]["consecutive_errors"], 0);
    assert_eq!(feeds[0]["posts_written"], 2);
    for key in ["url", "last_poll", "last_error", "next_due"] {
        assert!(feeds[0].get(key).is_some(), "feeds --json has {key}");
    }
}

/// A clock for an in-process daemon, starting now.
fn paused_clock() -> Arc<PausedClock> {
    Arc::new(PausedClock::starting_at(chrono::Utc::now()))
}

/// Real time an in-process test may take before it counts as stuck.
const REAL_LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(start_paused = true)]
async fn retry_after_on_429_delays_the_next_request_at_least_that_long() {
    let _guard = HangGuard::new("retry_after", REAL_LIMIT);
    let clock = paused_clock();
    let (server, mut hits) = ScriptedServer::new(Arc::clone(&clock), |_, n| {
        if n == 1 {
            Answer::status(429).header("retry-after", "3")
        } else {
            Answer::rss(rss("https://blog.example", &[("a", 1)]))
        }
    });
    let dir = TestDir::new(&feed(
        "Busy",
        "https://busy.example/feed.xml",
        "interval = \"1s\"",
    ));
    let mut daemon = InProcessDaemon::start(&dir.config_path(), clock, Arc::clone(&server));
    next_hit(&mut hits).await;
    daemon.poll_done().await;
    let store = linkpost::store::Store::open(&dir.database()).expect("open store");
    let state = store.feed_state("Busy").expect("state").expect("recorded");
    let error = state.last_error.unwrap_or_default();
    assert!(
        error.contains("answered HTTP 429 (retry after 3s)"),
        "{error}"
    );
    next_hit(&mut hits).await;
    daemon.poll_done().await;
    daemon.stop().await;
    let hits = server.hits_to("/feed.xml");
    let gap = (hits[1].at - hits[0].at).to_std().expect("in order");
    assert!(
        gap >= Duration::from_secs(3),
        "second request came after {gap:?}, before Retry-After"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_feed_backs_off_while_a_healthy_one_keeps_its_pace() {
    let _guard = HangGuard::new("backoff", REAL_LIMIT);
    let clock = paused_clock();
    let (server, mut hits) = ScriptedServer::new(Arc::clone(&clock), |url, _| {
        if url.path() == "/bad.xml" {
            Answer::status(500)
        } else {
            Answer::rss(rss("https://good.example", &[("a", 1)]))
        }
    });
    let dir = TestDir::new(&format!(
        "per_host_limit = 8\n{}{}",
        feed(
            "Good",
            "https://feeds.example/good.xml",
            "interval = \"1s\""
        ),
        feed("Bad", "https://feeds.example/bad.xml", "interval = \"1s\"")
    ));
    let mut daemon = InProcessDaemon::start(&dir.config_path(), clock, Arc::clone(&server));
    while server.hits_to("/good.xml").len() < 7 {
        next_hit(&mut hits).await;
    }
    daemon.idle().await;
    daemon.stop().await;

    let good = server.hits_to("/good.xml");
    let bad = server.hits_to("/bad.xml");
    // Healthy: every ~1 s. Failing: after 2 s, then 4 s, then 8 s.
    assert!(bad.len() >= 2, "the failing feed was retried");
    assert!(
        bad.len() < good.len(),
        "bad {} vs good {}",
        bad.len(),
        good.len()
    );
    for (i, pair) in bad.windows(2).enumerate() {
        let gap = (pair[1].at - pair[0].at).to_std().expect("in order");
        let floor = Duration::from_secs(2u64 << i);
        assert!(
            gap >= floor - Duration::from_millis(50),
            "failure {} retried after {gap:?}, before {floor:?}",
            i + 1
        );
    }
    let feeds = feeds_json(&dir).await;
    assert!(
        feeds[1]["consecutive_errors"]
            .as_u64()
            .is_some_and(|n| n >= 2),
        "{feeds}"
    );
    assert!(
        feeds[1]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("HTTP 500")),
        "{feeds}"
    );
    assert_eq!(feeds[0]["consecutive_errors"], 0);
}

#[tokio::test(start_paused = true)]
async fn a_restart_does_not_refetch_before_due_and_fetches_an_overdue_feed_promptly() {
    let _guard = HangGuard::new("restart", REAL_LIMIT);
    let clock = paused_clock();
    let (server, mut hits) = ScriptedServer::new(Arc::clone(&clock), |_, _| {
        Answer::rss(rss("https://blog.example", &[("a", 1)]))
    });
    let dir = TestDir::new(&feed(
        "A",
        "https://blog.example/a.xml",
        "interval = \"1h\"",
    ));
    let start =
        || InProcessDaemon::start(&dir.config_path(), Arc::clone(&clock), Arc::clone(&server));

    let mut daemon = start();
    next_hit(&mut hits).await;
    daemon.poll_done().await;
    tokio::time::sleep(Duration::from_secs(30 * 60)).await;
    daemon.stop().await;
    assert_eq!(
        server.hits_to("/a.xml").len(),
        1,
        "not refetched within the hour"
    );

    // Restart: the feed is not due for another half hour, so the daemon
    // goes idle without fetching.
    let mut daemon = start();
    daemon.idle().await;
    tokio::time::sleep(Duration::from_secs(20 * 60)).await;
    daemon.stop().await;
    assert_eq!(
        server.hits_to("/a.xml").len(),
        1,
        "not refetched before due"
    );

    // Make it overdue (as if the machine was off past its due time): fetched promptly.
    let conn = rusqlite::Connection::open(dir.database()).expect("open db");
    conn.execute("UPDATE feeds SET next_due = next_due - 7200", [])
        .expect("update");
    drop(conn);
    let started = linkpost::clock::Clock::now(clock.as_ref());
    let mut daemon = start();
    let hit = next_hit(&mut hits).await;
    daemon.poll_done().await;
    daemon.stop().await;
    assert_eq!(server.hits_to("/a.xml").len(), 2);
    assert!(
        hit.at - started < chrono::Duration::seconds(1),
        "the overdue feed was fetched {} after start",
        hit.at - started
    );
}

#[tokio::test(start_paused = true)]
async fn a_reload_that_cannot_read_the_schedule_keeps_the_running_configuration_whole() {
    let _guard = HangGuard::new("reload", REAL_LIMIT);
    let clock = paused_clock();
    // A's second answer has a new entry, to see where its post is written.
    let (server, mut hits) = ScriptedServer::new(Arc::clone(&clock), |_, n| {
        let items: &[(&str, u32)] = if n == 1 {
            &[("a", 1)]
        } else {
            &[("a", 1), ("b", 2)]
        };
        Answer::rss(rss("https://blog.example", items))
    });
    // The test follows the server's requests one by one: without article
    // pages (the entries' short texts would fetch theirs under "auto"),
    // each is a feed's.
    let no_pages = "interval = \"1h\"\nfetch_article = false";
    let dir = TestDir::new(&feed("A", "https://blog.example/a.xml", no_pages));
    let mut daemon = InProcessDaemon::start(&dir.config_path(), clock, Arc::clone(&server));
    next_hit(&mut hits).await;
    daemon.poll_done().await;

    // The new config adds B and moves the output folder; the schedule
    // cannot be read, so none of it may take effect.
    std::fs::write(
        dir.config_path(),
        format!(
            "database = \"state/linkpost.db\"\noutput_dir = \"elsewhere\"\n{}{}",
            feed("A", "https://blog.example/a.xml", no_pages),
            feed("B", "https://blog.example/b.xml", no_pages)
        ),
    )
    .expect("write config");
    let conn = rusqlite::Connection::open(dir.database()).expect("open db");
    conn.execute_batch("ALTER TABLE feeds RENAME TO feeds_away")
        .expect("hide the schedule");
    daemon.reload().await;
    let status = daemon.next_status().await;
    assert!(
        status.starts_with("1 feeds, 0 polling"),
        "the old configuration stays whole: {status}"
    );
    conn.execute_batch("ALTER TABLE feeds_away RENAME TO feeds")
        .expect("bring it back");
    drop(conn);

    // A's next poll still runs on the old configuration, output folder too.
    let hit = next_hit(&mut hits).await;
    assert_eq!(hit.path, "/a.xml");
    daemon.poll_done().await;
    assert_eq!(dir.posts().len(), 2, "a and b in the old output folder");
    assert!(
        !dir.dir.path().join("elsewhere").exists(),
        "nothing of the refused config took effect"
    );

    daemon.reload().await;
    let hit = next_hit(&mut hits).await;
    assert_eq!(
        hit.path, "/b.xml",
        "the reload that could read it took effect"
    );
    daemon.poll_done().await;
    daemon.stop().await;
    assert_eq!(
        server.hits_to("/a.xml").len(),
        2,
        "A kept its due time through the reload"
    );
}

#[tokio::test]
async fn sighup_adds_a_feed_and_an_invalid_config_is_refused() {
    let recorder = Recorder::new(|_, _| rss_response(rss("https://blog.example", &[("a", 1)])));
    let hits = recorder.hits.clone();
    let server = serve_recorder(recorder).await;
    let uri = server.uri();
    let dir = TestDir::new(&feed("A", &format!("{uri}/a.xml"), "interval = \"1h\""));
    let daemon = Daemon::start(&dir.config_path());
    wait_until("feed A polled", LONG, || {
        hits_to(&hits, "/a.xml").len() == 1
    })
    .await;

    dir.append_config(&feed("B", &format!("{uri}/b.xml"), "interval = \"1h\""));
    daemon.signal("HUP");
    wait_until("feed B polled after SIGHUP", LONG, || {
        hits_to(&hits, "/b.xml").len() == 1
    })
    .await;

    dir.append_config("this is = not toml [\n");
    daemon.signal("HUP");
    wait_until("the bad reload refused", LONG, || {
        daemon.log().contains("reload refused")
    })
    .await;
    assert!(
        daemon.log().contains("linkpost.toml:"),
        "the refusal names the file and line"
    );
    let (code, log) = daemon.stop(LONG).await;
    assert_eq!(code, 0, "{log}");
    assert_eq!(
        hits_to(&hits, "/a.xml").len(),
        1,
        "a 1h feed is not polled again by a reload"
    );
}

#[tokio::test]
async fn sigterm_during_a_poll_leaves_no_partial_file_and_exits_0() {
    let slugs: Vec<String> = (1..=20).map(|i| format!("p{i:02}")).collect();
    let items: Vec<(&str, u32)> = slugs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32 % 28 + 1))
        .collect();
    let body = rss("http://HOST", &items);
    let recorder = Recorder::new(move |request, _| {
        let host = common::request_host(request);
        if request.url.path() == "/feed.xml" {
            rss_response(body.replace("HOST", host))
        } else {
            // Slow article pages keep the poll busy while SIGTERM arrives.
            ResponseTemplate::new(200)
                .set_body_raw(
                    "<html><body><article><p>Page text.</p></article></body></html>",
                    "text/html",
                )
                .set_delay(Duration::from_millis(200))
        }
    });
    let server = serve_recorder(recorder).await;
    let dir = TestDir::new(&feed(
        "Slow",
        &format!("{}/feed.xml", server.uri()),
        "summary_selector = \"article\"\nbackfill = 50",
    ));
    let daemon = Daemon::start(&dir.config_path());
    wait_until("a first post", LONG, || !dir.posts().is_empty()).await;
    let (code, log) = daemon.stop(LONG).await;
    assert_eq!(code, 0, "{log}");

    let written = dir.posts();
    assert!(
        written.len() < 20,
        "the shutdown came before the poll ended"
    );
    for path in &written {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(
            name.ends_with(".md") && !name.starts_with('.'),
            "stray file {name}"
        );
        let (pairs, _) = read_post(&std::fs::read_to_string(path).expect("read"));
        assert_eq!(common::get(&pairs, "summary").as_str(), "Page text.");
    }
    let conn = rusqlite::Connection::open(dir.database()).expect("open db");
    let pending: i64 = conn
        .query_row(
            "SELECT count(*) FROM entries WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(pending, 0, "nothing left half done");
    drop(conn);

    // The rest come on the next run, each exactly once.
    assert_eq!(poll(&dir).await, 0);
    assert_eq!(dir.posts().len(), 20);
}

#[tokio::test]
async fn gone_disables_the_feed() {
    let recorder = Recorder::new(|_, _| ResponseTemplate::new(410));
    let hits = recorder.hits.clone();
    let server = serve_recorder(recorder).await;
    let dir = TestDir::new(&feed("Old", &format!("{}/old.xml", server.uri()), ""));
    assert_eq!(poll(&dir).await, 2, "a failed feed makes poll exit 2");
    let feeds = feeds_json(&dir).await;
    assert_eq!(feeds[0]["disabled"], true, "{feeds}");
    assert_eq!(feeds[0]["last_status"], "gone: disabled");
    assert_eq!(poll(&dir).await, 0);
    assert_eq!(
        hits_to(&hits, "/old.xml").len(),
        1,
        "a disabled feed is not fetched again"
    );
}

#[tokio::test]
async fn tells_systemd_ready_status_and_watchdog() {
    use std::os::unix::net::UnixDatagram;
    let recorder = Recorder::new(|_, _| rss_response(rss("https://blog.example", &[("a", 1)])));
    let server = serve_recorder(recorder).await;
    let dir = TestDir::new(&feed(
        "A",
        &format!("{}/a.xml", server.uri()),
        "interval = \"1h\"",
    ));
    let socket_path = dir.dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind notify socket");
    socket.set_read_timeout(Some(LONG)).expect("timeout");
    let socket_env = socket_path.display().to_string();
    let daemon = Daemon::start_with_env(
        &dir.config_path(),
        &[("NOTIFY_SOCKET", &socket_env), ("WATCHDOG_USEC", "400000")],
    );
    let messages = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !(seen.iter().any(|m: &String| m.contains("READY=1"))
            && seen.iter().any(|m| m.contains("STATUS="))
            && seen.iter().any(|m| m.contains("WATCHDOG=1")))
        {
            let n = socket
                .recv(&mut buf)
                .expect("a notification before the timeout");
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        seen
    })
    .await
    .expect("reader");
    let (code, log) = daemon.stop(LONG).await;
    assert_eq!(code, 0, "{log}");
    let ready = messages
        .iter()
        .position(|m| m.contains("READY=1"))
        .expect("ready");
    assert_eq!(ready, 0, "READY=1 comes first: {messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("STATUS=1 feeds")),
        "{messages:?}"
    );
}

#[tokio::test]
async fn retry_after_over_real_http_pushes_next_due_out_in_seconds_and_as_a_date() {
    // The in-process test above scripts its answers; this one sends them
    // over HTTP, as seconds and as an RFC 850 date (RFC 9110 §5.6.7).
    let in_two_hours =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2 * 3600));
    let rfc850 = chrono::DateTime::parse_from_rfc2822(&in_two_hours)
        .expect("an IMF-fixdate")
        .format("%A, %d-%b-%y %H:%M:%S GMT")
        .to_string();
    let recorder = Recorder::new(move |request, _| {
        let wait = if request.url.path() == "/seconds.xml" {
            "3600".to_string()
        } else {
            rfc850.clone()
        };
        ResponseTemplate::new(429).insert_header("retry-after", wait.as_str())
    });
    let server = serve_recorder(recorder).await;
    let uri = server.uri();
    let dir = TestDir::new(&format!(
        "{}{}",
        feed(
            "Seconds",
            &format!("{uri}/seconds.xml"),
            "interval = \"1m\""
        ),
        feed("Date", &format!("{uri}/date.xml"), "interval = \"1m\"")
    ));
    let before = chrono::Utc::now().timestamp();
    assert_eq!(poll(&dir).await, 2, "a failed feed makes poll exit 2");
    let feeds = feeds_json(&dir).await;
    for (i, wait) in [(0, 3600), (1, 2 * 3600 - 60)] {
        let next_due =
            chrono::DateTime::parse_from_rfc3339(feeds[i]["next_due"].as_str().expect("next_due"))
                .expect("a date")
                .timestamp();
        assert!(
            next_due >= before + wait,
            "{}: next due {next_due}, not {wait} s after {before}",
            feeds[i]["name"]
        );
        assert!(
            feeds[i]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("answered HTTP 429 (retry after")),
            "{feeds}"
        );
    }
}

// Issue 13: a finished poll costs the daemon the same whatever the number
// of feeds. Counted, not timed: the store's reads of the feeds table over
// two full passes of 10,000 feeds are the one read at start plus one per
// poll, where a daemon that looked at every feed per event would read
// tens of millions.
#[tokio::test(start_paused = true)]
async fn a_finished_poll_reads_one_feed_row_not_all_of_them() {
    const FEEDS: usize = 10_000;
    let _guard = HangGuard::new("feed_rows_per_poll", Duration::from_secs(300));
    let clock = paused_clock();
    let (server, _hits) = ScriptedServer::new(Arc::clone(&clock), |_, _| Answer::status(304));
    let mut config = String::from("concurrency = 32\nper_host_limit = 32\n");
    for i in 0..FEEDS {
        config.push_str(&format!(
            "[[feed]]\nname = \"feed {i}\"\nurl = \"https://feeds.example/{i}.xml\"\ninterval = \"1h\"\nfetch_article = false\n"
        ));
    }
    let dir = TestDir::new(&config);
    let mut daemon = InProcessDaemon::start(&dir.config_path(), clock, Arc::clone(&server));
    while server.hit_count() < 2 * FEEDS {
        daemon.poll_done().await;
    }
    let rows = daemon.feed_rows_read();
    let polls = server.hit_count() as u64;
    let most_polling = daemon.most_polling();
    daemon.stop().await;
    // All 10,000 feeds are due at the first start; only 4 × concurrency of
    // them are poll tasks at once (a task holds a whole poll's state), the
    // others wait in the due queue.
    assert!(
        (1..=4 * 32).contains(&most_polling),
        "{most_polling} polls running at once"
    );
    // Start reads the (empty) table once; each poll reads its own row, once
    // the first pass has written it.
    assert!(
        rows <= polls + 64,
        "{rows} feed rows read for {polls} polls of {FEEDS} feeds"
    );
    assert!(
        rows >= FEEDS as u64,
        "the second pass read each feed's row: {rows}"
    );
}

/// Runs the daemon over `names` (interval 1000 s, so a due feed waits at
/// most 10 s for others) after setting each feed's next due time to the
/// clock's now (whole seconds) plus its offset; returns each feed's request
/// time in seconds after that now, by feed name.
async fn polled_after_setting_due_times(top: &str, due_in: &[(&str, i64)]) -> Vec<(String, f64)> {
    let clock = paused_clock();
    let (server, mut hits) = ScriptedServer::new(Arc::clone(&clock), |_, _| {
        Answer::rss(rss("https://blog.example", &[("a", 1)]))
    });
    let feeds: String = due_in
        .iter()
        .map(|(name, _)| {
            feed(
                name,
                &format!("https://blog.example/{name}.xml"),
                "interval = \"1000s\"\nfetch_article = false",
            )
        })
        .collect();
    let dir = TestDir::new(&format!("{top}\n{feeds}"));
    let start =
        || InProcessDaemon::start(&dir.config_path(), Arc::clone(&clock), Arc::clone(&server));
    // A first run polls each feed once, so the store knows them.
    let mut daemon = start();
    for _ in due_in {
        next_hit(&mut hits).await;
    }
    daemon.idle().await;
    daemon.stop().await;

    let now = linkpost::clock::Clock::now(clock.as_ref()).timestamp();
    let conn = rusqlite::Connection::open(dir.database()).expect("open db");
    for (name, offset) in due_in {
        conn.execute(
            "UPDATE feeds SET next_due = ?1 WHERE name = ?2",
            rusqlite::params![now + offset, name],
        )
        .expect("set next_due");
    }
    drop(conn);
    let daemon = start();
    let mut polled = Vec::new();
    for _ in due_in {
        let hit = next_hit(&mut hits).await;
        let name = hit.path.trim_start_matches('/').trim_end_matches(".xml");
        let after = (hit.at.timestamp_millis() - now * 1000) as f64 / 1000.0;
        polled.push((name.to_string(), after));
    }
    daemon.stop().await;
    polled.sort_by(|a, b| a.0.cmp(&b.0));
    polled
}

#[tokio::test(start_paused = true)]
async fn feeds_due_close_together_are_polled_in_one_wake_never_early() {
    let _guard = HangGuard::new("gather", REAL_LIMIT);
    let polled =
        polled_after_setting_due_times("", &[("a", 100), ("b", 103), ("c", 106), ("d", 200)]).await;
    let at = |name: &str| polled.iter().find(|(n, _)| n == name).expect("polled").1;
    // a waits for b and c (due within a hundredth of its interval, 10 s);
    // none is polled before it is due; d, due later, comes on its own.
    let (a, b, c, d) = (at("a"), at("b"), at("c"), at("d"));
    assert!(
        (a - b).abs() < 1.0 && (a - c).abs() < 1.0,
        "a, b and c in one wake: {polled:?}"
    );
    assert!(c >= 106.0, "c polled before it was due: {polled:?}");
    assert!(a <= 111.0, "a waited more than 10 s: {polled:?}");
    assert!(
        (200.0..=211.0).contains(&d),
        "d polled at {d} s, due at 200: {polled:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn feeds_enough_to_fill_the_free_poll_slots_start_without_waiting() {
    let _guard = HangGuard::new("gather_full", REAL_LIMIT);
    // concurrency 1: four polls may run; four feeds due at 100 fill them.
    let polled = polled_after_setting_due_times(
        "concurrency = 1",
        &[("a", 100), ("b", 100), ("c", 100), ("d", 100)],
    )
    .await;
    for (name, after) in &polled {
        assert!(
            (100.0..101.0).contains(after),
            "{name} polled {after} s after, due at 100: {polled:?}"
        );
    }
}
