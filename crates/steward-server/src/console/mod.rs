//! The web console: server-rendered pages (askama templates under `templates/`), htmx for
//! actions, static assets embedded in the binary. Pages authenticate with the session cookie
//! and reuse the admin API's handlers for every change, so validation, scope checks and the
//! audit log are the same as through the API.

mod admin;
mod apps;
mod awareness;
mod helpdesk;
pub(crate) mod pages;
pub(crate) mod remediation;
mod reports;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use steward_core::i18n::Zone;
use steward_core::policy::Permission;
use steward_core::{t, Lang};
use steward_proto::ErrorCode;

use crate::agent::Remote;
use crate::auth::{self, Caller, Via};
use crate::error::{request_lang, ApiError, HtmlPage};
use crate::AppState;

/// Who may use a console route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the login page, the style sheet).
    Public,
    /// Any signed-in user, whatever the role (own language, notices, readiness).
    SignedIn,
    /// A signed-in user whose roles hold the permission.
    Requires(Permission),
}

/// One console route: its method and path, who may use it, the navigation entry it marks, and
/// its handler. The console's router is built from [`routes`] only, and [`Console`] refuses a
/// request that did not come through an entry, so a page cannot exist without one.
pub struct ConsoleRoute {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub section: &'static str,
    route: fn() -> MethodRouter<AppState>,
}

/// What the table says about the route a request came in on, for [`Console`].
#[derive(Clone, Copy)]
struct Entry {
    access: Access,
    section: &'static str,
}

