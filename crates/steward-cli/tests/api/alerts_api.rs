//! Alert rules, device alerts (opened and resolved as devices are evaluated), the alert
//! lifecycle, and fleet-wide rules evaluated by the sweeper.

use serde_json::{json, Value};
use steward_core::time::now_ms;
use steward_proto::{Platform, ProtectionStatus};

use crate::helpers::*;

const HOUR: i64 = 3_600_000;

async fn rule(app: &TestApp, body: Value) -> String {
    let (s, r) = app
        .post_as("/api/v1/alert-rules", &app.admin_token, &body)
        .await;
    assert_eq!(s, 202, "{r}");
    app.settled(&r).await;
    r["id"].as_str().expect("id").to_string()
}

async fn report(app: &TestApp, dev: &(String, String), seq: u64, p: ProtectionStatus) {
    report_protection(app, dev, seq, Some(p)).await
}

pub(crate) async fn alerts(app: &TestApp, query: &str) -> Vec<Value> {
    let (s, page) = app.get(&format!("/api/v1/alerts?{query}")).await;
    assert_eq!(s, 200, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_device_alert_fires_once_is_acknowledged_and_resolves_itself() {
    let app = TestApp::spawn().await;
    let rt = rule(
        &app,
        json!({"name": "Real-time protection off", "severity": "warning",
               "condition": {"type": "realtime_protection_off"}}),
    )
    .await;
    let threat = rule(
        &app,
        json!({"name": "Active threat", "severity": "critical", "condition": {"type": "active_threat"}}),
    )
    .await;
    let token = app.enrollment_token(Default::default()).await;
    let dev = app.enroll(&token, "pc-1", Platform::Linux).await;
    let other = app.enroll(&token, "pc-2", Platform::Linux).await;
    report(&app, &other, 1, healthy_protection()).await;
    let off = ProtectionStatus {
        realtime_protection: Some(false),
        ..healthy_protection()
    };
    report(&app, &dev, 1, off.clone()).await;
    // The same state again, and another change that keeps the condition: still one alert.
    report(&app, &dev, 2, off.clone()).await;
    let moved = ProtectionStatus {
        signature_version: Some("27500".into()),
        ..off.clone()
    };
    report(&app, &dev, 3, moved).await;
    let open = alerts(&app, "state=firing").await;
    assert_eq!(open.len(), 1, "one alert per device and rule: {open:?}");
    let a = &open[0];
    assert_eq!(a["rule_id"], rt.as_str());
    assert_eq!(a["device_id"], dev.0.as_str());
    assert_eq!(a["severity"], "warning");
    // A rule named after its condition says it once: its reason.
    assert_eq!(a["summary"], "Real-time protection is off");
    let (_, device) = app.get(&format!("/api/v1/devices/{}", dev.0)).await;
    assert_eq!(a["device_name"], device["name"], "alerts name their device");
    let fr: Value = app
        .http
        .get(format!(
            "{}/api/v1/alerts/{}",
            app.base,
            a["id"].as_str().unwrap_or("")
        ))
        .bearer_auth(&app.admin_token)
        .header("Accept-Language", "fr")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        fr["summary"],
        steward_core::t(steward_core::Lang::Fr, "alert-reason-realtime-off"),
        "the reason in the reader's language"
    );
    let id = a["id"].as_str().expect("id").to_string();
    assert!(alerts(&app, "severity=critical").await.is_empty());
    assert_eq!(alerts(&app, &format!("device={}", other.0)).await.len(), 0);
    assert_eq!(alerts(&app, &format!("rule={threat}")).await.len(), 0);

    let ack = format!("/api/v1/alerts/{id}/acknowledge");
    let (s, body) = app
        .post_as(&ack, &app.admin_token, &json!({"comment": "on it"}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["state"], "acknowledged");
    assert!(body["acknowledged_by"].is_string());
    let (s, body) = app.post_as(&ack, &app.admin_token, &json!({})).await;
    assert_eq!((s, code(&body)), (409, "conflict"), "acknowledged once");
    let helpdesk = app
        .token_with_role(steward_core::role::Role::Helpdesk)
        .await;
    let (s, _) = app.post_as(&ack, &helpdesk, &json!({})).await;
    assert_eq!(
        s, 403,
        "the help desk reads alerts, it does not act on them"
    );

    // Protection comes back: resolved by itself.
    report(&app, &dev, 4, healthy_protection()).await;
    let (_, detail) = app.get(&format!("/api/v1/alerts/{id}")).await;
    assert_eq!(detail["state"], "resolved", "{detail}");
    assert_eq!(detail["resolved_by"], "auto");
    let kinds: Vec<&str> = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["fired", "acknowledged", "resolved"]);
    assert_eq!(detail["history"][1]["detail"]["comment"], "on it");

    // It fires again within the rule's reopen window: the same alert reopens (no second
    // alert), is commented on, assigned, and resolved by hand this time.
    report(&app, &dev, 5, off).await;
    let open = alerts(&app, "state=firing").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], id.as_str(), "reopened, not a new alert");
    assert_eq!(open[0]["reopened"], 1);
    assert!(open[0]["acknowledged_by"].is_null());
    let (s, body) = app
        .post_as(
            &format!("/api/v1/alerts/{id}/comments"),
            &app.admin_token,
            &json!({"text": "the user says the AV was switched off by the installer"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = app
        .post_as(
            &format!("/api/v1/alerts/{id}/assign"),
            &app.admin_token,
            &json!({"assignee": "kim@example.org"}),
        )
        .await;
    assert_eq!(
        (s, body["assignee"].as_str()),
        (200, Some("kim@example.org")),
        "{body}"
    );
    let (s, body) = app
        .post_as(
            &format!("/api/v1/alerts/{id}/comments"),
            &app.admin_token,
            &json!({"text": " "}),
        )
        .await;
    assert_eq!((s, code(&body)), (400, "invalid_field"));
    let (s, body) = app
        .post_as(
            &format!("/api/v1/alerts/{id}/resolve"),
            &app.admin_token,
            &json!({"comment": "protection off on purpose during the upgrade"}),
        )
        .await;
    assert_eq!(
        (s, body["state"].as_str()),
        (200, Some("resolved")),
        "{body}"
    );
    let kinds: Vec<&str> = body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "fired",
            "acknowledged",
            "resolved",
            "reopened",
            "commented",
            "assigned",
            "resolved"
        ]
    );
    // The first firing, recorded as the reopening replaced the reason, keeps its own.
    // Same rule, same kind of reason as the reopening's.
    let (fired, reopened) = (&body["history"][0], &body["history"][3]);
    assert_eq!(fired["at"], body["fired_at"], "{body}");
    let key = fired["detail"]["reason"]["key"]
        .as_str()
        .unwrap_or_default();
    assert!(!key.is_empty(), "{body}");
    assert_eq!(key, reopened["detail"]["reason"]["key"], "{body}");
    assert_eq!(alerts(&app, "state=resolved").await.len(), 1);
    // Time to acknowledge and to resolve, per severity and rule.
    let (s, report) = app.get("/api/v1/alerts/metrics").await;
    assert_eq!(s, 200, "{report}");
    let warning = &report["by_severity"]["warning"];
    // Reopening cleared the acknowledgement; the resolution counts.
    assert_eq!(
        (
            warning["alerts"].as_u64(),
            warning["acknowledged"].as_u64(),
            warning["resolved"].as_u64()
        ),
        (Some(1), Some(0), Some(1)),
        "{report}"
    );
    assert!(warning["resolve_mean_secs"]
        .as_f64()
        .is_some_and(|v| v >= 0.0));
    assert_eq!(report["by_rule"][0]["rule_id"], rt.as_str());
    let (s, body) = app.get("/api/v1/alerts/metrics?since=yesterday").await;
    assert_eq!((s, code(&body)), (400, "invalid_query"));
    let (_, audit) = app.get("/api/v1/audit?action=alert.resolved").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1));
    app.shutdown().await;
}

