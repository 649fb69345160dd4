//! Scripts, remediations, device actions and approvals: the admin API types
//! (`/api/v1/scripts`, `/api/v1/remediations`, `/api/v1/devices/actions`,
//! `/api/v1/approvals`) and what travels to and from the agent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Platform;

/// The longest script Steward keeps (bytes).
pub const MAX_SCRIPT_LEN: usize = 64 * 1024;
/// The most output of one script step the server keeps (characters); the agent sends at most
/// this much, the end of the output when it is longer.
pub const MAX_OUTPUT_CHARS: usize = 8_000;
/// The longest a script may run.
pub const MAX_TIMEOUT_SECS: u32 = 3_600;

/// The interpreter a script is written for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    /// POSIX `sh` (Linux, macOS).
    #[default]
    Sh,
    Bash,
    /// macOS's default shell (also on Linux when installed).
    Zsh,
    /// Windows PowerShell.
    Powershell,
}

impl Shell {
    pub const ALL: [Shell; 4] = [Shell::Sh, Shell::Bash, Shell::Zsh, Shell::Powershell];

    pub fn as_str(self) -> &'static str {
        match self {
            Shell::Sh => "sh",
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Powershell => "powershell",
        }
    }

    pub fn parse(s: &str) -> Option<Shell> {
        Shell::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The platforms a script of this shell can run on.
    pub fn runs_on(self, p: Platform) -> bool {
        match self {
            Shell::Sh | Shell::Bash | Shell::Zsh => matches!(p, Platform::Linux | Platform::Macos),
            Shell::Powershell => p == Platform::Windows,
        }
    }
}

/// SHA-256 of a script's text, hex: its identity on the device.
pub fn script_hash(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// A script as written or changed (`POST /api/v1/scripts`, `PUT /api/v1/scripts/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub shell: Shell,
    /// The script's text (64 KiB at most). A change makes a new version.
    pub content: String,
    /// Seconds before the device stops the script and everything it started (1–3600).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u32,
}

fn default_timeout() -> u32 {
    300
}

/// A script and its current version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Script {
    pub id: String,
    pub name: String,
    pub description: String,
    pub shell: Shell,
    pub timeout_secs: u32,
    /// The current version (1 for a new script).
    pub version: u32,
    pub sha256: String,
    pub content: String,
    /// The version an administrator cleared for the help desk to run on one device.
    pub helpdesk_version: Option<u32>,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

/// One immutable version of a script.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ScriptVersion {
    pub script_id: String,
    pub version: u32,
    pub sha256: String,
    pub content: String,
    pub created_by: String,
    pub created_at: String,
}

/// A detect-and-fix remediation as written or changed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Exit 0: no issue; exit 1: issue found (the fix runs); anything else: script error.
    pub detect_script_id: String,
    /// Absent for a remediation that only detects.
    #[serde(default)]
    pub fix_script_id: Option<String>,
    /// The platform it runs on; devices of other platforms are "not applicable".
    pub platform: Platform,
    /// Device groups it covers; empty for every device.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Hours between runs on a device once it is done (0: once per version).
    #[serde(default)]
    pub every_hours: u32,
    /// Run only on devices failing this compliance rule (its kind, e.g. `firewall_enabled`).
    #[serde(default)]
    pub trigger_rule: Option<String>,
    /// Attempts of the fix before the device shows "fix failed" (1–10).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Minutes before the second attempt, doubled for each further one (1–1440).
    #[serde(default = "default_retry")]
    pub retry_minutes: u32,
    /// Open an alert when more than this share (per cent) of the devices it ran on failed.
    #[serde(default)]
    pub alert_failure_percent: Option<u32>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_attempts() -> u32 {
    3
}
fn default_retry() -> u32 {
    5
}
fn yes() -> bool {
    true
}

