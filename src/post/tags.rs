//! A post's tags: the feed's configured tags, then (when the feed asks for
//! it) the entry's categories, mapped, lower-cased and filtered. Pure.
//!
//! Tags are rendered through [`yaml_string`](super::render::yaml_string) like
//! every other scalar, so a category holding YAML or HTML cannot break the
//! front matter.

use std::collections::{HashMap, HashSet};

/// How a feed turns its entries' categories into tags: the keys
/// `tags_from_categories`, `tag_map` and `tag_drop`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CategoryTags {
    /// Whether categories become tags at all (`tags_from_categories`).
    pub enabled: bool,
    /// Category, trimmed and lower-cased, to the tag it becomes, trimmed
    /// (`tag_map`); the tag is used as written, not lower-cased.
    pub map: HashMap<String, String>,
    /// Tags, lower-cased, that are never added (`tag_drop`).
    pub drop: HashSet<String>,
}

impl CategoryTags {
    /// Builds the rules from the config's values: `map` keys are matched
    /// case-insensitively after trimming, `drop` entries case-insensitively.
    pub fn new<'a>(
        enabled: bool,
        map: impl IntoIterator<Item = (&'a str, &'a str)>,
        drop: impl IntoIterator<Item = &'a str>,
    ) -> CategoryTags {
        CategoryTags {
            enabled,
            map: map
                .into_iter()
                .map(|(category, tag)| (category.trim().to_lowercase(), tag.trim().to_string()))
                .collect(),
            drop: drop
                .into_iter()
                .map(|tag| tag.trim().to_lowercase())
                .collect(),
        }
    }

    /// The tag `category` becomes, `None` when it becomes none (empty,
    /// mapped to nothing, or dropped).
    fn tag_of(&self, category: &str) -> Option<String> {
        let category = category.trim();
        let tag = match self.map.get(&category.to_lowercase()) {
            Some(mapped) => mapped.clone(),
            None => category.to_lowercase(),
        };
        (!tag.is_empty() && !self.drop.contains(&tag.to_lowercase())).then_some(tag)
    }
}

/// The post's tags: `configured` as they are, then, when `rules` are
/// enabled, each of `categories` as [`CategoryTags`] turns it into a tag,
/// skipping any tag already present (compared case-insensitively).
pub fn merge_tags(
    configured: &[String],
    categories: &[String],
    rules: &CategoryTags,
) -> Vec<String> {
    let mut tags = configured.to_vec();
    if !rules.enabled {
        return tags;
    }
    let mut seen: HashSet<String> = tags.iter().map(|t| t.trim().to_lowercase()).collect();
    for category in categories {
        if let Some(tag) = rules.tag_of(category)
            && seen.insert(tag.to_lowercase())
        {
            tags.push(tag);
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn categories_become_tags_by_the_rules() {
        let rules = CategoryTags::new(
            true,
            [(" Cloud Native ", " cloud-native "), ("Misc", "")],
            ["Uncategorized", "news"],
        );
        /// (name, configured, categories, rules, want)
        type Case<'a> = (
            &'a str,
            &'a [&'a str],
            &'a [&'a str],
            &'a CategoryTags,
            &'a [&'a str],
        );
        let cases: &[Case] = &[
            (
                "off keeps configured only",
                &["cncf"],
                &["Go"],
                &CategoryTags::default(),
                &["cncf"],
            ),
            (
                "after configured, lower-cased, trimmed",
                &["cncf"],
                &[" Go ", "Rust"],
                &rules,
                &["cncf", "go", "rust"],
            ),
            (
                "duplicates keep the first",
                &["cncf"],
                &["CNCF", "go", "Go", " GO"],
                &rules,
                &["cncf", "go"],
            ),
            ("empty ones dropped", &[], &["", "   ", "a"], &rules, &["a"]),
            (
                "mapped case-insensitively, value as written",
                &[],
                &["cloud native", "CLOUD NATIVE"],
                &rules,
                &["cloud-native"],
            ),
            (
                "mapped to nothing is dropped",
                &[],
                &["misc", "x"],
                &rules,
                &["x"],
            ),
            (
                "drop compared lower-cased",
                &[],
                &["UNCATEGORIZED", "News", "k8s"],
                &rules,
                &["k8s"],
            ),
            (
                "hostile text kept as text",
                &[],
                &["a: b\n- c", "<script>"],
                &rules,
                &["a: b\n- c", "<script>"],
            ),
            ("no categories", &["x"], &[], &rules, &["x"]),
        ];
        for (name, configured, categories, rules, want) in cases {
            assert_eq!(
                merge_tags(&strings(configured), &strings(categories), rules),
                strings(want),
                "{name}"
            );
        }
    }

    #[test]
    fn a_mapped_tag_is_dropped_when_the_drop_list_names_it() {
        let rules = CategoryTags::new(true, [("Announcements", "News")], ["news"]);
        assert_eq!(
            merge_tags(&[], &strings(&["Announcements", "Go"]), &rules),
            ["go"]
        );
    }
}
