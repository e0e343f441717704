//! Property tests: whatever a feed puts in a title or summary, the written
//! front matter reads back through a real YAML parser to the same values,
//! and the file lands inside the output folder.

mod common;

use chrono::DateTime;
use common::{Value, get, read_post};
use linkpost::output;
use linkpost::post::file_name;
use linkpost::post::{Post, render_post};
use proptest::prelude::*;
use url::Url;

/// Strings built to break YAML: indicators, quotes, document markers, line
/// breaks, control characters, bidi overrides, keywords and numbers, mixed
/// with arbitrary Unicode.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("'".to_string()),
        Just("\"".to_string()),
        Just(": ".to_string()),
        Just(" #".to_string()),
        Just("#".to_string()),
        Just("- ".to_string()),
        Just("? ".to_string()),
        Just("*a".to_string()),
        Just("&a".to_string()),
        Just("!tag".to_string()),
        Just("%YAML".to_string()),
        Just("@".to_string()),
        Just("`".to_string()),
        Just("|".to_string()),
        Just(">".to_string()),
        Just("{[".to_string()),
        Just("]}".to_string()),
        Just(",".to_string()),
        Just("---".to_string()),
        Just("\n---\n".to_string()),
        Just("...".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just(" ".to_string()),
        Just("\\".to_string()),
        Just("\0".to_string()),
        Just("\u{7}".to_string()),
        Just("\u{1b}[31m".to_string()),
        Just("\u{7f}".to_string()),
        Just("\u{85}".to_string()),
        Just("\u{a0}".to_string()),
        Just("\u{2028}".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{feff}".to_string()),
        Just("\u{fffe}".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just("0x1F".to_string()),
        Just("1e3".to_string()),
        Just(".inf".to_string()),
        Just("2025-09-09".to_string()),
        Just("🦀".to_string()),
        Just("שלום".to_string()),
        Just("../".to_string()),
        Just("/etc/passwd".to_string()),
        Just("CON".to_string()),
        "\\PC{0,8}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(pieces, 0..12).prop_map(|parts| parts.concat())
}

fn post(title: String, summary: String, tags: Vec<String>, path: String) -> Post {
    Post {
        title,
        date: DateTime::parse_from_rfc3339("2025-09-09T13:21:00+00:00").expect("valid date"),
        tags,
        source: "CNCF: 'blog' #1".to_string(),
        // Any path the url crate accepts; one it refuses falls back to the base.
        external_url: Url::parse(&format!("https://www.cncf.io/blog/{path}"))
            .or_else(|_| Url::parse("https://www.cncf.io/blog/"))
            .expect("valid url"),
        draft: true,
        tldr: summary.chars().take(50).collect(),
        summary,
        author: None,
        categories: Vec::new(),
    }
}

/// The TOML front matter of a `+++` file, through the `toml` crate, and the
/// body after it.
fn read_toml_post(text: &str) -> (toml::Table, String) {
    let inner = text.strip_prefix("+++\n").expect("starts with +++");
    let end = inner.find("\n+++\n").expect("closing +++");
    let table = toml::from_str(&inner[..=end]).expect("valid TOML");
    (table, inner[end + 5..].to_string())
}

fn toml_str<'a>(table: &'a toml::Table, key: &str) -> &'a str {
    table
        .get(key)
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("no {key}"))
}

