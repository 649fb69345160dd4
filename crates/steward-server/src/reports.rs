//! Reports: the daily rollup job, the report a reader sees (trends over 7, 30, 90 or 365 days
//! against the period before), its exports (JSON, CSV, PDF), and scheduled reports sent by
//! e-mail through the outbox.
//!
//! Nothing here is held in memory between requests: every report is built from the rollup
//! rows in the database, so every server shows the same figures.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use steward_core::i18n::format_number;
use steward_core::reports::{self as rep, Daily, Kind, Trend, DAY_MS};
use steward_core::Lang;
use steward_proto::reports::{
    ReportExport, ReportRow, ReportRun, ReportSchedule, ReportScheduleBody, Section,
};
use steward_proto::ErrorCode;
use steward_store::reports::{DayExtras, NewRun, ReportMail, RollupRow, StoredSchedule};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::paging::{Order, Pages};
use crate::AppState;
use steward_proto::api::Page;

/// How a figure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// Milliseconds, shown in hours.
    Duration,
    Percent,
}

/// One figure of a report: its words, its trend, and the list it counts.
#[derive(Debug, Clone)]
pub struct Figure {
    pub label: String,
    pub unit: Unit,
    pub trend: Trend,
    /// Today's list of what the figure counts, for a reader who may open it.
    pub href: String,
    /// What the figure is about, for the list by group (`metric` and `subject`).
    pub metric: String,
    pub subject: String,
}

/// One section of a report.
#[derive(Debug, Clone)]
pub struct SectionView {
    pub section: Section,
    pub title: String,
    pub figures: Vec<Figure>,
}

/// A report over `days` days from `from` (midnight UTC).
#[derive(Debug, Clone)]
pub struct Report {
    pub lang: Lang,
    pub from: i64,
    pub days: u32,
    /// Days of the period that were rolled up.
    pub rolled: usize,
    pub sections: Vec<SectionView>,
}

impl Report {
    pub fn to(&self) -> i64 {
        self.from + i64::from(self.days) * DAY_MS
    }

    /// "Change: against the 30 days before." in the reader's language.
    pub fn compared_text(&self) -> String {
        steward_core::i18n::t_counts(
            self.lang,
            "report-compared",
            &[("days", u64::from(self.days))],
        )
    }

    /// "2026-11-01 – 2026-11-30" in the reader's language.
    pub fn period_text(&self) -> String {
        steward_core::t_args(
            self.lang,
            "report-period",
            &[
                ("from", rep::day_label(self.from)),
                ("to", rep::day_label(self.to() - DAY_MS)),
            ],
        )
    }
}

/// Who a report is for: the groups it counts (empty: all) and whether the reader may open
/// device lists (otherwise figures link to the report's own list by group).
#[derive(Debug, Clone, Default)]
pub struct Reader {
    pub groups: Vec<String>,
    pub device_lists: bool,
}

impl Reader {
    pub fn of(caller: &Caller) -> Reader {
        Reader {
            groups: caller.groups.clone(),
            device_lists: caller.allows(steward_core::policy::Permission::ReadDevices),
        }
    }

    /// Whether rows of `group` count for this reader: a reader limited to groups sees their
    /// groups only, not figures tied to no group.
    pub fn sees(&self, group: &str) -> bool {
        self.groups.is_empty() || self.groups.iter().any(|g| g == group)
    }
}

/// The rows of a section over the period and the one before it, as this reader sees them.
async fn rows(
    state: &AppState,
    section: Section,
    from: i64,
    days: u32,
    reader: &Reader,
) -> Result<Vec<RollupRow>, ApiError> {
    let span = i64::from(days) * DAY_MS;
    Ok(state
        .store
        .rollup_rows(section.as_str(), from - span, from + span)
        .await?
        .into_iter()
        .filter(|r| reader.sees(&r.group))
        .collect())
}

fn daily(rows: &[RollupRow], keep: impl Fn(&RollupRow) -> bool) -> Daily {
    let mut d = Daily::new();
    for r in rows.iter().filter(|r| keep(r)) {
        *d.entry(r.day).or_default() += r.value;
    }
    d
}

fn t(lang: Lang, key: &str) -> String {
    steward_core::t(lang, key)
}

/// The translated word for a state value (`noncompliant`, `critical`, `last_24h`).
fn word(lang: Lang, value: &str) -> String {
    let key = crate::console::label_key(value);
    if key.is_empty() {
        value.to_string()
    } else {
        t(lang, key)
    }
}

