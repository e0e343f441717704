//! Fills a store with ENTRIES seen entries through the writer's own calls and
//! measures what issue 13 asks of it: bytes per entry on disk, and the time to
//! classify a 20-entry feed against it and against an empty store.
//!
//! ```text
//! cargo run --release --example store_fill -- [--durable] DB_PATH ENTRIES [REPS]
//! cargo run --release --example store_fill -- --measure DB_PATH ENTRIES [REPS]
//! ```
//!
//! The first form refuses a `DB_PATH` that exists; `--measure` opens one a
//! first run filled with the same ENTRIES (an older linkpost's store is
//! migrated on open) and only measures.
//!
//! The data is deterministic, entry `i` a pure function of `i`: 1,000 feeds
//! (`example-blog-123`; runs of 10 consecutive entries, feed after feed, as
//! polls hand them to the writer), one entry every 90
//! seconds from 2023 on, URLs like
//! `https://blog.example-123.com/2026/11/some-post-title-words-4567/` (70-90
//! characters), guids a third each the URL, a `tag:` URI or a UUID, titles of
//! 40-80 characters and linkpost's file names. 95% are claimed and marked as
//! the writer does (batches of 500: journal, `find_seen`, a free file name,
//! `claim` in one transaction, then `mark_written_many`), 90% of them
//! drafts; 5% are recorded as skipped (`record_unwritten`, as beyond
//! `backfill` on a first poll). The claims' transactions are synced only
//! with `--durable` (the writer's default, `durable_writes = true`): the
//! file comes out the same, and 2,000 syncs can take minutes on a slow disk.
//!
//! Classify: REPS times (default 300), [`classify`] of one feed's document
//! in one [`Store::batch`] as `Refresher::classify_entries` runs it, on a
//! later poll: the feed's 15 newest stored entries and 5 new ones (`seen`),
//! or 20 new ones (`new`). Each repetition takes another feed, and nothing is
//! recorded (seen entries' names are known already; new entries are left to
//! the writer), so each finds the store as the last did. The full and the
//! empty store take turns, so other work on the machine slows both alike.
//! Medians, in microseconds, after a warm-up. The "empty" store is a new
//! store holding only the 15 entries per repetition that its `seen`
//! documents have seen.
//!
//! Last line, for scripts: `entries=… bytes=… bytes_per_entry=… fill_s=…
//! classify_empty_us=… classify_full_us=… classify_new_empty_us=…
//! classify_new_full_us=…` (`fill_s` is 0 with `--measure`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use linkpost::canon::PostUrls;
use linkpost::feed::FeedItem;
use linkpost::post::file_name::{alternative_name, file_name, slugify};
use linkpost::refresh::classify;
use linkpost::store::{EntryState, NewEntry, Store, StoreError};
use url::Url;

/// Feeds the entries are spread over.
const FEEDS: u64 = 1_000;
/// Consecutive entries of one feed, as a poll hands them to the writer
/// together: a batch holds the posts of 50 feeds.
const RUN: u64 = 10;
/// Entries per transaction, as the writer's batches (at most 512).
const BATCH: u64 = 500;
/// Unix time of entry 0: 2023-01-01.
const START: i64 = 1_672_531_200;
/// Seconds between two entries: 1,000,000 entries span about three years.
const SPACING: i64 = 90;
/// Stored entries in each measured document, and new ones.
const SEEN: u64 = 15;
const NEW: u64 = 5;

const WORDS: &[&str] = &[
    "about",
    "after",
    "again",
    "against",
    "almost",
    "always",
    "another",
    "answer",
    "around",
    "because",
    "before",
    "better",
    "between",
    "build",
    "called",
    "change",
    "city",
    "close",
    "company",
    "could",
    "country",
    "data",
    "design",
    "different",
    "during",
    "early",
    "every",
    "example",
    "family",
    "first",
    "follow",
    "found",
    "future",
    "game",
    "government",
    "great",
    "group",
    "health",
    "history",
    "house",
    "important",
    "inside",
    "island",
    "journey",
    "kitchen",
    "language",
    "large",
    "later",
    "learn",
    "letter",
    "light",
    "little",
    "local",
    "market",
    "might",
    "money",
    "morning",
    "mountain",
    "music",
    "network",
    "never",
    "night",
    "number",
    "often",
    "open",
    "order",
    "other",
    "paper",
    "people",
    "picture",
    "place",
    "plant",
    "point",
    "policy",
    "power",
    "problem",
    "program",
    "public",
    "question",
    "quick",
    "really",
    "reason",
    "report",
    "river",
    "school",
    "science",
    "season",
    "second",
    "several",
    "should",
    "small",
    "social",
    "something",
    "sound",
    "space",
    "spring",
    "started",
    "state",
    "still",
    "story",
    "street",
    "study",
    "summer",
    "system",
    "table",
    "thing",
    "think",
    "through",
    "today",
    "together",
    "travel",
    "under",
    "until",
    "very",
    "video",
    "water",
    "weather",
    "while",
    "winter",
    "without",
    "woman",
    "world",
    "would",
    "write",
    "young",
    "rust",
    "database",
    "release",
    "update",
    "review",
    "guide",
    "notes",
    "week",
    "year",
    "photo",
    "recipe",
];

