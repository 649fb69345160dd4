//! Limits on what a device may send in a check-in. Every text field has a length, every list
//! and map a count, and the free-form documents (inventory, compliance facts) a depth: a
//! check-in over any of them is refused before anything is stored, naming the field.

use serde_json::{Map, Value};
use steward_proto::{CheckinRequest, Detection, ErrorCode, OsFacts, ProtectionStatus};

/// Identity and name fields (hostname, OS name and version, engine name …), in characters
/// (as every length here).
pub const NAME_LEN: usize = 255;
/// A locale such as `fr_FR.UTF-8`.
pub const LOCALE_LEN: usize = 64;
/// A time written as RFC 3339 (or a version string of the same order).
pub const TIME_LEN: usize = 64;
/// A path on the device (a detection's file).
pub const PATH_LEN: usize = 4096;
/// A message from the device (an action's result).
pub const MESSAGE_LEN: usize = 4000;
/// Short codes (action results, severities).
pub const CODE_LEN: usize = 64;
/// Ids of actions the server handed out.
pub const ACTION_ID_LEN: usize = 128;
/// Detections in one report.
pub const MAX_DETECTIONS: usize = 500;
/// Action results in one check-in.
pub const MAX_ACTION_RESULTS: usize = 100;
/// App install results in one check-in.
/// Installed packages one software list may name.
pub const MAX_SOFTWARE: usize = 20_000;
pub const MAX_APP_INSTALLS: usize = 500;
/// Set-aside snapshots reported in one check-in.
pub const MAX_SET_ASIDE: usize = 50;
/// Keys at the top of the inventory document.
pub const MAX_INVENTORY_KEYS: usize = 200;
/// Keys at the top of the compliance facts.
pub const MAX_COMPLIANCE_KEYS: usize = 100;
/// Entries of any list or map inside those documents.
pub const MAX_DOC_ENTRIES: usize = 2000;
/// A key inside those documents.
pub const DOC_KEY_LEN: usize = 128;
/// A text value inside those documents.
pub const DOC_TEXT_LEN: usize = 4096;
/// How deep those documents may nest.
pub const MAX_DOC_DEPTH: usize = 8;

/// Why a check-in was refused: the code and the field (a path such as
/// `protection.detections[3].threat_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: ErrorCode,
    pub field: String,
}

fn too_long(field: impl Into<String>) -> Invalid {
    Invalid {
        code: ErrorCode::FieldTooLong,
        field: field.into(),
    }
}

fn too_many(field: impl Into<String>) -> Invalid {
    Invalid {
        code: ErrorCode::TooManyEntries,
        field: field.into(),
    }
}

fn text(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    if value.chars().count() > max {
        return Err(too_long(field));
    }
    Ok(())
}

fn opt(field: &str, value: &Option<String>, max: usize) -> Result<(), Invalid> {
    value.as_deref().map_or(Ok(()), |v| text(field, v, max))
}

/// The OS facts: names and versions, and the locale.
pub fn check_os(os: &OsFacts) -> Result<(), Invalid> {
    for (name, value) in [
        ("os.name", &os.name),
        ("os.version", &os.version),
        ("os.build", &os.build),
        ("os.kernel", &os.kernel),
        ("os.hostname", &os.hostname),
        ("os.arch", &os.arch),
    ] {
        text(name, value, NAME_LEN)?;
        if value.chars().any(char::is_control) {
            return Err(Invalid {
                code: ErrorCode::InvalidField,
                field: name.into(),
            });
        }
    }
    text("os.locale", &os.locale, LOCALE_LEN)
}

fn check_detection(i: usize, d: &Detection) -> Result<(), Invalid> {
    let f = |name: &str| format!("protection.detections[{i}].{name}");
    text(&f("threat_name"), &d.threat_name, NAME_LEN)?;
    text(&f("path"), &d.path, PATH_LEN)?;
    text(&f("severity"), &d.severity, CODE_LEN)?;
    text(&f("detected_at"), &d.detected_at, TIME_LEN)
}

