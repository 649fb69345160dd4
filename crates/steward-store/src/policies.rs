//! Compliance policies, and the evaluation of devices against them.

use serde_json::Value;
use sqlx::Row;
use steward_core::compliance::{evaluate, ComplianceState, DeviceFacts, Evaluation, Policy};
use steward_proto::{Platform, ProtectionStatus};

use crate::audit::{self, Actor, AuditRecord};
use crate::{values_placeholders, Result, Store, StoreError};

/// Devices evaluated per transaction when the whole fleet is re-evaluated.
const REEVALUATE_BATCH: i64 = 2_000;

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

/// Evaluates one device against the policies assigned to its group.
pub(crate) fn evaluate_device(
    policies: &[Policy],
    group: Option<&str>,
    facts: &DeviceFacts,
    now: i64,
    failing_since: Option<i64>,
) -> Evaluation {
    let assigned: Vec<&Policy> = policies.iter().filter(|p| p.applies_to(group)).collect();
    evaluate(&assigned, facts, now, failing_since)
}

impl Store {
    /// The policies as the writer evaluates them (kept in memory, reloaded on every change).
    pub fn policies(&self) -> std::sync::Arc<Vec<Policy>> {
        self.policies.read().map(|p| p.clone()).unwrap_or_default()
    }

    pub(crate) async fn reload_policies(&self) -> Result<()> {
        let rows = sqlx::query("SELECT * FROM policies ORDER BY name, id")
            .fetch_all(&self.read)
            .await?;
        let list = rows.iter().map(policy_row).collect::<Result<Vec<_>>>()?;
        if let Ok(mut p) = self.policies.write() {
            *p = std::sync::Arc::new(list);
        }
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

    /// Creates or replaces a policy (audited), then re-evaluates every device.
    pub async fn put_policy(&self, p: &Policy, now: i64, actor: &Actor) -> Result<Policy> {
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
        tx.commit().await?;
        self.reload_policies().await?;
        self.reevaluate_all(now).await?;
        Ok(p.clone())
    }

    pub async fn delete_policy(&self, id: &str, now: i64, actor: &Actor) -> Result<()> {
        let before = self.policy(id).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM policies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut rec = AuditRecord::change(actor, now, "policy.delete", "policy", id);
        rec.before = Some(serde_json::to_value(before).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        self.reload_policies().await?;
        self.reevaluate_all(now).await?;
        Ok(())
    }

    /// Re-evaluates every active device against the current policies, a batch per
    /// transaction. Returns how many devices were evaluated.
    pub async fn reevaluate_all(&self, now: i64) -> Result<u64> {
        let policies = self.policies();
        let mut after = String::new();
        let mut total = 0u64;
        loop {
            let rows = sqlx::query(
                "SELECT id, platform, os_version, protection, compliance, last_seen_at, \
                 device_group, failing_since FROM devices \
                 WHERE retired_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
            )
            .bind(&after)
            .bind(REEVALUATE_BATCH)
            .fetch_all(&self.read)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            let mut updates: Vec<(String, String, String, Option<i64>)> =
                Vec::with_capacity(rows.len());
            for r in &rows {
                let platform: String = r.try_get("platform")?;
                let protection: Option<ProtectionStatus> = r
                    .try_get::<Option<String>, _>("protection")?
                    .and_then(|t| serde_json::from_str(&t).ok());
                let compliance: Option<serde_json::Map<String, Value>> = r
                    .try_get::<Option<String>, _>("compliance")?
                    .and_then(|t| serde_json::from_str(&t).ok());
                let os_version: String = r.try_get("os_version")?;
                let group: Option<String> = r.try_get("device_group")?;
                let facts = DeviceFacts {
                    platform: Platform::parse(&platform).unwrap_or(Platform::Linux),
                    os_version: &os_version,
                    protection: protection.as_ref(),
                    compliance: compliance.as_ref(),
                    last_seen_ms: r.try_get("last_seen_at")?,
                };
                let e = evaluate_device(
                    &policies,
                    group.as_deref(),
                    &facts,
                    now,
                    r.try_get("failing_since")?,
                );
                updates.push((
                    r.try_get("id")?,
                    e.state.as_str().to_string(),
                    serde_json::to_string(&e.results).unwrap_or_default(),
                    e.failing_since,
                ));
            }
            let mut tx = self.begin_write().await?;
            for chunk in updates.chunks(200) {
                let sql = format!(
                    "UPDATE devices SET compliance_state = v.column2, compliance_results = v.column3, \
                     failing_since = v.column4 FROM (VALUES {}) AS v WHERE devices.id = v.column1",
                    values_placeholders(chunk.len(), 4)
                );
                let mut q = sqlx::query(&sql);
                for (id, state, results, since) in chunk {
                    q = q
                        .bind(id.as_str())
                        .bind(state.as_str())
                        .bind(results.as_str())
                        .bind(*since);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            total += rows.len() as u64;
        }
        Ok(total)
    }
}

/// Whether a compliance state name is known (for list filters).
pub fn valid_state(s: &str) -> bool {
    ComplianceState::parse(s).is_some()
}
