//! Silences, alert rules, channels and the settings pages (users, API tokens, enrollment
//! tokens, policies, audit log). Every change goes through the admin API's handler.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use steward_core::alerting::{AlertRule, Severity};
use steward_core::compliance::Rule;
use steward_core::notify::{ChannelKind, GroupBy};
use steward_proto::Platform;
use steward_proto::{
    ApiTokenInfo, AuditEntry, CreateApiToken, CreateEnrollmentToken, CreateUser,
    EnrollmentTokenInfo, ErrorCode, UpdateUser, UserInfo,
};

use super::{
    comma_list, done, error_page, escape, flash, flash_error, fragment, list_page, page, Console,
    Ctx, FormFields,
};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::AppState;

/// A secret shown once, with the words saying so.
fn show_once(ctx: &Ctx, secret: &str) -> Response {
    let html = format!(
        "<div class=\"notice\" role=\"status\"><p>{}</p><p class=\"secret\">{}</p></div>",
        escape(&ctx.t("console-shown-once")),
        escape(secret)
    );
    fragment(html)
}

// ---- silences ----

#[derive(Template)]
#[template(path = "silences.html")]
pub struct SilencesPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<crate::notify::SilenceView>,
    pub rules: Vec<(String, String)>,
}

pub async fn silences(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let rules = rule_names(&state, &ctx);
    let fetch = crate::notify::list_silences(State(state), Ok(Query(HashMap::new())));
    list_page(ctx, fetch, |ctx, items| SilencesPage {
        title: ctx.t("nav-silences"),
        rules,
        ctx,
        items,
    })
    .await
}

/// Every rule's id and name, as the reader reads it.
fn rule_names(state: &AppState, ctx: &Ctx) -> Vec<(String, String)> {
    state
        .store
        .alert_rules()
        .iter()
        .map(|r| (r.id.clone(), ctx.rule_name(r)))
        .collect()
}

