//! Fleet-wide work in the background: after a policy or an alert rule changes, every active
//! device is evaluated again by a job (`fleet_jobs`), in batches beside live traffic, instead
//! of inside the request that made the change.
//!
//! A job keeps its cursor (the last device id done) and its count in its row, moved by a
//! conditional update on the cursor last saved: a job resumes where it stopped after a
//! restart, on whichever server runs the jobs, and two servers that ever overlap do not both
//! move it (the second finds the cursor moved and stops). The row is saved after a batch
//! once [`SAVE_EVERY_MS`] have passed since the last save, and at the end; in between, a
//! batch only reads the row (readers never wait for the writer) to stop when the job was
//! closed or moved elsewhere. A restart therefore repeats at most that much of the job, and
//! a batch done twice writes nothing new. A newer re-evaluation
//! covers every older one still open (it evaluates every device against the newest
//! configuration): those are closed as superseded when it is created, and the new job
//! starts where the superseded one stood, going round the device ids back to that point, so
//! changes that keep coming do not keep sending the work back to the first devices.
//!
//! A change of one alert rule whose condition narrows (see
//! [`steward_core::alerting::Narrowing`]) queues a narrower job instead: the devices the rule
//! can fire on by the states their rows keep, those that fired it, and those due for a
//! re-evaluation, worked out by the server that runs the job when it first runs it (a server
//! taking the job over works them out again, past the saved cursor). It goes through them in
//! id order with the same cursor. It covers only its rule: a newer job for the same rule, or
//! any re-evaluation of every device, supersedes it.
//!
//! Deleting an alert rule queues a job of its own ([`RULE_DELETED`]) that resolves the
//! rule's open alerts in batches, each with its history entry in the name of who deleted
//! it: a rule that fired on most of a large fleet no longer holds the writer for seconds in
//! the deleting request. Each batch resolves only alerts still open and counts those it
//! resolved, so two servers overlapping a moment resolve each alert once. The sweep queues
//! the same job for open alerts whose rule is gone but has none (see
//! [`Store::queue_orphaned_alerts`]).

use sqlx::Row;
use steward_core::alerting::{AlertRule, Narrowing};
use steward_core::time::to_rfc3339;

use crate::{Backend, Param, Result, Store, StoreError};

/// The kind of job that evaluates every device again.
pub const REEVALUATE: &str = "reevaluate";

/// The kind of job that evaluates again the devices one alert rule (the subject) can fire on
/// or fired on.
pub const ALERT_RULE: &str = "alert_rule";

/// The kind of job that resolves the open alerts of a deleted alert rule (the subject).
pub const RULE_DELETED: &str = "rule_deleted";

/// The most devices an alert rule's job takes one by one; a rule that can fire on more goes
/// over every device, as a re-evaluation does.
pub const NARROWED_MAX: usize = 100_000;

/// Finished jobs are kept this long, then deleted.
pub const KEEP_MS: i64 = 30 * 24 * 3_600_000;

/// How many times a batch reads again the devices a check-in moved under it.
const RETRIES: usize = 8;

/// How often a running job saves its cursor and count (on the clock a step is given).
pub const SAVE_EVERY_MS: i64 = 1_000;

/// Jobs listed at most (newest first).
pub const LISTED: i64 = 500;

/// A fleet-wide job and how far it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FleetJob {
    pub id: String,
    /// `reevaluate`: every active device is evaluated again. `alert_rule`: the devices the
    /// rule (`subject`) can fire on, those it fired on, and those due for a re-evaluation.
    /// `rule_deleted`: the open alerts of the deleted rule (`subject`) are resolved.
    pub kind: String,
    /// What made it: `policy.create`, `policy.update`, `policy.delete`, `alert_rule.create` …
    pub reason: String,
    /// The policy or rule changed.
    pub subject: String,
    /// `queued`, `running`, `done` or `superseded` (a newer job covers it).
    pub state: String,
    /// Devices evaluated (alerts resolved) so far.
    pub done: u64,
    /// The devices the job takes (active devices, or those of its rule), or the alerts it
    /// resolves, when it started (none before).
    pub total: Option<u64>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The job that covers this one, when superseded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// The last device id done (where the next batch starts).
    #[serde(skip)]
    pub cursor: String,
    /// Where the job began (empty: at the first device); it ends there after turning round.
    #[serde(skip)]
    pub begin: String,
    /// Whether it went past the last device and started again from the first.
    #[serde(skip)]
    pub wrapped: bool,
    /// What the job's row holds while batches have moved on without saving. `None`: the row
    /// holds `cursor`, `wrapped` and `done`.
    #[serde(skip)]
    pub saved: Option<Saved>,
    /// Which devices it takes, once this runner worked it out.
    #[serde(skip)]
    pub scope: Option<Scope>,
    /// Who made the change (the name its writes are recorded under; empty: Steward).
    #[serde(skip)]
    pub actor: String,
    /// The next batch of a pass over every device, read and evaluated while the previous
    /// one was written (see [`Store::reevaluate_step`]).
    #[serde(skip)]
    pub ahead: Option<Ahead>,
}

