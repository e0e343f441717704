//! Dedupe keys and the compact form of URLs: what the store keeps of an
//! entry's names. Pure functions; the SQL is in `entries.rs` and `schema.rs`.
//!
//! Every name an entry is known by (each normalized URL, and its feed's guid)
//! is stored as a 16-byte key: the first 128 bits of the SHA-256 of the name,
//! with its kind and lengths framed so that no two different names hash the
//! same input. The full texts took 100 bytes a name on disk, twice over (an
//! entry's URL was in its row too); the keys take about 28.
//!
//! Why 128 bits cannot lose a post: a post is lost only when a new name's key
//! equals a stored one. SHA-256 truncated to 128 bits behaves as a random
//! function as far as anyone knows (no shortcut better than brute force is
//! known), so among n keys the chance that any two collide is at most
//! n² / 2¹²⁹: for 10⁸ names, a hundred times what a long-lived store holds,
//! below 10⁻²² over the store's whole life, far below the odds of the disk
//! or the memory flipping the bit that would lose it. Made on purpose, a
//! collision with someone else's post needs a second preimage (2¹²⁸ work);
//! two names of one's own that collide (2⁶⁴ work) only hide one's own post.
//! A 64-bit key would not do: one collision among 10⁸ names is then likely
//! within 2⁶⁴ / 10¹⁶ ≈ 1,800 such stores.

use sha2::{Digest as _, Sha256};

/// A stored dedupe key.
pub(super) type Key = [u8; 16];

/// Kinds of names, framed into the hash so a URL and a guid never share one.
const URL: u8 = b'u';
const GUID: u8 = b'g';

/// The key of a normalized URL: seen under it in any feed.
pub(super) fn url_key(url: &str) -> Key {
    key(URL, &[url])
}

/// The key of `guid` in `feed` (by name): guids are per feed.
pub(super) fn guid_key(feed: &str, guid: &str) -> Key {
    key(GUID, &[feed, guid])
}

fn key(kind: u8, parts: &[&str]) -> Key {
    let mut hash = Sha256::new();
    hash.update([kind]);
    for part in parts {
        // Each part's length first, so ("ab", "c") and ("a", "bc") differ.
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// Splits `url` into its origin (`scheme://authority/`, stored once in the
/// `origins` table; most of a feed's links share one) and the rest, kept in
/// the entry's row. A URL without an authority is all rest. The two always
/// join back to `url`.
pub(super) fn split_url(url: &str) -> (Option<&str>, &str) {
    let Some(scheme_end) = url.find("://") else {
        return (None, url);
    };
    let authority = scheme_end + "://".len();
    match url[authority..].find('/') {
        Some(slash) => {
            let (origin, rest) = url.split_at(authority + slash + 1);
            (Some(origin), rest)
        }
        None => (None, url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_are_framed_by_kind_and_part() {
        assert_ne!(guid_key("ab", "c"), guid_key("a", "bc"));
        assert_ne!(url_key("https://e.com/"), guid_key("", "https://e.com/"));
        assert_eq!(url_key("https://e.com/a"), url_key("https://e.com/a"));
        // SHA-256("u" ‖ 15u64 LE ‖ "https://e.com/a"), first 16 bytes: a
        // key is stored forever, so its recipe must never drift.
        assert_eq!(
            url_key("https://e.com/a"),
            [
                0x4a, 0xea, 0xc4, 0x6f, 0xbd, 0xee, 0x04, 0x35, 0x2a, 0x67, 0x52, 0xa4, 0x54, 0x56,
                0x0f, 0xfc
            ]
        );
    }

    #[test]
    fn urls_split_after_their_authority() {
        assert_eq!(
            split_url("https://blog.example.com/2026/11/a/"),
            (Some("https://blog.example.com/"), "2026/11/a/")
        );
        assert_eq!(split_url("https://e.com/"), (Some("https://e.com/"), ""));
        assert_eq!(split_url("mailto:a@e.com"), (None, "mailto:a@e.com"));
        assert_eq!(split_url("foo://host"), (None, "foo://host"));
    }

    proptest! {
        #[test]
        fn a_split_url_joins_back(url in "\\PC*") {
            let (origin, rest) = split_url(&url);
            prop_assert_eq!(format!("{}{rest}", origin.unwrap_or_default()), url);
        }
    }
}