impl SilencesPage {
    /// The name of the rule a silence matches (its id if the rule is gone).
    pub fn rule_of(&self, id: &str) -> String {
        self.rules
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// A label matcher in words: "Severity: Critical".
    pub fn matcher(&self, k: &str, v: &str) -> String {
        let name = self.ctx.t(match k {
            "severity" => "alerts-severity",
            "platform" => "devices-platform",
            _ => "rules-condition",
        });
        let value = if k == "condition" {
            self.ctx.condition_label(v)
        } else {
            self.ctx.label(v)
        };
        format!("{name}: {value}")
    }
}

pub async fn create_silence(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let mut labels = std::collections::BTreeMap::new();
    for k in steward_core::notify::SILENCE_LABELS {
        if let Some(v) = f.get(k) {
            labels.insert(k.to_string(), v);
        }
    }
    let b = crate::notify::SilenceBody {
        rule_id: f.get("rule_id"),
        device_group: f.get("device_group"),
        device_id: f.get("device_id"),
        labels,
        starts_at: None,
        ends_at: None,
        duration_minutes: f
            .get("duration_minutes")
            .and_then(|m| m.parse().ok())
            .or(Some(0)),
        reason: f.get("reason").unwrap_or_default(),
    };
    let r = crate::notify::create_silence(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /silences/{id}`: a silence changed (its end and reason), the way Alertmanager does
/// it: a new silence with the same matchers replaces it, then the old one expires.
pub async fn update_silence(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let Some(before) = state.store.silences().iter().find(|s| s.id == id).cloned() else {
        return flash_error(ctx.lang, ErrorCode::NotFound);
    };
    let b = crate::notify::SilenceBody {
        rule_id: before.rule_id.clone(),
        device_group: before.device_group.clone(),
        device_id: before.device_id.clone(),
        labels: before.labels.clone(),
        starts_at: None,
        ends_at: None,
        duration_minutes: f
            .get("duration_minutes")
            .and_then(|m| m.parse().ok())
            .or(Some(0)),
        reason: f.get("reason").unwrap_or_default(),
    };
    let created =
        crate::notify::create_silence(State(state.clone()), ctx.caller.clone(), JsonBody(b)).await;
    if let Err(e) = created {
        return flash_error(ctx.lang, e.0);
    }
    let r = crate::notify::expire_silence(State(state), ctx.caller.clone(), Path(id)).await;
    done(&ctx, r)
}

pub async fn expire_silence(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let call = crate::notify::expire_silence(State(state), ctx.caller.clone(), Path(id));
    done(&ctx, call.await)
}

// ---- rules ----

pub struct RuleRow {
    pub rule: AlertRule,
    pub condition: String,
    pub channels: String,
}

#[derive(Template)]
#[template(path = "rules.html")]
pub struct RulesPage {
    pub ctx: Ctx,
    pub title: String,
    /// The fleet jobs under way, in words.
    pub jobs: Vec<String>,
    pub items: Vec<RuleRow>,
    pub form: RuleForm,
}

/// The alert rule form, empty for a new rule or filled with the rule to change.
pub struct RuleForm {
    pub action: String,
    pub rule: Option<AlertRule>,
    /// The condition's parameters by name (`days` → `14`).
    pub params: HashMap<String, String>,
    pub channels: Vec<(String, String)>,
    /// Escalation steps shown: the rule's own, then empty rows to add one.
    pub steps: Vec<(u32, Vec<String>)>,
}

impl RuleForm {
    fn new(state: &AppState, rule: Option<AlertRule>) -> RuleForm {
        let params = rule
            .as_ref()
            .and_then(|r| serde_json::to_value(&r.condition).ok())
            .and_then(|v| v.as_object().cloned())
            .map(|m| {
                m.into_iter()
                    .filter(|(k, _)| k != "type")
                    .map(|(k, v)| {
                        let text = match v {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (k, text)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut steps: Vec<(u32, Vec<String>)> = rule
            .as_ref()
            .map(|r| {
                r.notify
                    .escalation
                    .iter()
                    .map(|s| (s.after_minutes, s.channels.clone()))
                    .collect()
            })
            .unwrap_or_default();
        steps.push((0, Vec::new()));
        if steps.len() < 2 {
            steps.push((0, Vec::new()));
        }
        RuleForm {
            action: rule
                .as_ref()
                .map(|r| format!("/rules/{}", r.id))
                .unwrap_or_else(|| "/rules".into()),
            rule,
            params,
            channels: state
                .store
                .channels()
                .iter()
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect(),
            steps,
        }
    }

    pub fn condition_types(&self) -> &'static [&'static str] {
        &CONDITION_TYPES
    }

    pub fn param(&self, k: &str) -> String {
        self.params.get(k).cloned().unwrap_or_default()
    }

    pub fn name(&self) -> String {
        self.rule
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default()
    }

    pub fn groups(&self) -> String {
        self.rule
            .as_ref()
            .map(|r| r.groups.join(", "))
            .unwrap_or_default()
    }

    /// `selected` when the rule has this severity, condition type, grouping, health or
    /// platform.
    pub fn sel(&self, what: &str, value: &str) -> &'static str {
        let Some(r) = &self.rule else {
            return "";
        };
        let on = match what {
            "severity" => r.severity.as_str() == value,
            "type" => r.condition.type_name() == value,
            "group_by" => (r.notify.group_by == GroupBy::Device) == (value == "device"),
            _ => self.params.get(what).is_some_and(|v| v == value),
        };
        if on {
            "selected"
        } else {
            ""
        }
    }

    /// `checked` when the rule notifies this channel.
    pub fn notifies(&self, channel: &str) -> &'static str {
        if self
            .rule
            .as_ref()
            .is_some_and(|r| r.notify.channels.iter().any(|c| c == channel))
        {
            "checked"
        } else {
            ""
        }
    }

    pub fn step_after(&self, i: &usize) -> String {
        match self.steps.get(*i) {
            Some((m, _)) if *m > 0 => m.to_string(),
            _ => String::new(),
        }
    }

    pub fn step_has(&self, i: &usize, channel: &str) -> &'static str {
        if self
            .steps
            .get(*i)
            .is_some_and(|(_, c)| c.iter().any(|x| x == channel))
        {
            "checked"
        } else {
            ""
        }
    }
}

pub use steward_core::alerting::CONDITION_TYPES;

/// A rule's condition in words: its type and what it takes ("Signatures out of date: older
/// than 14 days").
pub fn condition_text(ctx: &Ctx, c: &steward_core::alerting::Condition) -> String {
    use steward_core::alerting::Condition::*;
    let n = |key: &str, v: u32| steward_core::t_args(ctx.lang, key, &[("count", v.to_string())]);
    match c {
        SignaturesOutdated { days } | ScanOverdue { days } => n("rule-param-days", *days),
        NotCheckedIn { hours } => n("rule-param-hours", *hours),
        LowDiskSpace { free_percent } => n("rule-param-free", *free_percent),
        EnrollmentFailures {
            count,
            window_minutes,
        } => steward_core::t_args(
            ctx.lang,
            "rule-param-failures",
            &[
                ("count", count.to_string()),
                ("minutes", window_minutes.to_string()),
            ],
        ),
        FleetShare {
            health,
            platform,
            percent,
        } => steward_core::t_args(
            ctx.lang,
            "rule-param-share",
            &[
                ("percent", percent.to_string()),
                ("health", ctx.label(health.as_str())),
                (
                    "platform",
                    platform
                        .map(|p| ctx.label(p.as_str()))
                        .unwrap_or_else(|| ctx.t("rule-param-all-platforms")),
                ),
            ],
        ),
        DeliveryFailing { minutes } => n("rule-param-minutes", *minutes),
        _ => String::new(),
    }
}

/// The fleet jobs under way (re-evaluations after policy and rule changes, deleted rules'
/// alerts being resolved), in words: shown on the policy and rule pages, whose changes
/// start them.
async fn jobs_under_way(state: &AppState, ctx: &Ctx) -> Vec<String> {
    let jobs = match state.store.open_fleet_jobs().await {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::warn!(error = %e, "fleet jobs not read");
            return Vec::new();
        }
    };
    jobs.iter()
        .map(|j| {
            if j.kind == steward_store::jobs::RULE_DELETED {
                return match j.total {
                    Some(total) => steward_core::i18n::t_args_counts(
                        ctx.lang,
                        "jobs-resolving",
                        &[],
                        &[("done", j.done.min(total)), ("total", total)],
                    ),
                    None => ctx.t("jobs-resolving-queued"),
                };
            }
            let reason = ctx.t(if j.reason.starts_with("policy.") {
                "jobs-reason-policy"
            } else {
                "jobs-reason-rule"
            });
            match j.total {
                Some(total) => steward_core::i18n::t_args_counts(
                    ctx.lang,
                    "jobs-running",
                    &[("reason", reason)],
                    &[("done", j.done.min(total)), ("total", total)],
                ),
                None => steward_core::t_args(ctx.lang, "jobs-queued", &[("reason", reason)]),
            }
        })
        .collect()
}

pub async fn rules(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let jobs = jobs_under_way(&state, &ctx).await;
    let channels = state.store.channels();
    let items = state
        .store
        .alert_rules()
        .iter()
        .map(|r| RuleRow {
            condition: condition_text(&ctx, &r.condition),
            channels: r
                .notify
                .channels
                .iter()
                .map(|id| {
                    channels
                        .iter()
                        .find(|c| &c.id == id)
                        .map(|c| c.name.clone())
                        .unwrap_or_else(|| id.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
            rule: r.clone(),
        })
        .collect();
    let p = RulesPage {
        jobs,
        title: ctx.t("nav-rules"),
        form: RuleForm::new(&state, None),
        ctx,
        items,
    };
    page(StatusCode::OK, &p)
}

#[derive(Template)]
#[template(path = "rule.html")]
pub struct RulePage {
    pub ctx: Ctx,
    pub title: String,
    pub form: RuleForm,
}

/// `GET /rules/{id}`: the rule's form, to change it.
pub async fn rule(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    match state.store.alert_rule(&id) {
        Ok(r) => {
            let p = RulePage {
                title: r.name.clone(),
                form: RuleForm::new(&state, Some(r)),
                ctx,
            };
            page(StatusCode::OK, &p)
        }
        Err(e) => error_page(ctx, ApiError::from(e).0),
    }
}

/// The condition of the rule form: its type and the parameters that type takes.
fn condition_from(f: &FormFields) -> Result<steward_core::alerting::Condition, ApiError> {
    let bad = || ApiError(ErrorCode::InvalidField);
    let kind = f.get("type").ok_or_else(bad)?;
    let mut c = serde_json::Map::new();
    c.insert("type".into(), kind.clone().into());
    for k in [
        "days",
        "hours",
        "free_percent",
        "count",
        "window_minutes",
        "minutes",
    ] {
        if let Some(v) = f.get(k) {
            c.insert(k.into(), v.parse::<u32>().map_err(|_| bad())?.into());
        }
    }
    if let Some(v) = f.get("percent") {
        c.insert(
            "percent".into(),
            v.parse::<f64>().map_err(|_| bad())?.into(),
        );
    }
    for k in ["health", "platform"] {
        if let Some(v) = f.get(k) {
            c.insert(k.into(), v.into());
        }
    }
    serde_json::from_value(serde_json::Value::Object(c)).map_err(|_| bad())
}

/// The rule the form describes; what the form does not show (timings) is kept from `before`.
fn rule_body(
    f: &FormFields,
    before: Option<&AlertRule>,
) -> Result<crate::alerts::RuleBody, ApiError> {
    let bad = || ApiError(ErrorCode::InvalidField);
    let condition = condition_from(f)?;
    let severity = f
        .get("severity")
        .and_then(|s| Severity::parse(&s))
        .ok_or_else(bad)?;
    let mut escalation = Vec::new();
    for i in 0..8 {
        let Some(after) = f.get(&format!("step_after_{i}")) else {
            continue;
        };
        let after_minutes = after.parse::<u32>().map_err(|_| bad())?;
        escalation.push(steward_core::notify::EscalationStep {
            after_minutes,
            channels: f.all(&format!("step_channel_{i}")),
        });
    }
    let mut notify = before.map(|r| r.notify.clone()).unwrap_or_default();
    notify.channels = f.all("channel");
    notify.group_by = if f.get("group_by").as_deref() == Some("device") {
        GroupBy::Device
    } else {
        GroupBy::Rule
    };
    notify.escalation = escalation;
    Ok(crate::alerts::RuleBody {
        name: f.get("name").unwrap_or_default(),
        condition,
        severity,
        groups: comma_list(f.get("groups")),
        enabled: before.is_none_or(|r| r.enabled),
        notify,
    })
}

pub async fn create_rule(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let b = match rule_body(&FormFields::parse(&body), None) {
        Ok(b) => b,
        Err(e) => return flash_error(ctx.lang, e.0),
    };
    let r = crate::alerts::create_rule(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /rules/{id}`: the rule changed from its form.
pub async fn update_rule(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let before = match state.store.alert_rule(&id) {
        Ok(r) => r,
        Err(e) => return flash_error(ctx.lang, ApiError::from(e).0),
    };
    let b = match rule_body(&FormFields::parse(&body), Some(&before)) {
        Ok(b) => b,
        Err(e) => return flash_error(ctx.lang, e.0),
    };
    let r = crate::alerts::update_rule(State(state), ctx.caller.clone(), Path(id), JsonBody(b));
    match r.await {
        Ok(_) => super::redirect_htmx("/rules"),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

/// `POST /rules/{id}/enable|disable|delete`.
pub async fn rule_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let caller = ctx.caller.clone();
    let r = match action.as_str() {
        "delete" => crate::alerts::delete_rule(State(state), caller, Path(id))
            .await
            .map(|_| ()),
        "enable" | "disable" => {
            let Ok(mut rule) = state.store.alert_rule(&id) else {
                return flash_error(ctx.lang, ErrorCode::NotFound);
            };
            rule.enabled = action == "enable";
            state
                .store
                .put_alert_rule(&rule, state.clock.now_ms(), &caller.actor())
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
        _ => Err(ApiError(ErrorCode::NotFound)),
    };
    done(&ctx, r)
}

// ---- channels ----

#[derive(Template)]
#[template(path = "channels.html")]
pub struct ChannelsPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<crate::notify::ChannelView>,
}

impl ChannelsPage {
    /// `checked` when the channel takes alerts of this severity.
    pub fn takes(&self, c: &crate::notify::ChannelView, severity: &str) -> &'static str {
        if c.channel.severities.iter().any(|s| s.as_str() == severity) {
            "checked"
        } else {
            ""
        }
    }
}

pub async fn channels(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let fetch = crate::notify::list_channels(State(state), super::all_pages());
    list_page(ctx, fetch, |ctx, items| ChannelsPage {
        title: ctx.t("nav-channels"),
        ctx,
        items,
    })
    .await
}

pub async fn create_channel(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let Some(kind) = f.get("kind").and_then(|k| ChannelKind::parse(&k)) else {
        return flash_error(ctx.lang, ErrorCode::InvalidField);
    };
    let b = crate::notify::ChannelBody {
        name: f.get("name").unwrap_or_default(),
        kind,
        target: f.get("target").unwrap_or_default(),
        secret: f.get("secret"),
        language: f
            .get("language")
            .and_then(|l| steward_core::Lang::parse(&l)),
        severities: f
            .all("severity")
            .iter()
            .filter_map(|s| Severity::parse(s))
            .collect(),
        send_resolved: true,
        enabled: true,
    };
    let r = crate::notify::create_channel(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /channels/{id}`: the channel's name, address, language, severities and state
/// changed; its secret stays unless a new one is given.
pub async fn update_channel(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let before = match state.store.channel(&id) {
        Ok(c) => c,
        Err(e) => return flash_error(ctx.lang, ApiError::from(e).0),
    };
    let b = crate::notify::ChannelBody {
        name: f.get("name").unwrap_or_default(),
        kind: before.kind,
        target: f.get("target").unwrap_or_default(),
        secret: f
            .get("secret")
            .or_else(|| Some(before.secret.clone()).filter(|s| !s.is_empty())),
        language: f
            .get("language")
            .and_then(|l| steward_core::Lang::parse(&l)),
        severities: f
            .all("severity")
            .iter()
            .filter_map(|s| Severity::parse(s))
            .collect(),
        send_resolved: before.send_resolved,
        enabled: f.get("enabled").is_some(),
    };
    let r = crate::notify::update_channel(State(state), ctx.caller.clone(), Path(id), JsonBody(b));
    done(&ctx, r.await)
}

/// `POST /channels/{id}/test|delete`.
pub async fn channel_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    match action.as_str() {
        "test" => match crate::notify::test_channel(State(state), Path(id)).await {
            Ok(Json(r)) if r.delivered => flash("notice", &ctx.t("console-test-delivered")),
            Ok(Json(r)) => flash(
                "error",
                &ctx.t1(
                    "console-test-failed",
                    "error",
                    r.error.as_deref().unwrap_or(""),
                ),
            ),
            Err(e) => flash_error(ctx.lang, e.0),
        },
        "delete" => {
            let r = crate::notify::delete_channel(State(state), ctx.caller.clone(), Path(id)).await;
            done(&ctx, r)
        }
        _ => flash_error(ctx.lang, ErrorCode::NotFound),
    }
}

// ---- users ----

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<UserInfo>,
}

pub async fn users(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let fetch = crate::users::list_users(State(state), super::all_pages());
    list_page(ctx, fetch, |ctx, items| UsersPage {
        title: ctx.t("nav-users"),
        ctx,
        items,
    })
    .await
}

pub async fn create_user(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let b = CreateUser {
        email: f.get("email").unwrap_or_default(),
        display_name: f.get("display_name"),
        language: f.get("language"),
        roles: f.all("role"),
        groups: comma_list(f.get("groups")),
        password: None,
    };
    match crate::users::create_user(State(state), ctx.caller.clone(), JsonBody(b)).await {
        Ok((_, Json(created))) => show_once(&ctx, created.password.as_deref().unwrap_or("")),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

/// `POST /settings/users/{id}/disable|enable|reset-password`.
pub async fn user_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let caller = ctx.caller.clone();
    match action.as_str() {
        "disable" | "enable" => {
            let b = UpdateUser {
                disabled: Some(action == "disable"),
                ..Default::default()
            };
            let r = crate::users::update_user(State(state), caller, Path(id), JsonBody(b)).await;
            done(&ctx, r)
        }
        "reset-password" => {
            match crate::users::reset_password(State(state), caller, Path(id)).await {
                Ok(Json(r)) => show_once(&ctx, &r.password),
                Err(e) => flash_error(ctx.lang, e.0),
            }
        }
        _ => flash_error(ctx.lang, ErrorCode::NotFound),
    }
}

// ---- API tokens ----

#[derive(Template)]
#[template(path = "tokens.html")]
pub struct TokensPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<ApiTokenInfo>,
}

pub async fn tokens(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let fetch = crate::api::list_api_tokens(State(state), super::all_pages());
    list_page(ctx, fetch, |ctx, items| TokensPage {
        title: ctx.t("nav-tokens"),
        ctx,
        items,
    })
    .await
}

pub async fn create_token(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let b = CreateApiToken {
        name: f.get("name").unwrap_or_default(),
        role: f.get("role"),
        expires_in_hours: f.get("expires_in_hours").and_then(|h| h.parse().ok()),
    };
    match crate::api::create_api_token(State(state), ctx.caller.clone(), JsonBody(b)).await {
        Ok((_, Json(created))) => show_once(&ctx, &created.token),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let call = crate::api::revoke_api_token(State(state), ctx.caller.clone(), Path(id));
    done(&ctx, call.await)
}

// ---- enrollment tokens ----

#[derive(Template)]
#[template(path = "enrollment_tokens.html")]
pub struct EnrollmentTokensPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<EnrollmentTokenInfo>,
}

pub async fn enrollment_tokens(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let fetch = crate::api::list_enrollment_tokens(State(state), super::all_pages());
    list_page(ctx, fetch, |ctx, items| EnrollmentTokensPage {
        title: ctx.t("nav-enrollment-tokens"),
        ctx,
        items,
    })
    .await
}

pub async fn create_enrollment_token(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let b = CreateEnrollmentToken {
        name: f.get("name"),
        expires_in_hours: f.get("expires_in_hours").and_then(|h| h.parse().ok()),
        max_uses: f.get("max_uses").and_then(|h| h.parse().ok()),
        group: f.get("group"),
        platforms: Vec::new(),
    };
    match crate::api::create_enrollment_token(State(state), ctx.caller.clone(), JsonBody(b)).await {
        Ok((_, Json(created))) => show_once(&ctx, &created.token),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

pub async fn revoke_enrollment_token(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let call = crate::api::revoke_enrollment_token(State(state), ctx.caller.clone(), Path(id));
    done(&ctx, call.await)
}

// ---- policies ----

#[derive(Template)]
#[template(path = "policies.html")]
pub struct PoliciesPage {
    pub ctx: Ctx,
    pub title: String,
    /// The fleet jobs under way, in words.
    pub jobs: Vec<String>,
    /// Each policy with its rules in words.
    pub items: Vec<(steward_core::compliance::Policy, Vec<String>)>,
    pub form: PolicyForm,
}

/// The policy form: one row per kind of rule, on or off, with its value.
pub struct PolicyForm {
    pub action: String,
    pub policy: Option<steward_core::compliance::Policy>,
}

/// The rules a policy form shows as a checkbox (on or off, no value).
pub const SWITCH_RULES: [&str; 5] = [
    "protection_required",
    "realtime_protection_required",
    "no_active_threats",
    "firewall_required",
    "disk_encryption_required",
];

/// The rules a policy form shows with a number of days.
pub const DAYS_RULES: [&str; 2] = ["signatures_max_age_days", "checked_in_within_days"];

fn rule_name(r: &Rule) -> &'static str {
    match r {
        Rule::MinOsVersion { .. } => "min_os_version",
        Rule::ProtectionRequired => "protection_required",
        Rule::RealtimeProtectionRequired => "realtime_protection_required",
        Rule::SignaturesMaxAgeDays { .. } => "signatures_max_age_days",
        Rule::NoActiveThreats => "no_active_threats",
        Rule::FirewallRequired => "firewall_required",
        Rule::DiskEncryptionRequired => "disk_encryption_required",
        Rule::CheckedInWithinDays { .. } => "checked_in_within_days",
    }
}

impl PolicyForm {
    fn new(policy: Option<steward_core::compliance::Policy>) -> PolicyForm {
        PolicyForm {
            action: policy
                .as_ref()
                .map(|p| format!("/settings/policies/{}", p.id))
                .unwrap_or_else(|| "/settings/policies".into()),
            policy,
        }
    }

    fn rules(&self) -> &[Rule] {
        self.policy
            .as_ref()
            .map(|p| p.rules.as_slice())
            .unwrap_or(&[])
    }

    pub fn switch_rules(&self) -> &'static [&'static str] {
        &SWITCH_RULES
    }

    pub fn days_rules(&self) -> &'static [&'static str] {
        &DAYS_RULES
    }

    pub fn platforms(&self) -> Vec<&'static str> {
        Platform::ALL.iter().map(|p| p.as_str()).collect()
    }

    /// The catalog key of a rule's row label.
    pub fn label_key(&self, rule: &str) -> &'static str {
        match rule {
            "protection_required" => "policy-field-protection-required",
            "realtime_protection_required" => "policy-field-realtime-protection-required",
            "no_active_threats" => "policy-field-no-active-threats",
            "firewall_required" => "policy-field-firewall-required",
            "disk_encryption_required" => "policy-field-disk-encryption-required",
            "signatures_max_age_days" => "policy-field-signatures-max-age-days",
            _ => "policy-field-checked-in-within-days",
        }
    }

    pub fn checked(&self, rule: &str) -> &'static str {
        if self.rules().iter().any(|r| rule_name(r) == rule) {
            "checked"
        } else {
            ""
        }
    }

    pub fn days(&self, rule: &str) -> String {
        self.rules()
            .iter()
            .find_map(|r| match r {
                Rule::SignaturesMaxAgeDays { days } | Rule::CheckedInWithinDays { days }
                    if rule_name(r) == rule =>
                {
                    Some(days.to_string())
                }
                _ => None,
            })
            .unwrap_or_default()
    }

    pub fn min_version(&self, platform: &str) -> String {
        self.rules()
            .iter()
            .find_map(|r| match r {
                Rule::MinOsVersion {
                    platform: p,
                    version,
                } if p.as_str() == platform => Some(version.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    pub fn name(&self) -> String {
        self.policy
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }

    pub fn grace(&self) -> String {
        self.policy
            .as_ref()
            .map(|p| p.grace_hours.to_string())
            .unwrap_or_else(|| "24".into())
    }

    pub fn groups(&self) -> String {
        self.policy
            .as_ref()
            .map(|p| p.groups.join(", "))
            .unwrap_or_default()
    }
}

/// The policy the form describes.
fn policy_body(f: &FormFields) -> Result<crate::api::PolicyBody, ApiError> {
    let bad = || ApiError(ErrorCode::InvalidField);
    let mut rules = Vec::new();
    for p in Platform::ALL {
        if let Some(version) = f.get(&format!("min_os_{}", p.as_str())) {
            rules.push(Rule::MinOsVersion {
                platform: p,
                version,
            });
        }
    }
    for name in SWITCH_RULES {
        if f.get(name).is_some() {
            rules.push(match name {
                "protection_required" => Rule::ProtectionRequired,
                "realtime_protection_required" => Rule::RealtimeProtectionRequired,
                "no_active_threats" => Rule::NoActiveThreats,
                "firewall_required" => Rule::FirewallRequired,
                _ => Rule::DiskEncryptionRequired,
            });
        }
    }
    for name in DAYS_RULES {
        if let Some(v) = f.get(name) {
            let days = v.parse::<u32>().map_err(|_| bad())?;
            rules.push(if name == "signatures_max_age_days" {
                Rule::SignaturesMaxAgeDays { days }
            } else {
                Rule::CheckedInWithinDays { days }
            });
        }
    }
    Ok(crate::api::PolicyBody {
        name: f.get("name").unwrap_or_default(),
        rules,
        grace_hours: match f.get("grace_hours") {
            Some(h) => h.parse().map_err(|_| bad())?,
            None => 0,
        },
        groups: comma_list(f.get("groups")),
    })
}

pub async fn policies(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let jobs = jobs_under_way(&state, &ctx).await;
    let items = match crate::api::list_policies(State(state), super::all_pages()).await {
        Ok(Json(p)) => p
            .items
            .into_iter()
            .map(|p| {
                let rules = p
                    .rules
                    .iter()
                    .map(|r| super::pages::rule_text(ctx.lang, r))
                    .collect();
                (p, rules)
            })
            .collect(),
        Err(e) => return error_page(ctx, e.0),
    };
    let p = PoliciesPage {
        jobs,
        title: ctx.t("nav-policies"),
        ctx,
        items,
        form: PolicyForm::new(None),
    };
    page(StatusCode::OK, &p)
}

#[derive(Template)]
#[template(path = "policy.html")]
pub struct PolicyPage {
    pub ctx: Ctx,
    pub title: String,
    pub form: PolicyForm,
}

/// `GET /settings/policies/{id}`: the policy's form, to change it.
pub async fn policy(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    match crate::api::get_policy(State(state), Path(id)).await {
        Ok(Json(p)) => {
            let page_ = PolicyPage {
                title: p.name.clone(),
                form: PolicyForm::new(Some(p)),
                ctx,
            };
            page(StatusCode::OK, &page_)
        }
        Err(e) => error_page(ctx, e.0),
    }
}

pub async fn create_policy(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let b = match policy_body(&FormFields::parse(&body)) {
        Ok(b) => b,
        Err(e) => return flash_error(ctx.lang, e.0),
    };
    let r = crate::api::create_policy(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /settings/policies/{id}`: the policy changed from its form; devices are evaluated
/// again at once.
pub async fn update_policy(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let b = match policy_body(&FormFields::parse(&body)) {
        Ok(b) => b,
        Err(e) => return flash_error(ctx.lang, e.0),
    };
    let r = crate::api::update_policy(State(state), ctx.caller.clone(), Path(id), JsonBody(b));
    match r.await {
        Ok(_) => super::redirect_htmx("/settings/policies"),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

pub async fn delete_policy(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::api::delete_policy(State(state), ctx.caller.clone(), Path(id)).await;
    done(&ctx, r)
}

// ---- audit log ----

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<AuditEntry>,
    pub f: HashMap<String, String>,
    pub next: Option<String>,
    pub csv: String,
}

impl AuditPage {
    pub fn f(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

pub async fn audit(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(mut f): Query<HashMap<String, String>>,
) -> Response {
    f.retain(|_, v| !v.is_empty());
    let q = steward_store::audit::AuditQuery {
        actor: f.get("actor").cloned(),
        action: f.get("action").cloned(),
        object_type: f.get("object_type").cloned(),
        object_id: f.get("object_id").cloned(),
        since: None,
        until: None,
        limit: 100,
        before_id: f.get("cursor").and_then(|c| c.parse().ok()),
    };
    let kept: String = ["actor", "action", "object_type", "object_id"]
        .iter()
        .filter_map(|k| f.get(*k).map(|v| format!("{k}={}", super::urlencode(v))))
        .collect::<Vec<_>>()
        .join("&");
    let (items, next) = match state.store.list_audit(&q).await {
        Ok(p) => (
            p.items,
            p.next_cursor
                .map(|c| format!("/settings/audit?{kept}&cursor={c}")),
        ),
        Err(e) => return error_page(ctx, ApiError::from(e).0),
    };
    let p = AuditPage {
        title: ctx.t("nav-audit"),
        csv: format!("/api/v1/audit?format=csv&{kept}"),
        ctx,
        items,
        f,
        next,
    };
    page(StatusCode::OK, &p)
}
