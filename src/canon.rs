//! URL canonicalisation: the dedupe key of every entry.
//!
//! Two links that a reader would call "the same article" must map to one key:
//! scheme and host lower-cased and the default port dropped (the `url` crate
//! already does both), tracking parameters removed, and a fragment dropped
//! when it only points into the page (`#comments`, `#more-123`) or tracks
//! (`#tk.rss_all`). Any other fragment is kept: a microblog's items are
//! fragments of one day page (`…/26.html#a080605`), each its own entry.
//! The path is kept byte for byte: servers may treat it case-sensitively.
//! This module is pure; it never touches the network.

use url::Url;

/// Query parameters that only track the reader and never select content.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "yclid",
    "igshid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "rb_clickid",
    "s_cid",
    "__s",
    "ref_src",
];

/// Fragments that point to a part of every article page (WordPress's
/// `#more-123` and `#respond`, comment threads, layout anchors) rather than
/// name an entry; with or without a `-123` suffix.
const PAGE_PART_FRAGMENTS: &[&str] = &[
    "comments",
    "comment",
    "respond",
    "reply",
    "replies",
    "disqus_thread",
    "more",
    "top",
    "main",
    "content",
    "main-content",
    "site-content",
    "primary",
    "article",
    "post",
    "share",
    "continue",
    "read-more",
];

/// Whether a fragment adds nothing to which article a link names: empty,
/// a part of every page, a text directive, or tracking.
fn is_noise_fragment(fragment: &str) -> bool {
    let lower = fragment.to_ascii_lowercase();
    let base = lower
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches(['-', '_']);
    lower.is_empty()
        || PAGE_PART_FRAGMENTS.contains(&base)
        // Scroll-to-text links (`#:~:text=…`) pick a passage, not an entry.
        || lower.starts_with(":~:")
        // Tracking in the fragment: Adobe's `#tk.rss_all` (Macworld),
        // `#xtor=RSS-1`, `#utm_source=…`, `#ref=rss`.
        || lower.starts_with("tk.")
        || lower.starts_with("xtor=")
        || lower.starts_with("ref=")
        || lower.split('&').all(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            pair.contains('=') && is_tracking_param(name)
        })
}

/// Returns true when a query parameter name only tracks the reader.
fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}

/// Returns the canonical form of `url`, the key under which it is deduplicated.
///
/// Idempotent: `canonicalize(&canonicalize(u)) == canonicalize(u)`.
///
/// ```
/// use linkpost::canon::canonicalize;
/// use url::Url;
///
/// let link = Url::parse("HTTPS://www.CNCF.io:443/blog/x/?utm_source=rss&p=2#more")?;
/// assert_eq!(canonicalize(&link).as_str(), "https://www.cncf.io/blog/x/?p=2");
/// # Ok::<(), url::ParseError>(())
/// ```
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    if url.fragment().is_some_and(is_noise_fragment) {
        out.set_fragment(None);
    }
    if let Some(query) = url.query() {
        // Filter the raw pairs rather than decoding and re-encoding them, so the
        // parameters that stay keep their exact bytes and order.
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                !is_tracking_param(name)
            })
            .collect();
        if kept.is_empty() {
            out.set_query(None);
        } else {
            out.set_query(Some(&kept.join("&")));
        }
    }
    out
}

/// Every canonical URL one article is known by: never empty, and the first
/// is the post's `external_url` (its page's canonical URL when it names one,
/// else the feed's link). The store dedupes on each of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostUrls {
    external: String,
    aliases: Vec<String>,
}

impl PostUrls {
    /// The URLs of an article known by `external` alone.
    pub fn new(external: &Url) -> PostUrls {
        PostUrls {
            external: external.to_string(),
            aliases: Vec::new(),
        }
    }

    /// Adds `url` as another name of the article, unless it is one already.
    pub fn with_alias(mut self, url: &Url) -> PostUrls {
        let url = url.as_str();
        if url != self.external && !self.aliases.iter().any(|a| a == url) {
            self.aliases.push(url.to_string());
        }
        self
    }

    /// The URL the post links to.
    pub fn external(&self) -> &str {
        &self.external
    }

    /// Every URL, the external one first.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.external.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> String {
        canonicalize(&Url::parse(s).expect("test URL parses")).to_string()
    }

    #[test]
    fn drops_tracking_parameters_noise_fragments_and_default_port() {
        let cases = [
            (
                "HTTPS://WWW.CNCF.io:443/blog/a/?utm_source=rss&utm_medium=rss#comments",
                "https://www.cncf.io/blog/a/",
            ),
            (
                "http://Example.com:80/A/B?id=3&fbclid=x",
                "http://example.com/A/B?id=3",
            ),
            (
                "https://e.com/p?a=1&UTM_Campaign=x&b=2",
                "https://e.com/p?a=1&b=2",
            ),
            ("https://e.com/p?", "https://e.com/p"),
            (
                "https://e.com:8443/p?gclid=1&mc_cid=2&mc_eid=3",
                "https://e.com:8443/p",
            ),
            ("https://e.com/p?utm=1", "https://e.com/p?utm=1"),
            // Fragments that only point into every page, or track, go.
            ("https://e.com/p#more-123", "https://e.com/p"),
            ("https://e.com/p#respond", "https://e.com/p"),
            ("https://e.com/p#comment-4567", "https://e.com/p"),
            ("https://e.com/p#Comments", "https://e.com/p"),
            ("https://e.com/p#", "https://e.com/p"),
            (
                "https://www.macworld.com/article/1.html#tk.rss_all",
                "https://www.macworld.com/article/1.html",
            ),
            ("https://e.com/p#xtor=RSS-1", "https://e.com/p"),
            (
                "https://e.com/p#utm_source=feed&utm_medium=rss",
                "https://e.com/p",
            ),
            ("https://e.com/p#:~:text=hello", "https://e.com/p"),
            // Fragments that name an entry stay: a microblog's items are
            // anchors in one day page; a hash route names a page.
            (
                "http://scripting.com/2017/06/26.html#a080605",
                "http://scripting.com/2017/06/26.html#a080605",
            ),
            ("https://e.com/#!/posts/42", "https://e.com/#!/posts/42"),
            (
                "https://e.com/notes#2025-09-01",
                "https://e.com/notes#2025-09-01",
            ),
            (
                "https://e.com/p#more-than-words",
                "https://e.com/p#more-than-words",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(canon(input), want, "canonicalize({input})");
        }
    }

    proptest! {
        #[test]
        fn canonicalize_is_idempotent(path in "[a-zA-Z0-9/._~-]{0,20}", query in "[a-z_=&0-9]{0,30}", frag in "[a-z]{0,5}") {
            let raw = format!("https://Example.COM/{path}?{query}#{frag}");
            if let Ok(url) = Url::parse(&raw) {
                let once = canonicalize(&url);
                prop_assert_eq!(canonicalize(&once), once);
            }
        }
    }
}
