//! Teasers: whether a feed entry carries its whole article or only the start
//! of it, which is what `fetch_article = "auto"` asks before fetching a page.
//!
//! Pure and synchronous: it reads the entry's HTML as the summary chain
//! would (content first, else summary) and never fetches anything.
//!
//! The rules were chosen on the real feeds in `shared/fixtures` (peer
//! projects' test suites; `bench/teaser_report.rs` prints the verdicts):
//!
//! - a "read more" sign at the end is a teaser, whatever the length: `[…]`,
//!   `[...]`, `(more…)`, "Continue reading", "Read more", IDG's "To read this
//!   article in full, please click here" (a WordPress "The post X appeared
//!   first on Y." line is dropped first). The Guardian's excerpts run from
//!   about 100 to 1,900 characters, and only their "Continue reading..."
//!   tells;
//! - else text shorter than [`TEASER_MAX_CHARS`] is a teaser.
//!
//! A bare `…` or `...` at the end is no sign by itself: in those feeds it ends
//! five whole articles of 982 to 5,240 characters, while no excerpt that
//! ends in one is longer than 301, so short anyway.

use crate::extract::without_appeared_first_on;
use crate::post::EntryText;

/// Feed text shorter than this many characters is taken for a teaser.
///
/// Over 15 excerpt feeds (399 entries) and 40 whole-text feeds (742 entries)
/// of the fixtures, the longest excerpt without a "read more" sign is
/// golem.de's, at 366 characters. At 500 no excerpt is missed, and 80 whole
/// entries (11%) get their page fetched although the feed held them,
/// mostly link-blog and microblog posts (Daring Fireball, One Foot Tsunami,
/// Sam Ruby). 400 would spare 26 of those with a margin of 34 characters;
/// 500 leaves room for languages with longer words. A needless fetch costs
/// a request; a missed teaser costs the post its summary.
pub const TEASER_MAX_CHARS: usize = 500;

/// How far after "Continue reading" the text may go on and still be its link
/// (where or what it continues: "on Medium", "“Title”"), in bytes.
const CONTINUE_READING_TAIL: usize = 120;

/// Why an entry's own text is taken for a teaser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Teaser {
    /// The entry has no text at all.
    Empty,
    /// Its text ends in a sign that the article goes on: `[…]`, "Continue
    /// reading", "Read more", `(more…)`.
    ReadMore,
    /// Its text is shorter than [`TEASER_MAX_CHARS`].
    Short,
}

impl Teaser {
    /// The stable lower-case name used in logs and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Teaser::Empty => "empty",
            Teaser::ReadMore => "read-more",
            Teaser::Short => "short",
        }
    }
}

/// Whether an entry whose own text is `entry` ([`EntryText::read`]: the
/// text a post would take from the feed, its content when that has any,
/// else its summary) carries only a teaser of its article, and why; `None`
/// when its text looks whole.
pub fn detect_teaser(entry: Option<&EntryText>) -> Option<Teaser> {
    let Some(EntryText { raw, text, .. }) = entry else {
        return Some(Teaser::Empty);
    };
    if ends_in_read_more(without_appeared_first_on(raw)) {
        Some(Teaser::ReadMore)
    } else if text.chars().count() < TEASER_MAX_CHARS {
        Some(Teaser::Short)
    } else {
        None
    }
}

/// Characters a "read more" link is decorated with, stripped from the end
/// before the words are compared.
fn is_decoration(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '»' | '→' | '›' | '>' | '.' | '…' | ']' | ')' | ':' | '-' | '–' | '—'
        )
}

/// Link texts that end a teaser, lower case, decorations stripped.
const READ_MORE: &[&str] = &[
    "read more",
    "read more here",
    "(more",
    "keep reading",
    "read the rest",
    "read the rest of this entry",
    "read the rest of this post",
    "read the full story",
    "read the full article",
    "read the full post",
    "read full story",
    "read full article",
    "to read this article in full, please click here",
];

