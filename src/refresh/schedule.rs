//! Schedule maths: how long until a feed is polled again, from what its last
//! poll came to. Pure; the daemon orders feeds by the result.

use std::time::Duration;

/// Longest time between two polls of a feed, whatever the server says.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// Time until the next poll after a success.
///
/// A server's `Cache-Control: max-age` or a feed's `<ttl>` may lengthen the
/// configured interval, never shorten it, and never past [`MAX_INTERVAL`].
pub fn after_success(interval: Duration, server_hint: Option<Duration>) -> Duration {
    let base = interval.min(MAX_INTERVAL);
    match server_hint {
        Some(hint) if hint > base => hint.min(MAX_INTERVAL),
        _ => base,
    }
}

/// Time until the next poll after the `errors`-th consecutive failure:
/// `interval × 2^errors`, capped at [`MAX_INTERVAL`], and never sooner than
/// the server's `Retry-After`.
pub fn after_failure(interval: Duration, errors: u32, retry_after: Option<Duration>) -> Duration {
    let factor = 1u32.checked_shl(errors.min(31)).unwrap_or(u32::MAX);
    let backoff = interval.saturating_mul(factor).min(MAX_INTERVAL);
    match retry_after {
        Some(wait) if wait > backoff => wait.min(MAX_INTERVAL),
        _ => backoff,
    }
}

/// A random extra delay of up to a tenth of `delay` (at most five minutes),
/// so feeds configured alike do not fire together.
pub fn jitter(delay: Duration) -> Duration {
    use std::hash::BuildHasher;
    let max = (delay / 10).min(Duration::from_secs(300));
    let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    if max_ms == 0 {
        return Duration::ZERO;
    }
    // RandomState is seeded randomly per instance: enough randomness for
    // spreading polls, without a dependency.
    let random =
        std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now());
    Duration::from_millis(random % (max_ms + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn success_hints_only_lengthen() {
        assert_eq!(after_success(30 * MIN, None), 30 * MIN);
        assert_eq!(after_success(30 * MIN, Some(MIN)), 30 * MIN);
        assert_eq!(after_success(30 * MIN, Some(60 * MIN)), 60 * MIN);
        assert_eq!(
            after_success(30 * MIN, Some(MAX_INTERVAL * 3)),
            MAX_INTERVAL
        );
    }

    #[test]
    fn jitter_is_bounded() {
        for _ in 0..100 {
            assert!(jitter(30 * MIN) <= 3 * MIN);
            assert!(jitter(2 * MAX_INTERVAL) <= 5 * MIN);
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn failures_back_off_exponentially_and_cap() {
        assert_eq!(after_failure(30 * MIN, 1, None), 60 * MIN);
        assert_eq!(after_failure(30 * MIN, 2, None), 120 * MIN);
        assert_eq!(after_failure(30 * MIN, 40, None), MAX_INTERVAL);
        assert_eq!(after_failure(MIN, 1, Some(10 * MIN)), 10 * MIN);
    }
}
