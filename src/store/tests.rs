//! The store's unit tests, on the production constructor.

use super::*;
use crate::canon::PostUrls;
use rusqlite::Connection;
use schema::MIGRATIONS;

fn urls(url: &str) -> PostUrls {
    PostUrls::new(&url::Url::parse(url).expect("url"))
}

fn entry<'a>(feed: &'a str, guid: Option<&'a str>, urls: &'a PostUrls) -> NewEntry<'a> {
    NewEntry {
        feed,
        guid,
        urls,
        title: "t",
        now: 1,
    }
}

#[test]
fn one_poller_per_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("state/linkpost.db");
    let lock = PollerLock::acquire(&db).expect("first");
    let err = PollerLock::acquire(&db).expect_err("second refused");
    let message = err.to_string();
    assert!(
        message.contains(&format!("(pid {})", std::process::id())),
        "{message}"
    );
    drop(lock);
    PollerLock::acquire(&db).expect("free again");
}

#[test]
fn migrates_from_empty_and_reopens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state/linkpost.db");
    let store = Store::open(&path).expect("open new");
    assert_eq!(store.schema_version().expect("version"), MIGRATIONS.len());
    drop(store);
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.schema_version().expect("version"), MIGRATIONS.len());
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let conn = Connection::open(&path).expect("open");
    conn.pragma_update(None, "user_version", 99)
        .expect("set version");
    drop(conn);
    let err = Store::open(&path).err().expect("refused");
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[test]
fn claim_is_unique_by_url_and_by_feed_guid() {
    let mut store = Store::open_in_memory().expect("store");
    let a = urls("https://e.com/a");
    let b = urls("https://e.com/b");
    let id = store
        .claim(
            &entry("F", Some("g1"), &a),
            "a.md",
            Some("post"),
            EntryState::Draft,
        )
        .expect("claim");
    assert!(id.is_some());
    assert_eq!(
        store
            .claim(
                &entry("G", None, &a),
                "a2.md",
                Some("post"),
                EntryState::Draft
            )
            .expect("claim"),
        None
    );
    assert_eq!(
        store
            .claim(
                &entry("F", Some("g1"), &b),
                "b.md",
                Some("post"),
                EntryState::Draft
            )
            .expect("claim"),
        None
    );
    assert!(
        store
            .claim(
                &entry("G", Some("g1"), &b),
                "b.md",
                Some("post"),
                EntryState::Draft
            )
            .expect("claim")
            .is_some(),
        "guids are per feed"
    );
    assert_eq!(
        store.find_seen("X", None, &b).expect("find"),
        store
            .find_seen("G", Some("g1"), &urls("https://e.com/none"))
            .expect("find")
    );
    assert!(
        !store.is_file_reserved("a2.md").expect("lookup"),
        "a refused claim reserves nothing"
    );
}

#[test]
fn migration_2_moves_the_final_state_out_of_pending_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(MIGRATIONS[0].sql).expect("schema 1");
    conn.execute(
        "INSERT INTO entries (feed, url, state, file, pending_content, first_seen)
         VALUES ('F', 'https://e.com/a', 'pending', 'a.md', 'approved\n---\ntitle: a\n', 1)",
        [],
    )
    .expect("v1 pending row");
    conn.pragma_update(None, "user_version", 1)
        .expect("version");
    drop(conn);
    let mut store = Store::open(&path).expect("migrate");
    let pending = store.pending().expect("pending");
    assert_eq!(pending[0].content.as_deref(), Some("---\ntitle: a\n"));
    assert_eq!(pending[0].final_state, EntryState::Approved);
    store.mark_written(pending[0].id, 2).expect("mark");
    assert_eq!(store.count_posts("F").expect("count").approved, 1);
}

