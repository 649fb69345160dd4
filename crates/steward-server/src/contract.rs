//! What the Rust types cannot say about a request body, said in the OpenAPI document: which
//! words a text takes, which languages a map of texts is keyed by, what a list's items look
//! like, which fields go together. The document is then the contract in full, and the server
//! enforces it as written (`body::JsonBody` checks every admin API body against it), so a
//! client generated from it cannot send what the server refuses, nor the reverse.

use serde_json::{json, Value};

/// Text that is not only spaces.
pub const NOT_BLANK: &str = r"\S";

/// Text with something in it and no control characters (names, identifiers).
pub const NAME: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";

/// A web address a webhook or feed may have: http(s), a host (a name whose last label starts
/// with a letter, or an IPv4 address), a port, a path. Whether the server may reach it is the
/// server's to say (`outbound_refused`, 403).
pub const WEB_URL: &str = concat!(
    r"^https?://",
    r"((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}",
    r"|([A-Za-z0-9-]{1,63}\.)*[A-Za-z][A-Za-z0-9-]{0,62})",
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?",
    r"(/[^\s]*)?$"
);

/// A comma-separated list of e-mail addresses.
pub const EMAIL_LIST: &str = r"^\s*[^@\s,]+@[^@\s,]+(\s*,\s*[^@\s,]+@[^@\s,]+)*\s*$";

/// A dotted version number.
pub const VERSION: &str = r"^[0-9]{1,9}(\.[0-9]{1,9}){0,5}$";

const LANGS: [&str; 5] = ["en", "fr", "sv", "de", "ko"];
const ROLES: [&str; 4] = ["administrator", "operator", "helpdesk", "readonly"];

fn words(list: &[&str]) -> Value {
    json!({ "enum": list })
}

fn words_or_null(list: &[&str]) -> Value {
    let mut all: Vec<Value> = list.iter().map(|w| json!(w)).collect();
    all.push(Value::Null);
    json!({ "enum": all })
}

// Constraints only: merged into a field's own schema they keep its type (a field that may
// be null still may).
fn group() -> Value {
    json!({"minLength": 1, "maxLength": 255, "pattern": "^[^,]+$"})
}

fn text(min: u64, max: u64) -> Value {
    if min > 0 {
        json!({"minLength": min, "maxLength": max, "pattern": NOT_BLANK})
    } else {
        json!({"maxLength": max})
    }
}

/// A text per language: keyed by language codes, each entry within `max` characters.
fn per_language(max: u64, required: bool) -> Value {
    let mut entry = if required { text(1, max) } else { text(0, max) };
    entry["type"] = json!("string");
    let mut v = json!({
        "type": "object",
        "propertyNames": words(&LANGS),
        "additionalProperties": entry,
    });
    if required {
        v["minProperties"] = json!(1);
    }
    v
}

/// A string item of a list or map, with these constraints.
fn string(mut constraints: Value) -> Value {
    constraints["type"] = json!("string");
    constraints
}

/// Merges `patch` into the value at `pointer` (objects key by key, anything else replaced).
fn merge(doc: &mut Value, pointer: &str, patch: Value) {
    let Some(target) = doc.pointer_mut(pointer) else {
        tracing::error!(%pointer, "contract: no such place in the document");
        return;
    };
    match (target.as_object_mut(), patch) {
        (Some(t), Value::Object(p)) => {
            for (k, v) in p {
                t.insert(k, v);
            }
        }
        (_, p) => *target = p,
    }
}

fn prop(name: &str, field: &str) -> String {
    format!("/components/schemas/{name}/properties/{field}")
}

fn schema(name: &str) -> String {
    format!("/components/schemas/{name}")
}

