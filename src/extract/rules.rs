//! Extraction rules: where the article is on a platform's or a site's pages.
//!
//! The built-in rules live in `rules.toml` beside this file (WordPress,
//! Ghost, Medium, Substack, Blogger, Hugo, Jekyll, dev.to, Hashnode, GitHub,
//! and a few sites); a config adds its own with the same keys. A page's
//! site rules (by host) are tried first, then its platform rules (by
//! `<meta name="generator">` or markup), each only when it finds text.

use scraper::{ElementRef, Html, Selector};
use serde::Deserialize;
use url::Url;

use super::main_content::Page;

/// A rule as written in `rules.toml` or in the config's `[[rule]]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// The rule's name; a summary it gave says `rule:NAME`.
    pub name: String,
    /// Hosts (and their subdomains) the rule applies to.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Substrings of `<meta name="generator">` (any case) that select it.
    #[serde(default)]
    pub generator: Vec<String>,
    /// CSS selectors whose match selects it.
    #[serde(default)]
    pub markup: Vec<String>,
    /// CSS selectors of the article's body, tried in order.
    pub content: Vec<String>,
    /// CSS selectors removed before the body is read.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// Why a rule cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuleError {
    /// A rule without a name.
    #[error("a rule has no name: give it `name = \"...\"`")]
    NoName,
    /// A rule with no content selector.
    #[error("rule `{rule}` has no `content` selector: list where the article's body is")]
    NoContent {
        /// The rule.
        rule: String,
    },
    /// A rule that would never apply.
    #[error("rule `{rule}` never applies: give it `hosts`, `generator` or `markup`")]
    NeverApplies {
        /// The rule.
        rule: String,
    },
    /// A selector that does not parse.
    #[error("rule `{rule}`: `{key}` selector `{selector}` is not valid CSS")]
    Selector {
        /// The rule.
        rule: String,
        /// The key holding it.
        key: &'static str,
        /// The selector as written.
        selector: String,
    },
}

/// A rule ready to use: its selectors parsed.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    hosts: Vec<String>,
    generator: Vec<String>,
    markup: Vec<Selector>,
    pub(super) content: Vec<Selector>,
    pub(super) exclude: Vec<Selector>,
}

impl Rule {
    /// Checks `spec` and parses its selectors.
    pub fn compile(spec: &RuleSpec) -> Result<Rule, RuleError> {
        let name = spec.name.trim();
        if name.is_empty() {
            return Err(RuleError::NoName);
        }
        if spec.content.is_empty() {
            return Err(RuleError::NoContent {
                rule: name.to_string(),
            });
        }
        if spec.hosts.is_empty() && spec.generator.is_empty() && spec.markup.is_empty() {
            return Err(RuleError::NeverApplies {
                rule: name.to_string(),
            });
        }
        let parse = |key: &'static str, list: &[String]| -> Result<Vec<Selector>, RuleError> {
            list.iter()
                .map(|css| {
                    Selector::parse(css).map_err(|_| RuleError::Selector {
                        rule: name.to_string(),
                        key,
                        selector: css.clone(),
                    })
                })
                .collect()
        };
        Ok(Rule {
            name: name.to_string(),
            hosts: spec
                .hosts
                .iter()
                .map(|h| h.trim().trim_start_matches('.').to_ascii_lowercase())
                .collect(),
            generator: spec.generator.iter().map(|g| g.to_lowercase()).collect(),
            markup: parse("markup", &spec.markup)?,
            content: parse("content", &spec.content)?,
            exclude: parse("exclude", &spec.exclude)?,
        })
    }

    /// The article's text by this rule: the first content selector whose
    /// matches hold an article's worth of text from its first sentence,
    /// with the rule's excludes, and clutter, left out. The page itself is
    /// not changed, so a rule that finds nothing leaves it to the next.
    pub(super) fn read(&self, page: &Page<'_>, titles: &[String]) -> Option<String> {
        let excluded = |el: ElementRef<'_>| self.exclude.iter().any(|s| s.matches(&el));
        self.content
            .iter()
            .find_map(|selector| page.read_matches(selector, &excluded, titles))
    }

    /// Whether the rule names `url`'s host or a parent domain of it.
    fn matches_host(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        self.hosts
            .iter()
            .any(|h| host == *h || host.ends_with(&format!(".{h}")))
    }

    /// Whether the page says it runs on the rule's platform.
    fn matches_page(&self, doc: &Html, generator: Option<&str>) -> bool {
        generator.is_some_and(|g| self.generator.iter().any(|want| g.contains(want.as_str())))
            || self.markup.iter().any(|s| doc.select(s).next().is_some())
    }
}