#[test]
fn a_state_change_holds_until_committed() {
    let mut store = Store::open_in_memory().expect("store");
    let a = urls("https://e.com/a");
    let id = store
        .claim(
            &entry("F", None, &a),
            "a.md",
            Some("post"),
            EntryState::Draft,
        )
        .expect("claim")
        .expect("claimed");
    store.mark_written(id, 2).expect("mark");
    let change = store
        .change_state(
            id,
            EntryState::Draft,
            EntryState::Approved,
            Some("/p/a.md"),
            3,
        )
        .expect("change");
    drop(change);
    let post = store.post(id).expect("post").expect("exists");
    assert_eq!(post.state, EntryState::Draft, "dropping rolls back");
    assert_eq!(post.published_file, None);
    store
        .change_state(
            id,
            EntryState::Draft,
            EntryState::Approved,
            Some("/p/a.md"),
            3,
        )
        .expect("change")
        .commit()
        .expect("commit");
    let post = store
        .post_by_file("/p/a.md")
        .expect("post")
        .expect("exists");
    assert_eq!((post.id, post.state), (id, EntryState::Approved));
    assert!(matches!(
        store.change_state(id, EntryState::Draft, EntryState::Rejected, None, 4),
        Err(StoreError::StateChanged { .. })
    ));
    assert_eq!(store.posts(&[EntryState::Draft]).expect("posts"), vec![]);
    assert_eq!(
        store.posts(&[EntryState::Approved]).expect("posts").len(),
        1
    );
}

#[test]
fn pending_until_marked_written() {
    let mut store = Store::open_in_memory().expect("store");
    let a = urls("https://e.com/a");
    let id = store
        .claim(
            &entry("F", None, &a),
            "a.md",
            Some("line1\nline2"),
            EntryState::Approved,
        )
        .expect("claim")
        .expect("claimed");
    let pending = store.pending().expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].content.as_deref(), Some("line1\nline2"));
    assert_eq!(pending[0].final_state, EntryState::Approved);
    store.mark_written(id, 2).expect("mark");
    assert!(store.pending().expect("pending").is_empty());
    assert_eq!(store.count_posts("F").expect("count").approved, 1);
}

#[test]
fn a_batch_that_fails_or_panics_keeps_nothing_and_leaves_no_transaction_open() {
    let mut store = Store::open_in_memory().expect("store");
    let a = urls("https://e.com/a");
    let failed: Result<(), StoreError> = store.batch(true, |s| {
        s.record_unwritten(&entry("F", None, &a), EntryState::Skipped)?;
        Err(StoreError::StateChanged {
            id: 1,
            expected: EntryState::Draft,
        })
    });
    assert!(failed.is_err());
    assert!(store.conn.is_autocommit(), "rolled back");
    assert_eq!(store.find_seen("F", None, &a).expect("find"), None);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), StoreError> = store.batch(false, |s| {
            s.record_unwritten(&entry("F", None, &a), EntryState::Skipped)?;
            panic!("a bug inside a batch");
        });
    }));
    assert!(panicked.is_err(), "the panic goes on");
    assert!(store.conn.is_autocommit(), "rolled back");
    assert_eq!(store.find_seen("F", None, &a).expect("find"), None);

    let kept = store
        .batch(false, |s| {
            s.record_unwritten(&entry("F", None, &a), EntryState::Skipped)
        })
        .expect("batch");
    assert!(kept.is_some());
    assert_eq!(store.find_seen("F", None, &a).expect("find"), kept);
}

