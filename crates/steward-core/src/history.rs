//! What changed on a device between two check-ins, as history events.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use steward_proto::{OsFacts, ProtectionStatus};

/// The parts of a device's reported state that history tracks.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub name: String,
    pub os_name: String,
    pub os_version: String,
    pub protection: Option<ProtectionStatus>,
    pub compliance: Option<serde_json::Map<String, Value>>,
    pub inventory_hash: String,
}

/// One history entry: a kind and its details.
pub type Change = (&'static str, Value);

fn protection_summary(p: &Option<ProtectionStatus>) -> Value {
    match p {
        None => Value::Null,
        Some(p) => json!({
            "engine": p.engine,
            "malware_protection": p.malware_protection,
            "realtime_protection": p.realtime_protection,
            "signature_version": p.signature_version,
            "threat_state": p.threat_state,
            "detections": p.detections.len(),
        }),
    }
}

/// The changes from `old` to `new`, in a fixed order.
pub fn changes(old: &Observed, new: &Observed) -> Vec<Change> {
    let mut out = Vec::new();
    if old.name != new.name {
        out.push(("renamed", json!({"from": old.name, "to": new.name})));
    }
    if old.os_name != new.os_name || old.os_version != new.os_version {
        out.push((
            "os_changed",
            json!({"from": format!("{} {}", old.os_name, old.os_version),
                   "to": format!("{} {}", new.os_name, new.os_version)}),
        ));
    }
    let (before, after) = (
        protection_summary(&old.protection),
        protection_summary(&new.protection),
    );
    if before != after {
        out.push(("protection_changed", json!({"from": before, "to": after})));
    }
    if old.compliance != new.compliance {
        out.push(("compliance_changed", json!({"to": new.compliance})));
    }
    if !new.inventory_hash.is_empty() && old.inventory_hash != new.inventory_hash {
        out.push(("inventory_changed", json!({"hash": new.inventory_hash})));
    }
    out
}

/// Hash of the state a check-in reports (OS facts, protection, compliance). An unchanged
/// hash lets the server take the cheap path.
pub fn state_hash(
    os: &OsFacts,
    protection: Option<&ProtectionStatus>,
    compliance: Option<&serde_json::Map<String, Value>>,
) -> String {
    let bytes = serde_json::to_vec(&(os, protection, compliance)).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_proto::ThreatState;

    #[test]
    fn reports_each_kind_of_change() {
        let old = Observed {
            name: "pc".into(),
            os_name: "Windows".into(),
            os_version: "10.0.22631".into(),
            protection: Some(ProtectionStatus {
                threat_state: Some(ThreatState::Clean),
                ..Default::default()
            }),
            compliance: None,
            inventory_hash: "a".into(),
        };
        assert!(changes(&old, &old).is_empty());
        let mut new = old.clone();
        new.os_version = "10.0.26100".into();
        new.protection = Some(ProtectionStatus {
            threat_state: Some(ThreatState::ActiveThreat),
            ..Default::default()
        });
        new.inventory_hash = "b".into();
        let kinds: Vec<_> = changes(&old, &new).into_iter().map(|c| c.0).collect();
        assert_eq!(
            kinds,
            ["os_changed", "protection_changed", "inventory_changed"]
        );
    }

    #[test]
    fn state_hash_follows_content() {
        let os = OsFacts {
            name: "Linux".into(),
            version: "12".into(),
            hostname: "h".into(),
            ..Default::default()
        };
        let a = state_hash(&os, None, None);
        assert_eq!(a, state_hash(&os.clone(), None, None));
        let p = ProtectionStatus {
            realtime_protection: Some(false),
            ..Default::default()
        };
        assert_ne!(a, state_hash(&os, Some(&p), None));
    }
}
