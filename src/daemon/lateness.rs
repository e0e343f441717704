//! Lateness: how long after its due time each poll started, summed up per
//! reporting window, so an operator (and the benchmark) sees from the log
//! whether the daemon keeps up with its feeds. Pure: times are passed in.

/// Lateness of the polls started in one window.
#[derive(Debug, Default)]
pub struct LatenessWindow {
    /// Milliseconds each poll started after its due time.
    late_ms: Vec<u32>,
}

/// What a window's polls came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatenessSummary {
    /// Polls started in the window.
    pub polls: usize,
    /// Median lateness, in milliseconds.
    pub median_ms: u32,
    /// 99th percentile (nearest rank), in milliseconds.
    pub p99_ms: u32,
    /// Largest lateness, in milliseconds.
    pub max_ms: u32,
}

impl LatenessWindow {
    /// Records a poll that started `late_ms` after it was due (a poll that
    /// started early counts as on time).
    pub fn record(&mut self, late_ms: i64) {
        self.late_ms
            .push(u32::try_from(late_ms.max(0)).unwrap_or(u32::MAX));
    }

    /// The window's summary, `None` when no poll started; empties the
    /// window for the next one.
    pub fn take(&mut self) -> Option<LatenessSummary> {
        if self.late_ms.is_empty() {
            return None;
        }
        let mut late = std::mem::take(&mut self.late_ms);
        late.sort_unstable();
        let rank = |p: usize| late[(late.len() * p).div_ceil(100).max(1) - 1];
        Some(LatenessSummary {
            polls: late.len(),
            median_ms: rank(50),
            p99_ms: rank(99),
            max_ms: late[late.len() - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_has_nearest_rank_percentiles_and_empties_the_window() {
        let mut window = LatenessWindow::default();
        assert_eq!(window.take(), None);
        for ms in (1..=200).rev() {
            window.record(ms);
        }
        window.record(-5);
        assert_eq!(
            window.take(),
            Some(LatenessSummary {
                polls: 201,
                median_ms: 100,
                p99_ms: 198,
                max_ms: 200,
            })
        );
        assert_eq!(window.take(), None, "taken windows start empty");
        window.record(7);
        let one = window.take().map(|s| (s.median_ms, s.p99_ms, s.max_ms));
        assert_eq!(one, Some((7, 7, 7)));
    }
}
