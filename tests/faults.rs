//! Faults: a raw HTTP server on 127.0.0.1 that misbehaves in every way a
//! server on the web does, polled by the real binary next to healthy feeds.
//! Each fault must end in its own outcome (posts, or a readable error in
//! `linkpost feeds`), the healthy feeds must not notice, memory must stay
//! bounded, and the daemon must go on polling.
//!
//! `RELIABILITY.md` lists these faults; `reliability_md_lists_every_fault`
//! keeps the two in step.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Daemon, TestDir, linkpost_async, read_post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every fault: (feed name, path served, extra feed keys).
const FAULTS: &[(&str, &str, &str)] = &[
    ("hang", "/hang", "timeout = \"2s\"\n"),
    ("hang-mid-body", "/hang-mid-body", "timeout = \"2s\"\n"),
    ("trickle", "/trickle", "timeout = \"2s\"\n"),
    ("reset", "/reset", ""),
    ("status-500", "/500", ""),
    ("status-404", "/404", ""),
    ("gone-410", "/410", ""),
    ("moved-301", "/moved-301", ""),
    ("moved-308", "/moved-308", ""),
    ("redirect-loop", "/loop-a", ""),
    ("rate-limited-429", "/429", ""),
    ("huge-2gib", "/huge", ""),
    ("huge-2gib-declared", "/huge-declared", ""),
    ("gzip-bomb", "/bomb", "max_body_size = \"1MiB\"\n"),
    ("html-page", "/html", ""),
    ("empty-200", "/empty", ""),
    ("invalid-xml", "/invalid", ""),
    ("truncated", "/truncated", ""),
    ("iso-8859-1", "/latin1", ""),
    ("utf-16", "/utf16", ""),
    ("odd-entries", "/odd", ""),
    ("ten-thousand", "/big", ""),
];

/// A raw HTTP/1.1 server whose behaviour is chosen by the request path.
struct FaultServer {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<String>>>,
}

