//! Silences, alert rules, channels and the settings pages (users, API tokens, enrollment
//! tokens, policies, audit log). Every change goes through the admin API's handler.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use steward_core::alerting::{AlertRule, Severity};
use steward_core::notify::{ChannelKind, GroupBy, NotifySettings};
use steward_core::policy::Permission;
use steward_proto::{
    ApiTokenInfo, AuditEntry, CreateApiToken, CreateEnrollmentToken, CreateUser,
    EnrollmentTokenInfo, ErrorCode, UpdateUser, UserInfo,
};

use super::{
    comma_list, done, error_page, escape, flash, flash_error, fragment, guarded, list_page, page,
    require, Console, Ctx, FormFields,
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
    let rules = rule_names(&state);
    let fetch = crate::notify::list_silences(State(state), Ok(Query(HashMap::new())));
    list_page(
        ctx,
        Permission::ReadDevices,
        "silences",
        fetch,
        |ctx, items| SilencesPage {
            title: ctx.t("nav-silences"),
            rules,
            ctx,
            items,
        },
    )
    .await
}

fn rule_names(state: &AppState) -> Vec<(String, String)> {
    state
        .store
        .alert_rules()
        .iter()
        .map(|r| (r.id.clone(), r.name.clone()))
        .collect()
}

pub async fn create_silence(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManageDevices);
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

pub async fn expire_silence(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let call = crate::notify::expire_silence(State(state), ctx.caller.clone(), Path(id));
    guarded(&ctx, Permission::ManageDevices, call).await
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
    pub items: Vec<RuleRow>,
    pub channels: Vec<(String, String)>,
}

pub const CONDITION_TYPES: [&str; 12] = [
    "readiness_failing",
    "active_threat",
    "protection_missing",
    "realtime_protection_off",
    "signatures_outdated",
    "scan_overdue",
    "noncompliant",
    "not_checked_in",
    "low_disk_space",
    "enrollment_failures",
    "fleet_share",
    "delivery_failing",
];

impl RulesPage {
    pub fn condition_types(&self) -> &'static [&'static str] {
        &CONDITION_TYPES
    }
}

pub async fn rules(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let ctx = ctx_or_return!(ctx, Permission::ReadDevices, "rules");
    let channels = state.store.channels();
    let items = state
        .store
        .alert_rules()
        .iter()
        .map(|r| RuleRow {
            condition: serde_json::to_value(&r.condition)
                .map(|v| {
                    v.as_object()
                        .map(|m| {
                            m.iter()
                                .filter(|(k, _)| *k != "type")
                                .map(|(k, v)| format!("{k}: {v}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default()
                })
                .unwrap_or_default(),
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
        title: ctx.t("nav-rules"),
        channels: channels
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect(),
        ctx,
        items,
    };
    page(StatusCode::OK, &p)
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

pub async fn create_rule(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManagePolicies);
    let f = FormFields::parse(&body);
    let condition = match condition_from(&f) {
        Ok(c) => c,
        Err(e) => return flash_error(ctx.lang, e.0),
    };
    let Some(severity) = f.get("severity").and_then(|s| Severity::parse(&s)) else {
        return flash_error(ctx.lang, ErrorCode::InvalidField);
    };
    let b = crate::alerts::RuleBody {
        name: f.get("name").unwrap_or_default(),
        condition,
        severity,
        groups: comma_list(f.get("groups")),
        enabled: true,
        notify: NotifySettings {
            channels: f.all("channel"),
            group_by: if f.get("group_by").as_deref() == Some("device") {
                GroupBy::Device
            } else {
                GroupBy::Rule
            },
            ..Default::default()
        },
    };
    let r = crate::alerts::create_rule(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /rules/{id}/enable|disable|delete`.
pub async fn rule_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManagePolicies);
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

pub async fn channels(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let fetch = crate::notify::list_channels(State(state), super::all_pages());
    list_page(
        ctx,
        Permission::ManagePolicies,
        "channels",
        fetch,
        |ctx, items| ChannelsPage {
            title: ctx.t("nav-channels"),
            ctx,
            items,
        },
    )
    .await
}

pub async fn create_channel(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManagePolicies);
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

/// `POST /channels/{id}/test|delete`.
pub async fn channel_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManagePolicies);
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
    list_page(
        ctx,
        Permission::ManageUsers,
        "settings",
        fetch,
        |ctx, items| UsersPage {
            title: ctx.t("nav-users"),
            ctx,
            items,
        },
    )
    .await
}

pub async fn create_user(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManageUsers);
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
    allowed_or_flash!(ctx, Permission::ManageUsers);
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
    list_page(
        ctx,
        Permission::ManageTokens,
        "settings",
        fetch,
        |ctx, items| TokensPage {
            title: ctx.t("nav-tokens"),
            ctx,
            items,
        },
    )
    .await
}

pub async fn create_token(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManageTokens);
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
    guarded(&ctx, Permission::ManageTokens, call).await
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
    list_page(
        ctx,
        Permission::ManageEnrollment,
        "settings",
        fetch,
        |ctx, items| EnrollmentTokensPage {
            title: ctx.t("nav-enrollment-tokens"),
            ctx,
            items,
        },
    )
    .await
}

pub async fn create_enrollment_token(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManageEnrollment);
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
    guarded(&ctx, Permission::ManageEnrollment, call).await
}

// ---- policies ----

#[derive(Template)]
#[template(path = "policies.html")]
pub struct PoliciesPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<(steward_core::compliance::Policy, String)>,
    pub example: String,
}

pub async fn policies(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let ctx = ctx_or_return!(ctx, Permission::ManagePolicies, "settings");
    let items = match crate::api::list_policies(State(state), super::all_pages()).await {
        Ok(Json(p)) => p
            .items
            .into_iter()
            .map(|p| {
                let rules = serde_json::to_string(&p.rules).unwrap_or_default();
                (p, rules)
            })
            .collect(),
        Err(e) => return error_page(ctx, e.0),
    };
    let p = PoliciesPage {
        title: ctx.t("nav-policies"),
        ctx,
        items,
        example: r#"{"name": "Baseline", "grace_hours": 24, "groups": [],
 "rules": [{"type": "protection_required"}, {"type": "checked_in_within_days", "days": 7}]}"#
            .into(),
    };
    page(StatusCode::OK, &p)
}

pub async fn create_policy(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManagePolicies);
    let f = FormFields::parse(&body);
    let Ok(b) =
        serde_json::from_str::<crate::api::PolicyBody>(&f.get("policy").unwrap_or_default())
    else {
        return flash_error(ctx.lang, ErrorCode::MalformedJson);
    };
    let r = crate::api::create_policy(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

pub async fn delete_policy(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let call = crate::api::delete_policy(State(state), ctx.caller.clone(), Path(id));
    guarded(&ctx, Permission::ManagePolicies, call).await
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
    let ctx = ctx_or_return!(ctx, Permission::ReadAudit, "settings");
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
