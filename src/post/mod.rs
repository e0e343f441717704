//! Posts: what one new entry becomes. [`build`] runs the summary chain and
//! fills a [`Post`], [`render`] writes its markdown with YAML front matter,
//! [`front_matter`] reads a post file back (for review), [`file_name`]
//! names it, and [`tags`] merges its tags. Pure: nothing here fetches, stores or writes.

pub mod build;
pub mod file_name;
pub mod format;
pub mod front_matter;
pub mod render;
pub mod tags;

pub use build::{ArticlePage, BuiltPost, EntryText, TextSources, build_post};
pub use format::{Flavour, PostFormat};
pub use render::{Post, render_post};
pub use tags::{CategoryTags, merge_tags};
