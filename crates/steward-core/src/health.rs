//! Endpoint-protection health of one device, from what it reported and the time now.
//! Missing facts make the answer "unknown" with the reason, never a guess.

use steward_proto::{DetectionAction, ProtectionStatus, ThreatState};
pub use steward_proto::{Health, HealthReason, HealthState};

use crate::time::parse_rfc3339;

const DAY_MS: i64 = 86_400_000;

/// The limits "at risk" is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthLimits {
    pub signature_max_age_days: i64,
    pub scan_overdue_days: i64,
}

impl Default for HealthLimits {
    /// Intune's defaults: signatures and scans older than 14 days need attention.
    fn default() -> Self {
        HealthLimits {
            signature_max_age_days: 14,
            scan_overdue_days: 14,
        }
    }
}

fn age_days(at: &Option<String>, now_ms: i64) -> Option<i64> {
    at.as_deref()
        .and_then(parse_rfc3339)
        .map(|t| (now_ms - t).max(0) / DAY_MS)
}

/// Classifies a device: active threat, unprotected, at risk, protected or unknown, in that
/// order of precedence.
pub fn classify(p: Option<&ProtectionStatus>, now_ms: i64, limits: &HealthLimits) -> Health {
    let health = |state, reasons| Health { state, reasons };
    let Some(p) = p else {
        return health(HealthState::Unknown, vec![HealthReason::NotReported]);
    };
    let threats = p
        .detections
        .iter()
        .filter(|d| d.action == DetectionAction::LeftInPlace)
        .count();
    if threats > 0
        || matches!(
            p.threat_state,
            Some(ThreatState::ActiveThreat | ThreatState::Critical)
        )
    {
        return health(
            HealthState::ActiveThreat,
            vec![HealthReason::ActiveThreat {
                threats: threats.max(1),
            }],
        );
    }
    if p.engine.is_none() {
        return health(HealthState::Unprotected, vec![HealthReason::NoEngine]);
    }
    if p.malware_protection == Some(false) {
        return health(
            HealthState::Unprotected,
            vec![HealthReason::MalwareProtectionOff],
        );
    }
    let mut risks = Vec::new();
    let mut unknowns = Vec::new();
    match p.realtime_protection {
        Some(false) => risks.push(HealthReason::RealtimeProtectionOff),
        None => unknowns.push(HealthReason::RealtimeProtectionUnknown),
        Some(true) => {}
    }
    match age_days(&p.signature_updated_at, now_ms) {
        Some(age) if age > limits.signature_max_age_days => {
            risks.push(HealthReason::SignaturesOutdated { age_days: age })
        }
        Some(_) => {}
        None => unknowns.push(HealthReason::SignatureAgeUnknown),
    }
    let last_scan = [
        age_days(&p.last_quick_scan_at, now_ms),
        age_days(&p.last_full_scan_at, now_ms),
    ]
    .into_iter()
    .flatten()
    .min();
    if last_scan.is_none_or(|d| d > limits.scan_overdue_days) {
        risks.push(HealthReason::ScanOverdue {
            days_since_scan: last_scan,
        });
    }
    if let Some(
        state @ (ThreatState::PendingFullScan
        | ThreatState::PendingReboot
        | ThreatState::PendingManualSteps),
    ) = p.threat_state
    {
        risks.push(HealthReason::PendingAction { state });
    }
    if !risks.is_empty() {
        risks.extend(unknowns);
        health(HealthState::AtRisk, risks)
    } else if !unknowns.is_empty() {
        health(HealthState::Unknown, unknowns)
    } else {
        health(HealthState::Protected, Vec::new())
    }
}

