//! systemd integration: `sd_notify` READY, STATUS, WATCHDOG and STOPPING.
//!
//! Every call is a no-op when `NOTIFY_SOCKET` is unset (not under systemd).

use std::time::Duration;

use sd_notify::NotifyState;

use super::Notifier;

/// Tells systemd what the daemon is doing.
#[derive(Debug, Default)]
pub struct SystemdNotifier {
    watchdog: Option<Duration>,
}

impl SystemdNotifier {
    /// A notifier; reads `WATCHDOG_USEC` to learn whether pings are wanted.
    pub fn new() -> SystemdNotifier {
        SystemdNotifier {
            watchdog: sd_notify::watchdog_enabled(),
        }
    }

    fn send(state: &[NotifyState<'_>]) {
        if let Err(e) = sd_notify::notify(state) {
            tracing::debug!(error = %e, "sd_notify failed");
        }
    }
}

impl Notifier for SystemdNotifier {
    fn ready(&mut self) {
        SystemdNotifier::send(&[NotifyState::Ready]);
    }

    fn status(&mut self, status: &str) {
        SystemdNotifier::send(&[NotifyState::Status(status)]);
    }

    fn watchdog(&mut self) {
        SystemdNotifier::send(&[NotifyState::Watchdog]);
    }

    fn stopping(&mut self) {
        SystemdNotifier::send(&[NotifyState::Stopping]);
    }

    fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog
    }
}
