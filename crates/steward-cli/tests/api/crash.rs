//! The server is killed with SIGKILL while check-ins are in flight; after a restart every
//! state-changing check-in that was answered 2xx is in the database, and of the unchanged
//! ones only the last-seen times and sequence numbers of those still waiting to be written
//! are missing. Stopped with SIGTERM, it writes those too.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use steward_agent::Client;
use steward_proto::Platform;

use crate::helpers::*;

#[tokio::test]
async fn acknowledged_checkins_survive_sigkill() {
    let db = TestDb::new().await;
    let enroll_token = cli(&db, &["enroll-token", "create"]);
    let api_token = cli(&db, &["token", "create", "--role", "helpdesk"]);
    let port = free_port();
    let server = start(&db, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new(&base);

    let mut devices = Vec::new();
    for i in 0..64 {
        let r = client
            .enroll(&enroll_request(
                &enroll_token,
                &format!("crash-{i}"),
                Platform::Windows,
            ))
            .await
            .expect("enroll");
        devices.push((r.device_id, r.device_secret));
    }
    // Per device: the last check-in answered, and the last state-changing one answered.
    let acked: Arc<Mutex<HashMap<String, (u64, u64)>>> = Arc::default();
    let mut tasks = Vec::new();
    for (i, (id, secret)) in devices.iter().cloned().enumerate() {
        let client = client.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            for seq in 1..=20_000u64 {
                let mut req = checkin(seq, &format!("crash-{i}"));
                // Every third check-in changes state, the rest take the unchanged path.
                req.os.build = format!("b{}", seq / 3);
                match client.checkin(&id, &secret, &req).await {
                    Ok(r) => {
                        assert!(r.applied);
                        let mut acked = acked.lock().expect("lock");
                        let last = acked.entry(id.clone()).or_default();
                        last.0 = seq;
                        if seq == 1 || seq % 3 == 0 {
                            last.1 = seq;
                        }
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    // Let the load run, then kill the server mid-flight.
    let t0 = Instant::now();
    while acked
        .lock()
        .expect("lock")
        .values()
        .map(|a| a.0)
        .sum::<u64>()
        < 3_000
        && t0.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(server);
    for t in tasks {
        t.await.expect("task");
    }
    let acked = acked.lock().expect("lock").clone();
    let total: u64 = acked.values().map(|a| a.0).sum();
    assert!(
        total >= 1_000,
        "too few acknowledged check-ins before the kill: {total}"
    );

    let _server = start(&db, port).await;
    let http = reqwest::Client::new();
    for (id, (last, changed)) in &acked {
        let dev = device(&http, &base, &api_token, id).await;
        let stored = dev["seq"].as_u64().expect("seq");
        // No acknowledged change is lost; at most the unchanged check-ins after the last
        // change (two here) are, and at most one unanswered one was written.
        assert!(
            stored >= *changed && stored + 2 >= *last && stored <= last + 1,
            "device {id}: last acknowledged seq {last}, last acknowledged change {changed}, \
             stored {stored}"
        );
        assert_eq!(dev["os"]["build"], format!("b{}", stored / 3));
    }
}

/// Unchanged check-ins wait in memory (here up to a minute) and a SIGTERM writes them before
/// the server ends.
#[tokio::test]
async fn unchanged_checkins_waiting_to_be_written_are_written_when_the_server_stops() {
    let db = TestDb::new().await;
    let enroll_token = cli(&db, &["enroll-token", "create"]);
    let api_token = cli(&db, &["token", "create", "--role", "helpdesk"]);
    let port = free_port();
    let env = [("STEWARD_CHECKIN__TOUCH_FLUSH_MS", "60000".to_string())];
    let mut server = start_with_env(&db, port, &env).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new(&base);
    let http = reqwest::Client::new();
    let stored = |id: String| {
        let (http, base, api_token) = (http.clone(), base.clone(), api_token.clone());
        async move {
            let dev = device(&http, &base, &api_token, &id).await;
            (
                dev["seq"].as_u64().expect("seq"),
                dev["last_seen_at"].clone(),
            )
        }
    };
    let mut devices = Vec::new();
    for i in 0..8 {
        let r = client
            .enroll(&enroll_request(
                &enroll_token,
                &format!("term-{i}"),
                Platform::Linux,
            ))
            .await
            .expect("enroll");
        for seq in 1..=5 {
            if seq == 5 {
                // The last-seen time the stop writes is a later one than the first's.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let answer = client
                .checkin(
                    &r.device_id,
                    &r.device_secret,
                    &checkin(seq, &format!("term-{i}")),
                )
                .await
                .expect("check-in");
            assert!(answer.applied);
        }
        // The first check-in is written at once; the unchanged ones after it wait.
        let (seq, _) = stored(r.device_id.clone()).await;
        assert_eq!(
            seq, 1,
            "device {i}: unchanged check-ins were written at once"
        );
        devices.push(r.device_id);
    }
    let (_, seen_before) = stored(devices[0].clone()).await;

    let pid = server.0.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exited = loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(server);
    assert!(exited.success(), "the server ended with {exited}");

    let _server = start(&db, port).await;
    for id in &devices {
        let (seq, _) = stored(id.clone()).await;
        assert_eq!(
            seq, 5,
            "device {id}: the waiting check-ins were not written"
        );
    }
    let (_, seen_after) = stored(devices[0].clone()).await;
    assert_ne!(seen_after, seen_before, "last-seen time did not move");
}

/// The device as the API shows it.
async fn device(http: &reqwest::Client, base: &str, token: &str, id: &str) -> serde_json::Value {
    http.get(format!("{base}/api/v1/devices/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}
