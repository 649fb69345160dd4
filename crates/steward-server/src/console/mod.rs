//! The web console: server-rendered pages (askama templates under `templates/`), htmx for
//! actions, static assets embedded in the binary. Pages authenticate with the session cookie
//! and reuse the admin API's handlers for every change, so validation, scope checks and the
//! audit log are the same as through the API.

/// The page's context if the user's roles allow `$perm` (its navigation entry `$section`
/// marked), else returns the "not allowed" page.
macro_rules! ctx_or_return {
    ($ctx:expr, $perm:expr, $section:expr) => {
        match require($ctx, $perm) {
            Ok(mut c) => {
                c.section = $section;
                c
            }
            Err(r) => return *r,
        }
    };
}

/// Answers a console action with a readable refusal when the caller lacks the permission.
macro_rules! allowed_or_flash {
    ($ctx:expr, $perm:expr) => {
        if !$ctx.caller.allows($perm) {
            return flash_error($ctx.lang, ErrorCode::Forbidden);
        }
    };
}

mod admin;
mod awareness;
mod helpdesk;
mod pages;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use steward_core::policy::Permission;
use steward_core::{t, Lang};
use steward_proto::ErrorCode;

use crate::agent::Remote;
use crate::auth::{self, Caller, Via};
use crate::error::{request_lang, ApiError, HtmlPage};
use crate::AppState;

/// Every console route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/language", post(set_language))
        .route("/assets/{file}", get(asset))
        .route("/devices", get(pages::devices))
        .route("/devices.csv", get(pages::devices_csv))
        .route("/devices/{id}", get(pages::device))
        .route("/enrollments", get(pages::enrollments))
        .route("/alerts", get(pages::alerts))
        .route("/alerts/acknowledge", post(pages::bulk_acknowledge))
        .route("/alerts/{id}", get(pages::alert))
        .route("/alerts/{id}/{action}", post(pages::alert_action))
        .route(
            "/silences",
            get(admin::silences).post(admin::create_silence),
        )
        .route("/silences/{id}/expire", post(admin::expire_silence))
        .route("/rules", get(admin::rules).post(admin::create_rule))
        .route("/rules/{id}/{action}", post(admin::rule_action))
        .route(
            "/channels",
            get(admin::channels).post(admin::create_channel),
        )
        .route("/channels/{id}/{action}", post(admin::channel_action))
        .route(
            "/settings/users",
            get(admin::users).post(admin::create_user),
        )
        .route("/settings/users/{id}/{action}", post(admin::user_action))
        .route(
            "/settings/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route("/settings/tokens/{id}/revoke", post(admin::revoke_token))
        .route(
            "/settings/enrollment-tokens",
            get(admin::enrollment_tokens).post(admin::create_enrollment_token),
        )
        .route(
            "/settings/enrollment-tokens/{id}/revoke",
            post(admin::revoke_enrollment_token),
        )
        .route(
            "/settings/policies",
            get(admin::policies).post(admin::create_policy),
        )
        .route("/settings/policies/{id}/delete", post(admin::delete_policy))
        .route("/settings/audit", get(admin::audit))
        .route("/readiness", get(awareness::readiness))
        .route(
            "/notices",
            get(awareness::notices).post(awareness::create_notice),
        )
        .route(
            "/notices/{id}",
            get(awareness::notice).post(awareness::update_notice),
        )
        .route("/notices/{id}/{action}", post(awareness::notice_action))
        .route(
            "/announcements",
            get(awareness::announcements).post(awareness::create_announcement),
        )
        .route("/feeds", post(awareness::create_feed))
        .route("/feeds/{id}", post(awareness::update_feed))
        .route("/feeds/{id}/{action}", post(awareness::feed_action))
        .route(
            "/training",
            get(awareness::training).post(awareness::create_material),
        )
        .route("/features", post(awareness::create_feature))
        .route("/training/{id}/{action}", post(awareness::training_action))
        .route("/features/{id}/{action}", post(awareness::feature_action))
        .route("/plan", get(awareness::plan).post(awareness::save_plan))
        .route("/helpdesk", get(helpdesk::find))
        .route("/helpdesk/users/{user}", get(helpdesk::user))
        .route("/helpdesk/users/{user}/requests", get(helpdesk::requests))
        .route("/helpdesk/users/{user}/invite", post(helpdesk::invite))
        .route("/devices/{id}/requests", post(helpdesk::request))
        .route("/devices/{id}/notes", post(helpdesk::note))
        .route("/kb", get(helpdesk::kb).post(helpdesk::create))
        .route("/kb/{id}", get(helpdesk::article).post(helpdesk::update))
        .route("/kb/{id}/{action}", post(helpdesk::article_action))
}

