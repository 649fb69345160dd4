//! Alert rules and whether their condition holds. Pure: the caller passes what it knows of a
//! device (or of the fleet) and the time. Per-device conditions fire per device and rule;
//! fleet conditions (a share of devices in a state, enrollment failures in a window) fire once
//! for the fleet.

use serde::{Deserialize, Serialize};
use steward_proto::{DetectionAction, HealthState, Platform, ProtectionStatus};

use crate::health::{classify, HealthLimits, HealthReason};

const HOUR_MS: i64 = 3_600_000;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Informational,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Informational => "informational",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Critical,
            Severity::Warning,
            Severity::Informational,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// What a rule watches. The built-in types of the alerting requirements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// A detection left in place, or the engine reports an active threat.
    ActiveThreat,
    /// No endpoint-protection engine, or malware protection off.
    ProtectionMissing,
    RealtimeProtectionOff,
    /// Signatures older than `days` (default 14).
    SignaturesOutdated {
        #[serde(default = "fourteen")]
        #[schema(minimum = 1, maximum = 3650)]
        days: u32,
    },
    /// No quick or full scan within `days` (default 14).
    ScanOverdue {
        #[serde(default = "fourteen")]
        #[schema(minimum = 1, maximum = 3650)]
        days: u32,
    },
    /// Noncompliant after its grace period.
    Noncompliant,
    /// No check-in for `hours`.
    NotCheckedIn {
        #[schema(minimum = 1, maximum = 87600)]
        hours: u32,
    },
    /// A mounted disk with less than `free_percent` free.
    LowDiskSpace {
        #[schema(minimum = 1, maximum = 99)]
        free_percent: u32,
    },
    /// More than `count` failed enrollments within `window_minutes` (fleet-wide).
    EnrollmentFailures {
        #[schema(minimum = 1)]
        count: u32,
        #[schema(minimum = 1, maximum = 10080)]
        window_minutes: u32,
    },
    /// More than `percent` % of the devices (of `platform`, if given) have `health` state
    /// (fleet-wide): "more than 5 % of Windows devices unprotected".
    FleetShare {
        health: HealthState,
        #[serde(default)]
        platform: Option<Platform>,
        #[schema(minimum = 0, exclusive_maximum = 100)]
        percent: f64,
    },
    /// Notifications to a channel undelivered for more than `minutes` (fleet-wide).
    DeliveryFailing {
        #[schema(minimum = 1, maximum = 10080)]
        minutes: u32,
    },
    /// An item of the readiness checklist failing for more than `hours` (fleet-wide).
    ReadinessFailing {
        #[schema(minimum = 1, maximum = 2160)]
        hours: u32,
    },
    /// An app rollout whose running wave fails more than its assignment allows (fleet-wide).
    AppFailing,
    /// An app assignment past its deadline with less than its target share installed
    /// (fleet-wide).
    AppBehindPlan,
    /// A remediation whose failures pass the threshold it sets (`alert_failure_percent`)
    /// (fleet-wide).
    RemediationFailing,
}

fn fourteen() -> u32 {
    14
}

