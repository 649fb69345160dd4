//! The agent API: `POST /agent/v1/enroll` and `POST /agent/v1/checkin`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Maximum accepted length (characters) of any free-text identity field (hostname, serial, owner …).
pub const MAX_FIELD_LEN: usize = 255;

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
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Windows,
    Macos,
    Linux,
    Ios,
    Android,
}

impl Platform {
    pub const ALL: [Platform; 5] = [
        Platform::Windows,
        Platform::Macos,
        Platform::Linux,
        Platform::Ios,
        Platform::Android,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Windows => "windows",
            Platform::Macos => "macos",
            Platform::Linux => "linux",
            Platform::Ios => "ios",
            Platform::Android => "android",
        }
    }

    /// The operating system's usual name.
    pub fn os_name(self) -> &'static str {
        match self {
            Platform::Windows => "Windows",
            Platform::Macos => "macOS",
            Platform::Linux => "Linux",
            Platform::Ios => "iOS",
            Platform::Android => "Android",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The enrollment token as handed out by an administrator.
    pub token: String,
    pub hostname: String,
    pub platform: Platform,
    pub os_version: String,
    /// A stable identifier of the hardware (machine id, serial-derived id …); one active
    /// device record per hardware id.
    pub hardware_id: String,
    #[serde(default)]
    pub serial: String,
    /// E-mail of the person the device belongs to, when the agent knows it.
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub model: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct EnrollResponse {
    pub device_id: String,
    /// Shown to the device once; the server keeps only its hash.
    pub device_secret: String,
    pub checkin_interval_secs: u32,
}

/// Basic operating-system facts sent on every check-in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OsFacts {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub build: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kernel: String,
    pub hostname: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arch: String,
    /// The system locale (`fr_FR.UTF-8` …): the owner's language for announcements.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub locale: String,
}

/// Device threat state, modelled on Intune's Defender report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThreatState {
    Clean,
    ActiveThreat,
    PendingFullScan,
    PendingReboot,
    PendingManualSteps,
    Critical,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DetectionAction {
    Quarantined,
    Removed,
    LeftInPlace,
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    pub threat_name: String,
    #[serde(default)]
    pub path: String,
    /// critical, high, medium, low
    #[serde(default)]
    pub severity: String,
    pub action: DetectionAction,
    /// RFC 3339 time of detection.
    pub detected_at: String,
}

/// Endpoint-protection status. Every field is optional: `None` means "unknown", never "off".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtectionStatus {
    /// Engine name (ClamAV, Microsoft Defender, XProtect …); `None` when no engine is installed.
    #[serde(default)]
    pub engine: Option<String>,
    #[serde(default)]
    pub engine_version: Option<String>,
    #[serde(default)]
    pub malware_protection: Option<bool>,
    #[serde(default)]
    pub realtime_protection: Option<bool>,
    #[serde(default)]
    pub tamper_protection: Option<bool>,
    #[serde(default)]
    pub signature_version: Option<String>,
    /// RFC 3339 time the signatures were published.
    #[serde(default)]
    pub signature_updated_at: Option<String>,
    #[serde(default)]
    pub last_quick_scan_at: Option<String>,
    #[serde(default)]
    pub last_full_scan_at: Option<String>,
    #[serde(default)]
    pub reboot_pending: Option<bool>,
    #[serde(default)]
    pub threat_state: Option<ThreatState>,
    #[serde(default)]
    pub detections: Vec<Detection>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinRequest {
    /// Strictly increasing per device; a replayed or older number changes nothing.
    pub seq: u64,
    pub os: OsFacts,
    /// Hash of the device's current inventory (see [`inventory_hash`]).
    #[serde(default)]
    pub inventory_hash: Option<String>,
    /// The full inventory: sent on first contact and whenever its hash changes.
    #[serde(default)]
    pub inventory: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub protection: Option<ProtectionStatus>,
    /// Compliance facts; evaluated by compliance policies.
    #[serde(default)]
    pub compliance: Option<serde_json::Map<String, serde_json::Value>>,
    /// Results of actions the server asked for earlier.
    #[serde(default)]
    pub action_results: Vec<ActionResult>,
    /// App install results that changed since the last report (all of them on first
    /// contact).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_installs: Vec<AppInstall>,
    /// Hash of the installed software (see [`software_hash`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_hash: Option<String>,
    /// The installed software: sent when its hash changed, or when the server asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<Vec<SoftwarePackage>>,
    /// Earlier snapshots the agent gave up sending (the server refused them for a reason
    /// retrying cannot fix), reported once each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_aside: Vec<SetAside>,
}

/// A snapshot the agent set aside: which one, what the server answered, how often it tried.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAside {
    pub seq: u64,
    /// The HTTP status (0 when the connection failed).
    pub status: u16,
    /// The server's error code, when it gave one.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    pub attempts: u32,
    /// RFC 3339 time it was set aside.
    pub at: String,
}

