//! `/metrics` and `/healthz` (issue 16): the real binary's metrics after
//! polls of a good and a failing feed, read by a Prometheus exposition
//! parser; `/healthz` 503 while the scheduler loop is stalled (in process,
//! on paused time); both behind the review page's checks on its listener.
//! Loopback servers only; waits are for outcomes, never for time.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use common::in_process::{Answer, HangGuard, InProcessDaemon, ScriptedServer, next_hit};
use common::{Daemon, TestDir, rss, wait_until};
use linkpost::clock::PausedClock;
use linkpost::daemon::Health;
use linkpost::web::Telemetry;
use prometheus_parse::{Scrape, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LONG: Duration = Duration::from_secs(60);

/// A GET over a plain TCP connection: status and body.
fn get(addr: &str, path: &str, auth: Option<&str>) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(LONG))
        .expect("set a read timeout");
    stream
        .write_all(request(addr, path, auth).as_bytes())
        .expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    split_response(&response)
}

/// [`get`] on tokio, for a test on paused time.
async fn get_async(addr: &str, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(request(addr, path, None).as_bytes())
        .await
        .expect("send request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read response");
    split_response(&response)
}

fn request(addr: &str, path: &str, auth: Option<&str>) -> String {
    let auth = auth.map_or(String::new(), |token| {
        format!("Authorization: Bearer {token}\r\n")
    });
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n")
}

fn split_response(response: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (status, body.to_string())
}

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("an exposition")
}

/// The value of the sample `name` whose labels include `labels`.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .find(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
        .and_then(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(*v),
            _ => None,
        })
}

