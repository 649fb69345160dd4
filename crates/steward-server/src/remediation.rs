//! Remediation: the script library (each version immutable, named by its SHA-256),
//! detect-and-fix remediations assigned to groups with their per-device states, device
//! actions (restart, log off, run a script, collect diagnostics, quarantine, lock, wipe), and
//! the second administrator's approval of what is risky.
//!
//! Devices get their work as requests in their mailbox (the push channel brings them at
//! once, a check-in answer otherwise) and fetch the script text by its hash
//! (`GET /agent/v1/scripts/{sha256}`), which the agent checks before running it. The
//! scheduler (one server at a time, lease `remediation`) adds the devices a remediation
//! covers, hands out the attempts that are due, and clears generations that reach few
//! devices; answers come back with check-ins and are recorded once.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use steward_core::policy::Permission;
use steward_core::remediation::{self as core, Attempts};
use steward_proto::remediation::{
    script_hash, ActionOutcome, Approval, DecisionBody, DeviceActionBody, DeviceRemediation,
    DeviceState, DiagnosticsInfo, GroupCounts, RemediateParams, Remediation, RemediationBody,
    RemediationStatus, Script, ScriptBody, ScriptRef, ScriptReport, ScriptVersion,
    MAX_OUTPUT_CHARS, MAX_SCRIPT_LEN, MAX_TIMEOUT_SECS,
};
use steward_proto::{ActionResult, ErrorCode, Page, Platform};
use steward_store::audit::Actor;
use steward_store::helpdesk::DeviceRequest;
use steward_store::remediation::{Recorded, Waiting};
use steward_store::StoreError;

use crate::agent::Device;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::paging::{Order, Pages};
use crate::AppState;

/// Device actions and who may ask for them beyond the route's permission.
pub const ACTION_KINDS: [&str; 7] = [
    "restart",
    "logoff",
    "run_script",
    "collect_diagnostics",
    "quarantine",
    "lock",
    "wipe",
];
/// The most devices one many-device action names.
pub const MAX_ACTION_DEVICES: usize = 1000;
/// The most attempts handed out in one scheduler pass, and the fewest it may hand out.
const DISPATCH_MAX: u64 = 2000;
const DISPATCH_MIN: u64 = 100;

/// Attempts one pass may hand out: `share_percent` of the check-ins this server answers over
/// a pass, within [`DISPATCH_MIN`] and [`DISPATCH_MAX`].
pub fn dispatch_budget(checkins_per_s: u64, pass_secs: u32, share_percent: f64) -> u64 {
    // The cast saturates (a negative or NaN share gives 0), and the bounds do the rest.
    let checkins = (checkins_per_s * u64::from(pass_secs)) as f64;
    ((checkins * share_percent / 100.0) as u64).clamp(DISPATCH_MIN, DISPATCH_MAX)
}

fn conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError(ErrorCode::Conflict),
        other => other.into(),
    }
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Who asked, as the approvals compare it: the user behind a session or token, or the token.
fn requester(caller: &Caller) -> String {
    caller.user_id.clone().unwrap_or_else(|| caller.actor().id)
}

// ---- scripts ----

