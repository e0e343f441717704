//! Summaries people would publish: the extraction chain on pages modelled on
//! real kinds of sites, on real saved pages, and each fallback step.

mod common;

use std::path::Path;

use linkpost::extract::{self, PageOptions, cut_text, decode_html, extract_page, parse_selector};
use url::Url;

fn page(name: &str) -> String {
    let bytes = std::fs::read(common::fixtures().join("pages").join(name)).expect("fixture page");
    decode_html(&bytes, None)
}

fn article_text(html: &str, excludes: &[&str]) -> Option<String> {
    let excludes: Vec<_> = excludes
        .iter()
        .map(|css| parse_selector(css).expect("valid selector"))
        .collect();
    let options = PageOptions {
        selectors: &[],
        excludes: &excludes,
        heuristic: true,
        rules: &[],
    };
    let url = Url::parse("https://blog.example.dev/post/").expect("valid url");
    extract_page(html, &url, &options).article_text
}

#[test]
fn wordpress_page() {
    assert_eq!(
        article_text(&page("wordpress.html"), &[]).as_deref(),
        Some(
            "Gateway API v1.0 is now generally available. It replaces Ingress for most clusters—and it is portable \
             across implementations. Routes, listeners and policies are separate resources, e.g. HTTPRoute and \
             Gateway, so platform and app teams each own their part."
        )
    );
}

// The title, the editors' line and the figure's caption are not the
// article's text: a summary starts at its first sentence.
#[test]
fn hugo_page() {
    assert_eq!(
        article_text(&page("hugo.html"), &[".td-byline"]).as_deref(),
        Some(
            "Similar to previous releases, the release of Kubernetes v1.34 introduces new stable, \
             beta, and alpha features. The consistent delivery of high-quality releases underscores the strength of \
             our development cycle. Release theme and logo A release powered by the wind around us — and the will \
             within us. DRA core is GA Pod-level resources go beta"
        )
    );
}

#[test]
fn medium_like_page() {
    assert_eq!(
        article_text(&page("medium.html"), &[".speechify-ignore"]).as_deref(),
        Some(
            "Our sidecars cost us 30% of node memory. Moving the data path into the kernel with \
             eBPF cut that to almost nothing. The hard part was not the code—it was observability: we had to rebuild \
             our dashboards around flows instead of proxies."
        )
    );
}

#[test]
fn ghost_page() {
    assert_eq!(
        article_text(&page("ghost.html"), &[]).as_deref(),
        Some(
            "Ambient mode splits the mesh in two layers. The ztunnel handles L4 on every node; a waypoint proxy adds \
             L7 only where you ask for it. Deploy one per namespace with istioctl waypoint apply. Traffic policies \
             then attach to the waypoint, not to each pod. Waypoints are ordinary Envoy proxies."
        )
    );
}

#[test]
fn page_with_heavy_navigation_and_a_cookie_banner() {
    assert_eq!(
        article_text(&page("heavy-nav.html"), &[]).as_deref(),
        Some(
            "Fluent Bit 4.1 brings a rewritten tail input that uses half the CPU on \
             busy nodes. It also adds native OpenTelemetry traces output. Upgrading is a drop-in replacement for 4.0 \
             users; configuration files keep working unchanged."
        )
    );
}

#[test]
fn windows_1252_page_decodes() {
    let bytes = std::fs::read(common::fixtures().join("pages/windows-1252.html")).expect("fixture");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture really is not UTF-8"
    );
    let text = article_text(&decode_html(&bytes, None), &[]);
    assert_eq!(
        text.as_deref(),
        Some(
            "Der Café-Betrieb läuft jetzt auf Kubernetes – mit „GitOps“ und Flux. Die Kosten \
             sanken um 40 %. Nächster Schritt: Größere Cluster für die Filialen in München und Zürich."
        )
    );
    // The HTTP header wins over the page's own declaration.
    let page = "<meta charset=\"windows-1252\"><p>caf\u{e9}</p>";
    assert_eq!(
        decode_html(page.as_bytes(), Some("text/html; charset=UTF-8")),
        page
    );
    assert_eq!(
        decode_html(b"<meta charset=\"windows-1252\"><p>caf\xe9</p>", None),
        page,
        "without a header the meta decides"
    );
    assert_eq!(
        decode_html(page.as_bytes(), None),
        page,
        "bytes that are valid UTF-8 were re-saved as UTF-8 whatever the meta says"
    );
    assert_eq!(
        decode_html(b"caf\xe9", Some("text/html; charset=ISO-8859-1")),
        "café"
    );
    let sjis = encoding_rs::SHIFT_JIS
        .encode("<meta charset=\"Shift_JIS\"><p>日本語</p>")
        .0;
    assert_eq!(
        decode_html(&sjis, None),
        "<meta charset=\"Shift_JIS\"><p>日本語</p>"
    );
}

