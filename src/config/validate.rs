//! The config file as serde reads it, and the checks of its single values:
//! durations, sizes, selectors, URLs, each error naming the line and key.
//!
//! Builds no `Config`; `Config::parse` puts the checked values together and
//! applies the defaults.

use std::fmt::Display;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::{ConfigError, FetchArticle, HttpLimits};
use crate::filter::FilterPattern;
use crate::post::CategoryTags;

/// The config file as written; see `config/linkpost.toml` for every key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub(super) database: Option<String>,
    pub(super) output_dir: Option<String>,
    pub(super) publish_dir: Option<String>,
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) concurrency: Option<Spanned<usize>>,
    pub(super) per_host_limit: Option<Spanned<usize>>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) max_body_size: Option<Spanned<SizeValue>>,
    pub(super) tldr_length: Option<Spanned<usize>>,
    pub(super) summary_length: Option<Spanned<usize>>,
    pub(super) allow_private_addresses: Option<bool>,
    pub(super) durable_writes: Option<bool>,
    pub(super) review_listen: Option<Spanned<String>>,
    pub(super) review_token: Option<Spanned<String>>,
    pub(super) http_listen: Option<Spanned<String>>,
    pub(super) reject_keep: Option<Spanned<String>>,
    pub(super) front_matter: Option<Spanned<String>>,
    pub(super) body_template: Option<Spanned<String>>,
    pub(super) filename_template: Option<Spanned<String>>,
    pub(super) notify_after: Option<Spanned<String>>,
    pub(super) tags_from_categories: Option<Spanned<toml::Value>>,
    pub(super) tag_map: Option<Spanned<toml::Value>>,
    pub(super) tag_drop: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) include: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) feed: Vec<Spanned<RawFeed>>,
    #[serde(default)]
    pub(super) rule: Vec<Spanned<crate::extract::RuleSpec>>,
    #[serde(default)]
    pub(super) notify: Vec<Spanned<RawNotify>>,
}

/// One `[[notify]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    pub(super) url: Spanned<String>,
    pub(super) secret: Option<Spanned<String>>,
    pub(super) events: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[[feed]]` and `[[rule]]` tables per piece when a big config is parsed
/// piecewise.
const TABLES_PER_PIECE: usize = 5_000;

/// Reads the config text as serde sees it.
///
/// A config of many thousands of feeds is parsed in pieces of
/// [`TABLES_PER_PIECE`] tables, cut before a line that reads `[[feed]]` or
/// `[[rule]]`: the toml parser holds every token of what it parses, some 20
/// times the text, so a 100,000-feed file (11 MB) would need 250 MB at once.
/// Each piece is parsed at its own byte offsets (padded with spaces), so
/// spans, and the lines errors name, are those of the whole file. A cut can
/// only be wrong inside a multi-line string, which leaves a piece that does
/// not parse; any piece that fails sends the whole text through the parser
/// at once, so errors read exactly as they do for a small file.
pub(super) fn parse_raw(text: &str) -> Result<RawConfig, toml::de::Error> {
    let starts = piece_starts(text);
    if starts.len() > 1
        && let Some(raw) = parse_pieces(text, &starts)
    {
        return Ok(raw);
    }
    toml::from_str(text)
}

/// Where each piece starts: 0, then every [`TABLES_PER_PIECE`]th table header.
pub(super) fn piece_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let (mut tables, mut offset) = (0, 0);
    for line in text.split_inclusive('\n') {
        if matches!(line.trim(), "[[feed]]" | "[[rule]]") {
            if tables > 0 && tables % TABLES_PER_PIECE == 0 {
                starts.push(offset);
            }
            tables += 1;
        }
        offset += line.len();
    }
    starts
}

/// Parses the pieces and joins their tables; `None` when any piece fails.
fn parse_pieces(text: &str, starts: &[usize]) -> Option<RawConfig> {
    let mut ends = starts.iter().skip(1).copied().chain([text.len()]);
    let first_end = ends.next()?;
    let mut raw: RawConfig = toml::from_str(text.get(..first_end)?).ok()?;
    let mut padded = String::with_capacity(text.len());
    for (&start, end) in starts.iter().skip(1).zip(ends) {
        padded.clear();
        padded.extend(std::iter::repeat_n(' ', start));
        padded.push_str(text.get(start..end)?);
        // Only tables follow the first header: a piece holds no top-level key.
        let piece: RawConfig = toml::from_str(&padded).ok()?;
        raw.feed.extend(piece.feed);
        raw.rule.extend(piece.rule);
        raw.notify.extend(piece.notify);
    }
    Some(raw)
}

/// One `[[feed]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub(super) name: Spanned<String>,
    pub(super) url: Spanned<String>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) summary_selector: Option<Spanned<OneOrMany>>,
    pub(super) summary_exclude: Option<Spanned<OneOrMany>>,
    /// `true`, `false` or `"auto"`; any TOML value is read, so that a wrong
    /// one is refused naming the values allowed.
    pub(super) fetch_article: Option<Spanned<toml::Value>>,
    pub(super) draft: Option<bool>,
    pub(super) backfill: Option<usize>,
    pub(super) interval: Option<Spanned<String>>,
    pub(super) allow_private_addresses: Option<bool>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) max_body_size: Option<Spanned<SizeValue>>,
    pub(super) tags_from_categories: Option<Spanned<toml::Value>>,
    pub(super) tag_map: Option<Spanned<toml::Value>>,
    pub(super) tag_drop: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) include: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum SizeValue {
    Bytes(u64),
    Text(String),
}

