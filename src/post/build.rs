//! Building a post: one entry (and its article page, when fetched) to the
//! [`Post`] that will be written, through the summary fallback chain. Pure
//! and synchronous; it fetches nothing and touches no store.
//!
//! The summary is the first of: the feed's selector on the article page,
//! the page's main content (by an extraction rule or the heuristic), the entry's content, the entry's summary, the
//! page's meta description. [`BuiltPost::source`] says which one it was.

use chrono::{DateTime, Utc};
use url::Url;

use super::render::Post;
use crate::canon::{PostUrls, canonicalize};
use crate::config::{Config, FeedConfig};
use crate::extract::{self, PageOptions, SummarySource};
use crate::feed::FeedItem;

/// An article page, fetched for its selected text, meta and canonical URL.
#[derive(Debug, Clone)]
pub struct ArticlePage {
    /// The page, decoded to text.
    pub html: String,
    /// Where it was fetched from, after redirects.
    pub url: Url,
}

/// An entry's own text as a post would take it: its content when that has
/// any text, else its summary. Read once per entry: `fetch_article = "auto"`
/// judges it before the post is built from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryText {
    /// The text as the HTML reads, before feed boilerplate is dropped
    /// (a "read more" sign is looked for here).
    pub raw: String,
    /// The text a summary takes: boilerplate dropped, never empty.
    pub text: String,
    /// Which of the entry's fields it came from.
    pub source: SummarySource,
}

impl EntryText {
    /// `item`'s text, `None` when neither its content nor its summary has any.
    pub fn read(item: &FeedItem) -> Option<EntryText> {
        EntryText::of(item.content_html.as_deref(), item.summary_html.as_deref())
    }

    /// The text of an entry with this `content` and `summary` HTML.
    pub fn of(content: Option<&str>, summary: Option<&str>) -> Option<EntryText> {
        [
            (content, SummarySource::Content),
            (summary, SummarySource::Summary),
        ]
        .into_iter()
        .filter_map(|(html, source)| Some((html?, source)))
        .find_map(|(html, source)| {
            let raw = extract::html_to_text(html);
            let text = extract::clean_feed_text(&raw);
            (!text.is_empty()).then_some(EntryText { raw, text, source })
        })
    }
}

/// What a post's text may come from besides the entry's fields.
#[derive(Debug, Clone, Default)]
pub struct TextSources<'a> {
    /// The article page, when one was fetched.
    pub page: Option<&'a ArticlePage>,
    /// The entry's text, when it was read already ([`EntryText::read`]);
    /// `None` reads it from the entry.
    pub entry: Option<Option<EntryText>>,
}

impl<'a> From<Option<&'a ArticlePage>> for TextSources<'a> {
    fn from(page: Option<&'a ArticlePage>) -> TextSources<'a> {
        TextSources { page, entry: None }
    }
}

/// A post ready to claim.
#[derive(Debug, Clone)]
pub struct BuiltPost {
    /// The post.
    pub post: Post,
    /// Which step of the chain gave the summary; `None` when none did.
    pub source: Option<SummarySource>,
    /// Every URL the article is known by; the external one first.
    pub urls: PostUrls,
}

/// Builds the post for `item` of `feed`, whose canonical link is `link`.
/// `sources` holds its article page when one was fetched, read with
/// `options`, and its own text when that was read already.
pub fn build_post<'a>(
    feed: &FeedConfig,
    config: &Config,
    item: &FeedItem,
    link: &Url,
    sources: impl Into<TextSources<'a>>,
    options: &PageOptions<'_>,
    now: DateTime<Utc>,
) -> BuiltPost {
    let TextSources { page, entry } = sources.into();
    let page_extract = page.map(|p| extract::extract_page(&p.html, &p.url, options));
    let entry_text = || {
        entry
            .unwrap_or_else(|| EntryText::read(item))
            .map(|e| (e.text, e.source))
    };
    let (text, source) = page_extract
        .as_ref()
        .and_then(|p| p.selected_text.clone())
        .map(|t| (t, SummarySource::Selector))
        .or_else(|| {
            page_extract.as_ref().and_then(|p| {
                let source = p
                    .article_rule
                    .clone()
                    .map_or(SummarySource::Article, SummarySource::Rule);
                p.article_text.clone().map(|t| (t, source))
            })
        })
        .or_else(entry_text)
        .or_else(|| {
            page_extract
                .as_ref()
                .and_then(|p| p.meta_description.clone())
                .map(|t| (t, SummarySource::Meta))
        })
        .map_or((String::new(), None), |(t, s)| (t, Some(s)));
    let canonical = page_extract
        .and_then(|p| p.canonical)
        .map(|u| canonicalize(&u))
        .map(|mut canonical| {
            // A page's canonical URL names the page, so any fragment on it
            // goes; a link that names its entry by a fragment (a microblog's
            // item in its day page, which holds other entries too) keeps its.
            canonical.set_fragment(link.fragment());
            canonical
        });
    let external_url = canonical.unwrap_or_else(|| link.clone());
    let urls = PostUrls::new(&external_url).with_alias(link);
    // A date more than a day ahead is a feed's mistake (or a trick to stay
    // on top); the post gets the time it was first seen instead.
    let date = item
        .date()
        .filter(|d| *d <= now + chrono::Duration::days(1))
        .unwrap_or(now)
        .fixed_offset();
    let post = Post {
        title: item
            .title
            .clone()
            .unwrap_or_else(|| external_url.to_string()),
        date,
        tags: super::tags::merge_tags(&feed.tags, &item.categories, &feed.category_tags),
        source: feed.name.clone(),
        external_url,
        draft: feed.draft,
        tldr: extract::cut_text(&text, config.tldr_length),
        summary: extract::cut_text(&text, config.summary_length),
        author: item.author.clone(),
        categories: item.categories.clone(),
    };
    BuiltPost { post, source, urls }
}

#[cfg(test)]
mod tests;
