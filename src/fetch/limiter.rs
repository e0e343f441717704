//! The host limiter: at most `per_host_limit` requests in flight to one host,
//! feeds and article pages alike, so no server sees a burst from linkpost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Caps requests in flight per host.
#[derive(Debug)]
pub struct HostLimiter {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostLimiter {
    /// A limiter allowing `per_host` requests in flight to each host.
    pub fn new(per_host: usize) -> HostLimiter {
        HostLimiter {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot for `url`'s host; `None` for URLs without a host.
    pub async fn acquire(&self, url: &Url) -> Option<OwnedSemaphorePermit> {
        let host = url.host_str()?.to_string();
        let semaphore = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}
