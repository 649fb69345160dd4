//! Remediation with the real agent: detection and fix scripts, retries with backoff, the
//! agent's refusals (a hash the server did not vouch for) and time-outs, clamd's detections
//! as they happen and quarantine, and the second administrator's approval.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use steward_core::Role;
use steward_proto::Platform;
use tokio::process::Command;

use crate::agent_binary::{agent_binary, eicar_database, run_agent, EICAR};
use crate::helpers::*;

/// Polls `check` (every 100 ms, 30 s at most) until it gives something.
async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn script(app: &TestApp, name: &str, content: &str, timeout: u32) -> String {
    let (s, b) = app
        .post_as(
            "/api/v1/scripts",
            &app.admin_token,
            &json!({"name": name, "content": content, "timeout_secs": timeout}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_str().expect("id").to_string()
}

async fn remediation(app: &TestApp, name: &str, detect: &str, fix: Option<&str>) -> String {
    let (s, b) = app
        .post_as(
            "/api/v1/remediations",
            &app.admin_token,
            &json!({"name": name, "detect_script_id": detect, "fix_script_id": fix,
                    "platform": "linux", "max_attempts": 3, "retry_minutes": 5}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["approved_generation"], 1,
        "one device: no approval needed {b}"
    );
    b["id"].as_str().expect("id").to_string()
}

/// What a remediation's PUT takes, from what its GET gave.
fn body_of(rem: &Value) -> serde_json::Map<String, Value> {
    let fields = [
        "name",
        "detect_script_id",
        "fix_script_id",
        "platform",
        "groups",
        "max_attempts",
        "retry_minutes",
        "alert_failure_percent",
        "enabled",
    ];
    fields
        .iter()
        .map(|k| (k.to_string(), rem[*k].clone()))
        .collect()
}

/// The device's row of a remediation.
async fn row(app: &TestApp, remediation: &str) -> Value {
    let (s, b) = app
        .get(&format!("/api/v1/remediations/{remediation}/devices"))
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"][0].clone()
}

/// Moves the server's clock past the scheduler's interval and waits until the device has
/// `n` remediation requests.
async fn dispatch(app: &TestApp, device: &str, by: Duration, n: usize) {
    app.clock.advance(by);
    until("the remediation requests", || async {
        let (_, list) = app.get(&format!("/api/v1/devices/{device}/requests")).await;
        let got = list["items"]
            .as_array()?
            .iter()
            .filter(|r| r["kind"] == "remediate")
            .count();
        (got >= n).then_some(())
    })
    .await;
}

/// An enrolled agent (its state directory and config) and its device id.
async fn agent(app: &TestApp, config: &str) -> (tempfile::TempDir, String, String) {
    let state = tempfile::tempdir().expect("state");
    let file = state.path().join("agent.toml");
    std::fs::write(&file, config).expect("config");
    let config = file.display().to_string();
    let token = app.enrollment_token(Default::default()).await;
    run_agent(
        state.path(),
        &[
            "--config", &config, "enroll", "--server", &app.base, "--token", &token,
        ],
    )
    .await;
    run_agent(state.path(), &["--config", &config, "run", "--once"]).await;
    let (_, page) = app.get("/api/v1/devices").await;
    let id = page["items"][0]["id"].as_str().expect("device").to_string();
    (state, config, id)
}

#[tokio::test]
async fn a_detection_finds_a_wrong_mode_the_fix_corrects_it_and_a_failing_fix_is_retried_with_backoff(
) {
    let app = TestApp::spawn_manual(|c| {
        c.remediation.schedule_secs = 1;
        c.fleet.sweep_interval_secs = 1;
    })
    .await;
    let files = tempfile::tempdir().expect("files");
    let target = files.path().join("secret.conf");
    std::fs::write(&target, "key").expect("file");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o666)).expect("mode");
    let (state, config, device) = agent(&app, "push = false\n").await;
    let once = ["--config", config.as_str(), "run", "--once"];

    let path = target.display();
    let detect = script(
        &app,
        "secret.conf is 600",
        &format!("m=$(stat -c %a {path}); echo \"mode $m\"; [ \"$m\" = 600 ] && exit 0; exit 1\n"),
        30,
    )
    .await;
    let fix = script(
        &app,
        "chmod 600",
        &format!("chmod 600 {path} && echo done\n"),
        30,
    )
    .await;
    let fixed = remediation(&app, "Private secret.conf", &detect, Some(&fix)).await;
    // A condition whose fix always fails.
    let missing = files.path().join("missing");
    let detect_missing = script(
        &app,
        "marker exists",
        &format!(
            "test -e {} && exit 0; echo absent; exit 1\n",
            missing.display()
        ),
        30,
    )
    .await;
    let failing_fix = script(
        &app,
        "write the marker",
        &format!("echo cannot write >&2; exit 4 # {}\n", missing.display()),
        30,
    )
    .await;
    let failing = remediation(&app, "Marker", &detect_missing, Some(&failing_fix)).await;

    dispatch(&app, &device, Duration::from_secs(2), 2).await;
    run_agent(state.path(), &once).await;
    let r = row(&app, &fixed).await;
    assert_eq!(r["state"], "fixed", "{r}");
    assert_eq!(r["detect_exit"], 1, "{r}");
    assert!(
        r["detect_output"]
            .as_str()
            .expect("before")
            .contains("mode 666"),
        "{r}"
    );
    assert!(
        r["fix_output"].as_str().expect("fix").contains("done"),
        "{r}"
    );
    assert!(
        r["after_output"]
            .as_str()
            .expect("after")
            .contains("mode 600"),
        "{r}"
    );
    assert_eq!(
        std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    // The failing fix: attempt 1 of 3, "remediating", the next attempt 5 minutes later,
    // then 10 minutes after the second.
    let r = row(&app, &failing).await;
    assert_eq!(r["state"], "remediating", "{r}");
    assert_eq!(r["attempt"], 1, "{r}");
    let gap = |r: &Value| {
        let at = |k: &str| {
            chrono::DateTime::parse_from_rfc3339(r[k].as_str().expect(k))
                .expect("time")
                .timestamp_millis()
        };
        at("next_attempt_at") - at("updated_at")
    };
    assert_eq!(gap(&r), 5 * 60_000, "{r}");
    // Nothing is handed out before the time.
    app.clock.advance(Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, list) = app.get(&format!("/api/v1/devices/{device}/requests")).await;
    assert_eq!(
        list["items"]
            .as_array()
            .expect("requests")
            .iter()
            .filter(|r| r["kind"] == "remediate")
            .count(),
        2
    );
    dispatch(&app, &device, Duration::from_secs(4 * 60 + 1), 3).await;
    run_agent(state.path(), &once).await;
    let r = row(&app, &failing).await;
    assert_eq!(
        (r["state"].as_str(), r["attempt"].as_u64()),
        (Some("remediating"), Some(2)),
        "{r}"
    );
    assert_eq!(gap(&r), 10 * 60_000, "{r}");
    dispatch(&app, &device, Duration::from_secs(10 * 60 + 1), 4).await;
    run_agent(state.path(), &once).await;
    let r = row(&app, &failing).await;
    assert_eq!(r["state"], "fix_failed", "{r}");
    assert_eq!(r["attempt"], 3, "{r}");
    assert_eq!(r["fix_exit"], 4, "{r}");
    assert!(
        r["fix_output"]
            .as_str()
            .expect("fix")
            .contains("cannot write"),
        "{r}"
    );
    assert!(r["next_attempt_at"].is_null(), "{r}");

    // The fleet view counts both, and lists the failing device with its output.
    let (_, st) = app
        .get(&format!("/api/v1/remediations/{failing}/status"))
        .await;
    assert_eq!(st["counts"]["fix_failed"], 1, "{st}");
    assert_eq!(st["failure_percent"], 100, "{st}");
    assert_eq!(st["failing"][0]["device_id"], device.as_str(), "{st}");

    // With a failure threshold, the readiness item fails, a `remediation_failing` rule fires
    // and the day's rollup counts the outcomes for the reports.
    let (_, rem) = app.get(&format!("/api/v1/remediations/{failing}")).await;
    let mut body = body_of(&rem);
    body.insert("alert_failure_percent".into(), json!(50));
    let (s, b) = app
        .raw_put(
            &format!("/api/v1/remediations/{failing}"),
            &Value::Object(body),
        )
        .await;
    assert_eq!((s, b["generation"].as_u64()), (200, Some(1)), "{b}");
    let item = crate::awareness_api::readiness(&app, "remediation").await;
    assert_eq!(item["pass"], false, "{item}");
    assert_eq!(
        item["evidence"][0], "Marker: 100 % of the devices it finished on failed (threshold 50 %).",
        "{item}"
    );
    let (s, b) = app
        .post_as(
            "/api/v1/alert-rules",
            &app.admin_token,
            &json!({"name": "Remediation failing", "severity": "warning",
                    "condition": {"type": "remediation_failing"}}),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    let mut open = Vec::new();
    for _ in 0..100 {
        open = crate::alerts_api::alerts(&app, "state=firing").await;
        if !open.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(
        open[0]["summary"], "Remediation failing: Failures above the threshold: Marker.",
        "{open:?}"
    );
    let extras = steward_store::reports::DayExtras {
        live: Some(Vec::new()),
        ..Default::default()
    };
    let figures = app
        .store
        .rollup_figures(
            steward_core::reports::day_start(app.clock.now_ms()),
            &extras,
        )
        .await
        .expect("rollup");
    let outcome = |metric: &str| {
        figures
            .iter()
            .find(|f| f.section == "remediations" && f.subject == failing && f.metric == metric)
            .map(|f| f.value)
    };
    assert_eq!((outcome("fix_failed"), outcome("fixed")), (Some(1), None));
    // "Run again on failed" starts it over at attempt 1.
    let (s, b) = app
        .post_as(
            &format!("/api/v1/remediations/{failing}/rerun-failed"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, b["devices"].as_u64()), (200, Some(1)), "{b}");
    let r = row(&app, &failing).await;
    assert_eq!(
        (r["state"].as_str(), r["attempt"].as_u64()),
        (Some("pending"), Some(0)),
        "{r}"
    );

    // Renaming it, switching it off and on again keeps its generation: no device starts over.
    let (_, rem) = app.get(&format!("/api/v1/remediations/{fixed}")).await;
    let mut body = body_of(&rem);
    for (name, enabled) in [
        ("Private secret.conf, renamed", false),
        ("Private secret.conf", true),
    ] {
        body.insert("name".into(), json!(name));
        body.insert("enabled".into(), json!(enabled));
        let (s, b) = app
            .raw_put(
                &format!("/api/v1/remediations/{fixed}"),
                &Value::Object(body.clone()),
            )
            .await;
        assert_eq!((s, b["generation"].as_u64()), (200, Some(1)), "{b}");
    }
    assert_eq!(row(&app, &fixed).await["state"], "fixed");
    // Editing the detection makes a new version, and the remediation runs again.
    let (s, b) = app
        .raw_put(
            &format!("/api/v1/scripts/{detect}"),
            &json!({"name": "secret.conf is 600", "timeout_secs": 30,
                    "content": format!("stat -c %a {path}; test \"$(stat -c %a {path})\" = 600\n")}),
        )
        .await;
    assert_eq!((s, b["version"].as_u64()), (200, Some(2)), "{b}");
    let (_, rem) = app.get(&format!("/api/v1/remediations/{fixed}")).await;
    assert_eq!(
        (
            rem["generation"].as_u64(),
            rem["approved_generation"].as_u64()
        ),
        (Some(2), Some(2)),
        "{rem}"
    );
    let r = row(&app, &fixed).await;
    assert_eq!(
        (r["state"].as_str(), r["generation"].as_u64()),
        (Some("pending"), Some(2)),
        "{r}"
    );
    app.shutdown().await;
}

/// Rewrites a stored script version behind the server's back.
async fn tamper(app: &TestApp, sha: &str, content: &str) {
    use sqlx::Connection;
    let url = app.db_url().to_string();
    let sql = "UPDATE script_versions SET content = $1 WHERE sha256 = $2";
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
        sqlx::query(sql)
            .bind(content)
            .bind(sha)
            .execute(&mut c)
            .await
            .expect("update");
    } else {
        let mut c = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("connect");
        sqlx::query(sql)
            .bind(content)
            .bind(sha)
            .execute(&mut c)
            .await
            .expect("update");
    }
}

#[tokio::test]
async fn the_agent_refuses_a_script_that_is_not_the_one_vouched_for_and_a_time_out_ends_its_whole_group(
) {
    let app = TestApp::spawn_manual(|c| c.remediation.schedule_secs = 1).await;
    let work = tempfile::tempdir().expect("work");
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o777)).expect("mode");
    // Scripts run as "nobody" here.
    let (state, config, device) = agent(&app, "push = false\nscripts_user = \"nobody\"\n").await;
    let once = ["--config", config.as_str(), "run", "--once"];

    let evil = work.path().join("evil");
    let honest = script(&app, "honest", "echo honest; exit 0\n", 30).await;
    let (_, s) = app.get(&format!("/api/v1/scripts/{honest}")).await;
    tamper(
        &app,
        s["sha256"].as_str().expect("sha"),
        &format!("touch {}; exit 0\n", evil.display()),
    )
    .await;
    let refused = remediation(&app, "Tampered", &honest, None).await;

    let pid_file = work.path().join("pid");
    let slow = script(
        &app,
        "hangs",
        &format!(
            "id -u; sleep 300 & echo $! > {}; sleep 300\n",
            pid_file.display()
        ),
        2,
    )
    .await;
    let timed_out = remediation(&app, "Hangs", &slow, None).await;

    dispatch(&app, &device, Duration::from_secs(2), 2).await;
    let started = Instant::now();
    run_agent(state.path(), &once).await;
    assert!(started.elapsed() < Duration::from_secs(60));
    let r = row(&app, &refused).await;
    assert_eq!(r["state"], "script_error", "{r}");
    assert!(
        r["detect_output"]
            .as_str()
            .expect("out")
            .contains("hash_mismatch"),
        "{r}"
    );
    assert!(!evil.exists(), "the tampered text ran");

    let r = row(&app, &timed_out).await;
    assert_eq!(r["state"], "script_error", "{r}");
    let out = r["detect_output"].as_str().expect("out");
    assert!(out.contains("timed_out"), "{r}");
    assert!(out.starts_with("65534"), "runs as nobody: {r}");
    // The background sleep the script started went with it.
    let pid = std::fs::read_to_string(&pid_file)
        .expect("pid")
        .trim()
        .to_string();
    until("the script's child to end", || async {
        (!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    })
    .await;
    app.shutdown().await;
}

/// clamd on a private socket, with the EICAR database; stopped when dropped.
struct Clamd {
    child: tokio::process::Child,
    conf: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Clamd {
    async fn start(db: &std::path::Path) -> (Clamd, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("clamd dir");
        let (socket, log) = (dir.path().join("clamd.sock"), dir.path().join("clamd.log"));
        let conf = dir.path().join("clamd.conf");
        std::fs::write(
            &conf,
            format!(
                "LocalSocket {}\nLogFile {}\nDatabaseDirectory {}\nForeground yes\n",
                socket.display(),
                log.display(),
                db.display()
            ),
        )
        .expect("conf");
        let bin = ["/usr/sbin/clamd", "/usr/bin/clamd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("clamd");
        let child = Command::new(bin)
            .arg(format!("--config-file={}", conf.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("clamd (from Debian's clamav-daemon) must be installed");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "clamd did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (
            Clamd {
                child,
                conf,
                _dir: dir,
            },
            socket,
            log,
        )
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The device's threat state as the server holds it.
async fn threat(app: &TestApp, device: &str) -> Value {
    let (_, d) = app.get(&format!("/api/v1/devices/{device}")).await;
    d["protection"].clone()
}

#[tokio::test]
async fn a_file_clamd_scans_shows_as_an_active_threat_at_once_and_quarantine_from_the_console_cleans_the_device(
) {
    let app = TestApp::spawn().await;
    let db = tempfile::tempdir().expect("db");
    let files = tempfile::tempdir().expect("files");
    let eicar = files.path().join("invoice.com");
    std::fs::write(&eicar, EICAR).expect("eicar");
    eicar_database(&eicar, db.path()).await;
    let (clamd, socket, log) = Clamd::start(db.path()).await;
    let config = format!(
        "clamd_socket = {:?}\nclamd_log = {:?}\n",
        socket.display().to_string(),
        log.display().to_string()
    );
    let db_arg = db.path().display().to_string();
    let state = tempfile::tempdir().expect("state");
    let file = state.path().join("agent.toml");
    std::fs::write(&file, config).expect("config");
    let config = file.display().to_string();
    let token = app.enrollment_token(Default::default()).await;
    run_agent(
        state.path(),
        &[
            "--config",
            &config,
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
    // The agent runs, checking in once an hour: only a detection can bring it sooner.
    let mut agent = Command::new(agent_binary())
        .arg("--state-dir")
        .arg(state.path())
        .args([
            "--config",
            &config,
            "--clamav-db",
            &db_arg,
            "run",
            "--interval",
            "3600",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("agent");
    let device = until("the first check-in", || async {
        let (_, page) = app.get("/api/v1/devices").await;
        let d = &page["items"][0];
        d["last_seen_at"]
            .is_string()
            .then(|| d["id"].as_str().map(str::to_string))?
    })
    .await;
    let p = until("the first protection report", || async {
        let p = threat(&app, &device).await;
        p["engine"].is_string().then_some(p)
    })
    .await;
    // clamd's own engine answered through its socket.
    assert_eq!(p["engine"], "ClamAV", "{p}");
    assert!(
        p["engine_version"]
            .as_str()
            .is_some_and(|v| v.starts_with('1')),
        "{p}"
    );
    assert_ne!(p["threat_state"], "active_threat", "{p}");

    // clamd scans the file (as on-access scanning would hand it over); no agent scan.
    let scan = Command::new("clamdscan")
        .arg(format!("--config-file={}", clamd.conf.display()))
        .arg("--fdpass")
        .arg(&eicar)
        .output()
        .await
        .expect("clamdscan");
    assert_eq!(scan.status.code(), Some(1), "{scan:?}");
    let started = Instant::now();
    let p = until("the detection to reach the server", || async {
        let p = threat(&app, &device).await;
        (p["threat_state"] == "active_threat").then_some(p)
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        p["detections"][0]["path"],
        eicar.display().to_string(),
        "{p}"
    );
    let name = p["detections"][0]["threat_name"]
        .as_str()
        .expect("threat")
        .to_string();

    // Quarantine from the console, for every device with that threat.
    let s = crate::console::sign_in(&app, "ops@example.org", &[Role::Operator]).await;
    let (status, _, body) = crate::console::post(
        &app,
        &s,
        "/devices/actions",
        &[("kind", "quarantine"), ("threat", &name)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    until("the device to turn clean", || async {
        let p = threat(&app, &device).await;
        (p["threat_state"] == "clean").then_some(())
    })
    .await;
    assert!(!eicar.exists(), "the file was moved");
    let kept = std::fs::read_dir(state.path().join("quarantine"))
        .expect("quarantine")
        .count();
    assert_eq!(kept, 1);
    let (_, list) = app.get(&format!("/api/v1/devices/{device}/requests")).await;
    let q = &list["items"][0];
    assert_eq!(
        (q["kind"].as_str(), q["ok"].as_bool(), q["code"].as_str()),
        (Some("quarantine"), Some(true), Some("quarantined")),
        "{list}"
    );
    agent.kill().await.expect("stop the agent");
    drop(clamd);
    app.shutdown().await;
}

#[tokio::test]
async fn a_wipe_or_a_restart_of_many_devices_waits_for_a_second_administrator() {
    let app = TestApp::spawn_with(|c| c.remediation.approval_threshold = 2).await;
    let first = app.token_with_role(Role::Administrator).await;
    let second = app.token_with_role(Role::Administrator).await;
    let operator = app.token_with_role(Role::Operator).await;
    let phone = app.device("phone-1", Platform::Ios).await.0;
    let mut pcs = Vec::new();
    for i in 0..3 {
        pcs.push(app.device(&format!("pc-{i}"), Platform::Windows).await.0);
    }

    // A wipe of one device waits.
    let (s, b) = app
        .post_as(
            &format!("/api/v1/devices/{phone}/actions"),
            &first,
            &json!({"kind": "wipe"}),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    assert!(b["request_ids"].as_array().expect("ids").is_empty());
    let wipe = b["approval"]["id"].as_str().expect("approval").to_string();
    let (_, reqs) = app.get(&format!("/api/v1/devices/{phone}/requests")).await;
    assert_eq!(reqs["items"].as_array().map(Vec::len), Some(0), "{reqs}");
    // Its requester cannot approve it, nor can an operator.
    let (s, b) = app
        .post_as(
            &format!("/api/v1/approvals/{wipe}/approve"),
            &first,
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (403, "own_request"), "{b}");
    let (s, _) = app
        .post_as(
            &format!("/api/v1/approvals/{wipe}/approve"),
            &operator,
            &json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, b) = app
        .post_as(
            &format!("/api/v1/approvals/{wipe}/approve"),
            &second,
            &json!({"note": "stolen phone, ticket 4411"}),
        )
        .await;
    assert_eq!((s, b["state"].as_str()), (200, Some("approved")), "{b}");
    let (s, b) = app
        .post_as(
            &format!("/api/v1/approvals/{wipe}/refuse"),
            &second,
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (409, "already_decided"), "{b}");
    let (_, reqs) = app.get(&format!("/api/v1/devices/{phone}/requests")).await;
    assert_eq!(reqs["items"][0]["kind"], "wipe", "{reqs}");

    // A restart of two devices goes at once; of three, it waits, and a refusal ends it.
    let (s, b) = app
        .post_as(
            "/api/v1/devices/actions",
            &operator,
            &json!({"kind": "restart", "device_ids": pcs.iter().take(2).collect::<Vec<_>>(), "delay_minutes": 10, "message": "Updates"}),
        )
        .await;
    assert_eq!(
        (s, b["request_ids"].as_array().map(Vec::len)),
        (201, Some(2)),
        "{b}"
    );
    let (s, b) = app
        .post_as(
            "/api/v1/devices/actions",
            &operator,
            &json!({"kind": "restart", "device_ids": &pcs}),
        )
        .await;
    assert_eq!(s, 202, "{b}");
    let restart = b["approval"]["id"].as_str().expect("approval").to_string();
    let (s, b) = app
        .post_as(
            &format!("/api/v1/approvals/{restart}/refuse"),
            &first,
            &json!({"note": "not during the audit"}),
        )
        .await;
    assert_eq!((s, b["state"].as_str()), (200, Some("refused")), "{b}");
    let (_, reqs) = app
        .get(&format!("/api/v1/devices/{}/requests", pcs[2]))
        .await;
    assert_eq!(reqs["items"].as_array().map(Vec::len), Some(0), "{reqs}");

    // The audit log holds the request, the approval and the refusal.
    let (_, audit) = app.get("/api/v1/audit?limit=200").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "approval.request",
        "approval.approve",
        "approval.refuse",
        "device.restart",
    ] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_remediation_reaching_many_devices_runs_only_once_another_administrator_approves() {
    let app = TestApp::spawn_manual(|c| {
        c.remediation.approval_threshold = 1;
        c.remediation.schedule_secs = 1;
    })
    .await;
    let second = app.token_with_role(Role::Administrator).await;
    let a = app.device("srv-1", Platform::Linux).await.0;
    app.device("srv-2", Platform::Linux).await;
    let detect = script(&app, "check", "exit 0\n", 30).await;
    let (s, r) = app
        .post_as(
            "/api/v1/remediations",
            &app.admin_token,
            &json!({"name": "Fleet check", "detect_script_id": detect, "platform": "linux"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["generation"].as_u64(), r["approved_generation"].as_u64()),
        (Some(1), Some(0)),
        "{r}"
    );
    let approval = r["approval_id"].as_str().expect("approval").to_string();
    let id = r["id"].as_str().expect("id").to_string();
    // Nothing goes out while it waits.
    app.clock.advance(Duration::from_secs(5));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, reqs) = app.get(&format!("/api/v1/devices/{a}/requests")).await;
    assert_eq!(reqs["items"].as_array().map(Vec::len), Some(0), "{reqs}");
    let (_, st) = app.get(&format!("/api/v1/remediations/{id}/status")).await;
    assert_eq!(st["awaiting_approval"], true, "{st}");
    let (s, b) = app
        .post_as(
            &format!("/api/v1/approvals/{approval}/approve"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (403, "own_request"), "{b}");
    let (s, _) = app
        .post_as(
            &format!("/api/v1/approvals/{approval}/approve"),
            &second,
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    dispatch(&app, &a, Duration::from_secs(2), 1).await;
    let (_, st) = app.get(&format!("/api/v1/remediations/{id}/status")).await;
    assert_eq!(
        (st["awaiting_approval"].as_bool(), st["total"].as_u64()),
        (Some(false), Some(2)),
        "{st}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn in_the_console_a_wipe_waits_for_a_second_administrator_who_is_not_the_requester() {
    let app = TestApp::spawn().await;
    let phone = app.device("phone-7", Platform::Android).await.0;
    let first = crate::console::sign_in(&app, "ana@example.org", &[Role::Administrator]).await;
    let second = crate::console::sign_in(&app, "bo@example.org", &[Role::Administrator]).await;
    let (status, _, body) = crate::console::post(
        &app,
        &first,
        &format!("/devices/{phone}/actions"),
        &[("kind", "wipe")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("another administrator"), "{body}");
    let (_, list) = app.get("/api/v1/approvals?state=pending").await;
    // A state outside the list, an empty one included, is refused.
    for bad in ["", "waiting"] {
        let (s, body) = app.get(&format!("/api/v1/approvals?state={bad}")).await;
        assert_eq!((s, code(&body)), (400, "invalid_query"), "state={bad:?}");
    }
    let id = list["items"][0]["id"]
        .as_str()
        .expect("approval")
        .to_string();
    // The approvals page: the requester sees it as theirs, without the buttons.
    let (s, page) = crate::console::get(&app, &first, "/approvals").await;
    assert_eq!(s, 200);
    assert!(page.contains("Your request"), "{page}");
    assert!(
        !page.contains(&format!("/approvals/{id}/approve")),
        "{page}"
    );
    let (status, _, body) =
        crate::console::post(&app, &first, &format!("/approvals/{id}/approve"), &[]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("own request"), "{body}");
    let (_, page) = crate::console::get(&app, &second, "/approvals").await;
    assert!(page.contains(&format!("/approvals/{id}/approve")), "{page}");
    let (status, refresh, body) = crate::console::post(
        &app,
        &second,
        &format!("/approvals/{id}/approve"),
        &[("note", "lost on a train")],
    )
    .await;
    assert_eq!((status, refresh), (204, true), "{body}");
    let (_, reqs) = app.get(&format!("/api/v1/devices/{phone}/requests")).await;
    assert_eq!(reqs["items"][0]["kind"], "wipe", "{reqs}");
    let (_, page) = crate::console::get(&app, &first, "/approvals").await;
    assert!(page.contains("lost on a train"), "{page}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_agent_collects_diagnostics_runs_a_cleared_script_for_the_help_desk_and_schedules_a_restart(
) {
    let app = TestApp::spawn().await;
    let desk = app.token_with_role(Role::Helpdesk).await;
    let work = tempfile::tempdir().expect("work");
    let restarted = work.path().join("restart");
    // The restart command writes what it was given instead of restarting this machine.
    let config = format!(
        "push = false\nrestart_command = [\"sh\", \"-c\", \"echo \\\"$0 $1\\\" > {}\", \"{{minutes}}\", \"{{message}}\"]\n",
        restarted.display()
    );
    let (state, config, device) = agent(&app, &config).await;
    let once = ["--config", config.as_str(), "run", "--once"];
    let hello = script(&app, "hello", "echo hello from $(hostname)\nexit 0\n", 30).await;
    // The help desk may run only a script an administrator cleared.
    let run = json!({"kind": "run_script", "script_id": hello});
    let (s, b) = app
        .post_as(&format!("/api/v1/devices/{device}/actions"), &desk, &run)
        .await;
    assert_eq!((s, code(&b)), (403, "forbidden"), "{b}");
    let (s, b) = app
        .post_as(
            &format!("/api/v1/scripts/{hello}/clear"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!((s, b["helpdesk_version"].as_u64()), (200, Some(1)), "{b}");
    for body in [run, json!({"kind": "collect_diagnostics"})] {
        let (s, b) = app
            .post_as(&format!("/api/v1/devices/{device}/actions"), &desk, &body)
            .await;
        assert_eq!(s, 201, "{b}");
    }
    // The help desk may not restart a device; an operator may.
    let restart = json!({"kind": "restart", "delay_minutes": 7, "message": "Updates tonight"});
    let (s, _) = app
        .post_as(
            &format!("/api/v1/devices/{device}/actions"),
            &desk,
            &restart,
        )
        .await;
    assert_eq!(s, 403);
    let (s, b) = app
        .post_as(
            &format!("/api/v1/devices/{device}/actions"),
            &app.admin_token,
            &restart,
        )
        .await;
    assert_eq!(s, 201, "{b}");
    run_agent(state.path(), &once).await;
    let (_, list) = app.get(&format!("/api/v1/devices/{device}/requests")).await;
    let by_kind = |k: &str| {
        list["items"]
            .as_array()
            .expect("requests")
            .iter()
            .find(|r| r["kind"] == k)
            .cloned()
            .expect(k)
    };
    let r = by_kind("run_script");
    assert_eq!(
        (r["ok"].as_bool(), r["code"].as_str()),
        (Some(true), Some("exit_0")),
        "{r}"
    );
    assert!(
        r["message"]
            .as_str()
            .expect("output")
            .contains("hello from"),
        "{r}"
    );
    let r = by_kind("restart");
    assert_eq!(
        (r["ok"].as_bool(), r["code"].as_str()),
        (Some(true), Some("restart_scheduled")),
        "{r}"
    );
    assert_eq!(
        std::fs::read_to_string(&restarted)
            .expect("restart command ran")
            .trim(),
        "7 Updates tonight"
    );
    let r = by_kind("collect_diagnostics");
    assert_eq!(
        (r["ok"].as_bool(), r["code"].as_str()),
        (Some(true), Some("diagnostics_uploaded")),
        "{r}"
    );
    // The help desk downloads the bundle: a gzip'd tar with the agent's records and no secret.
    let (_, bundles) = app
        .get(&format!("/api/v1/devices/{device}/diagnostics"))
        .await;
    let id = bundles[0]["id"].as_str().expect("bundle").to_string();
    let resp = app
        .http
        .get(format!("{}/api/v1/diagnostics/{id}", app.base))
        .bearer_auth(&desk)
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.expect("bytes");
    let mut names = Vec::new();
    let mut all = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    for e in tar.entries().expect("entries") {
        let mut e = e.expect("entry");
        names.push(e.path().expect("path").display().to_string());
        std::io::Read::read_to_end(&mut e, &mut all).expect("read");
    }
    assert!(
        names.iter().any(|n| n == "logs/etc/os-release"),
        "{names:?}"
    );
    let secret: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.path().join("state.json")).expect("state"))
            .expect("json");
    let secret = secret["secret"].as_str().expect("secret");
    assert!(
        !String::from_utf8_lossy(&all).contains(secret),
        "the bundle holds the device's secret"
    );
    app.shutdown().await;
}

/// Checks the device in with its next sequence number, carrying `answers`.
async fn check_in_with(
    app: &TestApp,
    device: &str,
    secret: &str,
    seq: &mut u64,
    answers: Vec<steward_proto::ActionResult>,
) -> steward_proto::CheckinResponse {
    *seq += 1;
    let mut req = checkin(*seq, device);
    req.action_results = answers;
    app.agent
        .checkin(device, secret, &req)
        .await
        .expect("check-in")
}

/// Checks the device in (its next sequence numbers) until an attempt of a remediation comes
/// with the answer (the scheduler notes it for the device just after writing it).
async fn take_attempt(app: &TestApp, device: &str, secret: &str, seq: &mut u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let resp = check_in_with(app, device, secret, seq, Vec::new()).await;
        let taken: Vec<_> = resp
            .actions
            .iter()
            .filter(|a| a.kind == "remediate")
            .map(|a| a.id.clone())
            .collect();
        assert!(taken.len() <= 1, "{taken:?}");
        if let Some(id) = taken.into_iter().next() {
            return id;
        }
        assert!(Instant::now() < deadline, "no attempt handed to {device}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The row of `device` in a remediation.
async fn row_of(app: &TestApp, remediation: &str, device: &str) -> Value {
    let (s, b) = app
        .get(&format!("/api/v1/remediations/{remediation}/devices"))
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["device_id"] == device)
        .cloned()
        .unwrap_or_else(|| panic!("no row of {device}: {b}"))
}

#[tokio::test]
async fn an_attempt_whose_answer_is_lost_is_tried_again_once_the_device_is_back_and_a_late_answer_changes_nothing(
) {
    let app = TestApp::spawn_manual(|c| c.remediation.schedule_secs = 1).await;
    let (device, secret) = app.device("lost-1", Platform::Linux).await;
    let detect = script(&app, "check", "exit 1\n", 30).await;
    let fix = script(&app, "fix", "exit 0\n", 30).await;
    let id = remediation(&app, "Lost answers", &detect, Some(&fix)).await;
    let mut seq = 0;
    // The device takes the attempt; its answer never reaches the server.
    dispatch(&app, &device, Duration::from_secs(2), 1).await;
    let lost = take_attempt(&app, &device, &secret, &mut seq).await;
    let untouched = |r: &Value| {
        assert_eq!(
            (r["state"].as_str(), r["attempt"].as_u64()),
            (Some("pending"), Some(1)),
            "{r}"
        );
        assert!(r["next_attempt_at"].is_null(), "{r}");
        assert!(r["detect_output"].is_null(), "{r}");
    };
    // Past the lapse (the scripts' time-outs, and an hour), but the device has not been back:
    // it may still hold the answer (asleep, or the server was down), so nothing changes. A
    // second device enrolled then is handed its attempt by a pass that came after the lapse.
    app.clock.advance(Duration::from_secs(2 * 60 * 60));
    let (other, _) = app.device("lost-2", Platform::Linux).await;
    dispatch(&app, &other, Duration::from_secs(2), 1).await;
    untouched(&row_of(&app, &id, &device).await);
    // Back, without the answer: the answer is lost. The attempt counts as failed for want of
    // an answer and is tried again with backoff, not left waiting for ever.
    check_in_with(&app, &device, &secret, &mut seq, Vec::new()).await;
    app.device_at(&device, seq).await;
    app.clock.advance(Duration::from_secs(2));
    let r = until("the lapsed attempt", || async {
        let r = row_of(&app, &id, &device).await;
        (!r["next_attempt_at"].is_null()).then_some(r)
    })
    .await;
    assert_eq!(
        (r["state"].as_str(), r["attempt"].as_u64()),
        (Some("remediating"), Some(1)),
        "{r}"
    );
    assert!(
        r["detect_output"]
            .as_str()
            .is_some_and(|o| o.contains("no_answer")),
        "{r}"
    );
    let (_, reqs) = app.get(&format!("/api/v1/devices/{device}/requests")).await;
    let first = reqs["items"]
        .as_array()
        .expect("requests")
        .iter()
        .find(|q| lost.ends_with(q["id"].as_str().unwrap_or("-")))
        .expect("the lost request")
        .clone();
    assert_eq!(
        (first["ok"].as_bool(), first["code"].as_str()),
        (Some(false), Some("no_answer")),
        "{first}"
    );
    // The second attempt comes after the backoff and is answered: fixed.
    dispatch(&app, &device, Duration::from_secs(5 * 60 + 1), 2).await;
    let second = take_attempt(&app, &device, &secret, &mut seq).await;
    assert_ne!(second, lost);
    let step = |exit| {
        Some(steward_proto::remediation::StepResult {
            exit_code: Some(exit),
            output: format!("exit {exit}"),
            ..Default::default()
        })
    };
    let answer = |action_id: &str, fix_exit| steward_proto::ActionResult {
        action_id: action_id.to_string(),
        ok: true,
        code: None,
        message: None,
        script: Some(steward_proto::remediation::ScriptReport {
            detect: step(1),
            fix: step(fix_exit),
            after: step(0),
        }),
    };
    check_in_with(&app, &device, &secret, &mut seq, vec![answer(&second, 0)]).await;
    let r = row_of(&app, &id, &device).await;
    assert_eq!(
        (r["state"].as_str(), r["attempt"].as_u64()),
        (Some("fixed"), Some(2)),
        "{r}"
    );
    // The lost attempt's answer turns up after all: its request is closed, the row stays.
    check_in_with(&app, &device, &secret, &mut seq, vec![answer(&lost, 3)]).await;
    let r = row_of(&app, &id, &device).await;
    assert_eq!(r["state"], "fixed", "{r}");
    assert!(
        r["fix_output"]
            .as_str()
            .is_some_and(|o| o.contains("exit 0")),
        "{r}"
    );
    app.shutdown().await;
}
