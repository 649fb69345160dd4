//! The help desk's view of a device user, as Intune's "Troubleshooting + support": find the
//! user, see everything wrong (devices, failed enrollments and app installs with what their
//! codes mean and the article that fixes them, open alerts, the changes that affect their
//! platforms), and act: ask a device to check in now, run a full scan or update its
//! definitions (the answer shows when the device reports back), note something on a device's
//! timeline, re-send an enrollment invitation.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_core::kb::ArticleLink;
use steward_core::Lang;
use steward_proto::{
    Action, ActionResult, CreateEnrollmentToken, DeviceSummary, EnrollmentAttempt, ErrorCode, Page,
};
use steward_store::alerts::{Alert, AlertQuery};
use steward_store::helpdesk::{DeviceRequest, InstallResult};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{request_lang, ApiError};
use crate::kb::{explain, Explained};
use crate::paging::{Order, Pages, Paging};
use crate::AppState;

pub(crate) const PREFIX: &str = "request:";
/// What the help desk can ask a device for.
pub const REQUEST_KINDS: [&str; 3] = ["sync", "full_scan", "update_definitions"];
const DAY_MS: i64 = 86_400_000;

/// How a request is handed to a device's agent.
pub(crate) fn action(r: &DeviceRequest) -> Action {
    Action {
        id: format!("{PREFIX}{}", r.id),
        kind: r.kind.clone(),
        params: if r.params.is_null() {
            serde_json::json!({})
        } else {
            r.params.clone()
        },
    }
}

/// Records what a device answers to its requests: each answer (with what it means for a
/// remediation's row) is one operation of the writer's group commit, so answers cost the
/// check-in path no transaction of their own. An answer whose remediation row cannot be read
/// is not recorded: a remediation attempt's is taken up after its lapse.
pub async fn answers(state: &AppState, device_id: &str, results: &[ActionResult], now: i64) {
    let each = results.iter().take(100).filter_map(|r| {
        let id = r.action_id.strip_prefix(PREFIX)?;
        Some(async move {
            let remediation =
                match crate::remediation::outcome_of(state, device_id, id, r, now).await {
                    Ok(remediation) => remediation,
                    Err(e) => return tracing::warn!(error = %e, "request answer not read"),
                };
            let message = r
                .message
                .as_deref()
                .map(|m| steward_proto::text::clip(m, 2000).to_string());
            let answer = steward_store::remediation::RequestAnswer {
                id: id.to_string(),
                device_id: device_id.to_string(),
                ok: r.ok,
                code: r.code.clone(),
                message,
                at: now,
                remediation,
            };
            if let Err(e) = state
                .writer
                .submit(steward_store::WriteOp::AnswerRequest(Box::new(answer)))
                .await
            {
                tracing::warn!(error = %e, "request answer not recorded");
            }
        })
    });
    futures::future::join_all(each).await;
}

/// A device the caller may see (others are refused as if they did not exist, as everywhere).
async fn visible_device(
    state: &AppState,
    caller: &Caller,
    device_id: &str,
) -> Result<DeviceSummary, ApiError> {
    let device = state.store.device(device_id, 0).await?;
    crate::api::require_scope(state, caller, device_id, device.summary.group.as_deref()).await?;
    Ok(device.summary)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    pub kind: String,
}

