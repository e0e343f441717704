//! Configuration: one TOML file, read in two stages.
//!
//! serde fills [`RawConfig`] (every table denies unknown keys), then
//! [`Config::load`] validates it into [`Config`]: unique feed names, absolute
//! URLs, durations, sizes, CSS selectors and filter patterns checked (the
//! patterns compiled once, here), relative paths resolved
//! against the config file's folder, defaults applied in one place. Every error
//! names the file, the line and the key. Nothing here touches the network.

pub mod edit;
mod validate;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::filter::EntryFilter;
use crate::post::CategoryTags;

use validate::{Key, LineCounter, Validator, line_of, resolve_feed_url};
pub use validate::{RawConfig, parse_size};

/// Default database file, relative to the config file's folder.
pub const DEFAULT_DATABASE: &str = "linkpost.db";
/// Default folder for written posts, relative to the config file's folder.
pub const DEFAULT_OUTPUT_DIR: &str = "drafts";
/// Default User-Agent: names linkpost, its version and where to learn more.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "linkpost/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/linkpost/linkpost)"
);
/// Default poll interval of a feed.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30 * 60);
/// Default number of feeds fetched at once.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default number of requests in flight to one host.
pub const DEFAULT_PER_HOST_LIMIT: usize = 2;
/// Default TCP/TLS connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default total time for one request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default largest body read from a server or file.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 10 * 1024 * 1024;
/// Default length limit of `tldr`, in characters.
pub const DEFAULT_TLDR_LENGTH: usize = 700;
/// Default length limit of `summary`, in characters.
pub const DEFAULT_SUMMARY_LENGTH: usize = 2000;
/// Default number of entries written on a feed's first poll.
pub const DEFAULT_BACKFILL: usize = 10;
/// How long a rejected draft is kept, restorable (`reject_keep`).
pub const DEFAULT_REJECT_KEEP: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Address `linkpost review` listens on when neither `--listen` nor
/// `review_listen` says.
pub const DEFAULT_REVIEW_LISTEN: &str = "127.0.0.1:8787";
/// How long a feed must fail, on every poll, before `feed_failing` is sent
/// (`notify_after`).
pub const DEFAULT_NOTIFY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// The address the example config and the README give `http_listen`.
pub const EXAMPLE_HTTP_LISTEN: &str = "127.0.0.1:9464";
/// Intervals below this are accepted with a warning.
pub const MIN_RECOMMENDED_INTERVAL: Duration = Duration::from_secs(60);

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {cause}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The cause, printed in the message.
        cause: std::io::Error,
    },
    /// The file is not valid TOML or has a key of the wrong type or name.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the problem (0 when unknown).
        line: usize,
        /// What the TOML parser said.
        message: String,
    },
    /// A key has a value linkpost cannot use.
    #[error("{path}:{line}: {key}: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
        /// The key, as a path such as `feed[2].url`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// HTTP limits, set at the top level and overridable per feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Total time for one request, body included.
    pub timeout: Duration,
    /// Largest body read, in bytes.
    pub max_body_size: u64,
}

/// When a feed's article pages are fetched: its `fetch_article` key. A feed
/// with a `summary_selector` fetches every page whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FetchArticle {
    /// `"auto"`, the default: only for entries whose feed text is a teaser
    /// (see [`refresh::teaser`](crate::refresh::teaser)); the others keep the
    /// feed's own text.
    #[default]
    Auto,
    /// `true`: for every entry.
    Always,
    /// `false`: for none.
    Never,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from.
    pub path: PathBuf,
    /// SQLite database file.
    pub database: PathBuf,
    /// Folder where posts are written.
    pub output_dir: PathBuf,
    /// Folder `approve` moves posts to (e.g. a Hugo site's
    /// `content/links`); without it, approved posts stay in `output_dir`.
    pub publish_dir: Option<PathBuf>,
    /// User-Agent header of every request.
    pub user_agent: String,
    /// Feeds fetched at once.
    pub concurrency: usize,
    /// Requests in flight to one host.
    pub per_host_limit: usize,
    /// Default HTTP limits.
    pub http: HttpLimits,
    /// Length limit of `tldr`, in characters.
    pub tldr_length: usize,
    /// Length limit of `summary`, in characters.
    pub summary_length: usize,
    /// Flush posts and the claims before them to disk (in batches) before
    /// recording them written, so a power loss loses or duplicates nothing.
    pub durable_writes: bool,
    /// Where `run` also serves the review page (`review_listen`), if at all.
    pub review_listen: Option<std::net::SocketAddr>,
    /// The review page's password (`review_token`), required to listen on
    /// anything but loopback; an empty value is none.
    pub review_token: Option<String>,
    /// Where `run` serves `/metrics` and `/healthz` (`http_listen`), if at
    /// all; any address (the metrics are no secret).
    pub http_listen: Option<std::net::SocketAddr>,
    /// How long a rejected draft is kept, restorable, before it is removed.
    pub reject_keep: Duration,
    /// How post files are written: `front_matter`, `body_template`,
    /// `filename_template`.
    pub post_format: crate::post::PostFormat,
    /// The feeds, in file order.
    pub feeds: Vec<FeedConfig>,
    /// The config's own extraction rules (`[[rule]]`), tried before the
    /// built-in ones, in file order.
    pub rules: std::sync::Arc<[crate::extract::Rule]>,
    /// Webhooks notified of new drafts and failing or disabled feeds
    /// (`[[notify]]`), in file order.
    pub notify: Vec<crate::notify::NotifyTarget>,
    /// How long a feed must fail, on every poll, before `feed_failing` is
    /// sent.
    pub notify_after: Duration,
    /// Warnings found while validating, for the caller to log.
    pub warnings: Vec<String>,
}