/// Converts a byte offset in `text` to a 1-based line number.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    LineCounter::new(text).line_of(offset)
}

/// Line numbers of offsets asked in increasing order, each counted on from
/// the last: one pass over the text however many are asked.
pub(super) struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub(super) fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte `offset` (counted from the start again when
    /// it comes before the last one asked).
    pub(super) fn line_of(&mut self, offset: usize) -> usize {
        if offset < self.offset {
            (self.offset, self.line) = (0, 1);
        }
        let offset = offset.min(self.text.len());
        let between = self.text.as_bytes().get(self.offset..offset).unwrap_or(&[]);
        self.line += between.iter().filter(|&&b| b == b'\n').count();
        self.offset = offset;
        self.line
    }
}

/// The raw `tags_from_categories`, `tag_map` and `tag_drop` of one table.
/// Each is read as any TOML value, so that a wrong type is refused naming
/// its key.
pub(super) type RawCategoryKeys<'a> = (
    &'a Option<Spanned<toml::Value>>,
    &'a Option<Spanned<toml::Value>>,
    &'a Option<Spanned<toml::Value>>,
);

/// The raw `connect_timeout`, `timeout` and `max_body_size` of one table.
type RawHttpKeys<'a> = (
    &'a Option<Spanned<String>>,
    &'a Option<Spanned<String>>,
    &'a Option<Spanned<SizeValue>>,
);

pub(super) struct Validator<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

/// A key's name as messages write it: `timeout` at the top level,
/// `feed[3].timeout` in the fourth `[[feed]]`. Written out only for a
/// message: with 100,000 feeds, formatting every key of every feed on each
/// load was a measurable part of reading the config (issue 13).
pub(super) struct Key {
    /// The `[[feed]]` the key is in; `None` at the top level.
    pub(super) feed: Option<usize>,
    pub(super) name: &'static str,
}

impl Key {
    /// A key of the `[[feed]]` at `index`.
    pub(super) fn of_feed(index: usize, name: &'static str) -> Key {
        Key {
            feed: Some(index),
            name,
        }
    }
}

impl Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.feed {
            Some(index) => write!(f, "feed[{index}].{}", self.name),
            None => f.write_str(self.name),
        }
    }
}

