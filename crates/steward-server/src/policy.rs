//! The policy layer: the admin API is built from [`endpoints`], where every route names the
//! permission it needs, so a route cannot exist without an entry. [`authorize`] authenticates
//! the caller and checks that permission before any handler runs.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use steward_core::policy::Permission;
use steward_proto::ErrorCode;

use steward_core::time::now_ms;
use steward_store::audit::{Actor, AuditRecord};

use crate::agent::Remote;
use crate::api;
use crate::auth::{audit_via_writer, authenticate, bearer, Caller};
use crate::error::ApiError;
use crate::users;
use crate::AppState;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the API description, signing in).
    Public,
    /// Any signed-in user or valid token, whatever its role (own session and password).
    Authenticated,
    /// An API token whose role holds the permission.
    Requires(Permission),
}

/// One admin API endpoint.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    route: fn() -> MethodRouter<AppState>,
}

fn ep(
    method: Method,
    path: &'static str,
    access: Access,
    route: fn() -> MethodRouter<AppState>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        route,
    }
}

/// Every admin API endpoint and the permission it needs.
pub fn endpoints() -> Vec<Endpoint> {
    use Access::{Authenticated, Public, Requires};
    use Permission::*;
    vec![
        ep(Method::GET, "/api/v1/openapi.json", Public, || {
            get(api::openapi)
        }),
        ep(
            Method::GET,
            "/api/v1/devices",
            Requires(ReadDevices),
            || get(api::list_devices),
        ),
        ep(
            Method::GET,
            "/api/v1/fleet/summary",
            Requires(ReadDevices),
            || get(crate::fleet::summary),
        ),
        ep(
            Method::GET,
            "/api/v1/fleet/history",
            Requires(ReadDevices),
            || get(crate::fleet::history),
        ),
        ep(
            Method::GET,
            "/api/v1/devices/{id}",
            Requires(ReadDevices),
            || get(api::get_device),
        ),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/retire",
            Requires(ManageDevices),
            || post(api::retire_device),
        ),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/rotate-secret",
            Requires(ManageDevices),
            || post(api::rotate_device_secret),
        ),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/requests",
            Requires(AssistUsers),
            || post(crate::helpdesk::create_request),
        ),
        ep(
            Method::GET,
            "/api/v1/devices/{id}/requests",
            Requires(ReadDevices),
            || get(crate::helpdesk::list_requests),
        ),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/notes",
            Requires(AssistUsers),
            || post(crate::helpdesk::add_note),
        ),
        ep(
            Method::GET,
            "/api/v1/troubleshoot/users",
            Requires(AssistUsers),
            || get(crate::helpdesk::find_users),
        ),
        ep(
            Method::GET,
            "/api/v1/troubleshoot/users/{user}",
            Requires(AssistUsers),
            || get(crate::helpdesk::user_view),
        ),
        ep(
            Method::POST,
            "/api/v1/troubleshoot/users/{user}/invite",
            Requires(AssistUsers),
            || post(crate::helpdesk::invite),
        ),
        ep(
            Method::GET,
            "/api/v1/failure-reasons",
            Requires(AssistUsers),
            || get(crate::kb::failure_reasons),
        ),
        ep(
            Method::GET,
            "/api/v1/kb/search",
            Requires(AssistUsers),
            || get(crate::kb::search),
        ),
        ep(
            Method::GET,
            "/api/v1/kb/gaps",
            Requires(ManageArticles),
            || get(crate::kb::list_gaps),
        ),
        ep(
            Method::GET,
            "/api/v1/kb/articles",
            Requires(AssistUsers),
            || get(crate::kb::list),
        ),
        ep(
            Method::POST,
            "/api/v1/kb/articles",
            Requires(ManageArticles),
            || post(crate::kb::create),
        ),
        ep(
            Method::GET,
            "/api/v1/kb/articles/{id}",
            Requires(AssistUsers),
            || get(crate::kb::get),
        ),
        ep(
            Method::PUT,
            "/api/v1/kb/articles/{id}",
            Requires(ManageArticles),
            || axum::routing::put(crate::kb::update),
        ),
        ep(
            Method::POST,
            "/api/v1/kb/articles/{id}/reviewed",
            Requires(ManageArticles),
            || post(crate::kb::reviewed),
        ),
        ep(
            Method::POST,
            "/api/v1/kb/articles/{id}/feedback",
            Requires(AssistUsers),
            || post(crate::kb::feedback),
        ),
        ep(
            Method::GET,
            "/api/v1/policies",
            Requires(ReadDevices),
            || get(api::list_policies),
        ),
        ep(
            Method::POST,
            "/api/v1/policies",
            Requires(ManagePolicies),
            || post(api::create_policy),
        ),
        ep(
            Method::GET,
            "/api/v1/policies/{id}",
            Requires(ReadDevices),
            || get(api::get_policy),
        ),
        ep(
            Method::PUT,
            "/api/v1/policies/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(api::update_policy),
        ),
        ep(
            Method::DELETE,
            "/api/v1/policies/{id}",
            Requires(ManagePolicies),
            || axum::routing::delete(api::delete_policy),
        ),
        ep(
            Method::GET,
            "/api/v1/alert-rules",
            Requires(ReadDevices),
            || get(crate::alerts::list_rules),
        ),
        ep(
            Method::POST,
            "/api/v1/alert-rules",
            Requires(ManagePolicies),
            || post(crate::alerts::create_rule),
        ),
        ep(
            Method::GET,
            "/api/v1/alert-rules/{id}",
            Requires(ReadDevices),
            || get(crate::alerts::get_rule),
        ),
        ep(
            Method::PUT,
            "/api/v1/alert-rules/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(crate::alerts::update_rule),
        ),
        ep(
            Method::DELETE,
            "/api/v1/alert-rules/{id}",
            Requires(ManagePolicies),
            || axum::routing::delete(crate::alerts::delete_rule),
        ),
        ep(Method::GET, "/api/v1/alerts", Requires(ReadDevices), || {
            get(crate::alerts::list_alerts)
        }),
        ep(
            Method::GET,
            "/api/v1/alerts/{id}",
            Requires(ReadDevices),
            || get(crate::alerts::get_alert),
        ),
        ep(
            Method::POST,
            "/api/v1/alerts/{id}/acknowledge",
            Requires(ManageDevices),
            || post(crate::alerts::acknowledge),
        ),
        ep(
            Method::POST,
            "/api/v1/alerts/{id}/resolve",
            Requires(ManageDevices),
            || post(crate::alerts::resolve),
        ),
        ep(
            Method::POST,
            "/api/v1/alerts/{id}/comments",
            Requires(ManageDevices),
            || post(crate::alerts::comment),
        ),
        ep(
            Method::POST,
            "/api/v1/alerts/{id}/assign",
            Requires(ManageDevices),
            || post(crate::alerts::assign),
        ),
        ep(
            Method::GET,
            "/api/v1/alerts/metrics",
            Requires(ReadDevices),
            || get(crate::notify::response_report),
        ),
        ep(Method::GET, "/api/v1/notices", Authenticated, || {
            get(crate::awareness::list_notices)
        }),
        ep(
            Method::POST,
            "/api/v1/notices",
            Requires(ManagePolicies),
            || post(crate::awareness::create_notice),
        ),
        ep(
            Method::PUT,
            "/api/v1/notices/preferences",
            Authenticated,
            || axum::routing::put(crate::awareness::preferences),
        ),
        ep(Method::GET, "/api/v1/notices/{id}", Authenticated, || {
            get(crate::awareness::get_notice)
        }),
        ep(
            Method::PUT,
            "/api/v1/notices/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(crate::awareness::update_notice),
        ),
        ep(
            Method::POST,
            "/api/v1/notices/{id}/remind",
            Requires(ManagePolicies),
            || post(crate::awareness::remind),
        ),
        ep(
            Method::POST,
            "/api/v1/notices/{id}/{action}",
            Authenticated,
            || post(crate::awareness::notice_action),
        ),
        ep(
            Method::GET,
            "/api/v1/feeds",
            Requires(ManagePolicies),
            || get(crate::awareness::list_feeds),
        ),
        ep(
            Method::POST,
            "/api/v1/feeds",
            Requires(ManagePolicies),
            || post(crate::awareness::create_feed),
        ),
        ep(
            Method::PUT,
            "/api/v1/feeds/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(crate::awareness::update_feed),
        ),
        ep(
            Method::DELETE,
            "/api/v1/feeds/{id}",
            Requires(ManagePolicies),
            || axum::routing::delete(crate::awareness::delete_feed),
        ),
        ep(
            Method::POST,
            "/api/v1/feeds/{id}/fetch",
            Requires(ManagePolicies),
            || post(crate::awareness::fetch_now),
        ),
        ep(Method::GET, "/api/v1/ops-plan", Authenticated, || {
            get(crate::awareness::get_plan)
        }),
        ep(
            Method::PUT,
            "/api/v1/ops-plan",
            Requires(ManageUsers),
            || axum::routing::put(crate::awareness::put_plan),
        ),
        ep(
            Method::GET,
            "/api/v1/features",
            Requires(ManagePolicies),
            || get(crate::training::list_features),
        ),
        ep(
            Method::POST,
            "/api/v1/features",
            Requires(ManagePolicies),
            || post(crate::training::create_feature),
        ),
        ep(
            Method::POST,
            "/api/v1/features/{id}/{event}",
            Requires(ManagePolicies),
            || post(crate::training::feature_event),
        ),
        ep(Method::GET, "/api/v1/training", Authenticated, || {
            get(crate::training::list_materials)
        }),
        ep(
            Method::POST,
            "/api/v1/training",
            Requires(ManagePolicies),
            || post(crate::training::create_material),
        ),
        ep(
            Method::POST,
            "/api/v1/training/{id}/reviewed",
            Requires(ManagePolicies),
            || post(crate::training::reviewed),
        ),
        ep(
            Method::POST,
            "/api/v1/training/{id}/assign",
            Requires(ManageUsers),
            || post(crate::training::assign),
        ),
        ep(
            Method::POST,
            "/api/v1/training/{id}/complete",
            Authenticated,
            || post(crate::training::complete),
        ),
        ep(Method::GET, "/api/v1/onboarding", Authenticated, || {
            get(crate::training::get_onboarding)
        }),
        ep(
            Method::PUT,
            "/api/v1/onboarding",
            Requires(ManageUsers),
            || axum::routing::put(crate::training::put_onboarding),
        ),
        ep(
            Method::POST,
            "/api/v1/onboarding/{step}/done",
            Authenticated,
            || post(crate::training::step_done),
        ),
        ep(
            Method::GET,
            "/api/v1/announcements/welcome",
            Requires(ReadDevices),
            || get(crate::announce::get_welcome),
        ),
        ep(
            Method::PUT,
            "/api/v1/announcements/welcome",
            Requires(ManageDevices),
            || axum::routing::put(crate::announce::put_welcome),
        ),
        ep(
            Method::GET,
            "/api/v1/announcements",
            Requires(ReadDevices),
            || get(crate::announce::list),
        ),
        ep(
            Method::POST,
            "/api/v1/announcements",
            Requires(ManageDevices),
            || post(crate::announce::create),
        ),
        ep(Method::GET, "/api/v1/readiness", Authenticated, || {
            get(crate::awareness::readiness)
        }),
        ep(
            Method::GET,
            "/api/v1/silences",
            Requires(ReadDevices),
            || get(crate::notify::list_silences),
        ),
        ep(
            Method::POST,
            "/api/v1/silences",
            Requires(ManageDevices),
            || post(crate::notify::create_silence),
        ),
        ep(
            Method::GET,
            "/api/v1/silences/{id}",
            Requires(ReadDevices),
            || get(crate::notify::get_silence),
        ),
        ep(
            Method::POST,
            "/api/v1/silences/{id}/expire",
            Requires(ManageDevices),
            || post(crate::notify::expire_silence),
        ),
        ep(
            Method::GET,
            "/api/v1/channels",
            Requires(ManagePolicies),
            || get(crate::notify::list_channels),
        ),
        ep(
            Method::POST,
            "/api/v1/channels",
            Requires(ManagePolicies),
            || post(crate::notify::create_channel),
        ),
        ep(
            Method::GET,
            "/api/v1/channels/{id}",
            Requires(ManagePolicies),
            || get(crate::notify::get_channel),
        ),
        ep(
            Method::PUT,
            "/api/v1/channels/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(crate::notify::update_channel),
        ),
        ep(
            Method::DELETE,
            "/api/v1/channels/{id}",
            Requires(ManagePolicies),
            || axum::routing::delete(crate::notify::delete_channel),
        ),
        ep(
            Method::POST,
            "/api/v1/channels/{id}/test",
            Requires(ManagePolicies),
            || post(crate::notify::test_channel),
        ),
        ep(
            Method::GET,
            "/api/v1/notifications",
            Requires(ManagePolicies),
            || get(crate::notify::list_deliveries),
        ),
        ep(
            Method::GET,
            "/api/v1/enrollment-attempts",
            Requires(ReadDevices),
            || get(api::list_enrollment_attempts),
        ),
        ep(
            Method::GET,
            "/api/v1/enrollment-tokens",
            Requires(ManageEnrollment),
            || get(api::list_enrollment_tokens),
        ),
        ep(
            Method::POST,
            "/api/v1/enrollment-tokens",
            Requires(ManageEnrollment),
            || post(api::create_enrollment_token),
        ),
        ep(
            Method::GET,
            "/api/v1/enrollment-tokens/{id}",
            Requires(ManageEnrollment),
            || get(api::get_enrollment_token),
        ),
        ep(
            Method::POST,
            "/api/v1/enrollment-tokens/{id}/revoke",
            Requires(ManageEnrollment),
            || post(api::revoke_enrollment_token),
        ),
        ep(
            Method::GET,
            "/api/v1/tokens",
            Requires(ManageTokens),
            || get(api::list_api_tokens),
        ),
        ep(
            Method::POST,
            "/api/v1/tokens",
            Requires(ManageTokens),
            || post(api::create_api_token),
        ),
        ep(
            Method::POST,
            "/api/v1/tokens/{id}/revoke",
            Requires(ManageTokens),
            || post(api::revoke_api_token),
        ),
        ep(Method::POST, "/api/v1/auth/login", Public, || {
            post(users::login)
        }),
        ep(Method::POST, "/api/v1/auth/logout", Authenticated, || {
            post(users::logout)
        }),
        ep(Method::GET, "/api/v1/auth/me", Authenticated, || {
            get(users::me)
        }),
        ep(Method::POST, "/api/v1/auth/password", Authenticated, || {
            post(users::change_password)
        }),
        ep(Method::POST, "/api/v1/auth/tokens", Authenticated, || {
            post(users::create_own_token)
        }),
        ep(Method::GET, "/api/v1/users", Requires(ReadUsers), || {
            get(users::list_users)
        }),
        ep(Method::POST, "/api/v1/users", Requires(ManageUsers), || {
            post(users::create_user)
        }),
        ep(
            Method::GET,
            "/api/v1/users/{id}",
            Requires(ReadUsers),
            || get(users::get_user),
        ),
        ep(
            Method::PATCH,
            "/api/v1/users/{id}",
            Requires(ManageUsers),
            || axum::routing::patch(users::update_user),
        ),
        ep(
            Method::POST,
            "/api/v1/users/{id}/reset-password",
            Requires(ManageUsers),
            || post(users::reset_password),
        ),
        ep(Method::GET, "/api/v1/audit", Requires(ReadAudit), || {
            get(api::list_audit)
        }),
    ]
}