/// Largest `body_template` file read.
const MAX_TEMPLATE_SIZE: u64 = 256 * 1024;

/// The `front_matter`, `body_template` and `filename_template` keys.
fn post_format(
    v: &Validator<'_>,
    raw: &RawConfig,
    base_dir: &Path,
) -> Result<crate::post::PostFormat, ConfigError> {
    use crate::post::format::{BodyTemplate, FileNameTemplate, Flavour};
    let flavour = match &raw.front_matter {
        Some(name) => Flavour::parse(name.get_ref().trim()).ok_or_else(|| {
            v.invalid(
                name.span(),
                "front_matter",
                format!(
                    "\"{}\" is not a flavour; use \"yaml\" (the default), \"toml\" (Hugo) or \"zola\"",
                    name.get_ref()
                ),
            )
        })?,
        None => Flavour::default(),
    };
    let body = match &raw.body_template {
        Some(file) => {
            let path = base_dir.join(file.get_ref());
            let source = read_small(&path, MAX_TEMPLATE_SIZE).map_err(|e| {
                v.invalid(
                    file.span(),
                    "body_template",
                    format!("{}: {e}", path.display()),
                )
            })?;
            let template = BodyTemplate::compile(&source).map_err(|e| {
                let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                v.invalid(
                    file.span(),
                    "body_template",
                    format!("{}{at}: {}", path.display(), e.message),
                )
            })?;
            Some(std::sync::Arc::new(template))
        }
        None => None,
    };
    let file_name = match &raw.filename_template {
        Some(template) => FileNameTemplate::parse(template.get_ref())
            .map_err(|e| v.invalid(template.span(), "filename_template", e.to_string()))?,
        None => FileNameTemplate::default(),
    };
    Ok(crate::post::PostFormat {
        flavour,
        body,
        file_name,
    })
}

/// The text of a file of at most `cap` bytes.
fn read_small(path: &Path, cap: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > cap {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB; a body template is a few lines",
            cap / 1024
        )));
    }
    Ok(text)
}

