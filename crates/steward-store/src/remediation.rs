//! Scripts and their immutable versions, remediations with one state row per device, the
//! approvals of risky work, and the diagnostics bundles devices upload.
//!
//! Everything shared work writes here is compared before it is set, so two schedulers
//! overlapping at a lease's hand-over cannot both hand out the same attempt: a device's row
//! is taken for an attempt by a conditional update on its due time, an answer is recorded
//! only while the row still waits for that request, and an approval is decided once, by an
//! administrator other than the one who asked, in the transaction that carries it out.

use sqlx::Row;
use steward_core::time::to_rfc3339;
use steward_proto::remediation::{
    Approval, DeviceRemediation, DeviceState, DiagnosticsInfo, Remediation, RemediationBody,
    Script, ScriptVersion, Shell,
};

use crate::audit::{self, Actor, AuditRecord};
use crate::helpdesk::DeviceRequest;
use crate::writer::insert_event;
use crate::{Result, Store, StoreError};

fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn script_of(r: &sqlx::any::AnyRow) -> Result<Script> {
    Ok(Script {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        shell: Shell::parse(&r.try_get::<String, _>("shell")?).unwrap_or_default(),
        timeout_secs: u32_of(r.try_get("timeout_secs")?),
        version: u32_of(r.try_get("version")?),
        sha256: r.try_get("sha256")?,
        content: r.try_get("content")?,
        helpdesk_version: r.try_get::<Option<i64>, _>("helpdesk_version")?.map(u32_of),
        created_by: r.try_get("created_by")?,
        created_at: to_rfc3339(r.try_get("created_at")?),
        updated_by: r.try_get("updated_by")?,
        updated_at: to_rfc3339(r.try_get("updated_at")?),
    })
}

const SCRIPT_SELECT: &str = "SELECT s.id, s.name, s.description, s.shell, s.timeout_secs, \
     s.version, s.helpdesk_version, s.created_by, s.created_at, s.updated_by, s.updated_at, \
     v.sha256, v.content FROM scripts s JOIN script_versions v \
     ON v.script_id = s.id AND v.version = s.version";

fn remediation_of(r: &sqlx::any::AnyRow) -> Result<Remediation> {
    let body: RemediationBody = serde_json::from_str(&r.try_get::<String, _>("body")?)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(Remediation {
        id: r.try_get("id")?,
        body,
        generation: u32_of(r.try_get("generation")?),
        approved_generation: u32_of(r.try_get("approved_generation")?),
        approval_id: r.try_get("approval_id")?,
        created_by: r.try_get("created_by")?,
        created_at: to_rfc3339(r.try_get("created_at")?),
        updated_at: to_rfc3339(r.try_get("updated_at")?),
    })
}

fn approval_of(r: &sqlx::any::AnyRow) -> Result<Approval> {
    Ok(Approval {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        summary: r.try_get("summary")?,
        devices: u64::try_from(r.try_get::<i64, _>("devices")?).unwrap_or(0),
        state: r.try_get("state")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: to_rfc3339(r.try_get("requested_at")?),
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(to_rfc3339),
        note: r.try_get("note")?,
        payload: serde_json::from_str(&r.try_get::<String, _>("payload")?)
            .unwrap_or(serde_json::Value::Null),
    })
}

fn device_row_of(r: &sqlx::any::AnyRow, max_attempts: u32) -> Result<DeviceRemediation> {
    let exit = |c: &str| -> Result<Option<i32>> {
        Ok(r.try_get::<Option<i64>, _>(c)?
            .and_then(|v| i32::try_from(v).ok()))
    };
    Ok(DeviceRemediation {
        device_id: r.try_get("device_id")?,
        device_name: r.try_get::<Option<String>, _>("name")?.unwrap_or_default(),
        group: r.try_get("device_group")?,
        state: DeviceState::parse(&r.try_get::<String, _>("state")?)
            .unwrap_or(DeviceState::Pending),
        generation: u32_of(r.try_get("generation")?),
        attempt: u32_of(r.try_get("attempt")?),
        max_attempts,
        next_attempt_at: r.try_get::<Option<i64>, _>("next_at")?.map(to_rfc3339),
        detect_exit: exit("detect_exit")?,
        fix_exit: exit("fix_exit")?,
        detect_output: r.try_get("detect_output")?,
        fix_output: r.try_get("fix_output")?,
        after_output: r.try_get("after_output")?,
        updated_at: to_rfc3339(r.try_get("updated_at")?),
    })
}

/// A device's row taken for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRow {
    pub device_id: String,
    /// The attempt about to be made (1 for the first).
    pub attempt: u32,
}

/// A remediation row waiting for a request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub remediation_id: String,
    pub generation: u32,
    pub attempt: u32,
}

