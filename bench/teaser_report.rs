//! How `fetch_article = "auto"` judges the entries of feed files: which
//! would get their article page fetched (teasers) and which keep the feed's
//! own text. Run by hand to check `refresh::teaser` against real feeds; not
//! part of CI.
//!
//! ```text
//! cargo run --quiet --release --example teaser_report -- FEED...
//! cut -f1 ../shared/fixtures/realworld/feeds-index.tsv | tail -n +2 \
//!     | sed 's#^#../shared/fixtures/#' | cargo run --quiet --release --example teaser_report
//! cargo run --quiet --release --example teaser_report -- --entries FEED...
//! ```
//!
//! One line per feed: its entries, how many carry `content`, how many are
//! whole and how many are teasers by reason (`read-more`, `short`, `empty`),
//! and the median length of the text judged (characters, boilerplate
//! removed). `--entries` adds a line per entry with its verdict, length and
//! the end of its text. A file that does not parse prints its error.

use std::io::{BufRead as _, Write as _};
use std::path::Path;

use linkpost::extract::{clean_feed_text, html_to_text};
use linkpost::feed::FeedItem;
use linkpost::refresh::teaser::{Teaser, detect_teaser};
use url::Url;

fn main() {
    let mut entries = false;
    let mut paths: Vec<String> = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--entries" {
            entries = true;
        } else {
            paths.push(arg);
        }
    }
    if paths.is_empty() {
        paths = std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .map(|line| line.trim().to_string())
            .filter(|line| !line.is_empty())
            .collect();
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(
        out,
        "{:<64} {:>7} {:>7} {:>5} {:>9} {:>5} {:>5} {:>6}",
        "feed", "entries", "content", "whole", "read-more", "short", "empty", "median"
    )
    .expect("writing to stdout");
    let (mut all, mut none, mut some) = (0, 0, 0);
    for path in &paths {
        match report(Path::new(path), entries) {
            Ok((line, fetched, total)) => {
                write!(out, "{line}").expect("writing to stdout");
                match fetched {
                    0 => none += 1,
                    n if n == total => all += 1,
                    _ => some += 1,
                }
            }
            Err(e) => writeln!(out, "{path:<64} error: {e}").expect("writing to stdout"),
        }
    }
    writeln!(
        out,
        "feeds whose every entry is fetched: {all}; none: {none}; some: {some}"
    )
    .expect("writing to stdout");
    out.flush().expect("writing to stdout");
}

/// The report lines of one feed file, how many of its entries would be
/// fetched, and how many it has.
fn report(path: &Path, entries: bool) -> Result<(String, usize, usize), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading the file: {e}"))?;
    let base = Url::parse("https://fixtures.invalid/").expect("a valid URL");
    let feed = linkpost::feed::parse_feed(&bytes, &base).map_err(|e| e.to_string())?;
    let mut counts = [0usize; 4];
    let mut lengths = Vec::with_capacity(feed.items.len());
    let mut lines = String::new();
    for (index, item) in feed.items.iter().enumerate() {
        let verdict = detect_teaser(linkpost::post::EntryText::read(item).as_ref());
        counts[match verdict {
            None => 0,
            Some(Teaser::ReadMore) => 1,
            Some(Teaser::Short) => 2,
            Some(Teaser::Empty) => 3,
        }] += 1;
        let (text, clean) = judged_text(item);
        let length = clean.chars().count();
        lengths.push(length);
        if entries {
            let chars: Vec<char> = text.chars().collect();
            let tail: String = chars[chars.len().saturating_sub(60)..].iter().collect();
            lines.push_str(&format!(
                "  {index:>3} {:<9} {length:>6}  …{tail}\n",
                verdict.map_or("whole", Teaser::as_str)
            ));
        }
    }
    lengths.sort_unstable();
    let median = lengths.get(lengths.len() / 2).copied().unwrap_or(0);
    let with_content = feed
        .items
        .iter()
        .filter(|i| i.content_html.is_some())
        .count();
    let name = path.display().to_string();
    let line = format!(
        "{name:<64} {:>7} {with_content:>7} {:>5} {:>9} {:>5} {:>5} {median:>6}\n{lines}",
        feed.items.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
    );
    Ok((line, feed.items.len() - counts[0], feed.items.len()))
}

/// The text the detector judges (content with text, else summary), as text
/// and with the feed boilerplate removed.
fn judged_text(item: &FeedItem) -> (String, String) {
    [item.content_html.as_deref(), item.summary_html.as_deref()]
        .into_iter()
        .flatten()
        .map(|html| {
            let text = html_to_text(html);
            let clean = clean_feed_text(&text);
            (text, clean)
        })
        .find(|(_, clean)| !clean.is_empty())
        .unwrap_or_default()
}
