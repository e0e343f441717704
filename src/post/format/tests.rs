use super::*;

fn post(title: &str) -> Post {
    Post {
        title: title.to_string(),
        date: DateTime::parse_from_rfc3339("2025-11-10T16:00:00-05:00").expect("date"),
        tags: vec![
            "cncf".into(),
            "a \"quoted\" tag".into(),
            "línea\nnueva".into(),
        ],
        source: "CNCF \"blog\"".into(),
        external_url: url::Url::parse("https://www.cncf.io/blog/2025/11/10/istio-day/?a=1&b=2")
            .expect("url"),
        draft: true,
        tldr: "Istio Day: ''' \"\"\" \\ tabs\tand\nnew lines".into(),
        summary: "Line one.\n\nLine two with # and = and [brackets]".into(),
        author: Some("Jane Doe".into()),
        categories: vec!["Service Mesh".into()],
    }
}

const HOSTILE: &str = "+++ a \"title\" with 'quotes', \\ back\\slash, #hash, = sign\n+++\n---";

/// The TOML between the `+++` lines.
fn toml_of(text: &str) -> toml::Table {
    let inner = text
        .strip_prefix("+++\n")
        .and_then(|t| t.split_once("\n+++\n"))
        .map(|(front, _)| front)
        .expect("+++ front matter");
    toml::from_str(inner).expect("valid TOML")
}

fn string<'a>(table: &'a toml::Table, key: &str) -> &'a str {
    table
        .get(key)
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("no string {key}"))
}

fn strings(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(toml::Value::as_array)
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn toml_front_matter_reads_back_the_same_values() {
    let post = post(HOSTILE);
    let format = PostFormat {
        flavour: Flavour::Toml,
        ..PostFormat::default()
    };
    let text = format.render(&post);
    let table = toml_of(&text);
    assert_eq!(string(&table, "title"), post.title);
    assert_eq!(
        table
            .get("date")
            .and_then(toml::Value::as_datetime)
            .map(ToString::to_string),
        Some("2025-11-10T16:00:00-05:00".to_string())
    );
    assert_eq!(strings(table.get("tags")), post.tags);
    assert_eq!(string(&table, "source"), post.source);
    assert_eq!(string(&table, "external_url"), post.external_url.as_str());
    assert_eq!(string(&table, "post_kind"), "link");
    assert_eq!(
        table.get("draft").and_then(toml::Value::as_bool),
        Some(true)
    );
    assert_eq!(string(&table, "tldr"), post.tldr);
    assert_eq!(string(&table, "summary"), post.summary);
    assert!(
        text.ends_with(&format!("+++\n{}\n", default_body(&post))),
        "{text}"
    );
}

/// The keys Zola's front matter accepts at the top level
/// (<https://www.getzola.org/documentation/content/page/#front-matter>);
/// it refuses any other.
const ZOLA_KEYS: &[&str] = &[
    "title",
    "description",
    "date",
    "updated",
    "weight",
    "draft",
    "render",
    "slug",
    "path",
    "authors",
    "aliases",
    "in_search_index",
    "template",
    "taxonomies",
    "extra",
];

#[test]
fn zola_front_matter_keeps_to_zolas_schema() {
    let post = post(HOSTILE);
    let format = PostFormat {
        flavour: Flavour::Zola,
        ..PostFormat::default()
    };
    let table = toml_of(&format.render(&post));
    for key in table.keys() {
        assert!(
            ZOLA_KEYS.contains(&key.as_str()),
            "Zola refuses the key {key}"
        );
    }
    assert_eq!(string(&table, "title"), post.title);
    assert!(
        table
            .get("date")
            .and_then(toml::Value::as_datetime)
            .is_some()
    );
    assert_eq!(
        table.get("draft").and_then(toml::Value::as_bool),
        Some(true)
    );
    assert_eq!(string(&table, "description"), post.tldr);
    let taxonomies = table
        .get("taxonomies")
        .and_then(toml::Value::as_table)
        .expect("taxonomies");
    assert_eq!(strings(taxonomies.get("tags")), post.tags);
    let extra = table
        .get("extra")
        .and_then(toml::Value::as_table)
        .expect("extra");
    assert_eq!(string(extra, "source"), post.source);
    assert_eq!(string(extra, "external_url"), post.external_url.as_str());
    assert_eq!(string(extra, "tldr"), post.tldr);
    assert_eq!(string(extra, "summary"), post.summary);
}

#[test]
fn the_default_format_is_todays_bytes() {
    let post = post("Istio Day");
    assert_eq!(PostFormat::default().render(&post), render_post(&post));
    assert_eq!(
        PostFormat::default().file_name(&post),
        super::super::file_name::file_name(&post.date, "istio-day")
    );
}

#[test]
fn a_body_template_sees_every_field() {
    let template = BodyTemplate::compile(
        "{{ title }}|{{ date }}|{{ tags | join(',') }}|{{ source }}|{{ feed }}|{{ external_url }}|\
         {{ tldr | length }}|{{ summary | length }}|{{ author }}|{{ categories | join(',') }}|\
         {% if draft %}draft{% endif %}\n{% if author %}By {{ author }}{% endif %}\n{{ link }}\n",
    )
    .expect("compiles");
    let post = post("Istio Day");
    let body = template.render(&post).expect("renders");
    assert_eq!(
        body,
        format!(
            "Istio Day|2025-11-10T16:00:00-05:00|{}|{src}|{src}|{url}|{}|{}|Jane Doe|Service Mesh|draft\n\
             By Jane Doe\n{}\n",
            post.tags.join(","),
            post.tldr.chars().count(),
            post.summary.chars().count(),
            default_body(&post),
            src = post.source,
            url = post.external_url,
        )
    );
    // With YAML front matter, the body follows it.
    let format = PostFormat {
        body: Some(Arc::new(template)),
        ..PostFormat::default()
    };
    let text = format.render(&post);
    assert!(text.starts_with("---\ntitle: 'Istio Day'\n"), "{text}");
    assert!(text.ends_with(&body), "{text}");
    let fm = super::super::front_matter::read(&text).expect("front matter reads back");
    assert_eq!(fm.get("title"), Some("Istio Day"));
}

#[test]
fn template_errors_name_the_line() {
    let err = BodyTemplate::compile("line one\n{{ title }\n").expect_err("syntax");
    assert_eq!(err.line, Some(2), "{err}");
    let err = BodyTemplate::compile("ok\n\n{{ titel }}\n").expect_err("unknown name");
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.to_string().contains("undefined"), "{err}");
}