fn toml_strings(table: &toml::Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(toml::Value::as_array)
        .unwrap_or_else(|| panic!("no {key}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn toml_and_zola_front_matter_read_back_unchanged_and_edit(
        title in hostile_text(),
        summary in hostile_text(),
        tags in proptest::collection::vec(hostile_text(), 0..3),
        new_title in hostile_text(),
    ) {
        use linkpost::post::front_matter::{self, NewValue};
        use linkpost::post::{Flavour, PostFormat};
        let post = post(title, summary, tags, "a".into());
        for flavour in [Flavour::Toml, Flavour::Zola] {
            let format = PostFormat { flavour, ..PostFormat::default() };
            let text = format.render(&post);
            let (table, body) = read_toml_post(&text);
            let (taxonomies, extra) = match flavour {
                Flavour::Zola => (
                    table.get("taxonomies").and_then(toml::Value::as_table).expect("taxonomies"),
                    table.get("extra").and_then(toml::Value::as_table).expect("extra"),
                ),
                _ => (&table, &table),
            };
            prop_assert_eq!(toml_str(&table, "title"), post.title.as_str());
            prop_assert_eq!(toml_strings(taxonomies, "tags"), post.tags.clone());
            prop_assert_eq!(toml_str(extra, "summary"), post.summary.as_str());
            prop_assert_eq!(toml_str(extra, "tldr"), post.tldr.as_str());
            prop_assert_eq!(toml_str(extra, "source"), post.source.as_str());
            prop_assert_eq!(toml_str(extra, "external_url"), post.external_url.as_str());
            prop_assert_eq!(table.get("draft").and_then(toml::Value::as_bool), Some(true));
            prop_assert!(body.starts_with("[Open the original post ↗]("), "{}", body);

            // Review: approve and edit through linkpost's reader, read back
            // through the toml crate.
            let fm = front_matter::read(&text).expect("front matter");
            let approved = front_matter::set_draft(&text, &fm, false);
            let (table, _) = read_toml_post(&approved);
            prop_assert_eq!(table.get("draft").and_then(toml::Value::as_bool), Some(false));
            let edited = front_matter::set_fields(&text, &fm, &[("title", NewValue::Text(new_title.clone()))]);
            let (table, _) = read_toml_post(&edited);
            prop_assert_eq!(toml_str(&table, "title"), new_title.as_str());
        }
    }

    #[test]
    fn front_matter_reads_back_unchanged(
        title in hostile_text(),
        summary in hostile_text(),
        tags in proptest::collection::vec(hostile_text(), 0..3),
        path in "[a-zA-Z0-9:/?&=%~._()'!$*,;@+\\[\\]-]{0,30}",
    ) {
        let post = post(title, summary, tags, path);
        let text = render_post(&post);
        let (pairs, body) = read_post(&text);
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        prop_assert_eq!(keys, ["title", "date", "tags", "source", "external_url", "post_kind", "draft", "tldr", "summary"]);
        prop_assert_eq!(get(&pairs, "title").as_str(), post.title.as_str());
        prop_assert_eq!(get(&pairs, "summary").as_str(), post.summary.as_str());
        prop_assert_eq!(get(&pairs, "tldr").as_str(), post.tldr.as_str());
        prop_assert_eq!(get(&pairs, "source").as_str(), post.source.as_str());
        prop_assert_eq!(get(&pairs, "external_url").as_str(), post.external_url.as_str());
        let tags: Vec<Value> = post.tags.iter().cloned().map(Value::Str).collect();
        prop_assert_eq!(get(&pairs, "tags"), &Value::List(tags));
        prop_assert_eq!(get(&pairs, "draft"), &Value::Bool(true));
        prop_assert!(body.starts_with("[Open the original post ↗]("), "{}", body);
    }

    #[test]
    fn post_files_land_inside_the_output_folder(title in hostile_text()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let post = post(title, String::new(), Vec::new(), String::new());
        let name = file_name::file_name(&post.date, &file_name::slugify(&post.title));
        prop_assert!(name.len() <= "2025-09-09-".len() + file_name::MAX_SLUG_LEN + ".md".len());
        let path = output::write_new(dir.path(), &name, &render_post(&post)).expect("write");
        let parent = path.parent().expect("has parent").canonicalize().expect("canonical");
        prop_assert_eq!(parent, dir.path().canonicalize().expect("canonical"));
        prop_assert!(path.is_file());
    }

    #[test]
    fn review_edits_read_back_and_leave_the_other_keys_alone(
        old_title in hostile_text(),
        old_summary in hostile_text(),
        title in hostile_text(),
        tldr in hostile_text(),
        tags in proptest::collection::vec(hostile_text(), 0..3),
    ) {
        use linkpost::post::front_matter::{self, NewValue};
        let post = post(old_title, old_summary, vec!["cncf".into()], "a".into());
        let text = render_post(&post);
        let fm = front_matter::read(&text).expect("front matter");
        let edited = front_matter::set_fields(&text, &fm, &[
            ("title", NewValue::Text(title.clone())),
            ("tags", NewValue::List(tags.clone())),
            ("tldr", NewValue::Text(tldr.clone())),
        ]);
        let (pairs, body) = read_post(&edited);
        prop_assert_eq!(get(&pairs, "title").as_str(), title.as_str());
        prop_assert_eq!(get(&pairs, "tldr").as_str(), tldr.as_str());
        let tags: Vec<Value> = tags.into_iter().map(Value::Str).collect();
        prop_assert_eq!(get(&pairs, "tags"), &Value::List(tags));
        prop_assert_eq!(get(&pairs, "summary").as_str(), post.summary.as_str());
        prop_assert_eq!(get(&pairs, "source").as_str(), post.source.as_str());
        prop_assert_eq!(get(&pairs, "draft"), &Value::Bool(true));
        prop_assert!(body.starts_with("[Open the original post ↗]("), "{}", body);
        // The lines of the keys not edited are byte for byte the same.
        let kept = |t: &str| -> String {
            let start = t.find("\nsource: ").expect("source");
            let end = t.find("\ntldr: ").expect("tldr");
            t[start..end].to_string()
        };
        prop_assert_eq!(kept(&edited), kept(&text));
        prop_assert!(edited.ends_with(&text[text.find("\nsummary: ").expect("summary")..]));
    }
}
