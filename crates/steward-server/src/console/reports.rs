//! The console's reports: trends over 7, 30, 90 or 365 days with the change against the period
//! before (every figure links to today's list of what it counts), a figure by device group,
//! the report as CSV and PDF, and scheduled reports.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use steward_core::reports::{self as rep, DAY_MS};
use steward_proto::reports::{Cadence, Recipient, ReportRun, ReportScheduleBody, Section};

use super::{done, error_page, escape, page, Console, Ctx, FormFields};
use crate::body::JsonBody;
use crate::reports::{change_text, value_text, Figure, Reader, Report, Unit};
use crate::AppState;

/// A line chart of one figure by day as SVG: the line, the highest value and the first and
/// last day written out, the whole chart a link to the figure's list.
pub fn line_chart(r: &Report, f: &Figure) -> String {
    let (w, h, top, left) = (300.0_f64, 90.0_f64, 14.0_f64, 4.0_f64);
    let values = &f.trend.days;
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1);
    let step = if values.len() > 1 {
        (w - 2.0 * left) / (values.len() - 1) as f64
    } else {
        0.0
    };
    let mut lines = Vec::new();
    let mut current = String::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let x = left + i as f64 * step;
                let y = top + h - (*v as f64 / max as f64) * h;
                current.push_str(&format!("{x:.1},{y:.1} "));
            }
            None if !current.is_empty() => lines.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    let top_label = value_text(r.lang, f.unit, Some(max));
    let mut s = format!(
        "<a href=\"{href}\" class=\"chart-link\"><svg class=\"chart\" role=\"img\" aria-label=\"{label}\" \
         viewBox=\"0 0 {w} {vh}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\
         <title>{label}</title>\
         <line x1=\"{left}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" stroke=\"#d0d7de\"/>\
         <text x=\"{left}\" y=\"10\" font-size=\"10\">{top_label}</text>",
        href = escape(&f.href),
        label = escape(&f.label),
        vh = top + h + 18.0,
        base = top + h,
        right = w - left,
        top_label = escape(&top_label),
    );
    for points in lines {
        if points.split_whitespace().count() == 1 {
            let (x, y) = points.trim().split_once(',').unwrap_or(("0", "0"));
            s.push_str(&format!(
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"2\" fill=\"#0969da\"/>"
            ));
        } else {
            s.push_str(&format!(
                "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\" points=\"{}\"/>",
                points.trim()
            ));
        }
    }
    s.push_str(&format!(
        "<text x=\"{left}\" y=\"{ty}\" font-size=\"10\">{first}</text>\
         <text x=\"{right}\" y=\"{ty}\" font-size=\"10\" text-anchor=\"end\">{last}</text></svg></a>",
        ty = top + h + 14.0,
        right = w - left,
        first = rep::day_label(r.from),
        last = rep::day_label(r.to() - DAY_MS),
    ));
    s
}

/// One row of a section's table.
pub struct Row {
    pub label: String,
    pub href: String,
    pub value: String,
    pub change: String,
    /// The change's badge class: a rise of something bad is bad.
    pub tone: &'static str,
}

pub struct SectionCard {
    pub id: &'static str,
    pub title: String,
    pub chart: String,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub ctx: Ctx,
    pub title: String,
    pub days: u32,
    pub periods: Vec<(u32, String)>,
    pub period: String,
    pub compared: String,
    pub rolled: String,
    pub cards: Vec<SectionCard>,
}

/// Whether more of a figure is good news, bad news, or neither.
fn better_when_higher(section: Section, f: &Figure) -> Option<bool> {
    match section {
        Section::Devices => match f.metric.as_str() {
            "compliance:compliant" | "health:protected" | "checkin:last_24h" => Some(true),
            "compliance:noncompliant"
            | "health:active_threat"
            | "health:unprotected"
            | "health:at_risk"
            | "checkin:older" => Some(false),
            _ => None,
        },
        Section::Policies => Some(false),
        Section::Alerts => Some(false),
        Section::Enrollments => Some(f.metric == "succeeded"),
        Section::Apps => Some(f.metric == "installed"),
        Section::Remediations => Some(f.metric == "fixed"),
        Section::Readiness | Section::Knowledge => Some(true),
        Section::Announcements => Some(true),
    }
}

