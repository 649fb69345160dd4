//! Unchanged check-ins answered before they are written. A check-in that moves nothing but
//! the device's last-seen time and sequence number waits here (the newest per device) and
//! is written with every other waiting one, every `checkin.touch_flush_ms`, in one
//! transaction; a check-in that changes anything never waits.
//!
//! What a crash can lose: the last-seen times and sequence numbers of the unchanged check-ins
//! of the last flush interval, never a state. A touch waits here only when it follows, with
//! the very next sequence number, the state this server itself wrote or read for the device
//! (the cache entry), so no other server can have stored a different state in between (see
//! [`deferrable`]). The database still decides at the flush: a touch that finds the device
//! retired, its secret replaced, its state changed or a newer sequence number changes nothing
//! and drops the device from this server's cache, so its next check-in is decided by the
//! database.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use steward_store::{DeviceAuth, Touch, WriteOp, WriteOutcome};

use crate::AppState;

const SHARDS: usize = 16;

/// Touches per transaction at a flush (several go to the writers at once).
const FLUSH_CHUNK: usize = 2_000;

/// The touches waiting to be written, the newest per device.
pub struct Pending {
    shards: Vec<Mutex<HashMap<String, Touch>>>,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl Pending {
    fn shard(&self, id: &str) -> &Mutex<HashMap<String, Touch>> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    /// Keeps `touch` unless a newer one of the device already waits.
    pub fn add(&self, touch: Touch) {
        let mut m = self
            .shard(&touch.device_id)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match m.get(&touch.device_id) {
            Some(t) if t.seq >= touch.seq => {}
            _ => {
                m.insert(touch.device_id.clone(), touch);
            }
        }
    }

    /// Everything waiting, leaving nothing.
    pub fn take(&self) -> Vec<Touch> {
        let mut all = Vec::new();
        for s in &self.shards {
            let mut m = s.lock().unwrap_or_else(|e| e.into_inner());
            all.extend(m.drain().map(|(_, t)| t));
        }
        all
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether an unchanged check-in with `seq` may be answered before it is written: touches
/// wait at all on this server, the device checked in before (its first check-in is written
/// at once), and `seq` follows the sequence number of the state `auth` holds. Anything
/// stored by another server since `auth` was taken has a sequence number of at least
/// `auth.seq + 1`, so it would make this check-in stale, never hide a different state.
pub fn deferrable(flush_ms: u32, auth: &DeviceAuth, seq: i64) -> bool {
    flush_ms > 0 && auth.seq > 0 && auth.seq.checked_add(1) == Some(seq)
}

/// Writes every waiting touch; the devices whose touch missed leave the cache. Touches of a
/// flush that failed wait again for the next one (unless a newer one came meanwhile).
pub async fn flush(state: &AppState) -> usize {
    let all = state.touches.take();
    if all.is_empty() {
        return 0;
    }
    let n = all.len();
    let mut chunks: Vec<Vec<Touch>> = Vec::new();
    let mut rest = all;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().saturating_sub(FLUSH_CHUNK));
        chunks.push(tail);
    }
    let writes = chunks.into_iter().map(|chunk| async move {
        let kept = chunk.clone();
        let written = match state.store.touch_directly(chunk.clone()).await {
            Ok(Some(missed)) => Ok(missed),
            Ok(None) => match state.writer.submit(WriteOp::Touches(chunk)).await {
                Ok(WriteOutcome::Touched { missed }) => Ok(missed),
                Ok(other) => {
                    tracing::error!(?other, "unexpected outcome of waiting touches");
                    Ok(Vec::new())
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let count = |result: &str, n: usize| {
            state
                .metrics
                .touches
                .get_or_create(&crate::metrics::ResultLabel {
                    result: result.into(),
                })
                .inc_by(n as u64);
        };
        match written {
            Ok(missed) => {
                count("written", kept.len() - missed.len());
                count("missed", missed.len());
                for id in missed {
                    state.cache.remove(&id);
                }
            }
            Err(e) => {
                count("retried", kept.len());
                tracing::warn!(error = %e, touches = kept.len(), "touches not written; kept for the next flush");
                for t in kept {
                    state.touches.add(t);
                }
            }
        }
    });
    futures::future::join_all(writes).await;
    n
}

/// Flushes the waiting touches every `checkin.touch_flush_ms` (nothing to do when 0).
pub async fn flusher(state: AppState) {
    let every = state.config.checkin.touch_flush_ms;
    if every == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(u64::from(every)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        flush(&state).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(id: &str, seq: i64) -> Touch {
        Touch {
            device_id: id.into(),
            seq,
            at: seq * 10,
            state_hash: "s".into(),
            secret_hash: "h".into(),
        }
    }

    #[test]
    fn the_newest_touch_of_a_device_waits_and_a_take_empties() {
        let p = Pending::default();
        p.add(touch("a", 3));
        p.add(touch("a", 2));
        p.add(touch("b", 1));
        p.add(touch("a", 4));
        assert_eq!(p.len(), 2);
        let mut all = p.take();
        all.sort_by(|x, y| x.device_id.cmp(&y.device_id));
        assert_eq!(all, vec![touch("a", 4), touch("b", 1)]);
        assert!(p.is_empty());
    }

    #[test]
    fn only_the_next_sequence_number_after_a_known_state_waits() {
        let mut auth = DeviceAuth {
            secret_hash: "h".into(),
            next_secret_hash: String::new(),
            rotate: false,
            seq: 5,
            state_hash: "s".into(),
            inventory_hash: String::new(),
            software_hash: String::new(),
            retired: false,
        };
        assert!(deferrable(1000, &auth, 6));
        assert!(!deferrable(0, &auth, 6), "off");
        assert!(
            !deferrable(1000, &auth, 7),
            "a gap: another server may have written 6"
        );
        assert!(!deferrable(1000, &auth, 5), "stale");
        auth.seq = 0;
        assert!(
            !deferrable(1000, &auth, 1),
            "the first check-in is written at once"
        );
        auth.seq = i64::MAX;
        assert!(!deferrable(1000, &auth, i64::MIN));
    }
}