#[test]
fn a_claim_that_fails_half_way_fails_its_whole_batch() {
    let mut store = Store::open_in_memory().expect("store");
    let (a, b, c) = (
        urls("https://e.com/a"),
        urls("https://e.com/b"),
        urls("https://e.com/c"),
    );
    // The second claim's names cannot be stored: its entry row is written,
    // then its keys fail, as a full disk or a broken index would.
    store
        .conn
        .execute_batch(
            "CREATE TEMP TRIGGER keys_fail BEFORE INSERT ON main.entry_keys
             WHEN (SELECT count(*) FROM main.entries) >= 2
             BEGIN SELECT RAISE(ABORT, 'no room for keys'); END;",
        )
        .expect("trigger");
    let mut answers = Vec::new();
    let result = store.batch(false, |s| {
        for u in [&a, &b] {
            answers.push(s.claim(&entry("F", None, u), "f.md", None, EntryState::Draft));
        }
        // A caller that goes on after a failed step still loses the batch.
        Ok(())
    });
    assert!(
        answers[0].as_ref().is_ok_and(Option::is_some),
        "{answers:?}"
    );
    assert!(answers[1].is_err(), "{answers:?}");
    match result {
        Err(StoreError::BatchStepFailed(cause)) => {
            assert!(cause.contains("no room for keys"), "{cause}");
        }
        other => panic!("the batch must fail: {other:?}"),
    }
    assert!(store.conn.is_autocommit(), "rolled back");
    let entries: i64 = store
        .conn
        .query_row("SELECT count(*) FROM entries", [], |row| row.get(0))
        .expect("count");
    assert_eq!(
        entries, 0,
        "neither the whole claim nor the half one is kept"
    );

    // A refused claim writes nothing and the batch goes on.
    store
        .conn
        .execute_batch("DROP TRIGGER temp.keys_fail")
        .expect("drop");
    let claimed = store
        .batch(false, |s| {
            let first = s.claim(&entry("F", None, &c), "c.md", None, EntryState::Draft)?;
            let again = s.claim(&entry("G", None, &c), "c-2.md", None, EntryState::Draft)?;
            Ok((first, again))
        })
        .expect("batch");
    assert!(claimed.0.is_some());
    assert_eq!(claimed.1, None, "seen already");
    assert_eq!(store.find_seen("F", None, &c).expect("find"), claimed.0);
}

#[test]
fn errors_print_their_cause_once() {
    use std::error::Error as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let errors = [
        StoreError::Open {
            path: dir.path().join("db"),
            cause: rusqlite::Error::InvalidQuery,
        },
        StoreError::Lock {
            path: dir.path().join("db.lock"),
            cause: std::io::Error::other("disk on fire"),
        },
        StoreError::from(rusqlite::Error::InvalidQuery),
    ];
    let query = rusqlite::Error::InvalidQuery.to_string();
    for (err, cause) in errors.into_iter().zip([&query, "disk on fire", &query]) {
        let message = err.to_string();
        assert_eq!(
            message.matches(cause).count(),
            1,
            "{message}: the cause once"
        );
        assert!(
            err.source().is_none(),
            "{err}: the cause is in the message only"
        );
    }
}

#[test]
fn a_batch_whose_transaction_sqlite_ended_writes_nothing_more() {
    let mut store = Store::open_in_memory().expect("store");
    let (a, b) = (urls("https://e.com/a"), urls("https://e.com/b"));
    let result = store.batch(false, |s| {
        s.record_unwritten(&entry("F", None, &a), EntryState::Skipped)?;
        // What SQLite does on its own after a full disk or an I/O error.
        s.conn.execute_batch("ROLLBACK")?;
        s.record_unwritten(&entry("F", None, &b), EntryState::Skipped)
    });
    assert!(
        matches!(result, Err(StoreError::TransactionLost)),
        "{result:?}"
    );
    assert!(store.conn.is_autocommit());
    assert_eq!(store.find_seen("F", None, &a).expect("find"), None);
    assert_eq!(
        store.find_seen("F", None, &b).expect("find"),
        None,
        "not written in a transaction of its own"
    );
}

#[test]
fn a_released_claim_is_new_again() {
    let mut store = Store::open_in_memory().expect("store");
    let a = urls("https://e.com/a");
    let id = store
        .claim(&entry("F", Some("g1"), &a), "a.md", None, EntryState::Draft)
        .expect("claim")
        .expect("claimed");
    store.release(id).expect("release");
    assert!(store.pending().expect("pending").is_empty());
    assert_eq!(store.find_seen("F", Some("g1"), &a).expect("find"), None);
    assert!(!store.is_file_reserved("a.md").expect("lookup"));
    let again = store
        .claim(&entry("F", Some("g1"), &a), "a.md", None, EntryState::Draft)
        .expect("claim again");
    assert!(again.is_some(), "its URL and guid are free again");
}

