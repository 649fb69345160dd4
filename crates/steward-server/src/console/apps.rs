//! The console's software distribution: the app catalog, an app with its versions and
//! assignments, an assignment's status with its drill-down, and the actions on them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use steward_proto::apps::{
    App, AppAssignment, AppBody, AppTarget, AppVersionBody, AssignmentBody, AssignmentStatus, Wave,
};

use super::{done, error_page, flash_error, page, Console, Ctx, FormFields};
use crate::body::JsonBody;
use crate::AppState;

/// A failure code in words, with its article when the knowledge base has one.
pub struct ErrorRow {
    pub code: String,
    pub text: String,
    pub article: Option<(String, String)>,
    pub count: u64,
}

impl Ctx {
    /// An install state in words.
    pub fn install_state(&self, state: &str) -> String {
        self.t(steward_core::apps::state_key(state))
    }

    /// An assignment's intent in words.
    pub fn intent(&self, intent: &str) -> String {
        self.t(steward_core::apps::intent_key(intent))
    }

    /// The badge class of an install state.
    pub fn install_tone(&self, state: &str) -> &'static str {
        match state {
            "installed" | "removed" => "s-ok",
            "failed" | "blocked" | "timed_out" | "mismatch" => "s-bad",
            "not_applicable" | "available" => "s-muted",
            _ => "s-warn",
        }
    }

    /// Whether another attempt may help (failed, blocked, timed out, contradicted).
    pub fn retryable(&self, state: &str) -> bool {
        steward_core::apps::InstallState::parse(state).is_some_and(|s| s.is_failure())
    }

    /// Where a rollout wave stands, in words.
    pub fn wave_phase(&self, phase: &str) -> String {
        self.t(match phase {
            "done" => "apps-wave-done",
            "started" => "apps-wave-started",
            _ => "apps-wave-waiting",
        })
    }

    /// A platform's usual name.
    pub fn platform_name(&self, p: &str) -> String {
        steward_proto::Platform::parse(p)
            .map(|p| p.os_name().to_string())
            .unwrap_or_else(|| p.to_string())
    }

    /// A kind of package in words.
    pub fn app_kind(&self, k: &str) -> String {
        self.t(match k {
            "deb" => "apps-kind-deb",
            "apt" => "apps-kind-apt",
            "msi" => "apps-kind-msi",
            "win32" => "apps-kind-win32",
            "pkg" => "apps-kind-pkg",
            "store" => "apps-kind-store",
            _ => "state-other",
        })
    }

    /// A failure code in words (the catalog's explanation), or the code itself.
    pub fn failure(&self, code: &str) -> String {
        steward_core::kb::failure_reason(code)
            .map(|r| self.t(r.explanation))
            .unwrap_or_else(|| code.to_string())
    }
}

#[derive(Template)]
#[template(path = "apps.html")]
pub struct AppsPage {
    pub ctx: Ctx,
    pub title: String,
    pub apps: Vec<(App, usize)>,
}

/// `GET /apps`: the catalog.
pub async fn apps(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let Json(list) = crate::apps::list_apps(State(state.clone()), super::all_pages()).await;
    let cat = state.store.catalog();
    let apps = list
        .items
        .into_iter()
        .map(|a| {
            let n = cat.assignments.iter().filter(|x| x.app_id == a.id).count();
            (a, n)
        })
        .collect();
    let p = AppsPage {
        title: ctx.t("nav-apps"),
        ctx,
        apps,
    };
    page(StatusCode::OK, &p)
}

