//! Generates the benchmark's feed farm: N feeds (RSS 2.0 and Atom, about
//! 70/30) of E entries each, WordPress-like, and one 20-60 KB article page per
//! entry for the first `pages_for` feeds. Deterministic: the same arguments
//! give the same bytes.
//!
//! cargo run --release --example gen_farm -- DIR N E BASE_URL PAGES_FOR [KIND]
//!
//! KIND is the entries' text: `summary` (the default: 2-4 paragraphs, about
//! 1.5 KB), `small` (one paragraph, the daemon workload's 100,000 feeds) or
//! `full` (a short excerpt plus the whole post, 10-30 KB, in RSS
//! `content:encoded` or Atom `content`, as many WordPress and Hugo sites
//! publish it).

use std::fmt::Write as _;
use std::path::Path;

const WORDS: &[&str] = &[
    "kubernetes",
    "cluster",
    "service",
    "mesh",
    "observability",
    "operator",
    "release",
    "security",
    "supply",
    "chain",
    "platform",
    "engineering",
    "gateway",
    "runtime",
    "policy",
    "cloud",
    "native",
    "community",
    "project",
    "graduation",
    "sandbox",
    "incubating",
    "storage",
    "network",
    "scheduler",
    "autoscaling",
    "telemetry",
    "tracing",
    "metrics",
    "logging",
    "edge",
    "serverless",
    "wasm",
    "ebpf",
    "identity",
    "secrets",
    "backup",
    "migration",
    "upgrade",
    "maintainers",
    "contributors",
    "conference",
    "keynote",
    "roadmap",
];

/// xorshift64*: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn sentence(&mut self) -> String {
        let n = 8 + self.below(14);
        let mut s = self.words(n);
        if let Some(first) = s.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        s.push('.');
        s
    }

    fn paragraph(&mut self) -> String {
        let n = 3 + self.below(4);
        (0..n)
            .map(|_| self.sentence())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: gen_farm DIR N E BASE_URL PAGES_FOR [summary|small|full]";
    let (dir, n, e, base, pages_for, kind) = match args.as_slice() {
        [_, dir, n, e, base, pages_for] => (dir, n, e, base, pages_for, "summary"),
        [_, dir, n, e, base, pages_for, kind] => (dir, n, e, base, pages_for, kind.as_str()),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    if !matches!(kind, "summary" | "small" | "full") {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    let (Ok(n), Ok(e), Ok(pages_for)) = (
        n.parse::<usize>(),
        e.parse::<usize>(),
        pages_for.parse::<usize>(),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir.join("feeds"))?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for f in 0..n {
        let atom = f % 10 >= 7;
        let mut entries = String::new();
        for i in 0..e {
            let title = {
                let n = 4 + rng.below(6);
                let mut t = rng.words(n);
                if let Some(first) = t.get_mut(..1) {
                    first.make_ascii_uppercase();
                }
                t
            };
            let slug = title.to_ascii_lowercase().replace(' ', "-");
            let page_path = format!("/posts/{f}/{i}-{slug}/");
            let link =
                format!("{base}{page_path}?utm_source=rss&utm_medium=rss&utm_campaign={slug}");
            // Newest first, one entry a day back from 2025-09-28.
            let day = 28 - (i % 28);
            let hour = (f + i) % 24;
            let mut description = String::new();
            let paragraphs = match kind {
                "summary" => 2 + rng.below(3),
                _ => 1,
            };
            for _ in 0..paragraphs {
                let _ = write!(description, "<p>{}</p>", rng.paragraph());
            }
            if kind == "summary" {
                let _ = write!(
                    description,
                    "<p>The post <a href=\"{}\">{}</a> appeared first on <a href=\"{base}\">Farm {f}</a>.</p>",
                    escape(&link),
                    escape(&title)
                );
            }
            let content = if kind == "full" {
                full_post(&mut rng, base, f)
            } else {
                String::new()
            };
            if atom && kind == "full" {
                let _ = writeln!(
                    entries,
                    "<entry><title>{}</title><link rel=\"alternate\" href=\"{}\"/><id>urn:farm:{f}:{i}</id>\
                     <published>2025-09-{day:02}T{hour:02}:00:00Z</published><updated>2025-09-{day:02}T{hour:02}:30:00Z</updated>\
                     <summary type=\"html\">{}</summary><content type=\"html\">{}</content></entry>",
                    escape(&title),
                    escape(&link),
                    escape(&description),
                    escape(&content)
                );
            } else if kind == "full" {
                let _ = writeln!(
                    entries,
                    "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{base}/?p={}</guid>\
                     <pubDate>{} Sep 2025 {hour:02}:00:00 +0000</pubDate><dc:creator><![CDATA[Farm author]]></dc:creator>\
                     <category><![CDATA[Cloud Native]]></category><description><![CDATA[{} [&#8230;]]]></description>\
                     <content:encoded><![CDATA[{}]]></content:encoded></item>",
                    escape(&title),
                    escape(&link),
                    f * 1000 + i,
                    day,
                    description,
                    content
                );
            } else if atom {
                let _ = writeln!(
                    entries,
                    "<entry><title>{}</title><link rel=\"alternate\" href=\"{}\"/><id>urn:farm:{f}:{i}</id>\
                     <published>2025-09-{day:02}T{hour:02}:00:00Z</published><updated>2025-09-{day:02}T{hour:02}:30:00Z</updated>\
                     <summary type=\"html\">{}</summary></entry>",
                    escape(&title),
                    escape(&link),
                    escape(&description)
                );
            } else {
                let _ = writeln!(
                    entries,
                    "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{base}/?p={}</guid>\
                     <pubDate>{} Sep 2025 {hour:02}:00:00 +0000</pubDate><dc:creator><![CDATA[Farm author]]></dc:creator>\
                     <category><![CDATA[Cloud Native]]></category><description><![CDATA[{}]]></description></item>",
                    escape(&title),
                    escape(&link),
                    f * 1000 + i,
                    day,
                    description
                );
            }
            if f < pages_for {
                write_page(&mut rng, dir, &page_path, &title, &link)?;
            }
        }
        let feed = if atom {
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
                 <title>Farm {f}</title><id>urn:farm:{f}</id><updated>2025-09-28T00:00:00Z</updated>\
                 <link rel=\"self\" href=\"{base}/feeds/{f}.xml\"/>\n{entries}</feed>\n"
            )
        } else {
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
                 xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>Farm {f}</title>\
                 <link>{base}</link><description>Farm feed {f}</description><language>en-US</language>\n{entries}</channel></rss>\n"
            )
        };
        std::fs::write(dir.join(format!("feeds/{f}.xml")), feed)?;
    }
    Ok(())
}

