//! Compliance policies, and the evaluation of devices against them.

use serde_json::Value;
use sqlx::Row;
use steward_core::alerting::{self, Condition, DeviceView, Reason};
use steward_core::compliance::{
    evaluate, write_results_json, ComplianceState, DeviceFacts, Evaluation, Policy,
};
use steward_core::health::{classify, next_change, HealthLimits, HealthState};
use steward_proto::{Platform, ProtectionStatus};

use crate::alerts;
use crate::audit::{self, Actor, AuditRecord};
use crate::exec::{first, Arg, Exec, Kind};
use crate::writer::{insert_events, state_events, Evaluators};
use crate::{Backend, Result, Store, StoreError};

/// Devices evaluated per transaction when the whole fleet is re-evaluated.
pub const REEVALUATE_BATCH: i64 = 2_000;

/// On PostgreSQL, a batch with at least this many rows to write is written as two
/// transactions at once (see [`Store::write_reevaluated`]).
const WRITTEN_IN_HALVES_FROM: usize = 512;

/// Every policy, in the order they are listed.
pub(crate) async fn policies_from<'e, E>(ex: E) -> Result<Vec<Policy>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query("SELECT * FROM policies ORDER BY name, id")
        .fetch_all(ex)
        .await?;
    rows.iter().map(policy_row).collect()
}

