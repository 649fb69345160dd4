//! Enrollment tokens, API tokens and users.

use sqlx::Row;
use steward_core::enrollment::TokenRecord;
use steward_core::time::to_rfc3339;
use steward_core::Role;
use steward_proto::{ApiTokenInfo, EnrollmentTokenInfo, Platform};

use crate::audit::{self, Actor, AuditRecord};
use crate::{Result, Store, StoreError};

/// A new enrollment token, already hashed.
#[derive(Debug, Clone)]
pub struct NewEnrollmentToken {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub max_uses: Option<i64>,
    pub group: Option<String>,
    pub platforms: Vec<Platform>,
}

/// An API token as the authentication layer sees it.
#[derive(Debug, Clone)]
pub struct ApiTokenAuth {
    pub id: String,
    pub name: String,
    /// The role of a service token; a user's token acts with the user's roles instead.
    pub role: Option<Role>,
    pub user_id: Option<String>,
    pub expires_at: Option<i64>,
    pub revoked: bool,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    /// A service token's role; `None` for a user's own token.
    pub role: Option<Role>,
    pub user_id: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

fn platforms_to_text(p: &[Platform]) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) fn platforms_from_text(s: &str) -> Vec<Platform> {
    s.split(',').filter_map(Platform::parse).collect()
}

const ENROLL_COLS: &str =
    "id, name, prefix, created_at, expires_at, max_uses, uses, device_group, platforms, revoked_at";

fn enroll_info(row: &sqlx::any::AnyRow) -> Result<EnrollmentTokenInfo> {
    Ok(EnrollmentTokenInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        created_at: to_rfc3339(row.try_get("created_at")?),
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(to_rfc3339),
        max_uses: row.try_get::<Option<i64>, _>("max_uses")?.map(|m| m as u32),
        uses: row.try_get::<i64, _>("uses")? as u32,
        group: row.try_get("device_group")?,
        platforms: platforms_from_text(&row.try_get::<String, _>("platforms")?),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(to_rfc3339),
    })
}

const API_TOKEN_COLS: &str =
    "id, name, prefix, role, user_id, created_at, expires_at, last_used_at, revoked_at";

fn api_token_info(row: &sqlx::any::AnyRow) -> Result<ApiTokenInfo> {
    Ok(ApiTokenInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        role: Some(row.try_get::<String, _>("role")?).filter(|r| !r.is_empty()),
        user_id: row.try_get("user_id")?,
        created_at: to_rfc3339(row.try_get("created_at")?),
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(to_rfc3339),
        last_used_at: row
            .try_get::<Option<i64>, _>("last_used_at")?
            .map(to_rfc3339),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(to_rfc3339),
    })
}

async fn api_token_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<ApiTokenInfo> {
    let row = sqlx::query(&format!(
        "SELECT {API_TOKEN_COLS} FROM api_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    api_token_info(&row)
}

async fn enrollment_token_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
) -> Result<EnrollmentTokenInfo> {
    let row = sqlx::query(&format!(
        "SELECT {ENROLL_COLS} FROM enrollment_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    enroll_info(&row)
}

pub(crate) fn token_record(row: &sqlx::any::AnyRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: row.try_get("id")?,
        expires_at: row.try_get("expires_at")?,
        max_uses: row.try_get("max_uses")?,
        uses: row.try_get("uses")?,
        platforms: platforms_from_text(&row.try_get::<String, _>("platforms")?),
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        group: row.try_get("device_group")?,
    })
}

impl Store {
    pub async fn create_enrollment_token(
        &self,
        t: &NewEnrollmentToken,
        actor: &Actor,
    ) -> Result<EnrollmentTokenInfo> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO enrollment_tokens (id, name, token_hash, prefix, created_at, expires_at, \
             max_uses, device_group, platforms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(&t.prefix)
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(t.max_uses)
        .bind(&t.group)
        .bind(platforms_to_text(&t.platforms))
        .execute(&mut *tx)
        .await?;
        let info = enrollment_token_in(&mut tx, &t.id).await?;
        let mut rec = AuditRecord::change(
            actor,
            t.created_at,
            "enrollment_token.create",
            "enrollment_token",
            &t.id,
        );
        rec.after = Some(serde_json::to_value(&info).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(info)
    }

    pub async fn enrollment_token(&self, id: &str) -> Result<EnrollmentTokenInfo> {
        let row = sqlx::query(&format!(
            "SELECT {ENROLL_COLS} FROM enrollment_tokens WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        enroll_info(&row)
    }

    /// Newest first.
    pub async fn list_enrollment_tokens(&self) -> Result<Vec<EnrollmentTokenInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {ENROLL_COLS} FROM enrollment_tokens ORDER BY created_at DESC, id DESC"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(enroll_info).collect()
    }

    /// Revokes a token; revoking twice keeps the first revocation time.
    pub async fn revoke_enrollment_token(
        &self,
        id: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<EnrollmentTokenInfo> {
        let mut tx = self.begin_write().await?;
        let before = enrollment_token_in(&mut tx, id).await?;
        sqlx::query(
            "UPDATE enrollment_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let after = enrollment_token_in(&mut tx, id).await?;
        let mut rec = AuditRecord::change(
            actor,
            now,
            "enrollment_token.revoke",
            "enrollment_token",
            id,
        );
        rec.before = Some(serde_json::to_value(&before).unwrap_or_default());
        rec.after = Some(serde_json::to_value(&after).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn create_api_token(&self, t: &NewApiToken, actor: &Actor) -> Result<ApiTokenInfo> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, token_hash, prefix, role, user_id, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(&t.prefix)
        .bind(t.role.map(|r| r.as_str()).unwrap_or(""))
        .bind(&t.user_id)
        .bind(t.created_at)
        .bind(t.expires_at)
        .execute(&mut *tx)
        .await?;
        let info = ApiTokenInfo {
            id: t.id.clone(),
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            role: t.role.map(|r| r.as_str().to_string()),
            user_id: t.user_id.clone(),
            created_at: to_rfc3339(t.created_at),
            expires_at: t.expires_at.map(to_rfc3339),
            last_used_at: None,
            revoked_at: None,
        };
        let mut rec =
            AuditRecord::change(actor, t.created_at, "api_token.create", "api_token", &t.id);
        rec.after = Some(serde_json::to_value(&info).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(info)
    }

    pub async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenAuth>> {
        let row = sqlx::query(
            "SELECT id, name, role, user_id, expires_at, revoked_at, last_used_at FROM api_tokens \
             WHERE token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let role: String = row.try_get("role")?;
        Ok(Some(ApiTokenAuth {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            role: Role::parse(&role),
            user_id: row.try_get("user_id")?,
            expires_at: row.try_get("expires_at")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            last_used_at: row.try_get("last_used_at")?,
        }))
    }

    pub async fn touch_api_token(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Revokes an API token; it is refused from its next use. Revoking twice keeps the first time.
    pub async fn revoke_api_token(
        &self,
        id: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<ApiTokenInfo> {
        let mut tx = self.begin_write().await?;
        let before = api_token_in(&mut tx, id).await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = api_token_in(&mut tx, id).await?;
        let mut rec = AuditRecord::change(actor, now, "api_token.revoke", "api_token", id);
        rec.before = Some(serde_json::to_value(&before).unwrap_or_default());
        rec.after = Some(serde_json::to_value(&after).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn list_api_tokens(&self) -> Result<Vec<ApiTokenInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {API_TOKEN_COLS} FROM api_tokens ORDER BY created_at DESC, id DESC"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(api_token_info).collect()
    }
}
