//! The help desk's data: knowledge-base articles and their revisions, feedback on whether an
//! article solved a case, app install results per device, requests to devices and their
//! answers, and looking up a device owner's devices and enrollment attempts.

use std::collections::BTreeMap;

use sqlx::Row;
use steward_core::kb::{Article, ArticleScore};
use steward_core::time::to_rfc3339;
use steward_proto::AppInstall;

use crate::audit::{self, Actor, AuditRecord};
use crate::writer::insert_event;
use crate::{Result, Store, StoreError};

fn article_row(r: &sqlx::any::AnyRow) -> Result<Article> {
    let content: String = r.try_get("content")?;
    serde_json::from_str(&content).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// One revision of an article: what it said, who wrote it and when.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Revision {
    pub revision: u32,
    pub author: String,
    pub at: String,
    pub article: Article,
}

/// An app's install result on a device, as last reported.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InstallResult {
    pub device_id: String,
    #[serde(flatten)]
    pub install: AppInstall,
    pub at: String,
}

/// A request to a device (check in now, full scan, definition update) and its answer.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceRequest {
    pub id: String,
    pub device_id: String,
    pub kind: String,
    pub requested_by: String,
    pub requested_at: String,
    /// When the device was handed the request with a check-in answer.
    pub sent_at: Option<String>,
    pub answered_at: Option<String>,
    pub ok: Option<bool>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// What the request carries for the device (a script's hash, a restart's message …).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub params: serde_json::Value,
}

impl DeviceRequest {
    /// A new request, not handed out yet.
    pub fn new(
        device_id: &str,
        kind: &str,
        requested_by: &str,
        now: i64,
        params: serde_json::Value,
    ) -> DeviceRequest {
        DeviceRequest {
            id: uuid::Uuid::now_v7().to_string(),
            device_id: device_id.to_string(),
            kind: kind.to_string(),
            requested_by: requested_by.to_string(),
            requested_at: to_rfc3339(now),
            sent_at: None,
            answered_at: None,
            ok: None,
            code: None,
            message: None,
            params,
        }
    }
}

fn request_row(r: &sqlx::any::AnyRow) -> Result<DeviceRequest> {
    let at =
        |c: &str| -> Result<Option<String>> { Ok(r.try_get::<Option<i64>, _>(c)?.map(to_rfc3339)) };
    Ok(DeviceRequest {
        id: r.try_get("id")?,
        device_id: r.try_get("device_id")?,
        kind: r.try_get("kind")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: to_rfc3339(r.try_get("requested_at")?),
        sent_at: at("sent_at")?,
        answered_at: at("answered_at")?,
        ok: r.try_get::<Option<i64>, _>("ok")?.map(|v| v != 0),
        code: r.try_get("code")?,
        message: r.try_get("message")?,
        params: r
            .try_get::<Option<String>, _>("params")?
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or(serde_json::Value::Null),
    })
}

