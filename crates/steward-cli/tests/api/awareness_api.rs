//! Update awareness: a vendor feed becomes notices, administrators are mailed about a major
//! update (real SMTP server), acknowledgments drive the readiness checklist as the (manual)
//! clock passes the grace period, and the feature the update names makes its training stale
//! until reviewed (one scenario); briefings, reminders, the operational plan, training
//! completions and onboarding, announcements and the digest.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use steward_core::Role;
use steward_store::audit::Actor;

use crate::helpers::*;

fn rss(title: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Vendor</title>
        <item><guid>MC-100</guid><title>{title}</title>
        <description>The admin center moves to a new address.</description>
        <pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"#
    )
}

/// A feed served over HTTP on 127.0.0.1; the document can be changed.
async fn feed_server(doc: Arc<Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/feed.xml", listener.local_addr().expect("addr"));
    let app = axum::Router::new().route(
        "/feed.xml",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { doc.lock().expect("lock").clone() }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// A user and an API token acting as that user.
async fn person(app: &TestApp, email: &str, role: Role) -> (String, String) {
    let user = steward_server::auth::create_user(
        &app.store,
        email,
        &[role],
        &[],
        "a long enough password",
        &Actor::cli(),
    )
    .await
    .expect("user");
    let token = steward_server::api::new_api_token(
        &app.store,
        email,
        None,
        Some(user.id.clone()),
        None,
        &Actor::cli(),
    )
    .await
    .expect("token")
    .token;
    (user.id, token)
}

pub(crate) async fn readiness(app: &TestApp, id: &str) -> Value {
    let (s, list) = app.get("/api/v1/readiness").await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .expect("item")
}

#[tokio::test]
async fn a_major_update_from_a_feed_is_mailed_and_must_be_acknowledged_by_every_admin() {
    let smtp = Smtp::start().await;
    let app = TestApp::spawn_manual(|c| {
        smtp.configure(c);
    })
    .await;
    let (_, ann) = person(&app, "ann@example.org", Role::Administrator).await;
    let (bo_id, bo) = person(&app, "bo@example.org", Role::Administrator).await;
    set_language(&app, &bo_id, "fr").await;
    let doc = Arc::new(Mutex::new(rss("Major update to the admin center")));
    let url = feed_server(doc.clone()).await;
    let (_, feature) = app
        .post_as(
            "/api/v1/features",
            &app.admin_token,
            &json!({"name": "Passkeys", "description": "Sign-in without passwords"}),
        )
        .await;
    let fid = feature["id"].as_str().expect("feature").to_string();
    let (s, material) = app
        .post_as(
            "/api/v1/training",
            &app.admin_token,
            &json!({"title": "Helping users sign in", "audience": "helpdesk",
                    "url": "https://wiki.example.org/sign-in", "features": [fid]}),
        )
        .await;
    assert_eq!(s, 201, "{material}");
    let mid = material["id"].as_str().expect("material").to_string();

    for bad in [
        json!({"name": "x", "url": "ftp://x"}),
        json!({"name": "x", "url": url, "defaults": {"tags": ["gossip"]}}),
    ] {
        let (s, body) = app.post_as("/api/v1/feeds", &app.admin_token, &bad).await;
        assert_eq!((s, code(&body)), (400, "invalid_field"), "{bad}");
    }
    let (s, feed) = app
        .post_as(
            "/api/v1/feeds",
            &app.admin_token,
            &json!({"name": "Vendor release notes", "url": url,
                    "defaults": {"tags": ["feature_update", "major_update"], "category": "plan_for_change",
                                 "platforms": [{"platform": "windows"}], "features": ["Passkeys"]}}),
        )
        .await;
    assert_eq!(s, 201, "{feed}");
    let fetch = format!("/api/v1/feeds/{}/fetch", feed["id"].as_str().expect("id"));
    let (_, got) = app.post_as(&fetch, &app.admin_token, &json!({})).await;
    assert_eq!(
        (got["new"].as_u64(), got["updated"].as_u64()),
        (Some(1), Some(0)),
        "{got}"
    );
    let (_, again) = app.post_as(&fetch, &app.admin_token, &json!({})).await;
    assert_eq!(
        (again["new"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0)),
        "seen before"
    );

    // Both administrators are mailed, each in their language.
    let mails = smtp.wait_for(2).await;
    let subjects: Vec<&str> = mails
        .iter()
        .map(|m| m.headers["subject"].as_str())
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("[Major update] Major update to the admin center")),
        "{subjects:?}"
    );
    let to_bo = mails
        .iter()
        .find(|m| m.headers["to"].contains("bo@example.org"))
        .expect("mail to bo");
    assert!(
        to_bo.body.contains("The admin center moves"),
        "{}",
        to_bo.body
    );

    let (_, list) = app.get_as("/api/v1/notices", &ann).await;
    let notice = list["items"][0].clone();
    let id = notice["id"].as_str().expect("id").to_string();
    assert_eq!(notice["state"]["acknowledged_at"], Value::Null);
    let (s, _) = app
        .post_as(
            &format!("/api/v1/notices/{id}/acknowledge"),
            &ann,
            &json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (s, body) = app
        .post_as(
            &format!("/api/v1/notices/{id}/acknowledge"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, code(&body)),
        (403, "forbidden"),
        "a service token is nobody"
    );

    // Within the grace period the checklist item holds; after it, it names who is missing.
    assert_eq!(readiness(&app, "admins_aware").await["pass"], true);
    app.clock.advance(Duration::from_secs(8 * 86_400));
    let item = readiness(&app, "admins_aware").await;
    assert_eq!(item["pass"], false);
    let evidence = item["evidence"][0].as_str().expect("evidence");
    assert!(
        evidence.contains("bo@example.org") && !evidence.contains("ann@"),
        "{evidence}"
    );
    let (_, detail) = app.get(&format!("/api/v1/notices/{id}")).await;
    assert_eq!(
        detail["acknowledgments"]["missing"],
        json!(["bo@example.org"])
    );
    let (s, r) = app
        .post_as(
            &format!("/api/v1/notices/{id}/remind"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, r["reminded"].as_u64()), (200, Some(1)), "{r}");
    let mails = smtp.wait_for(3).await;
    assert!(mails
        .iter()
        .any(|m| m.headers["subject"].starts_with("À acquitter")));
    app.post_as(
        &format!("/api/v1/notices/{id}/acknowledge"),
        &bo,
        &json!({}),
    )
    .await;
    assert_eq!(readiness(&app, "admins_aware").await["pass"], true);

    // The feature the update names is switched on: the material covering it turns stale, the
    // checklist says which and why, and a review makes it fresh again.
    assert_eq!(readiness(&app, "training").await["pass"], true);
    let (_, named) = app.get("/api/v1/notices?feature=passkeys").await;
    assert_eq!(named["items"][0]["id"], id.as_str(), "{named}");
    app.clock.advance(Duration::from_secs(3600));
    let (s, _) = app
        .post_as(
            &format!("/api/v1/features/{fid}/enable"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let item = readiness(&app, "training").await;
    assert_eq!(item["pass"], false);
    let evidence = item["evidence"][0].as_str().expect("evidence");
    assert!(
        evidence.contains("Helping users sign in") && evidence.contains("Passkeys"),
        "{evidence}"
    );
    let (_, list) = app.get("/api/v1/training").await;
    assert_eq!(list["items"][0]["stale_because"], json!(["Passkeys"]));
    app.clock.advance(Duration::from_secs(60));
    let (s, _) = app
        .post_as(
            &format!("/api/v1/training/{mid}/reviewed"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        readiness(&app, "training").await["pass"],
        true,
        "fresh again"
    );

    // The vendor changes the entry: the notice is updated and marked so, not duplicated.
    *doc.lock().expect("lock") = rss("Major update to the admin center (new date)");
    let (_, got) = app.post_as(&fetch, &app.admin_token, &json!({})).await;
    assert_eq!(
        (got["new"].as_u64(), got["updated"].as_u64()),
        (Some(0), Some(1))
    );
    let (_, list) = app.get_as("/api/v1/notices", &ann).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["items"][0]["revised"], true);
    app.shutdown().await;
}

#[tokio::test]
async fn briefings_the_plan_and_the_checklist() {
    let app = TestApp::spawn_manual(|c| c.fleet.sweep_interval_secs = 1).await;
    let (_, desk) = person(&app, "desk@example.org", Role::Helpdesk).await;
    let (s, body) = app
        .post_as(
            "/api/v1/notices",
            &app.admin_token,
            &json!({"title": {"en": "x"}, "tags": ["rumour"]}),
        )
        .await;
    assert_eq!((s, code(&body)), (400, "invalid_field"));
    let (s, n) = app
        .post_as(
            "/api/v1/notices",
            &app.admin_token,
            &json!({"title": {"en": "New VPN client on Monday", "fr": "Nouveau client VPN lundi"},
                    "body": {"en": "Users will be asked to sign in again."},
                    "help_desk": true, "tags": ["user_impact"], "category": "plan_for_change"}),
        )
        .await;
    assert_eq!(s, 201, "{n}");
    let id = n["id"].as_str().expect("id");
    let (s, _) = app
        .post_as("/api/v1/notices", &desk, &json!({"title": {"en": "x"}}))
        .await;
    assert_eq!(
        s, 403,
        "the help desk reads notices, it does not write them"
    );
    let (_, fr) = app
        .http
        .get(format!("{}/api/v1/notices", app.base))
        .bearer_auth(&desk)
        .header("accept-language", "fr")
        .send()
        .await
        .map(|r| (0, r))
        .expect("list");
    let fr: Value = fr.json().await.expect("json");
    assert_eq!(fr["items"][0]["title_text"], "Nouveau client VPN lundi");
    let (_, detail) = app.get(&format!("/api/v1/notices/{id}")).await;
    assert_eq!(detail["acknowledgments"]["audience"], "helpdesk");
    assert_eq!(
        detail["acknowledgments"]["missing"],
        json!(["desk@example.org"])
    );
    // Without an SMTP server a reminder cannot be sent, and says so.
    let (s, body) = app
        .post_as(
            &format!("/api/v1/notices/{id}/remind"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&body)), (409, "mail_not_configured"));
    app.clock.advance(Duration::from_secs(8 * 86_400));
    assert_eq!(readiness(&app, "help_desk_aware").await["pass"], false);
    app.post_as(
        &format!("/api/v1/notices/{id}/acknowledge"),
        &desk,
        &json!({}),
    )
    .await;
    assert_eq!(readiness(&app, "help_desk_aware").await["pass"], true);

    // Monitoring and reacting fail without rules and a tested channel.
    let item = readiness(&app, "monitoring").await;
    assert_eq!(item["pass"], false);
    assert!(item["evidence"][0]
        .as_str()
        .is_some_and(|e| e.contains("Active threat") && !e.contains("active_threat")));
    assert_eq!(readiness(&app, "reacting").await["pass"], false);

    // A checklist item failing for longer than a rule allows raises an alert.
    let (s, rule) = app
        .post_as(
            "/api/v1/alert-rules",
            &app.admin_token,
            &json!({"name": "Readiness", "severity": "warning", "condition": {"type": "readiness_failing", "hours": 24}}),
        )
        .await;
    assert_eq!(s, 202, "{rule}");
    let rule = rule["id"].as_str().expect("rule").to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let alert = loop {
        let (_, page) = app
            .get(&format!("/api/v1/alerts?rule={rule}&state=firing"))
            .await;
        if let Some(a) = page["items"].as_array().and_then(|a| a.first()).cloned() {
            break a;
        }
        assert!(std::time::Instant::now() < deadline, "no readiness alert");
        // Each sweep looks at the clock: the failing items age by the day.
        app.clock.advance(Duration::from_secs(6 * 3600));
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        alert["summary"]
            .as_str()
            .is_some_and(|s| s.contains("monitoring")),
        "{alert}"
    );

    // The discovery questions, answered in the plan.
    let (_, plan) = app.get("/api/v1/ops-plan").await;
    assert_eq!(plan["unanswered"].as_array().map(Vec::len), Some(3));
    assert_eq!(readiness(&app, "discovery").await["pass"], false);
    // The CIO's line names a scheduled report; until then reporting is an open question.
    let (s, report) = app
        .post_as(
            "/api/v1/report-schedules",
            &app.admin_token,
            &json!({"name": "For the CIO", "sections": ["devices"], "period_days": 30,
                    "recipients": [{"address": "cio@example.org", "language": "en-US"}],
                    "cadence": "monthly", "day_of_month": 1, "hour": 8}),
        )
        .await;
    assert_eq!(s, 201, "{report}");
    let mut body = json!({"team": [{"person": "Ann", "role": "lead", "responsibilities": "triage"}],
                      "reporting": [{"who": "Ann", "stakeholders": "CIO", "cadence": "monthly"}],
                      "update_awareness_owner": "Bo",
                      "focus_areas": [{"area": "help_desk", "goals": "brief before users call",
                                       "owner": "Bo", "status": "in_progress"}]});
    let resp = app
        .http
        .put(format!("{}/api/v1/ops-plan", app.base))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 200);
    let plan: Value = resp.json().await.expect("json");
    assert_eq!(
        plan["unanswered"].as_array().map(Vec::len),
        Some(1),
        "{plan}"
    );
    body["reporting"][0]["report"] = report["id"].clone();
    let resp = app
        .http
        .put(format!("{}/api/v1/ops-plan", app.base))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 200);
    let plan: Value = resp.json().await.expect("json");
    assert_eq!(plan["unanswered"], json!([]));
    assert_eq!(readiness(&app, "discovery").await["pass"], true);
    let bad = app
        .http
        .put(format!("{}/api/v1/ops-plan", app.base))
        .bearer_auth(&desk)
        .json(&body)
        .send()
        .await
        .expect("put");
    assert_eq!(bad.status(), 403);
    app.shutdown().await;
}