impl FaultServer {
    async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let bomb = Arc::new(gzip_bomb());
        let seen = Arc::clone(&hits);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = Arc::clone(&seen);
                let bomb = Arc::clone(&bomb);
                tokio::spawn(async move {
                    let _ = serve(stream, addr, seen, bomb).await;
                });
            }
        });
        FaultServer { addr, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits_to(&self, path: &str) -> usize {
        self.hits
            .lock()
            .expect("hits")
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

/// 100 MiB of zeros, gzipped to about 100 KiB (by Debian's gzip).
fn gzip_bomb() -> Vec<u8> {
    let out = std::process::Command::new("sh")
        .args(["-c", "head -c 104857600 /dev/zero | gzip -9"])
        .output()
        .expect("run gzip");
    assert!(out.status.success() && out.stdout.len() < 1 << 20);
    out.stdout
}

async fn serve(
    mut stream: TcpStream,
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<String>>>,
    bomb: Arc<Vec<u8>>,
) -> std::io::Result<()> {
    // Read the request head (bounded).
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    hits.lock().expect("hits").push(path.clone());
    let base = format!("http://{addr}");
    let ok = |ctype: &str, body: &[u8]| {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body);
        r
    };
    let status = |line: &str, extra: &str| {
        format!("HTTP/1.1 {line}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n")
            .into_bytes()
    };
    let rss_type = "application/rss+xml";
    let response: Vec<u8> = match path.as_str() {
        "/good" => ok(rss_type, rss(&base, "good", 3).as_bytes()),
        "/good2" => ok(rss_type, rss(&base, "good2", 2).as_bytes()),
        "/hang" => {
            std::future::pending::<()>().await;
            return Ok(());
        }
        "/hang-mid-body" => {
            let body = rss(&base, "hang", 3);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {rss_type}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body.as_bytes()[..body.len() / 2]).await?;
            std::future::pending::<()>().await;
            return Ok(());
        }
        "/trickle" => {
            let body = rss(&base, "trickle", 3);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {rss_type}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            // One byte every 100 ms: the whole feed would take minutes.
            for byte in body.bytes() {
                stream.write_all(&[byte]).await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            return Ok(());
        }
        "/reset" => {
            let body = rss(&base, "reset", 3);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {rss_type}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body.as_bytes()[..100]).await?;
            stream.flush().await?;
            // Linger 0: closing sends RST, not FIN.
            socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
            drop(stream);
            return Ok(());
        }
        "/500" => status("500 Internal Server Error", ""),
        "/404" => status("404 Not Found", ""),
        "/410" => status("410 Gone", ""),
        "/moved-301" => status("301 Moved Permanently", "Location: /good2\r\n"),
        "/moved-308" => status("308 Permanent Redirect", &format!("Location: {base}/good2\r\n")),
        "/loop-a" => status("302 Found", "Location: /loop-b\r\n"),
        "/loop-b" => status("302 Found", "Location: /loop-a\r\n"),
        "/429" => status("429 Too Many Requests", "Retry-After: 3600\r\n"),
        "/huge" | "/huge-declared" => {
            let length = if path == "/huge" {
                String::new()
            } else {
                format!("Content-Length: {}\r\n", 2u64 << 30)
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {rss_type}\r\n{length}Connection: close\r\n\r\n\
                 <rss version=\"2.0\"><channel><title>huge</title>"
            );
            stream.write_all(head.as_bytes()).await?;
            let chunk = "<item><title>x</title></item>".repeat(2048);
            let mut sent = 0u64;
            // Up to 2 GiB, until the client hangs up.
            while sent < 2u64 << 30 {
                stream.write_all(chunk.as_bytes()).await?;
                sent += chunk.len() as u64;
            }
            return Ok(());
        }
        "/bomb" => {
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {rss_type}\r\nContent-Encoding: gzip\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                bomb.len()
            )
            .into_bytes();
            r.extend_from_slice(&bomb);
            r
        }
        "/html" => ok(
            "text/html",
            b"<!doctype html><html><head><title>Blog</title></head><body><h1>Blog</h1><p>Hello.</p></body></html>",
        ),
        "/empty" => ok(rss_type, b""),
        "/invalid" => ok(
            rss_type,
            b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>\
              <item><title>a</titl></item></channel></rss>",
        ),
        "/truncated" => {
            let body = rss(&base, "truncated", 3);
            let cut = body.rfind("<item>").expect("items") + 20;
            ok(rss_type, &body.as_bytes()[..cut])
        }
        "/latin1" => {
            let mut body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>L</title><item><title>Caf".to_vec();
            body.extend_from_slice(b"\xe9 na\xefve \xbd</title><link>");
            body.extend_from_slice(format!("{base}/latin1/cafe/").as_bytes());
            body.extend_from_slice(
                b"</link><pubDate>Mon, 01 Sep 2025 10:00:00 +0000</pubDate><description>D\xe9j\xe0 vu.</description></item></channel></rss>",
            );
            ok("application/rss+xml", &body)
        }
        "/utf16" => {
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>U</title>\
                 <item><title>Grüße aus 日本</title><link>{base}/utf16/gruesse/</link>\
                 <pubDate>Mon, 01 Sep 2025 10:00:00 +0000</pubDate><description>Ünïcödé.</description></item></channel></rss>"
            );
            let mut body = vec![0xFF, 0xFE];
            for unit in xml.encode_utf16() {
                body.extend_from_slice(&unit.to_le_bytes());
            }
            ok("application/rss+xml", &body)
        }
        "/odd" => ok(rss_type, odd_entries(&base).as_bytes()),
        "/big" => ok(rss_type, rss(&base, "big", 10_000).as_bytes()),
        _ => status("404 Not Found", ""),
    };
    stream.write_all(&response).await?;
    stream.shutdown().await
}

/// An RSS feed of `n` entries under `base/name/`.
fn rss(base: &str, name: &str, n: usize) -> String {
    let mut out =
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title>");
    for i in 0..n {
        let day = 1 + i % 28;
        out.push_str(&format!(
            "<item><title>{name} post {i}</title><link>{base}/{name}/posts/{i}/?utm_source=rss</link>\
             <guid>{name}-{i}</guid><pubDate>{day:02} Sep 2025 10:{:02}:{:02} +0000</pubDate>\
             <description>Entry {i} of {name}.</description></item>",
            (i / 60) % 60,
            i % 60
        ));
    }
    out.push_str("</channel></rss>");
    out
}

/// Entries without link, title or date, with dates far ahead or unreadable,
/// and one entry twice.
fn odd_entries(base: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>odd</title>\
         <item><title>No link</title><guid isPermaLink=\"false\">no-link</guid><description>x</description></item>\
         <item><link>{base}/odd/untitled/</link><pubDate>Mon, 01 Sep 2025 10:00:00 +0000</pubDate><description>No title.</description></item>\
         <item><title>No date</title><link>{base}/odd/undated/</link></item>\
         <item><title>Far future</title><link>{base}/odd/future/</link><pubDate>Fri, 01 Jan 2100 00:00:00 +0000</pubDate></item>\
         <item><title>Bad date</title><link>{base}/odd/bad-date/</link><pubDate>the day after tomorrow</pubDate></item>\
         <item><title>Twice</title><link>{base}/odd/twice/</link><guid>twice</guid><pubDate>Tue, 02 Sep 2025 10:00:00 +0000</pubDate></item>\
         <item><title>Twice</title><link>{base}/odd/twice/</link><guid>twice</guid><pubDate>Tue, 02 Sep 2025 10:00:00 +0000</pubDate></item>\
         </channel></rss>"
    )
}

