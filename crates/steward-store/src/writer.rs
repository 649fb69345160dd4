//! Group commit: every write of the agent path goes through a writer task that collects the
//! requests queued while the previous transaction was committing and applies them together in
//! one transaction. A caller gets its outcome only after that transaction committed, so an
//! acknowledged check-in is durable, while the cost of a commit (an fsync) is shared by the
//! whole batch.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{Map, Value};
use sqlx::{Any, Row, Transaction};
use steward_core::alerting::AlertRule;
use steward_core::compliance::{DeviceFacts, Policy};
use steward_core::enrollment::check_token;
use steward_core::history::{changes, Observed};
use steward_proto::{EnrollRequest, ErrorCode, OsFacts, Platform, ProtectionStatus};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::alerts;
use crate::exec::{Arg, Exec};
use crate::policies::evaluate_device;
use crate::tokens::token_record;
use crate::{values_placeholders, Backend, PgArray, Result, Store, StoreError};

/// Largest number of operations in one transaction.
pub const MAX_BATCH: usize = 512;

#[derive(Debug, Clone)]
pub struct CheckinWrite {
    pub device_id: String,
    pub seq: i64,
    pub at: i64,
    pub os: OsFacts,
    pub protection: Option<ProtectionStatus>,
    pub compliance: Option<Map<String, Value>>,
    /// The full inventory and its hash, when the device sent it.
    pub inventory: Option<(Map<String, Value>, String)>,
    pub state_hash: String,
    /// The hash of the secret the device presented: the write applies only if it is still
    /// the device's secret (another server may have promoted a rotated one since this one
    /// cached the device).
    pub secret_hash: String,
}

#[derive(Debug, Clone)]
pub struct EnrollWrite {
    pub device_id: String,
    pub secret_hash: String,
    pub token_hash: String,
    pub request: EnrollRequest,
    pub remote_addr: String,
    pub at: i64,
}

/// An enrollment refused before any token look-up (a malformed request).
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub at: i64,
    pub result: ErrorCode,
    pub platform: Option<String>,
    pub os_version: String,
    pub hostname: String,
    pub serial: String,
    pub owner: String,
    pub remote_addr: String,
}

/// An unchanged device's check-in: only its `seq` and when it was last seen move (and
/// `recheck_at`, for a device marked `checkin_sensitive`), and only if the stored state hash and the
/// presented secret's hash still match, the device is not retired and the sequence number is
/// newer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub device_id: String,
    pub seq: i64,
    pub at: i64,
    pub state_hash: String,
    pub secret_hash: String,
}

#[derive(Debug, Clone)]
pub enum WriteOp {
    /// One touch, answered once written.
    Touch(Touch),
    /// Touches a server answered before writing them (at most one per device, all of one
    /// writer task's devices: see [`Writer::shard_of`]): `Touched`
    /// names the devices whose touch did not apply (unknown, retired, their secret replaced,
    /// their state changed, or a newer sequence number stored meanwhile), so the server
    /// holding them stops believing what it cached about them.
    Touches(Vec<Touch>),
    Checkin(Arc<CheckinWrite>),
    Enroll(Box<EnrollWrite>),
    RecordAttempt(Box<AttemptRecord>),
    /// An audit record that goes with no other change (a denial, a failed authentication).
    Audit(Box<crate::audit::AuditRecord>),
    /// A rotation hands a device a new secret: its hash waits until the device uses it.
    OfferSecret {
        device_id: String,
        hash: String,
    },
    /// The device used its new secret: it becomes the only one, and the rotation is done.
    PromoteSecret {
        device_id: String,
        /// The hash of the secret the device used: promoted only if it is the one waiting.
        hash: String,
        at: i64,
    },
    /// A request in a device's mailbox is handed to the answer about to be sent: `Recorded`
    /// for the one answer (on any server) that gets it, `Stale` when it was handed out
    /// before, answered, or is not this device's.
    ClaimRequest {
        id: String,
        device_id: String,
        at: i64,
    },
    /// A request claimed at `at` for an answer that was not sent after all (its check-in
    /// failed) goes back to the mailbox, unless it was answered meanwhile.
    ReleaseRequest {
        id: String,
        device_id: String,
        at: i64,
    },
    /// A device's answer to one of its requests, with what it means for a remediation's
    /// row; recorded once.
    AnswerRequest(Box<crate::remediation::RequestAnswer>),
}

impl WriteOp {
    fn shard_key(&self) -> &str {
        match self {
            WriteOp::Touch(t) => &t.device_id,
            WriteOp::Touches(t) => t.first().map_or("", |t| t.device_id.as_str()),
            WriteOp::Checkin(c) => &c.device_id,
            WriteOp::Enroll(e) => &e.token_hash,
            WriteOp::RecordAttempt(a) => &a.hostname,
            WriteOp::Audit(a) => &a.actor.remote_addr,
            WriteOp::OfferSecret { device_id, .. }
            | WriteOp::PromoteSecret { device_id, .. }
            | WriteOp::ClaimRequest { device_id, .. }
            | WriteOp::ReleaseRequest { device_id, .. } => device_id,
            WriteOp::AnswerRequest(a) => &a.device_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The check-in was stored; `inventory_hash` is the inventory hash now on record.
    Applied {
        inventory_hash: String,
    },
    /// The sequence number was not newer than the stored one: nothing changed.
    Stale,
    /// A touch found a different stored state: the caller must send the full check-in.
    StateMismatch,
    /// No such device, or the secret presented is no longer its secret.
    UnknownDevice,
    Retired,
    Enrolled,
    Refused(ErrorCode),
    Recorded,
    /// What became of a `Touches`: the devices named were not touched and are not what the
    /// server holding their touches believed.
    Touched {
        missed: Vec<String>,
    },
}

struct Job {
    op: WriteOp,
    reply: oneshot::Sender<Result<WriteOutcome>>,
}

/// Called after every batch with its size and how long it took to apply and commit.
pub type BatchObserver = Arc<dyn Fn(usize, std::time::Duration) + Send + Sync>;

/// Handle to the writer tasks. Cloning is cheap; when the last clone is dropped, the tasks
/// finish the queued work and stop.
#[derive(Clone)]
pub struct Writer {
    senders: Arc<Vec<mpsc::Sender<Job>>>,
    queued: Arc<AtomicUsize>,
}

impl Writer {
    /// Starts `n` writer tasks (see [`Store::writer_count`]).
    pub fn start(store: Store, observer: BatchObserver, n: usize) -> (Writer, Vec<JoinHandle<()>>) {
        let queued = Arc::new(AtomicUsize::new(0));
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..n {
            let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
            senders.push(tx);
            handles.push(tokio::spawn(run(
                store.clone(),
                rx,
                observer.clone(),
                queued.clone(),
            )));
        }
        (
            Writer {
                senders: Arc::new(senders),
                queued,
            },
            handles,
        )
    }

    /// The writer task that takes the operations keyed `key` (a device id for the agent's
    /// writes): one device's operations all go to one task, in order.
    pub fn shard_of(&self, key: &str) -> usize {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        (h.finish() as usize) % self.senders.len()
    }

    /// How many writer tasks there are.
    pub fn shards(&self) -> usize {
        self.senders.len()
    }

    /// Queues `op` and waits until it is committed (or failed).
    pub async fn submit(&self, op: WriteOp) -> Result<WriteOutcome> {
        let shard = self.shard_of(op.shard_key());
        let (reply, rx) = oneshot::channel();
        self.queued.fetch_add(1, Ordering::Relaxed);
        if self.senders[shard].send(Job { op, reply }).await.is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(StoreError::Closed);
        }
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Operations queued or in flight.
    pub fn queue_depth(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}

async fn run(
    store: Store,
    mut rx: mpsc::Receiver<Job>,
    observer: BatchObserver,
    queued: Arc<AtomicUsize>,
) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut held: Held = None;
    while let Some(first) = rx.recv().await {
        jobs.push(first);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let ops: Vec<&WriteOp> = jobs.iter().map(|j| &j.op).collect();
        let started = std::time::Instant::now();
        let results = apply(&store, &mut held, &ops).await;
        observer(jobs.len(), started.elapsed());
        queued.fetch_sub(jobs.len(), Ordering::Relaxed);
        for (job, result) in jobs.drain(..).zip(results) {
            let _ = job.reply.send(result);
        }
        if let Err(e) = store.restart_wal_if_long().await {
            tracing::warn!(error = %e, "write-ahead log restart failed");
        }
    }
}

/// Applies a batch: the check-ins [`checkins_directly`] takes first, the rest in one
/// transaction; if that transaction fails, each of its operations is retried alone so one bad
/// operation cannot sink the others.
async fn apply(store: &Store, held: &mut Held, ops: &[&WriteOp]) -> Vec<Result<WriteOutcome>> {
    let direct = match checkins_directly(store, ops).await {
        Ok(direct) => direct,
        Err(e) => {
            // Nothing of it was written (its transaction rolled back): the general path
            // tries the whole batch.
            tracing::warn!(error = %e, size = ops.len(), "direct check-in batch failed");
            None
        }
    };
    let mut done = direct.unwrap_or_else(|| vec![None; ops.len()]);
    let rest: Vec<&WriteOp> = ops
        .iter()
        .zip(&done)
        .filter(|(_, d)| d.is_none())
        .map(|(op, _)| *op)
        .collect();
    let mut results = if rest.is_empty() {
        Vec::new()
    } else {
        apply_rest(store, held, &rest).await
    }
    .into_iter();
    done.iter_mut()
        .map(|d| match d.take() {
            Some(outcome) => Ok(outcome),
            None => results.next().unwrap_or(Err(StoreError::Closed)),
        })
        .collect()
}

/// The connection a writer task keeps between its batches on PostgreSQL (see
/// [`Store::begin_write_on`]); given back to the pool after a transaction that failed, so a
/// broken connection is not kept.
type Held = Option<sqlx::pool::PoolConnection<Any>>;

async fn apply_rest(store: &Store, held: &mut Held, ops: &[&WriteOp]) -> Vec<Result<WriteOutcome>> {
    // A kept connection may have died since its last batch (a database restart): an
    // operation alone is then tried once more, on a fresh connection.
    let reused = held.is_some();
    match apply_in_tx(store, held, ops).await {
        Ok(out) => out.into_iter().map(Ok).collect(),
        Err(e) if ops.len() == 1 && !reused => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, size = ops.len(), "batch failed; retrying one by one");
            let mut out = Vec::with_capacity(ops.len());
            for op in ops {
                out.push(
                    apply_in_tx(store, held, std::slice::from_ref(op))
                        .await
                        .map(|mut v| v.remove(0)),
                );
            }
            out
        }
    }
}

