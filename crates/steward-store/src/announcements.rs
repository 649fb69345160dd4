//! End-user announcements: who they target, and their delivery to devices through the agent.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use steward_core::awareness::{in_language, PlatformRange};
use steward_core::Lang;
use steward_proto::Platform;

use crate::audit::{self, Actor, AuditRecord};
use crate::{Result, Store, StoreError};

/// An announcement to device owners, written per language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Announcement {
    pub id: String,
    /// The notice it tells users about, if any.
    pub notice_id: Option<String>,
    pub title: std::collections::BTreeMap<Lang, String>,
    pub body: std::collections::BTreeMap<Lang, String>,
    pub default_language: Lang,
    /// Owners of devices on these platforms (and OS versions); empty: every platform.
    pub platforms: Vec<PlatformRange>,
    /// Owners of devices in these groups; empty: every group.
    pub groups: Vec<String>,
    pub created_at: i64,
}

impl Announcement {
    pub fn title(&self, lang: Lang) -> &str {
        in_language(&self.title, lang, self.default_language)
    }

    pub fn body(&self, lang: Lang) -> &str {
        in_language(&self.body, lang, self.default_language)
    }
}

/// A device an announcement reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub device_id: String,
    pub owner: String,
    pub language: Lang,
}

/// Delivery counts of an announcement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reach {
    pub devices: u64,
    pub owners: u64,
    pub delivered: u64,
    pub read: u64,
}