#[tokio::test]
async fn training_completions_and_onboarding_are_tracked() {
    let app = TestApp::spawn_manual(|_| {}).await;
    let (_, desk) = person(&app, "desk@example.org", Role::Helpdesk).await;
    let (s, feature) = app
        .post_as(
            "/api/v1/features",
            &app.admin_token,
            &json!({"name": "Passkeys", "description": "Sign-in without passwords"}),
        )
        .await;
    assert_eq!(s, 201, "{feature}");
    let fid = feature["id"].as_str().expect("id").to_string();
    let (s, body) = app
        .post_as(
            "/api/v1/training",
            &app.admin_token,
            &json!({"title": "x", "audience": "helpdesk", "url": "https://wiki.example.org", "features": ["nope"]}),
        )
        .await;
    assert_eq!(
        (s, code(&body)),
        (409, "unknown_reference"),
        "unknown feature"
    );
    let (s, material) = app
        .post_as(
            "/api/v1/training",
            &app.admin_token,
            &json!({"title": "Helping users sign in", "audience": "helpdesk",
                    "url": "https://wiki.example.org/sign-in", "features": [fid]}),
        )
        .await;
    assert_eq!(s, 201, "{material}");
    let mid = material["id"].as_str().expect("id").to_string();
    assert_eq!(readiness(&app, "training").await["pass"], true);
    let (s, _) = app
        .post_as(
            &format!("/api/v1/training/{mid}/complete"),
            &desk,
            &json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, list) = app.get("/api/v1/training").await;
    assert_eq!(list["items"][0]["completed"], 1);

    // Onboarding: the help desk's plan, a week to finish it.
    let plan = json!({"plans": [{"role": "helpdesk", "within_days": 7, "steps": [
        {"id": "console", "title": "Tour of the console"},
        {"id": "sign-in", "title": "Sign-in problems", "material": mid}]}]});
    let resp = app
        .http
        .put(format!("{}/api/v1/onboarding", app.base))
        .bearer_auth(&app.admin_token)
        .json(&plan)
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 200);
    let (s, _) = app
        .post_as("/api/v1/onboarding/console/done", &desk, &json!({}))
        .await;
    assert_eq!(s, 204);
    let (s, _) = app
        .post_as("/api/v1/onboarding/payroll/done", &desk, &json!({}))
        .await;
    assert_eq!(s, 404, "not a step of their plan");
    app.clock.advance(Duration::from_secs(8 * 86_400));
    let (_, view) = app.get("/api/v1/onboarding").await;
    let mine = view["progress"]
        .as_array()
        .expect("progress")
        .iter()
        .find(|p| p["user"] == "desk@example.org")
        .cloned()
        .expect("desk progress");
    assert_eq!(
        (
            mine["done"].as_u64(),
            mine["total"].as_u64(),
            mine["behind"].as_bool()
        ),
        (Some(1), Some(2), Some(true))
    );
    assert_eq!(readiness(&app, "training").await["pass"], false);
    app.post_as("/api/v1/onboarding/sign-in/done", &desk, &json!({}))
        .await;
    assert_eq!(readiness(&app, "training").await["pass"], true);
    app.shutdown().await;
}