/// Builds the report of `sections` over `days` days ending the day before `to`.
pub async fn build(
    state: &AppState,
    reader: &Reader,
    sections: &[Section],
    days: u32,
    to: i64,
    lang: Lang,
) -> Result<Report, ApiError> {
    let to = rep::day_start(to);
    let from = to - i64::from(days) * DAY_MS;
    let rolled = state
        .store
        .rolled_days(from - i64::from(days) * DAY_MS)
        .await?;
    let in_period = rolled.iter().filter(|d| **d >= from && **d < to).count();
    let mut out = Vec::new();
    for &section in sections {
        let rows = rows(state, section, from, days, reader).await?;
        let mut figures = Vec::new();
        let mut fig =
            |label: String, unit: Unit, trend: Trend, href: String, metric: &str, subject: &str| {
                figures.push(Figure {
                    label,
                    unit,
                    trend,
                    href,
                    metric: metric.to_string(),
                    subject: subject.to_string(),
                })
            };
        // A state is known on the days the section was counted (a day rolled up late has no
        // policy or install states, for instance); events on every day rolled up.
        let counted: Vec<i64> = rows
            .iter()
            .map(|r| r.day)
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        // Each metric and subject summed by day once (over the groups the reader sees).
        let mut by_key: std::collections::HashMap<(&str, &str), Daily> = Default::default();
        for r in &rows {
            *by_key
                .entry((r.metric.as_str(), r.subject.as_str()))
                .or_default()
                .entry(r.day)
                .or_default() += r.value;
        }
        let none = Daily::new();
        let state_of = |metric: &str, subject: &str| {
            rep::trend(
                by_key.get(&(metric, subject)).unwrap_or(&none),
                Kind::State,
                from,
                days,
                &counted,
            )
        };
        let events_of = |keep: &dyn Fn(&RollupRow) -> bool| {
            rep::trend(&daily(&rows, keep), Kind::Events, from, days, &rolled)
        };
        let metrics: BTreeSet<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
        let subjects: BTreeSet<&str> = rows.iter().map(|r| r.subject.as_str()).collect();
        let lists = reader.device_lists;
        let link = |admin: String, metric: &str, subject: &str| {
            if lists {
                admin
            } else {
                format!(
                    "/reports/{}/groups?metric={}&subject={}",
                    section.as_str(),
                    crate::console::urlencode(metric),
                    crate::console::urlencode(subject)
                )
            }
        };
        match section {
            Section::Devices => {
                fig(
                    t(lang, "report-devices-total"),
                    Unit::Count,
                    state_of("total", ""),
                    link("/devices".into(), "total", ""),
                    "total",
                    "",
                );
                for dim in ["compliance", "health", "checkin", "platform"] {
                    for m in metrics.iter().filter(|m| m.starts_with(&format!("{dim}:"))) {
                        let value = m.split_once(':').map(|x| x.1).unwrap_or("");
                        let admin = match dim {
                            "checkin" => "/devices".to_string(),
                            _ => format!("/devices?{dim}={}", crate::console::urlencode(value)),
                        };
                        fig(
                            format!("{}: {}", t(lang, dim_key(dim)), word(lang, value)),
                            Unit::Count,
                            state_of(m, ""),
                            link(admin, m, ""),
                            m,
                            "",
                        );
                    }
                }
            }
            Section::Policies => {
                let policies = state.store.policies();
                for s in subjects.iter() {
                    let (policy_id, rule_kind) = s.split_once('/').unwrap_or((s, ""));
                    let policy = policies.iter().find(|p| p.id == policy_id);
                    let rule = policy.and_then(|p| {
                        p.rules.iter().find(|r| {
                            serde_json::to_value(r)
                                .ok()
                                .is_some_and(|v| v["rule"] == rule_kind)
                        })
                    });
                    let name = match (policy, rule) {
                        (Some(p), Some(r)) => {
                            format!("{}: {}", p.name, crate::console::pages::rule_text(lang, r))
                        }
                        _ => s.to_string(),
                    };
                    fig(
                        steward_core::t_args(lang, "report-rule-failing", &[("rule", name)]),
                        Unit::Count,
                        state_of("fail", s),
                        link("/devices?compliance=noncompliant".into(), "fail", s),
                        "fail",
                        s,
                    );
                }
            }
            Section::Alerts => {
                fig(
                    t(lang, "report-alerts-opened"),
                    Unit::Count,
                    events_of(&|r| r.metric == "opened" && r.subject.starts_with("severity:")),
                    link("/alerts".into(), "opened", ""),
                    "opened",
                    "",
                );
                fig(
                    t(lang, "report-alerts-resolved"),
                    Unit::Count,
                    events_of(&|r| r.metric == "resolved" && r.subject.starts_with("severity:")),
                    link("/alerts?state=resolved".into(), "resolved", ""),
                    "resolved",
                    "",
                );
                for (sum, count, key) in [
                    ("ack_ms", "acknowledged", "report-alerts-ack-time"),
                    ("resolve_ms", "resolved", "report-alerts-resolve-time"),
                ] {
                    let s = events_of(&|r| r.metric == sum && r.subject.starts_with("severity:"));
                    let n = events_of(&|r| r.metric == count && r.subject.starts_with("severity:"));
                    fig(
                        t(lang, key),
                        Unit::Duration,
                        mean_trend(&s, &n),
                        link("/alerts".into(), sum, ""),
                        sum,
                        "",
                    );
                }
                for sev in ["critical", "warning", "info"] {
                    let subject = format!("severity:{sev}");
                    if subjects.contains(subject.as_str()) {
                        fig(
                            steward_core::t_args(
                                lang,
                                "report-alerts-opened-severity",
                                &[("severity", word(lang, sev))],
                            ),
                            Unit::Count,
                            events_of(&|r| r.metric == "opened" && r.subject == subject),
                            link(format!("/alerts?severity={sev}"), "opened", &subject),
                            "opened",
                            &subject,
                        );
                    }
                }
            }
            Section::Enrollments => {
                fig(
                    t(lang, "report-enrollments-succeeded"),
                    Unit::Count,
                    events_of(&|r| r.metric == "succeeded"),
                    link("/enrollments?result=success".into(), "succeeded", ""),
                    "succeeded",
                    "",
                );
                fig(
                    t(lang, "report-enrollments-refused"),
                    Unit::Count,
                    events_of(&|r| r.metric.starts_with("refused:")),
                    link("/enrollments?result=failed".into(), "refused", ""),
                    "refused",
                    "",
                );
                for m in metrics.iter().filter(|m| m.starts_with("refused:")) {
                    let reason = m.split_once(':').map(|x| x.1).unwrap_or("");
                    fig(
                        steward_core::t_args(
                            lang,
                            "report-enrollments-refused-reason",
                            &[(
                                "reason",
                                ErrorCode::parse(reason)
                                    .map(|c| steward_core::i18n::error_message(lang, c))
                                    .unwrap_or_else(|| reason.to_string()),
                            )],
                        ),
                        Unit::Count,
                        events_of(&|r| r.metric == *m),
                        link(
                            format!("/enrollments?result={}", crate::console::urlencode(reason)),
                            m,
                            "",
                        ),
                        m,
                        "",
                    );
                }
            }
            Section::Apps => {
                let catalog = state.store.catalog();
                for s in subjects.iter() {
                    let name = catalog
                        .assignment(s)
                        .map(|a| format!("{} {}", a.app_name, a.version))
                        .unwrap_or_else(|| s.to_string());
                    for st in ["installed", "failed"] {
                        fig(
                            format!("{name}: {}", word(lang, st)),
                            Unit::Count,
                            state_of(st, s),
                            link(format!("/apps/assignments/{s}?state={st}"), st, s),
                            st,
                            s,
                        );
                    }
                }
            }
            Section::Remediations => {
                use steward_proto::remediation::DeviceState;
                let names: std::collections::HashMap<String, String> = state
                    .store
                    .remediations()
                    .await?
                    .into_iter()
                    .map(|r| (r.id, r.body.name))
                    .collect();
                for s in subjects.iter() {
                    let name = names.get(*s).cloned().unwrap_or_else(|| s.to_string());
                    for st in [
                        DeviceState::Fixed,
                        DeviceState::FixFailed,
                        DeviceState::ScriptError,
                    ] {
                        let label = t(lang, crate::console::remediation::state_key(st));
                        fig(
                            format!("{name}: {label}"),
                            Unit::Count,
                            state_of(st.as_str(), s),
                            link(format!("/remediations/{s}"), st.as_str(), s),
                            st.as_str(),
                            s,
                        );
                    }
                }
            }
            Section::Readiness => {
                fig(
                    t(lang, "report-readiness-passing"),
                    Unit::Count,
                    rep::trend(
                        &daily(&rows, |r| r.metric == "passing"),
                        Kind::State,
                        from,
                        days,
                        &counted,
                    ),
                    link("/readiness".into(), "passing", ""),
                    "passing",
                    "",
                );
            }
            Section::Knowledge => {
                let solved = events_of(&|r| r.metric == "solved");
                let all = events_of(&|r| r.metric == "solved" || r.metric == "not_solved");
                fig(
                    t(lang, "report-kb-solved"),
                    Unit::Count,
                    solved.clone(),
                    link("/kb".into(), "solved", ""),
                    "solved",
                    "",
                );
                fig(
                    t(lang, "report-kb-answers"),
                    Unit::Count,
                    all.clone(),
                    link("/kb".into(), "answers", ""),
                    "answers",
                    "",
                );
                fig(
                    t(lang, "report-kb-solve-rate"),
                    Unit::Percent,
                    percent_trend(&solved, &all),
                    link("/kb".into(), "solve_rate", ""),
                    "solve_rate",
                    "",
                );
            }
            Section::Announcements => {
                for (metric, key) in [
                    ("targets", "report-announcements-targets"),
                    ("delivered", "report-announcements-delivered"),
                    ("read", "report-announcements-read"),
                ] {
                    fig(
                        t(lang, key),
                        Unit::Count,
                        rep::trend(
                            &daily(&rows, |r| r.metric == metric),
                            Kind::State,
                            from,
                            days,
                            &counted,
                        ),
                        link("/announcements".into(), metric, ""),
                        metric,
                        "",
                    );
                }
            }
        }
        out.push(SectionView {
            section,
            title: t(lang, section_key(section)),
            figures,
        });
    }
    Ok(Report {
        lang,
        from,
        days,
        rolled: in_period,
        sections: out,
    })
}

