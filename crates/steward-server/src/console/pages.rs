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
    bar_chart, error_page, flash_error, lang_headers, page, refresh, urlencode, Bar, Console, Ctx,
    FormFields,
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
    if !ctx.can("read_reports") {
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
    // A reader who may not open device or alert lists (a stakeholder) follows a figure to the
    // report's list of it by device group.
    let lists = ctx.can("read_devices");
    let to = |admin: String, metric: &str| -> String {
        if lists {
            admin
        } else {
            format!("/reports/devices/groups?metric={}", urlencode(metric))
        }
    };
    if let Some(s) = &s {
        as_of = ctx.when(&s.as_of);
        let platforms: Vec<&str> = s.by_platform.keys().map(String::as_str).collect();
        let title = ctx.t("dash-devices");
        tiles.push(Tile {
            big: ctx.num(&s.total),
            caption: ctx.t_counts("dash-devices-caption", &[("count", s.total)]),
            big_href: to("/devices".into(), "total"),
            chart: bar_chart(
                lang,
                &title,
                &bars(&ctx, &s.by_platform, &platforms, &|k| {
                    to(format!("/devices?platform={k}"), &format!("platform:{k}"))
                }),
            ),
            title,
        });
        let fresh_href = |k: &str| {
            if !lists {
                return to(String::new(), &format!("checkin:{k}"));
            }
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
            caption: ctx.t_counts(
                "dash-checkins-caption",
                &[("count", s.by_checkin.get("last_24h").copied().unwrap_or(0))],
            ),
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
            caption: ctx.t_counts("dash-malware", &[("count", malware)]),
            big_href: to(
                "/devices?health=active_threat".into(),
                "health:active_threat",
            ),
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
                    &|k| to(format!("/devices?health={k}"), &format!("health:{k}")),
                ),
            ),
            title,
        });
        let title = ctx.t("dash-compliance");
        let noncompliant = s.by_compliance.get("noncompliant").copied().unwrap_or(0);
        tiles.push(Tile {
            big: ctx.num(&noncompliant),
            caption: ctx.t_counts("dash-noncompliant", &[("count", noncompliant)]),
            big_href: to(
                "/devices?compliance=noncompliant".into(),
                "compliance:noncompliant",
            ),
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
                    &|k| {
                        to(
                            format!("/devices?compliance={k}"),
                            &format!("compliance:{k}"),
                        )
                    },
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
        caption: ctx.t_counts("dash-open-alerts", &[("count", total_open)]),
        big_href: if lists {
            "/alerts?state=firing".into()
        } else {
            "/reports?days=7#section-alerts".into()
        },
        chart: bar_chart(
            lang,
            &title,
            &bars(
                &ctx,
                &open,
                &["critical", "warning", "informational"],
                &|k| {
                    if lists {
                        format!("/alerts?severity={k}&state=firing")
                    } else {
                        "/reports?days=7#section-alerts".into()
                    }
                },
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
                // The days are counted in UTC, so they are named in UTC.
                label: steward_core::i18n::Zone::default().date(lang, *day),
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
    /// How many devices match, when the fleet counts answer it without a query.
    pub total: Option<String>,
}

/// The columns of the device list a reader may show or hide, and those shown by default.
pub const DEVICE_COLUMNS: [&str; 9] = [
    "platform",
    "os",
    "owner",
    "serial",
    "group",
    "health",
    "compliance",
    "last_seen",
    "enrolled",
];
const DEFAULT_COLUMNS: [&str; 7] = [
    "platform",
    "os",
    "owner",
    "group",
    "health",
    "compliance",
    "last_seen",
];

impl DevicesPage {
    pub fn f(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }

    pub fn columns(&self) -> &'static [&'static str] {
        &DEVICE_COLUMNS
    }

    /// Whether a column is shown: the reader's choice (`cols=`), else the default set.
    pub fn shows(&self, col: &str) -> bool {
        match self.f.get("cols") {
            Some(c) => c.split(',').any(|x| x == col),
            None => DEFAULT_COLUMNS.contains(&col),
        }
    }

    pub fn column_label(&self, col: &str) -> String {
        self.ctx.t(match col {
            "platform" => "devices-platform",
            "os" => "devices-os",
            "owner" => "devices-owner",
            "serial" => "device-serial",
            "group" => "devices-group",
            "health" => "devices-health",
            "compliance" => "devices-compliance",
            "last_seen" => "devices-last-seen",
            _ => "device-enrolled",
        })
    }

    /// The list sorted by `field`: ascending first, descending when it already is.
    pub fn sort_href(&self, field: &str) -> String {
        let next = if self.f.get("sort").map(String::as_str) == Some(field) {
            format!("-{field}")
        } else {
            field.to_string()
        };
        let mut f = self.f.clone();
        f.remove("cursor");
        f.insert("sort".into(), next);
        format!("/devices?{}", kept_query(&f, &DEVICE_LIST_KEYS))
    }

    /// `selected` for the page size in use (50 unless chosen).
    pub fn size_selected(&self, n: &str) -> &'static str {
        if self.f.get("limit").map_or(n == "50", |l| l == n) {
            "selected"
        } else {
            ""
        }
    }

    /// The sort field of a column, empty for a column the list cannot sort by.
    pub fn sort_field(&self, col: &str) -> &'static str {
        match col {
            "last_seen" => "last_seen_at",
            "enrolled" => "enrolled_at",
            _ => "",
        }
    }

    /// `ascending`, `descending` or `none`, for the column header's `aria-sort`.
    pub fn sorted(&self, field: &str) -> &'static str {
        match self.f.get("sort").map(String::as_str) {
            Some(s) if s == field => "ascending",
            Some(s) if s.strip_prefix('-') == Some(field) => "descending",
            None if field == "name" => "ascending",
            _ => "none",
        }
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

/// What a device list link keeps: the filters, page size and columns.
const DEVICE_LIST_KEYS: [&str; 11] = [
    "q",
    "platform",
    "health",
    "compliance",
    "group",
    "os_version",
    "last_seen_before",
    "last_seen_after",
    "sort",
    "limit",
    "cols",
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
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    f.retain(|_, v| !v.is_empty());
    // The column picker sends one `col` per column shown; links carry them as `cols=a,b`.
    let picked = FormFields::parse(raw.as_deref().unwrap_or("")).all("col");
    f.remove("col");
    if !picked.is_empty() {
        let known: Vec<&str> = picked
            .iter()
            .map(String::as_str)
            .filter(|c| DEVICE_COLUMNS.contains(c))
            .collect();
        f.insert("cols".into(), known.join(","));
    }
    let kept = kept_query(&f, &DEVICE_LIST_KEYS);
    let mut api_query = f.clone();
    api_query.remove("cols");
    let (items, next, error) =
        match crate::api::list_devices(State(state.clone()), ctx.caller.clone(), query(&api_query))
            .await
        {
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
    let total = device_total(&state, &ctx, &f)
        .await
        .map(|n| ctx.t_counts("devices-total", &[("count", n)]));
    let p = DevicesPage {
        title: ctx.t("nav-devices"),
        csv: format!("/devices.csv?{}", kept_query(&f, &DEVICE_FILTERS)),
        ctx,
        items,
        f,
        next,
        error,
        total,
    };
    page(StatusCode::OK, &p)
}

/// How many devices a list shows in all, when the fleet's counts (kept up to date by the
/// writer, read without a query) answer it: no filter, or one platform, health or
/// compliance state alone.
async fn device_total(state: &AppState, ctx: &Ctx, f: &HashMap<String, String>) -> Option<u64> {
    let filters: Vec<&str> = f
        .keys()
        .map(String::as_str)
        .filter(|k| DEVICE_FILTERS.contains(k) && *k != "sort")
        .collect();
    let (_, counts) = crate::fleet::counts(state).await.ok()?;
    let summary = crate::fleet::summarize(&ctx.caller, 0, &counts);
    match filters.as_slice() {
        [] => Some(summary.total),
        ["platform"] => summary
            .by_platform
            .get(f.get("platform")?.as_str())
            .copied()
            .or(Some(0)),
        ["health"] => summary
            .by_health
            .get(f.get("health")?.as_str())
            .copied()
            .or(Some(0)),
        ["compliance"] => summary
            .by_compliance
            .get(f.get("compliance")?.as_str())
            .copied()
            .or(Some(0)),
        _ => None,
    }
}

/// `GET /devices.csv`: every device matching the filters, streamed page by page.
pub async fn devices_csv(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(mut f): Query<HashMap<String, String>>,
) -> Response {
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
    pub disks: Vec<DiskRow>,
    pub rules: Vec<RuleRow>,
    /// "3 of 4 applicable rules pass", and how many do not apply, when any.
    pub rules_tally: String,
    pub rules_not_applicable: String,
    pub alerts: Vec<Alert>,
    pub history: Vec<(String, String, String)>,
    /// Its apps and where each stands.
    pub apps: Vec<steward_proto::apps::AppTarget>,
    /// Its remediations, diagnostics and the scripts the reader may run on it.
    pub rem: super::remediation::DeviceSection,
    /// Lock and wipe are for the other platforms.
    pub linux: bool,
}

pub struct RuleRow {
    pub rule: String,
    pub outcome: String,
    pub detail: String,
}

/// One disk of a device's inventory, in words and units.
pub struct DiskRow {
    pub mount: String,
    pub fs: String,
    pub size: String,
    pub free: String,
}

/// A size in bytes the way people read it: 16 GiB, 512 MiB.
fn bytes(ctx: &Ctx, n: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    if n >= GIB {
        format!("{} GiB", ctx.num(&(n.div_ceil(GIB / 10) / 10)))
    } else {
        format!("{} MiB", ctx.num(&n.div_ceil(MIB)))
    }
}

/// A value of the inventory as text: no JSON shown, an unknown value with its reason.
fn plain(ctx: &Ctx, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::String(s) => ctx.when_or(s),
        Value::Null => ctx.t("state-unknown"),
        Value::Bool(b) => ctx.yes_no(&Some(*b)),
        Value::Number(n) => n
            .as_u64()
            .map(|n| ctx.num(&n))
            .unwrap_or_else(|| n.to_string()),
        Value::Array(a) if a.is_empty() => ctx.t("inventory-empty-list"),
        Value::Array(a) => a
            .iter()
            .map(|x| plain(ctx, x))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(m) => match m.get("unknown").and_then(Value::as_str) {
            Some(why) => ctx.t1("inventory-unknown", "reason", why),
            None => m
                .iter()
                .map(|(k, v)| format!("{k}: {}", plain(ctx, v)))
                .collect::<Vec<_>>()
                .join(" · "),
        },
    }
}

/// A device's inventory as labelled fields with units, and its disks as a table.
fn inventory_view(
    ctx: &Ctx,
    inv: Option<&serde_json::Value>,
) -> (Vec<(String, String)>, Vec<DiskRow>) {
    let Some(m) = inv.and_then(|v| v.as_object()) else {
        return (Vec::new(), Vec::new());
    };
    let mut fields = Vec::new();
    let mut disks = Vec::new();
    for (k, v) in m {
        let label = match k.as_str() {
            "model" => ctx.t("inventory-model"),
            "serial" => ctx.t("device-serial"),
            "cpu_model" => ctx.t("inventory-cpu-model"),
            "cpu_count" => ctx.t("inventory-cpu-count"),
            "memory_bytes" => ctx.t("inventory-memory"),
            "boot_time" => ctx.t("inventory-boot-time"),
            "logged_in_users" => ctx.t("inventory-logged-in"),
            "pending_updates" => ctx.t("inventory-pending-updates"),
            "os_release" => ctx.t("inventory-os-release"),
            "disks" => {
                for d in v.as_array().into_iter().flatten() {
                    let size = d["size_bytes"].as_u64();
                    let free = match (d["free_percent"].as_f64(), d["free_bytes"].as_u64(), size) {
                        (Some(p), _, _) => format!("{} %", p.round()),
                        (None, Some(f), Some(s)) if s > 0 => {
                            format!("{} % ({})", (f * 100 / s), bytes(ctx, f))
                        }
                        _ => d["unknown"]
                            .as_str()
                            .map(|why| ctx.t1("inventory-unknown", "reason", why))
                            .unwrap_or_else(|| ctx.t("state-unknown")),
                    };
                    disks.push(DiskRow {
                        mount: d["mount"].as_str().unwrap_or_default().to_string(),
                        fs: d["fs"].as_str().unwrap_or_default().to_string(),
                        size: size.map(|s| bytes(ctx, s)).unwrap_or_default(),
                        free,
                    });
                }
                continue;
            }
            other => other.to_string(),
        };
        let value = match (k.as_str(), v) {
            ("memory_bytes", serde_json::Value::Number(n)) => {
                n.as_u64().map(|n| bytes(ctx, n)).unwrap_or_default()
            }
            ("pending_updates", v) if v.get("count").is_some() => ctx.t_counts(
                "inventory-updates",
                &[
                    ("count", v["count"].as_u64().unwrap_or(0)),
                    ("security", v["security"].as_u64().unwrap_or(0)),
                ],
            ),
            ("os_release", v) if v.get("PRETTY_NAME").is_some() => plain(ctx, &v["PRETTY_NAME"]),
            _ => plain(ctx, v),
        };
        fields.push((label, value));
    }
    (fields, disks)
}

/// `GET /devices/{id}`.
pub async fn device(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
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
    let (inventory, disks) = inventory_view(&ctx, d.inventory.as_ref());
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
                        RuleOutcome::Fail { detail } => {
                            ("fail", failure_text(&ctx, &r.rule, detail))
                        }
                        RuleOutcome::Unknown { .. } => {
                            ("unknown", ctx.t("compliance-not-reported"))
                        }
                        RuleOutcome::NotApplicable => ("not_applicable", String::new()),
                    };
                    RuleRow {
                        rule: rule_text(ctx.lang, &r.rule),
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
    let id_for_apps = id.clone();
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
    let apps =
        crate::apps::device_apps(State(state.clone()), ctx.caller.clone(), Path(id_for_apps))
            .await
            .map(|Json(a)| a)
            .unwrap_or_default();
    let rem = super::remediation::device_section(&state, &ctx, &d.summary.id).await;
    let p = DevicePage {
        title: d.summary.name.clone(),
        linux: d.summary.platform == steward_proto::Platform::Linux,
        rem,
        ctx,
        d,
        health_reasons,
        inventory,
        disks,
        rules,
        rules_tally,
        rules_not_applicable,
        alerts,
        history,
        apps,
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

/// Why a device fails a compliance rule, in the reader's words (the evaluation records it
/// in English for the API; the numbers in it are kept).
fn failure_text(ctx: &Ctx, rule: &steward_core::compliance::Rule, detail: &str) -> String {
    use steward_core::compliance::Rule::*;
    let number: String = detail.chars().filter(char::is_ascii_digit).collect();
    match rule {
        MinOsVersion { .. } => detail.to_string(),
        ProtectionRequired if detail.starts_with("no ") => ctx.t("health-no-engine"),
        ProtectionRequired => ctx.t("health-malware-off"),
        RealtimeProtectionRequired => ctx.t("alert-reason-realtime-off"),
        SignaturesMaxAgeDays { .. } => ctx.t1("alert-reason-signatures-old", "days", &number),
        NoActiveThreats => ctx.t("condition-active-threat"),
        FirewallRequired => ctx.t("compliance-firewall-off"),
        DiskEncryptionRequired => ctx.t("compliance-disk-not-encrypted"),
        CheckedInWithinDays { .. } => ctx.t1("compliance-last-checkin", "days", &number),
    }
}

/// A compliance rule in words.
pub(crate) fn rule_text(lang: steward_core::Lang, r: &steward_core::compliance::Rule) -> String {
    use steward_core::compliance::Rule::*;
    let days = |key: &str, d: &u32| steward_core::t_args(lang, key, &[("days", d.to_string())]);
    match r {
        MinOsVersion { platform, version } => steward_core::t_args(
            lang,
            "rule-min-os-version",
            &[
                (
                    "platform",
                    steward_core::t(lang, super::label_key(platform.as_str())),
                ),
                ("version", version.clone()),
            ],
        ),
        ProtectionRequired => steward_core::t(lang, "rule-protection-required"),
        RealtimeProtectionRequired => steward_core::t(lang, "rule-realtime-required"),
        SignaturesMaxAgeDays { days: d } => days("rule-signatures-max-age", d),
        NoActiveThreats => steward_core::t(lang, "rule-no-active-threats"),
        FirewallRequired => steward_core::t(lang, "rule-firewall"),
        DiskEncryptionRequired => steward_core::t(lang, "rule-disk-encryption"),
        CheckedInWithinDays { days: d } => days("rule-checked-in-within", d),
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
    let result = f.get("result").cloned().unwrap_or_default();
    if result.is_empty() {
        f.remove("result");
    }
    f.entry("limit".into()).or_insert_with(|| "50".into());
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
    /// How many alerts are open, by severity (the list's totals).
    pub totals: String,
    /// This page again, for the list to refresh itself.
    pub refresh_url: String,
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
        .map(|r| (r.id.clone(), ctx.rule_name(r)))
        .collect();
    // Open alerts by severity: one grouped count, cheap at any size.
    let open = state
        .store
        .open_alert_counts(&ctx.caller.groups)
        .await
        .unwrap_or_default();
    let total: u64 = open.values().sum();
    let totals = ctx.t_counts(
        "alerts-open-totals",
        &[
            ("count", total),
            ("critical", open.get("critical").copied().unwrap_or(0)),
            ("warning", open.get("warning").copied().unwrap_or(0)),
        ],
    );
    let p = AlertsPage {
        title: ctx.t("nav-alerts"),
        refresh_url: format!("/alerts?{kept}"),
        ctx,
        items,
        f,
        rules,
        next,
        error,
        totals,
    };
    page(StatusCode::OK, &p)
}

/// `POST /alerts/acknowledge`: acknowledges every checked firing alert.
pub async fn bulk_acknowledge(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
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
    /// The rule's name as the reader reads it.
    pub rule_name: String,
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
                .or_else(|| e.detail.get("assignee"))
                .map(|v| plain(&ctx, v))
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
    let rule_name = state
        .store
        .alert_rule(&a.alert.rule_id)
        .map(|r| ctx.rule_name(&r))
        .unwrap_or_else(|_| a.alert.rule_name.clone());
    let p = AlertPage {
        rule_name,
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
        "compliance_evaluated" => "history-compliance-evaluated",
        "health_changed" => "history-health-changed",
        "remediation" => "history-remediation",
        _ => "state-other",
    });
    let arrow = |from: String, to: String| format!("{from} → {to}");
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
        "remediation" => steward_proto::remediation::DeviceState::parse(&text("state"))
            .map(|st| super::remediation::state_label(ctx, st))
            .unwrap_or_default(),
        "renamed" | "os_changed" => arrow(text("from"), text("to")),
        "compliance_evaluated" | "health_changed" => {
            arrow(ctx.label(&text("from")), ctx.label(&text("to")))
        }
        "protection_changed" => protection_change(ctx, &detail["from"], &detail["to"]),
        "compliance_changed" => detail["to"]
            .as_object()
            .map(|facts| {
                facts
                    .iter()
                    .map(|(k, v)| format!("{}: {}", fact_label(ctx, k), plain(ctx, v)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default(),
        "enrolled" => detail["group"]
            .as_str()
            .map(|g| ctx.t1("history-enrolled-group", "group", g))
            .unwrap_or_default(),
        _ => String::new(),
    };
    (label, detail)
}

/// A compliance fact's name in words (the facts agents report).
fn fact_label(ctx: &Ctx, key: &str) -> String {
    match key {
        "firewall_active" => ctx.t("rule-firewall"),
        "disk_encrypted" => ctx.t("rule-disk-encryption"),
        "secure_boot" => ctx.t("fact-secure-boot"),
        "screen_lock" => ctx.t("fact-screen-lock"),
        other => other.to_string(),
    }
}

/// What changed in a device's protection, one "before → after" per field that moved.
fn protection_change(ctx: &Ctx, from: &serde_json::Value, to: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    for (field, key) in [
        ("engine", "device-engine"),
        ("malware_protection", "device-malware-protection"),
        ("realtime_protection", "device-realtime"),
        ("signature_version", "device-signatures"),
        ("threat_state", "device-threat-state"),
        ("detections", "device-detections"),
    ] {
        let (a, b) = (&from[field], &to[field]);
        if a == b {
            continue;
        }
        let word = |v: &serde_json::Value| match (field, v) {
            ("threat_state", serde_json::Value::String(s)) => ctx.label(s),
            _ => plain(ctx, v),
        };
        parts.push(format!("{} {} → {}", ctx.t(key), word(a), word(b)));
    }
    parts.join(" · ")
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

// ---- device actions ----

/// `POST /devices/{id}/retire`: the device may no longer check in; its record stays.
pub async fn retire_device(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::api::retire_device(State(state), ctx.caller.clone(), Path(id)).await;
    super::done(&ctx, r)
}

/// `POST /devices/{id}/rotate-secret`: the device gets a new secret at its next check-in.
pub async fn rotate_secret(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    match crate::api::rotate_device_secret(State(state), ctx.caller.clone(), Path(id)).await {
        Ok(_) => super::flash("notice", &ctx.t("device-rotation-pending")),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

// ---- search ----

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub ctx: Ctx,
    pub title: String,
    pub q: String,
    pub devices: Vec<DeviceSummary>,
    /// Device users (owners) whose address starts with the words, for the help desk.
    pub users: Vec<String>,
    pub more: bool,
}

/// `GET /search?q=`: devices by name, serial or owner, and device users by address.
pub async fn search(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(f): Query<HashMap<String, String>>,
) -> Response {
    let q = f.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let (mut devices, mut users, mut more) = (Vec::new(), Vec::new(), false);
    if !q.is_empty() {
        let params: HashMap<String, String> =
            [("q".to_string(), q.clone()), ("limit".into(), "25".into())].into();
        match crate::api::list_devices(State(state.clone()), ctx.caller.clone(), query(&params))
            .await
        {
            Ok(Json(p)) => {
                more = p.next_cursor.is_some();
                devices = p.items;
            }
            Err(e) => return error_page(ctx, e.0),
        }
        if ctx.caller.allows(Permission::AssistUsers) && !ctx.caller.groups.is_empty() {
            // A user limited to groups finds the owners of the devices they can see.
            for d in &devices {
                if !users.contains(&d.owner) {
                    users.push(d.owner.clone());
                }
            }
        } else if ctx.caller.allows(Permission::AssistUsers) {
            let search = crate::helpdesk::UserSearch {
                q: q.clone(),
                limit: Some("10".into()),
                cursor: None,
            };
            if let Ok(Json(p)) = crate::helpdesk::find_users(State(state), Ok(Query(search))).await
            {
                users = p.items;
            }
        }
    }
    let p = SearchPage {
        title: ctx.t("search-title"),
        ctx,
        q,
        devices,
        users,
        more,
    };
    page(StatusCode::OK, &p)
}

// ---- profile ----

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub ctx: Ctx,
    pub title: String,
    pub region: String,
    /// Every IANA time zone name, and `selected` for the user's.
    pub zones: Vec<(&'static str, &'static str)>,
    /// An example of a time as the reader sees them now.
    pub example: String,
}

/// `GET /profile`: the signed-in user's language, time zone and regional format.
pub async fn profile(Console(ctx): Console) -> Response {
    let facts = ctx.caller.session.clone().unwrap_or_default();
    let p = ProfilePage {
        title: ctx.t("profile-title"),
        example: ctx.at(&steward_core::time::now_ms()),
        region: facts.region,
        zones: steward_core::i18n::Zone::names()
            .into_iter()
            .map(|z| (z, if z == facts.time_zone { "selected" } else { "" }))
            .collect(),
        ctx,
    };
    page(StatusCode::OK, &p)
}

/// `POST /profile`: saves them with the user.
pub async fn save_profile(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let Some(user_id) = ctx.caller.user_id.clone() else {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    };
    let b = steward_proto::UpdateUser {
        language: f.get("lang"),
        time_zone: f.get("time_zone"),
        region: Some(f.get("region").unwrap_or_default()),
        ..Default::default()
    };
    let r = crate::users::update_user(State(state), ctx.caller.clone(), Path(user_id), JsonBody(b));
    super::done(&ctx, r.await)
}