impl Condition {
    /// The `type` tag of the condition (`realtime_protection_off` …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Condition::ActiveThreat => "active_threat",
            Condition::ProtectionMissing => "protection_missing",
            Condition::RealtimeProtectionOff => "realtime_protection_off",
            Condition::SignaturesOutdated { .. } => "signatures_outdated",
            Condition::ScanOverdue { .. } => "scan_overdue",
            Condition::Noncompliant => "noncompliant",
            Condition::NotCheckedIn { .. } => "not_checked_in",
            Condition::LowDiskSpace { .. } => "low_disk_space",
            Condition::EnrollmentFailures { .. } => "enrollment_failures",
            Condition::FleetShare { .. } => "fleet_share",
            Condition::DeliveryFailing { .. } => "delivery_failing",
            Condition::ReadinessFailing { .. } => "readiness_failing",
            Condition::AppFailing => "app_failing",
            Condition::AppBehindPlan => "app_behind_plan",
            Condition::RemediationFailing => "remediation_failing",
        }
    }

    /// Whether the condition is about one device (else about the fleet).
    pub fn per_device(&self) -> bool {
        !matches!(
            self,
            Condition::EnrollmentFailures { .. }
                | Condition::FleetShare { .. }
                | Condition::DeliveryFailing { .. }
                | Condition::ReadinessFailing { .. }
                | Condition::AppFailing
                | Condition::AppBehindPlan
                | Condition::RemediationFailing
        )
    }

    /// Which devices it can fire on, told by the states their rows keep (see [`Narrowing`]).
    pub fn narrowing(&self) -> Narrowing {
        // Rules on ages at or past the health limits fire only on devices "at risk" by those
        // limits; shorter ones can fire on devices health calls protected.
        let limits = HealthLimits::default();
        match self {
            Condition::ActiveThreat => Narrowing::Health(&[HealthState::ActiveThreat]),
            Condition::ProtectionMissing => Narrowing::Health(&[HealthState::Unprotected]),
            Condition::RealtimeProtectionOff => Narrowing::Health(&[
                HealthState::AtRisk,
                HealthState::ActiveThreat,
                HealthState::Unprotected,
            ]),
            Condition::SignaturesOutdated { days }
                if i64::from(*days) >= limits.signature_max_age_days =>
            {
                Narrowing::Health(&[HealthState::AtRisk])
            }
            Condition::ScanOverdue { days } if i64::from(*days) >= limits.scan_overdue_days => {
                Narrowing::Health(&[HealthState::AtRisk])
            }
            Condition::SignaturesOutdated { .. } | Condition::ScanOverdue { .. } => {
                Narrowing::Every
            }
            Condition::Noncompliant => Narrowing::Compliance("noncompliant"),
            Condition::NotCheckedIn { hours } => Narrowing::SilentFor(i64::from(*hours) * HOUR_MS),
            // Disk reports come with check-ins, which evaluate them; the others are about
            // the fleet.
            Condition::LowDiskSpace { .. }
            | Condition::EnrollmentFailures { .. }
            | Condition::FleetShare { .. }
            | Condition::DeliveryFailing { .. }
            | Condition::ReadinessFailing { .. }
            | Condition::AppFailing
            | Condition::AppBehindPlan
            | Condition::RemediationFailing => Narrowing::Nothing,
        }
    }

    /// Whether time alone can make it fire (the sweeper's business, not only check-ins').
    pub fn time_based(&self) -> bool {
        matches!(
            self,
            Condition::SignaturesOutdated { .. }
                | Condition::ScanOverdue { .. }
                | Condition::Noncompliant
                | Condition::NotCheckedIn { .. }
        ) || !self.per_device()
    }

    /// Refuses values that cannot mean anything.
    pub fn validate(&self) -> Result<(), &'static str> {
        match self {
            Condition::SignaturesOutdated { days } | Condition::ScanOverdue { days }
                if *days == 0 || *days > 3650 =>
            {
                Err("days")
            }
            Condition::NotCheckedIn { hours } if *hours == 0 || *hours > 24 * 3650 => Err("hours"),
            Condition::LowDiskSpace { free_percent }
                if *free_percent == 0 || *free_percent > 99 =>
            {
                Err("free_percent")
            }
            Condition::EnrollmentFailures {
                count,
                window_minutes,
            } if *count == 0 || *window_minutes == 0 || *window_minutes > 7 * 24 * 60 => {
                Err("window_minutes")
            }
            Condition::FleetShare { percent, .. } if !(0.0..100.0).contains(percent) => {
                Err("percent")
            }
            Condition::DeliveryFailing { minutes } if *minutes == 0 || *minutes > 7 * 24 * 60 => {
                Err("minutes")
            }
            Condition::ReadinessFailing { hours } if *hours == 0 || *hours > 90 * 24 => {
                Err("hours")
            }
            _ => Ok(()),
        }
    }
}