/// One validated feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    /// Unique name; becomes each post's `source`.
    pub name: String,
    /// Where the feed is fetched: `http`, `https` or `file`.
    pub url: Url,
    /// Tags of each post.
    pub tags: Vec<String>,
    /// CSS selectors tried in order on the article page; empty for none.
    pub summary_selector: Vec<String>,
    /// CSS selectors of elements removed from the article page first.
    pub summary_exclude: Vec<String>,
    /// When to fetch the article page without a selector (its main content
    /// is then found by heuristic).
    pub fetch_article: FetchArticle,
    /// Whether posts are written as drafts.
    pub draft: bool,
    /// Entries written on the feed's first poll; older ones are only recorded.
    pub backfill: usize,
    /// Time between polls.
    pub interval: Duration,
    /// HTTP limits of this feed.
    pub http: HttpLimits,
    /// Whether article pages may be fetched from loopback, private and
    /// link-local addresses even when the feed is not served from one.
    pub allow_private_addresses: bool,
    /// How the entries' categories become tags (`tags_from_categories`,
    /// `tag_map`, `tag_drop`), each key set per feed or else at the top level.
    pub category_tags: CategoryTags,
    /// Which entries are kept out (`include`, `exclude`): the top-level
    /// patterns, then the feed's own, in both lists.
    pub filter: EntryFilter,
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        Config::parse(path, &text)
    }

    /// Validates config `text` as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = validate::parse_raw(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            line: e.span().map_or(0, |s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let v = Validator { path, text };
        let mut warnings = Vec::new();

        let defaults = HttpLimits {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        };
        let http = v.http_limits(
            (&raw.connect_timeout, &raw.timeout, &raw.max_body_size),
            None,
            defaults,
        )?;

        let category_tags = v.category_tags(
            (&raw.tags_from_categories, &raw.tag_map, &raw.tag_drop),
            None,
            &CategoryTags::default(),
        )?;
        let top_filter = EntryFilter {
            include: v.filter_patterns(&raw.include, &"include")?,
            exclude: v.filter_patterns(&raw.exclude, &"exclude")?,
        };

        let mut names = HashSet::new();
        let mut feeds = Vec::with_capacity(raw.feed.len());
        // Lines of warnings, counted on from the last one: feeds come in
        // file order, so thousands of warnings cost one pass over the text.
        let mut lines = LineCounter::new(text);
        // (first feed, its line, its interval, how many) with a short interval.
        let mut short_intervals: Option<(usize, usize, Duration, usize)> = None;
        for (i, spanned) in raw.feed.iter().enumerate() {
            let feed = spanned.get_ref();
            // Key names are written out only for a message: with 100,000
            // feeds, six `format!`s a feed were 4% of a warm poll.
            let at = |name| Key::of_feed(i, name);
            let name = feed.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(v.invalid(feed.name.span(), &at("name"), "must not be empty"));
            }
            if !names.insert(name.clone()) {
                return Err(v.invalid(
                    feed.name.span(),
                    &at("name"),
                    format!("duplicate feed name \"{name}\"; each [[feed]] needs its own name"),
                ));
            }
            let url = resolve_feed_url(feed.url.get_ref(), &base_dir)
                .map_err(|m| v.invalid(feed.url.span(), &at("url"), m))?;
            let summary_selector =
                v.selectors(feed.summary_selector.as_ref(), &at("summary_selector"))?;
            let summary_exclude =
                v.selectors(feed.summary_exclude.as_ref(), &at("summary_exclude"))?;
            let interval = feed
                .interval
                .as_ref()
                .map(|d| v.duration(d, &at("interval")))
                .transpose()?
                .unwrap_or(DEFAULT_INTERVAL);
            if interval < MIN_RECOMMENDED_INTERVAL {
                match &mut short_intervals {
                    Some((_, _, _, count)) => *count += 1,
                    None => {
                        let line = lines.line_of(spanned.span().start);
                        short_intervals = Some((i, line, interval, 1));
                    }
                }
            }
            let fetch_article = feed
                .fetch_article
                .as_ref()
                .map(|value| v.fetch_article(value, &at("fetch_article"), &name))
                .transpose()?
                .unwrap_or_default();
            if let Some(value) = &feed.fetch_article
                && fetch_article == FetchArticle::Never
                && !summary_selector.is_empty()
            {
                warnings.push(format!(
                    "{}:{}: {}: false has no effect on feed \"{name}\", whose summary_selector \
                     always fetches the article page",
                    path.display(),
                    lines.line_of(value.span().start),
                    at("fetch_article"),
                ));
            }
            let feed_http = v.http_limits(
                (&feed.connect_timeout, &feed.timeout, &feed.max_body_size),
                Some(i),
                http,
            )?;
            let feed_category_tags = v.category_tags(
                (&feed.tags_from_categories, &feed.tag_map, &feed.tag_drop),
                Some(i),
                &category_tags,
            )?;
            // A feed's lists add to the top-level ones (see `FeedConfig::filter`).
            let mut filter = top_filter.clone();
            filter
                .include
                .extend(v.filter_patterns(&feed.include, &at("include"))?);
            filter
                .exclude
                .extend(v.filter_patterns(&feed.exclude, &at("exclude"))?);
            feeds.push(FeedConfig {
                name,
                url,
                tags: feed.tags.clone(),
                summary_selector,
                summary_exclude,
                fetch_article,
                draft: feed.draft.unwrap_or(true),
                backfill: feed.backfill.unwrap_or(DEFAULT_BACKFILL),
                interval,
                http: feed_http,
                allow_private_addresses: feed
                    .allow_private_addresses
                    .or(raw.allow_private_addresses)
                    .unwrap_or(false),
                category_tags: feed_category_tags,
                filter,
            });
        }
        if let Some((first, line, interval, count)) = short_intervals {
            let more = match count {
                1 => String::new(),
                n => format!(" (and {} more feeds)", n - 1),
            };
            warnings.push(format!(
                "{}:{line}: feed[{first}].interval: interval {} is under a minute; fine for local feeds, \
                 impolite to servers{more}",
                path.display(),
                humantime::format_duration(interval)
            ));
        }

        let tldr_length = match &raw.tldr_length {
            Some(n) => v.positive(n, "tldr_length")?,
            None => DEFAULT_TLDR_LENGTH,
        };
        let summary_length = match &raw.summary_length {
            Some(n) => v.positive(n, "summary_length")?,
            None => DEFAULT_SUMMARY_LENGTH,
        };
        let review_listen =
            match &raw.review_listen {
                Some(addr) => Some(
                    addr.get_ref()
                        .trim()
                        .parse::<std::net::SocketAddr>()
                        .map_err(|e| {
                            v.invalid(
                    addr.span(),
                    "review_listen",
                    format!("{e}; write an address and port such as \"{DEFAULT_REVIEW_LISTEN}\""),
                )
                        })?,
                ),
                None => None,
            };
        let review_token = raw
            .review_token
            .as_ref()
            .map(|t| t.get_ref().clone())
            .filter(|t| !t.is_empty());
        if let (Some(addr), None) = (&review_listen, &review_token)
            && !addr.ip().is_loopback()
            && let Some(spanned) = &raw.review_listen
        {
            return Err(v.invalid(
                spanned.span(),
                "review_listen",
                format!(
                    "{addr} is not a loopback address; set review_token too, or listen on 127.0.0.1"
                ),
            ));
        }
        let http_listen = match &raw.http_listen {
            Some(addr) => Some(
                addr.get_ref()
                    .trim()
                    .parse::<std::net::SocketAddr>()
                    .map_err(|e| {
                        v.invalid(
                            addr.span(),
                            "http_listen",
                            format!(
                                "{e}; write an address and port such as \"{EXAMPLE_HTTP_LISTEN}\""
                            ),
                        )
                    })?,
            ),
            None => None,
        };
        let reject_keep = match &raw.reject_keep {
            Some(d) => v.duration(d, "reject_keep")?,
            None => DEFAULT_REJECT_KEEP,
        };
        let post_format = post_format(&v, &raw, &base_dir)?;
        let rules = raw
            .rule
            .iter()
            .enumerate()
            .map(|(i, spanned)| {
                crate::extract::Rule::compile(spanned.get_ref())
                    .map_err(|e| v.invalid(spanned.span(), &format!("rule[{i}]"), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?
            .into();
        let notify = raw
            .notify
            .iter()
            .enumerate()
            .map(|(i, target)| v.notify_target(target, i))
            .collect::<Result<Vec<_>, _>>()?;
        let notify_after = match &raw.notify_after {
            Some(d) => v.duration(d, "notify_after")?,
            None => DEFAULT_NOTIFY_AFTER,
        };

        Ok(Config {
            path: path.to_path_buf(),
            database: base_dir.join(raw.database.as_deref().unwrap_or(DEFAULT_DATABASE)),
            output_dir: base_dir.join(raw.output_dir.as_deref().unwrap_or(DEFAULT_OUTPUT_DIR)),
            publish_dir: raw.publish_dir.as_deref().map(|dir| base_dir.join(dir)),
            user_agent: match &raw.user_agent {
                Some(agent) => v.user_agent(agent)?,
                None => DEFAULT_USER_AGENT.to_string(),
            },
            concurrency: match &raw.concurrency {
                Some(n) => v.positive(n, "concurrency")?,
                None => DEFAULT_CONCURRENCY,
            },
            per_host_limit: match &raw.per_host_limit {
                Some(n) => v.positive(n, "per_host_limit")?,
                None => DEFAULT_PER_HOST_LIMIT,
            },
            http,
            tldr_length,
            summary_length,
            durable_writes: raw.durable_writes.unwrap_or(true),
            review_listen,
            review_token,
            http_listen,
            reject_keep,
            post_format,
            feeds,
            rules,
            notify,
            notify_after,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/linkpost/linkpost.toml"), text)
    }

    #[test]
    fn minimal_feed_gets_defaults_and_resolved_paths() {
        let cfg = parse(
            "database = \"state/linkpost.db\"\noutput_dir = \"drafts\"\n\
             [[feed]]\nname = \"CNCF\"\nurl = \"https://www.cncf.io/feed/\"\n",
        )
        .expect("valid config");
        assert_eq!(cfg.database, Path::new("/etc/linkpost/state/linkpost.db"));
        assert_eq!(cfg.output_dir, Path::new("/etc/linkpost/drafts"));
        let feed = &cfg.feeds[0];
        assert!(feed.draft);
        assert_eq!(feed.backfill, DEFAULT_BACKFILL);
        assert_eq!(feed.interval, DEFAULT_INTERVAL);
        assert!(feed.summary_selector.is_empty());
    }

    #[test]
    fn a_user_agent_that_cannot_be_a_header_is_refused_naming_its_line() {
        let feed = "[[feed]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n";
        for agent in ["\"\"", "\"two\\nlines\"", "\"caf\u{e9}/1.0\""] {
            let err = parse(&format!("concurrency = 2\nuser_agent = {agent}\n{feed}"))
                .expect_err(agent)
                .to_string();
            assert!(
                err.contains("linkpost.toml:2: user_agent: must be one line of printable ASCII"),
                "{agent}: {err}"
            );
        }
        let cfg = parse(&format!(
            "user_agent = \" my-links/2.0 (+https://x.example) \"\n{feed}"
        ))
        .expect("valid agent");
        assert_eq!(cfg.user_agent, "my-links/2.0 (+https://x.example)");
    }

    /// A config of `n` feeds, each with a few keys; `extra(i)` adds lines to feed `i`.
    fn many_feeds(n: usize, extra: impl Fn(usize) -> String) -> String {
        let mut text = String::from(
            "concurrency = 4\n[[rule]]\nname = \"r\"\nhosts = [\"example.com\"]\ncontent = [\"article\"]\n",
        );
        for i in 0..n {
            text.push_str(&format!(
                "[[feed]]\nname = \"feed-{i}\"\nurl = \"https://example.com/{i}.xml\"\ninterval = \"{}m\"\n{}",
                30 + i % 7,
                extra(i)
            ));
        }
        text
    }

    #[test]
    fn a_big_config_parsed_in_pieces_equals_the_whole() {
        let text = many_feeds(12_345, |i| {
            if i % 1000 == 0 {
                "tags = [\"a\", \"b\"]\n".to_string()
            } else {
                String::new()
            }
        });
        let cfg = parse(&text).expect("valid config");
        assert_eq!(cfg.concurrency, 4);
        assert_eq!(cfg.feeds.len(), 12_345);
        assert_eq!(cfg.rules.len(), 1);
        for (i, feed) in cfg.feeds.iter().enumerate() {
            assert_eq!(feed.name, format!("feed-{i}"));
            assert_eq!(feed.url.as_str(), format!("https://example.com/{i}.xml"));
            assert_eq!(feed.interval, Duration::from_secs(60 * (30 + i as u64 % 7)));
            assert_eq!(feed.tags.len(), if i % 1000 == 0 { 2 } else { 0 }, "{i}");
        }
        let whole: RawConfig = toml::from_str(&text).expect("parses whole");
        let pieces = validate::parse_raw(&text).expect("parses in pieces");
        let spans = |raw: &RawConfig| raw.feed.iter().map(|f| f.span()).collect::<Vec<_>>();
        assert_eq!(
            spans(&pieces),
            spans(&whole),
            "the pieces' spans are the file's"
        );

        // An error in a late piece names its line in the whole file.
        let bad = text.replacen(
            "url = \"https://example.com/11000.xml\"",
            "url = \"https://example.com/11000.xml\"\nbogus = 1",
            1,
        );
        let line = bad
            .lines()
            .position(|l| l == "bogus = 1")
            .expect("bad line")
            + 1;
        let err = parse(&bad).expect_err("unknown key").to_string();
        assert!(
            err.contains(&format!("linkpost.toml:{line}: unknown field `bogus`")),
            "{err}"
        );
    }

    #[test]
    fn short_intervals_warn_once_naming_the_first_and_counting_the_rest() {
        let mut text = String::new();
        for i in 0..20_000 {
            let interval = if i >= 3 { "20s" } else { "30m" };
            text.push_str(&format!(
                "[[feed]]\nname = \"feed-{i}\"\nurl = \"https://example.com/{i}.xml\"\ninterval = \"{interval}\"\n"
            ));
        }
        let cfg = parse(&text).expect("valid config");
        let line = text
            .lines()
            .position(|l| l == "name = \"feed-3\"")
            .expect("feed-3")
            + 1;
        assert_eq!(
            cfg.warnings,
            [format!(
                "/etc/linkpost/linkpost.toml:{}: feed[3].interval: interval 20s is under a minute; \
                 fine for local feeds, impolite to servers (and 19996 more feeds)",
                line - 1
            )]
        );
    }

    #[test]
    fn a_header_line_inside_a_multi_line_string_is_not_a_cut() {
        // Feed 4998's tag holds the 5,001st line that reads like a table
        // header (after the `[[rule]]` and 4,999 feeds' headers): the first cut.
        let text = many_feeds(6_000, |i| {
            if i == 4_998 {
                "tags = [\"\"\"\n[[feed]]\n\"\"\"]\n".to_string()
            } else {
                String::new()
            }
        });
        let inner = text.find("\"\"\"\n[[feed]]").expect("the string") + 4;
        assert!(
            validate::piece_starts(&text).contains(&inner),
            "a piece is cut at the line inside the string"
        );
        let cfg = parse(&text).expect("valid config");
        assert_eq!(cfg.feeds.len(), 6_000);
        assert_eq!(cfg.feeds[4_998].tags, ["[[feed]]\n"]);
        assert_eq!(cfg.feeds[5_000].name, "feed-5000");
    }

    #[test]
    fn errors_name_line_and_key() {
        let cases = [
            (
                "[[feed]]\nname = \"A\"\nurl = \"https://a/\"\nbogus = 1\n",
                "linkpost.toml:4: unknown field `bogus`",
            ),
            (
                "[[feed]]\nname = \"A\"\nurl = \"https://a/\"\n[[feed]]\nname = \"A\"\nurl = \"https://b/\"\n",
                "linkpost.toml:5: feed[1].name: duplicate feed name \"A\"",
            ),
            (
                "[[feed]]\nname = \"A\"\nurl = \"not a url\"\n",
                "linkpost.toml:3: feed[0].url: relative URL without a base",
            ),
            (
                "[[feed]]\nname = \"A\"\nurl = \"ftp://a/x\"\n",
                "linkpost.toml:3: feed[0].url: unsupported scheme",
            ),
            (
                "[[feed]]\nname = \"A\"\nurl = \"https://a/\"\ninterval = \"soon\"\n",
                "linkpost.toml:4: feed[0].interval:",
            ),
            (
                "[[feed]]\nname = \"A\"\nurl = \"https://a/\"\nsummary_selector = \"<<\"\n",
                "linkpost.toml:4: feed[0].summary_selector:",
            ),
            (
                "max_body_size = \"ten\"\n",
                "linkpost.toml:1: max_body_size:",
            ),
            (
                "concurrency = 0\n",
                "linkpost.toml:1: concurrency: must be at least 1",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text).expect_err(text).to_string();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
    }

    #[test]
    fn fetch_article_is_auto_by_default_and_takes_true_false_or_auto() {
        let feed = |value: &str| {
            format!("[[feed]]\nname = \"K8s\"\nurl = \"https://k.example/feed.xml\"\n{value}\n")
        };
        let cases = [
            ("", FetchArticle::Auto),
            ("fetch_article = \"auto\"", FetchArticle::Auto),
            ("fetch_article = true", FetchArticle::Always),
            ("fetch_article = false", FetchArticle::Never),
        ];
        for (line, want) in cases {
            let cfg = parse(&feed(line)).expect(line);
            assert_eq!(cfg.feeds[0].fetch_article, want, "{line}");
            assert!(cfg.warnings.is_empty(), "{line}: {:?}", cfg.warnings);
        }
        for value in ["\"yes\"", "\"Auto\"", "\"true\"", "1", "[\"auto\"]"] {
            let err = parse(&feed(&format!("fetch_article = {value}")))
                .expect_err(value)
                .to_string();
            let want = format!(
                "linkpost.toml:4: feed[0].fetch_article: {value} is not a value for feed \"K8s\"; \
                 write true (fetch every article page), false (never) or \"auto\" (only when the \
                 feed's text is a teaser)"
            );
            assert!(err.ends_with(&want), "{err:?} should end with {want:?}");
        }
    }

    #[test]
    fn category_tags_are_set_at_the_top_and_overridden_per_feed_key_by_key() {
        let cfg = parse(
            "tags_from_categories = true\ntag_map = { \" Cloud Native \" = \" cloud-native \" }\n\
             tag_drop = [\"Uncategorized\"]\n\
             [[feed]]\nname = \"A\"\nurl = \"https://a/\"\n\
             [[feed]]\nname = \"B\"\nurl = \"https://b/\"\ntags_from_categories = false\n\
             tag_drop = [\"News\", \"misc\"]\n\
             [[feed]]\nname = \"C\"\nurl = \"https://c/\"\ntag_map = {}\n",
        )
        .expect("valid config");
        let [a, b, c] = [0, 1, 2].map(|i| &cfg.feeds[i].category_tags);
        assert_eq!(
            *a,
            CategoryTags::new(true, [("cloud native", "cloud-native")], ["uncategorized"])
        );
        assert!(!b.enabled, "per-feed false wins");
        assert_eq!(b.map, a.map, "tag_map not set on B comes from the top");
        assert_eq!(b.drop, CategoryTags::new(true, [], ["news", "misc"]).drop);
        assert!(c.enabled);
        assert!(c.map.is_empty(), "an empty table overrides the top one");
        assert_eq!(c.drop, a.drop);

        let default = parse("[[feed]]\nname = \"A\"\nurl = \"https://a/\"\n").expect("valid");
        assert_eq!(default.feeds[0].category_tags, CategoryTags::default());
    }

    #[test]
    fn category_tag_keys_of_the_wrong_type_are_refused_naming_key_and_line() {
        let feed = "[[feed]]\nname = \"A\"\nurl = \"https://a/\"\n";
        let cases = [
            (
                format!("tag_drop = \"x\"\n{feed}"),
                "linkpost.toml:1: tag_drop: \"x\" is not a list of strings",
            ),
            (
                format!("{feed}tag_drop = [\"a\", 1]\n"),
                "linkpost.toml:4: feed[0].tag_drop: [\"a\", 1] is not a list of strings",
            ),
            (
                format!("{feed}tags_from_categories = \"yes\"\n"),
                "linkpost.toml:4: feed[0].tags_from_categories: \"yes\" is not a value; write true or false",
            ),
            (
                format!("concurrency = 1\ntag_map = [\"a\"]\n{feed}"),
                "linkpost.toml:2: tag_map: [\"a\"] is not a table",
            ),
            (
                format!("{feed}tag_map = {{ Go = 1 }}\n"),
                "linkpost.toml:4: feed[0].tag_map: the tag of \"Go\" must be a string, not 1",
            ),
            (
                format!("tag_map = {{ Go = \"go\", \" GO\" = \"golang\" }}\n{feed}"),
                "linkpost.toml:1: tag_map: \"",
            ),
        ];
        for (text, want) in cases {
            let err = parse(&text).expect_err(&text).to_string();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
    }

    #[test]
    fn filters_at_the_top_apply_to_every_feed_and_a_feeds_own_add_to_them() {
        let cfg = parse(
            "exclude = [\"title:sponsor\"]\n\
             [[feed]]\nname = \"A\"\nurl = \"https://a/\"\n\
             [[feed]]\nname = \"B\"\nurl = \"https://b/\"\n\
             include = [\"category:^kubernetes$\", \"istio\"]\nexclude = ['url:/jobs/', 'webinar']\n",
        )
        .expect("valid config");
        let written = |list: &[crate::filter::FilterPattern]| {
            list.iter()
                .map(|p| p.as_str().to_string())
                .collect::<Vec<_>>()
        };
        let [a, b] = [0, 1].map(|i| &cfg.feeds[i].filter);
        assert!(a.include.is_empty());
        assert_eq!(written(&a.exclude), ["title:sponsor"]);
        assert_eq!(written(&b.include), ["category:^kubernetes$", "istio"]);
        assert_eq!(
            written(&b.exclude),
            ["title:sponsor", "url:/jobs/", "webinar"],
            "the top-level exclude list, then the feed's"
        );
        let none = parse("[[feed]]\nname = \"A\"\nurl = \"https://a/\"\n").expect("valid");
        assert!(none.feeds[0].filter.is_empty());
    }

    #[test]
    fn a_bad_filter_pattern_is_refused_naming_its_line_and_key() {
        let feed = |n: &str| format!("[[feed]]\nname = \"{n}\"\nurl = \"https://{n}/\"\n");
        let cases = [
            (
                format!("include = [\"(rust\"]\n{}", feed("a")),
                "linkpost.toml:1: include[0]: \"(rust\": invalid regular expression: unclosed group",
            ),
            (
                format!(
                    "{}{}{}exclude = [\n  \"title:ok\",\n  \"author:bob\",\n]\n",
                    feed("a"),
                    feed("b"),
                    feed("c")
                ),
                "linkpost.toml:12: feed[2].exclude[1]: \"author:bob\": unknown field \"author\" before ':'",
            ),
            (
                format!("{}exclude = [\"url:\"]\n", feed("a")),
                "linkpost.toml:4: feed[0].exclude[0]: \"url:\": the pattern is empty",
            ),
            (
                format!("{}include = [\"x{{1000}}{{1000}}\"]\n", feed("a")),
                "linkpost.toml:4: feed[0].include[0]: \"x{1000}{1000}\": invalid regular expression:",
            ),
            (
                format!("{}include = \"rust\"\n", feed("a")),
                "linkpost.toml:4:",
            ),
        ];
        for (text, want) in cases {
            let err = parse(&text).expect_err(&text).to_string();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
    }

    #[test]
    fn notify_targets_get_every_event_by_default_and_notify_after_a_day() {
        let feed = "[[feed]]\nname = \"A\"\nurl = \"https://a/\"\n";
        let cfg = parse(&format!(
            "notify_after = \"6h\"\n{feed}[[notify]]\nurl = \"https://hooks.example/lp\"\n\
             secret = \"s3cret\"\n[[notify]]\nurl = \"http://127.0.0.1:9000/hook\"\n\
             events = [\"feed_disabled\", \"new_drafts\", \"new_drafts\"]\n"
        ))
        .expect("valid config");
        use crate::notify::{EventKind, Secret};
        assert_eq!(cfg.notify_after, Duration::from_secs(6 * 3600));
        assert_eq!(cfg.notify.len(), 2);
        assert_eq!(cfg.notify[0].url.as_str(), "https://hooks.example/lp");
        assert_eq!(cfg.notify[0].secret, Some(Secret::new("s3cret")));
        assert_eq!(cfg.notify[0].events, EventKind::ALL);
        assert_eq!(cfg.notify[1].secret, None);
        let empty = parse(&format!(
            "{feed}[[notify]]\nurl = \"https://h.example/\"\nsecret = \"\"\n"
        ))
        .expect("valid config");
        assert_eq!(
            empty.notify[0].secret, None,
            "an empty secret signs nothing"
        );
        assert_eq!(
            cfg.notify[1].events,
            [EventKind::FeedDisabled, EventKind::NewDrafts]
        );
        assert!(
            !format!("{cfg:?}").contains("s3cret"),
            "the secret never shows in Debug output"
        );
        let none = parse(feed).expect("valid");
        assert!(none.notify.is_empty());
        assert_eq!(none.notify_after, DEFAULT_NOTIFY_AFTER);
    }

    #[test]
    fn bad_notify_keys_are_refused_naming_line_and_key() {
        let feed = "[[feed]]\nname = \"A\"\nurl = \"https://a/\"\n";
        let cases = [
            (
                format!("{feed}[[notify]]\nurl = \"hooks.example/lp\"\n"),
                "linkpost.toml:5: notify[0].url: \"hooks.example/lp\" is not an http or https URL",
            ),
            (
                format!("{feed}[[notify]]\nurl = \"ftp://hooks.example/lp\"\n"),
                "linkpost.toml:5: notify[0].url: \"ftp://hooks.example/lp\" is not an http or https URL",
            ),
            (
                format!(
                    "{feed}[[notify]]\nurl = \"https://h.example/\"\n[[notify]]\n\
                     url = \"https://h.example/2\"\nevents = [\n  \"new_drafts\",\n  \"feed_down\",\n]\n"
                ),
                "linkpost.toml:10: notify[1].events[1]: unknown event \"feed_down\"; write \"new_drafts\", \
                 \"feed_failing\" or \"feed_disabled\"",
            ),
            (
                format!("{feed}[[notify]]\nurl = \"https://h.example/\"\nevents = []\n"),
                "linkpost.toml:6: notify[0].events: is empty",
            ),
            (
                format!(
                    "{feed}[[notify]]\nurl = \"https://h.example/\"\nevent = [\"new_drafts\"]\n"
                ),
                "linkpost.toml:6: unknown field `event`",
            ),
            (
                format!("notify_after = \"a day\"\n{feed}"),
                "linkpost.toml:1: notify_after:",
            ),
        ];
        for (text, want) in cases {
            let err = parse(&text).expect_err(&text).to_string();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
    }

    #[test]
    fn fetch_article_false_beside_a_selector_warns() {
        let cfg = parse(
            "[[feed]]\nname = \"A\"\nurl = \"https://a/\"\nsummary_selector = \"article\"\n\
             fetch_article = false\n",
        )
        .expect("valid config");
        assert_eq!(
            cfg.warnings,
            [
                "/etc/linkpost/linkpost.toml:5: feed[0].fetch_article: false has no effect on feed \"A\", \
              whose summary_selector always fetches the article page"
            ]
        );
    }

    #[test]
    fn relative_file_feed_under_a_relative_config_path() {
        let cfg = Config::parse(
            Path::new("linkpost.toml"),
            "[[feed]]\nname = \"A\"\nurl = \"file:feeds/a.xml\"\n",
        )
        .expect("valid config");
        let want = std::env::current_dir().expect("cwd").join("feeds/a.xml");
        assert_eq!(cfg.feeds[0].url.to_file_path().ok(), Some(want));
    }

    #[test]
    fn sizes_and_selector_lists() {
        assert_eq!(parse_size("10MiB"), Some(10 << 20));
        assert_eq!(parse_size("512 KiB"), Some(512 << 10));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("1 TB"), None);
        let cfg = parse(
            "max_body_size = 1000\n[[feed]]\nname = \"A\"\nurl = \"file:feeds/a.xml\"\n\
             summary_selector = [\".post-content\", \"article\"]\ninterval = \"5s\"\nmax_body_size = \"1KiB\"\n",
        )
        .expect("valid config");
        assert_eq!(cfg.http.max_body_size, 1000);
        assert_eq!(cfg.feeds[0].http.max_body_size, 1024);
        assert_eq!(
            cfg.feeds[0].url.as_str(),
            "file:///etc/linkpost/feeds/a.xml"
        );
        assert_eq!(cfg.feeds[0].summary_selector, [".post-content", "article"]);
        assert_eq!(cfg.warnings.len(), 1, "short interval warns");
    }

    #[test]
    fn output_format_keys_are_checked_at_load() {
        use crate::post::Flavour;
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("linkpost.toml");
        std::fs::write(dir.path().join("good.md"), "{{ title }}\n{{ link }}\n").expect("write");
        std::fs::write(dir.path().join("bad.md"), "ok\n{% if title %}\nno end\n").expect("write");
        std::fs::write(dir.path().join("typo.md"), "{{ titel }}\n").expect("write");
        let load = |text: &str| Config::parse(&config, text);

        let cfg = load("front_matter = \"zola\"\nbody_template = \"good.md\"\nfilename_template = \"{slug}.md\"\n")
            .expect("valid");
        assert_eq!(cfg.post_format.flavour, Flavour::Zola);
        assert!(cfg.post_format.body.is_some());
        let default = load("").expect("valid");
        assert_eq!(default.post_format.flavour, Flavour::Yaml);
        assert!(default.post_format.body.is_none());

        let message = |text: &str| load(text).expect_err("invalid").to_string();
        let err = message("\nfront_matter = \"json\"\n");
        assert!(
            err.contains(":2: front_matter:") && err.contains("\"toml\""),
            "{err}"
        );
        let err = message("body_template = \"bad.md\"\n");
        let bad = dir.path().join("bad.md").display().to_string();
        assert!(
            err.contains(":1: body_template:") && err.contains(&format!("{bad}:")),
            "{err}"
        );
        let err = message("body_template = \"typo.md\"\n");
        assert!(
            err.contains("typo.md:1:") && err.contains("undefined"),
            "{err}"
        );
        let err = message("body_template = \"missing.md\"\n");
        assert!(err.contains("missing.md"), "{err}");
        let err = message("filename_template = \"{yyyy}/../{slug}/index.md\"\n");
        assert!(
            err.contains("filename_template:") && err.contains("parent"),
            "{err}"
        );
    }

    #[test]
    fn http_listen_takes_any_address_and_names_its_line_when_invalid() {
        let feed = "[[feed]]\nname = \"A\"\nurl = \"file:a.xml\"\n";
        let cfg = parse(&format!("http_listen = \"0.0.0.0:9464\"\n{feed}")).expect("valid");
        assert_eq!(cfg.http_listen, Some("0.0.0.0:9464".parse().expect("addr")));
        assert_eq!(parse(feed).expect("valid").http_listen, None);
        let err = parse(&format!("\nhttp_listen = \"localhost\"\n{feed}"))
            .expect_err("no port")
            .to_string();
        assert!(
            err.contains("linkpost.toml:2: http_listen:") && err.contains("127.0.0.1:9464"),
            "{err}"
        );
    }
}
