//! Software distribution: the app catalog and uploaded packages, assignments and their
//! rollout waves, one target row per device and assignment (the state the server holds to be
//! true), the counts of those states, the steps devices report, and the software inventory.
//!
//! Invariants:
//! - `app_counts` follows `app_targets`: a change of one target adjusts its old and new counts
//!   in the same transaction; bulk changes (targets created, timed out, retried) recount their
//!   assignment in their transaction.
//! - A target's `state` is the server's verdict: what the device reported, except that
//!   "installed" (or "removed") the device's own software inventory contradicts is `mismatch`.
//!   `reported_state` keeps what the device said.
//! - A report for an older generation than the target's (a retry started since) changes
//!   nothing.
//! - Software titles (name, version, architecture, source) are never deleted or renumbered, so
//!   a title's id may be cached by any server.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use sqlx::Row;
use steward_core::apps::{AppKind, InstallState, Intent};
use steward_core::time::to_rfc3339;
use steward_proto::apps::{
    App, AppAssignment, AppAttempt, AppTarget, AppVersion, CountPoint, SoftwareDevice,
    SoftwareTitle, StateCount,
};
use steward_proto::{AppInstall, SoftwarePackage};

use crate::audit::{self, Actor, AuditRecord};
use crate::shared::{bump, Kind};
use crate::{values_placeholders, Result, Store, StoreError};

/// Size of one stored piece of an uploaded package.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The catalog as every server holds it in memory (reloaded when the `apps` version moves).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub apps: Vec<App>,
    pub assignments: Vec<AppAssignment>,
}

impl Catalog {
    pub fn app(&self, id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.id == id)
    }

    pub fn version(&self, id: &str) -> Option<(&App, &AppVersion)> {
        self.apps
            .iter()
            .find_map(|a| a.versions.iter().find(|v| v.id == id).map(|v| (a, v)))
    }

    pub fn assignment(&self, id: &str) -> Option<&AppAssignment> {
        self.assignments.iter().find(|a| a.id == id)
    }
}

/// Software title ids already known (titles are immutable: see the module's invariants).
#[derive(Default)]
pub struct TitleIds(Mutex<HashMap<(String, String, String, String), i64>>);

fn key(p: &SoftwarePackage) -> (String, String, String, String) {
    (
        p.name.clone(),
        p.version.clone(),
        p.arch.clone(),
        p.source.clone(),
    )
}

fn rfc(ms: i64) -> String {
    to_rfc3339(ms)
}

fn version_row(r: &sqlx::any::AnyRow) -> Result<AppVersion> {
    Ok(AppVersion {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        version: r.try_get("version")?,
        platform: r.try_get("platform")?,
        kind: r.try_get("kind")?,
        package: r.try_get("package")?,
        arch: r.try_get("arch")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get::<i64, _>("size")?.max(0) as u64,
        created_at: rfc(r.try_get("created_at")?),
    })
}

fn assignment_row(r: &sqlx::any::AnyRow, cat: &[App]) -> Result<AppAssignment> {
    let version_id: String = r.try_get("version_id")?;
    let app_id: String = r.try_get("app_id")?;
    let (app_name, version, platform) = cat
        .iter()
        .find(|a| a.id == app_id)
        .and_then(|a| {
            a.versions
                .iter()
                .find(|v| v.id == version_id)
                .map(|v| (a.name.clone(), v.version.clone(), v.platform.clone()))
        })
        .unwrap_or_default();
    let waves: String = r.try_get("waves")?;
    Ok(AppAssignment {
        id: r.try_get("id")?,
        app_id,
        app_name,
        version_id,
        version,
        platform,
        intent: r.try_get("intent")?,
        group: r.try_get("device_group")?,
        start_at: rfc(r.try_get("start_at")?),
        deadline_at: r.try_get::<Option<i64>, _>("deadline_at")?.map(rfc),
        waves: serde_json::from_str(&waves).map_err(|e| StoreError::Invalid(e.to_string()))?,
        gate_percent: r.try_get::<i64, _>("gate_percent")?.clamp(0, 100) as u8,
        target_percent: r.try_get::<i64, _>("target_percent")?.clamp(0, 100) as u8,
        failure_percent: r.try_get::<i64, _>("failure_percent")?.clamp(0, 100) as u8,
        current_wave: r.try_get::<i64, _>("current_wave")?.max(0) as u32,
        paused: r.try_get::<i64, _>("paused")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: rfc(r.try_get("created_at")?),
        updated_at: rfc(r.try_get("updated_at")?),
    })
}

fn target_row(r: &sqlx::any::AnyRow, cat: &Catalog) -> Result<AppTarget> {
    let assignment_id: String = r.try_get("assignment_id")?;
    let a = cat.assignment(&assignment_id);
    let opt = |s: String| (!s.is_empty()).then_some(s);
    Ok(AppTarget {
        app_id: a.map(|a| a.app_id.clone()).unwrap_or_default(),
        app_name: a.map(|a| a.app_name.clone()).unwrap_or_default(),
        version: a.map(|a| a.version.clone()).unwrap_or_default(),
        intent: a.map(|a| a.intent.clone()).unwrap_or_default(),
        assignment_id,
        device_id: r.try_get("device_id")?,
        device_name: r
            .try_get::<Option<String>, _>("device_name")?
            .unwrap_or_default(),
        group: r.try_get("device_group")?,
        wave: r.try_get::<i64, _>("wave")?.max(0) as u32,
        state: r.try_get("state")?,
        reported_state: r.try_get("reported_state")?,
        error_code: opt(r.try_get("error_code")?),
        message: opt(r.try_get("message")?),
        attempt: r.try_get::<i64, _>("attempt")?.max(0) as u32,
        generation: r.try_get::<i64, _>("generation")?.max(0) as u32,
        updated_at: rfc(r.try_get("updated_at")?),
    })
}

