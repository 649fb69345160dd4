use serde_json::json;
use steward_core::Role;

use crate::helpers::*;

fn entries(page: &serde_json::Value) -> Vec<serde_json::Value> {
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn changes_denials_and_failed_logins_are_audited() {
    let app = TestApp::spawn().await;
    let operator = app.token_with_role(Role::Operator).await;

    let (_, created) = app
        .post_as(
            "/api/v1/enrollment-tokens",
            &app.admin_token,
            &json!({"name": "site-a"}),
        )
        .await;
    let token_id = created["id"].as_str().expect("id").to_string();
    let (s, _) = app
        .post_as(
            &format!("/api/v1/enrollment-tokens/{token_id}/revoke"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post_as(
            "/api/v1/tokens",
            &operator,
            &json!({"name": "x", "role": "administrator"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.get_as("/api/v1/devices", "stwa_forgedtoken").await;
    assert_eq!(s, 401);

    // Everything about the enrollment token, oldest last.
    let (s, page) = app
        .get(&format!(
            "/api/v1/audit?object_type=enrollment_token&object_id={token_id}"
        ))
        .await;
    assert_eq!(s, 200, "{page}");
    let e = entries(&page);
    assert_eq!(e.len(), 2, "{page}");
    assert_eq!(e[0]["action"], "enrollment_token.revoke");
    assert!(e[0]["before"]["revoked_at"].is_null());
    assert!(e[0]["after"]["revoked_at"].is_string());
    assert_eq!(e[1]["action"], "enrollment_token.create");
    assert_eq!(e[1]["after"]["name"], "site-a");
    assert!(
        e[1]["after"].get("token").is_none(),
        "the secret is never audited"
    );
    assert_eq!(e[1]["role"], "administrator");
    assert_eq!(e[1]["actor_name"], "test");
    assert_eq!(e[1]["remote_addr"], "127.0.0.1");
    assert!(e[1]["actor"]
        .as_str()
        .is_some_and(|a| a.starts_with("token:")));

    let (_, denied) = app.get("/api/v1/audit?action=access.denied").await;
    let d = entries(&denied);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["role"], "operator");
    assert_eq!(d[0]["outcome"], "denied");
    assert_eq!(d[0]["object_id"], "POST /api/v1/tokens");

    let (_, failed) = app.get("/api/v1/audit?action=auth.failed").await;
    let f = entries(&failed);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["actor"], "anonymous");
    assert_eq!(
        f[0]["actor_name"], "stwa_forg",
        "only the shown prefix of what was offered"
    );
    assert_eq!(f[0]["object_id"], "GET /api/v1/devices");

    // Tokens made at the command line are audited as such.
    let (_, cli) = app
        .get("/api/v1/audit?actor=cli&action=api_token.create")
        .await;
    assert!(entries(&cli).len() >= 2, "{cli}");

    // Time filters and paging.
    let (_, future) = app.get("/api/v1/audit?since=2999-01-01T00:00:00Z").await;
    assert!(entries(&future).is_empty());
    let (_, page1) = app.get("/api/v1/audit?limit=2").await;
    let cursor = page1["next_cursor"].as_str().expect("more entries");
    let (_, page2) = app
        .get(&format!("/api/v1/audit?limit=2&cursor={cursor}"))
        .await;
    assert!(entries(&page2)[0]["id"].as_i64() < entries(&page1)[1]["id"].as_i64());
    let (s, _) = app.get("/api/v1/audit?since=last-week").await;
    assert_eq!(s, 400);
    app.shutdown().await;
}

#[tokio::test]
async fn the_audit_log_exports_as_csv() {
    let app = TestApp::spawn().await;
    app.post_as(
        "/api/v1/enrollment-tokens",
        &app.admin_token,
        &json!({"name": "with, comma"}),
    )
    .await;
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/audit?format=csv&action=enrollment_token.create",
            app.base
        ))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    let text = resp.text().await.expect("text");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("id,at,actor,actor_name,role,action,object_type,object_id,before,after,remote_addr,outcome")
    );
    let row = lines.next().expect("one row");
    assert!(row.contains("enrollment_token.create"));
    assert!(row.contains("with, comma"), "quoted: {row}");
    assert_eq!(lines.next(), None);
    let (s, _) = app.get("/api/v1/audit?format=xml").await;
    assert_eq!(s, 400);
    app.shutdown().await;
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let app = TestApp::spawn().await;
    app.token_with_role(Role::Helpdesk).await;
    for statement in [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let err = app.try_sql(statement).await.expect_err(statement);
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let (_, page) = app.get("/api/v1/audit?actor=cli").await;
    assert!(!entries(&page).is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn a_retired_device_is_refused_recorded_and_may_enroll_again() {
    let app = TestApp::spawn().await;
    let token = app.enrollment_token(Default::default()).await;
    let (id, secret) = app
        .enroll(&token, "old-laptop", steward_proto::Platform::Windows)
        .await;
    app.agent
        .checkin(&id, &secret, &checkin(1, "old-laptop"))
        .await
        .expect("checkin");
    let helpdesk = app.token_with_role(Role::Helpdesk).await;
    let (s, _) = app
        .post_as(
            &format!("/api/v1/devices/{id}/retire"),
            &helpdesk,
            &json!({}),
        )
        .await;
    assert_eq!(s, 403, "the help desk cannot retire devices");
    let operator = app.token_with_role(Role::Operator).await;
    let (s, retired) = app
        .post_as(
            &format!("/api/v1/devices/{id}/retire"),
            &operator,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{retired}");
    assert_eq!(retired["retired"], true);

    // Both paths refuse: the unchanged touch and a state change.
    for (seq, name) in [(2, "old-laptop"), (3, "renamed")] {
        let e = app
            .agent
            .checkin(&id, &secret, &checkin(seq, name))
            .await
            .expect_err("retired");
        assert_eq!(e.code(), Some("device_retired"));
    }
    let (_, refused) = app
        .get(&format!(
            "/api/v1/audit?action=device.checkin_refused&object_id={id}"
        ))
        .await;
    assert_eq!(entries(&refused).len(), 2);
    let (_, change) = app
        .get(&format!(
            "/api/v1/audit?action=device.retire&object_id={id}"
        ))
        .await;
    let change = entries(&change);
    assert_eq!(change[0]["before"]["retired"], false);
    assert_eq!(change[0]["after"]["retired"], true);
    assert_eq!(change[0]["role"], "operator");
    let (_, dev) = app.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(dev["seq"], 1, "nothing stored after retirement");
    assert_eq!(dev["history"][0]["kind"], "retired");
    let (_, listed) = app.get("/api/v1/devices").await;
    assert!(
        entries(&listed).is_empty(),
        "retired devices leave the default list"
    );
    let (_, all) = app.get("/api/v1/devices?include_retired=true").await;
    assert_eq!(entries(&all).len(), 1);

    // The same hardware enrolls again as a new device.
    let (new_id, _) = app
        .enroll(&token, "old-laptop", steward_proto::Platform::Windows)
        .await;
    assert_ne!(new_id, id);
    let (s, _) = app
        .post_as(
            "/api/v1/devices/no-such/retire",
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn a_revoked_api_token_is_refused_from_its_next_use() {
    let app = TestApp::spawn().await;
    let (_, created) = app
        .post_as(
            "/api/v1/tokens",
            &app.admin_token,
            &json!({"name": "ci", "role": "helpdesk"}),
        )
        .await;
    let token = created["token"].as_str().expect("token").to_string();
    let id = created["id"].as_str().expect("id").to_string();
    let (s, _) = app.get_as("/api/v1/devices", &token).await;
    assert_eq!(s, 200);
    let (s, revoked) = app
        .post_as(
            &format!("/api/v1/tokens/{id}/revoke"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(revoked["revoked_at"].is_string());
    let (s, body) = app.get_as("/api/v1/devices", &token).await;
    assert_eq!((s, code(&body)), (401, "unauthorized"));
    let (_, audit) = app
        .get(&format!(
            "/api/v1/audit?object_id={id}&action=api_token.revoke"
        ))
        .await;
    assert_eq!(entries(&audit).len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn behind_a_trusted_balancer_the_forwarded_client_is_audited() {
    // The balancer (here, this machine) is trusted: the client it names is recorded; not
    // trusted: the header is ignored, whatever it says.
    for (trusted, recorded) in [("127.0.0.0/8", "203.0.113.7"), ("", "127.0.0.1")] {
        let app = TestApp::spawn_with(|c| c.proxy.trusted = trusted.into()).await;
        let r = app
            .http
            .post(format!("{}/api/v1/enrollment-tokens", app.base))
            .bearer_auth(&app.admin_token)
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
            .json(&json!({"name": "site-b"}))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 201);
        let (_, page) = app
            .get("/api/v1/audit?action=enrollment_token.create")
            .await;
        let e = entries(&page);
        assert_eq!(e[0]["remote_addr"], recorded, "trusted {trusted:?}: {page}");
        app.shutdown().await;
    }
}