fn check_protection(p: &ProtectionStatus) -> Result<(), Invalid> {
    opt("protection.engine", &p.engine, NAME_LEN)?;
    opt("protection.engine_version", &p.engine_version, NAME_LEN)?;
    opt(
        "protection.signature_version",
        &p.signature_version,
        NAME_LEN,
    )?;
    opt(
        "protection.signature_updated_at",
        &p.signature_updated_at,
        TIME_LEN,
    )?;
    opt(
        "protection.last_quick_scan_at",
        &p.last_quick_scan_at,
        TIME_LEN,
    )?;
    opt(
        "protection.last_full_scan_at",
        &p.last_full_scan_at,
        TIME_LEN,
    )?;
    if p.detections.len() > MAX_DETECTIONS {
        return Err(too_many("protection.detections"));
    }
    p.detections
        .iter()
        .enumerate()
        .try_for_each(|(i, d)| check_detection(i, d))
}

/// A free-form document (inventory, compliance facts): keys at its top, then every value
/// inside it, by depth, entries and length.
pub fn check_document(
    field: &str,
    doc: &Map<String, Value>,
    max_keys: usize,
) -> Result<(), Invalid> {
    if doc.len() > max_keys {
        return Err(too_many(field));
    }
    check_map(field, doc, 1)
}

fn check_map(path: &str, map: &Map<String, Value>, depth: usize) -> Result<(), Invalid> {
    if map.len() > MAX_DOC_ENTRIES {
        return Err(too_many(path));
    }
    for (k, v) in map {
        if k.chars().count() > DOC_KEY_LEN {
            return Err(too_long(format!(
                "{path}.{}",
                steward_proto::text::clip(k, 32)
            )));
        }
        check_value(&format!("{path}.{k}"), v, depth + 1)?;
    }
    Ok(())
}

fn check_value(path: &str, v: &Value, depth: usize) -> Result<(), Invalid> {
    if depth > MAX_DOC_DEPTH {
        return Err(too_many(path));
    }
    match v {
        Value::String(s) => text(path, s, DOC_TEXT_LEN),
        Value::Array(list) => {
            if list.len() > MAX_DOC_ENTRIES {
                return Err(too_many(path));
            }
            list.iter()
                .enumerate()
                .try_for_each(|(i, x)| check_value(&format!("{path}[{i}]"), x, depth + 1))
        }
        Value::Object(m) => check_map(path, m, depth),
        _ => Ok(()),
    }
}