/// A whole post of 10-30 KB as a blog's feed carries it: paragraphs, headings,
/// lists, a figure and a code block.
fn full_post(rng: &mut Rng, base: &str, feed: usize) -> String {
    let target = 10_000 + rng.below(20_000);
    let mut html = String::with_capacity(target + 1_000);
    while html.len() < target {
        let _ = write!(html, "<p>{}</p>", rng.paragraph());
        match rng.below(8) {
            0 => {
                let _ = write!(
                    html,
                    "<h2>{}</h2><ul><li>{}</li><li>{}</li><li>{}</li></ul>",
                    rng.words(4),
                    rng.sentence(),
                    rng.sentence(),
                    rng.sentence()
                );
            }
            1 => {
                let _ = write!(
                    html,
                    "<figure><img src=\"{base}/wp-content/uploads/{feed}/{}.png\" alt=\"{}\" width=\"800\" height=\"450\">\
                     <figcaption>{}</figcaption></figure>",
                    rng.below(10_000),
                    rng.words(3),
                    rng.sentence()
                );
            }
            2 => {
                let _ = write!(
                    html,
                    "<pre><code>kubectl apply -f {}.yaml\nkubectl get pods -n {}</code></pre>",
                    rng.words(1),
                    rng.words(1)
                );
            }
            _ => {}
        }
    }
    html
}

/// One article page of 20-60 KB: navigation, header, sidebar, comments and
/// footer around a `div.entry-content`.
fn write_page(
    rng: &mut Rng,
    dir: &Path,
    path: &str,
    title: &str,
    link: &str,
) -> std::io::Result<()> {
    let target = 20_000 + rng.below(40_000);
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} - Farm</title>\
         <link rel=\"canonical\" href=\"{}\"><meta name=\"description\" content=\"{}\">\
         <style>body{{font-family:sans-serif}}.nav a{{margin:0 1em}}</style>\
         <script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments)}}</script></head><body>\
         <header class=\"site-header\"><nav class=\"nav\">",
        escape(title),
        escape(link.split('?').next().unwrap_or(link)),
        escape(&rng.sentence())
    );
    for _ in 0..30 {
        let _ = write!(
            html,
            "<a href=\"/category/{}/\">{}</a>",
            rng.below(100),
            rng.words(2)
        );
    }
    let _ = write!(
        html,
        "</nav></header><main><article><h1 class=\"entry-title\">{}</h1><div class=\"entry-content\">",
        escape(title)
    );
    let body_end = target * 2 / 3;
    while html.len() < body_end {
        let _ = write!(html, "<p>{}</p>", rng.paragraph());
        if rng.below(5) == 0 {
            let _ = write!(
                html,
                "<h2>{}</h2><ul><li>{}</li><li>{}</li></ul>",
                rng.words(4),
                rng.sentence(),
                rng.sentence()
            );
        }
    }
    html.push_str(
        "</div><div class=\"sharedaddy\">Share this: Twitter Facebook LinkedIn</div></article>\
                   <section class=\"comments\"><h3>Comments</h3>",
    );
    while html.len() < target * 5 / 6 {
        let _ = write!(
            html,
            "<div class=\"comment\"><b>{}</b><p>{}</p></div>",
            rng.words(2),
            rng.sentence()
        );
    }
    html.push_str("</section></main><aside class=\"sidebar\"><h3>Recent posts</h3><ul>");
    while html.len() < target {
        let _ = write!(
            html,
            "<li><a href=\"/posts/{}/\">{}</a></li>",
            rng.below(10_000),
            rng.words(5)
        );
    }
    html.push_str("</ul></aside><footer class=\"site-footer\">© 2025 Farm. All rights reserved.</footer></body></html>\n");
    let file = dir.join(path.trim_start_matches('/')).join("index.html");
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(file, html)
}
