//! Reports: the daily rollup (one row per day, section, device group, subject and metric),
//! scheduled reports, and the runs that sent them.
//!
//! A day is rolled up once, shortly after it ends (UTC), by the scheduler that holds the
//! `reports` lease: a state (devices failing a rule) is counted as it stands then, events
//! (alerts opened) are counted by their time inside the day. A day rolled up late takes its
//! device counts from the day's last hourly snapshot and leaves out the states it can no
//! longer see. Rolling a day up again replaces its rows in one transaction, so two servers
//! doing it at once (a lease lost mid-pass) leave one set.

use std::collections::BTreeMap;

use sqlx::Row;
use steward_core::compliance::{RuleOutcome, RuleResult};
use steward_core::reports::DAY_MS;

use crate::audit::{self, Actor, AuditRecord};
use crate::fleet::FleetCount;
use crate::{values_placeholders, Result, Store, StoreError};

/// One figure of one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub section: &'static str,
    pub day: i64,
    pub group: String,
    pub subject: String,
    pub metric: String,
    pub value: i64,
}

/// A stored rollup row as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    pub day: i64,
    pub group: String,
    pub subject: String,
    pub metric: String,
    pub value: i64,
}

/// What the rollup of a day counts beside the database: figures only the server knows (the
/// readiness checklist), and the fleet's counts when the day has just ended.
#[derive(Debug, Default)]
pub struct DayExtras {
    /// The fleet as it stands now, when the day ended moments ago.
    pub live: Option<Vec<FleetCount>>,
    /// Checklist items and whether each passes now.
    pub readiness: Vec<(String, bool)>,
}

/// A stored scheduled report.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSchedule {
    pub id: String,
    pub body: steward_proto::reports::ReportScheduleBody,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub next_run_at: i64,
}

/// One report to record and send.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub id: String,
    pub schedule_id: String,
    pub period_from: i64,
    pub period_to: i64,
    pub manual: bool,
    pub created_by: String,
    /// For a scheduled run: the schedule's due time it was made for and the next one. The
    /// run is recorded only while the schedule still says the first.
    pub advance: Option<(i64, i64)>,
}

/// One e-mail of a report: the outbox key (one per report and recipient), the address,
/// its language, subject, HTML summary, and attachments (name, type, bytes).
#[derive(Debug, Clone)]
pub struct ReportMail {
    pub key: String,
    pub user_id: Option<String>,
    pub address: String,
    pub language: String,
    pub subject: String,
    pub html: String,
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

fn run_of(r: &sqlx::any::AnyRow) -> Result<steward_proto::reports::ReportRun> {
    use steward_core::reports::day_label;
    use steward_core::time::to_rfc3339;
    Ok(steward_proto::reports::ReportRun {
        id: r.try_get("id")?,
        schedule_id: r.try_get("schedule_id")?,
        period_from: day_label(r.try_get("period_from")?),
        period_to: day_label(r.try_get::<i64, _>("period_to")? - DAY_MS),
        created_at: to_rfc3339(r.try_get("created_at")?),
        manual: r.try_get::<i64, _>("manual")? != 0,
        recipients: r.try_get::<i64, _>("recipients")? as u32,
        created_by: r.try_get("created_by")?,
    })
}

fn schedule_of(r: &sqlx::any::AnyRow) -> Result<StoredSchedule> {
    let body: String = r.try_get("body")?;
    Ok(StoredSchedule {
        id: r.try_get("id")?,
        body: serde_json::from_str(&body).map_err(|e| StoreError::Invalid(e.to_string()))?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        next_run_at: r.try_get("next_run_at")?,
    })
}

impl Store {
    /// The days rolled up from `since` on, oldest first.
    pub async fn rolled_days(&self, since: i64) -> Result<Vec<i64>> {
        sqlx::query("SELECT day FROM report_days WHERE day >= $1 ORDER BY day")
            .bind(since)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok(r.try_get("day")?))
            .collect()
    }

