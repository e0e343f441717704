//! File names for posts: `YYYY-MM-DD-<slug>.md`, confined to a plain name
//! (no folder, parent, hidden file or device) whatever the title holds. Pure.

use chrono::{DateTime, FixedOffset};

/// Longest slug, in characters, before the `.md` extension and any suffix.
pub const MAX_SLUG_LEN: usize = 80;

/// Turns a title into an ASCII slug of at most [`MAX_SLUG_LEN`] characters.
///
/// Only `a-z`, `0-9` and single inner `-` remain, so a slug can never name a
/// folder, a parent, a hidden file or a device.
pub fn slugify(title: &str) -> String {
    let ascii = deunicode::deunicode(title).to_ascii_lowercase();
    let mut slug = String::with_capacity(ascii.len().min(MAX_SLUG_LEN * 2));
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() > MAX_SLUG_LEN {
            break;
        }
    }
    if slug.len() > MAX_SLUG_LEN {
        // Cut at the last word boundary that fits, if there is a sensible one.
        let cut = slug[..=MAX_SLUG_LEN]
            .rfind('-')
            .filter(|&p| p >= MAX_SLUG_LEN / 2)
            .unwrap_or(MAX_SLUG_LEN);
        slug.truncate(cut);
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        slug.push_str("post");
    }
    slug
}

/// The file name for a post: `YYYY-MM-DD-<slug>.md`. When it is taken,
/// [`alternative_name`] gives the next ones.
pub fn file_name(date: &DateTime<FixedOffset>, slug: &str) -> String {
    format!("{}-{slug}.md", date.format("%Y-%m-%d"))
}

/// The `attempt`-th alternative of a file name: `a.md` → `a-2.md`; for a
/// page bundle's `index.md` (or `_index.md`) the folder takes the number:
/// `2026/a/index.md` → `2026/a-2/index.md`.
pub fn alternative_name(file: &str, attempt: u32) -> String {
    if let Some((folder, leaf)) = file.rsplit_once('/')
        && matches!(leaf, "index.md" | "_index.md")
    {
        return format!("{folder}-{attempt}/{leaf}");
    }
    let stem = file.strip_suffix(".md").unwrap_or(file);
    format!("{stem}-{attempt}.md")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_and_bounded() {
        assert_eq!(
            slugify(
                "KubeCon + CloudNativeCon North America 2025 Co-located Event Deep Dive: Istio Day"
            ),
            "kubecon-cloudnativecon-north-america-2025-co-located-event-deep-dive-istio-day"
        );
        assert_eq!(slugify("Ünïcødé — café"), "unicode-cafe");
        assert_eq!(slugify("../../etc/passwd"), "etc-passwd");
        assert_eq!(slugify("/"), "post");
        assert_eq!(slugify("日本語"), "ri-ben-yu");
        assert_eq!(alternative_name("a.md", 2), "a-2.md");
        assert_eq!(alternative_name("2026/12/a.md", 3), "2026/12/a-3.md");
        assert_eq!(
            alternative_name("2026/12/a/index.md", 2),
            "2026/12/a-2/index.md"
        );
        let long = slugify(&"word ".repeat(100));
        assert!(long.len() <= MAX_SLUG_LEN && !long.ends_with('-'), "{long}");
    }
}