/// The buckets of the histogram `name`, with their cumulative counts.
fn histogram(scrape: &Scrape, name: &str) -> Vec<(f64, f64)> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name)
        .and_then(|s| match &s.value {
            Value::Histogram(buckets) => {
                Some(buckets.iter().map(|b| (b.less_than, b.count)).collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// The address `linkpost run` logged for its metrics, once it has.
fn metrics_addr(daemon: &Daemon) -> Option<String> {
    let log = daemon.log();
    let line = log.lines().find(|l| l.contains("metrics listening"))?;
    let url = line.split("url=http://").nth(1)?;
    Some(url.split('/').next()?.to_string())
}

#[tokio::test]
async fn metrics_after_polls_of_a_good_and_a_failing_feed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/good.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            rss("https://blog.example", &[("a", 1), ("b", 2)]),
            "application/rss+xml",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/bad.xml"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let dir = TestDir::new(&format!(
        "http_listen = \"127.0.0.1:0\"\n\
         [[feed]]\nname = \"Good\"\nurl = \"{uri}/good.xml\"\ninterval = \"1h\"\nfetch_article = false\n\
         [[feed]]\nname = \"Bad\"\nurl = \"{uri}/bad.xml\"\ninterval = \"1h\"\n",
        uri = server.uri()
    ));
    let daemon = Daemon::start(&dir.config_path());
    wait_until("the metrics address in the log", LONG, || {
        metrics_addr(&daemon).is_some()
    })
    .await;
    let addr = metrics_addr(&daemon).expect("logged");

    // Both polls are counted once the daemon has recorded them.
    let polled = |text: &str| {
        let scrape = parse(text);
        value(&scrape, "linkpost_polls_total", &[("result", "error")]) == Some(1.0)
            && value(&scrape, "linkpost_polls_total", &[("result", "new")]) == Some(1.0)
    };
    wait_until("both polls in /metrics", LONG, || {
        polled(&get(&addr, "/metrics", None).1)
    })
    .await;

    let (status, text) = get(&addr, "/metrics", None);
    assert_eq!(status, 200);
    assert!(text.ends_with("# EOF\n"), "an OpenMetrics exposition");
    let scrape = parse(&text);
    for (result, want) in [("not_modified", 0.0), ("nothing_new", 0.0), ("gone", 0.0)] {
        assert_eq!(
            value(&scrape, "linkpost_polls_total", &[("result", result)]),
            Some(want),
            "{result}"
        );
    }
    assert_eq!(
        value(&scrape, "linkpost_posts_written_total", &[]),
        Some(2.0)
    );
    assert_eq!(value(&scrape, "linkpost_drafts_waiting", &[]), Some(2.0));
    assert_eq!(value(&scrape, "linkpost_feeds_in_backoff", &[]), Some(1.0));
    assert_eq!(value(&scrape, "linkpost_feeds_disabled", &[]), Some(0.0));
    let last = value(&scrape, "linkpost_last_successful_poll_timestamp", &[])
        .expect("last successful poll");
    assert!(last > 0.0, "{last}");

    let fetches = histogram(&scrape, "linkpost_fetch_duration_seconds");
    assert!(!fetches.is_empty(), "fetch duration buckets in\n{text}");
    let inf = fetches
        .iter()
        .find(|(le, _)| le.is_infinite())
        .expect("+Inf");
    assert_eq!(inf.1, 2.0, "two fetches");
    assert_eq!(
        value(&scrape, "linkpost_fetch_duration_seconds_count", &[]),
        Some(2.0)
    );
    let batches = histogram(&scrape, "linkpost_writer_batch_posts");
    let inf = batches
        .iter()
        .find(|(le, _)| le.is_infinite())
        .expect("+Inf");
    assert!(inf.1 >= 1.0, "a batch of posts");
    assert_eq!(
        value(&scrape, "linkpost_writer_batch_posts_sum", &[]),
        Some(2.0),
        "both posts went through batches"
    );

    let (status, body) = get(&addr, "/healthz", None);
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (status, _) = get(&addr, "/nothing", None);
    assert_eq!(status, 404);

    let (code, log) = daemon.stop(LONG).await;
    assert_eq!(code, 0, "{log}");
}

/// The address `linkpost run` logged for its review page, once it has.
fn page_addr(daemon: &Daemon) -> Option<String> {
    let log = daemon.log();
    let line = log.lines().find(|l| l.contains("review page listening"))?;
    let url = line.split("url=http://").nth(1)?;
    Some(url.split('/').next()?.to_string())
}

#[tokio::test]
async fn one_address_for_both_serves_metrics_once_on_the_review_page() {
    let dir = TestDir::new(
        "review_listen = \"127.0.0.1:0\"\nhttp_listen = \"127.0.0.1:0\"\n\
         [[feed]]\nname = \"Local\"\nurl = \"file:local.xml\"\ninterval = \"1h\"\nfetch_article = false\n",
    );
    let folder = dir.config_path().parent().expect("folder").to_path_buf();
    std::fs::write(
        folder.join("local.xml"),
        rss("https://blog.example", &[("a", 1)]),
    )
    .expect("write feed");
    let daemon = Daemon::start(&dir.config_path());
    wait_until("the review page address in the log", LONG, || {
        page_addr(&daemon).is_some()
    })
    .await;
    let addr = page_addr(&daemon).expect("logged");
    wait_until("the poll in /metrics on the page's listener", LONG, || {
        let (status, text) = get(&addr, "/metrics", None);
        status == 200
            && value(&parse(&text), "linkpost_polls_total", &[("result", "new")]) == Some(1.0)
    })
    .await;
    let (status, body) = get(&addr, "/healthz", None);
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    assert!(metrics_addr(&daemon).is_none(), "no second listener");
    assert!(
        daemon
            .log()
            .contains("metrics served on the review page's listener"),
        "{}",
        daemon.log()
    );
    let (code, log) = daemon.stop(LONG).await;
    assert_eq!(code, 0, "{log}");
}

#[tokio::test(start_paused = true)]
async fn healthz_is_503_while_the_scheduler_loop_is_stalled() {
    let _guard = HangGuard::new("healthz_stalled", LONG);
    let clock = Arc::new(PausedClock::starting_at(chrono::Utc::now()));
    let (server, mut hits) = ScriptedServer::new(Arc::clone(&clock), |url, _| {
        if url.path() == "/bad.xml" {
            Answer::status(500)
        } else {
            Answer::rss(rss("https://good.example", &[("a", 1)]))
        }
    });
    let dir = TestDir::new(
        "per_host_limit = 8\n\
         [[feed]]\nname = \"Good\"\nurl = \"https://feeds.example/good.xml\"\ninterval = \"1h\"\nfetch_article = false\n\
         [[feed]]\nname = \"Bad\"\nurl = \"https://feeds.example/bad.xml\"\ninterval = \"1h\"\n",
    );
    let health = Arc::new(Health::new());
    let mut daemon = InProcessDaemon::start_with_health(
        &dir.config_path(),
        clock,
        server,
        Some(Arc::clone(&health)),
    );
    let listener = linkpost::web::bind_telemetry("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let telemetry = Telemetry {
        metrics: daemon.metrics(),
        health: Arc::clone(&health),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(linkpost::web::serve_telemetry(
        listener,
        telemetry,
        dir.database(),
        async move {
            let _ = stopped.await;
        },
    ));

    next_hit(&mut hits).await;
    next_hit(&mut hits).await;
    daemon.poll_done().await;
    let (status, body) = get_async(&addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"), "while it runs");

    let stall = health.stall();
    tokio::time::advance(health.stuck_after() * 2).await;
    let (status, body) = get_async(&addr, "/healthz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("stuck: "), "{body}");

    // Let it go: once it has gone round again it is alive.
    daemon.skip_statuses();
    drop(stall);
    daemon.next_status().await;
    let (status, body) = get_async(&addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"), "after the stall");

    let (_, text) = get_async(&addr, "/metrics").await;
    let scrape = parse(&text);
    assert!(
        value(&scrape, "linkpost_polls_total", &[("result", "error")]) >= Some(1.0),
        "{text}"
    );

    daemon.stop().await;
    let _ = stop.send(());
    served
        .await
        .expect("server task")
        .expect("server ends cleanly");
}

#[tokio::test]
async fn on_the_review_listener_metrics_and_healthz_need_the_page_token() {
    let dir =
        TestDir::new("review_token = \"s3cret\"\n[[feed]]\nname = \"A\"\nurl = \"file:a.xml\"\n");
    linkpost::store::Store::open(&dir.database()).expect("create the store");
    let health = Arc::new(Health::new());
    health.beat();
    let mut settings = linkpost::web::ReviewSettings::of(&dir.load_config());
    settings.telemetry = Some(Telemetry {
        metrics: Arc::new(linkpost::metrics::Metrics::new()),
        health,
    });
    let listener = linkpost::web::bind("127.0.0.1:0".parse().expect("addr"), Some("s3cret"))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(linkpost::web::serve(listener, settings, async move {
        let _ = stopped.await;
    }));

    let (status, body) = tokio::task::spawn_blocking({
        let addr = addr.clone();
        move || {
            assert_eq!(get(&addr, "/metrics", None).0, 401, "no token");
            assert_eq!(get(&addr, "/healthz", None).0, 401, "no token");
            let (status, text) = get(&addr, "/metrics", Some("s3cret"));
            assert_eq!(status, 200);
            let scrape = parse(&text);
            assert_eq!(value(&scrape, "linkpost_drafts_waiting", &[]), Some(0.0));
            get(&addr, "/healthz", Some("s3cret"))
        }
    })
    .await
    .expect("requests");
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    let _ = stop.send(());
    served
        .await
        .expect("server task")
        .expect("server ends cleanly");
}