impl RemediationBody {
    /// Whether `other` runs something else, or somewhere else: other scripts, another
    /// platform, other groups or another trigger. Such a change is a new generation that every
    /// device runs again (and may need approval); a new name, schedule, retry policy,
    /// threshold or switching it off and on keeps the generation and where each device stands.
    pub fn runs_differently(&self, other: &RemediationBody) -> bool {
        self.detect_script_id != other.detect_script_id
            || self.fix_script_id != other.fix_script_id
            || self.platform != other.platform
            || self.groups != other.groups
            || self.trigger_rule != other.trigger_rule
    }
}

/// A remediation as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Remediation {
    pub id: String,
    #[serde(flatten)]
    pub body: RemediationBody,
    /// Moves whenever a script it runs gets a new version or it changes what it runs or
    /// where (see [`RemediationBody::runs_differently`]): every device runs it again.
    pub generation: u32,
    /// The generation cleared to run (by its author when it reaches few devices, by a
    /// second administrator otherwise).
    pub approved_generation: u32,
    /// The approval this generation waits for.
    pub approval_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Remediation {
    /// Whether its current generation waits for a second administrator.
    pub fn awaiting_approval(&self) -> bool {
        self.approved_generation < self.generation
    }
}

/// Where a remediation stands on one device.
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
pub enum DeviceState {
    /// Not run yet (or waiting for the device to take the request).
    Pending,
    /// The detection found nothing to fix.
    NoIssue,
    /// The detection found the issue (a remediation without a fix stops here).
    Detected,
    /// The fix failed and will be tried again (see the next attempt's time).
    Remediating,
    /// The fix ran and the detection afterwards found nothing.
    Fixed,
    /// Every attempt of the fix failed.
    FixFailed,
    /// A script could not run: refused, timed out, or an unexpected exit code.
    ScriptError,
    /// The device's platform or shell does not fit.
    NotApplicable,
}

impl DeviceState {
    pub const ALL: [DeviceState; 8] = [
        DeviceState::Pending,
        DeviceState::NoIssue,
        DeviceState::Detected,
        DeviceState::Remediating,
        DeviceState::Fixed,
        DeviceState::FixFailed,
        DeviceState::ScriptError,
        DeviceState::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Pending => "pending",
            DeviceState::NoIssue => "no_issue",
            DeviceState::Detected => "detected",
            DeviceState::Remediating => "remediating",
            DeviceState::Fixed => "fixed",
            DeviceState::FixFailed => "fix_failed",
            DeviceState::ScriptError => "script_error",
            DeviceState::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceState> {
        DeviceState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The states "run again on failed" starts over.
    pub fn failed(self) -> bool {
        matches!(self, DeviceState::FixFailed | DeviceState::ScriptError)
    }
}

/// One device's remediation state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct DeviceRemediation {
    pub device_id: String,
    pub device_name: String,
    pub group: String,
    pub state: DeviceState,
    pub generation: u32,
    /// The attempt last made (0 before the first).
    pub attempt: u32,
    pub max_attempts: u32,
    /// When the next attempt is due (a retry, or the next scheduled run).
    pub next_attempt_at: Option<String>,
    pub detect_exit: Option<i32>,
    pub fix_exit: Option<i32>,
    /// What the detection printed before the fix.
    pub detect_output: Option<String>,
    pub fix_output: Option<String>,
    /// What the detection printed after the fix.
    pub after_output: Option<String>,
    pub updated_at: String,
}

/// Counts of one group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct GroupCounts {
    pub group: String,
    pub counts: BTreeMap<String, u64>,
}

/// `GET /api/v1/remediations/{id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct RemediationStatus {
    pub remediation_id: String,
    pub generation: u32,
    pub awaiting_approval: bool,
    pub total: u64,
    /// Devices per state (every state, zeros included).
    pub counts: BTreeMap<String, u64>,
    pub groups: Vec<GroupCounts>,
    /// Share of the devices it finished on whose fix failed or whose script erred, per cent.
    pub failure_percent: u32,
    /// Devices that failed (fix failed, script error), with what the scripts said; 50 at most.
    pub failing: Vec<DeviceRemediation>,
}

