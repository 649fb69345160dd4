//! Notifications end to end, with real receivers: an HTTP server checking webhook signatures
//! and an SMTP server process. The server runs on a manual clock, so group waits, silences,
//! escalations and retry backoff fall due when a test moves the clock, not after sleeping.

use std::time::Duration;

use serde_json::{json, Value};
use steward_proto::{CreateEnrollmentToken, Platform, ProtectionStatus};

use crate::helpers::*;

const MINUTE: Duration = Duration::from_secs(60);

async fn create(app: &TestApp, path: &str, body: Value) -> String {
    let (s, r) = app.post_as(path, &app.admin_token, &body).await;
    if path == "/api/v1/alert-rules" {
        // A rule answers at once; its job evaluates every device against it.
        assert_eq!(s, 202, "{path}: {r}");
        app.settled(&r).await;
    } else {
        assert_eq!(s, 201, "{path}: {r}");
    }
    r["id"].as_str().expect("id").to_string()
}

async fn webhook(app: &TestApp, name: &str, url: &str, secret: Option<&str>) -> String {
    create(
        app,
        "/api/v1/channels",
        json!({"name": name, "kind": "webhook", "target": url, "secret": secret}),
    )
    .await
}

async fn report(app: &TestApp, dev: &(String, String), seq: u64, p: ProtectionStatus) {
    report_protection(app, dev, seq, Some(p)).await
}

fn rt_off() -> ProtectionStatus {
    ProtectionStatus {
        realtime_protection: Some(false),
        ..healthy_protection()
    }
}

fn threat() -> ProtectionStatus {
    ProtectionStatus {
        threat_state: Some(steward_proto::ThreatState::ActiveThreat),
        detections: vec![eicar_left_in_place("/home/u/eicar.com")],
        ..healthy_protection()
    }
}

