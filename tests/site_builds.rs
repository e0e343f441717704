//! The CNCF fixture's drafts, approved into a site's content folder, build
//! with real site generators: Hugo (YAML and TOML front matter) and Jekyll.
//! The built page of the Istio Day post holds its title, date, tags and the
//! link to the original.
//!
//! Each test skips, saying why, only when its generator is absent and `CI`
//! is not set; `.ci/run` installs both (`apt-get install hugo jekyll`).

mod common;

use std::path::Path;
use std::process::Command;

use common::{TestDir, linkpost_async, serve_fixture};
use linkpost::post::front_matter;

const ISTIO_STEM: &str =
    "2025-09-09-kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day";
const ISTIO_TITLE: &str =
    "KubeCon + CloudNativeCon North America 2025 Co-located Event Deep Dive: Istio Day";

/// Whether `tool` can run; panics under CI when it cannot.
fn have(tool: &str) -> bool {
    // `hugo version`, `jekyll --version`.
    let version = if tool == "hugo" {
        "version"
    } else {
        "--version"
    };
    let found = Command::new(tool)
        .arg(version)
        .output()
        .is_ok_and(|o| o.status.success());
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(
        found || !ci,
        "CI is set but {tool} is missing; .ci/run installs it (apt-get install {tool})"
    );
    if !found {
        eprintln!("skipped: {tool} is needed (apt-get install {tool})");
    }
    found
}

/// Polls the CNCF fixture with `front_matter`, approves every draft into
/// `site/<content>` and returns the test folder and the Istio Day post's
/// approved file.
async fn approved_fixture(front_matter: &str, content: &str) -> (TestDir, std::path::PathBuf) {
    approved_fixture_named(
        front_matter,
        content,
        "{date}-{slug}.md",
        &format!("{ISTIO_STEM}.md"),
    )
    .await
}

/// [`approved_fixture`] with a `filename_template`, the Istio Day post
/// written as `istio_file`.
async fn approved_fixture_named(
    front_matter: &str,
    content: &str,
    filename_template: &str,
    istio_file: &str,
) -> (TestDir, std::path::PathBuf) {
    let server = serve_fixture("cncf").await;
    let dir = TestDir::new(&format!(
        "front_matter = \"{front_matter}\"\npublish_dir = \"site/{content}\"\n\
         filename_template = \"{filename_template}\"\n\
         [[feed]]\nname = \"CNCF\"\nurl = \"{}/feed.xml\"\ntags = [\"cncf\", \"service mesh\"]\n\
         summary_selector = \".post-content\"\n",
        server.uri()
    ));
    let config = dir.config_path().display().to_string();
    let run = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--config".to_string(), config.clone()]);
        linkpost_async(all)
    };
    let (code, _, stderr) = run(&["poll"]).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, drafts, stderr) = run(&["drafts", "--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let drafts: serde_json::Value = serde_json::from_str(&drafts).expect("drafts --json");
    let ids: Vec<String> = drafts
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 3, "{drafts}");
    let mut approve = vec!["approve"];
    approve.extend(ids.iter().map(String::as_str));
    let (code, _, stderr) = run(&approve).await;
    assert_eq!(code, 0, "{stderr}");
    let istio = dir.dir.path().join("site").join(content).join(istio_file);
    assert!(
        istio.is_file(),
        "approved into the site: {}",
        istio.display()
    );
    (dir, istio)
}

