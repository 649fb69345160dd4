//! In-memory cache of what the check-in path needs per device (credential hash, last
//! sequence number, state and inventory hashes), so an unchanged check-in needs no read.
//! The database stays the authority: every write re-checks sequence and state there.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use steward_store::DeviceAuth;

const SHARDS: usize = 32;

pub struct DeviceCache {
    shards: Vec<Mutex<HashMap<String, DeviceAuth>>>,
    per_shard: usize,
}

impl DeviceCache {
    pub fn new(capacity: usize) -> DeviceCache {
        DeviceCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: (capacity / SHARDS).max(1),
        }
    }

    fn shard(&self, id: &str) -> &Mutex<HashMap<String, DeviceAuth>> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    pub fn get(&self, id: &str) -> Option<DeviceAuth> {
        self.shard(id).lock().ok()?.get(id).cloned()
    }

    pub fn put(&self, id: &str, auth: DeviceAuth) {
        if let Ok(mut m) = self.shard(id).lock() {
            if m.len() >= self.per_shard && !m.contains_key(id) {
                // Crude but bounded: start the shard afresh; misses reload from the database.
                m.clear();
            }
            m.insert(id.to_string(), auth);
        }
    }

    pub fn update(&self, id: &str, f: impl FnOnce(&mut DeviceAuth)) {
        if let Ok(mut m) = self.shard(id).lock() {
            if let Some(a) = m.get_mut(id) {
                f(a);
            }
        }
    }

    pub fn remove(&self, id: &str) {
        if let Ok(mut m) = self.shard(id).lock() {
            m.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(seq: i64) -> DeviceAuth {
        DeviceAuth {
            secret_hash: "h".into(),
            next_secret_hash: String::new(),
            rotate: false,
            seq,
            state_hash: String::new(),
            inventory_hash: String::new(),
            software_hash: String::new(),
            retired: false,
        }
    }

    #[test]
    fn bounded_and_updatable() {
        let c = DeviceCache::new(SHARDS * 2);
        for i in 0..1000 {
            c.put(&format!("d{i}"), auth(i));
        }
        let total: usize = c
            .shards
            .iter()
            .map(|s| s.lock().map(|m| m.len()).unwrap_or(0))
            .sum();
        assert!(total <= SHARDS * 2, "{total}");
        c.put("x", auth(1));
        c.update("x", |a| a.seq = 7);
        assert_eq!(c.get("x").map(|a| a.seq), Some(7));
        c.remove("x");
        assert_eq!(c.get("x"), None);
    }
}
