//! Managing the feed list: `import-opml`, `export-opml` and `add`. Each
//! change goes through [`ConfigEdit`]: comments and layout kept, the new
//! text checked as `check` does, the file replaced atomically, nothing
//! written on any error or with `--dry-run`.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::sync::Mutex;

use anyhow::{Context, bail};
use url::Url;

use super::{AddArgs, ExportOpmlArgs, ImportOpmlArgs, exit, runtime};
use linkpost::config::edit::{ConfigEdit, ListedFeed, NewFeed, feed_url_key, unique_name};
use linkpost::config::{Config, HttpLimits};
use linkpost::discover::{self, Candidate, FoundBy};
use linkpost::fetch::{BoxFuture, Fetch, FetchError, FetchOutcome, Fetched, Reach, Validators};
use linkpost::opml;

/// `linkpost import-opml FILE [--dry-run]`.
pub(super) fn import_opml(config: &Config, args: &ImportOpmlArgs) -> anyhow::Result<u8> {
    let bytes = read_capped(&args.file)?;
    let listed =
        opml::parse(&bytes).with_context(|| format!("cannot import {}", args.file.display()))?;
    let mut edit = ConfigEdit::open(&config.path)?;
    let existing = edit.feeds();
    let mut plan = ImportPlan::new(&existing);
    for feed in &listed {
        plan.consider(feed);
    }
    for feed in &plan.added {
        edit.add_feed(feed)?;
    }

    let mut out = std::io::stdout().lock();
    let config_name = config.path.display();
    if args.dry_run && edit.changed() {
        write!(out, "{}", edit.diff())?;
    }
    writeln!(
        out,
        "{}: {} feeds: {} new, {} already present, {} not usable",
        args.file.display(),
        listed.len(),
        plan.added.len(),
        plan.present.len(),
        plan.unusable.len(),
    )?;
    for feed in &plan.added {
        writeln!(
            out,
            "  + {} <{}>{}",
            feed.name,
            feed.url,
            tag_list(&feed.tags)
        )?;
    }
    for (url, name) in &plan.present {
        writeln!(out, "  = {url} (already there as \"{name}\")")?;
    }
    for (what, why) in &plan.unusable {
        writeln!(out, "  ! {what}: {why}")?;
    }
    if args.dry_run {
        writeln!(out, "dry run: {config_name} was not changed")?;
    } else if edit.changed() {
        let new = edit.commit()?;
        writeln!(
            out,
            "{config_name}: {} feeds added, {} in all",
            plan.added.len(),
            new.feeds.len()
        )?;
    }
    Ok(exit::OK)
}

/// Reads `path` (`-` for standard input), at most [`opml::MAX_OPML_SIZE`].
fn read_capped(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        )
    };
    let mut bytes = Vec::new();
    reader
        .take(opml::MAX_OPML_SIZE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > opml::MAX_OPML_SIZE {
        bail!(
            "cannot import {}: {}",
            path.display(),
            opml::OpmlError::TooLarge
        );
    }
    Ok(bytes)
}

/// What an import adds, skips as present, and cannot use.
struct ImportPlan {
    /// Feeds to append, in file order.
    added: Vec<NewFeed>,
    /// (URL, the name of the feed that has it) of feeds already there.
    present: Vec<(String, String)>,
    /// (what, why) of outlines that are no usable feed.
    unusable: Vec<(String, String)>,
    /// Feed names taken.
    names: HashSet<String>,
    /// The name under which each URL key is in the config or the import.
    urls: HashMap<String, String>,
}

impl ImportPlan {
    fn new(existing: &[ListedFeed]) -> ImportPlan {
        ImportPlan {
            added: Vec::new(),
            present: Vec::new(),
            unusable: Vec::new(),
            names: existing.iter().map(|f| f.name.clone()).collect(),
            urls: existing
                .iter()
                .map(|f| (feed_url_key(&f.url), f.name.clone()))
                .collect(),
        }
    }

    fn consider(&mut self, feed: &opml::OpmlFeed) {
        let url = match Url::parse(&feed.xml_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            Ok(url) => {
                let why = format!("{} is no http or https URL", url.scheme());
                self.unusable.push((feed.xml_url.clone(), why));
                return;
            }
            Err(e) => {
                self.unusable
                    .push((feed.xml_url.clone(), format!("not a URL ({e})")));
                return;
            }
        };
        let key = feed_url_key(url.as_str());
        if let Some(name) = self.urls.get(&key) {
            self.present.push((url.to_string(), name.clone()));
            return;
        }
        let base = if feed.title.is_empty() {
            url.host_str().unwrap_or("feed")
        } else {
            feed.title.as_str()
        };
        let name = unique_name(base, &self.names);
        self.names.insert(name.clone());
        self.urls.insert(key, name.clone());
        self.added.push(NewFeed {
            name,
            url: feed.xml_url.clone(),
            tags: feed.tags.clone(),
        });
    }
}

