//! Compliance: policies of rules, evaluated against what a device reported. Pure: the caller
//! passes the device's facts, the time, and since when the device has been failing.

use serde::{Deserialize, Serialize};
use steward_proto::{Platform, ProtectionStatus};

use crate::health::{classify, HealthLimits, HealthState};

const DAY_MS: i64 = 86_400_000;

/// One requirement of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// Devices of `platform` run at least `version` (not applicable to other platforms).
    MinOsVersion {
        platform: Platform,
        /// Dotted numbers (`10.0.19045`, `15`).
        #[schema(pattern = r"^[0-9]{1,9}(\.[0-9]{1,9}){0,5}$")]
        version: String,
    },
    /// An endpoint-protection engine is present with malware protection on.
    ProtectionRequired,
    RealtimeProtectionRequired,
    SignaturesMaxAgeDays {
        days: u32,
    },
    NoActiveThreats,
    /// Compliance fact `firewall_active` is true.
    FirewallRequired,
    /// Compliance fact `disk_encrypted` is true.
    DiskEncryptionRequired,
    CheckedInWithinDays {
        days: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub rules: Vec<Rule>,
    /// How long a failing device stays "in grace period" before it is noncompliant.
    pub grace_hours: u32,
    /// Device groups the policy is assigned to; empty means every device.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl Policy {
    /// Whether the policy is assigned to a device of `group`.
    pub fn applies_to(&self, group: Option<&str>) -> bool {
        self.groups.is_empty() || group.is_some_and(|g| self.groups.iter().any(|x| x == g))
    }
}

impl ComplianceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceState::Compliant => "compliant",
            ComplianceState::InGrace => "in_grace",
            ComplianceState::Noncompliant => "noncompliant",
            ComplianceState::NotEvaluated => "not_evaluated",
            ComplianceState::Error => "error",
        }
    }

    pub const ALL: [ComplianceState; 5] = [
        ComplianceState::Compliant,
        ComplianceState::InGrace,
        ComplianceState::Noncompliant,
        ComplianceState::NotEvaluated,
        ComplianceState::Error,
    ];

    pub fn parse(s: &str) -> Option<ComplianceState> {
        ComplianceState::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceState {
    Compliant,
    InGrace,
    Noncompliant,
    NotEvaluated,
    /// A rule could not be evaluated: the device did not report what it needs.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RuleOutcome {
    Pass,
    Fail {
        detail: String,
    },
    Unknown {
        missing: String,
    },
    /// The rule is about another platform: it neither passes nor fails, and is left out of
    /// pass rates and counts.
    NotApplicable,
}

/// Writes `results` as JSON into `out`, byte for byte what `serde_json::to_writer` writes,
/// without the buffering that `#[serde(flatten)]` costs. A pass over the fleet writes one of
/// these per device to compare it with what the device holds.
pub fn write_results_json(results: &[RuleResult], out: &mut Vec<u8>) {
    // Writing into a `Vec` cannot fail, and these types always serialise.
    fn json<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
        let _ = serde_json::to_writer(out, v);
    }
    out.push(b'[');
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"policy_id\":");
        json(&r.policy_id, out);
        out.extend_from_slice(b",\"rule\":");
        json(&r.rule, out);
        match &r.outcome {
            RuleOutcome::Pass => out.extend_from_slice(b",\"result\":\"pass\""),
            RuleOutcome::Fail { detail } => {
                out.extend_from_slice(b",\"result\":\"fail\",\"detail\":");
                json(detail, out);
            }
            RuleOutcome::Unknown { missing } => {
                out.extend_from_slice(b",\"result\":\"unknown\",\"missing\":");
                json(missing, out);
            }
            RuleOutcome::NotApplicable => out.extend_from_slice(b",\"result\":\"not_applicable\""),
        }
        out.push(b'}');
    }
    out.push(b']');
}

/// How a device's rule results add up; rules that do not apply are counted apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
    pub not_applicable: usize,
}

impl Tally {
    pub fn of(results: &[RuleResult]) -> Tally {
        let mut t = Tally::default();
        for r in results {
            match r.outcome {
                RuleOutcome::Pass => t.pass += 1,
                RuleOutcome::Fail { .. } => t.fail += 1,
                RuleOutcome::Unknown { .. } => t.unknown += 1,
                RuleOutcome::NotApplicable => t.not_applicable += 1,
            }
        }
        t
    }