/// What an answer sets on a device's row.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub state: &'static str,
    pub next_at: Option<i64>,
    pub detect_exit: Option<i32>,
    pub fix_exit: Option<i32>,
    pub detect_output: Option<String>,
    pub fix_output: Option<String>,
    pub after_output: Option<String>,
}

/// A device's answer to one of its requests (see [`crate::WriteOp::AnswerRequest`]).
#[derive(Debug, Clone)]
pub struct RequestAnswer {
    pub id: String,
    pub device_id: String,
    pub ok: bool,
    pub code: Option<String>,
    pub message: Option<String>,
    pub at: i64,
    /// The remediation row waiting for this request, and what the answer sets on it.
    pub remediation: Option<(Waiting, Recorded)>,
}

/// Records a request's answer (once) and, for a remediation attempt, its outcome on the
/// device's row while the row still waits for that request; in the writer's transaction.
pub(crate) async fn apply_answer(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    a: &RequestAnswer,
) -> Result<crate::WriteOutcome> {
    let n = sqlx::query(
        "UPDATE device_requests SET answered_at = $1, ok = $2, code = $3, message = $4, \
         sent_at = COALESCE(sent_at, $1) WHERE id = $5 AND device_id = $6 AND answered_at IS NULL",
    )
    .bind(a.at)
    .bind(i64::from(a.ok))
    .bind(&a.code)
    .bind(&a.message)
    .bind(&a.id)
    .bind(&a.device_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(crate::WriteOutcome::Stale);
    }
    let answered =
        serde_json::json!({"id": a.id, "ok": a.ok, "code": a.code, "message": a.message});
    let Some((w, out)) = &a.remediation else {
        insert_event(tx, &a.device_id, a.at, "request_answered", &answered).await?;
        return Ok(crate::WriteOutcome::Recorded);
    };
    {
        let n = sqlx::query(
            "UPDATE remediation_devices SET state = $1, next_at = $2, request_id = NULL, \
             detect_exit = $3, fix_exit = $4, detect_output = $5, fix_output = $6, \
             after_output = $7, updated_at = $8 \
             WHERE remediation_id = $9 AND device_id = $10 AND request_id = $11",
        )
        .bind(out.state)
        .bind(out.next_at)
        .bind(out.detect_exit.map(i64::from))
        .bind(out.fix_exit.map(i64::from))
        .bind(&out.detect_output)
        .bind(&out.fix_output)
        .bind(&out.after_output)
        .bind(a.at)
        .bind(&w.remediation_id)
        .bind(&a.device_id)
        .bind(&a.id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        // One history entry: the attempt's outcome (or, for an answer that came too late,
        // the answer alone).
        let (kind, detail) = if n == 1 {
            let detail = serde_json::json!({
                "remediation": w.remediation_id, "attempt": w.attempt, "state": out.state,
            });
            ("remediation", detail)
        } else {
            ("request_answered", answered)
        };
        insert_event(tx, &a.device_id, a.at, kind, &detail).await?;
    }
    Ok(crate::WriteOutcome::Recorded)
}

/// A device failing compliance: its id, group and rule results.
pub struct Failing {
    pub device_id: String,
    pub group: String,
    pub results: Option<String>,
    pub failing_since: Option<i64>,
}

impl Store {
    // ---- scripts ----

    pub async fn scripts(&self) -> Result<Vec<Script>> {
        sqlx::query(&format!("{SCRIPT_SELECT} ORDER BY s.name, s.id"))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(script_of)
            .collect()
    }

    pub async fn script(&self, id: &str) -> Result<Script> {
        let row = sqlx::query(&format!("{SCRIPT_SELECT} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        script_of(&row)
    }

    pub async fn script_versions(&self, id: &str) -> Result<Vec<ScriptVersion>> {
        sqlx::query(
            "SELECT script_id, version, sha256, content, created_by, created_at \
             FROM script_versions WHERE script_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(ScriptVersion {
                script_id: r.try_get("script_id")?,
                version: u32_of(r.try_get("version")?),
                sha256: r.try_get("sha256")?,
                content: r.try_get("content")?,
                created_by: r.try_get("created_by")?,
                created_at: to_rfc3339(r.try_get("created_at")?),
            })
        })
        .collect()
    }

    /// One version of a script (the help desk's cleared one, say).
    pub async fn script_version(&self, id: &str, version: u32) -> Result<ScriptVersion> {
        self.script_versions(id)
            .await?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or(StoreError::NotFound)
    }

    /// A script's text by its hash, for the agent's download.
    pub async fn script_content(&self, sha256: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query("SELECT content FROM script_versions WHERE sha256 = $1 LIMIT 1")
                .bind(sha256)
                .fetch_optional(&self.read)
                .await?
                .map(|r| r.try_get::<String, _>(0))
                .transpose()?,
        )
    }

    /// Writes a script: a new one (version 1), or a change of `s.id`. A new text is a new
    /// version; every remediation running the script moves to a new generation, which runs
    /// again once cleared. Returns the script and the remediations that moved.
    pub async fn put_script(
        &self,
        s: &Script,
        create: bool,
        now: i64,
        actor: &Actor,
    ) -> Result<(Script, Vec<String>)> {
        let mut tx = self.begin_write().await?;
        let before = sqlx::query(
            "SELECT s.version, v.sha256 FROM scripts s JOIN script_versions v \
             ON v.script_id = s.id AND v.version = s.version WHERE s.id = $1",
        )
        .bind(&s.id)
        .fetch_optional(&mut *tx)
        .await?;
        let taken = sqlx::query("SELECT id FROM scripts WHERE name = $1 AND id <> $2")
            .bind(&s.name)
            .bind(&s.id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(s.name.clone()));
        }
        let (version, new_text) = match (create, &before) {
            (true, Some(_)) => return Err(StoreError::Conflict(s.id.clone())),
            (false, None) => return Err(StoreError::NotFound),
            (true, None) => (1, true),
            (false, Some(r)) => {
                let v: i64 = r.try_get(0)?;
                let sha: String = r.try_get(1)?;
                if sha == s.sha256 {
                    (v, false)
                } else {
                    (v + 1, true)
                }
            }
        };
        if create {
            sqlx::query(
                "INSERT INTO scripts (id, name, description, shell, timeout_secs, version, \
                 created_by, created_at, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8)",
            )
            .bind(&s.id)
            .bind(&s.name)
            .bind(&s.description)
            .bind(s.shell.as_str())
            .bind(i64::from(s.timeout_secs))
            .bind(version)
            .bind(&actor.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE scripts SET name = $1, description = $2, shell = $3, timeout_secs = $4, \
                 version = $5, updated_by = $6, updated_at = $7 WHERE id = $8",
            )
            .bind(&s.name)
            .bind(&s.description)
            .bind(s.shell.as_str())
            .bind(i64::from(s.timeout_secs))
            .bind(version)
            .bind(&actor.name)
            .bind(now)
            .bind(&s.id)
            .execute(&mut *tx)
            .await?;
        }
        if new_text {
            sqlx::query(
                "INSERT INTO script_versions (script_id, version, sha256, content, created_by, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&s.id)
            .bind(version)
            .bind(&s.sha256)
            .bind(&s.content)
            .bind(&actor.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        // A new version (or a new timeout or shell) runs again wherever the script runs.
        let mut moved = Vec::new();
        if !create {
            for r in sqlx::query("SELECT id, body FROM remediations")
                .fetch_all(&mut *tx)
                .await?
            {
                let body: RemediationBody =
                    match serde_json::from_str(&r.try_get::<String, _>("body")?) {
                        Ok(b) => b,
                        Err(_) => continue,
                    };
                if body.detect_script_id == s.id || body.fix_script_id.as_deref() == Some(&s.id) {
                    let id: String = r.try_get("id")?;
                    sqlx::query(
                        "UPDATE remediations SET generation = generation + 1, \
                         approval_id = NULL, updated_at = $1 WHERE id = $2",
                    )
                    .bind(now)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    moved.push(id);
                }
            }
        }
        let action = if create {
            "script.create"
        } else {
            "script.update"
        };
        let mut rec = AuditRecord::change(actor, now, action, "script", &s.id);
        rec.after = Some(serde_json::json!({
            "name": s.name, "version": version, "sha256": s.sha256, "shell": s.shell.as_str(),
            "timeout_secs": s.timeout_secs, "remediations": moved,
        }));
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok((self.script(&s.id).await?, moved))
    }

    /// Deletes a script no remediation runs.
    pub async fn delete_script(&self, id: &str, now: i64, actor: &Actor) -> Result<()> {
        let used =
            self.remediations().await?.into_iter().any(|r| {
                r.body.detect_script_id == id || r.body.fix_script_id.as_deref() == Some(id)
            });
        if used {
            return Err(StoreError::Conflict(id.to_string()));
        }
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM scripts WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        // Versions stay: devices may still be answering requests that name them.
        let rec = AuditRecord::change(actor, now, "script.delete", "script", id);
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Clears a script's version for the help desk to run on one device.
    pub async fn clear_script(
        &self,
        id: &str,
        version: u32,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE scripts SET helpdesk_version = $1 WHERE id = $2")
            .bind(i64::from(version))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let mut rec = AuditRecord::change(actor, now, "script.clear", "script", id);
        rec.after = Some(serde_json::json!({ "helpdesk_version": version }));
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- remediations ----

    pub async fn remediations(&self) -> Result<Vec<Remediation>> {
        sqlx::query("SELECT * FROM remediations ORDER BY name, id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(remediation_of)
            .collect()
    }

    pub async fn remediation(&self, id: &str) -> Result<Remediation> {
        let row = sqlx::query("SELECT * FROM remediations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        remediation_of(&row)
    }

    /// Creates a remediation (generation 1, not cleared yet), or changes one: a change of what
    /// it runs or where is a new generation, and its targets are looked for again; any other
    /// change keeps the generation, its approval and where each device stands.
    pub async fn put_remediation(
        &self,
        id: &str,
        body: &RemediationBody,
        create: bool,
        now: i64,
        actor: &Actor,
    ) -> Result<Remediation> {
        let text = serde_json::to_string(body).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let before = sqlx::query("SELECT body FROM remediations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        match (create, &before) {
            (true, Some(_)) => return Err(StoreError::Conflict(id.to_string())),
            (false, None) => return Err(StoreError::NotFound),
            _ => {}
        }
        if create {
            sqlx::query(
                "INSERT INTO remediations (id, name, body, generation, approved_generation, \
                 targets_through, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, 1, 0, -1, $4, $5, $5)",
            )
            .bind(id)
            .bind(&body.name)
            .bind(&text)
            .bind(&actor.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            let was: Option<RemediationBody> = before
                .as_ref()
                .and_then(|r| r.try_get::<String, _>("body").ok())
                .and_then(|b| serde_json::from_str(&b).ok());
            let sql = if was.is_some_and(|w| !w.runs_differently(body)) {
                "UPDATE remediations SET name = $1, body = $2, updated_at = $3 WHERE id = $4"
            } else {
                "UPDATE remediations SET name = $1, body = $2, generation = generation + 1, \
                 approval_id = NULL, targets_through = -1, updated_at = $3 WHERE id = $4"
            };
            sqlx::query(sql)
                .bind(&body.name)
                .bind(&text)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let action = if create {
            "remediation.create"
        } else {
            "remediation.update"
        };
        let mut rec = AuditRecord::change(actor, now, action, "remediation", id);
        rec.before = before
            .map(|r| r.try_get::<String, _>("body"))
            .transpose()?
            .and_then(|b| serde_json::from_str(&b).ok());
        rec.after = serde_json::to_value(body).ok();
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        self.remediation(id).await
    }

    pub async fn delete_remediation(&self, id: &str, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM remediations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM remediation_devices WHERE remediation_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let rec = AuditRecord::change(actor, now, "remediation.delete", "remediation", id);
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Clears `generation` to run (its author's own decision when it reaches few devices):
    /// every device starts over with it. A no-op when the remediation moved on meanwhile.
    pub async fn clear_generation(&self, id: &str, generation: u32, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = clear_in(&mut tx, id, generation, now).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Links a generation to the approval it waits for (once).
    pub async fn await_approval(
        &self,
        id: &str,
        generation: u32,
        approval: &Approval,
        requester: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE remediations SET approval_id = $1 WHERE id = $2 AND generation = $3 \
             AND approval_id IS NULL AND approved_generation < generation",
        )
        .bind(&approval.id)
        .bind(id)
        .bind(i64::from(generation))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            insert_approval(&mut tx, approval, requester, actor, now).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Adds the devices a remediation covers that have no row yet: enrolled devices of its
    /// platform and groups, from the time it last looked. Found through the enrolment index
    /// (`platform || ''` keeps SQLite from walking every device of the platform instead, with
    /// the write lock held, each pass).
    pub async fn create_remediation_targets(&self, r: &Remediation, now: i64) -> Result<u64> {
        let row = sqlx::query("SELECT targets_through FROM remediations WHERE id = $1")
            .bind(&r.id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let through: i64 = row.try_get(0)?;
        let groups = &r.body.groups;
        let mut sql = String::from(
            "INSERT INTO remediation_devices (remediation_id, device_id, device_group, \
             generation, state, attempt, next_at, updated_at) \
             SELECT $1, id, COALESCE(device_group, ''), $2, 'pending', 0, $3, $3 FROM devices \
             WHERE platform || '' = $4 AND retired_at IS NULL AND enrolled_at >= $5",
        );
        if !groups.is_empty() {
            let marks: Vec<String> = (0..groups.len()).map(|i| format!("${}", i + 6)).collect();
            sql.push_str(&format!(" AND device_group IN ({})", marks.join(", ")));
        }
        sql.push_str(" ON CONFLICT (remediation_id, device_id) DO NOTHING");
        let mut tx = self.begin_write().await?;
        let mut q = sqlx::query(&sql)
            .bind(&r.id)
            .bind(i64::from(r.generation))
            .bind(now)
            .bind(r.body.platform.as_str())
            .bind(through);
        for g in groups {
            q = q.bind(g);
        }
        let n = if r.body.trigger_rule.is_some() {
            // Rows of a rule-triggered remediation are made by the pass that looks at
            // failing devices.
            0
        } else {
            q.execute(&mut *tx).await?.rows_affected()
        };
        // Devices enrolling during this pass are looked at again next time.
        sqlx::query("UPDATE remediations SET targets_through = $1 WHERE id = $2")
            .bind(now - 60_000)
            .bind(&r.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Devices of a platform (and groups) failing compliance, for rule-triggered work.
    pub async fn failing_devices(&self, platform: &str, groups: &[String]) -> Result<Vec<Failing>> {
        let mut sql = String::from(
            "SELECT id, COALESCE(device_group, '') AS g, compliance_results, failing_since \
             FROM devices WHERE platform = $1 AND retired_at IS NULL \
             AND compliance_state IN ('noncompliant', 'in_grace_period')",
        );
        if !groups.is_empty() {
            let marks: Vec<String> = (0..groups.len()).map(|i| format!("${}", i + 2)).collect();
            sql.push_str(&format!(" AND device_group IN ({})", marks.join(", ")));
        }
        let mut q = sqlx::query(&sql).bind(platform);
        for g in groups {
            q = q.bind(g);
        }
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(Failing {
                    device_id: r.try_get(0)?,
                    group: r.try_get(1)?,
                    results: r.try_get(2)?,
                    failing_since: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Starts a remediation over on devices failing its rule: a new row, or a finished one
    /// older than the failure.
    pub async fn trigger_remediation(
        &self,
        r: &Remediation,
        devices: &[(String, String, i64)],
        now: i64,
    ) -> Result<u64> {
        let mut n = 0;
        let mut tx = self.begin_write().await?;
        for (id, group, since) in devices {
            n += sqlx::query(
                "INSERT INTO remediation_devices (remediation_id, device_id, device_group, \
                 generation, state, attempt, next_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) \
                 ON CONFLICT (remediation_id, device_id) DO UPDATE SET state = 'pending', \
                 attempt = 0, next_at = $5, updated_at = $5 \
                 WHERE remediation_devices.updated_at < $6 AND remediation_devices.next_at IS NULL \
                 AND remediation_devices.request_id IS NULL \
                 AND remediation_devices.state NOT IN ('pending', 'remediating')",
            )
            .bind(&r.id)
            .bind(id)
            .bind(group)
            .bind(i64::from(r.generation))
            .bind(now)
            .bind(*since)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Takes up to `limit` rows due at `now` for their next attempt and writes their
    /// requests, in one transaction of a few statements: the rows are taken by a conditional
    /// update on their due time (so an overlapping scheduler cannot take them too), and only
    /// the rows taken get a request. `make` builds the request of a row; `noted` is given the
    /// requests just before they commit, so that whoever sees them committed (a check-in
    /// after a listing of the device's requests) finds them in the server's mailbox hint too
    /// (a claim made before the commit finds nothing, and the reload that follows the
    /// mailbox's new version puts the hint back).
    pub async fn dispatch_remediation(
        &self,
        r: &Remediation,
        now: i64,
        limit: u32,
        make: impl Fn(&DueRow) -> DeviceRequest,
        noted: impl FnOnce(&[DeviceRequest]),
    ) -> Result<Vec<DeviceRequest>> {
        let rows = sqlx::query(
            "SELECT device_id, attempt FROM remediation_devices \
             WHERE remediation_id = $1 AND next_at <= $2 ORDER BY next_at LIMIT $3",
        )
        .bind(&r.id)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            let d = DueRow {
                device_id: row.try_get(0)?,
                attempt: u32_of(row.try_get::<i64, _>(1)?) + 1,
            };
            let req = make(&d);
            due.push((d, req));
        }
        let mut made = Vec::new();
        if due.is_empty() {
            return Ok(made);
        }
        let mut tx = self.begin_write().await?;
        // Three values per row, four more after them. Each row is found by its key: the
        // unary `+` keeps SQLite from walking the due index instead and comparing every due
        // row with every listed one (tens of milliseconds a statement, with the write lock).
        let per = self.backend.rows_per_statement(3).saturating_sub(2).max(1);
        let mut taken = std::collections::HashSet::new();
        for chunk in due.chunks(per) {
            let n = chunk.len() * 3;
            let sql = format!(
                "UPDATE remediation_devices SET attempt = v.column3, next_at = NULL, \
                 request_id = v.column2, generation = ${g}, updated_at = ${at} \
                 FROM (VALUES {values}) AS v \
                 WHERE remediation_devices.remediation_id = ${rid} \
                 AND remediation_devices.device_id = v.column1 \
                 AND +remediation_devices.next_at <= ${at} RETURNING remediation_devices.device_id",
                values = crate::values_placeholders(chunk.len(), 3),
                g = n + 1,
                at = n + 2,
                rid = n + 3,
            );
            let mut q = sqlx::query(&sql);
            for (d, req) in chunk {
                q = q
                    .bind(d.device_id.as_str())
                    .bind(req.id.as_str())
                    .bind(i64::from(d.attempt));
            }
            for row in q
                .bind(i64::from(r.generation))
                .bind(now)
                .bind(&r.id)
                .fetch_all(&mut *tx)
                .await?
            {
                taken.insert(row.try_get::<String, _>(0)?);
            }
        }
        made.extend(
            due.into_iter()
                .filter(|(d, _)| taken.contains(&d.device_id))
                .map(|(_, req)| req),
        );
        insert_requests(&mut tx, &made, now, self.backend.rows_per_statement(6)).await?;
        if !made.is_empty() {
            crate::shared::bump(&mut tx, crate::shared::Kind::Mailbox).await?;
            noted(&made);
        }
        tx.commit().await?;
        Ok(made)
    }

    /// The remediation row waiting for request `request_id` of a device, with the
    /// remediation's settings (one read).
    pub async fn waiting_for(
        &self,
        request_id: &str,
        device_id: &str,
    ) -> Result<Option<(Waiting, RemediationBody)>> {
        let Some(r) = sqlx::query(
            "SELECT x.remediation_id, x.generation, x.attempt, r.body FROM remediation_devices x \
             JOIN remediations r ON r.id = x.remediation_id \
             WHERE x.device_id = $1 AND x.request_id = $2",
        )
        .bind(device_id)
        .bind(request_id)
        .fetch_optional(&self.read)
        .await?
        else {
            return Ok(None);
        };
        let body: RemediationBody = serde_json::from_str(&r.try_get::<String, _>(3)?)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(Some((
            Waiting {
                remediation_id: r.try_get(0)?,
                generation: u32_of(r.try_get(1)?),
                attempt: u32_of(r.try_get(2)?),
            },
            body,
        )))
    }

    /// Up to `limit` attempts of remediation `id` whose answer is lost: handed to their device
    /// more than `lapse_ms` before `now`, not answered, and the device has checked in since,
    /// `lapse_ms` or more after it was handed the attempt (so a device away, or a server
    /// down, does not lose an answer the agent still holds): (device, request). Found through
    /// the requests in flight (few), in that order (`CROSS JOIN` keeps SQLite from walking
    /// the remediation's rows instead).
    pub async fn lapsed_attempts(
        &self,
        id: &str,
        now: i64,
        lapse_ms: i64,
        limit: u32,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(&format!(
            "SELECT q.device_id, q.id FROM device_requests q \
             CROSS JOIN remediation_devices x CROSS JOIN {} \
             WHERE q.answered_at IS NULL AND q.sent_at IS NOT NULL AND q.sent_at < $1 \
             AND x.remediation_id = $2 AND x.device_id = q.device_id AND x.request_id = q.id \
             AND devices.id = q.device_id AND last_seen_at >= q.sent_at + $3 LIMIT $4",
            self.backend.devices_seen()
        ))
        .bind(now - lapse_ms)
        .bind(id)
        .bind(lapse_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Starts the devices whose remediation failed over ("run again on failed").
    pub async fn rerun_failed(&self, id: &str, now: i64, actor: &Actor) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE remediation_devices SET state = 'pending', attempt = 0, next_at = $1, \
             request_id = NULL, updated_at = $1 \
             WHERE remediation_id = $2 AND state IN ('fix_failed', 'script_error')",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let mut rec = AuditRecord::change(actor, now, "remediation.rerun", "remediation", id);
        rec.after = Some(serde_json::json!({ "devices": n }));
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Devices per group and state (through the index on (remediation, state, group)).
    pub async fn remediation_counts(&self, id: &str) -> Result<Vec<(String, String, u64)>> {
        sqlx::query(
            "SELECT device_group, state, COUNT(*) FROM remediation_devices \
             WHERE remediation_id = $1 GROUP BY device_group, state",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                u64::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
            ))
        })
        .collect()
    }

    /// A remediation's device rows in some states (all when `states` is empty), by device.
    pub async fn remediation_devices(
        &self,
        r: &Remediation,
        states: &[&str],
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeviceRemediation>> {
        let mut sql = String::from(
            "SELECT x.*, d.name FROM remediation_devices x LEFT JOIN devices d \
             ON d.id = x.device_id WHERE x.remediation_id = $1 AND x.device_id > $2",
        );
        if !states.is_empty() {
            let marks: Vec<String> = (0..states.len()).map(|i| format!("${}", i + 4)).collect();
            sql.push_str(&format!(" AND x.state IN ({})", marks.join(", ")));
        }
        sql.push_str(" ORDER BY x.device_id LIMIT $3");
        let mut q = sqlx::query(&sql)
            .bind(&r.id)
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit));
        for s in states {
            q = q.bind(*s);
        }
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(|row| device_row_of(row, r.body.max_attempts))
            .collect()
    }

    /// One device's remediations: (remediation id, name, its row).
    pub async fn device_remediations(
        &self,
        device_id: &str,
    ) -> Result<Vec<(String, String, DeviceRemediation)>> {
        let rows = sqlx::query(
            "SELECT x.*, d.name, r.name AS remediation_name, r.body AS body \
             FROM remediation_devices x JOIN remediations r ON r.id = x.remediation_id \
             LEFT JOIN devices d ON d.id = x.device_id WHERE x.device_id = $1 ORDER BY r.name",
        )
        .bind(device_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let body: Option<RemediationBody> =
                    serde_json::from_str(&row.try_get::<String, _>("body")?).ok();
                let max = body.map_or(1, |b| b.max_attempts);
                Ok((
                    row.try_get("remediation_id")?,
                    row.try_get("remediation_name")?,
                    device_row_of(row, max)?,
                ))
            })
            .collect()
    }

    /// How many devices of a platform (and groups) there are: what a remediation reaches.
    pub async fn count_targets(&self, platform: &str, groups: &[String]) -> Result<u64> {
        let mut sql =
            String::from("SELECT COUNT(*) FROM devices WHERE platform = $1 AND retired_at IS NULL");
        if !groups.is_empty() {
            let marks: Vec<String> = (0..groups.len()).map(|i| format!("${}", i + 2)).collect();
            sql.push_str(&format!(" AND device_group IN ({})", marks.join(", ")));
        }
        let mut q = sqlx::query(&sql).bind(platform);
        for g in groups {
            q = q.bind(g);
        }
        let n: i64 = q.fetch_one(&self.read).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    // ---- device actions and approvals ----

    /// Devices (not retired) whose last report names `threat` among their detections.
    pub async fn devices_with_threat(&self, threat: &str) -> Result<Vec<String>> {
        let needle = format!(
            "%\"threat_name\":{}%",
            serde_json::to_string(threat).map_err(|e| StoreError::Invalid(e.to_string()))?
        );
        sqlx::query(
            "SELECT id FROM devices WHERE retired_at IS NULL AND protection LIKE $1 \
             ORDER BY id LIMIT 10001",
        )
        .bind(needle)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    /// Puts requests in devices' mailboxes, with one audit record for all of them.
    pub async fn create_requests(
        &self,
        requests: &[DeviceRequest],
        now: i64,
        actor: &Actor,
        action: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for r in requests {
            insert_request(&mut tx, r, now).await?;
        }
        let mut rec = AuditRecord::change(
            actor,
            now,
            action,
            "device",
            requests.first().map_or("", |r| r.device_id.as_str()),
        );
        rec.after = Some(serde_json::json!({
            "devices": requests.iter().map(|r| &r.device_id).collect::<Vec<_>>(),
            "kind": requests.first().map(|r| r.kind.as_str()),
            "params": requests.first().map(|r| &r.params),
        }));
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Mailbox).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a request for a second administrator's approval.
    pub async fn create_approval(
        &self,
        a: &Approval,
        requester: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_approval(&mut tx, a, requester, actor, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn approvals(&self, state: Option<&str>) -> Result<Vec<Approval>> {
        let rows =
            match state {
                Some(s) => sqlx::query(
                    "SELECT * FROM approvals WHERE state = $1 ORDER BY requested_at DESC, id DESC",
                )
                .bind(s)
                .fetch_all(&self.read)
                .await?,
                None => {
                    sqlx::query(
                        "SELECT * FROM approvals ORDER BY requested_at DESC, id DESC LIMIT 1000",
                    )
                    .fetch_all(&self.read)
                    .await?
                }
            };
        rows.iter().map(approval_of).collect()
    }

    pub async fn approval(&self, id: &str) -> Result<(Approval, String)> {
        let row = sqlx::query("SELECT * FROM approvals WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((approval_of(&row)?, row.try_get("requester")?))
    }

    /// Decides a pending approval, once, by someone other than its requester, and carries
    /// it out in the same transaction: the requests it holds go to their devices, or the
    /// remediation generation it holds is cleared to run.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        decider: &str,
        note: Option<&str>,
        requests: &[DeviceRequest],
        now: i64,
        actor: &Actor,
    ) -> Result<Approval> {
        let (before, requester) = self.approval(id).await?;
        if requester == decider {
            return Err(StoreError::Invalid("own_request".into()));
        }
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE approvals SET state = $1, decided_by = $2, decided_at = $3, note = $4 \
             WHERE id = $5 AND state = 'pending' AND requester <> $6",
        )
        .bind(if approve { "approved" } else { "refused" })
        .bind(&actor.name)
        .bind(now)
        .bind(note)
        .bind(id)
        .bind(decider)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict(id.to_string()));
        }
        if approve {
            for r in requests {
                insert_request(&mut tx, r, now).await?;
            }
            if !requests.is_empty() {
                crate::shared::bump(&mut tx, crate::shared::Kind::Mailbox).await?;
            }
            if before.kind == "remediation" {
                let rid = before.payload["remediation_id"].as_str().unwrap_or("");
                let generation = before.payload["generation"].as_u64().unwrap_or(0);
                clear_in(&mut tx, rid, u32::try_from(generation).unwrap_or(0), now).await?;
            }
        }
        let action = if approve {
            "approval.approve"
        } else {
            "approval.refuse"
        };
        let mut rec = AuditRecord::change(actor, now, action, "approval", id);
        rec.after = Some(serde_json::json!({
            "kind": before.kind, "summary": before.summary, "devices": before.devices,
            "note": note, "requested_by": before.requested_by,
        }));
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(self.approval(id).await?.0)
    }

    // ---- diagnostics ----

    /// Stores a diagnostics bundle a device uploaded for one of its requests (once).
    pub async fn put_diagnostics(
        &self,
        id: &str,
        device_id: &str,
        data: &[u8],
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "INSERT INTO diagnostics (id, device_id, size, data, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(device_id)
        .bind(i64::try_from(data.len()).unwrap_or(i64::MAX))
        .bind(data)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    pub async fn device_diagnostics(&self, device_id: &str) -> Result<Vec<DiagnosticsInfo>> {
        sqlx::query(
            "SELECT id, device_id, size, created_at FROM diagnostics WHERE device_id = $1 \
             ORDER BY created_at DESC LIMIT 100",
        )
        .bind(device_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(DiagnosticsInfo {
                id: r.try_get(0)?,
                device_id: r.try_get(1)?,
                size: u64::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
                created_at: to_rfc3339(r.try_get(3)?),
            })
        })
        .collect()
    }

    /// A bundle: its device and bytes.
    pub async fn diagnostics(&self, id: &str) -> Result<(String, Vec<u8>)> {
        let row = sqlx::query("SELECT device_id, data FROM diagnostics WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }
}

/// Writes requests and their history entries, a few hundred rows per statement.
async fn insert_requests(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    requests: &[DeviceRequest],
    now: i64,
    per: usize,
) -> Result<()> {
    for chunk in requests.chunks(per.max(1)) {
        let sql = format!(
            "INSERT INTO device_requests (id, device_id, kind, requested_by, requested_at, \
             params) VALUES {}",
            crate::values_placeholders(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.id.as_str())
                .bind(r.device_id.as_str())
                .bind(r.kind.as_str())
                .bind(r.requested_by.as_str())
                .bind(now)
                .bind(r.params.to_string());
        }
        q.execute(&mut **tx).await?;
    }
    let events: Vec<crate::writer::Event> = requests
        .iter()
        .map(|r| crate::writer::Event {
            device_id: r.device_id.clone(),
            at: now,
            kind: "request",
            detail: serde_json::json!({"id": r.id, "kind": r.kind, "by": r.requested_by}),
        })
        .collect();
    crate::writer::insert_events(tx, &events, per.max(1)).await
}

/// Writes one request and its history entry.
pub(crate) async fn insert_request(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    r: &DeviceRequest,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO device_requests (id, device_id, kind, requested_by, requested_at, params) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.id)
    .bind(&r.device_id)
    .bind(&r.kind)
    .bind(&r.requested_by)
    .bind(now)
    .bind(r.params.to_string())
    .execute(&mut **tx)
    .await?;
    insert_event(
        tx,
        &r.device_id,
        now,
        "request",
        &serde_json::json!({"id": r.id, "kind": r.kind, "by": r.requested_by}),
    )
    .await
}

async fn insert_approval(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    a: &Approval,
    requester: &str,
    actor: &Actor,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO approvals (id, kind, summary, payload, devices, state, requested_by, \
         requester, requested_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)",
    )
    .bind(&a.id)
    .bind(&a.kind)
    .bind(&a.summary)
    .bind(a.payload.to_string())
    .bind(i64::try_from(a.devices).unwrap_or(i64::MAX))
    .bind(&a.requested_by)
    .bind(requester)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let mut rec = AuditRecord::change(actor, now, "approval.request", "approval", &a.id);
    rec.after = Some(serde_json::json!({
        "kind": a.kind, "summary": a.summary, "devices": a.devices, "payload": a.payload,
    }));
    audit::insert(tx, &rec).await?;
    Ok(())
}

/// Clears a generation inside a transaction: every device row starts over with it, and
/// requests of older generations not yet handed out are withdrawn.
async fn clear_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    generation: u32,
    now: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE remediations SET approved_generation = $1 WHERE id = $2 AND generation = $1 \
         AND approved_generation < $1",
    )
    .bind(i64::from(generation))
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE device_requests SET sent_at = $1, answered_at = $1, ok = 0, code = 'superseded' \
         WHERE sent_at IS NULL AND id IN (SELECT request_id FROM remediation_devices \
         WHERE remediation_id = $2 AND request_id IS NOT NULL)",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE remediation_devices SET generation = $1, state = 'pending', attempt = 0, \
         next_at = $2, request_id = NULL, updated_at = $2 WHERE remediation_id = $3",
    )
    .bind(i64::from(generation))
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}