/// Why a rule fires: a message of the translation catalog and its arguments, stored with the
/// alert and put into words in the reader's language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub key: String,
    #[serde(default)]
    pub args: std::collections::BTreeMap<String, String>,
}

impl Reason {
    pub fn new(key: &str, args: &[(&str, String)]) -> Reason {
        Reason {
            key: key.to_string(),
            args: args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }

    /// The reason in `lang` (empty when there is none). Condition types (`types`) and the
    /// names of the rules Steward made (`rules`) are put into the reader's words too.
    pub fn text(&self, lang: crate::Lang) -> String {
        if self.key.is_empty() {
            return String::new();
        }
        let words = |list: &str, each: &dyn Fn(&str) -> String| {
            list.split(", ").map(each).collect::<Vec<_>>().join(", ")
        };
        let args = self
            .args
            .iter()
            .map(|(k, v)| {
                let v = match k.as_str() {
                    "types" => words(v, &|t| crate::i18n::t(lang, condition_key(t))),
                    "rules" => words(v, &|name| rule_display_name(lang, name)),
                    _ => v.clone(),
                };
                (k.clone(), v)
            })
            .collect();
        crate::i18n::t_map(lang, &self.key, &args)
    }
}

/// The condition types a rule can watch.
pub const CONDITION_TYPES: [&str; 15] = [
    "readiness_failing",
    "active_threat",
    "protection_missing",
    "realtime_protection_off",
    "signatures_outdated",
    "scan_overdue",
    "noncompliant",
    "not_checked_in",
    "low_disk_space",
    "enrollment_failures",
    "fleet_share",
    "delivery_failing",
    "app_failing",
    "app_behind_plan",
    "remediation_failing",
];

/// The names Steward gives the rules it creates: each condition's label in every language,
/// and the label's key. The catalogs are compiled in, so this never changes.
static BUILTIN_NAMES: std::sync::LazyLock<std::collections::HashMap<String, &'static str>> =
    std::sync::LazyLock::new(|| {
        let mut names = std::collections::HashMap::new();
        for t in CONDITION_TYPES {
            let key = condition_key(t);
            for l in crate::Lang::ALL {
                names.insert(crate::i18n::t(l, key), key);
            }
        }
        names
    });

/// A rule's name for a reader: a rule named after its condition in any of the languages (the
/// rules Steward creates) reads in the reader's language; a name someone chose stays as is.
pub fn rule_display_name(lang: crate::Lang, name: &str) -> String {
    match BUILTIN_NAMES.get(name) {
        Some(key) => crate::i18n::t(lang, key),
        None => name.to_string(),
    }
}

/// What a per-device condition looks at.
#[derive(Debug, Clone, Copy)]
pub struct DeviceView<'a> {
    pub protection: Option<&'a ProtectionStatus>,
    /// compliant, in_grace, noncompliant, not_evaluated or error.
    pub compliance_state: &'a str,
    pub last_seen_ms: i64,
    /// The inventory's `disks` list, as the agent reports it.
    pub disks: Option<&'a serde_json::Value>,
}

/// The catalog key naming a condition type (`active_threat` → `condition-active-threat`).
pub fn condition_key(type_name: &str) -> &'static str {
    match type_name {
        "active_threat" => "condition-active-threat",
        "protection_missing" => "condition-protection-missing",
        "realtime_protection_off" => "condition-realtime-off",
        "signatures_outdated" => "condition-signatures-outdated",
        "scan_overdue" => "condition-scan-overdue",
        "noncompliant" => "condition-noncompliant",
        "not_checked_in" => "condition-not-checked-in",
        "low_disk_space" => "condition-low-disk",
        "enrollment_failures" => "condition-enrollment-failures",
        "fleet_share" => "condition-fleet-share",
        "delivery_failing" => "condition-delivery-failing",
        "readiness_failing" => "condition-readiness-failing",
        "app_failing" => "condition-app-failing",
        "app_behind_plan" => "condition-app-behind-plan",
        "remediation_failing" => "condition-remediation-failing",
        _ => "state-other",
    }
}

