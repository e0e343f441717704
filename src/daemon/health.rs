//! Whether the scheduler loop is alive, for `/healthz`.
//!
//! The loop records a heartbeat each time round, and goes round at least
//! every half [`Health::stuck_after`] on the same tick that pings systemd's
//! watchdog. The loop is stuck when no heartbeat came for longer than
//! [`Health::stuck_after`]: systemd's watchdog interval (`WATCHDOG_USEC`)
//! when there is one, the condition on which systemd stops getting pings and
//! restarts the service, else [`DEFAULT_STUCK_AFTER`]. Time is tokio's, so
//! a test on paused time sees a stall without waiting.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// How long without a heartbeat counts as stuck when systemd sets no
/// watchdog interval.
pub const DEFAULT_STUCK_AFTER: Duration = Duration::from_secs(60);

/// What `/healthz` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// The loop has not gone round yet (recovery, reading the schedule).
    Starting,
    /// The loop went round within the threshold.
    Alive,
    /// No heartbeat for this long, over the threshold.
    Stuck(Duration),
}

/// The scheduler loop's heartbeat, shared with the server of `/healthz`.
#[derive(Debug)]
pub struct Health {
    base: Instant,
    /// Milliseconds after `base` of the last heartbeat, plus one; 0 for none.
    last_beat: AtomicU64,
    /// The threshold, in milliseconds.
    stuck_after_ms: AtomicU64,
    /// A test's stall (see [`Health::stall`]).
    stalled: watch::Sender<bool>,
    stall_used: AtomicBool,
}

impl Default for Health {
    fn default() -> Health {
        Health::new()
    }
}

impl Health {
    /// No heartbeat yet; [`DEFAULT_STUCK_AFTER`] as the threshold.
    pub fn new() -> Health {
        Health {
            base: Instant::now(),
            last_beat: AtomicU64::new(0),
            stuck_after_ms: AtomicU64::new(millis(DEFAULT_STUCK_AFTER)),
            stalled: watch::Sender::new(false),
            stall_used: AtomicBool::new(false),
        }
    }

    /// How long without a heartbeat counts as stuck.
    pub fn stuck_after(&self) -> Duration {
        Duration::from_millis(self.stuck_after_ms.load(Ordering::Relaxed))
    }

    /// Takes systemd's watchdog interval, if any, as the threshold.
    pub fn set_watchdog(&self, watchdog: Option<Duration>) {
        let threshold = watchdog
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_STUCK_AFTER);
        self.stuck_after_ms
            .store(millis(threshold), Ordering::Relaxed);
    }

    /// Records that the loop is alive now.
    pub fn beat(&self) {
        let now = millis(Instant::now().saturating_duration_since(self.base));
        self.last_beat
            .store(now.saturating_add(1), Ordering::Relaxed);
    }

    /// Whether the loop is alive, as of now.
    pub fn liveness(&self) -> Liveness {
        let last = self.last_beat.load(Ordering::Relaxed);
        if last == 0 {
            return Liveness::Starting;
        }
        let beat = self.base + Duration::from_millis(last - 1);
        let age = Instant::now().saturating_duration_since(beat);
        if age > self.stuck_after() {
            Liveness::Stuck(age)
        } else {
            Liveness::Alive
        }
    }

    /// Where the loop waits, without a heartbeat, while a test stalls it.
    /// Free when no stall was ever asked for: one atomic load.
    pub(crate) async fn stall_point(&self) {
        if !self.stall_used.load(Ordering::Relaxed) {
            return;
        }
        let mut stalled = self.stalled.subscribe();
        // The sender lives in `self`: waiting cannot fail while it is borrowed.
        let _ = stalled.wait_for(|stalled| !stalled).await;
    }

    /// A test hook: stops the loop where it records its heartbeat, as if it
    /// were stuck, until the returned guard is dropped. Signals wait too.
    #[doc(hidden)]
    pub fn stall(&self) -> Stall<'_> {
        self.stall_used.store(true, Ordering::Relaxed);
        self.stalled.send_replace(true);
        Stall(self)
    }
}

/// A stall of the loop (see [`Health::stall`]); dropping it lets the loop go on.
#[doc(hidden)]
#[derive(Debug)]
pub struct Stall<'h>(&'h Health);

impl Drop for Stall<'_> {
    fn drop(&mut self) {
        self.0.stalled.send_replace(false);
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn stuck_after_the_threshold_without_a_beat() {
        let health = Health::new();
        assert_eq!(health.liveness(), Liveness::Starting);
        health.beat();
        assert_eq!(health.liveness(), Liveness::Alive);
        tokio::time::advance(DEFAULT_STUCK_AFTER).await;
        assert_eq!(health.liveness(), Liveness::Alive, "at the threshold");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(matches!(health.liveness(), Liveness::Stuck(_)));
        health.beat();
        assert_eq!(health.liveness(), Liveness::Alive);
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_interval_is_the_threshold() {
        let health = Health::new();
        health.set_watchdog(Some(Duration::from_secs(4)));
        health.beat();
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(matches!(health.liveness(), Liveness::Stuck(_)));
        health.set_watchdog(None);
        assert_eq!(health.stuck_after(), DEFAULT_STUCK_AFTER);
    }

    #[tokio::test]
    async fn a_stall_holds_the_loop_until_dropped() {
        let health = std::sync::Arc::new(Health::new());
        health.stall_point().await; // never stalled: free
        let stall = health.stall();
        let waiting = {
            let health = std::sync::Arc::clone(&health);
            tokio::spawn(async move { health.stall_point().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(stall);
        waiting.await.expect("released");
    }
}