/// The rules built into linkpost, from `rules.toml`.
pub fn builtin_rules() -> &'static [Rule] {
    &BUILTIN_RULES
}

/// `rules.toml` as written.
#[derive(Deserialize)]
struct RulesFile {
    rule: Vec<RuleSpec>,
}

fn builtin_specs() -> Vec<RuleSpec> {
    // The file ships inside the binary and `every_builtin_rule_compiles`
    // reads it, so a failure here is a build mistake, not input.
    toml::from_str::<RulesFile>(include_str!("rules.toml"))
        .expect("the built-in rules.toml parses (checked by a unit test)")
        .rule
}

static BUILTIN_RULES: std::sync::LazyLock<Vec<Rule>> = std::sync::LazyLock::new(|| {
    builtin_specs()
        .iter()
        .map(|spec| {
            Rule::compile(spec).expect("every built-in rule compiles (checked by a unit test)")
        })
        .collect()
});

/// The rules that apply to a page, in the order to try them: the user's
/// before the built-in ones; within each, those naming the page's host
/// before those recognising its platform.
pub(super) fn applicable<'r>(
    user: &'r [Rule],
    doc: &Html,
    page_url: &Url,
    generator: Option<&str>,
) -> Vec<&'r Rule> {
    let generator = generator.map(str::to_lowercase);
    let mut out = Vec::new();
    for set in [user, builtin_rules()] {
        let (by_host, others): (Vec<&Rule>, Vec<&Rule>) =
            set.iter().partition(|r| r.matches_host(page_url));
        out.extend(by_host);
        out.extend(
            others
                .into_iter()
                .filter(|r| r.matches_page(doc, generator.as_deref())),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_rule_compiles() {
        let specs = builtin_specs();
        for spec in &specs {
            if let Err(e) = Rule::compile(spec) {
                panic!("built-in rule {}: {e}", spec.name);
            }
        }
        assert_eq!(builtin_rules().len(), specs.len());
        for platform in [
            "wordpress",
            "ghost",
            "medium",
            "substack",
            "blogger",
            "hugo",
            "jekyll",
            "devto",
            "hashnode",
            "github",
        ] {
            assert!(
                builtin_rules().iter().any(|r| r.name == platform),
                "no built-in rule for {platform}"
            );
        }
    }

    #[test]
    fn bad_rules_are_refused_with_their_name() {
        let spec = RuleSpec {
            name: "mine".into(),
            hosts: vec!["example.com".into()],
            content: vec!["div[".into()],
            ..RuleSpec::default()
        };
        assert_eq!(
            Rule::compile(&spec).unwrap_err().to_string(),
            "rule `mine`: `content` selector `div[` is not valid CSS"
        );
        let spec = RuleSpec {
            name: "mine".into(),
            content: vec!["article".into()],
            ..RuleSpec::default()
        };
        assert!(matches!(
            Rule::compile(&spec),
            Err(RuleError::NeverApplies { .. })
        ));
    }

    #[test]
    fn host_rules_match_subdomains_only_at_a_dot() {
        let rule = Rule::compile(&RuleSpec {
            name: "s".into(),
            hosts: vec!["substack.com".into()],
            content: vec!["article".into()],
            ..RuleSpec::default()
        })
        .expect("valid");
        let url = |u: &str| Url::parse(u).expect("valid");
        assert!(rule.matches_host(&url("https://substack.com/p/x")));
        assert!(rule.matches_host(&url("https://news.substack.com/p/x")));
        assert!(!rule.matches_host(&url("https://notsubstack.com/p/x")));
    }
}
