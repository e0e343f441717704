//! Dumps the summary linkpost would write for saved article pages, one JSON
//! line per page, for the extraction comparison (`bench/extract_compare.py`,
//! see `bench/EXTRACTION.md`). Not part of CI.
//!
//! ```text
//! cargo run --quiet --release --example extract_dump -- PAGE.html...
//! ```
//!
//! Each page goes through the poll's own path for an entry whose feed says
//! `fetch_article = true` with no selector and whose feed entry carries no
//! text: `linkpost::post::build_post` with the page, so the summary is what
//! the draft's `summary` would hold (cut at `summary_length`, 2000
//! characters). The page URL is the page's `og:url`/canonical link when it
//! has one, else `https://fixtures.invalid/FILE`. Per page it prints
//! `{"file", "summary", "tldr", "source"}`; a page that cannot be read prints
//! `{"file", "error"}`.

use std::io::Write as _;
use std::path::Path;

use chrono::Utc;
use linkpost::config::Config;
use linkpost::feed::FeedItem;
use linkpost::post::{ArticlePage, build_post};
use linkpost::refresh::article::FeedSelectors;
use serde_json::{Value, json};
use url::Url;

const CONFIG: &str = r#"
output_dir = "unused"
[[feed]]
name = "page"
url = "https://fixtures.invalid/feed.xml"
fetch_article = true
"#;

fn main() {
    let config = match Config::parse(Path::new("extract_dump.toml"), CONFIG) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("extract_dump: the built-in config is refused: {e}");
            std::process::exit(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for path in std::env::args().skip(1) {
        let line = dump(&config, Path::new(&path));
        writeln!(out, "{line}").expect("writing to stdout");
    }
    out.flush().expect("writing to stdout");
}

fn dump(config: &Config, path: &Path) -> Value {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return json!({ "file": file, "error": format!("reading the page: {e}") }),
    };
    let html = linkpost::extract::decode_html(&bytes, None);
    let fallback = Url::parse("https://fixtures.invalid/").expect("a valid URL");
    let fallback = fallback.join(&file).unwrap_or(fallback);
    let url = page_url(&html).unwrap_or(fallback);
    let Some(feed) = config.feeds.first() else {
        return json!({ "file": file, "error": "the built-in config has no feed" });
    };
    let selectors = FeedSelectors::of(feed, std::sync::Arc::clone(&config.rules), None);
    let item = FeedItem {
        link: Some(url.clone()),
        ..FeedItem::default()
    };
    let page = ArticlePage {
        html,
        url: url.clone(),
    };
    let built = build_post(
        feed,
        config,
        &item,
        &url,
        Some(&page),
        &selectors.options(),
        Utc::now(),
    );
    json!({
        "file": file,
        "summary": built.post.summary,
        "tldr": built.post.tldr,
        "source": built.source.as_ref().map(|s| s.name()),
    })
}

/// The page's own URL from `og:url` or its canonical link (saved pages
/// carry meta values in `value=` as often as in `content=`).
fn page_url(html: &str) -> Option<Url> {
    // The page's own URL is in its head; parsing a hostile body here would
    // time this tool instead of linkpost.
    let head_end = html
        .find("</head>")
        .or_else(|| html.char_indices().nth(4_096).map(|(i, _)| i))
        .unwrap_or(html.len());
    let doc = scraper::Html::parse_document(&html[..head_end]);
    let selector = scraper::Selector::parse(
        r#"meta[property="og:url"], meta[name="og:url"], link[rel~="canonical"]"#,
    )
    .ok()?;
    doc.select(&selector).find_map(|el| {
        let v = el.value();
        let raw = v.attr("content").or(v.attr("value")).or(v.attr("href"))?;
        Url::parse(raw.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    })
}