/// A batch read ahead: the devices after `after` (on the job's turn `wrapped`), evaluated
/// with the policies and alert rules held when it was read. It is taken only while those are
/// still the ones held: a change through any server (reloaded at the start of each step)
/// leaves it, and the batch is read again.
#[derive(Clone)]
pub struct Ahead {
    after: String,
    wrapped: bool,
    policies: std::sync::Arc<Vec<steward_core::compliance::Policy>>,
    rules: std::sync::Arc<Vec<steward_core::alerting::AlertRule>>,
    updates: std::sync::Arc<Vec<crate::policies::Reevaluated>>,
}

impl std::fmt::Debug for Ahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ahead")
            .field("after", &self.after)
            .field("devices", &self.updates.len())
            .finish()
    }
}

/// Read ahead or not, a job is the same job.
impl PartialEq for Ahead {
    fn eq(&self, other: &Self) -> bool {
        self.after == other.after && self.wrapped == other.wrapped
    }
}

/// Which devices a job takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every active device, in id order.
    Every,
    /// These devices, in id order.
    These(Vec<String>),
}

/// A job's row as this runner last saved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub cursor: String,
    pub wrapped: bool,
    pub done: u64,
    /// When it was saved (the clock a step is given); `i64::MIN` before the first save.
    pub at: i64,
}

impl FleetJob {
    pub fn is_open(&self) -> bool {
        self.finished_at.is_none()
    }

    /// What `done` and `total` count: `alerts` for a deleted rule's job, else `devices`.
    pub fn counts(&self) -> &'static str {
        if self.kind == RULE_DELETED {
            "alerts"
        } else {
            "devices"
        }
    }
}

fn job_row(r: &sqlx::any::AnyRow) -> Result<FleetJob> {
    let at = |c: &str| -> Result<Option<i64>> { Ok(r.try_get::<Option<i64>, _>(c)?) };
    let started = at("started_at")?;
    let finished = at("finished_at")?;
    let superseded_by: Option<String> = r.try_get("superseded_by")?;
    let state = match (started, finished, &superseded_by) {
        (_, Some(_), Some(_)) => "superseded",
        (_, Some(_), None) => "done",
        (Some(_), None, _) => "running",
        (None, None, _) => "queued",
    };
    let count = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(FleetJob {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        reason: r.try_get("reason")?,
        subject: r.try_get("subject")?,
        state: state.into(),
        done: count(r.try_get("done")?),
        total: r.try_get::<Option<i64>, _>("total")?.map(count),
        created_at: to_rfc3339(r.try_get("created_at")?),
        started_at: started.map(to_rfc3339),
        finished_at: finished.map(to_rfc3339),
        superseded_by,
        cursor: r.try_get("cursor")?,
        begin: r.try_get("begin_cursor")?,
        wrapped: r.try_get::<i64, _>("wrapped")? != 0,
        saved: None,
        scope: None,
        actor: r.try_get("actor")?,
        ahead: None,
    })
}

const JOB_COLS: &str = "id, kind, reason, subject, created_at, started_at, finished_at, cursor, \
                        done, total, superseded_by, begin_cursor, wrapped, actor";