impl Store {
    /// Writes an article as a new revision (1 for a new one) with the audit record; a slug
    /// another article has is a conflict.
    pub async fn put_article(&self, a: &Article, actor: &Actor) -> Result<Article> {
        let mut tx = self.begin_write().await?;
        let before = sqlx::query("SELECT content FROM articles WHERE id = $1")
            .bind(&a.id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| article_row(&r))
            .transpose()?;
        let taken = sqlx::query("SELECT id FROM articles WHERE slug = $1 AND id <> $2")
            .bind(&a.slug)
            .bind(&a.id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(a.slug.clone()));
        }
        let mut a = a.clone();
        a.revision = before.as_ref().map_or(1, |b| b.revision + 1);
        let content = serde_json::to_string(&a).map_err(|e| StoreError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO articles (id, slug, content, revision, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET slug = $2, content = $3, revision = $4, updated_at = $5",
        )
        .bind(&a.id)
        .bind(&a.slug)
        .bind(&content)
        .bind(i64::from(a.revision))
        .bind(a.updated_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO article_revisions (article_id, revision, content, author, at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&a.id)
        .bind(i64::from(a.revision))
        .bind(&content)
        .bind(&actor.name)
        .bind(a.updated_at)
        .execute(&mut *tx)
        .await?;
        let action = if before.is_some() {
            "article.update"
        } else {
            "article.create"
        };
        let mut rec = AuditRecord::change(actor, a.updated_at, action, "article", &a.id);
        rec.after = Some(serde_json::json!({"slug": a.slug, "revision": a.revision}));
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(a)
    }

    pub async fn article(&self, id: &str) -> Result<Article> {
        let r = sqlx::query("SELECT content FROM articles WHERE id = $1 OR slug = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        article_row(&r)
    }

    /// Every article (the search index is built from them).
    pub async fn articles(&self) -> Result<Vec<Article>> {
        sqlx::query("SELECT content FROM articles ORDER BY slug")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(article_row)
            .collect()
    }

    /// Articles updated at or after `since` (ms), oldest change first.
    pub async fn articles_changed_since(&self, since: i64) -> Result<Vec<Article>> {
        sqlx::query("SELECT content FROM articles WHERE updated_at >= $1 ORDER BY updated_at")
            .bind(since)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(article_row)
            .collect()
    }

    /// Articles by slug, after `after` (a page of the list).
    pub async fn articles_page(&self, after: Option<&str>, limit: u32) -> Result<Vec<Article>> {
        sqlx::query("SELECT content FROM articles WHERE slug > $1 ORDER BY slug LIMIT $2")
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(article_row)
            .collect()
    }

    pub async fn count_articles(&self) -> Result<u64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM articles")
            .fetch_one(&self.read)
            .await?;
        Ok(r.try_get::<i64, _>("n")? as u64)
    }

    /// Many articles at once, as first revisions (starter articles, benchmarks).
    pub async fn insert_articles(&self, articles: &[Article], actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for a in articles {
            let content =
                serde_json::to_string(a).map_err(|e| StoreError::Invalid(e.to_string()))?;
            sqlx::query(
                "INSERT INTO articles (id, slug, content, revision, updated_at) VALUES ($1, $2, $3, 1, $4)",
            )
            .bind(&a.id)
            .bind(&a.slug)
            .bind(&content)
            .bind(a.updated_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO article_revisions (article_id, revision, content, author, at) \
                 VALUES ($1, 1, $2, $3, $4)",
            )
            .bind(&a.id)
            .bind(&content)
            .bind(&actor.name)
            .bind(a.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An article's revisions, newest first.
    pub async fn article_revisions(&self, id: &str) -> Result<Vec<Revision>> {
        sqlx::query(
            "SELECT revision, content, author, at FROM article_revisions WHERE article_id = $1 \
             ORDER BY revision DESC",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(Revision {
                revision: r.try_get::<i64, _>("revision")? as u32,
                author: r.try_get("author")?,
                at: to_rfc3339(r.try_get("at")?),
                article: article_row(r)?,
            })
        })
        .collect()
    }

    /// Whether an article solved a case (for the failure code the case was about).
    pub async fn article_feedback(
        &self,
        article_id: &str,
        solved: bool,
        code: Option<&str>,
        user_id: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO article_feedback (id, article_id, solved, code, user_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(article_id)
        .bind(i64::from(solved))
        .bind(code)
        .bind(user_id)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Every article's feedback so far.
    pub async fn article_scores(&self) -> Result<BTreeMap<String, ArticleScore>> {
        self.scores(None).await
    }

    /// One article's feedback so far.
    pub async fn article_score(&self, article_id: &str) -> Result<ArticleScore> {
        Ok(self
            .scores(Some(article_id))
            .await?
            .remove(article_id)
            .unwrap_or_default())
    }

    async fn scores(&self, article_id: Option<&str>) -> Result<BTreeMap<String, ArticleScore>> {
        let sql = format!(
            "SELECT article_id, SUM(CASE WHEN solved = 1 THEN 1 ELSE 0 END) AS solved, COUNT(*) AS n \
             FROM article_feedback {} GROUP BY article_id",
            if article_id.is_some() {
                "WHERE article_id = $1"
            } else {
                ""
            }
        );
        let mut q = sqlx::query(&sql);
        if let Some(id) = article_id {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                let solved = r.try_get::<Option<i64>, _>("solved")?.unwrap_or(0) as u64;
                let n = r.try_get::<i64, _>("n")? as u64;
                Ok((
                    r.try_get("article_id")?,
                    ArticleScore {
                        solved,
                        not_solved: n.saturating_sub(solved),
                    },
                ))
            })
            .collect()
    }

    /// How often each failure code was seen since `since`: refused enrollments and failed
    /// app installs.
    pub async fn failure_counts(&self, since: i64) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        for sql in [
            "SELECT result AS code, COUNT(*) AS n FROM enrollment_attempts \
             WHERE at >= $1 AND result <> 'success' GROUP BY result",
            "SELECT error_code AS code, COUNT(*) AS n FROM app_installs \
             WHERE at >= $1 AND state = 'failed' AND error_code IS NOT NULL GROUP BY error_code",
        ] {
            for r in sqlx::query(sql).bind(since).fetch_all(&self.read).await? {
                let code: String = r.try_get("code")?;
                *out.entry(code.to_ascii_lowercase()).or_default() +=
                    r.try_get::<i64, _>("n")? as u64;
            }
        }
        Ok(out)
    }

    /// The app install results of some devices, failures first.
    pub async fn app_installs(&self, device_ids: &[String]) -> Result<Vec<InstallResult>> {
        let mut out = Vec::new();
        for id in device_ids.iter().take(200) {
            let rows = sqlx::query(
                "SELECT app_id, name, version, state, error_code, at FROM app_installs \
                 WHERE device_id = $1 ORDER BY state = 'failed' DESC, name",
            )
            .bind(id)
            .fetch_all(&self.read)
            .await?;
            for r in rows {
                out.push(InstallResult {
                    device_id: id.clone(),
                    install: AppInstall {
                        app_id: r.try_get("app_id")?,
                        name: r.try_get("name")?,
                        version: r.try_get("version")?,
                        state: r.try_get("state")?,
                        error_code: r.try_get("error_code")?,
                        ..AppInstall::default()
                    },
                    at: to_rfc3339(r.try_get("at")?),
                });
            }
        }
        out.sort_by_key(|i| i.install.state != "failed");
        Ok(out)
    }

    /// Device owners whose address starts with `prefix` (case-insensitive), from devices and
    /// from enrollment attempts (someone whose every enrollment failed is an owner too).
    pub async fn owners_matching(&self, prefix: &str, limit: u32) -> Result<Vec<String>> {
        let lower = prefix.trim().to_lowercase();
        if lower.is_empty() {
            return Ok(Vec::new());
        }
        let upper = format!("{lower}\u{10ffff}");
        let mut out = std::collections::BTreeSet::new();
        for sql in [
            "SELECT DISTINCT owner FROM devices WHERE owner >= $1 AND owner < $2 LIMIT $3",
            "SELECT DISTINCT owner FROM enrollment_attempts WHERE owner >= $1 AND owner < $2 LIMIT $3",
        ] {
            for r in sqlx::query(sql)
                .bind(&lower)
                .bind(&upper)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?
            {
                out.insert(r.try_get::<String, _>("owner")?);
            }
        }
        Ok(out.into_iter().take(limit as usize).collect())
    }

    /// Queues a request to a device and writes its audit record.
    pub async fn create_request(&self, r: &DeviceRequest, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        crate::remediation::insert_request(&mut tx, r, now).await?;
        let mut rec = AuditRecord::change(actor, now, "device.request", "device", &r.device_id);
        rec.after = Some(serde_json::json!({"request": r.id, "kind": r.kind}));
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Mailbox).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Requests not handed to their device yet (each server's mailbox hint).
    pub async fn unsent_requests(&self) -> Result<Vec<DeviceRequest>> {
        sqlx::query("SELECT * FROM device_requests WHERE sent_at IS NULL ORDER BY requested_at")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(request_row)
            .collect()
    }

    /// A device's requests, newest first.
    pub async fn device_requests(&self, device_id: &str, limit: u32) -> Result<Vec<DeviceRequest>> {
        sqlx::query(
            "SELECT * FROM device_requests WHERE device_id = $1 ORDER BY requested_at DESC, id DESC \
             LIMIT $2",
        )
        .bind(device_id)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(request_row)
        .collect()
    }

    /// A note on a device's timeline, with its audit record.
    pub async fn add_device_note(
        &self,
        device_id: &str,
        text: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM devices WHERE id = $1")
            .bind(device_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        insert_event(
            &mut tx,
            device_id,
            now,
            "note",
            &serde_json::json!({"by": actor.name, "text": text}),
        )
        .await?;
        audit::insert(
            &mut tx,
            &AuditRecord::change(actor, now, "device.note", "device", device_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Entries of a device's history reported by the device itself (snapshots it set aside).
    pub async fn add_device_events(
        &self,
        device_id: &str,
        events: &[(&str, serde_json::Value)],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (kind, detail) in events {
            insert_event(&mut tx, device_id, now, kind, detail).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
