//! Helpers shared by the integration tests: a fixture web server on
//! 127.0.0.1, config files in temp folders, and a front matter reader that
//! uses a real YAML parser.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod in_process;

use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The folder of the project's test fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Serves a fixture folder as a web root, with every `PORT` replaced by the
/// server's port, as `tests/fixtures/cncf/README.md` asks.
struct FixtureRoot {
    root: PathBuf,
    port: u16,
}

impl Respond for FixtureRoot {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().trim_start_matches('/');
        if path.split('/').any(|seg| seg == "..") {
            return ResponseTemplate::new(400);
        }
        let mut file = self.root.join(path);
        if path.is_empty() || path.ends_with('/') {
            file = file.join("index.html");
        }
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                let content_type = if file.extension().is_some_and(|e| e == "xml") {
                    "application/rss+xml; charset=UTF-8"
                } else {
                    "text/html; charset=UTF-8"
                };
                ResponseTemplate::new(200)
                    .set_body_raw(text.replace("PORT", &self.port.to_string()), content_type)
            }
            Err(_) => ResponseTemplate::new(404),
        }
    }
}

/// Starts a server on 127.0.0.1 serving `tests/fixtures/<name>`.
pub async fn serve_fixture(name: &str) -> MockServer {
    let server = MockServer::start().await;
    let port = server.address().port();
    Mock::given(any())
        .respond_with(FixtureRoot {
            root: fixtures().join(name),
            port,
        })
        .mount(&server)
        .await;
    server
}

/// A temp folder holding `linkpost.toml` with `body` after the common keys.
pub struct TestDir {
    pub dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new(body: &str) -> TestDir {
        let dir = tempfile::tempdir().expect("create temp dir");
        let text = format!("database = \"state/linkpost.db\"\noutput_dir = \"drafts\"\n{body}");
        std::fs::write(dir.path().join("linkpost.toml"), text).expect("write config");
        TestDir { dir }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("linkpost.toml")
    }

    pub fn output_dir(&self) -> PathBuf {
        self.dir.path().join("drafts")
    }

    pub fn database(&self) -> PathBuf {
        self.dir.path().join("state/linkpost.db")
    }

    /// Appends to the config file.
    pub fn append_config(&self, more: &str) {
        let mut text = std::fs::read_to_string(self.config_path()).expect("read config");
        text.push_str(more);
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// The post files written, sorted by name (hidden folders, such as the
    /// kept rejected drafts, left out).
    pub fn posts(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(self.output_dir()) {
            Ok(entries) => entries
                .map(|e| e.expect("dir entry").path())
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        files
    }

    pub fn load_config(&self) -> linkpost::config::Config {
        linkpost::config::Config::load(&self.config_path()).expect("valid config")
    }
}

/// A front matter value as a YAML parser reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    List(Vec<Value>),
    Other(String),
}

impl Value {
    pub fn as_str(&self) -> &str {
        match self {
            Value::Str(s) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }
}

fn convert(yaml: &YamlOwned) -> Value {
    match yaml {
        YamlOwned::Value(ScalarOwned::String(s)) => Value::Str(s.clone()),
        YamlOwned::Value(ScalarOwned::Boolean(b)) => Value::Bool(*b),
        YamlOwned::Sequence(items) => Value::List(items.iter().map(convert).collect()),
        other => Value::Other(format!("{other:?}")),
    }
}

/// Splits a post into its front matter, read by a real YAML parser as
/// (key, value) pairs in document order, and its body.
pub fn read_post(text: &str) -> (Vec<(String, Value)>, String) {
    let rest = text.strip_prefix("---\n").expect("post starts with ---");
    let end = rest.find("\n---\n").expect("front matter ends with ---");
    let yaml = &rest[..end + 1];
    let body = rest[end + 5..].to_string();
    let docs = YamlOwned::load_from_str(yaml)
        .unwrap_or_else(|e| panic!("front matter is not YAML: {e}\n{yaml}"));
    assert_eq!(docs.len(), 1, "one YAML document");
    let YamlOwned::Mapping(map) = &docs[0] else {
        panic!("front matter is not a mapping: {yaml}");
    };
    let pairs = map
        .iter()
        .map(|(k, v)| match k {
            YamlOwned::Value(ScalarOwned::String(k)) => (k.clone(), convert(v)),
            other => panic!("non-string key {other:?}"),
        })
        .collect();
    (pairs, body)
}

/// The value of `key` in front matter pairs.
pub fn get<'a>(pairs: &'a [(String, Value)], key: &str) -> &'a Value {
    &pairs
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no key {key}"))
        .1
}

/// Runs `linkpost` with `args`, returning (exit code, stdout, stderr).
pub fn linkpost(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linkpost"))
        .args(args)
        .env("RUST_LOG", "linkpost=debug")
        .output()
        .expect("run linkpost");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `linkpost` in a blocking task, for async tests.
pub async fn linkpost_async(args: Vec<String>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        linkpost(&args)
    })
    .await
    .expect("linkpost task")
}