/// Applies `ops` in one transaction; a failure gives `held` back to the pool.
async fn apply_in_tx(
    store: &Store,
    held: &mut Held,
    ops: &[&WriteOp],
) -> Result<Vec<WriteOutcome>> {
    let result = write_in_tx(store, held, ops).await;
    if result.is_err() {
        *held = None;
    }
    result
}

async fn write_in_tx(
    store: &Store,
    held: &mut Held,
    ops: &[&WriteOp],
) -> Result<Vec<WriteOutcome>> {
    let checkins = ops.iter().any(|op| matches!(op, WriteOp::Checkin(_)));
    // Looked at before the transaction opens: the look may take another connection of the
    // pool, which this one must not wait for while it holds its transaction.
    let plan_once = checkins && store.plan_once().await;
    let mut tx = store.begin_write_on(held).await?;
    let mut out: Vec<Option<WriteOutcome>> = vec![None; ops.len()];
    let once = device_counts(ops);
    let mut ev = Evaluators::held(store, plan_once);
    if checkins && Backend::of(&tx) != Backend::Postgres {
        // On PostgreSQL the versions come with the first firing rules read (`bulk_checkin`),
        // or just before the first check-in applied alone.
        ev.current(store, &mut tx, None).await?;
    }
    bulk_touch(&mut tx, ops, &mut out, &once).await?;
    bulk_checkin(store, &mut tx, ops, &mut out, &once, &mut ev).await?;
    for (op, slot) in ops.iter().zip(out.iter_mut()) {
        if slot.is_none() {
            if matches!(op, WriteOp::Checkin(_)) {
                ev.current(store, &mut tx, None).await?;
            }
            *slot = Some(apply_one(&mut tx, op, &ev).await?);
        }
    }
    tx.commit().await?;
    store.alerts_committed(&ev.alerts_changed);
    Ok(out.into_iter().flatten().collect())
}

/// How often each device appears in the batch; only devices that appear once take the bulk
/// paths, so a device's repeated operations keep their order.
fn device_counts<'a>(ops: &[&'a WriteOp]) -> std::collections::HashMap<&'a str, usize> {
    let mut seen = std::collections::HashMap::new();
    for op in ops {
        let id = match op {
            WriteOp::Touch(t) => t.device_id.as_str(),
            WriteOp::Checkin(c) => c.device_id.as_str(),
            _ => continue,
        };
        *seen.entry(id).or_default() += 1;
    }
    seen
}

/// History rows per insert statement (4 parameters each).
const EVENT_CHUNK: usize = crate::STATEMENT_PARAMS / 4;

/// Rows per bulk statement (5 parameters each).
const TOUCH_CHUNK: usize = crate::STATEMENT_PARAMS / 5;

/// Applies, in one statement per chunk, the touches of devices that appear only once in the
/// batch (repeats keep their order and go through [`apply_one`]).
async fn bulk_touch(
    tx: &mut Transaction<'_, Any>,
    ops: &[&WriteOp],
    out: &mut [Option<WriteOutcome>],
    seen: &std::collections::HashMap<&str, usize>,
) -> Result<()> {
    let (at, touches): (Vec<usize>, Vec<&Touch>) = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            WriteOp::Touch(t) if seen.get(t.device_id.as_str()) == Some(&1) => Some((i, t)),
            _ => None,
        })
        .unzip();
    if touches.len() < 2 {
        return Ok(());
    }
    for (i, outcome) in at.into_iter().zip(touch_all(tx, &touches).await?) {
        out[i] = Some(outcome);
    }
    Ok(())
}

/// What a touch requires of the stored row (besides its id): `$3` its sequence number,
/// `$4` the state hash, `$5` the secret's hash.
const TOUCH_APPLIES: &str = "devices.seq < $3 AND devices.state_hash = $4 \
                             AND devices.secret_hash = $5 AND devices.retired_at IS NULL";

impl Store {
    /// Writes touches answered before they were written (see [`WriteOp::Touches`]) in one
    /// transaction reaching SQLite directly, one prepared statement for all; returns the
    /// devices whose touch did not apply. `None` for a store without that path (PostgreSQL,
    /// in-memory): the writer's `WriteOp::Touches` does the same there.
    pub async fn touch_directly(&self, touches: &[Touch]) -> Result<Option<Vec<String>>> {
        let Some(native) = &self.native else {
            return Ok(None);
        };
        let touches = touches.to_vec();
        // Queued with the check-in writer: see `native`.
        let held = self.write.acquire().await?;
        let missed = native
            .run(crate::native::Role::Write, move |conn| {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let mut missed = Vec::new();
                {
                    // `?n` numbers parameters explicitly (SQLite numbers `$n` by first use).
                    let sql = format!(
                        "UPDATE devices SET last_seen_at = ?2, seq = ?3, recheck_at = \
                         CASE WHEN checkin_sensitive = 1 THEN ?2 ELSE recheck_at END \
                         WHERE devices.id = ?1 AND {}",
                        TOUCH_APPLIES.replace('$', "?")
                    );
                    let mut update = tx.prepare_cached(&sql)?;
                    for t in touches {
                        let n = update.execute(rusqlite::params![
                            t.device_id,
                            t.at,
                            t.seq,
                            t.state_hash,
                            t.secret_hash
                        ])?;
                        if n == 0 {
                            missed.push(t.device_id);
                        }
                    }
                }
                tx.commit()?;
                Ok(missed)
            })
            .await?;
        drop(held);
        Ok(Some(missed))
    }
}

/// Applies `touches` (one per device), one statement per chunk, and says what became of each;
/// those that did not apply are classified one by one.
async fn touch_all(tx: &mut Transaction<'_, Any>, touches: &[&Touch]) -> Result<Vec<WriteOutcome>> {
    let mut out = Vec::with_capacity(touches.len());
    let apart = Backend::of(tx).seen_apart();
    let mut applied = Vec::new();
    for chunk in touches.chunks(TOUCH_CHUNK) {
        let sql = format!(
            "UPDATE devices SET seq = v.column3, {}\
             recheck_at = CASE WHEN devices.checkin_sensitive = 1 THEN v.column2 \
             ELSE devices.recheck_at END FROM (VALUES {}) AS v \
             WHERE devices.id = v.column1 AND {} RETURNING devices.id",
            if apart {
                ""
            } else {
                "last_seen_at = v.column2, "
            },
            values_placeholders(chunk.len(), 5),
            TOUCH_APPLIES
                .replace("$3", "v.column3")
                .replace("$4", "v.column4")
                .replace("$5", "v.column5")
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = q
                .bind(t.device_id.as_str())
                .bind(t.at)
                .bind(t.seq)
                .bind(t.state_hash.as_str())
                .bind(t.secret_hash.as_str());
        }
        let updated: std::collections::HashSet<String> = q
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<std::result::Result<_, _>>()?;
        for t in chunk {
            out.push(if updated.contains(&t.device_id) {
                applied.push((t.device_id.as_str(), t.at));
                WriteOutcome::Applied {
                    inventory_hash: String::new(),
                }
            } else {
                touch_miss(tx, &t.device_id, t.seq, &t.secret_hash).await?
            });
        }
    }
    if apart {
        seen(tx, &applied).await?;
    }
    Ok(out)
}