/// Adds `delta` to one count.
async fn add_count(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    assignment_id: &str,
    group: &str,
    wave: i64,
    state: &str,
    code: &str,
    delta: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO app_counts (assignment_id, device_group, wave, state, error_code, n) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (assignment_id, device_group, wave, state, error_code) \
         DO UPDATE SET n = app_counts.n + excluded.n",
    )
    .bind(assignment_id)
    .bind(group)
    .bind(wave)
    .bind(state)
    .bind(code)
    .bind(delta)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Counts an assignment's targets again from the rows.
async fn recount(tx: &mut sqlx::Transaction<'_, sqlx::Any>, assignment_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM app_counts WHERE assignment_id = $1")
        .bind(assignment_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO app_counts (assignment_id, device_group, wave, state, error_code, n) \
         SELECT assignment_id, device_group, wave, state, error_code, COUNT(*) FROM app_targets \
         WHERE assignment_id = $1 GROUP BY assignment_id, device_group, wave, state, error_code",
    )
    .bind(assignment_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The state a new target starts in.
pub fn first_state(intent: &str) -> InstallState {
    if intent == Intent::Available.as_str() {
        InstallState::Available
    } else {
        InstallState::Pending
    }
}

/// A step reported for one target, as the store records it.
pub struct Step<'a> {
    pub report: &'a AppInstall,
    pub assignment: &'a AppAssignment,
    /// The package name and version the inventory should show.
    pub package: &'a str,
    pub wave: u32,
    pub group: &'a str,
}

impl Store {
    pub(crate) async fn reload_apps(&self) -> Result<()> {
        let version = self.shared_version(Kind::Apps).await?;
        let mut apps = Vec::new();
        for r in sqlx::query("SELECT * FROM apps ORDER BY name, id")
            .fetch_all(&self.read)
            .await?
        {
            apps.push(App {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                publisher: r.try_get("publisher")?,
                description: r.try_get("description")?,
                created_at: rfc(r.try_get("created_at")?),
                updated_at: rfc(r.try_get("updated_at")?),
                versions: Vec::new(),
            });
        }
        for r in sqlx::query("SELECT * FROM app_versions ORDER BY created_at DESC, id DESC")
            .fetch_all(&self.read)
            .await?
        {
            let v = version_row(&r)?;
            if let Some(a) = apps.iter_mut().find(|a| a.id == v.app_id) {
                a.versions.push(v);
            }
        }
        let mut assignments = Vec::new();
        for r in sqlx::query("SELECT * FROM app_assignments ORDER BY created_at, id")
            .fetch_all(&self.read)
            .await?
        {
            assignments.push(assignment_row(&r, &apps)?);
        }
        self.apps.set(Catalog { apps, assignments }, version);
        Ok(())
    }

    /// The catalog as this server holds it (at most about a second behind the database).
    pub fn catalog(&self) -> Arc<Catalog> {
        self.apps.get()
    }

    /// Reads the catalog again now (a device reported on an assignment this server has not
    /// loaded yet: it was made through another server a moment ago).
    pub async fn refresh_catalog(&self) -> Result<Arc<Catalog>> {
        self.reload_apps().await?;
        Ok(self.catalog())
    }

    /// The catalog's version (what check-in answers tell devices).
    pub fn apps_version(&self) -> i64 {
        self.apps.version()
    }

    pub async fn create_app(&self, app: &App, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query("SELECT id FROM apps WHERE name = $1")
            .bind(&app.name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(app.name.clone()));
        }
        sqlx::query(
            "INSERT INTO apps (id, name, publisher, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&app.id)
        .bind(&app.name)
        .bind(&app.publisher)
        .bind(&app.description)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut rec = AuditRecord::change(actor, now, "app.create", "app", &app.id);
        rec.after = Some(serde_json::json!({"name": app.name, "publisher": app.publisher}));
        audit::insert(&mut tx, &rec).await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await
    }

    pub async fn update_app(&self, app: &App, now: i64, actor: &Actor) -> Result<()> {
        let before = self
            .catalog()
            .app(&app.id)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query("SELECT id FROM apps WHERE name = $1 AND id <> $2")
            .bind(&app.name)
            .bind(&app.id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(app.name.clone()));
        }
        let n = sqlx::query(
            "UPDATE apps SET name = $2, publisher = $3, description = $4, updated_at = $5 \
             WHERE id = $1",
        )
        .bind(&app.id)
        .bind(&app.name)
        .bind(&app.publisher)
        .bind(&app.description)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let mut rec = AuditRecord::change(actor, now, "app.update", "app", &app.id);
        rec.before = Some(
            serde_json::json!({"name": before.name, "publisher": before.publisher, "description": before.description}),
        );
        rec.after = Some(
            serde_json::json!({"name": app.name, "publisher": app.publisher, "description": app.description}),
        );
        audit::insert(&mut tx, &rec).await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await
    }

    /// Deletes an app without assignments (its versions go with it; uploaded files stay,
    /// other versions may share them).
    pub async fn delete_app(&self, id: &str, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let assigned = sqlx::query("SELECT id FROM app_assignments WHERE app_id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if assigned.is_some() {
            return Err(StoreError::Conflict("assigned".into()));
        }
        let n = sqlx::query("DELETE FROM apps WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM app_versions WHERE app_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::insert(
            &mut tx,
            &AuditRecord::change(actor, now, "app.delete", "app", id),
        )
        .await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await
    }

    pub async fn add_app_version(&self, v: &AppVersion, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query(
            "SELECT id FROM app_versions WHERE app_id = $1 AND platform = $2 AND version = $3",
        )
        .bind(&v.app_id)
        .bind(&v.platform)
        .bind(&v.version)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(v.version.clone()));
        }
        sqlx::query(
            "INSERT INTO app_versions (id, app_id, version, platform, kind, package, arch, sha256, size, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&v.id)
        .bind(&v.app_id)
        .bind(&v.version)
        .bind(&v.platform)
        .bind(&v.kind)
        .bind(&v.package)
        .bind(&v.arch)
        .bind(&v.sha256)
        .bind(v.size as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE apps SET updated_at = $2 WHERE id = $1")
            .bind(&v.app_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let mut rec = AuditRecord::change(actor, now, "app.version.add", "app", &v.app_id);
        rec.after = Some(serde_json::json!({
            "version": v.version, "platform": v.platform, "kind": v.kind,
            "package": v.package, "sha256": v.sha256, "size": v.size,
        }));
        audit::insert(&mut tx, &rec).await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await
    }

    /// Stores an uploaded file under its SHA-256 (once: the same content uploaded again is
    /// kept once), in pieces of [`CHUNK_BYTES`].
    pub async fn put_package(
        &self,
        sha256: &str,
        file_name: &str,
        data: &[u8],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let known = sqlx::query("SELECT sha256 FROM packages WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_some() {
            return Ok(());
        }
        for (n, chunk) in data.chunks(CHUNK_BYTES).enumerate() {
            sqlx::query("INSERT INTO package_chunks (sha256, n, data) VALUES ($1, $2, $3)")
                .bind(sha256)
                .bind(n as i64)
                .bind(chunk.to_vec())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO packages (sha256, size, file_name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(sha256)
        .bind(data.len() as i64)
        .bind(file_name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An uploaded file's size and number of pieces.
    pub async fn package_size(&self, sha256: &str) -> Result<Option<(u64, u64)>> {
        let row = sqlx::query("SELECT size FROM packages WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.read)
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .map(|size| {
                let size = size.max(0) as u64;
                (size, size.div_ceil(CHUNK_BYTES as u64))
            }))
    }

    pub async fn package_chunk(&self, sha256: &str, n: u64) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT data FROM package_chunks WHERE sha256 = $1 AND n = $2")
            .bind(sha256)
            .bind(n as i64)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get(0)?)
    }

    pub async fn create_assignment(
        &self,
        a: &AppAssignment,
        start_ms: i64,
        deadline_ms: Option<i64>,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let waves =
            serde_json::to_string(&a.waves).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO app_assignments (id, app_id, version_id, intent, device_group, start_at, \
             deadline_at, waves, gate_percent, target_percent, failure_percent, current_wave, \
             paused, targets_through, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, -1, $12, $13, $13)",
        )
        .bind(&a.id)
        .bind(&a.app_id)
        .bind(&a.version_id)
        .bind(&a.intent)
        .bind(&a.group)
        .bind(start_ms)
        .bind(deadline_ms)
        .bind(waves)
        .bind(i64::from(a.gate_percent))
        .bind(i64::from(a.target_percent))
        .bind(i64::from(a.failure_percent))
        .bind(&a.created_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut rec = AuditRecord::change(actor, now, "app.assign", "app", &a.app_id);
        rec.after = Some(serde_json::json!({
            "assignment": a.id, "version": a.version, "platform": a.platform,
            "intent": a.intent, "group": a.group, "start_at": a.start_at,
            "deadline_at": a.deadline_at, "waves": a.waves, "gate_percent": a.gate_percent,
        }));
        audit::insert(&mut tx, &rec).await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await
    }

    /// Pauses or resumes an assignment.
    pub async fn pause_assignment(
        &self,
        id: &str,
        paused: bool,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n =
            sqlx::query("UPDATE app_assignments SET paused = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(i64::from(paused))
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let action = if paused {
            "app.assignment.pause"
        } else {
            "app.assignment.resume"
        };
        audit::insert(
            &mut tx,
            &AuditRecord::change(actor, now, action, "app_assignment", id),
        )
        .await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await
    }

    /// Deletes an assignment with its targets and counts (devices are told with the next
    /// catalog version; they leave what they installed in place).
    pub async fn delete_assignment(&self, id: &str, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM app_assignments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        for table in ["app_targets", "app_counts", "app_count_history"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE assignment_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        audit::insert(
            &mut tx,
            &AuditRecord::change(actor, now, "app.assignment.delete", "app_assignment", id),
        )
        .await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await
    }

    /// Creates the target rows of an assignment's devices enrolled since the last pass (all
    /// of them the first time), in batches, and recounts it. Returns the rows created and
    /// whether this was the first pass (devices must be told).
    pub async fn create_targets(&self, a: &AppAssignment, now: i64) -> Result<(u64, bool)> {
        let row = sqlx::query("SELECT targets_through FROM app_assignments WHERE id = $1")
            .bind(&a.id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let through: i64 = row.try_get(0)?;
        let first = through < 0;
        let state = first_state(&a.intent).as_str();
        let mut created = 0u64;
        // Devices in enrollment order from the mark (through the index on (enrolled_at,
        // id)); those enrolled at the mark's millisecond are looked at again, and the insert
        // ignores those already there. Platform, group and retirement are checked here.
        let (mut at, mut after) = (through.max(0), String::new());
        loop {
            let rows = sqlx::query(
                "SELECT id, device_group, platform, enrolled_at, retired_at FROM devices \
                 WHERE enrolled_at > $1 OR (enrolled_at = $1 AND id > $2) \
                 ORDER BY enrolled_at, id LIMIT 5000",
            )
            .bind(at)
            .bind(&after)
            .fetch_all(&self.read)
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut devices = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: String = r.try_get(0)?;
                let group: Option<String> = r.try_get(1)?;
                let platform: String = r.try_get(2)?;
                at = r.try_get(3)?;
                after.clone_from(&id);
                let retired = r.try_get::<Option<i64>, _>(4)?.is_some();
                if retired || platform != a.platform || (a.group.is_some() && group != a.group) {
                    continue;
                }
                devices.push((id, group.unwrap_or_default()));
            }
            let mut tx = self.begin_write().await?;
            let per = self.backend.rows_per_statement(6);
            for chunk in devices.chunks(per) {
                let sql = format!(
                    "INSERT INTO app_targets (assignment_id, device_id, device_group, wave, state, \
                     updated_at) VALUES {} ON CONFLICT (assignment_id, device_id) DO NOTHING",
                    values_placeholders(chunk.len(), 6)
                );
                let mut q = sqlx::query(&sql);
                for (id, group) in chunk {
                    let wave = steward_core::apps::wave_of(
                        &a.waves,
                        &a.id,
                        id,
                        (!group.is_empty()).then_some(group.as_str()),
                    );
                    q = q
                        .bind(&a.id)
                        .bind(id)
                        .bind(group)
                        .bind(i64::from(wave))
                        .bind(state)
                        .bind(now);
                }
                created += q.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        }
        let mut tx = self.begin_write().await?;
        if created > 0 || first {
            recount(&mut tx, &a.id).await?;
        }
        // A minute back: devices enrolled through another server whose clock runs a little
        // behind are still looked at by the next pass.
        sqlx::query("UPDATE app_assignments SET targets_through = $2 WHERE id = $1")
            .bind(&a.id)
            .bind(now - 60_000)
            .execute(&mut *tx)
            .await?;
        if first {
            bump(&mut tx, Kind::Apps).await?;
        }
        tx.commit().await?;
        Ok((created, first))
    }

    /// The device's targets: assignment, state and generation.
    pub async fn device_target_states(
        &self,
        device_id: &str,
    ) -> Result<Vec<(String, String, u32)>> {
        sqlx::query("SELECT assignment_id, state, generation FROM app_targets WHERE device_id = $1")
            .bind(device_id)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get::<i64, _>(2)?.max(0) as u32,
                ))
            })
            .collect()
    }

    /// Adds the targets a device is missing (it enrolled or moved group after the pass that
    /// created them): `(assignment, wave, group)`.
    pub async fn add_targets(
        &self,
        device_id: &str,
        missing: &[(&AppAssignment, u32, String)],
        now: i64,
    ) -> Result<()> {
        if missing.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (a, wave, group) in missing {
            let state = first_state(&a.intent).as_str();
            let n = sqlx::query(
                "INSERT INTO app_targets (assignment_id, device_id, device_group, wave, state, \
                 reported_state, error_code, message, attempt, generation, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, '', '', '', 0, 0, $6) \
                 ON CONFLICT (assignment_id, device_id) DO NOTHING",
            )
            .bind(&a.id)
            .bind(device_id)
            .bind(group)
            .bind(i64::from(*wave))
            .bind(state)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                add_count(&mut tx, &a.id, group, i64::from(*wave), state, "", 1).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether the device's software inventory holds `package` (in `version`, when given);
    /// `None` when the device never sent one.
    async fn inventory_holds(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        device_id: &str,
        package: &str,
        version: Option<&str>,
    ) -> Result<Option<bool>> {
        let known = sqlx::query("SELECT 1 FROM device_software_state WHERE device_id = $1")
            .bind(device_id)
            .fetch_optional(&mut **tx)
            .await?;
        if known.is_none() {
            return Ok(None);
        }
        let mut sql = String::from(
            "SELECT 1 FROM software_titles t JOIN device_software s ON s.title_id = t.id \
             AND s.device_id = $1 WHERE t.name = $2",
        );
        if version.is_some() {
            sql.push_str(" AND t.version = $3");
        }
        let mut q = sqlx::query(&sql).bind(device_id).bind(package);
        if let Some(v) = version {
            q = q.bind(v);
        }
        Ok(Some(q.fetch_optional(&mut **tx).await?.is_some()))
    }

    /// Records the steps a device reported for its targets (and, for every app it reports,
    /// the latest result the help desk sees). A target the device has no row for yet gets one.
    pub async fn record_app_steps(
        &self,
        device_id: &str,
        steps: &[Step<'_>],
        loose: &[AppInstall],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for s in steps {
            let r = s.report;
            let a = s.assignment;
            let current = sqlx::query(
                "SELECT state, error_code, generation, wave, device_group FROM app_targets \
                 WHERE assignment_id = $1 AND device_id = $2",
            )
            .bind(&a.id)
            .bind(device_id)
            .fetch_optional(&mut *tx)
            .await?;
            let (old, generation, wave, group) = match &current {
                Some(row) => (
                    Some((row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?)),
                    row.try_get::<i64, _>(2)?,
                    row.try_get::<i64, _>(3)?,
                    row.try_get::<String, _>(4)?,
                ),
                None => (None, 0, i64::from(s.wave), s.group.to_string()),
            };
            if i64::from(r.generation) < generation {
                continue;
            }
            let reported = InstallState::parse(&r.state).unwrap_or(InstallState::Failed);
            let mut state = reported;
            let mut code = r.error_code.clone().unwrap_or_default();
            let mut message = r.message.clone().unwrap_or_default();
            let version = (!r.version.is_empty()).then_some(r.version.as_str());
            let contradicts = match reported {
                InstallState::Installed => {
                    self.inventory_holds(
                        &mut tx,
                        device_id,
                        s.package,
                        version.or(Some(&a.version)),
                    )
                    .await?
                        == Some(false)
                }
                InstallState::Removed => {
                    self.inventory_holds(&mut tx, device_id, s.package, None)
                        .await?
                        == Some(true)
                }
                _ => false,
            };
            if contradicts {
                state = InstallState::Mismatch;
                code = "inventory_disagrees".into();
                message = format!("{} {}", s.package, version.unwrap_or(&a.version));
            }
            let message = steward_proto::text::clip(&message, 2000).to_string();
            sqlx::query(
                "INSERT INTO app_targets (assignment_id, device_id, device_group, wave, state, \
                 reported_state, error_code, message, attempt, generation, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (assignment_id, device_id) DO UPDATE SET state = $5, \
                 reported_state = $6, error_code = $7, message = $8, attempt = $9, \
                 generation = $10, updated_at = $11",
            )
            .bind(&a.id)
            .bind(device_id)
            .bind(&group)
            .bind(wave)
            .bind(state.as_str())
            .bind(reported.as_str())
            .bind(&code)
            .bind(&message)
            .bind(i64::from(r.attempt))
            .bind(generation.max(i64::from(r.generation)))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some((old_state, old_code)) = &old {
                add_count(&mut tx, &a.id, &group, wave, old_state, old_code, -1).await?;
            }
            add_count(&mut tx, &a.id, &group, wave, state.as_str(), &code, 1).await?;
            sqlx::query(
                "INSERT INTO app_events (assignment_id, device_id, state, error_code, message, attempt, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&a.id)
            .bind(device_id)
            .bind(state.as_str())
            .bind(&code)
            .bind(&message)
            .bind(i64::from(r.attempt))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            upsert_install(
                &mut tx,
                device_id,
                &AppInstall {
                    app_id: a.app_id.clone(),
                    name: a.app_name.clone(),
                    version: a.version.clone(),
                    state: state.as_str().to_string(),
                    error_code: (!code.is_empty()).then(|| code.clone()),
                    ..AppInstall::default()
                },
                now,
            )
            .await?;
        }
        for i in loose.iter().take(500) {
            upsert_install(&mut tx, device_id, i, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Counts of an assignment's targets.
    pub async fn app_counts(&self, assignment_id: &str) -> Result<Vec<StateCount>> {
        sqlx::query(
            "SELECT device_group, wave, state, error_code, n FROM app_counts \
             WHERE assignment_id = $1 AND n <> 0 ORDER BY wave, device_group, state, error_code",
        )
        .bind(assignment_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(StateCount {
                group: r.try_get(0)?,
                wave: r.try_get::<i64, _>(1)?.max(0) as u32,
                state: r.try_get(2)?,
                error_code: r.try_get(3)?,
                count: r.try_get::<i64, _>(4)?.max(0) as u64,
            })
        })
        .collect()
    }

    /// Hourly counts by state since `since`.
    pub async fn app_count_history(
        &self,
        assignment_id: &str,
        since: i64,
    ) -> Result<Vec<CountPoint>> {
        sqlx::query(
            "SELECT at, state, n FROM app_count_history WHERE assignment_id = $1 AND at >= $2 \
             ORDER BY at, state",
        )
        .bind(assignment_id)
        .bind(since)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(CountPoint {
                at: rfc(r.try_get(0)?),
                state: r.try_get(1)?,
                count: r.try_get::<i64, _>(2)?.max(0) as u64,
            })
        })
        .collect()
    }

    /// Keeps this hour's counts of every assignment (once per hour and assignment, whichever
    /// server gets there first).
    pub async fn snapshot_app_counts(&self, hour: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO app_count_history (assignment_id, at, state, n) \
             SELECT assignment_id, $1, state, SUM(n) FROM app_counts GROUP BY assignment_id, state \
             ON CONFLICT (assignment_id, at, state) DO NOTHING",
        )
        .bind(hour)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An assignment's targets, by device id, filtered by state, error code and wave.
    pub async fn app_targets(
        &self,
        assignment_id: &str,
        state: Option<&str>,
        code: Option<&str>,
        wave: Option<u32>,
        after: &str,
        limit: u32,
    ) -> Result<Vec<AppTarget>> {
        let mut sql = String::from(
            "SELECT t.*, d.name AS device_name FROM app_targets t \
             LEFT JOIN devices d ON d.id = t.device_id \
             WHERE t.assignment_id = $1 AND t.device_id > $2",
        );
        let mut n = 2;
        let mut binds: Vec<String> = Vec::new();
        if let Some(s) = state {
            n += 1;
            sql.push_str(&format!(" AND t.state = ${n}"));
            binds.push(s.to_string());
        }
        if let Some(c) = code {
            n += 1;
            sql.push_str(&format!(" AND t.error_code = ${n}"));
            binds.push(c.to_string());
        }
        if let Some(w) = wave {
            sql.push_str(&format!(" AND t.wave = {w}"));
        }
        sql.push_str(&format!(" ORDER BY t.device_id LIMIT {}", limit.min(1000)));
        let mut q = sqlx::query(&sql).bind(assignment_id).bind(after);
        for b in &binds {
            q = q.bind(b);
        }
        let cat = self.catalog();
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| target_row(r, &cat))
            .collect()
    }

    /// A device's apps and their states.
    pub async fn device_apps(&self, device_id: &str) -> Result<Vec<AppTarget>> {
        let cat = self.catalog();
        let mut out = sqlx::query(
            "SELECT t.*, d.name AS device_name FROM app_targets t \
             LEFT JOIN devices d ON d.id = t.device_id WHERE t.device_id = $1",
        )
        .bind(device_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| target_row(r, &cat))
        .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| a.app_name.cmp(&b.app_name));
        Ok(out)
    }

    /// The steps some devices reported, newest first.
    pub async fn app_attempts(&self, device_ids: &[String], limit: u32) -> Result<Vec<AppAttempt>> {
        let cat = self.catalog();
        let mut out = Vec::new();
        for id in device_ids.iter().take(200) {
            for r in sqlx::query(
                "SELECT * FROM app_events WHERE device_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(id)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?
            {
                let assignment_id: String = r.try_get("assignment_id")?;
                let code: String = r.try_get("error_code")?;
                let message: String = r.try_get("message")?;
                out.push((
                    r.try_get::<i64, _>("at")?,
                    AppAttempt {
                        app_name: cat
                            .assignment(&assignment_id)
                            .map(|a| a.app_name.clone())
                            .unwrap_or_default(),
                        assignment_id,
                        device_id: id.clone(),
                        state: r.try_get("state")?,
                        error_code: (!code.is_empty()).then_some(code),
                        message: (!message.is_empty()).then_some(message),
                        attempt: r.try_get::<i64, _>("attempt")?.max(0) as u32,
                        at: String::new(),
                    },
                ));
            }
        }
        out.sort_by_key(|a| std::cmp::Reverse(a.0));
        out.truncate(limit as usize);
        Ok(out
            .into_iter()
            .map(|(at, mut a)| {
                a.at = rfc(at);
                a
            })
            .collect())
    }

    /// Starts another attempt for one device: a new generation, pending again.
    pub async fn retry_target(
        &self,
        assignment_id: &str,
        device_id: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT state, error_code, wave, device_group FROM app_targets \
             WHERE assignment_id = $1 AND device_id = $2",
        )
        .bind(assignment_id)
        .bind(device_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (state, code, wave, group): (String, String, i64, String) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        sqlx::query(
            "UPDATE app_targets SET state = 'pending', reported_state = '', error_code = '', \
             message = '', generation = generation + 1, updated_at = $3 \
             WHERE assignment_id = $1 AND device_id = $2",
        )
        .bind(assignment_id)
        .bind(device_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        add_count(&mut tx, assignment_id, &group, wave, &state, &code, -1).await?;
        add_count(&mut tx, assignment_id, &group, wave, "pending", "", 1).await?;
        let mut rec = AuditRecord::change(actor, now, "app.retry", "device", device_id);
        rec.after =
            Some(serde_json::json!({"assignment": assignment_id, "was": state, "code": code}));
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves an assignment to another version of its app (a fixed build, an upgrade): every
    /// target starts again in a new generation.
    pub async fn set_assignment_version(
        &self,
        a: &AppAssignment,
        version_id: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE app_assignments SET version_id = $2, updated_at = $3 WHERE id = $1")
            .bind(&a.id)
            .bind(version_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE app_targets SET state = $2, reported_state = '', error_code = '', \
             message = '', generation = generation + 1, updated_at = $3 WHERE assignment_id = $1",
        )
        .bind(&a.id)
        .bind(first_state(&a.intent).as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        recount(&mut tx, &a.id).await?;
        let mut rec = AuditRecord::change(
            actor,
            now,
            "app.assignment.version",
            "app_assignment",
            &a.id,
        );
        rec.before = Some(serde_json::json!({"version_id": a.version_id, "version": a.version}));
        rec.after = Some(serde_json::json!({"version_id": version_id}));
        audit::insert(&mut tx, &rec).await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await
    }

    /// Starts another attempt on every device where the assignment failed (failed, blocked,
    /// timed out, mismatch). Returns how many.
    pub async fn retry_failed(&self, assignment_id: &str, now: i64, actor: &Actor) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE app_targets SET state = 'pending', reported_state = '', error_code = '', \
             message = '', generation = generation + 1, updated_at = $2 \
             WHERE assignment_id = $1 AND state IN ('failed', 'blocked', 'timed_out', 'mismatch')",
        )
        .bind(assignment_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        recount(&mut tx, assignment_id).await?;
        let mut rec = AuditRecord::change(
            actor,
            now,
            "app.retry_failed",
            "app_assignment",
            assignment_id,
        );
        rec.after = Some(serde_json::json!({"devices": n}));
        audit::insert(&mut tx, &rec).await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await?;
        Ok(n)
    }

    /// Marks `timed_out` every target still in progress in an open wave of an assignment
    /// whose deadline has passed. Returns how many.
    pub async fn time_out_targets(&self, a: &AppAssignment, now: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE app_targets SET state = 'timed_out', error_code = 'no_answer', updated_at = $3 \
             WHERE assignment_id = $1 AND wave <= $2 \
             AND state IN ('pending', 'downloading', 'installing', 'removing')",
        )
        .bind(&a.id)
        .bind(i64::from(a.current_wave))
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            recount(&mut tx, &a.id).await?;
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Moves an assignment to its next wave if it is still at `from` (so two servers cannot
    /// both move it). Returns whether it moved.
    pub async fn advance_wave(&self, id: &str, from: u32, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE app_assignments SET current_wave = current_wave + 1, updated_at = $3 \
             WHERE id = $1 AND current_wave = $2",
        )
        .bind(id)
        .bind(i64::from(from))
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        let mut rec = AuditRecord::change(
            &Actor::system(),
            now,
            "app.assignment.wave",
            "app_assignment",
            id,
        );
        rec.after = Some(serde_json::json!({"wave": from + 1}));
        audit::insert(&mut tx, &rec).await?;
        bump(&mut tx, Kind::Apps).await?;
        tx.commit().await?;
        self.reload_apps().await?;
        Ok(true)
    }

    /// The hash of the software list last stored for a device.
    pub async fn software_hash(&self, device_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT hash FROM device_software_state WHERE device_id = $1")
            .bind(device_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Ids of software titles, created where missing.
    async fn title_ids(&self, list: &[SoftwarePackage]) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(list.len());
        let mut missing = Vec::new();
        {
            let known = self.title_ids.0.lock().map_err(|_| StoreError::Closed)?;
            for p in list {
                match known.get(&key(p)) {
                    Some(id) => ids.push(*id),
                    None => missing.push(p),
                }
            }
        }
        if missing.is_empty() {
            return Ok(ids);
        }
        let mut tx = self.begin_write().await?;
        for p in &missing {
            sqlx::query(
                "INSERT INTO software_titles (name, version, arch, source, devices) \
                 VALUES ($1, $2, $3, $4, 0) ON CONFLICT (name, version, arch, source) DO NOTHING",
            )
            .bind(&p.name)
            .bind(&p.version)
            .bind(&p.arch)
            .bind(&p.source)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let mut found = Vec::with_capacity(missing.len());
        for p in &missing {
            let row = sqlx::query(
                "SELECT id FROM software_titles WHERE name = $1 AND version = $2 AND arch = $3 AND source = $4",
            )
            .bind(&p.name)
            .bind(&p.version)
            .bind(&p.arch)
            .bind(&p.source)
            .fetch_one(&self.read)
            .await?;
            found.push((key(p), row.try_get::<i64, _>(0)?));
        }
        let mut known = self.title_ids.0.lock().map_err(|_| StoreError::Closed)?;
        for (k, id) in found {
            ids.push(id);
            known.insert(k, id);
        }
        Ok(ids)
    }

    /// Stores a device's software list (what changed since the last one), keeps each title's
    /// device count, and looks again at the device's targets the inventory confirms or
    /// contradicts.
    pub async fn put_software(
        &self,
        device_id: &str,
        hash: &str,
        list: &[SoftwarePackage],
        packages: &(dyn Fn(&str) -> Option<(String, String)> + Sync),
        now: i64,
    ) -> Result<()> {
        let new: BTreeSet<i64> = self.title_ids(list).await?.into_iter().collect();
        let mut tx = self.begin_write().await?;
        let old: BTreeSet<i64> =
            match sqlx::query("SELECT titles FROM device_software_state WHERE device_id = $1")
                .bind(device_id)
                .fetch_optional(&mut *tx)
                .await?
            {
                Some(r) => r
                    .try_get::<String, _>(0)?
                    .split(',')
                    .filter_map(|s| s.parse().ok())
                    .collect(),
                None => BTreeSet::new(),
            };
        let gone: Vec<i64> = old.difference(&new).copied().collect();
        let added: Vec<i64> = new.difference(&old).copied().collect();
        let per = self.backend.rows_per_statement(2);
        for chunk in gone.chunks(per) {
            let marks = |from: usize| {
                (0..chunk.len())
                    .map(|i| format!("${}", i + from))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let sql = format!(
                "DELETE FROM device_software WHERE device_id = $1 AND title_id IN ({})",
                marks(2)
            );
            let mut q = sqlx::query(&sql).bind(device_id);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
            let sql = format!(
                "UPDATE software_titles SET devices = devices - 1 WHERE id IN ({})",
                marks(1)
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in added.chunks(per) {
            let sql = format!(
                "INSERT INTO device_software (title_id, device_id) VALUES {} ON CONFLICT DO NOTHING",
                values_placeholders(chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id).bind(device_id);
            }
            q.execute(&mut *tx).await?;
            let sql = format!(
                "UPDATE software_titles SET devices = devices + 1 WHERE id IN ({})",
                (0..chunk.len())
                    .map(|i| format!("${}", i + 1))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        let titles = new
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(
            "INSERT INTO device_software_state (device_id, hash, titles, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (device_id) DO UPDATE SET hash = $2, titles = $3, updated_at = $4",
        )
        .bind(device_id)
        .bind(hash)
        .bind(&titles)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Targets the inventory now confirms or contradicts.
        let held: BTreeMap<&str, &str> = list
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        let rows = sqlx::query(
            "SELECT assignment_id, state, reported_state, error_code, wave, device_group FROM app_targets \
             WHERE device_id = $1 AND reported_state IN ('installed', 'removed')",
        )
        .bind(device_id)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let assignment_id: String = r.try_get(0)?;
            let Some((package, version)) = packages(&assignment_id) else {
                continue;
            };
            let (state, reported, code): (String, String, String) =
                (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
            let (wave, group): (i64, String) = (r.try_get(4)?, r.try_get(5)?);
            let agrees = match reported.as_str() {
                "installed" => held.get(package.as_str()) == Some(&version.as_str()),
                _ => !held.contains_key(package.as_str()),
            };
            let (new_state, new_code) = if agrees {
                (reported.clone(), String::new())
            } else {
                ("mismatch".to_string(), "inventory_disagrees".to_string())
            };
            if new_state == state && new_code == code {
                continue;
            }
            sqlx::query(
                "UPDATE app_targets SET state = $3, error_code = $4, updated_at = $5 \
                 WHERE assignment_id = $1 AND device_id = $2",
            )
            .bind(&assignment_id)
            .bind(device_id)
            .bind(&new_state)
            .bind(&new_code)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            add_count(&mut tx, &assignment_id, &group, wave, &state, &code, -1).await?;
            add_count(
                &mut tx,
                &assignment_id,
                &group,
                wave,
                &new_state,
                &new_code,
                1,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The software titles of a package name (every version, architecture and source).
    pub async fn software_titles(&self, name: &str) -> Result<Vec<(i64, SoftwareTitle)>> {
        sqlx::query("SELECT * FROM software_titles WHERE name = $1")
            .bind(name)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    SoftwareTitle {
                        name: r.try_get("name")?,
                        version: r.try_get("version")?,
                        arch: r.try_get("arch")?,
                        source: r.try_get("source")?,
                        devices: r.try_get::<i64, _>("devices")?.max(0) as u64,
                    },
                ))
            })
            .collect()
    }

    /// Devices holding any of `titles`, by device id after `after`; each title is read along
    /// its own index range and the pages merged, so the cost follows the page, not the fleet.
    /// `groups` limits them to a caller's groups.
    pub async fn software_devices(
        &self,
        titles: &[(i64, SoftwareTitle)],
        groups: Option<&[String]>,
        after: &str,
        limit: u32,
    ) -> Result<Vec<SoftwareDevice>> {
        let mut out: Vec<SoftwareDevice> = Vec::new();
        for (id, t) in titles {
            let mut sql = String::from(
                "SELECT s.device_id, d.name, d.device_group FROM device_software s \
                 JOIN devices d ON d.id = s.device_id \
                 WHERE s.title_id = $1 AND s.device_id > $2 AND d.retired_at IS NULL",
            );
            // A scoped caller reads further, past devices outside its groups.
            let take = if groups.is_some() { limit * 20 } else { limit };
            sql.push_str(&format!(" ORDER BY s.device_id LIMIT {}", take.min(20_000)));
            for r in sqlx::query(&sql)
                .bind(id)
                .bind(after)
                .fetch_all(&self.read)
                .await?
            {
                let group: Option<String> = r.try_get(2)?;
                if let Some(gs) = groups {
                    if !group.as_ref().is_some_and(|g| gs.contains(g)) {
                        continue;
                    }
                }
                out.push(SoftwareDevice {
                    device_id: r.try_get(0)?,
                    device_name: r.try_get(1)?,
                    version: t.version.clone(),
                    arch: t.arch.clone(),
                });
            }
        }
        out.sort_by(|a, b| a.device_id.cmp(&b.device_id));
        out.truncate(limit as usize);
        Ok(out)
    }
}

impl Store {
    /// For benchmarks: `packages` software titles held by every device (bulk, in SQL).
    pub async fn seed_software(&self, packages: u32, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for i in 0..packages {
            sqlx::query(
                "INSERT INTO software_titles (name, version, arch, source, devices) \
                 VALUES ($1, $2, 'amd64', 'dpkg', 0) ON CONFLICT (name, version, arch, source) DO NOTHING",
            )
            .bind(format!("pkg-{i:03}"))
            .bind(format!("1.{}.0", i % 7))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO device_software (title_id, device_id) \
             SELECT t.id, d.id FROM software_titles t CROSS JOIN devices d \
             WHERE t.name LIKE 'pkg-%' ON CONFLICT DO NOTHING",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE software_titles SET devices = (SELECT COUNT(*) FROM device_software s \
             WHERE s.title_id = software_titles.id) WHERE name LIKE 'pkg-%'",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO device_software_state (device_id, hash, titles, updated_at) \
             SELECT id, 'seeded', '', $1 FROM devices WHERE true ON CONFLICT (device_id) DO NOTHING",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn upsert_install(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    device_id: &str,
    i: &AppInstall,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO app_installs (device_id, app_id, name, version, state, error_code, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (device_id, app_id) DO UPDATE \
         SET name = $3, version = $4, state = $5, error_code = $6, at = $7",
    )
    .bind(device_id)
    .bind(&i.app_id)
    .bind(&i.name)
    .bind(&i.version)
    .bind(&i.state)
    .bind(&i.error_code)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether a kind of version needs an uploaded file.
pub fn uploaded(kind: &str) -> bool {
    AppKind::parse(kind) == Some(AppKind::Deb)
}