#[test]
fn selector_wins_then_heuristic_then_meta() {
    let html = page("wordpress.html");
    let url = Url::parse("https://blog.example.dev/2025/10/01/gateway-api-goes-ga/?utm_source=x")
        .expect("url");
    let first = parse_selector(".nothing-here").expect("selector");
    let second = parse_selector(".entry-meta").expect("selector");
    let extract = extract_page(
        &html,
        &url,
        &PageOptions {
            selectors: &[first, second],
            excludes: &[],
            heuristic: false,
            rules: &[],
        },
    );
    assert_eq!(
        extract.selected_text.as_deref(),
        Some("Posted on October 1, 2025 by Jane"),
        "a list is tried in order"
    );
    assert_eq!(extract.article_text, None, "no heuristic when not asked");
    assert_eq!(
        extract.meta_description.as_deref(),
        Some("Gateway API is generally available.")
    );
    assert_eq!(
        extract.canonical.as_ref().map(Url::as_str),
        Some("https://blog.example.dev/2025/10/01/gateway-api-goes-ga/"),
        "a relative canonical resolves against the page"
    );
    // A canonical on another site is ignored.
    let elsewhere = extract_page(
        "<link rel=canonical href=\"https://evil.example/x\">",
        &url,
        &PageOptions::default(),
    );
    assert_eq!(elsewhere.canonical, None);
}

#[test]
fn feed_descriptions_lose_wordpress_leftovers() {
    let html = "<p>Platform teams build paved roads &#8230; [&#8230;]</p><p>The post <a href=\"#\">Paved roads</a> \
                appeared first on <a href=\"#\">CNCF</a>.</p>";
    assert_eq!(
        extract::clean_feed_text(&extract::html_to_text(html)),
        "Platform teams build paved roads …"
    );
    assert_eq!(
        extract::clean_feed_text("Short intro. Continue reading →"),
        "Short intro."
    );
    assert_eq!(
        extract::html_to_text(
            "<p>a<br/>b</p><ul><li>one</li><li>two</li></ul><span>in</span><b>line</b>\u{200b}&#160;x<noscript>no</noscript><template>t</template>"
        ),
        "a b one two inline x"
    );
}

#[test]
fn sentence_cutting_hard_cases() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "Use a mesh, e.g. Istio or Linkerd. Then measure it carefully.",
            45,
            "Use a mesh, e.g. Istio or Linkerd.",
        ),
        (
            "It ships in the U.S. first. Europe follows later this year.",
            40,
            "It ships in the U.S. first.",
        ),
        (
            "Upgrade to v1.2 today. The old API v1.1 is removed next month.",
            40,
            "Upgrade to v1.2 today.",
        ),
        (
            "Latency fell 3.5 percent. Throughput rose in every single test.",
            40,
            "Latency fell 3.5 percent.",
        ),
        (
            "Dr. Smith and Mr. Jones agree. Nobody else in the room did so.",
            45,
            "Dr. Smith and Mr. Jones agree.",
        ),
        (
            "“Ship it!” she said. Then she left the building at once.",
            30,
            "“Ship it!” she said.",
        ),
        (
            "no sentence end anywhere in this rather long text",
            20,
            "no sentence end…",
        ),
        ("Short.", 700, "Short."),
    ];
    for (text, max, want) in cases {
        assert_eq!(&cut_text(text, *max), want, "cut_text({text:?}, {max})");
    }
}

