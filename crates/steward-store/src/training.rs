//! Training and onboarding records: features, materials, assignments and completions, and
//! onboarding steps done.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::Row;
use steward_core::training::{Feature, Material};

use crate::audit::{self, Actor, AuditRecord};
use crate::{Result, Store, StoreError};

fn content_row<T: DeserializeOwned>(r: &sqlx::any::AnyRow) -> Result<T> {
    serde_json::from_str(&r.try_get::<String, _>("content")?)
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// A person's record of one material.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrainingRecord {
    pub material_id: String,
    pub user_id: String,
    pub assigned_at: i64,
    pub completed_at: Option<i64>,
}

impl Store {
    async fn put_content<T: Serialize>(
        &self,
        table: &str,
        id: &str,
        value: &T,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let body = serde_json::to_value(value).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO {table} (id, content, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET content = $2, updated_at = $3"
        ))
        .bind(id)
        .bind(body.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let object = table.trim_end_matches('s');
        let mut rec = AuditRecord::change(actor, now, &format!("{object}.put"), object, id);
        rec.after = Some(body);
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn contents<T: DeserializeOwned>(&self, table: &str) -> Result<Vec<T>> {
        sqlx::query(&format!("SELECT content FROM {table} ORDER BY id"))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(content_row)
            .collect()
    }

    async fn content<T: DeserializeOwned>(&self, table: &str, id: &str) -> Result<T> {
        let r = sqlx::query(&format!("SELECT content FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        content_row(&r)
    }

    pub async fn put_feature(&self, f: &Feature, now: i64, actor: &Actor) -> Result<()> {
        self.put_content("features", &f.id, f, now, actor).await
    }

    pub async fn features(&self) -> Result<Vec<Feature>> {
        self.contents("features").await
    }

    pub async fn feature(&self, id: &str) -> Result<Feature> {
        self.content("features", id).await
    }

    pub async fn put_material(&self, m: &Material, now: i64, actor: &Actor) -> Result<()> {
        self.put_content("materials", &m.id, m, now, actor).await
    }

    pub async fn materials(&self) -> Result<Vec<Material>> {
        self.contents("materials").await
    }

    pub async fn material(&self, id: &str) -> Result<Material> {
        self.content("materials", id).await
    }

    /// Assigns a material to a person (again: keeps the first assignment).
    pub async fn assign_material(&self, material: &str, user: &str, now: i64) -> Result<()> {
        self.material(material).await?;
        sqlx::query(
            "INSERT INTO training_records (material_id, user_id, assigned_at) VALUES ($1, $2, $3) \
             ON CONFLICT (material_id, user_id) DO NOTHING",
        )
        .bind(material)
        .bind(user)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Records that a person went through a material (assigned or not).
    pub async fn complete_material(&self, material: &str, user: &str, now: i64) -> Result<()> {
        self.material(material).await?;
        sqlx::query(
            "INSERT INTO training_records (material_id, user_id, assigned_at, completed_at) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (material_id, user_id) \
             DO UPDATE SET completed_at = $3",
        )
        .bind(material)
        .bind(user)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn training_records(&self) -> Result<Vec<TrainingRecord>> {
        sqlx::query("SELECT * FROM training_records ORDER BY material_id, user_id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(TrainingRecord {
                    material_id: r.try_get("material_id")?,
                    user_id: r.try_get("user_id")?,
                    assigned_at: r.try_get("assigned_at")?,
                    completed_at: r.try_get("completed_at")?,
                })
            })
            .collect()
    }

    pub async fn onboarding_step_done(&self, user: &str, step: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO onboarding_done (user_id, step, done_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, step) DO NOTHING",
        )
        .bind(user)
        .bind(step)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The onboarding steps each person has done.
    pub async fn onboarding_done(&self) -> Result<HashMap<String, Vec<String>>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for r in sqlx::query("SELECT user_id, step FROM onboarding_done")
            .fetch_all(&self.read)
            .await?
        {
            out.entry(r.try_get("user_id")?)
                .or_default()
                .push(r.try_get("step")?);
        }
        Ok(out)
    }
}