/// Every console route.
pub fn routes() -> Vec<ConsoleRoute> {
    use Access::{Public, Requires, SignedIn};
    use Permission::*;
    fn r(
        method: Method,
        path: &'static str,
        access: Access,
        section: &'static str,
        route: fn() -> MethodRouter<AppState>,
    ) -> ConsoleRoute {
        ConsoleRoute {
            method,
            path,
            access,
            section,
            route,
        }
    }
    let (g, p) = (Method::GET, Method::POST);
    vec![
        r(g.clone(), "/login", Public, "", || get(login_page)),
        r(p.clone(), "/login", Public, "", || post(login)),
        r(g.clone(), "/assets/{file}", Public, "", || get(asset)),
        r(p.clone(), "/logout", SignedIn, "", || post(logout)),
        r(p.clone(), "/language", SignedIn, "", || post(set_language)),
        r(g.clone(), "/profile", SignedIn, "profile", || {
            get(pages::profile)
        }),
        r(p.clone(), "/profile", SignedIn, "profile", || {
            post(pages::save_profile)
        }),
        r(g.clone(), "/", SignedIn, "dashboard", || {
            get(pages::dashboard)
        }),
        r(
            g.clone(),
            "/remediations",
            Requires(ReadDevices),
            "remediation",
            || get(remediation::remediations),
        ),
        r(
            p.clone(),
            "/remediations",
            Requires(ManageScripts),
            "remediation",
            || post(remediation::create_remediation),
        ),
        r(
            g.clone(),
            "/remediations/{id}",
            Requires(ReadDevices),
            "remediation",
            || get(remediation::remediation),
        ),
        r(
            p.clone(),
            "/remediations/{id}/rerun",
            Requires(ManageScripts),
            "remediation",
            || post(remediation::rerun_failed),
        ),
        r(
            p.clone(),
            "/remediations/{id}/delete",
            Requires(ManageScripts),
            "remediation",
            || post(remediation::delete_remediation),
        ),
        r(
            g.clone(),
            "/scripts",
            Requires(ReadDevices),
            "remediation",
            || get(remediation::scripts),
        ),
        r(
            p.clone(),
            "/scripts",
            Requires(ManageScripts),
            "remediation",
            || post(remediation::create_script),
        ),
        r(
            g.clone(),
            "/scripts/{id}",
            Requires(ReadDevices),
            "remediation",
            || get(remediation::script),
        ),
        r(
            p.clone(),
            "/scripts/{id}",
            Requires(ManageScripts),
            "remediation",
            || post(remediation::update_script),
        ),
        r(
            p.clone(),
            "/scripts/{id}/clear",
            Requires(ApproveRequests),
            "remediation",
            || post(remediation::clear_script),
        ),
        r(
            p.clone(),
            "/scripts/{id}/delete",
            Requires(ManageScripts),
            "remediation",
            || post(remediation::delete_script),
        ),
        r(
            g.clone(),
            "/approvals",
            Requires(ManageDevices),
            "remediation",
            || get(remediation::approvals),
        ),
        r(
            p.clone(),
            "/approvals/{id}/approve",
            Requires(ApproveRequests),
            "remediation",
            || post(remediation::approve),
        ),
        r(
            p.clone(),
            "/approvals/{id}/refuse",
            Requires(ApproveRequests),
            "remediation",
            || post(remediation::refuse),
        ),
        r(
            p.clone(),
            "/devices/{id}/actions",
            Requires(RunScripts),
            "devices",
            || post(remediation::device_action),
        ),
        r(
            p.clone(),
            "/devices/actions",
            Requires(ManageDevices),
            "devices",
            || post(remediation::devices_action),
        ),
        r(
            g.clone(),
            "/diagnostics/{id}",
            Requires(ReadDevices),
            "devices",
            || get(remediation::diagnostics),
        ),
        r(
            g.clone(),
            "/reports",
            Requires(ReadReports),
            "reports",
            || get(reports::reports),
        ),
        r(
            g.clone(),
            "/reports/schedules",
            Requires(ManageReports),
            "reports",
            || get(reports::schedules),
        ),
        r(
            p.clone(),
            "/reports/schedules",
            Requires(ManageReports),
            "reports",
            || post(reports::create_schedule),
        ),
        r(
            p.clone(),
            "/reports/schedules/{id}/send",
            Requires(ManageReports),
            "reports",
            || post(reports::send_schedule),
        ),
        r(
            p.clone(),
            "/reports/schedules/{id}/delete",
            Requires(ManageReports),
            "reports",
            || post(reports::delete_schedule),
        ),
        r(
            g.clone(),
            "/reports/{section}/groups",
            Requires(ReadReports),
            "reports",
            || get(reports::by_group),
        ),
        r(
            g.clone(),
            "/reports/{file}",
            Requires(ReadReports),
            "reports",
            || get(reports::report_file),
        ),
        r(
            g.clone(),
            "/search",
            Requires(ReadDevices),
            "devices",
            || get(pages::search),
        ),
        r(
            g.clone(),
            "/devices",
            Requires(ReadDevices),
            "devices",
            || get(pages::devices),
        ),
        r(
            g.clone(),
            "/devices.csv",
            Requires(ReadDevices),
            "devices",
            || get(pages::devices_csv),
        ),
        r(
            g.clone(),
            "/devices/{id}",
            Requires(ReadDevices),
            "devices",
            || get(pages::device),
        ),
        r(
            p.clone(),
            "/devices/{id}/retire",
            Requires(ManageDevices),
            "devices",
            || post(pages::retire_device),
        ),
        r(
            p.clone(),
            "/devices/{id}/rotate-secret",
            Requires(ManageDevices),
            "devices",
            || post(pages::rotate_secret),
        ),
        r(
            p.clone(),
            "/devices/{id}/requests",
            Requires(AssistUsers),
            "devices",
            || post(helpdesk::request),
        ),
        r(
            p.clone(),
            "/devices/{id}/notes",
            Requires(AssistUsers),
            "devices",
            || post(helpdesk::note),
        ),
        r(g.clone(), "/apps", Requires(ReadDevices), "apps", || {
            get(apps::apps)
        }),
        r(p.clone(), "/apps", Requires(ManageApps), "apps", || {
            post(apps::create_app)
        }),
        r(
            g.clone(),
            "/apps/{id}",
            Requires(ReadDevices),
            "apps",
            || get(apps::app),
        ),
        r(
            p.clone(),
            "/apps/{id}/versions",
            Requires(ManageApps),
            "apps",
            || post(apps::add_version),
        ),
        r(
            p.clone(),
            "/apps/{id}/assign",
            Requires(ManageApps),
            "apps",
            || post(apps::assign),
        ),
        r(
            p.clone(),
            "/apps/{id}/delete",
            Requires(ManageApps),
            "apps",
            || post(apps::delete_app),
        ),
        r(
            g.clone(),
            "/apps/assignments/{id}",
            Requires(ReadDevices),
            "apps",
            || get(apps::assignment),
        ),
        r(
            p.clone(),
            "/apps/assignments/{id}/{action}",
            Requires(ManageApps),
            "apps",
            || post(apps::assignment_action),
        ),
        r(
            p.clone(),
            "/apps/assignments/{id}/devices/{device_id}/retry",
            Requires(RetryInstalls),
            "apps",
            || post(apps::retry_device),
        ),
        r(
            g.clone(),
            "/enrollments",
            Requires(ReadDevices),
            "devices",
            || get(pages::enrollments),
        ),
        r(
            g.clone(),
            "/alerts",
            Requires(ReadDevices),
            "alerts",
            || get(pages::alerts),
        ),
        r(
            p.clone(),
            "/alerts/acknowledge",
            Requires(ManageDevices),
            "alerts",
            || post(pages::bulk_acknowledge),
        ),
        r(
            g.clone(),
            "/alerts/{id}",
            Requires(ReadDevices),
            "alerts",
            || get(pages::alert),
        ),
        r(
            p.clone(),
            "/alerts/{id}/{action}",
            Requires(ManageDevices),
            "alerts",
            || post(pages::alert_action),
        ),
        r(
            g.clone(),
            "/silences",
            Requires(ReadDevices),
            "silences",
            || get(admin::silences),
        ),
        r(
            p.clone(),
            "/silences",
            Requires(ManageDevices),
            "silences",
            || post(admin::create_silence),
        ),
        r(
            p.clone(),
            "/silences/{id}",
            Requires(ManageDevices),
            "silences",
            || post(admin::update_silence),
        ),
        r(
            p.clone(),
            "/silences/{id}/expire",
            Requires(ManageDevices),
            "silences",
            || post(admin::expire_silence),
        ),
        r(g.clone(), "/rules", Requires(ReadDevices), "rules", || {
            get(admin::rules)
        }),
        r(
            p.clone(),
            "/rules",
            Requires(ManagePolicies),
            "rules",
            || post(admin::create_rule),
        ),
        r(
            g.clone(),
            "/rules/{id}",
            Requires(ManagePolicies),
            "rules",
            || get(admin::rule),
        ),
        r(
            p.clone(),
            "/rules/{id}",
            Requires(ManagePolicies),
            "rules",
            || post(admin::update_rule),
        ),
        r(
            p.clone(),
            "/rules/{id}/{action}",
            Requires(ManagePolicies),
            "rules",
            || post(admin::rule_action),
        ),
        r(
            g.clone(),
            "/channels",
            Requires(ManagePolicies),
            "channels",
            || get(admin::channels),
        ),
        r(
            p.clone(),
            "/channels",
            Requires(ManagePolicies),
            "channels",
            || post(admin::create_channel),
        ),
        r(
            p.clone(),
            "/channels/{id}",
            Requires(ManagePolicies),
            "channels",
            || post(admin::update_channel),
        ),
        r(
            p.clone(),
            "/channels/{id}/{action}",
            Requires(ManagePolicies),
            "channels",
            || post(admin::channel_action),
        ),
        r(
            g.clone(),
            "/settings/users",
            Requires(ManageUsers),
            "settings",
            || get(admin::users),
        ),
        r(
            p.clone(),
            "/settings/users",
            Requires(ManageUsers),
            "settings",
            || post(admin::create_user),
        ),
        r(
            p.clone(),
            "/settings/users/{id}/{action}",
            Requires(ManageUsers),
            "settings",
            || post(admin::user_action),
        ),
        r(
            g.clone(),
            "/settings/tokens",
            Requires(ManageTokens),
            "settings",
            || get(admin::tokens),
        ),
        r(
            p.clone(),
            "/settings/tokens",
            Requires(ManageTokens),
            "settings",
            || post(admin::create_token),
        ),
        r(
            p.clone(),
            "/settings/tokens/{id}/revoke",
            Requires(ManageTokens),
            "settings",
            || post(admin::revoke_token),
        ),
        r(
            g.clone(),
            "/settings/enrollment-tokens",
            Requires(ManageEnrollment),
            "settings",
            || get(admin::enrollment_tokens),
        ),
        r(
            p.clone(),
            "/settings/enrollment-tokens",
            Requires(ManageEnrollment),
            "settings",
            || post(admin::create_enrollment_token),
        ),
        r(
            p.clone(),
            "/settings/enrollment-tokens/{id}/revoke",
            Requires(ManageEnrollment),
            "settings",
            || post(admin::revoke_enrollment_token),
        ),
        r(
            g.clone(),
            "/settings/policies",
            Requires(ManagePolicies),
            "settings",
            || get(admin::policies),
        ),
        r(
            p.clone(),
            "/settings/policies",
            Requires(ManagePolicies),
            "settings",
            || post(admin::create_policy),
        ),
        r(
            g.clone(),
            "/settings/policies/{id}",
            Requires(ManagePolicies),
            "settings",
            || get(admin::policy),
        ),
        r(
            p.clone(),
            "/settings/policies/{id}",
            Requires(ManagePolicies),
            "settings",
            || post(admin::update_policy),
        ),
        r(
            p.clone(),
            "/settings/policies/{id}/delete",
            Requires(ManagePolicies),
            "settings",
            || post(admin::delete_policy),
        ),
        r(
            g.clone(),
            "/settings/audit",
            Requires(ReadAudit),
            "settings",
            || get(admin::audit),
        ),
        r(g.clone(), "/readiness", SignedIn, "readiness", || {
            get(awareness::readiness)
        }),
        r(g.clone(), "/notices", SignedIn, "notices", || {
            get(awareness::notices)
        }),
        r(
            p.clone(),
            "/notices",
            Requires(ManagePolicies),
            "notices",
            || post(awareness::create_notice),
        ),
        r(g.clone(), "/notices/{id}", SignedIn, "notices", || {
            get(awareness::notice)
        }),
        r(
            p.clone(),
            "/notices/{id}",
            Requires(ManagePolicies),
            "notices",
            || post(awareness::update_notice),
        ),
        r(
            p.clone(),
            "/notices/{id}/remind",
            Requires(ManagePolicies),
            "notices",
            || post(awareness::remind),
        ),
        r(
            p.clone(),
            "/notices/{id}/{action}",
            SignedIn,
            "notices",
            || post(awareness::notice_action),
        ),
        r(
            g.clone(),
            "/announcements",
            Requires(ReadDevices),
            "readiness",
            || get(awareness::announcements),
        ),
        r(
            p.clone(),
            "/announcements",
            Requires(ManageDevices),
            "readiness",
            || post(awareness::create_announcement),
        ),
        r(
            p.clone(),
            "/feeds",
            Requires(ManagePolicies),
            "notices",
            || post(awareness::create_feed),
        ),
        r(
            p.clone(),
            "/feeds/{id}",
            Requires(ManagePolicies),
            "notices",
            || post(awareness::update_feed),
        ),
        r(
            p.clone(),
            "/feeds/{id}/{action}",
            Requires(ManagePolicies),
            "notices",
            || post(awareness::feed_action),
        ),
        r(g.clone(), "/training", SignedIn, "readiness", || {
            get(awareness::training)
        }),
        r(
            p.clone(),
            "/training",
            Requires(ManagePolicies),
            "readiness",
            || post(awareness::create_material),
        ),
        r(
            p.clone(),
            "/training/{id}/assign",
            Requires(ManageUsers),
            "readiness",
            || post(awareness::assign_training),
        ),
        r(
            p.clone(),
            "/training/{id}/reviewed",
            Requires(ManagePolicies),
            "readiness",
            || post(awareness::training_reviewed),
        ),
        r(
            p.clone(),
            "/training/{id}/complete",
            SignedIn,
            "readiness",
            || post(awareness::training_complete),
        ),
        r(
            p.clone(),
            "/features",
            Requires(ManagePolicies),
            "readiness",
            || post(awareness::create_feature),
        ),
        r(
            p.clone(),
            "/features/{id}/{action}",
            Requires(ManagePolicies),
            "readiness",
            || post(awareness::feature_action),
        ),
        r(g.clone(), "/plan", SignedIn, "readiness", || {
            get(awareness::plan)
        }),
        r(
            p.clone(),
            "/plan",
            Requires(ManageUsers),
            "readiness",
            || post(awareness::save_plan),
        ),
        r(
            g.clone(),
            "/helpdesk",
            Requires(AssistUsers),
            "helpdesk",
            || get(helpdesk::find),
        ),
        r(
            g.clone(),
            "/helpdesk/users/{user}",
            Requires(AssistUsers),
            "helpdesk",
            || get(helpdesk::user),
        ),
        r(
            g.clone(),
            "/helpdesk/users/{user}/requests",
            Requires(AssistUsers),
            "helpdesk",
            || get(helpdesk::requests),
        ),
        r(
            p.clone(),
            "/helpdesk/users/{user}/invite",
            Requires(AssistUsers),
            "helpdesk",
            || post(helpdesk::invite),
        ),
        r(g.clone(), "/kb", Requires(AssistUsers), "kb", || {
            get(helpdesk::kb)
        }),
        r(p.clone(), "/kb", Requires(ManageArticles), "kb", || {
            post(helpdesk::create)
        }),
        r(g.clone(), "/kb/{id}", Requires(AssistUsers), "kb", || {
            get(helpdesk::article)
        }),
        r(
            p.clone(),
            "/kb/{id}",
            Requires(ManageArticles),
            "kb",
            || post(helpdesk::update),
        ),
        r(
            p.clone(),
            "/kb/{id}/reviewed",
            Requires(ManageArticles),
            "kb",
            || post(helpdesk::reviewed),
        ),
        r(p, "/kb/{id}/{action}", Requires(AssistUsers), "kb", || {
            post(helpdesk::feedback)
        }),
    ]
}