/// The catalog key of a section's title.
pub fn section_key(s: Section) -> &'static str {
    match s {
        Section::Devices => "report-section-devices",
        Section::Policies => "report-section-policies",
        Section::Alerts => "report-section-alerts",
        Section::Enrollments => "report-section-enrollments",
        Section::Apps => "report-section-apps",
        Section::Readiness => "report-section-readiness",
        Section::Knowledge => "report-section-knowledge",
        Section::Announcements => "report-section-announcements",
        Section::Remediations => "report-section-remediations",
    }
}

fn dim_key(dim: &str) -> &'static str {
    match dim {
        "compliance" => "report-dim-compliance",
        "health" => "report-dim-health",
        "checkin" => "report-dim-checkin",
        _ => "report-dim-platform",
    }
}

/// A mean per day and over the periods, from a sum and a count.
fn mean_trend(sum: &Trend, count: &Trend) -> Trend {
    let (value, previous) = rep::mean(sum, count);
    Trend {
        days: sum
            .days
            .iter()
            .zip(&count.days)
            .map(|(s, n)| match (s, n) {
                (Some(s), Some(n)) if *n > 0 => Some(s / n),
                _ => None,
            })
            .collect(),
        value,
        previous,
    }
}

fn percent_trend(part: &Trend, all: &Trend) -> Trend {
    let pct = |p: Option<i64>, a: Option<i64>| match (p, a) {
        (Some(p), Some(a)) if a > 0 => Some(p * 100 / a),
        _ => None,
    };
    Trend {
        days: part
            .days
            .iter()
            .zip(&all.days)
            .map(|(p, a)| pct(*p, *a))
            .collect(),
        value: pct(part.value, all.value),
        previous: pct(part.previous, all.previous),
    }
}