/// Every constraint the types do not carry themselves.
pub fn constrain(doc: &mut Value) {
    let mut m = |pointer: String, patch: Value| merge(doc, &pointer, patch);
    // People and tokens.
    for s in ["CreateUser", "UpdateUser"] {
        m(prop(s, "roles"), json!({"items": words(&ROLES)}));
        m(prop(s, "groups"), json!({"items": string(group())}));
        m(prop(s, "language"), words_or_null(&LANGS));
    }
    // A time zone is one the server knows (IANA names), a regional format one of three.
    let zones = steward_core::i18n::Zone::names();
    m(prop("UpdateUser", "time_zone"), words_or_null(&zones));
    m(
        prop("UpdateUser", "region"),
        words_or_null(&steward_core::i18n::REGIONS),
    );
    m(prop("CreateApiToken", "role"), words(&ROLES));
    m(
        schema("CreateApiToken"),
        json!({"required": ["name", "role"]}),
    );
    m(prop("CreateOwnToken", "name"), text(1, 255));
    // Alert rules, channels, silences.
    for s in ["RuleBody", "PolicyBody"] {
        m(prop(s, "name"), text(1, 255));
        m(prop(s, "groups"), json!({"items": string(group())}));
    }
    m(prop("PolicyBody", "rules"), json!({"minItems": 1}));
    m(
        prop("NotifySettings", "channels"),
        json!({"maxItems": 50, "items": string(text(1, 255))}),
    );
    m(
        prop("NotifySettings", "escalation"),
        json!({"maxItems": 10}),
    );
    m(
        prop("EscalationStep", "channels"),
        json!({"minItems": 1, "maxItems": 50}),
    );
    m(prop("ChannelBody", "name"), text(1, 200));
    m(prop("ChannelBody", "secret"), json!({"maxLength": 500}));
    m(
        schema("ChannelBody"),
        json!({"allOf": [{
            "if": {"properties": {"kind": {"const": "email"}}},
            "then": {"properties": {"target": {"type": "string", "maxLength": 2000, "pattern": EMAIL_LIST}}},
            "else": {"properties": {"target": {"type": "string", "maxLength": 2000, "pattern": WEB_URL}}},
        }]}),
    );
    for f in ["rule_id", "device_group", "device_id"] {
        m(prop("SilenceBody", f), text(1, 255));
    }
    m(
        prop("SilenceBody", "labels"),
        json!({
            "propertyNames": words(&steward_core::notify::SILENCE_LABELS),
            "additionalProperties": string(text(1, 255)),
        }),
    );
    for f in ["starts_at", "ends_at"] {
        m(prop("SilenceBody", f), json!({"format": "date-time"}));
    }
    m(
        prop("SilenceBody", "duration_minutes"),
        json!({"minimum": 1, "maximum": 366 * 24 * 60}),
    );
    m(prop("SilenceBody", "reason"), text(1, 4000));
    // An end (or a duration), and something to match.
    m(
        schema("SilenceBody"),
        json!({"allOf": [
            {"anyOf": [
                {"required": ["ends_at"], "properties": {"ends_at": {"type": "string"}}},
                {"required": ["duration_minutes"], "properties": {"duration_minutes": {"type": "integer"}}},
            ]},
            {"anyOf": [
                {"required": ["rule_id"], "properties": {"rule_id": {"type": "string"}}},
                {"required": ["device_group"], "properties": {"device_group": {"type": "string"}}},
                {"required": ["device_id"], "properties": {"device_id": {"type": "string"}}},
                {"required": ["labels"], "properties": {"labels": {"minProperties": 1}}},
            ]},
        ]}),
    );
    m(prop("ActionBody", "comment"), text(0, 4000));
    m(prop("CommentBody", "text"), text(1, 4000));
    m(prop("AssignBody", "assignee"), text(1, 255));
    // Help desk and the knowledge base.
    m(
        prop("RequestBody", "kind"),
        words(&crate::helpdesk::REQUEST_KINDS),
    );
    m(prop("NoteBody", "text"), text(1, 4000));
    m(prop("FeedbackBody", "code"), text(1, 100));
    m(
        prop("ArticleBody", "slug"),
        json!({"minLength": 1, "maxLength": 100, "pattern": "^[a-z0-9-]+$"}),
    );
    m(prop("ArticleBody", "title"), per_language(300, true));
    m(prop("ArticleBody", "body"), per_language(100_000, false));
    for f in ["tags", "codes", "rules"] {
        m(
            prop("ArticleBody", f),
            json!({"maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^\S+$"}}),
        );
    }
    m(prop("ArticleBody", "owner"), text(0, 255));
    // Update awareness, training, announcements.
    m(prop("NoticeBody", "title"), per_language(500, true));
    m(prop("NoticeBody", "body"), per_language(100_000, false));
    m(
        prop("NoticeBody", "tags"),
        json!({"items": words(&steward_core::awareness::TAGS)}),
    );
    m(
        prop("NoticeBody", "features"),
        json!({"items": string(text(1, 200))}),
    );
    m(prop("NoticeBody", "act_by"), json!({"format": "date-time"}));
    for s in ["PlatformRange"] {
        for f in ["min_version", "max_version"] {
            m(prop(s, f), json!({"pattern": VERSION}));
        }
    }
    m(prop("FeedBody", "name"), text(1, 255));
    m(
        prop("FeedBody", "url"),
        json!({"maxLength": 2000, "pattern": WEB_URL}),
    );
    m(
        prop("FeedBody", "interval_minutes"),
        json!({"minimum": 1, "maximum": 7 * 24 * 60}),
    );
    feed_defaults(doc);
    let mut m = |pointer: String, patch: Value| merge(doc, &pointer, patch);
    m(prop("FeatureBody", "name"), text(1, 200));
    m(prop("FeatureBody", "description"), text(0, 4000));
    m(prop("MaterialBody", "title"), text(1, 500));
    m(
        prop("MaterialBody", "url"),
        json!({"maxLength": 2000, "pattern": r"^(https?://\S*)?$"}),
    );
    m(prop("MaterialBody", "body"), text(0, 100_000));
    m(
        prop("MaterialBody", "features"),
        json!({"maxItems": 100, "items": string(text(1, 255))}),
    );
    m(
        schema("MaterialBody"),
        json!({"anyOf": [
            {"required": ["url"], "properties": {"url": {"minLength": 1}}},
            {"required": ["body"], "properties": {"body": {"pattern": NOT_BLANK}}},
        ]}),
    );
    m(prop("MaterialAssignBody", "user_id"), text(1, 255));
    for s in ["AnnouncementBody", "Welcome"] {
        m(prop(s, "title"), per_language(300, true));
        m(prop(s, "body"), per_language(10_000, false));
    }
    m(
        prop("AnnouncementBody", "groups"),
        json!({"items": string(group())}),
    );
    m(prop("OnboardingPlan", "steps"), json!({"maxItems": 100}));
    m(
        prop("OnboardingPlan", "within_days"),
        json!({"minimum": 1, "maximum": 365}),
    );
    m(
        prop("OnboardingStep", "id"),
        json!({"minLength": 1, "maxLength": 100, "pattern": r"^[^\s/]+$"}),
    );
    m(prop("OnboardingStep", "title"), text(1, 500));
    m(prop("OnboardingStep", "material"), text(1, 255));
    m(prop("OpsPlan", "team"), json!({"maxItems": 200}));
    m(prop("OpsPlan", "reporting"), json!({"maxItems": 200}));
    m(prop("OpsPlan", "update_awareness_owner"), text(0, 2000));
    m(prop("OpsPlan", "focus_areas"), json!({"maxItems": 5}));
    for (s, fields) in [
        ("TeamMember", &["person", "role", "responsibilities"][..]),
        ("ReportingLine", &["who", "stakeholders", "cadence"][..]),
        ("FocusArea", &["goals", "owner"][..]),
    ] {
        for f in fields {
            m(prop(s, f), text(0, 2000));
        }
    }
    m(
        prop("FocusArea", "area"),
        words(&steward_core::awareness::FOCUS_AREAS),
    );
    m(
        prop("FocusArea", "status"),
        words(&steward_core::awareness::FOCUS_STATUS),
    );
    m(schema("FocusArea"), json!({"required": ["area", "status"]}));
    // Software distribution.
    m(prop("AppBody", "name"), text(1, 200));
    m(prop("AppBody", "publisher"), text(0, 200));
    m(prop("AppBody", "description"), text(0, 4000));
    m(
        prop("AppVersionBody", "version"),
        json!({"minLength": 1, "maxLength": 100, "pattern": r"^\S+$"}),
    );
    m(prop("AppVersionBody", "package"), text(1, 200));
    m(prop("AppVersionBody", "arch"), json!({"maxLength": 32}));
    m(
        prop("AppVersionBody", "platform"),
        words(&["windows", "macos", "linux", "ios", "android"]),
    );
    m(
        prop("AppVersionBody", "kind"),
        words(&["apt", "msi", "win32", "pkg", "store"]),
    );
    // Each kind installs on its platforms.
    m(
        schema("AppVersionBody"),
        json!({"anyOf": [
            {"properties": {"kind": {"const": "apt"}, "platform": {"const": "linux"}}},
            {"properties": {"kind": {"enum": ["msi", "win32"]}, "platform": {"const": "windows"}}},
            {"properties": {"kind": {"const": "pkg"}, "platform": {"const": "macos"}}},
            {"properties": {"kind": {"const": "store"}, "platform": {"enum": ["windows", "macos", "ios", "android"]}}},
        ]}),
    );
    m(prop("AssignmentBody", "version_id"), text(1, 100));
    m(
        prop("AssignmentBody", "intent"),
        words(&["required", "available", "uninstall"]),
    );
    m(prop("AssignmentBody", "group"), group());
    for f in ["start_at", "deadline_at"] {
        m(prop("AssignmentBody", f), json!({"format": "date-time"}));
    }
    for f in ["gate_percent", "target_percent", "failure_percent"] {
        m(prop("AssignmentBody", f), json!({"maximum": 100}));
    }
    m(prop("AssignmentBody", "waves"), json!({"maxItems": 10}));
    // A wave is a share or a ring, not both.
    m(
        schema("Wave"),
        json!({"minProperties": 1, "maxProperties": 1, "properties": {
            "percent": {"type": "integer", "minimum": 1, "maximum": 100},
            "group": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,]+$"},
        }}),
    );
    m(prop("VersionBody", "version_id"), text(1, 100));
    // Internally tagged enums: serde refuses fields a variant does not have.
    close_variants(doc, "Condition");
    close_variants(doc, "Rule");
    let mut m = |pointer: String, patch: Value| merge(doc, &pointer, patch);
    // The agent API: the same limits `steward_core::limits` checks.
    for f in ["hostname", "hardware_id", "os_version"] {
        m(
            prop("EnrollRequest", f),
            json!({"minLength": 1, "maxLength": 255, "pattern": NAME}),
        );
    }
    for f in ["serial", "owner", "model"] {
        m(
            prop("EnrollRequest", f),
            json!({"maxLength": 255, "pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"}),
        );
    }
    m(prop("EnrollRequest", "token"), json!({"maxLength": 255}));
}

/// Each variant of a tagged enum (`oneOf` of objects) takes only its own fields.
fn close_variants(doc: &mut Value, name: &str) {
    if let Some(variants) = doc
        .pointer_mut(&format!("{}/oneOf", schema(name)))
        .and_then(Value::as_array_mut)
    {
        for v in variants {
            if v.get("type") == Some(&json!("object")) {
                v["additionalProperties"] = json!(false);
            }
        }
    }
}

/// A feed's defaults are a notice without its title and body (each imported entry brings
/// those): the notice body's schema, less those two.
fn feed_defaults(doc: &mut Value) {
    let Some(mut notice) = doc.pointer(&schema("NoticeBody")).cloned() else {
        return;
    };
    if let Some(props) = notice.get_mut("properties").and_then(Value::as_object_mut) {
        props.remove("title");
        props.remove("body");
    }
    notice.as_object_mut().map(|o| o.remove("required"));
    notice["type"] = json!(["object", "null"]);
    notice.as_object_mut().map(|o| o.remove("description"));
    merge(doc, &prop("FeedBody", "defaults"), notice);
}
