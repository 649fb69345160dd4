//! Dashboard, devices, enrollments and alerts pages.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use steward_core::policy::Permission;
use steward_proto::{DeviceDetail, DeviceSummary, EnrollmentAttempt, ErrorCode, FleetSummary};
use steward_store::alerts::{Alert, AlertDetail};

use super::{
    bar_chart, error_page, flash_error, lang_headers, page, refresh, require, urlencode, Bar,
    Console, Ctx, FormFields,
};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::AppState;

type Q = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// A page's filters as the API takes them: an empty form field is no filter.
fn query(map: &HashMap<String, String>) -> Q {
    Ok(Query(
        map.iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    ))
}

// ---- dashboard ----

pub struct Tile {
    pub title: String,
    /// The tile's main figure and what it counts.
    pub big: String,
    pub caption: String,
    pub big_href: String,
    pub chart: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub ctx: Ctx,
    pub title: String,
    pub as_of: String,
    pub tiles: Vec<Tile>,
}

fn bars(
    ctx: &Ctx,
    counts: &BTreeMap<String, u64>,
    order: &[&str],
    href: &dyn Fn(&str) -> String,
) -> Vec<Bar> {
    let mut keys: Vec<&str> = order.to_vec();
    for k in counts.keys() {
        if !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|k| Bar {
            label: ctx.label(k),
            value: counts.get(k).copied().unwrap_or(0),
            href: href(k),
            tone: ctx.tone(k),
        })
        .collect()
}

/// `GET /`: the fleet at a glance; every number links to the list it counts.
pub async fn dashboard(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let mut ctx = ctx;
    ctx.section = "dashboard";
    if !ctx.can("read_devices") {
        // Stakeholders (read-only) see the alert counts only.
        return dashboard_page(&state, ctx, None).await;
    }
    let summary = match crate::fleet::counts(&state).await {
        Ok((at, counts)) => crate::fleet::summarize(&ctx.caller, at, &counts),
        Err(e) => return error_page(ctx, e.0),
    };
    dashboard_page(&state, ctx, Some(summary)).await
}

