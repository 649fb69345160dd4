//! Alert rules and alerts: the admin API. Alerts open and resolve themselves as devices are
//! evaluated (check-ins, sweeps); people acknowledge and resolve them here.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use steward_core::alerting::{AlertRule, Condition, Severity};
use steward_core::time::now_ms;
use steward_core::Lang;
use steward_proto::{ErrorCode, Page};
use steward_store::alerts::{Alert, AlertAction, AlertDetail, AlertQuery, ALERT_STATES};

use crate::api::{require_scope_of, valid_name_and_groups, Params};
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{request_lang, ApiError};
use crate::AppState;

/// A rule as the API takes it (the id comes from the path or is generated).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    pub name: String,
    pub condition: Condition,
    pub severity: Severity,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn rule_from(id: String, b: RuleBody) -> Result<AlertRule, ApiError> {
    if !valid_name_and_groups(&b.name, &b.groups) || b.condition.validate().is_err() {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    Ok(AlertRule {
        id,
        name: b.name,
        condition: b.condition,
        severity: b.severity,
        groups: b.groups,
        enabled: b.enabled,
    })
}

pub async fn list_rules(State(state): State<AppState>) -> Json<Page<AlertRule>> {
    let items = state.store.alert_rules().as_ref().clone();
    Json(Page {
        total: Some(items.len() as u64),
        items,
        next_cursor: None,
    })
}

pub async fn get_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AlertRule>, ApiError> {
    Ok(Json(state.store.alert_rule(&id)?))
}

/// `POST /api/v1/alert-rules`. Devices are evaluated against the rule at their next
/// state-changing check-in or, at the latest, the next sweep.
pub async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<RuleBody>,
) -> Result<(StatusCode, Json<AlertRule>), ApiError> {
    let rule = rule_from(uuid::Uuid::now_v7().to_string(), body)?;
    state
        .store
        .put_alert_rule(&rule, now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

pub async fn update_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RuleBody>,
) -> Result<Json<AlertRule>, ApiError> {
    state.store.alert_rule(&id)?;
    let rule = rule_from(id, body)?;
    state
        .store
        .put_alert_rule(&rule, now_ms(), &caller.actor())
        .await?;
    Ok(Json(rule))
}

pub async fn delete_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_alert_rule(&id, now_ms(), &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/alerts?state=&severity=&rule=&device=`, newest first, within the caller's groups.
/// Puts an alert's reason into words: "rule name: reason".
fn describe(alert: &mut Alert, lang: Lang) {
    let reason = alert.reason.text(lang);
    alert.summary = if reason.is_empty() {
        alert.rule_name.clone()
    } else {
        format!("{}: {reason}", alert.rule_name)
    };
}

pub async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<Alert>>, ApiError> {
    let p = Params::from(query)?;
    let bad = || ApiError(ErrorCode::InvalidQuery);
    let state_filter = p.text("state")?;
    if state_filter
        .as_deref()
        .is_some_and(|s| !ALERT_STATES.contains(&s))
    {
        return Err(bad());
    }
    let severity = p.text("severity")?;
    if severity
        .as_deref()
        .is_some_and(|s| Severity::parse(s).is_none())
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
        cursor: p.text("cursor")?,
    };
    let mut page = state.store.list_alerts(&q).await?;
    let lang = request_lang(&headers);
    for a in &mut page.items {
        describe(a, lang);
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
    describe(&mut alert.alert, lang);
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

#[derive(Debug, Default, serde::Deserialize)]
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
    if body.comment.len() > 4_000 {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    visible_alert(&state, &caller, &id, lang).await?;
    match state
        .store
        .act_on_alert(&id, action, &body.comment, now_ms(), &caller.actor())
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
