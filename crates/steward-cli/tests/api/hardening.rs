//! Hostile input, hostile clients and hostile networks, over HTTP against the real server:
//! one test per finding of the outside testers (rows of issue "Hardening"), each failing on
//! the build before the fix.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use steward_core::Role;
use steward_proto::{ActionResult, Detection, DetectionAction, Platform, ProtectionStatus};
use steward_store::audit::Actor;

use crate::console::{get, sign_in};
use crate::helpers::*;

const PASSWORD: &str = "Hardening test password 1";

/// Row 1: a long answer with a multi-byte character where it is cut is stored, cut at a
/// character boundary, and the check-in is answered.
#[tokio::test]
async fn a_long_answer_cut_inside_a_character_is_stored_not_a_panic() {
    let app = TestApp::spawn().await;
    let (dev, secret) = app.device("euro", Platform::Linux).await;
    app.agent
        .checkin(&dev, &secret, &checkin(1, "euro"))
        .await
        .expect("checkin");
    let (s, r) = app
        .post_as(
            &format!("/api/v1/devices/{dev}/requests"),
            &app.admin_token,
            &json!({"kind": "full_scan"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let resp = app
        .agent
        .checkin(&dev, &secret, &checkin(2, "euro"))
        .await
        .expect("checkin");
    let action = resp
        .actions
        .iter()
        .find(|a| a.kind == "full_scan")
        .expect("the request");
    let mut answer = checkin(3, "euro");
    let message = format!(
        "{}€ /home/ana/Dokumente/Rechnung-€.pdf: Permission denied",
        "a".repeat(1999)
    );
    answer.action_results = vec![ActionResult {
        action_id: action.id.clone(),
        ok: false,
        code: Some("failed".into()),
        message: Some(message.clone()),
        script: None,
    }];
    let answered = app
        .agent
        .checkin(&dev, &secret, &answer)
        .await
        .expect("the check-in is answered, the connection is not dropped");
    assert!(answered.applied);
    let (_, list) = app.get(&format!("/api/v1/devices/{dev}/requests")).await;
    let stored = list["items"][0]["message"].as_str().expect("message");
    assert_eq!(
        stored,
        "a".repeat(1999),
        "cut before the euro sign, not inside it"
    );
    app.shutdown().await;
}

/// Row 2: a flood of wrong sign-ins from one address is throttled (no argon2 for most of it)
/// while check-ins from the same server go on.
#[tokio::test]
async fn a_sign_in_flood_is_throttled_and_check_ins_go_on() {
    let app = TestApp::spawn_with(|c| c.auth.refusal_delay_ms = 200).await;
    let (dev, secret) = app.device("busy", Platform::Linux).await;
    // 48 clients, each trying three accounts in a row, as an attacker's loop does.
    let mut logins = Vec::new();
    for i in 0..48 {
        let (http, base) = (app.http.clone(), app.base.clone());
        logins.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for round in 0..3 {
                let status = http
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({"email": format!("nobody{i}-{round}@example.org"),
                                  "password": "wrong wrong wrong"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                got.push(status);
            }
            got
        }));
    }
    for seq in 1..=20 {
        let r = app
            .agent
            .checkin(&dev, &secret, &checkin(seq, "busy"))
            .await
            .expect("check-ins are answered during the flood");
        assert!(r.applied);
    }
    let mut statuses = Vec::new();
    for l in logins {
        statuses.extend(l.await.expect("join"));
    }
    assert!(
        statuses.iter().all(|s| [401, 429, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&429),
        "the address is slowed down after 20 failures: {statuses:?}"
    );
    // Unknown API tokens from one address: answered 429 past the limit, a valid one still works.
    let mut last = 0;
    for _ in 0..110 {
        last = app.get_as("/api/v1/devices", "stwa_not_a_token").await.0;
    }
    assert_eq!(last, 429);
    assert_eq!(
        app.get("/api/v1/devices").await.0,
        200,
        "a valid token works"
    );
    let (_, audit) = app.get("/api/v1/audit?action=auth.failed&limit=1000").await;
    let audited = audit["items"].as_array().map_or(0, Vec::len);
    assert!(
        (100..=101).contains(&audited),
        "refusals past the limit are not audited one by one: {audited}"
    );
    app.shutdown().await;
}

/// A receiver whose every answer is `status` with an endless body; counts the bytes it got
/// to hand to the network.
async fn endless(status: u16) -> (String, Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/big", listener.local_addr().expect("addr"));
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            let chunk = axum::body::Bytes::from(vec![b'x'; 64 * 1024]);
            let body = futures::stream::unfold(0u64, move |n| {
                let (chunk, counter) = (chunk.clone(), counter.clone());
                async move {
                    // 64 MiB at most, so a test never runs away either.
                    (n < 1024).then(|| {
                        counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                        (Ok::<_, std::io::Error>(chunk), n + 1)
                    })
                }
            });
            (
                axum::http::StatusCode::from_u16(status).expect("status"),
                axum::body::Body::from_stream(body),
            )
        }
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, sent, task)
}

/// Row 3: an endless feed answer and an endless webhook error answer are read up to a cap.
#[tokio::test]
async fn outbound_answers_are_read_up_to_a_cap() {
    let app = TestApp::spawn_with(|c| c.outbound.max_response_bytes = 1024 * 1024).await;
    let (feed_url, feed_sent, _feed) = endless(200).await;
    let (s, feed) = app
        .post_as(
            "/api/v1/feeds",
            &app.admin_token,
            &json!({"name": "Huge", "url": feed_url}),
        )
        .await;
    assert_eq!(s, 201, "{feed}");
    let fetch = format!("/api/v1/feeds/{}/fetch", feed["id"].as_str().expect("id"));
    let (s, got) = app.post_as(&fetch, &app.admin_token, &json!({})).await;
    assert_eq!(s, 200);
    assert!(
        got["error"]
            .as_str()
            .is_some_and(|e| e.contains("larger than 1048576 bytes")),
        "{got}"
    );
    let read = feed_sent.load(Ordering::Relaxed);
    assert!(
        read < 16 * 1024 * 1024,
        "the server stopped reading: {read} bytes went out"
    );

    let (hook_url, hook_sent, _hook) = endless(500).await;
    let (s, ch) = app
        .post_as(
            "/api/v1/channels",
            &app.admin_token,
            &json!({"name": "error hook", "kind": "webhook", "target": hook_url}),
        )
        .await;
    assert_eq!(s, 201, "{ch}");
    let (_, tested) = app
        .post_as(
            &format!("/api/v1/channels/{}/test", ch["id"].as_str().expect("id")),
            &app.admin_token,
            &json!({}),
        )
        .await;
    let error = tested["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("HTTP 500: xxx"), "{tested}");
    assert!(
        error.len() < 300,
        "the error keeps only the start of the body"
    );
    let read = hook_sent.load(Ordering::Relaxed);
    assert!(
        read < 16 * 1024 * 1024,
        "{read} bytes of the error body went out"
    );
    app.shutdown().await;
}

/// Row 4: `steward serve` and `steward token create` started together on a new database
/// both succeed, every time.
#[tokio::test]
async fn first_run_setup_is_serialised_between_processes() {
    for round in 0..6 {
        let db = TestDb::new().await;
        let port = free_port();
        let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(db_args(&db))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("serve");
        let token = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(["token", "create", "--role", "admin"])
            .args(db_args(&db))
            .output()
            .expect("token create");
        assert!(
            token.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&token.stderr)
        );
        let url = format!("http://127.0.0.1:{port}/healthz");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if reqwest::get(&url)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            if let Ok(Some(status)) = serve.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = serve.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("round {round}: serve ended with {status}: {err}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: not ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = serve.kill();
        let _ = serve.wait();
    }
}

/// Row 5: after signing in, only same-site relative targets are followed.
#[tokio::test]
async fn sign_in_redirects_stay_on_this_site() {
    let app = TestApp::spawn().await;
    steward_server::auth::create_user(
        &app.store,
        "nav@example.org",
        &[Role::Operator],
        &[],
        PASSWORD,
        &Actor::cli(),
    )
    .await
    .expect("user");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (next, want) in [
        ("/\t/evil.example/", "/"),
        ("/\r\n/x", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/%09/evil.example/", "/%09/evil.example/"),
        ("/devices?health=at_risk", "/devices?health=at_risk"),
        (
            "/helpdesk/users/jörg@example.org",
            "/helpdesk/users/j%C3%B6rg@example.org",
        ),
    ] {
        let resp = http
            .post(format!("{}/login", app.base))
            .form(&[
                ("email", "nav@example.org"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(resp.status(), 303, "{next:?}");
        assert_eq!(resp.headers()["location"], want, "{next:?}");
    }
    app.shutdown().await;
}

/// Row 6: security headers on pages, API answers, errors and assets; console refusals carry
/// their real status.
#[tokio::test]
async fn every_answer_carries_security_headers_and_refusals_their_status() {
    let app = TestApp::spawn().await;
    let session = sign_in(&app, "head@example.org", &[Role::Readonly]).await;
    let (cookie, csrf) = (session.cookie.clone(), session.csrf.clone());
    let get = |path: &str, with_cookie: bool| {
        let mut r = app.http.get(format!("{}{path}", app.base));
        if with_cookie {
            r = r.header("cookie", &cookie);
        }
        r.send()
    };
    for (path, with_cookie) in [
        ("/devices", true),
        ("/login", false),
        ("/api/v1/openapi.json", false),
        ("/api/v1/devices", false),
        ("/no/such/page", false),
        ("/assets/steward.css", false),
    ] {
        let resp = get(path, with_cookie).await.expect("get");
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().expect("csp");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let cache = h["cache-control"].to_str().expect("cache-control");
        if path.starts_with("/assets/") {
            assert!(cache.starts_with("public"), "{path}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{path}");
        }
    }
    // The console's own page has no inline script or style for the policy to block.
    let page = get("/devices", true)
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(!page.contains("<script>") && !page.contains(" style=") && !page.contains("hx-on"));
    // A change without the session's token, and one the role does not allow.
    let post = |csrf: &str| {
        app.http
            .post(format!("{}/silences", app.base))
            .header("cookie", &cookie)
            .header("x-csrf-token", csrf)
            .header("hx-request", "true")
            .form(&[
                ("reason", "x"),
                ("duration_minutes", "60"),
                ("rule_id", "r"),
            ])
            .send()
    };
    let no_token = post("wrong").await.expect("post");
    assert_eq!(no_token.status(), 403);
    assert!(no_token
        .text()
        .await
        .expect("text")
        .contains("class=\"error\""));
    let wrong_role = post(&csrf).await.expect("post");
    assert_eq!(wrong_role.status(), 403, "a read-only user may not silence");
    app.shutdown().await;
}

/// Row 8: every check-in field has a limit, named in the refusal; CSV exports neutralise
/// formulas.
#[tokio::test]
async fn check_in_fields_have_limits_and_exports_hold_no_formulas() {
    let app = TestApp::spawn().await;
    let (dev, secret) = app.device("limits", Platform::Linux).await;
    let refused = |req: steward_proto::CheckinRequest| {
        let (agent, dev, secret) = (app.agent.clone(), dev.clone(), secret.clone());
        async move {
            match agent.checkin(&dev, &secret, &req).await {
                Err(steward_agent::AgentError::Api {
                    status,
                    code,
                    message,
                }) => (status, code, message),
                other => panic!("not refused: {other:?}"),
            }
        }
    };
    let mut huge_threat = checkin(1, "limits");
    huge_threat.protection = Some(ProtectionStatus {
        detections: vec![Detection {
            threat_name: "T".repeat(900_000),
            path: "/tmp/x".into(),
            severity: "high".into(),
            action: DetectionAction::LeftInPlace,
            detected_at: "2026-11-30T00:00:00Z".into(),
        }],
        ..healthy_protection()
    });
    let (s, c, m) = refused(huge_threat).await;
    assert_eq!((s, c.as_str()), (400, "field_too_long"));
    assert!(m.contains("protection.detections[0].threat_name"), "{m}");
    let mut locale = checkin(1, "limits");
    locale.os.locale = "x".repeat(500_000);
    let (s, c, m) = refused(locale).await;
    assert_eq!((s, c.as_str()), (400, "field_too_long"));
    assert!(m.contains("os.locale"), "{m}");
    let mut keys = checkin(1, "limits");
    keys.inventory = Some((0..20_000).map(|i| (format!("k{i}"), json!(i))).collect());
    let (s, c, _) = refused(keys).await;
    assert_eq!((s, c.as_str()), (400, "too_many_entries"));
    let (_, d) = app.get(&format!("/api/v1/devices/{dev}")).await;
    assert_eq!(d["seq"], 0, "nothing of the refused check-ins was stored");
    assert_eq!(d["protection"], Value::Null);

    // A device whose name and owner are spreadsheet formulas.
    let token = app.enrollment_token(Default::default()).await;
    let mut req = enroll_request(&token, "=HYPERLINK(\"http://x\",\"y\")", Platform::Windows);
    req.owner = "@SUM(1+1)".into();
    app.agent.enroll(&req).await.expect("enroll");
    // A sign-in with a formula for an address lands in the audit log as typed.
    let (s, _) = app
        .post_as(
            "/api/v1/auth/login",
            "",
            &json!({"email": "=HYPERLINK(\"http://x\")", "password": "whatever it is"}),
        )
        .await;
    assert_eq!(s, 401);
    let csv = app
        .http
        .get(format!("{}/api/v1/audit?format=csv&limit=1000", app.base))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("audit csv")
        .text()
        .await
        .expect("text");
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let mut cells = 0;
    for row in rows.records() {
        for cell in row.expect("row").iter() {
            cells += 1;
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula in the audit export: {cell}"
            );
        }
    }
    assert!(
        csv.contains("'=hyperlink"),
        "the typed address is kept as text: {csv}"
    );
    assert!(cells > 20);
    let session = sign_in(&app, "csv@example.org", &[Role::Operator]).await;
    let (_, devices) = get(&app, &session, "/devices.csv").await;
    assert!(devices.contains("'=HYPERLINK"), "{devices}");
    assert!(devices.contains("'@SUM(1+1)"), "{devices}");
    app.shutdown().await;
}

/// Row 11: every list takes `limit` and `cursor`; the notices list pages instead of stopping.
#[tokio::test]
async fn every_list_takes_limit_and_cursor() {
    let app = TestApp::spawn().await;
    for i in 0..25 {
        let (s, n) = app
            .post_as(
                "/api/v1/notices",
                &app.admin_token,
                &json!({"title": {"en": format!("Notice {i}")}, "category": "stay_informed"}),
            )
            .await;
        assert_eq!(s, 201, "{n}");
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut url = "/api/v1/notices?limit=10".to_string();
    let mut pages = 0;
    loop {
        let (s, page) = app.get(&url).await;
        assert_eq!(s, 200, "{page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 10);
        for n in items {
            assert!(
                seen.insert(n["id"].as_str().expect("id").to_string()),
                "no repeats"
            );
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/notices?limit=10&cursor={c}"),
            None => break,
        }
    }
    assert_eq!((seen.len(), pages), (25, 3));
    // Every list endpoint takes limit=1 (and refuses limit=0).
    let needs = |path: &str| match path {
        "/api/v1/troubleshoot/users" => "q=a&",
        "/api/v1/kb/search" => "q=token&",
        _ => "",
    };
    for e in steward_server::policy::endpoints() {
        if e.method != axum::http::Method::GET || e.path.contains('{') {
            continue;
        }
        let (s, body) = app
            .get(&format!("{}?{}limit=1", e.path, needs(e.path)))
            .await;
        let Some(items) = body.get("items").and_then(Value::as_array) else {
            continue;
        };
        assert_eq!(s, 200, "{}: {body}", e.path);
        assert!(items.len() <= 1, "{}: {} items", e.path, items.len());
        let (s, body) = app
            .get(&format!("{}?{}limit=0", e.path, needs(e.path)))
            .await;
        assert_eq!((s, code(&body)), (400, "invalid_query"), "{}", e.path);
    }
    app.shutdown().await;
}

/// Row 12: server-side requests reach only public addresses unless allowed; a refused target
/// is never contacted, so the error cannot tell an open port from a closed one.
#[tokio::test]
async fn outbound_requests_cannot_reach_private_addresses() {
    let app = TestApp::spawn_with(|c| c.outbound.allow = String::new()).await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/",
        "http://localhost:9/",
        "http://10.1.2.3/",
    ] {
        let (s, b) = app
            .post_as(
                "/api/v1/feeds",
                &app.admin_token,
                &json!({"name": "x", "url": url}),
            )
            .await;
        assert_eq!((s, code(&b)), (403, "outbound_refused"), "{url}");
        let (s, b) = app
            .post_as(
                "/api/v1/channels",
                &app.admin_token,
                &json!({"name": "x", "kind": "webhook", "target": url}),
            )
            .await;
        assert_eq!((s, code(&b)), (403, "outbound_refused"), "{url}");
    }
    // Addresses in brackets (IPv6) are not taken as webhook or feed addresses at all.
    let (s, b) = app
        .post_as(
            "/api/v1/feeds",
            &app.admin_token,
            &json!({"name": "x", "url": "http://[::1]/"}),
        )
        .await;
    assert_eq!((s, b["error"]["field"].as_str()), (400, Some("url")));
    // Feeds saved before the rule existed (written straight to the store): one at an open
    // port, one at a closed one. Both are refused alike and the open one hears nothing.
    let open = Receiver::start(None).await;
    let closed = format!("http://127.0.0.1:{}/hook", free_port());
    let mut errors = Vec::new();
    for (i, url) in [open.url.clone(), closed].into_iter().enumerate() {
        let feed = steward_store::awareness::Feed {
            id: format!("old-feed-{i}"),
            name: "old".into(),
            url,
            defaults: json!({}),
            interval_minutes: 60,
            last_fetched_at: None,
            last_error: None,
        };
        app.store
            .put_feed(&feed, steward_core::time::now_ms(), &Actor::cli())
            .await
            .expect("feed");
        let (s, got) = app
            .post_as(
                &format!("/api/v1/feeds/old-feed-{i}/fetch"),
                &app.admin_token,
                &json!({}),
            )
            .await;
        assert_eq!(s, 200);
        errors.push(
            got["error"]
                .as_str()
                .expect("error")
                .replace(&format!(":{}", url_port(&feed.url)), ""),
        );
    }
    assert!(errors[0].starts_with("refused:"), "{errors:?}");
    assert_eq!(errors[0], errors[1], "open and closed ports look the same");
    assert!(
        open.received().is_empty(),
        "the open port was never contacted"
    );
    app.shutdown().await;
}

fn url_port(url: &str) -> u16 {
    reqwest::Url::parse(url).expect("url").port().expect("port")
}

/// Row 13: a rule for another platform is "not applicable" on the device page and in the
/// API, and a policy of only such rules judges nothing.
#[tokio::test]
async fn platform_rules_do_not_apply_to_other_platforms() {
    let app = TestApp::spawn().await;
    let (s, p) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &json!({"name": "Windows baseline", "grace_hours": 0,
                    "rules": [{"rule": "min_os_version", "platform": "windows", "version": "10.0.19045"}]}),
        )
        .await;
    assert_eq!(s, 202, "{p}");
    app.settled(&p).await;
    let (dev, secret) = app.device("tux", Platform::Linux).await;
    app.agent
        .checkin(&dev, &secret, &checkin(1, "tux"))
        .await
        .expect("checkin");
    let (_, d) = app.get(&format!("/api/v1/devices/{dev}")).await;
    assert_eq!(
        d["compliance_results"][0]["result"], "not_applicable",
        "{d}"
    );
    assert_eq!(
        d["compliance_state"], "not_evaluated",
        "nothing applied, nothing passed"
    );
    let session = sign_in(&app, "page@example.org", &[Role::Operator]).await;
    let (_, page) = get(&app, &session, &format!("/devices/{dev}")).await;
    let compliance = page
        .split("id=\"compliance\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("compliance section");
    assert!(compliance.contains("Not applicable"), "{compliance}");
    assert!(!compliance.contains("Passes"), "{compliance}");
    assert!(
        compliance.contains("1 rule is about another platform"),
        "{compliance}"
    );
    app.shutdown().await;
}
