//! Software distribution: the app catalog and its uploads, assignments in waves, the status
//! that answers the plan, the software inventory, the agents' app lists and downloads, and
//! the rollout scheduler.
//!
//! What each server keeps in memory is the catalog (`Store::catalog`, shared configuration:
//! reloaded when the `apps` version moves, whichever server moved it). Check-in answers carry
//! that version; an agent whose version differs asks for its list (`GET /agent/v1/apps`), so a
//! change reaches every device within one check-in interval without a query per check-in.
//! The rollout scheduler runs on one server at a time (lease `rollout`); each of its writes
//! is keyed or compared (targets inserted once, a wave moved only from the wave it read), so
//! two overlapping at a lease's hand-over change nothing twice.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use steward_core::apps::{AppKind, InstallState, Intent, VersionRange, WaveCounts};
use steward_core::time::{parse_rfc3339, to_rfc3339};
use steward_proto::apps::{
    App, AppAssignment, AppBody, AppStatus, AppTarget, AppVersion, AppVersionBody, AssignmentBody,
    AssignmentStatus, NamedCount, SoftwareAnswer, StateCount, WaveStatus,
};
use steward_proto::{
    AppInstall, AppOffer, AppsDocument, ErrorCode, Page, Platform, SoftwarePackage,
};
use steward_store::apps::Step;
use steward_store::StoreError;

use crate::agent::Device;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::paging::{Order, Pages};
use crate::AppState;

fn conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError(ErrorCode::Conflict),
        e => e.into(),
    }
}

fn invalid() -> ApiError {
    ApiError(ErrorCode::InvalidField)
}

fn text_ok(s: &str, max: usize) -> bool {
    !steward_proto::text::is_blank(s) && s.chars().count() <= max
}

/// `GET /api/v1/apps`
pub async fn list_apps(State(state): State<AppState>, Pages(p): Pages) -> Json<Page<App>> {
    let apps = state.store.catalog().apps.clone();
    Json(p.page(apps, Order::Asc, |a| {
        a.name.to_lowercase() + "\u{0}" + &a.id
    }))
}

fn check_app(b: &AppBody) -> Result<(), ApiError> {
    if !text_ok(&b.name, 200)
        || b.publisher.chars().count() > 200
        || b.description.chars().count() > 4000
    {
        return Err(invalid());
    }
    Ok(())
}

/// `POST /api/v1/apps`
pub async fn create_app(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<AppBody>,
) -> Result<(StatusCode, Json<App>), ApiError> {
    check_app(&b)?;
    let now = state.clock.now_ms();
    let app = App {
        id: uuid::Uuid::now_v7().to_string(),
        name: b.name.trim().to_string(),
        publisher: b.publisher.trim().to_string(),
        description: b.description.trim().to_string(),
        created_at: to_rfc3339(now),
        updated_at: to_rfc3339(now),
        versions: Vec::new(),
    };
    state
        .store
        .create_app(&app, now, &caller.actor())
        .await
        .map_err(conflict)?;
    Ok((StatusCode::CREATED, Json(app)))
}

fn find_app(state: &AppState, id: &str) -> Result<App, ApiError> {
    state
        .store
        .catalog()
        .app(id)
        .cloned()
        .ok_or(ApiError(ErrorCode::NotFound))
}