/// Texts of the navigation and footer of a page, long enough to be telling:
/// each whole block, and each of their text pieces (a link, a copyright line)
/// that appears nowhere else on the page (a table of contents repeats the
/// article's headings), so that part of a menu in the article text is caught too.
fn chrome_texts(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("nav, footer, [role=navigation], [role=contentinfo]")
        .expect("selector");
    let chrome: Vec<_> = doc.select(&selector).collect();
    let in_chrome = |node: ego_tree::NodeRef<'_, scraper::Node>| {
        node.ancestors()
            .any(|a| chrome.iter().any(|c| c.id() == a.id()))
    };
    let elsewhere: String = doc
        .root_element()
        .descendants()
        .filter(|n| !in_chrome(*n))
        .filter_map(|n| n.value().as_text().map(|t| format!("{} ", &**t)))
        .collect();
    let elsewhere = extract::collapse_whitespace(&elsewhere);
    let mut texts = Vec::new();
    for el in &chrome {
        texts.push(extract::collapse_whitespace(&el.text().collect::<String>()));
        texts.extend(
            el.text()
                .map(extract::collapse_whitespace)
                .filter(|piece| !elsewhere.contains(piece.as_str())),
        );
    }
    texts.retain(|t| t.chars().count() >= 40);
    texts
}

#[test]
fn heuristic_on_real_pages_never_returns_navigation_or_footer_text() {
    let dir = common::fixtures().join("realworld");
    let mut checked = 0;
    let mut found = 0;
    for entry in std::fs::read_dir(&dir).expect("realworld fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read page");
        let html = decode_html(&bytes, None);
        let text = article_text(&html, &[]);
        checked += 1;
        let Some(text) = text else { continue };
        found += 1;
        for chrome in chrome_texts(&html) {
            assert!(
                !text.contains(&chrome),
                "{}: article text contains navigation/footer text {chrome:?}",
                name(&path)
            );
        }
    }
    assert!(checked >= 15, "sample of real pages present");
    assert!(
        found * 4 >= checked * 3,
        "the heuristic finds an article on most real pages ({found}/{checked})"
    );
}

fn name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

proptest::proptest! {
    #[test]
    fn extraction_never_panics(html in "(<(p|div|article|main|nav|script|br|li)( class=\"(share|content|x)\")?>|</(p|div|article|main|nav|script)>|[a-z .&;#0-9]{0,20}){0,60}") {
        let url = Url::parse("https://e.example/").expect("url");
        let _ = extract_page(&html, &url, &PageOptions { heuristic: true, ..PageOptions::default() });
    }

    // The start-of-article rules on what they look at: headings, figures,
    // captions, links, times, byline and dek classes, a generator that
    // selects a rule, and text that is not ASCII (widths, sentence ends).
    #[test]
    fn reading_where_the_article_starts_never_panics(html in "(<(h1|h2|p|div|figure|figcaption|a|time|img|br|ul|li|header)( class=\"(byline|dek|caption|entry-content|meta|share)\")?>|</(h1|h2|p|div|figure|figcaption|a|time|ul|li|header)>|<meta name=\"generator\" content=\"WordPress\">|(By |Photo: |REUTERS/|\\(c\\) |日本語。|Ünïcödé… |👋 |[A-Za-z ,.:!?]{0,24})){0,80}") {
        let url = Url::parse("https://e.example/").expect("url");
        let _ = extract_page(&html, &url, &PageOptions { heuristic: true, ..PageOptions::default() });
    }
}

#[test]
fn miniflux_scraper_cases_give_the_same_text() {
    // regression corpus: miniflux's own scraper tests, one selector each.
    let dir = common::fixtures().join("miniflux");
    let url = Url::parse("https://e.example/").expect("url");
    for (file, css) in [
        ("p.html", "article > p"),
        ("img.html", "article > img"),
        ("iframe.html", "article > iframe"),
    ] {
        let html = std::fs::read_to_string(dir.join(file)).expect("case");
        let want = std::fs::read_to_string(dir.join(format!("{file}-result"))).expect("result");
        let selector = parse_selector(css).expect("selector");
        let extract = extract_page(
            &html,
            &url,
            &PageOptions {
                selectors: &[selector],
                excludes: &[],
                heuristic: false,
                rules: &[],
            },
        );
        let want = extract::html_to_text(&want);
        // Elements without text (images, frames) select nothing, so the chain falls back.
        let want = Some(want).filter(|t| !t.is_empty());
        assert_eq!(extract.selected_text, want, "{file}");
    }
}

