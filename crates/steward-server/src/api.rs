//! The admin API under `/api/v1/`.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use steward_core::time::{now_ms, parse_rfc3339};
use steward_core::{health, secret, Role};
use steward_proto::{
    ApiTokenInfo, CreateApiToken, CreateEnrollmentToken, CreatedApiToken, CreatedEnrollmentToken,
    DeviceDetail, DeviceSummary, EnrollmentAttempt, EnrollmentTokenInfo, ErrorCode, Page, Platform,
    DEFAULT_PAGE_LIMIT, MAX_FIELD_LEN, MAX_PAGE_LIMIT,
};
use steward_store::audit::{Actor, AuditQuery, AuditRecord};
use steward_store::jobs::FleetJob;
use steward_store::tokens::{NewApiToken, NewEnrollmentToken};
use steward_store::{DeviceQuery, SortField};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::paging::{Order, Pages};
use crate::AppState;

/// How many history entries a device page carries.
const HISTORY_LIMIT: u32 = 200;

/// `GET /api/v1/openapi.json`: the document generated from the endpoint table and types.
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::json(),
    )
        .into_response()
}

/// Query parameters, parsed by hand so that every bad value gets `invalid_query`.
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    pub(crate) fn from(
        q: Result<Query<HashMap<String, String>>, QueryRejection>,
    ) -> Result<Params, ApiError> {
        q.map(|Query(m)| Params(m))
            .map_err(|_| ApiError(ErrorCode::InvalidQuery))
    }

    /// A parameter as given (an empty value is a value: only free text treats it as absent).
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    /// One of `words` (an empty value is none of them).
    pub(crate) fn word(&self, k: &str, words: &[&str]) -> Result<Option<String>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(v) if words.contains(&v) => Ok(Some(v.to_string())),
            Some(_) => Err(ApiError(ErrorCode::InvalidQuery)),
        }
    }

    /// `true` or `false`.
    pub(crate) fn flag(&self, k: &str) -> Result<bool, ApiError> {
        match self.get(k) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ApiError(ErrorCode::InvalidQuery)),
        }
    }

    pub(crate) fn time(&self, k: &str) -> Result<Option<i64>, ApiError> {
        self.get(k)
            .map(|v| parse_rfc3339(v).ok_or(ApiError(ErrorCode::InvalidQuery)))
            .transpose()
    }

    pub(crate) fn limit(&self) -> Result<u32, ApiError> {
        match self.get("limit") {
            None => Ok(DEFAULT_PAGE_LIMIT),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_LIMIT).contains(n))
                .ok_or(ApiError(ErrorCode::InvalidQuery)),
        }
    }

    /// Free text (a filter): empty means no filter; at most [`MAX_FIELD_LEN`] characters.
    pub(crate) fn text(&self, k: &str) -> Result<Option<String>, ApiError> {
        match self.get(k).filter(|v| !v.is_empty()) {
            Some(v) if v.chars().count() > MAX_FIELD_LEN => Err(ApiError(ErrorCode::InvalidQuery)),
            v => Ok(v.map(str::to_string)),
        }
    }
}

pub async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<DeviceSummary>>, ApiError> {
    let p = Params::from(query)?;
    let bad = || ApiError(ErrorCode::InvalidQuery);
    let (sort, descending) = match p.get("sort") {
        None => (SortField::Name, false),
        Some(s) => {
            let (field, desc) = match s.strip_prefix('-') {
                Some(f) => (f, true),
                None => (s, false),
            };
            (SortField::parse(field).ok_or_else(bad)?, desc)
        }
    };
    let descending = match p.get("order") {
        None => descending,
        Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(bad()),
    };
    let q = DeviceQuery {
        platform: p
            .get("platform")
            .map(|v| Platform::parse(v).ok_or_else(bad))
            .transpose()?,
        os_version: p.text("os_version")?,
        group: p.text("group")?,
        last_seen_before: p.time("last_seen_before")?,
        last_seen_after: p.time("last_seen_after")?,
        q: p.text("q")?,
        include_retired: p.flag("include_retired")?,
        scope: caller.groups.clone(),
        compliance: match p.get("compliance") {
            Some(c) if steward_store::policies::valid_state(c) => Some(c.to_string()),
            Some(_) => return Err(bad()),
            None => None,
        },
        health: match p.get("health") {
            Some(h) if health::HealthState::parse(h).is_some() => Some(h.to_string()),
            Some(_) => return Err(bad()),
            None => None,
        },
        sort,
        descending,
        limit: p.limit()?,
        // A cursor carries a sort value (a name of up to 255 characters) and an id.
        cursor: match p.get("cursor") {
            Some(c) if c.len() > 4 * 1024 => return Err(ApiError(ErrorCode::InvalidCursor)),
            c => c.map(str::to_string),
        },
    };
    Ok(Json(state.store.list_devices(&q).await?))
}