impl Store {
    /// The active devices an announcement targets, with their owner and the owner's language
    /// (the device's locale; `fallback` when it reported none).
    pub async fn announcement_targets(
        &self,
        a: &Announcement,
        fallback: Lang,
    ) -> Result<Vec<Target>> {
        let rows = sqlx::query(
            "SELECT id, owner, platform, os_version, device_group, os_facts FROM devices \
             WHERE retired_at IS NULL AND owner <> ''",
        )
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let platform: String = r.try_get("platform")?;
            let Some(platform) = Platform::parse(&platform) else {
                continue;
            };
            let version: String = r.try_get("os_version")?;
            let group: Option<String> = r.try_get("device_group")?;
            let on_platform =
                a.platforms.is_empty() || a.platforms.iter().any(|p| p.matches(platform, &version));
            let in_group =
                a.groups.is_empty() || group.as_ref().is_some_and(|g| a.groups.contains(g));
            if !(on_platform && in_group) {
                continue;
            }
            let locale = r
                .try_get::<Option<String>, _>("os_facts")?
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["locale"].as_str().map(str::to_string))
                .unwrap_or_default();
            out.push(Target {
                device_id: r.try_get("id")?,
                owner: r.try_get("owner")?,
                language: Lang::parse(&locale).unwrap_or(fallback),
            });
        }
        Ok(out)
    }

    /// Active devices of an owner.
    pub async fn owner_device_count(&self, owner: &str) -> Result<u64> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM devices WHERE owner = $1 AND retired_at IS NULL",
        )
        .bind(owner)
        .fetch_one(&self.read)
        .await?
        .try_get("n")?;
        Ok(n as u64)
    }

    /// Records an announcement and its targets (audited).
    pub async fn create_announcement(
        &self,
        a: &Announcement,
        targets: &[Target],
        actor: &Actor,
    ) -> Result<()> {
        let content = serde_json::to_string(a).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO announcements (id, content, author, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&a.id)
        .bind(content)
        .bind(&actor.name)
        .bind(a.created_at)
        .execute(&mut *tx)
        .await?;
        for chunk in targets.chunks(self.backend.rows_per_statement(4)) {
            let sql = format!(
                "INSERT INTO announcement_targets (announcement_id, device_id, owner, language) \
                 VALUES {}",
                crate::values_placeholders(chunk.len(), 4)
            );
            let mut q = sqlx::query(&sql);
            for t in chunk {
                q = q
                    .bind(&a.id)
                    .bind(&t.device_id)
                    .bind(&t.owner)
                    .bind(t.language.code());
            }
            q.execute(&mut *tx).await?;
        }
        let mut rec = AuditRecord::change(
            actor,
            a.created_at,
            "announcement.create",
            "announcement",
            &a.id,
        );
        rec.after = Some(
            serde_json::json!({"title": a.title(a.default_language), "devices": targets.len()}),
        );
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Mailbox).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Announcements not yet received by their devices: (device, announcement, language).
    pub async fn waiting_announcements(&self) -> Result<Vec<(String, Announcement, Lang)>> {
        let rows = sqlx::query(
            "SELECT t.device_id, t.language, a.content FROM announcement_targets t \
             JOIN announcements a ON a.id = t.announcement_id WHERE t.delivered_at IS NULL",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let a: Announcement = serde_json::from_str(&r.try_get::<String, _>("content")?)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let lang: String = r.try_get("language")?;
                Ok((
                    r.try_get("device_id")?,
                    a,
                    Lang::parse(&lang).unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// Claims an announcement for the answer being sent to a device: `true` unless the device
    /// confirmed it already or another answer offered it less than `lapse_ms` ago (an offer
    /// whose answer was lost is made again after that).
    pub async fn claim_announcement(
        &self,
        announcement_id: &str,
        device_id: &str,
        now: i64,
        lapse_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE announcement_targets SET offered_at = $1 \
             WHERE announcement_id = $2 AND device_id = $3 AND delivered_at IS NULL \
             AND (offered_at IS NULL OR offered_at <= $4)",
        )
        .bind(now)
        .bind(announcement_id)
        .bind(device_id)
        .bind(now - lapse_ms)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The agent received (and, with `read`, showed) an announcement.
    pub async fn announcement_receipt(
        &self,
        announcement_id: &str,
        device_id: &str,
        read: bool,
        now: i64,
    ) -> Result<()> {
        let sql = if read {
            "UPDATE announcement_targets SET delivered_at = COALESCE(delivered_at, $1), \
             read_at = COALESCE(read_at, $1) WHERE announcement_id = $2 AND device_id = $3"
        } else {
            "UPDATE announcement_targets SET delivered_at = COALESCE(delivered_at, $1) \
             WHERE announcement_id = $2 AND device_id = $3"
        };
        sqlx::query(sql)
            .bind(now)
            .bind(announcement_id)
            .bind(device_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The announcements sent to an owner's devices, newest first.
    pub async fn announcements_of_owner(
        &self,
        owner: &str,
        limit: u32,
    ) -> Result<Vec<Announcement>> {
        sqlx::query(
            "SELECT DISTINCT a.content, a.created_at FROM announcement_targets t \
             JOIN announcements a ON a.id = t.announcement_id WHERE t.owner = $1 \
             ORDER BY a.created_at DESC LIMIT $2",
        )
        .bind(owner)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            serde_json::from_str(&r.try_get::<String, _>("content")?)
                .map_err(|e| StoreError::Invalid(e.to_string()))
        })
        .collect()
    }

    /// Announcements, newest first, with their reach.
    pub async fn list_announcements(&self) -> Result<Vec<(Announcement, Reach)>> {
        let rows = sqlx::query(
            "SELECT a.content, COUNT(t.device_id) AS devices, COUNT(DISTINCT t.owner) AS owners, \
             COUNT(t.delivered_at) AS delivered, COUNT(t.read_at) AS readers \
             FROM announcements a LEFT JOIN announcement_targets t ON t.announcement_id = a.id \
             GROUP BY a.id, a.content, a.created_at ORDER BY a.created_at DESC",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let a: Announcement = serde_json::from_str(&r.try_get::<String, _>("content")?)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let n = |c: &str| -> Result<u64> { Ok(r.try_get::<i64, _>(c)? as u64) };
                Ok((
                    a,
                    Reach {
                        devices: n("devices")?,
                        owners: n("owners")?,
                        delivered: n("delivered")?,
                        read: n("readers")?,
                    },
                ))
            })
            .collect()
    }
}
