//! The audit log: append-only (triggers refuse updates and deletes), written in the same
//! transaction as the change it records.

use serde_json::Value;
use sqlx::{Any, Row, Transaction};
use steward_core::time::to_rfc3339;
use steward_core::Role;
use steward_proto::{AuditEntry, Page};

use crate::{bind_all, Param, Result, Store};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `token:ID`, `cli` or `anonymous`.
    pub id: String,
    pub name: String,
    /// The caller's roles, comma-separated.
    pub role: Option<String>,
    pub remote_addr: String,
}

impl Actor {
    /// Someone at the server's command line (who can read the database anyway).
    pub fn cli() -> Actor {
        let name = std::env::var("USER").unwrap_or_else(|_| "cli".into());
        Actor {
            id: "cli".into(),
            name,
            role: Some(Role::Administrator.as_str().into()),
            remote_addr: "local".into(),
        }
    }

    /// Steward itself (a rollout moving to its next wave).
    pub fn system() -> Actor {
        Actor {
            id: "system".into(),
            name: "steward".into(),
            role: None,
            remote_addr: "local".into(),
        }
    }

    /// A signed-in user.
    pub fn user(id: &str, email: &str, roles: &[Role], remote_addr: &str) -> Actor {
        Actor {
            id: format!("user:{id}"),
            name: email.to_string(),
            role: Some(roles_text(roles)),
            remote_addr: remote_addr.to_string(),
        }
    }

    /// A caller that could not be authenticated; `presented` is what it offered, if anything.
    pub fn anonymous(presented: &str, remote_addr: &str) -> Actor {
        Actor {
            id: "anonymous".into(),
            name: presented.to_string(),
            role: None,
            remote_addr: remote_addr.to_string(),
        }
    }
}

/// Roles as the audit log writes them: comma-separated.
pub fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// One record to append.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub at: i64,
    pub actor: Actor,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// `ok`, `denied` or `failed`.
    pub outcome: &'static str,
}

impl AuditRecord {
    /// A change that succeeded.
    pub fn change(
        actor: &Actor,
        at: i64,
        action: &str,
        object_type: &str,
        object_id: &str,
    ) -> AuditRecord {
        AuditRecord {
            at,
            actor: actor.clone(),
            action: action.into(),
            object_type: object_type.into(),
            object_id: Some(object_id.into()),
            before: None,
            after: None,
            outcome: "ok",
        }
    }
}

pub(crate) async fn insert(tx: &mut Transaction<'_, Any>, r: &AuditRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, actor_name, role, action, object_type, object_id, \
         before_value, after_value, remote_addr, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.at)
    .bind(&r.actor.id)
    .bind(&r.actor.name)
    .bind(r.actor.role.as_deref())
    .bind(&r.action)
    .bind(&r.object_type)
    .bind(&r.object_id)
    .bind(r.before.as_ref().map(Value::to_string))
    .bind(r.after.as_ref().map(Value::to_string))
    .bind(&r.actor.remote_addr)
    .bind(r.outcome)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Filters of `GET /api/v1/audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: u32,
    /// Entries older than this id (newest first).
    pub before_id: Option<i64>,
}

impl Store {
    /// Audit entries, newest first.
    pub async fn list_audit(&self, q: &AuditQuery) -> Result<Page<AuditEntry>> {
        let mut f = crate::Filter::default();
        if let Some(v) = &q.actor {
            f.add("actor = ?", Param::Text(v.clone()));
        }
        if let Some(v) = &q.action {
            f.add("action = ?", Param::Text(v.clone()));
        }
        if let Some(v) = &q.object_type {
            f.add("object_type = ?", Param::Text(v.clone()));
        }
        if let Some(v) = &q.object_id {
            f.add("object_id = ?", Param::Text(v.clone()));
        }
        if let Some(v) = q.since {
            f.add("at >= ?", Param::Int(v));
        }
        if let Some(v) = q.until {
            f.add("at < ?", Param::Int(v));
        }
        if let Some(v) = q.before_id {
            f.add("id < ?", Param::Int(v));
        }
        let where_sql = f.where_sql();
        let sql = format!(
            "SELECT id, at, actor, actor_name, role, action, object_type, object_id, before_value, \
             after_value, remote_addr, outcome FROM audit_log {where_sql} ORDER BY id DESC LIMIT {}",
            q.limit + 1
        );
        let rows = bind_all(sqlx::query(&sql), f.params())
            .fetch_all(&self.read)
            .await?;
        let json = |r: &sqlx::any::AnyRow, c: &str| -> Result<Option<Value>> {
            Ok(r.try_get::<Option<String>, _>(c)?
                .and_then(|t| serde_json::from_str(&t).ok()))
        };
        let items = rows
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: to_rfc3339(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    actor_name: r.try_get("actor_name")?,
                    role: r.try_get("role")?,
                    action: r.try_get("action")?,
                    object_type: r.try_get("object_type")?,
                    object_id: r.try_get("object_id")?,
                    before: json(r, "before_value")?,
                    after: json(r, "after_value")?,
                    remote_addr: r.try_get("remote_addr")?,
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(crate::id_page(items, q.limit, |e| e.id))
    }
}