/// A figure's value as text in `lang`: a count, hours, or a percentage; "–" when unknown.
pub fn value_text(lang: Lang, unit: Unit, v: Option<i64>) -> String {
    let Some(v) = v else {
        return "–".into();
    };
    let n = format_number(lang, v.unsigned_abs());
    let sign = if v < 0 { "-" } else { "" };
    match unit {
        Unit::Count => format!("{sign}{n}"),
        Unit::Percent => format!("{sign}{n} %"),
        Unit::Duration if v.unsigned_abs() < 3_600_000 => steward_core::t_args(
            lang,
            "report-minutes",
            &[(
                "minutes",
                format!(
                    "{sign}{}",
                    format_number(lang, (v.unsigned_abs() + 30_000) / 60_000)
                ),
            )],
        ),
        Unit::Duration => {
            let tenths = (v.unsigned_abs() + 180_000) / 360_000;
            steward_core::t_args(
                lang,
                "report-hours",
                &[(
                    "hours",
                    format!(
                        "{sign}{}{}{}",
                        format_number(lang, tenths / 10),
                        decimal_sign(lang),
                        tenths % 10
                    ),
                )],
            )
        }
    }
}

/// The decimal sign of a language.
fn decimal_sign(lang: Lang) -> char {
    match lang {
        Lang::Fr | Lang::Sv | Lang::De => ',',
        _ => '.',
    }
}