async fn dashboard_page(state: &AppState, ctx: Ctx, s: Option<FleetSummary>) -> Response {
    let lang = ctx.lang;
    let mut tiles = Vec::new();
    let now = state.clock.now_ms();
    let mut as_of = String::new();
    if let Some(s) = &s {
        as_of = ctx.when(&s.as_of);
        let platforms: Vec<&str> = s.by_platform.keys().map(String::as_str).collect();
        let title = ctx.t("dash-devices");
        tiles.push(Tile {
            big: ctx.num(&s.total),
            caption: ctx.t("dash-devices-caption"),
            big_href: "/devices".into(),
            chart: bar_chart(
                lang,
                &title,
                &bars(&ctx, &s.by_platform, &platforms, &|k| {
                    format!("/devices?platform={k}")
                }),
            ),
            title,
        });
        let fresh_href = |k: &str| {
            let day = steward_core::time::to_rfc3339(now - 86_400_000);
            let week = steward_core::time::to_rfc3339(now - 7 * 86_400_000);
            match k {
                "last_24h" => format!("/devices?last_seen_after={}", urlencode(&day)),
                "last_7d" => format!(
                    "/devices?last_seen_after={}&last_seen_before={}",
                    urlencode(&week),
                    urlencode(&day)
                ),
                _ => format!("/devices?last_seen_before={}", urlencode(&week)),
            }
        };
        let title = ctx.t("dash-checkins");
        tiles.push(Tile {
            big: ctx.num(&s.by_checkin.get("last_24h").copied().unwrap_or(0)),
            caption: ctx.t("dash-checkins-caption"),
            big_href: fresh_href("last_24h"),
            chart: bar_chart(
                lang,
                &title,
                &bars(
                    &ctx,
                    &s.by_checkin,
                    &["last_24h", "last_7d", "older"],
                    &fresh_href,
                ),
            ),
            title,
        });
        let title = ctx.t("dash-protection");
        let malware = s.by_health.get("active_threat").copied().unwrap_or(0);
        tiles.push(Tile {
            big: ctx.num(&malware),
            caption: ctx.t("dash-malware"),
            big_href: "/devices?health=active_threat".into(),
            chart: bar_chart(
                lang,
                &title,
                &bars(
                    &ctx,
                    &s.by_health,
                    &[
                        "protected",
                        "at_risk",
                        "active_threat",
                        "unprotected",
                        "unknown",
                    ],
                    &|k| format!("/devices?health={k}"),
                ),
            ),
            title,
        });
        let title = ctx.t("dash-compliance");
        let noncompliant = s.by_compliance.get("noncompliant").copied().unwrap_or(0);
        tiles.push(Tile {
            big: ctx.num(&noncompliant),
            caption: ctx.t("dash-noncompliant"),
            big_href: "/devices?compliance=noncompliant".into(),
            chart: bar_chart(
                lang,
                &title,
                &bars(
                    &ctx,
                    &s.by_compliance,
                    &[
                        "compliant",
                        "in_grace",
                        "noncompliant",
                        "not_evaluated",
                        "error",
                    ],
                    &|k| format!("/devices?compliance={k}"),
                ),
            ),
            title,
        });
    }
    let open = state
        .store
        .open_alert_counts(&ctx.caller.groups)
        .await
        .unwrap_or_default();
    let total_open: u64 = open.values().sum();
    let title = ctx.t("dash-alerts");
    tiles.push(Tile {
        big: ctx.num(&total_open),
        caption: ctx.t("dash-open-alerts"),
        big_href: "/alerts?state=firing".into(),
        chart: bar_chart(
            lang,
            &title,
            &bars(
                &ctx,
                &open,
                &["critical", "warning", "informational"],
                &|k| format!("/alerts?severity={k}&state=firing"),
            ),
        ),
        title,
    });
    if ctx.can("read_devices") {
        let days = state
            .store
            .enrollments_by_day(now, 7, &ctx.caller.groups)
            .await
            .unwrap_or_default();
        let title = ctx.t("dash-enrollments");
        let (ok, failed) = days.iter().fold((0, 0), |(o, f), (_, s, x)| (o + s, f + x));
        let chart_days: Vec<super::Day> = days
            .iter()
            .map(|(day, s, f)| super::Day {
                label: steward_core::i18n::format_date(lang, *day),
                ok: *s,
                failed: *f,
            })
            .collect();
        tiles.push(Tile {
            big: format!("{} / {}", ctx.num(&ok), ctx.num(&failed)),
            caption: ctx.t("dash-enroll-totals"),
            big_href: "/enrollments".into(),
            chart: super::day_chart(
                lang,
                &title,
                &ctx.label("success"),
                &ctx.label("failed"),
                &chart_days,
            ),
            title,
        });
    }
    let p = DashboardPage {
        title: ctx.t("nav-dashboard"),
        ctx,
        as_of,
        tiles,
    };
    page(StatusCode::OK, &p)
}

// ---- devices ----

#[derive(Template)]
#[template(path = "devices.html")]
pub struct DevicesPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<DeviceSummary>,
    pub f: HashMap<String, String>,
    pub next: Option<String>,
    pub csv: String,
    pub error: String,
}

impl DevicesPage {
    pub fn f(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }

    pub fn sel(&self, k: &str, v: &str) -> bool {
        self.f.get(k).is_some_and(|x| x == v)
    }
}

const DEVICE_FILTERS: [&str; 9] = [
    "q",
    "platform",
    "health",
    "compliance",
    "group",
    "os_version",
    "last_seen_before",
    "last_seen_after",
    "sort",
];

