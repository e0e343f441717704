//! Changing the config file from a command (`import-opml`, `add`,
//! `fix-moved`) the way a person would: comments, blank lines and the order
//! of keys kept (`toml_edit`), only the lines that change touched.
//!
//! [`ConfigEdit::open`] reads the file, the caller changes it through the
//! methods here, and [`ConfigEdit::commit`] checks the new text exactly as
//! `linkpost check` does, refuses when the file changed on disk meanwhile,
//! and replaces it atomically (a synced temporary file in the same folder,
//! with the old file's permissions, renamed over it). Nothing is written
//! on any error, so a command that fails leaves the config as it was.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};
use url::Url;

use super::{Config, ConfigError};

/// A config file change that could not be made; the file is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The file could not be read.
    #[error("cannot read config {path}: {cause}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The cause, printed in the message.
        cause: io::Error,
    },
    /// The file is not TOML that can be edited.
    #[error("{path}: cannot edit the config, it is not valid TOML: {message}")]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// What the TOML parser said.
        message: String,
    },
    /// The file has a `feed` key that is not a list of `[[feed]]` tables.
    #[error("{path}: `feed` must be a list of [[feed]] tables to add feeds to it")]
    NotFeedTables {
        /// The config file.
        path: PathBuf,
    },
    /// The changed config would not pass `linkpost check`.
    #[error("the change would make the config invalid, so {path} was left as it was: {cause}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// What `check` would say.
        cause: Box<ConfigError>,
    },
    /// Someone changed the file since it was read.
    #[error(
        "{path} changed while linkpost was editing it; it was left as it is now, run the command again"
    )]
    ChangedMeanwhile {
        /// The config file.
        path: PathBuf,
    },
    /// The new file could not be written.
    #[error("cannot write config {path}: {cause}; it was left as it was")]
    Write {
        /// The config file (or its temporary neighbour).
        path: PathBuf,
        /// The cause, printed in the message.
        cause: io::Error,
    },
}

/// A feed to add: the keys `import-opml` and `add` write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeed {
    /// Its name, unique in the config (see [`unique_name`]).
    pub name: String,
    /// Where it is fetched.
    pub url: String,
    /// Its tags; the key is left out when empty.
    pub tags: Vec<String>,
}

/// A feed as the file has it, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFeed {
    /// Its `name`, trimmed; empty when missing.
    pub name: String,
    /// Its `url`; empty when missing.
    pub url: String,
    /// Its `tags`.
    pub tags: Vec<String>,
}

/// An open config file, changed in memory until [`ConfigEdit::commit`].
#[derive(Debug)]
pub struct ConfigEdit {
    path: PathBuf,
    original: String,
    doc: DocumentMut,
}

