//! Admin API types (`/api/v1/…`).

use serde::{Deserialize, Serialize};

use crate::agent::{Platform, ProtectionStatus, ThreatState};

/// `{"items": [...], "next_cursor": "..." | null}`
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

pub const DEFAULT_PAGE_LIMIT: u32 = 50;
pub const MAX_PAGE_LIMIT: u32 = 1000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct DeviceSummary {
    pub id: String,
    pub name: String,
    pub platform: Platform,
    pub os_name: String,
    pub os_version: String,
    pub serial: String,
    pub owner: String,
    pub group: Option<String>,
    pub enrolled_at: String,
    pub last_seen_at: String,
    pub retired: bool,
    /// compliant, in_grace, noncompliant, not_evaluated or error.
    pub compliance_state: String,
    /// protected, at_risk, active_threat, unprotected or unknown (kept current by the sweeper).
    pub health_state: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct DeviceEvent {
    pub at: String,
    pub kind: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct DeviceDetail {
    #[serde(flatten)]
    pub summary: DeviceSummary,
    pub model: String,
    pub seq: u64,
    pub os: Option<serde_json::Value>,
    pub inventory: Option<serde_json::Value>,
    pub inventory_hash: Option<String>,
    pub protection: Option<ProtectionStatus>,
    /// Classified at read time from `protection` and the current time.
    pub health: Option<Health>,
    /// Per-rule results of the latest compliance evaluation.
    pub compliance_results: Option<serde_json::Value>,
    pub compliance: Option<serde_json::Value>,
    pub history: Vec<DeviceEvent>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnrollmentToken {
    #[serde(default)]
    #[schema(max_length = 255)]
    pub name: Option<String>,
    /// Hours until the token expires; none means it never expires.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 87600)]
    pub expires_in_hours: Option<u32>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000000)]
    pub max_uses: Option<u32>,
    /// Device group the enrolled devices join.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 255, pattern = "^[^,]+$")]
    pub group: Option<String>,
    /// Platforms allowed to enroll with this token; empty means all.
    #[serde(default)]
    pub platforms: Vec<Platform>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct EnrollmentTokenInfo {
    pub id: String,
    pub name: String,
    /// The first characters of the token, to recognise it; the token itself is stored hashed.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub max_uses: Option<u32>,
    pub uses: u32,
    pub group: Option<String>,
    pub platforms: Vec<Platform>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedEnrollmentToken {
    /// Shown once.
    pub token: String,
    #[serde(flatten)]
    pub info: EnrollmentTokenInfo,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct EnrollmentAttempt {
    pub id: i64,
    pub at: String,
    /// `success` or a failure reason code (`unknown_token`, `token_expired` …).
    pub result: String,
    pub token_id: Option<String>,
    pub platform: Option<String>,
    pub os_version: String,
    pub hostname: String,
    pub serial: String,
    pub owner: String,
    pub device_id: Option<String>,
    pub remote_addr: String,
}

/// `POST /api/v1/auth/tokens`: a token of the caller's own (it acts with the caller's roles).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOwnToken {
    pub name: String,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 87600)]
    pub expires_in_hours: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// Required for a service token (`POST /api/v1/tokens`); not allowed for a user's own
    /// token (`POST /api/v1/auth/tokens`).
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 87600)]
    pub expires_in_hours: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiTokenInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    /// A service token's role; absent for a user's own token, which acts with the user's roles.
    pub role: Option<String>,
    pub user_id: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedApiToken {
    pub token: String,
    #[serde(flatten)]
    pub info: ApiTokenInfo,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    /// `token:ID`, `cli` or `anonymous`.
    pub actor: String,
    pub actor_name: String,
    pub role: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub remote_addr: String,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
}

/// A console user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct UserInfo {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// en, fr, sv, de or ko.
    pub language: String,
    /// The time zone the user reads times in (an IANA name such as `Europe/Stockholm`).
    pub time_zone: String,
    /// `en-US` or `en-GB` for English readers; empty for the language's own format.
    pub region: String,
    pub roles: Vec<String>,
    /// Device groups the user is limited to; empty means all devices.
    pub groups: Vec<String>,
    pub disabled: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(
        max_length = 255,
        pattern = r"^[^@\s\x00-\x1f\x7f-\x9f]+@[^.\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*\.[^\s\x00-\x1f\x7f-\x9f]*$"
    )]
    pub email: String,
    #[serde(default)]
    #[schema(max_length = 255, pattern = r"\S")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[schema(min_items = 1)]
    pub roles: Vec<String>,
    #[serde(default)]
    #[schema(inline)]
    pub groups: Vec<String>,
    /// When absent, a password is generated and returned once.
    #[serde(default)]
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedUser {
    pub user: UserInfo,
    /// The generated password, shown once; absent when the request set one.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    #[schema(max_length = 255, pattern = r"\S")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// An IANA time zone name (`Asia/Seoul`).
    #[serde(default)]
    #[schema(max_length = 64)]
    pub time_zone: Option<String>,
    /// `en-US`, `en-GB` or empty.
    #[serde(default)]
    #[schema(max_length = 8)]
    pub region: Option<String>,
    #[serde(default)]
    #[schema(min_items = 1)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(max_length = 1024)]
    pub email: String,
    #[schema(max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub user: UserInfo,
    /// Send back as `X-CSRF-Token` on every request that changes something.
    pub csrf_token: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(max_length = 1024)]
    pub current_password: String,
    #[schema(min_length = 12, max_length = 1024)]
    pub new_password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PasswordReset {
    /// The new password, shown once.
    pub password: String,
}

/// Endpoint-protection health of a device (see `steward_core::health`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    Protected,
    AtRisk,
    ActiveThreat,
    Unprotected,
    Unknown,
}

impl HealthState {
    pub const ALL: [HealthState; 5] = [
        HealthState::Protected,
        HealthState::AtRisk,
        HealthState::ActiveThreat,
        HealthState::Unprotected,
        HealthState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Protected => "protected",
            HealthState::AtRisk => "at_risk",
            HealthState::ActiveThreat => "active_threat",
            HealthState::Unprotected => "unprotected",
            HealthState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<HealthState> {
        HealthState::ALL.into_iter().find(|h| h.as_str() == s)
    }
}

/// Why a device is not simply "protected".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum HealthReason {
    NotReported,
    NoEngine,
    MalwareProtectionOff,
    ActiveThreat { threats: usize },
    RealtimeProtectionOff,
    SignaturesOutdated { age_days: i64 },
    ScanOverdue { days_since_scan: Option<i64> },
    PendingAction { state: ThreatState },
    RealtimeProtectionUnknown,
    SignatureAgeUnknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    pub state: HealthState,
    pub reasons: Vec<HealthReason>,
}

/// Active devices counted by platform, health, compliance and check-in freshness
/// (`GET /api/v1/fleet/summary`). Every health and compliance state is present, zero or not.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct FleetSummary {
    /// When the counts were taken (they are at most `[fleet] summary_max_age_secs` old).
    pub as_of: String,
    pub total: u64,
    pub by_platform: std::collections::BTreeMap<String, u64>,
    pub by_health: std::collections::BTreeMap<String, u64>,
    pub by_compliance: std::collections::BTreeMap<String, u64>,
    /// last_24h, last_7d (but not the last 24 h), older.
    pub by_checkin: std::collections::BTreeMap<String, u64>,
}

/// Hourly counts of one dimension (`GET /api/v1/fleet/history`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct FleetHistory {
    pub dimension: String,
    pub points: Vec<FleetPoint>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct FleetPoint {
    pub at: String,
    pub counts: std::collections::BTreeMap<String, u64>,
}
