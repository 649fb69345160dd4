//! Training and onboarding API: features and when they were enabled or changed, training
//! materials (stale when a covered feature moved after their last review), assignments and
//! completions, onboarding plans per role and each person's progress.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_core::alerting::Reason;
use steward_core::awareness::Check;
use steward_core::training::{Feature, Material, OnboardingPlans};
use steward_core::Role;
use steward_proto::{ErrorCode, Page};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::paging::{Order, Pages};
use crate::AppState;

const ONBOARDING: &str = "onboarding_plans";

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub enabled: bool,
}

pub async fn list_features(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<Feature>>, ApiError> {
    let items = state.store.features().await?;
    Ok(Json(p.page(items, Order::Asc, |f| f.id.clone())))
}

pub async fn create_feature(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<FeatureBody>,
) -> Result<(StatusCode, Json<Feature>), ApiError> {
    if steward_proto::text::is_blank(&b.name)
        || b.name.chars().count() > 200
        || b.description.chars().count() > 4000
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let now = state.clock.now_ms();
    let f = Feature {
        id: uuid::Uuid::now_v7().to_string(),
        name: b.name,
        description: b.description,
        enabled_at: b.enabled.then_some(now),
        changed_at: None,
    };
    state.store.put_feature(&f, now, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(f)))
}

/// `POST /api/v1/features/{id}/enable|changed`: the feature was switched on, or changed in a
/// way training must cover. Materials covering it reviewed before now turn stale.
pub async fn feature_event(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, event)): Path<(String, String)>,
) -> Result<Json<Feature>, ApiError> {
    let mut f = state.store.feature(&id).await?;
    let now = state.clock.now_ms();
    match event.as_str() {
        "enable" => f.enabled_at = Some(now),
        "changed" => f.changed_at = Some(now),
        _ => return Err(ApiError(ErrorCode::NotFound)),
    }
    state.store.put_feature(&f, now, &caller.actor()).await?;
    Ok(Json(f))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialBody {
    pub title: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub body: String,
    pub audience: Role,
    #[serde(default)]
    pub features: Vec<String>,
}

/// A material with why it is stale (the features that moved since its review) and how many
/// were assigned it and finished.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MaterialView {
    #[serde(flatten)]
    pub material: Material,
    pub stale: bool,
    pub stale_because: Vec<String>,
    pub assigned: usize,
    pub completed: usize,
}

