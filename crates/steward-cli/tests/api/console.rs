//! The web console over HTTP: sign-in, every page in every language, actions with the
//! session's CSRF token, roles. (The browser suite in tests/browser drives it in Chromium.)

use serde_json::json;
use steward_core::{Lang, Role};
use steward_proto::{Platform, ProtectionStatus};
use steward_store::audit::Actor;

use crate::helpers::*;

const PASSWORD: &str = "Console test password 1";

/// A signed-in console session: its cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn sign_in(app: &TestApp, email: &str, roles: &[Role]) -> Session {
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

async fn get(app: &TestApp, s: &Session, path: &str) -> (u16, String) {
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
async fn post(
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
    assert_eq!(s, 201, "{rule}");
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
        "/announcements".into(),
        "/training".into(),
        "/plan".into(),
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
    assert_eq!((status, refresh), (200, false));
    assert!(body.contains("class=\"error\""), "{body}");
    let (_, audit) = app.get("/api/v1/audit?action=alert.acknowledged").await;
    assert_eq!(audit["items"][0]["actor_name"], "admin@example.org");

    // The message center: publish a briefing, acknowledge it.
    let (status, refresh, body) = post(
        &app,
        &admin,
        "/notices",
        &[
            ("title", "New VPN client"),
            ("category", "plan_for_change"),
            ("tag", "user_impact"),
            ("help_desk", "1"),
        ],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, notices) = app.get("/api/v1/notices").await;
    let nid = notices["items"][0]["id"]
        .as_str()
        .expect("notice")
        .to_string();
    let (status, refresh, _) =
        post(&app, &admin, &format!("/notices/{nid}/acknowledge"), &[]).await;
    assert_eq!((status, refresh), (204, true));
    let (_, page) = get(&app, &admin, "/notices").await;
    assert!(page.contains("New VPN client"));

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
    let me = app
        .store
        .user_by_email("admin@example.org")
        .await
        .expect("lookup")
        .expect("admin");
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
