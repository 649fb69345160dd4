//! Software distribution without I/O: app kinds and assignment intents, the install states a
//! target moves through, which rollout wave a device falls in, when a wave's gate is met,
//! what a dpkg/apt failure means (a stable code from its exit status and output), and Debian
//! version ranges for the software inventory.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use steward_proto::Platform;

/// How an app version is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// A Debian package uploaded to Steward (served to enrolled devices, SHA-256 checked).
    Deb,
    /// A Debian package named with a version, from the device's own apt sources.
    Apt,
    /// Windows Installer package.
    Msi,
    /// Windows app packaged for Intune (`.intunewin`).
    Win32,
    /// macOS installer package.
    Pkg,
    /// An app from the platform's store (Microsoft Store, App Store, Google Play).
    Store,
}

impl AppKind {
    pub const ALL: [AppKind; 6] = [
        AppKind::Deb,
        AppKind::Apt,
        AppKind::Msi,
        AppKind::Win32,
        AppKind::Pkg,
        AppKind::Store,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Deb => "deb",
            AppKind::Apt => "apt",
            AppKind::Msi => "msi",
            AppKind::Win32 => "win32",
            AppKind::Pkg => "pkg",
            AppKind::Store => "store",
        }
    }

    pub fn parse(s: &str) -> Option<AppKind> {
        AppKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The platforms this kind of package installs on.
    pub fn fits(self, platform: Platform) -> bool {
        match self {
            AppKind::Deb | AppKind::Apt => platform == Platform::Linux,
            AppKind::Msi | AppKind::Win32 => platform == Platform::Windows,
            AppKind::Pkg => platform == Platform::Macos,
            AppKind::Store => platform != Platform::Linux,
        }
    }
}

/// What an assignment asks of its devices (Intune's assignment types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Installed on every targeted device.
    Required,
    /// Offered; the device's user installs it (`steward-agent apps install`).
    Available,
    /// Removed from every targeted device.
    Uninstall,
}

impl Intent {
    pub const ALL: [Intent; 3] = [Intent::Required, Intent::Available, Intent::Uninstall];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Required => "required",
            Intent::Available => "available",
            Intent::Uninstall => "uninstall",
        }
    }

    pub fn parse(s: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The state that fulfils the intent.
    pub fn goal(self) -> InstallState {
        match self {
            Intent::Required | Intent::Available => InstallState::Installed,
            Intent::Uninstall => InstallState::Removed,
        }
    }
}

/// Where one device stands with one assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallState {
    /// Targeted; the device has not reported on it yet.
    Pending,
    /// Offered for self-service and not installed.
    Available,
    Downloading,
    Installing,
    Removing,
    Installed,
    Removed,
    Failed,
    /// Not for this device: platform, architecture or an unmet dependency.
    NotApplicable,
    /// The device cannot install at all (the agent does not run as root).
    Blocked,
    /// The deadline passed without an answer from the device.
    TimedOut,
    /// The device says installed (or removed) and its software inventory says otherwise.
    Mismatch,
}

impl InstallState {
    pub const ALL: [InstallState; 12] = [
        InstallState::Pending,
        InstallState::Available,
        InstallState::Downloading,
        InstallState::Installing,
        InstallState::Removing,
        InstallState::Installed,
        InstallState::Removed,
        InstallState::Failed,
        InstallState::NotApplicable,
        InstallState::Blocked,
        InstallState::TimedOut,
        InstallState::Mismatch,
    ];

    /// What devices may report (the server decides `pending`, `timed_out` and `mismatch`).
    pub const REPORTED: [InstallState; 9] = [
        InstallState::Available,
        InstallState::Downloading,
        InstallState::Installing,
        InstallState::Removing,
        InstallState::Installed,
        InstallState::Removed,
        InstallState::Failed,
        InstallState::NotApplicable,
        InstallState::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstallState::Pending => "pending",
            InstallState::Available => "available",
            InstallState::Downloading => "downloading",
            InstallState::Installing => "installing",
            InstallState::Removing => "removing",
            InstallState::Installed => "installed",
            InstallState::Removed => "removed",
            InstallState::Failed => "failed",
            InstallState::NotApplicable => "not_applicable",
            InstallState::Blocked => "blocked",
            InstallState::TimedOut => "timed_out",
            InstallState::Mismatch => "mismatch",
        }
    }

    pub fn parse(s: &str) -> Option<InstallState> {
        InstallState::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Still on its way: the deadline turns these into `timed_out`.
    pub fn in_progress(self) -> bool {
        matches!(
            self,
            InstallState::Pending
                | InstallState::Downloading
                | InstallState::Installing
                | InstallState::Removing
        )
    }

    /// Counted against an assignment's success rate (an error the team must look at).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            InstallState::Failed
                | InstallState::Blocked
                | InstallState::TimedOut
                | InstallState::Mismatch
        )
    }
}

