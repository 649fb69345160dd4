//! The web console over HTTP: sign-in, every page in every language, actions with the
//! session's CSRF token, roles. (The browser suite in tests/browser drives it in Chromium.)

use serde_json::json;
use steward_core::{Lang, Role};
use steward_proto::{Platform, ProtectionStatus};
use steward_store::audit::Actor;

use crate::helpers::*;

const PASSWORD: &str = "Console test password 1";

/// A signed-in console session: its cookie and CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// A new user with `roles` signs in through the console's form.
pub async fn sign_in(app: &TestApp, email: &str, roles: &[Role]) -> Session {
    steward_server::auth::create_user(&app.store, email, roles, &[], PASSWORD, &Actor::cli())
        .await
        .expect("user");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = http
        .post(format!("{}/login", app.base))
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("next", "/alerts"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/alerts");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let mut s = Session {
        cookie,
        csrf: String::new(),
    };
    let (_, page) = get(app, &s, "/").await;
    s.csrf = page
        .split("\"x-csrf-token\": \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf token in the page")
        .to_string();
    s
}

/// A console page as the session sees it.
pub async fn get(app: &TestApp, s: &Session, path: &str) -> (u16, String) {
    let resp = app
        .http
        .get(format!("{}{path}", app.base))
        .header("cookie", &s.cookie)
        .send()
        .await
        .expect("get");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("text"))
}

/// An htmx post: returns status, the `hx-refresh` header and the body.
pub(crate) async fn post(
    app: &TestApp,
    s: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, bool, String) {
    let resp = app
        .http
        .post(format!("{}{path}", app.base))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header("hx-request", "true")
        .form(form)
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    let refresh = resp.headers().contains_key("hx-refresh");
    (status, refresh, resp.text().await.expect("text"))
}

