//! Fleet summaries, the health filter, the sweeper and hourly snapshots.

use serde_json::{json, Value};
use steward_core::time::{now_ms, to_rfc3339};
use steward_proto::{CreateEnrollmentToken, Platform, ProtectionStatus};

use crate::helpers::*;

const DAY: i64 = 86_400_000;

async fn fresh_app() -> TestApp {
    TestApp::spawn_with(|c| c.fleet.summary_max_age_secs = 0).await
}

async fn enrolled(app: &TestApp, token: &str, name: &str, platform: Platform) -> (String, String) {
    app.enroll(token, name, platform).await
}

async fn report(app: &TestApp, dev: &(String, String), seq: u64, p: Option<ProtectionStatus>) {
    report_protection(app, dev, seq, p).await
}

async fn device(app: &TestApp, id: &str) -> Value {
    let (s, d) = app.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(s, 200, "{d}");
    d
}

fn kinds(d: &Value) -> Vec<String> {
    d["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["kind"].as_str().unwrap_or(""),
                e["detail"]["to"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[tokio::test]
async fn the_summary_counts_the_fleet_by_health_compliance_platform_and_freshness() {
    let app = fresh_app().await;
    let token = app.enrollment_token(Default::default()).await;
    let off = ProtectionStatus {
        realtime_protection: Some(false),
        ..healthy_protection()
    };
    let mut infected = healthy_protection();
    infected.detections.push(eicar_left_in_place("/tmp/eicar"));
    let plan = [
        ("w1", Platform::Windows, Some(healthy_protection())),
        ("w2", Platform::Windows, Some(off.clone())),
        ("m1", Platform::Macos, Some(infected)),
        ("l1", Platform::Linux, Some(ProtectionStatus::default())),
        ("l2", Platform::Linux, None),
    ];
    let mut devs = Vec::new();
    for (name, platform, protection) in plan {
        let d = enrolled(&app, &token, name, platform).await;
        report(&app, &d, 1, protection).await;
        devs.push(d);
    }
    let (s, retired) = app
        .post_as(
            &format!("/api/v1/devices/{}/retire", devs[4].0),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{retired}");

    let (s, sum) = app.get("/api/v1/fleet/summary").await;
    assert_eq!(s, 200, "{sum}");
    assert_eq!(sum["total"], 4, "retired devices are not counted: {sum}");
    assert_eq!(
        sum["by_health"],
        json!({"protected": 1, "at_risk": 1, "active_threat": 1, "unprotected": 1, "unknown": 0})
    );
    assert_eq!(
        sum["by_platform"],
        json!({"windows": 2, "macos": 1, "linux": 1})
    );
    assert_eq!(
        sum["by_checkin"],
        json!({"last_24h": 4, "last_7d": 0, "older": 0})
    );
    assert_eq!(sum["by_compliance"]["not_evaluated"], 4);

    // The list filters by the same stored state.
    let (_, page) = app.get("/api/v1/devices?health=at_risk").await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(ids, [devs[1].0.as_str()]);
    assert_eq!(page["items"][0]["health_state"], "at_risk");
    let (s, bad) = app.get("/api/v1/devices?health=fine").await;
    assert_eq!((s, code(&bad)), (400, "invalid_query"));

    // A policy moves the compliance counts; fixing the device moves health and compliance.
    let (s, p) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &json!({"name": "Real-time on", "rules": [{"rule": "realtime_protection_required"}]}),
        )
        .await;
    assert_eq!(s, 202, "{p}");
    app.settled(&p).await;
    let (_, sum) = app.get("/api/v1/fleet/summary").await;
    assert_eq!(sum["by_compliance"]["compliant"], 2, "{sum}");
    assert_eq!(sum["by_compliance"]["noncompliant"], 1, "{sum}");
    assert_eq!(
        sum["by_compliance"]["error"], 1,
        "no engine: realtime unknown {sum}"
    );
    report(&app, &devs[1], 2, Some(healthy_protection())).await;
    let (_, sum) = app.get("/api/v1/fleet/summary").await;
    assert_eq!(sum["by_health"]["protected"], 2, "{sum}");
    assert_eq!(sum["by_compliance"]["compliant"], 3, "{sum}");
    let history = kinds(&device(&app, &devs[1].0).await);
    assert!(
        history.contains(&"health_changed:protected".to_string()),
        "{history:?}"
    );
    assert!(
        history.contains(&"compliance_evaluated:compliant".to_string()),
        "{history:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_sweeper_ages_signatures_ends_grace_and_notices_silent_devices() {
    let app = fresh_app().await;
    let token = app.enrollment_token(Default::default()).await;
    let now = now_ms();
    let ageing = ProtectionStatus {
        signature_updated_at: Some(to_rfc3339(now - 13 * DAY)),
        ..healthy_protection()
    };
    let a = enrolled(&app, &token, "ageing", Platform::Linux).await;
    report(&app, &a, 1, Some(ageing)).await;
    let b = enrolled(&app, &token, "steady", Platform::Linux).await;
    report(&app, &b, 1, Some(healthy_protection())).await;
    let (s, p) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &json!({"name": "Fresh", "grace_hours": 24, "rules": [
                {"rule": "signatures_max_age_days", "days": 14},
                {"rule": "checked_in_within_days", "days": 3}]}),
        )
        .await;
    assert_eq!(s, 202, "{p}");
    app.settled(&p).await;
    assert_eq!(device(&app, &a.0).await["health_state"], "protected");
    assert_eq!(device(&app, &a.0).await["compliance_state"], "compliant");

    // Nothing is due yet: a sweep now changes nothing.
    app.store.sweep(now_ms()).await.expect("sweep");
    assert_eq!(device(&app, &a.0).await["compliance_state"], "compliant");

    // Two days on, the signatures are 15 days old: at risk, and failing in grace.
    app.store.sweep(now + 2 * DAY).await.expect("sweep");
    let d = device(&app, &a.0).await;
    assert_eq!(d["health_state"], "at_risk", "{d}");
    assert_eq!(d["compliance_state"], "in_grace", "{d}");
    assert_eq!(device(&app, &b.0).await["compliance_state"], "compliant");
    // A day later the grace period is over.
    app.store
        .sweep(now + 3 * DAY + 3_600_000)
        .await
        .expect("sweep");
    assert_eq!(device(&app, &a.0).await["compliance_state"], "noncompliant");
    // Both stopped checking in three days ago: the steady one fails the check-in rule.
    let d = device(&app, &b.0).await;
    assert_eq!(d["compliance_state"], "in_grace", "{d}");
    let history = kinds(&device(&app, &a.0).await);
    for want in [
        "health_changed:at_risk",
        "compliance_evaluated:in_grace",
        "compliance_evaluated:noncompliant",
    ] {
        assert!(history.contains(&want.to_string()), "{want}: {history:?}");
    }

    // The silent device checks in with nothing new (the cheap path); the next sweep
    // clears the check-in rule.
    let unchanged = {
        let mut req = checkin(2, &format!("host-{}", steward_proto::text::clip(&b.0, 8)));
        req.protection = Some(healthy_protection());
        req
    };
    // Same protection facts as before except timestamps: send exactly the stored ones.
    let stored: ProtectionStatus =
        serde_json::from_value(device(&app, &b.0).await["protection"].clone()).expect("protection");
    let req = steward_proto::CheckinRequest {
        protection: Some(stored),
        ..unchanged
    };
    assert!(
        app.agent
            .checkin(&b.0, &b.1, &req)
            .await
            .expect("checkin")
            .applied
    );
    app.device_at(&b.0, 2).await;
    app.store.sweep(now_ms()).await.expect("sweep");
    assert_eq!(device(&app, &b.0).await["compliance_state"], "compliant");
    app.shutdown().await;
}

#[tokio::test]
async fn hourly_snapshots_feed_the_history_within_the_callers_groups() {
    let app = fresh_app().await;
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
    for (token, name) in [(&paris, "p1"), (&paris, "p2"), (&london, "l1")] {
        let d = enrolled(&app, token, name, Platform::Windows).await;
        report(&app, &d, 1, Some(healthy_protection())).await;
    }
    let now = now_ms();
    let counts = app.store.fleet_counts(now).await.expect("counts");
    assert!(app
        .store
        .snapshot_fleet(&counts, now)
        .await
        .expect("snapshot"));
    assert!(
        !app.store
            .snapshot_fleet(&counts, now)
            .await
            .expect("snapshot"),
        "one snapshot per hour"
    );
    let (s, h) = app
        .get("/api/v1/fleet/history?dimension=health&days=1")
        .await;
    assert_eq!(s, 200, "{h}");
    let last = h["points"]
        .as_array()
        .and_then(|p| p.last())
        .cloned()
        .expect("a point");
    assert_eq!(last["counts"]["protected"], 3, "{h}");

    for bad in ["dimension=colour", "dimension=health&days=401", "days=3"] {
        let (s, b) = app.get(&format!("/api/v1/fleet/history?{bad}")).await;
        assert_eq!((s, code(&b)), (400, "invalid_query"), "{bad}");
    }
    // Parameters the endpoint does not know are ignored, as HTTP clients expect.
    let (s, _) = app.get("/api/v1/fleet/history?dimension=health&x=1").await;
    assert_eq!(s, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_pass_promtool_and_count_the_fleet_and_the_process() {
    let app = TestApp::spawn().await;
    let token = app.enrollment_token(Default::default()).await;
    for (i, platform) in [Platform::Linux, Platform::Linux, Platform::Windows]
        .into_iter()
        .enumerate()
    {
        let dev = app.enroll(&token, &format!("m-{i}"), platform).await;
        report_protection(&app, &dev, 1, Some(healthy_protection())).await;
    }
    let get = |accept: &'static str| {
        let app = &app;
        async move {
            let r = app
                .http
                .get(format!("{}/metrics", app.base))
                .header("accept", accept)
                .send()
                .await
                .expect("metrics");
            let kind = r.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .to_string();
            (kind, r.text().await.expect("text"))
        }
    };
    let (kind, text) = get("*/*").await;
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    // Every family has its help and type under the name its samples carry.
    assert!(text.contains("# HELP steward_checkins_total "), "{text}");
    assert!(text.contains("# TYPE steward_checkins_total counter"));
    assert!(!text.contains("# EOF"));
    for line in [
        "steward_fleet_devices{dimension=\"platform\",value=\"linux\"} 2",
        "steward_fleet_devices{dimension=\"platform\",value=\"windows\"} 1",
        "steward_fleet_devices{dimension=\"health\",value=\"protected\"} 3",
        "steward_open_alerts{severity=\"critical\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    for name in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_start_time_seconds ",
    ] {
        let value: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in\n{text}"));
        assert!(value > 0.0, "{name}{value}");
    }
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus)");
    {
        use std::io::Write;
        let mut stdin = promtool.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("write");
    }
    let out = promtool.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A scraper asking for OpenMetrics gets it, with one `# EOF` at the end.
    let (kind, open) = get("application/openmetrics-text;version=1.0.0,text/plain;q=0.5").await;
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    assert!(open.ends_with("# EOF\n") && open.matches("# EOF").count() == 1);
    assert!(open.contains("# TYPE steward_checkins counter"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_policy_change_answers_at_once_and_its_job_counts_every_device_once_even_beside_another_runner(
) {
    let app = fresh_app().await;
    let token = app.enrollment_token(Default::default()).await;
    let mut devices = Vec::new();
    for i in 0..7 {
        let d = enrolled(&app, &token, &format!("pc-{i}"), Platform::Linux).await;
        report(&app, &d, 1, Some(healthy_protection())).await;
        devices.push(d.0);
    }
    let (s, a) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &json!({"name": "Protected", "rules": [{"rule": "protection_required"}]}),
        )
        .await;
    assert_eq!(s, 202, "{a}");
    assert!(
        ["queued", "running", "done"].contains(&a["job"]["state"].as_str().expect("state")),
        "{a}"
    );
    // A second runner (a server that believes it holds the job) takes batches of the same
    // job at the same time: the cursor moves once per batch, whoever runs it.
    let mut job = app
        .store
        .fleet_job(a["job"]["id"].as_str().expect("job"))
        .await
        .expect("job");
    app.store
        .start_fleet_job(&mut job, now_ms())
        .await
        .expect("start");
    loop {
        let step = app
            .store
            .reevaluate_step(&mut job, now_ms(), 2)
            .await
            .expect("step");
        if !matches!(step, steward_store::jobs::Step::Advanced { .. }) {
            break;
        }
    }
    app.settled(&a).await;
    let (_, done) = app
        .get(&format!(
            "/api/v1/fleet-jobs/{}",
            a["job"]["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(
        (
            done["state"].as_str(),
            done["done"].as_u64(),
            done["total"].as_u64()
        ),
        (Some("done"), Some(7), Some(7)),
        "{done}"
    );
    for id in &devices {
        assert_eq!(device(&app, id).await["compliance_state"], "compliant");
    }

    // A change made while an older job is open covers it: the older one ends as superseded
    // (or had finished already), the newer one evaluates every device against both.
    let (s, b) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &json!({"name": "Firewall", "rules": [{"rule": "firewall_required"}]}),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    let (s, c) = app
        .raw_put(
            &format!("/api/v1/policies/{}", b["id"].as_str().expect("id")),
            &json!({"name": "Firewall", "rules": [{"rule": "firewall_required"}], "grace_hours": 0}),
        )
        .await;
    assert_eq!(s, 202, "{c}");
    app.settled(&c).await;
    let (_, first) = app
        .get(&format!(
            "/api/v1/fleet-jobs/{}",
            b["job"]["id"].as_str().expect("id")
        ))
        .await;
    match first["state"].as_str() {
        Some("superseded") => assert_eq!(first["superseded_by"], c["job"]["id"], "{first}"),
        Some("done") => {}
        other => panic!("the first job is {other:?}: {first}"),
    }
    for id in &devices {
        let d = device(&app, id).await;
        // No firewall reported: the new rule is unknown, the device in error.
        assert_eq!(d["compliance_state"], "error", "{d}");
        assert_eq!(
            d["compliance_results"].as_array().map(Vec::len),
            Some(2),
            "{d}"
        );
    }
    let (_, list) = app.get("/api/v1/fleet-jobs").await;
    let listed: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|j| j["id"].as_str())
        .collect();
    assert_eq!(
        listed.first().copied(),
        c["job"]["id"].as_str(),
        "newest first: {list}"
    );
    assert_eq!(listed.len(), 3, "{list}");
    // The help desk may follow a job; it cannot start one.
    let helpdesk = app.token_with_role(steward_core::Role::Helpdesk).await;
    let (s, _) = app.get_as("/api/v1/fleet-jobs", &helpdesk).await;
    assert_eq!(s, 200);
    app.shutdown().await;
}

/// A server that starts serves the counts saved last (by any server), at once and with their
/// time; when they are older than the configured age it counts again in the background and
/// saves what it found. A save never replaces counts taken later.
#[tokio::test]
async fn a_starting_server_serves_the_saved_counts_at_once_then_counts_again_and_saves() {
    use steward_store::fleet::{FleetCount, Freshness};
    let db = TestDb::new().await;
    let store = steward_store::Store::open(&db.url).await.expect("open");
    let at = now_ms() - 5_000;
    // Counts no recount of this (empty) fleet would give: seven Paris devices.
    let saved = vec![FleetCount {
        group: Some("paris".into()),
        platform: "windows".into(),
        health: "healthy".into(),
        compliance: "compliant".into(),
        freshness: Freshness::Day,
        count: 7,
    }];
    store.save_fleet_counts(at, &saved).await.expect("save");
    // An earlier count does not replace a later one.
    store.save_fleet_counts(at - 1, &[]).await.expect("save");
    assert_eq!(
        store.saved_fleet_counts().await.expect("read"),
        Some((at, saved.clone()))
    );
    drop(store);
    let tweak = |c: &mut steward_server::Config| c.fleet.summary_max_age_secs = 60;
    let app = TestApp::spawn_on(db, tweak, steward_server::clock::Clock::manual(now_ms())).await;
    let (s, sum) = app.get("/api/v1/fleet/summary").await;
    assert_eq!(s, 200, "{sum}");
    assert_eq!(sum["total"], 7, "the saved counts, served at once: {sum}");
    assert_eq!(sum["as_of"], to_rfc3339(at), "{sum}");
    assert_eq!(sum["by_health"]["healthy"], 7, "{sum}");
    let db = app.stop_keeping_db().await;

    // Started again later, when they are older than the configured age: they are still
    // served at first, while a recount runs behind them and is saved for the next start.
    let later = steward_server::clock::Clock::manual(now_ms() + 61_000);
    let app = TestApp::spawn_on(db, tweak, later).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, sum) = app.get("/api/v1/fleet/summary").await;
        let saved = app.store.saved_fleet_counts().await.expect("read");
        if sum["total"] == 0 && saved.as_ref().is_some_and(|(t, _)| *t > at) {
            break;
        }
        assert!(
            [0, 7].contains(&sum["total"].as_u64().unwrap_or(99)),
            "{sum}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "no recount replaced the saved counts: {sum} {saved:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, counts) = app
        .store
        .saved_fleet_counts()
        .await
        .expect("read")
        .expect("saved");
    assert!(counts.is_empty(), "{counts:?}");
    app.shutdown().await;
}

/// On a database never counted, the first summary waits for a count; that count is saved, so
/// the next start serves it at once instead of counting in a request again.
#[tokio::test]
async fn the_first_count_a_request_waited_for_is_saved_for_the_next_start() {
    let db = TestDb::new().await;
    let tweak = |c: &mut steward_server::Config| c.fleet.summary_max_age_secs = 3_600;
    let app = TestApp::spawn_on(db, tweak, steward_server::clock::Clock::manual(now_ms())).await;
    assert_eq!(app.store.saved_fleet_counts().await.expect("read"), None);
    let token = app.enrollment_token(Default::default()).await;
    enrolled(&app, &token, "first-count", Platform::Windows).await;
    let (s, sum) = app.get("/api/v1/fleet/summary").await;
    assert_eq!(s, 200, "{sum}");
    assert_eq!(sum["total"], 1, "{sum}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let saved = loop {
        if let Some(saved) = app.store.saved_fleet_counts().await.expect("read") {
            break saved;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the count was not saved"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(saved.1.iter().map(|c| c.count).sum::<u64>(), 1, "{saved:?}");
    let db = app.stop_keeping_db().await;
    // Started again: the saved count, with its time, though a second device enrolled since
    // (fresh within the configured age, so no recount replaces it yet).
    let app = TestApp::spawn_on(db, tweak, steward_server::clock::Clock::manual(now_ms())).await;
    let token = app.enrollment_token(Default::default()).await;
    enrolled(&app, &token, "second", Platform::Windows).await;
    let (_, again) = app.get("/api/v1/fleet/summary").await;
    assert_eq!(again["total"], 1, "the saved count, not a new one: {again}");
    assert_eq!(again["as_of"], sum["as_of"], "{again}");
    app.shutdown().await;
}

/// A re-evaluation that supersedes an open one starts where that one stood and goes round the
/// device ids back to it: each device once, the ones the older job had not reached first.
#[tokio::test]
async fn a_superseding_job_starts_where_the_older_stood_and_goes_round_every_device_once() {
    use steward_store::jobs::Step;
    let db = TestDb::new().await;
    let store = steward_store::Store::open(&db.url).await.expect("open");
    let now = now_ms();
    let devices = debian_devices(10, now);
    store.seed_devices(&devices).await.expect("seed");
    let mut ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    ids.sort_unstable();
    let policy = |name: &str| steward_core::compliance::Policy {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.into(),
        rules: vec![],
        grace_hours: 0,
        groups: vec![],
    };
    let actor = steward_store::audit::Actor::cli();
    let (_, first) = store
        .put_policy(&policy("a"), now, &actor)
        .await
        .expect("put");
    let mut first = store.fleet_job(&first.id).await.expect("job");
    store.start_fleet_job(&mut first, now).await.expect("start");
    // Two batches a second apart save the job's row after each; a third within the same
    // second moves on without saving it.
    let every = steward_store::jobs::SAVE_EVERY_MS;
    for at in [now, now + every, now + every] {
        let step = store
            .reevaluate_step(&mut first, at, 3)
            .await
            .expect("step");
        assert!(matches!(step, Step::Advanced { n: 3, .. }), "{step:?}");
    }
    assert_eq!((first.cursor.as_str(), first.done), (ids[8], 9));
    let saved = store.fleet_job(&first.id).await.expect("job");
    assert_eq!((saved.cursor.as_str(), saved.done), (ids[5], 6));
    let (_, second) = store
        .put_policy(&policy("b"), now, &actor)
        .await
        .expect("put");
    // The older one is closed: its runner leaves it.
    assert_eq!(
        store
            .reevaluate_step(&mut first, now, 3)
            .await
            .expect("step"),
        Step::Gone
    );
    let mut job = store.fleet_job(&second.id).await.expect("job");
    assert_eq!(job.begin, ids[5]);
    store.start_fleet_job(&mut job, now).await.expect("start");
    let mut cursors = Vec::new();
    loop {
        match store.reevaluate_step(&mut job, now, 3).await.expect("step") {
            Step::Advanced { .. } => cursors.push(job.cursor.clone()),
            Step::Finished => break,
            Step::Gone => panic!("the job was left"),
        }
    }
    // ids 6..9, the turn, then ids 0..5.
    assert_eq!(
        cursors,
        [ids[8], ids[9], "", ids[2], ids[5]],
        "{cursors:?} in {ids:?}"
    );
    let done = store.fleet_job(&second.id).await.expect("job");
    assert_eq!(
        (done.state.as_str(), done.done, done.total),
        ("done", 10, Some(10))
    );
}

/// A touch moves a device's sequence number and evaluates nothing, so a job's write skips a
/// device touched between its read and its write. The job reads such devices again; those
/// still moving are left due for the sweep. Either way no device keeps the evaluation of the
/// configuration before the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_touched_under_a_jobs_batch_are_evaluated_against_the_change() {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use steward_store::jobs::Step;
    let db = TestDb::new().await;
    let store = steward_store::Store::open(&db.url).await.expect("open");
    let now = now_ms();
    let devices = debian_devices(60, now);
    store.seed_devices(&devices).await.expect("seed");

    // Touches, as fast as the database takes them, until the job is done.
    let stop = Arc::new(AtomicBool::new(false));
    let touches = Arc::new(AtomicU64::new(0));
    // On PostgreSQL the rows are locked in id order, as the server's own writers lock them.
    let bump = "UPDATE devices SET seq = seq + 1";
    let bump_pg = "UPDATE devices SET seq = seq + 1 \
                   WHERE id IN (SELECT id FROM devices ORDER BY id FOR UPDATE)";
    let toucher = {
        let (stop, touches, url) = (stop.clone(), touches.clone(), db.url.clone());
        tokio::spawn(async move {
            if url.starts_with("postgres") {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
                while !stop.load(Ordering::Relaxed) {
                    sqlx::Executor::execute(&mut c, bump_pg)
                        .await
                        .expect("touch");
                    touches.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            } else {
                let mut c = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("connect");
                while !stop.load(Ordering::Relaxed) {
                    sqlx::Executor::execute(&mut c, bump).await.expect("touch");
                    touches.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    while touches.load(Ordering::Relaxed) == 0 {
        tokio::task::yield_now().await;
    }
    let mut job = policy_job(&store, &linux_at_least("Recent", "999"), now).await;
    let before = touches.load(Ordering::Relaxed);
    loop {
        // The fleet is touched again before each batch, however busy the machine.
        let seen = touches.load(Ordering::Relaxed);
        tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while touches.load(Ordering::Relaxed) == seen {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("the toucher went on touching");
        match store
            .reevaluate_step(&mut job, now_ms(), 7)
            .await
            .expect("step")
        {
            Step::Advanced { .. } => {}
            Step::Finished => break,
            Step::Gone => panic!("the job was left"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    let during = touches.load(Ordering::Relaxed) - before;
    toucher.await.expect("toucher");
    store.sweep(now_ms()).await.expect("sweep");
    for d in &devices {
        let detail = store.device(&d.id, 0).await.expect("device");
        assert_eq!(
            detail.summary.compliance_state, "noncompliant",
            "{} after {during} touches during the job",
            d.name
        );
    }
}

/// A pass over every device reads its next batch while it writes the one before. A device
/// that checks in between that read and the batch's write (its facts and sequence number
/// move) is not written with the evaluation read ahead: the write's compare-and-set skips
/// it, and it is read and evaluated again from what it now reports.
#[tokio::test]
async fn a_device_that_checks_in_after_its_batch_was_read_ahead_is_evaluated_from_what_it_reports()
{
    use steward_store::jobs::Step;
    let (db, store, ids, mut job, now) = read_ahead_job(6).await;
    // The fourth device (second of the batch read ahead) reports an older release, as a
    // check-in writes it: its facts and sequence number move.
    let moved = format!(
        "UPDATE devices SET os_version = '11', seq = seq + 1 WHERE id = '{}'",
        ids[3]
    );
    sqlx::Executor::execute(&mut any_connection(&db.url).await, moved.as_str())
        .await
        .expect("check-in");
    loop {
        match store.reevaluate_step(&mut job, now, 2).await.expect("step") {
            Step::Advanced { .. } => {}
            Step::Finished => break,
            Step::Gone => panic!("the job was left"),
        }
    }
    assert_eq!(job.done, 6);
    for id in &ids {
        let state = compliance_state(&store, id).await;
        let expected = if *id == ids[3] {
            "noncompliant"
        } else {
            "compliant"
        };
        assert_eq!(state, expected, "{id} of {ids:?}");
    }
}

/// A batch read ahead was evaluated with the policies held then: after a policy change
/// (through any server) it is read and evaluated again, never written as it was read.
#[tokio::test]
async fn a_batch_read_ahead_before_a_policy_change_is_evaluated_again() {
    use steward_store::jobs::Step;
    let (_db, store, ids, mut job, now) = read_ahead_job(4).await;
    // A stricter policy: the devices of the batch read ahead are noncompliant under it.
    store
        .put_policy(
            &linux_at_least("Trixie", "13"),
            now,
            &steward_store::audit::Actor::cli(),
        )
        .await
        .expect("put");
    // The older job writes its next batch before it finds itself superseded.
    let step = store.reevaluate_step(&mut job, now, 2).await.expect("step");
    assert_eq!(step, Step::Gone);
    for id in &ids[2..] {
        let state = compliance_state(&store, id).await;
        assert_eq!(state, "noncompliant", "{id} of {ids:?}");
    }
}

/// `n` devices seeded on a database of their own (their ids sorted), and the job of a policy
/// that passes them after its first batch of two, with the second read ahead.
async fn read_ahead_job(
    n: usize,
) -> (
    TestDb,
    steward_store::Store,
    Vec<String>,
    steward_store::jobs::FleetJob,
    i64,
) {
    let db = TestDb::new().await;
    let store = steward_store::Store::open(&db.url).await.expect("open");
    let now = now_ms();
    let devices = debian_devices(n, now);
    store.seed_devices(&devices).await.expect("seed");
    let mut ids: Vec<String> = devices.into_iter().map(|d| d.id).collect();
    ids.sort_unstable();
    let mut job = policy_job(&store, &linux_at_least("Bookworm", "12"), now).await;
    let step = store.reevaluate_step(&mut job, now, 2).await.expect("step");
    assert!(
        matches!(step, steward_store::jobs::Step::Advanced { n: 2, .. }),
        "{step:?}"
    );
    assert!(job.ahead.is_some(), "the second batch was read ahead");
    (db, store, ids, job, now)
}

/// A device's stored compliance state.
async fn compliance_state(store: &steward_store::Store, id: &str) -> String {
    let device = store.device(id, 0).await.expect("device");
    device.summary.compliance_state
}

/// A policy asking Linux devices for at least OS `version`, with no grace period.
fn linux_at_least(name: &str, version: &str) -> steward_core::compliance::Policy {
    steward_core::compliance::Policy {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.into(),
        rules: vec![steward_core::compliance::Rule::MinOsVersion {
            platform: Platform::Linux,
            version: version.into(),
        }],
        grace_hours: 0,
        groups: vec![],
    }
}

/// `policy` put through the store, and the job it queued, started by this runner.
async fn policy_job(
    store: &steward_store::Store,
    policy: &steward_core::compliance::Policy,
    now: i64,
) -> steward_store::jobs::FleetJob {
    let actor = steward_store::audit::Actor::cli();
    let (_, job) = store.put_policy(policy, now, &actor).await.expect("put");
    let mut job = store.fleet_job(&job.id).await.expect("job");
    store.start_fleet_job(&mut job, now).await.expect("start");
    job
}

/// The devices with a firing alert, sorted.
async fn firing_devices(app: &TestApp) -> Vec<String> {
    let (s, page) = app.get("/api/v1/alerts?state=firing").await;
    assert_eq!(s, 200, "{page}");
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|a| a["device_id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// The kind, total and count of the job a change answered with, once it ended.
async fn job_of(app: &TestApp, body: &Value) -> (String, Option<u64>, Option<u64>) {
    app.settled(body).await;
    let id = body["job"]["id"].as_str().unwrap_or("");
    let (s, j) = app.get(&format!("/api/v1/fleet-jobs/{id}")).await;
    assert_eq!(s, 200, "{j}");
    (
        j["kind"].as_str().unwrap_or("").to_string(),
        j["total"].as_u64(),
        j["done"].as_u64(),
    )
}

/// A new alert rule whose condition narrows is evaluated on the devices it can fire on, not
/// on the whole fleet; a change of it also on those it fired on, so those it no longer fires
/// on are resolved; a rule on a shorter age than health's goes over every device.
#[tokio::test]
async fn an_alert_rules_job_takes_the_devices_it_can_fire_on_and_those_it_fired_on() {
    let app = fresh_app().await;
    let token = app.enrollment_token(Default::default()).await;
    let mut infected = Vec::new();
    for (i, name) in ["pc-1", "pc-2"].iter().enumerate() {
        let dev = enrolled(&app, &token, name, Platform::Linux).await;
        let mut p = healthy_protection();
        p.detections
            .push(eicar_left_in_place(&format!("/tmp/eicar-{i}")));
        report(&app, &dev, 1, Some(p)).await;
        infected.push(dev.0);
    }
    let bare = enrolled(&app, &token, "pc-3", Platform::Linux).await;
    report(
        &app,
        &bare,
        1,
        Some(ProtectionStatus {
            engine: None,
            ..healthy_protection()
        }),
    )
    .await;
    for name in ["pc-4", "pc-5", "pc-6"] {
        let dev = enrolled(&app, &token, name, Platform::Linux).await;
        report(&app, &dev, 1, Some(healthy_protection())).await;
    }
    let threat =
        json!({"name": "Threat", "severity": "critical", "condition": {"type": "active_threat"}});
    let (s, created) = app
        .post_as("/api/v1/alert-rules", &app.admin_token, &threat)
        .await;
    assert_eq!(s, 202, "{created}");
    assert_eq!(created["job"]["kind"], "alert_rule");
    assert_eq!(
        job_of(&app, &created).await,
        ("alert_rule".into(), Some(2), Some(2))
    );
    let mut expected = infected.clone();
    expected.sort();
    assert_eq!(firing_devices(&app).await, expected, "the job raised them");

    // The same rule now on missing protection: the two it fired on, and the one it now
    // fires on.
    let id = created["id"].as_str().expect("id");
    let missing = json!({"name": "Threat", "severity": "critical", "condition": {"type": "protection_missing"}});
    let (s, changed) = app
        .raw_put(&format!("/api/v1/alert-rules/{id}"), &missing)
        .await;
    assert_eq!(s, 202, "{changed}");
    assert_eq!(
        job_of(&app, &changed).await,
        ("alert_rule".into(), Some(3), Some(3))
    );
    assert_eq!(firing_devices(&app).await, vec![bare.0.clone()]);

    // Turned off: only the device it fired on.
    let off = json!({"name": "Threat", "severity": "critical", "enabled": false,
                     "condition": {"type": "protection_missing"}});
    let (s, disabled) = app
        .raw_put(&format!("/api/v1/alert-rules/{id}"), &off)
        .await;
    assert_eq!(s, 202, "{disabled}");
    assert_eq!(
        job_of(&app, &disabled).await,
        ("alert_rule".into(), Some(1), Some(1))
    );
    assert!(firing_devices(&app).await.is_empty());

    // Signatures older than a week: health calls such devices protected, so every device.
    let week = json!({"name": "Week-old signatures", "severity": "warning",
                      "condition": {"type": "signatures_outdated", "days": 7}});
    let (s, every) = app
        .post_as("/api/v1/alert-rules", &app.admin_token, &week)
        .await;
    assert_eq!(s, 202, "{every}");
    assert_eq!(
        job_of(&app, &every).await,
        ("reevaluate".into(), Some(6), Some(6))
    );
    app.shutdown().await;
}

/// A rule deleted while its job is open ends the job: it has nothing left to evaluate.
#[tokio::test]
async fn deleting_an_alert_rule_ends_its_open_job() {
    let db = TestDb::new().await;
    let store = steward_store::Store::open(&db.url).await.expect("open");
    let now = now_ms();
    store
        .seed_devices(&debian_devices(5, now))
        .await
        .expect("seed");
    let actor = steward_store::audit::Actor::cli();
    let rule: steward_core::alerting::AlertRule = serde_json::from_value(json!({
        "id": "threats", "name": "Threat", "severity": "critical",
        "condition": {"type": "active_threat"}}))
    .expect("rule");
    let job = store.put_alert_rule(&rule, now, &actor).await.expect("put");
    assert_eq!(
        (
            job.kind.as_str(),
            store.fleet_job(&job.id).await.expect("job").state.as_str()
        ),
        ("alert_rule", "queued")
    );
    let deletion = store
        .delete_alert_rule("threats", now + 1, &actor)
        .await
        .expect("delete");
    let ended = store.fleet_job(&job.id).await.expect("job");
    assert_eq!(ended.state, "done", "{ended:?}");
    // What is left is resolving its alerts.
    let next = store.next_fleet_job().await.expect("next").expect("a job");
    assert_eq!(
        (next.id.as_str(), next.kind.as_str()),
        (deletion.id.as_str(), "rule_deleted")
    );
}

/// A rule's job whose one batch holds more devices than one statement writes, on a fleet
/// another rule of the kind already watches (only the rules firing on the devices move, so
/// on PostgreSQL each row is checked as the batch's lock found it, not read again), opens
/// one alert per device and stores each device's firing rules; with the rule turned off,
/// its job resolves every one of those alerts and forgets it: no device is left out or
/// written twice.
#[tokio::test]
async fn a_large_batch_opens_and_resolves_each_devices_alert_once() {
    use steward_store::jobs::Step;
    const N: usize = 1_100;
    let db = TestDb::new().await;
    let store = steward_store::Store::open(&db.url).await.expect("open");
    let now = now_ms();
    let mut devices = debian_devices(N, now);
    for d in &mut devices {
        d.last_seen_at = now - 96 * 3_600_000;
    }
    store.seed_devices(&devices).await.expect("seed");
    let actor = steward_store::audit::Actor::cli();
    let silent = |id: &str, hours: u32, enabled: bool| steward_core::alerting::AlertRule {
        id: id.into(),
        name: format!("Silent for {hours} hours"),
        condition: steward_core::alerting::Condition::NotCheckedIn { hours },
        severity: steward_core::alerting::Severity::Warning,
        groups: Vec::new(),
        enabled,
        notify: Default::default(),
    };
    let mut conn = any_connection(&db.url).await;
    let steps = [
        (silent("three-days", 72, true), 0),
        (silent("two-days", 48, true), N as i64),
        (silent("two-days", 48, false), 0),
    ];
    for (i, (rule, open)) in steps.into_iter().enumerate() {
        let job = store.put_alert_rule(&rule, now, &actor).await.expect("put");
        let mut job = store.fleet_job(&job.id).await.expect("job");
        store.start_fleet_job(&mut job, now).await.expect("start");
        loop {
            match store
                .reevaluate_step(&mut job, now, 2_000)
                .await
                .expect("step")
            {
                Step::Advanced { .. } => {}
                Step::Finished => break,
                Step::Gone => panic!("the job was left"),
            }
        }
        let (alerts, subjects): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT subject) FROM alerts \
             WHERE rule_id = 'two-days' AND state <> 'resolved'",
        )
        .fetch_one(&mut conn)
        .await
        .expect("alerts");
        assert_eq!(
            (alerts, subjects),
            (open, open),
            "open alerts after step {i}"
        );
        // Every device keeps the other rule firing, and this one as its alerts are.
        for (rule, firing) in [("three-days", N as i64), ("two-days", open)] {
            let stored: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM device_firing WHERE ',' || rules || ',' LIKE $1",
            )
            .bind(format!("%,{rule},%"))
            .fetch_one(&mut conn)
            .await
            .expect("firing");
            assert_eq!(stored, firing, "devices firing {rule} after step {i}");
        }
    }
    let (all, resolved): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), SUM(CASE WHEN state = 'resolved' THEN 1 ELSE 0 END) FROM alerts \
         WHERE rule_id = 'two-days'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("alerts");
    assert_eq!((all, resolved), (N as i64, N as i64));
}

/// What a fleet job on PostgreSQL paces itself by: the other sessions of the database running
/// a statement, every server's, but not the reads of the passes over the fleet, whose
/// connections carry the name that leaves them out.
#[tokio::test]
async fn a_job_counts_the_sessions_running_a_statement_but_not_the_passes_reads() {
    use sqlx::{ConnectOptions, Connection};
    let db = TestDb::new().await;
    let store = steward_store::Store::open(&db.url).await.expect("open");
    if !db.is_postgres() {
        // SQLite's writer counts its own use instead.
        assert_eq!(store.sessions_running().await.expect("look"), None);
        return;
    }
    assert_eq!(store.sessions_running().await.expect("look"), Some(0));
    // Two sessions kept running a statement until the watcher lets them: each waits for a
    // lock the watcher holds, then ends with its statement.
    let mut watcher = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query("SELECT pg_advisory_lock(7020)")
        .execute(&mut watcher)
        .await
        .expect("lock");
    let waiting = |app: &'static str| {
        let url = db.url.clone();
        tokio::spawn(async move {
            let opts: sqlx::postgres::PgConnectOptions = url.parse().expect("url");
            let mut conn = opts.application_name(app).connect().await.expect("connect");
            sqlx::query("SELECT pg_advisory_xact_lock(7020)")
                .execute(&mut conn)
                .await
                .expect("wait");
            conn.close().await.expect("close");
        })
    };
    let pass = waiting(steward_store::fleet::PASS_APPLICATION);
    let other = waiting("a check-in");
    let started = std::time::Instant::now();
    loop {
        let both: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND state = 'active' AND query LIKE 'SELECT pg_advisory_xact_lock%'",
        )
        .fetch_one(&mut watcher)
        .await
        .expect("watch");
        if both == 2 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "the sessions never ran together"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let seen = store.sessions_running().await.expect("look");
    sqlx::query("SELECT pg_advisory_unlock(7020)")
        .execute(&mut watcher)
        .await
        .expect("unlock");
    assert_eq!(seen, Some(1), "the other session only");
    pass.await.expect("pass");
    other.await.expect("other");
    assert_eq!(store.sessions_running().await.expect("look"), Some(0));
    // A pass over the fleet reads on connections named so.
    store
        .seed_devices(&debian_devices(3, now_ms()))
        .await
        .expect("seed");
    let mut job = policy_job(&store, &linux_at_least("Passes", "12"), now_ms()).await;
    store
        .reevaluate_step(&mut job, now_ms(), 2)
        .await
        .expect("step");
    let named: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = $1",
    )
    .bind(steward_store::fleet::PASS_APPLICATION)
    .fetch_one(&mut watcher)
    .await
    .expect("named");
    assert!(named >= 1, "no pass connection named {named}");
    store.close().await;
}
