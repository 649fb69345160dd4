//! Console sessions and users: the attacks of the access-control issue, each refused and audited.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use steward_core::Role;
use steward_proto::Platform;

use crate::helpers::*;

const PASSWORD: &str = "correct horse battery";

struct Session {
    cookie: String,
    csrf: String,
}

async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (u16, Option<Session>, Value, String) {
    let resp = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login");
    let status = resp.status().as_u16();
    let set_cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let session = (status == 200).then(|| Session {
        cookie: set_cookie.split(';').next().unwrap_or("").to_string(),
        csrf: body["csrf_token"].as_str().unwrap_or("").to_string(),
    });
    (status, session, body, set_cookie)
}

async fn with_session(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    s: &Session,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = app
        .http
        .request(method, format!("{}{path}", app.base))
        .header("cookie", &s.cookie);
    if let Some(c) = csrf {
        rb = rb.header("x-csrf-token", c);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn user(app: &TestApp, email: &str, roles: &[&str], groups: &[&str]) -> String {
    let (s, body) = app
        .post_as(
            "/api/v1/users",
            &app.admin_token,
            &json!({"email": email, "roles": roles, "groups": groups, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    body["user"]["id"].as_str().expect("id").to_string()
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<Value> {
    let (_, page) = app
        .get(&format!("/api/v1/audit?action={action}&limit=1000"))
        .await;
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_changes_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    user(&app, "Ada@Example.com", &["helpdesk"], &[]).await;
    let (status, session, body, set_cookie) = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(set_cookie.contains(attr), "{set_cookie}");
    }
    assert!(!body.to_string().contains("password_hash"));
    let s = session.expect("session");
    let (status, me) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/auth/me",
        &s,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me["via"], "session");
    assert_eq!(me["roles"], json!(["helpdesk"]));
    let (status, _) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/devices",
        &s,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "reads need no CSRF token");

    let token_body = Some(json!({"name": "my laptop"}));
    let (status, b) = with_session(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/tokens",
        &s,
        None,
        token_body.clone(),
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (403, "csrf_mismatch"),
        "missing CSRF token"
    );
    let (status, b) = with_session(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/tokens",
        &s,
        Some("forged"),
        token_body.clone(),
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (403, "csrf_mismatch"),
        "forged CSRF token"
    );
    let (status, b) = with_session(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/tokens",
        &s,
        Some(&s.csrf),
        token_body,
    )
    .await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(audit_actions(&app, "auth.csrf_rejected").await.len(), 2);
    assert_eq!(audit_actions(&app, "auth.login").await.len(), 1);

    // Logging out ends the session on the server, not just in the browser.
    let (status, _) = with_session(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/logout",
        &s,
        Some(&s.csrf),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/auth/me",
        &s,
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_fail_alike_and_are_audited() {
    let app = TestApp::spawn().await;
    user(&app, "bob@example.com", &["operator"], &[]).await;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let (s, _, b, _) = login(&app, "bob@example.com", "not the password").await;
        wrong.push(t.elapsed());
        bodies.push((s, b));
        let t = Instant::now();
        let (s, _, b, _) = login(&app, "nobody@example.com", "not the password").await;
        unknown.push(t.elapsed());
        bodies.push((s, b));
    }
    for (s, b) in &bodies {
        assert_eq!((*s, code(b)), (401, "invalid_credentials"));
        assert_eq!(b["error"]["message"], bodies[0].1["error"]["message"]);
    }
    // Both paths do the same argon2 work: an unknown e-mail is not answered measurably faster.
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (w, u) = (median(&mut wrong), median(&mut unknown));
    assert!(u * 3 > w, "unknown user {u:?} vs wrong password {w:?}");
    let failed = audit_actions(&app, "auth.login_failed").await;
    assert_eq!(failed.len(), 6);
    assert!(failed
        .iter()
        .any(|e| e["object_id"] == "nobody@example.com"));
    app.shutdown().await;
}

/// Signs in from `from` (an address of 127.0.0.0/8), as a client elsewhere would.
async fn login_from(
    app: &TestApp,
    from: &str,
    email: &str,
    password: &str,
) -> (u16, Value, Option<String>) {
    let client = reqwest::Client::builder()
        .local_address(from.parse::<std::net::IpAddr>().expect("address"))
        .build()
        .expect("client");
    let resp = client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login");
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, resp.json().await.unwrap_or(Value::Null), retry)
}

/// Row 7: repeated failures slow down that address for that account, the same way whether
/// the account exists or not, and never keep the account's owner out from elsewhere.
#[tokio::test]
async fn repeated_failures_slow_that_address_and_reveal_nothing() {
    let app = TestApp::spawn_manual(|c| c.auth.lockout_after = 3).await;
    user(&app, "carol@example.com", &["operator"], &[]).await;
    let attacker = "127.0.0.7";
    for email in ["carol@example.com", "nobody@example.com"] {
        for _ in 0..3 {
            let (s, b, _) = login_from(&app, attacker, email, "guess guess guess").await;
            assert_eq!((s, code(&b)), (401, "invalid_credentials"), "{email}");
        }
    }
    // The fourth try waits, existing account or not, right password or not: same answer.
    let (known, unknown) = (
        login_from(&app, attacker, "carol@example.com", PASSWORD).await,
        login_from(&app, attacker, "nobody@example.com", PASSWORD).await,
    );
    assert_eq!((known.0, code(&known.1)), (429, "too_many_attempts"));
    assert_eq!(known.0, unknown.0);
    assert_eq!(
        known.1, unknown.1,
        "the answers do not tell the accounts apart"
    );
    assert_eq!(known.2.as_deref(), Some("1"), "Retry-After");
    assert_eq!(known.2, unknown.2);
    // Carol herself signs in from her own address at once.
    let (s, b, _) = login_from(&app, "127.0.0.8", "carol@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{b}");
    // Every further failure from the attacker's address doubles the wait.
    app.clock.advance(Duration::from_millis(1_500));
    let (s, _, _) = login_from(&app, attacker, "carol@example.com", "guess again").await;
    assert_eq!(s, 401);
    let (s, _, retry) = login_from(&app, attacker, "carol@example.com", PASSWORD).await;
    assert_eq!((s, retry.as_deref()), (429, Some("2")));
    // Once the wait is over the right password works from there too.
    app.clock.advance(Duration::from_millis(2_500));
    let (s, _, _) = login_from(&app, attacker, "carol@example.com", PASSWORD).await;
    assert_eq!(s, 200);
    let (_, users) = app.get("/api/v1/users").await;
    assert!(
        users["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u.get("locked_until").is_none()),
        "no account is ever locked"
    );
    assert_eq!(audit_actions(&app, "auth.login_failed").await.len(), 7);
    app.shutdown().await;
}

/// An administrator's reset gives a new password shown once, never written to the audit log.
#[tokio::test]
async fn a_password_reset_is_audited_without_the_password() {
    let app = TestApp::spawn().await;
    let id = user(&app, "carol@example.com", &["operator"], &[]).await;
    let (s, reset) = app
        .post_as(
            &format!("/api/v1/users/{id}/reset-password"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let new_password = reset["password"].as_str().expect("password");
    let (s, _, _, _) = login(&app, "carol@example.com", new_password).await;
    assert_eq!(s, 200);
    let reset_audit = audit_actions(&app, "user.password_reset").await;
    assert_eq!(reset_audit.len(), 1);
    assert!(
        !reset_audit[0].to_string().contains(new_password),
        "no secret in the audit log"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn expired_sessions_and_changed_passwords_end_access() {
    let app = TestApp::spawn().await;
    let id = user(&app, "dan@example.com", &["helpdesk"], &[]).await;
    // An expired session is refused.
    let now = steward_core::time::now_ms();
    app.store
        .create_session(
            &steward_core::secret::hash("stws_expired"),
            &id,
            "x",
            now - 10_000,
            now - 1,
            "",
        )
        .await
        .expect("session");
    let expired = Session {
        cookie: "steward_session=stws_expired".into(),
        csrf: "x".into(),
    };
    let (s, _) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/auth/me",
        &expired,
        None,
        None,
    )
    .await;
    assert_eq!(s, 401);

    let (_, a, _, _) = login(&app, "dan@example.com", PASSWORD).await;
    let (_, b, _, _) = login(&app, "dan@example.com", PASSWORD).await;
    let (a, b) = (a.expect("a"), b.expect("b"));
    let change = |current: &str| json!({"current_password": current, "new_password": "a much better passphrase"});
    let (s, body) = with_session(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/password",
        &a,
        Some(&a.csrf),
        Some(change("wrong")),
    )
    .await;
    assert_eq!((s, code(&body)), (401, "invalid_credentials"));
    let (s, _) = with_session(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/password",
        &a,
        Some(&a.csrf),
        Some(change(PASSWORD)),
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/auth/me",
        &a,
        None,
        None,
    )
    .await;
    assert_eq!(s, 200, "the session that changed the password goes on");
    let (s, _) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/auth/me",
        &b,
        None,
        None,
    )
    .await;
    assert_eq!(s, 401, "other sessions end");
    let (s, _, _, _) = login(&app, "dan@example.com", PASSWORD).await;
    assert_eq!(s, 401);
    let (s, _, _, _) = login(&app, "dan@example.com", "a much better passphrase").await;
    assert_eq!(s, 200);
    // Guessing the current password through a session is throttled like a sign-in: five
    // wrong tries, then even the right one waits.
    let tries = ["guess"; 5].into_iter().chain(["a much better passphrase"]);
    for (i, current) in tries.enumerate() {
        let (s, body) = with_session(
            &app,
            reqwest::Method::POST,
            "/api/v1/auth/password",
            &a,
            Some(&a.csrf),
            Some(change(current)),
        )
        .await;
        let want = if i < 5 {
            (401, "invalid_credentials")
        } else {
            (429, "too_many_attempts")
        };
        assert_eq!((s, code(&body)), want, "try {i}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_disabled_users_tokens_and_sessions_stop_working() {
    let app = TestApp::spawn().await;
    let id = user(&app, "eve@example.com", &["helpdesk"], &[]).await;
    let (_, s, _, _) = login(&app, "eve@example.com", PASSWORD).await;
    let s = s.expect("session");
    let (status, created) = with_session(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/tokens",
        &s,
        Some(&s.csrf),
        Some(json!({"name": "script"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().expect("token").to_string();
    assert!(
        created["role"].is_null(),
        "a user's token takes the user's roles"
    );
    let (status, _) = app.get_as("/api/v1/devices", &token).await;
    assert_eq!(status, 200);
    let (status, _) = app.get_as("/api/v1/enrollment-tokens", &token).await;
    assert_eq!(status, 403, "no more than the user may");
    let (status, b) = with_session(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/tokens",
        &s,
        Some(&s.csrf),
        Some(json!({"name": "x", "role": "administrator"})),
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (400, "invalid_field"),
        "a user's token cannot pick a role"
    );

    let (status, _) = app
        .http
        .patch(format!("{}/api/v1/users/{id}", app.base))
        .bearer_auth(&app.admin_token)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .expect("patch");
    assert_eq!(status, 200);
    let (status, b) = app.get_as("/api/v1/devices", &token).await;
    assert_eq!(
        (status, code(&b)),
        (401, "unauthorized"),
        "token of a disabled user"
    );
    let (status, _) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/auth/me",
        &s,
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _, _) = login(&app, "eve@example.com", PASSWORD).await;
    assert_eq!(status, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn privilege_escalation_attempts_are_refused_and_audited() {
    let app = TestApp::spawn().await;
    let operator = app.token_with_role(Role::Operator).await;
    let helpdesk = app.token_with_role(Role::Helpdesk).await;
    let (s, b) = app
        .post_as(
            "/api/v1/users",
            &operator,
            &json!({"email": "mallory@example.com", "roles": ["administrator"]}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (403, "forbidden"),
        "an operator creating an administrator"
    );
    let frank = user(&app, "frank@example.com", &["helpdesk"], &[]).await;
    let resp = app
        .http
        .patch(format!("{}/api/v1/users/{frank}", app.base))
        .bearer_auth(&helpdesk)
        .json(&json!({"roles": ["administrator"]}))
        .send()
        .await
        .expect("patch");
    assert_eq!(resp.status(), 403, "a help-desk user changing roles");

    // An administrator may not edit their own roles either: another administrator must.
    let grace = user(&app, "grace@example.com", &["administrator"], &[]).await;
    let (_, s, _, _) = login(&app, "grace@example.com", PASSWORD).await;
    let s = s.expect("session");
    let (status, b) = with_session(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{grace}"),
        &s,
        Some(&s.csrf),
        Some(json!({"roles": ["readonly", "administrator", "operator"]})),
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (403, "forbidden"),
        "a user editing their own roles"
    );
    let (status, b) = with_session(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{grace}"),
        &s,
        Some(&s.csrf),
        Some(json!({"display_name": "Grace H."})),
    )
    .await;
    assert_eq!(status, 200, "their own name is fine: {b}");
    let denied = audit_actions(&app, "access.denied").await;
    assert_eq!(denied.len(), 2, "{denied:?}");
    let (_, own) = app
        .get(&format!(
            "/api/v1/audit?action=user.update&object_id={grace}"
        ))
        .await;
    let outcomes: Vec<&str> = own["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["outcome"].as_str())
        .collect();
    assert!(
        outcomes.contains(&"denied") && outcomes.contains(&"ok"),
        "{outcomes:?}"
    );
    let (s, b) = app
        .post_as(
            "/api/v1/users",
            &app.admin_token,
            &json!({"email": "frank@example.com", "roles": ["readonly"]}),
        )
        .await;
    assert_eq!((s, code(&b)), (409, "conflict"));
    let (s, b) = app
        .post_as(
            "/api/v1/users",
            &app.admin_token,
            &json!({"email": "x@example.com", "roles": ["root"]}),
        )
        .await;
    assert_eq!((s, code(&b)), (400, "invalid_field"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_scoped_user_sees_only_their_groups_devices() {
    let app = TestApp::spawn_with(|c| c.fleet.summary_max_age_secs = 0).await;
    let paris = app
        .enrollment_token(steward_proto::CreateEnrollmentToken {
            group: Some("paris".into()),
            ..Default::default()
        })
        .await;
    let london = app
        .enrollment_token(steward_proto::CreateEnrollmentToken {
            group: Some("london".into()),
            ..Default::default()
        })
        .await;
    let (s, b) = app
        .post_as(
            "/api/v1/alert-rules",
            &app.admin_token,
            &json!({"name": "Real-time off", "severity": "warning", "condition": {"type": "realtime_protection_off"}}),
        )
        .await;
    assert_eq!(s, 202);
    app.settled(&b).await;
    let (in_paris, paris_secret) = app.enroll(&paris, "pc-paris", Platform::Windows).await;
    let (in_london, london_secret) = app.enroll(&london, "pc-london", Platform::Windows).await;
    for (id, secret) in [(&in_paris, &paris_secret), (&in_london, &london_secret)] {
        let mut req = checkin(1, "pc");
        req.protection = Some(steward_proto::ProtectionStatus {
            realtime_protection: Some(false),
            ..healthy_protection()
        });
        app.agent.checkin(id, secret, &req).await.expect("checkin");
    }
    user(
        &app,
        "henri@example.com",
        &["helpdesk", "operator"],
        &["paris"],
    )
    .await;
    let (_, s, _, _) = login(&app, "henri@example.com", PASSWORD).await;
    let s = s.expect("session");
    let (_, page) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/devices",
        &s,
        None,
        None,
    )
    .await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(ids, [in_paris.as_str()]);
    let (status, _) = with_session(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/devices/{in_paris}"),
        &s,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, b) = with_session(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/devices/{in_london}"),
        &s,
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, code(&b)),
        (404, "not_found"),
        "an ID outside the scope"
    );
    let (status, _) = with_session(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/devices/{in_london}/retire"),
        &s,
        Some(&s.csrf),
        None,
    )
    .await;
    assert_eq!(status, 404, "nor can it be retired");
    for (path, body) in [
        ("requests", json!({"kind": "sync"})),
        ("notes", json!({"text": "x"})),
    ] {
        let (status, _) = with_session(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/devices/{in_london}/{path}"),
            &s,
            Some(&s.csrf),
            Some(body),
        )
        .await;
        assert_eq!(status, 404, "nor reached by the help desk: {path}");
    }
    let (status, _) = with_session(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/devices/{in_paris}/requests"),
        &s,
        Some(&s.csrf),
        Some(json!({"kind": "sync"})),
    )
    .await;
    assert_eq!(status, 201, "a device in the scope is");
    let (_, sum) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/fleet/summary",
        &s,
        None,
        None,
    )
    .await;
    assert_eq!(sum["total"], 1, "counts stay within the scope: {sum}");
    let (_, all) = app.get("/api/v1/fleet/summary").await;
    assert_eq!(all["total"], 2, "{all}");
    let (_, alerts) =
        with_session(&app, reqwest::Method::GET, "/api/v1/alerts", &s, None, None).await;
    let devices: Vec<&str> = alerts["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["device_id"].as_str())
        .collect();
    assert_eq!(devices, [in_paris.as_str()], "alerts stay within the scope");
    let (_, every) = app.get("/api/v1/alerts").await;
    let london_alert = every["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["device_id"] == in_london.as_str())
        .and_then(|a| a["id"].as_str())
        .expect("the London alert")
        .to_string();
    let (status, _) = with_session(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/alerts/{london_alert}"),
        &s,
        None,
        None,
    )
    .await;
    assert_eq!(status, 404, "an alert outside the scope does not exist");
    let (_, denied) = app
        .get(&format!(
            "/api/v1/audit?action=access.denied&object_type=alert&object_id={london_alert}"
        ))
        .await;
    assert_eq!(
        denied["items"].as_array().map(Vec::len),
        Some(1),
        "and the attempt is audited"
    );
    let (_, d) = app.get(&format!("/api/v1/devices/{in_london}")).await;
    assert_eq!(d["retired"], false);
    let (_, attempts) = with_session(
        &app,
        reqwest::Method::GET,
        "/api/v1/enrollment-attempts",
        &s,
        None,
        None,
    )
    .await;
    let hosts: Vec<&str> = attempts["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["hostname"].as_str())
        .collect();
    assert_eq!(hosts, ["pc-paris"], "only attempts with the group's tokens");
    app.shutdown().await;
}