pub async fn list_materials(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<MaterialView>>, ApiError> {
    let features = state.store.features().await?;
    let records = state.store.training_records().await?;
    let items: Vec<MaterialView> = state
        .store
        .materials()
        .await?
        .into_iter()
        .map(|m| {
            let because: Vec<String> = m
                .stale_because(&features)
                .iter()
                .map(|f| f.name.clone())
                .collect();
            let mine = records.iter().filter(|r| r.material_id == m.id);
            MaterialView {
                stale: !because.is_empty(),
                stale_because: because,
                assigned: mine.clone().count(),
                completed: mine.filter(|r| r.completed_at.is_some()).count(),
                material: m,
            }
        })
        .collect();
    Ok(Json(p.page(items, Order::Asc, |m| m.material.id.clone())))
}

pub async fn create_material(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<MaterialBody>,
) -> Result<(StatusCode, Json<Material>), ApiError> {
    let known = state.store.features().await?;
    let now = state.clock.now_ms();
    let m = Material {
        id: uuid::Uuid::now_v7().to_string(),
        title: b.title,
        url: b.url,
        body: b.body,
        audience: b.audience,
        features: b.features,
        last_reviewed_at: now,
    };
    if m.validate().is_err() {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    if m.features.iter().any(|f| !known.iter().any(|k| &k.id == f)) {
        return Err(ApiError(ErrorCode::UnknownReference));
    }
    state.store.put_material(&m, now, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// `POST /api/v1/training/{id}/reviewed`: the material was checked against the features.
pub async fn reviewed(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Material>, ApiError> {
    let mut m = state.store.material(&id).await?;
    let now = state.clock.now_ms();
    m.last_reviewed_at = now;
    state.store.put_material(&m, now, &caller.actor()).await?;
    Ok(Json(m))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = MaterialAssignBody)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub user_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<AssignBody>,
) -> Result<StatusCode, ApiError> {
    state.store.user(&b.user_id).await?;
    state
        .store
        .assign_material(&id, &b.user_id, state.clock.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/training/{id}/complete`: the caller went through the material.
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.store.material(&id).await?;
    let user = caller.user_id.ok_or(ApiError(ErrorCode::Forbidden))?;
    state
        .store
        .complete_material(&id, &user, state.clock.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn plans(state: &AppState) -> Result<OnboardingPlans, ApiError> {
    Ok(state
        .store
        .document(ONBOARDING)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// One person's onboarding.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub user: String,
    pub done: usize,
    pub total: usize,
    /// Past the plan's days and not finished.
    pub behind: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OnboardingView {
    #[serde(flatten)]
    pub plans: OnboardingPlans,
    pub progress: Vec<Progress>,
}

async fn progress(state: &AppState, plans: &OnboardingPlans) -> Result<Vec<Progress>, ApiError> {
    let done = state.store.onboarding_done().await?;
    let now = state.clock.now_ms();
    let mut out = Vec::new();
    for u in state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
    {
        let roles: Vec<Role> = u.roles.iter().filter_map(|r| Role::parse(r)).collect();
        let steps = plans.steps_for(&roles);
        if steps.is_empty() {
            continue;
        }
        let mine = done.get(&u.id).cloned().unwrap_or_default();
        let finished = steps.iter().filter(|s| mine.contains(&s.id)).count();
        let created = steward_core::time::parse_rfc3339(&u.created_at).unwrap_or(now);
        let days = i64::from(plans.within_days(&roles).unwrap_or(14));
        out.push(Progress {
            user: u.email,
            done: finished,
            total: steps.len(),
            behind: finished < steps.len() && now - created > days * 86_400_000,
        });
    }
    Ok(out)
}

pub async fn get_onboarding(
    State(state): State<AppState>,
) -> Result<Json<OnboardingView>, ApiError> {
    let plans = plans(&state).await?;
    let progress = progress(&state, &plans).await?;
    Ok(Json(OnboardingView { plans, progress }))
}

pub async fn put_onboarding(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(p): JsonBody<OnboardingPlans>,
) -> Result<Json<OnboardingView>, ApiError> {
    let p = p.without_repeated_steps();
    p.validate()
        .map_err(|_| ApiError(ErrorCode::InvalidField))?;
    let body = serde_json::to_value(&p).map_err(|_| ApiError(ErrorCode::Internal))?;
    state
        .store
        .put_document(ONBOARDING, &body, state.clock.now_ms(), &caller.actor())
        .await?;
    get_onboarding(State(state)).await
}

/// `POST /api/v1/onboarding/{step}/done`: the caller finished a step of their plan.
pub async fn step_done(
    State(state): State<AppState>,
    caller: Caller,
    Path(step): Path<String>,
) -> Result<StatusCode, ApiError> {
    let plans = plans(&state).await?;
    if !plans.steps_for(&caller.roles).iter().any(|s| s.id == step) {
        return Err(ApiError(ErrorCode::NotFound));
    }
    let user = caller.user_id.ok_or(ApiError(ErrorCode::Forbidden))?;
    state
        .store
        .onboarding_step_done(&user, &step, state.clock.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Readiness: training materials current, onboarding on track.
pub async fn readiness(state: &AppState) -> Result<Check, ApiError> {
    let features = state.store.features().await?;
    let mut evidence = Vec::new();
    for m in state.store.materials().await? {
        let because = m.stale_because(&features);
        if !because.is_empty() {
            let names: Vec<&str> = because.iter().map(|f| f.name.as_str()).collect();
            evidence.push(Reason::new(
                "readiness-stale-material",
                &[
                    ("material", m.title.clone()),
                    ("features", names.join(", ")),
                ],
            ));
        }
    }
    let plans = plans(state).await?;
    let behind: Vec<String> = progress(state, &plans)
        .await?
        .into_iter()
        .filter(|p| p.behind)
        .map(|p| p.user)
        .collect();
    if !behind.is_empty() {
        evidence.push(Reason::new(
            "readiness-onboarding-behind",
            &[("people", behind.join(", "))],
        ));
    }
    let pass = evidence.is_empty();
    if pass {
        evidence.push(Reason::new("readiness-training-ok", &[]));
    }
    Ok(Check {
        id: "training",
        pass,
        evidence,
        link: "/training",
    })
}