/// A store as version 3 left it: written posts in each review state, a
/// skipped entry, a pending claim, aliases (a second URL, another feed's
/// guid for a post) and a URL without an authority.
fn version_3_store(path: &std::path::Path) {
    let conn = Connection::open(path).expect("open");
    for migration in &MIGRATIONS[..3] {
        conn.execute_batch(migration.sql).expect("schema 1 to 3");
    }
    conn.execute_batch(
        "INSERT INTO feeds (name, url, first_poll_done) VALUES ('F', 'https://e.com/feed', 1);
        INSERT INTO entries (id, feed, url, guid, title, state, file, first_seen, written_at)
            VALUES (1, 'F', 'https://e.com/a', 'g1', 'Title A', 'draft', '2026-01-02-title-a.md', 10, 11);
        INSERT INTO entries (id, feed, url, guid, title, state, file, first_seen, written_at,
                published_file, reviewed_at)
            VALUES (2, 'F', 'https://e.com/b?p=2', NULL, 'Title B', 'approved', '2026-01-02-title-b.md',
                20, 21, '/pub/2026-01-02-title-b.md', 30);
        INSERT INTO entries (id, feed, url, guid, title, state, file, first_seen, written_at, reviewed_at)
            VALUES (3, 'G', 'https://other.org/c', 'tag:other.org,2026:c', 'Title C', 'rejected',
                '2026-01-02-title-b-2.md', 40, 41, 50);
        INSERT INTO entries (id, feed, url, guid, title, state, first_seen)
            VALUES (4, 'F', 'https://e.com/old', 'g4', 'Skipped', 'skipped', 60);
        INSERT INTO entries (id, feed, url, guid, title, state, file, pending_content, final_state,
                first_seen)
            VALUES (5, 'G', 'urn:x-pending', NULL, 'Pending', 'pending', 'p.md', 'post text', 'approved', 70);
        INSERT INTO entry_urls (url, entry_id) VALUES
            ('https://e.com/a', 1), ('https://e.com/a-amp', 1), ('https://e.com/b?p=2', 2),
            ('https://other.org/c', 3), ('https://e.com/old', 4), ('urn:x-pending', 5);
        INSERT INTO entry_guids (feed, guid, entry_id) VALUES
            ('F', 'g1', 1), ('G', 'tag:other.org,2026:c', 3), ('F', 'g4', 4), ('H', 'h-guid', 2);",
    )
    .expect("version 3 data");
    conn.pragma_update(None, "user_version", 3)
        .expect("version");
}

