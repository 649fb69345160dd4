//! Software distribution end to end: real Debian packages built here, uploaded, assigned, and
//! installed for real by the real `steward-agent` into a dpkg root of the test's own; wave
//! rollouts over simulated devices; deadlines on a manual clock.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use steward_proto::{AppInstall, CreateEnrollmentToken, Platform};

use crate::helpers::*;

/// Builds a `.deb` with `dpkg-deb`: `postinst` exits with `postinst_status`.
fn build_deb(dir: &Path, name: &str, version: &str, postinst_status: i32) -> Vec<u8> {
    let root = dir.join(format!("{name}-{version}"));
    std::fs::create_dir_all(root.join("DEBIAN")).expect("dir");
    std::fs::create_dir_all(root.join(format!("usr/share/{name}"))).expect("dir");
    std::fs::write(root.join(format!("usr/share/{name}/README")), version).expect("file");
    std::fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Test <t@example.org>\nDescription: test package\n"
        ),
    )
    .expect("control");
    let postinst = root.join("DEBIAN/postinst");
    std::fs::write(
        &postinst,
        format!("#!/bin/sh\necho \"setting up {name}\" >&2\nexit {postinst_status}\n"),
    )
    .expect("postinst");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&postinst, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = dir.join(format!("{name}_{version}_all.deb"));
    let status = std::process::Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group"])
        .arg(&root)
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("dpkg-deb (Debian's dpkg) must be installed");
    assert!(status.success());
    std::fs::read(out).expect("deb")
}

/// A dpkg root of its own: an empty package database and a shell (maintainer scripts run
/// chrooted into the root), so installs change nothing on this machine.
fn dpkg_root(dir: &Path) {
    for d in ["var/lib/dpkg/updates", "var/lib/dpkg/info", "bin"] {
        std::fs::create_dir_all(dir.join(d)).expect("dir");
    }
    std::fs::write(dir.join("var/lib/dpkg/status"), "").expect("status");
    std::fs::copy("/usr/bin/dash", dir.join("bin/sh")).expect("dash");
    let ldd = std::process::Command::new("ldd")
        .arg("/usr/bin/dash")
        .output()
        .expect("ldd");
    for lib in String::from_utf8_lossy(&ldd.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
    {
        let to = dir.join(lib.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().expect("parent")).expect("lib dir");
        std::fs::copy(lib, &to).expect("lib");
    }
}

/// The device's apps, by app name: (state, error code, reported state).
async fn device_apps(app: &TestApp, id: &str) -> Vec<(String, String, String, String)> {
    let (s, list) = app.get(&format!("/api/v1/devices/{id}/apps")).await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .expect("apps")
        .iter()
        .map(|t| {
            let f = |k: &str| t[k].as_str().unwrap_or("").to_string();
            (
                f("app_name"),
                f("state"),
                f("error_code"),
                f("reported_state"),
            )
        })
        .collect()
}

fn state_of<'a>(apps: &'a [(String, String, String, String)], name: &str) -> (&'a str, &'a str) {
    apps.iter()
        .find(|a| a.0 == name)
        .map(|a| (a.1.as_str(), a.2.as_str()))
        .unwrap_or_else(|| panic!("{name} not among {apps:?}"))
}