pub use steward_proto::apps::Wave;

/// The catalog key naming an install state.
pub fn state_key(state: &str) -> &'static str {
    match state {
        "pending" => "install-state-pending",
        "available" => "install-state-available",
        "downloading" => "install-state-downloading",
        "installing" => "install-state-installing",
        "removing" => "install-state-removing",
        "installed" => "install-state-installed",
        "removed" => "install-state-removed",
        "failed" => "install-state-failed",
        "not_applicable" => "install-state-not-applicable",
        "blocked" => "install-state-blocked",
        "timed_out" => "install-state-timed-out",
        "mismatch" => "install-state-mismatch",
        _ => "install-state-unknown",
    }
}

/// The catalog key naming an assignment's intent.
pub fn intent_key(intent: &str) -> &'static str {
    match intent {
        "required" => "assign-intent-required",
        "available" => "assign-intent-available",
        "uninstall" => "assign-intent-uninstall",
        _ => "install-state-unknown",
    }
}

/// Checks a wave plan: at most 10 waves, each a share (1–100) or a ring (not both). Shares
/// are cumulative: a share no larger than an earlier one adds no devices, so its wave is
/// empty and its gate met at once.
pub fn validate_waves(waves: &[Wave]) -> Result<(), &'static str> {
    if waves.len() > 10 {
        return Err("waves");
    }
    for w in waves {
        match (w.percent, &w.group) {
            (Some(p), None) if (1..=100).contains(&p) => {}
            (None, Some(g)) if !g.trim().is_empty() && g.chars().count() <= 255 => {}
            _ => return Err("waves"),
        }
    }
    Ok(())
}

/// A device's bucket in an assignment: 0–99, the same on every server and every run.
pub fn bucket(assignment_id: &str, device_id: &str) -> u8 {
    let digest = Sha256::new()
        .chain_update(assignment_id.as_bytes())
        .chain_update([0u8])
        .chain_update(device_id.as_bytes())
        .finalize();
    let n = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default());
    (n % 100) as u8
}

/// The wave (0-based) a device falls in: its ring if one names its group, else the first
/// share wave its bucket is below, else the last wave.
pub fn wave_of(waves: &[Wave], assignment_id: &str, device_id: &str, group: Option<&str>) -> u32 {
    if waves.is_empty() {
        return 0;
    }
    if let Some(i) = waves
        .iter()
        .position(|w| w.group.is_some() && w.group.as_deref() == group)
    {
        return i as u32;
    }
    let b = bucket(assignment_id, device_id);
    waves
        .iter()
        .position(|w| w.percent.is_some_and(|p| b < p))
        .unwrap_or(waves.len() - 1) as u32
}

/// Counts of one wave's targets, for its gate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaveCounts {
    pub targets: u64,
    pub succeeded: u64,
    pub not_applicable: u64,
}

impl WaveCounts {
    /// Share of the devices it applies to that reached the goal, in percent (100 when it
    /// applies to none).
    pub fn success_percent(&self) -> f64 {
        let applies = self.targets.saturating_sub(self.not_applicable);
        if applies == 0 {
            100.0
        } else {
            self.succeeded as f64 * 100.0 / applies as f64
        }
    }

    /// Whether the next wave may start.
    pub fn gate_met(&self, gate_percent: u8) -> bool {
        self.success_percent() >= f64::from(gate_percent)
    }
}

