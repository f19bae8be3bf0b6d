//! A small read-through cache with a time limit, for catalog reads.
//!
//! Catalog pages are read far more often than the catalog changes. Keeping each answer for a
//! short time (a second by default) takes the database off the hot path of browsing. The
//! server that changes stock (a checkout) clears its own cache at once; other servers sharing
//! the database see the change when their entries expire, so a stock badge is at most that
//! old. Checkout itself always reads the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Hash + Eq + Clone, V: Clone> TtlCache<K, V> {
    /// A cache keeping answers for `ttl`, at most `capacity` of them. A zero `ttl` disables it.
    pub fn new(ttl: Duration, capacity: usize) -> TtlCache<K, V> {
        TtlCache {
            ttl,
            capacity,
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &K, now: Instant) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(stored, _)| now.duration_since(*stored) < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: K, value: V, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            // Expired entries go first; if all are fresh, start over rather than grow.
            entries.retain(|_, (stored, _)| now.duration_since(*stored) < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (now, value));
    }

    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let cache = TtlCache::new(Duration::from_secs(1), 2);
        let t0 = Instant::now();
        cache.put("a", 1, t0);
        assert_eq!(cache.get(&"a", t0), Some(1));
        assert_eq!(cache.get(&"a", t0 + Duration::from_millis(1500)), None);
        cache.put("b", 2, t0);
        cache.put("c", 3, t0);
        assert!(cache.entries.read().unwrap().len() <= 2);
        cache.clear();
        assert_eq!(cache.get(&"c", t0), None);
    }

    #[test]
    fn a_zero_time_limit_disables_the_cache() {
        let cache = TtlCache::new(Duration::ZERO, 10);
        cache.put("a", 1, Instant::now());
        assert_eq!(cache.get(&"a", Instant::now()), None);
    }
}