/// Deleting a rule resolves its open alerts, each with a history entry naming who deleted it;
/// an alert already resolved keeps its history, and another rule's alerts stay open.
#[tokio::test]
async fn deleting_a_rule_resolves_its_open_alerts_with_their_history() {
    let app = TestApp::spawn_with(|c| c.fleet.sweep_interval_secs = 1).await;
    let off_rule = rule(
        &app,
        json!({"name": "Protection off", "severity": "warning",
               "condition": {"type": "realtime_protection_off"}}),
    )
    .await;
    let threat = rule(
        &app,
        json!({"name": "Threat", "severity": "critical", "condition": {"type": "active_threat"}}),
    )
    .await;
    let token = app.enrollment_token(Default::default()).await;
    let off = ProtectionStatus {
        realtime_protection: Some(false),
        ..healthy_protection()
    };
    let mut devs = Vec::new();
    for i in 0..3 {
        let dev = app
            .enroll(&token, &format!("pc-{i}"), Platform::Linux)
            .await;
        report(&app, &dev, 1, off.clone()).await;
        devs.push(dev);
    }
    // The first device's protection comes back: its alert is resolved before the deletion.
    report(&app, &devs[0], 2, healthy_protection()).await;
    // The second one also has a threat, for the other rule.
    let threatened = ProtectionStatus {
        threat_state: Some(steward_proto::ThreatState::ActiveThreat),
        detections: vec![eicar_left_in_place("/home/u/eicar.com")],
        ..off.clone()
    };
    report(&app, &devs[1], 2, threatened).await;
    assert_eq!(
        alerts(&app, &format!("rule={off_rule}&state=firing"))
            .await
            .len(),
        2
    );
    assert_eq!(
        alerts(&app, &format!("rule={threat}&state=firing"))
            .await
            .len(),
        1
    );
    // A fourth device's alert is resolved by hand while its protection stays off: the rule
    // still fires on it, with no open alert for the job to find.
    let by_hand = app.enroll(&token, "pc-3", Platform::Linux).await;
    report(&app, &by_hand, 1, off.clone()).await;
    let open = alerts(&app, &format!("device={}&state=firing", by_hand.0)).await;
    let (s, body) = app
        .post_as(
            &format!(
                "/api/v1/alerts/{}/resolve",
                open[0]["id"].as_str().expect("id")
            ),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{body}");

    // The deletion answers at once; a job resolves the rule's two open alerts.
    let (s, job) = app
        .raw_delete(&format!("/api/v1/alert-rules/{off_rule}"))
        .await;
    assert_eq!(s, 202, "{job}");
    assert_eq!(
        (job["kind"].as_str(), job["subject"].as_str()),
        (Some("rule_deleted"), Some(off_rule.as_str())),
        "{job}"
    );
    app.settled(&job).await;
    let (_, job) = app
        .get(&format!(
            "/api/v1/fleet-jobs/{}",
            job["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(
        (job["total"].as_u64(), job["done"].as_u64()),
        (Some(2), Some(2)),
        "{job}"
    );
    let gone = alerts(&app, &format!("rule={off_rule}")).await;
    assert_eq!(gone.len(), 4, "{gone:?}");
    for a in gone.iter().filter(|a| a["device_id"] != by_hand.0.as_str()) {
        let (_, detail) = app
            .get(&format!("/api/v1/alerts/{}", a["id"].as_str().expect("id")))
            .await;
        assert_eq!(detail["state"], "resolved", "{detail}");
        let history = detail["history"].as_array().expect("history");
        let kinds: Vec<&str> = history.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, ["fired", "resolved"], "one entry each: {detail}");
        let last = &history[1];
        if a["device_id"] == devs[0].0.as_str() {
            assert_eq!(detail["resolved_by"], "auto");
            assert_eq!(last["actor"], "steward");
        } else {
            assert_eq!(detail["resolved_by"], last["actor"], "{detail}");
            assert_ne!(last["actor"], "steward");
            assert_eq!(last["detail"]["reason"], "rule deleted");
        }
    }
    assert_eq!(
        alerts(&app, &format!("rule={threat}&state=firing"))
            .await
            .len(),
        1,
        "another rule's alert stays open"
    );
    // The devices no longer list the deleted rule among those firing on them, and those no
    // rule fires on any more have left the table of firing devices.
    for (dev, left) in [(&devs[1], threat.as_str()), (&devs[2], ""), (&by_hand, "")] {
        let firing = app
            .sql_text(&format!(
                "SELECT COALESCE(MAX(rules), '-') FROM device_firing WHERE device_id = '{}'",
                dev.0
            ))
            .await;
        let want = if left.is_empty() { "-" } else { left };
        assert_eq!(firing.as_deref(), Some(want), "{}", dev.0);
    }

    // An alert fired after the job went past, by a server that read the rules just before
    // the deletion committed: the sweep finds it, and a job of its own resolves it once.
    app.execute_sql(&format!(
        "INSERT INTO alerts (id, rule_id, subject, device_id, severity, state, rule_name, \
         reason, fired_at, updated_at) SELECT 'late-alert', rule_id, subject, device_id, \
         severity, 'firing', rule_name, reason, fired_at, updated_at FROM alerts \
         WHERE rule_id = '{off_rule}' AND device_id = '{}'",
        devs[1].0
    ))
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let late = loop {
        let (s, late) = app.get("/api/v1/alerts/late-alert").await;
        assert_eq!(s, 200, "{late}");
        if late["state"] == "resolved" {
            break late;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the late alert stayed open: {late}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    // Its firing (the row's own) and the resolution, once.
    let history = late["history"].as_array().expect("history");
    assert_eq!(history.len(), 2, "{late}");
    assert_eq!(history[0]["kind"], "fired", "{late}");
    assert_eq!(
        (
            history[1]["kind"].as_str(),
            history[1]["actor"].as_str(),
            history[1]["detail"]["reason"].as_str()
        ),
        (Some("resolved"), Some("steward"), Some("rule deleted")),
        "{late}"
    );
    let (_, jobs) = app.get("/api/v1/fleet-jobs").await;
    let deletions: Vec<&Value> = jobs["items"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["kind"] == "rule_deleted")
        .collect();
    assert_eq!(deletions.len(), 2, "{jobs}");
    assert_eq!(deletions[0]["done"], 1, "{jobs}");
    app.shutdown().await;
}

#[tokio::test]
async fn silent_devices_alert_from_the_sweep_and_clear_on_check_in() {
    let app = TestApp::spawn().await;
    rule(
        &app,
        json!({"name": "Silent for a day", "severity": "warning",
               "condition": {"type": "not_checked_in", "hours": 24}}),
    )
    .await;
    let token = app.enrollment_token(Default::default()).await;
    let dev = app.enroll(&token, "laptop", Platform::Windows).await;
    report(&app, &dev, 1, healthy_protection()).await;
    let now = now_ms();
    app.store.sweep(now + 23 * HOUR).await.expect("sweep");
    assert!(alerts(&app, "").await.is_empty());
    app.store.sweep(now + 25 * HOUR).await.expect("sweep");
    let open = alerts(&app, "state=firing").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0]["summary"]
        .as_str()
        .unwrap_or("")
        .contains("No check-in for 25 hours"));
    // The device comes back with nothing new (the cheap path); the next sweep clears it.
    let stored: ProtectionStatus = serde_json::from_value(
        app.get(&format!("/api/v1/devices/{}", dev.0)).await.1["protection"].clone(),
    )
    .expect("protection");
    report(&app, &dev, 2, stored).await;
    app.device_at(&dev.0, 2).await;
    app.store.sweep(now_ms()).await.expect("sweep");
    let all = alerts(&app, "").await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["state"], "resolved");
    assert_eq!(all[0]["resolved_by"], "auto");
    app.shutdown().await;
}

#[tokio::test]
async fn a_fleet_share_rule_fires_once_for_the_fleet() {
    let app = TestApp::spawn_with(|c| c.fleet.sweep_interval_secs = 1).await;
    rule(
        &app,
        json!({"name": "Too many Windows devices unprotected", "severity": "critical",
               "condition": {"type": "fleet_share", "health": "unprotected", "platform": "windows", "percent": 50.0}}),
    )
    .await;
    let token = app.enrollment_token(Default::default()).await;
    for (i, platform, protection) in [
        (0, Platform::Windows, ProtectionStatus::default()),
        (1, Platform::Windows, ProtectionStatus::default()),
        (2, Platform::Windows, healthy_protection()),
        (3, Platform::Linux, healthy_protection()),
    ] {
        let d = app.enroll(&token, &format!("pc-{i}"), platform).await;
        report(&app, &d, 1, protection).await;
    }
    // The sweeper runs every second; wait for it, up to ten.
    let mut open = Vec::new();
    for _ in 0..100 {
        open = alerts(&app, "state=firing").await;
        if !open.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["subject"], "fleet");
    assert!(open[0]["device_id"].is_null());
    assert_eq!(
        open[0]["summary"],
        "Too many Windows devices unprotected: 2 of 3 devices unprotected"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn bad_rules_and_filters_are_refused() {
    let app = TestApp::spawn().await;
    for body in [
        json!({"name": "", "severity": "warning", "condition": {"type": "active_threat"}}),
        json!({"name": "x", "severity": "loud", "condition": {"type": "active_threat"}}),
        json!({"name": "x", "severity": "warning", "condition": {"type": "weather"}}),
        json!({"name": "x", "severity": "warning", "condition": {"type": "not_checked_in", "hours": 0}}),
        json!({"name": "x", "severity": "warning", "condition": {"type": "low_disk_space", "free_percent": 100}}),
        json!({"name": "x", "severity": "warning", "condition": {"type": "active_threat"}, "groups": ["a,b"]}),
    ] {
        let (s, b) = app
            .post_as("/api/v1/alert-rules", &app.admin_token, &body)
            .await;
        assert_eq!(s, 400, "{body}: {b}");
    }
    let (_, rules) = app.get("/api/v1/alert-rules").await;
    assert_eq!(
        rules["items"].as_array().map(Vec::len),
        Some(0),
        "nothing half-written"
    );
    for q in ["state=open", "severity=loud", "limit=0"] {
        let (s, b) = app.get(&format!("/api/v1/alerts?{q}")).await;
        assert_eq!((s, code(&b)), (400, "invalid_query"), "{q}");
    }
    let (s, b) = app
        .post_as(
            "/api/v1/alerts/nope/acknowledge",
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (404, "not_found"));
    app.shutdown().await;
}