/// `POST /api/v1/devices/{id}/requests`: ask the device to check in now (`sync`), run a full
/// scan or update its definitions; it gets the request through its push connection (within a
/// second, through whichever server holds it) or with its next check-in answer.
pub async fn create_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
    JsonBody(b): JsonBody<RequestBody>,
) -> Result<(StatusCode, Json<DeviceRequest>), ApiError> {
    if !REQUEST_KINDS.contains(&b.kind.as_str()) {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let device = visible_device(&state, &caller, &device_id).await?;
    if device.retired {
        return Err(ApiError(ErrorCode::NotFound));
    }
    let now = state.clock.now_ms();
    let r = request(&state, &caller, &device_id, &b.kind, now).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Puts a request in the device's mailbox (recorded and audited) and wakes the device if it
/// waits on this server.
async fn request(
    state: &AppState,
    caller: &Caller,
    device_id: &str,
    kind: &str,
    now: i64,
) -> Result<DeviceRequest, ApiError> {
    let r = DeviceRequest::new(device_id, kind, &caller.name, now, serde_json::Value::Null);
    state.store.create_request(&r, now, &caller.actor()).await?;
    state.mailbox.add(&r.device_id, action(&r));
    Ok(r)
}

/// Asks a device (already checked against the caller's scope) to do something Steward
/// decided, such as fetching its app list again after a retry (`apps`).
pub async fn ask_device(
    state: &AppState,
    caller: &Caller,
    device_id: &str,
    kind: &str,
    now: i64,
) -> Result<(), ApiError> {
    request(state, caller, device_id, kind, now).await.map(drop)
}

/// `GET /api/v1/devices/{id}/requests`: newest first, with the device's answers.
pub async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
    Pages(p): Pages,
) -> Result<Json<Page<DeviceRequest>>, ApiError> {
    visible_device(&state, &caller, &device_id).await?;
    let items = state.store.device_requests(&device_id, 1000).await?;
    Ok(Json(p.page(items, Order::Desc, |r| r.id.clone())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub text: String,
}

/// `POST /api/v1/devices/{id}/notes`: a note on the device's timeline.
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
    JsonBody(b): JsonBody<NoteBody>,
) -> Result<StatusCode, ApiError> {
    let text = b.text.trim();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    visible_device(&state, &caller, &device_id).await?;
    state
        .store
        .add_device_note(&device_id, text, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UserSearch {
    pub q: String,
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `GET /api/v1/troubleshoot/users?q=`: device users whose address starts with `q`.
pub async fn find_users(
    State(state): State<AppState>,
    query: Result<Query<UserSearch>, QueryRejection>,
) -> Result<Json<Page<String>>, ApiError> {
    let Query(q) = query.map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
    if steward_proto::text::is_blank(&q.q) || q.q.chars().count() > 320 {
        return Err(ApiError(ErrorCode::InvalidQuery));
    }
    let p = Paging::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let items = state.store.owners_matching(&q.q, 1000).await?;
    Ok(Json(p.page(items, Order::Asc, String::clone)))
}

/// What is wrong for a user, counted.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Issues {
    pub devices: u64,
    pub noncompliant: u64,
    pub active_threats: u64,
    pub failed_enrollments: u64,
    pub failed_installs: u64,
    pub open_alerts: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    #[serde(flatten)]
    pub attempt: EnrollmentAttempt,
    /// For a failure: what the reason means and the article for it.
    pub failure: Option<Explained>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstallView {
    #[serde(flatten)]
    pub result: InstallResult,
    pub device_name: String,
    pub failure: Option<Explained>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppAttemptView {
    #[serde(flatten)]
    pub attempt: steward_proto::apps::AppAttempt,
    pub device_name: String,
    pub failure: Option<Explained>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    #[serde(flatten)]
    pub alert: Alert,
    /// The article for the alert's rule, if one is linked.
    pub article_id: Option<String>,
    pub article_title: Option<String>,
}

/// A change the user's devices are affected by.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub at: String,
}

/// Everything the help desk needs about one device user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub user: String,
    pub issues: Issues,
    pub devices: Vec<DeviceSummary>,
    pub enrollments: Vec<AttemptView>,
    pub installs: Vec<InstallView>,
    /// The install steps their devices reported for assigned apps, newest first, failures
    /// explained.
    pub app_attempts: Vec<AppAttemptView>,
    pub alerts: Vec<AlertView>,
    pub changes: Vec<Change>,
    pub requests: Vec<DeviceRequest>,
}

impl UserView {
    /// A device of theirs by id.
    pub fn device_name(&self, id: &str) -> &str {
        self.devices
            .iter()
            .find(|d| d.id == id)
            .map_or("", |d| d.name.as_str())
    }

    /// Some request still waits for its answer.
    pub fn waiting(&self) -> bool {
        self.requests.iter().any(|r| r.answered_at.is_none())
    }
}

/// The article helping with alerts of a rule.
pub fn rule_article<'a>(
    state: &AppState,
    links: &'a [ArticleLink],
    rule_id: &str,
) -> Option<&'a ArticleLink> {
    let rules = state.store.alert_rules();
    let rule_type = rules
        .iter()
        .find(|r| r.id == rule_id)
        .map(|r| r.condition.type_name())
        .unwrap_or("");
    links.iter().find(|a| a.covers_rule(rule_id, rule_type))
}

/// `GET /api/v1/troubleshoot/users/{user}`.
pub async fn user_view(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let lang = request_lang(&headers);
    let now = state.clock.now_ms();
    let in_scope = |d: &DeviceSummary| crate::api::in_scope(&caller, d.group.as_deref());
    let devices: Vec<DeviceSummary> = state
        .store
        .devices_of_owner(&user)
        .await?
        .into_iter()
        .filter(in_scope)
        .collect();
    let attempts = state.store.attempts_of_owner(&user, 50).await?;
    if devices.is_empty() && attempts.is_empty() {
        return Err(ApiError(ErrorCode::NotFound));
    }
    let links = state.kb.links();
    let explained = |code: &str| explain(code, &links, lang);
    let ids: Vec<String> = devices.iter().map(|d| d.id.clone()).collect();
    let names: HashMap<&str, &str> = devices
        .iter()
        .map(|d| (d.id.as_str(), d.name.as_str()))
        .collect();
    let installs: Vec<InstallView> = state
        .store
        .app_installs(&ids)
        .await?
        .into_iter()
        .map(|r| InstallView {
            device_name: names.get(r.device_id.as_str()).unwrap_or(&"").to_string(),
            failure: (r.install.state == "failed")
                .then(|| r.install.error_code.as_deref().map(explained))
                .flatten(),
            result: r,
        })
        .collect();
    let enrollments: Vec<AttemptView> = attempts
        .into_iter()
        .map(|a| AttemptView {
            failure: (a.result != "success").then(|| explained(&a.result)),
            attempt: a,
        })
        .collect();
    let mut alerts = Vec::new();
    for d in devices.iter().filter(|d| !d.retired) {
        let page = state
            .store
            .list_alerts(&AlertQuery {
                device_id: Some(d.id.clone()),
                limit: 20,
                ..Default::default()
            })
            .await?;
        for mut a in page.items.into_iter().filter(|a| a.state != "resolved") {
            crate::alerts::describe(&state, &mut a, lang);
            let article = rule_article(&state, &links, &a.rule_id);
            alerts.push(AlertView {
                article_id: article.map(|x| x.id.clone()),
                article_title: article.map(|x| x.title(lang).to_string()),
                alert: a,
            });
        }
    }
    // Notices about their platforms (and OS versions) and announcements they were sent, in the
    // last 90 days.
    let since = now - 90 * DAY_MS;
    let mut changes = Vec::new();
    for (n, _) in state.store.list_notices("", 200).await? {
        let theirs = n.platforms.iter().any(|p| {
            devices
                .iter()
                .any(|d| !d.retired && p.matches(d.platform, &d.os_version))
        });
        if theirs && n.created_at >= since {
            changes.push(Change {
                kind: "notice",
                id: n.id.clone(),
                title: n.title(lang).to_string(),
                at: steward_core::time::to_rfc3339(n.created_at),
            });
        }
    }
    for a in state.store.announcements_of_owner(&user, 20).await? {
        if a.created_at >= since {
            changes.push(Change {
                kind: "announcement",
                id: a.id.clone(),
                title: a.title(lang).to_string(),
                at: steward_core::time::to_rfc3339(a.created_at),
            });
        }
    }
    changes.sort_by(|a, b| b.at.cmp(&a.at));
    let mut requests = Vec::new();
    for d in &devices {
        requests.extend(state.store.device_requests(&d.id, 10).await?);
    }
    requests.sort_by(|a, b| b.requested_at.cmp(&a.requested_at));
    requests.truncate(20);
    let active = devices.iter().filter(|d| !d.retired);
    let issues = Issues {
        devices: active.clone().count() as u64,
        noncompliant: active
            .clone()
            .filter(|d| d.compliance_state == "noncompliant")
            .count() as u64,
        active_threats: active.filter(|d| d.health_state == "active_threat").count() as u64,
        failed_enrollments: enrollments.iter().filter(|a| a.failure.is_some()).count() as u64,
        failed_installs: installs
            .iter()
            .filter(|i| i.result.install.state == "failed")
            .count() as u64,
        open_alerts: alerts.len() as u64,
    };
    let app_attempts = state
        .store
        .app_attempts(&ids, 30)
        .await?
        .into_iter()
        .map(|a| AppAttemptView {
            device_name: names.get(a.device_id.as_str()).unwrap_or(&"").to_string(),
            failure: a.error_code.as_deref().map(explained),
            attempt: a,
        })
        .collect();
    Ok(Json(UserView {
        user,
        issues,
        devices,
        enrollments,
        installs,
        app_attempts,
        alerts,
        changes,
        requests,
    }))
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    /// The language of the e-mail (else the request's).
    #[serde(default)]
    pub language: Option<Lang>,
}

/// `POST /api/v1/troubleshoot/users/{user}/invite`: e-mails the user a fresh single-use
/// enrollment token (valid a week) with how to enroll. When e-mail is off, the answer carries
/// the token and the command instead, to a caller who may create enrollment tokens anyway
/// (others are told e-mail is off). The token's group is that of the user's latest device the
/// caller can see; a caller limited to groups invites only into one of them.
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(user): Path<String>,
    JsonBody(b): JsonBody<InviteBody>,
) -> Result<(StatusCode, Json<Invited>), ApiError> {
    // As the API document says: an address of 3 to 320 characters with an `@`.
    if !user.contains('@') || !(3..=320).contains(&user.chars().count()) {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let mail = state.config.notify.mail_configured();
    if !mail && !caller.allows(steward_core::policy::Permission::ManageEnrollment) {
        return Err(ApiError(ErrorCode::MailNotConfigured));
    }
    let lang = b.language.unwrap_or_else(|| request_lang(&headers));
    // The group of their latest device the caller may see, if they have one.
    let group = state
        .store
        .devices_of_owner(&user)
        .await?
        .into_iter()
        .filter(|d| {
            caller.groups.is_empty() || d.group.as_ref().is_some_and(|g| caller.groups.contains(g))
        })
        .find_map(|d| d.group);
    if !caller.groups.is_empty() && group.is_none() {
        return Err(ApiError(ErrorCode::Forbidden));
    }
    let created = crate::api::new_enrollment_token(
        &state.store,
        &CreateEnrollmentToken {
            name: Some(format!("invitation {user}")),
            expires_in_hours: Some(7 * 24),
            max_uses: Some(1),
            group,
            platforms: Vec::new(),
        },
        &caller.actor(),
    )
    .await?;
    let server = state.config.console_url();
    // The address is quoted for the shell: it comes from the request's path.
    let command = format!(
        "steward-agent enroll --server {server} --token {} --owner '{}'",
        created.token,
        user.replace('\'', "'\\''")
    );
    if !mail {
        return Ok((
            StatusCode::CREATED,
            Json(Invited {
                user,
                token_id: created.info.id,
                expires_at: created.info.expires_at,
                mailed: false,
                token: Some(created.token),
                command: Some(command),
            }),
        ));
    }
    let subject = steward_core::t(lang, "invite-subject");
    let body = steward_core::t_args(
        lang,
        "invite-body",
        &[
            ("server", server.clone()),
            ("token", created.token.clone()),
            ("command", command),
        ],
    );
    let mails = [(
        user.clone(),
        user.clone(),
        lang.code().to_string(),
        subject,
        body,
    )];
    crate::notify::mail_people(&state, "invitation", &mails, state.clock.now_ms(), 0).await?;
    Ok((
        StatusCode::CREATED,
        Json(Invited {
            user,
            token_id: created.info.id,
            expires_at: created.info.expires_at,
            mailed: true,
            token: None,
            command: None,
        }),
    ))
}

/// An invitation sent: to whom, and the single-use token it carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Invited {
    pub user: String,
    pub token_id: String,
    pub expires_at: Option<String>,
    /// Whether the invitation went out by e-mail.
    pub mailed: bool,
    /// When it did not (e-mail is off): the single-use token, shown this once.
    pub token: Option<String>,
    /// And the command that enrolls the user's device with it.
    pub command: Option<String>,
}
