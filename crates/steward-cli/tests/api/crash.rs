//! The server is killed with SIGKILL while check-ins are in flight; after a restart every
//! check-in that was answered 2xx is in the database.

use std::collections::HashMap;
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
    let acked: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
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
                        acked.lock().expect("lock").insert(id.clone(), seq);
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    // Let the load run, then kill the server mid-flight.
    let t0 = Instant::now();
    while acked.lock().expect("lock").values().sum::<u64>() < 3_000
        && t0.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(server);
    for t in tasks {
        t.await.expect("task");
    }
    let acked = acked.lock().expect("lock").clone();
    let total: u64 = acked.values().sum();
    assert!(
        total >= 1_000,
        "too few acknowledged check-ins before the kill: {total}"
    );

    let _server = start(&db, port).await;
    let http = reqwest::Client::new();
    for (id, seq) in &acked {
        let dev: serde_json::Value = http
            .get(format!("{base}/api/v1/devices/{id}"))
            .bearer_auth(&api_token)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        let stored = dev["seq"].as_u64().expect("seq");
        assert!(
            stored >= *seq,
            "device {id}: acknowledged seq {seq}, stored {stored}"
        );
        assert_eq!(dev["os"]["build"], format!("b{}", stored / 3));
    }
}