/// `POST /apps`: a new app.
pub async fn create_app(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let b = AppBody {
        name: f.get("name").unwrap_or_default(),
        publisher: f.get("publisher").unwrap_or_default(),
        description: f.get("description").unwrap_or_default(),
    };
    let r = crate::apps::create_app(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// An assignment with its counts, for the app page.
pub struct AssignmentRow {
    pub a: AppAssignment,
    pub status: AssignmentStatus,
}

#[derive(Template)]
#[template(path = "app.html")]
pub struct AppPage {
    pub ctx: Ctx,
    pub title: String,
    pub app: App,
    pub assignments: Vec<AssignmentRow>,
    pub platforms: Vec<&'static str>,
    pub kinds: Vec<&'static str>,
}

/// `GET /apps/{id}`: versions, assignments and the forms to add both.
pub async fn app(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let status = match crate::apps::app_status(State(state), Path(id)).await {
        Ok(Json(s)) => s,
        Err(e) => return error_page(ctx, e.0),
    };
    let assignments = status
        .assignments
        .into_iter()
        .map(|s| AssignmentRow {
            a: s.assignment.clone(),
            status: s,
        })
        .collect();
    let p = AppPage {
        title: status.app.name.clone(),
        ctx,
        app: status.app,
        assignments,
        platforms: steward_proto::Platform::ALL
            .iter()
            .map(|p| p.as_str())
            .collect(),
        kinds: ["apt", "msi", "win32", "pkg", "store"].to_vec(),
    };
    page(StatusCode::OK, &p)
}

/// `POST /apps/{id}/versions`: a version named (apt sources, installers, stores).
pub async fn add_version(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let b = AppVersionBody {
        version: f.get("version").unwrap_or_default(),
        platform: f.get("platform").unwrap_or_default(),
        kind: f.get("kind").unwrap_or_default(),
        package: f.get("package").unwrap_or_default(),
        arch: f.get("arch").unwrap_or_default(),
    };
    let r = crate::apps::add_version(State(state), ctx.caller.clone(), Path(id), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /apps/{id}/delete`
pub async fn delete_app(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    match crate::apps::delete_app(State(state), ctx.caller.clone(), Path(id)).await {
        Ok(_) => super::redirect_htmx("/apps"),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

/// Waves typed as "10, 50, 100" (shares) or group names.
fn parse_waves(text: &str) -> Vec<Wave> {
    text.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| match w.trim_end_matches('%').parse::<u8>() {
            Ok(p) => Wave {
                percent: Some(p),
                group: None,
            },
            Err(_) => Wave {
                percent: None,
                group: Some(w.to_string()),
            },
        })
        .collect()
}

/// A date (`YYYY-MM-DD`) and time (`HH:MM`) in the reader's time zone, as RFC 3339.
fn local_time(ctx: &Ctx, date: &str, time: &str) -> Option<String> {
    if date.is_empty() {
        return None;
    }
    let time = if time.is_empty() { "00:00" } else { time };
    Some(
        ctx.zone
            .parse_local(&format!("{date}T{time}"))
            .map(steward_core::time::to_rfc3339)
            .unwrap_or_else(|| format!("{date}T{time}")),
    )
}

/// `POST /apps/{id}/assign`
pub async fn assign(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(_id): Path<String>,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let pct = |k: &str| f.get(k).and_then(|v| v.trim().parse::<u8>().ok());
    let b = AssignmentBody {
        version_id: f.get("version_id").unwrap_or_default(),
        intent: f.get("intent").unwrap_or_default(),
        group: f.get("group").filter(|g| !g.trim().is_empty()),
        start_at: local_time(
            &ctx,
            &f.get("start_date").unwrap_or_default(),
            &f.get("start_time").unwrap_or_default(),
        ),
        deadline_at: local_time(
            &ctx,
            &f.get("deadline_date").unwrap_or_default(),
            &f.get("deadline_time").unwrap_or_default(),
        ),
        waves: parse_waves(&f.get("waves").unwrap_or_default()),
        gate_percent: pct("gate_percent"),
        target_percent: pct("target_percent"),
        failure_percent: pct("failure_percent"),
    };
    let r = crate::apps::create_assignment(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

#[derive(Template)]
#[template(path = "app_assignment.html")]
pub struct AssignmentPage {
    pub ctx: Ctx,
    pub title: String,
    pub s: AssignmentStatus,
    pub errors: Vec<ErrorRow>,
    pub targets: Vec<AppTarget>,
    pub filter: String,
    pub next: Option<String>,
    pub versions: Vec<(String, String)>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct TargetFilter {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `GET /apps/assignments/{id}`: counts by state, error and wave; the devices, filtered.
pub async fn assignment(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    Query(q): Query<TargetFilter>,
) -> Response {
    let s = match crate::apps::get_assignment(State(state.clone()), Path(id.clone())).await {
        Ok(Json(s)) => s,
        Err(e) => return error_page(ctx, e.0),
    };
    let filter = q
        .state
        .filter(|s| steward_core::apps::InstallState::parse(s).is_some())
        .unwrap_or_default();
    let query = crate::apps::TargetQuery {
        state: (!filter.is_empty()).then(|| filter.clone()),
        cursor: q.cursor.filter(|c| !c.is_empty()),
        limit: Some("100".into()),
        ..Default::default()
    };
    let (targets, next) = match crate::apps::assignment_devices(
        State(state.clone()),
        ctx.caller.clone(),
        Path(id),
        Ok(Query(query)),
    )
    .await
    {
        Ok(Json(p)) => (p.items, p.next_cursor),
        Err(e) => return error_page(ctx, e.0),
    };
    let links = state.kb.links();
    let errors = s
        .errors
        .iter()
        .map(|e| ErrorRow {
            text: ctx.failure(&e.name),
            article: links
                .iter()
                .find(|l| l.covers_code(&e.name))
                .map(|l| (l.id.clone(), l.title(ctx.lang).to_string())),
            code: e.name.clone(),
            count: e.count,
        })
        .collect();
    let versions = state
        .store
        .catalog()
        .app(&s.assignment.app_id)
        .map(|a| {
            a.versions
                .iter()
                .filter(|v| v.platform == s.assignment.platform)
                .map(|v| (v.id.clone(), v.version.clone()))
                .collect()
        })
        .unwrap_or_default();
    let p = AssignmentPage {
        title: format!("{} {}", s.assignment.app_name, s.assignment.version),
        ctx,
        s,
        errors,
        targets,
        filter,
        next,
        versions,
    };
    page(StatusCode::OK, &p)
}

/// `POST /apps/assignments/{id}/{action}`: pause, resume, retry (every failed device),
/// version (another version), delete.
pub async fn assignment_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
    body: String,
) -> Response {
    let caller = ctx.caller.clone();
    let path = Path(id.clone());
    match action.as_str() {
        "pause" => done(&ctx, crate::apps::pause(State(state), caller, path).await),
        "resume" => done(&ctx, crate::apps::resume(State(state), caller, path).await),
        "retry" => done(
            &ctx,
            crate::apps::retry_failed(State(state), caller, path).await,
        ),
        "version" => {
            let version_id = FormFields::parse(&body)
                .get("version_id")
                .unwrap_or_default();
            let b = crate::apps::VersionBody { version_id };
            done(
                &ctx,
                crate::apps::set_version(State(state), caller, path, JsonBody(b)).await,
            )
        }
        "delete" => {
            let app_id = state
                .store
                .catalog()
                .assignment(&id)
                .map(|a| a.app_id.clone())
                .unwrap_or_default();
            match crate::apps::delete_assignment(State(state), caller, path).await {
                Ok(_) => super::redirect_htmx(&format!("/apps/{app_id}")),
                Err(e) => flash_error(ctx.lang, e.0),
            }
        }
        _ => flash_error(ctx.lang, steward_proto::ErrorCode::NotFound),
    }
}

/// `POST /apps/assignments/{id}/devices/{device_id}/retry`: the help desk's "retry install".
pub async fn retry_device(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, device_id)): Path<(String, String)>,
) -> Response {
    match crate::apps::retry_one(&state, &ctx.caller, &id, &device_id).await {
        Ok(()) => super::flash("notice", &ctx.t("apps-retry-queued")),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}
