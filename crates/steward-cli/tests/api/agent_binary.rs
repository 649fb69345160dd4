//! The real `steward-agent` binary enrolls this machine and checks in with its OS facts.

use std::path::PathBuf;
use tokio::process::Command;

use crate::helpers::*;

/// `steward-agent` is built beside `steward` (`cargo build --all-targets` or the test script).
pub fn agent_binary() -> PathBuf {
    let steward = PathBuf::from(env!("CARGO_BIN_EXE_steward"));
    let agent = steward.with_file_name("steward-agent");
    assert!(
        agent.exists(),
        "{} is missing: build the workspace first (cargo build --all-targets)",
        agent.display()
    );
    agent
}

/// A ClamAV database that knows `eicar` by its hash (no signature download is possible here).
pub(crate) async fn eicar_database(eicar: &std::path::Path, db: &std::path::Path) {
    let sig = Command::new("sigtool")
        .arg("--md5")
        .arg(eicar)
        .output()
        .await
        .expect("sigtool (from Debian's clamav package) must be installed");
    assert!(sig.status.success());
    std::fs::write(db.join("eicar.hdb"), &sig.stdout).expect("db");
}

/// Runs the agent, which must succeed; its standard output.
pub(crate) async fn run_agent(state: &std::path::Path, args: &[&str]) -> String {
    let (ok, out, err) = crate::agent_tls::agent(state, args).await;
    assert!(ok, "{args:?}: {err}");
    out
}

