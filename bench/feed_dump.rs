//! Dumps how linkpost reads feed files, one JSON line per entry, for the
//! differential check against Python's feedparser (`bench/feed_diff.py`, see
//! `bench/FEED_DIFF.md`). Not part of CI.
//!
//! ```text
//! cargo run --quiet --release --example feed_dump -- FEED...
//! printf 'FEED\tBASE_URL\n...' | cargo run --quiet --release --example feed_dump
//! ```
//!
//! Each file is parsed as a poll parses it, with `linkpost::feed::parse_feed`
//! (document order, not the poll's newest-first order `refresh` uses, so
//! entries pair up with feedparser's by index). Relative links resolve against
//! the base URL: the one after a tab on a stdin line (`feed_diff.py` passes
//! the feed's site link, standing in for the feed URL a poll would have), else
//! the file's own `file://` URL. Per entry it prints
//! `{"path", "index", "link", "raw_link", "title", "guid"}`, where `link` is
//! the dedupe key (`linkpost::canon::canonicalize`) and `raw_link` the link
//! as parsed; a file that does not parse prints `{"path", "error"}`.

use std::io::{BufRead as _, Write as _};
use std::path::Path;

use serde_json::{Value, json};
use url::Url;

fn main() {
    // (path, base URL) pairs; no base means the file's own URL.
    let mut feeds: Vec<(String, Option<String>)> =
        std::env::args().skip(1).map(|path| (path, None)).collect();
    if feeds.is_empty() {
        feeds = std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .filter(|line| !line.trim().is_empty())
            .map(|line| match line.split_once('\t') {
                Some((path, base)) => (path.to_string(), Some(base.trim().to_string())),
                None => (line.trim().to_string(), None),
            })
            .collect();
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (path, base) in &feeds {
        for line in dump(Path::new(path), base.as_deref()) {
            writeln!(out, "{line}").expect("writing to stdout");
        }
    }
    out.flush().expect("writing to stdout");
}

/// The JSON lines for one feed file, its relative links resolved against `base`.
fn dump(path: &Path, base: Option<&str>) -> Vec<Value> {
    let name = path.display().to_string();
    let error = |reason: String| vec![json!({ "path": name, "error": reason })];
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return error(format!("reading the file: {e}")),
    };
    let base = match base {
        Some(base) => match Url::parse(base) {
            Ok(base) => base,
            Err(e) => return error(format!("base URL {base}: {e}")),
        },
        None => match path.canonicalize().map(Url::from_file_path) {
            Ok(Ok(base)) => base,
            _ => return error("no file:// URL for this path".to_string()),
        },
    };
    let feed = match linkpost::feed::parse_feed(&bytes, &base) {
        Ok(feed) => feed,
        Err(e) => return error(e.to_string()),
    };
    feed.items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            json!({
                "path": name,
                "index": index,
                "link": item.link.as_ref().map(|l| linkpost::canon::canonicalize(l).to_string()),
                "raw_link": item.link.as_ref().map(Url::to_string),
                "title": item.title,
                "guid": item.guid,
            })
        })
        .collect()
}
