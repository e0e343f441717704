//! How a post file is written for a site generator: its front matter
//! flavour (YAML, TOML for Hugo, Zola's TOML), its body (the one link line,
//! or a `body_template`), and its file name (`filename_template`).
//!
//! Pure once built: [`PostFormat`] is checked when the config loads (a
//! template that does not parse, or names a field a post lacks, is a config
//! error), then renders every post the same way. Every value goes through
//! the flavour's own quoting (`render`'s YAML quoting, `toml_edit`'s), so no title
//! can break the file.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat};

use super::file_name::slugify;
use super::render::{Post, markdown_link, render_post};

/// The front matter flavour (`front_matter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    /// `---` YAML, today's bytes (Jekyll, Hugo, Eleventy, Astro…).
    #[default]
    Yaml,
    /// `+++` TOML with the same keys, `date` a TOML datetime (Hugo).
    Toml,
    /// `+++` TOML as Zola accepts it: `title`, `date`, `draft` and
    /// `description` (the tldr) at the top, `tags` under `[taxonomies]`,
    /// linkpost's own keys under `[extra]`.
    Zola,
}

impl Flavour {
    /// Reads a `front_matter` value.
    pub fn parse(name: &str) -> Option<Flavour> {
        match name {
            "yaml" => Some(Flavour::Yaml),
            "toml" => Some(Flavour::Toml),
            "zola" => Some(Flavour::Zola),
            _ => None,
        }
    }
}

/// A template error, with the template's line when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct TemplateError {
    /// 1-based line in the template.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// A `body_template`: a minijinja template rendered with every field of the
/// post (see [`BodyTemplate::compile`]).
#[derive(Debug)]
pub struct BodyTemplate {
    env: minijinja::Environment<'static>,
}

/// The template's name inside its environment.
const BODY: &str = "body";

impl BodyTemplate {
    /// Compiles `source`, then renders it once with a sample post so that a
    /// name no post has (`{{ titel }}`) fails here, not on a poll. The
    /// template sees `title`, `date` (RFC 3339), `tags`, `source` and
    /// `feed` (the feed's name), `external_url`, `tldr`, `summary`,
    /// `author` (empty when the feed names none), `categories` (as the feed
    /// wrote them), `draft` and `link` (the default body's markdown line).
    pub fn compile(source: &str) -> Result<BodyTemplate, TemplateError> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .map_err(template_error)?;
        env.set_syntax(syntax);
        env.add_template_owned(BODY, source.to_string())
            .map_err(template_error)?;
        let template = BodyTemplate { env };
        template.render(&sample_post())?;
        Ok(template)
    }

    /// The body of `post`.
    pub fn render(&self, post: &Post) -> Result<String, TemplateError> {
        let template = self.env.get_template(BODY).map_err(template_error)?;
        let date = post.date.to_rfc3339_opts(SecondsFormat::Secs, false);
        template
            .render(minijinja::context! {
                title => &post.title,
                date => date,
                tags => &post.tags,
                source => &post.source,
                feed => &post.source,
                external_url => post.external_url.as_str(),
                tldr => &post.tldr,
                summary => &post.summary,
                author => post.author.as_deref().unwrap_or_default(),
                categories => &post.categories,
                draft => post.draft,
                link => default_body(post),
            })
            .map_err(template_error)
    }
}

fn template_error(e: minijinja::Error) -> TemplateError {
    TemplateError {
        line: e.line(),
        message: match e.detail() {
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        },
    }
}

/// A post with every field set, to try a template on.
fn sample_post() -> Post {
    Post {
        title: "Sample".into(),
        date: DateTime::parse_from_rfc3339("2026-01-01T00:00:00+00:00").unwrap_or_default(),
        tags: vec!["tag".into()],
        source: "feed".into(),
        external_url: url::Url::parse("https://example.com/post").expect("a valid literal URL"),
        draft: true,
        tldr: "tldr".into(),
        summary: "summary".into(),
        author: Some("author".into()),
        categories: vec!["category".into()],
    }
}

/// A `filename_template`: `{date}-{slug}.md` by default. Placeholders:
/// `{date}` (`YYYY-MM-DD`), `{yyyy}`, `{mm}`, `{dd}`, `{slug}` (the
/// title's) and `{source}` (the feed name's slug). Folders are written with
/// `/` (`{yyyy}/{mm}/{slug}/index.md`, a Hugo page bundle) and stay inside
/// the output folder: no empty, `.`, `..` or hidden part. A template whose
/// names could not be told apart (no `{slug}`) or that does not end in
/// `.md` is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNameTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Date,
    Year,
    Month,
    Day,
    Slug,
    Source,
}

impl Default for FileNameTemplate {
    fn default() -> Self {
        FileNameTemplate {
            parts: vec![
                Part::Date,
                Part::Text("-".into()),
                Part::Slug,
                Part::Text(".md".into()),
            ],
        }
    }
}