/// The console's router, assembled from [`routes`] only: each route carries its entry for
/// [`Console`] to check.
pub fn router() -> Router<AppState> {
    routes().into_iter().fold(Router::new(), |router, e| {
        let entry = Entry {
            access: e.access,
            section: e.section,
        };
        router.route(e.path, (e.route)().layer(axum::Extension(entry)))
    })
}

/// The console's route table as Markdown, for `docs/console-routes.md`.
pub fn markdown_table() -> String {
    crate::policy::access_markdown(routes().into_iter().map(|e| {
        let (label, perm) = match e.access {
            Access::Public => ("public", None),
            Access::SignedIn => ("signed in", None),
            Access::Requires(p) => (p.name(), Some(p)),
        };
        (e.method, e.path, label, perm)
    }))
}

/// What every page knows: who is looking, in which language, and what they may do.
pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    pub user: String,
    /// The navigation entry to mark as current.
    pub section: &'static str,
    pub caller: Caller,
    /// The reader's time zone and regional format.
    pub zone: Zone,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }

    /// A message with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        steward_core::t_args(self.lang, key, &[(name, value.to_string())])
    }

    pub fn num(&self, n: &u64) -> String {
        steward_core::i18n::format_number(self.lang, *n)
    }

    /// A moment (milliseconds since the epoch) the way the reader writes times, in their
    /// time zone.
    pub fn at(&self, ms: &i64) -> String {
        self.zone.time(self.lang, *ms)
    }

    /// A day with its year (a deadline, a review date).
    pub fn day(&self, ms: &i64) -> String {
        self.zone.day(self.lang, *ms)
    }

    /// How long ago a moment was ("3 minutes ago"), for lists; the exact time goes beside it
    /// on hover (see [`Ctx::ago_rfc`]).
    pub fn ago(&self, ms: &i64) -> String {
        self.zone.ago(self.lang, *ms, steward_core::time::now_ms())
    }

    /// An RFC 3339 time as "3 minutes ago".
    pub fn ago_rfc(&self, rfc3339: &str) -> String {
        steward_core::time::parse_rfc3339(rfc3339)
            .map(|ms| self.ago(&ms))
            .unwrap_or_else(|| rfc3339.to_string())
    }

    /// Markdown as safe HTML.
    pub fn markdown(&self, text: &str) -> String {
        markdown(text)
    }

    pub fn when(&self, rfc3339: &str) -> String {
        steward_core::time::parse_rfc3339(rfc3339)
            .map(|ms| self.at(&ms))
            .unwrap_or_else(|| rfc3339.to_string())
    }

    /// A text that may be an RFC 3339 time: the time in the reader's format, else the text.
    pub fn when_or(&self, text: &str) -> String {
        if text.len() >= 20 && text.as_bytes().get(10) == Some(&b'T') {
            self.when(text)
        } else {
            text.to_string()
        }
    }

    /// A message whose numbers choose its plural forms.
    pub fn t_counts(&self, key: &str, counts: &[(&'static str, u64)]) -> String {
        steward_core::i18n::t_counts(self.lang, key, counts)
    }

    pub fn when_opt(&self, t: Option<&str>) -> String {
        t.map(|t| self.when(t)).unwrap_or_default()
    }

    pub fn yes_no(&self, v: &Option<bool>) -> String {
        self.t(match *v {
            Some(true) => "console-on",
            Some(false) => "console-off",
            None => "state-unknown",
        })
    }

    pub fn detection_action(&self, a: &steward_proto::DetectionAction) -> String {
        use steward_proto::DetectionAction::*;
        self.t(match *a {
            Quarantined => "detection-quarantined",
            Removed => "detection-removed",
            Blocked => "detection-blocked",
            LeftInPlace => "detection-left-in-place",
        })
    }

    /// A text as a JSON string safe inside a single-quoted HTML attribute (`hx-vals`).
    pub fn json_attr(&self, text: &str) -> String {
        serde_json::to_string(text)
            .unwrap_or_default()
            .replace('&', "\\u0026")
            .replace('\'', "\\u0027")
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
    }

    /// Whether a detection's file is still where it was found (it can be quarantined).
    pub fn in_place(&self, a: &steward_proto::DetectionAction) -> bool {
        *a == steward_proto::DetectionAction::LeftInPlace
    }

    /// An enrollment failure reason (an error code) in words.
    pub fn error_text(&self, code: &str) -> String {
        ErrorCode::parse(code)
            .map(|c| steward_core::i18n::error_message(self.lang, c))
            .unwrap_or_else(|| code.to_string())
    }

    pub fn condition_label(&self, c: &str) -> String {
        self.t(steward_core::alerting::condition_key(c))
    }

    /// A rule's name as the reader reads it (the rules Steward made, in their language).
    pub fn rule_name(&self, rule: &steward_core::alerting::AlertRule) -> String {
        steward_core::alerting::rule_display_name(self.lang, &rule.name)
    }

    pub fn channel_kind(&self, k: &str) -> String {
        self.t(match k {
            "webhook" => "channel-webhook",
            "slack" => "channel-slack",
            "teams" => "channel-teams",
            "email" => "channel-email",
            _ => "state-other",
        })
    }

    /// A role, or several (comma-separated), in words.
    pub fn role_label(&self, roles: &str) -> String {
        roles
            .split(',')
            .map(|r| match r.trim() {
                "administrator" => self.t("role-administrator"),
                "operator" => self.t("role-operator"),
                "helpdesk" => self.t("role-helpdesk"),
                "readonly" => self.t("role-readonly"),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn can(&self, what: &str) -> bool {
        let p = match what {
            "read_devices" => Permission::ReadDevices,
            "manage_devices" => Permission::ManageDevices,
            "manage_policies" => Permission::ManagePolicies,
            "manage_enrollment" => Permission::ManageEnrollment,
            "manage_tokens" => Permission::ManageTokens,
            "manage_users" => Permission::ManageUsers,
            "read_audit" => Permission::ReadAudit,
            "assist_users" => Permission::AssistUsers,
            "manage_articles" => Permission::ManageArticles,
            "manage_apps" => Permission::ManageApps,
            "retry_installs" => Permission::RetryInstalls,
            "read_reports" => Permission::ReadReports,
            "manage_reports" => Permission::ManageReports,
            "manage_scripts" => Permission::ManageScripts,
            "run_scripts" => Permission::RunScripts,
            "approve_requests" => Permission::ApproveRequests,
            _ => return false,
        };
        self.caller.allows(p)
    }

    /// Whether any settings page is open to the user.
    pub fn any_settings(&self) -> bool {
        [
            "manage_users",
            "manage_tokens",
            "manage_enrollment",
            "manage_policies",
            "read_audit",
        ]
        .iter()
        .any(|p| self.can(p))
    }

    /// `aria-current` for the navigation entry of this page.
    pub fn current(&self, section: &str) -> &'static str {
        if section == self.section {
            "page"
        } else {
            "false"
        }
    }

    /// The translated word for a state, severity or result value.
    pub fn label(&self, value: &str) -> String {
        self.t(label_key(value))
    }

    /// The badge class of a value: its meaning in colour, beside the word.
    pub fn tone(&self, value: &str) -> &'static str {
        tone(value)
    }

    /// The five languages: code, own name, and `selected` for the current one.
    pub fn langs(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        langs(self.lang)
    }
}

fn langs(current: Lang) -> Vec<(&'static str, &'static str, &'static str)> {
    Lang::ALL
        .iter()
        .map(|l| {
            let sel = if *l == current { "selected" } else { "" };
            (l.code(), native_name(*l), sel)
        })
        .collect()
}

pub fn native_name(l: Lang) -> &'static str {
    match l {
        Lang::En => "English",
        Lang::Fr => "Français",
        Lang::Sv => "Svenska",
        Lang::De => "Deutsch",
        Lang::Ko => "한국어",
    }
}

/// The catalog key naming a state, severity or result.
pub fn label_key(value: &str) -> &'static str {
    match value {
        "protected" => "state-protected",
        "at_risk" => "state-at-risk",
        "active_threat" => "state-active-threat",
        "unprotected" => "state-unprotected",
        "unknown" => "state-unknown",
        "compliant" => "state-compliant",
        "in_grace" => "state-in-grace",
        "noncompliant" => "state-noncompliant",
        "not_evaluated" => "state-not-evaluated",
        "error" => "state-error",
        "critical" => "severity-critical",
        "warning" => "severity-warning",
        "informational" => "severity-informational",
        "normal" => "severity-normal",
        "high" => "severity-high",
        "scheduled" => "release-scheduled",
        "rolling_out" => "release-rolling-out",
        "launched" => "release-launched",
        "firing" => "state-firing",
        "acknowledged" => "state-acknowledged",
        "resolved" => "state-resolved",
        "pending" => "state-pending",
        "delivered" => "state-delivered",
        "failed" => "state-failed",
        "active" => "state-active",
        "expired" => "state-expired",
        "success" => "state-success",
        "older" => "fresh-older",
        "windows" => "platform-windows",
        "macos" => "platform-macos",
        "linux" => "platform-linux",
        "ios" => "platform-ios",
        "android" => "platform-android",
        "pass" => "state-pass",
        "not_applicable" => "state-not-applicable",
        "fail" => "state-fail",
        "last_24h" => "fresh-day",
        "last_7d" => "fresh-week",
        "clean" => "threat-clean",
        "pending_full_scan" => "threat-pending-full-scan",
        "pending_reboot" => "threat-pending-reboot",
        "pending_manual_steps" => "threat-pending-manual",
        "ok" => "audit-ok",
        "denied" => "audit-denied",
        _ => "state-other",
    }
}

