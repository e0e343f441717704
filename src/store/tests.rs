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
    conn.execute_batch(MIGRATIONS[0]).expect("schema 1");
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
