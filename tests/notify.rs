//! Notifications (issue 16): webhooks received by loopback servers, signed,
//! retried, never holding up a poll; `feed_failing` and `feed_disabled`
//! decided on a paused clock the test controls.

mod common;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::mpsc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use common::in_process::{
    Answer as FeedAnswer, HangGuard, InProcessDaemon, ScriptedServer, next_hit,
};
use common::{Daemon, Recorder, TestDir, linkpost_async, rss, serve_recorder, wait_until};
use linkpost::clock::{Clock, PausedClock};
use linkpost::fetch::BoxFuture;
use linkpost::notify::{
    Answer, Deliver, Event, EventKind, Notifications, NotifyError, NotifyTarget, Outgoing, Secret,
};

/// One webhook request a [`Webhook`] received.
#[derive(Debug, Clone)]
struct Received {
    body: Vec<u8>,
    event_type: Option<String>,
    signature: Option<String>,
    content_type: Option<String>,
}

impl Received {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// A loopback webhook receiver answering the n-th request (from 1) with
/// `answer(n)` and recording each.
struct Webhook {
    server: MockServer,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Webhook {
    async fn start(answer: impl Fn(usize) -> ResponseTemplate + Send + Sync + 'static) -> Webhook {
        let server = MockServer::start().await;
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = Arc::clone(&received);
        Mock::given(method("POST"))
            .and(path("/hook"))
            .respond_with(move |request: &Request| {
                let header = |name: &str| {
                    request
                        .headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                let n = {
                    let mut log = log.lock().expect("log");
                    log.push(Received {
                        body: request.body.clone(),
                        event_type: header("x-linkpost-event-type"),
                        signature: header("x-linkpost-signature"),
                        content_type: header("content-type"),
                    });
                    log.len()
                };
                answer(n)
            })
            .mount(&server)
            .await;
        Webhook { server, received }
    }

    fn url(&self) -> String {
        format!("{}/hook", self.server.uri())
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("log").clone()
    }
}

fn feed(name: &str, url: &str) -> String {
    format!("[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n")
}

async fn poll(dir: &TestDir) -> (i32, String) {
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    (code, stderr)
}

/// The hex HMAC-SHA256 of `body` under `key`, computed here, not by linkpost.
fn hmac_hex(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A feed server with two posts in every feed: `/feed.xml` has posts `a`
/// and `b`, `/One/feed.xml` has `One-a` and `One-b`, and so on.
async fn feed_server() -> MockServer {
    serve_recorder(Recorder::new(|request, _| {
        let base = format!("http://{}", common::request_host(request));
        let prefix = request
            .url
            .path()
            .strip_suffix("feed.xml")
            .unwrap_or_default()
            .trim_matches('/')
            .replace('/', "-");
        let slug = |s: &str| match prefix.as_str() {
            "" => s.to_string(),
            p => format!("{p}-{s}"),
        };
        let (a, b) = (slug("a"), slug("b"));
        ResponseTemplate::new(200)
            .set_body_raw(rss(&base, &[(&a, 1), (&b, 2)]), "application/rss+xml")
    }))
    .await
}

/// Whether two times are at most a second apart (the store keeps seconds).
fn close(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    (a - b).num_milliseconds().abs() <= 1000
}

#[tokio::test]
async fn poll_sends_one_signed_new_drafts_request_listing_the_posts() {
    let feeds = feed_server().await;
    let hook = Webhook::start(|_| ResponseTemplate::new(204)).await;
    let dir = TestDir::new(&format!(
        "{}[[notify]]\nurl = \"{}\"\nsecret = \"s3cret key\"\n",
        feed("Blog", &format!("{}/feed.xml", feeds.uri())),
        hook.url()
    ));
    let (code, stderr) = poll(&dir).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("s3cret"), "the secret is never logged");

    let received = hook.received();
    assert_eq!(received.len(), 1, "one request per poll of a feed");
    let request = &received[0];
    assert_eq!(request.event_type.as_deref(), Some("new_drafts"));
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        request.signature.as_deref(),
        Some(hmac_hex("s3cret key", &request.body).as_str()),
        "X-Linkpost-Signature is the HMAC-SHA256 of the raw body"
    );
    let json = request.json();
    assert_eq!(json["event"], "new_drafts");
    assert_eq!(json["feed"], "Blog");
    let posts = json["posts"].as_array().expect("posts");
    assert_eq!(posts.len(), 2);
    let mut files: Vec<String> = posts
        .iter()
        .map(|p| p["file"].as_str().expect("file").to_string())
        .collect();
    files.sort();
    let written: Vec<String> = dir
        .posts()
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, written, "each file named is a file written");
    let a = posts
        .iter()
        .find(|p| p["title"] == "Post a")
        .expect("post a");
    assert!(
        a["url"].as_str().expect("url").ends_with("/posts/a/"),
        "{a}"
    );
    assert_eq!(a["date"], "2025-09-01T10:00:00+00:00");
    assert_eq!(a["draft"], true);

