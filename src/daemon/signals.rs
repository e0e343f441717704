//! Unix signals to daemon [`Signal`]s: SIGTERM and SIGINT stop, SIGHUP reloads.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::Signal;

/// Installs the handlers and forwards each signal as a [`Signal`].
///
/// Must be called inside a tokio runtime. The handlers stay installed for the
/// life of the process, so a second SIGTERM during shutdown does not kill it
/// half-way; the grace period bounds shutdown instead.
pub fn listen() -> std::io::Result<mpsc::Receiver<Signal>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            let sig = tokio::select! {
                Some(()) = term.recv() => Signal::Shutdown,
                Some(()) = int.recv() => Signal::Shutdown,
                Some(()) = hup.recv() => Signal::Reload,
                else => break,
            };
            tracing::info!(signal = ?sig, "signal received");
            if tx.send(sig).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}