/// Runs a generator in `site`, asserting it succeeds.
fn build(site: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(site)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The built page's text with the entities the generators write for `+`,
/// `&`, quotes and `'` turned back.
fn page_text(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read the built page {}: {e}", path.display()))
        .replace("&#43;", "+")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The page holds the post's title, date, tags and link to the original.
fn assert_page(page: &str, approved: &Path) {
    let text = std::fs::read_to_string(approved).expect("approved post");
    let fm = front_matter::read(&text).expect("front matter");
    assert!(!fm.draft, "approved");
    let url = fm.get("external_url").expect("external_url");
    assert!(page.contains(&format!("<h1>{ISTIO_TITLE}</h1>")), "{page}");
    assert!(page.contains("<time>2025-09-09</time>"), "{page}");
    assert!(page.contains("<li class=\"tag\">cncf</li>"), "{page}");
    assert!(
        page.contains("<li class=\"tag\">service mesh</li>"),
        "{page}"
    );
    assert!(
        page.contains(&format!("<a class=\"original\" href=\"{url}\">")),
        "{page}"
    );
    // The body's link line became a link too.
    assert!(
        page.contains(&format!("<a href=\"{url}\">Open the original post ↗</a>")),
        "{page}"
    );
}

const HUGO_CONFIG: &str = "baseURL = \"https://links.example/\"\ntitle = \"Links\"\n\
    disableKinds = [\"RSS\", \"sitemap\", \"robotsTXT\", \"404\"]\n\
    [taxonomies]\ntag = \"tags\"\n";
const HUGO_SINGLE: &str = "<h1>{{ .Title }}</h1><time>{{ .Date.Format \"2006-01-02\" }}</time>\n\
    <ul>{{ range .Params.tags }}<li class=\"tag\">{{ . }}</li>{{ end }}</ul>\n\
    <a class=\"original\" href=\"{{ .Params.external_url }}\">original</a>\n{{ .Content }}\n";
const HUGO_LIST: &str =
    "{{ range .Pages }}<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}\n";

fn hugo_site(site: &Path) {
    let layouts = site.join("layouts/_default");
    std::fs::create_dir_all(&layouts).expect("layouts");
    std::fs::write(site.join("hugo.toml"), HUGO_CONFIG).expect("config");
    std::fs::write(layouts.join("single.html"), HUGO_SINGLE).expect("single");
    std::fs::write(layouts.join("list.html"), HUGO_LIST).expect("list");
    std::fs::write(site.join("layouts/index.html"), HUGO_LIST).expect("index");
}

async fn hugo_builds(front_matter: &str) {
    if !have("hugo") {
        return;
    }
    let (dir, istio) = approved_fixture(front_matter, "content/links").await;
    let site = dir.dir.path().join("site");
    let first = std::fs::read_to_string(&istio).expect("approved");
    let delimiter = if front_matter == "toml" {
        "+++\n"
    } else {
        "---\n"
    };
    assert!(first.starts_with(delimiter), "{first}");
    hugo_site(&site);
    build(&site, "hugo", &["--quiet"]);
    let page = page_text(&site.join(format!("public/links/{ISTIO_STEM}/index.html")));
    assert_page(&page, &istio);
    // The tag pages list the post.
    let tag = page_text(&site.join("public/tags/service-mesh/index.html"));
    assert!(tag.contains(ISTIO_TITLE), "{tag}");
}

#[tokio::test]
async fn hugo_builds_the_approved_fixture_posts_with_yaml_front_matter() {
    hugo_builds("yaml").await;
}

#[tokio::test]
async fn hugo_builds_the_approved_fixture_posts_with_toml_front_matter() {
    hugo_builds("toml").await;
}

#[tokio::test]
async fn hugo_builds_page_bundles_written_in_folders() {
    if !have("hugo") {
        return;
    }
    let slug = ISTIO_STEM.trim_start_matches("2025-09-09-");
    let bundle = format!("2025/09/{slug}/index.md");
    let (dir, istio) = approved_fixture_named(
        "toml",
        "content/links",
        "{yyyy}/{mm}/{slug}/index.md",
        &bundle,
    )
    .await;
    let site = dir.dir.path().join("site");
    hugo_site(&site);
    build(&site, "hugo", &["--quiet"]);
    let page = page_text(&site.join(format!("public/links/2025/09/{slug}/index.html")));
    assert_page(&page, &istio);
}

#[tokio::test]
async fn jekyll_builds_the_approved_fixture_posts() {
    if !have("jekyll") {
        return;
    }
    let (dir, istio) = approved_fixture("yaml", "_posts").await;
    let site = dir.dir.path().join("site");
    std::fs::write(
        site.join("_config.yml"),
        "title: Links\npermalink: /links/:title/\ndefaults:\n  - scope:\n      path: \"\"\n    values:\n      layout: post\n",
    )
    .expect("config");
    std::fs::create_dir_all(site.join("_layouts")).expect("layouts");
    std::fs::write(
        site.join("_layouts/post.html"),
        "<h1>{{ page.title }}</h1><time>{{ page.date | date: \"%Y-%m-%d\" }}</time>\n\
         <ul>{% for tag in page.tags %}<li class=\"tag\">{{ tag }}</li>{% endfor %}</ul>\n\
         <a class=\"original\" href=\"{{ page.external_url }}\">original</a>\n{{ content }}\n",
    )
    .expect("layout");
    build(
        &site,
        "jekyll",
        &[
            "build",
            "--quiet",
            "--source",
            ".",
            "--destination",
            "_site",
        ],
    );
    let slug = ISTIO_STEM.trim_start_matches("2025-09-09-");
    let page = page_text(&site.join(format!("_site/links/{slug}/index.html")));
    assert_page(&page, &istio);
}
