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
use steward_proto::remediation as rem;
use steward_proto::{
    ApiTokenInfo, AuditEntry, ChangePassword, CreateApiToken, CreateEnrollmentToken, CreateUser,
    CreatedApiToken, CreatedEnrollmentToken, CreatedUser, DeviceDetail, DeviceSummary,
    EnrollmentAttempt, EnrollmentTokenInfo, ErrorCode, FleetHistory, FleetSummary, LoginRequest,
    PasswordReset, SessionInfo, UpdateUser, UserInfo,
};
use steward_store::helpdesk::DeviceRequest;
use utoipa::ToSchema;

use crate::openapi::{Doc, Param, PAGING};

use steward_core::time::now_ms;
use steward_store::audit::{Actor, AuditRecord};

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

/// One admin API endpoint: its route, who may call it, and what it takes and gives (for the
/// OpenAPI document).
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    route: fn() -> MethodRouter<AppState>,
    pub doc: Doc,
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
        doc: Doc::default(),
    }
}

impl Endpoint {
    fn about(mut self, summary: &'static str) -> Self {
        self.doc.summary = summary;
        self
    }

    /// The JSON body it parses.
    fn takes<T: ToSchema>(mut self) -> Self {
        self.doc.body = Some(crate::openapi::schema_of::<T>);
        self
    }

    /// What it answers on success.
    fn gives<T: ToSchema>(mut self) -> Self {
        self.doc.response = Some(crate::openapi::schema_of::<T>);
        self
    }

    fn gives_array<T: ToSchema>(mut self) -> Self {
        self.doc.response = Some(crate::openapi::array_of::<T>);
        self
    }

    /// A list of `T`, taking `limit` and `cursor`.
    fn gives_list<T: ToSchema>(mut self) -> Self {
        self.doc.response = Some(crate::openapi::page_of::<T>);
        self.doc.params.extend(PAGING);
        self
    }

    fn gives_strings(mut self) -> Self {
        self.doc.response = Some(crate::openapi::page_of_strings);
        self.doc.params.extend(PAGING);
        self
    }

    /// `201 Created` with `T`.
    fn creates<T: ToSchema>(mut self) -> Self {
        self.doc.status = 201;
        self.gives::<T>()
    }

    fn status(mut self, status: u16) -> Self {
        self.doc.status = status;
        self
    }

    fn query(mut self, params: &[Param]) -> Self {
        self.doc.params.extend_from_slice(params);
        self
    }

    /// Search takes a smaller page than lists do.
    fn search_limit(mut self) -> Self {
        for p in &mut self.doc.params {
            if p.name == "limit" {
                *p = Param::int("limit", 1, 50);
            }
        }
        self
    }

    /// Its own refusals beyond the usual ones.
    fn may(mut self, statuses: &[u16]) -> Self {
        self.doc.errors.extend_from_slice(statuses);
        self
    }

    fn csv(mut self) -> Self {
        self.doc.csv = true;
        self
    }

    fn pdf(mut self) -> Self {
        self.doc.pdf = true;
        self
    }

    fn gzip(mut self) -> Self {
        self.doc.gzip = true;
        self
    }

    /// A path parameter that takes one of these words.
    fn words(mut self, name: &'static str, words: &'static [&'static str]) -> Self {
        self.doc.path_words.push((name, words));
        self
    }
}

/// The device list's filters.
const DEVICE_QUERY: [Param; 11] = [
    Param::one_of("platform", &["windows", "macos", "linux", "ios", "android"]),
    Param::text("os_version", 255),
    Param::text("group", 255),
    Param::one_of(
        "compliance",
        &[
            "compliant",
            "in_grace",
            "noncompliant",
            "not_evaluated",
            "error",
        ],
    ),
    Param::one_of(
        "health",
        &[
            "protected",
            "at_risk",
            "active_threat",
            "unprotected",
            "unknown",
        ],
    ),
    Param::time("last_seen_before"),
    Param::time("last_seen_after"),
    Param::text("q", 255),
    Param::one_of(
        "sort",
        &[
            "name",
            "-name",
            "last_seen_at",
            "-last_seen_at",
            "enrolled_at",
            "-enrolled_at",
        ],
    ),
    Param::one_of("order", &["asc", "desc"]),
    Param::flag("include_retired"),
];

const LANGS: &[&str] = &["en", "fr", "sv", "de", "ko"];

/// What an enrollment attempt came to: success, failed (any refusal), or the refusal's code.
pub fn enrollment_results() -> &'static [&'static str] {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        ["success", "failed"]
            .into_iter()
            .chain(ErrorCode::ALL.iter().map(|c| c.as_str()))
            .collect()
    })
}

const NOTICE_CATEGORIES: &[&str] = &["prevent_or_fix_issues", "plan_for_change", "stay_informed"];

