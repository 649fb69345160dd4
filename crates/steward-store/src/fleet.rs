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
    fn from_code(code: i64) -> Freshness {
        match code {
            0 => Freshness::Day,
            1 => Freshness::Week,
            _ => Freshness::Older,
        }
    }

    fn code(self) -> i64 {
        match self {
            Freshness::Day => 0,
            Freshness::Week => 1,
            Freshness::Older => 2,
        }
    }

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
    ///
    /// Grouped by the columns of the fleet index only, in its order, with freshness summed
    /// per group: a group key computed from when each device was last seen made SQLite sort
    /// a million rows in a temporary B-tree (in memory) before counting them.
    pub async fn fleet_counts(&self, now: i64) -> Result<Vec<FleetCount>> {
        let rows = sqlx::query(&format!(
            "SELECT device_group, platform, health_state, compliance_state, \
             SUM(CASE WHEN last_seen_at >= $1 THEN 1 ELSE 0 END) AS day, \
             SUM(CASE WHEN last_seen_at < $1 AND last_seen_at >= $2 THEN 1 ELSE 0 END) AS week, \
             SUM(CASE WHEN last_seen_at >= $2 THEN 0 ELSE 1 END) AS older \
             FROM {} WHERE retired_at IS NULL \
             GROUP BY device_group, platform, health_state, compliance_state",
            self.backend.devices_seen()
        ))
        .bind(now - DAY_MS)
        .bind(now - 7 * DAY_MS)
        .fetch_all(&self.read)
        .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for r in &rows {
            for (freshness, column) in [
                (Freshness::Day, "day"),
                (Freshness::Week, "week"),
                (Freshness::Older, "older"),
            ] {
                let count: i64 = r.try_get(column)?;
                if count > 0 {
                    counts.push(FleetCount {
                        group: r.try_get("device_group")?,
                        platform: r.try_get("platform")?,
                        health: r.try_get("health_state")?,
                        compliance: r.try_get("compliance_state")?,
                        freshness,
                        count: count as u64,
                    });
                }
            }
        }
        Ok(counts)
    }

    /// Keeps `counts`, taken at `at`, as the fleet's latest, unless counts taken later are
    /// already kept (two servers may recount at once; the later count stays).
    pub async fn save_fleet_counts(&self, at: i64, counts: &[FleetCount]) -> Result<()> {
        let doc: Vec<serde_json::Value> = counts
            .iter()
            .map(|c| {
                serde_json::json!([
                    c.group,
                    c.platform,
                    c.health,
                    c.compliance,
                    c.freshness.code(),
                    c.count
                ])
            })
            .collect();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO fleet_counts_saved (id, at, counts) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET at = excluded.at, counts = excluded.counts \
             WHERE fleet_counts_saved.at < excluded.at",
        )
        .bind(at)
        .bind(serde_json::Value::Array(doc).to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The counts [`Store::save_fleet_counts`] kept last, with their time; `None` before the
    /// first recount, or if the document cannot be read (a recount replaces it).
    pub async fn saved_fleet_counts(&self) -> Result<Option<(i64, Vec<FleetCount>)>> {
        let Some(row) = sqlx::query("SELECT at, counts FROM fleet_counts_saved WHERE id = 1")
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let at: i64 = row.try_get("at")?;
        let doc: String = row.try_get("counts")?;
        type Saved = (Option<String>, String, String, String, i64, u64);
        let Ok(rows) = serde_json::from_str::<Vec<Saved>>(&doc) else {
            tracing::warn!("the saved fleet counts do not read; they wait for a recount");
            return Ok(None);
        };
        let counts = rows
            .into_iter()
            .map(
                |(group, platform, health, compliance, fresh, count)| FleetCount {
                    group,
                    platform,
                    health,
                    compliance,
                    freshness: Freshness::from_code(fresh),
                    count,
                },
            )
            .collect();
        Ok(Some((at, counts)))
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
