use serde_json::{json, Map};
use steward_core::time::now_ms;
use steward_proto::{
    inventory_hash, CreateEnrollmentToken, Platform, ProtectionStatus, ThreatState,
};
use steward_store::tokens::NewEnrollmentToken;

use crate::helpers::*;

#[tokio::test]
async fn enroll_checkin_and_read_back() {
    let app = TestApp::spawn().await;
    let token = app
        .enrollment_token(CreateEnrollmentToken {
            group: Some("paris".into()),
            ..Default::default()
        })
        .await;
    let (id, secret) = app.enroll(&token, "pc-1", Platform::Linux).await;

    let mut inv = Map::new();
    inv.insert("cpu_count".into(), json!(8));
    let mut req = checkin(1, "pc-1");
    req.inventory_hash = Some(inventory_hash(&inv));
    req.inventory = Some(inv.clone());
    req.protection = Some(ProtectionStatus {
        engine: Some("ClamAV".into()),
        threat_state: Some(ThreatState::Clean),
        ..Default::default()
    });
    let resp = app
        .agent
        .checkin(&id, &secret, &req)
        .await
        .expect("checkin");
    assert!(resp.applied);
    assert!(!resp.send_inventory);
    assert_eq!(resp.next_checkin_secs, 60);

    let (status, dev) = app.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(status, 200, "{dev}");
    assert_eq!(dev["name"], "pc-1");
    assert_eq!(dev["group"], "paris");
    assert_eq!(dev["seq"], 1);
    assert_eq!(dev["inventory"]["cpu_count"], 8);
    assert_eq!(dev["protection"]["engine"], "ClamAV");
    let kinds: Vec<&str> = dev["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"enrolled"), "{kinds:?}");
    assert!(kinds.contains(&"protection_changed"), "{kinds:?}");
    assert!(kinds.contains(&"inventory_changed"), "{kinds:?}");

    // The device then updates its OS: a new history entry.
    let mut req2 = checkin(2, "pc-1");
    req2.os.version = "13".into();
    req2.inventory_hash = Some(inventory_hash(&inv));
    req2.protection = req.protection.clone();
    app.agent
        .checkin(&id, &secret, &req2)
        .await
        .expect("checkin");
    let (_, dev) = app.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(dev["os_version"], "13");
    assert_eq!(dev["history"][0]["kind"], "os_changed");
    assert_eq!(dev["history"][0]["detail"]["to"], "Debian GNU/Linux 13");
    assert_eq!(
        dev["inventory"]["cpu_count"], 8,
        "inventory kept when not resent"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn server_asks_for_inventory_it_lacks() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.device("pc-2", Platform::Windows).await;
    let mut req = checkin(1, "pc-2");
    req.inventory_hash = Some("abc".into());
    let resp = app
        .agent
        .checkin(&id, &secret, &req)
        .await
        .expect("checkin");
    assert!(resp.applied);
    assert!(resp.send_inventory, "no inventory on record yet");
    app.shutdown().await;
}

#[tokio::test]
async fn replayed_and_older_sequence_numbers_change_nothing() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.device("pc-3", Platform::Macos).await;
    let first = checkin(5, "pc-3");
    assert!(
        app.agent
            .checkin(&id, &secret, &first)
            .await
            .expect("1")
            .applied
    );
    let (_, before) = app.get(&format!("/api/v1/devices/{id}")).await;

    let mut replay = checkin(5, "renamed-by-replay");
    replay.os.version = "99".into();
    let r = app
        .agent
        .checkin(&id, &secret, &replay)
        .await
        .expect("replay");
    assert!(!r.applied);
    let mut older = replay.clone();
    older.seq = 3;
    assert!(
        !app.agent
            .checkin(&id, &secret, &older)
            .await
            .expect("older")
            .applied
    );

    let (_, after) = app.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(before, after, "nothing changed");
    assert_eq!(after["seq"], 5);
    assert_eq!(after["name"], "pc-3");
    app.shutdown().await;
}

#[tokio::test]
async fn unchanged_checkins_take_the_cheap_path_and_move_last_seen() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.device("pc-4", Platform::Linux).await;
    app.agent
        .checkin(&id, &secret, &checkin(1, "pc-4"))
        .await
        .expect("first");
    let (_, d1) = app.get(&format!("/api/v1/devices/{id}")).await;
    let unchanged_before = app
        .metric("steward_checkins_total{result=\"unchanged\"}")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    for seq in 2..=4 {
        let r = app
            .agent
            .checkin(&id, &secret, &checkin(seq, "pc-4"))
            .await
            .expect("again");
        assert!(r.applied);
    }
    let unchanged_after = app
        .metric("steward_checkins_total{result=\"unchanged\"}")
        .await;
    assert_eq!(unchanged_after - unchanged_before, 3.0);
    let d2 = app.device_at(&id, 4).await;
    assert_eq!(d2["seq"], 4);
    assert!(d2["last_seen_at"].as_str() > d1["last_seen_at"].as_str());
    assert_eq!(
        d1["history"], d2["history"],
        "no history for unchanged check-ins"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn concurrent_checkins_are_batched_and_all_stored() {
    concurrent_checkins_stored(false).await;
}

/// The same, with the state-changing check-ins' write kept to the plan each connection made
/// once, as on a PostgreSQL database whose fleet is large (`Store::plan_once`).
#[tokio::test]
async fn concurrent_checkins_written_on_a_plan_made_once_are_all_stored() {
    concurrent_checkins_stored(true).await;
}

async fn concurrent_checkins_stored(plan_once: bool) {
    // The unchanged check-ins wait (longer than the test) and are written when it stops.
    let app = TestApp::spawn_with(|c| c.checkin.touch_flush_ms = 60_000).await;
    let postgres = app.db_url().starts_with("postgres");
    assert!(
        !app.store.plan_once().await,
        "a small database plans each run"
    );
    if plan_once {
        app.store.plan_once_from(0);
        assert_eq!(
            app.store.plan_once().await,
            postgres,
            "kept on PostgreSQL only"
        );
    }
    let token = app.enrollment_token(Default::default()).await;
    let mut devices = Vec::new();
    for i in 0..100 {
        devices.push(
            app.enroll(&token, &format!("batch-{i}"), Platform::Windows)
                .await,
        );
    }
    let batches_before = app.metric("steward_db_batch_size_count").await;
    let ops_before = app.metric("steward_db_batch_size_sum").await;
    let unchanged_before = app
        .metric("steward_checkins_total{result=\"unchanged\"}")
        .await;
    let mut tasks = Vec::new();
    for (i, (id, secret)) in devices.iter().cloned().enumerate() {
        let agent = app.agent.clone();
        tasks.push(tokio::spawn(async move {
            for seq in 1..=6u64 {
                // Signature versions 0,1,1,2,2,3: check-ins 3 and 5 are unchanged.
                let mut req = checkin(seq, &format!("batch-{i}"));
                req.protection = Some(ProtectionStatus {
                    signature_version: Some(format!("1.{}", seq / 2)),
                    ..Default::default()
                });
                assert!(
                    agent
                        .checkin(&id, &secret, &req)
                        .await
                        .expect("checkin")
                        .applied
                );
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let batches = app.metric("steward_db_batch_size_count").await - batches_before;
    let ops = app.metric("steward_db_batch_size_sum").await - ops_before;
    let unchanged = app
        .metric("steward_checkins_total{result=\"unchanged\"}")
        .await
        - unchanged_before;
    assert_eq!(unchanged, 200.0, "two unchanged check-ins per device");
    // The newest of each device waits.
    assert_eq!(app.metric("steward_checkin_touches_waiting").await, 100.0);
    assert_eq!(
        ops, 400.0,
        "every state-changing check-in goes through the writer once, the unchanged ones wait"
    );
    assert!(
        batches < ops,
        "{batches} batches for {ops} writes: no group commit"
    );
    for (id, _) in &devices {
        let d = app.device_at(id, 6).await;
        assert_eq!(d["seq"], 6);
        assert_eq!(d["protection"]["signature_version"], "1.3");
        let kinds: Vec<&str> = d["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "protection_changed").count(),
            4,
            "{kinds:?}"
        );
        assert_eq!(
            kinds.len(),
            7,
            "enrolled, os_changed, health_changed and four protection changes: {kinds:?}"
        );
        assert_eq!(d["health_state"], "unprotected", "no engine reported");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn every_enrollment_failure_is_refused_and_recorded_with_its_reason() {
    let app = TestApp::spawn().await;
    let once = app
        .enrollment_token(CreateEnrollmentToken {
            max_uses: Some(1),
            platforms: vec![Platform::Linux, Platform::Windows],
            ..Default::default()
        })
        .await;
    let revoked_token = app.enrollment_token(Default::default()).await;
    let tokens = app.store.list_enrollment_tokens().await.expect("list");
    let revoked_id = tokens
        .iter()
        .find(|t| revoked_token.starts_with(&t.prefix))
        .expect("token")
        .id
        .clone();
    let (status, _) = app
        .post_as(
            &format!("/api/v1/enrollment-tokens/{revoked_id}/revoke"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let expired = "stwe_expiredexpiredexpiredexpiredexpiredexpir";
    app.store
        .create_enrollment_token(
            &NewEnrollmentToken {
                id: "expired-token".into(),
                name: "old".into(),
                token_hash: steward_core::secret::hash(expired),
                prefix: "stwe_expi".into(),
                created_at: now_ms() - 10_000,
                expires_at: Some(now_ms() - 1),
                max_uses: None,
                group: None,
                platforms: vec![],
            },
            &steward_store::audit::Actor::cli(),
        )
        .await
        .expect("expired token");

    let agent = &app.agent;
    let refuse = |req| async move { agent.enroll(&req).await.expect_err("refused") };
    let e = refuse(enroll_request("stwe_nope", "a", Platform::Linux)).await;
    assert_eq!(e.code(), Some("unknown_token"));
    let e = refuse(enroll_request(&once, "b", Platform::Ios)).await;
    assert_eq!(e.code(), Some("platform_not_allowed"));
    app.enroll(&once, "c", Platform::Linux).await;
    let e = refuse(enroll_request(&once, "d", Platform::Linux)).await;
    assert_eq!(e.code(), Some("token_exhausted"));
    let e = refuse(enroll_request(&revoked_token, "e", Platform::Linux)).await;
    assert_eq!(e.code(), Some("token_revoked"));
    let e = refuse(enroll_request(expired, "f", Platform::Linux)).await;
    assert_eq!(e.code(), Some("token_expired"));
    let fresh = app.enrollment_token(Default::default()).await;
    let e = refuse(enroll_request(&fresh, "c", Platform::Linux)).await;
    assert_eq!(e.code(), Some("duplicate_device"), "same hardware id as c");
    let mut bad = enroll_request(&fresh, "g", Platform::Linux);
    bad.hostname = String::new();
    let e = refuse(bad).await;
    assert_eq!(e.code(), Some("malformed_request"));
    let (status, body) = app
        .raw(
            "/agent/v1/enroll",
            &[("content-type", "application/json")],
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "malformed_json"));

    let (_, page) = app.get("/api/v1/enrollment-attempts?limit=100").await;
    let results: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["result"].as_str())
        .collect();
    for reason in [
        "unknown_token",
        "platform_not_allowed",
        "token_exhausted",
        "token_revoked",
        "token_expired",
        "duplicate_device",
        "malformed_request",
        "malformed_json",
        "success",
    ] {
        assert!(
            results.contains(&reason),
            "{reason} not recorded: {results:?}"
        );
    }
    // Each refusal is recorded with the code it was answered with.
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == "malformed_request")
            .count(),
        1
    );
    // A refused duplicate names the record it is enrolled as (where it is retired), unless
    // that record is in another group than the token's: the token's readers do not see it.
    let (_, devices) = app.get("/api/v1/devices?limit=100").await;
    let c = devices["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|d| d["name"] == "c")
        .and_then(|d| d["id"].as_str())
        .expect("device c")
        .to_string();
    let lab = app
        .enrollment_token(CreateEnrollmentToken {
            group: Some("lab".into()),
            ..Default::default()
        })
        .await;
    let e = refuse(enroll_request(&lab, "c", Platform::Linux)).await;
    assert_eq!(e.code(), Some("duplicate_device"));
    let (_, dups) = app
        .get("/api/v1/enrollment-attempts?result=duplicate_device&limit=10")
        .await;
    let named: Vec<Option<&str>> = dups["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["device_id"].as_str())
        .collect();
    assert_eq!(named, [None, Some(c.as_str())], "newest first: {dups}");
    let mut long_token = enroll_request(&"t".repeat(300), "h", Platform::Linux);
    long_token.hardware_id = "long-token".into();
    let e = refuse(long_token).await;
    assert_eq!(e.code(), Some("unknown_token"));
    let (_, unknown) = app
        .get("/api/v1/enrollment-attempts?result=unknown_token")
        .await;
    assert_eq!(unknown["items"].as_array().map(Vec::len), Some(2));
    let (_, only) = app
        .get("/api/v1/enrollment-attempts?result=token_expired")
        .await;
    assert_eq!(only["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(only["items"][0]["hostname"], "f");
    assert_eq!(only["items"][0]["token_id"], "expired-token");
    let info = app.store.list_enrollment_tokens().await.expect("list");
    let once_info = info
        .iter()
        .find(|t| once.starts_with(&t.prefix))
        .expect("once");
    assert_eq!(once_info.uses, 1, "refusals do not consume uses");
    app.shutdown().await;
}

#[tokio::test]
async fn devices_are_told_to_slow_down_under_load() {
    let app = TestApp::spawn_with(|c| {
        c.checkin.interval_secs = 60;
        c.checkin.target_rate = 5;
    })
    .await;
    let (id, secret) = app.device("busy", Platform::Linux).await;
    // Check in far above 5/s until the once-a-second rate reading stretches the interval.
    let mut stretched = None;
    for seq in 1..=400u64 {
        let r = app
            .agent
            .checkin(&id, &secret, &checkin(seq, "busy"))
            .await
            .expect("checkin");
        if r.next_checkin_secs > 60 {
            stretched = Some(r.next_checkin_secs);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let secs = stretched.expect("the interval never grew under load");
    assert!(secs <= 600, "capped at ten times the base: {secs}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_full_write_queue_turns_checkins_away_with_retry_after() {
    use sqlx::Connection;
    let app = TestApp::spawn_with(|c| c.checkin.max_queue = 0).await;
    let token = app.enrollment_token(Default::default()).await;
    let (id, secret) = app.enroll(&token, "queued", Platform::Linux).await;
    let body = serde_json::to_vec(&checkin(1, "queued")).expect("json");
    let auth = format!("Bearer {}", steward_proto::device_credential(&id, &secret));
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];

    // Hold the write lock from another connection so an enrollment stays queued.
    let url = app.db_url().to_string();
    let mut sqlite_lock = None;
    let mut pg_lock = None;
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
        sqlx::Executor::execute(
            &mut c,
            "BEGIN; LOCK TABLE enrollment_tokens IN ACCESS EXCLUSIVE MODE",
        )
        .await
        .expect("lock");
        pg_lock = Some(c);
    } else {
        let mut c = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("connect");
        sqlx::Executor::execute(&mut c, "BEGIN IMMEDIATE")
            .await
            .expect("lock");
        sqlite_lock = Some(c);
    }
    let agent = app.agent.clone();
    let waiting = tokio::spawn(async move {
        agent
            .enroll(&enroll_request(&token, "waiting", Platform::Linux))
            .await
    });
    let mut queued = 0.0;
    for _ in 0..500 {
        queued = app.metric("steward_write_queue_depth").await;
        if queued > 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(queued > 0.0, "the enrollment never queued");
    let resp = app
        .http
        .post(format!("{}/agent/v1/checkin", app.base))
        .header(headers[0].0, headers[0].1)
        .header(headers[1].0, headers[1].1)
        .body(body.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let b: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(code(&b), "overloaded");

    // Released, the queued enrollment completes and check-ins are accepted again.
    if let Some(mut c) = pg_lock {
        sqlx::Executor::execute(&mut c, "ROLLBACK")
            .await
            .expect("unlock");
    }
    if let Some(mut c) = sqlite_lock {
        sqlx::Executor::execute(&mut c, "ROLLBACK")
            .await
            .expect("unlock");
    }
    waiting
        .await
        .expect("task")
        .expect("the queued enrollment completes");
    let (status, b) = app.raw("/agent/v1/checkin", &headers, body).await;
    assert_eq!(status, 200, "{b}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_rotated_secret_replaces_the_old_one_when_first_used() {
    let app = TestApp::spawn().await;
    let (id, old) = app.device("rotating", Platform::Linux).await;
    let first = app
        .agent
        .checkin(&id, &old, &checkin(1, "rotating"))
        .await
        .expect("1");
    assert!(first.new_secret.is_none());
    let (s, body) = app
        .post_as(
            &format!("/api/v1/devices/{id}/rotate-secret"),
            &app.admin_token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 202, "{body}");

    let r = app
        .agent
        .checkin(&id, &old, &checkin(2, "rotating"))
        .await
        .expect("2");
    let a = r.new_secret.expect("a new secret at the next check-in");
    // The answer was lost: the device asks again with the old secret and gets another.
    let r = app
        .agent
        .checkin(&id, &old, &checkin(3, "rotating"))
        .await
        .expect("3");
    let b = r.new_secret.expect("offered again");
    assert_ne!(a, b);
    let e = app
        .agent
        .checkin(&id, &a, &checkin(4, "rotating"))
        .await
        .expect_err("superseded");
    assert_eq!(e.code(), Some("unauthorized"));
    let r = app
        .agent
        .checkin(&id, &b, &checkin(4, "rotating"))
        .await
        .expect("4");
    assert!(r.applied && r.new_secret.is_none());
    let e = app
        .agent
        .checkin(&id, &old, &checkin(5, "rotating"))
        .await
        .expect_err("old secret");
    assert_eq!(e.code(), Some("unauthorized"));
    assert!(
        app.agent
            .checkin(&id, &b, &checkin(5, "rotating"))
            .await
            .expect("5")
            .applied
    );

    let dev = app.device_at(&id, 5).await;
    assert_eq!(dev["seq"], 5);
    let kinds: Vec<&str> = dev["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "secret_rotated").count(),
        1,
        "{kinds:?}"
    );
    let (_, audit) = app
        .get(&format!(
            "/api/v1/audit?action=device.rotate_secret&object_id={id}"
        ))
        .await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1));
    app.shutdown().await;
}

#[tokio::test]
async fn device_health_is_classified_from_what_it_reports() {
    use steward_core::time::{now_ms, to_rfc3339};
    let app = TestApp::spawn().await;
    let healthy = healthy_protection();
    let mut infected = healthy.clone();
    infected
        .detections
        .push(eicar_left_in_place("/home/ana/eicar.com"));
    let stale = ProtectionStatus {
        signature_updated_at: Some(to_rfc3339(now_ms() - 30 * 86_400_000)),
        ..healthy.clone()
    };
    let cases = [
        ("h-none", None, "unknown", "not_reported"),
        ("h-ok", Some(healthy), "protected", ""),
        ("h-threat", Some(infected), "active_threat", "active_threat"),
        ("h-stale", Some(stale), "at_risk", "signatures_outdated"),
        (
            "h-noav",
            Some(ProtectionStatus::default()),
            "unprotected",
            "no_engine",
        ),
    ];
    for (name, protection, want, reason) in cases {
        let (id, secret) = app.device(name, Platform::Linux).await;
        let mut req = checkin(1, name);
        req.protection = protection;
        app.agent
            .checkin(&id, &secret, &req)
            .await
            .expect("checkin");
        let (_, dev) = app.get(&format!("/api/v1/devices/{id}")).await;
        assert_eq!(dev["health"]["state"], want, "{name}: {}", dev["health"]);
        let reasons: Vec<&str> = dev["health"]["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .filter_map(|r| r["reason"].as_str())
            .collect();
        if reason.is_empty() {
            assert!(reasons.is_empty(), "{name}: {reasons:?}");
        } else {
            assert_eq!(reasons.first().copied(), Some(reason), "{name}");
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn policies_evaluate_devices_on_change_and_on_check_in() {
    use serde_json::json;
    use steward_proto::CreateEnrollmentToken;
    let app = TestApp::spawn().await;
    let clean = ProtectionStatus {
        realtime_protection: Some(false),
        ..healthy_protection()
    };
    let mut infected = clean.clone();
    infected
        .detections
        .push(eicar_left_in_place("/tmp/eicar.com"));
    let paris = app
        .enrollment_token(CreateEnrollmentToken {
            group: Some("paris".into()),
            ..Default::default()
        })
        .await;
    let london = app
        .enrollment_token(CreateEnrollmentToken {
            group: Some("london".into()),
            ..Default::default()
        })
        .await;
    let mut devices = Vec::new();
    for (name, token, protection) in [
        ("p-clean", &paris, Some(clean.clone())),
        ("p-infected", &paris, Some(infected.clone())),
        ("p-silent", &paris, None),
        ("l-infected", &london, Some(infected.clone())),
    ] {
        let (id, secret) = app.enroll(token, name, Platform::Linux).await;
        let mut req = checkin(1, name);
        req.protection = protection;
        app.agent
            .checkin(&id, &secret, &req)
            .await
            .expect("checkin");
        devices.push((name, id, secret));
    }
    let state_of = |i: usize| {
        let id = devices[i].1.clone();
        let app = &app;
        async move {
            let (_, d) = app.get(&format!("/api/v1/devices/{id}")).await;
            d
        }
    };
    assert_eq!(state_of(0).await["compliance_state"], "not_evaluated");

    let (s, policy) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &json!({"name": "No threats in Paris", "rules": [{"rule": "no_active_threats"}], "groups": ["paris"]}),
        )
        .await;
    assert_eq!(s, 202, "{policy}");
    let policy_id = policy["id"].as_str().expect("id").to_string();
    // Creating the policy answered at once with the job that evaluates every device.
    assert_eq!(policy["job"]["reason"], "policy.create", "{policy}");
    assert_eq!(policy["job"]["subject"], policy_id.as_str(), "{policy}");
    app.settled(&policy).await;
    let (_, job) = app
        .get(&format!(
            "/api/v1/fleet-jobs/{}",
            policy["job"]["id"].as_str().expect("job")
        ))
        .await;
    assert_eq!(
        (job["state"].as_str(), job["done"].as_u64()),
        (Some("done"), Some(4)),
        "{job}"
    );
    assert_eq!(state_of(0).await["compliance_state"], "compliant");
    let infected_dev = state_of(1).await;
    assert_eq!(infected_dev["compliance_state"], "noncompliant");
    assert_eq!(infected_dev["compliance_results"][0]["result"], "fail");
    assert_eq!(
        state_of(2).await["compliance_state"],
        "error",
        "no protection reported"
    );
    assert_eq!(
        state_of(3).await["compliance_state"],
        "not_evaluated",
        "London has no policy"
    );
    let (_, list) = app.get("/api/v1/devices?compliance=noncompliant").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // The infected device cleans up: its next check-in is evaluated.
    let (_, id, secret) = &devices[1];
    let mut req = checkin(2, "p-infected");
    req.protection = Some(clean.clone());
    app.agent.checkin(id, secret, &req).await.expect("clean");
    let d = state_of(1).await;
    assert_eq!(d["compliance_state"], "compliant");
    let kinds: Vec<&str> = d["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "compliance_evaluated")
            .count(),
        2,
        "noncompliant when the policy came, compliant after the clean-up: {kinds:?}"
    );

    // A stricter rule with a grace period.
    let resp = app
        .http
        .put(format!("{}/api/v1/policies/{policy_id}", app.base))
        .bearer_auth(&app.admin_token)
        .json(&json!({"name": "Paris baseline", "rules": [{"rule": "no_active_threats"}, {"rule": "realtime_protection_required"}], "groups": ["paris"], "grace_hours": 24}))
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 202);
    app.settled(&resp.json().await.expect("json")).await;
    assert_eq!(
        state_of(0).await["compliance_state"],
        "in_grace",
        "real-time protection is off"
    );
    let (s, b) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &json!({"name": "bad", "rules": []}),
        )
        .await;
    assert_eq!((s, code(&b)), (400, "invalid_field"));
    let helpdesk = app.token_with_role(steward_core::Role::Helpdesk).await;
    let (s, _) = app
        .post_as(
            "/api/v1/policies",
            &helpdesk,
            &json!({"name": "x", "rules": [{"rule": "no_active_threats"}]}),
        )
        .await;
    assert_eq!(s, 403, "the help desk cannot change a policy");

    let resp = app
        .http
        .delete(format!("{}/api/v1/policies/{policy_id}", app.base))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 202);
    app.settled(&resp.json().await.expect("json")).await;
    assert_eq!(state_of(0).await["compliance_state"], "not_evaluated");
    let (_, audit) = app
        .get(&format!(
            "/api/v1/audit?object_type=policy&object_id={policy_id}"
        ))
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["policy.delete", "policy.update", "policy.create"]);
    app.shutdown().await;
}

/// Check-ins written together move different indexed columns (a new name, a new OS version,
/// a new health state, nothing indexed): each device's row and every index that finds it
/// end up as its own check-in said.
#[tokio::test]
async fn checkins_written_together_each_move_their_own_indexed_columns() {
    let app = TestApp::spawn().await;
    let token = app.enrollment_token(Default::default()).await;
    let mut devices = Vec::new();
    for i in 0..40 {
        let name = format!("mix-{i:02}");
        let dev = app.enroll(&token, &name, Platform::Linux).await;
        let mut req = checkin(1, &name);
        req.protection = Some(healthy_protection());
        app.agent
            .checkin(&dev.0, &dev.1, &req)
            .await
            .expect("checkin");
        devices.push(dev);
    }
    let mut first_seen = Vec::new();
    for (id, _) in &devices {
        let (_, d) = app.get(&format!("/api/v1/devices/{id}")).await;
        first_seen.push(d["last_seen_at"].as_str().expect("last seen").to_string());
    }
    let latest_first = first_seen.iter().max().expect("devices").clone();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut tasks = Vec::new();
    for (i, (id, secret)) in devices.iter().cloned().enumerate() {
        let agent = app.agent.clone();
        tasks.push(tokio::spawn(async move {
            let mut p = healthy_protection();
            p.signature_version = Some("1.419.2".into());
            let mut req = checkin(2, &format!("mix-{i:02}"));
            match i % 4 {
                // What PostgreSQL's array literals quote and escape, the word they
                // write a missing value with, and more than one byte to a character.
                0 => req.os.hostname = format!("renamed-{i:02} \"{{a,b}}\" \\ NULL é"),
                1 => req.os.version = "NULL".into(),
                2 => p.realtime_protection = Some(false),
                _ => {}
            }
            req.protection = Some(p);
            let r = agent.checkin(&id, &secret, &req).await.expect("checkin");
            assert!(r.applied);
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    for (i, (id, _)) in devices.iter().enumerate() {
        let (_, d) = app.get(&format!("/api/v1/devices/{id}")).await;
        let name = if i % 4 == 0 {
            format!("renamed-{i:02} \"{{a,b}}\" \\ NULL é")
        } else {
            format!("mix-{i:02}")
        };
        assert_eq!(d["name"], name, "{d}");
        assert_eq!(
            d["os_version"],
            if i % 4 == 1 { "NULL" } else { "12" },
            "{d}"
        );
        let health = if i % 4 == 2 { "at_risk" } else { "protected" };
        assert_eq!(d["health"]["state"], health, "{}", d["health"]);
        assert_eq!(d["seq"], 2);
        assert_eq!(d["protection"]["signature_version"], "1.419.2");
        let seen = d["last_seen_at"].as_str().expect("last seen");
        assert!(seen > latest_first.as_str(), "{seen} after {latest_first}");
    }
    let total = |v: &serde_json::Value| v["items"].as_array().map_or(usize::MAX, Vec::len);
    // When each was last seen moved with its state: filters and the sort read it.
    let (_, q) = app
        .get(&format!(
            "/api/v1/devices?sort=-last_seen_at&last_seen_after={latest_first}&limit=100"
        ))
        .await;
    assert_eq!(total(&q), 40);
    let times: Vec<&str> = q["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| d["last_seen_at"].as_str().expect("last seen"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let (_, q) = app
        .get(&format!(
            "/api/v1/devices?last_seen_before={latest_first}&limit=100"
        ))
        .await;
    assert_eq!(total(&q), 0);
    let (_, q) = app.get("/api/v1/devices?q=renamed-&limit=100").await;
    assert_eq!(total(&q), 10);
    let (_, q) = app.get("/api/v1/devices?os_version=12&limit=100").await;
    assert_eq!(total(&q), 30);
    let (_, q) = app.get("/api/v1/devices?os_version=NULL&limit=100").await;
    assert_eq!(total(&q), 10);
    let (_, q) = app.get("/api/v1/devices?health=at_risk&limit=100").await;
    assert_eq!(total(&q), 10);
    let (_, q) = app.get("/api/v1/devices?health=protected&limit=100").await;
    assert_eq!(total(&q), 30);
    app.shutdown().await;
}

/// A policy another server put (its rows and its version moved in the database, and this
/// server not told) governs the next state-changing check-ins written together: each batch
/// compares the versions it holds with the stored ones in its transaction (on PostgreSQL in
/// the same statement as the devices' firing rules).
#[tokio::test]
async fn checkins_written_together_are_decided_with_a_policy_another_server_put() {
    let app = TestApp::spawn_with(|c| c.checkin.writers = 1).await;
    let token = app.enrollment_token(Default::default()).await;
    let infected = |seq: u64, name: &str| {
        let mut req = checkin(seq, name);
        let mut p = healthy_protection();
        p.signature_version = Some(format!("1.419.{seq}"));
        p.detections.push(eicar_left_in_place("/tmp/eicar.com"));
        req.protection = Some(p);
        req
    };
    let mut devices = Vec::new();
    for i in 0..24 {
        let name = format!("elsewhere-{i:02}");
        let dev = app.enroll(&token, &name, Platform::Linux).await;
        let r = app.agent.checkin(&dev.0, &dev.1, &infected(1, &name)).await;
        assert!(r.expect("checkin").applied);
        devices.push(dev);
    }
    for (id, _) in &devices {
        let (_, d) = app.get(&format!("/api/v1/devices/{id}")).await;
        assert_ne!(d["compliance_state"], "noncompliant", "no policy yet: {d}");
    }
    let send = |i: usize| {
        let (agent, (id, secret)) = (app.agent.clone(), devices[i].clone());
        let req = infected(2, &format!("elsewhere-{i:02}"));
        tokio::spawn(async move {
            let r = agent.checkin(&id, &secret, &req).await.expect("checkin");
            assert!(r.applied);
        })
    };
    // On PostgreSQL the first device's row is held locked, so the batch of its check-in
    // reads the versions before the change and then waits, while the other check-ins queue
    // behind it: they are written together, by the first batch that reads the versions after
    // the change. On SQLite every batch reads them before it writes anything.
    let mut lock = any_connection(app.db_url()).await;
    let pg = app.db_url().starts_with("postgres");
    let mut tasks = Vec::new();
    if pg {
        sqlx::query("BEGIN")
            .execute(&mut lock)
            .await
            .expect("begin");
        sqlx::query("SELECT id FROM devices WHERE id = $1 FOR UPDATE")
            .bind(&devices[0].0)
            .execute(&mut lock)
            .await
            .expect("lock");
        tasks.push(send(0));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while app
            .sql_text(
                "SELECT CAST(pid AS TEXT) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .await
            .is_none()
        {
            assert!(std::time::Instant::now() < deadline, "no batch waits");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    // Another server's change, as it commits it, without a fleet job here to apply it.
    let mut conn = any_connection(app.db_url()).await;
    sqlx::query(
        "INSERT INTO policies (id, name, rules, grace_hours, device_groups, created_at, \
         updated_at) VALUES ('elsewhere', 'No threats', $1, 0, '', 0, 0)",
    )
    .bind(r#"[{"rule":"no_active_threats"}]"#)
    .execute(&mut conn)
    .await
    .expect("policy");
    sqlx::query("UPDATE config_versions SET version = version + 1 WHERE kind = 'policies'")
        .execute(&mut conn)
        .await
        .expect("version");
    let from = usize::from(pg);
    tasks.extend((from..devices.len()).map(send));
    if pg {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while app.metric("steward_write_queue_depth").await < devices.len() as f64 {
            assert!(
                std::time::Instant::now() < deadline,
                "the check-ins did not queue"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        sqlx::query("ROLLBACK")
            .execute(&mut lock)
            .await
            .expect("release");
    }
    for t in tasks {
        t.await.expect("task");
    }
    for (id, _) in &devices[from..] {
        let (_, d) = app.get(&format!("/api/v1/devices/{id}")).await;
        assert_eq!(d["compliance_state"], "noncompliant", "{d}");
    }
    app.shutdown().await;
}
