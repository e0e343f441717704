//! The review page (issue 14): the CNCF fixture polled by the real binary,
//! the page served on 127.0.0.1 by the test, driven over HTTP and in
//! headless Chromium (Debian's `chromium` and `chromium-driver`, through
//! WebDriver); then the files and the store are checked.
//!
//! The Chromium tests skip, saying why, only when the browser or its driver
//! is absent and `CI` is not set; `.ci/run` installs both.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestDir, linkpost, linkpost_async, read_post, serve_fixture};
use fantoccini::{Client, ClientBuilder, Locator};
use linkpost::store::{EntryState, Store};
use linkpost::web::ReviewSettings;
use serde_json::Value as Json;

const ISTIO_FILE: &str =
    "2025-09-09-kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day.md";
const GOLDEN_PATH_FILE: &str = "2025-09-10-fixture-post-platform-teams-and-the-golden-path.md";
const SCRIPT_TITLE: &str = "<script>alert(1)</script>";

/// The CNCF fixture polled once into a test folder whose config starts with `top`.
async fn polled(top: &str) -> (wiremock::MockServer, TestDir) {
    let server = serve_fixture("cncf").await;
    let dir = TestDir::new(&format!(
        "{top}[[feed]]\nname = \"CNCF\"\nurl = \"{}/feed.xml\"\ntags = [\"cncf\"]\n\
         summary_selector = \".post-content\"\ndraft = true\n",
        server.uri()
    ));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "poll; stderr:\n{stderr}");
    assert_eq!(dir.posts().len(), 3);
    (server, dir)
}

/// The review page of a test folder, served in this process on a free
/// loopback port until dropped.
struct Page {
    url: String,
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Page {
    async fn start(dir: &TestDir) -> Page {
        let settings = ReviewSettings::of(&dir.load_config());
        let listener = linkpost::web::bind(
            "127.0.0.1:0".parse().expect("addr"),
            settings.token.as_deref(),
        )
        .await
        .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stopped.await;
            };
            linkpost::web::serve(listener, settings, stopped)
                .await
                .expect("serve");
        });
        Page {
            url: format!("http://127.0.0.1:{port}"),
            port,
            stop: Some(stop),
        }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// The page's CSRF token, read from its `<meta>`.
async fn csrf_of(page: &Page) -> String {
    let html = http()
        .get(&page.url)
        .send()
        .await
        .expect("get page")
        .text()
        .await
        .expect("page text");
    let start = html
        .find("name=\"csrf-token\" content=\"")
        .expect("csrf meta")
        + "name=\"csrf-token\" content=\"".len();
    html[start..start + html[start..].find('"').expect("end")].to_string()
}

fn store_state(dir: &TestDir, file: &str) -> EntryState {
    post(dir, file).state
}

/// The store's record of the post written as `file`.
fn post(dir: &TestDir, file: &str) -> linkpost::store::PostRecord {
    Store::open(&dir.database())
        .expect("open store")
        .post_by_file(file)
        .expect("query")
        .unwrap_or_else(|| panic!("no post {file}"))
}

fn id_of(dir: &TestDir, file: &str) -> i64 {
    post(dir, file).id
}

fn kept(dir: &TestDir, file: &str) -> PathBuf {
    dir.output_dir().join(".linkpost-rejected").join(file)
}

