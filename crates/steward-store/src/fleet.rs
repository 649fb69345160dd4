//! Fleet counts: active devices by group, platform, health, compliance and check-in freshness
//! (one pass over a covering index), and hourly snapshots of them for trends.

use sqlx::Row;

use crate::{values_placeholders, Backend, Result, Store};

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

/// A device's group, platform, health and compliance, as the fleet is counted by.
type Key = (Option<String>, String, String, String);

/// Devices per key, seen within a day, within a week, and earlier.
type Banded = Vec<(Key, [i64; 3])>;

fn key(r: &sqlx::any::AnyRow) -> Result<Key> {
    Ok((
        r.try_get("device_group")?,
        r.try_get("platform")?,
        r.try_get("health_state")?,
        r.try_get("compliance_state")?,
    ))
}

/// What a device's freshness band reads as in SQL, `$1` the start of the last day and `$2`
/// of the last week: seen within a day, within a week, earlier.
const BANDS: [&str; 3] = [
    "last_seen_at >= $1",
    "last_seen_at < $1 AND last_seen_at >= $2",
    "last_seen_at < $2",
];

/// The three sums of a count by band, as columns `b0`, `b1`, `b2`.
fn band_sums() -> String {
    BANDS
        .iter()
        .enumerate()
        .map(|(i, band)| format!("SUM(CASE WHEN {band} THEN 1 ELSE 0 END) AS b{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row's counts by band (see [`band_sums`]).
fn bands_of(r: &sqlx::any::AnyRow) -> Result<[i64; 3]> {
    Ok([r.try_get("b0")?, r.try_get("b1")?, r.try_get("b2")?])
}

/// The fleet counted from every device's row (`devices`: the table, or the devices with when
/// they were last seen: [`Backend::devices_seen`]).
async fn counts_by_row<'e, E>(ex: E, devices: &str, day: i64, week: i64) -> Result<Banded>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(&format!(
        "SELECT device_group, platform, health_state, compliance_state, {} \
         FROM {devices} WHERE retired_at IS NULL \
         GROUP BY device_group, platform, health_state, compliance_state",
        band_sums()
    ))
    .bind(day)
    .bind(week)
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok((key(r)?, bands_of(r)?))).collect()
}

/// The ranges of last seen read row by row when the band `left` (an index of [`BANDS`]) is
/// the one left to the difference: the other two bands, as ranges of the last-seen index.
fn ranges_beside(left: usize) -> &'static [&'static str] {
    match left {
        0 => &["last_seen_at < $1"],
        1 => &["last_seen_at >= $1", "last_seen_at < $2"],
        _ => &["last_seen_at >= $2"],
    }
}

