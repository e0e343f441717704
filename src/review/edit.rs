//! Editing a draft's title, tags, tldr and summary from the review page.
//!
//! Only the edited values change (see
//! [`front_matter::set_fields`](crate::post::front_matter::set_fields));
//! the new text is written to a temporary file and renamed over the draft,
//! and a save is refused when the file changed since the reviewer read it,
//! so no edit, theirs or anyone's, is lost.

use std::fs;

use sha2::{Digest, Sha256};

use super::backup::{TempGuard, sync, write_temp};
use super::{ReviewError, Target};
use crate::output;
use crate::post::front_matter::{self, NewValue};

/// The edits of one save; `None` leaves a value as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Edits {
    /// New title.
    pub title: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New tldr.
    pub tldr: Option<String>,
    /// New summary.
    pub summary: Option<String>,
}

/// A short digest of a file's text, to tell whether it changed.
pub fn fingerprint(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

impl Target {
    /// The draft's text as it was read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The draft's front matter as it was read.
    pub fn front_matter(&self) -> &front_matter::FrontMatter {
        &self.front_matter
    }

    /// The [`fingerprint`] of the draft as it was read.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.text)
    }
}

/// Saves `edits` to the draft, if the file still has the fingerprint
/// `read_as` (what the reviewer saw). Returns the new fingerprint.
pub fn edit(target: &Target, edits: &Edits, read_as: &str) -> Result<String, ReviewError> {
    let id = target.post.id;
    let changed = || ReviewError::Changed {
        id,
        path: target.path.clone(),
    };
    if target.fingerprint() != read_as {
        return Err(changed());
    }
    let mut changes = Vec::new();
    if let Some(title) = &edits.title {
        changes.push(("title", NewValue::Text(one_line(title))));
    }
    if let Some(tags) = &edits.tags {
        let tags = tags
            .iter()
            .map(|t| one_line(t))
            .filter(|t| !t.is_empty())
            .collect();
        changes.push(("tags", NewValue::List(tags)));
    }
    if let Some(tldr) = &edits.tldr {
        changes.push(("tldr", NewValue::Text(tldr.replace("\r\n", "\n"))));
    }
    if let Some(summary) = &edits.summary {
        changes.push(("summary", NewValue::Text(summary.replace("\r\n", "\n"))));
    }
    // Values equal to what the file holds are left alone, bytes and all.
    let fm = &target.front_matter;
    changes.retain(|(key, value)| match value {
        NewValue::Text(s) => fm.get(key) != Some(s.as_str()),
        NewValue::List(items) => fm.list(key) != Some(items.as_slice()),
    });
    if changes.is_empty() {
        return Ok(target.fingerprint());
    }
    let text = front_matter::set_fields(&target.text, fm, &changes);
    let dir = target.path.parent().unwrap_or(std::path::Path::new("."));
    let tmp = write_temp(id, dir, &target.post.file, &text)?;
    let guard = TempGuard(Some(tmp.clone()));
    // Checked again just before the rename, to keep the window for a lost
    // edit as small as the file system allows.
    match fs::read_to_string(&target.path) {
        Ok(now) if fingerprint(&now) == read_as => {}
        _ => return Err(changed()),
    }
    fs::rename(&tmp, &target.path).map_err(|cause| ReviewError::Io {
        id,
        action: "replace",
        path: target.path.clone(),
        cause,
    })?;
    guard.disarm();
    output::tidy_temp_dir(dir);
    sync(id, dir);
    Ok(fingerprint(&text))
}

/// A title or tag on one line: line breaks become spaces.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