fn kept_query(f: &HashMap<String, String>, keys: &[&str]) -> String {
    keys.iter()
        .filter_map(|k| {
            f.get(*k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", urlencode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `GET /devices`: the API's device list with the same filters, sorting and cursor.
pub async fn devices(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(mut f): Query<HashMap<String, String>>,
) -> Response {
    let ctx = ctx_or_return!(ctx, Permission::ReadDevices, "devices");
    f.retain(|_, v| !v.is_empty());
    let kept = kept_query(&f, &DEVICE_FILTERS);
    let (items, next, error) =
        match crate::api::list_devices(State(state.clone()), ctx.caller.clone(), query(&f)).await {
            Ok(Json(p)) => (
                p.items,
                p.next_cursor
                    .map(|c| format!("/devices?{kept}&cursor={}", urlencode(&c))),
                String::new(),
            ),
            Err(e) => (
                Vec::new(),
                None,
                steward_core::i18n::error_message(ctx.lang, e.0),
            ),
        };
    let p = DevicesPage {
        title: ctx.t("nav-devices"),
        csv: format!("/devices.csv?{kept}"),
        ctx,
        items,
        f,
        next,
        error,
    };
    page(StatusCode::OK, &p)
}

/// `GET /devices.csv`: every device matching the filters, streamed page by page.
pub async fn devices_csv(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(mut f): Query<HashMap<String, String>>,
) -> Response {
    let ctx = ctx_or_return!(ctx, Permission::ReadDevices, "devices");
    f.retain(|k, v| !v.is_empty() && DEVICE_FILTERS.contains(&k.as_str()));
    f.insert("limit".into(), "1000".into());
    // Check the filters before the download starts.
    if let Err(e) =
        crate::api::list_devices(State(state.clone()), ctx.caller.clone(), query(&f)).await
    {
        return error_page(ctx, e.0);
    }
    let header_row = "id,name,platform,os_name,os_version,serial,owner,group,health_state,\
                      compliance_state,last_seen_at,enrolled_at\n";
    let caller = ctx.caller.clone();
    let stream = futures::stream::unfold((Some(f), true), move |(f, first)| {
        let state = state.clone();
        let caller = caller.clone();
        async move {
            if first {
                return Some((Ok::<_, std::io::Error>(header_row.to_string()), (f, false)));
            }
            let mut f = f?;
            let page = crate::api::list_devices(State(state), caller, query(&f)).await;
            let Ok(Json(page)) = page else {
                return None;
            };
            let mut w = csv::Writer::from_writer(Vec::new());
            for d in &page.items {
                let cells = [
                    d.id.as_str(),
                    &d.name,
                    d.platform.as_str(),
                    &d.os_name,
                    &d.os_version,
                    &d.serial,
                    &d.owner,
                    d.group.as_deref().unwrap_or(""),
                    &d.health_state,
                    &d.compliance_state,
                    &d.last_seen_at,
                    &d.enrolled_at,
                ];
                let _ =
                    w.write_record(cells.map(|c| steward_proto::text::csv_cell(c).into_owned()));
            }
            let text = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
            let next = page.next_cursor.map(|c| {
                f.insert("cursor".into(), c);
                f
            });
            Some((Ok(text), (next, false)))
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"devices.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "device.html")]
pub struct DevicePage {
    pub ctx: Ctx,
    pub title: String,
    pub d: DeviceDetail,
    pub health_reasons: Vec<String>,
    pub inventory: Vec<(String, String)>,
    pub rules: Vec<RuleRow>,
    /// "3 of 4 applicable rules pass", and how many do not apply, when any.
    pub rules_tally: String,
    pub rules_not_applicable: String,
    pub alerts: Vec<Alert>,
    pub history: Vec<(String, String, String)>,
}

pub struct RuleRow {
    pub rule: String,
    pub outcome: String,
    pub detail: String,
}

fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `GET /devices/{id}`.
pub async fn device(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let ctx = ctx_or_return!(ctx, Permission::ReadDevices, "devices");
    let d = match crate::api::get_device(State(state.clone()), ctx.caller.clone(), Path(id.clone()))
        .await
    {
        Ok(Json(d)) => d,
        Err(e) => return error_page(ctx, e.0),
    };
    let health_reasons = d
        .health
        .as_ref()
        .map(|h| h.reasons.iter().map(|r| health_reason(&ctx, r)).collect())
        .unwrap_or_default();
    let inventory = d
        .inventory
        .as_ref()
        .and_then(|v| v.as_object())
        .map(|m| m.iter().map(|(k, v)| (k.clone(), compact(v))).collect())
        .unwrap_or_default();
    let results = d
        .compliance_results
        .clone()
        .and_then(|v| serde_json::from_value::<Vec<steward_core::compliance::RuleResult>>(v).ok());
    let tally = results
        .as_deref()
        .map(steward_core::compliance::Tally::of)
        .unwrap_or_default();
    let (rules_tally, rules_not_applicable) = tally_text(&ctx, &tally);
    let rules = results
        .map(|list| {
            use steward_core::compliance::RuleOutcome;
            list.iter()
                .map(|r| {
                    let (outcome, detail) = match &r.outcome {
                        RuleOutcome::Pass => ("pass", String::new()),
                        RuleOutcome::Fail { detail } => ("fail", detail.clone()),
                        RuleOutcome::Unknown { missing } => ("unknown", missing.clone()),
                        RuleOutcome::NotApplicable => ("not_applicable", String::new()),
                    };
                    RuleRow {
                        rule: rule_text(&ctx, &r.rule),
                        outcome: outcome.into(),
                        detail,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let history = d
        .history
        .iter()
        .map(|e| {
            let (kind, detail) = history_entry(&ctx, &e.kind, &e.detail);
            (ctx.when(&e.at), kind, detail)
        })
        .collect();
    let q: HashMap<String, String> =
        [("device".to_string(), id), ("limit".into(), "50".into())].into();
    let alerts = match crate::alerts::list_alerts(
        State(state.clone()),
        ctx.caller.clone(),
        lang_headers(&ctx),
        query(&q),
    )
    .await
    {
        Ok(Json(p)) => p.items,
        Err(_) => Vec::new(),
    };
    let p = DevicePage {
        title: d.summary.name.clone(),
        ctx,
        d,
        health_reasons,
        inventory,
        rules,
        rules_tally,
        rules_not_applicable,
        alerts,
        history,
    };
    page(StatusCode::OK, &p)
}

/// "3 of 4 applicable rules pass" and "1 rule does not apply", each empty when there is
/// nothing to say.
fn tally_text(ctx: &Ctx, t: &steward_core::compliance::Tally) -> (String, String) {
    use steward_core::i18n::t_counts;
    let applicable = if t.applicable() > 0 {
        t_counts(
            ctx.lang,
            "device-rules-tally",
            &[
                ("pass", t.pass as u64),
                ("applicable", t.applicable() as u64),
            ],
        )
    } else {
        String::new()
    };
    let not_applicable = if t.not_applicable > 0 {
        t_counts(
            ctx.lang,
            "device-rules-not-applicable",
            &[("count", t.not_applicable as u64)],
        )
    } else {
        String::new()
    };
    (applicable, not_applicable)
}

/// Why a device has its health state, in words.
fn health_reason(ctx: &Ctx, r: &steward_proto::HealthReason) -> String {
    use steward_proto::HealthReason::*;
    match r {
        NotReported => ctx.t("health-not-reported"),
        NoEngine => ctx.t("health-no-engine"),
        MalwareProtectionOff => ctx.t("health-malware-off"),
        ActiveThreat { threats } => ctx.t1("health-active-threat", "count", &threats.to_string()),
        RealtimeProtectionOff => ctx.t("alert-reason-realtime-off"),
        SignaturesOutdated { age_days } => {
            ctx.t1("alert-reason-signatures-old", "days", &age_days.to_string())
        }
        ScanOverdue {
            days_since_scan: Some(d),
        } => ctx.t1("alert-reason-scan-overdue", "days", &d.to_string()),
        ScanOverdue {
            days_since_scan: None,
        } => ctx.t("alert-reason-never-scanned"),
        PendingAction { .. } => ctx.t("health-pending-action"),
        RealtimeProtectionUnknown => ctx.t("health-realtime-unknown"),
        SignatureAgeUnknown => ctx.t("health-signature-age-unknown"),
    }
}

/// A compliance rule in words.
fn rule_text(ctx: &Ctx, r: &steward_core::compliance::Rule) -> String {
    use steward_core::compliance::Rule::*;
    match r {
        MinOsVersion { platform, version } => steward_core::t_args(
            ctx.lang,
            "rule-min-os-version",
            &[
                ("platform", ctx.label(platform.as_str())),
                ("version", version.clone()),
            ],
        ),
        ProtectionRequired => ctx.t("rule-protection-required"),
        RealtimeProtectionRequired => ctx.t("rule-realtime-required"),
        SignaturesMaxAgeDays { days } => {
            ctx.t1("rule-signatures-max-age", "days", &days.to_string())
        }
        NoActiveThreats => ctx.t("rule-no-active-threats"),
        FirewallRequired => ctx.t("rule-firewall"),
        DiskEncryptionRequired => ctx.t("rule-disk-encryption"),
        CheckedInWithinDays { days } => ctx.t1("rule-checked-in-within", "days", &days.to_string()),
    }
}

// ---- enrollments ----

#[derive(Template)]
#[template(path = "enrollments.html")]
pub struct EnrollmentsPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<EnrollmentAttempt>,
    pub result: String,
    pub next: Option<String>,
    /// Per failure reason on the page, the article that fixes it (for the help desk).
    pub fixes: HashMap<String, crate::kb::Explained>,
}

/// `GET /enrollments?result=success|failed|<reason>`: enrollment attempts, newest first.
pub async fn enrollments(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(mut f): Query<HashMap<String, String>>,
) -> Response {
    let ctx = ctx_or_return!(ctx, Permission::ReadDevices, "dashboard");
    let result = f.get("result").cloned().unwrap_or_default();
    if result.is_empty() {
        f.remove("result");
    }
    f.insert("limit".into(), "200".into());
    let page_data =
        crate::api::list_enrollment_attempts(State(state.clone()), ctx.caller.clone(), query(&f))
            .await;
    let (items, next) = match page_data {
        Ok(Json(p)) => (
            p.items,
            p.next_cursor
                .map(|c| format!("/enrollments?result={result}&cursor={c}")),
        ),
        Err(e) => return error_page(ctx, e.0),
    };
    let mut fixes = HashMap::new();
    if ctx.can("assist_users") {
        let links = state.kb.links();
        for a in items.iter().filter(|a| a.result != "success") {
            if !fixes.contains_key(&a.result) {
                let e = crate::kb::explain(&a.result, &links, ctx.lang);
                fixes.insert(a.result.clone(), e);
            }
        }
    }
    let p = EnrollmentsPage {
        title: ctx.t("nav-enrollments"),
        ctx,
        items,
        result,
        next,
        fixes,
    };
    page(StatusCode::OK, &p)
}

// ---- alerts ----

#[derive(Template)]
#[template(path = "alerts.html")]
pub struct AlertsPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<Alert>,
    pub f: HashMap<String, String>,
    pub rules: Vec<(String, String)>,
    pub next: Option<String>,
    pub error: String,
}

impl AlertsPage {
    pub fn sel(&self, k: &str, v: &str) -> bool {
        self.f.get(k).is_some_and(|x| x == v)
    }
}

/// `GET /alerts`: the triage list, with bulk acknowledgement.
pub async fn alerts(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(mut f): Query<HashMap<String, String>>,
) -> Response {
    let ctx = ctx_or_return!(ctx, Permission::ReadDevices, "alerts");
    f.retain(|_, v| !v.is_empty());
    let kept = kept_query(&f, &["state", "severity", "rule", "device"]);
    let (items, next, error) = match crate::alerts::list_alerts(
        State(state.clone()),
        ctx.caller.clone(),
        lang_headers(&ctx),
        query(&f),
    )
    .await
    {
        Ok(Json(p)) => (
            p.items,
            p.next_cursor
                .map(|c| format!("/alerts?{kept}&cursor={}", urlencode(&c))),
            String::new(),
        ),
        Err(e) => (
            Vec::new(),
            None,
            steward_core::i18n::error_message(ctx.lang, e.0),
        ),
    };
    let rules = state
        .store
        .alert_rules()
        .iter()
        .map(|r| (r.id.clone(), r.name.clone()))
        .collect();
    let p = AlertsPage {
        title: ctx.t("nav-alerts"),
        ctx,
        items,
        f,
        rules,
        next,
        error,
    };
    page(StatusCode::OK, &p)
}

/// `POST /alerts/acknowledge`: acknowledges every checked firing alert.
pub async fn bulk_acknowledge(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    allowed_or_flash!(ctx, Permission::ManageDevices);
    let f = FormFields::parse(&body);
    let ids = f.all("id");
    if ids.is_empty() || ids.len() > 1000 {
        return flash_error(ctx.lang, ErrorCode::InvalidField);
    }
    for id in ids {
        let r = crate::alerts::acknowledge(
            State(state.clone()),
            ctx.caller.clone(),
            HeaderMap::new(),
            Path(id),
            JsonBody(crate::alerts::ActionBody::default()),
        )
        .await;
        // Alerts acknowledged or resolved meanwhile are skipped, not errors.
        if let Err(ApiError(code)) = r {
            if code != ErrorCode::Conflict {
                return flash_error(ctx.lang, code);
            }
        }
    }
    refresh()
}

#[derive(Template)]
#[template(path = "alert.html")]
pub struct AlertPage {
    pub ctx: Ctx,
    pub title: String,
    pub a: AlertDetail,
    pub history: Vec<(String, String, String, String)>,
    /// The troubleshooting article for the alert's rule: id and title.
    pub article: Option<(String, String)>,
}

/// `GET /alerts/{id}`: one alert, its history, and what can be done with it.
pub async fn alert(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let ctx = ctx_or_return!(ctx, Permission::ReadDevices, "alerts");
    let a = match crate::alerts::get_alert(
        State(state.clone()),
        ctx.caller.clone(),
        lang_headers(&ctx),
        Path(id),
    )
    .await
    {
        Ok(Json(a)) => a,
        Err(e) => return error_page(ctx, e.0),
    };
    let history = a
        .history
        .iter()
        .map(|e| {
            let detail = e
                .detail
                .get("comment")
                .map(compact)
                .or_else(|| e.detail.get("assignee").map(compact))
                .unwrap_or_default();
            (
                ctx.when(&e.at),
                event_label(&ctx, &e.kind),
                e.actor.clone(),
                detail,
            )
        })
        .collect();
    let article = if ctx.can("assist_users") {
        let links = state.kb.links();
        crate::helpdesk::rule_article(&state, &links, &a.alert.rule_id)
            .map(|x| (x.id.clone(), x.title(ctx.lang).to_string()))
    } else {
        None
    };
    let p = AlertPage {
        title: a.alert.summary.clone(),
        ctx,
        a,
        history,
        article,
    };
    page(StatusCode::OK, &p)
}

/// A device history entry in words: what happened, and its detail (a note's text, a
/// request and who asked, a device's answer; the recorded values otherwise).
fn history_entry(ctx: &Ctx, kind: &str, detail: &serde_json::Value) -> (String, String) {
    use super::helpdesk::{answer_key, request_key};
    let text = |k: &str| detail[k].as_str().unwrap_or("").to_string();
    let label = ctx.t(match kind {
        "enrolled" => "history-enrolled",
        "renamed" => "history-renamed",
        "os_changed" => "history-os-changed",
        "protection_changed" => "history-protection-changed",
        "compliance_changed" => "history-compliance-changed",
        "inventory_changed" => "history-inventory-changed",
        "secret_rotated" => "history-secret-rotated",
        "retired" => "history-retired",
        "note" => "history-note",
        "request" => "history-request",
        "request_answered" => "history-request-answered",
        "snapshot_set_aside" => "history-snapshot-set-aside",
        _ => "state-other",
    });
    let detail = match kind {
        "note" => format!("{}: {}", text("by"), text("text")),
        "request" => format!("{} · {}", ctx.t(request_key(&text("kind"))), text("by")),
        "request_answered" => {
            let answer = ctx.t(answer_key(detail["code"].as_str()));
            match detail["message"].as_str() {
                Some(m) => format!("{answer}: {m}"),
                None => answer,
            }
        }
        "snapshot_set_aside" => {
            let reason = [
                detail["status"]
                    .as_u64()
                    .filter(|n| *n > 0)
                    .map(|n| n.to_string()),
                detail["code"].as_str().map(str::to_string),
                detail["message"].as_str().map(str::to_string),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            steward_core::i18n::t_args_counts(
                ctx.lang,
                "history-snapshot-set-aside-detail",
                &[("seq", detail["seq"].to_string()), ("reason", reason)],
                &[("attempts", detail["attempts"].as_u64().unwrap_or(1))],
            )
        }
        _ => compact(detail),
    };
    (label, detail)
}

fn event_label(ctx: &Ctx, kind: &str) -> String {
    ctx.t(match kind {
        "fired" => "event-fired",
        "acknowledged" => "event-acknowledged",
        "resolved" => "event-resolved",
        "reopened" => "event-reopened",
        "commented" => "event-commented",
        "assigned" => "event-assigned",
        "escalated" => "event-escalated",
        _ => "state-other",
    })
}

/// `POST /alerts/{id}/acknowledge|resolve|comment|assign`.
pub async fn alert_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
    body: String,
) -> Response {
    // Changing alerts is for operators and administrators, as in the API.
    allowed_or_flash!(ctx, Permission::ManageDevices);
    let f = FormFields::parse(&body);
    let st = State(state.clone());
    let caller = ctx.caller.clone();
    let text = f.get("text").unwrap_or_default();
    let result = match action.as_str() {
        "acknowledge" | "resolve" => {
            let b = crate::alerts::ActionBody { comment: text };
            let r = if action == "acknowledge" {
                crate::alerts::acknowledge(st, caller, HeaderMap::new(), Path(id), JsonBody(b))
                    .await
            } else {
                crate::alerts::resolve(st, caller, HeaderMap::new(), Path(id), JsonBody(b)).await
            };
            r.map(|_| ())
        }
        "comment" => {
            let b = crate::alerts::CommentBody { text };
            crate::alerts::comment(st, caller, HeaderMap::new(), Path(id), JsonBody(b))
                .await
                .map(|_| ())
        }
        "assign" => {
            let b = crate::alerts::AssignBody {
                assignee: f.get("assignee"),
            };
            crate::alerts::assign(st, caller, HeaderMap::new(), Path(id), JsonBody(b))
                .await
                .map(|_| ())
        }
        _ => Err(ApiError(ErrorCode::NotFound)),
    };
    match result {
        Ok(()) => refresh(),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}