/// Every admin API endpoint and the permission it needs.
pub fn endpoints() -> Vec<Endpoint> {
    use Access::{Authenticated, Public, Requires};
    use Permission::*;
    vec![
        ep(Method::GET, "/api/v1/openapi.json", Public, || {
            get(api::openapi)
        })
        .about("This document")
        .gives::<serde_json::Value>(),
        ep(
            Method::GET,
            "/api/v1/devices",
            Requires(ReadDevices),
            || get(api::list_devices),
        )
        .about("Devices, filtered and sorted")
        .gives_list::<DeviceSummary>()
        .query(&DEVICE_QUERY),
        ep(
            Method::GET,
            "/api/v1/fleet/summary",
            Requires(ReadReports),
            || get(crate::fleet::summary),
        )
        .about("Counts of the devices the caller may see")
        .gives::<FleetSummary>(),
        ep(
            Method::GET,
            "/api/v1/fleet/history",
            Requires(ReadReports),
            || get(crate::fleet::history),
        )
        .about("Hourly counts for trends")
        .gives::<FleetHistory>()
        .query(&[
            Param::one_of("dimension", &["health", "compliance", "platform"]).required(),
            Param::int("days", 0, 400),
        ]),
        ep(
            Method::GET,
            "/api/v1/reports",
            Requires(ReadReports),
            || get(crate::reports::report),
        )
        .about("The report over the last 7, 30, 90 or 365 days in the caller's language (format=csv or pdf exports)")
        .gives::<steward_proto::reports::ReportView>()
        .csv()
        .pdf()
        .query(&[
            Param::one_of("days", &["7", "30", "90", "365"]),
            Param::text("sections", 200),
            Param::one_of("format", &["json", "csv", "pdf"]),
        ]),
        ep(
            Method::GET,
            "/api/v1/reports/{section}",
            Requires(ReadReports),
            || get(crate::reports::export),
        )
        .about("Daily figures of a report section for a range of days (format=csv exports)")
        .gives::<steward_proto::reports::ReportExport>()
        .csv()
        .query(&[
            Param::day("from"),
            Param::day("to"),
            Param::one_of("format", &["json", "csv"]),
        ]),
        ep(
            Method::GET,
            "/api/v1/report-schedules",
            Requires(ManageReports),
            || get(crate::reports::list_schedules),
        )
        .about("Scheduled reports")
        .gives_list::<steward_proto::reports::ReportSchedule>()
        .query(&PAGING),
        ep(
            Method::POST,
            "/api/v1/report-schedules",
            Requires(ManageReports),
            || post(crate::reports::create_schedule),
        )
        .about("Schedule a report: sections, period, groups, recipients, when")
        .takes::<steward_proto::reports::ReportScheduleBody>()
        .creates::<steward_proto::reports::ReportSchedule>(),
        ep(
            Method::GET,
            "/api/v1/report-schedules/{id}",
            Requires(ManageReports),
            || get(crate::reports::get_schedule),
        )
        .about("One scheduled report")
        .gives::<steward_proto::reports::ReportSchedule>(),
        ep(
            Method::PUT,
            "/api/v1/report-schedules/{id}",
            Requires(ManageReports),
            || axum::routing::put(crate::reports::update_schedule),
        )
        .about("Change a scheduled report")
        .takes::<steward_proto::reports::ReportScheduleBody>()
        .gives::<steward_proto::reports::ReportSchedule>(),
        ep(
            Method::DELETE,
            "/api/v1/report-schedules/{id}",
            Requires(ManageReports),
            || axum::routing::delete(crate::reports::delete_schedule),
        )
        .about("Delete a scheduled report")
        .status(204),
        ep(
            Method::POST,
            "/api/v1/report-schedules/{id}/send",
            Requires(ManageReports),
            || post(crate::reports::send_now),
        )
        .about("Send the report now, for the period up to today")
        .status(202)
        .gives::<steward_proto::reports::ReportRun>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/report-schedules/{id}/runs",
            Requires(ManageReports),
            || get(crate::reports::list_runs),
        )
        .about("What a scheduled report sent, newest first")
        .gives_list::<steward_proto::reports::ReportRun>()
        .query(&PAGING),
        ep(
            Method::GET,
            "/api/v1/devices/{id}",
            Requires(ReadDevices),
            || get(api::get_device),
        )
        .about("One device: inventory, endpoint protection, compliance, history")
        .gives::<DeviceDetail>(),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/retire",
            Requires(ManageDevices),
            || post(api::retire_device),
        )
        .about("Retire a device: its check-ins are refused from now on")
        .gives::<DeviceSummary>(),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/rotate-secret",
            Requires(ManageDevices),
            || post(api::rotate_device_secret),
        )
        .about("Give the device a new secret at its next check-in")
        .status(202)
        .gives::<api::RotationPending>(),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/requests",
            Requires(AssistUsers),
            || post(crate::helpdesk::create_request),
        )
        .about("Ask the device to check in, scan or update its definitions")
        .takes::<crate::helpdesk::RequestBody>()
        .creates::<DeviceRequest>(),
        ep(
            Method::GET,
            "/api/v1/devices/{id}/requests",
            Requires(ReadDevices),
            || get(crate::helpdesk::list_requests),
        )
        .about("Requests to a device, newest first, with its answers")
        .gives_list::<DeviceRequest>(),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/actions",
            Requires(RunScripts),
            || post(crate::remediation::device_action),
        )
        .about("A device action on one device: restart, log off, run a script, collect diagnostics, quarantine, lock, wipe (202 when it waits for a second administrator)")
        .takes::<rem::DeviceActionBody>()
        .creates::<rem::ActionOutcome>()
        .may(&[202]),
        ep(
            Method::POST,
            "/api/v1/devices/actions",
            Requires(ManageDevices),
            || post(crate::remediation::devices_action),
        )
        .about("A device action on many devices, or a quarantine on every device with a threat (202 when it waits for a second administrator)")
        .takes::<rem::DeviceActionBody>()
        .creates::<rem::ActionOutcome>()
        .may(&[202]),
        ep(
            Method::GET,
            "/api/v1/devices/{id}/remediations",
            Requires(ReadDevices),
            || get(crate::remediation::device_remediations),
        )
        .about("Where each remediation stands on the device, with what its scripts said")
        .gives_array::<crate::remediation::DeviceRemediationView>(),
        ep(
            Method::GET,
            "/api/v1/devices/{id}/diagnostics",
            Requires(ReadDevices),
            || get(crate::remediation::list_diagnostics),
        )
        .about("Diagnostics bundles the device uploaded, newest first")
        .gives_array::<rem::DiagnosticsInfo>(),
        ep(
            Method::GET,
            "/api/v1/diagnostics/{id}",
            Requires(ReadDevices),
            || get(crate::remediation::download_diagnostics),
        )
        .about("A diagnostics bundle (gzip'd tar of the device's logs)")
        .gzip(),
        ep(
            Method::GET,
            "/api/v1/scripts",
            Requires(ReadDevices),
            || get(crate::remediation::list_scripts),
        )
        .about("The script library")
        .gives_list::<rem::Script>(),
        ep(
            Method::POST,
            "/api/v1/scripts",
            Requires(ManageScripts),
            || post(crate::remediation::create_script),
        )
        .about("Add a script (version 1)")
        .takes::<rem::ScriptBody>()
        .creates::<rem::Script>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/scripts/{id}",
            Requires(ReadDevices),
            || get(crate::remediation::get_script),
        )
        .about("One script and its current version")
        .gives::<rem::Script>(),
        ep(
            Method::PUT,
            "/api/v1/scripts/{id}",
            Requires(ManageScripts),
            || axum::routing::put(crate::remediation::update_script),
        )
        .about("Change a script: a new text is a new version, and the remediations running it run again")
        .takes::<rem::ScriptBody>()
        .gives::<rem::Script>()
        .may(&[409]),
        ep(
            Method::DELETE,
            "/api/v1/scripts/{id}",
            Requires(ManageScripts),
            || axum::routing::delete(crate::remediation::delete_script),
        )
        .about("Delete a script no remediation runs")
        .status(204)
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/scripts/{id}/versions",
            Requires(ReadDevices),
            || get(crate::remediation::script_versions),
        )
        .about("Every version of a script, newest first")
        .gives_list::<rem::ScriptVersion>(),
        ep(
            Method::POST,
            "/api/v1/scripts/{id}/clear",
            Requires(ApproveRequests),
            || post(crate::remediation::clear_script),
        )
        .about("Clear a version of the script for the help desk to run on one device")
        .takes::<crate::remediation::ClearBody>()
        .gives::<rem::Script>(),
        ep(
            Method::GET,
            "/api/v1/remediations",
            Requires(ReadDevices),
            || get(crate::remediation::list_remediations),
        )
        .about("Detect-and-fix remediations")
        .gives_list::<rem::Remediation>(),
        ep(
            Method::POST,
            "/api/v1/remediations",
            Requires(ManageScripts),
            || post(crate::remediation::create_remediation),
        )
        .about("Assign a detection script and a fix to a platform and groups, on a schedule or when a compliance rule fails")
        .takes::<rem::RemediationBody>()
        .creates::<rem::Remediation>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/remediations/{id}",
            Requires(ReadDevices),
            || get(crate::remediation::get_remediation),
        )
        .about("One remediation")
        .gives::<rem::Remediation>(),
        ep(
            Method::PUT,
            "/api/v1/remediations/{id}",
            Requires(ManageScripts),
            || axum::routing::put(crate::remediation::update_remediation),
        )
        .about("Change a remediation (every device runs it again)")
        .takes::<rem::RemediationBody>()
        .gives::<rem::Remediation>()
        .may(&[409]),
        ep(
            Method::DELETE,
            "/api/v1/remediations/{id}",
            Requires(ManageScripts),
            || axum::routing::delete(crate::remediation::delete_remediation),
        )
        .about("Delete a remediation and its device states")
        .status(204),
        ep(
            Method::GET,
            "/api/v1/remediations/{id}/status",
            Requires(ReadDevices),
            || get(crate::remediation::status),
        )
        .about("Devices per state and group, the failure rate, and the failing devices with their output")
        .gives::<rem::RemediationStatus>(),
        ep(
            Method::GET,
            "/api/v1/remediations/{id}/devices",
            Requires(ReadDevices),
            || get(crate::remediation::devices),
        )
        .about("A remediation device by device, in one state or all")
        .gives_list::<rem::DeviceRemediation>()
        .query(&[Param::one_of("state", &["pending", "no_issue", "detected", "remediating", "fixed", "fix_failed", "script_error", "not_applicable"])]),
        ep(
            Method::POST,
            "/api/v1/remediations/{id}/rerun-failed",
            Requires(ManageScripts),
            || post(crate::remediation::rerun_failed),
        )
        .about("Run again on the devices whose fix failed or whose script erred")
        .gives::<crate::remediation::Rerun>(),
        ep(
            Method::GET,
            "/api/v1/approvals",
            Requires(ManageDevices),
            || get(crate::remediation::list_approvals),
        )
        .about("Requests waiting for (or decided by) a second administrator, newest first")
        .gives_list::<rem::Approval>()
        .query(&[Param::one_of("state", &["pending", "approved", "refused"])]),
        ep(
            Method::GET,
            "/api/v1/approvals/{id}",
            Requires(ManageDevices),
            || get(crate::remediation::get_approval),
        )
        .about("One approval request")
        .gives::<rem::Approval>(),
        ep(
            Method::POST,
            "/api/v1/approvals/{id}/approve",
            Requires(ApproveRequests),
            || post(crate::remediation::approve),
        )
        .about("Approve another administrator's request: it is carried out at once")
        .takes::<rem::DecisionBody>()
        .gives::<rem::Approval>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/approvals/{id}/refuse",
            Requires(ApproveRequests),
            || post(crate::remediation::refuse),
        )
        .about("Refuse another administrator's request")
        .takes::<rem::DecisionBody>()
        .gives::<rem::Approval>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/devices/{id}/notes",
            Requires(AssistUsers),
            || post(crate::helpdesk::add_note),
        )
        .about("A note on the device's timeline")
        .takes::<crate::helpdesk::NoteBody>()
        .status(201),
        ep(
            Method::GET,
            "/api/v1/troubleshoot/users",
            Requires(AssistUsers),
            || get(crate::helpdesk::find_users),
        )
        .about("Device users whose address starts with q")
        .gives_strings()
        .query(&[Param::words("q", 320)]),
        ep(
            Method::GET,
            "/api/v1/troubleshoot/users/{user}",
            Requires(AssistUsers),
            || get(crate::helpdesk::user_view),
        )
        .about("What is wrong for a device user, with the article for each failure")
        .gives::<crate::helpdesk::UserView>(),
        ep(
            Method::POST,
            "/api/v1/troubleshoot/users/{user}/invite",
            Requires(AssistUsers),
            || post(crate::helpdesk::invite),
        )
        .about("E-mail the user a single-use enrollment token")
        .takes::<crate::helpdesk::InviteBody>()
        .creates::<crate::helpdesk::Invited>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/failure-reasons",
            Requires(AssistUsers),
            || get(crate::kb::failure_reasons),
        )
        .about("Enrollment and app install failure codes, explained, with their articles")
        .gives_list::<crate::kb::Explained>(),
        ep(
            Method::GET,
            "/api/v1/kb/search",
            Requires(AssistUsers),
            || get(crate::kb::search),
        )
        .about("Search the knowledge base")
        .gives_list::<crate::kb::SearchHit>()
        .query(&[Param::words("q", 500), Param::one_of("lang", LANGS)])
        .search_limit(),
        ep(
            Method::GET,
            "/api/v1/kb/gaps",
            Requires(ManageArticles),
            || get(crate::kb::list_gaps),
        )
        .about("Articles that rarely help and frequent codes without a good article")
        .gives_list::<steward_core::kb::Gap>(),
        ep(
            Method::GET,
            "/api/v1/kb/articles",
            Requires(AssistUsers),
            || get(crate::kb::list),
        )
        .about("Articles by slug")
        .gives_list::<crate::kb::ArticleView>(),
        ep(
            Method::POST,
            "/api/v1/kb/articles",
            Requires(ManageArticles),
            || post(crate::kb::create),
        )
        .about("Write an article")
        .takes::<crate::kb::ArticleBody>()
        .creates::<steward_core::kb::Article>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/kb/articles/{id}",
            Requires(AssistUsers),
            || get(crate::kb::get),
        )
        .about("One article with its revisions and score")
        .gives::<crate::kb::ArticleDetail>(),
        ep(
            Method::PUT,
            "/api/v1/kb/articles/{id}",
            Requires(ManageArticles),
            || axum::routing::put(crate::kb::update),
        )
        .about("Change an article (a new revision)")
        .takes::<crate::kb::ArticleBody>()
        .gives::<steward_core::kb::Article>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/kb/articles/{id}/reviewed",
            Requires(ManageArticles),
            || post(crate::kb::reviewed),
        )
        .about("Mark an article reviewed today")
        .gives::<steward_core::kb::Article>(),
        ep(
            Method::POST,
            "/api/v1/kb/articles/{id}/feedback",
            Requires(AssistUsers),
            || post(crate::kb::feedback),
        )
        .about("Whether the article solved a case")
        .takes::<crate::kb::FeedbackBody>()
        .status(204),
        ep(
            Method::GET,
            "/api/v1/policies",
            Requires(ReadDevices),
            || get(api::list_policies),
        )
        .about("Compliance policies")
        .gives_list::<steward_core::compliance::Policy>(),
        ep(
            Method::POST,
            "/api/v1/policies",
            Requires(ManagePolicies),
            || post(api::create_policy),
        )
        .about("Create a compliance policy (202: every device is evaluated again by the job it gives)")
        .takes::<api::PolicyBody>()
        .status(202)
        .gives::<api::PolicySaved>(),
        ep(
            Method::GET,
            "/api/v1/policies/{id}",
            Requires(ReadDevices),
            || get(api::get_policy),
        )
        .about("One compliance policy")
        .gives::<steward_core::compliance::Policy>(),
        ep(
            Method::PUT,
            "/api/v1/policies/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(api::update_policy),
        )
        .about("Change a compliance policy (202: every device is evaluated again by the job it gives)")
        .takes::<api::PolicyBody>()
        .status(202)
        .gives::<api::PolicySaved>(),
        ep(
            Method::DELETE,
            "/api/v1/policies/{id}",
            Requires(ManagePolicies),
            || axum::routing::delete(api::delete_policy),
        )
        .about("Delete a compliance policy (202: every device is evaluated again by the job it gives)")
        .status(202)
        .gives::<steward_store::jobs::FleetJob>(),
        ep(
            Method::GET,
            "/api/v1/fleet-jobs",
            Requires(ReadDevices),
            || get(api::list_fleet_jobs),
        )
        .about("Fleet-wide jobs (devices evaluated again after a policy or alert rule change), newest first")
        .gives_list::<steward_store::jobs::FleetJob>(),
        ep(
            Method::GET,
            "/api/v1/fleet-jobs/{id}",
            Requires(ReadDevices),
            || get(api::get_fleet_job),
        )
        .about("One fleet-wide job and how far it is")
        .gives::<steward_store::jobs::FleetJob>(),
        ep(Method::GET, "/api/v1/apps", Requires(ReadDevices), || {
            get(crate::apps::list_apps)
        })
        .about("The app catalog, with every app's versions")
        .gives_list::<steward_proto::apps::App>(),
        ep(Method::POST, "/api/v1/apps", Requires(ManageApps), || {
            post(crate::apps::create_app)
        })
        .about("Add an app to the catalog")
        .takes::<steward_proto::apps::AppBody>()
        .creates::<steward_proto::apps::App>()
        .may(&[409]),
        ep(Method::GET, "/api/v1/apps/{id}", Requires(ReadDevices), || {
            get(crate::apps::get_app)
        })
        .about("One app with its versions")
        .gives::<steward_proto::apps::App>(),
        ep(Method::PUT, "/api/v1/apps/{id}", Requires(ManageApps), || {
            axum::routing::put(crate::apps::update_app)
        })
        .about("Rename or describe an app")
        .takes::<steward_proto::apps::AppBody>()
        .gives::<steward_proto::apps::App>()
        .may(&[409]),
        ep(Method::DELETE, "/api/v1/apps/{id}", Requires(ManageApps), || {
            axum::routing::delete(crate::apps::delete_app)
        })
        .about("Delete an app that has no assignments")
        .status(204)
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/apps/{id}/versions",
            Requires(ManageApps),
            || post(crate::apps::add_version),
        )
        .about("Add a version delivered from apt sources, a store or an installer")
        .takes::<steward_proto::apps::AppVersionBody>()
        .creates::<steward_proto::apps::AppVersion>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/apps/{id}/packages",
            Requires(ManageApps),
            || {
                post(crate::apps::upload_package)
                    .layer(axum::extract::DefaultBodyLimit::disable())
            },
        )
        .about("Upload a Debian package (the body is the .deb file) as a Linux version; 400 when it is not one")
        .creates::<steward_proto::apps::AppVersion>()
        .may(&[400, 409, 413]),
        ep(
            Method::GET,
            "/api/v1/apps/{id}/status",
            Requires(ReadDevices),
            || get(crate::apps::app_status),
        )
        .about("Install status of an app: every assignment's counts by state, error, group and wave")
        .gives::<steward_proto::apps::AppStatus>(),
        ep(
            Method::GET,
            "/api/v1/app-assignments",
            Requires(ReadDevices),
            || get(crate::apps::list_assignments),
        )
        .about("App assignments")
        .gives_list::<steward_proto::apps::AppAssignment>(),
        ep(
            Method::POST,
            "/api/v1/app-assignments",
            Requires(ManageApps),
            || post(crate::apps::create_assignment),
        )
        .about("Assign an app version to a device group (or all devices), in waves")
        .takes::<steward_proto::apps::AssignmentBody>()
        .creates::<steward_proto::apps::AppAssignment>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/app-assignments/{id}",
            Requires(ReadDevices),
            || get(crate::apps::get_assignment),
        )
        .about("One assignment with its status")
        .gives::<steward_proto::apps::AssignmentStatus>(),
        ep(
            Method::DELETE,
            "/api/v1/app-assignments/{id}",
            Requires(ManageApps),
            || axum::routing::delete(crate::apps::delete_assignment),
        )
        .about("Delete an assignment (what devices installed stays)")
        .status(204),
        ep(
            Method::POST,
            "/api/v1/app-assignments/{id}/pause",
            Requires(ManageApps),
            || post(crate::apps::pause),
        )
        .about("Pause a rollout: no device starts it until it is resumed")
        .gives::<steward_proto::apps::AppAssignment>(),
        ep(
            Method::POST,
            "/api/v1/app-assignments/{id}/resume",
            Requires(ManageApps),
            || post(crate::apps::resume),
        )
        .about("Resume a paused rollout")
        .gives::<steward_proto::apps::AppAssignment>(),
        ep(
            Method::POST,
            "/api/v1/app-assignments/{id}/version",
            Requires(ManageApps),
            || post(crate::apps::set_version),
        )
        .about("Deliver another version of the app (a fixed build, an upgrade); every device starts again")
        .takes::<crate::apps::VersionBody>()
        .gives::<steward_proto::apps::AppAssignment>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/app-assignments/{id}/retry",
            Requires(ManageApps),
            || post(crate::apps::retry_failed),
        )
        .about("Another attempt on every device where the assignment failed")
        .gives::<crate::apps::Retried>(),
        ep(
            Method::GET,
            "/api/v1/app-assignments/{id}/devices",
            Requires(ReadDevices),
            || get(crate::apps::assignment_devices),
        )
        .about("The assignment's devices and their states (drill-down)")
        .gives_list::<steward_proto::apps::AppTarget>()
        .query(&[
            Param::one_of("state", &[
                "pending", "available", "downloading", "installing", "removing", "installed",
                "removed", "failed", "not_applicable", "blocked", "timed_out", "mismatch",
            ]),
            Param::text("error_code", 100),
            Param::int("wave", 0, 9),
        ]),
        ep(
            Method::POST,
            "/api/v1/app-assignments/{id}/devices/{device_id}/retry",
            Requires(RetryInstalls),
            || post(crate::apps::retry_device),
        )
        .about("Another install attempt on one device (it hears at once)")
        .gives::<crate::apps::Retried>()
        .status(202),
        ep(
            Method::GET,
            "/api/v1/devices/{id}/apps",
            Requires(ReadDevices),
            || get(crate::apps::device_apps),
        )
        .about("A device's apps and their install states")
        .gives_array::<steward_proto::apps::AppTarget>(),
        ep(Method::GET, "/api/v1/software", Requires(ReadDevices), || {
            get(crate::apps::software)
        })
        .about("Devices holding a package, in a version range (`>=7.2, <8`)")
        .gives::<steward_proto::apps::SoftwareAnswer>()
        .query(&[
            Param::words("name", 200),
            Param::text("version", 200),
        ])
        .query(&PAGING),
        ep(
            Method::GET,
            "/api/v1/alert-rules",
            Requires(ReadDevices),
            || get(crate::alerts::list_rules),
        )
        .about("Alert rules")
        .gives_list::<steward_core::alerting::AlertRule>(),
        ep(
            Method::POST,
            "/api/v1/alert-rules",
            Requires(ManagePolicies),
            || post(crate::alerts::create_rule),
        )
        .about("Create an alert rule (202: the devices it can fire on, or every device, are evaluated against it by the job it gives)")
        .takes::<crate::alerts::RuleBody>()
        .status(202)
        .gives::<crate::alerts::RuleSaved>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/alert-rules/{id}",
            Requires(ReadDevices),
            || get(crate::alerts::get_rule),
        )
        .about("One alert rule")
        .gives::<steward_core::alerting::AlertRule>(),
        ep(
            Method::PUT,
            "/api/v1/alert-rules/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(crate::alerts::update_rule),
        )
        .about("Change an alert rule (202: the devices it can fire on or fired on, or every device, are evaluated again by the job it gives)")
        .takes::<crate::alerts::RuleBody>()
        .status(202)
        .gives::<crate::alerts::RuleSaved>()
        .may(&[409]),
        ep(
            Method::DELETE,
            "/api/v1/alert-rules/{id}",
            Requires(ManagePolicies),
            || axum::routing::delete(crate::alerts::delete_rule),
        )
        .about("Delete an alert rule (202: its open alerts are resolved by the job it gives)")
        .status(202)
        .gives::<steward_store::jobs::FleetJob>(),
        ep(Method::GET, "/api/v1/alerts", Requires(ReadDevices), || {
            get(crate::alerts::list_alerts)
        })
        .about("Alerts, newest first")
        .gives_list::<steward_store::alerts::Alert>()
        .query(&[
            Param::one_of("state", &["firing", "acknowledged", "resolved"]),
            Param::one_of("severity", &["critical", "warning", "informational"]),
            Param::text("rule", 255),
            Param::text("device", 255),
        ]),
        ep(
            Method::GET,
            "/api/v1/alerts/{id}",
            Requires(ReadDevices),
            || get(crate::alerts::get_alert),
        )
        .about("One alert with its history")
        .gives::<steward_store::alerts::AlertDetail>(),
        ep(
            Method::POST,
            "/api/v1/alerts/{id}/acknowledge",
            Requires(ManageDevices),
            || post(crate::alerts::acknowledge),
        )
        .about("Acknowledge an alert")
        .takes::<crate::alerts::ActionBody>()
        .gives::<steward_store::alerts::AlertDetail>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/alerts/{id}/resolve",
            Requires(ManageDevices),
            || post(crate::alerts::resolve),
        )
        .about("Resolve an alert")
        .takes::<crate::alerts::ActionBody>()
        .gives::<steward_store::alerts::AlertDetail>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/alerts/{id}/comments",
            Requires(ManageDevices),
            || post(crate::alerts::comment),
        )
        .about("Comment on an alert")
        .takes::<crate::alerts::CommentBody>()
        .creates::<steward_store::alerts::AlertDetail>(),
        ep(
            Method::POST,
            "/api/v1/alerts/{id}/assign",
            Requires(ManageDevices),
            || post(crate::alerts::assign),
        )
        .about("Assign an alert")
        .takes::<crate::alerts::AssignBody>()
        .gives::<steward_store::alerts::AlertDetail>(),
        ep(
            Method::GET,
            "/api/v1/alerts/metrics",
            Requires(ReadDevices),
            || get(crate::notify::response_report),
        )
        .about("Time to acknowledge and resolve, per severity and rule")
        .gives::<crate::notify::ResponseReport>()
        .query(&[Param::time("since"), Param::time("until")]),
        ep(Method::GET, "/api/v1/notices", Authenticated, || {
            get(crate::awareness::list_notices)
        })
        .about("The message center: notices with the caller's state")
        .gives_list::<crate::awareness::NoticeView>()
        .query(&[
            Param::one_of(
                "view",
                &["inbox", "unread", "favourites", "archived", "all"],
            ),
            Param::one_of("tag", &steward_core::awareness::TAGS),
            Param::one_of("category", NOTICE_CATEGORIES),
            Param::flag("help_desk"),
            Param::text("feature", 255),
        ]),
        ep(
            Method::POST,
            "/api/v1/notices",
            Requires(ManagePolicies),
            || post(crate::awareness::create_notice),
        )
        .about("Publish a notice")
        .takes::<crate::awareness::NoticeBody>()
        .creates::<steward_core::awareness::Notice>(),
        ep(
            Method::PUT,
            "/api/v1/notices/preferences",
            Authenticated,
            || axum::routing::put(crate::awareness::preferences),
        )
        .about("The caller's mail preferences")
        .takes::<crate::awareness::Preferences>()
        .status(204),
        ep(Method::GET, "/api/v1/notices/{id}", Authenticated, || {
            get(crate::awareness::get_notice)
        })
        .about("One notice with who acknowledged it")
        .gives::<crate::awareness::NoticeDetail>(),
        ep(
            Method::PUT,
            "/api/v1/notices/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(crate::awareness::update_notice),
        )
        .about("Change a notice")
        .takes::<crate::awareness::NoticeBody>()
        .gives::<steward_core::awareness::Notice>(),
        ep(
            Method::POST,
            "/api/v1/notices/{id}/remind",
            Requires(ManagePolicies),
            || post(crate::awareness::remind),
        )
        .about("Mail those who have not acknowledged")
        .gives::<crate::awareness::Reminded>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/notices/{id}/{action}",
            Authenticated,
            || post(crate::awareness::notice_action),
        )
        .about("Read, acknowledge, archive or favourite a notice")
        .status(204)
        .words(
            "action",
            &[
                "read",
                "acknowledge",
                "archive",
                "unarchive",
                "favourite",
                "unfavourite",
            ],
        ),
        ep(
            Method::GET,
            "/api/v1/feeds",
            Requires(ManagePolicies),
            || get(crate::awareness::list_feeds),
        )
        .about("Vendor feeds")
        .gives_list::<steward_store::awareness::Feed>(),
        ep(
            Method::POST,
            "/api/v1/feeds",
            Requires(ManagePolicies),
            || post(crate::awareness::create_feed),
        )
        .about("Read a vendor feed (RSS, Atom or JSON Feed)")
        .takes::<crate::awareness::FeedBody>()
        .creates::<steward_store::awareness::Feed>(),
        ep(
            Method::PUT,
            "/api/v1/feeds/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(crate::awareness::update_feed),
        )
        .about("Change a feed")
        .takes::<crate::awareness::FeedBody>()
        .gives::<steward_store::awareness::Feed>(),
        ep(
            Method::DELETE,
            "/api/v1/feeds/{id}",
            Requires(ManagePolicies),
            || axum::routing::delete(crate::awareness::delete_feed),
        )
        .about("Stop reading a feed (its notices stay)")
        .status(204),
        ep(
            Method::POST,
            "/api/v1/feeds/{id}/fetch",
            Requires(ManagePolicies),
            || post(crate::awareness::fetch_now),
        )
        .about("Read a feed now")
        .gives::<crate::awareness::FetchResult>(),
        ep(Method::GET, "/api/v1/ops-plan", Authenticated, || {
            get(crate::awareness::get_plan)
        })
        .about("The operational plan and its open questions")
        .gives::<crate::awareness::PlanView>(),
        ep(
            Method::PUT,
            "/api/v1/ops-plan",
            Requires(ManageUsers),
            || axum::routing::put(crate::awareness::put_plan),
        )
        .about("Change the operational plan")
        .takes::<steward_core::awareness::OpsPlan>()
        .gives::<crate::awareness::PlanView>(),
        ep(
            Method::GET,
            "/api/v1/features",
            Requires(ManagePolicies),
            || get(crate::training::list_features),
        )
        .about("Features and when they were enabled or changed")
        .gives_list::<steward_core::training::Feature>(),
        ep(
            Method::POST,
            "/api/v1/features",
            Requires(ManagePolicies),
            || post(crate::training::create_feature),
        )
        .about("Add a feature")
        .takes::<crate::training::FeatureBody>()
        .creates::<steward_core::training::Feature>(),
        ep(
            Method::POST,
            "/api/v1/features/{id}/{event}",
            Requires(ManagePolicies),
            || post(crate::training::feature_event),
        )
        .about("A feature was enabled or changed")
        .gives::<steward_core::training::Feature>()
        .words("event", &["enable", "changed"]),
        ep(Method::GET, "/api/v1/training", Authenticated, || {
            get(crate::training::list_materials)
        })
        .about("Training materials, stale or current")
        .gives_list::<crate::training::MaterialView>(),
        ep(
            Method::POST,
            "/api/v1/training",
            Requires(ManagePolicies),
            || post(crate::training::create_material),
        )
        .about("Add a training material")
        .takes::<crate::training::MaterialBody>()
        .creates::<steward_core::training::Material>()
        .may(&[409]),
        ep(
            Method::POST,
            "/api/v1/training/{id}/reviewed",
            Requires(ManagePolicies),
            || post(crate::training::reviewed),
        )
        .about("Mark a material reviewed")
        .gives::<steward_core::training::Material>(),
        ep(
            Method::POST,
            "/api/v1/training/{id}/assign",
            Requires(ManageUsers),
            || post(crate::training::assign),
        )
        .about("Assign a material to people")
        .takes::<crate::training::AssignBody>()
        .status(204),
        ep(
            Method::POST,
            "/api/v1/training/{id}/complete",
            Authenticated,
            || post(crate::training::complete),
        )
        .about("The caller completed a material")
        .status(204),
        ep(Method::GET, "/api/v1/onboarding", Authenticated, || {
            get(crate::training::get_onboarding)
        })
        .about("Onboarding plans and everyone's progress")
        .gives::<crate::training::OnboardingView>(),
        ep(
            Method::PUT,
            "/api/v1/onboarding",
            Requires(ManageUsers),
            || axum::routing::put(crate::training::put_onboarding),
        )
        .about("Change the onboarding plans")
        .takes::<steward_core::training::OnboardingPlans>()
        .gives::<crate::training::OnboardingView>(),
        ep(
            Method::POST,
            "/api/v1/onboarding/{step}/done",
            Authenticated,
            || post(crate::training::step_done),
        )
        .about("The caller finished an onboarding step")
        .status(204),
        ep(
            Method::GET,
            "/api/v1/announcements/welcome",
            Requires(ReadDevices),
            || get(crate::announce::get_welcome),
        )
        .about("The welcome new device owners get")
        .gives::<crate::announce::Welcome>(),
        ep(
            Method::PUT,
            "/api/v1/announcements/welcome",
            Requires(ManageDevices),
            || axum::routing::put(crate::announce::put_welcome),
        )
        .about("Set the welcome")
        .takes::<crate::announce::Welcome>()
        .gives::<crate::announce::Welcome>(),
        ep(
            Method::GET,
            "/api/v1/announcements",
            Requires(ReadDevices),
            || get(crate::announce::list),
        )
        .about("Announcements to device owners, with their reach")
        .gives_list::<crate::announce::AnnouncementView>(),
        ep(
            Method::POST,
            "/api/v1/announcements",
            Requires(ManageDevices),
            || post(crate::announce::create),
        )
        .about("Announce a change to device owners")
        .takes::<crate::announce::AnnouncementBody>()
        .creates::<crate::announce::AnnouncementView>()
        .may(&[409]),
        ep(Method::GET, "/api/v1/readiness", Authenticated, || {
            get(crate::awareness::readiness)
        })
        .about("The readiness checklist, computed now")
        .gives_array::<crate::awareness::ReadinessItem>(),
        ep(
            Method::GET,
            "/api/v1/silences",
            Requires(ReadDevices),
            || get(crate::notify::list_silences),
        )
        .about("Silences, newest first")
        .gives_list::<crate::notify::SilenceView>()
        .query(&[Param::one_of("status", &["pending", "active", "expired"])]),
        ep(
            Method::POST,
            "/api/v1/silences",
            Requires(ManageDevices),
            || post(crate::notify::create_silence),
        )
        .about("Silence notifications of matching alerts for a while")
        .takes::<crate::notify::SilenceBody>()
        .creates::<crate::notify::SilenceView>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/silences/{id}",
            Requires(ReadDevices),
            || get(crate::notify::get_silence),
        )
        .about("One silence")
        .gives::<crate::notify::SilenceView>(),
        ep(
            Method::POST,
            "/api/v1/silences/{id}/expire",
            Requires(ManageDevices),
            || post(crate::notify::expire_silence),
        )
        .about("End a silence now")
        .gives::<crate::notify::SilenceView>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/channels",
            Requires(ManagePolicies),
            || get(crate::notify::list_channels),
        )
        .about("Notification channels with their delivery standing")
        .gives_list::<crate::notify::ChannelView>(),
        ep(
            Method::POST,
            "/api/v1/channels",
            Requires(ManagePolicies),
            || post(crate::notify::create_channel),
        )
        .about("Add a notification channel")
        .takes::<crate::notify::ChannelBody>()
        .creates::<crate::notify::ChannelView>(),
        ep(
            Method::GET,
            "/api/v1/channels/{id}",
            Requires(ManagePolicies),
            || get(crate::notify::get_channel),
        )
        .about("One channel")
        .gives::<crate::notify::ChannelView>(),
        ep(
            Method::PUT,
            "/api/v1/channels/{id}",
            Requires(ManagePolicies),
            || axum::routing::put(crate::notify::update_channel),
        )
        .about("Change a channel")
        .takes::<crate::notify::ChannelBody>()
        .gives::<crate::notify::ChannelView>(),
        ep(
            Method::DELETE,
            "/api/v1/channels/{id}",
            Requires(ManagePolicies),
            || axum::routing::delete(crate::notify::delete_channel),
        )
        .about("Delete a channel")
        .status(204),
        ep(
            Method::POST,
            "/api/v1/channels/{id}/test",
            Requires(ManagePolicies),
            || post(crate::notify::test_channel),
        )
        .about("Send a test message and say whether it arrived")
        .gives::<crate::notify::TestResult>(),
        ep(
            Method::GET,
            "/api/v1/notifications",
            Requires(ManagePolicies),
            || get(crate::notify::list_deliveries),
        )
        .about("Notifications and their delivery")
        .gives_list::<steward_store::notify::Delivery>()
        .query(&[
            Param::text("channel", 255),
            Param::one_of("state", &["pending", "delivered", "failed"]),
        ]),
        ep(
            Method::GET,
            "/api/v1/enrollment-attempts",
            Requires(ReadDevices),
            || get(api::list_enrollment_attempts),
        )
        .about("Enrollment attempts, newest first")
        .gives_list::<EnrollmentAttempt>()
        .query(&[Param::one_of("result", enrollment_results())]),
        ep(
            Method::GET,
            "/api/v1/enrollment-tokens",
            Requires(ManageEnrollment),
            || get(api::list_enrollment_tokens),
        )
        .about("Enrollment tokens")
        .gives_list::<EnrollmentTokenInfo>(),
        ep(
            Method::POST,
            "/api/v1/enrollment-tokens",
            Requires(ManageEnrollment),
            || post(api::create_enrollment_token),
        )
        .about("Create an enrollment token (shown once)")
        .takes::<CreateEnrollmentToken>()
        .creates::<CreatedEnrollmentToken>(),
        ep(
            Method::GET,
            "/api/v1/enrollment-tokens/{id}",
            Requires(ManageEnrollment),
            || get(api::get_enrollment_token),
        )
        .about("One enrollment token")
        .gives::<EnrollmentTokenInfo>(),
        ep(
            Method::POST,
            "/api/v1/enrollment-tokens/{id}/revoke",
            Requires(ManageEnrollment),
            || post(api::revoke_enrollment_token),
        )
        .about("Revoke an enrollment token")
        .gives::<EnrollmentTokenInfo>(),
        ep(
            Method::GET,
            "/api/v1/tokens",
            Requires(ManageTokens),
            || get(api::list_api_tokens),
        )
        .about("API tokens")
        .gives_list::<ApiTokenInfo>(),
        ep(
            Method::POST,
            "/api/v1/tokens",
            Requires(ManageTokens),
            || post(api::create_api_token),
        )
        .about("Create a service token (shown once)")
        .takes::<CreateApiToken>()
        .creates::<CreatedApiToken>(),
        ep(
            Method::POST,
            "/api/v1/tokens/{id}/revoke",
            Requires(ManageTokens),
            || post(api::revoke_api_token),
        )
        .about("Revoke an API token")
        .gives::<ApiTokenInfo>(),
        ep(Method::POST, "/api/v1/auth/login", Public, || {
            post(users::login)
        })
        .about("Sign in: sets the session cookie, returns the CSRF token")
        .takes::<LoginRequest>()
        .gives::<SessionInfo>()
        .may(&[401, 429]),
        ep(Method::POST, "/api/v1/auth/logout", Authenticated, || {
            post(users::logout)
        })
        .about("End the session")
        .status(204),
        ep(Method::GET, "/api/v1/auth/me", Authenticated, || {
            get(users::me)
        })
        .about("Who the caller is")
        .gives::<users::Me>(),
        ep(Method::POST, "/api/v1/auth/password", Authenticated, || {
            post(users::change_password)
        })
        .about("Change the caller's own password")
        .takes::<ChangePassword>()
        .status(204)
        .may(&[429]),
        ep(Method::POST, "/api/v1/auth/tokens", Authenticated, || {
            post(users::create_own_token)
        })
        .about("A token of the caller's own, acting with their roles")
        .takes::<steward_proto::CreateOwnToken>()
        .creates::<CreatedApiToken>(),
        ep(Method::GET, "/api/v1/users", Requires(ReadUsers), || {
            get(users::list_users)
        })
        .about("Console users")
        .gives_list::<UserInfo>(),
        ep(Method::POST, "/api/v1/users", Requires(ManageUsers), || {
            post(users::create_user)
        })
        .about("Create a console user")
        .takes::<CreateUser>()
        .creates::<CreatedUser>()
        .may(&[409]),
        ep(
            Method::GET,
            "/api/v1/users/{id}",
            Requires(ReadUsers),
            || get(users::get_user),
        )
        .about("One console user")
        .gives::<UserInfo>(),
        ep(
            Method::PATCH,
            "/api/v1/users/{id}",
            Requires(ManageUsers),
            || axum::routing::patch(users::update_user),
        )
        .about("Change a user (not one's own roles, scope or standing)")
        .takes::<UpdateUser>()
        .gives::<UserInfo>(),
        ep(
            Method::POST,
            "/api/v1/users/{id}/reset-password",
            Requires(ManageUsers),
            || post(users::reset_password),
        )
        .about("A new password for a user, shown once")
        .gives::<PasswordReset>(),
        ep(Method::GET, "/api/v1/audit", Requires(ReadAudit), || {
            get(api::list_audit)
        })
        .about("The audit log, newest first (format=csv exports)")
        .gives_list::<AuditEntry>()
        .csv()
        .query(&[
            Param::text("actor", 255),
            Param::text("action", 255),
            Param::text("object_type", 255),
            Param::text("object_id", 255),
            Param::time("since"),
            Param::time("until"),
            Param::one_of("format", &["json", "csv"]),
        ]),
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
    mut req: Request,
    next: Next,
) -> Response {
    let remote = crate::agent::peer_text(crate::agent::client_of(
        req.headers(),
        req.extensions(),
        &state,
    ));
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
    access_markdown(endpoints().into_iter().map(|e| {
        let (label, perm) = match e.access {
            Access::Public => ("public", None),
            Access::Authenticated => ("signed in", None),
            Access::Requires(p) => (p.name(), Some(p)),
        };
        (e.method, e.path, label, perm)
    }))
}

/// Routes as a Markdown table: method, path, what they need (`label`), and for each role
/// whether that lets it in (every role when no permission is needed).
pub(crate) fn access_markdown(
    rows: impl IntoIterator<Item = (Method, &'static str, &'static str, Option<Permission>)>,
) -> String {
    use steward_core::Role;
    let mut out = String::from("| method | path | permission |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(Role::ALL.len()));
    out.push('\n');
    for (method, path, label, perm) in rows {
        out.push_str(&format!("| {method} | `{path}` | {label} |"));
        for r in Role::ALL {
            let yes = perm.is_none_or(|p| p.allows(r));
            out.push_str(if yes { " yes |" } else { " no |" });
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
