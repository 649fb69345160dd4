//! Fleet counts: active devices by group, platform, health, compliance and check-in freshness
//! (one pass over a covering index), and hourly snapshots of them for trends.

use sqlx::Row;

use crate::{values_placeholders, Result, Store};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How recently a device checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Freshness {
    /// Within the last 24 hours.
    Day,
    /// Within the last 7 days, not the last 24 hours.
    Week,
    Older,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Day => "last_24h",
            Freshness::Week => "last_7d",
            Freshness::Older => "older",
        }
    }
}

/// Active devices sharing one combination of group, platform, health, compliance and freshness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetCount {
    pub group: Option<String>,
    pub platform: String,
    pub health: String,
    pub compliance: String,
    pub freshness: Freshness,
    pub count: u64,
}

/// One point of a trend: devices of `group` (empty: no group) whose `dimension`
/// (health, compliance, platform) was `value` at the hour `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRow {
    pub at: i64,
    pub group: String,
    pub dimension: String,
    pub value: String,
    pub count: u64,
}

impl Store {
    /// Counts every active device by group, platform, health, compliance and freshness.
    pub async fn fleet_counts(&self, now: i64) -> Result<Vec<FleetCount>> {
        let rows = sqlx::query(
            "SELECT device_group, platform, health_state, compliance_state, \
             CASE WHEN last_seen_at >= $1 THEN 0 WHEN last_seen_at >= $2 THEN 1 ELSE 2 END AS fresh, \
             COUNT(*) AS n FROM devices WHERE retired_at IS NULL \
             GROUP BY device_group, platform, health_state, compliance_state, fresh",
        )
        .bind(now - DAY_MS)
        .bind(now - 7 * DAY_MS)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FleetCount {
                    group: r.try_get("device_group")?,
                    platform: r.try_get("platform")?,
                    health: r.try_get("health_state")?,
                    compliance: r.try_get("compliance_state")?,
                    freshness: match r.try_get::<i64, _>("fresh")? {
                        0 => Freshness::Day,
                        1 => Freshness::Week,
                        _ => Freshness::Older,
                    },
                    count: r.try_get::<i64, _>("n")? as u64,
                })
            })
            .collect()
    }

    /// Records the counts of the hour `now` falls in, once per hour (a second call in the
    /// same hour changes nothing). Returns whether a snapshot was written.
    pub async fn snapshot_fleet(&self, counts: &[FleetCount], now: i64) -> Result<bool> {
        let hour = now - now.rem_euclid(HOUR_MS);
        let mut totals = std::collections::BTreeMap::<(String, &str, String), u64>::new();
        for c in counts {
            let group = c.group.clone().unwrap_or_default();
            let fresh = c.freshness.as_str().to_string();
            for (dim, value) in [
                ("health", &c.health),
                ("compliance", &c.compliance),
                ("platform", &c.platform),
                ("checkin", &fresh),
            ] {
                *totals
                    .entry((group.clone(), dim, value.clone()))
                    .or_default() += c.count;
            }
        }
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 AS one FROM fleet_snapshots WHERE at = $1 LIMIT 1")
            .bind(hour)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if exists {
            return Ok(false);
        }
        let rows: Vec<_> = totals.into_iter().collect();
        for chunk in rows.chunks(self.backend.rows_per_statement(5)) {
            let sql = format!(
                "INSERT INTO fleet_snapshots (at, device_group, dimension, value, count) VALUES {} \
                 ON CONFLICT DO NOTHING",
                values_placeholders(chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for ((group, dim, value), n) in chunk {
                q = q
                    .bind(hour)
                    .bind(group.as_str())
                    .bind(*dim)
                    .bind(value.as_str())
                    .bind(*n as i64);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Snapshot rows since `since` of one dimension, oldest first.
    pub async fn fleet_history(&self, dimension: &str, since: i64) -> Result<Vec<SnapshotRow>> {
        let rows = sqlx::query(
            "SELECT at, device_group, dimension, value, count FROM fleet_snapshots \
             WHERE dimension = $1 AND at >= $2 ORDER BY at, device_group, value",
        )
        .bind(dimension)
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SnapshotRow {
                    at: r.try_get("at")?,
                    group: r.try_get("device_group")?,
                    dimension: r.try_get("dimension")?,
                    value: r.try_get("value")?,
                    count: r.try_get::<i64, _>("count")? as u64,
                })
            })
            .collect()
    }
}