#[test]
fn migration_4_keeps_every_name_post_and_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    version_3_store(&path);
    let mut store = Store::open(&path).expect("migrate");
    assert_eq!(store.schema_version().expect("version"), MIGRATIONS.len());

    // Every name still dedupes, to its entry; guids only in their feed.
    let seen = |store: &Store, feed: &str, guid: Option<&str>, url: &str| {
        store.find_seen(feed, guid, &urls(url)).expect("find")
    };
    let none = "https://nowhere.example/";
    for (url, id) in [
        ("https://e.com/a", 1),
        ("https://e.com/a-amp", 1),
        ("https://e.com/b?p=2", 2),
        ("https://other.org/c", 3),
        ("https://e.com/old", 4),
    ] {
        assert_eq!(seen(&store, "X", None, url), Some(id), "{url}");
    }
    assert_eq!(
        store
            .find_seen(
                "X",
                None,
                &PostUrls::new(&url::Url::parse("urn:x-pending").expect("urn"))
            )
            .expect("find"),
        Some(5)
    );
    for (feed, guid, id) in [
        ("F", "g1", 1),
        ("G", "tag:other.org,2026:c", 3),
        ("F", "g4", 4),
        ("H", "h-guid", 2),
    ] {
        assert_eq!(
            seen(&store, feed, Some(guid), none),
            Some(id),
            "{feed} {guid}"
        );
        assert_eq!(
            seen(&store, "X", Some(guid), none),
            None,
            "{guid} in another feed"
        );
    }
    assert_eq!(
        store
            .claim(
                &entry("G", None, &urls("https://e.com/a-amp")),
                "n.md",
                None,
                EntryState::Draft
            )
            .expect("claim"),
        None,
        "an alias still refuses a claim"
    );

    // Review sees every post as it was.
    let post = |id| store.post(id).expect("post").expect("exists");
    assert_eq!(
        post(2),
        PostRecord {
            id: 2,
            feed: "F".into(),
            title: "Title B".into(),
            url: "https://e.com/b?p=2".into(),
            state: EntryState::Approved,
            file: "2026-01-02-title-b.md".into(),
            published_file: Some("/pub/2026-01-02-title-b.md".into()),
            first_seen: 20,
            reviewed_at: Some(30),
        }
    );
    assert_eq!(
        (post(1).title, post(1).url, post(1).state),
        (
            "Title A".to_string(),
            "https://e.com/a".to_string(),
            EntryState::Draft
        )
    );
    assert_eq!(
        (post(3).feed, post(3).state),
        ("G".to_string(), EntryState::Rejected)
    );
    assert_eq!(store.post(4).expect("post"), None, "skipped: never written");
    for file in ["2026-01-02-title-b.md", "/pub/2026-01-02-title-b.md"] {
        assert_eq!(
            store.post_by_file(file).expect("by file").map(|p| p.id),
            Some(2)
        );
    }
    assert_eq!(
        store
            .post_by_file("2026-01-02-title-b-2.md")
            .expect("by file")
            .map(|p| p.id),
        Some(3)
    );
    let drafts: Vec<i64> = store
        .posts(&[EntryState::Draft])
        .expect("posts")
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(drafts, vec![1]);
    let all: Vec<i64> = store
        .posts(&[
            EntryState::Draft,
            EntryState::Approved,
            EntryState::Rejected,
        ])
        .expect("posts")
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(all, vec![3, 2, 1], "newest first");
    for file in ["2026-01-02-title-a.md", "2026-01-02-title-b-2.md", "p.md"] {
        assert!(store.is_file_reserved(file).expect("reserved"), "{file}");
    }
    assert!(
        !store
            .is_file_reserved("2026-01-02-title-c.md")
            .expect("reserved")
    );
    assert_eq!(
        store.count_posts("F").expect("count"),
        PostCounts {
            drafts: 1,
            approved: 1,
            rejected: 0,
            missing: 0
        }
    );
    assert_eq!(store.count_posts("G").expect("count").rejected, 1);

    // The pending claim is finished as before, and counted once written.
    let pending = store.pending().expect("pending");
    assert_eq!(
        pending,
        vec![PendingPost {
            id: 5,
            file: "p.md".into(),
            url: "urn:x-pending".into(),
            content: Some("post text".into()),
            final_state: EntryState::Approved,
        }]
    );
    store.mark_written(5, 80).expect("mark");
    assert_eq!(store.count_posts("G").expect("count").approved, 1);

    // The old tables are gone, and the file kept no room for them.
    let tables: Vec<String> = store
        .conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names");
    assert_eq!(
        tables,
        [
            "entries",
            "entry_keys",
            "feed_names",
            "feeds",
            "origins",
            "pending_batches",
            "post_counts"
        ]
    );
    let free: i64 = store
        .conn
        .pragma_query_value(None, "freelist_count", |row| row.get(0))
        .expect("freelist");
    assert_eq!(free, 0, "compacted");
    let page_size: i64 = store
        .conn
        .pragma_query_value(None, "page_size", |row| row.get(0))
        .expect("page size");
    assert_eq!(page_size, PAGE_SIZE, "pages resized on the way");
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");
}