async fn apply_one(
    tx: &mut Transaction<'_, Any>,
    op: &WriteOp,
    ev: &Evaluators,
) -> Result<WriteOutcome> {
    match op {
        WriteOp::Touch(t) => Ok(touch_all(tx, &[t]).await?.remove(0)),
        WriteOp::Touches(touches) => {
            let touches: Vec<&Touch> = touches.iter().collect();
            let outcomes = touch_all(tx, &touches).await?;
            let missed = touches
                .iter()
                .zip(outcomes)
                .filter(|(_, o)| !matches!(o, WriteOutcome::Applied { .. }))
                .map(|(t, _)| t.device_id.clone())
                .collect();
            Ok(WriteOutcome::Touched { missed })
        }
        WriteOp::Checkin(c) => checkin(tx, c, ev).await,
        WriteOp::Enroll(e) => enroll(tx, e).await,
        WriteOp::RecordAttempt(a) => {
            insert_attempt(tx, a, None, None, Err(a.result)).await?;
            Ok(WriteOutcome::Recorded)
        }
        WriteOp::Audit(a) => {
            crate::audit::insert(tx, a).await?;
            Ok(WriteOutcome::Recorded)
        }
        WriteOp::OfferSecret { device_id, hash } => {
            sqlx::query(
                "UPDATE devices SET next_secret_hash = $1 \
                 WHERE id = $2 AND rotate_requested_at IS NOT NULL",
            )
            .bind(hash)
            .bind(device_id)
            .execute(&mut **tx)
            .await?;
            Ok(WriteOutcome::Recorded)
        }
        WriteOp::PromoteSecret {
            device_id,
            hash,
            at,
        } => {
            let done = sqlx::query(
                "UPDATE devices SET secret_hash = next_secret_hash, next_secret_hash = NULL, \
                 rotate_requested_at = NULL WHERE id = $1 AND next_secret_hash = $2",
            )
            .bind(device_id)
            .bind(hash)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 1 {
                let detail = serde_json::json!({"secret": "rotated"});
                insert_event(tx, device_id, *at, "secret_rotated", &detail).await?;
            }
            Ok(WriteOutcome::Recorded)
        }
        WriteOp::ClaimRequest { id, device_id, at } => {
            let sql = "UPDATE device_requests SET sent_at = $3 \
                       WHERE id = $1 AND device_id = $2 AND sent_at IS NULL";
            hand_over(tx, sql, id, device_id, *at).await
        }
        WriteOp::ReleaseRequest { id, device_id, at } => {
            let sql = "UPDATE device_requests SET sent_at = NULL \
                       WHERE id = $1 AND device_id = $2 AND sent_at = $3 AND answered_at IS NULL";
            hand_over(tx, sql, id, device_id, *at).await
        }
        WriteOp::AnswerRequest(a) => crate::remediation::apply_answer(tx, a).await,
    }
}

/// Claims or releases request `id` of `device_id` with `sql` (`$1` id, `$2` device, `$3` the
/// time of the claim): `Recorded` when it changed the request, `Stale` when another answer
/// had it, or it was answered.
async fn hand_over(
    tx: &mut Transaction<'_, Any>,
    sql: &str,
    id: &str,
    device_id: &str,
    at: i64,
) -> Result<WriteOutcome> {
    let done = sqlx::query(sql)
        .bind(id)
        .bind(device_id)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(if done.rows_affected() == 1 {
        WriteOutcome::Recorded
    } else {
        WriteOutcome::Stale
    })
}

/// Why a touch did not apply: unknown (or no longer this secret), retired, stale, or its
/// state changed.
async fn touch_miss(
    tx: &mut Transaction<'_, Any>,
    device_id: &str,
    seq: i64,
    secret_hash: &str,
) -> Result<WriteOutcome> {
    let row = sqlx::query("SELECT seq, retired_at, secret_hash FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        None => WriteOutcome::UnknownDevice,
        Some(r) if r.try_get::<Option<i64>, _>("retired_at")?.is_some() => WriteOutcome::Retired,
        Some(r) if r.try_get::<String, _>("secret_hash")? != secret_hash => {
            WriteOutcome::UnknownDevice
        }
        Some(r) if r.try_get::<i64, _>("seq")? >= seq => WriteOutcome::Stale,
        Some(_) => WriteOutcome::StateMismatch,
    })
}

/// What a state-changing check-in is evaluated against, and how its write is planned.
pub(crate) struct Evaluators {
    pub policies: Arc<Vec<Policy>>,
    pub alert_rules: Arc<Vec<AlertRule>>,
    pub alerts_changed: crate::notify::AlertsChanged,
    /// Whether [`PG_CHECKIN_WRITE`] runs on the plan its connection made once
    /// ([`Store::plan_once`]) instead of a plan made for each run.
    pub plan_once: bool,
    /// Whether `policies` and `alert_rules` were compared with their stored versions in this
    /// transaction (see [`Evaluators::current`]).
    pub current: bool,
}

impl Evaluators {
    /// The evaluators `store` holds, not yet compared with the stored versions.
    fn held(store: &Store, plan_once: bool) -> Evaluators {
        Evaluators {
            policies: store.policies(),
            alert_rules: store.alert_rules(),
            alerts_changed: Default::default(),
            plan_once,
            current: false,
        }
    }

    /// Makes the policies and alert rules the last committed before a check-in is decided
    /// with them: `stored` are the versions read in the transaction, or `None` to read them
    /// now (a round trip of its own). Once a transaction. With `stored`, what moved is read
    /// through `tx` (the batch's rows are locked by then: see
    /// [`Store::evaluators_current_as`]).
    async fn current(
        &mut self,
        store: &Store,
        tx: &mut Transaction<'_, Any>,
        stored: Option<&[(String, i64)]>,
    ) -> Result<()> {
        if self.current {
            return Ok(());
        }
        match stored {
            Some(stored) => store.evaluators_current_as(tx, stored).await?,
            None => store.evaluators_current(tx).await?,
        }
        self.policies = store.policies();
        self.alert_rules = store.alert_rules();
        self.current = true;
        Ok(())
    }
}

/// The stored state a check-in is compared with.
struct Stored {
    seq: i64,
    retired: bool,
    secret_hash: String,
    observed: Observed,
    platform: String,
    group: Option<String>,
    compliance_state: String,
    health_state: String,
    failing_since: Option<i64>,
    firing_rules: String,
    recheck_at: Option<i64>,
}

/// The columns of a stored state, the firing rules as given.
macro_rules! stored_cols {
    ($($firing:tt)*) => {
        concat!(
            "id, name, os_name, os_version, seq, protection, compliance, inventory_hash, \
             retired_at, platform, device_group, compliance_state, health_state, \
             failing_since, secret_hash, recheck_at, ",
            $($firing)*
        )
    };
}

/// The columns of a stored state, with its firing rules (SQLite).
const STORED_COLS: &str = stored_cols!(firing_rules_col!());

/// The columns a stored state is read from on a connection: on PostgreSQL without its
/// firing rules, which [`firing_once_locked`] reads once the rows are locked.
fn stored_cols(tx: &Transaction<'_, Any>) -> &'static str {
    if Backend::of(tx) == Backend::Postgres {
        stored_cols!("'' AS firing_rules")
    } else {
        STORED_COLS
    }
}

/// On PostgreSQL, the stored firing rules of devices just read and locked ([`stored_lock`]),
/// read in a statement of their own: a locking read that waited for another transaction
/// sees that transaction's `devices` row, but the rest of its statement (a lookup in
/// `device_firing`) as of its own start, so a job that had just moved a device's firing
/// rules would go unseen. Every writer of `device_firing` holds the device's row locked, so
/// once locked they stay as read here. On SQLite, whose one writer excludes the others,
/// they come with the row ([`STORED_COLS`]).
///
/// The same statement reads the stored versions of the configuration (`config_versions`),
/// returned for [`Evaluators::current`], which saves the batch a round trip of its own. Read
/// after the rows were locked, they are no older than if read before. `None` on SQLite, or
/// when no row was read.
async fn firing_once_locked<'s>(
    tx: &mut Transaction<'_, Any>,
    stored: impl Iterator<Item = (&'s str, &'s mut Stored)>,
) -> Result<Option<Vec<(String, i64)>>> {
    if Backend::of(tx) != Backend::Postgres {
        return Ok(None);
    }
    let mut stored: std::collections::HashMap<&str, &mut Stored> = stored.collect();
    if stored.is_empty() {
        return Ok(None);
    }
    let ids = crate::pg_text_array(stored.keys().copied());
    let found = sqlx::query(
        "SELECT device_id, rules, CAST(NULL AS BIGINT) FROM device_firing \
         WHERE device_id = ANY(CAST($1 AS text[])) \
         UNION ALL SELECT kind, NULL, version FROM config_versions",
    )
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    let mut versions = Vec::new();
    for r in found {
        let key: String = r.try_get(0)?;
        if let Some(version) = r.try_get::<Option<i64>, _>(2)? {
            versions.push((key, version));
        } else if let Some(s) = stored.get_mut(key.as_str()) {
            s.firing_rules = r.try_get(1)?;
        }
    }
    Ok(Some(versions))
}

/// The stored states of the devices `ids` (at most [`TOUCH_CHUNK`]) by id, read as
/// [`stored_lock`] says. On PostgreSQL the ids travel as one array, so the statement's text
/// is the same for any number of them and each connection prepares it once.
async fn stored_of(
    tx: &mut Transaction<'_, Any>,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, Stored>> {
    let rows = if Backend::of(tx) == Backend::Postgres {
        let sql = format!(
            "SELECT {} FROM devices WHERE id = ANY(CAST($1 AS text[])){}",
            stored_cols(tx),
            stored_lock(tx)
        );
        sqlx::query(&sql)
            .bind(crate::pg_text_array(ids.iter().copied()))
            .fetch_all(&mut **tx)
            .await?
    } else {
        let sql = format!(
            "SELECT {} FROM devices WHERE id IN ({})",
            stored_cols(tx),
            crate::list_placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut **tx).await?
    };
    let mut found = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        found.insert(row.try_get::<String, _>("id")?, stored(&row)?);
    }
    Ok(found)
}

