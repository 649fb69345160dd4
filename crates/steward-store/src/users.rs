//! Console users, their login accounting, and sessions.

use sqlx::Row;
use steward_core::time::to_rfc3339;
use steward_core::Role;
use steward_proto::UserInfo;

use crate::audit::{self, Actor, AuditRecord};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub language: String,
    pub roles: Vec<Role>,
    pub groups: Vec<String>,
    pub password_hash: String,
    pub created_at: i64,
}

/// A user as authentication sees it.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub info: UserInfo,
    pub roles: Vec<Role>,
    pub password_hash: String,
    pub disabled: bool,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub region: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub groups: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

/// A session and its user, as the policy layer sees them.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    pub csrf_token: String,
    pub expires_at: i64,
    pub last_seen_at: i64,
    pub user: UserRecord,
}

fn join(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().collect::<Vec<_>>().join(",")
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

const USER_COLS: &str =
    "u.id, u.email, u.display_name, u.language, u.time_zone, u.region, u.roles, u.device_groups, \
                         u.password_hash, u.created_at, u.disabled_at";

fn user_record(row: &sqlx::any::AnyRow) -> Result<UserRecord> {
    let roles_text: String = row.try_get("roles")?;
    let roles: Vec<Role> = split(&roles_text)
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    let disabled = row.try_get::<Option<i64>, _>("disabled_at")?.is_some();
    Ok(UserRecord {
        info: UserInfo {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            display_name: row.try_get("display_name")?,
            language: row.try_get("language")?,
            time_zone: row.try_get("time_zone")?,
            region: row.try_get("region")?,
            roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
            groups: split(&row.try_get::<String, _>("device_groups")?),
            disabled,
            created_at: to_rfc3339(row.try_get("created_at")?),
        },
        roles,
        password_hash: row.try_get("password_hash")?,
        disabled,
    })
}

async fn user_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<UserRecord> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    user_record(&row)
}

impl Store {
    pub async fn create_user(&self, u: &NewUser, actor: &Actor) -> Result<UserInfo> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(&u.email)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(u.email.clone()));
        }
        sqlx::query(
            "INSERT INTO users (id, email, display_name, language, roles, device_groups, \
             password_hash, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&u.id)
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(&u.language)
        .bind(join(u.roles.iter().map(|r| r.as_str().to_string())))
        .bind(join(u.groups.iter().cloned()))
        .bind(&u.password_hash)
        .bind(u.created_at)
        .execute(&mut *tx)
        .await?;
        let info = user_in(&mut tx, &u.id).await?.info;
        let mut rec = AuditRecord::change(actor, u.created_at, "user.create", "user", &u.id);
        rec.after = Some(serde_json::to_value(&info).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(info)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users u WHERE u.email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(user_record).transpose()
    }

    pub async fn user(&self, id: &str) -> Result<UserRecord> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        user_record(&row)
    }

    pub async fn list_users(&self) -> Result<Vec<UserInfo>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLS} FROM users u ORDER BY u.email"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| Ok(user_record(r)?.info)).collect()
    }

    /// Active users holding `role`, with whether they want an e-mail for each major update.
    pub async fn people_with_role(&self, role: Role) -> Result<Vec<(UserInfo, bool)>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS}, u.major_update_mail FROM users u WHERE u.disabled_at IS NULL \
             ORDER BY u.email"
        ))
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let rec = user_record(r)?;
            if rec.roles.contains(&role) {
                out.push((rec.info, r.try_get::<i64, _>("major_update_mail")? != 0));
            }
        }
        Ok(out)
    }

    /// Whether the user wants an e-mail for each major update, and the weekly digest.
    pub async fn set_notice_mail(&self, user_id: &str, major: bool, digest: bool) -> Result<()> {
        let done = sqlx::query(
            "UPDATE users SET major_update_mail = $1, notice_digest = $2 WHERE id = $3",
        )
        .bind(i64::from(major))
        .bind(i64::from(digest))
        .bind(user_id)
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Active users who want the weekly digest.
    pub async fn digest_readers(&self) -> Result<Vec<UserInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users u WHERE u.disabled_at IS NULL AND u.notice_digest = 1 \
             ORDER BY u.email"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok(user_record(r)?.info)).collect()
    }

    /// Applies `change`; disabling a user also ends their sessions.
    pub async fn update_user(
        &self,
        id: &str,
        change: &UserChange,
        now: i64,
        actor: &Actor,
    ) -> Result<UserInfo> {
        let mut tx = self.begin_write().await?;
        let before = user_in(&mut tx, id).await?.info;
        sqlx::query(
            "UPDATE users SET display_name = COALESCE($1, display_name), \
             language = COALESCE($2, language), roles = COALESCE($3, roles), \
             device_groups = COALESCE($4, device_groups), \
             disabled_at = CASE WHEN $5 = 1 THEN COALESCE(disabled_at, $6) \
                                WHEN $5 = 0 THEN NULL ELSE disabled_at END, \
             time_zone = COALESCE($8, time_zone), region = COALESCE($9, region) \
             WHERE id = $7",
        )
        .bind(&change.display_name)
        .bind(&change.language)
        .bind(
            change
                .roles
                .as_ref()
                .map(|r| join(r.iter().map(|r| r.as_str().to_string()))),
        )
        .bind(change.groups.as_ref().map(|g| join(g.iter().cloned())))
        .bind(change.disabled.map(i64::from).unwrap_or(-1))
        .bind(now)
        .bind(id)
        .bind(&change.time_zone)
        .bind(&change.region)
        .execute(&mut *tx)
        .await?;
        if change.disabled == Some(true) {
            revoke_sessions_in(&mut tx, id, now, None).await?;
        }
        let after = user_in(&mut tx, id).await?.info;
        let mut rec = AuditRecord::change(actor, now, "user.update", "user", id);
        rec.before = Some(serde_json::to_value(&before).unwrap_or_default());
        rec.after = Some(serde_json::to_value(&after).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets a new password hash and ends the user's other sessions. `action` is
    /// `user.password_change` (by the user) or `user.password_reset` (by an administrator).
    pub async fn set_password(
        &self,
        id: &str,
        password_hash: &str,
        keep_session: Option<&str>,
        now: i64,
        action: &str,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2, failed_logins = 0, \
             locked_until = NULL WHERE id = $3",
        )
        .bind(password_hash)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        revoke_sessions_in(&mut tx, id, now, keep_session).await?;
        // The audit record says that the password changed, never what to.
        let rec = AuditRecord::change(actor, now, action, "user", id);
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts a failed sign-in; from the `lock_after`-th in a row the account is locked for
    /// `lock_ms`. Returns the lock's end, if any.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
        remote_addr: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at, last_seen_at, \
             remote_addr) VALUES ($1, $2, $3, $4, $5, $4, $6)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .bind(remote_addr)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A live session (not revoked, not expired) and its user.
    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT s.id AS session_id, s.csrf_token, s.expires_at, s.last_seen_at, {USER_COLS} \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2"
        ))
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                id: r.try_get("session_id")?,
                csrf_token: r.try_get("csrf_token")?,
                expires_at: r.try_get("expires_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                user: user_record(&r)?,
            })
        })
        .transpose()
    }

    /// Moves a session's expiry (sliding sessions) and its last-seen time.
    pub async fn touch_session(&self, id_hash: &str, now: i64, expires_at: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
            .bind(now)
            .bind(expires_at)
            .bind(id_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn revoke_session(&self, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(now)
            .bind(id_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

async fn revoke_sessions_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    now: i64,
    keep: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
    )
    .bind(now)
    .bind(user_id)
    .bind(keep.unwrap_or(""))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