#[test]
fn post_counts_follow_every_change_of_state() {
    let mut store = Store::open_in_memory().expect("store");
    let ids: Vec<i64> = ["a", "b", "c"]
        .iter()
        .map(|name| {
            let u = urls(&format!("https://e.com/{name}"));
            store
                .claim(
                    &entry("F", None, &u),
                    &format!("{name}.md"),
                    None,
                    EntryState::Draft,
                )
                .expect("claim")
                .expect("claimed")
        })
        .collect();
    let skipped = urls("https://e.com/s");
    store
        .record_unwritten(&entry("F", None, &skipped), EntryState::Skipped)
        .expect("record");
    assert_eq!(
        store.count_posts("F").expect("count"),
        PostCounts::default(),
        "nothing written yet"
    );
    store.mark_written_many(&ids, 2, None).expect("mark");
    store
        .set_state(ids[0], EntryState::Draft, EntryState::Approved, None, 3)
        .expect("approve");
    store
        .set_state(ids[1], EntryState::Draft, EntryState::Rejected, None, 3)
        .expect("reject");
    drop(
        store
            .change_state(ids[2], EntryState::Draft, EntryState::Missing, None, 3)
            .expect("change"),
    );
    assert_eq!(
        store.count_posts("F").expect("count"),
        PostCounts {
            drafts: 1,
            approved: 1,
            rejected: 1,
            missing: 0
        },
        "a change rolled back counts nothing"
    );
    assert_eq!(
        store.count_posts("G").expect("count"),
        PostCounts::default()
    );
    // An update a test or a person makes by hand in SQL is counted too.
    store
        .conn
        .execute(
            "UPDATE entries SET state = 'pending', written_at = NULL WHERE id = ?1",
            [ids[2]],
        )
        .expect("update");
    assert_eq!(store.count_posts("F").expect("count").drafts, 0);
}

/// The lookups a poll, a claim, a recovery or a review makes at any store
/// size: each must search an index (a scan would make them grow with the
/// store), which SQLite uses only when a query says what the index holds.
#[test]
fn lookups_search_an_index() {
    let store = Store::open_in_memory().expect("store");
    let lookups = [
        (
            entries::ENTRY_BY_KEY.to_string(),
            "SEARCH entry_keys USING PRIMARY KEY",
        ),
        (
            entries::FILE_RESERVED.to_string(),
            "SEARCH entries USING INDEX entries_file (<expr>=? AND <expr>=?)",
        ),
        (
            review::post_sql(),
            "SEARCH entries USING INTEGER PRIMARY KEY",
        ),
        (
            review::post_by_file_sql(),
            "SEARCH entries USING INDEX entries_file (<expr>=? AND <expr>=?)",
        ),
        (
            review::post_by_file_sql(),
            "SEARCH entries USING INDEX entries_published_file",
        ),
        (
            review::COUNT_POSTS.to_string(),
            "SEARCH post_counts USING PRIMARY KEY",
        ),
        (
            review::COUNT_POSTS.to_string(),
            "SEARCH feed_names USING COVERING INDEX",
        ),
        (
            review::COUNT_FILTERED.to_string(),
            "SEARCH entries USING COVERING INDEX entries_filtered",
        ),
        // A partial index of pending entries only: its scan reads no others.
        (
            entries::pending_sql(),
            "SCAN entries USING INDEX entries_pending",
        ),
    ];
    for (sql, expected) in lookups {
        let mut explain = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("prepare");
        let params =
            rusqlite::params_from_iter(std::iter::repeat_n("x", explain.parameter_count()));
        let plan: Vec<String> = explain
            .query_map(params, |row| row.get(3))
            .expect("plan")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(
            plan.iter().any(|step| step.starts_with(expected)),
            "{sql}: {plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")) || sql.contains("'pending'"),
            "{sql}: {plan:?}"
        );
    }
}

#[test]
fn filtered_entries_are_counted_per_feed_and_seen_in_every_feed() {
    let mut store = Store::open_in_memory().expect("store");
    for (feed, url) in [
        ("F", "https://e.com/a"),
        ("F", "https://e.com/b"),
        ("G", "https://e.com/c"),
    ] {
        let u = urls(url);
        store
            .record_unwritten(&entry(feed, None, &u), EntryState::Filtered)
            .expect("record")
            .expect("new");
    }
    let skipped = urls("https://e.com/s");
    store
        .record_unwritten(&entry("F", None, &skipped), EntryState::Skipped)
        .expect("record");
    assert_eq!(store.count_filtered("F").expect("count"), 2);
    assert_eq!(store.count_filtered("G").expect("count"), 1);
    assert_eq!(store.count_filtered("H").expect("count"), 0);
    assert_eq!(
        store.count_posts("F").expect("count"),
        PostCounts::default(),
        "a filtered entry is no post"
    );
    let a = urls("https://e.com/a");
    assert!(
        store.find_seen("Other", None, &a).expect("find").is_some(),
        "another feed carrying the URL sees it"
    );
}