    // Nothing new, nothing sent.
    let (code, stderr) = poll(&dir).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(hook.received().len(), 1);
}

#[tokio::test]
async fn a_500_is_retried_with_the_same_body_and_signature() {
    let feeds = feed_server().await;
    let hook = Webhook::start(|n| ResponseTemplate::new(if n == 1 { 500 } else { 200 })).await;
    let dir = TestDir::new(&format!(
        "{}[[notify]]\nurl = \"{}\"\nsecret = \"k\"\nevents = [\"new_drafts\"]\n",
        feed("Blog", &format!("{}/feed.xml", feeds.uri())),
        hook.url()
    ));
    let (code, stderr) = poll(&dir).await;
    assert_eq!(code, 0, "{stderr}");
    let received = hook.received();
    assert_eq!(received.len(), 2, "a 500, then the retry: {stderr}");
    assert_eq!(received[0].body, received[1].body);
    assert_eq!(received[0].signature, received[1].signature);
    assert!(!stderr.contains("giving up"), "{stderr}");
}

#[tokio::test]
async fn a_4xx_is_not_retried_and_the_give_up_names_target_and_event() {
    let feeds = feed_server().await;
    let hook = Webhook::start(|_| ResponseTemplate::new(403)).await;
    let dir = TestDir::new(&format!(
        "{}[[notify]]\nurl = \"{}?token=t0ps3cret\"\n",
        feed("Blog", &format!("{}/feed.xml", feeds.uri())),
        hook.url()
    ));
    let (code, stderr) = poll(&dir).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(hook.received().len(), 1, "a 403 is not retried");
    let give_up = stderr
        .lines()
        .find(|l| l.contains("giving up on a notification"))
        .unwrap_or_else(|| panic!("a warning: {stderr}"));
    assert!(
        give_up.contains(&format!("notify[0] ({})", hook.server.uri())),
        "{give_up}"
    );
    assert!(
        give_up.contains("new_drafts") && give_up.contains("HTTP 403"),
        "{give_up}"
    );
    assert!(
        !stderr.contains("t0ps3cret"),
        "the URL's query is never logged"
    );
}

/// A listener on 127.0.0.1 that accepts connections and never answers.
fn hanging_receiver() -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let accepted: Arc<Mutex<usize>> = Arc::default();
    let count = Arc::clone(&accepted);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            *count.lock().expect("count") += 1;
            held.push(stream); // open, never read or answered
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn a_receiver_that_never_answers_holds_up_no_poll_and_poll_exits_after_its_grace() {
    let feeds = feed_server().await;
    let (hook, accepted) = hanging_receiver();
    let mut config = String::new();
    for name in ["One", "Two", "Three"] {
        config.push_str(&feed(name, &format!("{}/{name}/feed.xml", feeds.uri())));
    }
    config.push_str(&format!("[[notify]]\nurl = \"{hook}\"\n"));
    let dir = TestDir::new(&config);
    let (code, stderr) = poll(&dir).await;
    assert_eq!(code, 0, "{stderr}");
    // Every feed's posts are written, though the first notification hangs.
    let posts = dir.posts();
    assert_eq!(posts.len(), 6, "{posts:?}\n{stderr}");
    assert!(
        *accepted.lock().expect("count") >= 1,
        "a notification was tried"
    );
    assert!(
        stderr.contains("notifications still queued after the grace period; not sent"),
        "{stderr}"
    );
    assert!(stderr.contains("poll finished"), "{stderr}");
}

#[tokio::test]
async fn run_sends_new_drafts_and_stops_cleanly_on_sigterm() {
    let feeds = feed_server().await;
    let hook = Webhook::start(|_| ResponseTemplate::new(200)).await;
    let dir = TestDir::new(&format!(
        "{}[[notify]]\nurl = \"{}\"\nevents = [\"new_drafts\"]\n",
        feed("Blog", &format!("{}/feed.xml", feeds.uri())),
        hook.url()
    ));
    let daemon = Daemon::start(&dir.config_path());
    wait_until("a new_drafts request", Duration::from_secs(30), || {
        !hook.received().is_empty()
    })
    .await;
    let (code, log) = daemon.stop(Duration::from_secs(30)).await;
    assert_eq!(code, 0, "{log}");
    let received = hook.received();
    assert_eq!(received.len(), 1, "{log}");
    assert_eq!(
        received[0].json()["posts"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(dir.posts().len(), 2);
}

#[tokio::test]
async fn a_410_sends_feed_disabled() {
    let feeds = serve_recorder(Recorder::new(|_, _| ResponseTemplate::new(410))).await;
    let hook = Webhook::start(|_| ResponseTemplate::new(200)).await;
    let url = format!("{}/gone.xml", feeds.uri());
    let dir = TestDir::new(&format!(
        "{}[[notify]]\nurl = \"{}\"\nevents = [\"feed_disabled\"]\n",
        feed("Gone", &url),
        hook.url()
    ));
    let (code, stderr) = poll(&dir).await;
    assert_eq!(code, 2, "a failed feed: {stderr}");
    let received = hook.received();
    assert_eq!(received.len(), 1, "{stderr}");
    assert_eq!(received[0].event_type.as_deref(), Some("feed_disabled"));
    assert_eq!(received[0].signature, None, "no secret, no signature");
    assert_eq!(
        received[0].json(),
        serde_json::json!({"event": "feed_disabled", "feed": "Gone", "url": url,
            "status": 410, "reason": "410 Gone"})
    );
}

#[tokio::test]
async fn bad_notify_keys_exit_3_naming_file_line_and_key() {
    let cases = [
        (
            "[[notify]]\nurl = \"not a url\"\n",
            "linkpost.toml:4: notify[0].url: \"not a url\" is not an http or https URL",
        ),
        (
            "[[notify]]\nurl = \"https://hooks.example/x\"\nevents = [\"new_drafts\", \"oops\"]\n",
            "linkpost.toml:5: notify[0].events[1]: unknown event \"oops\"",
        ),
    ];
    for (table, want) in cases {
        let dir = TestDir::new(table);
        let config = dir.config_path().display().to_string();
        let (code, _, stderr) =
            linkpost_async(vec!["check".into(), "--config".into(), config]).await;
        assert_eq!(code, 3, "{stderr}");
        assert!(stderr.contains(want), "{stderr:?} should contain {want:?}");
    }
}

/// Records each attempt at the clock's time and answers by `answer(n)`.
struct RecordingDeliver {
    clock: Arc<PausedClock>,
    seen: mpsc::UnboundedSender<(DateTime<Utc>, Outgoing)>,
    count: Mutex<usize>,
    answer: Box<dyn Fn(usize) -> Answer + Send + Sync>,
}

impl RecordingDeliver {
    fn new(
        clock: Arc<PausedClock>,
        answer: impl Fn(usize) -> Answer + Send + Sync + 'static,
    ) -> (
        Arc<RecordingDeliver>,
        mpsc::UnboundedReceiver<(DateTime<Utc>, Outgoing)>,
    ) {
        let (seen, rx) = mpsc::unbounded_channel();
        let deliver = RecordingDeliver {
            clock,
            seen,
            count: Mutex::new(0),
            answer: Box::new(answer),
        };
        (Arc::new(deliver), rx)
    }
}

impl Deliver for RecordingDeliver {
    fn deliver<'a>(&'a self, request: &'a Outgoing) -> BoxFuture<'a, Result<Answer, NotifyError>> {
        let n = {
            let mut count = self.count.lock().expect("count");
            *count += 1;
            *count
        };
        let _ = self.seen.send((self.clock.now(), request.clone()));
        let answer = (self.answer)(n);
        Box::pin(async move { Ok(answer) })
    }
}

fn status(status: u16) -> Answer {
    Answer {
        status,
        retry_after: None,
    }
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_one_then_two_seconds_and_honour_retry_after() {
    let _guard = HangGuard::new("backoff", Duration::from_secs(60));
    let clock = Arc::new(PausedClock::starting_at(Utc::now()));
    let (deliver, mut seen) = RecordingDeliver::new(Arc::clone(&clock), |n| match n {
        1 | 2 => status(503),
        3 => Answer {
            status: 429,
            retry_after: Some(Duration::from_secs(30)),
        },
        _ => status(200),
    });
    let target = NotifyTarget {
        url: "https://hooks.example/x".parse().expect("url"),
        secret: Some(Secret::new("k")),
        events: EventKind::ALL.to_vec(),
    };
    let notifications = Notifications::start(&[target], deliver);
    notifications.send(&Event::FeedDisabled {
        feed: "F".into(),
        url: "https://f.example/feed".into(),
        status: 410,
        reason: "410 Gone".into(),
    });
    let mut attempts = Vec::new();
    for _ in 0..4 {
        attempts.push(seen.recv().await.expect("an attempt"));
    }
    notifications.finish(Duration::from_secs(1)).await;
    let gaps: Vec<Duration> = attempts
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).to_std().expect("in order"))
        .collect();
    assert!(gaps[0] >= Duration::from_secs(1), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_secs(2), "{gaps:?}");
    assert!(
        gaps[2] >= Duration::from_secs(30),
        "Retry-After wins: {gaps:?}"
    );
    assert!(attempts.iter().all(|(_, o)| o.body == attempts[0].1.body));
    assert!(seen.try_recv().is_err(), "delivered: no fifth attempt");
}

/// The `feed_failing` events among the attempts received so far.
fn failing_events(
    seen: &mut mpsc::UnboundedReceiver<(DateTime<Utc>, Outgoing)>,
    into: &mut Vec<(DateTime<Utc>, serde_json::Value)>,
) {
    while let Ok((at, outgoing)) = seen.try_recv() {
        if outgoing.kind == EventKind::FeedFailing {
            into.push((at, serde_json::from_slice(&outgoing.body).expect("JSON")));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn feed_failing_fires_once_per_run_of_failures_after_notify_after() {
    let _guard = HangGuard::new("feed_failing", Duration::from_secs(60));
    let clock = Arc::new(PausedClock::starting_at(Utc::now()));
    // Polls 1-5 fail, 6 and 7 succeed, 8 on fail again.
    let (server, mut hits) = ScriptedServer::new(Arc::clone(&clock), |_, n| {
        if n <= 5 || n >= 8 {
            FeedAnswer::status(500)
        } else {
            FeedAnswer::rss(rss("https://blog.example", &[("a", 1)]))
        }
    });
    let (deliver, mut seen) = RecordingDeliver::new(Arc::clone(&clock), |_| status(200));
    let dir = TestDir::new(&format!(
        "notify_after = \"10m\"\n{}interval = \"1m\"\n\
         [[notify]]\nurl = \"https://hooks.example/x\"\nevents = [\"feed_failing\"]\n",
        feed("Flaky", "https://flaky.example/feed.xml")
    ));
    let mut daemon = InProcessDaemon::start_with_deliver(
        &dir.config_path(),
        Arc::clone(&clock),
        Arc::clone(&server),
        Some(deliver),
    );
    let mut events = Vec::new();
    // Backoff doubles from the 1m interval: failed polls at about 0, 2, 6,
    // 14 and 30 minutes; the run reaches 10 minutes at the fourth.
    for _ in 0..5 {
        next_hit(&mut hits).await;
        daemon.poll_done().await;
    }
    failing_events(&mut seen, &mut events);
    let polls = server.hits_to("/feed.xml");
    assert_eq!(events.len(), 1, "once per run, not per poll: {events:?}");
    let (at, first) = &events[0];
    assert_eq!(first["event"], "feed_failing");
    assert_eq!(first["feed"], "Flaky");
    assert_eq!(first["url"], "https://flaky.example/feed.xml");
    assert_eq!(first["consecutive_errors"], 4);
    assert!(
        first["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("answered HTTP 500")),
        "{first}"
    );
    let since: DateTime<Utc> = first["since"]
        .as_str()
        .expect("since")
        .parse()
        .expect("RFC 3339");
    assert!(
        close(since, polls[0].at),
        "since the first failed poll: {since}"
    );
    assert!(
        *at - polls[0].at >= chrono::Duration::minutes(10),
        "after notify_after"
    );
    assert!(
        *at >= polls[3].at && *at < polls[4].at,
        "at the fourth poll"
    );

    // Two successes end the run; failing again starts a new one, which
    // fires again once it has lasted notify_after (its fourth poll, 11).
    for _ in 6..=12 {
        next_hit(&mut hits).await;
        daemon.poll_done().await;
    }
    daemon.stop().await;
    failing_events(&mut seen, &mut events);
    let polls = server.hits_to("/feed.xml");
    assert_eq!(events.len(), 2, "{events:?}");
    let (at, second) = &events[1];
    let since: DateTime<Utc> = second["since"]
        .as_str()
        .expect("since")
        .parse()
        .expect("RFC 3339");
    assert!(
        close(since, polls[7].at),
        "the new run's first poll: {since}"
    );
    assert_eq!(second["consecutive_errors"], 4);
    assert!(*at >= polls[10].at && *at < polls[11].at, "at poll 11");
}

/// Never answers.
struct HangingDeliver;

impl Deliver for HangingDeliver {
    fn deliver<'a>(&'a self, _: &'a Outgoing) -> BoxFuture<'a, Result<Answer, NotifyError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_drops_and_counts_and_finish_gives_up_after_its_grace() {
    let _guard = HangGuard::new("full queue", Duration::from_secs(60));
    let target = NotifyTarget {
        url: "http://127.0.0.1:9/hook".parse().expect("url"),
        secret: None,
        events: vec![EventKind::FeedDisabled],
    };
    let notifications = Notifications::start(&[target], Arc::new(HangingDeliver));
    let event = |i: usize| Event::FeedDisabled {
        feed: format!("F{i}"),
        url: "https://f.example/feed".into(),
        status: 410,
        reason: "410 Gone".into(),
    };
    // Not yielding, so the sender takes none yet: the queue holds exactly
    // its capacity and the rest are dropped, without waiting.
    let extra = 4;
    for i in 0..linkpost::notify::QUEUE_CAPACITY + extra {
        notifications.send(&event(i));
    }
    assert_eq!(notifications.dropped(), extra as u64);
    // An event no target wants is neither queued nor dropped.
    notifications.send(&Event::NewDrafts {
        feed: "F".into(),
        posts: Vec::new(),
    });
    assert_eq!(notifications.dropped(), extra as u64);
    notifications.finish(Duration::from_secs(5)).await;
    notifications.send(&event(0));
    assert_eq!(
        notifications.dropped(),
        extra as u64,
        "after finish: ignored"
    );
}