/// The change against the previous period as text: "+3", "-2", "±0", or "–".
pub fn change_text(lang: Lang, unit: Unit, trend: &Trend) -> String {
    match trend.change() {
        None => "–".into(),
        Some(c) => {
            let text = value_text(lang, unit, Some(c));
            // A change too small to show (a few seconds) reads as none.
            if !text.chars().any(|d| d.is_ascii_digit() && d != '0') {
                "±0".into()
            } else if c > 0 {
                format!("+{text}")
            } else {
                text
            }
        }
    }
}

// ---- the rollup job ----

/// Rolls up the days that ended since the last rollup (at most `BACKFILL_DAYS` back), purges
/// the days older than `[reports] keep_days`, and sends the scheduled reports that are due.
/// One server at a time (the `reports` lease); everything it writes is keyed (a day, a
/// schedule's due time), so an overlap at a lease's hand-over writes nothing twice.
pub async fn scheduler(state: AppState) {
    loop {
        let now = state.clock.now_ms();
        if let Err(e) = roll_up(&state, now).await {
            tracing::warn!(error = %e.0.as_str(), "daily rollup failed");
        }
        if let Err(e) = send_due(&state, now).await {
            tracing::warn!(error = %e.0.as_str(), "scheduled reports not sent");
        }
        let next_day = rep::day_start(now) + DAY_MS;
        let next_report = state.store.next_report_due().await.ok().flatten();
        let wake = next_report
            .map_or(next_day, |r| r.min(next_day))
            .max(now + 1000);
        tokio::select! {
            () = state.clock.sleep_until(wake) => {}
            // A schedule created or changed through any server is seen within this time.
            () = tokio::time::sleep(SCHEDULE_POLL) => {}
        }
    }
}

/// How often the scheduler looks for schedules due (besides at the time it knows of).
pub const SCHEDULE_POLL: Duration = Duration::from_secs(5);

/// Days rolled up at most this far back when none were before (a new installation).
pub const BACKFILL_DAYS: i64 = 30;

/// Rolls up every day that ended and is not rolled up yet. Returns how many.
pub async fn roll_up(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let today = rep::day_start(now);
    let rolled = state
        .store
        .rolled_days(today - BACKFILL_DAYS * DAY_MS)
        .await?;
    let mut done = 0;
    let mut day = rolled
        .last()
        .map_or(today - BACKFILL_DAYS * DAY_MS, |d| d + DAY_MS);
    while day < today {
        // The day that has just ended is counted as the fleet stands now; earlier ones from
        // their last hourly snapshot.
        let fresh = day + DAY_MS == today;
        let started = std::time::Instant::now();
        let extras = if fresh {
            DayExtras {
                live: Some(state.store.fleet_counts(now).await?),
                readiness: crate::awareness::checklist(state)
                    .await?
                    .into_iter()
                    .map(|c| (c.id.to_string(), c.pass))
                    .collect(),
            }
        } else {
            DayExtras::default()
        };
        let rows = state.store.rollup_figures(day, &extras).await?;
        state.store.put_rollup(day, &rows, now).await?;
        state
            .metrics
            .rollup_seconds
            .observe(started.elapsed().as_secs_f64());
        done += 1;
        day += DAY_MS;
    }
    let keep = i64::from(state.config.reports.keep_days.max(1)) * DAY_MS;
    state.store.purge_rollups(today - keep).await?;
    Ok(done)
}

// ---- scheduled reports ----

