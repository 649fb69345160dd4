//! The console's remediation pages: the script library, remediations with their fleet view
//! (devices per state and group, failing devices with what the scripts said, "run again on
//! failed"), the approvals a second administrator decides, and device actions. Every read
//! and change goes through the admin API's handlers.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use steward_proto::remediation::{
    Approval, DeviceActionBody, DeviceRemediation, DeviceState, Remediation, RemediationBody,
    RemediationStatus, Script, ScriptBody, ScriptVersion, Shell,
};
use steward_proto::{ErrorCode, Platform};

use super::{all_pages, done, error_page, flash, flash_error, page, Console, Ctx, FormFields};
use crate::body::JsonBody;
use crate::AppState;

/// A device state in the reader's words, with its badge class.
pub fn state_label(ctx: &Ctx, s: DeviceState) -> String {
    ctx.t(state_key(s))
}

/// The catalog key of a device state.
pub fn state_key(s: DeviceState) -> &'static str {
    match s {
        DeviceState::Pending => "remediation-state-pending",
        DeviceState::NoIssue => "remediation-state-no-issue",
        DeviceState::Detected => "remediation-state-detected",
        DeviceState::Remediating => "remediation-state-remediating",
        DeviceState::Fixed => "remediation-state-fixed",
        DeviceState::FixFailed => "remediation-state-fix-failed",
        DeviceState::ScriptError => "remediation-state-script-error",
        DeviceState::NotApplicable => "remediation-state-not-applicable",
    }
}

pub fn state_tone(s: DeviceState) -> &'static str {
    match s {
        DeviceState::NoIssue | DeviceState::Fixed => "s-ok",
        DeviceState::FixFailed | DeviceState::ScriptError => "s-bad",
        DeviceState::Detected | DeviceState::Remediating => "s-warn",
        DeviceState::Pending | DeviceState::NotApplicable => "s-muted",
    }
}

/// One device row as a page shows it.
#[derive(Clone)]
pub struct DeviceRow {
    pub device_id: String,
    pub device_name: String,
    pub group: String,
    pub state: String,
    pub tone: &'static str,
    pub attempt: String,
    pub next: String,
    pub detect_output: String,
    pub fix_output: String,
    pub after_output: String,
    pub remediation_id: String,
    pub remediation_name: String,
}

pub fn device_row(ctx: &Ctx, d: &DeviceRemediation, id: &str, name: &str) -> DeviceRow {
    DeviceRow {
        device_id: d.device_id.clone(),
        device_name: d.device_name.clone(),
        group: d.group.clone(),
        state: state_label(ctx, d.state),
        tone: state_tone(d.state),
        attempt: ctx.t_counts(
            "remediation-attempt",
            &[
                ("attempt", u64::from(d.attempt)),
                ("count", u64::from(d.max_attempts)),
            ],
        ),
        next: ctx.when_opt(d.next_attempt_at.as_deref()),
        detect_output: d.detect_output.clone().unwrap_or_default(),
        fix_output: d.fix_output.clone().unwrap_or_default(),
        after_output: d.after_output.clone().unwrap_or_default(),
        remediation_id: id.to_string(),
        remediation_name: name.to_string(),
    }
}

// ---- scripts ----

#[derive(Template)]
#[template(path = "scripts.html")]
pub struct ScriptsPage {
    pub ctx: Ctx,
    pub title: String,
    pub scripts: Vec<Script>,
    pub shells: Vec<(&'static str, String)>,
}

fn shells(ctx: &Ctx) -> Vec<(&'static str, String)> {
    Shell::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                ctx.t(match s {
                    Shell::Sh => "script-shell-sh",
                    Shell::Bash => "script-shell-bash",
                    Shell::Zsh => "script-shell-zsh",
                    Shell::Powershell => "script-shell-powershell",
                }),
            )
        })
        .collect()
}

pub async fn scripts(State(state): State<AppState>, Console(ctx): Console) -> Response {
    super::list_page(
        ctx,
        crate::remediation::list_scripts(State(state), all_pages()),
        |ctx, scripts| ScriptsPage {
            title: ctx.t("nav-scripts"),
            shells: shells(&ctx),
            scripts,
            ctx,
        },
    )
    .await
}

fn script_body(f: &FormFields) -> ScriptBody {
    ScriptBody {
        name: f.get("name").unwrap_or_default(),
        description: f.get("description").unwrap_or_default(),
        shell: f
            .get("shell")
            .and_then(|s| Shell::parse(&s))
            .unwrap_or_default(),
        // Text areas send CRLF line ends; scripts keep Unix ones.
        content: f
            .0
            .iter()
            .find(|(k, _)| k == "content")
            .map(|(_, v)| v.replace("\r\n", "\n"))
            .unwrap_or_default(),
        timeout_secs: f
            .get("timeout_secs")
            .and_then(|t| t.parse().ok())
            .unwrap_or(300),
    }
}