/// How the stored states of a batch's check-ins are read. On PostgreSQL the rows stay locked
/// until the batch commits, in id order (so two servers' batches cannot deadlock on them):
/// another server's write between this read and this batch's update would otherwise be
/// mixed into the row, since the update assigns only the indexed columns that moved from
/// what was read. On SQLite the write transaction already excludes every other writer.
fn stored_lock(tx: &Transaction<'_, Any>) -> &'static str {
    if Backend::of(tx) == Backend::Postgres {
        " ORDER BY id FOR UPDATE"
    } else {
        ""
    }
}

/// A row read through sqlx or from SQLite reached directly, by column name.
trait Cols {
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn int(&self, col: &str) -> Result<i64>;
}

impl Cols for sqlx::any::AnyRow {
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.try_get(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get(col)?)
    }
    fn int(&self, col: &str) -> Result<i64> {
        Ok(self.try_get(col)?)
    }
}

impl Cols for rusqlite::Row<'_> {
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.get(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.get(col)?)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.get(col)?)
    }
    fn int(&self, col: &str) -> Result<i64> {
        Ok(self.get(col)?)
    }
}

fn stored(row: &impl Cols) -> Result<Stored> {
    let json = |col: &str| -> Result<Option<String>> { row.opt_text(col) };
    Ok(Stored {
        seq: row.int("seq")?,
        retired: row.opt_int("retired_at")?.is_some(),
        secret_hash: row.text("secret_hash")?,
        observed: Observed {
            name: row.text("name")?,
            os_name: row.text("os_name")?,
            os_version: row.text("os_version")?,
            protection: json("protection")?.and_then(|t| serde_json::from_str(&t).ok()),
            compliance: json("compliance")?.and_then(|t| serde_json::from_str(&t).ok()),
            inventory_hash: row.text("inventory_hash")?,
        },
        platform: row.text("platform")?,
        group: row.opt_text("device_group")?,
        compliance_state: row.text("compliance_state")?,
        health_state: row.text("health_state")?,
        failing_since: row.opt_int("failing_since")?,
        firing_rules: row.text("firing_rules")?,
        recheck_at: row.opt_int("recheck_at")?,
    })
}

/// A history entry waiting to be inserted.
pub(crate) struct Event {
    pub(crate) device_id: String,
    pub(crate) at: i64,
    pub(crate) kind: &'static str,
    pub(crate) detail: Value,
}

async fn checkin(
    tx: &mut Transaction<'_, Any>,
    c: &CheckinWrite,
    ev: &Evaluators,
) -> Result<WriteOutcome> {
    let row = sqlx::query(&format!(
        "SELECT {} FROM devices WHERE id = $1{}",
        stored_cols(tx),
        stored_lock(tx)
    ))
    .bind(&c.device_id)
    .fetch_optional(&mut **tx)
    .await?;
    let mut old = row.as_ref().map(stored).transpose()?;
    if let Some(o) = old.as_mut() {
        // The evaluators are current already (see `write_in_tx`).
        firing_once_locked(tx, std::iter::once((c.device_id.as_str(), o))).await?;
    }
    let (mut events, mut rows) = (Vec::new(), Vec::new());
    let outcome = apply_checkin(tx, c, old, ev, &mut events, &mut rows).await?;
    write_checkins(tx, &rows, &events, ev.plan_once).await?;
    Ok(outcome)
}

/// Check-ins of devices that appear once in the batch: their stored states are read with one
/// query and their history written with one insert.
async fn bulk_checkin(
    store: &Store,
    tx: &mut Transaction<'_, Any>,
    ops: &[&WriteOp],
    out: &mut [Option<WriteOutcome>],
    once: &std::collections::HashMap<&str, usize>,
    ev: &mut Evaluators,
) -> Result<()> {
    let todo: Vec<(usize, &CheckinWrite)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            WriteOp::Checkin(c)
                if out[i].is_none() && once.get(c.device_id.as_str()) == Some(&1) =>
            {
                Some((i, c.as_ref()))
            }
            _ => None,
        })
        .collect();
    if todo.len() < 2 {
        return Ok(());
    }
    let (mut events, mut rows) = (Vec::new(), Vec::new());
    for chunk in todo.chunks(TOUCH_CHUNK) {
        let ids: Vec<&str> = chunk.iter().map(|(_, c)| c.device_id.as_str()).collect();
        let mut found = stored_of(tx, &ids).await?;
        let versions =
            firing_once_locked(tx, found.iter_mut().map(|(id, s)| (id.as_str(), s))).await?;
        ev.current(store, tx, versions.as_deref()).await?;
        for (i, c) in chunk {
            let old = found.remove(&c.device_id);
            out[*i] = Some(apply_checkin(tx, c, old, ev, &mut events, &mut rows).await?);
        }
    }
    write_checkins(tx, &rows, &events, ev.plan_once).await
}

/// The state-changing check-ins of a batch on a SQLite file, written on a connection reached
/// directly ([`crate::native`]): the stored states read, the check-ins decided, their rows and
/// history written and committed in one blocking call, with statements prepared once, instead
/// of a hand-off to sqlx's worker thread and back for every statement and row.
///
/// Taken only when every operation of the batch is a check-in of a different device, and only
/// with the policies and alert rules the database holds (their versions are compared in the
/// transaction); otherwise `None`, nothing written. A check-in that raises or resolves an
/// alert writes its alerts in the same transaction, through the statements the sqlx path
/// runs ([`alerts::apply_firing`] over [`crate::exec::Exec`]), so the notifier is woken
/// once the batch is committed, as after the sqlx path's. Queued with the other writes of
/// the file: see `native`.
async fn checkins_directly(
    store: &Store,
    ops: &[&WriteOp],
) -> Result<Option<Vec<Option<WriteOutcome>>>> {
    let Some(native) = &store.native else {
        return Ok(None);
    };
    let mut batch = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            WriteOp::Checkin(c) => batch.push(c.clone()),
            _ => return Ok(None),
        }
    }
    if device_counts(ops).len() != batch.len() {
        return Ok(None);
    }
    let (policies, policies_version) = store.policies.snapshot();
    let (alert_rules, rules_version) = store.alert_rules.snapshot();
    let held = store.write.acquire().await?;
    let out = native
        .run(crate::native::Role::Write, move |conn| {
            let mut tx =
                conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let stored_versions: Vec<(String, i64)> = tx
                .prepare_cached("SELECT kind, version FROM config_versions")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (kind, version) in stored_versions {
                let held = match kind.as_str() {
                    "policies" => policies_version,
                    "alert_rules" => rules_version,
                    _ => continue,
                };
                if held != version {
                    return Ok(None);
                }
            }
            let ev = Evaluators {
                policies,
                alert_rules,
                alerts_changed: Default::default(),
                plan_once: false,
                current: true,
            };
            let (mut outcomes, mut rows, mut events) = (Vec::new(), Vec::new(), Vec::new());
            for chunk in batch.chunks(TOUCH_CHUNK) {
                let mut found = std::collections::HashMap::new();
                {
                    let mut q = tx.prepare_cached(&format!(
                        "SELECT {STORED_COLS} FROM devices WHERE id IN ({})",
                        crate::list_placeholders(1, chunk.len())
                    ))?;
                    let mut read = q.query(rusqlite::params_from_iter(
                        chunk.iter().map(|c| c.device_id.as_str()),
                    ))?;
                    while let Some(row) = read.next()? {
                        found.insert(row.text("id")?, stored(row)?);
                    }
                }
                for c in chunk {
                    let old = found.remove(&c.device_id);
                    // Never waits: see `crate::exec`.
                    let outcome = futures::executor::block_on(apply_checkin(
                        &mut tx,
                        c,
                        old,
                        &ev,
                        &mut events,
                        &mut rows,
                    ))?;
                    outcomes.push(Some(outcome));
                }
            }
            futures::executor::block_on(write_checkins(&mut tx, &rows, &events, ev.plan_once))?;
            tx.commit()?;
            Ok(Some((outcomes, ev.alerts_changed)))
        })
        .await?;
    drop(held);
    Ok(out.map(|(outcomes, changed)| {
        store.alerts_committed(&changed);
        outcomes
    }))
}

/// Decides on a check-in against its stored state, writes its alerts and queues its device
/// row (see [`write_device_rows`]) and its history.
async fn apply_checkin(
    tx: &mut impl Exec,
    c: &CheckinWrite,
    old: Option<Stored>,
    ev: &Evaluators,
    events: &mut Vec<Event>,
    rows: &mut Vec<DeviceRow>,
) -> Result<WriteOutcome> {
    let change = match decide_checkin(c, old, ev) {
        Decision::Nothing(outcome) => return Ok(outcome),
        Decision::Write(change) => change,
    };
    let device = alerts::Firing {
        subject: &c.device_id,
        old: &change.old_firing,
        firing: &change.firing,
    };
    alerts::apply_firing(tx, &ev.alerts_changed, &ev.alert_rules, c.at, &[device]).await?;
    events.extend(change.events);
    rows.push(change.row);
    Ok(change.outcome)
}

/// What a check-in does, decided against its stored state.
enum Decision {
    /// Nothing is written (unknown, retired, stale, or another secret).
    Nothing(WriteOutcome),
    Write(Box<CheckinChange>),
}

