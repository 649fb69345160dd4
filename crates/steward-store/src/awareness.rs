//! Update awareness: notices and each person's state of them, feeds, stored documents (the
//! operational plan), and e-mails to people through the delivery outbox.

use serde::Serialize;
use sqlx::Row;
use steward_core::awareness::{FeedEntry, Notice};
use steward_core::time::to_rfc3339;

use crate::audit::{self, Actor, AuditRecord};
use crate::{Result, Store, StoreError};

/// A person's state of a notice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NoticeState {
    pub read_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub archived: bool,
    pub favourite: bool,
}

/// What a person does with a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeAction {
    Read,
    Acknowledge,
    Archive,
    Unarchive,
    Favourite,
    Unfavourite,
}

/// A vendor feed read into notices.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Feed {
    pub id: String,
    pub name: String,
    pub url: String,
    /// What the imported notices get: category, tags, platforms, features, help_desk …
    /// (a notice without id, title and body).
    pub defaults: serde_json::Value,
    pub interval_minutes: u32,
    pub last_fetched_at: Option<String>,
    pub last_error: Option<String>,
}

fn notice_row(r: &sqlx::any::AnyRow) -> Result<Notice> {
    serde_json::from_str(&r.try_get::<String, _>("content")?)
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

fn state_row(r: &sqlx::any::AnyRow) -> Result<NoticeState> {
    let t =
        |c: &str| -> Result<Option<String>> { Ok(r.try_get::<Option<i64>, _>(c)?.map(to_rfc3339)) };
    Ok(NoticeState {
        read_at: t("read_at")?,
        acknowledged_at: t("acknowledged_at")?,
        archived: r.try_get::<Option<i64>, _>("archived")?.unwrap_or(0) != 0,
        favourite: r.try_get::<Option<i64>, _>("favourite")?.unwrap_or(0) != 0,
    })
}

fn feed_row(r: &sqlx::any::AnyRow) -> Result<Feed> {
    Ok(Feed {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        defaults: serde_json::from_str(&r.try_get::<String, _>("defaults")?).unwrap_or_default(),
        interval_minutes: r.try_get::<i64, _>("interval_minutes")? as u32,
        last_fetched_at: r
            .try_get::<Option<i64>, _>("last_fetched_at")?
            .map(to_rfc3339),
        last_error: r.try_get("last_error")?,
    })
}

async fn write_notice(tx: &mut sqlx::Transaction<'_, sqlx::Any>, n: &Notice) -> Result<()> {
    let content = serde_json::to_string(n).map_err(|e| StoreError::Invalid(e.to_string()))?;
    sqlx::query(
        "INSERT INTO notices (id, source, source_id, content, tags, help_desk, act_by, \
         created_at, updated_at, revised) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET content = $4, tags = $5, help_desk = $6, act_by = $7, \
         updated_at = $9, revised = $10",
    )
    .bind(&n.id)
    .bind(&n.source)
    .bind(&n.source_id)
    .bind(content)
    .bind(n.tags.join(","))
    .bind(i64::from(n.help_desk))
    .bind(n.act_by)
    .bind(n.created_at)
    .bind(n.updated_at)
    .bind(i64::from(n.revised))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Creates or replaces a notice (audited). A replaced notice whose content changed is
    /// marked revised.
    pub async fn put_notice(&self, n: &Notice, actor: &Actor) -> Result<Notice> {
        let before = self.notice(&n.id).await.ok();
        let mut n = n.clone();
        if let Some(b) = &before {
            n.created_at = b.created_at;
            n.source = b.source.clone();
            n.source_id = b.source_id.clone();
            n.revised = b.revised || b.content_differs(&n);
        }
        let mut tx = self.begin_write().await?;
        write_notice(&mut tx, &n).await?;
        let action = if before.is_some() {
            "notice.update"
        } else {
            "notice.create"
        };
        let mut rec = AuditRecord::change(actor, n.updated_at, action, "notice", &n.id);
        rec.after = Some(serde_json::json!({"title": n.title(n.default_language), "tags": n.tags}));
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Imports a feed entry as a notice with the feed's defaults. Returns the notice and
    /// whether it is new; an entry seen before updates its notice (marked revised) only when
    /// its content changed, and gives `None` when it did not.
    pub async fn import_feed_entry(
        &self,
        feed: &Feed,
        entry: &FeedEntry,
        template: &Notice,
        now: i64,
    ) -> Result<Option<(Notice, bool)>> {
        let existing =
            sqlx::query("SELECT content FROM notices WHERE source = $1 AND source_id = $2")
                .bind(&feed.id)
                .bind(&entry.id)
                .fetch_optional(&self.read)
                .await?
                .map(|r| notice_row(&r))
                .transpose()?;
        let mut n = template.clone();
        n.source = feed.id.clone();
        n.source_id = Some(entry.id.clone());
        n.title = [(n.default_language, entry.title.trim().to_string())].into();
        n.body = [(n.default_language, entry.body.clone())].into();
        n.updated_at = now;
        let is_new = existing.is_none();
        match existing {
            Some(old) if !old.content_differs(&n) => return Ok(None),
            Some(old) => {
                n.id = old.id;
                n.created_at = old.created_at;
                n.revised = true;
            }
            None => {
                n.id = uuid::Uuid::now_v7().to_string();
                n.created_at = now;
                n.revised = false;
            }
        }
        let mut tx = self.begin_write().await?;
        write_notice(&mut tx, &n).await?;
        tx.commit().await?;
        Ok(Some((n, is_new)))
    }

    pub async fn notice(&self, id: &str) -> Result<Notice> {
        let r = sqlx::query("SELECT content FROM notices WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        notice_row(&r)
    }

    /// Notices, newest first, with `user_id`'s state of each.
    pub async fn list_notices(
        &self,
        user_id: &str,
        limit: u32,
    ) -> Result<Vec<(Notice, NoticeState)>> {
        self.notices_before(user_id, None, limit).await
    }

    /// Notices newest first, starting after `before` (a notice's creation time and id):
    /// one page of a keyset walk through all of them.
    pub async fn notices_before(
        &self,
        user_id: &str,
        before: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<(Notice, NoticeState)>> {
        let after = if before.is_some() {
            "WHERE n.created_at < $2 OR (n.created_at = $2 AND n.id < $3)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT n.content, s.read_at, s.acknowledged_at, s.archived, s.favourite \
             FROM notices n LEFT JOIN notice_states s ON s.notice_id = n.id AND s.user_id = $1 \
             {after} ORDER BY n.created_at DESC, n.id DESC LIMIT {limit}"
        );
        let mut q = sqlx::query(&sql).bind(user_id);
        if let Some((at, id)) = before {
            q = q.bind(at).bind(id);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| Ok((notice_row(r)?, state_row(r)?)))
            .collect()
    }

    /// One person's state of one notice.
    pub async fn notice_state(&self, notice_id: &str, user_id: &str) -> Result<NoticeState> {
        sqlx::query(
            "SELECT read_at, acknowledged_at, archived, favourite FROM notice_states \
             WHERE notice_id = $1 AND user_id = $2",
        )
        .bind(notice_id)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?
        .map(|r| state_row(&r))
        .transpose()
        .map(Option::unwrap_or_default)
    }

    /// Every notice (for readiness), newest first.
    pub async fn all_notices(&self) -> Result<Vec<Notice>> {
        sqlx::query("SELECT content FROM notices ORDER BY created_at DESC")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(notice_row)
            .collect()
    }

    /// Records what a person did with a notice; acknowledging also marks it read.
    pub async fn notice_action(
        &self,
        notice_id: &str,
        user_id: &str,
        action: NoticeAction,
        now: i64,
    ) -> Result<()> {
        self.notice(notice_id).await?;
        let set = match action {
            NoticeAction::Read => "read_at = COALESCE(notice_states.read_at, $3)",
            NoticeAction::Acknowledge => {
                "read_at = COALESCE(notice_states.read_at, $3), \
                 acknowledged_at = COALESCE(notice_states.acknowledged_at, $3)"
            }
            NoticeAction::Archive => "archived = 1",
            NoticeAction::Unarchive => "archived = 0",
            NoticeAction::Favourite => "favourite = 1",
            NoticeAction::Unfavourite => "favourite = 0",
        };
        let (read, ack) = match action {
            NoticeAction::Read => (Some(now), None),
            NoticeAction::Acknowledge => (Some(now), Some(now)),
            _ => (None, None),
        };
        let archived = i64::from(action == NoticeAction::Archive);
        let favourite = i64::from(action == NoticeAction::Favourite);
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO notice_states (notice_id, user_id, read_at, acknowledged_at, archived, \
             favourite) VALUES ($1, $2, $4, $5, $6, $7) \
             ON CONFLICT (notice_id, user_id) DO UPDATE SET {set}"
        ))
        .bind(notice_id)
        .bind(user_id)
        .bind(now)
        .bind(read)
        .bind(ack)
        .bind(archived)
        .bind(favourite)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who acknowledged which notice: (notice id, user id) pairs.
    pub async fn acknowledgments(&self) -> Result<std::collections::HashSet<(String, String)>> {
        sqlx::query(
            "SELECT notice_id, user_id FROM notice_states WHERE acknowledged_at IS NOT NULL",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("notice_id")?, r.try_get("user_id")?)))
        .collect()
    }

    /// Who acknowledged one notice: user ids.
    pub async fn acknowledged_by(
        &self,
        notice_id: &str,
    ) -> Result<std::collections::HashSet<String>> {
        sqlx::query(
            "SELECT user_id FROM notice_states WHERE notice_id = $1 AND acknowledged_at IS NOT NULL",
        )
        .bind(notice_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("user_id")?))
        .collect()
    }

    pub async fn put_feed(&self, f: &Feed, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO feeds (id, name, url, defaults, interval_minutes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET name = $2, url = $3, \
             defaults = $4, interval_minutes = $5",
        )
        .bind(&f.id)
        .bind(&f.name)
        .bind(&f.url)
        .bind(f.defaults.to_string())
        .bind(i64::from(f.interval_minutes))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut rec = AuditRecord::change(actor, now, "feed.put", "feed", &f.id);
        rec.after = Some(serde_json::to_value(f).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a feed and writes the audit record; the notices it brought stay.
    pub async fn delete_feed(&self, id: &str, now: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM feeds WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        audit::insert(
            &mut tx,
            &AuditRecord::change(actor, now, "feed.delete", "feed", id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_feeds(&self) -> Result<Vec<Feed>> {
        sqlx::query("SELECT * FROM feeds ORDER BY name, id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(feed_row)
            .collect()
    }

    pub async fn feed(&self, id: &str) -> Result<Feed> {
        let r = sqlx::query("SELECT * FROM feeds WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        feed_row(&r)
    }

    /// Feeds whose interval has passed since their last fetch.
    pub async fn due_feeds(&self, now: i64) -> Result<Vec<Feed>> {
        sqlx::query(
            "SELECT * FROM feeds WHERE last_fetched_at IS NULL \
             OR last_fetched_at + interval_minutes * 60000 <= $1",
        )
        .bind(now)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(feed_row)
        .collect()
    }

    pub async fn record_feed_fetch(&self, id: &str, now: i64, error: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE feeds SET last_fetched_at = $1, last_error = $2 WHERE id = $3")
            .bind(now)
            .bind(error)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// A stored document (the operational plan), if any.
    pub async fn document(&self, name: &str) -> Result<Option<serde_json::Value>> {
        Ok(sqlx::query("SELECT body FROM documents WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?
            .map(|r| r.try_get::<String, _>("body"))
            .transpose()?
            .and_then(|b| serde_json::from_str(&b).ok()))
    }

    /// Replaces a stored document (audited with before and after).
    pub async fn put_document(
        &self,
        name: &str,
        body: &serde_json::Value,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let before = self.document(name).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO documents (name, body, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET body = $2, updated_at = $3",
        )
        .bind(name)
        .bind(body.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut rec = AuditRecord::change(actor, now, &format!("{name}.update"), name, name);
        rec.before = before;
        rec.after = Some(body.clone());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues e-mails to people (not channels): each (user id, address, language, subject,
    /// body) becomes an outbox row the deliverer sends like any notification, the n-th not
    /// before `now + n × spacing_ms` (a sending rate limit for mass mailings).
    pub async fn queue_mails_spaced(
        &self,
        kind: &str,
        mails: &[(String, String, String, String, String)],
        now: i64,
        spacing_ms: i64,
    ) -> Result<usize> {
        if mails.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        for (i, (user, address, lang, subject, body)) in mails.iter().enumerate() {
            let at = now + i as i64 * spacing_ms;
            sqlx::query(
                "INSERT INTO outbox (id, channel_id, rule_id, kind, subject, body, alert_count, \
                 created_at, state, next_attempt_at, address, language) \
                 VALUES ($1, $2, '', $3, $4, $5, 0, $6, 'pending', $9, $7, $8)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(format!("user:{user}"))
            .bind(kind)
            .bind(subject)
            .bind(body)
            .bind(now)
            .bind(address)
            .bind(lang)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.wake(crate::wake::Topic::Outbox);
        Ok(mails.len())
    }

    /// Records the outcome of a channel's test message (readiness looks for a channel whose
    /// last test succeeded).
    pub async fn record_channel_test(&self, id: &str, now: i64, ok: bool) -> Result<()> {
        sqlx::query("UPDATE channels SET last_test_at = $1, last_test_ok = $2 WHERE id = $3")
            .bind(now)
            .bind(i64::from(ok))
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Channels whose last test succeeded.
    pub async fn tested_channels(&self) -> Result<Vec<String>> {
        sqlx::query("SELECT name FROM channels WHERE last_test_ok = 1 AND enabled = 1")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok(r.try_get("name")?))
            .collect()
    }
}