/// The admin API router, assembled from [`endpoints`] only.
pub fn api_router(state: &AppState) -> Router<AppState> {
    endpoints().into_iter().fold(Router::new(), |router, e| {
        let route = (e.route)();
        let route = match e.access {
            Access::Public => route,
            Access::Authenticated => route.route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), None),
                authorize,
            )),
            Access::Requires(p) => route.route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), Some(p)),
                authorize,
            )),
        };
        router.route(e.path, route)
    })
}

/// Authenticates the bearer token and checks the endpoint's permission; the handler then
/// finds the [`Caller`] in the request's extensions.
async fn authorize(
    State((state, permission)): State<(AppState, Option<Permission>)>,
    Remote(remote): Remote,
    mut req: Request,
    next: Next,
) -> Response {
    let target = format!("{} {}", req.method(), req.uri().path());
    let caller = match authenticate(&state, req.method(), req.headers(), &remote).await {
        Ok(c) => c,
        Err(e) => {
            if e.0 == ErrorCode::CsrfMismatch {
                let actor = Actor::anonymous("session", &remote);
                record(&state, actor, "auth.csrf_rejected", &target, "denied").await;
            } else if e.0 == ErrorCode::Unauthorized {
                // What was offered, cut to the part lists show, never the whole secret.
                let presented = bearer(req.headers())
                    .map(steward_core::secret::display_prefix)
                    .unwrap_or_default();
                let actor = Actor::anonymous(&presented, &remote);
                record(&state, actor, "auth.failed", &target, "failed").await;
            }
            return e.into_response();
        }
    };
    if permission.is_some_and(|p| !caller.allows(p)) {
        record(&state, caller.actor(), "access.denied", &target, "denied").await;
        return ApiError(ErrorCode::Forbidden).into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// Appends a refusal to the audit log through the group-commit writer (a flood of refusals
/// is batched like check-ins are).
async fn record(state: &AppState, actor: Actor, action: &str, target: &str, outcome: &'static str) {
    let rec = AuditRecord {
        at: now_ms(),
        actor,
        action: action.into(),
        object_type: "endpoint".into(),
        object_id: Some(target.to_string()),
        before: None,
        after: None,
        outcome,
    };
    audit_via_writer(state, rec).await;
}

/// The permission table as Markdown, for `docs/permissions.md`.
pub fn markdown_table() -> String {
    use steward_core::Role;
    let mut out = String::from("| method | path | permission |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(Role::ALL.len()));
    out.push('\n');
    for e in endpoints() {
        let (perm, cells): (&str, Vec<&str>) = match e.access {
            Access::Public => ("public", vec!["yes"; Role::ALL.len()]),
            Access::Authenticated => ("signed in", vec!["yes"; Role::ALL.len()]),
            Access::Requires(p) => (
                p.name(),
                Role::ALL
                    .iter()
                    .map(|r| if p.allows(*r) { "yes" } else { "no" })
                    .collect(),
            ),
        };
        out.push_str(&format!("| {} | `{}` | {perm} |", e.method, e.path));
        for c in cells {
            out.push_str(&format!(" {c} |"));
        }
        out.push('\n');
    }
    out
}

/// A handler's view of the caller, set by [`authorize`].
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            tracing::error!("handler reached without the policy layer");
            ApiError(ErrorCode::Internal)
        })
    }
}