/// What the agent is asked to run: a script version the server vouches for by its hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptRef {
    pub sha256: String,
    pub shell: Shell,
    pub timeout_secs: u32,
}

/// The parameters of a `remediate` action.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediateParams {
    pub remediation_id: String,
    pub generation: u32,
    pub attempt: u32,
    pub detect: ScriptRef,
    #[serde(default)]
    pub fix: Option<ScriptRef>,
}

/// How one script step ended on the device.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepResult {
    /// The exit code; `None` when it did not run to an end.
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Standard output and error, interleaved as far as the pipes allow, the end kept.
    #[serde(default)]
    pub output: String,
    /// Why it did not run to an end: `hash_mismatch`, `timed_out`, `not_supported`,
    /// `download_failed`, `spawn_failed`; `no_answer` (set by the server) when the device's
    /// answer did not come within the attempt's lapse.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub duration_ms: u64,
}

/// What the device reports for a script action (with its action result).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptReport {
    #[serde(default)]
    pub detect: Option<StepResult>,
    #[serde(default)]
    pub fix: Option<StepResult>,
    /// The detection run again after the fix.
    #[serde(default)]
    pub after: Option<StepResult>,
}

/// A device action (`POST /api/v1/devices/{id}/actions` for one device,
/// `POST /api/v1/devices/actions` for many).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceActionBody {
    /// `restart`, `logoff`, `run_script`, `collect_diagnostics`, `quarantine`, `lock`, `wipe`.
    pub kind: String,
    /// The devices (for the many-device form); at most 10,000.
    #[serde(default)]
    pub device_ids: Vec<String>,
    /// Every device with this active threat (quarantine only), instead of `device_ids`.
    #[serde(default)]
    pub threat: Option<String>,
    /// `run_script`: the script.
    #[serde(default)]
    pub script_id: Option<String>,
    /// `restart`: minutes the user is given before it happens (0–60, default 5).
    #[serde(default)]
    pub delay_minutes: Option<u32>,
    /// `restart`, `lock`: what the user is shown.
    #[serde(default)]
    pub message: Option<String>,
    /// `quarantine`: the file (all files with `threat` when absent).
    #[serde(default)]
    pub path: Option<String>,
}

/// What a device action did: the requests made, or the approval it waits for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ActionOutcome {
    /// Requests put in the devices' mailboxes (empty while an approval is awaited).
    pub request_ids: Vec<String>,
    pub devices: u64,
    pub approval: Option<Approval>,
}

/// A request for a second administrator's approval.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Approval {
    pub id: String,
    /// `device_action` or `remediation`.
    pub kind: String,
    /// What would happen, in a few words (`wipe`, `restart`, the remediation's name).
    pub summary: String,
    /// How many devices it reaches.
    pub devices: u64,
    /// `pending`, `approved`, `refused`, `superseded`.
    pub state: String,
    pub requested_by: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
    /// What was asked for (the action body, or the remediation and its generation).
    pub payload: serde_json::Value,
}

/// `POST /api/v1/approvals/{id}/approve` and `/refuse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    pub note: Option<String>,
}

/// A diagnostics bundle a device uploaded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct DiagnosticsInfo {
    pub id: String,
    pub device_id: String,
    pub size: u64,
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_fit_their_platforms_and_hashes_are_sha256() {
        assert!(Shell::Sh.runs_on(Platform::Linux));
        assert!(Shell::Zsh.runs_on(Platform::Macos));
        assert!(!Shell::Powershell.runs_on(Platform::Linux));
        assert!(Shell::Powershell.runs_on(Platform::Windows));
        assert_eq!(
            script_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        for s in DeviceState::ALL {
            assert_eq!(DeviceState::parse(s.as_str()), Some(s));
        }
    }
}