// ---------------------------------------------------------------- HTTP

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_the_csrf_token_or_from_a_foreign_host_is_refused() {
    let (_server, dir) = polled("").await;
    let page = Page::start(&dir).await;
    let id = id_of(&dir, ISTIO_FILE);
    let before = std::fs::read(dir.output_dir().join(ISTIO_FILE)).expect("draft");
    let approve = format!("{}/draft/{id}/approve", page.url);

    let none = http().post(&approve).send().await.expect("post");
    assert_eq!(none.status(), 403, "no CSRF token");
    let wrong = http()
        .post(&approve)
        .header("X-CSRF-Token", "0123456789abcdef0123456789abcdef")
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 403, "a wrong CSRF token");
    let rebound = http()
        .get(&page.url)
        .header("Host", format!("attacker.example:{}", page.port))
        .send()
        .await
        .expect("get");
    assert_eq!(rebound.status(), 421, "a foreign Host (DNS rebinding)");
    let rebound_post = http()
        .post(&approve)
        .header("Host", "attacker.example")
        .header("X-CSRF-Token", csrf_of(&page).await)
        .send()
        .await
        .expect("post");
    assert_eq!(rebound_post.status(), 421);
    assert_eq!(
        std::fs::read(dir.output_dir().join(ISTIO_FILE)).expect("draft"),
        before,
        "nothing changed"
    );
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Draft);

    // The same request with the page's token works: the refusals were the checks'.
    let ok = http()
        .post(&approve)
        .header("X-CSRF-Token", csrf_of(&page).await)
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap_or_default());
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Approved);

    // Every response carries the policy: no inline script.
    let response = http().get(&page.url).send().await.expect("get");
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = response.text().await.expect("text");
    assert!(
        !html.contains("<script>") && html.contains("<script src=\"/static/review.js\" defer>"),
        "no inline script"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_required_as_bearer_or_basic_password_when_set() {
    let (_server, dir) = polled("review_token = \"s3cret\"\n").await;
    let page = Page::start(&dir).await;
    let anonymous = http().get(&page.url).send().await.expect("get");
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let bearer = http()
        .get(&page.url)
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("get");
    assert_eq!(bearer.status(), 200);
    let basic = http()
        .get(&page.url)
        .basic_auth("editor", Some("s3cret"))
        .send()
        .await
        .expect("get");
    assert_eq!(basic.status(), 200);
    let wrong = http()
        .get(&page.url)
        .basic_auth("editor", Some("guess"))
        .send()
        .await
        .expect("get");
    assert_eq!(wrong.status(), 401);
}

#[test]
fn a_non_loopback_address_without_a_token_is_refused() {
    let dir = TestDir::new("[[feed]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n");
    let config = dir.config_path().display().to_string();
    let (code, stdout, stderr) =
        linkpost(&["review", "--config", &config, "--listen", "0.0.0.0:0"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("refusing to serve the review page on 0.0.0.0:0 without a password")
            && stderr.contains("review_token"),
        "{stderr}"
    );
    // In the config, the same is a config error, naming the key.
    dir.append_config("");
    let text = std::fs::read_to_string(dir.config_path()).expect("config");
    std::fs::write(
        dir.config_path(),
        format!("review_listen = \"192.0.2.1:8787\"\n{text}"),
    )
    .expect("write");
    let (code, _, stderr) = linkpost(&["check", "--config", &config]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("review_listen"), "{stderr}");
    assert!(linkpost::web::check_bind("0.0.0.0:8787".parse().expect("addr"), Some("t")).is_ok());
    assert!(linkpost::web::check_bind("[::1]:8787".parse().expect("addr"), None).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused() {
    let (_server, dir) = polled("").await;
    let page = Page::start(&dir).await;
    let id = id_of(&dir, ISTIO_FILE);
    let huge = format!(
        "{{\"title\": \"{}\", \"fingerprint\": \"x\"}}",
        "a".repeat(2 * linkpost::web::MAX_BODY_BYTES)
    );
    let response = http()
        .post(format!("{}/draft/{id}/edit", page.url))
        .header("X-CSRF-Token", csrf_of(&page).await)
        .body(huge)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_brings_a_rejected_draft_back_and_expired_ones_are_removed() {
    let (_server, dir) = polled("").await;
    let config = dir.config_path().display().to_string();
    let id = id_of(&dir, ISTIO_FILE).to_string();
    let draft = dir.output_dir().join(ISTIO_FILE);
    let text = std::fs::read(&draft).expect("draft");
    let (code, stdout, stderr) = linkpost(&["reject", &id, "--config", &config]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("linkpost restore"), "{stdout}");
    assert!(!draft.exists());
    assert_eq!(std::fs::read(kept(&dir, ISTIO_FILE)).expect("kept"), text);

    let (code, stdout, stderr) = linkpost(&["restore", &id, "--config", &config]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("restored {id}")), "{stdout}");
    assert_eq!(
        std::fs::read(&draft).expect("restored"),
        text,
        "byte for byte"
    );
    assert!(!kept(&dir, ISTIO_FILE).exists());
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Draft);
    let (code, _, stderr) = linkpost(&["restore", &id, "--config", &config]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not rejected"), "{stderr}");

    // Past reject_keep, the kept copy goes and restore says why it cannot.
    let (code, _, stderr) = linkpost(&["reject", &id, "--config", &config]);
    assert_eq!(code, 0, "{stderr}");
    let config_value = dir.load_config();
    let mut store = Store::open(&dir.database()).expect("store");
    let folders = linkpost::review::Folders::of(&config_value);
    let later = chrono::Utc::now().timestamp() + 31 * 24 * 3600;
    linkpost::review::list(&mut store, folders, later).expect("list");
    assert!(!kept(&dir, ISTIO_FILE).exists(), "expired");
    drop(store);
    let (code, _, stderr) = linkpost(&["restore", &id, "--config", &config]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no longer kept") && stderr.contains("reject_keep = 30days"),
        "{stderr}"
    );
    assert_eq!(
        store_state(&dir, ISTIO_FILE),
        EntryState::Rejected,
        "still blocked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approve_to_the_publish_folder_is_undone_while_the_file_is_there() {
    let (_server, dir) = polled("publish_dir = \"site\"\n").await;
    let page = Page::start(&dir).await;
    let id = id_of(&dir, ISTIO_FILE);
    let draft = dir.output_dir().join(ISTIO_FILE);
    let text = std::fs::read(&draft).expect("draft");
    let csrf = csrf_of(&page).await;
    let post = |action: &str| {
        http()
            .post(format!("{}/draft/{id}/{action}", page.url))
            .header("X-CSRF-Token", &csrf)
            .send()
    };
    assert_eq!(post("approve").await.expect("approve").status(), 200);
    let published = dir.dir.path().join("site").join(ISTIO_FILE);
    assert!(published.is_file() && !draft.exists());
    let undone = post("undo").await.expect("undo");
    assert_eq!(
        undone.status(),
        200,
        "{}",
        undone.text().await.unwrap_or_default()
    );
    assert!(!published.exists(), "taken back from the site");
    assert_eq!(
        std::fs::read(&draft).expect("draft again"),
        text,
        "byte for byte"
    );
    let store = Store::open(&dir.database()).expect("store");
    let row = store.post(id).expect("post").expect("row");
    assert_eq!((row.state, row.published_file), (EntryState::Draft, None));
    drop(store);

    // Once the published file is gone (taken elsewhere), undo says why not.
    assert_eq!(post("approve").await.expect("approve").status(), 200);
    std::fs::remove_file(&published).expect("publish elsewhere");
    let refused = post("undo").await.expect("undo");
    assert_eq!(refused.status(), 409);
    let message = refused.text().await.expect("text");
    assert!(message.contains("cannot be undone"), "{message}");
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Approved);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reject_or_restore_cut_short_by_a_crash_is_settled_by_the_store_state() {
    let (_server, dir) = polled("").await;
    let config = dir.config_path().display().to_string();
    // A reject cut short before its commit: the draft has a second name
    // in the kept folder, the store still says draft.
    let draft = dir.output_dir().join(ISTIO_FILE);
    std::fs::create_dir_all(kept(&dir, ISTIO_FILE).parent().expect("dir")).expect("mkdir");
    std::fs::hard_link(&draft, kept(&dir, ISTIO_FILE)).expect("link");
    let (code, _, stderr) = linkpost(&["drafts", "--config", &config]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        draft.is_file() && !kept(&dir, ISTIO_FILE).exists(),
        "{stderr}"
    );
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Draft);

    // A restore cut short before its commit: the store still says rejected.
    let id = id_of(&dir, ISTIO_FILE).to_string();
    assert_eq!(linkpost(&["reject", &id, "--config", &config]).0, 0);
    std::fs::hard_link(kept(&dir, ISTIO_FILE), &draft).expect("link");
    let (code, stdout, stderr) = linkpost(&["drafts", "--config", &config]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!draft.exists() && kept(&dir, ISTIO_FILE).is_file());
    assert!(stdout.contains("2 drafts waiting"), "{stdout}");
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Rejected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_the_page_when_review_listen_is_set() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let (_server, dir) = polled(&format!("review_listen = \"127.0.0.1:{port}\"\n")).await;
    let daemon = common::Daemon::start(&dir.config_path());
    common::wait_until("the review page", Duration::from_secs(30), || {
        daemon.log().contains("review page listening")
    })
    .await;
    let html = http()
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        html.contains("Co-located Event Deep Dive: Istio Day"),
        "{html}"
    );
    let (code, log) = daemon.stop(Duration::from_secs(30)).await;
    assert_eq!(code, 0, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_changes_only_its_values_and_a_stale_one_is_refused() {
    let (_server, dir) = polled("").await;
    let page = Page::start(&dir).await;
    let id = id_of(&dir, GOLDEN_PATH_FILE);
    let path = dir.output_dir().join(GOLDEN_PATH_FILE);
    let before = std::fs::read_to_string(&path).expect("draft");
    let fields: Json = serde_json::from_str(
        &http()
            .get(format!("{}/draft/{id}", page.url))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text"),
    )
    .expect("json");
    let read_as = fields["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string();
    let csrf = csrf_of(&page).await;
    let save = |body: Json| {
        http()
            .post(format!("{}/draft/{id}/edit", page.url))
            .header("X-CSRF-Token", &csrf)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
    };
    // The same tags and summary, a new tldr: only the tldr's bytes change.
    let response = save(serde_json::json!({
        "title": fields["title"],
        "tags": fields["tags"],
        "tldr": "A shorter tldr: with a colon, 'quotes' and\na second line.",
        "summary": fields["summary"],
        "fingerprint": read_as,
    }))
    .await
    .expect("save");
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let after = std::fs::read_to_string(&path).expect("draft");
    let tldr_start = before.find("\ntldr: ").expect("tldr") + 1;
    let tldr_end = before.find("\nsummary: ").expect("summary");
    assert_eq!(
        after,
        format!(
            "{}tldr: \"A shorter tldr: with a colon, 'quotes' and\\na second line.\"{}",
            &before[..tldr_start],
            &before[tldr_end..]
        )
    );
    let (pairs, _) = read_post(&after);
    assert_eq!(
        common::get(&pairs, "tldr").as_str(),
        "A shorter tldr: with a colon, 'quotes' and\na second line."
    );

    // A save from the text as it was before: refused, nothing written.
    let stale = save(serde_json::json!({ "title": "Lost?", "fingerprint": read_as }))
        .await
        .expect("save");
    assert_eq!(stale.status(), 409);
    let message = stale.text().await.expect("text");
    assert!(
        message.contains("changed on disk since it was loaded"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("draft"), after);
    assert_eq!(store_state(&dir, GOLDEN_PATH_FILE), EntryState::Draft);
}

// ---------------------------------------------------------------- Chromium

/// chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            PathBuf::from("/usr/bin"),
            PathBuf::from("/usr/lib/chromium"),
        ])
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Starts chromedriver, or says why not: `None` (test skipped) only when
/// the browser or driver is absent and `CI` is not set.
fn start_driver() -> Option<(Driver, PathBuf)> {
    let driver = find_program(&["chromedriver"]);
    let browser = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let (Some(driver), Some(browser)) = (driver, browser) else {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(
            !ci,
            "CI is set but chromium or chromedriver is missing; .ci/run installs them (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "skipped: chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    // It says when it listens: read until then.
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("started successfully") => break,
            Some(Ok(_)) => {}
            _ => panic!("chromedriver exited before it listened"),
        }
    }
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Some((
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        },
        browser,
    ))
}

async fn browser(driver: &Driver, binary: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": binary.display().to_string(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1000,1100", "--no-first-run", "--disable-extensions",
                "--proxy-server=direct://", "--proxy-bypass-list=*",
            ],
        }),
    );
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session")
}