    /// Rules that apply to the device.
    pub fn applicable(&self) -> usize {
        self.pass + self.fail + self.unknown
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleResult {
    pub policy_id: String,
    pub rule: Rule,
    #[serde(flatten)]
    pub outcome: RuleOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evaluation {
    pub state: ComplianceState,
    pub results: Vec<RuleResult>,
    /// Since when the device has been failing (kept across evaluations for the grace period).
    pub failing_since: Option<i64>,
    /// The first instant after the evaluation at which time alone could change the state (an
    /// age limit crossed, a grace period ending); `None` when only new facts can.
    pub recheck_at: Option<i64>,
    /// A "checked in within" rule fails: the device's next check-in may fix it.
    pub checkin_sensitive: bool,
}

/// What evaluation needs to know about a device.
#[derive(Debug, Clone, Copy)]
pub struct DeviceFacts<'a> {
    pub platform: Platform,
    pub os_version: &'a str,
    pub protection: Option<&'a ProtectionStatus>,
    pub compliance: Option<&'a serde_json::Map<String, serde_json::Value>>,
    pub last_seen_ms: i64,
}

/// Compares dotted version numbers ("10.0.22631" < "10.0.26100", "15" == "15.0").
/// `None` when either is not made of numbers.
pub fn compare_versions(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    let parse = |v: &str| -> Option<Vec<u64>> {
        v.trim().split('.').map(|p| p.parse::<u64>().ok()).collect()
    };
    let (mut x, mut y) = (parse(a)?, parse(b)?);
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    Some(x.cmp(&y))
}

fn fact(facts: &DeviceFacts, key: &str) -> Option<bool> {
    facts.compliance?.get(key)?.as_bool()
}

fn check(rule: &Rule, f: &DeviceFacts, now_ms: i64) -> RuleOutcome {
    use RuleOutcome::{Fail, Pass, Unknown};
    let missing = |what: &str| Unknown {
        missing: what.to_string(),
    };
    let flag = |value: Option<bool>, name: &str| match value {
        Some(true) => Pass,
        Some(false) => Fail {
            detail: format!("{name} is off"),
        },
        None => missing(name),
    };
    match rule {
        Rule::MinOsVersion { platform, version } => {
            if *platform != f.platform {
                return RuleOutcome::NotApplicable;
            }
            match compare_versions(f.os_version, version) {
                Some(std::cmp::Ordering::Less) => Fail {
                    detail: format!("{} < {version}", f.os_version),
                },
                Some(_) => Pass,
                None => missing("os_version"),
            }
        }
        Rule::ProtectionRequired => match f.protection {
            None => missing("protection"),
            Some(p) if p.engine.is_none() => Fail {
                detail: "no endpoint protection engine".into(),
            },
            Some(p) => flag(p.malware_protection, "malware_protection"),
        },
        Rule::RealtimeProtectionRequired => match f.protection {
            None => missing("protection"),
            Some(p) => flag(p.realtime_protection, "realtime_protection"),
        },
        Rule::SignaturesMaxAgeDays { days } => {
            let updated = f
                .protection
                .and_then(|p| p.signature_updated_at.as_deref())
                .and_then(crate::time::parse_rfc3339);
            match updated {
                None => missing("signature_updated_at"),
                Some(t) if (now_ms - t) / DAY_MS > i64::from(*days) => Fail {
                    detail: format!("signatures are {} days old", (now_ms - t) / DAY_MS),
                },
                Some(_) => Pass,
            }
        }
        Rule::NoActiveThreats => {
            match classify(f.protection, now_ms, &HealthLimits::default()).state {
                HealthState::ActiveThreat => Fail {
                    detail: "active threat".into(),
                },
                _ if f.protection.is_none() => missing("protection"),
                _ => Pass,
            }
        }
        Rule::FirewallRequired => flag(fact(f, "firewall_active"), "firewall_active"),
        Rule::DiskEncryptionRequired => flag(fact(f, "disk_encrypted"), "disk_encrypted"),
        Rule::CheckedInWithinDays { days } => {
            if (now_ms - f.last_seen_ms) / DAY_MS >= i64::from(*days) {
                Fail {
                    detail: format!(
                        "last check-in {} days ago",
                        (now_ms - f.last_seen_ms) / DAY_MS
                    ),
                }
            } else {
                Pass
            }
        }
    }
}

/// Evaluates the policies assigned to a device. `failing_since` is what the previous
/// evaluation returned; the shortest grace period of the failing policies applies.
pub fn evaluate(
    policies: &[&Policy],
    facts: &DeviceFacts,
    now_ms: i64,
    failing_since: Option<i64>,
) -> Evaluation {
    if policies.is_empty() {
        return Evaluation {
            state: ComplianceState::NotEvaluated,
            results: Vec::new(),
            failing_since: None,
            recheck_at: None,
            checkin_sensitive: false,
        };
    }
    let mut results = Vec::new();
    let mut grace: Option<u32> = None;
    let mut deadlines = Vec::new();
    let mut checkin_sensitive = false;
    for p in policies {
        for rule in &p.rules {
            let outcome = check(rule, facts, now_ms);
            match rule {
                Rule::SignaturesMaxAgeDays { days } => deadlines.extend(
                    facts
                        .protection
                        .and_then(|p| p.signature_updated_at.as_deref())
                        .and_then(crate::time::parse_rfc3339)
                        .map(|t| t + (i64::from(*days) + 1) * DAY_MS),
                ),
                Rule::CheckedInWithinDays { days } => {
                    deadlines.push(facts.last_seen_ms + i64::from(*days) * DAY_MS);
                    checkin_sensitive |= matches!(outcome, RuleOutcome::Fail { .. });
                }
                _ => {}
            }
            if matches!(outcome, RuleOutcome::Fail { .. }) {
                grace = Some(grace.map_or(p.grace_hours, |g| g.min(p.grace_hours)));
            }
            results.push(RuleResult {
                policy_id: p.id.clone(),
                rule: rule.clone(),
                outcome,
            });
        }
    }
    let tally = Tally::of(&results);
    let unknown = tally.unknown > 0;
    let (state, failing_since) = match grace {
        Some(hours) => {
            let since = failing_since.unwrap_or(now_ms);
            let ends = since + i64::from(hours) * 3_600_000;
            deadlines.push(ends);
            let state = if now_ms < ends {
                ComplianceState::InGrace
            } else {
                ComplianceState::Noncompliant
            };
            (state, Some(since))
        }
        None if unknown => (ComplianceState::Error, None),
        // Assigned policies whose every rule is about another platform judge nothing.
        None if tally.applicable() == 0 => (ComplianceState::NotEvaluated, None),
        None => (ComplianceState::Compliant, None),
    };
    Evaluation {
        state,
        results,
        failing_since,
        recheck_at: deadlines.into_iter().filter(|&t| t > now_ms).min(),
        checkin_sensitive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::to_rfc3339;
    use serde_json::json;
    use std::cmp::Ordering;
    use steward_proto::{Detection, DetectionAction};

    const NOW: i64 = 1_800_000_000_000;

    fn protection() -> ProtectionStatus {
        ProtectionStatus {
            engine: Some("ClamAV".into()),
            malware_protection: Some(true),
            realtime_protection: Some(true),
            signature_updated_at: Some(to_rfc3339(NOW - DAY_MS)),
            last_quick_scan_at: Some(to_rfc3339(NOW - DAY_MS)),
            ..Default::default()
        }
    }

    #[test]
    fn results_written_by_hand_are_the_bytes_serde_writes() {
        let rule = |r: Rule, outcome: RuleOutcome| RuleResult {
            policy_id: "p \"quoted\" é".into(),
            rule: r,
            outcome,
        };
        let results = [
            rule(
                Rule::MinOsVersion {
                    platform: Platform::Windows,
                    version: "10.0.19045".into(),
                },
                RuleOutcome::Pass,
            ),
            rule(
                Rule::SignaturesMaxAgeDays { days: 3 },
                RuleOutcome::Fail {
                    detail: "signatures are 9 days old\n\u{7}".into(),
                },
            ),
            rule(
                Rule::FirewallRequired,
                RuleOutcome::Unknown {
                    missing: "firewall_active".into(),
                },
            ),
            rule(Rule::NoActiveThreats, RuleOutcome::NotApplicable),
        ];
        for n in 0..=results.len() {
            let mut out = Vec::new();
            write_results_json(&results[..n], &mut out);
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                serde_json::to_string(&results[..n]).expect("json")
            );
        }
        // And what an evaluation gives.
        let p = policy(
            vec![
                Rule::ProtectionRequired,
                Rule::CheckedInWithinDays { days: 1 },
                Rule::DiskEncryptionRequired,
            ],
            0,
        );
        let prot = protection();
        let facts = DeviceFacts {
            platform: Platform::Linux,
            os_version: "12",
            protection: Some(&prot),
            compliance: None,
            last_seen_ms: NOW - 3 * DAY_MS,
        };
        let e = evaluate(&[&p], &facts, NOW, None);
        assert_eq!(e.results.len(), 3);
        let mut out = Vec::new();
        write_results_json(&e.results, &mut out);
        assert_eq!(out, serde_json::to_vec(&e.results).expect("json"));
    }

    fn policy(rules: Vec<Rule>, grace_hours: u32) -> Policy {
        Policy {
            id: "p".into(),
            name: "baseline".into(),
            rules,
            grace_hours,
            groups: Vec::new(),
        }
    }

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(
            compare_versions("10.0.22631", "10.0.26100"),
            Some(Ordering::Less)
        );
        assert_eq!(compare_versions("15", "15.0"), Some(Ordering::Equal));
        assert_eq!(compare_versions("24.04", "22.10"), Some(Ordering::Greater));
        assert_eq!(compare_versions("12", "bookworm"), None);
    }

    #[test]
    fn every_rule_passes_on_a_healthy_device_and_each_fails_alone() {
        let p = protection();
        let facts_map = json!({"firewall_active": true, "disk_encrypted": true});
        let facts = DeviceFacts {
            platform: Platform::Linux,
            os_version: "12",
            protection: Some(&p),
            compliance: facts_map.as_object(),
            last_seen_ms: NOW - 3_600_000,
        };
        let all = vec![
            Rule::MinOsVersion {
                platform: Platform::Linux,
                version: "12".into(),
            },
            Rule::MinOsVersion {
                platform: Platform::Windows,
                version: "99".into(),
            },
            Rule::ProtectionRequired,
            Rule::RealtimeProtectionRequired,
            Rule::SignaturesMaxAgeDays { days: 7 },
            Rule::NoActiveThreats,
            Rule::FirewallRequired,
            Rule::DiskEncryptionRequired,
            Rule::CheckedInWithinDays { days: 1 },
        ];
        let pol = policy(all, 0);
        let e = evaluate(&[&pol], &facts, NOW, None);
        assert_eq!(e.state, ComplianceState::Compliant, "{:?}", e.results);
        assert_eq!(e.results.len(), 9);
        assert_eq!(
            e.results[1].outcome,
            RuleOutcome::NotApplicable,
            "a Windows rule on a Linux device"
        );
        assert_eq!(
            Tally::of(&e.results),
            Tally {
                pass: 8,
                fail: 0,
                unknown: 0,
                not_applicable: 1
            }
        );
        let windows_only = policy(
            vec![Rule::MinOsVersion {
                platform: Platform::Windows,
                version: "10.0.19045".into(),
            }],
            0,
        );
        let e = evaluate(&[&windows_only], &facts, NOW, None);
        assert_eq!(
            e.state,
            ComplianceState::NotEvaluated,
            "nothing applies, nothing passes"
        );
        assert_eq!(
            serde_json::to_value(&e.results[0]).expect("json")["result"],
            "not_applicable"
        );

        let old = DeviceFacts {
            os_version: "11",
            ..facts
        };
        let e = evaluate(
            &[&policy(
                vec![Rule::MinOsVersion {
                    platform: Platform::Linux,
                    version: "12".into(),
                }],
                0,
            )],
            &old,
            NOW,
            None,
        );
        assert_eq!(e.state, ComplianceState::Noncompliant);
        let fw = json!({"firewall_active": false});
        let no_fw = DeviceFacts {
            compliance: fw.as_object(),
            ..facts
        };
        let e = evaluate(
            &[&policy(vec![Rule::FirewallRequired], 0)],
            &no_fw,
            NOW,
            None,
        );
        assert!(matches!(e.results[0].outcome, RuleOutcome::Fail { .. }));
        let mut infected = protection();
        infected.detections.push(Detection {
            threat_name: "Eicar-Signature".into(),
            path: "/tmp/eicar".into(),
            severity: String::new(),
            action: DetectionAction::LeftInPlace,
            detected_at: to_rfc3339(NOW),
        });
        let threat = DeviceFacts {
            protection: Some(&infected),
            ..facts
        };
        let e = evaluate(
            &[&policy(vec![Rule::NoActiveThreats], 0)],
            &threat,
            NOW,
            None,
        );
        assert_eq!(e.state, ComplianceState::Noncompliant);
        let silent = DeviceFacts {
            last_seen_ms: NOW - 3 * DAY_MS,
            ..facts
        };
        let e = evaluate(
            &[&policy(vec![Rule::CheckedInWithinDays { days: 2 }], 0)],
            &silent,
            NOW,
            None,
        );
        assert_eq!(e.state, ComplianceState::Noncompliant);
        assert!(e.checkin_sensitive, "a check-in can fix it");
        assert_eq!(e.recheck_at, None, "only a check-in can");
    }

    #[test]
    fn recheck_at_is_the_next_deadline() {
        let p = protection();
        let facts = DeviceFacts {
            platform: Platform::Linux,
            os_version: "12",
            protection: Some(&p),
            compliance: None,
            last_seen_ms: NOW,
        };
        let pol = policy(
            vec![
                Rule::SignaturesMaxAgeDays { days: 7 },
                Rule::CheckedInWithinDays { days: 3 },
            ],
            0,
        );
        let e = evaluate(&[&pol], &facts, NOW, None);
        assert_eq!(e.state, ComplianceState::Compliant);
        assert!(!e.checkin_sensitive);
        // Signatures a day old pass 7 days in 7 days; the check-in rule fails in 3.
        assert_eq!(e.recheck_at, Some(NOW + 3 * DAY_MS));
        let at = e.recheck_at.unwrap_or_default();
        assert_eq!(
            evaluate(&[&pol], &facts, at - 1, None).state,
            ComplianceState::Compliant
        );
        assert_eq!(
            evaluate(&[&pol], &facts, at, None).state,
            ComplianceState::Noncompliant
        );
    }

    #[test]
    fn grace_period_then_noncompliant_and_missing_facts_are_errors() {
        let p = protection();
        let off = ProtectionStatus {
            realtime_protection: Some(false),
            ..p.clone()
        };
        let facts = DeviceFacts {
            platform: Platform::Windows,
            os_version: "10.0.26100",
            protection: Some(&off),
            compliance: None,
            last_seen_ms: NOW,
        };
        let pol = policy(vec![Rule::RealtimeProtectionRequired], 24);
        let first = evaluate(&[&pol], &facts, NOW, None);
        assert_eq!(first.state, ComplianceState::InGrace);
        assert_eq!(first.failing_since, Some(NOW));
        assert_eq!(first.recheck_at, Some(NOW + 24 * 3_600_000), "grace ends");
        let later = evaluate(&[&pol], &facts, NOW + 25 * 3_600_000, first.failing_since);
        assert_eq!(later.state, ComplianceState::Noncompliant);
        assert_eq!(later.failing_since, Some(NOW));
        let fixed = DeviceFacts {
            protection: Some(&p),
            ..facts
        };
        let healed = evaluate(&[&pol], &fixed, NOW + 26 * 3_600_000, later.failing_since);
        assert_eq!(
            (healed.state, healed.failing_since),
            (ComplianceState::Compliant, None)
        );

        let unknown = evaluate(
            &[&policy(vec![Rule::DiskEncryptionRequired], 0)],
            &facts,
            NOW,
            None,
        );
        assert_eq!(unknown.state, ComplianceState::Error);
        assert_eq!(
            unknown.results[0].outcome,
            RuleOutcome::Unknown {
                missing: "disk_encrypted".into()
            }
        );
        assert_eq!(
            evaluate(&[], &facts, NOW, None).state,
            ComplianceState::NotEvaluated
        );
    }
}