/// The install result of one app on the device.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppInstall {
    pub app_id: String,
    pub name: String,
    #[serde(default)]
    pub version: String,
    /// One of [`AppInstall::STATES`].
    pub state: String,
    /// Why it failed: Steward's code or the platform's (`0x80070643`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The assignment it answers (absent for apps the device reports on its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_id: Option<String>,
    /// The assignment's generation it answers (a retry starts a new one).
    #[serde(default)]
    pub generation: u32,
    /// Which attempt this is (1 for the first).
    #[serde(default)]
    pub attempt: u32,
    /// What the installer said (its last lines), for the help desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl AppInstall {
    pub const STATES: [&'static str; 10] = [
        "pending",
        "available",
        "downloading",
        "installing",
        "removing",
        "installed",
        "removed",
        "failed",
        "not_applicable",
        "blocked",
    ];

    pub fn is_valid(&self) -> bool {
        let short = |s: &str, max: usize| s.len() <= max;
        !self.app_id.is_empty()
            && short(&self.app_id, 200)
            && short(&self.name, 200)
            && short(&self.version, 100)
            && Self::STATES.contains(&self.state.as_str())
            && self.error_code.as_deref().is_none_or(|c| short(c, 100))
            && self.assignment_id.as_deref().is_none_or(|c| short(c, 100))
            && self.message.as_deref().is_none_or(|c| short(c, 2000))
    }
}

/// One installed package, as the software inventory lists it.
#[derive(
    Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SoftwarePackage {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub arch: String,
    /// Where it came from: `steward` (installed by an assignment), `dpkg` (the package
    /// database), or the platform's word (`msi`, `store` …).
    #[serde(default)]
    pub source: String,
}

impl SoftwarePackage {
    pub fn is_valid(&self) -> bool {
        !self.name.is_empty()
            && self.name.len() <= 200
            && self.version.len() <= 100
            && self.arch.len() <= 32
            && self.source.len() <= 32
    }
}

/// Hash of a software list: SHA-256 over its canonical JSON, sorted, hex.
pub fn software_hash(packages: &[SoftwarePackage]) -> String {
    let mut sorted: Vec<&SoftwarePackage> = packages.iter().collect();
    sorted.sort();
    hex::encode(Sha256::digest(
        serde_json::to_vec(&sorted).unwrap_or_default(),
    ))
}

/// An app the server wants on (or off) this device, as `GET /agent/v1/apps` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AppOffer {
    pub assignment_id: String,
    pub app_id: String,
    pub name: String,
    pub version: String,
    /// `required`, `available` or `uninstall`.
    pub intent: String,
    /// `deb`, `apt`, `msi`, `win32`, `pkg` or `store`.
    pub kind: String,
    /// The package's name on the device (dpkg's name, product code, bundle id).
    pub package: String,
    /// The architecture it is built for (`all`, `amd64` …); empty for any.
    #[serde(default)]
    pub arch: String,
    /// SHA-256 of the uploaded file, checked before installing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default)]
    pub size: u64,
    /// Where to download it (`/agent/v1/packages/{sha256}`), for uploaded packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Moves when the server asks for another attempt (a retry).
    pub generation: u32,
    /// RFC 3339 time by which it should be done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
}

/// The answer to `GET /agent/v1/apps`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AppsDocument {
    /// The catalog version it was made from (as check-in answers give it).
    pub version: i64,
    pub apps: Vec<AppOffer>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionResult {
    pub action_id: String,
    pub ok: bool,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// What the scripts of a `remediate` or `run_script` action did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<crate::remediation::ScriptReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Action {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub params: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct CheckinResponse {
    /// False when the sequence number was not newer than the last one stored: nothing changed.
    pub applied: bool,
    /// Seconds until the device should check in again (the server raises it under load).
    pub next_checkin_secs: u32,
    /// True when the server wants the full inventory on the next check-in.
    pub send_inventory: bool,
    #[serde(default)]
    pub actions: Vec<Action>,
    /// A new device secret (after an administrator asked for rotation): store it at once and
    /// use it from the next request; the old one stops working when the new one is first used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_secret: Option<String>,
    /// The version of the device's app assignments: when it differs from the one the agent
    /// holds, the agent asks `GET /agent/v1/apps` for its list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apps_version: Option<i64>,
    /// True when the server wants the full software list with the next check-in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub send_software: bool,
}

/// The answer to `GET /agent/v1/wait`: what was put in the device's mailbox while the agent
/// waited (empty when the wait ran out; the agent asks again at once).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct WaitResponse {
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// Hash of an inventory document: SHA-256 over its canonical JSON (keys sorted), hex.
pub fn inventory_hash(inventory: &serde_json::Map<String, serde_json::Value>) -> String {
    // serde_json's Map is a BTreeMap (no `preserve_order`), so serialisation is canonical.
    let bytes = serde_json::to_vec(inventory).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// The device credential as sent in `Authorization: Bearer …`.
pub fn device_credential(device_id: &str, secret: &str) -> String {
    format!("{device_id}.{secret}")
}
