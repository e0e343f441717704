//! Real feeds, read as other feed readers read them: a microblog whose items
//! are fragments of day pages, RSS 0.90, Atom links inside RSS items, and
//! documents that bend their format's rules (JSON Feed slips). Polled by the
//! real binary from `file:` URLs (issue 12).

mod common;

use common::{TestDir, get, linkpost, read_post};

fn feed_file(name: &str) -> String {
    let path = common::fixtures().join("feeds").join(name);
    url::Url::from_file_path(&path)
        .expect("absolute path")
        .to_string()
}

fn poll_one(name: &str, url: &str) -> (TestDir, Vec<(String, String)>) {
    let dir = TestDir::new(&format!(
        "[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\nbackfill = 100\nfetch_article = false\n"
    ));
    let config = dir.config_path().display().to_string();
    let (code, _, stderr) = linkpost(&["poll", "--config", &config]);
    assert_eq!(code, 0, "{stderr}");
    let posts = dir
        .posts()
        .iter()
        .map(|p| {
            let (pairs, _) = read_post(&std::fs::read_to_string(p).expect("post"));
            (
                get(&pairs, "external_url").as_str().to_string(),
                get(&pairs, "title").as_str().to_string(),
            )
        })
        .collect();
    (dir, posts)
}

#[test]
fn a_microblog_gets_one_post_per_distinct_item() {
    // scripting.com: 50 items, anchors in day pages; two repeat another
    // item's link and guid, so 48 posts. Most items have no <title>.
    let (_dir, posts) = poll_one("Scripting News", &feed_file("scripting-news.rss"));
    assert_eq!(posts.len(), 48);
    let mut urls: Vec<&str> = posts.iter().map(|(u, _)| u.as_str()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 48, "each post its own URL");
    assert!(
        urls.iter().all(|u| u.contains(".html#a")),
        "the fragment is kept: {urls:?}"
    );
    for (url, title) in &posts {
        assert!(
            !title.starts_with("http"),
            "{url} is titled by its text: {title}"
        );
    }
}

#[test]
fn an_rss_090_feed_and_atom_links_in_rss_items_are_posted() {
    let (_dir, heise) = poll_one("heise", &feed_file("heise-rss090.xml"));
    assert_eq!(heise.len(), 60, "heise's RSS 0.90 feed");
    let (_dir, a10) = poll_one("a10", &feed_file("a10-links.xml"));
    let mut urls: Vec<&str> = a10.iter().map(|(u, _)| u.as_str()).collect();
    urls.sort();
    assert_eq!(
        urls,
        [
            "http://www.example.com/1",
            "http://www.example.com/2",
            "http://www.example.com/3",
            "http://www.example.com/4",
            "http://www.example.com/5",
        ]
    );
}

#[test]
fn json_feeds_with_spec_slips_are_posted() {
    // regression: #12. feed-rs refused both: rose.json's `tags` is a string,
    // pxlnv.json's version URL is http:.
    let (_dir, rose) = poll_one("Rosemary Orchard", &feed_file("rose.json"));
    assert_eq!(rose.len(), 84);
    assert!(
        rose.iter().any(|(url, title)| url
            == "https://www.rosemaryorchard.com/blog/workflow-add-task-sub-tasks-to-omnifocus"
            && title == "Workflow: Add Task & Sub Tasks To OmniFocus"),
        "{rose:?}"
    );
    let (_dir, pxlnv) = poll_one("Pixel Envy", &feed_file("pxlnv.json"));
    assert_eq!(pxlnv.len(), 20);
    assert!(
        pxlnv.iter().any(
            |(url, title)| url == "https://pxlnv.com/linklog/uber-losses-2017/"
                && title == "Uber Lost $4.5 Billion in 2017"
        ),
        "{pxlnv:?}"
    );
}

#[test]
fn latin_1_feeds_without_a_declaration_are_read_as_windows_1252() {
    // regression: #12. Both were refused as invalid UTF-8.
    let (_dir, uol) = poll_one("UOL", &feed_file("uol-noticias-latin1.rss"));
    assert_eq!(uol.len(), 15);
    assert!(
        uol.iter().any(|(_, title)| title
            == "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno"),
        "{uol:?}"
    );
    let (_dir, psy) = poll_one("Le Cercle Psy", &feed_file("cercle-psy-latin1.xml"));
    assert!(
        psy.iter().any(|(url, title)| url
            == "https://le-cercle-psy.scienceshumaines.com/la-criminalite-liee-surtout-a-l-ennui_sh_39986"
            && title == "La criminalité liée surtout à... l'ennui ?"),
        "{psy:?}"
    );
    assert!(
        psy.iter().all(|(_, title)| !title.contains('\u{fffd}')),
        "{psy:?}"
    );
}

#[test]
fn an_atom_feed_inside_an_xhtml_page_is_posted() {
    // regression: #12. feed-rs found "no root element".
    let (_dir, posts) = poll_one("Avian's Blog", &feed_file("atom-in-xhtml-page.xml"));
    assert_eq!(posts.len(), 10);
    assert!(
        posts.iter().any(|(url, title)| url
            == "http://www.tablix.org/~avian/blog/archives/2014/07/down_time/"
            && title == "Down time"),
        "{posts:?}"
    );
}