    /// Counts the figures of the day starting at `day` (see the module's notes).
    pub async fn rollup_figures(&self, day: i64, extras: &DayExtras) -> Result<Vec<Rollup>> {
        let end = day + DAY_MS;
        let mut out: BTreeMap<(&'static str, String, String, String), i64> = BTreeMap::new();
        let mut add =
            |section: &'static str, group: &str, subject: &str, metric: String, v: i64| {
                *out.entry((section, group.to_string(), subject.to_string(), metric))
                    .or_default() += v;
            };
        // Devices: the fleet now, or the day's last hourly snapshot.
        if let Some(live) = &extras.live {
            for c in live {
                let g = c.group.as_deref().unwrap_or("");
                let n = c.count as i64;
                add("devices", g, "", "total".into(), n);
                add("devices", g, "", format!("health:{}", c.health), n);
                add("devices", g, "", format!("compliance:{}", c.compliance), n);
                add("devices", g, "", format!("platform:{}", c.platform), n);
                add(
                    "devices",
                    g,
                    "",
                    format!("checkin:{}", c.freshness.as_str()),
                    n,
                );
            }
        } else {
            let rows = sqlx::query(
                "SELECT device_group, dimension, value, count FROM fleet_snapshots WHERE at = \
                 (SELECT MAX(at) FROM fleet_snapshots WHERE at >= $1 AND at < $2)",
            )
            .bind(day)
            .bind(end)
            .fetch_all(&self.read)
            .await?;
            for r in rows {
                let g: String = r.try_get("device_group")?;
                let dim: String = r.try_get("dimension")?;
                let value: String = r.try_get("value")?;
                let n: i64 = r.try_get("count")?;
                if dim == "health" {
                    add("devices", &g, "", "total".into(), n);
                }
                add("devices", &g, "", format!("{dim}:{value}"), n);
            }
        }
        if extras.live.is_some() {
            self.rollup_states(&mut add).await?;
        }
        for (item, pass) in &extras.readiness {
            add("readiness", "", item, "passing".into(), i64::from(*pass));
        }
        // Alerts opened, acknowledged and resolved inside the day, by severity and by rule.
        let alerts = sqlx::query(
            "SELECT COALESCE(d.device_group, '') AS g, a.rule_id, a.severity, a.fired_at, \
             a.acknowledged_at, a.resolved_at FROM alerts a LEFT JOIN devices d ON d.id = a.device_id \
             WHERE (a.fired_at >= $1 AND a.fired_at < $2) \
             OR (a.acknowledged_at >= $1 AND a.acknowledged_at < $2) \
             OR (a.resolved_at >= $1 AND a.resolved_at < $2)",
        )
        .bind(day)
        .bind(end)
        .fetch_all(&self.read)
        .await?;
        for r in alerts {
            let g: String = r.try_get("g")?;
            let rule: String = r.try_get("rule_id")?;
            let sev: String = r.try_get("severity")?;
            let fired: i64 = r.try_get("fired_at")?;
            let acked: Option<i64> = r.try_get("acknowledged_at")?;
            let resolved: Option<i64> = r.try_get("resolved_at")?;
            let inside = |t: i64| t >= day && t < end;
            for subject in [format!("severity:{sev}"), format!("rule:{rule}")] {
                if inside(fired) {
                    add("alerts", &g, &subject, "opened".into(), 1);
                }
                if let Some(t) = acked.filter(|t| inside(*t)) {
                    add("alerts", &g, &subject, "acknowledged".into(), 1);
                    add("alerts", &g, &subject, "ack_ms".into(), (t - fired).max(0));
                }
                if let Some(t) = resolved.filter(|t| inside(*t)) {
                    add("alerts", &g, &subject, "resolved".into(), 1);
                    add(
                        "alerts",
                        &g,
                        &subject,
                        "resolve_ms".into(),
                        (t - fired).max(0),
                    );
                }
            }
        }
        // Enrollments by result.
        let rows = sqlx::query(
            "SELECT result, COUNT(*) AS n FROM enrollment_attempts WHERE at >= $1 AND at < $2 \
             GROUP BY result",
        )
        .bind(day)
        .bind(end)
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let result: String = r.try_get("result")?;
            let n: i64 = r.try_get("n")?;
            let metric = if result == "success" {
                "succeeded".to_string()
            } else {
                format!("refused:{result}")
            };
            add("enrollments", "", "", metric, n);
        }
        // Knowledge-base answers.
        let rows = sqlx::query(
            "SELECT article_id, solved, COUNT(*) AS n FROM article_feedback \
             WHERE at >= $1 AND at < $2 GROUP BY article_id, solved",
        )
        .bind(day)
        .bind(end)
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let article: String = r.try_get("article_id")?;
            let solved: i64 = r.try_get("solved")?;
            let n: i64 = r.try_get("n")?;
            let metric = if solved != 0 { "solved" } else { "not_solved" };
            add("knowledge", "", &article, metric.into(), n);
        }
        Ok(out
            .into_iter()
            .map(|((section, group, subject, metric), value)| Rollup {
                section,
                day,
                group,
                subject,
                metric,
                value,
            })
            .collect())
    }

    /// The states counted as they stand: rules by policy, app installs, remediation outcomes,
    /// announcement reach.
    async fn rollup_states(
        &self,
        add: &mut impl FnMut(&'static str, &str, &str, String, i64),
    ) -> Result<()> {
        // One parse per distinct set of results: most devices share theirs.
        let rows = sqlx::query(
            "SELECT COALESCE(device_group, '') AS g, compliance_results AS r, COUNT(*) AS n \
             FROM devices WHERE retired_at IS NULL AND compliance_results IS NOT NULL \
             GROUP BY device_group, compliance_results",
        )
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let g: String = r.try_get("g")?;
            let text: String = r.try_get("r")?;
            let n: i64 = r.try_get("n")?;
            let Ok(results) = serde_json::from_str::<Vec<RuleResult>>(&text) else {
                continue;
            };
            for res in results {
                let rule = serde_json::to_value(&res.rule)
                    .ok()
                    .and_then(|v| v["rule"].as_str().map(str::to_string))
                    .unwrap_or_default();
                let outcome = match res.outcome {
                    RuleOutcome::Pass => "pass",
                    RuleOutcome::Fail { .. } => "fail",
                    RuleOutcome::Unknown { .. } => "unknown",
                    RuleOutcome::NotApplicable => "not_applicable",
                };
                let subject = format!("{}/{rule}", res.policy_id);
                add("policies", &g, &subject, outcome.into(), n);
            }
        }
        let rows = sqlx::query(
            "SELECT assignment_id, device_group, state, CAST(SUM(n) AS BIGINT) AS n FROM app_counts \
             GROUP BY assignment_id, device_group, state",
        )
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let a: String = r.try_get("assignment_id")?;
            let g: String = r.try_get("device_group")?;
            let s: String = r.try_get("state")?;
            let n: i64 = r.try_get("n")?;
            add("apps", &g, &a, s, n);
        }
        let rows = sqlx::query(
            "SELECT remediation_id, device_group, state, COUNT(*) AS n FROM remediation_devices \
             GROUP BY remediation_id, device_group, state",
        )
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let id: String = r.try_get("remediation_id")?;
            let g: String = r.try_get("device_group")?;
            let s: String = r.try_get("state")?;
            add("remediations", &g, &id, s, r.try_get("n")?);
        }
        let rows = sqlx::query(
            "SELECT t.announcement_id AS a, COALESCE(d.device_group, '') AS g, COUNT(*) AS n, \
             COUNT(t.delivered_at) AS delivered, COUNT(t.read_at) AS seen \
             FROM announcement_targets t LEFT JOIN devices d ON d.id = t.device_id \
             GROUP BY t.announcement_id, d.device_group",
        )
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let a: String = r.try_get("a")?;
            let g: String = r.try_get("g")?;
            add("announcements", &g, &a, "targets".into(), r.try_get("n")?);
            add(
                "announcements",
                &g,
                &a,
                "delivered".into(),
                r.try_get("delivered")?,
            );
            add("announcements", &g, &a, "read".into(), r.try_get("seen")?);
        }
        Ok(())
    }

    /// Replaces the rows of `day` and marks it rolled up, in one transaction.
    pub async fn put_rollup(&self, day: i64, rows: &[Rollup], now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM report_rollups WHERE day = $1")
            .bind(day)
            .execute(&mut *tx)
            .await?;
        for chunk in rows.chunks(self.backend.rows_per_statement(6)) {
            let sql = format!(
                "INSERT INTO report_rollups (section, day, device_group, subject, metric, value) \
                 VALUES {}",
                values_placeholders(chunk.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.section)
                    .bind(r.day)
                    .bind(r.group.as_str())
                    .bind(r.subject.as_str())
                    .bind(r.metric.as_str())
                    .bind(r.value);
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO report_days (day, rolled_at) VALUES ($1, $2) \
             ON CONFLICT (day) DO UPDATE SET rolled_at = excluded.rolled_at",
        )
        .bind(day)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the days before `before`. Returns how many rows went.
    pub async fn purge_rollups(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM report_rollups WHERE day < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM report_days WHERE day < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The rows of one section from the day `from` to the day before `to`.
    pub async fn rollup_rows(&self, section: &str, from: i64, to: i64) -> Result<Vec<RollupRow>> {
        sqlx::query(
            "SELECT day, device_group, subject, metric, value FROM report_rollups \
             WHERE section = $1 AND day >= $2 AND day < $3 \
             ORDER BY day, device_group, subject, metric",
        )
        .bind(section)
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(RollupRow {
                day: r.try_get("day")?,
                group: r.try_get("device_group")?,
                subject: r.try_get("subject")?,
                metric: r.try_get("metric")?,
                value: r.try_get("value")?,
            })
        })
        .collect()
    }

    // ---- scheduled reports ----

    pub async fn report_schedules(&self) -> Result<Vec<StoredSchedule>> {
        sqlx::query("SELECT * FROM report_schedules ORDER BY name, id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(schedule_of)
            .collect()
    }

    pub async fn report_schedule(&self, id: &str) -> Result<StoredSchedule> {
        let row = sqlx::query("SELECT * FROM report_schedules WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        schedule_of(&row)
    }

    /// Creates a schedule, or replaces one (`create` false).
    pub async fn put_report_schedule(
        &self,
        s: &StoredSchedule,
        create: bool,
        actor: &Actor,
    ) -> Result<()> {
        let body =
            serde_json::to_string(&s.body).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let before = sqlx::query("SELECT body FROM report_schedules WHERE id = $1")
            .bind(&s.id)
            .fetch_optional(&mut *tx)
            .await?;
        match (create, &before) {
            (true, Some(_)) => return Err(StoreError::Conflict(s.id.clone())),
            (false, None) => return Err(StoreError::NotFound),
            _ => {}
        }
        sqlx::query(
            "INSERT INTO report_schedules (id, name, body, created_by, created_at, updated_at, \
             next_run_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
             name = excluded.name, body = excluded.body, updated_at = excluded.updated_at, \
             next_run_at = excluded.next_run_at",
        )
        .bind(&s.id)
        .bind(&s.body.name)
        .bind(&body)
        .bind(&s.created_by)
        .bind(s.created_at)
        .bind(s.updated_at)
        .bind(s.next_run_at)
        .execute(&mut *tx)
        .await?;
        let action = if create {
            "report_schedule.create"
        } else {
            "report_schedule.update"
        };
        let mut rec = AuditRecord::change(actor, s.updated_at, action, "report_schedule", &s.id);
        rec.before = before
            .map(|r| r.try_get::<String, _>("body"))
            .transpose()?
            .and_then(|b| serde_json::from_str(&b).ok());
        rec.after = serde_json::to_value(&s.body).ok();
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_report_schedule(&self, id: &str, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM report_schedules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let rec = AuditRecord::change(actor, now, "report_schedule.delete", "report_schedule", id);
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Schedules due at `now`.
    pub async fn due_report_schedules(&self, now: i64) -> Result<Vec<StoredSchedule>> {
        sqlx::query("SELECT * FROM report_schedules WHERE next_run_at <= $1 ORDER BY next_run_at")
            .bind(now)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(schedule_of)
            .collect()
    }

    /// When the next schedule falls due.
    pub async fn next_report_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(next_run_at) AS at FROM report_schedules")
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get("at")?)
    }

    /// Records a report and queues its e-mails, in one transaction: a scheduled run only while
    /// its schedule is still due at the time it was made for (a second server making the
    /// same period finds it moved on and records nothing). Returns whether it was recorded.
    pub async fn record_report(
        &self,
        run: &NewRun,
        mails: &[ReportMail],
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if let Some((due, next)) = run.advance {
            let moved = sqlx::query(
                "UPDATE report_schedules SET next_run_at = $1 WHERE id = $2 AND next_run_at = $3",
            )
            .bind(next)
            .bind(&run.schedule_id)
            .bind(due)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                return Ok(false);
            }
        }
        let inserted = sqlx::query(
            "INSERT INTO report_runs (id, schedule_id, period_from, period_to, created_at, manual, \
             recipients, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&run.id)
        .bind(&run.schedule_id)
        .bind(run.period_from)
        .bind(run.period_to)
        .bind(now)
        .bind(i64::from(run.manual))
        .bind(mails.len() as i64)
        .bind(&run.created_by)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        for m in mails {
            let queued = sqlx::query(
                "INSERT INTO outbox (id, channel_id, rule_id, kind, subject, body, alert_count, \
                 created_at, state, next_attempt_at, address, language) \
                 VALUES ($1, $2, '', 'report', $3, $4, 0, $5, 'pending', $5, $6, $7) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&m.key)
            .bind(match &m.user_id {
                Some(u) => format!("user:{u}"),
                None => format!("report:{}", run.schedule_id),
            })
            .bind(&m.subject)
            .bind(&m.html)
            .bind(now)
            .bind(&m.address)
            .bind(&m.language)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if queued == 0 {
                continue;
            }
            for (name, kind, data) in &m.attachments {
                sqlx::query(
                    "INSERT INTO outbox_attachments (outbox_id, name, content_type, data) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&m.key)
                .bind(name)
                .bind(kind)
                .bind(data.as_slice())
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut rec = AuditRecord::change(
            &Actor::system(),
            now,
            "report.send",
            "report_schedule",
            &run.schedule_id,
        );
        rec.after = Some(serde_json::json!({
            "run": run.id, "manual": run.manual, "recipients": mails.len(),
            "by": run.created_by,
        }));
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        self.wake(crate::wake::Topic::Outbox);
        Ok(true)
    }

    /// The reports a schedule sent, newest first.
    pub async fn report_runs(
        &self,
        schedule_id: &str,
        limit: u32,
    ) -> Result<Vec<steward_proto::reports::ReportRun>> {
        sqlx::query(
            "SELECT * FROM report_runs WHERE schedule_id = $1 ORDER BY created_at DESC, id DESC \
             LIMIT $2",
        )
        .bind(schedule_id)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(run_of)
        .collect()
    }

    /// The files an outbox e-mail carries: name, type, bytes.
    pub async fn outbox_attachments(
        &self,
        outbox_id: &str,
    ) -> Result<Vec<(String, String, Vec<u8>)>> {
        sqlx::query(
            "SELECT name, content_type, data FROM outbox_attachments WHERE outbox_id = $1 \
             ORDER BY name",
        )
        .bind(outbox_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("name")?,
                r.try_get("content_type")?,
                r.try_get("data")?,
            ))
        })
        .collect()
    }
}