fn tone(value: &str) -> &'static str {
    match value {
        "protected" | "compliant" | "resolved" | "delivered" | "success" | "pass" | "last_24h" => {
            "s-ok"
        }
        "at_risk" | "in_grace" | "warning" | "acknowledged" | "pending" | "last_7d" => "s-warn",
        "active_threat" | "unprotected" | "noncompliant" | "critical" | "firing" | "failed"
        | "fail" | "error" => "s-bad",
        "informational" | "active" => "s-info",
        _ => "s-muted",
    }
}

/// The signed-in console user. Pages without a session redirect to the login page.
pub struct Console(pub Ctx);

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Remote(remote) = Remote::from_request_parts(parts, state)
            .await
            .unwrap_or(Remote(String::new()));
        let caller = match auth::authenticate(state, &parts.method, &parts.headers, &remote).await {
            Ok(c) if matches!(c.via, Via::Session(_)) => c,
            Ok(_) | Err(ApiError(ErrorCode::Unauthorized)) => {
                return Err(to_login(&parts.headers, parts.uri.path()))
            }
            Err(e) => {
                let lang = request_lang(&parts.headers);
                return Err(flash_error(lang, e.0));
            }
        };
        let Some(facts) = caller.session.clone() else {
            return Err(to_login(&parts.headers, "/"));
        };
        let lang = Lang::parse(&facts.language).unwrap_or_else(|| request_lang(&parts.headers));
        let (csrf, user) = (facts.csrf_token, facts.display_name);
        let ctx = Ctx {
            lang,
            csrf,
            user,
            section: "",
            caller,
            zone: Zone::new(&facts.time_zone, &facts.region),
        };
        // The route table's entry for this route: what it needs and which section it marks.
        let Some(entry) = parts.extensions.get::<Entry>().copied() else {
            tracing::error!(path = %parts.uri.path(), "console route without a table entry");
            return Err(flash_error(lang, ErrorCode::Internal));
        };
        if let Access::Requires(p) = entry.access {
            if !ctx.caller.allows(p) {
                return Err(if parts.method == Method::GET {
                    error_page(ctx, ErrorCode::Forbidden)
                } else {
                    flash_error(lang, ErrorCode::Forbidden)
                });
            }
        }
        Ok(Console(Ctx {
            section: entry.section,
            ..ctx
        }))
    }
}