impl ConfigEdit {
    /// Reads `path` for editing.
    pub fn open(path: &Path) -> Result<ConfigEdit, EditError> {
        let original = fs::read_to_string(path).map_err(|cause| EditError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        ConfigEdit::from_text(path, original)
    }

    /// Edits `text` as if read from `path`.
    pub fn from_text(path: &Path, text: String) -> Result<ConfigEdit, EditError> {
        let doc = text.parse::<DocumentMut>().map_err(|e| EditError::Syntax {
            path: path.to_path_buf(),
            message: e.message().trim().to_string(),
        })?;
        Ok(ConfigEdit {
            path: path.to_path_buf(),
            original: text,
            doc,
        })
    }

    /// The file being edited.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `[[feed]]` tables, in file order.
    pub fn feeds(&self) -> Vec<ListedFeed> {
        let Some(tables) = self.doc.get("feed").and_then(Item::as_array_of_tables) else {
            return Vec::new();
        };
        tables
            .iter()
            .map(|table| ListedFeed {
                name: string_key(table, "name").trim().to_string(),
                url: string_key(table, "url"),
                tags: table
                    .get("tags")
                    .and_then(Item::as_array)
                    .map(|tags| {
                        tags.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Appends `feed` as a new `[[feed]]` table at the end of the file,
    /// after a blank line.
    pub fn add_feed(&mut self, feed: &NewFeed) -> Result<(), EditError> {
        if self.doc.get("feed").is_none() {
            self.doc
                .insert("feed", Item::ArrayOfTables(ArrayOfTables::new()));
        }
        let Some(tables) = self
            .doc
            .get_mut("feed")
            .and_then(Item::as_array_of_tables_mut)
        else {
            return Err(EditError::NotFeedTables {
                path: self.path.clone(),
            });
        };
        let mut table = Table::new();
        table.insert("name", value(feed.name.as_str()));
        table.insert("url", value(feed.url.as_str()));
        if !feed.tags.is_empty() {
            let tags: Array = feed.tags.iter().map(String::as_str).collect();
            table.insert("tags", value(tags));
        }
        tables.push(table);
        // Comments after the last table belong before the new one, so the
        // old text stays the new text's beginning.
        let trailing = self.doc.trailing().as_str().unwrap_or_default().to_string();
        self.doc.set_trailing("");
        if let Some(new) = self
            .doc
            .get_mut("feed")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|tables| {
                let last = tables.len().checked_sub(1)?;
                tables.get_mut(last)
            })
        {
            new.decor_mut().set_prefix(format!("{trailing}\n"));
            // After every table the file has, whatever their order.
            new.set_position(Some(isize::MAX));
        }
        Ok(())
    }

    /// Sets the `url` of the feed named `name`, keeping the comments around
    /// the value. Returns whether such a feed was found.
    pub fn set_feed_url(&mut self, name: &str, url: &str) -> bool {
        let Some(tables) = self
            .doc
            .get_mut("feed")
            .and_then(Item::as_array_of_tables_mut)
        else {
            return false;
        };
        for table in tables.iter_mut() {
            if string_key(table, "name").trim() != name {
                continue;
            }
            let Some(old) = table.get_mut("url").and_then(Item::as_value_mut) else {
                continue;
            };
            let decor = old.decor().clone();
            *old = url.into();
            *old.decor_mut() = decor;
            return true;
        }
        false
    }

    /// The text the file would have.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// Whether anything changed.
    pub fn changed(&self) -> bool {
        self.text() != self.original
    }

    /// The change as a unified diff (empty when nothing changed).
    pub fn diff(&self) -> String {
        let new = self.text();
        let name = self.path.display().to_string();
        similar::TextDiff::from_lines(&self.original, &new)
            .unified_diff()
            .context_radius(2)
            .header(&name, &name)
            .to_string()
    }

    /// Checks the new text as `linkpost check` does, then replaces the file
    /// with it atomically. Returns the new config. Nothing is written when
    /// nothing changed.
    pub fn commit(self) -> Result<Config, EditError> {
        let text = self.text();
        let config = Config::parse(&self.path, &text).map_err(|cause| EditError::Invalid {
            path: self.path.clone(),
            cause: Box::new(cause),
        })?;
        if text == self.original {
            return Ok(config);
        }
        let read_err = |cause| EditError::Read {
            path: self.path.clone(),
            cause,
        };
        // A config kept as a symbolic link (dotfiles) is changed where it
        // lives; the link stays.
        let target = fs::canonicalize(&self.path).map_err(read_err)?;
        // Two commands editing at once take turns: the second finds the file
        // changed and writes nothing, so neither change is lost.
        let locked = fs::File::open(&target).map_err(read_err)?;
        rustix::fs::flock(&locked, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| read_err(e.into()))?;
        let now = fs::read_to_string(&target).map_err(read_err)?;
        if now != self.original {
            return Err(EditError::ChangedMeanwhile { path: self.path });
        }
        replace_file(&target, &text)?;
        drop(locked);
        Ok(config)
    }
}

/// The value of a string key of `table`, or empty.
fn string_key(table: &Table, key: &str) -> String {
    table
        .get(key)
        .and_then(Item::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Replaces `path` with `text`: a temporary file beside it, created with
/// its permissions (a config holding `review_token` is never readable by
/// others, not even for a moment), synced, renamed over it, the folder
/// synced. The caller holds the lock on `path`.
fn replace_file(path: &Path, text: &str) -> Result<(), EditError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |cause| EditError::Write { path, cause }
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "linkpost.toml".to_string());
    let tmp = dir.join(format!(".{file_name}.{}.linkpost-new", std::process::id()));
    let permissions = fs::metadata(path).map_err(write_err(path))?.permissions();
    // A leftover of this process id is from an edit that was killed.
    let _ = fs::remove_file(&tmp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(permissions.mode() & 0o7777);
    }
    let written = options
        .open(&tmp)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.set_permissions(permissions)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(cause) = written {
        let _ = fs::remove_file(&tmp);
        return Err(write_err(path)(cause));
    }
    // The new file is in place: a folder that cannot be synced costs
    // durability on a power loss, and the change is made, so it is said,
    // not reported as a failure.
    if let Err(e) = crate::output::sync_dir(dir) {
        tracing::warn!(
            "{} was changed, but its folder could not be synced: {e}",
            path.display()
        );
    }
    Ok(())
}

/// `base`, or `base (2)`, `base (3)`… : the first not in `taken`. An empty
/// `base` becomes `feed`.
pub fn unique_name(base: &str, taken: &HashSet<String>) -> String {
    let base = match base.split_whitespace().collect::<Vec<_>>().join(" ") {
        b if b.is_empty() => "feed".to_string(),
        b => b,
    };
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base} ({n})"))
        .find(|name| !taken.contains(name))
        .unwrap_or(base)
}

/// The form of a feed URL under which two feeds are the same one: the
/// dedupe key of entries ([`canonicalize`](crate::canon::canonicalize)),
/// with `http` and `https` and a trailing slash not told apart. A text
/// that is no absolute URL is only trimmed.
pub fn feed_url_key(url: &str) -> String {
    let trimmed = url.trim();
    let Ok(parsed) = Url::parse(trimmed) else {
        return trimmed.to_string();
    };
    let canonical = crate::canon::canonicalize(&parsed);
    let text = canonical.as_str();
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    text.trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "# my feeds\noutput_dir = \"drafts\" # where drafts go\n\n\
        [[feed]]\nname = \"CNCF\" # the first\nurl = \"https://www.cncf.io/feed/\"   # keep me\n";

    fn edit(text: &str) -> ConfigEdit {
        ConfigEdit::from_text(Path::new("/tmp/x/linkpost.toml"), text.to_string()).unwrap()
    }

    #[test]
    fn adding_a_feed_only_appends_lines() {
        let mut e = edit(CONFIG);
        e.add_feed(&NewFeed {
            name: "Kubernetes \"blog\"".into(),
            url: "https://kubernetes.io/feed.xml".into(),
            tags: vec!["k8s".into(), "cloud native".into()],
        })
        .unwrap();
        let text = e.text();
        assert_eq!(
            text,
            format!(
                "{CONFIG}\n[[feed]]\nname = 'Kubernetes \"blog\"'\nurl = \"https://kubernetes.io/feed.xml\"\n\
                 tags = [\"k8s\", \"cloud native\"]\n"
            )
        );
        assert_eq!(e.feeds().len(), 2);
        assert_eq!(e.feeds()[1].name, "Kubernetes \"blog\"");
        assert!(e.diff().contains("+[[feed]]"));
    }

    #[test]
    fn adding_to_a_config_without_feeds() {
        let mut e = edit("# nothing yet\n");
        e.add_feed(&NewFeed {
            name: "a".into(),
            url: "https://a.example/feed".into(),
            tags: vec![],
        })
        .unwrap();
        assert_eq!(
            e.text(),
            "# nothing yet\n\n[[feed]]\nname = \"a\"\nurl = \"https://a.example/feed\"\n"
        );
    }

    #[test]
    fn a_feed_goes_after_every_table_and_comment() {
        let text = "[[feed]]\nname = \"a\"\nurl = \"https://a.example/\"\n\n\
            [[rule]]\nhost = \"x.example\"\n# [[feed]] examples:\n# name = \"z\"\n";
        let mut e = edit(text);
        for name in ["b", "c"] {
            e.add_feed(&NewFeed {
                name: name.into(),
                url: format!("https://{name}.example/"),
                tags: vec![],
            })
            .unwrap();
        }
        assert_eq!(
            e.text(),
            format!(
                "{text}\n[[feed]]\nname = \"b\"\nurl = \"https://b.example/\"\n\
                 \n[[feed]]\nname = \"c\"\nurl = \"https://c.example/\"\n"
            )
        );
    }

    #[test]
    fn a_feed_key_that_is_not_tables_is_refused() {
        let mut e = edit("feed = 3\n");
        let err = e
            .add_feed(&NewFeed {
                name: "a".into(),
                url: "https://a.example/".into(),
                tags: vec![],
            })
            .unwrap_err();
        assert!(matches!(err, EditError::NotFeedTables { .. }), "{err}");
    }

    #[test]
    fn setting_a_url_keeps_its_comment() {
        let mut e = edit(CONFIG);
        assert!(e.set_feed_url("CNCF", "https://cncf.io/feed.xml"));
        assert!(!e.set_feed_url("nobody", "https://x.example/"));
        assert_eq!(
            e.text(),
            CONFIG.replace("https://www.cncf.io/feed/", "https://cncf.io/feed.xml")
        );
    }

    #[test]
    fn names_are_made_unique() {
        let taken: HashSet<String> = ["Blog", "Blog (2)"].map(String::from).into();
        assert_eq!(unique_name("Blog", &taken), "Blog (3)");
        assert_eq!(unique_name("  New \n blog ", &taken), "New blog");
        assert_eq!(unique_name("", &taken), "feed");
    }

    #[test]
    fn feed_url_keys_ignore_scheme_case_and_trailing_slash() {
        assert_eq!(
            feed_url_key("http://WWW.CNCF.io/feed/"),
            feed_url_key("https://www.cncf.io/feed")
        );
        assert_ne!(
            feed_url_key("https://www.cncf.io/feed"),
            feed_url_key("https://www.cncf.io/rss")
        );
    }

    #[test]
    fn commit_checks_and_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("linkpost.toml");
        fs::write(&path, CONFIG).unwrap();
        let mut e = ConfigEdit::open(&path).unwrap();
        e.add_feed(&NewFeed {
            name: "b".into(),
            url: "https://b.example/feed".into(),
            tags: vec![],
        })
        .unwrap();
        let config = e.commit().unwrap();
        assert_eq!(config.feeds.len(), 2);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(CONFIG), "{text}");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_config_is_changed_where_it_lives_with_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles-linkpost.toml");
        fs::write(&real, CONFIG).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("linkpost.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut e = ConfigEdit::open(&link).unwrap();
        e.add_feed(&NewFeed {
            name: "b".into(),
            url: "https://b.example/feed".into(),
            tags: vec![],
        })
        .unwrap();
        e.commit().unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&real).unwrap().contains("name = \"b\""));
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn an_invalid_result_or_a_change_meanwhile_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("linkpost.toml");
        fs::write(&path, CONFIG).unwrap();

        let mut e = ConfigEdit::open(&path).unwrap();
        // A second feed of the same name fails `check`.
        e.add_feed(&NewFeed {
            name: "CNCF".into(),
            url: "https://b.example/feed".into(),
            tags: vec![],
        })
        .unwrap();
        let err = e.commit().unwrap_err();
        assert!(matches!(err, EditError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("duplicate feed name"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), CONFIG);

        let mut e = ConfigEdit::open(&path).unwrap();
        e.add_feed(&NewFeed {
            name: "c".into(),
            url: "https://c.example/feed".into(),
            tags: vec![],
        })
        .unwrap();
        fs::write(&path, format!("{CONFIG}# edited by hand\n")).unwrap();
        let err = e.commit().unwrap_err();
        assert!(matches!(err, EditError::ChangedMeanwhile { .. }), "{err}");
        assert!(
            fs::read_to_string(&path)
                .unwrap()
                .ends_with("# edited by hand\n")
        );
    }
}
