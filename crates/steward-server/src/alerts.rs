//! Alert rules and alerts: the admin API. Alerts open and resolve themselves as devices are
//! evaluated (check-ins, sweeps); people acknowledge and resolve them here.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use steward_core::alerting::{AlertRule, Condition, Severity};
use steward_core::notify::{silenced_by, AlertLabels, NotifySettings};
use steward_core::Lang;
use steward_proto::{ErrorCode, Page};
use steward_store::alerts::{Alert, AlertAction, AlertDetail, AlertQuery, ALERT_STATES};

use crate::api::{require_scope_of, valid_name_and_groups, Params};
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{request_lang, ApiError};
use crate::paging::{Order, Pages};
use crate::AppState;

/// A rule as the API takes it (the id comes from the path or is generated).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    pub name: String,
    pub condition: Condition,
    pub severity: Severity,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub notify: NotifySettings,
}

fn yes() -> bool {
    true
}

fn rule_from(state: &AppState, id: String, b: RuleBody) -> Result<AlertRule, ApiError> {
    let channels = state.store.channels();
    let unknown_channel = b
        .notify
        .channel_ids()
        .any(|id| !channels.iter().any(|c| c.id == id));
    if !valid_name_and_groups(&b.name, &b.groups)
        || b.condition.validate().is_err()
        || b.notify.validate().is_err()
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    if unknown_channel {
        return Err(ApiError(ErrorCode::UnknownReference));
    }
    let mut b = b;
    b.notify.escalation.sort_by_key(|s| s.after_minutes);
    Ok(AlertRule {
        id,
        name: b.name,
        condition: b.condition,
        severity: b.severity,
        groups: b.groups,
        enabled: b.enabled,
        notify: b.notify,
    })
}

pub async fn list_rules(State(state): State<AppState>, Pages(p): Pages) -> Json<Page<AlertRule>> {
    let items = state.store.alert_rules().as_ref().clone();
    Json(p.page(items, Order::Asc, |r| r.id.clone()))
}

pub async fn get_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AlertRule>, ApiError> {
    Ok(Json(state.store.alert_rule(&id)?))
}

/// An alert rule as saved, and the job that evaluates the devices against it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RuleSaved {
    #[serde(flatten)]
    pub rule: AlertRule,
    pub job: steward_store::jobs::FleetJob,
}

/// `POST /api/v1/alert-rules`: `202` at once with the job that evaluates the devices against
/// the rule in the background (those it can fire on, or every device: see
/// [`steward_store::jobs`]); check-ins meanwhile are evaluated against it already.
pub async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<RuleBody>,
) -> Result<(StatusCode, Json<RuleSaved>), ApiError> {
    let rule = rule_from(&state, uuid::Uuid::now_v7().to_string(), body)?;
    let job = state
        .store
        .put_alert_rule(&rule, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(RuleSaved { rule, job })))
}

/// `PUT /api/v1/alert-rules/{id}`: `202` with the job that evaluates the devices again.
pub async fn update_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RuleBody>,
) -> Result<(StatusCode, Json<RuleSaved>), ApiError> {
    state.store.alert_rule(&id)?;
    let rule = rule_from(&state, id, body)?;
    let job = state
        .store
        .put_alert_rule(&rule, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(RuleSaved { rule, job })))
}