async fn outbox(app: &TestApp, query: &str) -> Vec<Value> {
    let (s, page) = app
        .get(&format!("/api/v1/notifications?limit=1000&{query}"))
        .await;
    assert_eq!(s, 200, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

/// Waits (30 s at most) until the outbox holds no pending notification.
async fn all_delivered(app: &TestApp) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows = outbox(app, "").await;
        if rows.iter().all(|r| r["state"] == "delivered") {
            return rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still pending: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn devices(app: &TestApp, n: usize, group: Option<&str>) -> Vec<(String, String)> {
    let token = app
        .enrollment_token(CreateEnrollmentToken {
            group: group.map(str::to_string),
            ..Default::default()
        })
        .await;
    let mut out = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let batch = chunk.iter().map(|i| {
            let name = format!("{}-{i}", group.unwrap_or("pc"));
            let token = token.clone();
            async move { app.enroll(&token, &name, Platform::Windows).await }
        });
        out.extend(futures::future::join_all(batch).await);
    }
    out
}

async fn report_all(app: &TestApp, devs: &[(String, String)], seq: u64, p: &ProtectionStatus) {
    for chunk in devs.chunks(50) {
        futures::future::join_all(chunk.iter().map(|d| report(app, d, seq, p.clone()))).await;
    }
}

#[tokio::test]
async fn five_hundred_devices_losing_protection_make_one_notification_per_channel() {
    let smtp = Smtp::start().await;
    let app = TestApp::spawn_manual(|c| {
        smtp.configure(c);
    })
    .await;
    let hook = Receiver::start(Some("s3cret")).await;
    let chat = Receiver::start(None).await;
    let hook_id = webhook(&app, "SOC webhook", &hook.url, Some("s3cret")).await;
    let slack = create(
        &app,
        "/api/v1/channels",
        json!({"name": "ops chat", "kind": "slack", "target": format!("{}/slack", chat.url)}),
    )
    .await;
    let teams = create(
        &app,
        "/api/v1/channels",
        json!({"name": "ops teams", "kind": "teams", "target": format!("{}/teams", chat.url)}),
    )
    .await;
    let mail = create(
        &app,
        "/api/v1/channels",
        json!({"name": "desk mail", "kind": "email", "target": "desk@example.org, lead@example.org"}),
    )
    .await;
    let (s, ch) = app.get(&format!("/api/v1/channels/{hook_id}")).await;
    assert_eq!(s, 200);
    assert!(
        ch.get("secret").is_none(),
        "the secret is never shown: {ch}"
    );
    assert_eq!(ch["has_secret"], true);
    create(
        &app,
        "/api/v1/alert-rules",
        json!({"name": "Real-time protection off", "severity": "warning",
               "condition": {"type": "realtime_protection_off"},
               "notify": {"channels": [hook_id, slack, teams, mail]}}),
    )
    .await;

    let devs = devices(&app, 500, None).await;
    report_all(&app, &devs, 1, &rt_off()).await;
    let (_, report) = app.get("/api/v1/alerts/metrics").await;
    assert_eq!(report["by_severity"]["warning"]["alerts"], 500, "{report}");
    assert!(
        outbox(&app, "").await.is_empty(),
        "nothing sent while the group waits"
    );

    app.clock.advance(Duration::from_secs(31));
    let got = hook.wait_for(1).await;
    let body = &got[0].body;
    assert_eq!(
        got[0].signature_ok,
        Some(true),
        "signed with the channel secret"
    );
    assert_eq!(
        got[0].headers.get("idempotency-key").map(String::as_str),
        body["id"].as_str()
    );
    assert_eq!(body["status"], "firing");
    assert_eq!(body["counts"]["firing"], 500);
    assert_eq!(body["counts"]["open"], 500);
    assert_eq!(body["alerts"].as_array().map(Vec::len), Some(500));
    let chats = chat.wait_for(2).await;
    let slack_msg = chats
        .iter()
        .find(|r| r.path == "/hook/slack")
        .expect("slack");
    assert!(
        slack_msg.body["text"]
            .as_str()
            .is_some_and(|t| t.contains("500 open") && t.contains("… and 480 more")),
        "{:?}",
        slack_msg.body
    );
    let teams_msg = chats
        .iter()
        .find(|r| r.path == "/hook/teams")
        .expect("teams");
    assert_eq!(
        teams_msg.body["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let mails = smtp.wait_for(1).await;
    let m = &mails[0];
    assert!(
        m.headers["subject"].contains("[Warning] Real-time protection off: 500 open"),
        "{:?}",
        m.headers
    );
    assert!(m.headers["to"].contains("lead@example.org"));
    assert!(m.body.contains("Newly firing (500)"), "{}", m.body);
    assert!(m.body.contains("… and 480 more"), "{}", m.body);
    let rows = all_delivered(&app).await;
    assert_eq!(rows.len(), 4, "one notification per channel: {rows:?}");

    // Protection returns everywhere: every alert resolves itself, one notification each.
    report_all(&app, &devs, 2, &healthy_protection()).await;
    let (_, page) = app.get("/api/v1/alerts?state=resolved&limit=1000").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(500));
    assert!(page["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|a| a["resolved_by"] == "auto"));
    app.clock.advance(Duration::from_secs(301));
    let got = hook.wait_for(2).await;
    assert_eq!(got[1].body["status"], "resolved");
    assert_eq!(got[1].body["counts"]["resolved"], 500);
    assert_eq!(got[1].body["counts"]["open"], 0);
    assert_ne!(got[0].body["id"], got[1].body["id"]);
    chat.wait_for(4).await;
    let mails = smtp.wait_for(2).await;
    assert!(mails
        .iter()
        .any(|m| m.headers["subject"].ends_with("Real-time protection off: resolved")));
    assert_eq!(all_delivered(&app).await.len(), 8);
    assert_eq!(hook.received().len(), 2);
    app.shutdown().await;
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_every_notification_and_the_failure_is_an_alert() {
    let app = TestApp::spawn_manual(|c| {
        c.notify.max_backoff_secs = 60;
        c.fleet.sweep_interval_secs = 1;
    })
    .await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let ch = webhook(&app, "pager", &url, Some("k")).await;
    create(
        &app,
        "/api/v1/alert-rules",
        json!({"name": "Threat", "severity": "critical", "condition": {"type": "active_threat"},
               "notify": {"channels": [ch]}}),
    )
    .await;
    let failing = create(
        &app,
        "/api/v1/alert-rules",
        json!({"name": "Notifications failing", "severity": "critical",
               "condition": {"type": "delivery_failing", "minutes": 1}}),
    )
    .await;
    let devs = devices(&app, 2, None).await;
    report(&app, &devs[0], 1, threat()).await;

    // The receiver is down: the failure is visible on the channel, with the next attempt.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        let (_, c) = app.get(&format!("/api/v1/channels/{ch}")).await;
        if c["delivery"]["last_error"].is_string() {
            break c["delivery"].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no failure recorded: {c}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status["pending"], 1, "{status}");
    assert!(status["next_attempt_at"].is_string(), "{status}");
    let rows = outbox(&app, &format!("channel={ch}&state=pending")).await;
    assert!(rows[0]["attempts"].as_i64() >= Some(1));

    // A second alert while it is still down, after the group interval.
    report(&app, &devs[1], 1, threat()).await;
    app.clock.advance(Duration::from_secs(301));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) = app
            .get(&format!("/api/v1/alerts?rule={failing}&state=firing"))
            .await;
        let n = outbox(&app, "state=pending").await.len();
        if page["items"].as_array().is_some_and(|a| a.len() == 1) && n == 2 {
            assert!(page["items"][0]["summary"]
                .as_str()
                .is_some_and(|s| s.contains("pager")));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no delivery alert: {page}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The receiver comes back; at the next attempt both notifications arrive, once each.
    let hook = Receiver::start_on(port, Some("k"), ReceiverMode::Accept).await;
    app.clock.advance(Duration::from_secs(61));
    let got = hook.wait_for(2).await;
    all_delivered(&app).await;
    let keys: std::collections::BTreeSet<&str> = got
        .iter()
        .filter_map(|r| r.headers.get("idempotency-key").map(String::as_str))
        .collect();
    assert_eq!(keys.len(), 2, "two distinct notifications");
    assert!(got.iter().all(|r| r.signature_ok == Some(true)));
    let devices_told: std::collections::BTreeSet<&str> = got
        .iter()
        .filter_map(|r| r.body["alerts"][0]["device_id"].as_str())
        .collect();
    assert_eq!(devices_told.len(), 2);
    let (_, c) = app.get(&format!("/api/v1/channels/{ch}")).await;
    assert_eq!(c["delivery"]["pending"], 0);
    assert!(c["delivery"]["last_delivered_at"].is_string());
    // The delivery alert clears at the next sweep.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !app
        .get(&format!("/api/v1/alerts?rule={failing}&state=firing"))
        .await
        .1["items"]
        .as_array()
        .is_some_and(Vec::is_empty)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "delivery alert still open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_notification_decided_before_a_crash_is_sent_after_the_restart() {
    let db = TestDb::new().await;
    let admin = cli(&db, &["token", "create", "--role", "admin"]);
    let enroll = cli(&db, &["enroll-token", "create"]);
    let port = free_port();
    let hook_port = free_port();
    // The first receiver takes the request and never answers: the server is killed while
    // the delivery is in flight.
    let hanging = Receiver::start_on(hook_port, None, ReceiverMode::Hang).await;
    let server = start(&db, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let ch: Value = post(
        "/api/v1/channels",
        json!({"name": "hook", "kind": "webhook", "target": hanging.url}),
    )
    .await
    .expect("channel")
    .json()
    .await
    .expect("json");
    let r = post(
        "/api/v1/alert-rules",
        json!({"name": "Threat", "severity": "critical", "condition": {"type": "active_threat"},
               "notify": {"channels": [ch["id"]]}}),
    )
    .await
    .expect("rule");
    assert_eq!(r.status(), 202);
    let client = steward_agent::Client::new(&base);
    let dev = client
        .enroll(&enroll_request(&enroll, "crashy", Platform::Linux))
        .await
        .expect("enroll");
    let mut req = checkin(1, "crashy");
    req.protection = Some(threat());
    client
        .checkin(&dev.device_id, &dev.device_secret, &req)
        .await
        .expect("checkin");
    let first = hanging.wait_for(1).await;
    drop(server);
    hanging.stop().await;

    let hook = Receiver::start_on(hook_port, None, ReceiverMode::Accept).await;
    let _server = start(&db, port).await;
    let again = hook.wait_for(1).await;
    assert_eq!(
        again[0].headers.get("idempotency-key"),
        first[0].headers.get("idempotency-key"),
        "the same notification, so the receiver can drop the repeat"
    );
    assert_eq!(
        again[0].body["alerts"][0]["device_id"],
        dev.device_id.as_str()
    );
}

#[tokio::test]
async fn a_silence_holds_notifications_until_it_ends() {
    let app = TestApp::spawn_manual(|_| {}).await;
    let hook = Receiver::start(None).await;
    let ch = webhook(&app, "pager", &hook.url, None).await;
    let rule = create(
        &app,
        "/api/v1/alert-rules",
        json!({"name": "Threat", "severity": "critical", "condition": {"type": "active_threat"},
               "notify": {"channels": [ch]}}),
    )
    .await;
    for (bad, want) in [
        (
            json!({"reason": "x", "duration_minutes": 60}),
            (400, "invalid_field"),
        ),
        (
            json!({"labels": {"colour": "red"}, "reason": "x", "duration_minutes": 60}),
            (400, "invalid_field"),
        ),
        (
            json!({"device_group": "lab", "reason": "x", "starts_at": "2030-01-02T00:00:00Z",
                   "ends_at": "2030-01-01T00:00:00Z"}),
            (409, "invalid_period"),
        ),
        (
            json!({"device_group": "lab", "reason": "", "duration_minutes": 60}),
            (400, "invalid_field"),
        ),
        (
            json!({"rule_id": "no-such-rule", "reason": "x", "duration_minutes": 60}),
            (409, "unknown_reference"),
        ),
    ] {
        let (s, body) = app
            .post_as("/api/v1/silences", &app.admin_token, &bad)
            .await;
        assert_eq!((s, code(&body)), want, "{bad}");
    }
    let silence = create(
        &app,
        "/api/v1/silences",
        json!({"device_group": "lab", "labels": {"platform": "windows"},
               "duration_minutes": 60, "reason": "re-imaging the lab"}),
    )
    .await;
    let (_, s) = app.get(&format!("/api/v1/silences/{silence}")).await;
    assert_eq!(s["status"], "active");
    assert_eq!(s["author"], "test");

    let lab = devices(&app, 1, Some("lab")).await;
    let office = devices(&app, 1, Some("office")).await;
    report(&app, &lab[0], 1, threat()).await;
    report(&app, &office[0], 1, threat()).await;
    let got = hook.wait_for(1).await;
    let listed = listed_devices(&got[0].body);
    assert_eq!(
        listed,
        [office[0].0.as_str()],
        "the silenced device is held back"
    );
    let (_, page) = app
        .get(&format!("/api/v1/alerts?rule={rule}&device={}", lab[0].0))
        .await;
    let held = &page["items"][0];
    assert_eq!(held["state"], "firing", "recorded all the same");
    assert_eq!(held["silenced_by"], silence.as_str());

    // The window ends: what it held goes out.
    app.clock.advance(61 * MINUTE);
    let got = hook.wait_for(2).await;
    assert_eq!(got[1].body["alerts"][0]["device_id"], lab[0].0.as_str());
    let (_, s) = app.get(&format!("/api/v1/silences/{silence}")).await;
    assert_eq!(s["status"], "expired");
    let (_, page) = app.get("/api/v1/silences?status=active").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    let (_, audit) = app.get("/api/v1/audit?action=silence.create").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1));
    app.shutdown().await;
}

#[tokio::test]
async fn unacknowledged_alerts_escalate_step_by_step() {
    let app = TestApp::spawn_manual(|_| {}).await;
    let primary = Receiver::start(None).await;
    let oncall = Receiver::start(None).await;
    let manager = Receiver::start(None).await;
    let p = webhook(&app, "primary", &primary.url, None).await;
    let o = webhook(&app, "on call", &oncall.url, None).await;
    let m = webhook(&app, "manager", &manager.url, None).await;
    let (s, body) = app
        .post_as(
            "/api/v1/alert-rules",
            &app.admin_token,
            &json!({"name": "Threat", "severity": "critical", "condition": {"type": "active_threat"},
                    "notify": {"channels": [p], "escalation": [
                        {"after_minutes": 60, "channels": [m]},
                        {"after_minutes": 15, "channels": [o]}]}}),
        )
        .await;
    assert_eq!(
        s, 202,
        "steps in any order are taken in the order of their delay: {body}"
    );
    let steps = &body["notify"]["escalation"];
    assert_eq!(
        (
            steps[0]["after_minutes"].as_u64(),
            steps[1]["after_minutes"].as_u64()
        ),
        (Some(15), Some(60))
    );
    let (s, _) = app
        .raw_delete(&format!(
            "/api/v1/alert-rules/{}",
            body["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(s, 202);
    create(
        &app,
        "/api/v1/alert-rules",
        json!({"name": "Threat", "severity": "critical", "condition": {"type": "active_threat"},
               "notify": {"channels": [p], "escalation": [
                   {"after_minutes": 15, "channels": [o]},
                   {"after_minutes": 60, "channels": [m]}]}}),
    )
    .await;
    let (s, body) = app.raw_delete(&format!("/api/v1/channels/{o}")).await;
    assert_eq!(
        (s, code(&body)),
        (409, "conflict"),
        "a rule escalates to it"
    );
    let devs = devices(&app, 2, None).await;
    report(&app, &devs[0], 1, threat()).await;
    report(&app, &devs[1], 1, threat()).await;
    primary.wait_for(1).await;
    let (_, page) = app
        .get(&format!("/api/v1/alerts?device={}", devs[1].0))
        .await;
    let acked = page["items"][0]["id"].as_str().expect("id").to_string();
    let (s, _) = app
        .post_as(
            &format!("/api/v1/alerts/{acked}/acknowledge"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);

    app.clock.advance(16 * MINUTE);
    let got = oncall.wait_for(1).await;
    assert_eq!(got[0].body["kind"], "escalation");
    assert_eq!(got[0].body["escalation_minutes"], 15);
    let listed = listed_devices(&got[0].body);
    assert_eq!(
        listed,
        [devs[0].0.as_str()],
        "the acknowledged alert does not escalate"
    );
    assert!(manager.received().is_empty());

    app.clock.advance(45 * MINUTE);
    let got = manager.wait_for(1).await;
    assert_eq!(got[0].body["escalation_minutes"], 60);
    let (_, page) = app
        .get(&format!("/api/v1/alerts?device={}", devs[0].0))
        .await;
    let a = &page["items"][0];
    assert_eq!(a["escalation_level"], 2);
    let (_, detail) = app
        .get(&format!("/api/v1/alerts/{}", a["id"].as_str().expect("id")))
        .await;
    let escalations = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .count();
    assert_eq!(escalations, 2);
    all_delivered(&app).await;
    assert_eq!(oncall.received().len(), 1, "each step notifies once");
    app.shutdown().await;
}

#[tokio::test]
async fn channels_refuse_bad_targets_and_send_a_test_notification() {
    let app = TestApp::spawn().await;
    for bad in [
        json!({"name": "x", "kind": "webhook", "target": "ftp://example.org"}),
        json!({"name": "x", "kind": "email", "target": "not an address"}),
        json!({"name": "", "kind": "slack", "target": "https://hooks.example.org/x"}),
        json!({"name": "x", "kind": "pager", "target": "https://example.org"}),
    ] {
        let (s, body) = app
            .post_as("/api/v1/channels", &app.admin_token, &bad)
            .await;
        assert_eq!(s, 400, "{bad}: {body}");
    }
    let hook = Receiver::start(Some("key")).await;
    let id = create(
        &app,
        "/api/v1/channels",
        json!({"name": "ops", "kind": "webhook", "target": hook.url, "secret": "key", "language": "sv"}),
    )
    .await;
    let (s, r) = app
        .post_as(
            &format!("/api/v1/channels/{id}/test"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, r["delivered"].as_bool()), (200, Some(true)), "{r}");
    let got = hook.wait_for(1).await;
    assert_eq!(got[0].body["kind"], "test");
    assert_eq!(got[0].body["title"], "Testavisering från Steward");
    assert_eq!(got[0].signature_ok, Some(true));

    // A channel nobody listens on: the test says so, with the reason.
    let dead = create(
        &app,
        "/api/v1/channels",
        json!({"name": "dead", "kind": "slack", "target": format!("http://127.0.0.1:{}/x", free_port())}),
    )
    .await;
    let (s, r) = app
        .post_as(
            &format!("/api/v1/channels/{dead}/test"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, r["delivered"].as_bool()), (200, Some(false)), "{r}");
    assert!(r["error"].as_str().is_some_and(|e| !e.is_empty()));
    // E-mail without an SMTP server configured fails with a clear reason.
    let mail = create(
        &app,
        "/api/v1/channels",
        json!({"name": "mail", "kind": "email", "target": "a@example.org"}),
    )
    .await;
    let (_, r) = app
        .post_as(
            &format!("/api/v1/channels/{mail}/test"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert!(
        r["error"].as_str().is_some_and(|e| e.contains("smtp_host")),
        "{r}"
    );
    // Rules may only name channels that exist.
    let (s, body) = app
        .post_as(
            "/api/v1/alert-rules",
            &app.admin_token,
            &json!({"name": "x", "severity": "warning", "condition": {"type": "noncompliant"},
                    "notify": {"channels": ["nope"]}}),
        )
        .await;
    assert_eq!((s, code(&body)), (409, "unknown_reference"));
    let helpdesk = app.token_with_role(steward_core::Role::Helpdesk).await;
    let (s, _) = app.get_as("/api/v1/channels", &helpdesk).await;
    assert_eq!(s, 403);
    app.shutdown().await;
}