#[tokio::test]
async fn the_agent_enrolls_this_machine_and_reports_its_facts() {
    let app = TestApp::spawn().await;
    let token = app.enrollment_token(Default::default()).await;
    let state = tempfile::tempdir().expect("tempdir");
    let out = run_agent(
        state.path(),
        &[
            "enroll",
            "--server",
            &app.base,
            "--token",
            &token,
            "--owner",
            "ops@example.com",
        ],
    )
    .await;
    assert!(out.contains("Enrolled as device"), "{out}");
    let out = run_agent(state.path(), &["run", "--once"]).await;
    assert!(out.contains("sequence 1"), "{out}");

    let (_, page) = app.get("/api/v1/devices?q=ops%40example.com").await;
    let id = page["items"][0]["id"]
        .as_str()
        .expect("enrolled device")
        .to_string();
    let (_, dev) = app.get(&format!("/api/v1/devices/{id}")).await;
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("kernel");
    assert_eq!(dev["os"]["kernel"], kernel.trim());
    assert_eq!(dev["platform"], "linux");
    for fact in ["firewall_active", "disk_encrypted"] {
        let known = dev["compliance"][fact].is_boolean();
        let why = dev["compliance"]["unknown"][fact].is_string();
        assert!(
            known != why,
            "{fact}: a value or the reason it is unknown: {}",
            dev["compliance"]
        );
    }
    assert!(
        dev["inventory"]["cpu_count"].as_u64().unwrap_or(0) >= 1,
        "{dev}"
    );
    // System collectors: a value or the reason it is unknown, never a guess.
    let inv = &dev["inventory"];
    assert!(inv["boot_time"].is_string(), "{inv}");
    assert!(inv["disks"].is_array(), "{inv}");
    for key in ["logged_in_users", "pending_updates"] {
        let v = &inv[key];
        assert!(
            v.is_array() || v["count"].is_u64() || v["unknown"].is_string(),
            "{key}: {v}"
        );
    }
    assert_eq!(dev["seq"], 1);

    // A second run reports the same machine: the cheap path, no new history.
    let history = dev["history"].as_array().map(Vec::len);
    run_agent(state.path(), &["run", "--once"]).await;
    let dev = app.device_at(&id, 2).await;
    assert_eq!(dev["seq"], 2);
    assert_eq!(dev["history"].as_array().map(Vec::len), history);

    // A rotated secret is picked up and used from the next run on.
    let old_state = std::fs::read_to_string(state.path().join("state.json")).expect("state");
    let (s, _) = app
        .post_as(
            &format!("/api/v1/devices/{id}/rotate-secret"),
            &app.admin_token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 202);
    run_agent(state.path(), &["run", "--once"]).await;
    let new_state = std::fs::read_to_string(state.path().join("state.json")).expect("state");
    let secret = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text).expect("json")["secret"].clone()
    };
    assert_ne!(
        secret(&old_state),
        secret(&new_state),
        "the agent stored the new secret"
    );
    run_agent(state.path(), &["run", "--once"]).await;
    let dev = app.device_at(&id, 4).await;
    assert_eq!(dev["seq"], 4);
    assert_eq!(dev["history"][0]["kind"], "secret_rotated");

    let status = run_agent(state.path(), &["status", "--json"]).await;
    let status: serde_json::Value = serde_json::from_str(&status).expect("json");
    assert_eq!(status["enrolled"], id.as_str());

    // An announcement to Linux owners: the agent gets it with its next check-in, lists it,
    // and the server hears it was received and then read.
    let out = run_agent(state.path(), &["messages"]).await;
    assert!(out.contains("No messages"), "{out}");
    let (s, _) = app
        .post_as(
            "/api/v1/announcements",
            &app.admin_token,
            &serde_json::json!({"title": {"en": "VPN maintenance tonight"},
                                "body": {"en": "Expect a short outage at 22:00."},
                                "platforms": [{"platform": "linux"}]}),
        )
        .await;
    assert_eq!(s, 201);
    run_agent(state.path(), &["run", "--once"]).await;
    let shown = run_agent(state.path(), &["messages", "--json"]).await;
    let shown: serde_json::Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(shown[0]["title"], "VPN maintenance tonight");
    assert_eq!(shown[0]["body"], "Expect a short outage at 22:00.");
    run_agent(state.path(), &["run", "--once"]).await;
    let (_, list) = app.get("/api/v1/announcements").await;
    let reach = &list["items"][0]["reach"];
    assert_eq!(
        (reach["delivered"].as_u64(), reach["read"].as_u64()),
        (Some(1), Some(1)),
        "{reach}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_agent_reads_its_config_file_and_refuses_a_broken_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("from-file");
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = {:?}\nupdates_check_secs = 7200\n",
            state.display().to_string()
        ),
    )
    .expect("write");
    let run = |args: Vec<String>| async move {
        Command::new(agent_binary())
            .args(args)
            .env("STEWARD_LANG", "en")
            .output()
            .await
            .expect("run steward-agent")
    };
    let cfg = config.display().to_string();
    let out = run(vec![
        "--config".into(),
        cfg.clone(),
        "status".into(),
        "--json".into(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        state.join("updates.json").exists(),
        "the state directory came from the file"
    );
    let text = run(vec!["--config".into(), cfg.clone(), "status".into()]).await;
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    for label in [
        "Operating system",
        "Endpoint protection",
        "Pending updates",
        "Free disk space",
    ] {
        assert!(text.contains(label), "{label}: {text}");
    }

    std::fs::write(&config, "state_dir = 3\nsurprise = true\n").expect("write");
    let out = run(vec!["--config".into(), cfg, "status".into()]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("agent.toml"), "names the file: {err}");
    let missing = run(vec![
        "--config".into(),
        "/nonexistent/agent.toml".into(),
        "status".into(),
    ])
    .await;
    assert!(!missing.status.success(), "a named file must exist");
}

#[tokio::test]
async fn the_agent_says_when_the_server_is_unreachable() {
    let state = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = Command::new(agent_binary())
        .arg("--state-dir")
        .arg(state.path())
        .args([
            "enroll",
            "--server",
            &format!("http://127.0.0.1:{port}"),
            "--token",
            "stwe_x",
        ])
        .env("STEWARD_LANG", "en")
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Could not reach the server"), "{err}");
}

#[tokio::test]
async fn snapshots_taken_while_the_server_is_down_arrive_in_order_once() {
    let db = TestDb::new().await;
    let enroll_token = cli(&db, &["enroll-token", "create"]);
    let api_token = cli(&db, &["token", "create", "--role", "helpdesk"]);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let state = tempfile::tempdir().expect("tempdir");
    {
        let _server = start(&db, port).await;
        run_agent(
            state.path(),
            &["enroll", "--server", &base, "--token", &enroll_token],
        )
        .await;
    }
    // The server is gone; the agent keeps collecting into its queue.
    let mut agent = Command::new(agent_binary())
        .arg("--state-dir")
        .arg(state.path())
        .args(["run", "--interval", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("agent");
    let queue = state.path().join("queue");
    let queued = || std::fs::read_dir(&queue).map(|d| d.count()).unwrap_or(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while queued() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the agent queued nothing"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let server = start(&db, port).await;
    while queued() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the queue was never delivered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    agent.kill().await.expect("stop the agent");

    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let token = api_token.clone();
        let url = format!("{base}{path}");
        async move {
            let resp = http.get(url).bearer_auth(token).send().await.expect("get");
            resp.text().await.expect("text")
        }
    };
    let page: serde_json::Value =
        serde_json::from_str(&get("/api/v1/devices".into()).await).expect("json");
    let id = page["items"][0]["id"].as_str().expect("device").to_string();
    let count = |metrics: &str, label: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(&format!("steward_checkins_total{{result=\"{label}\"}}")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    // Every snapshot 1..=seq was applied exactly once, none arrived after a newer one (the
    // last unchanged ones are written within `checkin.touch_flush_ms` of their answer).
    let (dev, metrics) = loop {
        let metrics = get("/metrics".into()).await;
        let dev: serde_json::Value =
            serde_json::from_str(&get(format!("/api/v1/devices/{id}")).await).expect("json");
        let applied = count(&metrics, "changed") + count(&metrics, "unchanged");
        if dev["seq"].as_f64() == Some(applied) || std::time::Instant::now() >= deadline {
            break (dev, metrics);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let delivered = dev["seq"].as_u64().expect("seq");
    assert!(delivered >= 3, "{dev}");
    assert_eq!(count(&metrics, "stale"), 0.0, "out of order or repeated");
    assert_eq!(
        count(&metrics, "changed") + count(&metrics, "unchanged"),
        delivered as f64,
        "{metrics}"
    );
    // The agent was killed at an arbitrary point of its loop. What it still holds follows on
    // from what arrived, without a gap: the queue may keep the snapshot the server applied
    // just before the kill (not yet removed), and the saved state may be one behind the last
    // snapshot queued (killed between the two; the next snapshot takes that number again).
    let mut seqs: Vec<u64> = std::fs::read_dir(&queue)
        .expect("queue")
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str()?.parse().ok())
        .collect();
    seqs.sort_unstable();
    let ahead: Vec<u64> = seqs.iter().copied().filter(|s| *s > delivered).collect();
    assert!(
        seqs.iter().all(|s| *s >= delivered),
        "an older snapshot stayed queued: {seqs:?} after {delivered}"
    );
    assert_eq!(
        ahead,
        (delivered + 1..=delivered + ahead.len() as u64).collect::<Vec<_>>(),
        "the queue follows on from what arrived"
    );
    let last = delivered + ahead.len() as u64;
    let state_file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state.path().join("state.json")).expect("state"),
    )
    .expect("json");
    let saved = state_file["seq"].as_u64().expect("seq");
    assert!(
        saved == last || saved + 1 == last && !ahead.is_empty(),
        "saved state {saved}, last snapshot {last}"
    );
    let kinds: Vec<&str> = dev["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "inventory_changed").count(),
        1,
        "no duplicates: {kinds:?}"
    );
    drop(server);
}

/// The EICAR test string, in two pieces so this source file is no test file itself.
pub(crate) const EICAR: &str = concat!(
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
    "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
);

#[tokio::test]
async fn clamav_finds_eicar_and_the_device_shows_then_clears_the_threat() {
    let app = TestApp::spawn().await;
    let token = app.enrollment_token(Default::default()).await;
    let state = tempfile::tempdir().expect("state");
    let db = tempfile::tempdir().expect("db");
    let files = tempfile::tempdir().expect("files");
    let eicar = files.path().join("eicar.com");
    std::fs::write(&eicar, EICAR).expect("eicar");
    eicar_database(&eicar, db.path()).await;
    let db_arg = db.path().display().to_string();
    let files_arg = files.path().display().to_string();
    let (s, b) = app
        .post_as(
            "/api/v1/policies",
            &app.admin_token,
            &serde_json::json!({"name": "No active threats", "rules": [{"rule": "no_active_threats"}]}),
        )
        .await;
    assert_eq!(s, 202);
    app.settled(&b).await;
    let st = state.path();
    run_agent(
        st,
        &[
            "--clamav-db",
            &db_arg,
            "enroll",
            "--server",
            &app.base,
            "--token",
            &token,
        ],
    )
    .await;
    let out = run_agent(st, &["--clamav-db", &db_arg, "scan", "--path", &files_arg]).await;
    assert!(out.contains("1 threat found:"), "{out}");
    run_agent(st, &["--clamav-db", &db_arg, "run", "--once"]).await;
    let (_, page) = app.get("/api/v1/devices").await;
    let id = page["items"][0]["id"].as_str().expect("device").to_string();
    let (_, dev) = app.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(
        dev["health"]["state"], "active_threat",
        "{}",
        dev["protection"]
    );
    assert_eq!(dev["protection"]["engine"], "ClamAV");
    assert_eq!(dev["protection"]["threat_state"], "active_threat");
    assert_eq!(
        dev["protection"]["detections"][0]["path"],
        eicar.display().to_string()
    );
    assert_eq!(
        dev["protection"]["detections"][0]["action"],
        "left_in_place"
    );
    assert_eq!(dev["protection"]["signature_version"], "local (1 files)");
    assert!(dev["protection"]["engine_version"].is_string());

    std::fs::remove_file(&eicar).expect("remove");
    let out = run_agent(st, &["--clamav-db", &db_arg, "scan", "--path", &files_arg]).await;
    assert!(out.contains("no threats found"), "{out}");
    run_agent(st, &["--clamav-db", &db_arg, "run", "--once"]).await;
    let (_, dev) = app.get(&format!("/api/v1/devices/{id}")).await;
    assert_ne!(dev["health"]["state"], "active_threat", "{}", dev["health"]);
    assert_eq!(dev["protection"]["threat_state"], "clean");
    assert_eq!(
        dev["compliance_state"], "compliant",
        "compliant again after a clean scan"
    );
    assert_eq!(dev["protection"]["detections"], serde_json::json!([]));
    let changes = dev["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "protection_changed")
        .count();
    assert_eq!(changes, 2, "threat found, then cleared");
    app.shutdown().await;
}

#[tokio::test]
async fn the_agent_answers_the_help_desks_check_in_and_full_scan_requests() {
    let app = TestApp::spawn().await;
    let desk = app.token_with_role(steward_core::Role::Helpdesk).await;
    let token = app.enrollment_token(Default::default()).await;
    let state = tempfile::tempdir().expect("state");
    let db = tempfile::tempdir().expect("db");
    let files = tempfile::tempdir().expect("files");
    let eicar = files.path().join("eicar.com");
    std::fs::write(&eicar, EICAR).expect("eicar");
    eicar_database(&eicar, db.path()).await;
    // The full scan the help desk asks for covers this directory only.
    let config = state.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "full_scan_paths = [{:?}]\n",
            files.path().display().to_string()
        ),
    )
    .expect("config");
    let (st, db_arg, config_arg) = (
        state.path(),
        db.path().display().to_string(),
        config.display().to_string(),
    );
    let with = |args: &[&str]| -> Vec<String> {
        ["--config", &config_arg, "--clamav-db", &db_arg]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect()
    };
    let enroll = with(&["enroll", "--server", &app.base, "--token", &token]);
    run_agent(st, &enroll.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let once = with(&["run", "--once"]);
    let once: Vec<&str> = once.iter().map(String::as_str).collect();
    run_agent(st, &once).await;
    let (_, page) = app.get("/api/v1/devices").await;
    let id = page["items"][0]["id"].as_str().expect("device").to_string();
    for kind in ["sync", "full_scan"] {
        let (s, r) = app
            .post_as(
                &format!("/api/v1/devices/{id}/requests"),
                &desk,
                &serde_json::json!({"kind": kind}),
            )
            .await;
        assert_eq!(s, 201, "{r}");
    }
    // One run takes both requests, answers the check-in at once and the scan when it ends.
    run_agent(st, &once).await;
    let (_, list) = app.get(&format!("/api/v1/devices/{id}/requests")).await;
    let answers: std::collections::BTreeMap<&str, (&serde_json::Value, &serde_json::Value)> = list
        ["items"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| (r["kind"].as_str().unwrap_or(""), (&r["ok"], &r["code"])))
        .collect();
    assert_eq!(
        answers["sync"],
        (&serde_json::json!(true), &serde_json::json!("checked_in")),
        "{list}"
    );
    assert_eq!(
        answers["full_scan"],
        (
            &serde_json::json!(true),
            &serde_json::json!("threats_found")
        ),
        "{list}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_running_agent_takes_a_request_through_its_push_connection_before_its_next_check_in() {
    // Two servers on one database: the agent is held by B, the help desk works through A.
    let db = TestDb::new().await;
    let token = cli(&db, &["enroll-token", "create"]);
    let admin = cli(&db, &["token", "create", "--role", "admin"]);
    let desk = cli(&db, &["token", "create", "--role", "helpdesk"]);
    let (pa, pb) = (free_port(), free_port());
    let _a = start(&db, pa).await;
    let _b = start(&db, pb).await;
    let (a, b) = (
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    );
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        let admin = admin.clone();
        async move {
            let r = http
                .get(&url)
                .bearer_auth(&admin)
                .send()
                .await
                .expect("get");
            r.text().await.expect("text")
        }
    };
    let state = tempfile::tempdir().expect("state");
    run_agent(state.path(), &["enroll", "--server", &b, "--token", &token]).await;
    // Checks in now, then not for an hour: only the push connection can bring the request.
    let mut agent = Command::new(agent_binary())
        .arg("--state-dir")
        .arg(state.path())
        .args(["run", "--interval", "3600"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("agent");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let id = loop {
        let page: serde_json::Value =
            serde_json::from_str(&get(format!("{a}/api/v1/devices")).await).expect("json");
        if let Some(id) = page["items"][0]["id"].as_str() {
            if page["items"][0]["last_seen_at"].is_string() {
                break id.to_string();
            }
        }
        assert!(std::time::Instant::now() < deadline, "no first check-in");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    // The push connection is open once B counts it.
    while !get(format!("{b}/metrics"))
        .await
        .lines()
        .any(|l| l == "steward_waiting_agents 1")
    {
        assert!(std::time::Instant::now() < deadline, "no push connection");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let r = http
        .post(format!("{a}/api/v1/devices/{id}/requests"))
        .bearer_auth(&desk)
        .json(&serde_json::json!({"kind": "sync"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 201);
    // "Check in now" arrives through the push connection and is answered by an immediate
    // check-in, an hour before the next scheduled one.
    let answered = loop {
        let list: serde_json::Value =
            serde_json::from_str(&get(format!("{a}/api/v1/devices/{id}/requests")).await)
                .expect("json");
        if list["items"][0]["answered_at"].is_string() {
            break list["items"][0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the request was not answered: {list}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(answered["ok"], true, "{answered}");
    assert_eq!(answered["code"], "checked_in", "{answered}");
    agent.kill().await.expect("stop the agent");
}