/// splitmix64: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn for_entry(i: u64) -> Rng {
        Rng(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED_0000_0000_0013)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
}

/// What a feed says of entry `i` and what linkpost makes of it.
struct Generated {
    feed: String,
    link: Url,
    urls: PostUrls,
    guid: String,
    title: String,
    file: String,
    published: DateTime<Utc>,
    /// Written with `draft: false`.
    approved: bool,
    /// Recorded as skipped, not written.
    skipped: bool,
}

fn generate(i: u64) -> Generated {
    let mut rng = Rng::for_entry(i);
    let feed = feed_of(i);
    let published = DateTime::from_timestamp(START + i as i64 * SPACING, 0)
        .expect("a time within chrono's range");
    let base = format!(
        "https://blog.example-{feed}.com/{}/",
        published.format("%Y/%m")
    );
    let suffix = format!("-{i}/");
    let target = rng.range(70, 90) as usize;
    let mut slug = rng.word().to_string();
    while base.len() + slug.len() + suffix.len() < target {
        slug.push('-');
        slug.push_str(rng.word());
    }
    let link = Url::parse(&format!("{base}{slug}{suffix}")).expect("a generated URL parses");
    let guid = match rng.next() % 3 {
        0 => link.to_string(),
        1 => format!(
            "tag:blog.example-{feed}.com,{}:/posts/{i}",
            published.format("%Y-%m-%d")
        ),
        _ => {
            let (a, b) = (rng.next(), rng.next());
            format!(
                "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xffff,
                a & 0xfff,
                0x8000 | (b >> 48) & 0x3fff,
                b & 0xffff_ffff_ffff
            )
        }
    };
    let target = rng.range(40, 80) as usize;
    let mut title = String::new();
    while title.len() < target {
        let word = rng.word();
        if title.is_empty() {
            let mut chars = word.chars();
            title.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            title.push_str(chars.as_str());
        } else {
            title.push(' ');
            title.push_str(word);
        }
    }
    let file = file_name(&published.fixed_offset(), &slugify(&title));
    let kind = rng.next() % 100;
    Generated {
        feed: format!("example-blog-{feed}"),
        urls: PostUrls::new(&link),
        link,
        guid,
        title,
        file,
        published,
        approved: (5..15).contains(&kind),
        skipped: kind < 5,
    }
}

/// A rendered post of about a kilobyte, for the writer's journal.
fn rendered(entry: &Generated) -> String {
    let mut post = format!(
        "---\ntitle: \"{}\"\ndate: \"{}\"\nexternal_url: \"{}\"\ndraft: true\n---\n\n",
        entry.title,
        entry.published.to_rfc3339(),
        entry.urls.external()
    );
    while post.len() < 1_000 {
        post.push_str("Some words of the entry's summary, as the feed gave them. ");
    }
    post.push('\n');
    post
}

