//! Admin API types of software distribution (`/api/v1/apps`, `/api/v1/app-assignments`,
//! `/api/v1/software`).

use serde::{Deserialize, Serialize};

/// An app in the catalog, with its versions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct App {
    pub id: String,
    pub name: String,
    pub publisher: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    /// Newest first.
    pub versions: Vec<AppVersion>,
}

/// `POST /api/v1/apps` and `PUT /api/v1/apps/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppBody {
    pub name: String,
    #[serde(default)]
    pub publisher: String,
    #[serde(default)]
    pub description: String,
}

/// One deliverable version of an app on one platform.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AppVersion {
    pub id: String,
    pub app_id: String,
    pub version: String,
    /// windows, macos, linux, ios or android.
    pub platform: String,
    /// deb (uploaded), apt (from the device's apt sources), msi, win32, pkg or store.
    pub kind: String,
    /// The package's name on the device (dpkg's name, MSI product code, bundle id).
    pub package: String,
    /// The architecture it is built for (`all`, `amd64` …); empty for any.
    pub arch: String,
    /// SHA-256 of the uploaded file.
    pub sha256: Option<String>,
    pub size: u64,
    pub created_at: String,
}

/// `POST /api/v1/apps/{id}/versions`: a version named (apt, msi, win32, pkg, store); an
/// uploaded Debian package comes through `POST /api/v1/apps/{id}/packages` instead.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppVersionBody {
    pub version: String,
    pub platform: String,
    pub kind: String,
    pub package: String,
    #[serde(default)]
    pub arch: String,
}

/// One rollout wave: a share of the targeted devices (cumulative percent) or a named ring
/// (a device group). The last wave takes every device the others did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    /// Devices whose bucket (0–99, fixed per assignment and device) is below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    /// Devices of this group (a ring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// An app assigned to devices.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AppAssignment {
    pub id: String,
    pub app_id: String,
    pub app_name: String,
    pub version_id: String,
    pub version: String,
    pub platform: String,
    /// required, available or uninstall.
    pub intent: String,
    /// The device group; `None` for all devices.
    pub group: Option<String>,
    pub start_at: String,
    pub deadline_at: Option<String>,
    pub waves: Vec<Wave>,
    /// Share of a wave's devices (percent) that must succeed before the next wave starts.
    pub gate_percent: u8,
    /// Share (percent) that must be installed by the deadline, or the deployment is behind
    /// plan.
    pub target_percent: u8,
    /// A wave whose failure rate passes this (percent) raises an alert.
    pub failure_percent: u8,
    /// The wave running now (0-based).
    pub current_wave: u32,
    pub paused: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /api/v1/app-assignments`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentBody {
    pub version_id: String,
    pub intent: String,
    /// A device group; absent for all devices.
    #[serde(default)]
    pub group: Option<String>,
    /// RFC 3339; now when absent.
    #[serde(default)]
    pub start_at: Option<String>,
    #[serde(default)]
    pub deadline_at: Option<String>,
    /// One wave (everything at once) when empty.
    #[serde(default)]
    pub waves: Vec<Wave>,
    #[serde(default)]
    pub gate_percent: Option<u8>,
    #[serde(default)]
    pub target_percent: Option<u8>,
    #[serde(default)]
    pub failure_percent: Option<u8>,
}

/// How many targets of an assignment are in one state, by group, wave and error code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct StateCount {
    pub state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error_code: String,
    /// The device's group when targeted ("" for none).
    pub group: String,
    pub wave: u32,
    pub count: u64,
}

/// `GET /api/v1/apps/{id}/status`: every assignment of the app with its counts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AppStatus {
    pub app: App,
    pub assignments: Vec<AssignmentStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AssignmentStatus {
    pub assignment: AppAssignment,
    pub targets: u64,
    /// Counts by state (all groups and waves).
    pub states: Vec<NamedCount>,
    /// Counts of failures by error code.
    pub errors: Vec<NamedCount>,
    /// Per wave: targets, succeeded and the success rate (percent).
    pub waves: Vec<WaveStatus>,
    pub counts: Vec<StateCount>,
    /// Hourly counts by state, oldest first.
    pub history: Vec<CountPoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct NamedCount {
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct WaveStatus {
    pub wave: u32,
    pub targets: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub success_percent: f64,
    /// started, waiting or done.
    pub phase: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct CountPoint {
    pub at: String,
    pub state: String,
    pub count: u64,
}

/// One device's standing with one assignment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AppTarget {
    pub assignment_id: String,
    pub app_id: String,
    pub app_name: String,
    pub version: String,
    pub intent: String,
    pub device_id: String,
    pub device_name: String,
    /// The device's group when it was targeted ("" for none).
    pub group: String,
    pub wave: u32,
    /// pending, available, downloading, installing, removing, installed, removed, failed,
    /// not_applicable, blocked, timed_out or mismatch (the device says installed and its
    /// software inventory does not).
    pub state: String,
    /// What the device itself last said.
    pub reported_state: String,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub attempt: u32,
    pub generation: u32,
    pub updated_at: String,
}

/// One step a device reported (the help desk's attempts).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AppAttempt {
    pub assignment_id: String,
    pub app_name: String,
    pub device_id: String,
    pub state: String,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub attempt: u32,
    pub at: String,
}

/// A version of a package found in the software inventory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SoftwareTitle {
    pub name: String,
    pub version: String,
    pub arch: String,
    pub source: String,
    pub devices: u64,
}

/// A device holding a package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SoftwareDevice {
    pub device_id: String,
    pub device_name: String,
    pub version: String,
    pub arch: String,
}

/// `GET /api/v1/software?name=&version=`: the matching versions with their counts and a
/// page of the devices holding them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SoftwareAnswer {
    pub titles: Vec<SoftwareTitle>,
    pub items: Vec<SoftwareDevice>,
    pub next_cursor: Option<String>,
    pub total: Option<u64>,
}
