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
        decode_html(page.as_bytes(), None),
        page.replace('\u{e9}', "Ã©"),
        "without a header the meta decides"
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
        let _ = extract_page(&html, &url, &PageOptions { selectors: &[], excludes: &[], heuristic: true });
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
            },
        );
        let want = extract::html_to_text(&want);
        // Elements without text (images, frames) select nothing, so the chain falls back.
        let want = Some(want).filter(|t| !t.is_empty());
        assert_eq!(extract.selected_text, want, "{file}");
    }
}