/// Stores entries `indexes` as the writer and a first poll's classify do:
/// in transactions of [`BATCH`].
fn fill(store: &mut Store, indexes: &[u64], durable: bool) -> Result<(), StoreError> {
    for chunk in indexes.chunks(BATCH as usize) {
        let entries: Vec<Generated> = chunk.iter().map(|&i| generate(i)).collect();
        let (skipped, written): (Vec<&Generated>, Vec<&Generated>) =
            entries.iter().partition(|e| e.skipped);
        store.batch(false, |s| {
            for e in &skipped {
                s.record_unwritten(&new_entry(e), EntryState::Skipped)?;
            }
            Ok(())
        })?;
        if written.is_empty() {
            continue;
        }
        let contents: Vec<String> = written.iter().map(|e| rendered(e)).collect();
        let (journal, ids) = store.batch(durable, |s| {
            let journal = s.journal_batch(
                written
                    .iter()
                    .zip(&contents)
                    .map(|(e, c)| (e.urls.external(), c.as_str())),
            )?;
            let mut ids = Vec::with_capacity(written.len());
            for e in &written {
                // As the writer claims: first, and a refused post's names
                // recorded under the entry that holds one.
                let file = free_name(s, &e.file)?;
                let state = if e.approved {
                    EntryState::Approved
                } else {
                    EntryState::Draft
                };
                match s.claim(&new_entry(e), &file, None, state)? {
                    Some(id) => ids.push(id),
                    None => {
                        s.find_seen_and_alias(&e.feed, Some(e.guid.as_str()), &e.urls)?;
                    }
                }
            }
            Ok((journal, ids))
        })?;
        let now = entries.last().map_or(START, |e| e.published.timestamp());
        store.mark_written_many(&ids, now, Some(journal))?;
    }
    Ok(())
}

fn new_entry(e: &Generated) -> NewEntry<'_> {
    NewEntry {
        feed: &e.feed,
        guid: Some(&e.guid),
        urls: &e.urls,
        title: &e.title,
        now: e.published.timestamp(),
    }
}

/// The writer's choice of name: the first of `base`, `base-2`… no entry holds.
fn free_name(store: &Store, base: &str) -> Result<String, StoreError> {
    let mut name = base.to_string();
    let mut attempt = 2;
    while store.is_file_reserved(&name)? {
        name = alternative_name(base, attempt);
        attempt += 1;
    }
    Ok(name)
}

/// The newest [`SEEN`] stored entries of feed `feed` in a store of `entries`.
fn seen_of(feed: u64, entries: u64) -> Vec<u64> {
    (0..=entries / (FEEDS * RUN))
        .rev()
        .flat_map(|k| of_run(feed, k).rev())
        .filter(|&i| i < entries)
        .take(SEEN as usize)
        .collect()
}

/// `count` entries of feed `feed` that no store of `entries` holds.
fn new_of(feed: u64, entries: u64, count: u64) -> Vec<u64> {
    (entries / (FEEDS * RUN) + 1..)
        .flat_map(|k| of_run(feed, k))
        .take(count as usize)
        .collect()
}

/// The feed of entry `i`: runs of [`RUN`] entries, feed after feed.
fn feed_of(i: u64) -> u64 {
    i / RUN % FEEDS
}

/// The entries of `feed`'s `k`-th run.
fn of_run(feed: u64, k: u64) -> std::ops::Range<u64> {
    let start = (k * FEEDS + feed) * RUN;
    start..start + RUN
}

fn item(i: u64) -> FeedItem {
    let e = generate(i);
    FeedItem {
        guid: Some(e.guid),
        link: Some(e.link),
        title: Some(e.title),
        published: Some(e.published),
        ..FeedItem::default()
    }
}

/// Classifies feed `rep % FEEDS`'s document in `store` of `entries`, as
/// `Refresher::classify_entries` does, and returns how long it took, in
/// microseconds: its [`SEEN`] newest entries and [`NEW`] new ones (`seen`),
/// or [`SEEN`] + [`NEW`] new ones.
fn classify_once(store: &mut Store, entries: u64, rep: u64, seen: bool) -> Result<f64, StoreError> {
    let now = DateTime::from_timestamp(START + entries as i64 * SPACING, 0)
        .expect("a time within chrono's range");
    let feed = rep % FEEDS;
    let (old, new) = if seen {
        (seen_of(feed, entries), new_of(feed, entries, NEW))
    } else {
        (Vec::new(), new_of(feed, entries, SEEN + NEW))
    };
    // Newest first, as a feed lists them.
    let items: Vec<FeedItem> = new.iter().rev().chain(&old).map(|&i| item(i)).collect();
    let name = format!("example-blog-{feed}");
    let started = Instant::now();
    let no_filter = linkpost::filter::EntryFilter::default();
    let rules = linkpost::refresh::FeedRules {
        name: &name,
        backfill: 10,
        filter: &no_filter,
    };
    let classified = store.batch(false, |s| classify(s, rules, items, false, now))?;
    let elapsed = started.elapsed().as_secs_f64() * 1e6;
    assert_eq!(
        (classified.seen, classified.candidates.len()),
        (old.len(), new.len()),
        "feed {name}: what the store has seen"
    );
    Ok(elapsed)
}