/// Waits (at most 20 s) until the JavaScript expression `expr` is true.
async fn wait_until(c: &Client, expr: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = c
            .execute(&format!("return !!({expr});"), vec![])
            .await
            .expect("execute");
        if value == Json::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn js(c: &Client, expr: &str) -> Json {
    c.execute(&format!("return {expr};"), vec![])
        .await
        .expect("execute")
}

async fn press(c: &Client, key: &str) {
    c.find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys(key)
        .await
        .expect("send key");
}

async fn focused_id(c: &Client) -> i64 {
    js(c, "document.querySelector('.card.focused').dataset.id")
        .await
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a focused card")
}

async fn open_page(c: &Client, page: &Page) {
    c.goto(&page.url).await.expect("goto");
    wait_until(
        c,
        "document.body.dataset.ready === 'true'",
        "the page script",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_lists_edits_approves_rejects_and_undoes_in_chromium() {
    let Some((driver, binary)) = start_driver() else {
        return;
    };
    let (_server, dir) = polled("").await;
    let page = Page::start(&dir).await;
    let c = browser(&driver, &binary).await;
    open_page(&c, &page).await;

    // The list: newest first, grouped by day, with the counts.
    let titles = js(
        &c,
        "Array.from(document.querySelectorAll('.card .title')).map(t => t.textContent.trim())",
    )
    .await;
    assert_eq!(
        titles,
        serde_json::json!([
            "Fixture post: platform teams and the golden path",
            "KubeCon + CloudNativeCon North America 2025 Co-located Event Deep Dive: Istio Day",
            "Fixture post with \"quotes\" & a colon: all in the title"
        ]),
        "newest first"
    );
    let days = js(
        &c,
        "Array.from(document.querySelectorAll('.day h2')).map(h => h.textContent)",
    )
    .await;
    assert_eq!(
        days,
        serde_json::json!(["2025-09-10", "2025-09-09", "2025-09-08"])
    );
    assert_eq!(
        js(&c, "document.getElementById('count-waiting').textContent").await,
        "3"
    );
    let istio_id = id_of(&dir, ISTIO_FILE);
    let golden_id = id_of(&dir, GOLDEN_PATH_FILE);
    let istio_card = format!("#draft-{istio_id}");
    assert!(
        js(
            &c,
            &format!("document.querySelector('{istio_card} .source').textContent")
        )
        .await
            == "CNCF"
    );
    assert!(
        js(
            &c,
            &format!("document.querySelector('{istio_card} .title a').href")
        )
        .await
        .as_str()
        .is_some_and(|href| href.contains("istio-day")),
        "the title links to the original"
    );

    // The screenshot in the README is this page, as it is.
    let png = c.screenshot().await.expect("screenshot");
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&docs).expect("docs folder");
    std::fs::write(docs.join("review.png"), &png).expect("write screenshot");

    // Keys: j and k move the focus.
    assert_eq!(
        focused_id(&c).await,
        golden_id,
        "the first draft is focused"
    );
    press(&c, "j").await;
    assert_eq!(focused_id(&c).await, istio_id);
    press(&c, "j").await;
    press(&c, "k").await;
    assert_eq!(focused_id(&c).await, istio_id);
    press(&c, "?").await;
    wait_until(&c, "!document.getElementById('help').hidden", "the help").await;
    press(&c, "?").await;

    // The summary on demand (clicking focuses the card).
    c.find(Locator::Css(&format!(
        "{istio_card} button[data-action=summary]"
    )))
    .await
    .expect("summary button")
    .click()
    .await
    .expect("click");
    wait_until(
        &c,
        &format!("!document.querySelector('{istio_card} .summary').hidden"),
        "the summary",
    )
    .await;

    // e: edit the title (to a script tag: it must stay text) and the tags.
    let draft = dir.output_dir().join(ISTIO_FILE);
    let original = std::fs::read_to_string(&draft).expect("draft");
    press(&c, "e").await;
    let title = c
        .wait()
        .for_element(Locator::Css(".editor input[name=title]"))
        .await
        .expect("editor");
    title.clear().await.expect("clear");
    title.send_keys(SCRIPT_TITLE).await.expect("type title");
    let tags = c
        .find(Locator::Css(".editor input[name=tags]"))
        .await
        .expect("tags");
    tags.clear().await.expect("clear");
    tags.send_keys("cncf, istio").await.expect("type tags");
    c.find(Locator::Css(".editor button[type=submit]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click save");
    wait_until(
        &c,
        &format!(
            "!document.querySelector('.editor') && document.querySelector('{istio_card} .title a').textContent === {}",
            serde_json::to_string(SCRIPT_TITLE).expect("json")
        ),
        "the saved title",
    )
    .await;
    assert!(
        c.get_alert_text().await.is_err(),
        "the title's script did not run"
    );
    assert_eq!(
        js(&c, "document.querySelectorAll('.card script').length").await,
        0
    );
    let edited = std::fs::read_to_string(&draft).expect("draft");
    let (pairs, _) = read_post(&edited);
    assert_eq!(common::get(&pairs, "title").as_str(), SCRIPT_TITLE);
    assert_eq!(
        common::get(&pairs, "tags"),
        &common::Value::List(vec![
            common::Value::Str("cncf".into()),
            common::Value::Str("istio".into())
        ])
    );
    // Every other byte as it was.
    let title_start = original.find("title: ").expect("title");
    let title_end = original.find("\ndate: ").expect("date");
    let retitled = format!(
        "{}title: '{SCRIPT_TITLE}'{}",
        &original[..title_start],
        &original[title_end..]
    );
    let tags_start = retitled.find("\ntags:").expect("tags") + 1;
    let tags_end = retitled.find("\nsource: ").expect("source");
    let expected = format!(
        "{}tags:\n- 'cncf'\n- 'istio'{}",
        &retitled[..tags_start],
        &retitled[tags_end..]
    );
    assert_eq!(edited, expected);
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Draft);

    // a: approve the focused (Istio) draft.
    assert_eq!(focused_id(&c).await, istio_id);
    press(&c, "a").await;
    wait_until(
        &c,
        &format!("!document.querySelector('{istio_card}')"),
        "the approved card to go",
    )
    .await;
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Approved);
    assert_eq!(
        std::fs::read_to_string(&draft).expect("approved"),
        edited.replacen("\ndraft: true\n", "\ndraft: false\n", 1)
    );
    wait_until(
        &c,
        "document.getElementById('count-approved').textContent === '1'",
        "the approved count",
    )
    .await;

    // r: reject the next one; it is kept, not deleted.
    let rejected_id = focused_id(&c).await;
    let rejected_file = {
        let store = Store::open(&dir.database()).expect("store");
        store.post(rejected_id).expect("post").expect("row").file
    };
    let rejected_text = std::fs::read(dir.output_dir().join(&rejected_file)).expect("draft");
    press(&c, "r").await;
    wait_until(
        &c,
        &format!("!document.getElementById('draft-{rejected_id}')"),
        "the rejected card to go",
    )
    .await;
    assert_eq!(store_state(&dir, &rejected_file), EntryState::Rejected);
    assert!(!dir.output_dir().join(&rejected_file).exists());
    assert_eq!(
        std::fs::read(kept(&dir, &rejected_file)).expect("kept"),
        rejected_text
    );

    // u: undo the reject, then the approve.
    press(&c, "u").await;
    wait_until(
        &c,
        &format!("document.getElementById('draft-{rejected_id}')"),
        "the restored card",
    )
    .await;
    assert_eq!(store_state(&dir, &rejected_file), EntryState::Draft);
    assert_eq!(
        std::fs::read(dir.output_dir().join(&rejected_file)).expect("restored"),
        rejected_text
    );
    press(&c, "u").await;
    wait_until(
        &c,
        &format!("document.querySelector('{istio_card}')"),
        "the unapproved card",
    )
    .await;
    assert_eq!(store_state(&dir, ISTIO_FILE), EntryState::Draft);
    assert_eq!(
        std::fs::read_to_string(&draft).expect("draft again"),
        edited
    );
    wait_until(
        &c,
        "document.getElementById('count-waiting').textContent === '3'",
        "the counts back",
    )
    .await;

    // The search and the feed filter.
    c.find(Locator::Css("#search"))
        .await
        .expect("search")
        .send_keys("golden path")
        .await
        .expect("type");
    wait_until(
        &c,
        "Array.from(document.querySelectorAll('.card')).filter(c => !c.hidden).length === 1",
        "the search to leave one draft",
    )
    .await;

    // A new draft appears without a reload, as when `linkpost run` writes it.
    c.find(Locator::Css("#search"))
        .await
        .expect("search")
        .clear()
        .await
        .expect("clear");
    std::fs::write(
        dir.dir.path().join("more.xml"),
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>More</title>\
         <item><title>A late arrival</title><link>https://example.com/late</link>\
         <guid>late-1</guid><pubDate>Fri, 12 Sep 2025 09:00:00 +0000</pubDate>\
         <description>Written while the page was open.</description></item></channel></rss>",
    )
    .expect("write feed");
    dir.append_config(
        "[[feed]]\nname = \"More\"\nurl = \"file:more.xml\"\nfetch_article = false\n",
    );
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "poll; stderr:\n{stderr}");
    wait_until(
        &c,
        "Array.from(document.querySelectorAll('.card .title')).some(t => t.textContent.trim() === 'A late arrival')",
        "the new draft to appear without a reload",
    )
    .await;
    assert_eq!(
        js(&c, "document.getElementById('count-waiting').textContent").await,
        "4"
    );

    // The feed filter: only CNCF's drafts.
    c.find(Locator::Css("#feed"))
        .await
        .expect("feed filter")
        .select_by_value("CNCF")
        .await
        .expect("select");
    wait_until(
        &c,
        "Array.from(document.querySelectorAll('.card')).filter(c => !c.hidden).length === 3",
        "the feed filter",
    )
    .await;

    // Readable on a phone: nothing wider than a 360-pixel screen.
    c.set_window_size(360, 740).await.expect("phone size");
    wait_until(
        &c,
        "window.innerWidth <= 360 && document.documentElement.scrollWidth <= window.innerWidth",
        "the page to fit a phone's width",
    )
    .await;
    c.set_window_size(1000, 1100).await.expect("desktop size");

    // o opens the focused draft's original in a new tab.
    let before = c.windows().await.expect("windows").len();
    press(&c, "o").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.windows().await.expect("windows").len() == before {
        assert!(Instant::now() < deadline, "o opened no tab");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    c.close().await.expect("close browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_after_the_file_changed_on_disk_is_refused_and_nothing_is_lost() {
    let Some((driver, binary)) = start_driver() else {
        return;
    };
    let (_server, dir) = polled("").await;
    let page = Page::start(&dir).await;
    let c = browser(&driver, &binary).await;
    open_page(&c, &page).await;
    let golden_id = id_of(&dir, GOLDEN_PATH_FILE);
    assert_eq!(focused_id(&c).await, golden_id);
    press(&c, "e").await;
    let title = c
        .wait()
        .for_element(Locator::Css(".editor input[name=title]"))
        .await
        .expect("editor");
    title.clear().await.expect("clear");
    title
        .send_keys("The reviewer's new title")
        .await
        .expect("type");

    // Meanwhile someone edits the file in an editor.
    let path = dir.output_dir().join(GOLDEN_PATH_FILE);
    let theirs = std::fs::read_to_string(&path).expect("draft").replacen(
        "post_kind: link\n",
        "post_kind: link\n# checked by hand\n",
        1,
    );
    std::fs::write(&path, &theirs).expect("edit by hand");

    c.find(Locator::Css(".editor button[type=submit]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click save");
    wait_until(
        &c,
        "document.querySelector('.editor-error').textContent.includes('changed on disk')",
        "the refusal",
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(&path).expect("draft"),
        theirs,
        "their edit stays"
    );
    assert_eq!(
        js(
            &c,
            "document.querySelector('.editor input[name=title]').value"
        )
        .await,
        "The reviewer's new title",
        "the reviewer's edit stays in the form"
    );
    assert_eq!(store_state(&dir, GOLDEN_PATH_FILE), EntryState::Draft);
    c.close().await.expect("close browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_past_the_first_screenfuls_join_the_page_after_it_loads() {
    let Some((driver, binary)) = start_driver() else {
        return;
    };
    // 150 entries, three a day: the first ones load with the page, the rest
    // come in from its template, a day split between the two made whole.
    let items: String = (0..150)
        .map(|i| {
            format!(
                "<item><title>Entry {i}</title><link>https://example.com/e{i}</link>\
                 <guid>e{i}</guid><pubDate>{}</pubDate><description>Text {i}.</description></item>",
                (chrono::DateTime::from_timestamp(1_757_000_000 - i * 8 * 3600, 0).expect("date"))
                    .to_rfc2822()
            )
        })
        .collect();
    let dir = TestDir::new(
        "[[feed]]\nname = \"Many\"\nurl = \"file:many.xml\"\nfetch_article = false\nbackfill = 150\n",
    );
    std::fs::write(
        dir.dir.path().join("many.xml"),
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>M</title>{items}</channel></rss>"),
    )
    .expect("write feed");
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost_async(vec!["poll".into(), "--config".into(), config]).await;
    assert_eq!(code, 0, "poll; stderr:\n{stderr}");
    let page = Page::start(&dir).await;
    let c = browser(&driver, &binary).await;
    open_page(&c, &page).await;
    assert_eq!(
        js(&c, "document.querySelectorAll('.card').length").await,
        150
    );
    assert_eq!(
        js(&c, "document.querySelectorAll('.day').length").await,
        js(
            &c,
            "new Set(Array.from(document.querySelectorAll('.day')).map(d => d.dataset.day)).size"
        )
        .await,
        "no day twice"
    );
    let titles = js(
        &c,
        "Array.from(document.querySelectorAll('.card .title')).map(t => t.textContent.trim())",
    )
    .await;
    let expected: Vec<String> = (0..150).map(|i| format!("Entry {i}")).collect();
    assert_eq!(
        titles,
        serde_json::json!(expected),
        "newest first, all of them"
    );
    c.find(Locator::Css("#search"))
        .await
        .expect("search")
        .send_keys("text 149.")
        .await
        .expect("type");
    wait_until(
        &c,
        "Array.from(document.querySelectorAll('.card')).filter(c => !c.hidden).length === 1",
        "the search to find the oldest draft",
    )
    .await;
    c.close().await.expect("close browser");
}
