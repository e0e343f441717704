//! `preview`: the posts a feed would produce, writing nothing.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::{PreviewArgs, exit, runtime};
use linkpost::config::{Config, FetchArticle};
use linkpost::filter::{EntryFilter, FilterPattern};
use linkpost::refresh;
use linkpost::refresh::article::PageDecision;
use linkpost::refresh::teaser::Teaser;

/// One post in `preview --json`.
#[derive(Debug, Serialize)]
struct PreviewRow {
    title: String,
    date: String,
    external_url: String,
    tldr: String,
    summary: String,
    summary_source: Option<String>,
    /// Whether the article page was fetched.
    page_fetched: bool,
    /// Why: `selector`, `always`, `read-more`, `short`, `empty`, `whole`,
    /// `never`, or `filtered`.
    page_reason: &'static str,
    /// Whether the feed's filter keeps the entry out (a poll records it,
    /// writes nothing, and never shows it again).
    filtered: bool,
    /// Why: the exclude pattern that matched, or that no include pattern did.
    filter_reason: Option<String>,
}

pub(super) fn preview(args: &PreviewArgs) -> anyhow::Result<u8> {
    let url = match url::Url::parse(&args.source) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "file") => url,
        _ => {
            let path = std::path::absolute(&args.source)
                .with_context(|| format!("resolving {}", args.source))?;
            url::Url::from_file_path(&path)
                .map_err(|()| anyhow::anyhow!("cannot use {} as a feed", path.display()))?
        }
    };
    // Validate selectors the way the config does, naming the bad one.
    for css in args.selector.iter().chain(&args.exclude) {
        if linkpost::extract::parse_selector(css).is_none() {
            eprintln!("linkpost: \"{css}\" is not a valid CSS selector");
            return Ok(exit::CONFIG);
        }
    }
    let config = Config::parse(Path::new("preview"), "").context("default settings")?;
    let Some(filter) = preview_filter(args, &url) else {
        return Ok(exit::CONFIG);
    };
    let feed = linkpost::config::FeedConfig {
        name: url.host_str().unwrap_or("preview").to_string(),
        url,
        tags: Vec::new(),
        summary_selector: args.selector.clone(),
        summary_exclude: args.exclude.clone(),
        fetch_article: if args.fetch_article {
            FetchArticle::Always
        } else if args.no_fetch_article {
            FetchArticle::Never
        } else {
            FetchArticle::Auto
        },
        draft: true,
        backfill: args.limit,
        interval: linkpost::config::DEFAULT_INTERVAL,
        http: config.http,
        allow_private_addresses: args.allow_private_addresses,
        category_tags: linkpost::post::CategoryTags::default(),
        filter,
    };
    let fetcher = linkpost::fetch::Fetcher::new(&config).context("building the HTTP client")?;
    let posts = runtime()?
        .block_on(refresh::preview_feed(
            &fetcher,
            &config,
            &feed,
            chrono::Utc::now(),
        ))
        .with_context(|| format!("previewing {}", feed.url))?;
    // `preview_feed` shows `limit` kept posts, with the filtered entries
    // among them.
    let mut out = std::io::stdout().lock();
    if args.json {
        let rows: Vec<PreviewRow> = posts
            .into_iter()
            .map(|p| PreviewRow {
                title: p.post.title,
                date: p
                    .post
                    .date
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                external_url: p.post.external_url.to_string(),
                tldr: p.post.tldr,
                summary: p.post.summary,
                summary_source: p.summary_source.as_ref().map(|s| s.name().into_owned()),
                page_fetched: p.page.is_some_and(PageDecision::fetches),
                page_reason: p.page.map_or("filtered", PageDecision::as_str),
                filtered: p.filtered.is_some(),
                filter_reason: p.filtered.as_ref().map(ToString::to_string),
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        for p in posts {
            match &p.filtered {
                Some(reason) => {
                    writeln!(out, "[filtered] {}", p.post.title)?;
                    writeln!(out, "  filter:  kept out, {reason}; a poll writes no post")?;
                }
                None => writeln!(out, "{}", p.post.title)?,
            }
            writeln!(
                out,
                "  date:    {}",
                p.post
                    .date
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
            )?;
            writeln!(out, "  url:     {}", p.post.external_url)?;
            writeln!(
                out,
                "  page:    {}",
                p.page.map_or("not fetched (filtered)", describe)
            )?;
            writeln!(
                out,
                "  summary: from {}",
                p.summary_source
                    .as_ref()
                    .map_or("nothing".into(), linkpost::extract::SummarySource::name)
            )?;
            writeln!(out, "  tldr:    {}\n", p.post.tldr)?;
        }
    }
    Ok(exit::OK)
}

/// The filter of the previewed feed: the patterns of the `--config` feed
/// with this URL, if any, then the `--filter-include`/`--filter-exclude`
/// flags. `None` (after saying why) when the config or a pattern is invalid.
fn preview_filter(args: &PreviewArgs, url: &url::Url) -> Option<EntryFilter> {
    let mut filter = EntryFilter::default();
    if let Some(path) = &args.config {
        let config = match super::load_config(path) {
            Ok(config) => config,
            Err(err) => {
                eprintln!("linkpost: {err}");
                return None;
            }
        };
        match config.feeds.into_iter().find(|f| f.url == *url) {
            Some(feed) => filter = feed.filter,
            None => tracing::warn!(
                config = %path.display(),
                "no [[feed]] has URL {url}; only the --filter-include and --filter-exclude patterns apply"
            ),
        }
    }
    for (flags, list, flag) in [
        (
            &args.filter_include,
            &mut filter.include,
            "--filter-include",
        ),
        (
            &args.filter_exclude,
            &mut filter.exclude,
            "--filter-exclude",
        ),
    ] {
        for written in flags {
            match FilterPattern::parse(written) {
                Ok(pattern) => list.push(pattern),
                Err(err) => {
                    eprintln!("linkpost: {flag} \"{written}\": {err}");
                    return None;
                }
            }
        }
    }
    Some(filter)
}

/// Whether and why the article page was fetched, for the text output.
fn describe(page: PageDecision) -> &'static str {
    match page {
        PageDecision::Selector => "fetched (summary selector)",
        PageDecision::Always => "fetched (fetch_article = true)",
        PageDecision::Teaser(Teaser::ReadMore) => {
            "fetched (auto: the feed's text ends in a \"read more\" sign)"
        }
        PageDecision::Teaser(Teaser::Short) => "fetched (auto: the feed's text is short)",
        PageDecision::Teaser(Teaser::Empty) => "fetched (auto: the feed has no text)",
        PageDecision::Whole => "not fetched (auto: the feed's text looks whole)",
        PageDecision::Never => "not fetched (fetch_article = false)",
    }
}