pub async fn get_device(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DeviceDetail>, ApiError> {
    let mut device = state.store.device(&id, HISTORY_LIMIT).await?;
    require_scope(&state, &caller, &id, device.summary.group.as_deref()).await?;
    device.health = Some(health::classify(
        device.protection.as_ref(),
        state.clock.now_ms(),
        &health::HealthLimits::default(),
    ));
    Ok(Json(device))
}

/// Whether a device of `group` is visible to the caller.
pub fn in_scope(caller: &Caller, group: Option<&str>) -> bool {
    caller.groups.is_empty() || group.is_some_and(|g| caller.groups.iter().any(|s| s == g))
}

/// Refuses a device outside the caller's groups as if it did not exist, and records the
/// attempt.
pub(crate) async fn require_scope(
    state: &AppState,
    caller: &Caller,
    device_id: &str,
    group: Option<&str>,
) -> Result<(), ApiError> {
    require_scope_of(state, caller, "device", device_id, group).await
}

/// Refuses an object (a device, or an alert about one) whose device group is outside the
/// caller's groups as if it did not exist, and records the attempt.
pub(crate) async fn require_scope_of(
    state: &AppState,
    caller: &Caller,
    object_type: &str,
    id: &str,
    group: Option<&str>,
) -> Result<(), ApiError> {
    if in_scope(caller, group) {
        return Ok(());
    }
    let mut rec = AuditRecord::change(
        &caller.actor(),
        state.clock.now_ms(),
        "access.denied",
        object_type,
        id,
    );
    rec.outcome = "denied";
    crate::auth::audit_via_writer(state, rec).await;
    Err(ApiError(ErrorCode::NotFound))
}

pub async fn list_enrollment_tokens(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<EnrollmentTokenInfo>>, ApiError> {
    let items = state.store.list_enrollment_tokens().await?;
    Ok(Json(p.page(items, Order::Desc, |t| t.id.clone())))
}

pub async fn get_enrollment_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentTokenInfo>, ApiError> {
    Ok(Json(state.store.enrollment_token(&id).await?))
}

/// Creates an enrollment token; used by the API and the CLI.
pub async fn new_enrollment_token(
    store: &steward_store::Store,
    req: &CreateEnrollmentToken,
    actor: &Actor,
) -> Result<CreatedEnrollmentToken, ApiError> {
    let name = req.name.clone().unwrap_or_default();
    if name.chars().count() > MAX_FIELD_LEN
        || req
            .group
            .as_ref()
            .is_some_and(|g| g.is_empty() || g.chars().count() > MAX_FIELD_LEN)
        || req.max_uses == Some(0)
        || req.expires_in_hours == Some(0)
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let now = now_ms();
    let token = secret::generate(secret::ENROLL_PREFIX);
    let info = store
        .create_enrollment_token(
            &NewEnrollmentToken {
                id: uuid::Uuid::now_v7().to_string(),
                name,
                token_hash: secret::hash(&token),
                prefix: secret::display_prefix(&token),
                created_at: now,
                expires_at: req.expires_in_hours.map(|h| now + i64::from(h) * 3_600_000),
                max_uses: req.max_uses.map(i64::from),
                group: req.group.clone(),
                platforms: req.platforms.clone(),
            },
            actor,
        )
        .await?;
    Ok(CreatedEnrollmentToken { token, info })
}

pub async fn create_enrollment_token(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateEnrollmentToken>,
) -> Result<(StatusCode, Json<CreatedEnrollmentToken>), ApiError> {
    let created = new_enrollment_token(&state.store, &req, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn revoke_enrollment_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentTokenInfo>, ApiError> {
    Ok(Json(
        state
            .store
            .revoke_enrollment_token(&id, state.clock.now_ms(), &caller.actor())
            .await?,
    ))
}

pub async fn list_enrollment_attempts(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<EnrollmentAttempt>>, ApiError> {
    let p = Params::from(query)?;
    let result = p.get("result");
    if let Some(r) = result {
        if r != "success" && r != "failed" && ErrorCode::parse(r).is_none() {
            return Err(ApiError(ErrorCode::InvalidQuery));
        }
    }
    let cursor = p
        .get("cursor")
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| ApiError(ErrorCode::InvalidCursor))
        })
        .transpose()?;
    Ok(Json(
        state
            .store
            .list_enrollment_attempts(result, p.limit()?, cursor, &caller.groups)
            .await?,
    ))
}

/// Creates an API token: a service token with `role`, or a user's own token (`user_id`).
pub async fn new_api_token(
    store: &steward_store::Store,
    name: &str,
    role: Option<Role>,
    user_id: Option<String>,
    expires_in_hours: Option<u32>,
    actor: &Actor,
) -> Result<CreatedApiToken, ApiError> {
    if name.is_empty() || name.chars().count() > MAX_FIELD_LEN || expires_in_hours == Some(0) {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let now = now_ms();
    let token = secret::generate(secret::API_PREFIX);
    let info = store
        .create_api_token(
            &NewApiToken {
                id: uuid::Uuid::now_v7().to_string(),
                name: name.to_string(),
                token_hash: secret::hash(&token),
                prefix: secret::display_prefix(&token),
                role,
                user_id,
                created_at: now,
                expires_at: expires_in_hours.map(|h| now + i64::from(h) * 3_600_000),
            },
            actor,
        )
        .await?;
    Ok(CreatedApiToken { token, info })
}

pub async fn create_api_token(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateApiToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    let role = req
        .role
        .as_deref()
        .and_then(Role::parse)
        .ok_or(ApiError(ErrorCode::InvalidField))?;
    let created = new_api_token(
        &state.store,
        &req.name,
        Some(role),
        None,
        req.expires_in_hours,
        &caller.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn list_api_tokens(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<ApiTokenInfo>>, ApiError> {
    let items = state.store.list_api_tokens().await?;
    Ok(Json(p.page(items, Order::Desc, |t| t.id.clone())))
}

/// Most rows one CSV export returns; `X-Next-Cursor` continues past it.
const MAX_EXPORT_ROWS: u32 = 100_000;

/// `GET /api/v1/audit`: newest first, filtered by actor, action, object and time; `format=csv`
/// exports.
pub async fn list_audit(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = Params::from(query)?;
    let csv = match p.get("format") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError(ErrorCode::InvalidQuery)),
    };
    let limit = match (csv, p.get("limit")) {
        (true, None) => 10_000,
        (true, Some(v)) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_EXPORT_ROWS).contains(n))
            .ok_or(ApiError(ErrorCode::InvalidQuery))?,
        (false, _) => p.limit()?,
    };
    let q = AuditQuery {
        actor: p.text("actor")?,
        action: p.text("action")?,
        object_type: p.text("object_type")?,
        object_id: p.text("object_id")?,
        since: p.time("since")?,
        until: p.time("until")?,
        limit,
        before_id: p
            .get("cursor")
            .map(|c| {
                c.parse::<i64>()
                    .map_err(|_| ApiError(ErrorCode::InvalidCursor))
            })
            .transpose()?,
    };
    let page = state.store.list_audit(&q).await?;
    if !csv {
        return Ok(Json(page).into_response());
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "at",
        "actor",
        "actor_name",
        "role",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
        "remote_addr",
        "outcome",
    ];
    let write_err = |_| ApiError(ErrorCode::Internal);
    w.write_record(header).map_err(write_err)?;
    for e in &page.items {
        let json =
            |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
        let cells = [
            e.id.to_string(),
            e.at.clone(),
            e.actor.clone(),
            e.actor_name.clone(),
            e.role.clone().unwrap_or_default(),
            e.action.clone(),
            e.object_type.clone(),
            e.object_id.clone().unwrap_or_default(),
            json(&e.before),
            json(&e.after),
            e.remote_addr.clone(),
            e.outcome.clone(),
        ];
        w.write_record(
            cells
                .iter()
                .map(|c| steward_proto::text::csv_cell(c).into_owned()),
        )
        .map_err(write_err)?;
    }
    let body = w.into_inner().map_err(|_| ApiError(ErrorCode::Internal))?;
    let mut resp = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"steward-audit.csv\"",
            ),
        ],
        body,
    )
        .into_response();
    if let Some(c) = page.next_cursor.and_then(|c| c.parse().ok()) {
        resp.headers_mut().insert("x-next-cursor", c);
    }
    Ok(resp)
}

