//! The due queue: every idle feed ordered by when it is next due, in memory.
//! Pure: times are Unix seconds passed in, nothing reads a clock or a store.
//! Each operation costs O(log N) in the number of feeds, so the daemon's
//! work per poll does not grow with the feed count.

use std::collections::{BTreeSet, HashMap};

/// Feeds waiting for their next poll, soonest first. A feed being polled is
/// not in the queue; it comes back with the due time its poll computed.
#[derive(Debug, Default, Clone)]
pub struct DueQueue {
    /// (due, feed) pairs, ordered by time and then name.
    by_due: BTreeSet<(i64, String)>,
    /// Each queued feed's due time, to find its pair.
    due_of: HashMap<String, i64>,
}

impl DueQueue {
    /// An empty queue.
    pub fn new() -> DueQueue {
        DueQueue::default()
    }

    /// Queues `feed` at `due`, moving it if it was queued already.
    pub fn set(&mut self, feed: &str, due: i64) {
        if let Some(old) = self.due_of.insert(feed.to_string(), due) {
            self.by_due.remove(&(old, feed.to_string()));
        }
        self.by_due.insert((due, feed.to_string()));
    }

    /// Takes `feed` out of the queue; whether it was in it.
    pub fn remove(&mut self, feed: &str) -> bool {
        match self.due_of.remove(feed) {
            Some(due) => self.by_due.remove(&(due, feed.to_string())),
            None => false,
        }
    }

    /// When `feed` is due, if it is queued.
    pub fn due(&self, feed: &str) -> Option<i64> {
        self.due_of.get(feed).copied()
    }

    /// When the soonest feed is due.
    pub fn next_due(&self) -> Option<i64> {
        self.by_due.first().map(|(due, _)| *due)
    }

    /// The soonest feed and when it is due.
    pub fn first(&self) -> Option<(i64, &str)> {
        self.by_due.first().map(|(due, feed)| (*due, feed.as_str()))
    }

    /// When the `n`-th soonest feed is due (0 is the soonest); O(n).
    pub fn nth_due(&self, n: usize) -> Option<i64> {
        self.by_due.iter().nth(n).map(|(due, _)| *due)
    }

    /// Takes the soonest feed out of the queue if it is due at `now`, with
    /// the time it was due.
    pub fn pop_due(&mut self, now: i64) -> Option<(i64, String)> {
        let (due, _) = self.by_due.first()?;
        if *due > now {
            return None;
        }
        let (due, feed) = self.by_due.pop_first()?;
        self.due_of.remove(&feed);
        Some((due, feed))
    }

    /// How many feeds are queued.
    pub fn len(&self) -> usize {
        self.due_of.len()
    }

    /// Whether no feed is queued.
    pub fn is_empty(&self) -> bool {
        self.due_of.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_come_out_soonest_first_and_only_when_due() {
        let mut queue = DueQueue::new();
        queue.set("b", 20);
        queue.set("a", 20);
        queue.set("c", 10);
        queue.set("never-polled", 0);
        assert_eq!(queue.len(), 4);
        assert_eq!(queue.next_due(), Some(0));
        assert_eq!(queue.first(), Some((0, "never-polled")));
        assert_eq!(queue.nth_due(1), Some(10));
        assert_eq!(queue.nth_due(3), Some(20));
        assert_eq!(queue.nth_due(4), None);
        assert_eq!(queue.pop_due(15), Some((0, "never-polled".to_string())));
        assert_eq!(queue.pop_due(15), Some((10, "c".to_string())));
        assert_eq!(queue.pop_due(15), None, "a and b are not due yet");
        assert_eq!(queue.next_due(), Some(20));
        assert_eq!(
            queue.pop_due(20),
            Some((20, "a".to_string())),
            "ties by name"
        );
        assert_eq!(queue.pop_due(20), Some((20, "b".to_string())));
        assert!(queue.is_empty());
        assert_eq!(queue.next_due(), None);
    }

    #[test]
    fn setting_again_moves_a_feed_and_remove_takes_it_out() {
        let mut queue = DueQueue::new();
        queue.set("a", 100);
        queue.set("b", 50);
        queue.set("a", 10);
        assert_eq!(queue.len(), 2, "a moved, not added twice");
        assert_eq!(queue.due("a"), Some(10));
        assert_eq!(queue.next_due(), Some(10));
        assert!(queue.remove("a"));
        assert!(!queue.remove("a"));
        assert_eq!(queue.due("a"), None);
        assert_eq!(queue.next_due(), Some(50));
        assert_eq!(queue.pop_due(1_000), Some((50, "b".to_string())));
        assert_eq!(queue.pop_due(1_000), None);
    }
}