/// To the login page: a redirect for a page load, `HX-Redirect` for an htmx request.
fn to_login(headers: &HeaderMap, from: &str) -> Response {
    let target = if from == "/" || from.starts_with("/login") {
        "/login".to_string()
    } else {
        format!("/login?next={}", urlencode(from))
    };
    if headers.contains_key("hx-request") {
        let mut r = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    } else {
        Redirect::to(&target).into_response()
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

/// Renders a page (marked so the API's JSON error layer leaves it alone).
pub fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            r.extensions_mut().insert(HtmlPage);
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// An error message for an htmx form, swapped into the page's message area, with the
/// error's own HTTP status (the page's htmx settings swap 4xx and 5xx answers too).
pub fn flash_error(lang: Lang, code: ErrorCode) -> Response {
    let mut r = flash("error", &steward_core::i18n::error_message(lang, code));
    *r.status_mut() = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    r
}

pub fn flash(class: &str, text: &str) -> Response {
    fragment(format!(
        "<div class=\"{class}\" role=\"alert\">{}</div>",
        escape(text)
    ))
}

/// A notice that requests went to a device: the page's requests section reloads itself on
/// the `request-sent` event it carries.
pub fn request_sent(text: &str) -> Response {
    let mut r = flash("notice", text);
    r.headers_mut()
        .insert("hx-trigger", HeaderValue::from_static("request-sent"));
    r
}

/// A piece of HTML for htmx to swap in.
pub fn fragment(html: String) -> Response {
    let mut r = Html(html).into_response();
    r.extensions_mut().insert(HtmlPage);
    r
}

/// The answer to a console action: reload the page, or say what went wrong.
pub fn done<T>(ctx: &Ctx, r: Result<T, ApiError>) -> Response {
    match r {
        Ok(_) => refresh(),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

/// A page listing what an admin API handler lists: fetches and renders (the route table has
/// checked the permission).
pub async fn list_page<T, P: Template>(
    ctx: Ctx,
    fetch: impl std::future::Future<Output = Result<axum::Json<steward_proto::Page<T>>, ApiError>>,
    build: impl FnOnce(Ctx, Vec<T>) -> P,
) -> Response {
    match fetch.await {
        Ok(axum::Json(p)) => page(StatusCode::OK, &build(ctx, p.items)),
        Err(e) => error_page(ctx, e.0),
    }
}

/// Every item a console page shows of an API list (up to the API's largest page).
pub fn all_pages() -> crate::paging::Pages {
    crate::paging::Pages(crate::paging::Paging::first(steward_proto::MAX_PAGE_LIMIT))
}

/// Headers carrying the user's language, for API handlers that put text into words.
pub fn lang_headers(ctx: &Ctx) -> HeaderMap {
    headers_for(ctx.lang)
}

fn headers_for(lang: Lang) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = lang.code().parse() {
        h.insert(header::ACCEPT_LANGUAGE, v);
    }
    h
}

/// A text written in several languages, as a page shows it: the language asked for with
/// `?in=` (else the reader's), the headers asking the API for it, and the other languages it
/// is written in (code and name) to switch to.
pub struct Shown {
    pub lang: Lang,
}

impl Shown {
    pub fn new(ctx: &Ctx, q: &HashMap<String, String>) -> Shown {
        Shown {
            lang: q.get("in").and_then(|c| Lang::parse(c)).unwrap_or(ctx.lang),
        }
    }

    pub fn headers(&self) -> HeaderMap {
        headers_for(self.lang)
    }

    pub fn others<'a>(
        &self,
        written: impl Iterator<Item = &'a Lang>,
    ) -> Vec<(&'static str, &'static str)> {
        written
            .filter(|l| **l != self.lang)
            .map(|l| (l.code(), native_name(*l)))
            .collect()
    }
}

/// A form's title and body fields in every language: code, name, title, body.
pub type LanguageTexts = Vec<(&'static str, &'static str, String, String)>;

pub fn language_texts(
    title: &std::collections::BTreeMap<Lang, String>,
    body: &std::collections::BTreeMap<Lang, String>,
) -> LanguageTexts {
    Lang::ALL
        .iter()
        .map(|l| {
            let text = |m: &std::collections::BTreeMap<Lang, String>| {
                m.get(l).cloned().unwrap_or_default()
            };
            (l.code(), native_name(*l), text(title), text(body))
        })
        .collect()
}

/// The `title_<lang>` and `body_<lang>` fields of a submitted form.
pub fn parse_texts(
    f: &FormFields,
) -> (
    std::collections::BTreeMap<Lang, String>,
    std::collections::BTreeMap<Lang, String>,
) {
    let field = |name: &str| {
        Lang::ALL
            .iter()
            .filter_map(|l| Some((*l, f.get(&format!("{name}_{}", l.code()))?)))
            .collect()
    };
    (field("title"), field("body"))
}

/// A comma-separated form field as a list (device groups).
pub fn comma_list(s: Option<String>) -> Vec<String> {
    s.map(|v| {
        v.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Tells htmx to reload the page (after a change).
pub fn refresh() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert("hx-refresh", HeaderValue::from_static("true"));
    r
}

pub fn redirect_htmx(to: &str) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert("hx-redirect", v);
    }
    r
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Form fields of an htmx or form post; repeated names keep every value.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &str) -> FormFields {
        FormFields(serde_urlencoded::from_str(body).unwrap_or_default())
    }

    /// A field, trimmed; `None` when absent or empty.
    pub fn get(&self, k: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: Ctx,
    pub title: String,
    pub message: String,
}

/// A whole page saying why the user cannot see this one.
pub fn error_page(ctx: Ctx, code: ErrorCode) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let message = steward_core::i18n::error_message(ctx.lang, code);
    let p = ErrorPage {
        title: ctx.t("console-error-title"),
        ctx,
        message,
    };
    page(status, &p)
}

// ---- login, logout, language, assets ----

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub lang: Lang,
    pub next: String,
    pub error: String,
    pub email: String,
}