#[test]
fn version_4_gets_the_filtered_index_and_the_moved_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    drop(Store::open(&path).expect("open new"));
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(
        "DROP INDEX entries_filtered;
         ALTER TABLE feeds DROP COLUMN moved_to;
         ALTER TABLE feeds DROP COLUMN moved_since;
         ALTER TABLE feeds DROP COLUMN failing_since;
         ALTER TABLE feeds DROP COLUMN failing_notified;
         PRAGMA user_version = 4;",
    )
    .expect("back to version 4");
    drop(conn);
    let store = Store::open(&path).expect("migrate");
    assert_eq!(store.schema_version().expect("version"), MIGRATIONS.len());
    let index: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'entries_filtered'",
            [],
            |row| row.get(0),
        )
        .expect("query");
    assert_eq!(index, 1);
    let moved_columns: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info('feeds') WHERE name IN ('moved_to', 'moved_since')",
            [],
            |row| row.get(0),
        )
        .expect("query");
    assert_eq!(moved_columns, 2);
    let failing_columns: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info('feeds')
             WHERE name IN ('failing_since', 'failing_notified')",
            [],
            |row| row.get(0),
        )
        .expect("query");
    assert_eq!(failing_columns, 2, "version 7's columns");
}

/// A successful poll of feed `F` at `url` and `at` that saw `moved_to`.
fn poll_at(url: &str, at: i64, moved_to: Option<&str>) -> PollOutcome {
    PollOutcome {
        feed: "F".to_string(),
        url: url.to_string(),
        polled_at: at,
        next_due: at + 600,
        status: "ok: 0 new".to_string(),
        error: None,
        validators: None,
        disable: false,
        complete: true,
        moved_to: moved_to.map(str::to_string),
        failing_notified: false,
    }
}

#[test]
fn a_run_of_failures_keeps_its_start_and_notified_flag_until_a_success() {
    let mut store = Store::open_in_memory().expect("store");
    let fail = |at: i64, notified: bool| PollOutcome {
        error: Some("boom".to_string()),
        status: "error".to_string(),
        failing_notified: notified,
        ..poll_at("https://f.example/feed", at, None)
    };
    let state = |store: &Store| store.feed_state("F").expect("state").expect("row");
    store.record_poll(&fail(100, false)).expect("record");
    assert_eq!(state(&store).failing_since, Some(100));
    store.record_poll(&fail(200, true)).expect("record");
    store.record_poll(&fail(300, false)).expect("record");
    let s = state(&store);
    assert_eq!(
        (s.failing_since, s.failing_notified, s.consecutive_errors),
        (Some(100), true, 3)
    );
    store
        .record_poll(&poll_at("https://f.example/feed", 400, None))
        .expect("record");
    let s = state(&store);
    assert_eq!((s.failing_since, s.failing_notified), (None, false));
    store.record_poll(&fail(500, false)).expect("record");
    assert_eq!(state(&store).failing_since, Some(500), "a new run");
}