/// Queues a re-evaluation of every device in the transaction of the change that needs it,
/// closing the open ones it covers. Returns the new job.
pub(crate) async fn queue_reevaluation(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    reason: &str,
    subject: &str,
    now: i64,
) -> Result<FleetJob> {
    let id = uuid::Uuid::now_v7().to_string();
    // Where the newest open one stands. Whatever it does after this read, the new job goes
    // round every device, so the point only decides which come first.
    let begin: String = sqlx::query(
        "SELECT cursor FROM fleet_jobs WHERE finished_at IS NULL AND kind = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(REEVALUATE)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get("cursor"))
    .transpose()?
    .unwrap_or_default();
    // It covers the rule jobs open too.
    sqlx::query(
        "UPDATE fleet_jobs SET finished_at = $1, superseded_by = $2 \
         WHERE finished_at IS NULL AND kind IN ($3, $4)",
    )
    .bind(now)
    .bind(&id)
    .bind(REEVALUATE)
    .bind(ALERT_RULE)
    .execute(&mut **tx)
    .await?;
    insert_job(tx, id, REEVALUATE, reason, subject, now, begin, "").await
}

/// Queues the job an alert rule's change needs, in the transaction of the change: the
/// narrower job of its rule when its condition narrows, closing the open ones of the same
/// rule; else a re-evaluation of every device. Returns the new job.
pub(crate) async fn queue_rule_pass(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    reason: &str,
    rule: &AlertRule,
    now: i64,
) -> Result<FleetJob> {
    if narrowing(Some(rule)) == Narrowing::Every {
        return queue_reevaluation(tx, reason, &rule.id, now).await;
    }
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "UPDATE fleet_jobs SET finished_at = $1, superseded_by = $2 \
         WHERE finished_at IS NULL AND kind = $3 AND subject = $4",
    )
    .bind(now)
    .bind(&id)
    .bind(ALERT_RULE)
    .bind(&rule.id)
    .execute(&mut **tx)
    .await?;
    insert_job(tx, id, ALERT_RULE, reason, &rule.id, now, String::new(), "").await
}