fn policy_row(row: &sqlx::any::AnyRow) -> Result<Policy> {
    let rules: String = row.try_get("rules")?;
    let groups: String = row.try_get("device_groups")?;
    Ok(Policy {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        rules: serde_json::from_str(&rules).map_err(|e| StoreError::Invalid(e.to_string()))?,
        grace_hours: row.try_get::<i64, _>("grace_hours")? as u32,
        groups: groups
            .split(',')
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// Everything one evaluation of a device decides: compliance, health, the alert rules that
/// fire, and when time alone could change any of them.
pub(crate) struct DeviceEvaluation {
    pub compliance: Evaluation,
    pub health: HealthState,
    pub firing: Vec<(String, Reason)>,
    pub recheck_at: Option<i64>,
    /// The device's next check-in, even an unchanged one, may change the outcome (a failing
    /// "checked in within" rule, a firing "not checked in" alert).
    pub checkin_sensitive: bool,
}

/// Evaluates one device against the policies and alert rules of its group, at a check-in
/// (`now` is the check-in's time) or a re-evaluation. `disks` is the disk report when the
/// check-in carried one; `previous_firing` the rules that fired at the last evaluation.
pub(crate) fn evaluate_device(
    ev: &Evaluators,
    group: Option<&str>,
    facts: &DeviceFacts,
    disks: Option<&Value>,
    now: i64,
    failing_since: Option<i64>,
    previous_firing: &str,
) -> DeviceEvaluation {
    let assigned: Vec<&Policy> = ev.policies.iter().filter(|p| p.applies_to(group)).collect();
    let compliance = evaluate(&assigned, facts, now, failing_since);
    let limits = HealthLimits::default();
    let view = DeviceView {
        protection: facts.protection,
        compliance_state: compliance.state.as_str(),
        last_seen_ms: facts.last_seen_ms,
        disks,
    };
    let previous: Vec<&str> = previous_firing.split(',').collect();
    let firing = alerting::firing(&ev.alert_rules, group, &view, now, &previous);
    let recheck_at = [
        compliance.recheck_at,
        next_change(facts.protection, now, &limits),
        alerting::next_change(&ev.alert_rules, group, &view, now),
    ]
    .into_iter()
    .flatten()
    .min();
    let silent = firing.iter().any(|(id, _)| {
        ev.alert_rules
            .iter()
            .any(|r| &r.id == id && matches!(r.condition, Condition::NotCheckedIn { .. }))
    });
    DeviceEvaluation {
        health: classify(facts.protection, now, &limits).state,
        checkin_sensitive: compliance.checkin_sensitive || silent,
        compliance,
        firing,
        recheck_at,
    }
}

impl Store {
    /// The policies as the writer evaluates them (kept in memory, reloaded on every change).
    pub fn policies(&self) -> std::sync::Arc<Vec<Policy>> {
        self.policies.get()
    }

    pub(crate) async fn reload_policies(&self) -> Result<()> {
        let version = self.shared_version(crate::shared::Kind::Policies).await?;
        self.policies.set(policies_from(&self.read).await?, version);
        Ok(())
    }

    pub async fn list_policies(&self) -> Result<Vec<Policy>> {
        Ok(self.policies().as_ref().clone())
    }

    pub async fn policy(&self, id: &str) -> Result<Policy> {
        self.policies()
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    /// Creates or replaces a policy (audited) and queues the re-evaluation of every device
    /// (see [`crate::jobs`]), returned.
    pub async fn put_policy(
        &self,
        p: &Policy,
        now: i64,
        actor: &Actor,
    ) -> Result<(Policy, crate::jobs::FleetJob)> {
        let before = self.policy(&p.id).await.ok();
        let mut tx = self.begin_write().await?;
        let rules =
            serde_json::to_string(&p.rules).map_err(|e| StoreError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO policies (id, name, rules, grace_hours, device_groups, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (id) DO UPDATE SET name = $2, rules = $3, grace_hours = $4, \
             device_groups = $5, updated_at = $6",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(rules)
        .bind(i64::from(p.grace_hours))
        .bind(p.groups.join(","))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let action = if before.is_some() {
            "policy.update"
        } else {
            "policy.create"
        };
        let mut rec = AuditRecord::change(actor, now, action, "policy", &p.id);
        rec.before = before.map(|b| serde_json::to_value(b).unwrap_or_default());
        rec.after = Some(serde_json::to_value(p).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Policies).await?;
        let job = crate::jobs::queue_reevaluation(&mut tx, action, &p.id, now).await?;
        tx.commit().await?;
        self.reload_policies().await?;
        self.signals.jobs.notify_one();
        Ok((p.clone(), job))
    }

    /// Deletes a policy (audited) and queues the re-evaluation of every device, returned.
    pub async fn delete_policy(
        &self,
        id: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<crate::jobs::FleetJob> {
        let before = self.policy(id).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM policies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut rec = AuditRecord::change(actor, now, "policy.delete", "policy", id);
        rec.before = Some(serde_json::to_value(before).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Policies).await?;
        let job = crate::jobs::queue_reevaluation(&mut tx, "policy.delete", id, now).await?;
        tx.commit().await?;
        self.reload_policies().await?;
        self.signals.jobs.notify_one();
        Ok(job)
    }

    /// Re-evaluates the devices whose health or compliance may have changed with time alone
    /// (signatures or scans ageing, a grace period ending, a device not checking in), and
    /// those whose check-in may have fixed a "checked in within" rule. Returns how many
    /// devices were evaluated.
    pub async fn sweep(&self, now: i64) -> Result<u64> {
        let mut total = 0u64;
        // Rows a concurrent check-in changed are picked up again; the bound keeps a busy
        // fleet from holding one sweep forever.
        for _ in 0..1_000 {
            let updates = self
                .read_evaluated(Pass::Due { now }, REEVALUATE_BATCH, now)
                .await?;
            if updates.is_empty() {
                break;
            }
            let read = updates.len();
            total += read as u64;
            let (missed, _) = self.write_reevaluated(updates, now).await?;
            if read < REEVALUATE_BATCH as usize && missed.is_empty() {
                break;
            }
        }
        Ok(total)
    }

    /// Reads up to `limit` devices of a pass and evaluates them at `now`, in the pass's
    /// order. On a SQLite file both happen on a blocking thread (see [`crate::native`]).
    pub(crate) async fn read_evaluated(
        &self,
        pass: Pass,
        limit: i64,
        now: i64,
    ) -> Result<Vec<Reevaluated>> {
        let ev = Evaluators {
            policies: self.policies(),
            alert_rules: self.alert_rules(),
            alerts_changed: Default::default(),
            plan_once: false,
            // A fleet job's batch makes them fresh before it reads (`evaluators_fresh`).
            current: true,
        };
        let (sql, params) = pass.sql(self.backend, limit);
        if let Some(native) = &self.native {
            return native
                .run(crate::native::Role::Read, move |conn| {
                    let mut stmt = conn.prepare_cached(&sql)?;
                    let rows = stmt
                        .query_map(rusqlite::params_from_iter(&params), EvalRow::from_native)?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok(evaluate_rows(&ev, rows, now))
                })
                .await;
        }
        if let Some(pg) = &self.pg_passes {
            let mut q = sqlx::query(&sql);
            for p in &params {
                q = match p {
                    crate::Param::Text(s) => q.bind(s.as_str()),
                    crate::Param::Int(i) => q.bind(*i),
                };
            }
            // Each row is evaluated as it arrives, while the database sends the next ones.
            use futures::TryStreamExt;
            let mut rows = q.fetch(pg);
            let mut json = Vec::with_capacity(1024);
            let mut out = Vec::with_capacity(usize::try_from(limit).unwrap_or(0));
            while let Some(r) = rows.try_next().await? {
                out.push(evaluate_row(&ev, EvalRow::from_pg(&r)?, now, &mut json));
            }
            return Ok(out);
        }
        let rows = crate::bind_all(sqlx::query(&sql), &params)
            .fetch_all(&self.read)
            .await?;
        let rows = rows
            .iter()
            .map(EvalRow::from_any)
            .collect::<Result<Vec<_>>>()?;
        Ok(evaluate_rows(&ev, rows, now))
    }

    /// Writes evaluations, skipping devices a check-in changed meanwhile (their sequence
    /// number moved on) and rows whose evaluation gives what they hold. Returns the devices
    /// skipped (neither written nor found as they were): their evaluation is to be read
    /// again; and how long the writes held the writer (waiting for it left out).
    ///
    /// On a SQLite file the batch is written directly (see [`crate::native`]), in one
    /// transaction: the rows whose firing alert rules stay the same with prepared statements
    /// ([`write_native`]), the others, which raise or resolve alerts, with the statements the
    /// sqlx path runs ([`write_evaluations`]). On PostgreSQL a large batch is written as two
    /// transactions at once, half of its devices each. Either way each row is written whole,
    /// with its alerts, in one transaction; a half that fails leaves the other committed,
    /// and the batch written again finds those rows as evaluated.
    pub(crate) async fn write_reevaluated(
        &self,
        updates: Vec<Reevaluated>,
        now: i64,
    ) -> Result<(Vec<String>, std::time::Duration)> {
        let changed: Vec<Reevaluated> = updates.into_iter().filter(|u| !u.unchanged()).collect();
        if changed.is_empty() {
            return Ok((Vec::new(), std::time::Duration::ZERO));
        }
        let Some(native) = &self.native else {
            let changed: Vec<&Reevaluated> = changed.iter().collect();
            if self.backend == Backend::Postgres && changed.len() >= WRITTEN_IN_HALVES_FROM {
                // Two transactions on two connections, half of the devices each: one
                // PostgreSQL backend writes on one core. The halves hold disjoint rows, each
                // locked in id order as every writer of devices locks them, so they neither
                // wait for each other nor deadlock with a check-in between them. The time
                // reported is both transactions' (the database's share of the job).
                let (first, second) = changed.split_at(changed.len() / 2);
                let ((mut missed, a), (more, b)) = futures::try_join!(
                    self.write_reevaluated_any(first, now),
                    self.write_reevaluated_any(second, now)
                )?;
                missed.extend(more);
                return Ok((missed, a + b));
            }
            return self.write_reevaluated_any(&changed, now).await;
        };
        // Queued with the check-in writer: see `native`.
        let held = self.write.acquire().await?;
        // Taken with the writer held, as the sqlx path takes them in its transaction: a rule
        // changed while the batch waited is the one its alerts are opened with.
        let rules = self.alert_rules();
        let started = std::time::Instant::now();
        let (missed, alerts_changed) = native
            .run(crate::native::Role::Write, move |conn| {
                let mut tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                // Rows whose firing rules stay as they were take the prepared statements of
                // `write_native`; the others, and their alerts, the statements shared with
                // the sqlx path.
                let (quiet, firing): (Vec<&Reevaluated>, Vec<&Reevaluated>) =
                    changed.iter().partition(|u| u.new_firing == u.old_firing);
                let mut missed = write_native(&tx, &quiet, now)?;
                let alerts_changed = crate::notify::AlertsChanged::default();
                if !firing.is_empty() {
                    // Never waits: see `crate::exec`.
                    missed.extend(futures::executor::block_on(write_evaluations(
                        &mut tx,
                        &firing,
                        None,
                        &rules,
                        &alerts_changed,
                        now,
                    ))?);
                }
                tx.commit()?;
                Ok((missed, alerts_changed))
            })
            .await?;
        let held_for = started.elapsed();
        drop(held);
        self.alerts_committed(&alerts_changed);
        Ok((missed, held_for))
    }

    /// Writes evaluations through sqlx in one transaction (PostgreSQL, or a store without
    /// SQLite reached directly; see [`write_evaluations`]). Returns the devices skipped, as
    /// [`Store::write_reevaluated`] does.
    async fn write_reevaluated_any(
        &self,
        updates: &[&Reevaluated],
        now: i64,
    ) -> Result<(Vec<String>, std::time::Duration)> {
        let mut tx = self.begin_write().await?;
        let started = std::time::Instant::now();
        // Locked first: the grouped updates would take them in plan order.
        let ids: Vec<&str> = updates.iter().map(|u| u.id.as_str()).collect();
        let locked = crate::lock_devices_reading(&mut tx, &ids).await?;
        let rules = self.alert_rules();
        let changed = crate::notify::AlertsChanged::default();
        let missed =
            write_evaluations(&mut tx, updates, locked.as_ref(), &rules, &changed, now).await?;
        tx.commit().await?;
        let held_for = started.elapsed();
        self.alerts_committed(&changed);
        Ok((missed, held_for))
    }
}

/// Writes evaluations, with history entries for changed states and the alerts of the rules
/// that start or stop firing. A row whose evaluation gives what it holds is left alone (most
/// rows, when a change concerns some groups or rules only); one where only the rules firing
/// on it moved is checked as read, not rewritten. Returns the devices skipped, as
/// [`Store::write_reevaluated`] does.
///
/// With `locked` (PostgreSQL: the rows as [`crate::lock_devices_reading`] found them, locked
/// by this transaction), a row only checked is checked against that, not read again.
async fn write_evaluations(
    tx: &mut impl Exec,
    updates: &[&Reevaluated],
    locked: Option<&crate::LockedRows>,
    rules: &[alerting::AlertRule],
    changed: &crate::notify::AlertsChanged,
    now: i64,
) -> Result<Vec<String>> {
    let backend = tx.backend();
    // Indexed columns are written only where they changed (an index entry moves only
    // then): rows are grouped by which of them changed, one statement shape per group.
    let mut groups: std::collections::BTreeMap<(bool, bool, bool), Vec<&Reevaluated>> =
        Default::default();
    let mut firing_only = Vec::new();
    for u in updates.iter().copied() {
        if u.row_unchanged() {
            firing_only.push(u);
        } else {
            groups.entry(u.moved()).or_default().push(u);
        }
    }
    let mut written = std::collections::HashSet::new();
    for ((compliance, health, recheck), rows) in groups {
        let mut set = vec![
            "compliance_results = v.column3",
            "failing_since = v.column4",
            "checkin_sensitive = v.column5",
        ];
        let extra = moved_columns((compliance, health, recheck));
        let cols = 7 + extra.len();
        let assignments: Vec<String> = extra
            .iter()
            .enumerate()
            .map(|(i, col)| format!("{col} = v.column{}", 8 + i))
            .collect();
        set.extend(assignments.iter().map(String::as_str));
        for chunk in rows.chunks(backend.rows_per_statement(cols)) {
            // Compare and set on what was read: a check-in meanwhile (sequence number), or
            // another server's sweep that already wrote this change (the states), leaves
            // the row alone, so a change is written, and its history entry added, once.
            let sql = format!(
                "UPDATE devices SET {} FROM (VALUES {}) AS v \
                 WHERE devices.id = v.column1 AND devices.seq = v.column2 \
                 AND devices.compliance_state = v.column6 AND devices.health_state = v.column7 \
                 RETURNING devices.id",
                set.join(", "),
                backend.rows_of(chunk.len(), cols, 1)
            );
            let mut args = Vec::with_capacity(chunk.len() * cols);
            for u in chunk {
                args.extend([
                    Arg::text(&u.id),
                    Arg::int(u.seq),
                    Arg::text(u.results.as_str()),
                    Arg::Int(u.failing_since),
                    Arg::int(u.checkin_sensitive),
                    Arg::text(&u.old_compliance),
                    Arg::text(&u.old_health),
                ]);
                if compliance {
                    args.push(Arg::text(u.compliance));
                }
                if health {
                    args.push(Arg::text(u.health));
                }
                if recheck {
                    args.push(Arg::Int(u.recheck_at));
                }
            }
            for row in tx.rows(&sql, &args, &[Kind::Text]).await? {
                written.insert(first(row)?.text()?);
            }
        }
    }
    // Only the rules firing on these moved: their rows are not rewritten (a rule that fires
    // on most of the fleet would write a page of the log for every few devices), only
    // checked, as the update above compares them.
    written.extend(unmoved(tx, &firing_only, locked).await?);
    let events: Vec<_> = updates
        .iter()
        .filter(|u| written.contains(&u.id))
        .flat_map(|u| {
            state_events(
                &u.id,
                now,
                (&u.old_compliance, u.compliance),
                (&u.old_health, u.health),
            )
        })
        .collect();
    insert_events(tx, &events, backend.rows_per_statement(4)).await?;
    let moved: Vec<&Reevaluated> = updates
        .iter()
        .filter(|u| u.new_firing != u.old_firing && written.contains(&u.id))
        .copied()
        .collect();
    let subjects: Vec<alerts::Firing> = moved
        .iter()
        .map(|u| alerts::Firing {
            subject: &u.id,
            old: &u.old_firing,
            firing: &u.firing,
        })
        .collect();
    let stored = alerts::apply_firing(tx, changed, rules, now, &subjects).await?;
    let firing: Vec<(&str, &str)> = moved
        .iter()
        .map(|u| u.id.as_str())
        .zip(stored.iter().map(String::as_str))
        .collect();
    alerts::store_firing(tx, &firing).await?;
    Ok(updates
        .iter()
        .filter(|u| !written.contains(&u.id))
        .map(|u| u.id.clone())
        .collect())
}

/// Of rows only checked (see [`write_evaluations`]), the ids of those still as they were
/// read. The rows stay as checked until the commit: locked by this transaction (PostgreSQL,
/// compared with what the lock found, `locked`), or read again under the writer this
/// transaction holds (SQLite). That read names the rows that moved, not those as read:
/// almost always none, so a batch of thousands answers with no row.
async fn unmoved(
    tx: &mut impl Exec,
    rows: &[&Reevaluated],
    locked: Option<&crate::LockedRows>,
) -> Result<Vec<String>> {
    if let Some(locked) = locked {
        return Ok(rows
            .iter()
            .filter(|u| {
                locked.get(&u.id).is_some_and(|(seq, compliance, health)| {
                    *seq == u.seq && *compliance == u.old_compliance && *health == u.old_health
                })
            })
            .map(|u| u.id.clone())
            .collect());
    }
    let backend = tx.backend();
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(backend.rows_per_statement(4)) {
        let sql = format!(
            "SELECT v.column1 FROM (VALUES {}) AS v \
             LEFT JOIN devices ON devices.id = v.column1 \
             WHERE devices.id IS NULL OR devices.seq <> v.column2 \
             OR devices.compliance_state <> v.column3 OR devices.health_state <> v.column4",
            backend.rows_of(chunk.len(), 4, 1)
        );
        let mut args = Vec::with_capacity(chunk.len() * 4);
        for u in chunk {
            args.extend([
                Arg::text(&u.id),
                Arg::int(u.seq),
                Arg::text(&u.old_compliance),
                Arg::text(&u.old_health),
            ]);
        }
        let mut moved = std::collections::HashSet::new();
        for row in tx.rows(&sql, &args, &[Kind::Text]).await? {
            moved.insert(first(row)?.text()?);
        }
        out.extend(
            chunk
                .iter()
                .filter(|u| !moved.contains(&u.id))
                .map(|u| u.id.clone()),
        );
    }
    Ok(out)
}

impl Reevaluated {
    /// Which indexed columns the evaluation moves: compliance state, health state, recheck
    /// time.
    fn moved(&self) -> (bool, bool, bool) {
        (
            self.compliance != self.old_compliance,
            self.health != self.old_health,
            self.recheck_at != self.old_recheck,
        )
    }

    /// Whether the evaluation gives exactly what the row holds.
    fn unchanged(&self) -> bool {
        self.row_unchanged() && self.new_firing == self.old_firing
    }

    /// Whether the device's row holds this evaluation already: what may still move is the
    /// rules that fire on it, which live apart (`device_firing`).
    fn row_unchanged(&self) -> bool {
        self.compliance == self.old_compliance
            && self.health == self.old_health
            && self.recheck_at == self.old_recheck
            && self.failing_since == self.old_failing_since
            && self.checkin_sensitive == self.old_checkin_sensitive
            && matches!(self.results, Results::Same(_))
    }
}

/// A device's new evaluation, waiting to be written.
pub(crate) struct Reevaluated {
    /// The device (a pass's cursor moves to the last one read).
    pub(crate) id: String,
    /// Its SQLite rowid, when read directly ([`EvalRow::rowid`]).
    rowid: Option<i64>,
    seq: i64,
    old_compliance: String,
    old_health: String,
    compliance: &'static str,
    results: Results,
    failing_since: Option<i64>,
    health: &'static str,
    recheck_at: Option<i64>,
    old_recheck: Option<i64>,
    checkin_sensitive: i64,
    old_failing_since: Option<i64>,
    old_checkin_sensitive: i64,
    old_firing: String,
    new_firing: String,
    firing: Vec<(String, alerting::Reason)>,
}

/// A device's rule results as JSON, and whether they are what the row holds (so that a row
/// whose evaluation did not change is left alone).
pub(crate) enum Results {
    Same(String),
    Changed(String),
}

impl Results {
    fn as_str(&self) -> &str {
        match self {
            Results::Same(s) | Results::Changed(s) => s,
        }
    }
}

/// Which devices a pass over the fleet reads, in its order.
pub(crate) enum Pass {
    /// Devices whose evaluation is due (the sweep), soonest first.
    Due { now: i64 },
    /// Devices after `cursor` in id order, up to `until` when given (a fleet job).
    After {
        cursor: String,
        until: Option<String>,
    },
    /// These devices (a batch's devices skipped because a check-in moved them meanwhile).
    Ids(Vec<String>),
}

impl Pass {
    /// The query of up to `limit` devices and its values. Placeholders first appear in the
    /// order of their numbers, so they bind by position as well as by name (PostgreSQL's
    /// text uses `$1` and `$2` again, which binds by number).
    fn sql(&self, backend: Backend, limit: i64) -> (String, Vec<crate::Param>) {
        use crate::Param::{Int, Text};
        let from = backend.devices_seen();
        // On SQLite the rowid follows the columns every backend reads, for writing the row
        // back without looking its id up again (see [`EvalRow::rowid`]).
        // On PostgreSQL the join's other side is bounded by the cursor too. A generic plan
        // (a prepared statement run often) otherwise merges the two primary keys from
        // `device_seen`'s first row: each batch would read every entry before the cursor,
        // so a pass over the fleet grew with the square of its size.
        let (rowid, seen_after, seen_until) = match backend {
            Backend::Sqlite => (", rowid", "", ""),
            Backend::Postgres => (
                "",
                " AND device_seen.device_id > $1",
                " AND device_seen.device_id <= $2",
            ),
        };
        match self {
            Pass::Due { now } => (
                format!(
                    "SELECT {EVAL_COLS}{rowid} FROM {from} WHERE recheck_at <= $1 \
                     AND retired_at IS NULL ORDER BY recheck_at LIMIT $2"
                ),
                vec![Int(*now), Int(limit)],
            ),
            Pass::After {
                cursor,
                until: None,
            } => (
                format!(
                    "SELECT {EVAL_COLS}{rowid} FROM {from} WHERE retired_at IS NULL AND id > $1\
                     {seen_after} ORDER BY id LIMIT $2"
                ),
                vec![Text(cursor.clone()), Int(limit)],
            ),
            Pass::After {
                cursor,
                until: Some(until),
            } => (
                format!(
                    "SELECT {EVAL_COLS}{rowid} FROM {from} WHERE retired_at IS NULL AND id > $1 \
                     AND id <= $2{seen_after}{seen_until} ORDER BY id LIMIT $3"
                ),
                vec![Text(cursor.clone()), Text(until.clone()), Int(limit)],
            ),
            Pass::Ids(ids) => (
                format!(
                    "SELECT {EVAL_COLS}{rowid} FROM {from} WHERE retired_at IS NULL AND id IN ({}) \
                     ORDER BY id LIMIT ${}",
                    crate::list_placeholders(1, ids.len()),
                    ids.len() + 1
                ),
                ids.iter().cloned().map(Text).chain([Int(limit)]).collect(),
            ),
        }
    }
}

/// A device as a pass reads it ([`EVAL_COLS`]).
pub(crate) struct EvalRow {
    id: String,
    seq: i64,
    platform: String,
    os_version: String,
    protection: Option<String>,
    compliance: Option<String>,
    last_seen_at: i64,
    device_group: Option<String>,
    failing_since: Option<i64>,
    compliance_state: String,
    health_state: String,
    recheck_at: Option<i64>,
    firing_rules: String,
    compliance_results: Option<String>,
    checkin_sensitive: i64,
    /// The row's SQLite rowid, when read directly (after [`EVAL_COLS`]): the write finds the
    /// row by it, one B-tree search instead of two (the id's index, then the table).
    rowid: Option<i64>,
}

/// An [`EvalRow`] from a row of [`EVAL_COLS`], by position, with the row type's getter.
macro_rules! eval_row {
    ($r:expr, $get:ident) => {
        EvalRow {
            id: $r.$get(0)?,
            seq: $r.$get(1)?,
            platform: $r.$get(2)?,
            os_version: $r.$get(3)?,
            protection: $r.$get(4)?,
            compliance: $r.$get(5)?,
            last_seen_at: $r.$get(6)?,
            device_group: $r.$get(7)?,
            failing_since: $r.$get(8)?,
            compliance_state: $r.$get(9)?,
            health_state: $r.$get(10)?,
            recheck_at: $r.$get(11)?,
            firing_rules: $r.$get(12)?,
            compliance_results: $r.$get(13)?,
            checkin_sensitive: $r.$get(14)?,
            rowid: None,
        }
    };
}

impl EvalRow {
    fn from_any(r: &sqlx::any::AnyRow) -> Result<EvalRow> {
        Ok(eval_row!(r, try_get))
    }

    /// The same from PostgreSQL reached directly (see [`Store::read_evaluated`]).
    fn from_pg(r: &sqlx::postgres::PgRow) -> Result<EvalRow> {
        Ok(eval_row!(r, try_get))
    }

    /// The same from SQLite reached directly.
    fn from_native(r: &rusqlite::Row<'_>) -> rusqlite::Result<EvalRow> {
        Ok(EvalRow {
            rowid: Some(r.get(15)?),
            ..eval_row!(r, get)
        })
    }
}

/// Evaluates devices read by a pass against the policies and alert rules given.
fn evaluate_rows(ev: &Evaluators, rows: Vec<EvalRow>, now: i64) -> Vec<Reevaluated> {
    let mut json = Vec::with_capacity(1024);
    rows.into_iter()
        .map(|r| evaluate_row(ev, r, now, &mut json))
        .collect()
}

/// Evaluates one device read by a pass; `json` is scratch space kept between calls.
fn evaluate_row(ev: &Evaluators, r: EvalRow, now: i64, json: &mut Vec<u8>) -> Reevaluated {
    let protection: Option<ProtectionStatus> = r
        .protection
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    let compliance: Option<serde_json::Map<String, Value>> = r
        .compliance
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    let facts = DeviceFacts {
        platform: Platform::parse(&r.platform).unwrap_or(Platform::Linux),
        os_version: &r.os_version,
        protection: protection.as_ref(),
        compliance: compliance.as_ref(),
        last_seen_ms: r.last_seen_at,
    };
    // Disk facts only change with a check-in, which evaluated them.
    let e = evaluate_device(
        ev,
        r.device_group.as_deref(),
        &facts,
        None,
        now,
        r.failing_since,
        &r.firing_rules,
    );
    // Most devices' results come out as they were: compared as bytes, copied only
    // when they differ.
    json.clear();
    write_results_json(&e.compliance.results, json);
    let results = match r.compliance_results {
        Some(old) if old.as_bytes() == json.as_slice() => Results::Same(old),
        // serde_json writes UTF-8: the check is the quick one, not the lossy copy's.
        _ => Results::Changed(match std::str::from_utf8(json) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(json).into_owned(),
        }),
    };
    Reevaluated {
        compliance: e.compliance.state.as_str(),
        results,
        failing_since: e.compliance.failing_since,
        health: e.health.as_str(),
        recheck_at: e.recheck_at,
        checkin_sensitive: i64::from(e.checkin_sensitive),
        new_firing: alerts::firing_ids(&e.firing),
        firing: e.firing,
        id: r.id,
        rowid: r.rowid,
        seq: r.seq,
        old_compliance: r.compliance_state,
        old_health: r.health_state,
        old_recheck: r.recheck_at,
        old_failing_since: r.failing_since,
        old_checkin_sensitive: r.checkin_sensitive,
        old_firing: r.firing_rules,
    }
}

/// Writes evaluations whose firing alert rules stay the same in `tx`, with prepared
/// statements, the same compare-and-set as [`write_evaluations`] and history entries for
/// changed states. Returns the devices skipped (moved since read).
fn write_native(
    tx: &rusqlite::Transaction<'_>,
    updates: &[&Reevaluated],
    now: i64,
) -> Result<Vec<String>> {
    let mut missed = Vec::new();
    {
        let mut event = tx.prepare_cached(
            "INSERT INTO device_events (device_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        )?;
        // One statement per shape, as in `write_evaluations`, taken from the cache once a
        // batch: looking one up hashes its text, and giving it back resets it. A row is found
        // by the rowid read with it (always there: `read_evaluated` reads directly whenever
        // this writes; a row without one would be skipped and read again), its id compared
        // as well, so a row whose rowid changed (a `VACUUM` meanwhile) is skipped and read
        // again, not another written.
        let mut shapes = std::collections::BTreeMap::new();
        for u in updates {
            let moved = u.moved();
            let update = match shapes.entry(moved) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let mut sql = String::from(
                        "UPDATE devices SET compliance_results = ?1, failing_since = ?2, \
                         checkin_sensitive = ?3",
                    );
                    let columns = moved_columns(moved);
                    for (i, col) in columns.iter().enumerate() {
                        sql.push_str(&format!(", {col} = ?{}", 8 + i));
                    }
                    sql.push_str(&format!(
                        " WHERE rowid = ?{} AND id = ?4 AND seq = ?5 AND compliance_state = ?6 \
                         AND health_state = ?7",
                        8 + columns.len()
                    ));
                    e.insert(tx.prepare_cached(&sql)?)
                }
            };
            let results = u.results.as_str();
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![
                &results,
                &u.failing_since,
                &u.checkin_sensitive,
                &u.id,
                &u.seq,
                &u.old_compliance,
                &u.old_health,
            ];
            if moved.0 {
                values.push(&u.compliance);
            }
            if moved.1 {
                values.push(&u.health);
            }
            if moved.2 {
                values.push(&u.recheck_at);
            }
            values.push(&u.rowid);
            if update.execute(values.as_slice())? == 0 {
                missed.push(u.id.clone());
                continue;
            }
            for e in state_events(
                &u.id,
                now,
                (&u.old_compliance, u.compliance),
                (&u.old_health, u.health),
            ) {
                event.execute(rusqlite::params![
                    e.device_id,
                    e.at,
                    e.kind,
                    e.detail.to_string()
                ])?;
            }
        }
    }
    Ok(missed)
}

/// The indexed columns an evaluation moves ([`Reevaluated::moved`]), in the order their
/// values are bound, after the seven every write of a row binds.
fn moved_columns((compliance, health, recheck): (bool, bool, bool)) -> Vec<&'static str> {
    [
        (compliance, "compliance_state"),
        (health, "health_state"),
        (recheck, "recheck_at"),
    ]
    .into_iter()
    .filter_map(|(moved, col)| moved.then_some(col))
    .collect()
}

/// The columns an [`EvalRow`] is read from.
pub(crate) const EVAL_COLS: &str = concat!(
    "id, seq, platform, os_version, protection, compliance, last_seen_at, device_group, \
     failing_since, compliance_state, health_state, recheck_at, ",
    firing_rules_col!(),
    ", compliance_results, checkin_sensitive"
);

/// Whether a compliance state name is known (for list filters).
pub fn valid_state(s: &str) -> bool {
    ComplianceState::parse(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::Pass;
    use crate::audit::Actor;
    use crate::devices::SeedDevice;
    use crate::Store;

    const DAY_MS: i64 = 24 * 3_600_000;

    fn every() -> Pass {
        Pass::After {
            cursor: String::new(),
            until: None,
        }
    }

    /// Seeds Linux devices last seen ten days before `now`, those of `bare` reporting no
    /// protection engine.
    async fn seed(store: &Store, ids: &[&str], bare: &[&str], now: i64) {
        let devices: Vec<_> = ids
            .iter()
            .map(|id| SeedDevice::linux(id, None, now - 10 * DAY_MS))
            .collect();
        store.seed_devices(&devices).await.expect("seed");
        for id in bare {
            sqlx::query("UPDATE devices SET protection = '{\"engine\": null}' WHERE id = $1")
                .bind(*id)
                .execute(&store.write)
                .await
                .expect("protection");
        }
    }

    /// A new rule that fires on devices whose rows hold their evaluation already moves only
    /// the rules firing on them: the rows are checked as read, not rewritten, so a device a
    /// check-in moved meanwhile is left to be evaluated again, and only the others fire.
    #[tokio::test]
    async fn a_change_of_the_firing_rules_alone_is_written_only_for_rows_still_as_read() {
        let now = 100 * DAY_MS;
        let (_dir, store) = crate::temp_store().await;
        // Their agents report no protection engine.
        seed(&store, &["a", "b", "c"], &["a", "b", "c"], now).await;
        // The rows take their evaluation first.
        let updates = store.read_evaluated(every(), 10, now).await.expect("read");
        let (missed, _) = store.write_reevaluated(updates, now).await.expect("write");
        assert!(missed.is_empty(), "{missed:?}");
        let again = store.read_evaluated(every(), 10, now).await.expect("read");
        assert!(again.iter().all(|u| u.unchanged()), "settled");

        // A rule on that moves no state of the rows.
        let rule = serde_json::from_value(serde_json::json!({
            "id": "bare", "name": "bare", "severity": "warning",
            "condition": {"type": "protection_missing"}
        }))
        .expect("rule");
        let actor = Actor {
            id: "cli".into(),
            name: "cli".into(),
            role: None,
            remote_addr: String::new(),
        };
        store
            .put_alert_rule(&rule, now, &actor)
            .await
            .expect("rule");
        // Two devices not evaluated yet: their rows move with the rules firing on them; and
        // one whose row moves but on which no rule fires, written in the same transaction.
        seed(&store, &["d", "e", "f"], &["d", "e"], now).await;
        let updates = store.read_evaluated(every(), 10, now).await.expect("read");
        assert_eq!(updates.len(), 6);
        let (quiet, updates): (Vec<_>, Vec<_>) = updates
            .into_iter()
            .partition(|u| u.new_firing == u.old_firing);
        assert_eq!(quiet.len(), 1, "f moves its row only");
        assert!(!quiet[0].unchanged());
        let (firing_only, rewritten): (Vec<_>, Vec<_>) =
            updates.iter().partition(|u| u.row_unchanged());
        assert_eq!(
            firing_only.len(),
            3,
            "a, b and c move only their firing rules"
        );
        assert!(firing_only.iter().all(|u| !u.unchanged()));
        assert_eq!(rewritten.len(), 2, "d and e move their rows too");
        // Check-ins of `b` and `e` between the read and the write.
        sqlx::query("UPDATE devices SET seq = seq + 1 WHERE id IN ('b', 'e')")
            .execute(&store.write)
            .await
            .expect("check-in");
        let (mut missed, _) = store
            .write_reevaluated(updates.into_iter().chain(quiet).collect(), now)
            .await
            .expect("write");
        missed.sort();
        assert_eq!(missed, ["b", "e"]);
        // What was written is what the evaluation gives: read again, those rows hold it.
        let again = store.read_evaluated(every(), 10, now).await.expect("read");
        let settled: Vec<&str> = again
            .iter()
            .filter(|u| u.unchanged())
            .map(|u| u.id.as_str())
            .collect();
        assert_eq!(settled, ["a", "c", "d", "f"]);
        let evaluated: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT device_id FROM device_events WHERE device_id IN ('d', 'e', 'f') \
             ORDER BY device_id",
        )
        .fetch_all(&store.read)
        .await
        .expect("history");
        assert_eq!(evaluated, ["d", "f"], "history for the rows written only");
        let firing: Vec<(String, String)> =
            sqlx::query_as("SELECT device_id, rules FROM device_firing ORDER BY device_id")
                .fetch_all(&store.read)
                .await
                .expect("firing");
        assert_eq!(
            firing,
            vec![
                ("a".into(), "bare".into()),
                ("c".into(), "bare".into()),
                ("d".into(), "bare".into())
            ]
        );
        let open: Vec<String> = sqlx::query_scalar(
            "SELECT subject FROM alerts WHERE rule_id = 'bare' AND state = 'firing' \
             ORDER BY subject",
        )
        .fetch_all(&store.read)
        .await
        .expect("alerts");
        assert_eq!(open, ["a", "c", "d"]);
        store.close().await;
    }

    /// A row read on SQLite is written back by its rowid, and only while that rowid is still
    /// the device's: a device whose rowid moved between the read and the write is skipped and
    /// read again, and the row that took its old rowid keeps what it holds.
    #[tokio::test]
    async fn a_row_whose_rowid_moved_since_read_is_skipped_not_another_written() {
        let now = 100 * DAY_MS;
        let (_dir, store) = crate::temp_store().await;
        seed(&store, &["a", "b", "c"], &[], now).await;
        let updates = store.read_evaluated(every(), 10, now).await.expect("read");
        assert!(updates.iter().all(|u| u.rowid.is_some()), "read directly");
        // As a `VACUUM` may: `a` takes a new rowid, `b` the one `a` had.
        for sql in [
            "UPDATE devices SET rowid = 1000 + rowid WHERE id = 'a'",
            "UPDATE devices SET rowid = (SELECT rowid - 1000 FROM devices WHERE id = 'a') \
             WHERE id = 'b'",
        ] {
            sqlx::query(sql).execute(&store.write).await.expect("rowid");
        }
        let (mut missed, _) = store.write_reevaluated(updates, now).await.expect("write");
        missed.sort();
        assert_eq!(missed, ["a", "b"]);
        let written: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM devices WHERE compliance_results IS NOT NULL ORDER BY id",
        )
        .fetch_all(&store.read)
        .await
        .expect("rows");
        assert_eq!(written, ["c"]);
        // Read again, by their new rowids, both are written.
        let again = store
            .read_evaluated(Pass::Ids(missed), 10, now)
            .await
            .expect("read");
        let (missed, _) = store.write_reevaluated(again, now).await.expect("write");
        assert!(missed.is_empty(), "{missed:?}");
        let settled = store.read_evaluated(every(), 10, now).await.expect("read");
        assert!(settled.iter().all(|u| u.unchanged()), "all written");
        store.close().await;
    }
}