impl Validator<'_> {
    /// The error for the value at `span` of `key`; the key's name is
    /// written out here, only when a value is wrong.
    pub(super) fn invalid(
        &self,
        span: std::ops::Range<usize>,
        key: &(impl Display + ?Sized),
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: line_of(self.text, span.start),
            key: key.to_string(),
            message: message.into(),
        }
    }

    pub(super) fn duration(
        &self,
        value: &Spanned<String>,
        key: &(impl Display + ?Sized),
    ) -> Result<Duration, ConfigError> {
        let d = humantime::parse_duration(value.get_ref().trim()).map_err(|e| {
            self.invalid(
                value.span(),
                key,
                format!("{e}; write a duration such as \"45s\", \"30m\" or \"2h\""),
            )
        })?;
        if d.is_zero() {
            return Err(self.invalid(value.span(), key, "must be longer than zero"));
        }
        Ok(d)
    }

    fn size(
        &self,
        value: &Spanned<SizeValue>,
        key: &(impl Display + ?Sized),
    ) -> Result<u64, ConfigError> {
        let size = match value.get_ref() {
            SizeValue::Bytes(n) => Some(*n),
            SizeValue::Text(s) => parse_size(s),
        };
        match size {
            Some(0) => Err(self.invalid(value.span(), key, "must be larger than zero")),
            Some(n) => Ok(n),
            None => Err(self.invalid(
                value.span(),
                key,
                "write a size such as \"10MiB\", \"512KiB\" or a number of bytes",
            )),
        }
    }

    /// HTTP limits from the (connect_timeout, timeout, max_body_size) keys
    /// of the top level (`feed` is `None`) or of a `[[feed]]`, each falling
    /// back to `defaults`.
    pub(super) fn http_limits(
        &self,
        (connect_timeout, timeout, max_body_size): RawHttpKeys<'_>,
        feed: Option<usize>,
        defaults: HttpLimits,
    ) -> Result<HttpLimits, ConfigError> {
        let duration = |value: &Option<Spanned<String>>, name, default| {
            value
                .as_ref()
                .map_or(Ok(default), |d| self.duration(d, &Key { feed, name }))
        };
        Ok(HttpLimits {
            connect_timeout: duration(
                connect_timeout,
                "connect_timeout",
                defaults.connect_timeout,
            )?,
            timeout: duration(timeout, "timeout", defaults.timeout)?,
            max_body_size: max_body_size
                .as_ref()
                .map_or(Ok(defaults.max_body_size), |s| {
                    self.size(
                        s,
                        &Key {
                            feed,
                            name: "max_body_size",
                        },
                    )
                })?,
        })
    }

    /// The category-to-tag rules of the top level (`feed` is `None`)
    /// or of a `[[feed]]`; each key left out falls back to `defaults`' value.
    pub(super) fn category_tags(
        &self,
        (from_categories, tag_map, tag_drop): RawCategoryKeys<'_>,
        feed: Option<usize>,
        defaults: &CategoryTags,
    ) -> Result<CategoryTags, ConfigError> {
        let enabled = match from_categories {
            Some(value) => value.get_ref().as_bool().ok_or_else(|| {
                self.invalid(
                    value.span(),
                    &Key {
                        feed,
                        name: "tags_from_categories",
                    },
                    format!("{} is not a value; write true or false", value.get_ref()),
                )
            })?,
            None => defaults.enabled,
        };
        let map = match tag_map {
            Some(value) => {
                let key = Key {
                    feed,
                    name: "tag_map",
                };
                let table = value.get_ref().as_table().ok_or_else(|| {
                    self.invalid(
                        value.span(),
                        &key,
                        format!(
                            "{} is not a table; write {{ \"Cloud Native\" = \"cloud-native\" }}",
                            value.get_ref()
                        ),
                    )
                })?;
                let mut map = std::collections::HashMap::with_capacity(table.len());
                for (category, tag) in table {
                    let tag = tag.as_str().ok_or_else(|| {
                        self.invalid(
                            value.span(),
                            &key,
                            format!("the tag of \"{category}\" must be a string, not {tag}"),
                        )
                    })?;
                    if map
                        .insert(category.trim().to_lowercase(), tag.trim().to_string())
                        .is_some()
                    {
                        return Err(self.invalid(
                            value.span(),
                            &key,
                            format!(
                                "\"{category}\" is mapped twice (categories match ignoring case and spaces around)"
                            ),
                        ));
                    }
                }
                map
            }
            None => defaults.map.clone(),
        };
        let drop = match tag_drop {
            Some(value) => {
                let key = Key {
                    feed,
                    name: "tag_drop",
                };
                let not_a_list = || {
                    self.invalid(
                        value.span(),
                        &key,
                        format!(
                            "{} is not a list of strings; write [\"uncategorized\"]",
                            value.get_ref()
                        ),
                    )
                };
                value
                    .get_ref()
                    .as_array()
                    .ok_or_else(not_a_list)?
                    .iter()
                    .map(|tag| {
                        tag.as_str()
                            .map(|t| t.trim().to_lowercase())
                            .ok_or_else(not_a_list)
                    })
                    .collect::<Result<_, _>>()?
            }
            None => defaults.drop.clone(),
        };
        Ok(CategoryTags { enabled, map, drop })
    }

    /// The filter patterns of one `include` or `exclude` list named `key`,
    /// compiled; an error names the pattern's own line and index
    /// (`feed[2].exclude[1]`).
    pub(super) fn filter_patterns(
        &self,
        list: &[Spanned<String>],
        key: &dyn Display,
    ) -> Result<Vec<FilterPattern>, ConfigError> {
        list.iter()
            .enumerate()
            .map(|(i, pattern)| {
                FilterPattern::parse(pattern.get_ref()).map_err(|e| {
                    self.invalid(
                        pattern.span(),
                        &format!("{key}[{i}]"),
                        format!("\"{}\": {e}", pattern.get_ref()),
                    )
                })
            })
            .collect()
    }

    pub(super) fn selectors(
        &self,
        value: Option<&Spanned<OneOrMany>>,
        key: &dyn Display,
    ) -> Result<Vec<String>, ConfigError> {
        let Some(value) = value else {
            return Ok(Vec::new());
        };
        let list = match value.get_ref() {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(list) => list.clone(),
        };
        for css in &list {
            if crate::extract::parse_selector(css).is_none() {
                return Err(self.invalid(
                    value.span(),
                    key,
                    format!("\"{css}\" is not a valid CSS selector"),
                ));
            }
        }
        Ok(list)
    }

    /// The `fetch_article` of the feed named `feed`.
    pub(super) fn fetch_article(
        &self,
        value: &Spanned<toml::Value>,
        key: &(impl Display + ?Sized),
        feed: &str,
    ) -> Result<FetchArticle, ConfigError> {
        match value.get_ref() {
            toml::Value::Boolean(true) => Ok(FetchArticle::Always),
            toml::Value::Boolean(false) => Ok(FetchArticle::Never),
            toml::Value::String(s) if s == "auto" => Ok(FetchArticle::Auto),
            other => Err(self.invalid(
                value.span(),
                key,
                format!(
                    "{other} is not a value for feed \"{feed}\"; write true (fetch every article page), \
                     false (never) or \"auto\" (only when the feed's text is a teaser)"
                ),
            )),
        }
    }

    /// A User-Agent: sent as an HTTP header, so one line of visible ASCII
    /// and spaces, not empty.
    pub(super) fn user_agent(&self, value: &Spanned<String>) -> Result<String, ConfigError> {
        let agent = value.get_ref().trim();
        if agent.is_empty() || !agent.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return Err(self.invalid(
                value.span(),
                "user_agent",
                "must be one line of printable ASCII, e.g. \"linkpost/0.1 (+https://example.org/links)\"",
            ));
        }
        Ok(agent.to_string())
    }

    /// One `[[notify]]` table, its keys named under `notify[i]`.
    pub(super) fn notify_target(
        &self,
        raw: &Spanned<RawNotify>,
        i: usize,
    ) -> Result<crate::notify::NotifyTarget, ConfigError> {
        use crate::notify::{EventKind, NotifyTarget, Secret};
        let raw_ref = raw.get_ref();
        let key = |k: &str| format!("notify[{i}].{k}");
        let text = raw_ref.url.get_ref().trim();
        let url = Url::parse(text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                self.invalid(
                    raw_ref.url.span(),
                    &key("url"),
                    format!(
                        "\"{text}\" is not an http or https URL; write the webhook's address, \
                         such as \"https://hooks.example.com/linkpost\""
                    ),
                )
            })?;
        // An empty secret is none, as an empty `review_token` is.
        let secret = raw_ref
            .secret
            .as_ref()
            .map(|s| s.get_ref())
            .filter(|s| !s.is_empty())
            .map(|s| Secret::new(s.clone()));
        let events = match &raw_ref.events {
            None => EventKind::ALL.to_vec(),
            Some(list) => {
                let mut events = Vec::new();
                for (j, name) in list.get_ref().iter().enumerate() {
                    let kind = EventKind::parse(name.get_ref().trim()).ok_or_else(|| {
                        self.invalid(
                            name.span(),
                            &format!("notify[{i}].events[{j}]"),
                            format!(
                                "unknown event \"{}\"; write \"new_drafts\", \"feed_failing\" or \"feed_disabled\"",
                                name.get_ref()
                            ),
                        )
                    })?;
                    if !events.contains(&kind) {
                        events.push(kind);
                    }
                }
                if events.is_empty() {
                    return Err(self.invalid(
                        list.span(),
                        &key("events"),
                        "is empty; name at least one event, or remove the [[notify]] table",
                    ));
                }
                events
            }
        };
        Ok(NotifyTarget {
            url,
            secret,
            events,
        })
    }

    pub(super) fn positive(
        &self,
        value: &Spanned<usize>,
        key: &(impl Display + ?Sized),
    ) -> Result<usize, ConfigError> {
        match *value.get_ref() {
            0 => Err(self.invalid(value.span(), key, "must be at least 1")),
            n => Ok(n),
        }
    }
}

/// Parses sizes such as `10MiB`, `512 KiB`, `1GB` or `4096`.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// Resolves a `url` value; `file:` with a relative path is taken relative to
/// the config file's folder, so examples and tests can point at local files.
pub(super) fn resolve_feed_url(raw: &str, base_dir: &Path) -> Result<Url, String> {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix("file:")
        && !rest.starts_with('/')
    {
        // A file URL needs an absolute path, and the config may be named
        // relative to the working folder (`--config linkpost.toml`).
        let path = std::path::absolute(base_dir.join(rest))
            .map_err(|e| format!("cannot resolve {rest} against {}: {e}", base_dir.display()))?;
        return Url::from_file_path(&path)
            .map_err(|()| format!("cannot use {} as a file URL", path.display()));
    }
    let url = Url::parse(raw)
        .map_err(|e| format!("{e}; write an absolute URL such as \"https://www.cncf.io/feed/\""))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        "file" => Ok(url),
        scheme => Err(format!(
            "unsupported scheme \"{scheme}\"; use http, https or file"
        )),
    }
}