/// Queues the resolution of a deleted rule's open alerts in the name of `actor`, in the
/// transaction that deletes the rule (or, from the sweep, for alerts fired by a rule deleted
/// meanwhile), unless one is open already. Returns the job, and whether it is new.
pub(crate) async fn queue_rule_deletion(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rule_id: &str,
    actor: &str,
    now: i64,
) -> Result<(FleetJob, bool)> {
    let open = sqlx::query(&format!(
        "SELECT {JOB_COLS} FROM fleet_jobs WHERE finished_at IS NULL AND kind = $1 AND subject = $2"
    ))
    .bind(RULE_DELETED)
    .bind(rule_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(r) = open {
        return Ok((job_row(&r)?, false));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let job = insert_job(
        tx,
        id,
        RULE_DELETED,
        "alert_rule.delete",
        rule_id,
        now,
        String::new(),
        actor,
    )
    .await?;
    Ok((job, true))
}

/// Which devices a rule can fire on, by its condition; a rule that is off, or gone, fires on
/// none.
fn narrowing(rule: Option<&AlertRule>) -> Narrowing {
    match rule {
        Some(r) if r.enabled && r.condition.per_device() => r.condition.narrowing(),
        _ => Narrowing::Nothing,
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_job(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: String,
    kind: &str,
    reason: &str,
    subject: &str,
    now: i64,
    begin: String,
    actor: &str,
) -> Result<FleetJob> {
    sqlx::query(
        "INSERT INTO fleet_jobs (id, kind, reason, subject, created_at, cursor, begin_cursor, \
         actor) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(&id)
    .bind(kind)
    .bind(reason)
    .bind(subject)
    .bind(now)
    .bind(&begin)
    .bind(actor)
    .execute(&mut **tx)
    .await?;
    Ok(FleetJob {
        id,
        kind: kind.into(),
        reason: reason.into(),
        subject: subject.into(),
        state: "queued".into(),
        done: 0,
        total: None,
        created_at: to_rfc3339(now),
        started_at: None,
        finished_at: None,
        superseded_by: None,
        cursor: begin.clone(),
        begin,
        wrapped: false,
        saved: None,
        scope: None,
        actor: actor.into(),
        ahead: None,
    })
}

/// What one batch of a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `n` devices evaluated; the job goes on. `writing` is how long the batch held the
    /// writer (its share of it); waiting for the writer, reading and evaluating are left
    /// out, as they do not hold up other writers.
    Advanced {
        n: u64,
        writing: std::time::Duration,
    },
    /// No device left: the job is done.
    Finished,
    /// The job was closed or moved on elsewhere (superseded, or another server ran the
    /// batch): this runner leaves it.
    Gone,
}

impl Store {
    pub async fn fleet_job(&self, id: &str) -> Result<FleetJob> {
        let row = sqlx::query(&format!("SELECT {JOB_COLS} FROM fleet_jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        job_row(&row)
    }

    /// The newest jobs first ([`LISTED`] at most).
    pub async fn fleet_jobs(&self) -> Result<Vec<FleetJob>> {
        sqlx::query(&format!(
            "SELECT {JOB_COLS} FROM fleet_jobs ORDER BY created_at DESC, id DESC LIMIT $1"
        ))
        .bind(LISTED)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(job_row)
        .collect()
    }

    /// The jobs not finished yet, oldest first (through the index of open jobs).
    pub async fn open_fleet_jobs(&self) -> Result<Vec<FleetJob>> {
        sqlx::query(&format!(
            "SELECT {JOB_COLS} FROM fleet_jobs WHERE finished_at IS NULL ORDER BY created_at, id"
        ))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(job_row)
        .collect()
    }

    /// The oldest open job (through the index of open jobs).
    pub async fn next_fleet_job(&self) -> Result<Option<FleetJob>> {
        sqlx::query(&format!(
            "SELECT {JOB_COLS} FROM fleet_jobs WHERE finished_at IS NULL \
             ORDER BY created_at, id LIMIT 1"
        ))
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(job_row)
        .transpose()
    }

    /// Marks a job started (once) with the number of devices it takes, and deletes the jobs
    /// finished more than [`KEEP_MS`] ago.
    pub async fn start_fleet_job(&self, job: &mut FleetJob, now: i64) -> Result<()> {
        if job.started_at.is_some() {
            return Ok(());
        }
        let total: i64 = if job.kind == RULE_DELETED {
            sqlx::query("SELECT COUNT(*) FROM alerts WHERE rule_id = $1 AND state <> 'resolved'")
                .bind(&job.subject)
                .fetch_one(&self.read)
                .await?
                .try_get(0)?
        } else {
            self.evaluators_fresh().await?;
            let scope = self.job_scope(job, now).await?;
            let total = match &scope {
                Scope::These(ids) => i64::try_from(ids.len()).unwrap_or(i64::MAX),
                Scope::Every => {
                    sqlx::query("SELECT COUNT(*) FROM devices WHERE retired_at IS NULL")
                        .fetch_one(&self.read)
                        .await?
                        .try_get(0)?
                }
            };
            job.scope = Some(scope);
            total
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE fleet_jobs SET started_at = $1, total = $2 \
             WHERE id = $3 AND started_at IS NULL",
        )
        .bind(now)
        .bind(total)
        .bind(&job.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM fleet_jobs WHERE finished_at < $1")
            .bind(now - KEEP_MS)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        job.started_at = Some(to_rfc3339(now));
        job.total = Some(u64::try_from(total).unwrap_or(0));
        job.state = "running".into();
        Ok(())
    }

    /// The devices a job takes past its cursor, in id order (see the module): every device
    /// for a re-evaluation, or for a rule that can fire on more than [`NARROWED_MAX`].
    async fn job_scope(&self, job: &FleetJob, now: i64) -> Result<Scope> {
        if job.kind != ALERT_RULE {
            return Ok(Scope::Every);
        }
        let narrowing = narrowing(self.alert_rules().iter().find(|r| r.id == job.subject));
        let Some(queries) = candidate_queries(self.backend, narrowing, &job.subject, now) else {
            return Ok(Scope::Every);
        };
        let mut ids = std::collections::BTreeSet::new();
        for (sql, mut params) in queries {
            // Past the cursor: a job taken over goes on where it was saved.
            let sql = format!(
                "{sql} AND retired_at IS NULL AND id > ${} LIMIT ${}",
                params.len() + 1,
                params.len() + 2
            );
            params.push(Param::Text(job.cursor.clone()));
            params.push(Param::Int(NARROWED_MAX as i64 + 1));
            let rows = crate::bind_all(sqlx::query(&sql), &params)
                .fetch_all(&self.read)
                .await?;
            for r in rows {
                ids.insert(r.try_get::<String, _>(0)?);
            }
            if ids.len() > NARROWED_MAX {
                return Ok(Scope::Every);
            }
        }
        Ok(Scope::These(ids.into_iter().collect()))
    }

    /// Evaluates the next `batch` devices of a job (after its cursor) and writes what
    /// changed, then moves the cursor, only if no one else did (see the module); for a
    /// deleted rule's job, resolves the next `batch` of its open alerts.
    pub async fn reevaluate_step(&self, job: &mut FleetJob, now: i64, batch: i64) -> Result<Step> {
        if job.kind == RULE_DELETED {
            return self.resolve_step(job, now, batch).await;
        }
        self.evaluators_fresh().await?;
        if job.scope.is_none() {
            job.scope = Some(self.job_scope(job, now).await?);
        }
        let (updates, last) = match &job.scope {
            Some(Scope::These(ids)) => {
                let from = ids.partition_point(|id| id.as_str() <= job.cursor.as_str());
                let next: Vec<String> = ids
                    .iter()
                    .skip(from)
                    .take(usize::try_from(batch).unwrap_or(1))
                    .cloned()
                    .collect();
                // The cursor passes devices retired meanwhile too.
                let last = next.last().cloned();
                let mut updates = Vec::with_capacity(next.len());
                for chunk in next.chunks(self.backend.rows_per_statement(1) - 1) {
                    let pass = crate::policies::Pass::Ids(chunk.to_vec());
                    updates.extend(self.read_evaluated(pass, batch, now).await?);
                }
                (updates, last)
            }
            _ => {
                let ahead = job.ahead.take().filter(|a| {
                    a.after == job.cursor
                        && a.wrapped == job.wrapped
                        && std::sync::Arc::ptr_eq(&a.policies, &self.policies())
                        && std::sync::Arc::ptr_eq(&a.rules, &self.alert_rules())
                });
                let updates = match ahead.map(|a| std::sync::Arc::try_unwrap(a.updates)) {
                    Some(Ok(updates)) => updates,
                    _ => {
                        self.read_evaluated(pass_after(job, job.cursor.clone()), batch, now)
                            .await?
                    }
                };
                let last = updates.last().map(|u| u.id.clone());
                (updates, last)
            }
        };
        let n = updates.len() as i64;
        // A pass over every device reads and evaluates its next batch while this one is
        // written: the batches do not overlap, and a device a check-in moves meanwhile is
        // caught by the write's compare-and-set as any other. Not after a short batch, the
        // last.
        let read_ahead = match (&job.scope, &last) {
            (Some(Scope::Every), Some(last)) if n >= batch => Some(last.clone()),
            _ => None,
        };
        let mut writing = std::time::Duration::ZERO;
        if !updates.is_empty() {
            let next = async {
                match read_ahead {
                    Some(after) => {
                        let pass = pass_after(job, after.clone());
                        // Taken before the read: a reload meanwhile leaves the batch.
                        let (policies, rules) = (self.policies(), self.alert_rules());
                        // A failed read is read again by the next step.
                        self.read_evaluated(pass, batch, now)
                            .await
                            .ok()
                            .map(|updates| Ahead {
                                after,
                                wrapped: job.wrapped,
                                policies,
                                rules,
                                updates: std::sync::Arc::new(updates),
                            })
                    }
                    None => None,
                }
            };
            let (written, ahead) = tokio::join!(self.write_reevaluated(updates, now), next);
            let (mut missed, held) = written?;
            job.ahead = ahead;
            writing += held;
            // A device a check-in moved between the read and the write (a touch moves its
            // sequence number too, and evaluates nothing) is read and evaluated again: the
            // cursor goes past it, so this batch is its only turn.
            for _ in 0..RETRIES {
                if missed.is_empty() {
                    break;
                }
                let before = std::mem::take(&mut missed);
                for ids in before.chunks(self.backend.rows_per_statement(1) - 1) {
                    let again = crate::policies::Pass::Ids(ids.to_vec());
                    let updates = self.read_evaluated(again, batch, now).await?;
                    let (more, held) = self.write_reevaluated(updates, now).await?;
                    missed.extend(more);
                    writing += held;
                }
            }
            if !missed.is_empty() {
                // Still moving: the sweep evaluates them.
                tracing::warn!(job = %job.id, devices = missed.len(), "devices left to the sweep");
                let mut tx = self.begin_write().await?;
                let started = std::time::Instant::now();
                let ids: Vec<&str> = missed.iter().map(String::as_str).collect();
                crate::lock_devices(&mut tx, &ids).await?;
                for chunk in missed.chunks(self.backend.rows_per_statement(1) - 1) {
                    let sql = format!(
                        "UPDATE devices SET recheck_at = $1 WHERE id IN ({})",
                        crate::list_placeholders(2, chunk.len())
                    );
                    let mut q = sqlx::query(&sql).bind(now);
                    for id in chunk {
                        q = q.bind(id.as_str());
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                writing += started.elapsed();
            }
        }
        // Where the job goes: on past this batch; past the last device, on from the first up
        // to where it began; or, with nothing left, finished.
        let (cursor, wrapped, finished) = match &last {
            Some(last) => (last.clone(), job.wrapped, None),
            None if !job.wrapped && !job.begin.is_empty() => (String::new(), true, None),
            None => (job.cursor.clone(), job.wrapped, Some(now)),
        };
        let saved = job.saved.get_or_insert_with(|| Saved {
            cursor: job.cursor.clone(),
            wrapped: job.wrapped,
            done: job.done,
            at: i64::MIN,
        });
        // A clock that stepped back saves at once, as one a second on does.
        let unsaved_for = now.saturating_sub(saved.at);
        if finished.is_none() && (0..SAVE_EVERY_MS).contains(&unsaved_for) {
            // Not saved yet: the row is only read, to leave a job closed or moved elsewhere.
            let row =
                sqlx::query("SELECT cursor, wrapped, finished_at FROM fleet_jobs WHERE id = $1")
                    .bind(&job.id)
                    .fetch_optional(&self.read)
                    .await?;
            let ours = match row {
                Some(r) => {
                    r.try_get::<Option<i64>, _>("finished_at")?.is_none()
                        && r.try_get::<String, _>("cursor")? == saved.cursor
                        && (r.try_get::<i64, _>("wrapped")? != 0) == saved.wrapped
                }
                None => false,
            };
            if !ours {
                return Ok(Step::Gone);
            }
        } else {
            let mut tx = self.begin_write().await?;
            let started = std::time::Instant::now();
            let moved = sqlx::query(
                "UPDATE fleet_jobs SET cursor = $1, done = done + $2, wrapped = $3, \
                 finished_at = $4 \
                 WHERE id = $5 AND cursor = $6 AND wrapped = $7 AND finished_at IS NULL",
            )
            .bind(&cursor)
            .bind(i64::try_from(job.done - saved.done).unwrap_or(0) + n)
            .bind(i64::from(wrapped))
            .bind(finished)
            .bind(&job.id)
            .bind(&saved.cursor)
            .bind(i64::from(saved.wrapped))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            writing += started.elapsed();
            if moved == 0 {
                return Ok(Step::Gone);
            }
            *saved = Saved {
                cursor: cursor.clone(),
                wrapped,
                done: job.done + n as u64,
                at: now,
            };
        }
        job.cursor = cursor;
        job.wrapped = wrapped;
        job.done += n as u64;
        Ok(match finished {
            Some(at) => {
                job.finished_at = Some(to_rfc3339(at));
                job.state = "done".into();
                Step::Finished
            }
            None => Step::Advanced {
                n: n as u64,
                writing,
            },
        })
    }
    /// One batch of a deleted rule's job: resolves up to `batch` of its open alerts, each
    /// with its "resolved" entry in the name of who deleted the rule, and counts them in the
    /// job's row; finishes the job when none is left. Only alerts still open are resolved
    /// (on PostgreSQL the update waits for another server resolving the same rows, then
    /// finds them resolved), so each is resolved once.
    async fn resolve_step(&self, job: &mut FleetJob, now: i64, batch: i64) -> Result<Step> {
        let open: Vec<(String, Option<String>)> = sqlx::query(
            "SELECT id, device_id FROM alerts WHERE rule_id = $1 AND state <> 'resolved' LIMIT $2",
        )
        .bind(&job.subject)
        .bind(batch)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<std::result::Result<_, sqlx::Error>>()?;
        let (ids, devices): (Vec<String>, Vec<Option<String>>) = open.into_iter().unzip();
        let devices: Vec<String> = devices.into_iter().flatten().collect();
        let actor = if job.actor.is_empty() {
            "steward"
        } else {
            job.actor.as_str()
        };
        let mut tx = self.begin_write().await?;
        let started = std::time::Instant::now();
        // The rule is back under the same id (an update that raced the deletion): its open
        // alerts are its own again, and its update's job evaluates them.
        let back = sqlx::query("SELECT 1 FROM alert_rules WHERE id = $1")
            .bind(&job.subject)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        let ids = if back { Vec::new() } else { ids };
        // The devices first, then their alerts: the order a check-in's transaction writes
        // them in, so the two cannot wait for each other on PostgreSQL.
        if !back {
            forget_firing(&mut tx, self.backend, &job.subject, Some(&devices)).await?;
        }
        let mut resolved: Vec<String> = Vec::with_capacity(ids.len());
        // By id alone: with the rule's id beside them, SQLite's planner walks the rule's
        // open alerts for each statement instead of looking the ids up (ten times slower
        // at 200,000 open alerts). The ids were read as the rule's, which an alert keeps.
        for chunk in ids.chunks(self.backend.rows_per_statement(1) - 2) {
            let sql = format!(
                "UPDATE alerts SET state = 'resolved', resolved_at = $1, resolved_by = $2, \
                 updated_at = $1, notify_at = NULL, escalate_at = NULL \
                 WHERE id IN ({}) AND state <> 'resolved' RETURNING id",
                crate::list_placeholders(3, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(now).bind(actor);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&mut *tx).await? {
                resolved.push(r.try_get(0)?);
            }
        }
        let n = resolved.len() as u64;
        let detail = serde_json::json!({"reason": "rule deleted"}).to_string();
        let events: Vec<crate::alerts::NewEvent> = resolved
            .into_iter()
            .map(|alert_id| crate::alerts::NewEvent {
                alert_id,
                kind: "resolved",
                detail: detail.clone(),
            })
            .collect();
        crate::alerts::insert_alert_events(&mut tx, now, actor, &events).await?;
        // None was open: the job is done. Nobody is told of a deleted rule's alerts (the
        // notifier has no rule to send them by, and drops those it reads): those it resolved
        // left the pending set with it, and so do those resolved before it came.
        let finished = ids.is_empty().then_some(now);
        if finished.is_some() && !back {
            forget_firing(&mut tx, self.backend, &job.subject, None).await?;
            sqlx::query(
                "UPDATE alerts SET notify_at = NULL WHERE rule_id = $1 AND notify_at IS NOT NULL",
            )
            .bind(&job.subject)
            .execute(&mut *tx)
            .await?;
        }
        let counted = sqlx::query(
            "UPDATE fleet_jobs SET done = done + $1, finished_at = $2 \
             WHERE id = $3 AND finished_at IS NULL",
        )
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(finished)
        .bind(&job.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if counted == 0 {
            tx.rollback().await?;
            return Ok(Step::Gone);
        }
        tx.commit().await?;
        let writing = started.elapsed();
        job.done += n;
        Ok(match finished {
            Some(at) => {
                job.finished_at = Some(to_rfc3339(at));
                job.state = "done".into();
                Step::Finished
            }
            None => Step::Advanced { n, writing },
        })
    }

    /// Queues the resolution of open alerts whose rule is gone and that no job resolves: a
    /// server that evaluated a check-in against the rules as they were just before a
    /// deletion committed (a PostgreSQL transaction reads them when it starts) may fire an
    /// alert after the deletion's job went past. The rules with open alerts are read one
    /// step of the index of open alerts each, then the rules that exist, in that order (a
    /// rule that fired before the first read exists at the second unless deleted). Returns
    /// the jobs queued.
    pub async fn queue_orphaned_alerts(&self, now: i64) -> Result<Vec<FleetJob>> {
        let mut firing = Vec::new();
        let mut after = String::new();
        loop {
            let next: Option<String> = sqlx::query(
                "SELECT MIN(rule_id) FROM alerts WHERE state <> 'resolved' AND rule_id > $1",
            )
            .bind(&after)
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
            let Some(rule) = next else { break };
            after.clone_from(&rule);
            firing.push(rule);
        }
        if firing.is_empty() {
            return Ok(Vec::new());
        }
        let rules: std::collections::HashSet<String> = sqlx::query("SELECT id FROM alert_rules")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let gone: Vec<String> = firing.into_iter().filter(|r| !rules.contains(r)).collect();
        if gone.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let mut queued = Vec::new();
        for rule in &gone {
            let (job, new) = queue_rule_deletion(&mut tx, rule, "", now).await?;
            if new {
                queued.push(job);
            }
        }
        tx.commit().await?;
        if !queued.is_empty() {
            self.signals.jobs.notify_one();
        }
        Ok(queued)
    }
}

/// Takes a deleted rule out of the firing rules stored for devices, so their next check-in
/// does not find the rule gone as a change, and a device no rule fires on any more leaves
/// `device_firing`: those of `devices` (whose alerts of it a deletion job resolves), locked
/// first in id order as check-ins lock theirs (every writer of `device_firing` holds its
/// devices locked), or, with `None`, every device still naming it (those whose alert was
/// resolved by hand while it still fired) when the job ends. Ids never hold a comma.
async fn forget_firing(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    rule: &str,
    devices: Option<&[String]>,
) -> Result<()> {
    let set = "UPDATE device_firing SET rules = \
               TRIM(REPLACE(',' || rules || ',', ',' || $1 || ',', ','), ',')";
    let contains = firing_names(backend);
    let naming: Vec<String>;
    let devices = match devices {
        Some(devices) => devices,
        None => {
            // Found first, then locked as any batch of devices is.
            naming = sqlx::query_scalar(&format!(
                "SELECT device_id FROM device_firing WHERE {contains} ORDER BY device_id"
            ))
            .bind(rule)
            .fetch_all(&mut **tx)
            .await?;
            &naming
        }
    };
    let ids: Vec<&str> = devices.iter().map(String::as_str).collect();
    crate::lock_devices(tx, &ids).await?;
    for chunk in ids.chunks(backend.rows_per_statement(1) - 1) {
        let sql = format!(
            "{set} WHERE {contains} AND device_id IN ({})",
            crate::list_placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(rule);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
        let sql = format!(
            "DELETE FROM device_firing WHERE rules = '' AND device_id IN ({})",
            crate::list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The devices of a job's pass after `cursor`, in id order; after turning round, up to where
/// the job began.
fn pass_after(job: &FleetJob, cursor: String) -> crate::policies::Pass {
    crate::policies::Pass::After {
        cursor,
        until: job.wrapped.then(|| job.begin.clone()),
    }
}

/// The condition that a device's stored firing rules name the rule bound as `$1`.
fn firing_names(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "instr(rules, $1) > 0",
        Backend::Postgres => "strpos(rules, $1) > 0",
    }
}

/// The queries of the devices a narrowing names, of those that fired the rule, and of those
/// due for a re-evaluation, each a `SELECT id FROM devices WHERE …` to be bounded further,
/// with its values; `None` when every device is to be taken.
fn candidate_queries(
    backend: Backend,
    narrowing: Narrowing,
    rule: &str,
    now: i64,
) -> Option<Vec<(String, Vec<Param>)>> {
    use Param::{Int, Text};
    let contains = firing_names(backend);
    let mut queries = vec![
        // Those whose state time has moved since their last evaluation.
        (
            "SELECT id FROM devices WHERE recheck_at <= $1".to_string(),
            vec![Int(now)],
        ),
        // Through the table of devices that fire some rule.
        (
            format!(
                "SELECT id FROM devices WHERE id IN \
                 (SELECT device_id FROM device_firing WHERE {contains})"
            ),
            vec![Text(rule.into())],
        ),
    ];
    match narrowing {
        Narrowing::Every => return None,
        Narrowing::Nothing => {}
        Narrowing::Health(states) => queries.push((
            format!(
                "SELECT id FROM devices WHERE health_state IN ({})",
                crate::list_placeholders(1, states.len())
            ),
            states.iter().map(|s| Text(s.as_str().into())).collect(),
        )),
        Narrowing::Compliance(state) => queries.push((
            "SELECT id FROM devices WHERE compliance_state = $1".into(),
            vec![Text(state.into())],
        )),
        Narrowing::SilentFor(ms) => queries.push((
            match backend {
                Backend::Sqlite => "SELECT id FROM devices WHERE last_seen_at <= $1".into(),
                Backend::Postgres => "SELECT id FROM devices WHERE id IN \
                    (SELECT device_id FROM device_seen WHERE last_seen_at <= $1)"
                    .into(),
            },
            vec![Int(now.saturating_sub(ms))],
        )),
    }
    Some(queries)
}