/// The summary linkpost writes for a saved page through the poll's chain
/// (`fetch_article = true`, no selector, an entry without text), and which
/// step gave it.
fn page_summary(html: &str, page_url: &str, config_text: &str) -> (String, Option<String>) {
    use linkpost::config::Config;
    use linkpost::feed::FeedItem;
    use linkpost::post::{ArticlePage, build_post};
    use linkpost::refresh::article::FeedSelectors;
    let config = Config::parse(Path::new("/etc/linkpost/linkpost.toml"), config_text)
        .expect("test config is valid");
    let feed = &config.feeds[0];
    let url = Url::parse(page_url).expect("valid url");
    let selectors = FeedSelectors::of(feed, std::sync::Arc::clone(&config.rules), None);
    let item = FeedItem {
        link: Some(url.clone()),
        ..FeedItem::default()
    };
    let page = ArticlePage {
        html: html.to_string(),
        url: url.clone(),
    };
    let built = build_post(
        feed,
        &config,
        &item,
        &url,
        Some(&page),
        &selectors.options(),
        chrono::Utc::now(),
    );
    (
        built.post.summary,
        built.source.map(|s| s.name().into_owned()),
    )
}

const FETCH_ARTICLE: &str = r#"
output_dir = "drafts"
[[feed]]
name = "Pages"
url = "https://news.example.com/feed.xml"
fetch_article = true
"#;

/// Only letters and digits, lower-cased: how the labels are compared
/// (`bench/extract_compare.py` does the same).
fn letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

