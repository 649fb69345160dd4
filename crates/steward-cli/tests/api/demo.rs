//! `steward demo`, the README's first command: it serves, enrolls the requested number of
//! devices through the agent API, prints credentials that work, and stops cleanly on Ctrl-C.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::code;

#[tokio::test]
async fn demo_serves_the_requested_fleet_and_stops_on_ctrl_c() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["demo", "--devices", "400", "--interval", "5"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("STEWARD_LANG", "en")
        .env_remove("MALLOC_ARENA_MAX")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn demo");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut token = None;
    let mut admin = None;
    let read = async {
        while let Some(line) = lines.next_line().await.expect("line") {
            if let Some(t) = line.strip_prefix("API token (administrator): ") {
                token = Some(t.to_string());
            }
            if let Some(rest) = line.strip_prefix("Administrator: ") {
                if let Some((email, password)) = rest.split_once("   password: ") {
                    admin = Some((email.trim().to_string(), password.trim().to_string()));
                }
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("demo became ready");
    // It started itself again with one glibc malloc arena, keeping its process id and name.
    let pid = child.id().expect("pid");
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|v| v == b"MALLOC_ARENA_MAX=1"),
        "{}",
        String::from_utf8_lossy(&environ)
    );
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).expect("comm");
    assert_eq!(comm.trim(), "steward");
    let token = token.expect("the demo prints an API token");
    let (email, password) = admin.expect("the demo prints the administrator's credentials");

    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let token = token.clone();
        async move {
            http.get(format!("http://127.0.0.1:{port}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .expect("request")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let page = get("/api/v1/devices?limit=1000".into()).await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(400),
        "{}",
        code(&page)
    );
    let platforms: std::collections::HashSet<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["platform"].as_str())
        .collect();
    assert_eq!(
        platforms.len(),
        5,
        "every platform is in the fleet: {platforms:?}"
    );
    let refused = get("/api/v1/enrollment-attempts?result=unknown_token".into()).await;
    assert_eq!(refused["items"].as_array().map(Vec::len), Some(8));
    let dup = get("/api/v1/enrollment-attempts?result=duplicate_device".into()).await;
    assert_eq!(dup["items"].as_array().map(Vec::len), Some(2));

    // The printed credentials sign in.
    let login = http
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let session: serde_json::Value = login.json().await.expect("json");
    assert_eq!(
        session["user"]["roles"],
        serde_json::json!(["administrator"])
    );

    let pid = child.id().expect("pid").to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .expect("kill");
    assert!(status.success());
    let mut rest = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push(line);
    }
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("demo stops")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("400 devices enrolled, 10 enrollments refused")),
        "{rest:?}"
    );
}
