//! Hostile feed content through the whole pipeline: titles and summaries
//! built to break YAML or escape the output folder, in a JSON Feed (which,
//! unlike XML, can carry NUL and every control character). Every file must
//! land inside the output folder under a plain name, and read back through a
//! real YAML parser to what linkpost extracted.

mod common;

use common::{TestDir, get, linkpost, read_post};
use linkpost::extract::collapse_whitespace;

fn hostile_titles() -> Vec<String> {
    vec![
        "---\ntitle: injected\n---".to_string(),
        "key: value # not a comment".to_string(),
        "- leading dash".to_string(),
        "? question".to_string(),
        "*alias and &anchor !tag %directive @at `tick`".to_string(),
        "'single' \"double\" \\backslash\\".to_string(),
        "true".to_string(),
        "null".to_string(),
        "0x1F".to_string(),
        "1e3".to_string(),
        "nul\u{0}byte and bell\u{7} and escape\u{1b}[31m".to_string(),
        "bidi \u{202e}txt.exe\u{202c} override".to_string(),
        "tabs\tand\r\ncarriage returns".to_string(),
        "../../../etc/passwd".to_string(),
        "/etc/shadow".to_string(),
        "CON".to_string(),
        "NUL.txt".to_string(),
        "..".to_string(),
        ".hidden".to_string(),
        "emoji 🚀 and 日本語 and עברית".to_string(),
        format!("long {}", "a very long title ".repeat(6000)),
    ]
}

#[test]
fn hostile_titles_and_summaries_stay_inside_the_folder_and_read_back() {
    let titles = hostile_titles();
    let items: Vec<serde_json::Value> = titles
        .iter()
        .enumerate()
        .map(|(i, title)| {
            serde_json::json!({
                "id": format!("id-{i}"),
                // Traversal attempts in the URL path too.
                "url": format!("https://example.com/../../{i}/%2e%2e%2f{i}/"),
                "title": title,
                "content_text": format!("{title} — summary {i}.\n---\nnot: yaml"),
                "date_published": "2025-09-09T13:21:00+00:00",
            })
        })
        .collect();
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Hostile",
        "items": items,
    });
    let dir = TestDir::new(
        "[[feed]]\nname = \"Hostile: \\\"quoted\\\" --- #\"\nurl = \"file:hostile.json\"\n\
         tags = [\"- dash\", \"a: b\", \"#hash\"]\nbackfill = 100\nfetch_article = false\n",
    );
    std::fs::write(dir.dir.path().join("hostile.json"), feed.to_string()).expect("write feed");
    let (code, _, stderr) =
        linkpost(&["poll", "--config", &dir.config_path().display().to_string()]);
    assert_eq!(code, 0, "{stderr}");

    let output = std::fs::canonicalize(dir.output_dir()).expect("output dir");
    let posts = dir.posts();
    assert_eq!(posts.len(), titles.len(), "one post per entry");
    let mut read_titles = Vec::new();
    for path in &posts {
        let real = std::fs::canonicalize(path).expect("canonical");
        assert_eq!(
            real.parent(),
            Some(output.as_path()),
            "{path:?} inside the folder"
        );
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let stem = name.strip_suffix(".md").expect(".md");
        assert!(
            stem.len() <= 11 + 80 + 4
                && stem.starts_with("2025-09-09-")
                && stem[11..]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "plain name: {name}"
        );
        let text = std::fs::read_to_string(path).expect("read");
        let (pairs, body) = read_post(&text);
        assert_eq!(get(&pairs, "source").as_str(), "Hostile: \"quoted\" --- #");
        assert_eq!(get(&pairs, "draft"), &common::Value::Bool(true));
        let url = get(&pairs, "external_url").as_str();
        assert!(url.starts_with("https://example.com/"), "{url}");
        assert!(body.contains(url), "the body links the article");
        read_titles.push(get(&pairs, "title").as_str().to_string());
    }
    read_titles.sort();
    let mut want: Vec<String> = titles.iter().map(|t| collapse_whitespace(t)).collect();
    want.sort();
    assert_eq!(read_titles, want, "every title reads back as extracted");
    // The bidi override survives as text; the 100 KB title is whole.
    assert!(read_titles.iter().any(|t| t.contains('\u{202e}')));
    assert!(read_titles.iter().any(|t| t.len() > 100_000));
}
