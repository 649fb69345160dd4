//! Unchanged check-ins answered before they are written. A check-in that moves nothing but
//! the device's last-seen time and sequence number waits here (the newest per device) for
//! `checkin.touch_flush_ms` (counted in the flusher's ticks: a tick whose write outlasts it
//! delays the next), then is written with the others that began waiting in the same tenth of
//! that time, in one transaction per writer task and 2,000 touches; a check-in that changes
//! anything never waits.
//!
//! The flusher writes a tenth of the waiting touches each tenth of `checkin.touch_flush_ms`
//! (the slice whose first touch came longest ago), not all of them at once: a device's later
//! check-ins still replace its waiting touch until its slice is written, but each write holds
//! the database's write lock for a tenth as long, so a state-changing check-in, the
//! notifier's pass or the deliverer's claim that arrives meanwhile waits for a short write,
//! not for a second's worth of touches (on SQLite, about 2,000 of them at 2,000 check-ins a
//! second held the lock for 30–40 ms).
//!
//! What a crash can lose: the last-seen times and sequence numbers of the unchanged check-ins
//! answered and not yet written (those of the last `checkin.touch_flush_ms`, and those of a
//! write that failed, which wait another interval), never a state. A touch waits here only when
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use steward_store::{DeviceAuth, Touch, WriteOp, WriteOutcome};

use crate::AppState;

const SHARDS: usize = 16;

/// Touches per transaction at a flush (several go to the writers at once).
const FLUSH_CHUNK: usize = 2_000;

/// Slices of `checkin.touch_flush_ms`: the flusher writes one slice's touches per tick.
const SLICES: u64 = 10;

/// A device's newest waiting touch and the slice in which the device began to wait.
struct Waiting {
    touch: Touch,
    slice: u64,
}

/// The touches waiting to be written, the newest per device.
pub struct Pending {
    shards: Vec<Mutex<HashMap<String, Waiting>>>,
    /// The flusher's ticks so far: a device that begins to wait takes this slice.
    slice: AtomicU64,
    /// Set when a flush failed, cleared by one that succeeded: touches do not wait meanwhile.
    failing: AtomicBool,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            slice: AtomicU64::new(0),
            failing: AtomicBool::new(false),
        }
    }
}

impl Pending {
    fn shard(&self, id: &str) -> &Mutex<HashMap<String, Waiting>> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    /// Keeps `touch` unless a newer one of the device already waits; a device already waiting
    /// keeps its slice, so replacing its touch never delays its write.
    pub fn add(&self, touch: Touch) {
        let slice = self.slice.load(Ordering::Relaxed);
        let mut m = self
            .shard(&touch.device_id)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match m.get_mut(&touch.device_id) {
            Some(w) if w.touch.seq >= touch.seq => {}
            Some(w) => w.touch = touch,
            None => {
                m.insert(touch.device_id.clone(), Waiting { touch, slice });
            }
        }
    }

    /// Ends the current slice and takes the touches whose device began to wait `slices`
    /// ticks ago or earlier.
    fn take_due(&self, slices: u64) -> Vec<Touch> {
        let now = self.slice.fetch_add(1, Ordering::Relaxed) + 1;
        let mut due = Vec::new();
        for s in &self.shards {
            let mut m = s.lock().unwrap_or_else(|e| e.into_inner());
            due.extend(
                m.extract_if(|_, w| w.slice.saturating_add(slices) <= now)
                    .map(|(_, w)| w.touch),
            );
        }
        due
    }

    /// Everything waiting, leaving nothing.
    pub fn take(&self) -> Vec<Touch> {
        let mut all = Vec::new();
        for s in &self.shards {
            let mut m = s.lock().unwrap_or_else(|e| e.into_inner());
            all.extend(m.drain().map(|(_, w)| w.touch));
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

/// Writes `all` (taken from the waiting touches), each writer task's devices together (one
/// device's writes stay with one task); the devices whose touch missed leave the cache.
/// Touches of a flush that failed wait again, one more interval, as if just answered (unless
/// a newer one came meanwhile): a database that refuses writes is tried once an interval, not
/// at every tick. No further touch waits until a flush succeeds.
async fn flush(state: &AppState, all: Vec<Touch>) {
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

/// The flusher's tick and the ticks a touch waits at most, for `every` milliseconds (not 0):
/// a tenth of `every` and ten of them, or 1 ms and `every` of them below 10 ms; never longer
/// than `every` together.
fn ticks(every: u32) -> (Duration, u64) {
    let slices = SLICES.min(u64::from(every));
    (Duration::from_millis(u64::from(every) / slices), slices)
}

/// Every tick (see [`ticks`]; nothing to do when `checkin.touch_flush_ms` is 0), writes the
/// touches whose device began to wait `checkin.touch_flush_ms` ago, until the server begins
/// to stop; a flush under way then finishes (the server's last flush, after the requests,
/// takes what is left).
pub async fn flusher(state: AppState) {
    let every = state.config.checkin.touch_flush_ms;
    if every == 0 {
        return;
    }
    let (period, slices) = ticks(every);
    let mut stopping = state.stopping.subscribe();
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        let due = state.touches.take_due(slices);
        flush(&state, due).await;
    }
}

/// A server that stops: marks it stopping, lets `flusher` (the task running [`flusher`])
/// finish a flush under way, then writes what is still waiting, or says it is lost.
pub async fn stop(state: &AppState, flusher: tokio::task::JoinHandle<()>) {
    state.stopping.send_replace(true);
    let _ = flusher.await;
    flush(state, state.touches.take()).await;
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
    fn a_touch_is_taken_once_its_device_has_waited_every_slice() {
        let p = Pending::default();
        p.add(touch("a", 1));
        assert!(p.take_due(3).is_empty(), "tick 1");
        p.add(touch("b", 1));
        // A newer touch of a waiting device replaces it but keeps its slice.
        p.add(touch("a", 2));
        assert!(p.take_due(3).is_empty(), "tick 2");
        assert_eq!(
            p.take_due(3),
            vec![touch("a", 2)],
            "tick 3: a began in slice 0"
        );
        assert_eq!(p.len(), 1);
        assert_eq!(
            p.take_due(3),
            vec![touch("b", 1)],
            "tick 4: b began in slice 1"
        );
        // Taken, then added again (as after a failed write): a whole interval more.
        p.add(touch("b", 1));
        p.add(touch("c", 1));
        assert!(p.take_due(3).is_empty(), "tick 5");
        assert!(p.take_due(3).is_empty(), "tick 6");
        let mut due = p.take_due(3);
        due.sort_by(|x, y| x.device_id.cmp(&y.device_id));
        assert_eq!(due, vec![touch("b", 1), touch("c", 1)], "tick 7");
        p.add(touch("d", 1));
        assert_eq!(p.take(), vec![touch("d", 1)], "a stop takes what waits");
        assert!(p.is_empty());
    }

    #[test]
    fn the_ticks_of_a_flush_interval_never_add_up_to_more_than_it() {
        assert_eq!(ticks(1_000), (Duration::from_millis(100), 10));
        assert_eq!(ticks(1_005), (Duration::from_millis(100), 10));
        assert_eq!(ticks(100), (Duration::from_millis(10), 10));
        assert_eq!(ticks(5), (Duration::from_millis(1), 5));
        assert_eq!(ticks(1), (Duration::from_millis(1), 1));
        for every in 1..=2_000u32 {
            let (period, slices) = ticks(every);
            assert!(period >= Duration::from_millis(1), "{every}");
            assert!(
                period * slices as u32 <= Duration::from_millis(every.into()),
                "{every}"
            );
        }
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