/// Bytes at the end of a text that a "read more" sign is looked for in: the
/// longest sign with its decorations and "Continue reading"'s tail fit.
const READ_MORE_TAIL: usize = 1024;

/// Whether `text` ends in a "read more" sign.
fn ends_in_read_more(text: &str) -> bool {
    let lower = crate::extract::tail(text, READ_MORE_TAIL).to_lowercase();
    // Entities a feed escaped twice survive html_to_text as text.
    if lower.ends_with("[&hellip;]") || lower.ends_with("[&#8230;]") {
        return true;
    }
    let stripped = lower.trim_end_matches(is_decoration);
    // An ellipsis alone in brackets: "[…]", "[...]", "(…)", "[ … ]" (but not
    // the "()" that ends "call main()").
    let decorations = &lower[stripped.len()..];
    if (stripped.ends_with('[') || stripped.ends_with('('))
        && (decorations.contains('…') || decorations.contains("..."))
    {
        return true;
    }
    if READ_MORE
        .iter()
        .any(|phrase| ends_with_words(stripped, phrase))
    {
        return true;
    }
    // "Continue reading" may name where or what: Medium's "Continue reading
    // on Medium »", TypePad's "Continue reading “Title” »".
    // Only its last bytes are searched: a phrase that starts further back
    // has too long a rest.
    const PHRASE: &str = "continue reading";
    let end = crate::extract::tail(stripped, CONTINUE_READING_TAIL + PHRASE.len());
    let offset = stripped.len() - end.len();
    end.rmatch_indices(PHRASE)
        .next()
        .is_some_and(|(pos, phrase)| {
            let pos = offset + pos;
            let rest = &stripped[pos + phrase.len()..];
            starts_a_word(stripped, pos)
                && rest.len() <= CONTINUE_READING_TAIL
                && (rest.is_empty()
                    || rest == " on"
                    || rest.starts_with(" on ")
                    || rest.starts_with(" at ")
                    || rest
                        .trim_start()
                        .starts_with(['"', '“', '„', '«', '‘', '\'']))
        })
}

/// Whether `text` ends with `phrase` and the phrase starts a word.
fn ends_with_words(text: &str, phrase: &str) -> bool {
    text.ends_with(phrase) && starts_a_word(text, text.len() - phrase.len())
}

