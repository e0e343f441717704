//! The clock: what time the program thinks it is. Production reads the
//! system clock; tests pass a [`PausedClock`] that follows tokio's paused
//! time, so the daemon's schedule runs on time a test controls.

use chrono::{DateTime, Utc};

/// Tells the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> DateTime<Utc>;

    /// Whether this clock moves only when every task is idle (tokio's
    /// paused time in tests): a task waiting on another thread must then
    /// look busy to tokio, or the clock jumps past work still being done.
    fn moves_when_idle(&self) -> bool {
        false
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that starts at a given time and moves with tokio's clock, so
/// under `tokio::time::pause()` it moves only when tokio's time does.
#[derive(Debug, Clone)]
pub struct PausedClock {
    start: DateTime<Utc>,
    started: tokio::time::Instant,
}

impl PausedClock {
    /// A clock reading `start` now. Call it inside a tokio runtime.
    pub fn starting_at(start: DateTime<Utc>) -> PausedClock {
        PausedClock {
            start,
            started: tokio::time::Instant::now(),
        }
    }
}

impl Clock for PausedClock {
    fn moves_when_idle(&self) -> bool {
        true
    }

    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.started;
        chrono::Duration::from_std(elapsed)
            .ok()
            .and_then(|elapsed| self.start.checked_add_signed(elapsed))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_paused_clock_moves_with_tokio_time_only() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        let clock = PausedClock::starting_at(start);
        assert_eq!(clock.now(), start);
        tokio::time::advance(std::time::Duration::from_secs(90)).await;
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90));
    }
}
