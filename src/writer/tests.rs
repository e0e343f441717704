//! The writer's own tests: what a batch does when the store fails inside it.

use std::sync::{Arc, Mutex};

use super::{PostToWrite, WriteError, Writer, Written, lock_shared};
use crate::canon::PostUrls;
use crate::metrics::Metrics;
use crate::store::Store;

fn post(slug: &str) -> PostToWrite {
    let url = url::Url::parse(&format!("https://e.com/{slug}")).expect("url");
    PostToWrite {
        feed: "F".into(),
        guid: Some(format!("guid-{slug}")),
        urls: PostUrls::new(&url),
        title: slug.into(),
        draft: true,
        content: format!("---\ntitle: '{slug}'\n---\n"),
        file_name: format!("2026-12-04-{slug}.md"),
        source: None,
        now: 1,
    }
}

#[tokio::test]
async fn a_claim_that_fails_half_way_fails_its_batch_and_the_next_poll_writes_every_post() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Mutex::new(Store::open_in_memory().expect("store")));
    // The second post's names cannot be stored, after its entry row is:
    // the first post's claim, whole, must not be kept either.
    lock_shared(&store)
        .execute_for_tests(
            "CREATE TEMP TRIGGER keys_fail BEFORE INSERT ON main.entry_keys
             WHEN (SELECT count(*) FROM main.entries) >= 2
             BEGIN SELECT RAISE(ABORT, 'no room for keys'); END;",
        )
        .expect("trigger");
    let writer = Writer::start(
        Arc::clone(&store),
        dir.path().to_path_buf(),
        false,
        false,
        Arc::new(Metrics::new()),
    )
    .expect("writer");
    let answers = writer
        .submit(vec![post("a"), post("b")])
        .await
        .expect("submit");
    for answer in writer.answers(answers).await {
        match answer {
            Some(Err(WriteError::Batch(message))) => {
                assert!(message.contains("no room for keys"), "{message}");
            }
            other => panic!("every post of the batch fails: {other:?}"),
        }
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("read").count(),
        0,
        "no file written"
    );
    assert!(
        lock_shared(&store).pending().expect("pending").is_empty(),
        "no claim kept"
    );

    // The next poll offers the same posts: each is written once.
    lock_shared(&store)
        .execute_for_tests("DROP TRIGGER temp.keys_fail")
        .expect("drop");
    let answers = writer
        .submit(vec![post("a"), post("b")])
        .await
        .expect("submit");
    let written: Vec<_> = writer.answers(answers).await;
    assert!(
        written
            .iter()
            .all(|w| matches!(w, Some(Ok(Written::New { .. })))),
        "{written:?}"
    );
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["2026-12-04-a.md", "2026-12-04-b.md"]);
}