/// What a state-changing check-in writes: its row, its history, and (where the rules that
/// fire on it moved) its alerts.
struct CheckinChange {
    outcome: WriteOutcome,
    row: DeviceRow,
    events: Vec<Event>,
    /// The rules that fired on the device before, as stored, and those that fire now.
    old_firing: String,
    firing: Vec<(String, steward_core::alerting::Reason)>,
}

impl CheckinChange {
    /// Whether the rules that fire on the device are the ones that fired before: then the
    /// check-in raises and resolves no alert.
    fn firing_unchanged(&self) -> bool {
        let before = alerts::stored_firing(&self.old_firing);
        before.len() == self.firing.len()
            && self
                .firing
                .iter()
                .all(|(r, _)| before.contains(&r.as_str()))
    }
}

/// Decides on a check-in against its stored state, without writing anything.
fn decide_checkin(c: &CheckinWrite, old: Option<Stored>, ev: &Evaluators) -> Decision {
    let Some(old) = old else {
        return Decision::Nothing(WriteOutcome::UnknownDevice);
    };
    if old.retired {
        return Decision::Nothing(WriteOutcome::Retired);
    }
    if old.secret_hash != c.secret_hash {
        return Decision::Nothing(WriteOutcome::UnknownDevice);
    }
    if old.seq >= c.seq {
        return Decision::Nothing(WriteOutcome::Stale);
    }
    let facts = DeviceFacts {
        platform: Platform::parse(&old.platform).unwrap_or(Platform::Linux),
        os_version: &c.os.version,
        protection: c.protection.as_ref(),
        compliance: c.compliance.as_ref(),
        last_seen_ms: c.at,
    };
    let e = evaluate_device(
        ev,
        old.group.as_deref(),
        &facts,
        c.inventory.as_ref().and_then(|(m, _)| m.get("disks")),
        c.at,
        old.failing_since,
        &old.firing_rules,
    );
    let new_state = e.compliance.state.as_str();
    let health = e.health.as_str();
    let mut events = state_events(
        &c.device_id,
        c.at,
        (&old.compliance_state, new_state),
        (&old.health_state, health),
    );
    let (compliance_moved, health_moved) = (
        old.compliance_state != new_state,
        old.health_state != health,
    );
    let recheck_moved = old.recheck_at != e.recheck_at;
    let old_firing = old.firing_rules;
    let old = old.observed;
    let new = Observed {
        name: if c.os.hostname.is_empty() {
            old.name.clone()
        } else {
            c.os.hostname.clone()
        },
        os_name: c.os.name.clone(),
        os_version: c.os.version.clone(),
        protection: c.protection.clone(),
        compliance: c.compliance.clone(),
        inventory_hash: c
            .inventory
            .as_ref()
            .map(|(_, h)| h.clone())
            .unwrap_or_else(|| old.inventory_hash.clone()),
    };
    let row = DeviceRow {
        moved: Moved {
            name: new.name != old.name,
            os_version: new.os_version != old.os_version,
            compliance_state: compliance_moved,
            health_state: health_moved,
            recheck_at: recheck_moved,
        },
        at: c.at,
        seq: c.seq,
        name: new.name.clone(),
        os_name: new.os_name.clone(),
        os_version: new.os_version.clone(),
        os_facts: to_json(&c.os),
        protection: c.protection.as_ref().map(to_json),
        compliance: c.compliance.as_ref().map(to_json),
        state_hash: c.state_hash.clone(),
        inventory: c.inventory.as_ref().map(|(m, _)| to_json(m)),
        inventory_hash: new.inventory_hash.clone(),
        id: c.device_id.clone(),
        compliance_state: new_state.to_string(),
        compliance_results: serde_json::to_string(&e.compliance.results).unwrap_or_default(),
        failing_since: e.compliance.failing_since,
        health_state: health.to_string(),
        recheck_at: e.recheck_at,
        checkin_sensitive: i64::from(e.checkin_sensitive),
        firing: None,
    };
    for (kind, detail) in changes(&old, &new) {
        events.push(Event {
            device_id: c.device_id.clone(),
            at: c.at,
            kind,
            detail,
        });
    }
    let mut change = CheckinChange {
        outcome: WriteOutcome::Applied {
            inventory_hash: new.inventory_hash,
        },
        row,
        events,
        old_firing,
        firing: e.firing,
    };
    if !change.firing_unchanged() {
        change.row.firing = Some(alerts::firing_ids(&change.firing));
    }
    Decision::Write(Box::new(change))
}

/// Which of the indexed columns a state-changing check-in may move did move. Only those are
/// assigned: SQLite rewrites an index entry (and writes its page to the log) for every
/// column assigned, changed or not.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Moved {
    name: bool,
    os_version: bool,
    compliance_state: bool,
    health_state: bool,
    recheck_at: bool,
}

impl Moved {
    /// One bit per column, in the order of the fields (1 for `name` … 16 for `recheck_at`),
    /// as [`PG_CHECKIN_WRITE`] tests them.
    fn bits(&self) -> i64 {
        [
            self.name,
            self.os_version,
            self.compliance_state,
            self.health_state,
            self.recheck_at,
        ]
        .iter()
        .enumerate()
        .fold(0, |acc, (i, on)| acc | (i64::from(*on) << i))
    }
}

/// What a state-changing check-in writes to its device's row (on PostgreSQL, one element
/// of each array [`PG_CHECKIN_WRITE`] reads: [`pg_checkin_args`]).
struct DeviceRow {
    moved: Moved,
    at: i64,
    seq: i64,
    name: String,
    os_name: String,
    os_version: String,
    os_facts: String,
    protection: Option<String>,
    compliance: Option<String>,
    state_hash: String,
    inventory: Option<String>,
    inventory_hash: String,
    id: String,
    compliance_state: String,
    compliance_results: String,
    failing_since: Option<i64>,
    health_state: String,
    recheck_at: Option<i64>,
    checkin_sensitive: i64,
    /// The rules that fire on the device as stored, where they moved (see
    /// [`alerts::store_firing`]).
    firing: Option<String>,
}

/// Values per [`DeviceRow`] in [`device_row_statements`] (its inventory is written apart).
const DEVICE_ROW_COLS: usize = 17;

/// Writes the rows of state-changing check-ins, their firing rules where those moved, and
/// their history: on PostgreSQL rows, last seen and history in one statement
/// ([`PG_CHECKIN_WRITE`]) and a renamed device's name in `device_text`, where searches
/// read it (a statement of its own, run only for a rename); elsewhere the rows many per
/// statement ([`device_row_statements`]) and then the history. With `plan_once` the
/// PostgreSQL statement runs on the plan its connection made the first time (see
/// [`Store::plan_once`]).
async fn write_checkins(
    tx: &mut impl Exec,
    rows: &[DeviceRow],
    events: &[Event],
    plan_once: bool,
) -> Result<()> {
    let firing: Vec<(&str, &str)> = rows
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.firing.as_deref()?)))
        .collect();
    alerts::store_firing(tx, &firing).await?;
    if tx.backend() == Backend::Postgres {
        if rows.is_empty() && events.is_empty() {
            return Ok(());
        }
        let args = pg_checkin_args(rows, events);
        if plan_once {
            // For this statement alone: it sets the planning back as it ends.
            tx.run("SET LOCAL plan_cache_mode = force_generic_plan", &[])
                .await?;
        }
        tx.run(PG_CHECKIN_WRITE, &args).await?;
        for r in rows.iter().filter(|r| r.moved.name) {
            tx.run(
                "UPDATE device_text SET name = $1 WHERE device_id = $2",
                &[Arg::text(&r.name), Arg::text(&r.id)],
            )
            .await?;
        }
        return Ok(());
    }
    for stmt in device_row_statements(rows) {
        tx.run(&stmt.sql, &stmt.args).await?;
    }
    insert_events(tx, events, EVENT_CHUNK).await
}