impl FileNameTemplate {
    /// Reads a template (see the type's doc).
    pub fn parse(template: &str) -> Result<FileNameTemplate, TemplateError> {
        let err = |message: String| TemplateError {
            line: None,
            message,
        };
        if template.contains('\\') {
            return Err(err(format!(
                "\"{template}\" holds a backslash; folders are written with /"
            )));
        }
        // Each folder and the file: not empty, not `.` or `..`, not hidden
        // (placeholders give letters, digits and `-`, so the literal text
        // decides).
        for part in template.split('/') {
            if part.is_empty() || part == "." || part == ".." || part.starts_with('.') {
                return Err(err(format!(
                    "\"{template}\" has an empty, parent or hidden folder; \
                     write folders such as \"{{yyyy}}/{{mm}}/{{slug}}/index.md\""
                )));
            }
        }
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .map(|c| open + c)
                .ok_or_else(|| err(format!("unclosed `{{` in \"{template}\"")))?;
            parts.push(match &rest[open + 1..close] {
                "date" => Part::Date,
                "yyyy" => Part::Year,
                "mm" => Part::Month,
                "dd" => Part::Day,
                "slug" => Part::Slug,
                "source" => Part::Source,
                other => {
                    return Err(err(format!(
                        "unknown placeholder {{{other}}}; use {{date}}, {{yyyy}}, {{mm}}, {{dd}}, \
                         {{slug}} or {{source}}"
                    )));
                }
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        if !parts.contains(&Part::Slug) {
            return Err(err(format!(
                "\"{template}\" has no {{slug}}, so two posts of a day would compete for one name"
            )));
        }
        let literal: String = parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        if !matches!(parts.last(), Some(Part::Text(t)) if t.ends_with(".md")) {
            return Err(err(format!("\"{template}\" must end in .md")));
        }
        if literal.chars().any(|c| c.is_control() || c == ':') {
            return Err(err(format!(
                "\"{template}\" holds characters file names cannot"
            )));
        }
        Ok(FileNameTemplate { parts })
    }

    /// The file name of a post.
    pub fn file_name(&self, post: &Post) -> String {
        let date = &post.date;
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Date => out.push_str(&date.format("%Y-%m-%d").to_string()),
                Part::Year => out.push_str(&date.format("%Y").to_string()),
                Part::Month => out.push_str(&date.format("%m").to_string()),
                Part::Day => out.push_str(&date.format("%d").to_string()),
                Part::Slug => out.push_str(&slugify(&post.title)),
                Part::Source => out.push_str(&slugify(&post.source)),
            }
        }
        out
    }
}

/// How posts are written: `front_matter`, `body_template` and
/// `filename_template` together.
#[derive(Debug, Clone, Default)]
pub struct PostFormat {
    /// The front matter flavour.
    pub flavour: Flavour,
    /// The body, when not the one link line.
    pub body: Option<Arc<BodyTemplate>>,
    /// The file name.
    pub file_name: FileNameTemplate,
}

impl PostFormat {
    /// The file's text. A body template that fails on this post (it was
    /// tried on a sample at load) gives the default body, with a warning.
    pub fn render(&self, post: &Post) -> String {
        if self.flavour == Flavour::Yaml && self.body.is_none() {
            return render_post(post);
        }
        let body = match &self.body {
            None => format!("{}\n", default_body(post)),
            Some(template) => template.render(post).unwrap_or_else(|e| {
                tracing::warn!(
                    source = %post.source,
                    url = %post.external_url,
                    "body_template failed on this post ({e}); the default body was written"
                );
                format!("{}\n", default_body(post))
            }),
        };
        let mut out = front_matter(post, self.flavour);
        out.push_str(&body);
        out
    }

    /// The file name of `post`.
    pub fn file_name(&self, post: &Post) -> String {
        self.file_name.file_name(post)
    }
}

/// The default body: a markdown link to the original.
fn default_body(post: &Post) -> String {
    markdown_link("Open the original post ↗", post.external_url.as_str())
}

/// The front matter block, delimiters included.
fn front_matter(post: &Post, flavour: Flavour) -> String {
    match flavour {
        Flavour::Yaml => {
            let rendered = render_post(post);
            // `render_post` ends the front matter with its second `---` line.
            let end = rendered
                .match_indices("---\n")
                .nth(1)
                .map_or(rendered.len(), |(i, _)| i + 4);
            rendered[..end].to_string()
        }
        Flavour::Toml | Flavour::Zola => toml_front_matter(post, flavour),
    }
}

/// A TOML basic string on one line: `"`, `\\` and every control character
/// escaped, so that no value can hold a line of its own (a `+++` line would
/// end the front matter for Hugo and Zola).
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML array of strings on one line.
pub fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A TOML offset datetime (a bare value, which Hugo and Zola read as a date).
fn toml_date(date: &DateTime<FixedOffset>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn toml_front_matter(post: &Post, flavour: Flavour) -> String {
    let mut out = String::from("+++\n");
    let key = |out: &mut String, k: &str, v: &str| {
        out.push_str(k);
        out.push_str(" = ");
        out.push_str(v);
        out.push('\n');
    };
    key(&mut out, "title", &toml_string(&post.title));
    key(&mut out, "date", &toml_date(&post.date));
    let draft = if post.draft { "true" } else { "false" };
    let url = toml_string(post.external_url.as_str());
    match flavour {
        Flavour::Zola => {
            key(&mut out, "draft", draft);
            key(&mut out, "description", &toml_string(&post.tldr));
            out.push_str("\n[taxonomies]\n");
            key(&mut out, "tags", &toml_list(&post.tags));
            out.push_str("\n[extra]\n");
            key(&mut out, "source", &toml_string(&post.source));
            key(&mut out, "external_url", &url);
            key(&mut out, "post_kind", "\"link\"");
            key(&mut out, "tldr", &toml_string(&post.tldr));
            key(&mut out, "summary", &toml_string(&post.summary));
        }
        _ => {
            key(&mut out, "tags", &toml_list(&post.tags));
            key(&mut out, "source", &toml_string(&post.source));
            key(&mut out, "external_url", &url);
            key(&mut out, "post_kind", "\"link\"");
            key(&mut out, "draft", draft);
            key(&mut out, "tldr", &toml_string(&post.tldr));
            key(&mut out, "summary", &toml_string(&post.summary));
        }
    }
    out.push_str("+++\n");
    out
}

#[cfg(test)]
mod tests;