/// Enrolls a device for `owner` and checks it in with its OS version and locale.
async fn owned(
    app: &TestApp,
    token: &str,
    name: &str,
    owner: &str,
    platform: steward_proto::Platform,
    version: &str,
    locale: &str,
) -> (String, String) {
    let mut req = enroll_request(token, name, platform);
    req.owner = owner.into();
    let r = app.agent.enroll(&req).await.expect("enroll");
    let mut c = checkin(1, name);
    c.os.version = version.into();
    c.os.locale = locale.into();
    app.agent
        .checkin(&r.device_id, &r.device_secret, &c)
        .await
        .expect("checkin");
    (r.device_id, r.device_secret)
}

#[tokio::test]
async fn an_announcement_reaches_exactly_its_owners_in_their_languages_by_mail_and_agent() {
    use steward_proto::Platform::{Macos, Windows};
    let smtp = Smtp::start().await;
    let app = TestApp::spawn_with(|c| {
        smtp.configure(c);
        c.awareness.announcement_mails_per_minute = 60_000;
    })
    .await;
    let token = app.enrollment_token(Default::default()).await;
    let fr = owned(
        &app,
        &token,
        "mac-fr",
        "fr@example.org",
        Macos,
        "14.6",
        "fr_FR.UTF-8",
    )
    .await;
    let fr2 = owned(
        &app,
        &token,
        "mac-fr2",
        "fr@example.org",
        Macos,
        "12.7.6",
        "fr_FR.UTF-8",
    )
    .await;
    let ko = owned(
        &app,
        &token,
        "mac-ko",
        "ko@example.org",
        Macos,
        "13.7",
        "ko_KR.UTF-8",
    )
    .await;
    let en = owned(&app, &token, "mac-en", "en@example.org", Macos, "14.2", "").await;
    let new = owned(
        &app,
        &token,
        "mac-new",
        "new@example.org",
        Macos,
        "15.1",
        "de_DE.UTF-8",
    )
    .await;
    let win = owned(
        &app,
        &token,
        "win",
        "win@example.org",
        Windows,
        "10.0.22631",
        "sv_SE.UTF-8",
    )
    .await;

    let (s, body) = app
        .post_as(
            "/api/v1/announcements",
            &app.admin_token,
            &json!({"title": {"en": " "}}),
        )
        .await;
    assert_eq!((s, code(&body)), (400, "invalid_field"));
    let (s, a) = app
        .post_as(
            "/api/v1/announcements",
            &app.admin_token,
            &json!({"title": {"en": "Update macOS before Friday",
                              "fr": "Mettez à jour macOS avant vendredi",
                              "ko": "금요일 전에 macOS를 업데이트하세요"},
                    "body": {"en": "Open System Settings.", "fr": "Ouvrez les Réglages Système."},
                    "platforms": [{"platform": "macos", "max_version": "15"}]}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(
        (
            a["reach"]["devices"].as_u64(),
            a["reach"]["owners"].as_u64()
        ),
        (Some(4), Some(3))
    );

    // By e-mail: each owner once, in their language; nobody else.
    let (_, queued) = app.get("/api/v1/notifications?limit=100").await;
    assert_eq!(
        queued["items"].as_array().map(Vec::len),
        Some(3),
        "one mail per owner, decided with the announcement"
    );
    let mails = smtp.wait_for(3).await;
    let subject_for = |who: &str| {
        mails
            .iter()
            .find(|m| m.headers["to"].contains(who))
            .map(|m| m.headers["subject"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        subject_for("fr@example.org"),
        "Mettez à jour macOS avant vendredi"
    );
    assert_eq!(
        subject_for("ko@example.org"),
        "금요일 전에 macOS를 업데이트하세요"
    );
    assert_eq!(subject_for("en@example.org"), "Update macOS before Friday");

    // Through the agent: the targeted devices get it with their next check-in answer.
    let next = |dev: &(String, String), seq: u64, results: Vec<steward_proto::ActionResult>| {
        let mut c = checkin(seq, "x");
        c.action_results = results;
        let (id, secret) = dev.clone();
        let agent = app.agent.clone();
        async move { agent.checkin(&id, &secret, &c).await.expect("checkin") }
    };
    let r = next(&fr, 2, vec![]).await;
    assert_eq!(r.actions.len(), 1);
    assert_eq!(r.actions[0].kind, "show_message");
    assert_eq!(
        r.actions[0].params["title"],
        "Mettez à jour macOS avant vendredi"
    );
    assert_eq!(next(&fr2, 2, vec![]).await.actions.len(), 1);
    assert_eq!(
        next(&ko, 2, vec![]).await.actions[0].params["body"],
        "Open System Settings.",
        "falls back to the default language"
    );
    assert_eq!(next(&en, 2, vec![]).await.actions.len(), 1);
    assert!(
        next(&new, 2, vec![]).await.actions.is_empty(),
        "macOS 15 is not below 15"
    );
    assert!(next(&win, 2, vec![]).await.actions.is_empty());

    // Receipts: received, then shown; it is not handed over again.
    let id = r.actions[0].id.clone();
    let receipt = |code: Option<&str>| steward_proto::ActionResult {
        action_id: id.clone(),
        ok: true,
        code: code.map(str::to_string),
        message: None,
        script: None,
    };
    let after = next(&fr, 3, vec![receipt(None)]).await;
    assert!(after.actions.is_empty(), "received: not sent again");
    next(&fr, 4, vec![receipt(Some("read"))]).await;
    let (_, list) = app.get("/api/v1/announcements").await;
    let reach = &list["items"][0]["reach"];
    assert_eq!(
        (
            reach["devices"].as_u64(),
            reach["delivered"].as_u64(),
            reach["read"].as_u64()
        ),
        (Some(4), Some(1), Some(1)),
        "{reach}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_new_owner_is_welcomed_once_in_their_language() {
    use steward_proto::Platform::{Macos, Windows};
    let smtp = Smtp::start().await;
    let app = TestApp::spawn_with(|c| {
        smtp.configure(c);
    })
    .await;
    let resp = app
        .http
        .put(format!("{}/api/v1/announcements/welcome", app.base))
        .bearer_auth(&app.admin_token)
        .json(&json!({"title": {"en": "Welcome to managed devices", "fr": "Bienvenue dans la gestion des appareils"},
                      "body": {"en": "Here is how we keep your device safe.", "fr": "Voici comment nous protégeons votre appareil."}}))
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 200);
    let token = app.enrollment_token(Default::default()).await;
    let mut req = enroll_request(&token, "mac-1", Macos);
    req.owner = "lea@example.org".into();
    let first = app.agent.enroll(&req).await.expect("enroll");
    let mut c = checkin(1, "mac-1");
    c.os.version = "14.6".into();
    c.os.locale = "fr_FR.UTF-8".into();
    // The answer to the first check-in carries the welcome, in the device's language.
    let r = app
        .agent
        .checkin(&first.device_id, &first.device_secret, &c)
        .await
        .expect("checkin");
    assert_eq!(r.actions.len(), 1);
    assert_eq!(
        r.actions[0].params["body"],
        "Voici comment nous protégeons votre appareil."
    );
    let mails = smtp.wait_for(1).await;
    assert_eq!(
        mails[0].headers["subject"],
        "Bienvenue dans la gestion des appareils"
    );
    assert!(mails[0].headers["to"].contains("lea@example.org"));
    // Handed out once: the next answer does not carry it again.
    c.seq = 2;
    let r = app
        .agent
        .checkin(&first.device_id, &first.device_secret, &c)
        .await
        .expect("checkin");
    assert!(r.actions.is_empty(), "{:?}", r.actions);
    // A second device of the same owner: no second welcome.
    owned(
        &app,
        &token,
        "win-1",
        "lea@example.org",
        Windows,
        "10.0.22631",
        "fr_FR.UTF-8",
    )
    .await;
    let (_, list) = app.get("/api/v1/announcements").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_weekly_digest_lists_what_each_person_has_not_read() {
    let smtp = Smtp::start().await;
    let app = TestApp::spawn_manual(|c| {
        smtp.configure(c);
    })
    .await;
    let (ann_id, ann) = person(&app, "ann@example.org", Role::Operator).await;
    let (_, bo) = person(&app, "bo@example.org", Role::Operator).await;
    set_language(&app, &ann_id, "sv").await;
    let resp = app
        .http
        .put(format!("{}/api/v1/notices/preferences", app.base))
        .bearer_auth(&bo)
        .json(&json!({"major_update_mail": true, "weekly_digest": false}))
        .send()
        .await
        .expect("preferences");
    assert_eq!(resp.status(), 204);
    // The digest's week starts when the server first looks.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.get("/api/v1/audit?action=notice_digest.update").await.1["items"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the digest never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.clock.advance(Duration::from_secs(1));
    let mut ids = Vec::new();
    for title in ["Retirement of the old VPN", "New compliance setting"] {
        let (s, n) = app
            .post_as(
                "/api/v1/notices",
                &app.admin_token,
                &json!({"title": {"en": title}}),
            )
            .await;
        assert_eq!(s, 201);
        ids.push(n["id"].as_str().expect("id").to_string());
    }
    app.post_as(
        &format!("/api/v1/notices/{}/read", ids[0]),
        &ann,
        &json!({}),
    )
    .await;
    app.clock.advance(Duration::from_secs(7 * 86_400));
    let mails = smtp.wait_for(1).await;
    let (_, outbox) = app.get("/api/v1/notifications?limit=100").await;
    let digests = outbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|d| d["kind"] == "digest")
        .count();
    assert_eq!(digests, 1, "bo does not want the digest");
    assert!(mails[0].headers["to"].contains("ann@example.org"));
    assert_eq!(
        mails[0].headers["subject"],
        steward_core::t_args(
            steward_core::Lang::Sv,
            "notice-digest-subject",
            &[("count", "1".into())]
        )
    );
    assert!(mails[0].body.contains("New compliance setting"));
    assert!(
        !mails[0].body.contains("Retirement of the old VPN"),
        "already read"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_announcement_for_macos_below_15_reaches_exactly_those_owners_of_the_simulated_fleet() {
    let smtp = Smtp::start().await;
    let app = TestApp::spawn_with(|c| {
        smtp.configure(c);
        c.awareness.announcement_mails_per_minute = 60_000;
    })
    .await;
    let token = app.enrollment_token(Default::default()).await;
    let out = tokio::process::Command::new(STEWARD)
        .args(["sim", "--server", &app.base, "--enroll-token", &token])
        .args([
            "--devices",
            "300",
            "--interval",
            "1",
            "--duration",
            "3",
            "--seed",
            "5",
        ])
        .env("STEWARD_LANG", "en")
        .output()
        .await
        .expect("steward sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // What the fleet says: macOS devices below 15, their owners and languages.
    let (_, page) = app.get("/api/v1/devices?platform=macos&limit=1000").await;
    let mut expected: std::collections::BTreeMap<String, Vec<steward_core::Lang>> =
        Default::default();
    let mut devices = 0;
    for d in page["items"].as_array().expect("devices") {
        let version = d["os_version"].as_str().expect("version");
        if steward_core::compliance::compare_versions(version, "15")
            != Some(std::cmp::Ordering::Less)
        {
            continue;
        }
        devices += 1;
        let (_, detail) = app
            .get(&format!(
                "/api/v1/devices/{}",
                d["id"].as_str().expect("id")
            ))
            .await;
        let lang = detail["os"]["locale"]
            .as_str()
            .and_then(steward_core::Lang::parse)
            .unwrap_or_default();
        expected
            .entry(d["owner"].as_str().expect("owner").to_string())
            .or_default()
            .push(lang);
    }
    assert!(
        devices >= 5,
        "the simulated fleet has old macOS devices: {devices}"
    );
    let titles: std::collections::BTreeMap<steward_core::Lang, &str> = [
        (steward_core::Lang::En, "Update macOS this week"),
        (steward_core::Lang::Fr, "Mettez à jour macOS cette semaine"),
        (steward_core::Lang::Sv, "Uppdatera macOS den här veckan"),
        (
            steward_core::Lang::De,
            "Aktualisieren Sie macOS diese Woche",
        ),
        (steward_core::Lang::Ko, "이번 주에 macOS를 업데이트하세요"),
    ]
    .into();
    let (s, a) = app
        .post_as(
            "/api/v1/announcements",
            &app.admin_token,
            &json!({"title": titles, "platforms": [{"platform": "macos", "max_version": "15"}]}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["reach"]["devices"].as_u64(), Some(devices));
    assert_eq!(a["reach"]["owners"].as_u64(), Some(expected.len() as u64));

    // Exactly those owners by e-mail, each in the language of one of their devices.
    let mails = smtp.wait_for(expected.len()).await;
    let (_, outbox) = app.get("/api/v1/notifications?limit=1000").await;
    let addressed: std::collections::BTreeSet<&str> = outbox["items"]
        .as_array()
        .expect("outbox")
        .iter()
        .filter(|d| d["kind"] == "announcement")
        .filter_map(|d| d["address"].as_str())
        .collect();
    let owners: std::collections::BTreeSet<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(addressed, owners);
    for m in &mails {
        let to = &m.headers["to"];
        let (owner, langs) = expected
            .iter()
            .find(|(o, _)| to.contains(o.as_str()))
            .expect("a targeted owner");
        let subject = &m.headers["subject"];
        assert!(
            langs.iter().any(|l| titles[l] == subject),
            "{owner}: {subject} not in {langs:?}"
        );
    }
    assert!(
        mails
            .iter()
            .any(|m| m.headers["subject"] != titles[&steward_core::Lang::En]),
        "the fleet's owners speak more than English"
    );
    app.shutdown().await;
}
