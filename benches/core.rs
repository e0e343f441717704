//! Micro-benchmarks of the per-entry core: parse a feed, canonicalize a
//! link, turn entry HTML into a summary, extract an article page, render a
//! post. Inputs come from the benchmark farm's generator shapes and the CNCF
//! fixture, so they match what `bench/run.sh` feeds the whole program.
//!
//! cargo bench --bench core

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use linkpost::post::render;
use linkpost::{canon, extract, feed};
use url::Url;

const CNCF_FEED: &str = include_str!("../tests/fixtures/cncf/feed.xml");
const CNCF_PAGE: &str = include_str!(
    "../tests/fixtures/cncf/blog/2025/09/09/kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day/index.html"
);

/// A WordPress-like RSS feed of 20 entries with 1-3 KB descriptions.
fn farm_feed() -> String {
    let paragraph = "Kubernetes operators let platform teams encode the knowledge of running a \
        service into software, so that upgrades, backups and failover follow the same tested path \
        every time. This post walks through what we learned running them in production. ";
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Farm</title>",
    );
    for i in 0..20 {
        out.push_str(&format!(
            "<item><title>Post {i}: operators in production</title>\
             <link>https://farm.example/posts/{i}/?utm_source=rss&amp;utm_medium=rss</link>\
             <guid isPermaLink=\"false\">https://farm.example/?p={i}</guid>\
             <pubDate>{:02} Sep 2025 10:00:00 +0000</pubDate>\
             <description><![CDATA[<p>{}</p><p>{}</p><p>The post appeared first on Farm.</p>]]></description></item>",
            1 + i % 28,
            paragraph.repeat(3),
            paragraph.repeat(2 + i % 3)
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn benches(c: &mut Criterion) {
    let base = Url::parse("https://farm.example/feed/").expect("url");
    let farm = farm_feed();
    c.bench_function("parse: 20-entry RSS feed", |b| {
        b.iter(|| feed::parse_feed(black_box(farm.as_bytes()), &base).expect("parses"))
    });
    c.bench_function("parse: CNCF fixture feed", |b| {
        b.iter(|| feed::parse_feed(black_box(CNCF_FEED.as_bytes()), &base).expect("parses"))
    });

    let link = Url::parse(
        "HTTPS://Farm.Example:443/posts/1/?utm_source=rss&utm_medium=rss&b=2&a=1&fbclid=x#top",
    )
    .expect("url");
    c.bench_function("canonicalize: link with tracking", |b| {
        b.iter(|| canon::canonicalize(black_box(&link)))
    });

    let parsed = feed::parse_feed(farm.as_bytes(), &base).expect("parses");
    let description = parsed.items[0].summary_html.clone().unwrap_or_default();
    c.bench_function("extract: entry HTML to tldr and summary", |b| {
        b.iter(|| {
            let text = extract::clean_feed_text(&extract::html_to_text(black_box(&description)));
            (
                extract::cut_text(&text, 700),
                extract::cut_text(&text, 2000),
            )
        })
    });

    let page_url = Url::parse("https://www.cncf.io/blog/2025/09/09/istio-day/").expect("url");
    let selectors = vec![extract::parse_selector(".post-content").expect("selector")];
    let options = extract::PageOptions {
        selectors: &selectors,
        excludes: &[],
        heuristic: false,
        rules: &[],
    };
    c.bench_function("extract: article page by selector", |b| {
        b.iter(|| extract::extract_page(black_box(CNCF_PAGE), &page_url, &options))
    });
    let heuristic = extract::PageOptions {
        selectors: &[],
        excludes: &[],
        heuristic: true,
        rules: &[],
    };
    c.bench_function("extract: article page by heuristic", |b| {
        b.iter(|| extract::extract_page(black_box(CNCF_PAGE), &page_url, &heuristic))
    });

    let text = extract::clean_feed_text(&extract::html_to_text(&description));
    let post = render::Post {
        title: "KubeCon + CloudNativeCon: \"Istio Day\" — what's #1?".into(),
        date: chrono::DateTime::parse_from_rfc3339("2025-09-09T13:21:00+00:00").expect("date"),
        tags: vec!["cncf".into(), "istio".into()],
        source: "CNCF".into(),
        external_url: Url::parse("https://www.cncf.io/blog/2025/09/09/istio-day/").expect("url"),
        draft: true,
        tldr: extract::cut_text(&text, 700),
        summary: extract::cut_text(&text, 2000),
        author: None,
        categories: Vec::new(),
    };
    c.bench_function("render: post with front matter", |b| {
        b.iter(|| render::render_post(black_box(&post)))
    });
}

criterion_group!(core, benches);
criterion_main!(core);