/// The fleet counted from the fleet index, with only the devices outside the largest band
/// read through the last-seen index; those in it are the difference (SQLite; see
/// [`Store::fleet_counts`]).
async fn counts_split(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    day: i64,
    week: i64,
    left: usize,
) -> Result<Banded> {
    let totals = sqlx::query(
        "SELECT device_group, platform, health_state, compliance_state, COUNT(*) AS n \
         FROM devices WHERE retired_at IS NULL \
         GROUP BY device_group, platform, health_state, compliance_state",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut read: std::collections::HashMap<Key, [i64; 3]> = std::collections::HashMap::new();
    for range in ranges_beside(left) {
        let rows = sqlx::query(&format!(
            "SELECT device_group, platform, health_state, compliance_state, {} \
             FROM devices INDEXED BY devices_by_last_seen \
             WHERE retired_at IS NULL AND {range} \
             GROUP BY device_group, platform, health_state, compliance_state",
            band_sums()
        ))
        .bind(day)
        .bind(week)
        .fetch_all(&mut **tx)
        .await?;
        for r in &rows {
            let bands = read.entry(key(r)?).or_default();
            for (b, more) in bands.iter_mut().zip(bands_of(r)?) {
                *b += more;
            }
        }
    }
    totals
        .iter()
        .map(|r| {
            let k = key(r)?;
            let mut bands = read.remove(&k).unwrap_or_default();
            let n: i64 = r.try_get("n")?;
            // The band left holds none of the rows read.
            bands[left] = n - bands.iter().sum::<i64>();
            Ok((k, bands))
        })
        .collect()
}

/// The application name of the connections reading the passes over the fleet on PostgreSQL,
/// which [`Store::sessions_running`] leaves out.
pub const PASS_APPLICATION: &str = "steward fleet pass";

impl Store {
    /// On PostgreSQL, how many other client sessions of this database are running a statement
    /// at this instant (`pg_stat_activity`): every server's check-ins, touch flushes and
    /// notifier, and anyone else's on the database. The reads of passes over the fleet are
    /// left out (their connections are named [`PASS_APPLICATION`]): they do not hold up the
    /// writers a fleet job leaves the database to. PostgreSQL shows the state of another
    /// role's sessions only to a role with `pg_read_all_stats`, so servers sharing a database
    /// share its role (docs/deploy.md).
    ///
    /// `None` on SQLite, where the process counts its one writer's use itself
    /// ([`Store::write_held`]), and on a PostgreSQL that does not track what its sessions do
    /// (`track_activities = off`): nothing can be told there.
    pub async fn sessions_running(&self) -> Result<Option<u32>> {
        if self.backend != crate::Backend::Postgres {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT CAST(CASE WHEN current_setting('track_activities') = 'on' THEN 1 ELSE 0 END \
             AS BIGINT) AS tracked, \
             (SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND backend_type = 'client backend' AND state = 'active' \
             AND pid <> pg_backend_pid() AND application_name <> $1) AS n",
        )
        .bind(PASS_APPLICATION)
        .fetch_one(&self.read)
        .await?;
        if row.try_get::<i64, _>("tracked")? == 0 {
            return Ok(None);
        }
        let n: i64 = row.try_get("n")?;
        Ok(Some(u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// Counts every active device by group, platform, health, compliance and freshness.
    ///
    /// Grouped by the columns of the fleet index only, in its order, with freshness summed
    /// per group: a group key computed from when each device was last seen made SQLite sort
    /// a million rows in a temporary B-tree (in memory) before counting them.
    ///
    /// On SQLite, when one freshness band holds at least half the devices (a fleet that
    /// checks in: seen within a day; one left silent: earlier than a week; after a week
    /// off: within the week), the count is split in reads of one snapshot: every device
    /// counted from the fleet index alone, and only the devices outside that band read
    /// through the last-seen index; those in it are the difference. Reading every row for
    /// its `last_seen_at` took a reader about 4 s at a million devices, warm.
    pub async fn fleet_counts(&self, now: i64) -> Result<Vec<FleetCount>> {
        let (day, week) = (now - DAY_MS, now - 7 * DAY_MS);
        let rows = if self.backend == Backend::Sqlite {
            let mut tx = self.read.begin().await?;
            let seen = sqlx::query(
                "SELECT COUNT(*) AS n, COALESCE(SUM(last_seen_at < $1), 0) AS stale, \
                 COALESCE(SUM(last_seen_at < $2), 0) AS older \
                 FROM devices INDEXED BY devices_by_last_seen",
            )
            .bind(day)
            .bind(week)
            .fetch_one(&mut *tx)
            .await?;
            let (n, stale, older): (i64, i64, i64) = (
                seen.try_get("n")?,
                seen.try_get("stale")?,
                seen.try_get("older")?,
            );
            let sizes = [n - stale, stale - older, older];
            let largest = (0..3).max_by_key(|&i| sizes[i]).unwrap_or(0);
            let rows = if sizes[largest] * 2 >= n {
                counts_split(&mut tx, day, week, largest).await?
            } else {
                counts_by_row(&mut *tx, "devices", day, week).await?
            };
            tx.commit().await?;
            rows
        } else {
            counts_by_row(&self.read, self.backend.devices_seen(), day, week).await?
        };
        let mut counts = Vec::with_capacity(rows.len());
        for ((group, platform, health, compliance), bands) in rows {
            for (freshness, count) in [Freshness::Day, Freshness::Week, Freshness::Older]
                .into_iter()
                .zip(bands)
            {
                if count > 0 {
                    counts.push(FleetCount {
                        group: group.clone(),
                        platform: platform.clone(),
                        health: health.clone(),
                        compliance: compliance.clone(),
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

#[cfg(test)]
mod tests {
    use super::{FleetCount, Freshness, DAY_MS};
    use crate::devices::SeedDevice;

    fn device(id: &str, group: Option<&str>, last_seen_at: i64) -> SeedDevice {
        SeedDevice::linux(id, group, last_seen_at)
    }

    fn band(counts: &[FleetCount], group: Option<&str>, freshness: Freshness) -> u64 {
        counts
            .iter()
            .filter(|c| c.group.as_deref() == group && c.freshness == freshness)
            .map(|c| c.count)
            .sum()
    }

    /// Every way of counting on SQLite gives each device its band, retired devices left out:
    /// split beside the largest band (seen within a day, earlier than a week, within the
    /// week: one or two ranges read), and every row read when no band holds half the fleet.
    #[tokio::test]
    async fn the_fleet_is_counted_by_freshness_whatever_band_holds_most_devices() {
        let now = 100 * DAY_MS;
        let mut fresh = Vec::new();
        for i in 0..10 {
            let group = (i % 2 == 0).then_some("north");
            fresh.push(device(&format!("d{i}"), group, now - i64::from(i) * 1_000));
        }
        fresh.push(device("w1", Some("north"), now - 3 * DAY_MS));
        fresh.push(device("o1", None, now - 30 * DAY_MS));
        fresh.push(device("o2", Some("north"), now - 8 * DAY_MS));
        fresh.push(device("gone", None, now - 40 * DAY_MS));
        // Each round adds devices of one group and age; the band that then holds most of
        // the fleet (of the last-seen index, retired included): day (10 of 14), older (33
        // of 44), week (61 of 104), none (60, 61 and 33 of 154).
        let rounds: [(&str, i64, usize); 4] = [
            ("none", 0, 0),
            ("south", now - 9 * DAY_MS, 30),
            ("east", now - 3 * DAY_MS, 60),
            ("west", now - 1_000, 50),
        ];
        let (_dir, store) = crate::temp_store().await;
        store.seed_devices(&fresh).await.expect("seed");
        sqlx::query("UPDATE devices SET retired_at = 1 WHERE id = 'gone'")
            .execute(&store.write)
            .await
            .expect("retire");
        let mut added: Vec<(&str, Freshness, u64)> = Vec::new();
        for (round, (group, seen, n)) in rounds.into_iter().enumerate() {
            if n > 0 {
                let devices: Vec<_> = (0..n)
                    .map(|i| device(&format!("{group}{i}"), Some(group), seen))
                    .collect();
                store.seed_devices(&devices).await.expect("seed");
                let freshness = match now - seen {
                    age if age <= DAY_MS => Freshness::Day,
                    age if age <= 7 * DAY_MS => Freshness::Week,
                    _ => Freshness::Older,
                };
                added.push((group, freshness, n as u64));
            }
            let counts = store.fleet_counts(now).await.expect("count");
            let at = format!("round {round}: {counts:?}");
            assert_eq!(band(&counts, Some("north"), Freshness::Day), 5, "{at}");
            assert_eq!(band(&counts, None, Freshness::Day), 5, "{at}");
            assert_eq!(band(&counts, Some("north"), Freshness::Week), 1, "{at}");
            assert_eq!(band(&counts, None, Freshness::Week), 0, "{at}");
            assert_eq!(band(&counts, Some("north"), Freshness::Older), 1, "{at}");
            assert_eq!(
                band(&counts, None, Freshness::Older),
                1,
                "retired left out: {at}"
            );
            for (group, freshness, n) in &added {
                for f in [Freshness::Day, Freshness::Week, Freshness::Older] {
                    let want = if f == *freshness { *n } else { 0 };
                    assert_eq!(band(&counts, Some(group), f), want, "{group} {f:?}: {at}");
                }
            }
            assert!(counts.iter().all(|c| c.count > 0), "{at}");
        }
        store.close().await;
    }
}