impl LoginPage {
    pub fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }

    /// The five languages: code, own name, and `selected` for the current one.
    pub fn langs(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        langs(self.lang)
    }
}

const LANG_COOKIE: &str = "steward_lang";

/// The language of a page without a session: `?lang=`, the language cookie, then the
/// browser's `Accept-Language`.
fn guest_lang(headers: &HeaderMap, query: &HashMap<String, String>) -> Lang {
    query
        .get("lang")
        .and_then(|l| Lang::parse(l))
        .or_else(|| auth::cookie(headers, LANG_COOKIE).and_then(Lang::parse))
        .unwrap_or_else(|| request_lang(headers))
}

/// Only paths of this site are followed after signing in: a relative path starting with one
/// `/`, without backslashes, spaces or control characters (which browsers drop or rewrite, so
/// `/\t/evil.example` would become `//evil.example`); letters beyond ASCII are
/// percent-encoded. Anything else goes to the dashboard.
pub fn safe_next(next: Option<&String>) -> String {
    let Some(n) = next else {
        return "/".into();
    };
    let mut out = String::with_capacity(n.len());
    for c in n.chars() {
        if c.is_ascii_graphic() && c != '\\' {
            out.push(c);
        } else if !c.is_ascii() && !c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            return "/".into();
        }
    }
    let relative = out.starts_with('/') && !out.starts_with("//");
    if relative && out.len() <= 2048 {
        out
    } else {
        "/".into()
    }
}