/// On PostgreSQL, a batch's state-changing check-ins written in one round trip: their rows
/// (`$1` … `$19`, a column of [`DeviceRow`]s each), when they were last seen, in
/// `device_seen`, and their history (`$20` … `$23`, a column of [`Event`]s each); see
/// [`pg_checkin_args`]. Its text never changes, so each connection prepares it once, where
/// statements with a placeholder per value differ with every number of rows and fill the
/// connection's statement cache. Each column travels as one array (`unnest` makes rows of
/// them again), which PostgreSQL reads in half the time it took to read the same rows as a
/// JSON array of objects. Only the indexed columns a row moved are assigned (see [`Moved`]);
/// the rows were read and locked in this transaction (`stored_lock`). Each table is
/// reached through its key (`= ANY(ARRAY(…))`): the plan is prepared once for any number of
/// rows, and a join with the sent rows alone (an estimate) can be planned as a scan of the
/// whole table. The plan cannot depend on the values (the planner sees none of the arrays'
/// elements), only on the tables' sizes, so once `devices` is large ([`Store::plan_once`])
/// the connection's first plan is kept (`SET LOCAL plan_cache_mode = force_generic_plan`
/// before it runs); the statement ends by setting the transaction's later statements back
/// to a plan each (`set_config(…, true)`, as [`crate::PG_SESSION`] sets every connection).
const PG_CHECKIN_WRITE: &str = "\
    WITH v AS (SELECT * FROM unnest(CAST($1 AS integer[]), CAST($2 AS bigint[]), \
        CAST($3 AS bigint[]), CAST($4 AS text[]), CAST($5 AS text[]), CAST($6 AS text[]), \
        CAST($7 AS text[]), CAST($8 AS text[]), CAST($9 AS text[]), CAST($10 AS text[]), \
        CAST($11 AS text[]), CAST($12 AS text[]), CAST($13 AS text[]), CAST($14 AS text[]), \
        CAST($15 AS text[]), CAST($16 AS bigint[]), CAST($17 AS text[]), \
        CAST($18 AS bigint[]), CAST($19 AS bigint[])) AS v(\
        moved, at, seq, name, os_name, os_version, os_facts, protection, compliance, \
        state_hash, inventory, inventory_hash, id, compliance_state, compliance_results, \
        failing_since, health_state, recheck_at, checkin_sensitive)), \
    d AS (UPDATE devices SET seq = v.seq, os_name = v.os_name, os_facts = v.os_facts, \
        protection = v.protection, compliance = v.compliance, state_hash = v.state_hash, \
        inventory_hash = v.inventory_hash, compliance_results = v.compliance_results, \
        failing_since = v.failing_since, checkin_sensitive = v.checkin_sensitive, \
        name = CASE WHEN v.moved & 1 <> 0 THEN v.name ELSE devices.name END, \
        os_version = CASE WHEN v.moved & 2 <> 0 THEN v.os_version ELSE devices.os_version END, \
        compliance_state = CASE WHEN v.moved & 4 <> 0 THEN v.compliance_state \
            ELSE devices.compliance_state END, \
        health_state = CASE WHEN v.moved & 8 <> 0 THEN v.health_state \
            ELSE devices.health_state END, \
        recheck_at = CASE WHEN v.moved & 16 <> 0 THEN v.recheck_at ELSE devices.recheck_at END \
        FROM v WHERE devices.id = v.id AND devices.id = ANY(ARRAY(SELECT id FROM v))), \
    i AS (INSERT INTO device_inventory (device_id, inventory) \
        SELECT id, inventory FROM v WHERE inventory IS NOT NULL \
        ON CONFLICT (device_id) DO UPDATE SET inventory = EXCLUDED.inventory), \
    s AS (UPDATE device_seen SET last_seen_at = v.at FROM v \
        WHERE device_seen.device_id = v.id \
        AND device_seen.device_id = ANY(ARRAY(SELECT id FROM v))), \
    e AS (INSERT INTO device_events (device_id, at, kind, detail) \
        SELECT * FROM unnest(CAST($20 AS text[]), CAST($21 AS bigint[]), \
        CAST($22 AS text[]), CAST($23 AS text[]))) \
    SELECT set_config('plan_cache_mode', 'force_custom_plan', true)";

/// The 23 values of [`PG_CHECKIN_WRITE`]: an array per column of `rows`, in the order of
/// its `v`, then an array per column of `events` (an entry's detail as JSON text).
fn pg_checkin_args(rows: &[DeviceRow], events: &[Event]) -> Vec<Arg<'static>> {
    let mut v: [PgArray; 19] = Default::default();
    let [moved, at, seq, name, os_name, os_version, os_facts, protection, compliance, state_hash, inventory, inventory_hash, id, compliance_state, compliance_results, failing_since, health_state, recheck_at, checkin_sensitive] =
        &mut v;
    for r in rows {
        moved.int(Some(r.moved.bits()));
        at.int(Some(r.at));
        seq.int(Some(r.seq));
        name.text(Some(&r.name));
        os_name.text(Some(&r.os_name));
        os_version.text(Some(&r.os_version));
        os_facts.text(Some(&r.os_facts));
        protection.text(r.protection.as_deref());
        compliance.text(r.compliance.as_deref());
        state_hash.text(Some(&r.state_hash));
        inventory.text(r.inventory.as_deref());
        inventory_hash.text(Some(&r.inventory_hash));
        id.text(Some(&r.id));
        compliance_state.text(Some(&r.compliance_state));
        compliance_results.text(Some(&r.compliance_results));
        failing_since.int(r.failing_since);
        health_state.text(Some(&r.health_state));
        recheck_at.int(r.recheck_at);
        checkin_sensitive.int(Some(r.checkin_sensitive));
    }
    let mut e: [PgArray; 4] = Default::default();
    let [device_id, event_at, kind, detail] = &mut e;
    for ev in events {
        device_id.text(Some(&ev.device_id));
        event_at.int(Some(ev.at));
        kind.text(Some(ev.kind));
        detail.text(Some(&ev.detail.to_string()));
    }
    v.into_iter()
        .chain(e)
        .map(|c| Arg::owned(c.finish()))
        .collect()
}

/// The statements that write the rows of state-changing check-ins on SQLite, many per
/// statement: a statement per row would cost a round trip each. Rows are grouped by the
/// indexed columns they move, and only those are assigned. The casts give every column one
/// type, nulls included. The inventories sent go to `device_inventory`, after the rows.
fn device_row_statements(rows: &[DeviceRow]) -> Vec<Stmt<'_>> {
    let mut groups: Vec<(Moved, Vec<&DeviceRow>)> = Vec::new();
    for r in rows {
        match groups.iter_mut().find(|(m, _)| *m == r.moved) {
            Some((_, g)) => g.push(r),
            None => groups.push((r.moved, vec![r])),
        }
    }
    let cols = DEVICE_ROW_COLS;
    let mut out = Vec::new();
    for (moved, group) in groups {
        let mut set = String::from(
            "seq = CAST(v.column1 AS BIGINT), \
             os_name = v.column3, os_facts = v.column5, protection = CAST(v.column6 AS TEXT), \
             compliance = CAST(v.column7 AS TEXT), state_hash = v.column8, \
             inventory_hash = v.column9, compliance_results = v.column12, \
             failing_since = CAST(v.column13 AS BIGINT), \
             checkin_sensitive = CAST(v.column16 AS BIGINT), \
             last_seen_at = CAST(v.column17 AS BIGINT)",
        );
        for (on, assign) in [
            (moved.name, ", name = v.column2"),
            (moved.os_version, ", os_version = v.column4"),
            (moved.compliance_state, ", compliance_state = v.column11"),
            (moved.health_state, ", health_state = v.column14"),
            (
                moved.recheck_at,
                ", recheck_at = CAST(v.column15 AS BIGINT)",
            ),
        ] {
            if on {
                set.push_str(assign);
            }
        }
        for chunk in group.chunks(crate::STATEMENT_PARAMS / cols) {
            let mut args = Vec::with_capacity(chunk.len() * cols);
            for r in chunk {
                args.extend([
                    Arg::int(r.seq),
                    Arg::text(&r.name),
                    Arg::text(&r.os_name),
                    Arg::text(&r.os_version),
                    Arg::text(&r.os_facts),
                    Arg::Text(r.protection.as_deref().map(Cow::Borrowed)),
                    Arg::Text(r.compliance.as_deref().map(Cow::Borrowed)),
                    Arg::text(&r.state_hash),
                    Arg::text(&r.inventory_hash),
                    Arg::text(&r.id),
                    Arg::text(&r.compliance_state),
                    Arg::text(&r.compliance_results),
                    Arg::Int(r.failing_since),
                    Arg::text(&r.health_state),
                    Arg::Int(r.recheck_at),
                    Arg::int(r.checkin_sensitive),
                    Arg::int(r.at),
                ]);
            }
            out.push(Stmt {
                sql: format!(
                    "UPDATE devices SET {set} FROM (VALUES {}) AS v WHERE devices.id = v.column10",
                    values_placeholders(chunk.len(), cols)
                ),
                args,
            });
        }
    }
    // The inventories sent, in their own table: the wide row above stays narrow.
    let sent: Vec<(&str, &str)> = rows
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.inventory.as_deref()?)))
        .collect();
    for chunk in sent.chunks(crate::STATEMENT_PARAMS / 2) {
        out.push(Stmt {
            sql: format!(
                "INSERT INTO device_inventory (device_id, inventory) VALUES {} \
                 ON CONFLICT (device_id) DO UPDATE SET inventory = excluded.inventory",
                values_placeholders(chunk.len(), 2)
            ),
            args: chunk
                .iter()
                .flat_map(|(id, inventory)| [Arg::text(id), Arg::text(inventory)])
                .collect(),
        });
    }
    out
}

/// A statement with its values, run through [`Exec`]: by sqlx, or on SQLite reached
/// directly.
#[derive(Debug)]
struct Stmt<'a> {
    sql: String,
    args: Vec<Arg<'a>>,
}