/// Sends every schedule that is due.
pub async fn send_due(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let mut sent = 0;
    for s in state.store.due_report_schedules(now).await? {
        let next = rep::next_run(&s.body, now.max(s.next_run_at)).unwrap_or(now + 7 * DAY_MS);
        let (from, to) = rep::period_for(s.next_run_at, s.body.period_days);
        let run = NewRun {
            // One run per schedule and period: the key another server would use too.
            id: format!("{}-{}", s.id, rep::day_label(from)),
            schedule_id: s.id.clone(),
            period_from: from,
            period_to: to,
            manual: false,
            created_by: "schedule".into(),
            advance: Some((s.next_run_at, next)),
        };
        if send(state, &s, &run, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Makes the report of `run` for each recipient and records it with its e-mails.
async fn send(
    state: &AppState,
    s: &StoredSchedule,
    run: &NewRun,
    now: i64,
) -> Result<bool, ApiError> {
    let mut mails = Vec::new();
    for (i, r) in s.body.recipients.iter().enumerate() {
        let (user_id, address, lang, zone) = match (&r.user, &r.address) {
            (Some(email), _) => match state.store.user_by_email(email).await? {
                Some(u) if !u.disabled => (
                    Some(u.info.id.clone()),
                    u.info.email.clone(),
                    Lang::parse(&u.info.language).unwrap_or_default(),
                    u.info.time_zone.clone(),
                ),
                // A user who left gets nothing; the others still do.
                _ => continue,
            },
            (None, Some(a)) => (
                None,
                a.trim().to_string(),
                r.language
                    .as_deref()
                    .and_then(Lang::parse)
                    .unwrap_or_default(),
                s.body.time_zone.clone(),
            ),
            (None, None) => continue,
        };
        let reader = Reader {
            groups: s.body.groups.clone(),
            device_lists: false,
        };
        let report = build(
            state,
            &reader,
            &s.body.sections,
            s.body.period_days,
            run.period_to,
            lang,
        )
        .await?;
        let subject = steward_core::t_args(
            lang,
            "report-mail-subject",
            &[
                ("name", s.body.name.clone()),
                ("period", report.period_text()),
            ],
        );
        let zone = steward_core::i18n::Zone::new(&zone, "");
        let html = mail_html(state, &report, &s.body.name, zone, now);
        let pdf = crate::pdf::report(
            &state.config.reports.font_file,
            &report,
            &s.body.name,
            zone,
            now,
        )
        .map_err(|e| {
            tracing::warn!(error = %e, "report PDF not made");
            ApiError(ErrorCode::Internal)
        })?;
        let csv = csv_of(&report);
        let stem = format!("steward-report-{}", rep::day_label(run.period_from));
        mails.push(ReportMail {
            key: format!("{}-{i}", run.id),
            user_id,
            address,
            language: lang.code().to_string(),
            subject,
            html,
            attachments: vec![
                (format!("{stem}.pdf"), "application/pdf".into(), pdf),
                (format!("{stem}.csv"), "text/csv".into(), csv.into_bytes()),
            ],
        });
    }
    if !state.config.notify.mail_configured() {
        // Without an SMTP server nothing can be sent: the run is still recorded (and the
        // schedule moves on), with no recipients.
        mails.clear();
    }
    Ok(state.store.record_report(run, &mails, now).await?)
}

/// The e-mail's HTML: the period, each section's figures with the change, and a link.
fn mail_html(
    state: &AppState,
    r: &Report,
    name: &str,
    zone: steward_core::i18n::Zone,
    now: i64,
) -> String {
    use crate::console::escape;
    let lang = r.lang;
    let mut s = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:sans-serif\"><h1>{}</h1><p>{}<br>{}</p>",
        lang.code(),
        escape(name),
        escape(&r.period_text()),
        escape(&r.compared_text())
    );
    for sec in &r.sections {
        s.push_str(&format!(
            "<h2>{}</h2><table cellpadding=\"4\"><tr><th align=\"left\">{}</th><th>{}</th><th>{}</th></tr>",
            escape(&sec.title),
            escape(&t(lang, "report-figure")),
            escape(&t(lang, "report-value")),
            escape(&t(lang, "report-change")),
        ));
        for f in &sec.figures {
            s.push_str(&format!(
                "<tr><td>{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td></tr>",
                escape(&f.label),
                escape(&value_text(lang, f.unit, f.trend.value)),
                escape(&change_text(lang, f.unit, &f.trend)),
            ));
        }
        s.push_str("</table>");
    }
    s.push_str(&format!(
        "<p>{}</p><p><a href=\"{url}/reports\">{url}/reports</a></p></body></html>",
        escape(&steward_core::t_args(
            lang,
            "report-made-at",
            &[("time", zone.time(lang, now))]
        )),
        url = escape(&state.config.console_url()),
    ));
    s
}

/// CSV of a header and rows; text a spreadsheet would take for a formula is neutralised.
fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for row in rows {
        let _ = w.write_record(
            row.iter()
                .map(|c| steward_proto::text::csv_cell(c).into_owned()),
        );
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Every figure of a report by day, as CSV: section, figure, day, value.
pub fn csv_of(r: &Report) -> String {
    let rows = r.sections.iter().flat_map(|sec| {
        sec.figures.iter().flat_map(move |f| {
            f.trend.days.iter().enumerate().map(move |(i, v)| {
                vec![
                    sec.section.as_str().to_string(),
                    f.label.clone(),
                    rep::day_label(r.from + i as i64 * DAY_MS),
                    v.map(|v| v.to_string()).unwrap_or_default(),
                ]
            })
        })
    });
    csv_text(&["section", "figure", "day", "value"], rows)
}

// ---- API ----

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ReportParams {
    pub days: Option<u32>,
    pub sections: Option<String>,
    pub format: Option<String>,
}

/// The sections named in `list` (comma-separated; empty or absent: all).
pub fn parse_sections(list: Option<&str>) -> Result<Vec<Section>, ApiError> {
    match list.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Section::ALL.to_vec()),
        Some(list) => list
            .split(',')
            .map(|s| Section::parse(s.trim()).ok_or(ApiError(ErrorCode::InvalidQuery)))
            .collect(),
    }
}

/// A report as the API gives it.
pub fn report_view(r: &Report) -> steward_proto::reports::ReportView {
    use steward_proto::reports::{FigureView, ReportView, SectionFigures};
    ReportView {
        from: rep::day_label(r.from),
        to: rep::day_label(r.to() - DAY_MS),
        days: r.days,
        rolled_days: r.rolled as u32,
        sections: r
            .sections
            .iter()
            .map(|s| SectionFigures {
                section: s.section,
                title: s.title.clone(),
                figures: s
                    .figures
                    .iter()
                    .map(|f| FigureView {
                        label: f.label.clone(),
                        metric: f.metric.clone(),
                        subject: f.subject.clone(),
                        unit: match f.unit {
                            Unit::Count => "count",
                            Unit::Duration => "hours_ms",
                            Unit::Percent => "percent",
                        }
                        .into(),
                        value: f.trend.value,
                        previous: f.trend.previous,
                        change: f.trend.change(),
                        by_day: f.trend.days.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// `GET /api/v1/reports?days=&sections=&format=json|csv|pdf`: the report over the last
/// `days` whole days (7, 30, 90 or 365) in the caller's language, within their groups.
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    params: Result<Query<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
    let days = p.days.unwrap_or(30);
    if !rep::PERIODS.contains(&days) {
        return Err(ApiError(ErrorCode::InvalidQuery));
    }
    let sections = parse_sections(p.sections.as_deref())?;
    let lang = crate::error::request_lang(&headers);
    let now = state.clock.now_ms();
    let r = build(&state, &Reader::of(&caller), &sections, days, now, lang).await?;
    let file = |kind: &str, ext: &str, body: Vec<u8>| {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"steward-report-{}.{ext}\"",
                        rep::day_label(r.from)
                    ),
                ),
            ],
            body,
        )
            .into_response()
    };
    match p.format.as_deref() {
        None | Some("json") => Ok(Json(report_view(&r)).into_response()),
        Some("csv") => Ok(file(
            "text/csv; charset=utf-8",
            "csv",
            csv_of(&r).into_bytes(),
        )),
        Some("pdf") => {
            let zone = caller_zone(&state, &caller).await;
            let title = t(lang, "report-title");
            let pdf = crate::pdf::report(&state.config.reports.font_file, &r, &title, zone, now)
                .map_err(|e| {
                    tracing::warn!(error = %e, "report PDF not made");
                    ApiError(ErrorCode::Internal)
                })?;
            Ok(file("application/pdf", "pdf", pdf))
        }
        Some(_) => Err(ApiError(ErrorCode::InvalidQuery)),
    }
}

/// The caller's time zone (a user's own; UTC for a service token).
pub async fn caller_zone(state: &AppState, caller: &Caller) -> steward_core::i18n::Zone {
    match &caller.user_id {
        Some(id) => match state.store.user(id).await {
            Ok(u) => steward_core::i18n::Zone::new(&u.info.time_zone, &u.info.region),
            Err(_) => steward_core::i18n::Zone::default(),
        },
        None => steward_core::i18n::Zone::default(),
    }
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ExportParams {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/reports/{section}?from=&to=&format=json|csv`: the stored daily figures of a
/// section for a range of days (at most 400), for BI tools.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(section): Path<String>,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
    let section = Section::parse(&section).ok_or(ApiError(ErrorCode::NotFound))?;
    let today = rep::day_start(state.clock.now_ms());
    let day = |s: &Option<String>, default: i64| match s {
        None => Ok(default),
        Some(s) => rep::parse_day(s).ok_or(ApiError(ErrorCode::InvalidQuery)),
    };
    let to = day(&p.to, today - DAY_MS)?;
    let from = day(&p.from, to - 29 * DAY_MS)?;
    if from > to || to - from > 400 * DAY_MS {
        return Err(ApiError(ErrorCode::InvalidQuery));
    }
    let reader = Reader::of(&caller);
    let rows: Vec<ReportRow> = state
        .store
        .rollup_rows(section.as_str(), from, to + DAY_MS)
        .await?
        .into_iter()
        .filter(|r| reader.sees(&r.group))
        .map(|r| ReportRow {
            day: rep::day_label(r.day),
            device_group: r.group,
            subject: r.subject,
            metric: r.metric,
            value: r.value,
        })
        .collect();
    match p.format.as_deref() {
        None | Some("json") => Ok(Json(ReportExport {
            section,
            from: rep::day_label(from),
            to: rep::day_label(to),
            rows,
        })
        .into_response()),
        Some("csv") => {
            let body = csv_text(
                &["day", "device_group", "subject", "metric", "value"],
                rows.into_iter().map(|r| {
                    vec![
                        r.day,
                        r.device_group,
                        r.subject,
                        r.metric,
                        r.value.to_string(),
                    ]
                }),
            );
            Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"{}-{}.csv\"",
                            section.as_str(),
                            rep::day_label(from)
                        ),
                    ),
                ],
                body,
            )
                .into_response())
        }
        Some(_) => Err(ApiError(ErrorCode::InvalidQuery)),
    }
}

fn view(s: &StoredSchedule) -> ReportSchedule {
    use steward_core::time::to_rfc3339;
    ReportSchedule {
        id: s.id.clone(),
        body: s.body.clone(),
        created_by: s.created_by.clone(),
        created_at: to_rfc3339(s.created_at),
        updated_at: to_rfc3339(s.updated_at),
        next_run_at: to_rfc3339(s.next_run_at),
    }
}

fn checked(body: &ReportScheduleBody, now: i64) -> Result<i64, ApiError> {
    rep::check_schedule(body).map_err(|_| ApiError(ErrorCode::InvalidField))?;
    rep::next_run(body, now).ok_or(ApiError(ErrorCode::InvalidField))
}

pub async fn list_schedules(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<ReportSchedule>>, ApiError> {
    let items: Vec<ReportSchedule> = state
        .store
        .report_schedules()
        .await?
        .iter()
        .map(view)
        .collect();
    Ok(Json(p.page(items, Order::Asc, |s| s.id.clone())))
}

pub async fn get_schedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ReportSchedule>, ApiError> {
    Ok(Json(view(&state.store.report_schedule(&id).await?)))
}

pub async fn create_schedule(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<ReportScheduleBody>,
) -> Result<(StatusCode, Json<ReportSchedule>), ApiError> {
    let now = state.clock.now_ms();
    let next_run_at = checked(&body, now)?;
    let s = StoredSchedule {
        id: uuid::Uuid::now_v7().to_string(),
        body,
        created_by: caller.name.clone(),
        created_at: now,
        updated_at: now,
        next_run_at,
    };
    state
        .store
        .put_report_schedule(&s, true, &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(view(&s))))
}

pub async fn update_schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReportScheduleBody>,
) -> Result<Json<ReportSchedule>, ApiError> {
    let now = state.clock.now_ms();
    let next_run_at = checked(&body, now)?;
    let before = state.store.report_schedule(&id).await?;
    let s = StoredSchedule {
        body,
        updated_at: now,
        next_run_at,
        ..before
    };
    state
        .store
        .put_report_schedule(&s, false, &caller.actor())
        .await?;
    Ok(Json(view(&s)))
}

pub async fn delete_schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_report_schedule(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/report-schedules/{id}/send`: the report of the period up to today, now, to
/// every recipient (the schedule keeps its time).
pub async fn send_now(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ReportRun>), ApiError> {
    let s = state.store.report_schedule(&id).await?;
    if !state.config.notify.mail_configured() {
        return Err(ApiError(ErrorCode::MailNotConfigured));
    }
    let now = state.clock.now_ms();
    let (from, to) = rep::period_for(now, s.body.period_days);
    let run = NewRun {
        id: uuid::Uuid::now_v7().to_string(),
        schedule_id: s.id.clone(),
        period_from: from,
        period_to: to,
        manual: true,
        created_by: caller.name.clone(),
        advance: None,
    };
    send(&state, &s, &run, now).await?;
    let runs = state.store.report_runs(&s.id, 50).await?;
    let made = runs
        .into_iter()
        .find(|r| r.id == run.id)
        .ok_or(ApiError(ErrorCode::Internal))?;
    Ok((StatusCode::ACCEPTED, Json(made)))
}

/// `GET /api/v1/report-schedules/{id}/runs`: what the schedule sent, newest first.
pub async fn list_runs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Pages(p): Pages,
) -> Result<Json<Page<ReportRun>>, ApiError> {
    state.store.report_schedule(&id).await?;
    let runs = state.store.report_runs(&id, 1000).await?;
    Ok(Json(p.page(runs, Order::Desc, |r| r.id.clone())))
}
