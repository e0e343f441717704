//! Entry dates: the standard forms read at once, anything else as feed-rs's
//! lenient parser reads it.
//!
//! feed-rs reads every date by cleaning it with up to ten regular
//! expression replacements before each of RFC 3339, RFC 2822 and RFC 1123 is
//! tried: 15,000 instructions a date, 4% of a cold poll. Nearly every feed
//! writes RFC 3339 or RFC 2822 as the RFCs say, and for those the cleaning
//! changes nothing a strict parser reads (an offset's missing colon, a
//! trailing `-0000` or `UTC` for `+0000`, a weekday dropped, a long month
//! name, hour 24, a one-digit hour: each either is not in a string the
//! strict parser takes, or gives the same instant). So the strict parsers
//! go first, and only what they refuse goes to feed-rs's own.

use chrono::{DateTime, Utc};

/// An entry date as feed-rs reads it, reading the standard forms directly.
pub(super) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let trimmed = text.trim();
    // feed-rs tries RFC 3339 first too; no RFC 2822 date reads as RFC 3339,
    // even after its cleaning (it starts with a weekday or a day and a month
    // name), so the order of the two does not matter.
    DateTime::parse_from_rfc3339(trimmed)
        .or_else(|_| DateTime::parse_from_rfc2822(trimmed))
        .map(|date| date.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_timestamp_lenient(text))
}

/// A date read by feed-rs's own lenient parser, which it does not export:
/// the date is read as the `pubDate` of a one-item feed.
pub(super) fn parse_timestamp_lenient(text: &str) -> Option<DateTime<Utc>> {
    let document = format!(
        "<rss version=\"2.0\"><channel><item><pubDate>{}</pubDate></item></channel></rss>",
        quick_xml::escape::escape(text)
    );
    feed_rs::parser::parse(document.as_bytes())
        .ok()?
        .entries
        .first()?
        .published
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One date of each shape found in the feeds of `shared/fixtures`
    /// (2,062 distinct dates, 28 shapes), and the cases feed-rs's cleaning
    /// is there for.
    const DATES: &[&str] = &[
        "03 Apr 02 1500 GMT",
        "01 Mar 2013 12:00:00 EST",
        "2019-08-14",
        "2000-01-01T12:00+00:00",
        "2017-06-13T03:18:00+00:0",
        "2005-09-18T22:37:10+00:00",
        "2003-12-13T08:29:29-04:00",
        "2007-09-28T10:38:00.001-07:00",
        "2009-04-09T18:23:09.035Z",
        "2002-09-28T20:01:19Z",
        "2020/1/10 14:03:00",
        "1518478934",
        "Fri 1 Oct 2010 01:30:00 GMT",
        "Fri 19 Nov 2010 01:30:00 GMT",
        "Fri, 3 Jul 2020 11:25:00 +0200",
        "Mon, 2 May 2011 01:30:00 EST",
        "Fri, 5 May 2006 10:30:00 GMT",
        "Thu, 01 Aug 2019 16:15 EDT",
        "Fri, 01 Dec 2023 12:30:00 +0100",
        "Fri, 01 Sep 2023 04:00:00 -0000",
        "Fri, 23 December 2011 10:00:00 EST",
        "Fri, 01 Dec 2017 18:38:32 GMT",
        "Fri, 07 Feb 2020 07:30:28 PST",
        "Fri, 08 Jul 2016 13:40:00 UTC",
        "Thu, 07 May 2020 07:36:53 Z",
        "Sat, Dec 16 2023 02:02:33 PM",
        "Seg, 24 Set 2018 19:18:49 -0300",
        "mer, 16 nov 2022 00:38:15 +0100",
        // What the cleaning is for, and strings near the strict forms.
        "  Sun, 28 Sep 2025 10:00:00 +0000\n",
        "Sat, 28 Sep 2025 10:00:00 +0000",
        "Thurs, 13 Jul 2011 07:38:00 GMT",
        "Sun, 28 Sep 2025 24:10:00 +0000",
        "Sun, 28 Sep 2025 9:10:00 +0000",
        "Sun, 28 Sep 25 10:00:00 +0000",
        "28 Sep 2025 10:00:00 +0000 (UTC)",
        "Sun, 28 September 2025 10:00:00 +0000",
        "Sep 28 2025 10:00:00 +0000",
        "Sun, 28 Sep 2025 10:00:00 ut",
        "2025-09-28T10:00:00+0000",
        "2025-09-28t10:00:00z",
        "2025-09-28 10:00:00+02:00",
        "2025-09-28T10:00:00",
        "2025-09-28T10:00:60Z",
        "2025-02-30T10:00:00Z",
        "2025-09-28",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999-23:59",
        "Sun, 28 Sep 2025 10:00:00 +0000 &amp; <b>",
        "",
        "   ",
        "not a date",
    ];

    #[test]
    fn standard_dates_read_as_feed_rs_reads_them() {
        let mut fast = 0;
        for date in DATES {
            assert_eq!(
                parse_timestamp(date),
                parse_timestamp_lenient(date),
                "{date:?}"
            );
            fast += usize::from(
                DateTime::parse_from_rfc3339(date.trim()).is_ok()
                    || DateTime::parse_from_rfc2822(date.trim()).is_ok(),
            );
        }
        // Both paths are exercised: the set is no test of the fast path if
        // the strict parsers refuse all of it.
        assert!(fast >= 20 && fast < DATES.len(), "{fast} read strictly");
        assert!(parse_timestamp_lenient("2019-08-14").is_some());
    }

    proptest::proptest! {
        /// Dates built from parts, right and wrong, read as feed-rs reads them.
        #[test]
        fn built_dates_read_as_feed_rs_reads_them(
            weekday in proptest::sample::select(&["", "Sun, ", "Mon, ", "Thu, ", "Thursday, "][..]),
            day in 0u32..33,
            month in proptest::sample::select(&["Jan", "Sep", "September", "sep", "Foo"][..]),
            year in proptest::sample::select(&["2025", "25", "1999", "0"][..]),
            hour in 0u32..26,
            minute in 0u32..61,
            zone in proptest::sample::select(&["+0000", "-0000", "+05:30", "-0830", "GMT", "UTC", "UT", "Z", "EST", "PDT", "A", ""][..]),
        ) {
            let rfc2822 = format!("{weekday}{day} {month} {year} {hour}:{minute:02}:00 {zone}");
            proptest::prop_assert_eq!(parse_timestamp(&rfc2822), parse_timestamp_lenient(&rfc2822), "{:?}", rfc2822);
            let rfc3339 = format!("{year}-09-{day:02}T{hour:02}:{minute:02}:00{zone}");
            proptest::prop_assert_eq!(parse_timestamp(&rfc3339), parse_timestamp_lenient(&rfc3339), "{:?}", rfc3339);
        }
    }
}