/// `linkpost feeds --json` for the test folder's config (exit 0 asserted).
pub async fn feeds_json(dir: &TestDir) -> serde_json::Value {
    let config = dir.config_path().display().to_string();
    let (code, stdout, stderr) = linkpost_async(vec![
        "feeds".into(),
        "--json".into(),
        "--config".into(),
        config,
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("feeds --json prints JSON")
}

/// One request a [`Recorder`] saw.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub at: std::time::Instant,
    pub headers: Vec<(String, String)>,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Request, usize) -> ResponseTemplate + Send + Sync;

/// A responder that records every request (with its arrival time) and
/// answers with `handler(request, n)`, n counting requests to that path.
pub struct Recorder {
    pub hits: std::sync::Arc<std::sync::Mutex<Vec<Hit>>>,
    handler: Box<Handler>,
}

impl Recorder {
    pub fn new(
        handler: impl Fn(&Request, usize) -> ResponseTemplate + Send + Sync + 'static,
    ) -> Recorder {
        Recorder {
            hits: Default::default(),
            handler: Box::new(handler),
        }
    }
}

impl Respond for Recorder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_string();
        let n = {
            let mut hits = self.hits.lock().expect("hits lock");
            hits.push(Hit {
                path: path.clone(),
                at: std::time::Instant::now(),
                headers: request
                    .headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect(),
            });
            hits.iter().filter(|h| h.path == path).count()
        };
        (self.handler)(request, n)
    }
}

/// Hits to `path` so far.
pub fn hits_to(hits: &std::sync::Mutex<Vec<Hit>>, path: &str) -> Vec<Hit> {
    hits.lock()
        .expect("hits lock")
        .iter()
        .filter(|h| h.path == path)
        .cloned()
        .collect()
}

/// Starts a server on 127.0.0.1 whose every request goes to `recorder`.
pub async fn serve_recorder(recorder: Recorder) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(recorder)
        .mount(&server)
        .await;
    server
}

/// An RSS document with one item per (slug, day of September 2025).
pub fn rss(base: &str, items: &[(&str, u32)]) -> String {
    let items: String = items
        .iter()
        .map(|(slug, day)| {
            format!(
                "<item><title>Post {slug}</title><link>{base}/posts/{slug}/</link><guid>{slug}</guid>\
                 <pubDate>{day:02} Sep 2025 10:00:00 +0000</pubDate><description>Text of {slug}.</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>"
    )
}

/// Waits for `condition`, checking every 50 ms, up to `limit`; panics with
/// `what` when it does not come. This waits for an outcome; it never stands
/// in for one.
pub async fn wait_until(
    what: &str,
    limit: std::time::Duration,
    mut condition: impl FnMut() -> bool,
) {
    let deadline = std::time::Instant::now() + limit;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A `linkpost run` process whose stderr is collected as it comes.
pub struct Daemon {
    child: std::process::Child,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Daemon {
    pub fn start(config: &Path) -> Daemon {
        Daemon::start_with_env(config, &[])
    }

    pub fn start_with_env(config: &Path, env: &[(&str, &str)]) -> Daemon {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_linkpost"))
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "linkpost=debug")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start linkpost run");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("stderr piped");
        let sink = std::sync::Arc::clone(&stderr);
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut buf = sink.lock().expect("stderr lock");
                buf.push_str(&line);
                buf.push('\n');
            }
        });
        Daemon {
            child,
            stderr,
            reader: Some(reader),
        }
    }

    pub fn log(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// The process's peak resident set size, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read /proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status")
    }

    pub fn log_count(&self, needle: &str) -> usize {
        self.log().matches(needle).count()
    }

    pub fn signal(&self, sig: &str) {
        // The shell's built-in kill: no procps needed on the machine.
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("kill -s {sig} {}", self.child.id())])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {sig}");
    }

    /// Sends SIGTERM and waits (up to `limit`) for the exit code.
    pub async fn stop(mut self, limit: std::time::Duration) -> (i32, String) {
        self.signal("TERM");
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                // The pipe closed with the process: the reader ends with it.
                if let Some(reader) = self.reader.take() {
                    reader.join().expect("stderr reader");
                }
                return (status.code().unwrap_or(-1), self.log());
            }
            if std::time::Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "linkpost run did not exit after SIGTERM; log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `Host` a request was sent to, for pages that link back to the server.
pub fn request_host(request: &Request) -> &str {
    request
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
}

/// Runs `script` with bash in a private mount namespace (`unshare
/// --map-root-user --mount`), so it may mount a small or read-only tmpfs
/// without root and nothing it mounts outlives it; `$LINKPOST` is the binary.
/// Exit code 99 from the script means a mount failed, and panics here.
pub fn in_mount_namespace(
    cwd: &Path,
    script: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String) {
    let out = std::process::Command::new("unshare")
        .args([
            "--map-root-user",
            "--mount",
            "bash",
            "-c",
            script,
            "linkpost",
        ])
        .args(args)
        .current_dir(cwd)
        .env("LINKPOST", env!("CARGO_BIN_EXE_linkpost"))
        .envs(env.iter().copied())
        .output()
        .expect("run unshare (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(
        out.status.code(),
        Some(99),
        "cannot mount a tmpfs in a private mount namespace: {stderr}"
    );
    (out.status.code().unwrap_or(-1), stderr)
}