fn cards(ctx: &Ctx, r: &Report) -> Vec<SectionCard> {
    r.sections
        .iter()
        .map(|s| SectionCard {
            id: s.section.as_str(),
            title: s.title.clone(),
            chart: s
                .figures
                .first()
                .map(|f| line_chart(r, f))
                .unwrap_or_default(),
            rows: s
                .figures
                .iter()
                .map(|f| {
                    let change = change_text(ctx.lang, f.unit, &f.trend);
                    let tone = match (f.trend.change(), better_when_higher(s.section, f)) {
                        (Some(c), Some(up)) if change != "±0" => {
                            if (c > 0) == up {
                                "s-ok"
                            } else {
                                "s-bad"
                            }
                        }
                        _ => "s-muted",
                    };
                    Row {
                        label: f.label.clone(),
                        href: f.href.clone(),
                        value: value_text(ctx.lang, f.unit, f.trend.value),
                        change,
                        tone,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The periods a report may cover, with their words.
fn periods(ctx: &Ctx) -> Vec<(u32, String)> {
    rep::PERIODS
        .iter()
        .map(|d| {
            (
                *d,
                ctx.t_counts("reports-days", &[("count", u64::from(*d))]),
            )
        })
        .collect()
}

fn days_of(q: &HashMap<String, String>) -> u32 {
    q.get("days")
        .and_then(|d| d.parse().ok())
        .filter(|d| rep::PERIODS.contains(d))
        .unwrap_or(30)
}

pub async fn reports(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let days = days_of(&q);
    let now = state.clock.now_ms();
    let reader = Reader::of(&ctx.caller);
    let r = match crate::reports::build(&state, &reader, &Section::ALL, days, now, ctx.lang).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e.0),
    };
    let p = ReportsPage {
        title: ctx.t("nav-reports"),
        days,
        periods: periods(&ctx),
        period: r.period_text(),
        compared: r.compared_text(),
        rolled: ctx.t_counts("reports-rolled", &[("count", r.rolled as u64)]),
        cards: cards(&ctx, &r),
        ctx,
    };
    page(StatusCode::OK, &p)
}

/// The report as a file: CSV or PDF, in the reader's language (the API's answer).
pub async fn report_file(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(q): Query<HashMap<String, String>>,
    Path(file): Path<String>,
) -> Response {
    let format = match file.as_str() {
        "report.csv" => "csv",
        "report.pdf" => "pdf",
        _ => return error_page(ctx, steward_proto::ErrorCode::NotFound),
    };
    let params = crate::reports::ReportParams {
        days: Some(days_of(&q)),
        sections: None,
        format: Some(format.into()),
    };
    let headers = super::lang_headers(&ctx);
    match crate::reports::report(State(state), ctx.caller.clone(), headers, Ok(Query(params))).await
    {
        Ok(r) => r,
        Err(e) => error_page(ctx, e.0),
    }
}

// ---- a figure by group ----

pub struct GroupRow {
    pub group: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "report_groups.html")]
pub struct GroupsPage {
    pub ctx: Ctx,
    pub title: String,
    pub figure: String,
    pub as_of: String,
    pub rows: Vec<GroupRow>,
    pub back: String,
}

/// `/reports/{section}/groups?metric=&subject=`: one figure by device group, today (the
/// fleet's counts for devices; the last day rolled up for the rest). The list a reader who
/// may not open device lists follows from a figure.
pub async fn by_group(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(section): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(section) = Section::parse(&section) else {
        return error_page(ctx, steward_proto::ErrorCode::NotFound);
    };
    let metric = q.get("metric").cloned().unwrap_or_default();
    let subject = q.get("subject").cloned().unwrap_or_default();
    let reader = Reader::of(&ctx.caller);
    let none = ctx.t("reports-no-group");
    let mut by_group: std::collections::BTreeMap<String, i64> = Default::default();
    let as_of;
    if section == Section::Devices {
        let (at, counts) = match crate::fleet::counts(&state).await {
            Ok(c) => c,
            Err(e) => return error_page(ctx, e.0),
        };
        as_of = ctx.at(&at);
        for c in counts.iter() {
            let g = c.group.clone().unwrap_or_default();
            if !reader.sees(&g) {
                continue;
            }
            let counted = match metric.split_once(':') {
                None => metric == "total",
                Some(("health", v)) => c.health == v,
                Some(("compliance", v)) => c.compliance == v,
                Some(("platform", v)) => c.platform == v,
                Some(("checkin", v)) => c.freshness.as_str() == v,
                Some(_) => false,
            };
            *by_group.entry(g).or_default() += if counted { c.count as i64 } else { 0 };
        }
    } else {
        let today = rep::day_start(state.clock.now_ms());
        let last = match state.store.rolled_days(today - 2 * DAY_MS).await {
            Ok(d) => d.last().copied(),
            Err(e) => return error_page(ctx, crate::error::ApiError::from(e).0),
        };
        as_of = last.map(rep::day_label).unwrap_or_default();
        if let Some(day) = last {
            let rows = match state
                .store
                .rollup_rows(section.as_str(), day, day + DAY_MS)
                .await
            {
                Ok(r) => r,
                Err(e) => return error_page(ctx, crate::error::ApiError::from(e).0),
            };
            for r in rows.iter().filter(|r| reader.sees(&r.group)) {
                let counted = (r.metric == metric
                    || (metric == "refused" && r.metric.starts_with("refused:")))
                    && (subject.is_empty() || r.subject == subject || section == Section::Alerts);
                let counted =
                    counted && (section != Section::Alerts || r.subject.starts_with("severity:"));
                if counted {
                    *by_group.entry(r.group.clone()).or_default() += r.value;
                }
            }
        }
    }
    let label = crate::reports::build(
        &state,
        &reader,
        &[section],
        7,
        state.clock.now_ms(),
        ctx.lang,
    )
    .await
    .ok()
    .and_then(|r| {
        r.sections.into_iter().next().and_then(|s| {
            s.figures
                .into_iter()
                .find(|f| f.metric == metric && f.subject == subject)
                .map(|f| f.label)
        })
    })
    .unwrap_or_else(|| metric.clone());
    let p = GroupsPage {
        title: ctx.t(crate::reports::section_key(section)),
        figure: label,
        as_of,
        rows: by_group
            .into_iter()
            .map(|(g, v)| GroupRow {
                group: if g.is_empty() { none.clone() } else { g },
                value: value_text(ctx.lang, Unit::Count, Some(v)),
            })
            .collect(),
        back: format!("/reports#section-{}", section.as_str()),
        ctx,
    };
    page(StatusCode::OK, &p)
}

// ---- scheduled reports ----

pub struct ScheduleRow {
    pub id: String,
    pub name: String,
    pub sections: String,
    pub when: String,
    pub recipients: String,
    pub next: String,
    /// The last reports sent, in words.
    pub runs: Vec<String>,
}

#[derive(Template)]
#[template(path = "report_schedules.html")]
pub struct SchedulesPage {
    pub ctx: Ctx,
    pub title: String,
    pub schedules: Vec<ScheduleRow>,
    pub sections: Vec<(&'static str, String)>,
    pub periods: Vec<(u32, String)>,
    pub weekdays: Vec<(u8, String)>,
    pub mail: bool,
}

/// One report sent, in words: when, to how many, and whether by "send now".
fn run_text(ctx: &Ctx, r: &ReportRun) -> String {
    let mut s = format!(
        "{} · {}",
        ctx.when(&r.created_at),
        ctx.t_counts("reports-sent-to", &[("count", u64::from(r.recipients))])
    );
    if r.manual {
        s.push_str(" · ");
        s.push_str(&ctx.t("reports-manual"));
    }
    s
}

fn weekday_key(d: u8) -> &'static str {
    match d {
        1 => "weekday-monday",
        2 => "weekday-tuesday",
        3 => "weekday-wednesday",
        4 => "weekday-thursday",
        5 => "weekday-friday",
        6 => "weekday-saturday",
        _ => "weekday-sunday",
    }
}

pub async fn schedules(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let list = match state.store.report_schedules().await {
        Ok(l) => l,
        Err(e) => return error_page(ctx, crate::error::ApiError::from(e).0),
    };
    let mut rows = Vec::new();
    for s in list {
        let b = &s.body;
        let when = match b.cadence {
            Cadence::Weekly => steward_core::t_args(
                ctx.lang,
                "reports-weekly-at",
                &[
                    ("day", ctx.t(weekday_key(b.weekday))),
                    ("hour", format!("{:02}:00", b.hour)),
                    ("zone", b.time_zone.clone()),
                ],
            ),
            Cadence::Monthly => steward_core::t_args(
                ctx.lang,
                "reports-monthly-at",
                &[
                    ("day", b.day_of_month.to_string()),
                    ("hour", format!("{:02}:00", b.hour)),
                    ("zone", b.time_zone.clone()),
                ],
            ),
        };
        let recipients = b
            .recipients
            .iter()
            .map(|r| match (&r.user, &r.address) {
                (Some(u), _) => u.clone(),
                (None, Some(a)) => format!(
                    "{a} ({})",
                    r.language
                        .as_deref()
                        .and_then(steward_core::Lang::parse)
                        .map(super::native_name)
                        .unwrap_or("English")
                ),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(ScheduleRow {
            id: s.id.clone(),
            name: b.name.clone(),
            sections: b
                .sections
                .iter()
                .map(|x| ctx.t(crate::reports::section_key(*x)))
                .collect::<Vec<_>>()
                .join(", "),
            when,
            recipients,
            next: ctx.at(&s.next_run_at),
            runs: state
                .store
                .report_runs(&s.id, 5)
                .await
                .unwrap_or_default()
                .iter()
                .map(|r| run_text(&ctx, r))
                .collect(),
        });
    }
    let p = SchedulesPage {
        title: ctx.t("reports-schedules"),
        schedules: rows,
        sections: Section::ALL
            .iter()
            .map(|s| (s.as_str(), ctx.t(crate::reports::section_key(*s))))
            .collect(),
        periods: periods(&ctx),
        weekdays: (1..=7).map(|d| (d, ctx.t(weekday_key(d)))).collect(),
        mail: state.config.notify.mail_configured(),
        ctx,
    };
    page(StatusCode::OK, &p)
}

/// The form's recipients: one per line, a user's e-mail address, or an address followed by
/// a language code.
fn recipients_of(text: &str) -> Vec<Recipient> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let address = words.next().unwrap_or_default().to_string();
            match words.next() {
                Some(lang) => Recipient {
                    user: None,
                    address: Some(address),
                    language: Some(lang.to_string()),
                },
                None => Recipient {
                    user: Some(address),
                    address: None,
                    language: None,
                },
            }
        })
        .collect()
}

pub async fn create_schedule(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let num = |k: &str, d: u32| f.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let b = ReportScheduleBody {
        name: f.get("name").unwrap_or_default(),
        sections: f
            .all("sections")
            .iter()
            .filter_map(|s| Section::parse(s))
            .collect(),
        period_days: num("period_days", 7),
        groups: super::comma_list(f.get("groups")),
        recipients: recipients_of(&f.get("recipients").unwrap_or_default()),
        cadence: if f.get("cadence").as_deref() == Some("monthly") {
            Cadence::Monthly
        } else {
            Cadence::Weekly
        },
        weekday: num("weekday", 1).min(255) as u8,
        day_of_month: num("day_of_month", 1).min(255) as u8,
        hour: num("hour", 7).min(255) as u8,
        time_zone: f.get("time_zone").unwrap_or_else(|| "UTC".into()),
    };
    let r = crate::reports::create_schedule(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

pub async fn send_schedule(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::reports::send_now(State(state), ctx.caller.clone(), Path(id)).await;
    done(&ctx, r)
}

pub async fn delete_schedule(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::reports::delete_schedule(State(state), ctx.caller.clone(), Path(id)).await;
    done(&ctx, r)
}