#[test]
fn file_name_templates() {
    let post = post("Istio Day: the talks");
    let name = |t: &str| FileNameTemplate::parse(t).map(|t| t.file_name(&post));
    assert_eq!(
        name("{date}-{slug}.md").as_deref(),
        Ok("2025-11-10-istio-day-the-talks.md")
    );
    assert_eq!(
        name("{yyyy}{mm}{dd}_{source}_{slug}.md").as_deref(),
        Ok("20251110_cncf-blog_istio-day-the-talks.md")
    );
    assert_eq!(name("{slug}.md").as_deref(), Ok("istio-day-the-talks.md"));
    assert_eq!(
        name("{yyyy}/{mm}/{slug}/index.md").as_deref(),
        Ok("2025/11/istio-day-the-talks/index.md")
    );
    for bad in [
        "{yyyy}//{slug}.md",
        "../{slug}.md",
        "{yyyy}/../{slug}.md",
        "{yyyy}/.{slug}/index.md",
        "/{slug}.md",
        "{date}.md",
        "{slug}.txt",
        ".{slug}.md",
        "{slug}-{nope}.md",
        "{slug.md",
        "..\\{slug}.md",
    ] {
        assert!(
            FileNameTemplate::parse(bad).is_err(),
            "{bad} must be refused"
        );
    }
}

#[test]
fn the_shipped_body_template_writes_the_default_body() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/body.md.j2"))
        .expect("read config/body.md.j2");
    let format = PostFormat {
        body: Some(Arc::new(BodyTemplate::compile(&source).expect("compiles"))),
        ..PostFormat::default()
    };
    let post = post("Istio Day");
    assert_eq!(format.render(&post), render_post(&post));
}