pub async fn retire_device(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DeviceSummary>, ApiError> {
    let device = state.store.device(&id, 0).await?;
    require_scope(&state, &caller, &id, device.summary.group.as_deref()).await?;
    let retired = state
        .store
        .retire_device(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    state.cache.remove(&id);
    Ok(Json(retired))
}

pub async fn revoke_api_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApiTokenInfo>, ApiError> {
    Ok(Json(
        state
            .store
            .revoke_api_token(&id, state.clock.now_ms(), &caller.actor())
            .await?,
    ))
}

/// `POST /api/v1/devices/{id}/rotate-secret`: the device gets a new secret at its next check-in.
pub async fn rotate_device_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<RotationPending>), ApiError> {
    let device = state.store.device(&id, 0).await?;
    require_scope(&state, &caller, &id, device.summary.group.as_deref()).await?;
    state
        .store
        .request_secret_rotation(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    state.cache.remove(&id);
    Ok((
        StatusCode::ACCEPTED,
        Json(RotationPending {
            device_id: id,
            rotation: "pending".into(),
        }),
    ))
}

/// A secret rotation asked for: the device gets its new secret at its next check-in.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RotationPending {
    pub device_id: String,
    /// Always `pending`.
    pub rotation: String,
}

/// A policy as the API takes it (the id comes from the path or is generated).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    pub name: String,
    pub rules: Vec<steward_core::compliance::Rule>,
    #[serde(default)]
    pub grace_hours: u32,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A policy's or rule's name and device groups: a name of 1 to 255 characters, groups
/// non-empty and without commas (they are stored comma-separated).
pub(crate) fn valid_name_and_groups(name: &str, groups: &[String]) -> bool {
    let bad_group =
        |g: &String| g.is_empty() || g.chars().count() > MAX_FIELD_LEN || g.contains(',');
    !steward_proto::text::is_blank(name)
        && name.chars().count() <= MAX_FIELD_LEN
        && !groups.iter().any(bad_group)
}

fn policy_from(id: String, b: PolicyBody) -> Result<steward_core::compliance::Policy, ApiError> {
    use steward_core::compliance::{compare_versions, Rule};
    let bad_version = b.rules.iter().any(|r| {
        matches!(r, Rule::MinOsVersion { version, .. } if compare_versions(version, version).is_none())
    });
    if !valid_name_and_groups(&b.name, &b.groups) || b.rules.is_empty() || bad_version {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    Ok(steward_core::compliance::Policy {
        id,
        name: b.name,
        rules: b.rules,
        grace_hours: b.grace_hours,
        groups: b.groups,
    })
}

pub async fn list_policies(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<steward_core::compliance::Policy>>, ApiError> {
    let items = state.store.list_policies().await?;
    Ok(Json(p.page(items, Order::Asc, |x| x.id.clone())))
}

pub async fn get_policy(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<steward_core::compliance::Policy>, ApiError> {
    Ok(Json(state.store.policy(&id).await?))
}

/// A policy as saved, and the job that evaluates every device against it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PolicySaved {
    #[serde(flatten)]
    pub policy: steward_core::compliance::Policy,
    pub job: FleetJob,
}

/// `POST /api/v1/policies`: creates a policy; `202` at once with the job that evaluates every
/// device again in the background (`GET /api/v1/fleet-jobs/{id}`).
pub async fn create_policy(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<PolicyBody>,
) -> Result<(StatusCode, Json<PolicySaved>), ApiError> {
    let policy = policy_from(uuid::Uuid::now_v7().to_string(), body)?;
    let (policy, job) = state
        .store
        .put_policy(&policy, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(PolicySaved { policy, job })))
}

/// `PUT /api/v1/policies/{id}`: replaces a policy; `202` with the re-evaluation's job.
pub async fn update_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PolicyBody>,
) -> Result<(StatusCode, Json<PolicySaved>), ApiError> {
    state.store.policy(&id).await?;
    let policy = policy_from(id, body)?;
    let (policy, job) = state
        .store
        .put_policy(&policy, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(PolicySaved { policy, job })))
}

/// `DELETE /api/v1/policies/{id}`: `202` with the re-evaluation's job.
pub async fn delete_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<FleetJob>), ApiError> {
    let job = state
        .store
        .delete_policy(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// `GET /api/v1/fleet-jobs`: the fleet-wide jobs, newest first.
pub async fn list_fleet_jobs(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<FleetJob>>, ApiError> {
    let items = state.store.fleet_jobs().await?;
    Ok(Json(p.page(items, Order::Desc, |x| x.id.clone())))
}

/// `GET /api/v1/fleet-jobs/{id}`: one job and how far it is.
pub async fn get_fleet_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<FleetJob>, ApiError> {
    Ok(Json(state.store.fleet_job(&id).await?))
}