/// ` [a, b]`, or nothing for no tags.
fn tag_list(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", tags.join(", "))
    }
}

/// `linkpost export-opml [--output FILE]`.
pub(super) fn export_opml(config: &Config, args: &ExportOpmlArgs) -> anyhow::Result<u8> {
    let feeds: Vec<opml::ExportFeed<'_>> = config
        .feeds
        .iter()
        .map(|f| opml::ExportFeed {
            name: &f.name,
            url: f.url.as_str(),
            tags: &f.tags,
        })
        .collect();
    let odd_tags: Vec<&str> = config
        .feeds
        .iter()
        .flat_map(|f| &f.tags)
        .filter(|t| t.contains([',', '/']))
        .map(String::as_str)
        .collect();
    for tag in odd_tags {
        tracing::warn!(
            "tag \"{tag}\" has a comma or a slash, which OPML categories use as separators; \
             it comes back as several tags when imported"
        );
    }
    let text = opml::write(
        &format!("linkpost feeds ({})", config.path.display()),
        &chrono::Utc::now().to_rfc2822(),
        &feeds,
    );
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(exit::OK)
}

/// `linkpost add URL [--name N] [--tags a,b] [--pick N|URL] [--dry-run]`.
pub(super) fn add(config: &Config, args: &AddArgs) -> anyhow::Result<u8> {
    let url = Url::parse(args.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .with_context(|| format!("\"{}\" is not an http or https URL", args.url))?;
    let mut edit = ConfigEdit::open(&config.path)?;
    let existing = edit.feeds();
    let fetcher = linkpost::fetch::Fetcher::new(config).context("building the HTTP client")?;
    let limits = config.http;
    let runtime = runtime()?;
    let mut out = std::io::stdout().lock();

    let mut found = runtime.block_on(discover::discover(&fetcher, &limits, &url))?;
    if found.candidates.is_empty() {
        bail!(
            "found no feed at {url}: the page links none with <link rel=\"alternate\">, and none \
             of {} answered with a feed; give the feed's own URL",
            discover::COMMON_PATHS.join(", ")
        );
    }
    let chosen = choose(&found.candidates, &found.page_url, args.pick.as_deref())?;
    if found.candidates.len() > 1 || found.links_left_out > 0 {
        writeln!(out, "found {} feeds at {url}:", found.candidates.len())?;
        for (i, candidate) in found.candidates.iter().enumerate() {
            let mark = if Some(i) == chosen { "  <- chosen" } else { "" };
            let title = candidate
                .title
                .as_deref()
                .map(|t| format!(" \"{t}\""))
                .unwrap_or_default();
            writeln!(out, "  {}. {}{title}{mark}", i + 1, candidate.url)?;
        }
        if found.links_left_out > 0 {
            writeln!(
                out,
                "  ({} more feed links on the page were left out; linkpost reads the first {})",
                found.links_left_out,
                discover::MAX_CANDIDATES
            )?;
        }
    }
    let Some(chosen) = chosen else {
        bail!(
            "{url} has several feeds and none of them stands out; choose one with --pick N \
             (a number above) or --pick URL"
        );
    };
    let candidate = found.candidates[chosen].clone();
    if let Some(feed) = existing
        .iter()
        .find(|f| feed_url_key(&f.url) == feed_url_key(candidate.url.as_str()))
    {
        bail!(
            "{} is already in {} as feed \"{}\"",
            candidate.url,
            config.path.display(),
            feed.name
        );
    }

    // The chosen feed, fetched once: discovery may have fetched it already.
    let (fetched, parsed) = match found.fetched.iter().position(|(u, ..)| *u == candidate.url) {
        Some(i) => {
            let (_, fetched, parsed) = found.fetched.swap_remove(i);
            (fetched, parsed)
        }
        None => runtime
            .block_on(discover::fetch_feed(&fetcher, &limits, &candidate.url))
            .with_context(|| format!("reading the feed {}", candidate.url))?,
    };
    let names: HashSet<String> = existing.iter().map(|f| f.name.clone()).collect();
    let name = match &args.name {
        Some(name) if names.contains(name.trim()) => bail!(
            "{} already has a feed named \"{}\"; choose another --name",
            config.path.display(),
            name.trim()
        ),
        Some(name) => name.trim().to_string(),
        None => unique_name(
            parsed
                .title
                .as_deref()
                .or(candidate.title.as_deref())
                .or(candidate.url.host_str())
                .unwrap_or("feed"),
            &names,
        ),
    };
    let new = NewFeed {
        name: name.clone(),
        url: candidate.url.to_string(),
        tags: args
            .tags
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
    };
    edit.add_feed(&new)?;

    // What the first poll would write, under the config as it would be.
    let would_be = Config::parse(&config.path, &edit.text()).map_err(|cause| {
        linkpost::config::edit::EditError::Invalid {
            path: config.path.clone(),
            cause: Box::new(cause),
        }
    })?;
    let Some(feed) = would_be.feeds.iter().find(|f| f.name == name) else {
        bail!("the new feed \"{name}\" is missing from the config that would be written");
    };
    let prefetched = Prefetched::new(&fetcher, &candidate.url, fetched);
    let posts = runtime
        .block_on(linkpost::refresh::preview_feed(
            &prefetched,
            &would_be,
            feed,
            chrono::Utc::now(),
        ))
        .with_context(|| format!("previewing {}", candidate.url))?;
    writeln!(
        out,
        "feed \"{name}\" <{}>{}: {} entries; the first poll would write {} {}:",
        candidate.url,
        match candidate.found_by {
            FoundBy::Given => "",
            FoundBy::Link => " (linked from the page)",
            FoundBy::CommonPath => " (at a common feed path)",
        },
        parsed.items.len(),
        posts.iter().filter(|p| p.filtered.is_none()).count(),
        if feed.draft { "drafts" } else { "posts" },
    )?;
    for p in &posts {
        let filtered = p
            .filtered
            .as_ref()
            .map(|why| format!("  [filtered: {why}]"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}  {}{filtered}\n              {}",
            p.post.date.format("%Y-%m-%d"),
            p.post.title,
            p.post.external_url
        )?;
    }
    if args.dry_run {
        write!(out, "{}", edit.diff())?;
        writeln!(out, "dry run: {} was not changed", config.path.display())?;
    } else {
        edit.commit()?;
        writeln!(
            out,
            "added feed \"{name}\" to {}; `linkpost poll` or the running daemon (after \
             `systemctl reload linkpost`) picks it up",
            config.path.display()
        )?;
    }
    Ok(exit::OK)
}

/// The candidate to add: `--pick` (a 1-based number or one of the URLs),
/// else the main feed if one stands out.
fn choose(
    candidates: &[Candidate],
    page: &Url,
    pick: Option<&str>,
) -> anyhow::Result<Option<usize>> {
    let Some(pick) = pick.map(str::trim) else {
        return Ok(discover::main_feed(candidates, page));
    };
    if let Ok(n) = pick.parse::<usize>() {
        if (1..=candidates.len()).contains(&n) {
            return Ok(Some(n - 1));
        }
        bail!(
            "--pick {n}: there are {} feeds, numbered from 1",
            candidates.len()
        );
    }
    candidates
        .iter()
        .position(|c| c.url.as_str() == pick || Url::parse(pick).is_ok_and(|u| u == c.url))
        .map(Some)
        .with_context(|| format!("--pick {pick}: not one of the feeds found"))
}

/// A fetcher that answers the first plain request for one URL with a
/// response already in hand, and passes every other request on.
struct Prefetched<'a> {
    inner: &'a dyn Fetch,
    url: Url,
    response: Mutex<Option<Box<Fetched>>>,
}

impl<'a> Prefetched<'a> {
    fn new(inner: &'a dyn Fetch, url: &Url, response: Box<Fetched>) -> Prefetched<'a> {
        Prefetched {
            inner,
            url: url.clone(),
            response: Mutex::new(Some(response)),
        }
    }
}

impl Fetch for Prefetched<'_> {
    fn fetch<'a>(
        &'a self,
        url: &'a Url,
        limits: &'a HttpLimits,
        validators: Option<&'a Validators>,
        reach: Reach,
    ) -> BoxFuture<'a, Result<FetchOutcome, FetchError>> {
        if *url == self.url && validators.is_none() {
            let held = self.response.lock().ok().and_then(|mut r| r.take());
            if let Some(response) = held {
                return Box::pin(async move { Ok(FetchOutcome::Fetched(response)) });
            }
        }
        self.inner.fetch(url, limits, validators, reach)
    }
}