pub async fn login_page(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let lang = guest_lang(&headers, &q);
    let mut r = page(
        StatusCode::OK,
        &LoginPage {
            lang,
            next: safe_next(q.get("next")),
            error: String::new(),
            email: String::new(),
        },
    );
    if q.contains_key("lang") {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
            lang.code()
        )) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    r
}

/// `POST /login` (a plain form, so signing in works without scripts).
pub async fn login(
    State(state): State<AppState>,
    Remote(remote): Remote,
    headers: HeaderMap,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let email = f.get("email").unwrap_or_default();
    let password =
        f.0.iter()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
    let next = safe_next(f.get("next").as_ref());
    match auth::sign_in(&state, &email, &password, &remote).await {
        Ok(signed) => {
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                auth::session_cookie(&state, &signed.cookie_value),
            );
            r
        }
        Err(e) => {
            let code = e.code();
            let lang = guest_lang(&headers, &HashMap::new());
            let status =
                StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            let mut r = page(
                status,
                &LoginPage {
                    lang,
                    next,
                    error: steward_core::i18n::error_message(lang, code),
                    email,
                },
            );
            if let auth::SignInError::Throttled(w) = e {
                if let Ok(v) = HeaderValue::from_str(&w.secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            r
        }
    }
}

pub async fn logout(State(state): State<AppState>, Console(ctx): Console) -> Response {
    if let Via::Session(id) = &ctx.caller.via {
        let _ = state.store.revoke_session(id, state.clock.now_ms()).await;
    }
    let mut r = redirect_htmx("/login");
    r.headers_mut()
        .insert(header::SET_COOKIE, auth::session_cookie(&state, ""));
    r
}

/// `POST /language`: the user's language, kept with the user.
pub async fn set_language(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let Some(lang) = f.get("lang").and_then(|l| Lang::parse(&l)) else {
        return flash_error(ctx.lang, ErrorCode::InvalidField);
    };
    let Some(user_id) = ctx.caller.user_id.clone() else {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    };
    let change = steward_store::users::UserChange {
        language: Some(lang.code().to_string()),
        ..Default::default()
    };
    match state
        .store
        .update_user(&user_id, &change, state.clock.now_ms(), &ctx.caller.actor())
        .await
    {
        Ok(_) => refresh(),
        Err(e) => flash_error(ctx.lang, ApiError::from(e).0),
    }
}

const HTMX: &[u8] = include_bytes!("../../assets/htmx.min.js");
const CSS: &[u8] = include_bytes!("../../assets/steward.css");
const FAVICON: &[u8] = include_bytes!("../../assets/favicon.svg");

pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "steward.css" => (CSS, "text/css; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Markdown (notices, announcements) as HTML: raw HTML in it is shown as text, and links and
/// images keep only web, mail and same-site addresses.
pub fn markdown(text: &str) -> String {
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};
    let safe = |url: &CowStr| {
        let u = url.trim().to_ascii_lowercase();
        u.starts_with("https://")
            || u.starts_with("http://")
            || u.starts_with("mailto:")
            || (u.starts_with('/') && !u.starts_with("//"))
            || u.starts_with('#')
    };
    let events =
        Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|e| {
            match e {
                Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) if !safe(&dest_url) => Event::Start(Tag::Link {
                    link_type,
                    dest_url: "#".into(),
                    title,
                    id,
                }),
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) if !safe(&dest_url) => Event::Start(Tag::Image {
                    link_type,
                    dest_url: "#".into(),
                    title,
                    id,
                }),
                other => other,
            }
        });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

// ---- charts ----

/// One bar of a chart: its label, value, link and tone.
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub href: String,
    pub tone: &'static str,
}

fn fill(tone: &str) -> &'static str {
    match tone {
        "s-ok" => "#1a7f37",
        "s-warn" => "#bf8700",
        "s-bad" => "#cf222e",
        "s-info" => "#0969da",
        _ => "#6e7781",
    }
}