/// `DELETE /api/v1/alert-rules/{id}`: `202` with the job that resolves its open alerts.
pub async fn delete_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<steward_store::jobs::FleetJob>), ApiError> {
    let job = state
        .store
        .delete_alert_rule(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// `GET /api/v1/alerts?state=&severity=&rule=&device=`, newest first, within the caller's groups.
/// Puts an alert's reason into words ("rule name: reason") and names the active silence
/// holding its notifications, if any.
pub(crate) fn describe(state: &AppState, alert: &mut Alert, lang: Lang) {
    let rules = state.store.alert_rules();
    if let Some(rule) = rules.iter().find(|r| r.id == alert.rule_id) {
        let labels = AlertLabels {
            rule_id: &alert.rule_id,
            device_id: alert.device_id.as_deref(),
            device_group: alert.device_group.as_deref(),
            severity: &alert.severity,
            platform: alert.platform.as_deref(),
            condition: rule.condition.type_name(),
        };
        let silences = state.store.silences();
        alert.silenced_by = (alert.state != "resolved")
            .then(|| silenced_by(&silences, &labels, state.clock.now_ms()))
            .flatten()
            .map(|s| s.id.clone());
    }
    let name = steward_core::alerting::rule_display_name(lang, &alert.rule_name);
    alert.summary = steward_core::alerting::alert_summary(&name, &alert.reason.text(lang));
}

pub async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<Alert>>, ApiError> {
    let p = Params::from(query)?;
    let bad = || ApiError(ErrorCode::InvalidQuery);
    let state_filter = p.word("state", &ALERT_STATES)?;
    let severity = p.text("severity")?;
    if severity
        .as_deref()
        .is_some_and(|s| Severity::parse(s).is_none())
        || p.get("severity") == Some("")
    {
        return Err(bad());
    }
    let q = AlertQuery {
        state: state_filter,
        severity,
        rule_id: p.text("rule")?,
        device_id: p.text("device")?,
        scope: caller.groups.clone(),
        limit: p.limit()?,
        cursor: p.get("cursor").map(str::to_string),
    };
    let mut page = state.store.list_alerts(&q).await?;
    let lang = request_lang(&headers);
    for a in &mut page.items {
        describe(&state, a, lang);
    }
    Ok(Json(page))
}

async fn visible_alert(
    state: &AppState,
    caller: &Caller,
    id: &str,
    lang: Lang,
) -> Result<AlertDetail, ApiError> {
    let (mut alert, group) = state.store.alert(id).await?;
    describe(state, &mut alert.alert, lang);
    require_scope_of(state, caller, "alert", id, group.as_deref()).await?;
    Ok(alert)
}

pub async fn get_alert(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    let lang = request_lang(&headers);
    Ok(Json(visible_alert(&state, &caller, &id, lang).await?))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    #[serde(default)]
    pub comment: String,
}

async fn act(
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    id: String,
    action: AlertAction,
    body: ActionBody,
) -> Result<Json<AlertDetail>, ApiError> {
    let lang = request_lang(&headers);
    if body.comment.chars().count() > 4_000 {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    visible_alert(&state, &caller, &id, lang).await?;
    match state
        .store
        .act_on_alert(
            &id,
            action,
            &body.comment,
            state.clock.now_ms(),
            &caller.actor(),
        )
        .await
    {
        Err(steward_store::StoreError::Conflict(_)) => return Err(ApiError(ErrorCode::Conflict)),
        other => other?,
    }
    Ok(Json(visible_alert(&state, &caller, &id, lang).await?))
}

/// `POST /api/v1/alerts/{id}/acknowledge` (a firing alert), with an optional comment.
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ActionBody>,
) -> Result<Json<AlertDetail>, ApiError> {
    act(state, caller, headers, id, AlertAction::Acknowledge, body).await
}

/// `POST /api/v1/alerts/{id}/resolve` (an open alert), with an optional comment.
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ActionBody>,
) -> Result<Json<AlertDetail>, ApiError> {
    act(state, caller, headers, id, AlertAction::Resolve, body).await
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub text: String,
}

/// `POST /api/v1/alerts/{id}/comments`: adds a comment to the alert's history.
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CommentBody>,
) -> Result<(StatusCode, Json<AlertDetail>), ApiError> {
    let lang = request_lang(&headers);
    if steward_proto::text::is_blank(&body.text) || body.text.chars().count() > 4_000 {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    visible_alert(&state, &caller, &id, lang).await?;
    state
        .store
        .comment_on_alert(&id, &body.text, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(visible_alert(&state, &caller, &id, lang).await?),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// Who takes the alert; `null` to unassign.
    pub assignee: Option<String>,
}

/// `POST /api/v1/alerts/{id}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AssignBody>,
) -> Result<Json<AlertDetail>, ApiError> {
    let lang = request_lang(&headers);
    if body
        .assignee
        .as_deref()
        .is_some_and(|a| steward_proto::text::is_blank(a) || a.chars().count() > 255)
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    visible_alert(&state, &caller, &id, lang).await?;
    state
        .store
        .assign_alert(
            &id,
            body.assignee.as_deref(),
            state.clock.now_ms(),
            &caller.actor(),
        )
        .await?;
    Ok(Json(visible_alert(&state, &caller, &id, lang).await?))
}