/// What a failed dpkg or apt run means: the state (failed, or not applicable when the
/// package cannot fit this device) and a stable code the knowledge base explains.
pub fn classify_dpkg(exit_code: Option<i32>, output: &str) -> (InstallState, &'static str) {
    let o = output.to_ascii_lowercase();
    let has = |s: &str| o.contains(s);
    if has("does not match system") || has("wrong architecture") {
        (InstallState::NotApplicable, "wrong_architecture")
    } else if has("dependency problems") || has("unmet dependencies") || has("depends on") {
        (InstallState::NotApplicable, "dependency_missing")
    } else if has("no space left on device") {
        (InstallState::Failed, "disk_full")
    } else if has("lock") && (has("could not get lock") || has("dpkg frontend lock")) {
        (InstallState::Failed, "package_manager_busy")
    } else if has("installation script")
        || has("removal script")
        || has("post-installation")
        || has("pre-installation")
        || has("post-removal")
        || has("pre-removal")
    {
        (InstallState::Failed, "script_failed")
    } else if has("unable to locate package") || has("has no installation candidate") {
        (InstallState::NotApplicable, "package_not_found")
    } else if has("not a debian format archive") || has("dpkg-deb") {
        (InstallState::Failed, "bad_package")
    } else if has("requires superuser") || has("are you root") || has("permission denied") {
        (InstallState::Blocked, "not_root")
    } else if exit_code.is_none() {
        (InstallState::Failed, "timeout")
    } else {
        (InstallState::Failed, "install_failed")
    }
}

/// Compares two Debian versions as dpkg does (epoch, upstream, revision; `~` sorts first).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ea, ra) = split_epoch(a);
    let (eb, rb) = split_epoch(b);
    ea.cmp(&eb).then_with(|| {
        let (ua, da) = split_revision(ra);
        let (ub, db) = split_revision(rb);
        compare_part(ua, ub).then_with(|| compare_part(da, db))
    })
}

fn split_epoch(v: &str) -> (u64, &str) {
    match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) => {
            (e.parse().unwrap_or(u64::MAX), rest)
        }
        _ => (0, v),
    }
}

fn split_revision(v: &str) -> (&str, &str) {
    match v.rsplit_once('-') {
        Some((u, r)) => (u, r),
        None => (v, ""),
    }
}

/// dpkg's order of a character in the non-digit parts: `~` first, then the end, then
/// letters, then everything else.
fn char_order(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // Non-digit prefix.
        loop {
            let ca = a.first().copied().filter(|c| !c.is_ascii_digit());
            let cb = b.first().copied().filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            let o = char_order(ca).cmp(&char_order(cb));
            if o != Ordering::Equal {
                return o;
            }
            a = &a[1..];
            b = &b[1..];
        }
        // Digit run, compared as a number (leading zeros do not count).
        let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let na = trim_zeros(&a[..da]);
        let nb = trim_zeros(&b[..db]);
        let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
        if o != Ordering::Equal {
            return o;
        }
        a = &a[da..];
        b = &b[db..];
    }
    Ordering::Equal
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let i = d.iter().take_while(|c| **c == b'0').count();
    &d[i..]
}

/// A version range: comma-separated comparisons (`>=7.2, <8`, `=1.0-1`); empty matches all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange(Vec<(Ordering, bool, String)>);

