//! Dedupe keys and the compact form of URLs: what the store keeps of an
//! entry's names. Pure functions; the SQL is in `entries.rs` and `schema.rs`.
//!
//! Every name an entry is known by (each normalized URL, and its feed's guid)
//! is stored as an 18-byte key: two bytes that place it near the names a
//! poll of the same feed looks up (from a hash of the URL's origin, or of
//! the feed's name), then its identity, the first 128 bits of the SHA-256 of
//! the name, with its kind and lengths framed so that no two different names
//! hash the same input. The full texts took about 100 bytes a name on disk,
//! and an entry's URL twice (in its row too); a key takes about 30. Without
//! the two bytes a poll's 40 lookups fall on 40 random pages, and classify
//! in a store of a million entries took twice as long as in an empty one.
//!
//! Why 128 bits cannot lose a post: a post is lost only when a new name's key
//! equals a stored one, which needs their 128-bit hashes equal. SHA-256
//! truncated to 128 bits behaves as a random function as far as anyone knows
//! (no shortcut better than brute force is known), so among n names the
//! chance that any two collide is at most n² / 2¹²⁹: for 10⁸ names, fifty
//! times what a store of a million entries holds, about 10⁻²³ over the
//! store's whole life, far below the odds of the disk or the memory
//! flipping the bit that would lose it. Made on purpose, a collision with
//! someone else's post needs a second preimage (2¹²⁸ work); two names of
//! one's own that collide (2⁶⁴ work) only hide one's own post. A 64-bit
//! hash would not do: one store in about 3,700 holding 10⁸ names would lose
//! a post.

use sha2::{Digest as _, Sha256};

/// A stored dedupe key: a 2-byte locality prefix, then the 128-bit hash.
pub(super) type Key = [u8; 18];

/// Kinds of names, framed into the hash so a URL and a guid never share one.
const URL: u8 = b'u';
const GUID: u8 = b'g';
/// Kinds of locality prefixes.
const ORIGIN: u8 = b'o';
const FEED: u8 = b'f';

/// The key of a normalized URL: seen under it in any feed.
pub(super) fn url_key(url: &str) -> Key {
    key(
        hash(ORIGIN, &[split_url(url).0.unwrap_or_default()]),
        hash(URL, &[url]),
    )
}

/// The key of `guid` in `feed` (by name): guids are per feed.
pub(super) fn guid_key(feed: &str, guid: &str) -> Key {
    key(hash(FEED, &[feed]), hash(GUID, &[feed, guid]))
}

/// The first two bytes of `near` (a hash of the site or the feed, so that
/// the keys a poll looks up lie together, on few pages), then the first 16
/// of `name`: the key's identity. Equal names give equal keys; two
/// different names can share one only if their 128-bit hashes are equal.
fn key(near: [u8; 32], name: [u8; 32]) -> Key {
    let mut key = [0; 18];
    key[..2].copy_from_slice(&near[..2]);
    key[2..].copy_from_slice(&name[..16]);
    key
}

fn hash(kind: u8, parts: &[&str]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update([kind]);
    for part in parts {
        // Each part's length first, so ("ab", "c") and ("a", "bc") differ.
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
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
        assert_eq!(
            url_key("https://e.com/a")[..2],
            url_key("https://e.com/b?c")[..2],
            "one site's URLs lie together"
        );
        assert_eq!(guid_key("F", "1")[..2], guid_key("F", "2")[..2]);
        assert_eq!(url_key("https://e.com/a"), url_key("https://e.com/a"));
        // SHA-256("o" ‖ 14u64 LE ‖ "https://e.com/"), first 2 bytes, then
        // SHA-256("u" ‖ 15u64 LE ‖ "https://e.com/a"), first 16: a key is
        // stored forever, so its recipe must never drift.
        assert_eq!(
            url_key("https://e.com/a"),
            [
                0x59, 0xf8, 0x4a, 0xea, 0xc4, 0x6f, 0xbd, 0xee, 0x04, 0x35, 0x2a, 0x67, 0x52, 0xa4,
                0x54, 0x56, 0x0f, 0xfc
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