/// Whether the text at byte `pos` does not continue a word before it.
fn starts_a_word(text: &str, pos: usize) -> bool {
    text[..pos]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict on an entry with this content and summary HTML.
    fn verdict(content: Option<&str>, summary: Option<&str>) -> Option<Teaser> {
        detect_teaser(EntryText::of(content, summary).as_ref())
    }

    /// A whole article's text, long enough to be no teaser by length.
    fn whole(text: &str) -> String {
        let filler = "Each paragraph of the article says something of its own, and the next one \
                      builds on it until the point is made. ";
        format!("<p>{}</p><p>{text}</p>", filler.repeat(6))
    }

    // Excerpts below are real entries from the feeds in shared/fixtures
    // (peer projects' test suites), cut where noted.

    #[test]
    fn a_read_more_sign_ends_a_long_text_too() {
        let long = whole(&"More of the same. ".repeat(2_000));
        assert_eq!(verdict(Some(&long), None), None);
        let teaser = long.replace("</p>", "") + " Continue reading “The long one” »</p>";
        assert_eq!(verdict(Some(&teaser), None), Some(Teaser::ReadMore));
    }

    #[test]
    fn read_more_signs_of_real_feeds() {
        let cases = [
            // cncf/feed.xml (WordPress excerpt)
            "<p>Who will get the most out of attending this event? What is new and different this year? \
             What will the day look like? Should I do any homework first? Find your community! [&#8230;]</p>",
            // cncf/feed.xml (a theme's more link)
            "<p>A fixture entry whose article page has its own text. Platform teams build paved roads so \
             that application teams can ship safely &#8230; <a href=\"http://127.0.0.1:PORT/blog/\" \
             class=\"more-link\">Read more</a></p>",
            // RSParser/EMarley.rss (Medium)
            "<div class=\"medium-feed-item\"><p class=\"medium-feed-snippet\">Here&#x2019;s a partial \
             collection of links from my talk today&#x2026;</p><p class=\"medium-feed-link\"><a \
             href=\"https://medium.com/@emarley/ui-automation-screenshots-c44a41af38d1\">Continue reading on  \
             »</a></p></div>",
            // rss-parser/input/guardian.rss, cut at the front
            "<p> <span>Related: </span><a href=\"https://www.theguardian.com/x\">Fact check: Donald Trump's \
             State of the Union address analyzed</a> </p> <a href=\"https://www.theguardian.com/y\">Continue \
             reading...</a>",
            // RSParser/donthitsave.xml, cut at the front
            "<p>I stood in place for 30, maybe 40 seconds. When I was done, I took two steps... <a \
             href=\"https://donthitsave.com/comic/2019/05/24/skipping-around\">[read more]</a></p>",
            // feed-rs/rss2/rss_2.0_heated.xml (Substack), cut at the front
            "<p>Fortunately, I stil&#8230;</p>\n<p>\n<a href=\"https://heated.world/p/a-conversation\">\n\
             Read more\n</a>\n</p>",
            // rss-parser/input/craigslist.rss, cut at the front
            "Nice deck directly next to the kitchen for grilling and entertaining. Radiant floor heating \
             throughou [...]",
            // RSParser/macworld.rss (IDG), cut at the front
            "<p>Here’s what we know about 11.2 so far. What’s in it, when it’s coming, and how you can grab \
             the beta right now.</p><p class=\"jumpTag\"><a href=\"/article/3235804/x.html#jump\">To read \
             this article in full, please click here</a></p>",
            // RSParser/dcrainmaker.xml's description, cut at the front
            "ance to buy a brand new just released &#8230;  <a class=\"read_more\" \
             href=\"https://www.dcrainmaker.com/2017/11/x.html\">Read More Here <span \
             class=\"meta-nav\">&#8594;</span></a>",
            // Not in the fixtures: WordPress's default more link, TypePad's
            "<p>The opening of a long post.</p> <a href=\"/p/1#more-1\" class=\"more-link\">(more&hellip;)</a>",
            "<p>The opening.</p><p><a href=\"/x\">Continue reading \"A title (in parts)\" &raquo;</a></p>",
        ];
        for summary in cases {
            assert_eq!(
                verdict(None, Some(summary)),
                Some(Teaser::ReadMore),
                "{summary}"
            );
            // Length does not matter: a long excerpt with a sign is a teaser.
            let long = format!("{}{summary}", whole(""));
            assert_eq!(
                verdict(None, Some(&long)),
                Some(Teaser::ReadMore),
                "{summary}"
            );
        }
    }

    #[test]
    fn the_sign_is_found_in_any_case_and_under_an_appeared_first_on_line() {
        for text in ["CONTINUE READING →", "read MORE", "Keep reading »", "[…]"] {
            let html = format!("{}<p>The end of the start. {text}</p>", whole(""));
            assert_eq!(verdict(Some(&html), None), Some(Teaser::ReadMore), "{text}");
            let yoast = format!(
                "{html}<p>The post <a href=\"https://b.example/x\">Why meshes</a> appeared first on \
                 <a href=\"https://b.example\">B</a>.</p>"
            );
            assert_eq!(
                verdict(Some(&yoast), None),
                Some(Teaser::ReadMore),
                "{text}"
            );
        }
    }

    #[test]
    fn whole_texts_are_no_teasers() {
        let cases = [
            // miniflux large_atom.xml (dustri.org): a whole post ending in "..."
            whole(
                "Nothing prevents Red Hat from pushing FORTIFY_SOURCE=2 and FORTIFY_SOURCE=3 forward, ...",
            ),
            // feedjira/HREFConsideredHarmful.xml
            whole(
                "So there you have it: Gemstone, it's like Rails, but faster and easier.  If only it ran Ruby...",
            ),
            // feedjira/TechCrunch.xml: a CrunchBase box closes the article
            whole(
                "Paul Buchheit, an early employee...</p></div><a class=\"learn-more\" \
                   href=\"http://www.crunchbase.com/product/gmail\">Learn more</a>",
            ),
            // RSParser/allthis.atom
            whole("[If the formatting looks odd in your feed reader, visit the original article]"),
            // Words that merely end like a sign
            whole("We drink and we read. And then we read some more"),
            whole("It is a thread more"),
            whole("Then call it as main()."),
            whole("A list [1] and a note (2) [see below]."),
            whole("Next week I will continue reading about meshes."),
        ];
        for html in &cases {
            assert_eq!(verdict(Some(html), None), None, "{html}");
            assert_eq!(verdict(None, Some(html)), None, "{html}");
        }
    }

    #[test]
    fn content_is_judged_before_the_summary() {
        let teaser = "<p>Only the start […]</p>";
        let article = whole("The end.");
        // A whole content wins over a teaser summary, as in the summary chain.
        assert_eq!(verdict(Some(&article), Some(teaser)), None);
        // A teaser content makes a teaser even when the summary is longer.
        assert_eq!(
            verdict(Some(teaser), Some(&article)),
            Some(Teaser::ReadMore)
        );
        // Content without text (an image) falls back to the summary.
        assert_eq!(verdict(Some("<img src=\"a.png\">"), Some(&article)), None);
        assert_eq!(
            verdict(Some("<img src=\"a.png\">"), Some(teaser)),
            Some(Teaser::ReadMore)
        );
    }

    #[test]
    fn no_text_is_empty_and_little_text_is_short() {
        assert_eq!(verdict(None, None), Some(Teaser::Empty));
        assert_eq!(verdict(Some("  "), Some("<p> </p>")), Some(Teaser::Empty));
        assert_eq!(verdict(None, Some("[…]")), Some(Teaser::Empty));
        // miniflux encoding_ISO-8859-1.xml (golem.de): a teaser in content:encoded
        let golem = "<img src=\"https://www.golem.de/1810/137358-177541-177538_rc.jpg\" width=\"140\">Viele \
                     Spieler wünschen sich eine PC-Version von Red Dead Redemption 2, aber Entwickler Rockstar \
                     Games schweigt zu dem Thema. Anders die offizielle Companion App: In einigen ihrer Daten \
                     gibt es Hinweise auf die Umsetzung. (<a href=\"https://www.golem.de/specials/x/\">Red \
                     Dead Redemption 2</a>, <a href=\"https://www.golem.de/specials/y/\">Red Dead \
                     Redemption</a>) <img src=\"https://cpx.golem.de/cpx.php?class=17\" alt=\"\">";
        assert_eq!(verdict(Some(golem), None), Some(Teaser::Short));
        // The limit counts characters, not bytes, after the boilerplate goes.
        let just_under = "é".repeat(TEASER_MAX_CHARS - 1);
        assert_eq!(verdict(None, Some(&just_under)), Some(Teaser::Short));
        let at_limit = "é".repeat(TEASER_MAX_CHARS);
        assert_eq!(verdict(None, Some(&at_limit)), None);
        let yoast = format!(
            "{just_under} The post <a href=\"/x\">X</a> appeared first on <a href=\"/\">Y</a>."
        );
        assert_eq!(verdict(None, Some(&yoast)), Some(Teaser::Short));
    }

    #[test]
    fn names_are_stable() {
        let names = [Teaser::Empty, Teaser::ReadMore, Teaser::Short].map(Teaser::as_str);
        assert_eq!(names, ["empty", "read-more", "short"]);
    }
}