/// `GET /api/v1/apps/{id}`
pub async fn get_app(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<App>, ApiError> {
    find_app(&state, &id).map(Json)
}

/// `PUT /api/v1/apps/{id}`
pub async fn update_app(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<AppBody>,
) -> Result<Json<App>, ApiError> {
    check_app(&b)?;
    let mut app = find_app(&state, &id)?;
    app.name = b.name.trim().to_string();
    app.publisher = b.publisher.trim().to_string();
    app.description = b.description.trim().to_string();
    let now = state.clock.now_ms();
    state
        .store
        .update_app(&app, now, &caller.actor())
        .await
        .map_err(conflict)?;
    find_app(&state, &id).map(Json)
}

/// `DELETE /api/v1/apps/{id}`: only an app with no assignments.
pub async fn delete_app(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_app(&id, state.clock.now_ms(), &caller.actor())
        .await
        .map_err(conflict)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/apps/{id}/versions`: a version delivered from elsewhere (apt sources, a
/// platform's store, an installer the simulated platforms report on).
pub async fn add_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<AppVersionBody>,
) -> Result<(StatusCode, Json<AppVersion>), ApiError> {
    find_app(&state, &id)?;
    let kind = AppKind::parse(&b.kind).ok_or_else(invalid)?;
    let platform = Platform::parse(&b.platform).ok_or_else(invalid)?;
    if kind == AppKind::Deb {
        // An uploaded package comes with its file.
        return Err(invalid());
    }
    if !kind.fits(platform)
        || !text_ok(&b.version, 100)
        || b.version.contains(char::is_whitespace)
        || !text_ok(&b.package, 200)
        || b.arch.chars().count() > 32
    {
        return Err(invalid());
    }
    let version = NewVersion {
        version: b.version.trim().to_string(),
        platform,
        kind,
        package: b.package.trim().to_string(),
        arch: b.arch.trim().to_string(),
        sha256: None,
        size: 0,
    };
    store_version(&state, &caller, id, version).await
}

/// A version about to be added to an app.
struct NewVersion {
    version: String,
    platform: Platform,
    kind: AppKind,
    package: String,
    arch: String,
    sha256: Option<String>,
    size: u64,
}

/// Adds a version to an app (audited); a version already there for that platform is 409.
async fn store_version(
    state: &AppState,
    caller: &Caller,
    app_id: String,
    n: NewVersion,
) -> Result<(StatusCode, Json<AppVersion>), ApiError> {
    let now = state.clock.now_ms();
    let v = AppVersion {
        id: uuid::Uuid::now_v7().to_string(),
        app_id,
        version: n.version,
        platform: n.platform.as_str().to_string(),
        kind: n.kind.as_str().to_string(),
        package: n.package,
        arch: n.arch,
        sha256: n.sha256,
        size: n.size,
        created_at: to_rfc3339(now),
    };
    state
        .store
        .add_app_version(&v, now, &caller.actor())
        .await
        .map_err(conflict)?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// `POST /api/v1/apps/{id}/packages`: uploads a Debian package (the request body is the
/// `.deb` file). Its name, version and architecture are read from its control file; the file
/// is stored under its SHA-256 and becomes a Linux version of the app.
pub async fn upload_package(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<AppVersion>), ApiError> {
    find_app(&state, &id)?;
    let max = state.config.apps.max_package_mb as usize * 1024 * 1024;
    let data = axum::body::to_bytes(body, max)
        .await
        .map_err(|_| ApiError(ErrorCode::PayloadTooLarge))?;
    let control = steward_core::deb::control(&data).map_err(|_| invalid())?;
    let (sha, data) = tokio::task::spawn_blocking(move || {
        use sha2::Digest;
        (hex::encode(sha2::Sha256::digest(&data)), data)
    })
    .await
    .map_err(|_| ApiError(ErrorCode::Internal))?;
    let now = state.clock.now_ms();
    let file_name = format!(
        "{}_{}_{}.deb",
        control.package, control.version, control.architecture
    );
    state
        .store
        .put_package(&sha, &file_name, &data, now)
        .await?;
    let version = NewVersion {
        version: control.version,
        platform: Platform::Linux,
        kind: AppKind::Deb,
        package: control.package,
        arch: control.architecture,
        sha256: Some(sha),
        size: data.len() as u64,
    };
    store_version(&state, &caller, id, version).await
}

/// `GET /api/v1/app-assignments`
pub async fn list_assignments(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Json<Page<AppAssignment>> {
    let list = state.store.catalog().assignments.clone();
    Json(p.page(list, Order::Asc, |a| a.id.clone()))
}

fn parse_time(s: &str) -> Result<i64, ApiError> {
    parse_rfc3339(s).ok_or_else(invalid)
}

/// `POST /api/v1/app-assignments`
pub async fn create_assignment(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<AssignmentBody>,
) -> Result<(StatusCode, Json<AppAssignment>), ApiError> {
    let cat = state.store.catalog();
    let (app, version) = cat
        .version(&b.version_id)
        .ok_or(ApiError(ErrorCode::UnknownReference))?;
    let intent = Intent::parse(&b.intent).ok_or_else(invalid)?;
    let group = b
        .group
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string);
    if group.as_ref().is_some_and(|g| g.chars().count() > 255) {
        return Err(invalid());
    }
    // A scoped caller assigns only to its own groups.
    if !caller.groups.is_empty() && !group.as_ref().is_some_and(|g| caller.groups.contains(g)) {
        return Err(ApiError(ErrorCode::Forbidden));
    }
    steward_core::apps::validate_waves(&b.waves).map_err(|_| invalid())?;
    let now = state.clock.now_ms();
    let start = b
        .start_at
        .as_deref()
        .map(parse_time)
        .transpose()?
        .unwrap_or(now);
    let deadline = b.deadline_at.as_deref().map(parse_time).transpose()?;
    if deadline.is_some_and(|d| d <= start) {
        return Err(ApiError(ErrorCode::InvalidPeriod));
    }
    let pct = |v: Option<u8>, default: u8| match v {
        Some(p) if p <= 100 => Ok(p),
        Some(_) => Err(invalid()),
        None => Ok(default),
    };
    let waves = if b.waves.is_empty() {
        vec![steward_proto::apps::Wave {
            percent: Some(100),
            group: None,
        }]
    } else {
        b.waves
    };
    let a = AppAssignment {
        id: uuid::Uuid::now_v7().to_string(),
        app_id: app.id.clone(),
        app_name: app.name.clone(),
        version_id: version.id.clone(),
        version: version.version.clone(),
        platform: version.platform.clone(),
        intent: intent.as_str().to_string(),
        group,
        start_at: to_rfc3339(start),
        deadline_at: deadline.map(to_rfc3339),
        waves,
        gate_percent: pct(b.gate_percent, 90)?,
        target_percent: pct(b.target_percent, 95)?,
        failure_percent: pct(b.failure_percent, 10)?,
        current_wave: 0,
        paused: false,
        created_by: caller.name.clone(),
        created_at: to_rfc3339(now),
        updated_at: to_rfc3339(now),
    };
    state
        .store
        .create_assignment(&a, start, deadline, now, &caller.actor())
        .await?;
    // Targets now, rather than at the scheduler's next pass, when it starts now.
    if start <= now {
        if let Err(e) = state.store.create_targets(&a, now).await {
            tracing::warn!(error = %e, "targets not created yet; the scheduler will");
        }
    }
    Ok((StatusCode::CREATED, Json(a)))
}

fn find_assignment(state: &AppState, id: &str) -> Result<AppAssignment, ApiError> {
    state
        .store
        .catalog()
        .assignment(id)
        .cloned()
        .ok_or(ApiError(ErrorCode::NotFound))
}

/// The status of one assignment: counts by state, error and wave, and its history.
pub async fn assignment_status(
    state: &AppState,
    a: AppAssignment,
) -> Result<AssignmentStatus, ApiError> {
    let counts = state.store.app_counts(&a.id).await?;
    let since = state.clock.now_ms() - 30 * 86_400_000;
    let history = state.store.app_count_history(&a.id, since).await?;
    Ok(summarise(a, counts, history))
}

fn summarise(
    a: AppAssignment,
    counts: Vec<StateCount>,
    history: Vec<steward_proto::apps::CountPoint>,
) -> AssignmentStatus {
    let goal = Intent::parse(&a.intent)
        .unwrap_or(Intent::Required)
        .goal()
        .as_str();
    let mut states: HashMap<String, u64> = HashMap::new();
    let mut errors: HashMap<String, u64> = HashMap::new();
    let mut waves = vec![(0u64, 0u64, 0u64, 0u64); a.waves.len().max(1)];
    for c in &counts {
        *states.entry(c.state.clone()).or_default() += c.count;
        if !c.error_code.is_empty() {
            *errors.entry(c.error_code.clone()).or_default() += c.count;
        }
        if let Some(w) = waves.get_mut(c.wave as usize) {
            w.0 += c.count;
            if c.state == goal {
                w.1 += c.count;
            }
            if InstallState::parse(&c.state).is_some_and(|s| s.is_failure()) {
                w.2 += c.count;
            }
            if c.state == InstallState::NotApplicable.as_str() {
                w.3 += c.count;
            }
        }
    }
    let named = |m: HashMap<String, u64>| {
        let mut v: Vec<NamedCount> = m
            .into_iter()
            .map(|(name, count)| NamedCount { name, count })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        v
    };
    let waves = waves
        .into_iter()
        .enumerate()
        .map(|(i, (targets, succeeded, failed, na))| {
            let c = WaveCounts {
                targets,
                succeeded,
                not_applicable: na,
            };
            let phase = if (i as u32) < a.current_wave {
                "done"
            } else if i as u32 == a.current_wave {
                "started"
            } else {
                "waiting"
            };
            WaveStatus {
                wave: i as u32,
                targets,
                succeeded,
                failed,
                success_percent: (c.success_percent() * 10.0).round() / 10.0,
                phase: phase.into(),
            }
        })
        .collect();
    AssignmentStatus {
        targets: counts.iter().map(|c| c.count).sum(),
        states: named(states),
        errors: named(errors),
        waves,
        counts,
        history,
        assignment: a,
    }
}

/// `GET /api/v1/apps/{id}/status`
pub async fn app_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AppStatus>, ApiError> {
    let app = find_app(&state, &id)?;
    let mut assignments = Vec::new();
    for a in state
        .store
        .catalog()
        .assignments
        .iter()
        .filter(|a| a.app_id == id)
    {
        assignments.push(assignment_status(&state, a.clone()).await?);
    }
    Ok(Json(AppStatus { app, assignments }))
}

/// `GET /api/v1/app-assignments/{id}`
pub async fn get_assignment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AssignmentStatus>, ApiError> {
    let a = find_assignment(&state, &id)?;
    Ok(Json(assignment_status(&state, a).await?))
}

/// `DELETE /api/v1/app-assignments/{id}`
pub async fn delete_assignment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_assignment(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn pause_or_resume(
    state: &AppState,
    caller: &Caller,
    id: &str,
    paused: bool,
) -> Result<Json<AppAssignment>, ApiError> {
    find_assignment(state, id)?;
    state
        .store
        .pause_assignment(id, paused, state.clock.now_ms(), &caller.actor())
        .await?;
    find_assignment(state, id).map(Json)
}

/// `POST /api/v1/app-assignments/{id}/pause`: no device starts it until resumed.
pub async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AppAssignment>, ApiError> {
    pause_or_resume(&state, &caller, &id, true).await
}

/// `POST /api/v1/app-assignments/{id}/resume`
pub async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AppAssignment>, ApiError> {
    pause_or_resume(&state, &caller, &id, false).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    pub version_id: String,
}

/// `POST /api/v1/app-assignments/{id}/version`: deliver another version of the same app on
/// the same platform (a fixed build, an upgrade); every device starts again.
pub async fn set_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<VersionBody>,
) -> Result<Json<AppAssignment>, ApiError> {
    let a = find_assignment(&state, &id)?;
    let cat = state.store.catalog();
    let (app, v) = cat
        .version(&b.version_id)
        .ok_or(ApiError(ErrorCode::UnknownReference))?;
    if app.id != a.app_id || v.platform != a.platform {
        return Err(ApiError(ErrorCode::UnknownReference));
    }
    state
        .store
        .set_assignment_version(&a, &b.version_id, state.clock.now_ms(), &caller.actor())
        .await?;
    find_assignment(&state, &id).map(Json)
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Retried {
    pub devices: u64,
}

/// `POST /api/v1/app-assignments/{id}/retry`: another attempt on every failed device.
pub async fn retry_failed(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Retried>, ApiError> {
    find_assignment(&state, &id)?;
    let devices = state
        .store
        .retry_failed(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(Json(Retried { devices }))
}

/// Another attempt on one device; the device hears of it at once (its mailbox).
pub async fn retry_one(
    state: &AppState,
    caller: &Caller,
    assignment_id: &str,
    device_id: &str,
) -> Result<(), ApiError> {
    find_assignment(state, assignment_id)?;
    let device = state.store.device(device_id, 0).await?;
    crate::api::require_scope(state, caller, device_id, device.summary.group.as_deref()).await?;
    let now = state.clock.now_ms();
    state
        .store
        .retry_target(assignment_id, device_id, now, &caller.actor())
        .await?;
    crate::helpdesk::ask_device(state, caller, device_id, "apps", now).await
}

/// `POST /api/v1/app-assignments/{id}/devices/{device_id}/retry`
pub async fn retry_device(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, device_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Retried>), ApiError> {
    retry_one(&state, &caller, &id, &device_id).await?;
    Ok((StatusCode::ACCEPTED, Json(Retried { devices: 1 })))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TargetQuery {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub wave: Option<u32>,
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `GET /api/v1/app-assignments/{id}/devices?state=&error_code=&wave=`: the drill-down.
pub async fn assignment_devices(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<TargetQuery>, QueryRejection>,
) -> Result<Json<Page<AppTarget>>, ApiError> {
    let Query(q) = query.map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
    find_assignment(&state, &id)?;
    let p = crate::paging::Paging::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    if q.state
        .as_deref()
        .is_some_and(|s| InstallState::parse(s).is_none())
        || q.error_code.as_deref().is_some_and(|c| c.len() > 100)
    {
        return Err(ApiError(ErrorCode::InvalidQuery));
    }
    let after = p.after.clone().unwrap_or_default();
    let mut items = state
        .store
        .app_targets(
            &id,
            q.state.as_deref(),
            q.error_code.as_deref(),
            q.wave,
            &after,
            p.limit as u32 + 1,
        )
        .await?;
    let more = items.len() > p.limit;
    items.truncate(p.limit);
    items.retain(|t| {
        crate::api::in_scope(&caller, (!t.group.is_empty()).then_some(t.group.as_str()))
    });
    let next_cursor = more
        .then(|| items.last().map(|t| crate::paging::encode(&t.device_id)))
        .flatten();
    Ok(Json(Page {
        items,
        next_cursor,
        total: None,
    }))
}

/// `GET /api/v1/devices/{id}/apps`: the device's apps and their states.
pub async fn device_apps(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<AppTarget>>, ApiError> {
    let device = state.store.device(&id, 0).await?;
    crate::api::require_scope(&state, &caller, &id, device.summary.group.as_deref()).await?;
    Ok(Json(state.store.device_apps(&id).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct SoftwareQuery {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `GET /api/v1/software?name=&version=`: which devices hold a package, in a version range
/// (`>=7.2, <8`).
pub async fn software(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<SoftwareQuery>, QueryRejection>,
) -> Result<Json<SoftwareAnswer>, ApiError> {
    let Query(q) = query.map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
    let name = q.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError(ErrorCode::InvalidQuery));
    }
    let range = VersionRange::parse(q.version.as_deref().unwrap_or(""))
        .map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
    let p = crate::paging::Paging::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let mut titles = state.store.software_titles(name).await?;
    titles.retain(|(_, t)| range.contains(&t.version));
    titles.sort_by(|a, b| steward_core::apps::compare_versions(&b.1.version, &a.1.version));
    let groups = (!caller.groups.is_empty()).then_some(caller.groups.as_slice());
    let after = p.after.clone().unwrap_or_default();
    let mut items = state
        .store
        .software_devices(&titles, groups, &after, p.limit as u32 + 1)
        .await?;
    let more = items.len() > p.limit;
    items.truncate(p.limit);
    let next_cursor = more
        .then(|| items.last().map(|d| crate::paging::encode(&d.device_id)))
        .flatten();
    let total = groups
        .is_none()
        .then(|| titles.iter().map(|(_, t)| t.devices).sum());
    Ok(Json(SoftwareAnswer {
        titles: titles.into_iter().map(|(_, t)| t).collect(),
        items,
        next_cursor,
        total,
    }))
}

/// `GET /agent/v1/apps`: what the server wants on (or off) this device now.
pub async fn agent_apps(
    State(state): State<AppState>,
    device: Device,
) -> Result<Json<AppsDocument>, ApiError> {
    if device.auth.retired {
        return Err(ApiError(ErrorCode::Unauthorized));
    }
    let version = state.store.apps_version();
    let detail = state.store.device(&device.id, 0).await?;
    let now = state.clock.now_ms();
    let cat = state.store.catalog();
    let held: HashMap<String, u32> = state
        .store
        .device_target_states(&device.id)
        .await?
        .into_iter()
        .map(|(a, _, g)| (a, g))
        .collect();
    let group = detail.summary.group.clone().unwrap_or_default();
    let platform = detail.summary.platform.as_str();
    let mut missing = Vec::new();
    let mut apps = Vec::new();
    for a in &cat.assignments {
        let started = parse_rfc3339(&a.start_at).is_some_and(|s| s <= now);
        if !started || a.paused || a.platform != platform {
            continue;
        }
        if a.group.as_ref().is_some_and(|g| *g != group) {
            continue;
        }
        let wave = steward_core::apps::wave_of(
            &a.waves,
            &a.id,
            &device.id,
            (!group.is_empty()).then_some(group.as_str()),
        );
        if wave > a.current_wave {
            continue;
        }
        let Some((app, v)) = cat.version(&a.version_id) else {
            continue;
        };
        let generation = match held.get(&a.id) {
            Some(g) => *g,
            None => {
                missing.push((a, wave, group.clone()));
                0
            }
        };
        apps.push(AppOffer {
            assignment_id: a.id.clone(),
            app_id: app.id.clone(),
            name: app.name.clone(),
            version: v.version.clone(),
            intent: a.intent.clone(),
            kind: v.kind.clone(),
            package: v.package.clone(),
            arch: v.arch.clone(),
            sha256: v.sha256.clone(),
            size: v.size,
            url: v.sha256.as_ref().map(|s| format!("/agent/v1/packages/{s}")),
            generation,
            deadline: a.deadline_at.clone(),
        });
    }
    state.store.add_targets(&device.id, &missing, now).await?;
    Ok(Json(AppsDocument { version, apps }))
}

/// `GET /agent/v1/packages/{sha256}`: an uploaded package, to enrolled devices only,
/// streamed piece by piece from the database.
pub async fn agent_package(
    State(state): State<AppState>,
    device: Device,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    if device.auth.retired {
        return Err(ApiError(ErrorCode::Unauthorized));
    }
    if sha.len() != 64 || !sha.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError(ErrorCode::NotFound));
    }
    let (size, pieces) = state
        .store
        .package_size(&sha)
        .await?
        .ok_or(ApiError(ErrorCode::NotFound))?;
    let store = state.store.clone();
    let stream = futures::stream::iter(0..pieces).then(move |n| {
        let store = store.clone();
        let sha = sha.clone();
        async move {
            store
                .package_chunk(&sha, n)
                .await
                .map(bytes::Bytes::from)
                .map_err(std::io::Error::other)
        }
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.debian.binary-package".to_string(),
            ),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

use futures::StreamExt;

/// What a check-in brings about apps and software: the software list first (it confirms or
/// contradicts "installed"), then the install steps.
pub async fn take_checkin(
    state: &AppState,
    device_id: &str,
    software: Option<(String, Vec<SoftwarePackage>)>,
    installs: &[AppInstall],
    now: i64,
) -> Result<(), ApiError> {
    let mut cat = state.store.catalog();
    let unknown = installs.iter().any(|i| {
        i.assignment_id
            .as_deref()
            .is_some_and(|id| cat.assignment(id).is_none())
    });
    if unknown {
        cat = state.store.refresh_catalog().await?;
    }
    if let Some((hash, list)) = software {
        let packages = |assignment_id: &str| {
            let a = cat.assignment(assignment_id)?;
            let (_, v) = cat.version(&a.version_id)?;
            Some((v.package.clone(), v.version.clone()))
        };
        state
            .store
            .put_software(device_id, &hash, &list, &packages, now)
            .await?;
        state
            .cache
            .update(device_id, |a| a.software_hash = hash.clone());
    }
    if installs.is_empty() {
        return Ok(());
    }
    let mut steps = Vec::new();
    let mut loose = Vec::new();
    let detail_group = if installs.iter().any(|i| i.assignment_id.is_some()) {
        state.store.device(device_id, 0).await?.summary.group
    } else {
        None
    };
    let group = detail_group.unwrap_or_default();
    for i in installs {
        let found = i.assignment_id.as_deref().and_then(|id| {
            let a = cat.assignment(id)?;
            let (_, v) = cat.version(&a.version_id)?;
            Some((a, v))
        });
        match found {
            Some((a, v)) => {
                let wave = steward_core::apps::wave_of(
                    &a.waves,
                    &a.id,
                    device_id,
                    (!group.is_empty()).then_some(group.as_str()),
                );
                steps.push(Step {
                    report: i,
                    assignment: a,
                    package: &v.package,
                    wave,
                    group: &group,
                });
            }
            // An app the device reports on its own (or of an assignment since deleted).
            None => loose.push(i.clone()),
        }
    }
    state
        .store
        .record_app_steps(device_id, &steps, &loose, now)
        .await?;
    Ok(())
}

/// The rollout scheduler (one server at a time): creates targets for devices enrolled since
/// the last pass, moves rollouts to their next wave when the gate is met, marks targets
/// timed out past their deadline, and keeps each hour's counts.
pub async fn scheduler(state: AppState) {
    let every = i64::from(state.config.apps.schedule_secs.max(1)) * 1000;
    loop {
        let now = state.clock.now_ms();
        if let Err(e) = pass(&state, now).await {
            tracing::warn!(error = %e.0.as_str(), "rollout pass failed");
        }
        state.clock.sleep_until(now + every).await;
    }
}

/// One pass of the scheduler.
pub async fn pass(state: &AppState, now: i64) -> Result<(), ApiError> {
    let cat = state.store.catalog();
    for a in &cat.assignments {
        let started = parse_rfc3339(&a.start_at).is_some_and(|s| s <= now);
        if !started {
            continue;
        }
        state.store.create_targets(a, now).await?;
        if let Some(deadline) = a.deadline_at.as_deref().and_then(parse_rfc3339) {
            if deadline <= now {
                state.store.time_out_targets(a, now).await?;
            }
        }
        if a.paused || (a.current_wave as usize + 1) >= a.waves.len() {
            continue;
        }
        let counts = state.store.app_counts(&a.id).await?;
        let goal = Intent::parse(&a.intent)
            .unwrap_or(Intent::Required)
            .goal()
            .as_str();
        let mut wave = WaveCounts::default();
        for c in counts.iter().filter(|c| c.wave == a.current_wave) {
            wave.targets += c.count;
            if c.state == goal {
                wave.succeeded += c.count;
            }
            if c.state == InstallState::NotApplicable.as_str() {
                wave.not_applicable += c.count;
            }
        }
        if wave.gate_met(a.gate_percent) {
            state.store.advance_wave(&a.id, a.current_wave, now).await?;
        }
    }
    let hour = now - now.rem_euclid(3_600_000);
    state.store.snapshot_app_counts(hour).await?;
    Ok(())
}

/// What is off plan in the app rollouts: running waves failing more than their assignment
/// allows, and assignments past their deadline with less than their target share at the
/// goal (one reason each, naming the app).
pub async fn plan_problems(
    state: &AppState,
    now: i64,
) -> Result<
    (
        Vec<steward_core::alerting::Reason>,
        Vec<steward_core::alerting::Reason>,
    ),
    ApiError,
> {
    use steward_core::alerting::Reason;
    let cat = state.store.catalog();
    let (mut failing_waves, mut behind) = (Vec::new(), Vec::new());
    for a in &cat.assignments {
        if a.intent == Intent::Available.as_str() {
            continue;
        }
        let s = assignment_status(state, a.clone()).await?;
        let name = format!(
            "{} {} ({})",
            a.app_name,
            a.version,
            Platform::parse(&a.platform).map_or(a.platform.as_str(), |p| p.os_name())
        );
        let goal = Intent::parse(&a.intent)
            .unwrap_or(Intent::Required)
            .goal()
            .as_str();
        let reached: u64 = s
            .states
            .iter()
            .filter(|c| c.name == goal)
            .map(|c| c.count)
            .sum();
        let not_applicable: u64 = s
            .states
            .iter()
            .filter(|c| c.name == InstallState::NotApplicable.as_str())
            .map(|c| c.count)
            .sum();
        let applies = s.targets.saturating_sub(not_applicable);
        let share = (reached * 100).checked_div(applies).unwrap_or(100);
        let past = a
            .deadline_at
            .as_deref()
            .and_then(parse_rfc3339)
            .is_some_and(|d| d <= now);
        if past && share < u64::from(a.target_percent) {
            behind.push(Reason::new(
                "readiness-apps-behind",
                &[
                    ("app", name.clone()),
                    ("percent", share.to_string()),
                    ("target", a.target_percent.to_string()),
                ],
            ));
        }
        if let Some(w) = s.waves.get(a.current_wave as usize) {
            let settled = w.succeeded + w.failed;
            let failing = (w.failed * 100).checked_div(settled).unwrap_or(0);
            if settled > 0 && failing > u64::from(a.failure_percent) {
                failing_waves.push(Reason::new(
                    "readiness-apps-failing",
                    &[
                        ("app", name),
                        ("wave", (w.wave + 1).to_string()),
                        ("percent", failing.to_string()),
                        ("threshold", a.failure_percent.to_string()),
                    ],
                ));
            }
        }
    }
    Ok((failing_waves, behind))
}

/// Readiness: "application distribution performing to plan". Fails for an assignment past
/// its deadline with less than its target share at the goal, and for a running wave whose
/// failures pass its threshold.
pub async fn readiness(
    state: &AppState,
    now: i64,
) -> Result<steward_core::awareness::Check, ApiError> {
    use steward_core::alerting::Reason;
    let (failing, behind) = plan_problems(state, now).await?;
    let mut evidence: Vec<Reason> = behind.into_iter().chain(failing).collect();
    let count = state.store.catalog().assignments.len();
    let pass = evidence.is_empty();
    if pass && count == 0 {
        evidence.push(Reason::new("readiness-apps-none", &[]));
    } else if pass {
        evidence.push(Reason::new(
            "readiness-apps-ok",
            &[("count", count.to_string())],
        ));
    }
    Ok(steward_core::awareness::Check {
        id: "apps",
        pass,
        evidence,
        link: "/apps",
    })
}
