//! Admin API types of reports (`/api/v1/reports/{section}`, `/api/v1/report-schedules`).

use serde::{Deserialize, Serialize};

/// What a report can hold. Each section is a set of daily figures.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Devices by platform, endpoint-protection health, compliance and check-in freshness.
    Devices,
    /// Per policy and rule: devices passing, failing, not applicable.
    Policies,
    /// Alerts opened and resolved, times to acknowledge and to resolve, by severity and rule.
    Alerts,
    /// Enrollments that succeeded, and those refused by reason.
    Enrollments,
    /// Install states per app assignment.
    Apps,
    /// The readiness checklist, item by item.
    Readiness,
    /// Knowledge-base articles: answers "this solved it" and "it did not".
    Knowledge,
    /// Announcements: devices targeted, reached and read.
    Announcements,
    /// Per remediation: devices fixed, whose fix failed and whose script failed.
    Remediations,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Devices,
        Section::Policies,
        Section::Alerts,
        Section::Enrollments,
        Section::Apps,
        Section::Readiness,
        Section::Knowledge,
        Section::Announcements,
        Section::Remediations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Devices => "devices",
            Section::Policies => "policies",
            Section::Alerts => "alerts",
            Section::Enrollments => "enrollments",
            Section::Apps => "apps",
            Section::Readiness => "readiness",
            Section::Knowledge => "knowledge",
            Section::Announcements => "announcements",
            Section::Remediations => "remediations",
        }
    }

    pub fn parse(s: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One stored figure of one day: `value` of `metric` about `subject` (a policy rule, an
/// alert rule, an assignment; empty when the section has one subject) among the devices of
/// `device_group` (empty: not tied to a group, or devices without one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportRow {
    /// The day (UTC), `YYYY-MM-DD`.
    pub day: String,
    pub device_group: String,
    pub subject: String,
    pub metric: String,
    pub value: i64,
}

/// `GET /api/v1/reports/{section}?from=&to=`: the stored figures of the days from `from` to
/// `to` (both included) that the caller may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportExport {
    pub section: Section,
    pub from: String,
    pub to: String,
    pub rows: Vec<ReportRow>,
}

/// How often a scheduled report goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    Weekly,
    Monthly,
}

/// Who gets a scheduled report: a user (in their language and time zone), or an address
/// with a language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// A user's e-mail address as it is known to Steward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Any e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 254)]
    pub address: Option<String>,
    /// For an address: `en-US`, `fr`, `sv`, `de` or `ko`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// `POST /api/v1/report-schedules`, `PUT /api/v1/report-schedules/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportScheduleBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(min_items = 1)]
    pub sections: Vec<Section>,
    /// Days the report covers: 7, 30, 90 or 365.
    pub period_days: u32,
    /// Device groups the figures count (empty: every device).
    #[serde(default)]
    pub groups: Vec<String>,
    #[schema(min_items = 1, max_items = 100)]
    pub recipients: Vec<Recipient>,
    pub cadence: Cadence,
    /// For a weekly report: 1 (Monday) to 7 (Sunday).
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 7)]
    pub weekday: u8,
    /// For a monthly report: 1 to 28.
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 28)]
    pub day_of_month: u8,
    /// Hour of the day, 0 to 23, in `time_zone`.
    #[serde(default = "seven")]
    #[schema(minimum = 0, maximum = 23)]
    pub hour: u8,
    /// An IANA time zone (`Europe/Stockholm`).
    #[serde(default = "utc")]
    pub time_zone: String,
}

fn one() -> u8 {
    1
}
fn seven() -> u8 {
    7
}
fn utc() -> String {
    "UTC".into()
}

/// A scheduled report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportSchedule {
    pub id: String,
    #[serde(flatten)]
    pub body: ReportScheduleBody,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub next_run_at: String,
}

/// One report sent: a period of a schedule, or a "send now".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportRun {
    pub id: String,
    pub schedule_id: String,
    /// The first day the report covers, `YYYY-MM-DD`.
    pub period_from: String,
    /// The last day it covers.
    pub period_to: String,
    pub created_at: String,
    /// Sent by "send now", not by the schedule.
    pub manual: bool,
    pub recipients: u32,
    pub created_by: String,
}

/// `GET /api/v1/reports?days=&sections=`: the report a reader sees, in their language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportView {
    /// The first day of the period, `YYYY-MM-DD`.
    pub from: String,
    /// The last day.
    pub to: String,
    pub days: u32,
    /// Days of the period with figures.
    pub rolled_days: u32,
    pub sections: Vec<SectionFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SectionFigures {
    pub section: Section,
    pub title: String,
    pub figures: Vec<FigureView>,
}

/// One figure: its value over the period (a state on the last day, events summed, a mean),
/// the previous period's, and one value per day (`null`: the day has no figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FigureView {
    pub label: String,
    pub metric: String,
    pub subject: String,
    /// count, hours_ms (milliseconds) or percent.
    pub unit: String,
    pub value: Option<i64>,
    pub previous: Option<i64>,
    pub change: Option<i64>,
    pub by_day: Vec<Option<i64>>,
}