/// A fleet with a device under an active threat and its alert, a silence and a channel.
async fn fleet(app: &TestApp) -> (String, String) {
    let (s, rule) = app
        .post_as(
            "/api/v1/alert-rules",
            &app.admin_token,
            &json!({"name": "Active threat", "severity": "critical", "condition": {"type": "active_threat"}}),
        )
        .await;
    assert_eq!(s, 202, "{rule}");
    app.settled(&rule).await;
    let dev = app.device("pc-1", Platform::Windows).await;
    app.device("pc-2", Platform::Macos).await;
    let p = ProtectionStatus {
        threat_state: Some(steward_proto::ThreatState::ActiveThreat),
        detections: vec![eicar_left_in_place("C:\\Users\\a\\eicar.com")],
        ..healthy_protection()
    };
    report_protection(app, &dev, 1, Some(p)).await;
    let (_, alerts) = app.get("/api/v1/alerts?state=firing").await;
    let alert = alerts["items"][0]["id"]
        .as_str()
        .expect("alert")
        .to_string();
    let (s, _) = app
        .post_as(
            "/api/v1/silences",
            &app.admin_token,
            &json!({"device_group": "lab", "duration_minutes": 60, "reason": "re-imaging"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .post_as(
            "/api/v1/channels",
            &app.admin_token,
            &json!({"name": "ops", "kind": "webhook", "target": "https://hooks.example.org/x"}),
        )
        .await;
    assert_eq!(s, 201);
    (dev.0, alert)
}

#[tokio::test]
async fn every_page_renders_in_every_language() {
    let app = TestApp::spawn().await;
    let (device, alert) = fleet(&app).await;
    let s = sign_in(&app, "admin@example.org", &[Role::Administrator]).await;
    let (status, notice) = app
        .post_as(
            "/api/v1/notices",
            &app.admin_token,
            &json!({
                "title": {"en": "Passkeys arrive", "ko": "패스키 도입"},
                "body": {"en": "**Soon**", "ko": "곧"},
                "tags": ["feature_update", "admin_impact"],
                "features": ["Passkeys"],
                "platforms": [{"platform": "macos", "max_version": "15"}],
                "act_by": "2026-12-01T00:00:00Z",
                "severity": "high",
                "release_status": "rolling_out",
                "help_desk": true
            }),
        )
        .await;
    assert_eq!(status, 201, "{notice}");
    let nid = notice["id"].as_str().expect("id");
    let (status, _) = app
        .post_as(
            "/api/v1/feeds",
            &app.admin_token,
            &json!({"name": "Vendor", "url": "https://vendor.example.org/feed", "defaults": {"tags": ["major_update"]}}),
        )
        .await;
    assert_eq!(status, 201);
    let pages = [
        "/".to_string(),
        "/devices".into(),
        "/devices?health=active_threat&sort=-last_seen_at".into(),
        format!("/devices/{device}"),
        "/alerts".into(),
        "/alerts?state=firing&severity=critical".into(),
        format!("/alerts/{alert}"),
        "/silences".into(),
        "/rules".into(),
        "/channels".into(),
        "/enrollments".into(),
        "/enrollments?result=failed".into(),
        "/settings/users".into(),
        "/settings/tokens".into(),
        "/settings/enrollment-tokens".into(),
        "/settings/policies".into(),
        "/settings/audit".into(),
        "/readiness".into(),
        "/notices".into(),
        "/notices?view=archived&tag=major_update&category=plan_for_change".into(),
        format!("/notices/{nid}"),
        format!("/notices/{nid}?in=ko"),
        "/announcements".into(),
        "/training".into(),
        "/plan".into(),
        "/helpdesk".into(),
        "/helpdesk?q=pc".into(),
        "/helpdesk/users/pc-1@example.com".into(),
        "/kb".into(),
        "/kb?q=token".into(),
        "/kb/app-install-failed?code=0x80070643".into(),
        "/kb/silent-device?in=ko".into(),
    ];
    for lang in Lang::ALL {
        let (status, refresh, body) = post(&app, &s, "/language", &[("lang", lang.code())]).await;
        assert_eq!((status, refresh), (204, true), "{body}");
        for path in &pages {
            let (status, body) = get(&app, &s, path).await;
            assert_eq!(status, 200, "{lang:?} {path}: {body}");
            assert!(
                body.contains(&format!("<html lang=\"{}\">", lang.code())),
                "{path}"
            );
            assert!(!body.contains("Unknown localization"), "{lang:?} {path}");
            assert!(
                !body.contains("{ $"),
                "{lang:?} {path}: an unfilled argument"
            );
            let nav = steward_core::t(lang, "nav-devices");
            assert!(body.contains(&nav), "{lang:?} {path}: no {nav}");
        }
    }
    // Language of the page without a session: the query, else the browser's.
    let login = app
        .http
        .get(format!("{}/login", app.base))
        .header("accept-language", "de-CH, de;q=0.9")
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("text");
    assert!(login.contains(&steward_core::t(Lang::De, "login-submit")));
    app.shutdown().await;
}

#[tokio::test]
async fn actions_need_the_session_token_and_the_role_and_are_audited() {
    let app = TestApp::spawn().await;
    let (_, alert) = fleet(&app).await;
    let admin = sign_in(&app, "admin@example.org", &[Role::Administrator]).await;

    // Signed out: pages send to the login page and come back after.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http
        .get(format!("{}/devices?platform=windows", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Fdevices");
    let r = http
        .post(format!("{}/login", app.base))
        .form(&[("email", "admin@example.org"), ("password", "wrong")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 401);
    assert!(r
        .text()
        .await
        .expect("text")
        .contains("Wrong e-mail address or password"));

    // Without the CSRF token an action is refused.
    let resp = app
        .http
        .post(format!("{}/alerts/{alert}/acknowledge", app.base))
        .header("cookie", &admin.cookie)
        .form(&[("text", "x")])
        .send()
        .await
        .expect("post");
    assert!(resp.text().await.expect("text").contains("role=\"alert\""));
    let (_, a) = app.get(&format!("/api/v1/alerts/{alert}")).await;
    assert_eq!(a["state"], "firing");

    let (status, refresh, body) = post(
        &app,
        &admin,
        &format!("/alerts/{alert}/acknowledge"),
        &[("text", "on it")],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (status, refresh, _) = post(
        &app,
        &admin,
        &format!("/alerts/{alert}/comment"),
        &[("text", "called the user")],
    )
    .await;
    assert_eq!((status, refresh), (204, true));
    let (_, a) = app.get(&format!("/api/v1/alerts/{alert}")).await;
    assert_eq!(a["state"], "acknowledged");
    assert_eq!(a["acknowledged_by"], "admin@example.org");
    assert_eq!(a["history"][2]["detail"]["comment"], "called the user");
    // Bad input gets a readable message, not a change.
    let (status, refresh, body) = post(
        &app,
        &admin,
        "/silences",
        &[("reason", "x"), ("duration_minutes", "60")],
    )
    .await;
    assert_eq!(
        (status, refresh),
        (400, false),
        "refused with its real status"
    );
    assert!(body.contains("class=\"error\""), "{body}");
    let (_, audit) = app.get("/api/v1/audit?action=alert.acknowledged").await;
    assert_eq!(audit["items"][0]["actor_name"], "admin@example.org");

    // The message center: publish a briefing in two languages, acknowledge it.
    let (status, refresh, body) = post(
        &app,
        &admin,
        "/notices",
        &[
            ("default_language", "en"),
            ("title_en", "New VPN client"),
            ("body_en", "Install it by Friday."),
            ("title_fr", "Nouveau client VPN"),
            ("body_fr", "À installer avant vendredi."),
            ("title_de", ""),
            ("category", "plan_for_change"),
            ("severity", "high"),
            ("tag", "user_impact"),
            ("platform_0", "windows"),
            ("min_version_0", "10.0.19045"),
            ("platform_1", ""),
            ("act_by", "2026-12-04"),
            ("help_desk", "1"),
        ],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, notices) = app.get("/api/v1/notices").await;
    let n = &notices["items"][0];
    assert_eq!(
        n["title"],
        json!({"en": "New VPN client", "fr": "Nouveau client VPN"})
    );
    assert_eq!(n["body"]["fr"], "À installer avant vendredi.");
    assert_eq!(
        n["platforms"],
        json!([{"platform": "windows", "min_version": "10.0.19045", "max_version": null}])
    );
    assert_eq!(n["severity"], "high");
    let nid = n["id"].as_str().expect("notice").to_string();
    // Opening it marks it read; its page shows who has not acknowledged it yet.
    let (status, page) = get(&app, &admin, &format!("/notices/{nid}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Install it by Friday.") && page.contains("Français"),
        "{page}"
    );
    let (_, detail) = app.get(&format!("/api/v1/notices/{nid}")).await;
    assert_eq!(detail["acknowledgments"]["audience"], "helpdesk");
    let me = app
        .store
        .user_by_email("admin@example.org")
        .await
        .expect("lookup")
        .expect("admin");
    let state = app
        .store
        .notice_state(&nid, &me.info.id)
        .await
        .expect("state");
    assert!(state.read_at.is_some() && state.acknowledged_at.is_none());
    let (status, refresh, _) =
        post(&app, &admin, &format!("/notices/{nid}/acknowledge"), &[]).await;
    assert_eq!((status, refresh), (204, true));
    let (_, page) = get(&app, &admin, "/notices").await;
    assert!(page.contains("New VPN client"));
    // Edited in the console: a third language, another platform; marked updated.
    let (status, refresh, body) = post(
        &app,
        &admin,
        &format!("/notices/{nid}"),
        &[
            ("default_language", "en"),
            ("title_en", "New VPN client"),
            ("body_en", "Install it by Monday."),
            ("title_fr", "Nouveau client VPN"),
            ("title_sv", "Ny VPN-klient"),
            ("category", "plan_for_change"),
            ("tag", "user_impact"),
            ("platform_0", "windows"),
            ("platform_1", "macos"),
            ("max_version_1", "15"),
            ("help_desk", "1"),
        ],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, n) = app.get(&format!("/api/v1/notices/{nid}")).await;
    assert_eq!(n["title"]["sv"], "Ny VPN-klient");
    assert_eq!(n["body_text"], "Install it by Monday.");
    assert_eq!(n["platforms"][1]["max_version"], "15");
    assert_eq!(n["revised"], true);
    assert_eq!(n["act_by"], json!(null), "the cleared date is gone");
    // A form without any title changes nothing.
    let (_, refresh, body) = post(
        &app,
        &admin,
        &format!("/notices/{nid}"),
        &[("default_language", "de"), ("body_en", "Gone")],
    )
    .await;
    assert!(!refresh && body.contains("class=\"error\""), "{body}");
    let (_, n) = app.get(&format!("/api/v1/notices/{nid}")).await;
    assert_eq!(n["title"]["en"], "New VPN client");
    // Archived notices leave the inbox and are found under Archived.
    let (status, refresh, _) = post(&app, &admin, &format!("/notices/{nid}/archive"), &[]).await;
    assert_eq!((status, refresh), (204, true));
    let total = |page: String| -> u64 {
        let v: serde_json::Value = serde_json::from_str(&page).expect("json");
        v["total"].as_u64().expect("total")
    };
    let inbox = total(get(&app, &admin, "/api/v1/notices").await.1);
    let archived = total(get(&app, &admin, "/api/v1/notices?view=archived").await.1);
    assert_eq!((inbox, archived), (0, 1));
    let (status, _) = get(&app, &admin, "/api/v1/notices?view=everything").await;
    assert_eq!(status, 400);

    // Training from the console: a feature, a material covering it, assigned to someone.
    let (status, refresh, body) = post(
        &app,
        &admin,
        "/features",
        &[("name", "Passkeys"), ("enabled", "1")],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, features) = app.get("/api/v1/features").await;
    let fid = features["items"][0]["id"]
        .as_str()
        .expect("feature")
        .to_string();
    let (status, refresh, body) = post(
        &app,
        &admin,
        "/training",
        &[
            ("title", "Passkeys for the help desk"),
            ("url", "https://wiki.example.org/passkeys"),
            ("audience", "helpdesk"),
            ("feature", &fid),
        ],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, materials) = app.get("/api/v1/training").await;
    let mid = materials["items"][0]["id"]
        .as_str()
        .expect("material")
        .to_string();
    let (status, refresh, _) = post(
        &app,
        &admin,
        &format!("/training/{mid}/assign"),
        &[("user_id", me.info.id.as_str())],
    )
    .await;
    assert_eq!((status, refresh), (204, true));
    let (_, materials) = app.get("/api/v1/training").await;
    assert_eq!(materials["items"][0]["assigned"], 1);
    let (_, refresh, body) =
        post(&app, &admin, "/feeds", &[("name", "x"), ("url", "ftp://x")]).await;
    assert!(!refresh && body.contains("class=\"error\""), "{body}");
    // A feed added, changed (its other defaults kept) and deleted from the console.
    let (status, _) = app
        .post_as(
            "/api/v1/feeds",
            &app.admin_token,
            &json!({"name": "Vendor", "url": "https://vendor.example.org/a", "defaults": {"platforms": [{"platform": "ios"}]}}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, feeds) = app.get("/api/v1/feeds").await;
    let feed = feeds["items"][0]["id"].as_str().expect("feed").to_string();
    let (status, refresh, body) = post(
        &app,
        &admin,
        &format!("/feeds/{feed}"),
        &[
            ("name", "Vendor releases"),
            ("url", "https://vendor.example.org/b"),
            ("interval_minutes", "30"),
            ("tag", "feature_update"),
            ("category", "plan_for_change"),
        ],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, feeds) = app.get("/api/v1/feeds").await;
    let f = &feeds["items"][0];
    assert_eq!(
        (&f["name"], &f["url"], &f["interval_minutes"]),
        (
            &json!("Vendor releases"),
            &json!("https://vendor.example.org/b"),
            &json!(30)
        )
    );
    assert_eq!(f["defaults"]["tags"], json!(["feature_update"]));
    assert_eq!(f["defaults"]["platforms"][0]["platform"], "ios");
    let (status, refresh, _) = post(&app, &admin, &format!("/feeds/{feed}/delete"), &[]).await;
    assert_eq!((status, refresh), (204, true));
    let (_, feeds) = app.get("/api/v1/feeds").await;
    assert_eq!(feeds["total"], 0);

    // The operational plan from its form: empty rows dropped, every discovery question answered.
    let (_, plan) = app.get("/api/v1/ops-plan").await;
    assert_eq!(plan["unanswered"].as_array().map(Vec::len), Some(3));
    // The CIO's reporting line names the report they get.
    let (s, report) = app
        .post_as(
            "/api/v1/report-schedules",
            &app.admin_token,
            &json!({"name": "For the CIO", "sections": ["devices"], "period_days": 30,
                    "recipients": [{"address": "cio@example.org", "language": "fr"}],
                    "cadence": "monthly"}),
        )
        .await;
    assert_eq!(s, 201, "{report}");
    let report_id = report["id"].as_str().expect("id").to_string();
    let (status, refresh, body) = post(
        &app,
        &admin,
        "/plan",
        &[
            ("team_person_0", "Ana"),
            ("team_role_0", "O&M lead"),
            ("team_responsibilities_0", "Reports, escalations"),
            ("team_person_1", ""),
            ("team_role_1", ""),
            ("team_responsibilities_1", ""),
            ("reporting_who_0", "Ana"),
            ("reporting_stakeholders_0", "CIO"),
            ("reporting_cadence_0", "monthly"),
            ("reporting_report_0", &report_id),
            ("update_awareness_owner", "Bo"),
            ("goals_help_desk", "Brief before rollouts"),
            ("owner_help_desk", "Cy"),
            ("status_help_desk", "in_progress"),
            ("status_training", "not_started"),
        ],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, plan) = app.get("/api/v1/ops-plan").await;
    assert_eq!(plan["unanswered"], json!([]));
    assert_eq!(
        plan["team"],
        json!([{"person": "Ana", "role": "O&M lead", "responsibilities": "Reports, escalations"}])
    );
    assert_eq!(
        plan["focus_areas"],
        json!([{"area": "help_desk", "goals": "Brief before rollouts", "owner": "Cy", "status": "in_progress"}])
    );
    let (_, refresh, body) = post(&app, &admin, "/plan", &[("status_training", "finished")]).await;
    assert!(!refresh && body.contains("class=\"error\""), "{body}");
    let (_, plan) = app.get("/api/v1/ops-plan").await;
    assert_eq!(
        plan["update_awareness_owner"], "Bo",
        "a refused form changes nothing"
    );

    // A token created in the console is shown once.
    let (status, _, body) = post(
        &app,
        &admin,
        "/settings/tokens",
        &[("name", "ci"), ("role", "readonly")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("stwa_"), "{body}");

    // The help desk reads devices and alerts but cannot act or reach the settings.
    let help = sign_in(&app, "help@example.org", &[Role::Helpdesk]).await;
    let (status, page) = get(&app, &help, "/").await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("href=\"/settings"),
        "no settings link for the help desk"
    );
    for path in [
        "/settings/users",
        "/settings/tokens",
        "/settings/audit",
        "/channels",
    ] {
        let (status, _) = get(&app, &help, path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _) = get(&app, &help, "/devices").await;
    assert_eq!(status, 200);
    let (_, refresh, body) = post(
        &app,
        &help,
        &format!("/alerts/{alert}/resolve"),
        &[("text", "")],
    )
    .await;
    assert!(!refresh && body.contains("class=\"error\""), "{body}");
    let (_, a) = app.get(&format!("/api/v1/alerts/{alert}")).await;
    assert_eq!(a["state"], "acknowledged");
    // Its own pages: troubleshooting a user, the knowledge base; a request and a note on the
    // user's device, an article of its own.
    for path in [
        "/helpdesk?q=pc",
        "/helpdesk/users/pc-1@example.com",
        "/kb?q=token",
    ] {
        let (status, _) = get(&app, &help, path).await;
        assert_eq!(status, 200, "{path}");
    }
    // A refused enrollment links to the article that fixes it.
    let refused = app
        .agent
        .enroll(&enroll_request("stwe_nope", "ghost", Platform::Linux))
        .await;
    assert!(refused.is_err());
    let (_, page) = get(&app, &help, "/enrollments?result=failed").await;
    assert!(
        page.contains("Enrollment fails: invalid or expired enrollment token")
            && page.contains("?code=unknown_token"),
        "{page}"
    );
    let (_, list) = app.get("/api/v1/devices?q=pc-1").await;
    let dev = list["items"][0]["id"].as_str().expect("pc-1").to_string();
    let (_, refresh, body) = post(
        &app,
        &help,
        &format!("/devices/{dev}/requests"),
        &[("kind", "full_scan")],
    )
    .await;
    assert!(!refresh && body.contains("class=\"notice\""), "{body}");
    let (status, refresh, _) = post(
        &app,
        &help,
        &format!("/devices/{dev}/notes"),
        &[("text", "called")],
    )
    .await;
    assert_eq!((status, refresh), (204, true));
    let (status, refresh, body) = post(
        &app,
        &help,
        "/kb",
        &[
            ("slug", "vpn-drops"),
            ("default_language", "en"),
            ("title_en", "VPN drops every hour"),
            ("body_en", "Renew the certificate."),
        ],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, requests) = app.get(&format!("/api/v1/devices/{dev}/requests")).await;
    assert_eq!(requests["items"][0]["requested_by"], "help@example.org");
    // The device's history says it in words.
    let (_, page) = get(&app, &help, &format!("/devices/{dev}")).await;
    assert!(
        page.contains("help@example.org: called")
            && page.contains("Request from the help desk")
            && page.contains("Full scan · help@example.org"),
        "{page}"
    );
    // A read-only stakeholder has none of it.
    let viewer = sign_in(&app, "viewer@example.org", &[Role::Readonly]).await;
    for path in ["/helpdesk", "/kb", "/kb/silent-device"] {
        let (status, _) = get(&app, &viewer, path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (_, refresh, body) = post(
        &app,
        &viewer,
        &format!("/devices/{dev}/requests"),
        &[("kind", "sync")],
    )
    .await;
    assert!(!refresh && body.contains("class=\"error\""), "{body}");

    // CSV export of the filtered list.
    let (status, csv) = get(&app, &admin, "/devices.csv?platform=windows").await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.trim().lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains("pc-1") && lines[1].contains("active_threat"));

    // Signing out ends the session.
    let (status, _, _) = post(&app, &admin, "/logout", &[]).await;
    assert_eq!(status, 204);
    let (status, _) = get(&app, &admin, "/devices").await;
    assert_eq!(status, 200, "redirects are followed to the login page");
    let (_, body) = get(&app, &admin, "/devices").await;
    assert!(body.contains("name=\"password\""));
    app.shutdown().await;
}

/// A concrete path for a route of the table: every parameter filled with something that
/// exists (a device, an alert) or, where the route only checks access before finding the
/// object, an id that does not.
fn concrete(path: &str, device: &str, alert: &str) -> String {
    path.replace("/devices/{id}", &format!("/devices/{device}"))
        .replace("/alerts/{id}", &format!("/alerts/{alert}"))
        .replace("{id}", "00000000-0000-7000-8000-000000000000")
        .replace("{action}", "test")
        .replace("{user}", "pc-1%40example.com")
        .replace("{file}", "steward.css")
}

#[tokio::test]
async fn every_console_route_answers_each_role_as_the_table_says() {
    use steward_server::console::{routes, Access};
    let app = TestApp::spawn().await;
    let (device, alert) = fleet(&app).await;
    let mut sessions = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@example.org", role.as_str());
        sessions.push((role, sign_in(&app, &email, &[role]).await));
    }
    let mut wrong = Vec::new();
    let mut checked = 0;
    for r in routes() {
        // Signing out would end the session the next routes need; it is checked elsewhere.
        if r.path == "/logout" || r.path == "/login" {
            continue;
        }
        let path = concrete(r.path, &device, &alert);
        for (role, s) in &sessions {
            let allowed = match r.access {
                Access::Public | Access::SignedIn => true,
                Access::Requires(p) => p.allows(*role),
            };
            let (status, body) = if r.method == axum::http::Method::GET {
                get(&app, s, &path).await
            } else {
                // An empty form: the handler refuses it as invalid, or acts on nothing; what
                // matters is whether the table let the role through.
                let (status, _, body) = post(&app, s, &path, &[]).await;
                (status, body)
            };
            checked += 1;
            let refused = status == 403;
            if allowed == refused || status >= 500 {
                wrong.push(format!(
                    "{} {path} as {}: {status} (allowed: {allowed}) {}",
                    r.method,
                    role.as_str(),
                    body.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    assert!(checked > 300, "only {checked} requests");
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Signed out, every page but the public ones goes to the login page.
    for r in routes().iter().filter(|r| r.access != Access::Public) {
        let path = concrete(r.path, &device, &alert);
        let resp = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .request(r.method.clone(), format!("{}{path}", app.base))
            .send()
            .await
            .expect("request");
        assert!(
            [303, 403].contains(&resp.status().as_u16()),
            "{} {path} signed out: {}",
            r.method,
            resp.status()
        );
    }
    app.shutdown().await;
}

#[test]
fn the_console_route_table_is_documented() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/console-routes.md"
    ))
    .expect("docs/console-routes.md");
    let table = steward_server::console::markdown_table();
    assert!(
        doc.contains(&table),
        "docs/console-routes.md is out of date; it should contain:\n{table}"
    );
}