/// Median classify times in `full` and `empty`, in microseconds, for
/// documents with seen entries and for all-new ones. The stores take turns
/// on each repetition, so a machine busy with other work slows both alike.
fn classify_medians(
    full: &mut Store,
    empty: &mut Store,
    entries: u64,
    reps: u64,
) -> Result<[f64; 4], StoreError> {
    // Warm-up: a daemon that has run a while.
    for rep in 0..reps.min(FEEDS) {
        classify_once(full, entries, rep, true)?;
        classify_once(empty, entries, rep, true)?;
    }
    let mut times: [Vec<f64>; 4] = Default::default();
    for rep in 0..reps {
        for (i, seen) in [true, false].into_iter().enumerate() {
            times[2 * i].push(classify_once(full, entries, rep, seen)?);
            times[2 * i + 1].push(classify_once(empty, entries, rep, seen)?);
        }
    }
    Ok(times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    }))
}

/// The database's size once its WAL is checkpointed, with what is left of
/// the WAL.
fn size_on_disk(path: &Path) -> Result<u64, Box<dyn std::error::Error>> {
    let conn = rusqlite::Connection::open(path)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    drop(conn);
    let mut bytes = std::fs::metadata(path)?.len();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(meta) = std::fs::metadata(PathBuf::from(wal)) {
        bytes += meta.len();
    }
    Ok(bytes)
}

fn usage() -> ! {
    eprintln!("usage: store_fill [--measure] [--durable] DB_PATH ENTRIES [REPS]");
    std::process::exit(2)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut flag = |name: &str| {
        let found = args.iter().position(|a| a == name);
        found.map(|i| args.remove(i)).is_some()
    };
    let measure_only = flag("--measure");
    let durable = flag("--durable");
    let (Some(path), Some(entries)) = (args.first(), args.get(1)) else {
        usage()
    };
    let path = PathBuf::from(path);
    let Ok(entries) = entries.parse::<u64>() else {
        usage()
    };
    let reps = match args.get(2).map(|r| r.parse::<u64>()) {
        None => 300,
        Some(Ok(r)) if r > 0 => r,
        Some(_) => usage(),
    };
    if measure_only != path.exists() {
        let hint = if measure_only {
            "does not exist; fill it first"
        } else {
            "exists; remove it or pass --measure"
        };
        eprintln!("{} {hint}", path.display());
        std::process::exit(2);
    }

    let mut fill_s = 0.0;
    if !measure_only {
        let mut store = Store::open(&path)?;
        let started = Instant::now();
        let all: Vec<u64> = (0..entries).collect();
        for part in all.chunks(100_000) {
            fill(&mut store, part, durable)?;
            eprintln!(
                "filled {} entries in {:.1} s",
                part.last().map_or(0, |i| i + 1),
                started.elapsed().as_secs_f64()
            );
        }
        fill_s = started.elapsed().as_secs_f64();
    } else {
        // Opening migrates an older store; how long that takes is news too.
        let started = Instant::now();
        drop(Store::open(&path)?);
        eprintln!("opened in {:.1} s", started.elapsed().as_secs_f64());
    }
    let bytes = size_on_disk(&path)?;
    let per_entry = bytes as f64 / entries.max(1) as f64;
    eprintln!("{bytes} bytes on disk, {per_entry:.1} per entry");

    let mut full = Store::open(&path)?;
    let dir = tempfile::tempdir()?;
    let mut empty = Store::open(&dir.path().join("empty.db"))?;
    let mut held: Vec<u64> = (0..reps.min(FEEDS))
        .flat_map(|f| seen_of(f, entries))
        .collect();
    held.sort_unstable();
    fill(&mut empty, &held, false)?;
    // The file system's write-back of what was filled would slow the
    // measurements; it is done first.
    rustix::fs::sync();
    let [full_seen, empty_seen, full_new, empty_new] =
        classify_medians(&mut full, &mut empty, entries, reps)?;
    eprintln!(
        "classify 15 seen + 5 new: {empty_seen:.0} µs empty ({} entries), {full_seen:.0} µs full ({:.2}×); 20 new: {empty_new:.0} µs, {full_new:.0} µs ({:.2}×)",
        held.len(),
        full_seen / empty_seen,
        full_new / empty_new
    );
    println!(
        "entries={entries} bytes={bytes} bytes_per_entry={per_entry:.1} fill_s={fill_s:.1} classify_empty_us={empty_seen:.0} classify_full_us={full_seen:.0} classify_new_empty_us={empty_new:.0} classify_new_full_us={full_new:.0}"
    );
    Ok(())
}