#[test]
fn a_permanent_redirect_on_every_poll_for_a_week_is_a_move() {
    const OLD: &str = "http://old.example/feed";
    const NEW: &str = "https://new.example/feed";
    const DAY: i64 = 86_400;
    let at = |secs: i64| chrono::DateTime::from_timestamp(secs, 0).expect("time");
    let moved_at = |store: &Store, url: &str, now: i64| {
        store
            .feed_state("F")
            .expect("state")
            .expect("polled")
            .moved(url, at(now))
    };
    let mut store = Store::open_in_memory().expect("store");
    let t0 = 1_700_000_000;
    // Polls that see the redirect keep the run's start.
    for day in 0..=7 {
        store
            .record_poll(&poll_at(OLD, t0 + day * DAY, Some(NEW)))
            .expect("record");
    }
    assert_eq!(
        moved_at(&store, OLD, t0 + 7 * DAY - 1),
        None,
        "not a week yet"
    );
    assert_eq!(
        moved_at(&store, OLD, t0 + 7 * DAY),
        Some(Moved {
            to: NEW.to_string(),
            since: at(t0)
        })
    );
    assert_eq!(
        moved_at(&store, NEW, t0 + 7 * DAY),
        None,
        "the config already has another URL"
    );

    // A poll without it (a 200, a temporary redirect or a failed fetch:
    // all record no target) ends the run; the next redirect starts anew.
    store
        .record_poll(&poll_at(OLD, t0 + 8 * DAY, None))
        .expect("record");
    assert_eq!(moved_at(&store, OLD, t0 + 30 * DAY), None);
    store
        .record_poll(&poll_at(OLD, t0 + 9 * DAY, Some(NEW)))
        .expect("record");
    assert_eq!(moved_at(&store, OLD, t0 + 15 * DAY), None);
    assert_eq!(
        moved_at(&store, OLD, t0 + 16 * DAY).map(|m| m.since),
        Some(at(t0 + 9 * DAY))
    );

    // Another target starts anew too.
    store
        .record_poll(&poll_at(
            OLD,
            t0 + 10 * DAY,
            Some("https://other.example/feed"),
        ))
        .expect("record");
    let state = store.feed_state("F").expect("state").expect("polled");
    assert_eq!(
        state.moved_to.as_deref(),
        Some("https://other.example/feed")
    );
    assert_eq!(state.moved_since, Some(t0 + 10 * DAY));

    // So does a new URL in the config, even redirecting to the same target.
    store
        .record_poll(&poll_at(
            "http://old.example/feed.xml",
            t0 + 11 * DAY,
            Some("https://other.example/feed"),
        ))
        .expect("record");
    let state = store.feed_state("F").expect("state").expect("polled");
    assert_eq!(state.moved_since, Some(t0 + 11 * DAY));
}

#[test]
fn a_seen_article_learns_its_free_names_and_no_other_entrys() {
    let mut store = Store::open_in_memory().expect("store");
    let url = |u: &str| url::Url::parse(u).expect("url");
    let claim = |store: &mut Store, feed, guid, urls: &PostUrls| {
        store
            .claim(&entry(feed, guid, urls), "x.md", None, EntryState::Draft)
            .expect("claim")
    };
    let a = claim(&mut store, "F", None, &urls("https://e.com/a")).expect("new");
    let b = claim(&mut store, "F", None, &urls("https://e.com/b")).expect("new");
    let seen =
        |store: &Store, feed, guid, u: &str| store.find_seen(feed, guid, &urls(u)).expect("find");
    let alias = |store: &mut Store, feed, guid, urls: &PostUrls| {
        store.find_seen_and_alias(feed, guid, urls).expect("seen")
    };

    // An article seen under one name: its other URL and its guid now name
    // its entry.
    let c_and_a = PostUrls::new(&url("https://e.com/c")).with_alias(&url("https://e.com/a"));
    assert_eq!(
        claim(&mut store, "G", Some("gc"), &c_and_a),
        None,
        "refused"
    );
    assert_eq!(
        seen(&store, "X", None, "https://e.com/c"),
        None,
        "a refused claim records nothing"
    );
    assert_eq!(alias(&mut store, "G", Some("gc"), &c_and_a), Some(a));
    assert_eq!(seen(&store, "X", None, "https://e.com/c"), Some(a));
    assert_eq!(
        seen(&store, "G", Some("gc"), "https://nowhere.example/"),
        Some(a)
    );

    // A lookup that finds the article: the free name goes to it, a name
    // another entry holds stays that entry's.
    let d_and_b = PostUrls::new(&url("https://e.com/d")).with_alias(&url("https://e.com/b"));
    assert_eq!(alias(&mut store, "F", None, &d_and_b), Some(b));
    assert_eq!(seen(&store, "X", None, "https://e.com/d"), Some(b));
    let d_and_a = PostUrls::new(&url("https://e.com/d")).with_alias(&url("https://e.com/a"));
    assert_eq!(alias(&mut store, "F", None, &d_and_a), Some(b));
    assert_eq!(seen(&store, "X", None, "https://e.com/a"), Some(a));
    let nothing = urls("https://e.com/new");
    assert_eq!(alias(&mut store, "F", None, &nothing), None);
    assert_eq!(
        seen(&store, "X", None, "https://e.com/new"),
        None,
        "an unseen name is not recorded"
    );
}