// Each kind of page whose summary used to start with something other than
// the article, with the start a person reading the page labelled
// (bench/extract/labels.tsv) and what the summary used to start with.
#[test]
fn real_pages_start_at_the_article() {
    let cases = [
        // An image credit before the body.
        (
            "www.fool.com.html",
            "The idea that video games are on track to be the next big spectator sport",
        ),
        (
            "www.engadget.com.html",
            "Lyft isn't waiting until the end of April to decide",
        ),
        (
            "247sports.com.html",
            "Houston has promoted offensive coordinator Major Applewhite",
        ),
        // A caption and its credit in parentheses.
        (
            "www.washingtonpost.com.html",
            "President Trump's defenders and even some of his tepid critics",
        ),
        (
            "www.latimes.com.html",
            "An internal report on last year's unprecedented one-day shutdown",
        ),
        // A byline and a date line.
        (
            "deadspin.com.html",
            "Washington's Danny Espinosa problem is inextricably linked",
        ),
        // The title, the date, a share row and a "[PR]" label (Japanese).
        (
            "www.asahi.com.html",
            "文化庁は１日、アート、エンターテインメント",
        ),
        // A Medium title and byline row.
        (
            "medium.com--another.html",
            "I'm sure you have seen something like the following line",
        ),
        // A dek and an author between the title and the body; a caption
        // with its credit.
        (
            "www.spektrum.de.html",
            "Auf den ersten Blick sind sie unsichtbar.",
        ),
        // An article split over two page sections.
        (
            "www.politico.com.html",
            "Tim Kaine isn't Mike Pence's only opponent Tuesday night",
        ),
        // A one-sentence first paragraph.
        (
            "www.nydailynews.com.html",
            "Michelle Obama sees despair in America. The first lady",
        ),
        // <br> runs in a newsletter: a greeting, then the issue's news.
        (
            "ma.ttias.be.html",
            "Hi everyone! Welcome to cron.weekly issue #130.",
        ),
        // The article inside `div.widget`: dropped as clutter before (the
        // summary fell back to the page's description).
        (
            "www.rawstory.com.html",
            "As Inauguration Day approaches, Donald Trump's team is reportedly",
        ),
        // The text in <div>s, not <p>s: nothing was found before.
        (
            "www.refinery29.com.html",
            "In a year when so much (too much?) happened that we're all",
        ),
        (
            "timesofindia.indiatimes.com.html",
            "BEIJING: In what is being seen as a snub to the visiting Pakistan PM",
        ),
    ];
    let mut wrong = Vec::new();
    for (file, start) in cases {
        let bytes =
            std::fs::read(common::fixtures().join("realworld").join(file)).expect("fixture page");
        let (summary, source) = page_summary(
            &decode_html(&bytes, None),
            "https://news.example.com/a",
            FETCH_ARTICLE,
        );
        if !letters(&summary).starts_with(&letters(start)) {
            wrong.push(format!(
                "{file} ({source:?}): {:?}",
                summary.chars().take(90).collect::<String>()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "summaries not starting at the article:\n{}",
        wrong.join("\n")
    );
}

// A class name never drops the block that holds most of the page's prose,
// and an intro inside the article's <header> is the article's start.
#[test]
fn class_names_never_drop_the_article() {
    let body = "The rollout reached every region by Friday, and the error budget held. \
                Operators saw latency fall by a third after the new cache went live, \
                and the on-call rota had its quietest week of the year.";
    for wrapper in ["widget-area", "paywall", "header-content", "sidebar-layout"] {
        let html = format!(
            "<html><body><nav><a href=/>Home</a> <a href=/about>About</a></nav>\
             <div class=\"{wrapper}\"><h1>Rollout done</h1><p>{body}</p><p>{body}</p></div>\
             <div class=\"widget\"><p>Subscribe to the newsletter for more stories like this one, every week.</p></div>\
             </body></html>"
        );
        let text = article_text(&html, &[]).unwrap_or_default();
        assert!(
            text.starts_with("The rollout reached"),
            "{wrapper}: {text:?}"
        );
        assert!(!text.contains("Subscribe"), "{wrapper}: {text:?}");
    }
    let html = format!(
        "<html><body><article><header><h1>Rollout done</h1><p class=\"byline\">By Ann Lee</p>\
         <p>Our intro: what changed in the rollout, in one paragraph for readers in a hurry.</p></header>\
         <p>{body}</p><p>{body}</p></article></body></html>"
    );
    let text = article_text(&html, &[]).unwrap_or_default();
    assert!(text.starts_with("Our intro: what changed"), "{text:?}");
}

// <div> text and <br> runs are read like paragraphs.
#[test]
fn div_and_br_text_is_found() {
    let line = "Each line of this post sits in a div of its own, as some site builders write them, with no paragraph tags at all.";
    let divs = format!(
        "<html><body><div class=\"menu\"><a href=/>Home</a></div><div id=\"x\"><div>{line}</div><div>{line}</div><div>{line}</div></div></body></html>"
    );
    let text = article_text(&divs, &[]).unwrap_or_default();
    assert!(text.starts_with("Each line of this post"), "{text:?}");
    let brs =
        format!("<html><body><div id=\"x\">{line}<br><br>{line}<br><br>{line}</div></body></html>");
    let text = article_text(&brs, &[]).unwrap_or_default();
    assert!(text.starts_with("Each line of this post"), "{text:?}");
}

/// A page with the body the way each platform marks it up, and clutter a
/// generic reading might take first.
fn platform_page(head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Shipping the mesh</title>{head}</head><body>\
         <div class=\"intro-teaser\"><p>Read our other stories, about all kinds of topics, every week, for free, and more and more.</p></div>\
         {body}</body></html>"
    )
}

const PLATFORM_TEXT: &str = "We moved every service onto the mesh in one quarter. \
    The hard part was not the proxies but the certificates, and we wrote down what we learned.";

#[test]
fn platform_rules_read_each_platform() {
    let p = format!("<p>{PLATFORM_TEXT}</p><p>{PLATFORM_TEXT}</p>");
    let cases = [
        (
            "wordpress",
            "https://blog.example.com/p",
            r#"<meta name="generator" content="WordPress 6.8">"#,
            format!(
                r#"<div class="entry-content"><div class="sharedaddy">Share this: Twitter Facebook</div>{p}</div>"#
            ),
        ),
        (
            "ghost",
            "https://blog.example.com/p",
            r#"<meta name="generator" content="Ghost 5.96">"#,
            format!(r#"<section class="gh-content">{p}</section>"#),
        ),
        (
            "medium",
            "https://medium.com/@ann/p",
            "",
            format!(
                r#"<article><div class="speechify-ignore">Ann Lee · Follow · 7 min read · Jan 12</div><section>{p}</section></article>"#
            ),
        ),
        (
            "substack",
            "https://ann.substack.com/p/x",
            r#"<link rel="preconnect" href="https://substackcdn.com">"#,
            format!(
                r#"<div class="available-content"><div class="body markup">{p}<div class="subscription-widget-wrap">Subscribe now</div></div></div>"#
            ),
        ),
        (
            "blogger",
            "https://ann.blogspot.com/2025/01/p.html",
            r#"<meta name="generator" content="blogger">"#,
            format!(
                r#"<div class="post-body entry-content">{p}</div><div class="post-footer">Posted by Ann at 9:00</div>"#
            ),
        ),
        (
            "hugo",
            "https://ann.dev/posts/p/",
            r#"<meta name="generator" content="Hugo 0.139.0">"#,
            format!(
                r#"<main><div class="td-content"><div class="td-byline">By Ann</div>{p}</div></main>"#
            ),
        ),
        (
            "jekyll",
            "https://ann.example.org/2025/p.html",
            r#"<meta name="generator" content="Jekyll v4.3.3">"#,
            format!(
                r#"<article class="post"><header class="post-header"><p class="post-meta">Jan 12, 2025</p></header><div class="post-content e-content">{p}</div></article>"#
            ),
        ),
        (
            "devto",
            "https://dev.to/ann/p",
            r#"<meta name="forem:name" content="DEV Community">"#,
            format!(
                r#"<div class="crayons-article__main"><div id="article-body" class="crayons-article__body">{p}</div></div>"#
            ),
        ),
        (
            "hashnode",
            "https://ann.hashnode.dev/p",
            r#"<link rel="preconnect" href="https://cdn.hashnode.com">"#,
            format!(r#"<div id="post-content-parent"><div class="prose">{p}</div></div>"#),
        ),
        (
            "github",
            "https://ann.github.io/2025/p",
            "",
            format!(r#"<article class="markdown-body">{p}</article>"#),
        ),
    ];
    for (rule, url, head, body) in cases {
        let (summary, source) = page_summary(&platform_page(head, &body), url, FETCH_ARTICLE);
        assert_eq!(
            source.as_deref(),
            Some(format!("rule:{rule}").as_str()),
            "{rule}: {summary:?}"
        );
        assert!(
            summary.starts_with("We moved every service"),
            "{rule}: {summary:?}"
        );
    }
    // A page no rule knows goes to the heuristic.
    let (_, source) = page_summary(
        &platform_page("", &p),
        "https://plain.example.com/p",
        FETCH_ARTICLE,
    );
    assert_eq!(source.as_deref(), Some("article"));
}

#[test]
fn the_configs_own_rules_come_first() {
    let config = format!(
        "{FETCH_ARTICLE}
[[rule]]
name = \"example-news\"
hosts = [\"news.example.com\"]
content = [\".story\"]
exclude = [\".story-ad\"]
"
    );
    let html = platform_page(
        r#"<meta name="generator" content="WordPress 6.8">"#,
        &format!(
            r#"<div class="entry-content"><p>Wrong container, the rule for the site knows better than this one here.</p></div>
               <div class="story"><div class="story-ad">Advertisement: buy now</div><p>{PLATFORM_TEXT}</p><p>{PLATFORM_TEXT}</p></div>"#
        ),
    );
    let (summary, source) = page_summary(&html, "https://www.news.example.com/a", &config);
    assert_eq!(source.as_deref(), Some("rule:example-news"));
    assert!(summary.starts_with("We moved every service"), "{summary:?}");

    let bad = format!(
        "{FETCH_ARTICLE}\n[[rule]]\nname = \"broken\"\nhosts = [\"x.example\"]\ncontent = [\"div[\"]\n"
    );
    let err = linkpost::config::Config::parse(Path::new("/etc/linkpost/linkpost.toml"), &bad)
        .expect_err("an invalid selector is refused")
        .to_string();
    assert!(
        err.contains("rule[0]") && err.contains("broken") && err.contains("div["),
        "{err}"
    );
    // The message names the file and the line of the rule.
    let line = bad
        .lines()
        .position(|l| l == "[[rule]]")
        .expect("a rule table")
        + 1;
    assert!(
        err.contains(&format!("linkpost.toml:{line}:")),
        "line {line}: {err}"
    );
}

// Bad input stays safe: each of these finishes without a panic and gives
// bounded text. (How long they take is measured by the benchmark, not here;
// the HTML parser's work grows with nesting depth times tags, which is why
// a page is read only to 512 levels of nesting.)
#[test]
fn hostile_pages_are_read_safely() {
    let sentence = "A sentence of the article that repeats, to make the page very large indeed. ";
    let huge = format!(
        "<html><body><article><p>{}</p></article></body></html>",
        sentence.repeat(70_000)
    );
    assert!(huge.len() > 5_000_000);
    let nested_text = format!(
        "<html><body>{}</body></html>",
        format!("<div>{sentence}").repeat(10_000)
    );
    let br_run = format!(
        "<html><body><div>{}</div></body></html>",
        format!("{sentence}<br>").repeat(60_000)
    );
    for (name, html) in [
        ("5 MB", &huge),
        ("10,000 nested divs with text", &nested_text),
        ("one giant <br> run", &br_run),
    ] {
        let (summary, _) = page_summary(html, "https://news.example.com/a", FETCH_ARTICLE);
        assert!(
            summary.starts_with("A sentence of the article"),
            "{name}: {:?}",
            summary.chars().take(80).collect::<String>()
        );
        assert!(summary.chars().count() <= 2000, "{name}: summary is cut");
    }
    // Text below 512 levels of nesting is not read: 10,000 nested divs with
    // the article at the bottom, and 5 MB of nothing but opening divs.
    let deep = format!(
        "<html><body>{}<p>{}</p>{}</body></html>",
        "<div class=\"content\">".repeat(10_000),
        sentence.repeat(5),
        "</div>".repeat(10_000)
    );
    let divs = format!("<html><body>{}</body></html>", "<div>".repeat(1_000_000));
    for (name, html) in [
        ("10,000 nested divs", &deep),
        ("1,000,000 open divs", &divs),
    ] {
        let (summary, source) = page_summary(html, "https://news.example.com/a", FETCH_ARTICLE);
        assert_eq!((summary.as_str(), source), ("", None), "{name}");
    }
}

// A page outside the labelled set: Wikipedia's tagline ("Un article de
// Wikipédia…") and its stub notice come before the article.
#[test]
fn wikipedia_starts_at_the_article() {
    let bytes = std::fs::read(common::fixtures().join("miniflux/miniflux_wikipedia.html"))
        .expect("fixture page");
    let (summary, source) = page_summary(
        &decode_html(&bytes, None),
        "https://fr.wikipedia.org/wiki/Miniflux",
        FETCH_ARTICLE,
    );
    assert_eq!(source.as_deref(), Some("article"));
    assert!(
        summary.starts_with("Miniflux est un agrégateur de flux RSS minimaliste."),
        "{summary:?}"
    );
}

// What a careful reading must not do: join a teaser that borrows the
// article's markup, take a first paragraph before code for a dek, drop a
// body sentence that mentions a news agency, or take a lead paragraph for
// the caption of the photo after it.
#[test]
fn the_start_is_not_lost_to_look_alikes() {
    let body = "The rollout reached every region by Friday, and the error budget held. \
                Operators saw latency fall by a third after the new cache went live.";
    let cases = [
        (
            "a teaser in the article's markup",
            format!(
                "<div class=\"intro-teaser\"><div class=\"text\"><p>Read this other story about caching, it is a good one.</p></div></div>\
                 <article><div class=\"text\"><p>{body}</p><p>{body}</p><p>{body}</p></div></article>"
            ),
            "The rollout reached",
        ),
        (
            "a first paragraph before code",
            format!(
                "<article><h1>Install the tool</h1><p>Install it with cargo, the one command you need for this.</p>\
                 <pre>cargo add foo</pre><p>{body}</p><p>{body}</p></article>"
            ),
            "Install it with cargo",
        ),
        (
            "a first paragraph before a short question",
            format!(
                "<article><h1>Why caching</h1><p>We had a latency problem, and it was costing us users.</p>\
                 <p>Why?</p><p>{body}</p><p>{body}</p></article>"
            ),
            "We had a latency problem",
        ),
        (
            "a news agency named in the body",
            format!(
                "<article><h1>Outage</h1><p>The Associated Press reported the outage first, on Monday.</p><p>{body}</p><p>{body}</p></article>"
            ),
            "The Associated Press reported",
        ),
        (
            "a lead paragraph before a photo and its credit",
            format!(
                "<article><h1>Outage</h1><p>The outage began at noon and lasted three hours.</p>\
                 <figure><img src=\"x.jpg\"></figure><p>(AP Photo/John Locher)</p><p>{body}</p><p>{body}</p></article>"
            ),
            "The outage began at noon",
        ),
    ];
    for (name, html, start) in cases {
        let text =
            article_text(&format!("<html><body>{html}</body></html>"), &[]).unwrap_or_default();
        assert!(text.starts_with(start), "{name}: {text:?}");
        assert!(
            !text.contains("(AP Photo"),
            "{name}: the credit is left out: {text:?}"
        );
    }
    // A credit line after the lead image is left out, the body sentence
    // naming an agency is kept.
    let html = format!(
        "<html><body><article><h1>Outage</h1><figure><img src=\"x.jpg\"></figure><p>Spencer Platt/Getty Images</p>\
         <p>{body}</p><p>The data, courtesy of NOAA, shows the storm's path over three days.</p><p>{body}</p></article></body></html>"
    );
    let text = article_text(&html, &[]).unwrap_or_default();
    assert!(text.starts_with("The rollout reached"), "{text:?}");
    assert!(text.contains("courtesy of NOAA"), "{text:?}");
}

#[test]
fn rules_are_found_by_markup_and_fall_back_when_they_find_too_little() {
    let p = format!("<p>{PLATFORM_TEXT}</p><p>{PLATFORM_TEXT}</p>");
    // WordPress without its generator tag, known by its wp-content links.
    let head =
        r#"<link rel="stylesheet" href="https://blog.example.com/wp-content/themes/x/style.css">"#;
    let html = platform_page(head, &format!(r#"<div class="entry-content">{p}</div>"#));
    let (_, source) = page_summary(&html, "https://blog.example.com/p", FETCH_ARTICLE);
    assert_eq!(source.as_deref(), Some("rule:wordpress"));
    // The generator is read in any case.
    let head = r#"<meta name="generator" content="GHOST 5.96">"#;
    let html = platform_page(
        head,
        &format!(r#"<section class="gh-content">{p}</section>"#),
    );
    let (_, source) = page_summary(&html, "https://blog.example.com/p", FETCH_ARTICLE);
    assert_eq!(source.as_deref(), Some("rule:ghost"));
    // A WordPress page whose .entry-content holds only a line: the rule
    // gives way to the heuristic, which finds the article elsewhere.
    let head = r#"<meta name="generator" content="WordPress 6.8">"#;
    let html = platform_page(
        head,
        &format!(r#"<div class="entry-content"><p>Short.</p></div><div class="story">{p}</div>"#),
    );
    let (summary, source) = page_summary(&html, "https://blog.example.com/p", FETCH_ARTICLE);
    assert_eq!(source.as_deref(), Some("article"));
    assert!(summary.starts_with("We moved every service"), "{summary:?}");
}