pub async fn create_script(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let b = script_body(&FormFields::parse(&body));
    let r = crate::remediation::create_script(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

#[derive(Template)]
#[template(path = "script.html")]
pub struct ScriptPage {
    pub ctx: Ctx,
    pub title: String,
    pub s: Script,
    pub versions: Vec<ScriptVersion>,
    pub shells: Vec<(&'static str, String)>,
    pub shell: String,
    /// The current version is the one cleared for the help desk.
    pub cleared: bool,
}

pub async fn script(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let s = match crate::remediation::get_script(State(state.clone()), Path(id.clone())).await {
        Ok(Json(s)) => s,
        Err(e) => return error_page(ctx, e.0),
    };
    let versions =
        match crate::remediation::script_versions(State(state), Path(id), all_pages()).await {
            Ok(Json(p)) => p.items,
            Err(e) => return error_page(ctx, e.0),
        };
    let shells = shells(&ctx);
    let shell = shells
        .iter()
        .find(|(k, _)| *k == s.shell.as_str())
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let p = ScriptPage {
        title: s.name.clone(),
        cleared: s.helpdesk_version == Some(s.version),
        s,
        versions,
        shells,
        shell,
        ctx,
    };
    page(StatusCode::OK, &p)
}

pub async fn update_script(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let b = script_body(&FormFields::parse(&body));
    let r =
        crate::remediation::update_script(State(state), ctx.caller.clone(), Path(id), JsonBody(b))
            .await;
    done(&ctx, r)
}

pub async fn clear_script(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::remediation::clear_script(
        State(state),
        ctx.caller.clone(),
        Path(id),
        JsonBody(crate::remediation::ClearBody::default()),
    )
    .await;
    done(&ctx, r)
}

pub async fn delete_script(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    match crate::remediation::delete_script(State(state), ctx.caller.clone(), Path(id)).await {
        Ok(_) => super::redirect_htmx("/scripts"),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

// ---- remediations ----

pub struct RemediationRow {
    pub r: Remediation,
    pub counts: Vec<(String, &'static str, String)>,
    pub waiting: bool,
}

#[derive(Template)]
#[template(path = "remediations.html")]
pub struct RemediationsPage {
    pub ctx: Ctx,
    pub title: String,
    pub rows: Vec<RemediationRow>,
    pub scripts: Vec<Script>,
    pub platforms: Vec<(&'static str, String)>,
}

/// The non-zero counts of a status, in the reader's words.
fn count_badges(ctx: &Ctx, st: &RemediationStatus) -> Vec<(String, &'static str, String)> {
    DeviceState::ALL
        .iter()
        .filter_map(|s| {
            let n = st.counts.get(s.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| (state_label(ctx, *s), state_tone(*s), ctx.num(&n)))
        })
        .collect()
}

pub async fn remediations(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let list = match crate::remediation::list_remediations(State(state.clone()), all_pages()).await
    {
        Ok(Json(p)) => p.items,
        Err(e) => return error_page(ctx, e.0),
    };
    let mut rows = Vec::with_capacity(list.len());
    for r in list {
        let st = match crate::remediation::status_of(&state, &ctx.caller, &r.id).await {
            Ok(s) => s,
            Err(e) => return error_page(ctx, e.0),
        };
        rows.push(RemediationRow {
            counts: count_badges(&ctx, &st),
            waiting: st.awaiting_approval,
            r,
        });
    }
    let scripts = match state.store.scripts().await {
        Ok(s) => s,
        Err(e) => return error_page(ctx, crate::error::ApiError::from(e).0),
    };
    let p = RemediationsPage {
        title: ctx.t("nav-remediation"),
        rows,
        scripts,
        platforms: Platform::ALL
            .iter()
            .map(|p| (p.as_str(), ctx.label(p.as_str())))
            .collect(),
        ctx,
    };
    page(StatusCode::OK, &p)
}

fn remediation_body(f: &FormFields) -> Result<RemediationBody, ErrorCode> {
    let num = |k: &str, d: u32| -> Result<u32, ErrorCode> {
        f.get(k)
            .map_or(Ok(d), |v| v.parse().map_err(|_| ErrorCode::InvalidField))
    };
    Ok(RemediationBody {
        name: f.get("name").unwrap_or_default(),
        description: f.get("description").unwrap_or_default(),
        detect_script_id: f.get("detect_script_id").unwrap_or_default(),
        fix_script_id: f.get("fix_script_id"),
        platform: f
            .get("platform")
            .and_then(|p| Platform::parse(&p))
            .ok_or(ErrorCode::InvalidField)?,
        groups: f
            .get("groups")
            .map(|g| {
                g.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        every_hours: num("every_hours", 0)?,
        trigger_rule: f.get("trigger_rule"),
        max_attempts: num("max_attempts", 3)?,
        retry_minutes: num("retry_minutes", 5)?,
        alert_failure_percent: f
            .get("alert_failure_percent")
            .map(|v| v.parse().map_err(|_| ErrorCode::InvalidField))
            .transpose()?,
        enabled: true,
    })
}

pub async fn create_remediation(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let b = match remediation_body(&FormFields::parse(&body)) {
        Ok(b) => b,
        Err(c) => return flash_error(ctx.lang, c),
    };
    let r =
        crate::remediation::create_remediation(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

pub struct GroupRow {
    pub group: String,
    pub counts: Vec<(String, &'static str, String)>,
}

#[derive(Template)]
#[template(path = "remediation.html")]
pub struct RemediationPage {
    pub ctx: Ctx,
    pub title: String,
    pub r: Remediation,
    pub detect: String,
    pub fix: String,
    pub total: String,
    pub failure: String,
    pub counts: Vec<(String, &'static str, String)>,
    pub groups: Vec<GroupRow>,
    /// The failing devices.
    pub rows: Vec<DeviceRow>,
    pub waiting: bool,
    pub failed: u64,
}

pub async fn remediation(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = match state.store.remediation(&id).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, crate::error::ApiError::from(e).0),
    };
    let st = match crate::remediation::status_of(&state, &ctx.caller, &id).await {
        Ok(s) => s,
        Err(e) => return error_page(ctx, e.0),
    };
    let name_of = |sid: &str| {
        let state = state.clone();
        let sid = sid.to_string();
        async move {
            state
                .store
                .script(&sid)
                .await
                .map(|s| s.name)
                .unwrap_or(sid)
        }
    };
    let detect = name_of(&r.body.detect_script_id).await;
    let fix = match &r.body.fix_script_id {
        Some(f) => name_of(f).await,
        None => ctx.t("remediation-detect-only"),
    };
    let failed = ["fix_failed", "script_error"]
        .iter()
        .map(|s| st.counts.get(*s).copied().unwrap_or(0))
        .sum();
    let p = RemediationPage {
        title: r.body.name.clone(),
        detect,
        fix,
        total: ctx.t_counts("remediation-devices", &[("count", st.total)]),
        failure: ctx.t_counts(
            "remediation-failure-rate",
            &[("count", u64::from(st.failure_percent))],
        ),
        counts: count_badges(&ctx, &st),
        groups: st
            .groups
            .iter()
            .map(|g| GroupRow {
                group: if g.group.is_empty() {
                    ctx.t("device-no-group")
                } else {
                    g.group.clone()
                },
                counts: DeviceState::ALL
                    .iter()
                    .filter_map(|s| {
                        let n = g.counts.get(s.as_str()).copied().unwrap_or(0);
                        (n > 0).then(|| (state_label(&ctx, *s), state_tone(*s), ctx.num(&n)))
                    })
                    .collect(),
            })
            .collect(),
        rows: st
            .failing
            .iter()
            .map(|d| device_row(&ctx, d, &r.id, &r.body.name))
            .collect(),
        waiting: st.awaiting_approval,
        failed,
        r,
        ctx,
    };
    page(StatusCode::OK, &p)
}

pub async fn rerun_failed(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::remediation::rerun_failed(State(state), ctx.caller.clone(), Path(id)).await;
    done(&ctx, r)
}

pub async fn delete_remediation(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    match crate::remediation::delete_remediation(State(state), ctx.caller.clone(), Path(id)).await {
        Ok(_) => super::redirect_htmx("/remediations"),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

// ---- approvals ----

pub struct ApprovalRow {
    pub a: Approval,
    pub what: String,
    pub state: String,
    pub tone: &'static str,
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "approvals.html")]
pub struct ApprovalsPage {
    pub ctx: Ctx,
    pub title: String,
    pub pending: Vec<ApprovalRow>,
    pub decided: Vec<ApprovalRow>,
}

/// An action kind in the reader's words.
pub fn action_label(ctx: &Ctx, kind: &str) -> String {
    ctx.t(match kind {
        "restart" => "action-restart",
        "logoff" => "action-logoff",
        "run_script" => "action-run-script",
        "collect_diagnostics" => "action-collect-diagnostics",
        "quarantine" => "action-quarantine",
        "lock" => "action-lock",
        "wipe" => "action-wipe",
        _ => "state-other",
    })
}

pub async fn approvals(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let list = match state.store.approvals(None).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx, crate::error::ApiError::from(e).0),
    };
    let me = ctx.caller.name.clone();
    let (mut pending, mut decided) = (Vec::new(), Vec::new());
    for a in list {
        let what = if a.kind == "remediation" {
            ctx.t1("approval-remediation", "name", &a.summary)
        } else {
            action_label(&ctx, &a.summary)
        };
        let (state, tone) = match a.state.as_str() {
            "pending" => ("approval-pending", "s-warn"),
            "approved" => ("approval-approved", "s-ok"),
            "refused" => ("approval-refused", "s-bad"),
            _ => ("state-other", "s-muted"),
        };
        let row = ApprovalRow {
            what,
            state: ctx.t(state),
            tone,
            mine: a.requested_by == me,
            a,
        };
        if row.a.state == "pending" {
            pending.push(row);
        } else if decided.len() < 100 {
            decided.push(row);
        }
    }
    let p = ApprovalsPage {
        title: ctx.t("nav-approvals"),
        pending,
        decided,
        ctx,
    };
    page(StatusCode::OK, &p)
}

async fn decide(state: AppState, ctx: Ctx, id: String, body: String, approve: bool) -> Response {
    let note = FormFields::parse(&body).get("note");
    let r = crate::remediation::decide(&state, &ctx.caller, &id, approve, note).await;
    done(&ctx, r)
}

pub async fn approve(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    decide(state, ctx, id, body, true).await
}

pub async fn refuse(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    decide(state, ctx, id, body, false).await
}

// ---- device actions ----

fn action_body(f: &FormFields) -> Result<DeviceActionBody, ErrorCode> {
    Ok(DeviceActionBody {
        kind: f.get("kind").unwrap_or_default(),
        device_ids: f.all("device_ids"),
        threat: f.get("threat"),
        script_id: f.get("script_id"),
        delay_minutes: f
            .get("delay_minutes")
            .map(|v| v.parse().map_err(|_| ErrorCode::InvalidField))
            .transpose()?,
        message: f.get("message"),
        path: f.get("path"),
    })
}

/// What an action did, for the page's message area: sent, or waiting for approval.
fn acted(
    ctx: &Ctx,
    r: Result<
        (StatusCode, Json<steward_proto::remediation::ActionOutcome>),
        crate::error::ApiError,
    >,
) -> Response {
    match r {
        Ok((_, Json(o))) if o.approval.is_some() => {
            flash("notice", &ctx.t("action-awaits-approval"))
        }
        Ok((_, Json(o))) => {
            super::request_sent(&ctx.t_counts("action-sent", &[("count", o.devices)]))
        }
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

/// `POST /devices/{id}/actions`.
pub async fn device_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let b = match action_body(&FormFields::parse(&body)) {
        Ok(b) => b,
        Err(c) => return flash_error(ctx.lang, c),
    };
    let r =
        crate::remediation::device_action(State(state), ctx.caller.clone(), Path(id), JsonBody(b))
            .await;
    acted(&ctx, r)
}

/// `POST /devices/actions`: many devices, or every device with a threat.
pub async fn devices_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let b = match action_body(&FormFields::parse(&body)) {
        Ok(b) => b,
        Err(c) => return flash_error(ctx.lang, c),
    };
    let r = crate::remediation::devices_action(State(state), ctx.caller.clone(), JsonBody(b)).await;
    acted(&ctx, r)
}

/// `GET /diagnostics/{id}`: the bundle (the API's answer).
pub async fn diagnostics(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    match crate::remediation::download_diagnostics(State(state), ctx.caller.clone(), Path(id)).await
    {
        Ok(r) => r,
        Err(e) => error_page(ctx, e.0),
    }
}

/// What the device page shows of remediation: its rows, its diagnostics, the scripts the
/// reader may run on it.
pub struct DeviceSection {
    pub rows: Vec<DeviceRow>,
    pub diagnostics: Vec<steward_proto::remediation::DiagnosticsInfo>,
    pub scripts: Vec<(String, String)>,
}

pub async fn device_section(state: &AppState, ctx: &Ctx, device_id: &str) -> DeviceSection {
    let rows = state
        .store
        .device_remediations(device_id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|(id, name, d)| device_row(ctx, d, id, name))
        .collect();
    let diagnostics = state
        .store
        .device_diagnostics(device_id)
        .await
        .unwrap_or_default();
    let operator = ctx
        .caller
        .allows(steward_core::policy::Permission::ManageScripts);
    let scripts = state
        .store
        .scripts()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| operator || s.helpdesk_version.is_some())
        .map(|s| (s.id, s.name))
        .collect();
    DeviceSection {
        rows,
        diagnostics,
        scripts,
    }
}