/// A horizontal bar chart as SVG: every bar has its label and number in text and links to
/// the list it counts.
pub fn bar_chart(lang: Lang, title: &str, bars: &[Bar]) -> String {
    let row = 24;
    let height = bars.len() * row + 4;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let mut s = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 300 {height}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">",
        escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i * row + 2;
        let w = ((b.value as f64 / max as f64) * 120.0).round() as u64;
        let w = if b.value > 0 { w.max(2) } else { 0 };
        s.push_str(&format!(
            "<a href=\"{href}\"><title>{label}: {num}</title>\
             <text x=\"0\" y=\"{ty}\">{label}</text>\
             <rect x=\"130\" y=\"{y}\" width=\"{w}\" height=\"17\" rx=\"3\" fill=\"{color}\"/>\
             <text x=\"{tx}\" y=\"{ty}\">{num}</text></a>",
            href = escape(&b.href),
            label = escape(&b.label),
            num = steward_core::i18n::format_number(lang, b.value),
            ty = y + 14,
            color = fill(b.tone),
            tx = 135 + w,
        ));
    }
    s.push_str("</svg>");
    s
}

/// One day of the enrollment chart: its label, successes and failures, and where each links.
pub struct Day {
    pub label: String,
    pub ok: u64,
    pub failed: u64,
}

/// Columns per day, successes and failures side by side, each with its number written above.
pub fn day_chart(
    lang: Lang,
    title: &str,
    ok_word: &str,
    failed_word: &str,
    days: &[Day],
) -> String {
    let (w, h, top) = (300usize, 150u64, 20u64);
    let max = days
        .iter()
        .map(|d| d.ok.max(d.failed))
        .max()
        .unwrap_or(0)
        .max(1);
    let col = w / days.len().max(1);
    let mut s = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {w} {}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">",
        escape(title),
        h + top + 40
    );
    for (i, d) in days.iter().enumerate() {
        let x = i * col;
        for (j, (v, color, word, href)) in [
            (d.ok, "#1a7f37", ok_word, "/enrollments?result=success"),
            (
                d.failed,
                "#cf222e",
                failed_word,
                "/enrollments?result=failed",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let bh = (v as f64 / max as f64 * h as f64).round() as u64;
            let bh = if v > 0 { bh.max(2) } else { 0 };
            let bx = x + 6 + j * (col / 2 - 4);
            let bw = col / 2 - 8;
            let num = steward_core::i18n::format_number(lang, v);
            s.push_str(&format!(
                "<a href=\"{href}\"><title>{label} {word}: {num}</title>\
                 <rect x=\"{bx}\" y=\"{y}\" width=\"{bw}\" height=\"{bh}\" fill=\"{color}\"/>\
                 <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"10\">{num}</text></a>",
                label = escape(&d.label),
                word = escape(word),
                y = top + h - bh,
                tx = bx + bw / 2,
                ty = top + h - bh - 4,
            ));
        }
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            x + col / 2,
            top + h + 16,
            escape(&d.label)
        ));
    }
    s.push_str(&format!(
        "<rect x=\"4\" y=\"{ly}\" width=\"10\" height=\"10\" fill=\"#1a7f37\"/>\
         <text x=\"18\" y=\"{ty}\" font-size=\"11\">{}</text>\
         <rect x=\"150\" y=\"{ly}\" width=\"10\" height=\"10\" fill=\"#cf222e\"/>\
         <text x=\"164\" y=\"{ty}\" font-size=\"11\">{}</text></svg>",
        escape(ok_word),
        escape(failed_word),
        ly = top + h + 26,
        ty = top + h + 35,
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::markdown;

    /// The console's sources, by file name.
    const SOURCES: [(&str, &str); 6] = [
        ("mod.rs", include_str!("mod.rs")),
        ("admin.rs", include_str!("admin.rs")),
        ("awareness.rs", include_str!("awareness.rs")),
        ("helpdesk.rs", include_str!("helpdesk.rs")),
        ("pages.rs", include_str!("pages.rs")),
        ("reports.rs", include_str!("reports.rs")),
    ];

    #[test]
    fn every_console_handler_is_reached_only_through_the_route_table() {
        let table = SOURCES[0].1;
        let (table_start, table_end) = (
            table.find("pub fn routes()").expect("routes"),
            table.find("pub fn router()").expect("router"),
        );
        let entries = table.get(table_start..table_end).unwrap_or("");
        for (file, text) in SOURCES {
            // One router only, folded from the table: no route is added beside it.
            let code = text.split("#[cfg(test)]").next().unwrap_or(text);
            let routes = code.matches(concat!(".rou", "te(")).count();
            let expected = usize::from(file == "mod.rs");
            assert_eq!(routes, expected, "{file} adds routes outside the table");
            // Every handler that serves a signed-in user has an entry.
            for (at, _) in code.match_indices("pub async fn ") {
                let rest = code.get(at + "pub async fn ".len()..).unwrap_or("");
                let name: String = rest
                    .chars()
                    .take_while(|c| *c == '_' || c.is_alphanumeric())
                    .collect();
                let signature = rest.split('{').next().unwrap_or("");
                if !signature.contains("Console(") {
                    continue;
                }
                let module = file.trim_end_matches(".rs");
                let named = if module == "mod" {
                    entries.contains(&format!("({name})"))
                } else {
                    entries.contains(&format!("{module}::{name})"))
                };
                assert!(
                    named,
                    "{file}: {name} takes a console user but has no route table entry"
                );
            }
        }
    }

    #[test]
    fn markdown_renders_but_never_runs_anything() {
        let html = markdown("**Plan** for [the change](https://example.org/x)\n\n- one\n- two");
        assert!(html.contains("<strong>Plan</strong>"), "{html}");
        assert!(
            html.contains("<a href=\"https://example.org/x\">"),
            "{html}"
        );
        assert!(html.contains("<li>one</li>"), "{html}");
        let evil = markdown(
            "<script>alert(1)</script>\n\nSee [x](javascript:alert(1)) and ![i](data:x) <b onclick=x>b</b>",
        );
        assert!(!evil.contains("<script>"), "{evil}");
        assert!(evil.contains("&lt;script&gt;"), "{evil}");
        assert!(!evil.contains("href=\"javascript"), "{evil}");
        assert!(!evil.contains("src=\"data"), "{evil}");
        assert!(!evil.contains("<b onclick"), "{evil}");
        assert!(evil.contains("<a href=\"#\">x</a>"), "{evil}");
    }
}