/// An alert's one-line summary: the rule's name and why it fired, without saying the same
/// thing twice ("Active threat: Trojan…", not "Active threat: Active threat: Trojan…").
pub fn alert_summary(rule: &str, reason: &str) -> String {
    if reason.is_empty() {
        return rule.to_string();
    }
    let lower = reason.to_lowercase();
    let restated = rule
        .to_lowercase()
        .split_whitespace()
        .all(|w| lower.contains(w));
    if restated {
        reason.to_string()
    } else {
        format!("{rule}: {reason}")
    }
}

/// Whether a per-device condition holds for `device` at `now_ms`, with a short description
/// of why (for the alert and its notification). `None` for fleet conditions.
pub fn device_fires(cond: &Condition, device: &DeviceView, now_ms: i64) -> Option<Option<Reason>> {
    let health = |limits: HealthLimits| classify(device.protection, now_ms, &limits);
    let fired = match cond {
        Condition::ActiveThreat => {
            let h = health(HealthLimits::default());
            (h.state == HealthState::ActiveThreat).then(|| {
                let names: Vec<&str> = device
                    .protection
                    .map(|p| {
                        p.detections
                            .iter()
                            .filter(|d| d.action == DetectionAction::LeftInPlace)
                            .map(|d| d.threat_name.as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                Reason::new(
                    "alert-reason-active-threat",
                    &[("threats", names.join(", "))],
                )
            })
        }
        Condition::ProtectionMissing => (health(HealthLimits::default()).state
            == HealthState::Unprotected)
            .then(|| Reason::new("alert-reason-no-protection", &[])),
        Condition::RealtimeProtectionOff => device
            .protection
            .is_some_and(|p| p.realtime_protection == Some(false))
            .then(|| Reason::new("alert-reason-realtime-off", &[])),
        Condition::SignaturesOutdated { days } => health(HealthLimits {
            signature_max_age_days: i64::from(*days),
            scan_overdue_days: i64::MAX / 2,
        })
        .reasons
        .iter()
        .find_map(|r| match r {
            HealthReason::SignaturesOutdated { age_days } => Some(Reason::new(
                "alert-reason-signatures-old",
                &[("days", age_days.to_string())],
            )),
            _ => None,
        }),
        Condition::ScanOverdue { days } => {
            // Only devices with an engine can be overdue; the others are "protection missing".
            let engine = device.protection.is_some_and(|p| p.engine.is_some());
            health(HealthLimits {
                signature_max_age_days: i64::MAX / 2,
                scan_overdue_days: i64::from(*days),
            })
            .reasons
            .iter()
            .find_map(|r| match r {
                HealthReason::ScanOverdue { days_since_scan } if engine => {
                    Some(match days_since_scan {
                        Some(d) => {
                            Reason::new("alert-reason-scan-overdue", &[("days", d.to_string())])
                        }
                        None => Reason::new("alert-reason-never-scanned", &[]),
                    })
                }
                _ => None,
            })
        }
        Condition::Noncompliant => (device.compliance_state == "noncompliant")
            .then(|| Reason::new("alert-reason-noncompliant", &[])),
        Condition::NotCheckedIn { hours } => {
            let silent = now_ms - device.last_seen_ms;
            (silent >= i64::from(*hours) * HOUR_MS).then(|| {
                Reason::new(
                    "alert-reason-silent",
                    &[("hours", (silent / HOUR_MS).to_string())],
                )
            })
        }
        Condition::LowDiskSpace { free_percent } => {
            device.disks.and_then(|d| d.as_array()).and_then(|disks| {
                let low: Vec<String> = disks
                    .iter()
                    .filter_map(|d| {
                        let free = d["free_percent"].as_u64()?;
                        (free < u64::from(*free_percent))
                            .then(|| format!("{} {free} %", d["mount"].as_str().unwrap_or("?")))
                    })
                    .collect();
                (!low.is_empty())
                    .then(|| Reason::new("alert-reason-low-disk", &[("disks", low.join(", "))]))
            })
        }
        Condition::EnrollmentFailures { .. }
        | Condition::FleetShare { .. }
        | Condition::DeliveryFailing { .. }
        | Condition::ReadinessFailing { .. }
        | Condition::AppFailing
        | Condition::AppBehindPlan
        | Condition::RemediationFailing => return None,
    };
    Some(fired)
}

/// The devices a per-device condition can fire on, told by what their rows keep from their
/// last evaluation. A fleet job after a rule change evaluates those, the devices that fired
/// the rule before, and the devices due for a re-evaluation (time moved their state since
/// their last one), instead of the whole fleet: time alone cannot take a device into these
/// states without making it due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narrowing {
    /// Any device can: every device is evaluated.
    Every,
    /// Devices in one of these health states.
    Health(&'static [HealthState]),
    /// Devices in this compliance state.
    Compliance(&'static str),
    /// Devices not seen for at least this long (milliseconds).
    SilentFor(i64),
    /// None: a fleet-wide condition, or one only a check-in's report makes fire.
    Nothing,
}

/// A rule: a condition, its severity, the device groups it watches (empty: all) and whether
/// it is on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertRule {
    pub id: String,
    pub name: String,
    pub condition: Condition,
    pub severity: Severity,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Channels, grouping, escalation.
    #[serde(default)]
    pub notify: crate::notify::NotifySettings,
}

fn enabled() -> bool {
    true
}

impl AlertRule {
    pub fn applies_to(&self, group: Option<&str>) -> bool {
        self.enabled
            && self.condition.per_device()
            && (self.groups.is_empty() || group.is_some_and(|g| self.groups.iter().any(|x| x == g)))
    }
}

/// The per-device rules firing for a device, with why. `previous` are the rules that fired
/// at the last evaluation: a low-disk rule keeps firing while no new disk report came.
pub fn firing(
    rules: &[AlertRule],
    group: Option<&str>,
    device: &DeviceView,
    now_ms: i64,
    previous: &[&str],
) -> Vec<(String, Reason)> {
    let mut out = Vec::new();
    for r in rules.iter().filter(|r| r.applies_to(group)) {
        let why = match device_fires(&r.condition, device, now_ms) {
            Some(Some(why)) => Some(why),
            Some(None)
                if matches!(r.condition, Condition::LowDiskSpace { .. })
                    && device.disks.is_none()
                    && previous.contains(&r.id.as_str()) =>
            {
                Some(Reason::default())
            }
            _ => None,
        };
        if let Some(why) = why {
            out.push((r.id.clone(), why));
        }
    }
    out
}

/// The first instant after `now_ms` at which time alone could change which rules fire for
/// the device (a limit of age or silence crossed); `None` when only new facts can.
pub fn next_change(
    rules: &[AlertRule],
    group: Option<&str>,
    device: &DeviceView,
    now_ms: i64,
) -> Option<i64> {
    let at = |t: Option<&String>| t.and_then(|t| crate::time::parse_rfc3339(t));
    let day = 24 * HOUR_MS;
    rules
        .iter()
        .filter(|r| r.applies_to(group))
        .filter_map(|r| match &r.condition {
            Condition::SignaturesOutdated { days } => at(device
                .protection
                .and_then(|p| p.signature_updated_at.as_ref()))
            .map(|t| t + (i64::from(*days) + 1) * day),
            Condition::ScanOverdue { days } => device
                .protection
                .and_then(|p| {
                    [
                        at(p.last_quick_scan_at.as_ref()),
                        at(p.last_full_scan_at.as_ref()),
                    ]
                    .into_iter()
                    .flatten()
                    .max()
                })
                .map(|t| t + (i64::from(*days) + 1) * day),
            Condition::NotCheckedIn { hours } => {
                Some(device.last_seen_ms + i64::from(*hours) * HOUR_MS)
            }
            _ => None,
        })
        .filter(|&t| t > now_ms)
        .min()
}

/// Whether a fleet share condition holds: `matching` of `total` devices.
pub fn share_fires(percent: f64, matching: u64, total: u64) -> bool {
    total > 0 && (matching as f64) * 100.0 / (total as f64) > percent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_steward_names_read_in_the_readers_language_and_say_it_once() {
        let ko = crate::i18n::t(crate::Lang::Ko, "condition-active-threat");
        assert_eq!(rule_display_name(crate::Lang::Ko, "Active threat"), ko);
        assert_eq!(rule_display_name(crate::Lang::En, &ko), "Active threat");
        assert_eq!(
            rule_display_name(crate::Lang::Ko, "Lab threats"),
            "Lab threats"
        );
        assert_eq!(
            alert_summary("Active threat", "Active threat: EICAR"),
            "Active threat: EICAR"
        );
        assert_eq!(
            alert_summary("Lab threats", "Active threat: EICAR"),
            "Lab threats: Active threat: EICAR"
        );
    }
    use crate::time::to_rfc3339;
    use serde_json::json;
    use steward_proto::Detection;

    const NOW: i64 = 1_800_000_000_000;
    const DAY: i64 = 24 * HOUR_MS;

    fn healthy() -> ProtectionStatus {
        ProtectionStatus {
            engine: Some("ClamAV".into()),
            malware_protection: Some(true),
            realtime_protection: Some(true),
            signature_updated_at: Some(to_rfc3339(NOW - DAY)),
            last_quick_scan_at: Some(to_rfc3339(NOW - DAY)),
            ..Default::default()
        }
    }

    fn view(p: Option<&ProtectionStatus>) -> DeviceView<'_> {
        DeviceView {
            protection: p,
            compliance_state: "compliant",
            last_seen_ms: NOW,
            disks: None,
        }
    }

    fn fires(c: &Condition, v: &DeviceView) -> Option<String> {
        device_fires(c, v, NOW)
            .expect("a device condition")
            .map(|r| r.text(crate::Lang::En))
    }

    #[test]
    fn a_healthy_device_fires_nothing() {
        let p = healthy();
        for c in [
            Condition::ActiveThreat,
            Condition::ProtectionMissing,
            Condition::RealtimeProtectionOff,
            Condition::SignaturesOutdated { days: 14 },
            Condition::ScanOverdue { days: 14 },
            Condition::Noncompliant,
            Condition::NotCheckedIn { hours: 24 },
            Condition::LowDiskSpace { free_percent: 10 },
        ] {
            assert_eq!(fires(&c, &view(Some(&p))), None, "{c:?}");
        }
    }

    /// Every device a narrowed condition fires on is in the states its narrowing names, over
    /// every mix of the facts the conditions read; and each narrowing names devices it fires
    /// on (so the check is not empty).
    #[test]
    fn a_narrowed_condition_fires_only_on_the_devices_its_narrowing_names() {
        use steward_proto::ThreatState;
        let conditions = [
            Condition::ActiveThreat,
            Condition::ProtectionMissing,
            Condition::RealtimeProtectionOff,
            Condition::SignaturesOutdated { days: 7 },
            Condition::SignaturesOutdated { days: 14 },
            Condition::SignaturesOutdated { days: 30 },
            Condition::ScanOverdue { days: 7 },
            Condition::ScanOverdue { days: 14 },
            Condition::ScanOverdue { days: 30 },
            Condition::Noncompliant,
            Condition::NotCheckedIn { hours: 24 },
            Condition::LowDiskSpace { free_percent: 10 },
        ];
        let ages = [None, Some(1), Some(10), Some(14), Some(15), Some(31)];
        let at = |days: Option<i64>| days.map(|d| to_rfc3339(NOW - d * DAY - 1));
        let mut devices = vec![None];
        for engine in [Some("ClamAV".to_string()), None] {
            for malware in [Some(true), Some(false)] {
                for realtime in [Some(true), Some(false), None] {
                    for threat in [
                        None,
                        Some(ThreatState::ActiveThreat),
                        Some(ThreatState::PendingReboot),
                    ] {
                        for signatures in ages {
                            for scan in ages {
                                devices.push(Some(ProtectionStatus {
                                    engine: engine.clone(),
                                    malware_protection: malware,
                                    realtime_protection: realtime,
                                    threat_state: threat,
                                    signature_updated_at: at(signatures),
                                    last_quick_scan_at: at(scan),
                                    ..Default::default()
                                }));
                            }
                        }
                    }
                }
            }
        }
        let mut named = std::collections::BTreeSet::new();
        for p in &devices {
            let health = classify(p.as_ref(), NOW, &HealthLimits::default()).state;
            for compliance in ["compliant", "noncompliant", "in_grace_period"] {
                for silent in [0, 23 * HOUR_MS, 24 * HOUR_MS, 100 * HOUR_MS] {
                    let v = DeviceView {
                        protection: p.as_ref(),
                        compliance_state: compliance,
                        last_seen_ms: NOW - silent,
                        disks: None,
                    };
                    for (i, c) in conditions.iter().enumerate() {
                        if fires(c, &v).is_none() {
                            continue;
                        }
                        let admitted = match c.narrowing() {
                            Narrowing::Every => true,
                            Narrowing::Health(states) => states.contains(&health),
                            Narrowing::Compliance(state) => state == compliance,
                            Narrowing::SilentFor(ms) => silent >= ms,
                            Narrowing::Nothing => false,
                        };
                        assert!(admitted, "{c:?} fires on {p:?}, {compliance}, {silent} ms");
                        named.insert(i);
                    }
                }
            }
        }
        let fired: Vec<&Condition> = named.iter().map(|i| &conditions[*i]).collect();
        assert_eq!(
            fired.len(),
            conditions.len() - 1,
            "all but low disk fire: {fired:?}"
        );
        assert_eq!(
            Condition::SignaturesOutdated { days: 7 }.narrowing(),
            Narrowing::Every,
            "a shorter limit than health's is not narrowed"
        );
    }

    #[test]
    fn each_condition_fires_on_its_own_cause() {
        let mut infected = healthy();
        infected.detections.push(Detection {
            threat_name: "Eicar-Signature".into(),
            path: "/tmp/eicar".into(),
            severity: String::new(),
            action: DetectionAction::LeftInPlace,
            detected_at: to_rfc3339(NOW),
        });
        assert_eq!(
            fires(&Condition::ActiveThreat, &view(Some(&infected))).as_deref(),
            Some("Active threat: Eicar-Signature")
        );
        let off = ProtectionStatus {
            realtime_protection: Some(false),
            ..healthy()
        };
        assert!(fires(&Condition::RealtimeProtectionOff, &view(Some(&off))).is_some());
        assert!(
            fires(&Condition::RealtimeProtectionOff, &view(None)).is_none(),
            "unknown is not off"
        );
        let none = ProtectionStatus::default();
        assert!(fires(&Condition::ProtectionMissing, &view(Some(&none))).is_some());
        assert!(
            fires(&Condition::ScanOverdue { days: 14 }, &view(Some(&none))).is_none(),
            "no engine: missing protection, not an overdue scan"
        );
        let old = ProtectionStatus {
            signature_updated_at: Some(to_rfc3339(NOW - 20 * DAY)),
            last_quick_scan_at: Some(to_rfc3339(NOW - 9 * DAY)),
            ..healthy()
        };
        assert_eq!(
            fires(
                &Condition::SignaturesOutdated { days: 14 },
                &view(Some(&old))
            )
            .as_deref(),
            Some("Signatures are 20 days old")
        );
        assert!(fires(
            &Condition::SignaturesOutdated { days: 30 },
            &view(Some(&old))
        )
        .is_none());
        assert!(fires(&Condition::ScanOverdue { days: 7 }, &view(Some(&old))).is_some());
        assert!(fires(&Condition::ScanOverdue { days: 14 }, &view(Some(&old))).is_none());

        let silent = DeviceView {
            last_seen_ms: NOW - 30 * HOUR_MS,
            compliance_state: "noncompliant",
            ..view(None)
        };
        assert!(fires(&Condition::NotCheckedIn { hours: 24 }, &silent).is_some());
        assert!(fires(&Condition::NotCheckedIn { hours: 48 }, &silent).is_none());
        assert!(fires(&Condition::Noncompliant, &silent).is_some());
        let grace = DeviceView {
            compliance_state: "in_grace",
            ..silent
        };
        assert!(
            fires(&Condition::Noncompliant, &grace).is_none(),
            "in grace is not yet noncompliant"
        );

        let disks =
            json!([{"mount": "/", "free_percent": 4}, {"mount": "/home", "free_percent": 40}]);
        let full = DeviceView {
            disks: Some(&disks),
            ..view(None)
        };
        assert_eq!(
            fires(&Condition::LowDiskSpace { free_percent: 10 }, &full).as_deref(),
            Some("Low disk space: / 4 %")
        );
    }

    #[test]
    fn rules_fire_within_their_groups_and_say_when_to_look_again() {
        let rule = |id: &str, condition, groups: &[&str]| AlertRule {
            id: id.into(),
            name: id.into(),
            condition,
            severity: Severity::Warning,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            enabled: true,
            notify: Default::default(),
        };
        let rules = [
            rule("silent", Condition::NotCheckedIn { hours: 24 }, &[]),
            rule("rt", Condition::RealtimeProtectionOff, &["paris"]),
            rule("disk", Condition::LowDiskSpace { free_percent: 10 }, &[]),
            rule(
                "share",
                Condition::FleetShare {
                    health: HealthState::Unprotected,
                    platform: None,
                    percent: 5.0,
                },
                &[],
            ),
        ];
        let off = ProtectionStatus {
            realtime_protection: Some(false),
            ..healthy()
        };
        let v = view(Some(&off));
        let ids = |f: Vec<(String, Reason)>| f.into_iter().map(|x| x.0).collect::<Vec<_>>();
        assert_eq!(ids(firing(&rules, Some("paris"), &v, NOW, &[])), ["rt"]);
        assert!(firing(&rules, Some("london"), &v, NOW, &[]).is_empty());
        assert_eq!(
            ids(firing(&rules, None, &v, NOW + 25 * HOUR_MS, &[])),
            ["silent"]
        );
        // No disk report in this check-in: a firing low-disk rule keeps firing.
        assert_eq!(ids(firing(&rules, None, &v, NOW, &["disk"])), ["disk"]);
        assert_eq!(
            next_change(&rules, None, &v, NOW),
            Some(NOW + 24 * HOUR_MS),
            "silence crosses 24 h"
        );
        let mut off_rule = rules[1].clone();
        off_rule.enabled = false;
        assert!(firing(&[off_rule], Some("paris"), &v, NOW, &[]).is_empty());
    }

    #[test]
    fn fleet_conditions_and_validation() {
        let share = Condition::FleetShare {
            health: HealthState::Unprotected,
            platform: Some(Platform::Windows),
            percent: 5.0,
        };
        assert_eq!(device_fires(&share, &view(None), NOW), None);
        assert!(!share.per_device() && share.time_based());
        assert!(share_fires(5.0, 51, 1000));
        assert!(!share_fires(5.0, 50, 1000), "more than, not equal");
        assert!(!share_fires(5.0, 0, 0));
        assert!(Condition::ActiveThreat.per_device() && !Condition::ActiveThreat.time_based());
        assert_eq!(
            Condition::LowDiskSpace { free_percent: 0 }.validate(),
            Err("free_percent")
        );
        assert_eq!(
            Condition::NotCheckedIn { hours: 0 }.validate(),
            Err("hours")
        );
        let parsed: Condition =
            serde_json::from_value(json!({"type": "signatures_outdated"})).expect("default days");
        assert_eq!(parsed, Condition::SignaturesOutdated { days: 14 });
        assert_eq!(Severity::parse("critical"), Some(Severity::Critical));
    }
}