impl VersionRange {
    pub fn parse(s: &str) -> Result<VersionRange, &'static str> {
        let mut parts = Vec::new();
        for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (op, v) = if let Some(v) = p.strip_prefix(">=") {
                ((Ordering::Greater, true), v)
            } else if let Some(v) = p.strip_prefix("<=") {
                ((Ordering::Less, true), v)
            } else if let Some(v) = p.strip_prefix('>') {
                ((Ordering::Greater, false), v)
            } else if let Some(v) = p.strip_prefix('<') {
                ((Ordering::Less, false), v)
            } else if let Some(v) = p.strip_prefix('=') {
                ((Ordering::Equal, true), v)
            } else {
                ((Ordering::Equal, true), p)
            };
            let v = v.trim();
            if v.is_empty() || v.len() > 100 || v.contains(char::is_whitespace) {
                return Err("version");
            }
            parts.push((op.0, op.1, v.to_string()));
        }
        if parts.len() > 4 {
            return Err("version");
        }
        Ok(VersionRange(parts))
    }

    pub fn contains(&self, version: &str) -> bool {
        self.0.iter().all(|(ord, or_equal, v)| {
            let o = compare_versions(version, v);
            o == *ord || (*or_equal && o == Ordering::Equal)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_versions_compare_as_dpkg_does() {
        use Ordering::*;
        for (a, b, o) in [
            ("1.0", "1.0", Equal),
            ("1.0", "1.1", Less),
            ("1.10", "1.9", Greater),
            ("1.0~rc1", "1.0", Less),
            ("1.0", "1.0-1", Less),
            ("1:0.9", "2.0", Greater),
            ("7.2.1-1", "7.2.1-2", Less),
            ("1.0a", "1.0", Greater),
            ("1.0+b1", "1.0", Greater),
            ("001.2", "1.2", Equal),
            ("2.36-9+deb12u4", "2.36-9+deb12u10", Less),
        ] {
            assert_eq!(compare_versions(a, b), o, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), o.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn a_range_holds_what_its_comparisons_allow() {
        let r = VersionRange::parse(">=7.2, <8").unwrap();
        assert!(r.contains("7.2"));
        assert!(r.contains("7.10.1"));
        assert!(!r.contains("7.1.9"));
        assert!(!r.contains("8.0"));
        assert!(VersionRange::parse("").unwrap().contains("anything"));
        assert!(VersionRange::parse("=1.0-1").unwrap().contains("1.0-1"));
        assert!(!VersionRange::parse("1.0").unwrap().contains("1.0-1"));
        assert!(VersionRange::parse(">= ").is_err());
    }

    #[test]
    fn waves_split_devices_by_bucket_and_ring() {
        let waves = [
            Wave {
                percent: None,
                group: Some("pilot".into()),
            },
            Wave {
                percent: Some(10),
                group: None,
            },
            Wave {
                percent: Some(100),
                group: None,
            },
        ];
        assert!(validate_waves(&waves).is_ok());
        assert_eq!(wave_of(&waves, "a", "d1", Some("pilot")), 0);
        let mut per_wave = [0u32; 3];
        for i in 0..10_000 {
            per_wave[wave_of(&waves, "a", &format!("dev-{i}"), None) as usize] += 1;
        }
        assert_eq!(per_wave[0], 0);
        assert!((800..1200).contains(&per_wave[1]), "{per_wave:?}");
        assert_eq!(per_wave[1] + per_wave[2], 10_000);
        // Fixed per assignment and device; another assignment shuffles.
        assert_eq!(bucket("a", "dev-1"), bucket("a", "dev-1"));
        let differs = (0..100)
            .filter(|i| bucket("a", &format!("d{i}")) != bucket("b", &format!("d{i}")))
            .count();
        assert!(differs > 50);
        // A share below an earlier one adds no devices: its wave is empty.
        let falling = [
            Wave {
                percent: Some(50),
                group: None,
            },
            Wave {
                percent: Some(20),
                group: None,
            },
            Wave {
                percent: Some(100),
                group: None,
            },
        ];
        assert!(validate_waves(&falling).is_ok());
        assert!((0..1000).all(|i| wave_of(&falling, "a", &format!("d{i}"), None) != 1));
        let both = [Wave {
            percent: Some(10),
            group: Some("pilot".into()),
        }];
        assert!(validate_waves(&both).is_err());
    }

    #[test]
    fn a_gate_counts_only_devices_the_app_applies_to() {
        let c = WaveCounts {
            targets: 10,
            succeeded: 8,
            not_applicable: 0,
        };
        assert!(c.gate_met(80));
        assert!(!c.gate_met(81));
        let c = WaveCounts {
            targets: 10,
            succeeded: 8,
            not_applicable: 2,
        };
        assert!(c.gate_met(100));
        assert!(WaveCounts::default().gate_met(100));
    }

    #[test]
    fn dpkg_failures_get_stable_codes() {
        let script = "dpkg: error processing package stw-bad (--install):\n installed stw-bad package post-installation script subprocess returned error exit status 3";
        assert_eq!(
            classify_dpkg(Some(1), script),
            (InstallState::Failed, "script_failed")
        );
        assert_eq!(
            classify_dpkg(Some(1), "dpkg: error processing archive x.deb (--install):\n package architecture (arm64) does not match system (amd64)"),
            (InstallState::NotApplicable, "wrong_architecture")
        );
        assert_eq!(
            classify_dpkg(Some(1), "dpkg: dependency problems prevent configuration of x:\n x depends on libfoo; however:"),
            (InstallState::NotApplicable, "dependency_missing")
        );
        assert_eq!(
            classify_dpkg(
                Some(2),
                "dpkg: error: dpkg frontend lock was locked by another process"
            ),
            (InstallState::Failed, "package_manager_busy")
        );
        assert_eq!(
            classify_dpkg(
                Some(2),
                "dpkg: error: requested operation requires superuser privilege"
            ),
            (InstallState::Blocked, "not_root")
        );
        assert_eq!(
            classify_dpkg(Some(100), "E: Unable to locate package nope"),
            (InstallState::NotApplicable, "package_not_found")
        );
        assert_eq!(classify_dpkg(None, ""), (InstallState::Failed, "timeout"));
    }
}
