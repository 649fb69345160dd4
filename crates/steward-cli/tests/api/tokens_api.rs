use serde_json::json;
use steward_core::Role;

use crate::helpers::*;

#[tokio::test]
async fn every_role_against_every_endpoint() {
    use steward_server::policy::{endpoints, Access};
    let app = TestApp::spawn().await;
    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((role, app.token_with_role(role).await));
    }
    let send = |method: &reqwest::Method, path: &str, token: Option<&str>| {
        let mut rb = app.http.request(
            method.clone(),
            format!("{}{}", app.base, path.replace("{id}", "x")),
        );
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if method == reqwest::Method::POST {
            rb = rb.json(&json!({}));
        }
        async move { rb.send().await.expect("request").status().as_u16() }
    };
    let all = endpoints();
    assert!(all.len() >= 10);
    for e in &all {
        let anonymous = send(&e.method, e.path, None).await;
        match e.access {
            Access::Public => assert_ne!(anonymous, 401, "{} {}", e.method, e.path),
            Access::Authenticated => {
                assert_eq!(anonymous, 401, "{} {} without a token", e.method, e.path);
                for (role, token) in &tokens {
                    let status = send(&e.method, e.path, Some(token)).await;
                    assert!(
                        ![401, 403, 500].contains(&status),
                        "{role:?} {} {}: {status}",
                        e.method,
                        e.path
                    );
                }
            }
            Access::Requires(p) => {
                assert_eq!(anonymous, 401, "{} {} without a token", e.method, e.path);
                for (role, token) in &tokens {
                    let status = send(&e.method, e.path, Some(token)).await;
                    if p.allows(*role) {
                        assert!(
                            status != 403 && status != 401 && status != 500,
                            "{role:?} {} {}: {status}",
                            e.method,
                            e.path
                        );
                    } else {
                        assert_eq!(status, 403, "{role:?} {} {}", e.method, e.path);
                    }
                }
            }
        }
    }
    app.shutdown().await;
}

#[test]
fn the_permission_table_in_the_docs_is_the_one_enforced() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/permissions.md"
    ))
    .expect("docs/permissions.md");
    let table = steward_server::policy::markdown_table();
    assert!(
        docs.contains(&table),
        "docs/permissions.md is out of date; it should contain:\n{table}"
    );
}

#[tokio::test]
async fn privilege_escalation_through_tokens_is_refused() {
    let app = TestApp::spawn().await;
    let operator = app.token_with_role(Role::Operator).await;
    let helpdesk = app.token_with_role(Role::Helpdesk).await;
    let (s, b) = app
        .post_as(
            "/api/v1/tokens",
            &operator,
            &json!({"name": "x", "role": "administrator"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (403, "forbidden"),
        "an operator cannot mint an administrator token"
    );
    let (s, b) = app
        .post_as("/api/v1/enrollment-tokens", &helpdesk, &json!({}))
        .await;
    assert_eq!((s, code(&b)), (403, "forbidden"));
    let (s, b) = app.get_as("/api/v1/devices", "stwa_forged").await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));
    let (s, created) = app.post_as("/api/v1/enrollment-tokens", &app.admin_token, &json!({"name": "site", "max_uses": 3, "expires_in_hours": 24, "platforms": ["windows"]})).await;
    assert_eq!(s, 201, "{created}");
    assert!(created["token"]
        .as_str()
        .is_some_and(|t| t.starts_with("stwe_")));
    assert_eq!(created["max_uses"], 3);
    assert_eq!(created["platforms"], json!(["windows"]));
    app.shutdown().await;
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_with_last_use_and_expire() {
    let app = TestApp::spawn().await;
    let (s, created) = app
        .post_as(
            "/api/v1/tokens",
            &app.admin_token,
            &json!({"name": "reporting", "role": "helpdesk"}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let token = created["token"].as_str().expect("token").to_string();
    let (s, _) = app.get_as("/api/v1/devices", &token).await;
    assert_eq!(s, 200);
    let (_, list) = app.get("/api/v1/tokens").await;
    let listed = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["name"] == "reporting")
        .expect("listed")
        .clone();
    assert!(listed.get("token").is_none(), "the secret is never listed");
    assert!(listed["last_used_at"].is_string());
    assert_eq!(listed["role"], "helpdesk");
    let (s, b) = app
        .post_as(
            "/api/v1/tokens",
            &app.admin_token,
            &json!({"name": "x", "role": "superuser"}),
        )
        .await;
    assert_eq!((s, code(&b)), (400, "invalid_field"));

    let expired = steward_store::tokens::NewApiToken {
        id: "old".into(),
        name: "old".into(),
        token_hash: steward_core::secret::hash("stwa_expired"),
        prefix: "stwa_expi".into(),
        role: Some(Role::Administrator),
        user_id: None,
        created_at: 0,
        expires_at: Some(1),
    };
    app.store
        .create_api_token(&expired, &steward_store::audit::Actor::cli())
        .await
        .expect("insert");
    let (s, _) = app.get_as("/api/v1/devices", "stwa_expired").await;
    assert_eq!(s, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn revoked_enrollment_token_stops_enrolling() {
    let app = TestApp::spawn().await;
    let (_, created) = app
        .post_as("/api/v1/enrollment-tokens", &app.admin_token, &json!({}))
        .await;
    let id = created["id"].as_str().expect("id").to_string();
    let token = created["token"].as_str().expect("token").to_string();
    app.enroll(&token, "before", steward_proto::Platform::Linux)
        .await;
    let (s, revoked) = app
        .post_as(
            &format!("/api/v1/enrollment-tokens/{id}/revoke"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(revoked["uses"], 1);
    let e = app
        .agent
        .enroll(&enroll_request(
            &token,
            "after",
            steward_proto::Platform::Linux,
        ))
        .await
        .expect_err("revoked");
    assert_eq!(e.code(), Some("token_revoked"));
    let (s, b) = app
        .post_as(
            "/api/v1/enrollment-tokens/nope/revoke",
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (404, "not_found"));
    let (_, list) = app.get("/api/v1/enrollment-tokens").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    app.shutdown().await;
}