/// The first instant after `now_ms` at which [`classify`] could answer differently for the same
/// facts (signatures or the last scan crossing their age limit); `None` when time alone
/// cannot change the answer.
pub fn next_change(
    p: Option<&ProtectionStatus>,
    now_ms: i64,
    limits: &HealthLimits,
) -> Option<i64> {
    let p = p?;
    let at = |t: &Option<String>| t.as_deref().and_then(parse_rfc3339);
    let signatures =
        at(&p.signature_updated_at).map(|t| t + (limits.signature_max_age_days + 1) * DAY_MS);
    let scan = [at(&p.last_quick_scan_at), at(&p.last_full_scan_at)]
        .into_iter()
        .flatten()
        .max()
        .map(|t| t + (limits.scan_overdue_days + 1) * DAY_MS);
    [signatures, scan]
        .into_iter()
        .flatten()
        .filter(|&t| t > now_ms)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::to_rfc3339;
    use steward_proto::Detection;

    const NOW: i64 = 1_800_000_000_000;

    fn healthy() -> ProtectionStatus {
        ProtectionStatus {
            engine: Some("ClamAV".into()),
            malware_protection: Some(true),
            realtime_protection: Some(true),
            signature_updated_at: Some(to_rfc3339(NOW - DAY_MS)),
            last_quick_scan_at: Some(to_rfc3339(NOW - 2 * DAY_MS)),
            threat_state: Some(ThreatState::Clean),
            ..Default::default()
        }
    }

    fn state(p: &ProtectionStatus) -> HealthState {
        classify(Some(p), NOW, &HealthLimits::default()).state
    }

    #[test]
    fn protected_needs_every_fact() {
        assert_eq!(state(&healthy()), HealthState::Protected);
        let unknown = ProtectionStatus {
            realtime_protection: None,
            ..healthy()
        };
        let h = classify(Some(&unknown), NOW, &HealthLimits::default());
        assert_eq!(h.state, HealthState::Unknown);
        assert_eq!(h.reasons, [HealthReason::RealtimeProtectionUnknown]);
        assert_eq!(
            classify(None, NOW, &HealthLimits::default()).reasons,
            [HealthReason::NotReported]
        );
    }

    #[test]
    fn each_risk_is_named() {
        let off = ProtectionStatus {
            realtime_protection: Some(false),
            ..healthy()
        };
        assert_eq!(state(&off), HealthState::AtRisk);
        let stale = ProtectionStatus {
            signature_updated_at: Some(to_rfc3339(NOW - 20 * DAY_MS)),
            ..healthy()
        };
        let h = classify(Some(&stale), NOW, &HealthLimits::default());
        assert_eq!(
            h.reasons,
            [HealthReason::SignaturesOutdated { age_days: 20 }]
        );
        let never_scanned = ProtectionStatus {
            last_quick_scan_at: None,
            ..healthy()
        };
        assert_eq!(
            classify(Some(&never_scanned), NOW, &HealthLimits::default()).reasons,
            [HealthReason::ScanOverdue {
                days_since_scan: None
            }]
        );
        let reboot = ProtectionStatus {
            threat_state: Some(ThreatState::PendingReboot),
            ..healthy()
        };
        assert_eq!(state(&reboot), HealthState::AtRisk);
        let strict = HealthLimits {
            signature_max_age_days: 0,
            scan_overdue_days: 14,
        };
        assert_eq!(
            classify(Some(&healthy()), NOW, &strict).state,
            HealthState::AtRisk
        );
    }

    #[test]
    fn next_change_is_when_an_age_limit_is_crossed() {
        let limits = HealthLimits::default();
        let p = healthy();
        // Signatures one day old cross 14 days 14 days from now; the scan (2 days) a day earlier.
        let next = next_change(Some(&p), NOW, &limits).expect("changes with time");
        assert_eq!(next, NOW - 2 * DAY_MS + 15 * DAY_MS);
        assert_eq!(state(&p), HealthState::Protected);
        assert_eq!(
            classify(Some(&p), next - 1, &limits).state,
            HealthState::Protected
        );
        assert_eq!(classify(Some(&p), next, &limits).state, HealthState::AtRisk);
        assert_eq!(next_change(None, NOW, &limits), None);
        let stale = ProtectionStatus {
            signature_updated_at: Some(to_rfc3339(NOW - 40 * DAY_MS)),
            last_quick_scan_at: Some(to_rfc3339(NOW - 40 * DAY_MS)),
            ..healthy()
        };
        assert_eq!(
            next_change(Some(&stale), NOW, &limits),
            None,
            "already past"
        );
    }

    #[test]
    fn threats_and_missing_engines_come_first() {
        let mut infected = healthy();
        infected.detections.push(Detection {
            threat_name: "Eicar-Signature".into(),
            path: "/tmp/eicar.com".into(),
            severity: "low".into(),
            action: DetectionAction::LeftInPlace,
            detected_at: to_rfc3339(NOW),
        });
        infected.realtime_protection = Some(false);
        assert_eq!(state(&infected), HealthState::ActiveThreat);
        infected.detections[0].action = DetectionAction::Quarantined;
        assert_eq!(
            state(&infected),
            HealthState::AtRisk,
            "a quarantined threat is no longer active"
        );
        assert_eq!(
            state(&ProtectionStatus::default()),
            HealthState::Unprotected
        );
        let disabled = ProtectionStatus {
            malware_protection: Some(false),
            ..healthy()
        };
        assert_eq!(state(&disabled), HealthState::Unprotected);
    }
}
