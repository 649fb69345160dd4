//! Unchanged check-ins answered before they are written. A check-in that moves nothing but
//! the device's last-seen time and sequence number waits here (the newest per device) and
//! is written with every other waiting one every `checkin.touch_flush_ms`, in one
//! transaction per writer task and 2,000 touches; a check-in that changes anything never
//! waits.
//!
//! What a crash can lose: the last-seen times and sequence numbers of the unchanged check-ins
//! answered since the last flush that succeeded, never a state. A touch waits here only when
//! it follows, with the very next sequence number, the state this server itself wrote or
//! read for the device (the cache entry), so no other server can have stored a different
//! state in between (see [`deferrable`]); and only while the last flush succeeded, so a
//! database that refuses writes makes check-ins fail (the agents keep their snapshots)
//! instead of piling answered touches up here. The database still decides at the flush: a
//! touch that finds the device retired, its secret replaced, its state changed or a newer
//! sequence number changes nothing and drops the device from this server's cache, so its
//! next check-in is decided by the database.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Set when a flush failed, cleared by one that succeeded: touches do not wait meanwhile.
    failing: AtomicBool,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            failing: AtomicBool::new(false),
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
/// at once), no secret rotation is under way, and `seq` follows the sequence number of the
/// state `auth` holds. Anything stored by another server since `auth` was taken has a
/// sequence number of at least `auth.seq + 1`, so it would make this check-in stale, never
/// hide a different state.
pub fn deferrable(flush_ms: u32, auth: &DeviceAuth, seq: i64) -> bool {
    flush_ms > 0 && auth.seq > 0 && !auth.rotate && auth.seq.checked_add(1) == Some(seq)
}

/// [`deferrable`], and besides: the device presented its usual secret, nothing waits for it
/// in the mailbox (an answer handing something out is written first, so a refusal gives it
/// back), and the last flush succeeded.
pub fn may_wait(
    state: &AppState,
    device_id: &str,
    auth: &DeviceAuth,
    rotated: bool,
    seq: i64,
) -> bool {
    deferrable(state.config.checkin.touch_flush_ms, auth, seq)
        && !rotated
        && !state.touches.failing.load(Ordering::Relaxed)
        && !state.mailbox.has_hint(device_id)
}

/// Writes every waiting touch, each writer task's devices together (one device's writes stay
/// with one task); the devices whose touch missed leave the cache. Touches of a flush that
/// failed wait again for the next one (unless a newer one came meanwhile), and no further
/// touch waits until a flush succeeds.
async fn flush(state: &AppState) {
    let all = state.touches.take();
    if all.is_empty() {
        return;
    }
    let mut by_writer: Vec<Vec<Touch>> = vec![Vec::new(); state.writer.shards()];
    for t in all {
        by_writer[state.writer.shard_of(&t.device_id)].push(t);
    }
    let mut chunks: Vec<Vec<Touch>> = Vec::new();
    for mut group in by_writer {
        // In id order: neighbouring rows, fewer pages read and written.
        group.sort_unstable_by(|a, b| a.device_id.cmp(&b.device_id));
        while !group.is_empty() {
            let rest = group.split_off(group.len().min(FLUSH_CHUNK));
            chunks.push(std::mem::replace(&mut group, rest));
        }
    }
    let writes = chunks.into_iter().map(|chunk| async move {
        let size = chunk.len();
        let written = match state.store.touch_directly(&chunk).await {
            Ok(Some(missed)) => Ok(missed),
            Ok(None) => match state.writer.submit(WriteOp::Touches(chunk.clone())).await {
                Ok(WriteOutcome::Touched { missed }) => Ok(missed),
                Ok(other) => Err(steward_store::StoreError::Native(format!(
                    "unexpected outcome of waiting touches: {other:?}"
                ))),
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
                count("written", size - missed.len());
                count("missed", missed.len());
                for id in missed {
                    state.cache.remove(&id);
                }
                true
            }
            Err(e) => {
                count("retried", size);
                tracing::warn!(error = %e, touches = size, "touches not written; kept for the next flush");
                for t in chunk {
                    state.touches.add(t);
                }
                false
            }
        }
    });
    let ok = futures::future::join_all(writes)
        .await
        .into_iter()
        .all(|ok| ok);
    state.touches.failing.store(!ok, Ordering::Relaxed);
}

/// Flushes the waiting touches every `checkin.touch_flush_ms` (nothing to do when 0) until
/// the server begins to stop; a flush under way then finishes (the server's last flush, after
/// the requests, takes what is left).
pub async fn flusher(state: AppState) {
    let every = state.config.checkin.touch_flush_ms;
    if every == 0 {
        return;
    }
    let mut stopping = state.stopping.subscribe();
    let mut tick = tokio::time::interval(Duration::from_millis(u64::from(every)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        flush(&state).await;
    }
}

/// A server that stops: marks it stopping, lets `flusher` (the task running [`flusher`])
/// finish a flush under way, then writes what is still waiting, or says it is lost.
pub async fn stop(state: &AppState, flusher: tokio::task::JoinHandle<()>) {
    state.stopping.send_replace(true);
    let _ = flusher.await;
    flush(state).await;
    let left = state.touches.len();
    if left > 0 {
        tracing::error!(
            touches = left,
            "the database refused the last flush: last-seen times of unchanged check-ins are lost"
        );
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