/// A config with the healthy feed first and every fault after it.
fn config(server: &FaultServer, extra_top: &str, good_interval: &str) -> TestDir {
    let mut body = format!(
        "concurrency = 32\nper_host_limit = 32\n{extra_top}\
         [[feed]]\nname = \"good\"\nurl = \"{}\"\ninterval = \"{good_interval}\"\n",
        server.url("/good")
    );
    for (name, path, extra) in FAULTS {
        body.push_str(&format!(
            "[[feed]]\nname = \"{name}\"\nurl = \"{}\"\ninterval = \"1h\"\n{extra}",
            server.url(path)
        ));
    }
    TestDir::new(&body)
}

/// `feeds --json`, by feed name.
async fn feeds(dir: &TestDir) -> BTreeMap<String, serde_json::Value> {
    let rows = common::feeds_json(dir).await;
    rows.as_array()
        .expect("an array")
        .iter()
        .map(|r| (r["name"].as_str().expect("name").to_string(), r.clone()))
        .collect()
}

/// Titles and dates of the posts from feed `name`.
fn posts_of(dir: &TestDir, name: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = dir
        .posts()
        .iter()
        .filter_map(|p| {
            let (pairs, _) = read_post(&std::fs::read_to_string(p).expect("post"));
            (common::get(&pairs, "source").as_str() == name).then(|| {
                (
                    common::get(&pairs, "title").as_str().to_string(),
                    common::get(&pairs, "date").as_str().to_string(),
                )
            })
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_ends_in_its_own_outcome_and_spares_the_other_feeds() {
    let server = FaultServer::start().await;
    let dir = config(&server, "", "30m");
    let started = chrono::Utc::now();
    let config_path = dir.config_path().display().to_string();
    let (code, _, stderr) =
        linkpost_async(vec!["poll".into(), "--config".into(), config_path]).await;
    let finished = chrono::Utc::now();
    assert_eq!(
        code, 2,
        "some feeds failed, so poll exits 2; stderr:\n{stderr}"
    );
    let feeds = feeds(&dir).await;
    let error = |name: &str| -> String {
        let row = &feeds[name];
        assert!(
            row["consecutive_errors"] == 1,
            "{name} should have failed once: {row}"
        );
        row["last_error"].as_str().unwrap_or_default().to_string()
    };
    let ok = |name: &str| -> String {
        let row = &feeds[name];
        assert!(row["last_error"].is_null(), "{name} should be fine: {row}");
        row["last_status"].as_str().unwrap_or_default().to_string()
    };

    // The healthy feed, and both redirects, wrote their posts.
    assert_eq!(ok("good"), "ok: 3 new");
    assert_eq!(posts_of(&dir, "good").len(), 3);
    // Both redirects reach the same two articles, each written once. Their
    // texts are short, so each entry's page is fetched ("auto") and built
    // on its own: which feed writes which article is a race.
    let moved: Vec<String> = ["moved-301", "moved-308"].map(ok).to_vec();
    let new: Vec<usize> = moved
        .iter()
        .filter_map(|status| {
            status
                .strip_prefix("ok: ")?
                .strip_suffix(" new")?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!((new.len(), new.iter().sum::<usize>()), (2, 2), "{moved:?}");
    assert_eq!(
        posts_of(&dir, "moved-301").len() + posts_of(&dir, "moved-308").len(),
        2
    );

    for name in ["hang", "hang-mid-body", "trickle"] {
        let e = error(name);
        assert!(e.contains("timed out"), "{name}: {e}");
    }
    let e = error("reset");
    assert!(e.contains("request to") && e.contains("/reset"), "{e}");
    assert!(error("status-500").contains("answered HTTP 500"));
    assert!(error("status-404").contains("answered HTTP 404"));
    assert!(error("gone-410").contains("answered HTTP 410"));
    assert_eq!(feeds["gone-410"]["disabled"], true);
    let e = error("redirect-loop");
    assert!(e.contains("too many redirects"), "{e}");
    let e = error("rate-limited-429");
    assert!(e.contains("HTTP 429 (retry after 3600s)"), "{e}");
    let next_due = chrono::DateTime::parse_from_rfc3339(
        feeds["rate-limited-429"]["next_due"]
            .as_str()
            .expect("next_due"),
    )
    .expect("rfc3339");
    assert!(next_due >= started + chrono::Duration::seconds(3600));
    for name in ["huge-2gib", "huge-2gib-declared"] {
        let e = error(name);
        assert!(e.contains("more than 10485760 bytes"), "{name}: {e}");
    }
    let e = error("gzip-bomb");
    assert!(e.contains("more than 1048576 bytes"), "{e}");
    for name in ["html-page", "empty-200", "invalid-xml", "truncated"] {
        let e = error(name);
        assert!(e.contains("not a feed linkpost can read"), "{name}: {e}");
    }

    assert_eq!(ok("iso-8859-1"), "ok: 1 new");
    assert_eq!(posts_of(&dir, "iso-8859-1")[0].0, "Café naïve ½");
    assert_eq!(ok("utf-16"), "ok: 1 new");
    assert_eq!(posts_of(&dir, "utf-16")[0].0, "Grüße aus 日本");

    // Odd entries: one post each, except the linkless one, which is counted;
    // the duplicate is written once; missing, far-future and unreadable
    // dates become the time the entry was first seen.
    assert_eq!(ok("odd-entries"), "ok: 5 new, 1 without a link skipped");
    let odd = posts_of(&dir, "odd-entries");
    let titles: Vec<&str> = odd.iter().map(|(t, _)| t.as_str()).collect();
    // An entry without a title is titled from its text (issue 12; it was
    // its URL, which is kept only for an entry with no text at all).
    assert_eq!(
        titles,
        ["Bad date", "Far future", "No date", "No title.", "Twice"]
    );
    for (title, date) in &odd[..3] {
        let date = chrono::DateTime::parse_from_rfc3339(date).expect("date");
        assert!(
            date >= started - chrono::Duration::seconds(1)
                && date <= finished + chrono::Duration::seconds(1),
            "{title}: {date} is the first-seen time"
        );
    }
    assert_eq!(odd[3].1, "2025-09-01T10:00:00+00:00", "No title.");
    assert_eq!(odd[4].1, "2025-09-02T10:00:00+00:00", "Twice");

    // 10,000 entries: the newest `backfill` (10) become drafts.
    assert_eq!(ok("ten-thousand"), "ok: 10 new");
    assert_eq!(posts_of(&dir, "ten-thousand").len(), 10);

    // Every file is a finished post: no temporary file anywhere.
    for path in dir.posts() {
        let name = path.file_name().expect("name").to_string_lossy();
        assert!(name.ends_with(".md") && !name.starts_with('.'), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_keeps_polling_through_every_fault_in_bounded_memory() {
    let server = FaultServer::start().await;
    let dir = config(&server, "", "1s");
    let daemon = Daemon::start(&dir.config_path());
    // Every fault has been met at least once, and the healthy feed has been
    // polled again since: the loop survived them all.
    common::wait_until("every fault served", Duration::from_secs(60), || {
        FAULTS.iter().all(|(_, path, _)| server.hits_to(path) >= 1)
    })
    .await;
    let good_after_faults = server.hits_to("/good");
    common::wait_until(
        "the healthy feed polled again after every fault",
        Duration::from_secs(60),
        || {
            server.hits_to("/good") >= good_after_faults + 2
                && daemon.log_count("feed=hang") > 0
                && daemon.log_count("feed=trickle") > 0
        },
    )
    .await;
    common::wait_until(
        "the slow feeds to time out",
        Duration::from_secs(60),
        || daemon.log_count("timed out") >= 3,
    )
    .await;
    // 2 GiB offered, a 100 MiB bomb, 10,000 entries: the peak stays small.
    let peak_kib = daemon.peak_rss_kib();
    eprintln!("peak RSS through every fault: {peak_kib} KiB");
    assert!(
        peak_kib < 200 * 1024,
        "peak RSS {peak_kib} KiB; the log:\n{}",
        daemon.log()
    );
    let (code, log) = daemon.stop(Duration::from_secs(30)).await;
    assert_eq!(code, 0, "clean exit after SIGTERM; log:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert_eq!(posts_of(&dir, "good").len(), 3, "no post written twice");
}

#[test]
fn reliability_md_lists_every_fault() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/RELIABILITY.md"))
        .expect("RELIABILITY.md");
    for (name, _, _) in FAULTS {
        assert!(
            text.contains(&format!("`{name}`")),
            "RELIABILITY.md does not list the fault `{name}`"
        );
    }
}