/// Moves when devices were last seen where that lives apart from `devices`
/// ([`Backend::seen_apart`]), many per statement.
async fn seen(tx: &mut Transaction<'_, Any>, rows: &[(&str, i64)]) -> Result<()> {
    for chunk in rows.chunks(Backend::of(tx).rows_per_statement(2)) {
        let sql = format!(
            "UPDATE device_seen SET last_seen_at = CAST(v.column2 AS BIGINT) \
             FROM (VALUES {}) AS v WHERE device_seen.device_id = v.column1",
            values_placeholders(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (id, at) in chunk {
            q = q.bind(*id).bind(*at);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// History entries for a change of compliance state and of health state.
pub(crate) fn state_events(
    device_id: &str,
    at: i64,
    compliance: (&str, &str),
    health: (&str, &str),
) -> Vec<Event> {
    let mut out = Vec::new();
    for (kind, (from, to)) in [
        ("compliance_evaluated", compliance),
        ("health_changed", health),
    ] {
        if from != to {
            out.push(Event {
                device_id: device_id.to_string(),
                at,
                kind,
                detail: serde_json::json!({"from": from, "to": to}),
            });
        }
    }
    out
}

/// Inserts history entries, many rows per statement.
pub(crate) async fn insert_events(
    tx: &mut impl Exec,
    events: &[Event],
    rows_per_statement: usize,
) -> Result<()> {
    for stmt in event_statements(events, rows_per_statement) {
        tx.run(&stmt.sql, &stmt.args).await?;
    }
    Ok(())
}

/// The statements that insert history entries, `rows_per_statement` rows each.
fn event_statements(events: &[Event], rows_per_statement: usize) -> Vec<Stmt<'_>> {
    events
        .chunks(rows_per_statement.max(1))
        .map(|chunk| Stmt {
            sql: format!(
                "INSERT INTO device_events (device_id, at, kind, detail) VALUES {}",
                values_placeholders(chunk.len(), 4)
            ),
            args: chunk
                .iter()
                .flat_map(|e| {
                    [
                        Arg::text(&e.device_id),
                        Arg::int(e.at),
                        Arg::text(e.kind),
                        Arg::Text(Some(Cow::Owned(e.detail.to_string()))),
                    ]
                })
                .collect(),
        })
        .collect()
}

async fn enroll(tx: &mut Transaction<'_, Any>, e: &EnrollWrite) -> Result<WriteOutcome> {
    let row = sqlx::query(
        "SELECT id, expires_at, max_uses, uses, platforms, revoked_at, device_group \
         FROM enrollment_tokens WHERE token_hash = $1",
    )
    .bind(&e.token_hash)
    .fetch_optional(&mut **tx)
    .await?;
    let token = row.as_ref().map(token_record).transpose()?;
    let req = &e.request;
    let attempt = AttemptRecord {
        at: e.at,
        result: ErrorCode::Internal,
        platform: Some(req.platform.as_str().to_string()),
        os_version: req.os_version.clone(),
        hostname: req.hostname.clone(),
        serial: req.serial.clone(),
        owner: req.owner.clone(),
        remote_addr: e.remote_addr.clone(),
    };
    let token_id = token.as_ref().map(|t| t.id.as_str());
    if let Err(reason) = check_token(token.as_ref(), req.platform, e.at) {
        let refused = AttemptRecord {
            result: reason,
            ..attempt
        };
        insert_attempt(tx, &refused, token_id, None, Err(reason)).await?;
        return Ok(WriteOutcome::Refused(reason));
    }
    let Some(token) = token else {
        return Ok(WriteOutcome::Refused(ErrorCode::UnknownToken));
    };
    // Planned for each enrollment, not prepared once per connection: a plan cached while the
    // fleet was a handful of devices reads the whole table (PostgreSQL keeps a generic plan
    // chosen then until the table is next analyzed), which a wave of enrollments pays for
    // every device.
    let duplicate = sqlx::query(
        "SELECT id, device_group FROM devices WHERE hardware_id = $1 AND retired_at IS NULL",
    )
    .persistent(false)
    .bind(&req.hardware_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = duplicate {
        let refused = AttemptRecord {
            result: ErrorCode::DuplicateDevice,
            ..attempt
        };
        // The record the device is already enrolled as, where it is retired, when it is in
        // the token's group: readers of the attempt see attempts by the token's group, so a
        // record of another group stays unnamed.
        let existing_group: Option<String> = row.try_get("device_group")?;
        let existing: Option<String> = if existing_group == token.group {
            Some(row.try_get("id")?)
        } else {
            None
        };
        insert_attempt(
            tx,
            &refused,
            Some(&token.id),
            existing.as_deref(),
            Err(ErrorCode::DuplicateDevice),
        )
        .await?;
        return Ok(WriteOutcome::Refused(ErrorCode::DuplicateDevice));
    }
    let apart = Backend::of(tx).seen_apart();
    // Enrolled is when it was first seen, kept in `devices` or apart.
    let (seen_col, seen_at) = if apart {
        ("", "")
    } else {
        (", last_seen_at", ", $13")
    };
    sqlx::query(&format!(
        "INSERT INTO devices (id, secret_hash, name, serial, hardware_id, owner, model, platform, \
         os_name, os_version, device_group, enrollment_token_id, enrolled_at, seq{seen_col}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0{seen_at})"
    ))
    .bind(&e.device_id)
    .bind(&e.secret_hash)
    .bind(&req.hostname)
    .bind(&req.serial)
    .bind(&req.hardware_id)
    .bind(&req.owner)
    .bind(&req.model)
    .bind(req.platform.as_str())
    .bind(req.platform.os_name())
    .bind(&req.os_version)
    .bind(&token.group)
    .bind(&token.id)
    .bind(e.at)
    .execute(&mut **tx)
    .await?;
    if apart {
        sqlx::query("INSERT INTO device_seen (device_id, last_seen_at) VALUES ($1, $2)")
            .bind(&e.device_id)
            .bind(e.at)
            .execute(&mut **tx)
            .await?;
    }
    if Backend::of(tx).text_apart() {
        sqlx::query(
            "INSERT INTO device_text (device_id, name, serial, owner) VALUES ($1, $2, $3, $4)",
        )
        .bind(&e.device_id)
        .bind(&req.hostname)
        .bind(&req.serial)
        .bind(&req.owner)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = $1")
        .bind(&token.id)
        .execute(&mut **tx)
        .await?;
    insert_attempt(tx, &attempt, Some(&token.id), Some(&e.device_id), Ok(())).await?;
    let detail = serde_json::json!({"token_id": token.id, "group": token.group});
    insert_event(tx, &e.device_id, e.at, "enrolled", &detail).await?;
    Ok(WriteOutcome::Enrolled)
}

/// Records an enrollment attempt; with a `device_id` it is a success.
/// Records an enrollment attempt: `Ok` for one that enrolled, else its refusal. The device
/// is the one enrolled, or for a refused duplicate the record it is already enrolled as.
async fn insert_attempt(
    tx: &mut Transaction<'_, Any>,
    a: &AttemptRecord,
    token_id: Option<&str>,
    device_id: Option<&str>,
    outcome: std::result::Result<(), ErrorCode>,
) -> Result<()> {
    let result = match outcome {
        Ok(()) => "success",
        Err(code) => code.as_str(),
    };
    sqlx::query(
        "INSERT INTO enrollment_attempts (at, result, token_id, platform, os_version, hostname, \
         serial, owner, device_id, remote_addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(a.at)
    .bind(result)
    .bind(token_id)
    .bind(&a.platform)
    .bind(&a.os_version)
    .bind(&a.hostname)
    .bind(&a.serial)
    .bind(&a.owner)
    .bind(device_id)
    .bind(&a.remote_addr)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One entry of a device's history, in the caller's transaction.
pub(crate) async fn insert_event(
    tx: &mut Transaction<'_, Any>,
    device_id: &str,
    at: i64,
    kind: &str,
    detail: &Value,
) -> Result<()> {
    sqlx::query("INSERT INTO device_events (device_id, at, kind, detail) VALUES ($1, $2, $3, $4)")
        .bind(device_id)
        .bind(at)
        .bind(kind)
        .bind(detail.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A value as JSON text for a TEXT column.
fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use steward_proto::{OsFacts, Platform, ProtectionStatus, ThreatState};

    use super::{apply, apply_in_tx, checkins_directly, CheckinWrite, WriteOp, WriteOutcome};
    use crate::devices::SeedDevice;
    use crate::Store;

    fn device(id: &str) -> SeedDevice {
        SeedDevice {
            id: id.into(),
            name: id.into(),
            serial: id.into(),
            owner: "owner@example.com".into(),
            platform: Platform::Linux,
            os_name: "Debian".into(),
            os_version: "12".into(),
            enrolled_at: 1_000,
            last_seen_at: 1_000,
            group: None,
            health_state: "unknown",
            compliance_state: "not_evaluated",
        }
    }

    fn checkin(id: &str, seq: i64, threat: ThreatState) -> WriteOp {
        WriteOp::Checkin(Arc::new(CheckinWrite {
            device_id: id.into(),
            seq,
            at: 2_000 + seq,
            os: OsFacts {
                name: "Debian".into(),
                version: "12".into(),
                hostname: id.into(),
                ..Default::default()
            },
            protection: Some(ProtectionStatus {
                engine: Some("ClamAV".into()),
                threat_state: Some(threat),
                ..Default::default()
            }),
            compliance: None,
            inventory: None,
            state_hash: format!("h{seq}"),
            // Seeded devices have an empty secret hash.
            secret_hash: String::new(),
        }))
    }

    /// Applies `ops` through the writer's whole path; each is stored.
    async fn all_applied<const N: usize>(store: &Store, ops: [WriteOp; N]) {
        let refs: Vec<&WriteOp> = ops.iter().collect();
        let out = apply(store, &mut None, &refs).await;
        assert!(
            out.iter()
                .all(|o| matches!(o, Ok(WriteOutcome::Applied { .. }))),
            "{out:?}"
        );
    }

    /// Writes `ops` on the direct path, which must take them; each is stored.
    async fn all_applied_directly(store: &Store, ops: &[WriteOp]) {
        let refs: Vec<&WriteOp> = ops.iter().collect();
        let out = checkins_directly(store, &refs)
            .await
            .expect("direct")
            .expect("taken directly");
        assert!(
            out.iter()
                .all(|o| matches!(o, Some(WriteOutcome::Applied { .. }))),
            "{out:?}"
        );
    }

    async fn seq_of(store: &Store, id: &str) -> i64 {
        sqlx::query_scalar("SELECT seq FROM devices WHERE id = $1")
            .bind(id)
            .fetch_one(&store.read)
            .await
            .expect("seq")
    }

    /// `checkin` sending an inventory, `{"cpu_count": cpus}`.
    fn with_inventory(id: &str, seq: i64, cpus: u32) -> WriteOp {
        let WriteOp::Checkin(c) = checkin(id, seq, ThreatState::Clean) else {
            unreachable!("a check-in")
        };
        let mut c = Arc::unwrap_or_clone(c);
        let inventory = serde_json::json!({ "cpu_count": cpus })
            .as_object()
            .cloned()
            .expect("an object");
        let hash = steward_proto::inventory_hash(&inventory);
        c.inventory = Some((inventory, hash));
        WriteOp::Checkin(Arc::new(c))
    }

    /// A fresh store holding devices "a", "b" and "c", its configuration loaded.
    async fn seeded() -> (tempfile::TempDir, Store) {
        let (dir, store) = crate::temp_store().await;
        store
            .seed_devices(&[device("a"), device("b"), device("c")])
            .await
            .expect("seed");
        store.follow_shared().await.expect("load");
        (dir, store)
    }

    async fn cpus_of(store: &Store, id: &str) -> Option<u64> {
        let detail = store.device(id, 0).await.expect("device");
        detail.inventory.and_then(|i| i["cpu_count"].as_u64())
    }

    #[tokio::test]
    async fn inventories_are_written_apart_from_the_rows_a_batch_writes_and_kept_when_not_sent() {
        let (_dir, store) = seeded().await;
        // Directly: two inventories in one batch, a device without one beside them.
        let ops = [
            with_inventory("a", 1, 4),
            with_inventory("b", 1, 8),
            checkin("c", 1, ThreatState::Clean),
        ];
        all_applied_directly(&store, &ops).await;
        assert_eq!(
            (cpus_of(&store, "a").await, cpus_of(&store, "b").await),
            (Some(4), Some(8))
        );
        assert_eq!(cpus_of(&store, "c").await, None);
        // Through sqlx: a new inventory replaces the one on record; none sent keeps it.
        let ops = [
            with_inventory("a", 2, 16),
            checkin("b", 2, ThreatState::Clean),
        ];
        let refs: Vec<&WriteOp> = ops.iter().collect();
        apply_in_tx(&store, &mut None, &refs).await.expect("batch");
        assert_eq!(seq_of(&store, "b").await, 2);
        assert_eq!(
            (cpus_of(&store, "a").await, cpus_of(&store, "b").await),
            (Some(16), Some(8))
        );
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM device_inventory")
            .fetch_one(&store.read)
            .await
            .expect("count");
        assert_eq!(rows, 2);
        store.close().await;
    }

    #[tokio::test]
    async fn checkins_are_written_directly_with_the_alerts_they_raise_and_resolve_unless_a_change_came_first(
    ) {
        let (_dir, store) = seeded().await;
        let rule: steward_core::alerting::AlertRule = serde_json::from_value(serde_json::json!({
            "id": "threat", "name": "Threat", "severity": "critical",
            "condition": {"type": "active_threat"}
        }))
        .expect("rule");
        store
            .put_alert_rule(&rule, 1_500, &crate::audit::Actor::system())
            .await
            .expect("rule");

        // Two quiet check-ins (and a third of an unknown device) in one batch: written
        // directly, each with its own outcome.
        let ops = [
            checkin("a", 1, ThreatState::Clean),
            checkin("b", 1, ThreatState::Clean),
            checkin("nobody", 1, ThreatState::Clean),
        ];
        let refs: Vec<&WriteOp> = ops.iter().collect();
        let out = checkins_directly(&store, &refs)
            .await
            .expect("direct")
            .expect("taken directly");
        assert!(
            matches!(out[0], Some(WriteOutcome::Applied { .. })),
            "{out:?}"
        );
        assert!(
            matches!(out[1], Some(WriteOutcome::Applied { .. })),
            "{out:?}"
        );
        assert_eq!(out[2], Some(WriteOutcome::UnknownDevice));
        assert_eq!(seq_of(&store, "a").await, 1);
        assert_eq!(seq_of(&store, "b").await, 1);
        let state: String = sqlx::query_scalar("SELECT health_state FROM devices WHERE id = 'a'")
            .fetch_one(&store.read)
            .await
            .expect("health");
        // An engine that reports neither signatures nor real-time protection yet.
        assert_eq!(state, "at_risk");
        let history: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM device_events WHERE device_id = 'a' AND kind = 'health_changed'",
        )
        .fetch_one(&store.read)
        .await
        .expect("history");
        assert_eq!(history, 1);
        // A stale one changes nothing.
        let stale = [checkin("a", 1, ThreatState::Clean)];
        let refs: Vec<&WriteOp> = stale.iter().collect();
        let out = checkins_directly(&store, &refs).await.expect("direct");
        assert_eq!(out, Some(vec![Some(WriteOutcome::Stale)]));

        // A threat raises an alert, written with the check-in on the direct path: the alert,
        // its history and the device's firing rules, and the notifier woken once committed.
        let signals = store.signals();
        let woken = || {
            let signals = signals.clone();
            async move {
                tokio::time::timeout(
                    std::time::Duration::from_millis(50),
                    signals.notifier.notified(),
                )
                .await
                .is_ok()
            }
        };
        woken().await; // what the rule's creation left
        let count = |sql: &'static str| {
            let read = store.read.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&read)
                    .await
                    .expect(sql)
            }
        };
        let firing = "SELECT COUNT(*) FROM alerts WHERE device_id = 'c' AND state = 'firing'";
        let resolved = "SELECT COUNT(*) FROM alerts WHERE device_id = 'c' AND state = 'resolved'";
        let fired = "SELECT COUNT(*) FROM alerts WHERE device_id = 'c' \
                     AND reason LIKE '%alert-reason-active-threat%'";
        let listed =
            "SELECT COUNT(*) FROM device_firing WHERE device_id = 'c' AND rules = 'threat'";
        let direct = |ops: [WriteOp; 2]| {
            let store = store.clone();
            async move { all_applied_directly(&store, &ops).await }
        };
        direct([
            checkin("a", 2, ThreatState::Clean),
            checkin("c", 1, ThreatState::ActiveThreat),
        ])
        .await;
        assert_eq!(seq_of(&store, "a").await, 2);
        assert_eq!(seq_of(&store, "c").await, 1);
        assert_eq!(count(firing).await, 1);
        assert_eq!(count(fired).await, 1);
        assert_eq!(count(listed).await, 1);
        assert!(woken().await, "the notifier is woken");
        // The threat gone resolves it, and the device leaves the firing devices.
        direct([
            checkin("c", 2, ThreatState::Clean),
            checkin("a", 3, ThreatState::Clean),
        ])
        .await;
        assert_eq!((count(firing).await, count(resolved).await), (0, 1));
        assert_eq!(count(listed).await, 0);
        assert!(woken().await, "the notifier is woken");
        // Back within the rule's reopen window: the same alert reopens.
        direct([
            checkin("c", 3, ThreatState::ActiveThreat),
            checkin("a", 4, ThreatState::Clean),
        ])
        .await;
        assert_eq!((count(firing).await, count(resolved).await), (1, 0));
        let reopened: i64 = sqlx::query_scalar("SELECT reopened FROM alerts WHERE device_id = 'c'")
            .fetch_one(&store.read)
            .await
            .expect("reopened");
        assert_eq!(reopened, 1);
        assert!(woken().await, "the notifier is woken");
        // A quiet batch wakes no one.
        direct([
            checkin("c", 4, ThreatState::ActiveThreat),
            checkin("a", 5, ThreatState::Clean),
        ])
        .await;
        assert!(!woken().await, "nothing changed for the notifier");
        // Through the writer's whole path, the same: the threat gone resolves its alert.
        all_applied(
            &store,
            [
                checkin("c", 5, ThreatState::Clean),
                checkin("a", 6, ThreatState::Clean),
            ],
        )
        .await;
        assert_eq!((count(firing).await, count(resolved).await), (0, 1));

        // Policies changed elsewhere (their version moved): not decided with the rules held.
        sqlx::query("UPDATE config_versions SET version = version + 1 WHERE kind = 'policies'")
            .execute(&store.write)
            .await
            .expect("bump");
        let ops = [checkin("b", 2, ThreatState::Clean)];
        let refs: Vec<&WriteOp> = ops.iter().collect();
        assert_eq!(
            checkins_directly(&store, &refs).await.expect("direct"),
            None
        );
        assert_eq!(seq_of(&store, "b").await, 1);
        // The general path reloads them; the next batch is direct again.
        apply_in_tx(&store, &mut None, &refs).await.expect("batch");
        assert_eq!(seq_of(&store, "b").await, 2);
        let ops = [checkin("b", 3, ThreatState::Clean)];
        let refs: Vec<&WriteOp> = ops.iter().collect();
        assert!(checkins_directly(&store, &refs)
            .await
            .expect("direct")
            .is_some());
        store.close().await;
    }
}