/// Every limit of a check-in.
pub fn check_checkin(req: &CheckinRequest) -> Result<(), Invalid> {
    check_os(&req.os)?;
    opt("inventory_hash", &req.inventory_hash, CODE_LEN * 2)?;
    if let Some(inv) = &req.inventory {
        check_document("inventory", inv, MAX_INVENTORY_KEYS)?;
    }
    if let Some(c) = &req.compliance {
        check_document("compliance", c, MAX_COMPLIANCE_KEYS)?;
    }
    if let Some(p) = &req.protection {
        check_protection(p)?;
    }
    if req.action_results.len() > MAX_ACTION_RESULTS {
        return Err(too_many("action_results"));
    }
    for (i, r) in req.action_results.iter().enumerate() {
        let f = |name: &str| format!("action_results[{i}].{name}");
        text(&f("action_id"), &r.action_id, ACTION_ID_LEN)?;
        opt(&f("code"), &r.code, CODE_LEN)?;
        opt(&f("message"), &r.message, MESSAGE_LEN)?;
        if let Some(report) = &r.script {
            let steps = [
                ("detect", &report.detect),
                ("fix", &report.fix),
                ("after", &report.after),
            ];
            for (name, step) in steps {
                if let Some(step) = step {
                    let g = |x: &str| format!("action_results[{i}].script.{name}.{x}");
                    // Characters, not bytes: the agent keeps the last MAX_OUTPUT_CHARS.
                    if step.output.chars().count() > steward_proto::remediation::MAX_OUTPUT_CHARS {
                        return Err(Invalid {
                            code: ErrorCode::FieldTooLong,
                            field: g("output"),
                        });
                    }
                    opt(&g("error"), &step.error, CODE_LEN)?;
                }
            }
        }
    }
    if req.set_aside.len() > MAX_SET_ASIDE {
        return Err(too_many("set_aside"));
    }
    for (i, s) in req.set_aside.iter().enumerate() {
        let f = |name: &str| format!("set_aside[{i}].{name}");
        opt(&f("code"), &s.code, CODE_LEN)?;
        opt(&f("message"), &s.message, MESSAGE_LEN)?;
        text(&f("at"), &s.at, TIME_LEN)?;
    }
    if req.app_installs.len() > MAX_APP_INSTALLS {
        return Err(too_many("app_installs"));
    }
    for (i, a) in req.app_installs.iter().enumerate() {
        if !a.is_valid() {
            return Err(Invalid {
                code: ErrorCode::InvalidField,
                field: format!("app_installs[{i}]"),
            });
        }
    }
    opt("software_hash", &req.software_hash, 64)?;
    if let Some(list) = &req.software {
        if list.len() > MAX_SOFTWARE {
            return Err(too_many("software"));
        }
        if let Some(i) = list.iter().position(|p| !p.is_valid()) {
            return Err(Invalid {
                code: ErrorCode::InvalidField,
                field: format!("software[{i}]"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use steward_proto::ActionResult;

    fn request() -> CheckinRequest {
        CheckinRequest {
            seq: 1,
            os: OsFacts {
                name: "Debian GNU/Linux".into(),
                version: "12".into(),
                hostname: "h".into(),
                locale: "fr_FR.UTF-8".into(),
                ..Default::default()
            },
            inventory_hash: None,
            inventory: json!({"disks": [{"mount": "/", "free_percent": 40}], "memory_bytes": 1})
                .as_object()
                .cloned(),
            protection: None,
            compliance: None,
            action_results: Vec::new(),
            app_installs: Vec::new(),
            set_aside: Vec::new(),
            software_hash: None,
            software: None,
        }
    }

    fn field(r: Result<(), Invalid>) -> (ErrorCode, String) {
        let e = r.expect_err("refused");
        (e.code, e.field)
    }

    #[test]
    fn an_ordinary_checkin_passes() {
        assert_eq!(check_checkin(&request()), Ok(()));
    }

    #[test]
    fn each_limit_names_its_field() {
        let mut r = request();
        r.os.locale = "x".repeat(500_000);
        assert_eq!(
            field(check_checkin(&r)),
            (ErrorCode::FieldTooLong, "os.locale".into())
        );

        let mut r = request();
        r.protection = Some(ProtectionStatus {
            detections: vec![Detection {
                threat_name: "T".repeat(900_000),
                path: String::new(),
                severity: String::new(),
                action: steward_proto::DetectionAction::Quarantined,
                detected_at: String::new(),
            }],
            ..Default::default()
        });
        assert_eq!(
            field(check_checkin(&r)),
            (
                ErrorCode::FieldTooLong,
                "protection.detections[0].threat_name".into()
            )
        );

        let mut r = request();
        let many: Map<String, Value> = (0..20_000).map(|i| (format!("k{i}"), json!(i))).collect();
        r.inventory = Some(many);
        assert_eq!(
            field(check_checkin(&r)),
            (ErrorCode::TooManyEntries, "inventory".into())
        );

        let mut r = request();
        r.inventory = json!({"disks": vec![json!({"mount": "/"}); 3000]})
            .as_object()
            .cloned();
        assert_eq!(
            field(check_checkin(&r)),
            (ErrorCode::TooManyEntries, "inventory.disks".into())
        );

        let mut deep = json!("leaf");
        for _ in 0..20 {
            deep = json!([deep]);
        }
        let mut r = request();
        r.inventory = json!({ "deep": deep }).as_object().cloned();
        assert_eq!(field(check_checkin(&r)).0, ErrorCode::TooManyEntries);

        let mut r = request();
        r.action_results = vec![ActionResult {
            action_id: "request:1".into(),
            ok: false,
            code: None,
            message: Some(format!("{}€", "a".repeat(MESSAGE_LEN))),
            script: None,
        }];
        assert_eq!(
            field(check_checkin(&r)),
            (ErrorCode::FieldTooLong, "action_results[0].message".into())
        );
        r.action_results[0].message = Some(format!("{}€", "a".repeat(1999)));
        assert_eq!(check_checkin(&r), Ok(()), "a long message within the limit");

        let mut r = request();
        r.os.hostname = "a\u{7}b".into();
        assert_eq!(
            field(check_checkin(&r)),
            (ErrorCode::InvalidField, "os.hostname".into())
        );
    }
}