async fn upload(app: &TestApp, app_id: &str, deb: Vec<u8>) -> Value {
    let auth = format!("Bearer {}", app.admin_token);
    let (s, v) = app
        .raw(
            &format!("/api/v1/apps/{app_id}/packages"),
            &[
                ("authorization", &auth),
                ("content-type", "application/octet-stream"),
            ],
            deb,
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn new_app(app: &TestApp, name: &str) -> String {
    let (s, v) = app
        .post_as(
            "/api/v1/apps",
            &app.admin_token,
            &json!({"name": name, "publisher": "IT"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().expect("id").to_string()
}

async fn assign(app: &TestApp, body: Value) -> Value {
    let (s, v) = app
        .post_as("/api/v1/app-assignments", &app.admin_token, &body)
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

#[tokio::test]
async fn the_real_agent_installs_fails_retries_and_removes_debian_packages() {
    let app = TestApp::spawn_manual(|c| c.apps.schedule_secs = 1).await;
    let work = tempfile::tempdir().expect("work");
    let root = work.path().join("root");
    dpkg_root(&root);
    let good = build_deb(work.path(), "stw-good", "1.0", 0);
    let bad = build_deb(work.path(), "stw-bad", "1.0", 3);
    let fixed = build_deb(work.path(), "stw-bad", "1.1", 0);

    // The real agent, enrolled into the lab group, installing into the test's dpkg root.
    let token = app
        .enrollment_token(CreateEnrollmentToken {
            group: Some("linux-lab".into()),
            ..Default::default()
        })
        .await;
    let state = tempfile::tempdir().expect("state");
    let config = state.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "apps_root = {:?}\napps_retry_secs = 0\napps_max_attempts = 2\npush = false\n",
            root.display().to_string()
        ),
    )
    .expect("config");
    let config = config.display().to_string();
    let agent = |args: &'static [&'static str]| {
        let (state, config) = (state.path().to_path_buf(), config.clone());
        async move {
            let mut all = vec!["--config", config.as_str()];
            all.extend_from_slice(args);
            let (ok, out, err) = crate::agent_tls::agent(&state, &all).await;
            assert!(ok, "{args:?}: {out}{err}");
            out
        }
    };
    let (ok, out, err) = crate::agent_tls::agent(
        state.path(),
        &[
            "--config",
            &config,
            "enroll",
            "--server",
            &app.base,
            "--token",
            &token,
            "--owner",
            "lab@example.com",
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    agent(&["run", "--once"]).await;
    let (_, page) = app.get("/api/v1/devices").await;
    let id = page["items"][0]["id"].as_str().expect("device").to_string();
    // A device that never answers, in the same group.
    let (silent, _) = app.enroll(&token, "silent-laptop", Platform::Linux).await;

    let good_app = new_app(&app, "Good tool").await;
    let bad_app = new_app(&app, "Broken tool").await;
    let v_good = upload(&app, &good_app, good).await;
    assert_eq!(v_good["package"], "stw-good", "{v_good}");
    assert_eq!(v_good["version"], "1.0");
    assert_eq!(v_good["kind"], "deb");
    assert_eq!(v_good["sha256"].as_str().map(str::len), Some(64));
    let v_bad = upload(&app, &bad_app, bad).await;
    // Garbage is refused with a clear code, and nothing is added.
    let auth = format!("Bearer {}", app.admin_token);
    let (s, e) = app
        .raw(
            &format!("/api/v1/apps/{bad_app}/packages"),
            &[("authorization", &auth)],
            b"not a package".to_vec(),
        )
        .await;
    assert_eq!((s, code(&e)), (400, "invalid_field"), "{e}");
    let deadline = steward_core::time::to_rfc3339(app.clock.now_ms() + 3_600_000);
    let a_good = assign(
        &app,
        json!({"version_id": v_good["id"], "intent": "required", "group": "linux-lab",
               "deadline_at": deadline}),
    )
    .await;
    let a_bad = assign(
        &app,
        json!({"version_id": v_bad["id"], "intent": "required", "group": "linux-lab",
               "deadline_at": deadline}),
    )
    .await;
    let a_bad_id = a_bad["id"].as_str().expect("id").to_string();

    // One run: the agent hears the catalog moved, fetches its list, installs both.
    agent(&["run", "--once"]).await;
    let apps = device_apps(&app, &id).await;
    assert_eq!(state_of(&apps, "Good tool"), ("installed", ""), "{apps:?}");
    assert_eq!(
        state_of(&apps, "Broken tool"),
        ("failed", "script_failed"),
        "{apps:?}"
    );
    // The package really is in the dpkg root, and in the inventory; the broken one is not
    // counted as installed (dpkg holds it half-configured).
    assert!(root.join("usr/share/stw-good/README").exists());
    let (_, sw) = app.get("/api/v1/software?name=stw-good").await;
    assert_eq!(sw["total"], 1, "{sw}");
    assert_eq!(sw["items"][0]["device_id"], id.as_str(), "{sw}");
    let (_, sw) = app.get("/api/v1/software?name=stw-bad").await;
    assert_eq!(sw["total"], 0, "{sw}");
    let (_, sw) = app
        .get("/api/v1/software?name=stw-good&version=%3E%3D2")
        .await;
    assert_eq!(sw["total"], 0, "{sw}");
    // Two attempts were made (retries with backoff, here without waiting), both reported.
    let (_, failed) = app
        .get(&format!(
            "/api/v1/app-assignments/{a_bad_id}/devices?state=failed"
        ))
        .await;
    assert_eq!(failed["items"][0]["attempt"], 2, "{failed}");
    assert!(
        failed["items"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("post-installation script")),
        "{failed}"
    );
    // Counts answer the plan: one failed with its code, one never answered yet.
    let (_, status) = app.get(&format!("/api/v1/apps/{bad_app}/status")).await;
    let st = &status["assignments"][0];
    assert_eq!(st["targets"], 2, "{status}");
    assert!(st["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .any(|e| e["name"] == "script_failed" && e["count"] == 1));

    // The help desk sees the failure with its explanation and article, and retries it once
    // the administrator delivered the fixed build.
    let desk = app.token_with_role(steward_core::Role::Helpdesk).await;
    let (_, view) = app
        .get_as("/api/v1/troubleshoot/users/lab@example.com", &desk)
        .await;
    let text = view.to_string();
    assert!(text.contains("script_failed"), "{view}");
    assert!(text.contains("app-install-failed"), "{view}");
    let v_fixed = upload(&app, &bad_app, fixed).await;
    let (s, moved) = app
        .post_as(
            &format!("/api/v1/app-assignments/{a_bad_id}/version"),
            &app.admin_token,
            &json!({"version_id": v_fixed["id"]}),
        )
        .await;
    assert_eq!(
        (s, moved["version"].as_str()),
        (200, Some("1.1")),
        "{moved}"
    );
    let (s, r) = app
        .post_as(
            &format!("/api/v1/app-assignments/{a_bad_id}/devices/{id}/retry"),
            &desk,
            &json!({}),
        )
        .await;
    assert_eq!(s, 202, "{r}");
    agent(&["run", "--once"]).await;
    let apps = device_apps(&app, &id).await;
    assert_eq!(
        state_of(&apps, "Broken tool"),
        ("installed", ""),
        "{apps:?}"
    );
    let (_, sw) = app.get("/api/v1/software?name=stw-bad").await;
    assert_eq!(sw["titles"][0]["version"], "1.1", "{sw}");

    // The uninstall intent removes the good one, for real and in the inventory.
    let (s, _) = app
        .raw_delete(&format!(
            "/api/v1/app-assignments/{}",
            a_good["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 204);
    assign(
        &app,
        json!({"version_id": v_good["id"], "intent": "uninstall", "group": "linux-lab"}),
    )
    .await;
    agent(&["run", "--once"]).await;
    let apps = device_apps(&app, &id).await;
    assert!(
        apps.iter().any(|a| a.0 == "Good tool" && a.1 == "removed"),
        "{apps:?}"
    );
    assert!(!root.join("usr/share/stw-good/README").exists());
    let (_, sw) = app.get("/api/v1/software?name=stw-good").await;
    assert_eq!(sw["total"], 0, "{sw}");

    // Self-service: an available app is listed by `steward-agent apps` and installed by the
    // person at the device with `steward-agent apps install`; the next snapshot reports it.
    let self_app = new_app(&app, "Self tool").await;
    let v_self = upload(
        &app,
        &self_app,
        build_deb(work.path(), "stw-self", "2.0", 0),
    )
    .await;
    assign(
        &app,
        json!({"version_id": v_self["id"], "intent": "available", "group": "linux-lab"}),
    )
    .await;
    let listed = agent(&["apps", "--json"]).await;
    let listed: Value = serde_json::from_str(&listed).expect("apps --json");
    let offered = listed
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["name"] == "Self tool")
        .cloned()
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(offered["state"], "available", "{listed}");
    // Nothing installs it by itself.
    agent(&["run", "--once"]).await;
    assert!(!root.join("usr/share/stw-self/README").exists());
    let out = agent(&["apps", "install", "Self tool"]).await;
    assert!(out.contains("Installed"), "{out}");
    assert!(root.join("usr/share/stw-self/README").exists());
    agent(&["run", "--once"]).await;
    let apps = device_apps(&app, &id).await;
    assert_eq!(state_of(&apps, "Self tool"), ("installed", ""), "{apps:?}");

    // The silent device: pending until the deadline, then timed out (nothing stays pending).
    let targets_path = format!("/api/v1/app-assignments/{a_bad_id}/devices");
    assert_eq!(silent_state(&app, &targets_path, &silent).await, "pending");
    app.clock.advance(Duration::from_secs(7200));
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let s = silent_state(&app, &targets_path, &silent).await;
        if s == "timed_out" {
            break;
        }
        assert!(std::time::Instant::now() < until, "still {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, status) = app
        .get(&format!("/api/v1/app-assignments/{a_bad_id}"))
        .await;
    assert!(
        status["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["name"] == "no_answer" && e["count"] == 1),
        "{status}"
    );
    // Every change is in the audit log.
    let (_, audit) = app.get("/api/v1/audit?limit=200").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "app.create",
        "app.version.add",
        "app.assign",
        "app.assignment.version",
        "app.retry",
        "app.assignment.delete",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    app.shutdown().await;
}

/// The state of one device's target of an assignment.
async fn silent_state(app: &TestApp, path: &str, device: &str) -> String {
    let (_, list) = app.get(path).await;
    list["items"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|t| t["device_id"] == device)
        .map(|t| t["state"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// Reports a simulated device's install of its first offer: installed or failed.
async fn report(app: &TestApp, device: &(String, String), seq: u64, ok: bool) -> bool {
    let doc = app.agent.apps(&device.0, &device.1).await.expect("apps");
    let Some(offer) = doc.apps.first() else {
        return false;
    };
    let mut req = checkin(seq, "sim");
    req.app_installs = vec![AppInstall {
        app_id: offer.app_id.clone(),
        name: offer.name.clone(),
        version: offer.version.clone(),
        state: if ok { "installed" } else { "failed" }.into(),
        error_code: (!ok).then(|| "0x80070643".into()),
        assignment_id: Some(offer.assignment_id.clone()),
        generation: offer.generation,
        attempt: 1,
        message: None,
    }];
    app.agent
        .checkin(&device.0, &device.1, &req)
        .await
        .expect("checkin");
    true
}

#[tokio::test]
async fn a_wave_rollout_waits_at_its_gate_and_goes_on_when_it_is_met() {
    let app = TestApp::spawn_manual(|c| c.apps.schedule_secs = 1).await;
    let token = app
        .enrollment_token(CreateEnrollmentToken {
            group: Some("fleet".into()),
            ..Default::default()
        })
        .await;
    let mut devices = Vec::new();
    for i in 0..40 {
        devices.push(
            app.enroll(&token, &format!("win-{i}"), Platform::Windows)
                .await,
        );
    }
    let vpn = new_app(&app, "VPN client").await;
    let (s, v) = app
        .post_as(
            &format!("/api/v1/apps/{vpn}/versions"),
            &app.admin_token,
            &json!({"version": "7.2.1", "platform": "windows", "kind": "msi", "package": "{A1B2}"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let a = assign(
        &app,
        json!({"version_id": v["id"], "intent": "required", "group": "fleet",
               "waves": [{"percent": 25}, {"percent": 100}], "gate_percent": 90}),
    )
    .await;
    let a_id = a["id"].as_str().expect("id").to_string();
    // Wave 1 only: the devices of wave 2 are not offered the app yet.
    let mut first = Vec::new();
    for d in &devices {
        let doc = app.agent.apps(&d.0, &d.1).await.expect("apps");
        if !doc.apps.is_empty() {
            first.push(d.clone());
        }
    }
    assert!(
        (3..=20).contains(&first.len()),
        "wave 1 holds about a quarter: {}",
        first.len()
    );
    // Half of wave 1 fails: below the gate, the rollout stays at wave 1.
    for (i, d) in first.iter().enumerate() {
        report(&app, d, 2, i % 2 == 0).await;
    }
    app.clock.advance(Duration::from_secs(5));
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.clock.advance(Duration::from_secs(5));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, st) = app.get(&format!("/api/v1/app-assignments/{a_id}")).await;
    assert_eq!(st["assignment"]["current_wave"], 0, "{st}");
    assert_eq!(st["waves"][0]["phase"], "started", "{st}");
    let offered = {
        let mut n = 0;
        for d in &devices {
            n += usize::from(
                !app.agent
                    .apps(&d.0, &d.1)
                    .await
                    .expect("apps")
                    .apps
                    .is_empty(),
            );
        }
        n
    };
    assert_eq!(offered, first.len(), "wave 2 must wait");
    // The failed ones are retried and succeed: the gate is met, wave 2 starts.
    let (s, r) = app
        .post_as(
            &format!("/api/v1/app-assignments/{a_id}/retry"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, r["devices"].as_u64()),
        (200, Some((first.len() / 2) as u64)),
        "{r}"
    );
    for d in &first {
        report(&app, d, 3, true).await;
    }
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        app.clock.advance(Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (_, st) = app.get(&format!("/api/v1/app-assignments/{a_id}")).await;
        if st["assignment"]["current_wave"] == 1 {
            assert_eq!(st["waves"][0]["success_percent"], 100.0, "{st}");
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "wave 2 never started: {st}"
        );
    }
    let mut offered = 0;
    for d in &devices {
        offered += usize::from(
            !app.agent
                .apps(&d.0, &d.1)
                .await
                .expect("apps")
                .apps
                .is_empty(),
        );
    }
    assert_eq!(offered, devices.len());
    app.shutdown().await;
}