fn checked_script(b: &ScriptBody) -> Result<(), ApiError> {
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 200 || b.description.chars().count() > 2000 {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    if b.content.trim().is_empty() || b.content.len() > MAX_SCRIPT_LEN || b.content.contains('\0') {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    if !(1..=MAX_TIMEOUT_SECS).contains(&b.timeout_secs) {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    Ok(())
}

fn script_of(id: String, b: ScriptBody) -> Script {
    Script {
        id,
        name: b.name.trim().to_string(),
        description: b.description,
        shell: b.shell,
        timeout_secs: b.timeout_secs,
        version: 0,
        sha256: script_hash(&b.content),
        content: b.content,
        helpdesk_version: None,
        created_by: String::new(),
        created_at: String::new(),
        updated_by: String::new(),
        updated_at: String::new(),
    }
}

pub async fn list_scripts(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<Script>>, ApiError> {
    let items = state.store.scripts().await?;
    Ok(Json(p.page(items, Order::Asc, |s| s.id.clone())))
}

pub async fn get_script(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Script>, ApiError> {
    Ok(Json(state.store.script(&id).await?))
}

pub async fn script_versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Pages(p): Pages,
) -> Result<Json<Page<ScriptVersion>>, ApiError> {
    state.store.script(&id).await?;
    let items = state.store.script_versions(&id).await?;
    Ok(Json(p.page(items, Order::Desc, |v| {
        format!("{:010}", v.version)
    })))
}

/// `POST /api/v1/scripts`: a new script, version 1.
pub async fn create_script(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<ScriptBody>,
) -> Result<(StatusCode, Json<Script>), ApiError> {
    checked_script(&b)?;
    let now = state.clock.now_ms();
    let (s, _) = state
        .store
        .put_script(&script_of(new_id(), b), true, now, &caller.actor())
        .await
        .map_err(conflict)?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// `PUT /api/v1/scripts/{id}`: a new text is a new version, and every remediation running
/// the script runs again once its new generation is cleared.
pub async fn update_script(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ScriptBody>,
) -> Result<Json<Script>, ApiError> {
    checked_script(&b)?;
    let now = state.clock.now_ms();
    let (s, moved) = state
        .store
        .put_script(&script_of(id, b), false, now, &caller.actor())
        .await
        .map_err(conflict)?;
    for rid in moved {
        if let Ok(r) = state.store.remediation(&rid).await {
            decide_generation(&state, &r, Some(&caller), now).await?;
        }
    }
    Ok(Json(s))
}

pub async fn delete_script(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_script(&id, state.clock.now_ms(), &caller.actor())
        .await
        .map_err(conflict)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearBody {
    /// The version cleared (the current one when absent).
    #[serde(default)]
    pub version: Option<u32>,
}

/// `POST /api/v1/scripts/{id}/clear`: an administrator clears a version for the help desk to
/// run on one device at a time.
pub async fn clear_script(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ClearBody>,
) -> Result<Json<Script>, ApiError> {
    let s = state.store.script(&id).await?;
    let version = b.version.unwrap_or(s.version);
    state.store.script_version(&id, version).await?;
    state
        .store
        .clear_script(&id, version, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(Json(state.store.script(&id).await?))
}

// ---- remediations ----

async fn checked_remediation(state: &AppState, b: &RemediationBody) -> Result<(), ApiError> {
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 200 || b.description.chars().count() > 2000 {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    if !(1..=10).contains(&b.max_attempts)
        || !(1..=1440).contains(&b.retry_minutes)
        || b.every_hours > 24 * 366
        || b.groups.len() > 100
        || b.groups
            .iter()
            .any(|g| g.is_empty() || g.chars().count() > 100)
        || b.alert_failure_percent.is_some_and(|p| p == 0 || p > 100)
        || b.trigger_rule
            .as_ref()
            .is_some_and(|r| r.is_empty() || r.len() > 64)
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let scripts = [Some(&b.detect_script_id), b.fix_script_id.as_ref()];
    for id in scripts.into_iter().flatten() {
        match state.store.script(id).await {
            Ok(s) if s.shell.runs_on(b.platform) => {}
            Ok(_) => return Err(ApiError(ErrorCode::PlatformNotAllowed)),
            Err(StoreError::NotFound) => return Err(ApiError(ErrorCode::UnknownReference)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Clears a remediation's new generation at once when it reaches no more devices than the
/// threshold; otherwise asks a second administrator (once per generation).
pub async fn decide_generation(
    state: &AppState,
    r: &Remediation,
    caller: Option<&Caller>,
    now: i64,
) -> Result<(), ApiError> {
    if !r.awaiting_approval() || r.approval_id.is_some() {
        return Ok(());
    }
    let devices = state
        .store
        .count_targets(r.body.platform.as_str(), &r.body.groups)
        .await?;
    let threshold = u64::from(state.config.remediation.approval_threshold);
    if !core::remediation_needs_approval(devices, threshold) {
        state
            .store
            .clear_generation(&r.id, r.generation, now)
            .await?;
        return Ok(());
    }
    let approval = Approval {
        id: new_id(),
        kind: "remediation".into(),
        summary: r.body.name.clone(),
        devices,
        state: "pending".into(),
        requested_by: caller.map_or_else(|| r.created_by.clone(), |c| c.name.clone()),
        requested_at: steward_core::time::to_rfc3339(now),
        decided_by: None,
        decided_at: None,
        note: None,
        payload: serde_json::json!({"remediation_id": r.id, "generation": r.generation}),
    };
    let (who, actor) = match caller {
        Some(c) => (requester(c), c.actor()),
        None => ("system".to_string(), Actor::system()),
    };
    state
        .store
        .await_approval(&r.id, r.generation, &approval, &who, &actor, now)
        .await?;
    Ok(())
}

pub async fn list_remediations(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<Remediation>>, ApiError> {
    let items = state.store.remediations().await?;
    Ok(Json(p.page(items, Order::Asc, |r| r.id.clone())))
}

pub async fn get_remediation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Remediation>, ApiError> {
    Ok(Json(state.store.remediation(&id).await?))
}

pub async fn create_remediation(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<RemediationBody>,
) -> Result<(StatusCode, Json<Remediation>), ApiError> {
    checked_remediation(&state, &b).await?;
    let now = state.clock.now_ms();
    let r = state
        .store
        .put_remediation(&new_id(), &b, true, now, &caller.actor())
        .await?;
    decide_generation(&state, &r, Some(&caller), now).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.remediation(&r.id).await?),
    ))
}

pub async fn update_remediation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RemediationBody>,
) -> Result<Json<Remediation>, ApiError> {
    checked_remediation(&state, &b).await?;
    let now = state.clock.now_ms();
    let r = state
        .store
        .put_remediation(&id, &b, false, now, &caller.actor())
        .await?;
    decide_generation(&state, &r, Some(&caller), now).await?;
    Ok(Json(state.store.remediation(&id).await?))
}

pub async fn delete_remediation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_remediation(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The figures of a remediation within the caller's groups.
pub async fn status_of(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<RemediationStatus, ApiError> {
    let r = state.store.remediation(id).await?;
    let mut counts: BTreeMap<String, u64> = DeviceState::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    let mut groups: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (group, st, n) in state.store.remediation_counts(id).await? {
        if !crate::api::in_scope(caller, (!group.is_empty()).then_some(group.as_str())) {
            continue;
        }
        *counts.entry(st.clone()).or_default() += n;
        *groups.entry(group).or_default().entry(st).or_default() += n;
    }
    let total = counts.values().sum();
    let failure_percent =
        core::failure_percent(|s| counts.get(s).copied().unwrap_or(0)).unwrap_or(0);
    let failing = state
        .store
        .remediation_devices(&r, &core::FAILED, None, 200)
        .await?
        .into_iter()
        .filter(|d| crate::api::in_scope(caller, (!d.group.is_empty()).then_some(d.group.as_str())))
        .take(50)
        .collect();
    Ok(RemediationStatus {
        remediation_id: r.id.clone(),
        generation: r.generation,
        awaiting_approval: r.awaiting_approval(),
        total,
        counts,
        groups: groups
            .into_iter()
            .map(|(group, counts)| GroupCounts { group, counts })
            .collect(),
        failure_percent,
        failing,
    })
}

/// The switched-on remediations with a failure threshold (`alert_failure_percent`).
async fn watched(state: &AppState) -> Result<Vec<Remediation>, ApiError> {
    let mut list = state.store.remediations().await?;
    list.retain(|r| r.body.enabled && r.body.alert_failure_percent.is_some());
    Ok(list)
}

/// Those of `watched` whose failures pass their threshold, each as a reason naming it with
/// its failure rate.
async fn failing_of(
    state: &AppState,
    watched: &[Remediation],
) -> Result<Vec<steward_core::alerting::Reason>, ApiError> {
    let mut out = Vec::new();
    for r in watched {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for (_, st, n) in state.store.remediation_counts(&r.id).await? {
            *counts.entry(st).or_default() += n;
        }
        let percent = core::failure_percent(|s| counts.get(s).copied().unwrap_or(0));
        let threshold = r.body.alert_failure_percent;
        if let (true, Some(p), Some(t)) = (core::failing(percent, threshold), percent, threshold) {
            out.push(steward_core::alerting::Reason::new(
                "readiness-remediation-failing",
                &[
                    ("remediation", r.body.name.clone()),
                    ("percent", p.to_string()),
                    ("threshold", t.to_string()),
                ],
            ));
        }
    }
    Ok(out)
}

/// The switched-on remediations whose failures pass the threshold their author set (the
/// alert `remediation_failing` and the readiness item read this).
pub async fn failing(state: &AppState) -> Result<Vec<steward_core::alerting::Reason>, ApiError> {
    failing_of(state, &watched(state).await?).await
}

/// Readiness: "remediations fixing what they find". Fails while a remediation's failures
/// pass its threshold.
pub async fn readiness(state: &AppState) -> Result<steward_core::awareness::Check, ApiError> {
    use steward_core::alerting::Reason;
    let watched = watched(state).await?;
    let mut evidence = failing_of(state, &watched).await?;
    let pass = evidence.is_empty();
    if pass {
        let watched = watched.len();
        evidence.push(if watched == 0 {
            Reason::new("readiness-remediation-none", &[])
        } else {
            Reason::new(
                "readiness-remediation-ok",
                &[("count", watched.to_string())],
            )
        });
    }
    Ok(steward_core::awareness::Check {
        id: "remediation",
        pass,
        evidence,
        link: "/remediations",
    })
}

/// `GET /api/v1/remediations/{id}/status`: devices per state and group, the failure rate,
/// and the failing devices with what their scripts said.
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RemediationStatus>, ApiError> {
    Ok(Json(status_of(&state, &caller, &id).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct DevicesQuery {
    #[serde(default)]
    pub state: Option<String>,
}

/// `GET /api/v1/remediations/{id}/devices?state=`: device by device.
pub async fn devices(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<DevicesQuery>,
    Pages(p): Pages,
) -> Result<Json<Page<DeviceRemediation>>, ApiError> {
    let r = state.store.remediation(&id).await?;
    let states: Vec<&str> = match q.state.as_deref() {
        None | Some("") => Vec::new(),
        Some(s) => vec![DeviceState::parse(s)
            .ok_or(ApiError(ErrorCode::InvalidQuery))?
            .as_str()],
    };
    let limit = u32::try_from(p.limit).unwrap_or(50);
    let mut items = state
        .store
        .remediation_devices(&r, &states, p.after.as_deref(), limit + 1)
        .await?;
    let next_cursor = if items.len() > p.limit {
        items.truncate(p.limit);
        items.last().map(|d| crate::paging::encode(&d.device_id))
    } else {
        None
    };
    items.retain(|d| {
        crate::api::in_scope(&caller, (!d.group.is_empty()).then_some(d.group.as_str()))
    });
    Ok(Json(Page {
        items,
        next_cursor,
        total: None,
    }))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Rerun {
    pub devices: u64,
}

/// `POST /api/v1/remediations/{id}/rerun-failed`: devices whose fix failed or whose script
/// erred start over (attempt 1).
pub async fn rerun_failed(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Rerun>, ApiError> {
    state.store.remediation(&id).await?;
    let devices = state
        .store
        .rerun_failed(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(Json(Rerun { devices }))
}

/// `GET /api/v1/devices/{id}/remediations`.
pub async fn device_remediations(
    State(state): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
) -> Result<Json<Vec<DeviceRemediationView>>, ApiError> {
    let d = state.store.device(&device_id, 0).await?;
    crate::api::require_scope(&state, &caller, &device_id, d.summary.group.as_deref()).await?;
    Ok(Json(
        state
            .store
            .device_remediations(&device_id)
            .await?
            .into_iter()
            .map(|(remediation_id, name, row)| DeviceRemediationView {
                remediation_id,
                name,
                row,
            })
            .collect(),
    ))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceRemediationView {
    pub remediation_id: String,
    pub name: String,
    #[serde(flatten)]
    pub row: DeviceRemediation,
}

// ---- the scheduler ----

/// The remediation scheduler (one server at a time): targets, due attempts, generations.
pub async fn scheduler(state: AppState) {
    let every = i64::from(state.config.remediation.schedule_secs.max(1)) * 1000;
    loop {
        let now = state.clock.now_ms();
        if let Err(e) = pass(&state, now).await {
            tracing::warn!(error = %e.0.as_str(), "remediation pass failed");
        }
        state.clock.sleep_until(now + every).await;
    }
}

fn script_ref(s: &Script) -> ScriptRef {
    ScriptRef {
        sha256: s.sha256.clone(),
        shell: s.shell,
        timeout_secs: s.timeout_secs,
    }
}

/// One pass of the scheduler: returns how many attempts it handed out.
pub async fn pass(state: &AppState, now: i64) -> Result<u64, ApiError> {
    let cfg = &state.config.remediation;
    let mut budget = dispatch_budget(
        state
            .checkin_rate
            .load(std::sync::atomic::Ordering::Relaxed),
        cfg.schedule_secs.max(1),
        cfg.share_percent,
    );
    let mut handed = 0;
    for r in state.store.remediations().await? {
        if !r.body.enabled {
            continue;
        }
        if r.awaiting_approval() {
            if r.approval_id.is_none() {
                // A generation whose decision was lost (a server stopped in between).
                decide_generation(state, &r, None, now).await?;
            }
            continue;
        }
        if let Some(rule) = &r.body.trigger_rule {
            let failing = state
                .store
                .failing_devices(r.body.platform.as_str(), &r.body.groups)
                .await?
                .into_iter()
                .filter(|f| fails_rule(f.results.as_deref(), rule))
                .map(|f| (f.device_id, f.group, f.failing_since.unwrap_or(now)))
                .collect::<Vec<_>>();
            state.store.trigger_remediation(&r, &failing, now).await?;
        } else {
            state.store.create_remediation_targets(&r, now).await?;
        }
        if budget == 0 {
            // This pass's share is spent: the next pass goes on.
            continue;
        }
        let detect = match state.store.script(&r.body.detect_script_id).await {
            Ok(s) => script_ref(&s),
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let fix = match &r.body.fix_script_id {
            Some(id) => match state.store.script(id).await {
                Ok(s) => Some(script_ref(&s)),
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        lapse_unanswered(state, &r.id, &detect, fix.as_ref(), now, &mut budget).await?;
        let make = |due: &steward_store::remediation::DueRow| {
            let params = RemediateParams {
                remediation_id: r.id.clone(),
                generation: r.generation,
                attempt: due.attempt,
                detect: detect.clone(),
                fix: fix.clone(),
            };
            let params = serde_json::to_value(params).unwrap_or_default();
            DeviceRequest::new(&due.device_id, "remediate", &r.body.name, now, params)
        };
        // Hinted before the commit: a check-in that follows a listing showing the requests
        // gets them (see `dispatch_remediation`); waiting agents are woken after it.
        let noted = |made: &[DeviceRequest]| {
            for req in made {
                state
                    .mailbox
                    .note(&req.device_id, crate::helpdesk::action(req));
            }
        };
        let made = state
            .store
            .dispatch_remediation(&r, now, u32::try_from(budget).unwrap_or(0), make, noted)
            .await?;
        for req in &made {
            state.mailbox.wake(&req.device_id);
        }
        handed += made.len() as u64;
        budget = budget.saturating_sub(made.len() as u64);
    }
    Ok(handed)
}

/// Attempts whose answer lapsed in one pass at most (the next pass takes the rest).
const LAPSED_PER_PASS: u64 = 500;

/// Records the attempts of remediation `id` whose answer is lost (see
/// [`steward_store::Store::lapsed_attempts`] and [`core::answer_lapse_ms`]: the device came
/// back after the attempt's scripts and an hour, without the answer) as the device's answer
/// [`core::NO_ANSWER`], through the same path as its real answers: the device is tried again
/// with backoff while attempts remain, instead of staying "remediating". They count against
/// this pass's `budget` (they are writes like answers) and go to the writer together. An
/// answer arriving later finds its request closed and changes nothing.
async fn lapse_unanswered(
    state: &AppState,
    id: &str,
    detect: &ScriptRef,
    fix: Option<&ScriptRef>,
    now: i64,
    budget: &mut u64,
) -> Result<(), ApiError> {
    let limit = u32::try_from((*budget).min(LAPSED_PER_PASS)).unwrap_or(0);
    let lapse = core::answer_lapse_ms(detect.timeout_secs, fix.map_or(0, |f| f.timeout_secs));
    let lapsed = state.store.lapsed_attempts(id, now, lapse, limit).await?;
    *budget = budget.saturating_sub(lapsed.len() as u64);
    let each = lapsed.iter().map(|(device, request)| async move {
        let lost = ActionResult {
            action_id: format!("{}{request}", crate::helpdesk::PREFIX),
            ok: false,
            code: Some(core::NO_ANSWER.into()),
            message: None,
            script: None,
        };
        crate::helpdesk::answers(state, device, std::slice::from_ref(&lost), now).await;
    });
    futures::future::join_all(each).await;
    Ok(())
}

/// Whether a device's stored rule results fail the rule named `rule`.
fn fails_rule(results: Option<&str>, rule: &str) -> bool {
    let Some(list) = results.and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()) else {
        return false;
    };
    list.as_array().is_some_and(|items| {
        items
            .iter()
            .any(|i| i["rule"]["rule"] == rule && i["result"] == "fail")
    })
}

// ---- answers from devices ----

fn tail(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_OUTPUT_CHARS {
        return s.to_string();
    }
    s.chars().skip(n - MAX_OUTPUT_CHARS).collect()
}

/// What a device's answer to request `request_id` means for the remediation row waiting
/// for it (`None` when no row waits for it: not a remediation, or an answer too late).
/// An error reading the row is returned: the answer is then not recorded, and a remediation
/// attempt's is taken up again once its lapse has passed.
pub async fn outcome_of(
    state: &AppState,
    device_id: &str,
    request_id: &str,
    r: &ActionResult,
    now: i64,
) -> Result<Option<(Waiting, Recorded)>, StoreError> {
    let Some((waiting, body)) = state.store.waiting_for(request_id, device_id).await? else {
        return Ok(None);
    };
    let report = r.script.clone().unwrap_or_else(|| ScriptReport {
        detect: Some(steward_proto::remediation::StepResult {
            error: Some(r.code.clone().unwrap_or_else(|| "no_report".into())),
            output: r.message.clone().unwrap_or_default(),
            ..Default::default()
        }),
        ..Default::default()
    });
    let attempts = Attempts {
        max_attempts: body.max_attempts,
        retry_minutes: body.retry_minutes,
        every_hours: body.every_hours,
    };
    let o = core::outcome(
        &report,
        body.fix_script_id.is_some(),
        waiting.attempt,
        attempts,
        now,
    );
    let out_of = |s: &Option<steward_proto::remediation::StepResult>| {
        s.as_ref().map(|s| {
            let mut text = tail(&s.output);
            if let Some(e) = &s.error {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!("[{e}]"));
            }
            text
        })
    };
    let rec = Recorded {
        state: o.state.as_str(),
        next_at: o.next_at,
        detect_exit: report.detect.as_ref().and_then(|s| s.exit_code),
        fix_exit: report.fix.as_ref().and_then(|s| s.exit_code),
        detect_output: out_of(&report.detect),
        fix_output: out_of(&report.fix),
        after_output: out_of(&report.after),
    };
    Ok(Some((waiting, rec)))
}

// ---- device actions ----

/// Builds the requests of an action for `devices`, checking what it needs.
async fn requests_for(
    state: &AppState,
    caller: &Caller,
    b: &DeviceActionBody,
    devices: &[(String, Platform)],
    now: i64,
) -> Result<Vec<DeviceRequest>, ApiError> {
    let params = match b.kind.as_str() {
        "restart" => {
            let delay = b.delay_minutes.unwrap_or(5);
            if delay > 60 {
                return Err(ApiError(ErrorCode::InvalidField));
            }
            serde_json::json!({"delay_minutes": delay, "message": b.message.clone().unwrap_or_default()})
        }
        "lock" => serde_json::json!({"message": b.message.clone().unwrap_or_default()}),
        "quarantine" => {
            if b.threat.is_none() && b.path.is_none() {
                return Err(ApiError(ErrorCode::InvalidField));
            }
            serde_json::json!({"threat": b.threat, "path": b.path})
        }
        "run_script" => {
            let id = b
                .script_id
                .as_deref()
                .ok_or(ApiError(ErrorCode::InvalidField))?;
            let s = match state.store.script(id).await {
                Ok(s) => s,
                Err(StoreError::NotFound) => return Err(ApiError(ErrorCode::UnknownReference)),
                Err(e) => return Err(e.into()),
            };
            // Operators run the current version; the help desk the one cleared for it.
            let version = if caller.allows(Permission::ManageScripts) {
                s.version
            } else {
                s.helpdesk_version.ok_or(ApiError(ErrorCode::Forbidden))?
            };
            let v = state.store.script_version(id, version).await?;
            if devices.iter().any(|(_, p)| !s.shell.runs_on(*p)) {
                return Err(ApiError(ErrorCode::PlatformNotAllowed));
            }
            serde_json::json!({
                "script_id": s.id, "name": s.name, "version": v.version,
                "script": ScriptRef { sha256: v.sha256, shell: s.shell, timeout_secs: s.timeout_secs },
            })
        }
        _ => serde_json::json!({}),
    };
    if matches!(b.kind.as_str(), "wipe") && devices.iter().any(|(_, p)| *p == Platform::Linux) {
        return Err(ApiError(ErrorCode::PlatformNotAllowed));
    }
    Ok(devices
        .iter()
        .map(|(id, _)| DeviceRequest::new(id, &b.kind, &caller.name, now, params.clone()))
        .collect())
}

fn checked_action(b: &DeviceActionBody) -> Result<(), ApiError> {
    if !ACTION_KINDS.contains(&b.kind.as_str())
        || b.message.as_ref().is_some_and(|m| m.chars().count() > 500)
        || b.path
            .as_ref()
            .is_some_and(|p| p.is_empty() || p.len() > 4096)
        || b.threat
            .as_ref()
            .is_some_and(|t| t.is_empty() || t.len() > 200)
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    Ok(())
}

/// Makes an action's requests, or asks a second administrator first when it is risky.
async fn act(
    state: &AppState,
    caller: &Caller,
    b: DeviceActionBody,
    devices: Vec<(String, Platform)>,
) -> Result<(StatusCode, Json<ActionOutcome>), ApiError> {
    let now = state.clock.now_ms();
    if devices.is_empty() {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let requests = requests_for(state, caller, &b, &devices, now).await?;
    let n = devices.len() as u64;
    let threshold = u64::from(state.config.remediation.approval_threshold);
    if core::action_needs_approval(&b.kind, n, threshold) {
        let approval = Approval {
            id: new_id(),
            kind: "device_action".into(),
            summary: b.kind.clone(),
            devices: n,
            state: "pending".into(),
            requested_by: caller.name.clone(),
            requested_at: steward_core::time::to_rfc3339(now),
            decided_by: None,
            decided_at: None,
            note: None,
            payload: serde_json::json!({
                "action": b,
                "device_ids": devices.iter().map(|(d, _)| d).collect::<Vec<_>>(),
                "params": requests.first().map(|r| r.params.clone()),
            }),
        };
        state
            .store
            .create_approval(&approval, &requester(caller), &caller.actor(), now)
            .await?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(ActionOutcome {
                request_ids: Vec::new(),
                devices: n,
                approval: Some(approval),
            }),
        ));
    }
    state
        .store
        .create_requests(
            &requests,
            now,
            &caller.actor(),
            &format!("device.{}", b.kind),
        )
        .await?;
    for r in &requests {
        state.mailbox.add(&r.device_id, crate::helpdesk::action(r));
    }
    Ok((
        StatusCode::CREATED,
        Json(ActionOutcome {
            request_ids: requests.iter().map(|r| r.id.clone()).collect(),
            devices: n,
            approval: None,
        }),
    ))
}

async fn visible(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(String, Platform), ApiError> {
    let d = state.store.device(id, 0).await?;
    crate::api::require_scope(state, caller, id, d.summary.group.as_deref()).await?;
    if d.summary.retired {
        return Err(ApiError(ErrorCode::NotFound));
    }
    Ok((d.summary.id, d.summary.platform))
}

/// `POST /api/v1/devices/{id}/actions`: one device. The help desk may run a script cleared
/// for it and collect diagnostics; everything else needs "manage devices".
pub async fn device_action(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(mut b): JsonBody<DeviceActionBody>,
) -> Result<(StatusCode, Json<ActionOutcome>), ApiError> {
    checked_action(&b)?;
    if !matches!(b.kind.as_str(), "run_script" | "collect_diagnostics")
        && !caller.allows(Permission::ManageDevices)
    {
        return Err(ApiError(ErrorCode::Forbidden));
    }
    b.device_ids.clear();
    let device = visible(&state, &caller, &id).await?;
    act(&state, &caller, b, vec![device]).await
}

/// `POST /api/v1/devices/actions`: many devices (named, or every device with a threat for
/// a quarantine).
pub async fn devices_action(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<DeviceActionBody>,
) -> Result<(StatusCode, Json<ActionOutcome>), ApiError> {
    checked_action(&b)?;
    let ids: Vec<String> = match (&b.threat, b.device_ids.is_empty()) {
        (Some(t), true) if b.kind == "quarantine" => state.store.devices_with_threat(t).await?,
        (_, false) => b.device_ids.clone(),
        _ => return Err(ApiError(ErrorCode::InvalidField)),
    };
    if ids.len() > MAX_ACTION_DEVICES {
        return Err(ApiError(ErrorCode::TooManyEntries));
    }
    let mut devices = Vec::with_capacity(ids.len());
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if seen.insert(id.clone()) {
            devices.push(visible(&state, &caller, &id).await?);
        }
    }
    act(&state, &caller, b, devices).await
}

// ---- approvals ----

#[derive(Debug, Default, Deserialize)]
pub struct ApprovalsQuery {
    #[serde(default)]
    pub state: Option<String>,
}

pub async fn list_approvals(
    State(state): State<AppState>,
    Query(q): Query<ApprovalsQuery>,
    Pages(p): Pages,
) -> Result<Json<Page<Approval>>, ApiError> {
    let st = match q.state.as_deref() {
        None => None,
        Some(s @ ("pending" | "approved" | "refused")) => Some(s),
        Some(_) => return Err(ApiError(ErrorCode::InvalidQuery)),
    };
    let items = state.store.approvals(st).await?;
    Ok(Json(p.page(items, Order::Desc, |a| a.id.clone())))
}

pub async fn get_approval(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Approval>, ApiError> {
    Ok(Json(state.store.approval(&id).await?.0))
}

/// Decides an approval: another administrator than the one who asked, once.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: &str,
    approve: bool,
    note: Option<String>,
) -> Result<Approval, ApiError> {
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let (a, who) = state.store.approval(id).await?;
    if who == requester(caller) {
        return Err(ApiError(ErrorCode::OwnRequest));
    }
    if a.state != "pending" {
        return Err(ApiError(ErrorCode::AlreadyDecided));
    }
    let now = state.clock.now_ms();
    let mut requests = Vec::new();
    if approve && a.kind == "device_action" {
        let ids = a.payload["device_ids"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let kind = a.payload["action"]["kind"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let params = a.payload["params"].clone();
        for d in ids.iter().filter_map(|v| v.as_str()) {
            requests.push(DeviceRequest {
                id: new_id(),
                device_id: d.to_string(),
                kind: kind.clone(),
                requested_by: a.requested_by.clone(),
                requested_at: steward_core::time::to_rfc3339(now),
                sent_at: None,
                answered_at: None,
                ok: None,
                code: None,
                message: None,
                params: params.clone(),
            });
        }
    }
    let decided = state
        .store
        .decide_approval(
            id,
            approve,
            &requester(caller),
            note.as_deref(),
            &requests,
            now,
            &caller.actor(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(_) => ApiError(ErrorCode::OwnRequest),
            StoreError::Conflict(_) => ApiError(ErrorCode::AlreadyDecided),
            other => other.into(),
        })?;
    for r in &requests {
        state.mailbox.add(&r.device_id, crate::helpdesk::action(r));
    }
    Ok(decided)
}

pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<DecisionBody>,
) -> Result<Json<Approval>, ApiError> {
    Ok(Json(decide(&state, &caller, &id, true, b.note).await?))
}

pub async fn refuse(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<DecisionBody>,
) -> Result<Json<Approval>, ApiError> {
    Ok(Json(decide(&state, &caller, &id, false, b.note).await?))
}

// ---- diagnostics ----

pub async fn list_diagnostics(
    State(state): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
) -> Result<Json<Vec<DiagnosticsInfo>>, ApiError> {
    let d = state.store.device(&device_id, 0).await?;
    crate::api::require_scope(&state, &caller, &device_id, d.summary.group.as_deref()).await?;
    Ok(Json(state.store.device_diagnostics(&device_id).await?))
}

/// `GET /api/v1/diagnostics/{id}`: the bundle as the device made it (a gzip'd tar).
pub async fn download_diagnostics(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (device_id, data) = state.store.diagnostics(&id).await?;
    let d = state.store.device(&device_id, 0).await?;
    crate::api::require_scope(&state, &caller, &device_id, d.summary.group.as_deref()).await?;
    let name = format!(
        "attachment; filename=\"diagnostics-{}-{id}.tar.gz\"",
        d.summary.name.replace(['"', '\\', '/'], "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        data,
    )
        .into_response())
}

// ---- the agent's side ----

/// `GET /agent/v1/scripts/{sha256}`: a script's text, for a device that was asked to run it.
pub async fn agent_script(
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
    let text = state
        .store
        .script_content(&sha)
        .await?
        .ok_or(ApiError(ErrorCode::NotFound))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// `POST /agent/v1/diagnostics/{request}`: the bundle a device collected for a request of
/// its own (once; at most `remediation.max_diagnostics_mb`).
pub async fn agent_diagnostics(
    State(state): State<AppState>,
    device: Device,
    Path(request): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    if device.auth.retired {
        return Err(ApiError(ErrorCode::Unauthorized));
    }
    let max = usize::try_from(state.config.remediation.max_diagnostics_mb)
        .unwrap_or(20)
        .saturating_mul(1024 * 1024);
    if body.len() > max {
        return Err(ApiError(ErrorCode::PayloadTooLarge));
    }
    let asked = state
        .store
        .device_requests(&device.id, 1000)
        .await?
        .into_iter()
        .any(|r| r.id == request && r.kind == "collect_diagnostics");
    if !asked {
        return Err(ApiError(ErrorCode::NotFound));
    }
    let now = state.clock.now_ms();
    if state
        .store
        .put_diagnostics(&request, &device.id, &body, now)
        .await?
    {
        Ok(StatusCode::CREATED)
    } else {
        Err(ApiError(ErrorCode::Conflict))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_hands_out_a_share_of_the_check_ins_within_bounds() {
        assert_eq!(dispatch_budget(0, 5, 0.1), 100);
        assert_eq!(dispatch_budget(10_000, 5, 1.0), 500);
        assert_eq!(dispatch_budget(60_000, 5, 0.1), 300);
        assert_eq!(dispatch_budget(1_000_000, 5, 0.1), 2000);
        assert_eq!(dispatch_budget(10_000, 5, 0.0), 100);
        assert_eq!(dispatch_budget(10_000, 5, f64::NAN), 100);
    }
}