/// What every page knows: who is looking, in which language, and what they may do.
pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    pub user: String,
    /// The navigation entry to mark as current.
    pub section: &'static str,
    pub caller: Caller,
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

    /// An RFC 3339 time in the reader's format.
    /// A moment (milliseconds since the epoch) the way the reader writes times.
    pub fn at(&self, ms: &i64) -> String {
        steward_core::i18n::format_time(self.lang, *ms)
    }

    /// A day with its year (a deadline, a review date).
    pub fn day(&self, ms: &i64) -> String {
        steward_core::i18n::format_day(self.lang, *ms)
    }

    /// Markdown as safe HTML.
    pub fn markdown(&self, text: &str) -> String {
        markdown(text)
    }

    pub fn when(&self, rfc3339: &str) -> String {
        steward_core::time::parse_rfc3339(rfc3339)
            .map(|ms| steward_core::i18n::format_time(self.lang, ms))
            .unwrap_or_else(|| rfc3339.to_string())
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

    /// An enrollment failure reason (an error code) in words.
    pub fn error_text(&self, code: &str) -> String {
        ErrorCode::parse(code)
            .map(|c| steward_core::i18n::error_message(self.lang, c))
            .unwrap_or_else(|| code.to_string())
    }

    pub fn condition_label(&self, c: &str) -> String {
        self.t(match c {
            "active_threat" => "condition-active-threat",
            "protection_missing" => "condition-protection-missing",
            "realtime_protection_off" => "condition-realtime-off",
            "signatures_outdated" => "condition-signatures-outdated",
            "scan_overdue" => "condition-scan-overdue",
            "noncompliant" => "condition-noncompliant",
            "not_checked_in" => "condition-not-checked-in",
            "low_disk_space" => "condition-low-disk",
            "enrollment_failures" => "condition-enrollment-failures",
            "fleet_share" => "condition-fleet-share",
            "delivery_failing" => "condition-delivery-failing",
            "readiness_failing" => "condition-readiness-failing",
            _ => "state-other",
        })
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

    pub fn role_label(&self, r: &str) -> String {
        self.t(match r {
            "administrator" => "role-administrator",
            "operator" => "role-operator",
            "helpdesk" => "role-helpdesk",
            "readonly" => "role-readonly",
            _ => "state-other",
        })
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
        Ok(Console(Ctx {
            lang,
            csrf,
            user,
            section: "",
            caller,
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

/// Runs a console action if the user's roles allow it, and answers as [`done`].
pub async fn guarded<T>(
    ctx: &Ctx,
    p: Permission,
    action: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Response {
    if !ctx.caller.allows(p) {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    }
    done(ctx, action.await)
}

/// A page listing what an admin API handler lists: checks the permission, fetches, renders.
pub async fn list_page<T, P: Template>(
    ctx: Ctx,
    perm: Permission,
    section: &'static str,
    fetch: impl std::future::Future<Output = Result<axum::Json<steward_proto::Page<T>>, ApiError>>,
    build: impl FnOnce(Ctx, Vec<T>) -> P,
) -> Response {
    let ctx = ctx_or_return!(ctx, perm, section);
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

/// Refuses a page the user's roles do not allow.
pub fn require(ctx: Ctx, p: Permission) -> Result<Ctx, Box<Response>> {
    if ctx.caller.allows(p) {
        Ok(ctx)
    } else {
        Err(Box::new(error_page(ctx, ErrorCode::Forbidden)))
    }
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

pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "steward.css" => (CSS, "text/css; charset=utf-8"),
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
