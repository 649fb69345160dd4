//! Several real `steward serve` processes on one database (the test's SQLite file, or its
//! PostgreSQL database when the suite runs on PostgreSQL).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::helpers::*;

/// Which replicas (by index) hold each singleton job's lease, from their `/metrics`.
async fn holders(ports: &[Option<u16>]) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, port) in ports.iter().enumerate() {
        let Some(port) = port else { continue };
        let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await else {
            continue;
        };
        let text = r.text().await.unwrap_or_default();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("steward_lease_held{job=\"") else {
                continue;
            };
            let Some((job, value)) = rest.split_once("\"} ") else {
                continue;
            };
            let entry = out.entry(job.to_string()).or_default();
            if value.trim() == "1" {
                entry.push(i);
            }
        }
    }
    out
}

/// Waits until every singleton job is held by exactly one live replica; returns the holders.
async fn one_holder_each(ports: &[Option<u16>], within: Duration) -> BTreeMap<String, usize> {
    let deadline = Instant::now() + within;
    loop {
        let seen = holders(ports).await;
        let jobs = steward_server::tasks::SINGLETONS;
        if jobs
            .iter()
            .all(|j| seen.get(*j).is_some_and(|h| h.len() == 1))
        {
            return seen.into_iter().map(|(j, h)| (j, h[0])).collect();
        }
        assert!(
            seen.values().all(|h| h.len() <= 1),
            "a job runs on two replicas at once: {seen:?}"
        );
        assert!(
            Instant::now() < deadline,
            "not every job found one holder within {within:?}: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn each_singleton_job_runs_on_one_replica_and_moves_when_it_dies() {
    let db = TestDb::new().await;
    let (mut servers, mut ports) = replicas(&db, 3).await;
    for port in ports.iter().flatten() {
        let r = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
            .await
            .expect("readyz");
        assert_eq!(r.status(), 200, "replica on {port} is ready");
    }
    let first = one_holder_each(&ports, Duration::from_secs(10)).await;
    // The replica holding the sweeper dies without a word (SIGKILL).
    let victim = first["sweeper"];
    let mut dead = servers[victim].take().expect("running");
    dead.0.kill().expect("kill");
    let _ = dead.0.wait();
    ports[victim] = None;
    // Taken over within 10 s (the wait fails past that).
    let after = one_holder_each(&ports, Duration::from_secs(10)).await;
    assert!(
        after.values().all(|&i| i != victim),
        "every job on a live replica: {after:?}"
    );
    // Jobs that were on live replicas stayed where they were.
    for (job, &i) in &first {
        if i != victim {
            assert_eq!(after[job], i, "{job} moved although its replica lives");
        }
    }
}

/// `n` `steward serve` processes on `db` that a test may kill one by one: the servers and
/// their ports (a killed one's become `None`).
async fn replicas(db: &TestDb, n: usize) -> (Vec<Option<Server>>, Vec<Option<u16>>) {
    let mut servers = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..n {
        let port = free_port();
        servers.push(Some(start(db, port).await));
        ports.push(Some(port));
    }
    (servers, ports)
}

/// Three `steward serve` processes on `db`: the servers (stopped when dropped), their ports,
/// and an agent client of each.
async fn three_replicas(db: &TestDb) -> (Vec<Server>, [u16; 3], [steward_agent::Client; 3]) {
    let ports = [free_port(), free_port(), free_port()];
    let mut servers = Vec::new();
    for port in ports {
        servers.push(start(db, port).await);
    }
    let clients = ports.map(|p| steward_agent::Client::new(&format!("http://127.0.0.1:{p}")));
    (servers, ports, clients)
}

/// An enrollment token and an administrator's API token, made with the command line.
fn tokens(db: &TestDb) -> (String, String) {
    (
        cli(db, &["enroll-token", "create"]),
        cli(db, &["token", "create", "--role", "admin"]),
    )
}

/// Enrolls a Linux device named `name` through `agent`: its id and secret.
async fn enroll_through(
    agent: &steward_agent::Client,
    token: &str,
    name: &str,
) -> (String, String) {
    let r = agent
        .enroll(&enroll_request(token, name, steward_proto::Platform::Linux))
        .await
        .expect("enroll");
    (r.device_id, r.device_secret)
}

/// Rotates device `id`'s secret through the replica at `port` and takes the new secret with
/// check-in `seq` (old secret) through `agent`, that replica's client.
#[allow(clippy::too_many_arguments)]
async fn rotate_through(
    http: &reqwest::Client,
    port: u16,
    admin: &str,
    agent: &steward_agent::Client,
    id: &str,
    old: &str,
    seq: u64,
    name: &str,
) -> String {
    let path = format!("/api/v1/devices/{id}/rotate-secret");
    let rotated = post_status(http, port, &path, admin, serde_json::json!({})).await;
    assert_eq!(rotated, 202);
    agent
        .checkin(id, old, &checkin(seq, name))
        .await
        .expect("check-in")
        .new_secret
        .expect("offered by the replica that rotated")
}

#[tokio::test]
async fn credentials_hold_on_every_replica_rotation_promotion_and_retirement() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (_servers, ports, [a, b, c]) = three_replicas(&db).await;
    let (id, old) = enroll_through(&a, &enroll_token, "spread").await;
    // Every replica has seen (and cached) the device with its first secret.
    for (seq, replica) in [(1, &a), (2, &b), (3, &c)] {
        let r = replica.checkin(&id, &old, &checkin(seq, "spread")).await;
        assert!(r.expect("first secret").applied, "check-in {seq}");
    }
    let http = reqwest::Client::new();
    let new = rotate_through(&http, ports[0], &admin, &a, &id, &old, 4, "spread").await;
    // The device's next check-in reaches another replica, with the new secret: it becomes
    // the only one.
    let r = b
        .checkin(&id, &new, &checkin(5, "spread"))
        .await
        .expect("the new secret works through another replica");
    assert!(r.applied && r.new_secret.is_none());
    for (seq, replica) in [(6, &a), (7, &c)] {
        let r = replica.checkin(&id, &new, &checkin(seq, "spread")).await;
        assert!(r.expect("new secret").applied, "check-in {seq}");
    }
    // The old secret is refused everywhere: also by replica C, whose cache held it, for a
    // new snapshot and for one sent again.
    for (name, replica) in [("a", &a), ("b", &b), ("c", &c)] {
        for seq in [8, 2] {
            let e = replica
                .checkin(&id, &old, &checkin(seq, "spread"))
                .await
                .expect_err("old secret");
            assert_eq!(e.code(), Some("unauthorized"), "replica {name}, seq {seq}");
        }
    }
    // Retired through one replica: refused by every one, though each had it cached.
    let path = format!("/api/v1/devices/{id}/retire");
    let retired = post_status(&http, ports[1], &path, &admin, serde_json::json!({})).await;
    assert!(retired.is_success(), "{retired}");
    for (name, replica) in [("a", &a), ("b", &b), ("c", &c)] {
        let e = replica
            .checkin(&id, &new, &checkin(9, "spread"))
            .await
            .expect_err("retired");
        assert_eq!(e.code(), Some("device_retired"), "replica {name}");
        let e = replica.wait(&id, &new, 1).await.expect_err("retired");
        assert_eq!(e.code(), Some("device_retired"), "replica {name}, push");
    }
}

/// An unchanged check-in that follows what a replica cached is answered before it is
/// written; a retirement through another replica is honoured from that replica's next
/// flush on (`checkin.touch_flush_ms`, 1 s by default), and nothing is handed out meanwhile.
#[tokio::test]
async fn a_retirement_through_another_replica_is_honoured_from_the_next_flush() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (_servers, ports, [a, _b, _c]) = three_replicas(&db).await;
    let (id, secret) = enroll_through(&a, &enroll_token, "leaving").await;
    for seq in 1..=2 {
        let r = a.checkin(&id, &secret, &checkin(seq, "leaving")).await;
        assert!(r.expect("before").applied, "check-in {seq}");
    }
    let http = reqwest::Client::new();
    let path = format!("/api/v1/devices/{id}/retire");
    let retired = post_status(&http, ports[1], &path, &admin, serde_json::json!({})).await;
    assert!(retired.is_success(), "{retired}");
    // The next sequence number after A's cache: answered at once, or already refused.
    match a.checkin(&id, &secret, &checkin(3, "leaving")).await {
        Ok(r) => assert!(r.actions.is_empty() && r.new_secret.is_none(), "{r:?}"),
        Err(e) => assert_eq!(e.code(), Some("device_retired")),
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let e = a
        .checkin(&id, &secret, &checkin(4, "leaving"))
        .await
        .expect_err("retired");
    assert_eq!(e.code(), Some("device_retired"));
    let dev = get_json(&http, ports[2], &format!("/api/v1/devices/{id}"), &admin).await;
    assert_eq!(dev["retired"], true, "{dev}");
    assert!(
        dev["seq"].as_u64() < Some(3),
        "nothing written after the retirement: {dev}"
    );
}

/// Each replica writes the unchanged check-ins it answered, within one interval of
/// `checkin.touch_flush_ms`, from its own waiting touches: one waiting on a replica alone is
/// written, and one overtaken by a newer state written through another replica writes
/// nothing.
#[tokio::test]
async fn touches_waiting_on_two_replicas_are_each_written_or_overtaken_within_an_interval() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (_servers, ports, [a, b, c]) = three_replicas(&db).await;
    let (x, x_secret) = enroll_through(&a, &enroll_token, "x").await;
    let (y, y_secret) = enroll_through(&b, &enroll_token, "y").await;
    for seq in 1..=2 {
        let r = a.checkin(&x, &x_secret, &checkin(seq, "x")).await;
        assert!(r.expect("x through A").applied, "x {seq}");
        let r = b.checkin(&y, &y_secret, &checkin(seq, "y")).await;
        assert!(r.expect("y through B").applied, "y {seq}");
    }
    // x's second check-in waits on A, y's on B; x changes through C meanwhile.
    let r = c.checkin(&x, &x_secret, &checkin(3, "x-renamed")).await;
    assert!(r.expect("x through C").applied);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let http = reqwest::Client::new();
    let xd = get_json(&http, ports[1], &format!("/api/v1/devices/{x}"), &admin).await;
    assert_eq!(xd["seq"], 3, "{xd}");
    assert_eq!(xd["os"]["hostname"], "x-renamed", "{xd}");
    let yd = get_json(&http, ports[2], &format!("/api/v1/devices/{y}"), &admin).await;
    assert_eq!(yd["seq"], 2, "{yd}");
}

#[tokio::test]
async fn a_request_claimed_for_a_refused_check_in_goes_back_to_the_mailbox() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (_servers, ports, [a, b, c]) = three_replicas(&db).await;
    let (id, old) = enroll_through(&a, &enroll_token, "stale").await;
    // Replica C caches the device with its first secret; the secret is then rotated and
    // promoted through A and B, which C does not see.
    let r = c.checkin(&id, &old, &checkin(1, "stale")).await;
    assert!(r.expect("first secret").applied);
    let http = reqwest::Client::new();
    let new = rotate_through(&http, ports[0], &admin, &a, &id, &old, 2, "stale").await;
    let r = b.checkin(&id, &new, &checkin(3, "stale")).await;
    assert!(r.expect("promoted").applied);
    let path = format!("/api/v1/devices/{id}/requests");
    let made = post_status(
        &http,
        ports[0],
        &path,
        &admin,
        serde_json::json!({"kind": "full_scan"}),
    )
    .await;
    assert_eq!(made, 201);
    // C follows the mailbox version twice a second: its hint now names the request.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The old secret still matches C's cache, so C claims the request beside the write,
    // which the database then refuses: the request goes back instead of being lost. Also
    // for the sequence number that follows C's cache (an unchanged check-in that would
    // otherwise be answered before it is written: not with something waiting for it).
    for seq in [2, 4] {
        let e = c
            .checkin(&id, &old, &checkin(seq, "stale"))
            .await
            .expect_err("old secret");
        assert_eq!(e.code(), Some("unauthorized"), "seq {seq}");
    }
    let list = get_json(&http, ports[2], &path, &admin).await;
    assert!(list["items"][0]["sent_at"].is_null(), "{list}");
    // The device, with its new secret, gets it through C.
    let r = c
        .checkin(&id, &new, &checkin(5, "stale"))
        .await
        .expect("new secret");
    assert_eq!(r.actions.len(), 1, "{r:?}");
    assert_eq!(r.actions[0].kind, "full_scan");
    let list = get_json(&http, ports[1], &path, &admin).await;
    assert!(list["items"][0]["sent_at"].is_string(), "{list}");
}

#[tokio::test]
async fn a_request_made_through_one_replica_reaches_a_device_waiting_on_another_once() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (servers, ports, [a, b, c]) = three_replicas(&db).await;
    let (id, secret) = enroll_through(&a, &enroll_token, "desk").await;
    assert!(
        c.checkin(&id, &secret, &checkin(1, "desk"))
            .await
            .expect("1")
            .applied
    );
    // The device waits on replica B, and (a second connection) on replica C.
    let wait_on = |replica: &steward_agent::Client| {
        let (replica, id, secret) = (replica.clone(), id.clone(), secret.clone());
        tokio::spawn(async move {
            let r = replica.wait(&id, &secret, 4).await;
            (r, Instant::now())
        })
    };
    let (on_b, on_c) = (wait_on(&b), wait_on(&c));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let http = reqwest::Client::new();
    let asked = Instant::now();
    let r = http
        .post(format!(
            "http://127.0.0.1:{}/api/v1/devices/{id}/requests",
            ports[0]
        ))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"kind": "full_scan"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 201);
    let request: serde_json::Value = r.json().await.expect("json");
    let mut answers = Vec::new();
    for task in [on_b, on_c] {
        let (r, at) = task.await.expect("task");
        answers.push((r.expect("wait"), at));
    }
    // Exactly one connection got it, within a second of the request (not with the next
    // check-in); the other's wait ran out empty.
    let got: Vec<_> = answers
        .iter()
        .filter(|(r, _)| !r.actions.is_empty())
        .collect();
    assert_eq!(got.len(), 1, "{answers:?}");
    let (got, at) = got[0];
    let took = at.duration_since(asked);
    assert!(took < Duration::from_secs(1), "pushed after {took:?}");
    assert_eq!(got.actions.len(), 1, "{got:?}");
    assert_eq!(got.actions[0].kind, "full_scan");
    assert_eq!(
        got.actions[0].id,
        format!("request:{}", request["id"].as_str().expect("id"))
    );
    // Check-ins through every replica get nothing more.
    for (seq, replica) in [(2, &a), (3, &b), (4, &c)] {
        let r = replica
            .checkin(&id, &secret, &checkin(seq, "desk"))
            .await
            .expect("check-in");
        assert!(r.actions.is_empty(), "check-in {seq}: {:?}", r.actions);
    }
    let list = get_json(
        &http,
        ports[2],
        &format!("/api/v1/devices/{id}/requests"),
        &admin,
    )
    .await;
    assert!(list["items"][0]["sent_at"].is_string(), "{list}");
    // After a restart of every replica it is not handed out again.
    drop(servers);
    let mut servers = Vec::new();
    for port in ports {
        servers.push(start(&db, port).await);
    }
    let r = b
        .wait(&id, &secret, 1)
        .await
        .expect("wait after the restart");
    assert!(r.actions.is_empty(), "{r:?}");
}

/// `POST path` with `body` on the replica at `port` with `token`; the answer's status.
async fn post_status(
    http: &reqwest::Client,
    port: u16,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> reqwest::StatusCode {
    http.post(format!("http://127.0.0.1:{port}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
        .status()
}

/// `GET path` on the replica at `port` with `token`, as JSON.
async fn get_json(http: &reqwest::Client, port: u16, path: &str, token: &str) -> serde_json::Value {
    http.get(format!("http://127.0.0.1:{port}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// The slugs `q` finds on the replica at `port`.
async fn found(http: &reqwest::Client, port: u16, token: &str, q: &str) -> Vec<String> {
    let body = get_json(
        http,
        port,
        &format!("/api/v1/kb/search?q={q}&lang=en"),
        token,
    )
    .await;
    body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["slug"].as_str().map(String::from))
        .collect()
}

/// Waits until every replica's search finds `slug` for `q`.
async fn found_everywhere(http: &reqwest::Client, ports: &[u16], token: &str, q: &str, slug: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    for &port in ports {
        while !found(http, port, token, q).await.iter().any(|s| s == slug) {
            assert!(
                Instant::now() < deadline,
                "{q:?} does not find {slug} on the replica at {port} within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn an_article_written_through_one_replica_is_found_through_every_one() {
    let db = TestDb::new().await;
    let admin = cli(&db, &["token", "create", "--role", "admin"]);
    let ports = [free_port(), free_port(), free_port()];
    let mut servers = Vec::new();
    for port in ports {
        servers.push(start(&db, port).await);
    }
    let http = reqwest::Client::new();
    let article = |body: &str| {
        serde_json::json!({
            "slug": "printer-offline",
            "title": {"en": "Printer shows offline"},
            "body": {"en": body},
        })
    };
    let r = http
        .post(format!("http://127.0.0.1:{}/api/v1/kb/articles", ports[0]))
        .bearer_auth(&admin)
        .json(&article("Restart the print spooler."))
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    found_everywhere(&http, &ports, &admin, "spooler", "printer-offline").await;
    // A new revision through another replica replaces the old text everywhere.
    let r = http
        .put(format!(
            "http://127.0.0.1:{}/api/v1/kb/articles/{id}",
            ports[1]
        ))
        .bearer_auth(&admin)
        .json(&article("Replace the toner cartridge."))
        .send()
        .await
        .expect("update");
    assert_eq!(r.status(), 200);
    found_everywhere(&http, &ports, &admin, "toner", "printer-offline").await;
    for port in ports {
        assert!(
            !found(&http, port, &admin, "spooler")
                .await
                .contains(&"printer-offline".to_string()),
            "the old revision is gone on {port}"
        );
    }
}

#[tokio::test]
async fn configuration_changed_through_one_replica_governs_the_others_within_a_second() {
    let db = TestDb::new().await;
    let admin = cli(&db, &["token", "create", "--role", "admin"]);
    let enroll_token = cli(&db, &["enroll-token", "create"]);
    let (pa, pb) = (free_port(), free_port());
    let _a = start(&db, pa).await;
    let _b = start(&db, pb).await;
    let http = reqwest::Client::new();
    let post = |port: u16, path: &str, body: serde_json::Value| {
        http.post(format!("http://127.0.0.1:{port}{path}"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let r = post(
        pa,
        "/api/v1/policies",
        serde_json::json!({"name": "No threats", "rules": [{"rule": "no_active_threats"}]}),
    )
    .await
    .expect("policy");
    assert_eq!(r.status(), 202);
    let policy: serde_json::Value = r.json().await.expect("json");
    let made = Instant::now();
    for (path, body) in [
        (
            "/api/v1/alert-rules",
            serde_json::json!({"name": "Active threat", "severity": "critical",
                               "condition": {"type": "active_threat"}}),
        ),
        (
            "/api/v1/channels",
            serde_json::json!({"name": "SOC", "kind": "webhook", "target": "http://127.0.0.1:9/hook"}),
        ),
        (
            "/api/v1/silences",
            serde_json::json!({"device_group": "lab", "duration_minutes": 60, "reason": "re-imaging"}),
        ),
    ] {
        let r = post(pa, path, body).await.expect("create");
        let want = if path == "/api/v1/alert-rules" {
            202
        } else {
            201
        };
        assert_eq!(r.status(), want, "{path}");
    }
    tokio::time::sleep(Duration::from_secs(1).saturating_sub(made.elapsed())).await;
    // Each shows through the other replica, which reads them from its memory.
    for path in [
        "/api/v1/policies",
        "/api/v1/alert-rules",
        "/api/v1/channels",
        "/api/v1/silences",
    ] {
        let body = get_json(&http, pb, path, &admin).await;
        assert_eq!(
            body["items"].as_array().map(Vec::len),
            Some(1),
            "{path}: {body}"
        );
    }
    // A device checking in through the other replica is evaluated against the new policy and
    // rule.
    let agent = steward_agent::Client::new(&format!("http://127.0.0.1:{pb}"));
    let (device_id, device_secret) = enroll_through(&agent, &enroll_token, "infected").await;
    let mut req = checkin(1, "infected");
    let mut protection = healthy_protection();
    protection
        .detections
        .push(eicar_left_in_place("/tmp/eicar.com"));
    req.protection = Some(protection);
    assert!(
        agent
            .checkin(&device_id, &device_secret, &req)
            .await
            .expect("check-in")
            .applied
    );
    let device = get_json(&http, pa, &format!("/api/v1/devices/{device_id}"), &admin).await;
    assert_eq!(device["compliance_state"], "noncompliant", "{device}");
    let path = format!("/api/v1/alerts?device_id={device_id}");
    let alerts = get_json(&http, pa, &path, &admin).await;
    assert_eq!(
        alerts["items"].as_array().map(Vec::len),
        Some(1),
        "{alerts}"
    );

    // The policy changed through the other replica: whichever server runs the fleet job
    // evaluates the device already there against the changed policy.
    let id = policy["id"].as_str().expect("id");
    let r = http
        .put(format!("http://127.0.0.1:{pb}/api/v1/policies/{id}"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "No threats, firewall on",
            "rules": [{"rule": "no_active_threats"}, {"rule": "firewall_required"}]}))
        .send()
        .await
        .expect("change");
    assert_eq!(r.status(), 202);
    let job = r.json::<serde_json::Value>().await.expect("json")["job"]["id"]
        .as_str()
        .expect("job")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let j = get_json(&http, pa, &format!("/api/v1/fleet-jobs/{job}"), &admin).await;
        if j["state"] == "done" {
            break;
        }
        assert!(Instant::now() < deadline, "the job did not end: {j}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let device = get_json(&http, pa, &format!("/api/v1/devices/{device_id}"), &admin).await;
    assert_eq!(
        device["compliance_results"].as_array().map(Vec::len),
        Some(2),
        "{device}"
    );
}

/// Active-threat reports from `devices`, spread over the live replicas.
async fn threats(ports: &[Option<u16>], devices: &[(String, String)]) {
    let live: Vec<u16> = ports.iter().flatten().copied().collect();
    let mut protection = healthy_protection();
    protection.threat_state = Some(steward_proto::ThreatState::ActiveThreat);
    protection
        .detections
        .push(eicar_left_in_place("/home/u/eicar.com"));
    for (i, (id, secret)) in devices.iter().enumerate() {
        let mut req = checkin(1, id);
        req.protection = Some(protection.clone());
        // A replica that just died refuses the connection: the device tries the next one.
        let mut sent = false;
        for k in 0..live.len() {
            let port = live[(i + k) % live.len()];
            let agent = steward_agent::Client::new(&format!("http://127.0.0.1:{port}"));
            if agent.checkin(id, secret, &req).await.is_ok() {
                sent = true;
                break;
            }
        }
        assert!(sent, "device {id} reached no replica");
    }
}

/// The idempotency keys each device's notifications arrived with.
fn keys_by_device(got: &[Received]) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut out: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for r in got {
        let device = r.body["alerts"][0]["device_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let key = r
            .headers
            .get("idempotency-key")
            .cloned()
            .unwrap_or_default();
        out.entry(device).or_default().insert(key);
    }
    out
}

#[tokio::test]
async fn an_alert_storm_is_notified_once_per_alert_even_when_the_notifying_replica_dies() {
    let db = TestDb::new().await;
    let admin = cli(&db, &["token", "create", "--role", "admin"]);
    let enroll_token = cli(&db, &["enroll-token", "create"]);
    let (mut servers, mut ports) = replicas(&db, 3).await;
    let hook = Receiver::start(Some("k")).await;
    let http = reqwest::Client::new();
    let post = |port: u16, path: &str, body: serde_json::Value| {
        http.post(format!("http://127.0.0.1:{port}{path}"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let p0 = ports[0].expect("running");
    let r = post(
        p0,
        "/api/v1/channels",
        serde_json::json!({"name": "SOC", "kind": "webhook", "target": hook.url, "secret": "k"}),
    )
    .await
    .expect("channel");
    assert_eq!(r.status(), 201);
    let channel = r.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    // Each device's threat is its own incident: one notification per alert, at once.
    let r = post(
        p0,
        "/api/v1/alert-rules",
        serde_json::json!({"name": "Active threat", "severity": "critical",
                           "condition": {"type": "active_threat"},
                           "notify": {"channels": [channel], "group_by": "device"}}),
    )
    .await
    .expect("rule");
    assert_eq!(r.status(), 202);
    let agent = steward_agent::Client::new(&format!("http://127.0.0.1:{p0}"));
    let mut devices = Vec::new();
    for i in 0..60 {
        let name = format!("storm-{i}");
        let (device_id, device_secret) = enroll_through(&agent, &enroll_token, &name).await;
        devices.push((device_id, device_secret));
    }
    let holders = one_holder_each(&ports, Duration::from_secs(10)).await;

    // While every replica lives: one notification per alert, delivered once.
    let (first, second) = devices.split_at(30);
    threats(&ports, first).await;
    let got = hook.wait_for(30).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got_now = hook.received();
    assert_eq!(got_now.len(), got.len().max(30), "nothing more arrives");
    let by_device = keys_by_device(&got_now);
    assert_eq!(by_device.len(), 30, "{by_device:?}");
    assert!(
        by_device.values().all(|k| k.len() == 1),
        "one key per alert"
    );
    assert_eq!(got_now.len(), 30, "each delivered once");
    assert!(got_now.iter().all(|r| r.signature_ok == Some(true)));

    // The replica deciding and sending notifications dies without a word in the middle of
    // the second half of the storm.
    let victim = holders["notifier"];
    let (before_kill, after_kill) = second.split_at(10);
    threats(&ports, before_kill).await;
    let mut dead = servers[victim].take().expect("running");
    dead.0.kill().expect("kill");
    let _ = dead.0.wait();
    ports[victim] = None;
    threats(&ports, after_kill).await;
    // Another replica takes the jobs over (within 10 s: the wait fails past that), and every
    // alert is notified: nothing decided is lost, a repeat carries the same key.
    let after = one_holder_each(&ports, Duration::from_secs(10)).await;
    assert!(after.values().all(|&i| i != victim), "{after:?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let by_device = loop {
        let by_device = keys_by_device(&hook.received());
        if by_device.len() == 60 {
            break by_device;
        }
        assert!(
            Instant::now() < deadline,
            "{} of 60 alerts notified",
            by_device.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        by_device.values().all(|k| k.len() == 1),
        "a notification sent twice carries the same key: {by_device:?}"
    );
    // Decided once per alert and channel, whichever replica decided it.
    let live = ports
        .iter()
        .flatten()
        .copied()
        .next()
        .expect("a live replica");
    let page = get_json(
        &http,
        live,
        &format!("/api/v1/notifications?limit=1000&channel={channel}"),
        &admin,
    )
    .await;
    let rows = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 60, "{page}");
}

#[tokio::test]
async fn two_servers_sweeping_at_once_write_each_change_once() {
    let db = TestDb::new().await;
    let enroll_token = cli(&db, &["enroll-token", "create"]);
    let port = free_port();
    let id = {
        let _server = start(&db, port).await;
        let agent = steward_agent::Client::new(&format!("http://127.0.0.1:{port}"));
        let (device_id, device_secret) = enroll_through(&agent, &enroll_token, "aging").await;
        let mut req = checkin(1, "aging");
        req.protection = Some(healthy_protection());
        assert!(
            agent
                .checkin(&device_id, &device_secret, &req)
                .await
                .expect("check-in")
                .applied
        );
        device_id
    };
    // Two servers' sweepers overlapping (a lease changing hands mid-pass), a month later:
    // the signatures have aged, the device's health changes once.
    let a = steward_store::Store::open(&db.url).await.expect("open");
    let b = steward_store::Store::open(&db.url).await.expect("open");
    let later = steward_core::time::now_ms() + 30 * 86_400_000;
    let (ra, rb) = tokio::join!(a.sweep(later), b.sweep(later));
    assert!(ra.expect("sweep a") + rb.expect("sweep b") >= 1);
    let device = a.device(&id, 100).await.expect("device");
    // The check-in's own change (unknown → protected) aside, the sweeps' change once.
    let changes: Vec<_> = device
        .history
        .iter()
        .filter(|e| e.kind == "health_changed" && e.detail["from"] == "protected")
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_ne!(device.summary.health_state, "healthy", "{device:?}");
}

#[tokio::test]
async fn a_silence_made_through_another_replica_holds_the_notifiers_notifications() {
    let db = TestDb::new().await;
    let admin = cli(&db, &["token", "create", "--role", "admin"]);
    let enroll_token = cli(&db, &["enroll-token", "create"]);
    let (_servers, ports) = replicas(&db, 2).await;
    let holders = one_holder_each(&ports, Duration::from_secs(10)).await;
    // Everything is made through the replica that does not notify.
    let other = ports[1 - holders["notifier"]].expect("running");
    let hook = Receiver::start(None).await;
    let http = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        http.post(format!("http://127.0.0.1:{other}{path}"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let id_of = |v: serde_json::Value| v["id"].as_str().expect("id").to_string();
    let r = post(
        "/api/v1/channels".into(),
        serde_json::json!({"name": "SOC", "kind": "webhook", "target": hook.url}),
    )
    .await
    .expect("channel");
    let channel = id_of(r.json().await.expect("json"));
    let r = post(
        "/api/v1/alert-rules".into(),
        serde_json::json!({"name": "Active threat", "severity": "critical",
                           "condition": {"type": "active_threat"},
                           "notify": {"channels": [channel], "group_by": "device"}}),
    )
    .await
    .expect("rule");
    let rule = id_of(r.json().await.expect("json"));
    let r = post(
        "/api/v1/silences".into(),
        serde_json::json!({"rule_id": rule, "duration_minutes": 60, "reason": "drill"}),
    )
    .await
    .expect("silence");
    assert_eq!(r.status(), 201);
    let silence = id_of(r.json().await.expect("json"));
    let agent = steward_agent::Client::new(&format!("http://127.0.0.1:{other}"));
    let (device_id, device_secret) = enroll_through(&agent, &enroll_token, "drill").await;
    threats(&ports, &[(device_id, device_secret)]).await;
    // The notifier, on the other replica, holds it: nothing arrives while the silence lasts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(hook.received().is_empty(), "notified despite the silence");
    // The silence ended through the same replica: the held notification goes out.
    let r = post(
        format!("/api/v1/silences/{silence}/expire"),
        serde_json::json!({}),
    )
    .await
    .expect("expire");
    assert!(r.status().is_success(), "{}", r.status());
    let got = hook.wait_for(1).await;
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn the_push_benchmark_holds_agents_on_two_replicas_and_delivers_across_them() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (servers, ports) = replicas(&db, 2).await;
    let list = ports
        .iter()
        .flatten()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    let pid = servers[0].as_ref().expect("running").0.id().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(STEWARD)
            .args([
                "bench",
                "push",
                "--server",
                &list,
                "--enroll-token",
                &enroll_token,
            ])
            .args([
                "--api-token",
                &admin,
                "--agents",
                "20",
                "--requests",
                "6",
                "--pid",
                &pid,
            ])
            .output()
            .expect("run the benchmark")
    })
    .await
    .expect("benchmark task");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().expect("a result line");
    let r: serde_json::Value = serde_json::from_str(line).expect("json");
    assert_eq!(r["servers"], 2, "{r}");
    // Every agent held (agent i on replica i mod 2), and each request, made through the
    // replica its device does not wait on, delivered.
    assert_eq!(r["connected"], 20.0, "{r}");
    assert_eq!(r["delivered"], 6, "{r}");
    drop(servers);
}

/// `POST path` with `body` on the replica at `port`: the answer as JSON (it must succeed).
async fn post_json(
    http: &reqwest::Client,
    port: u16,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = http
        .post(format!("http://127.0.0.1:{port}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    assert!(r.status().is_success(), "POST {path}: {}", r.status());
    r.json()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

#[tokio::test]
async fn an_app_assigned_through_one_replica_reaches_a_device_on_another_and_counts_on_a_third() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (_servers, [pa, _, pc], [_, b, c]) = three_replicas(&db).await;
    let http = reqwest::Client::new();
    let (id, secret) = enroll_through(&b, &enroll_token, "spread").await;
    let first = b
        .checkin(&id, &secret, &checkin(1, "spread"))
        .await
        .expect("checkin");
    // The catalog changes through A.
    let app = post_json(
        &http,
        pa,
        "/api/v1/apps",
        &admin,
        serde_json::json!({"name": "VPN client"}),
    )
    .await;
    let app_id = app["id"].as_str().expect("id");
    let v = post_json(
        &http,
        pa,
        &format!("/api/v1/apps/{app_id}/versions"),
        &admin,
        serde_json::json!({"version": "7.2.1", "platform": "linux", "kind": "apt", "package": "vpn-client"}),
    )
    .await;
    let a = post_json(
        &http,
        pa,
        "/api/v1/app-assignments",
        &admin,
        serde_json::json!({"version_id": v["id"], "intent": "required"}),
    )
    .await;
    // B's answers carry a new catalog version within seconds, and once B has read the
    // assignment (each of the three changes above is a version of its own; B may first see
    // one in between), its list offers the app at the version its answers carry.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut seq = 1;
    let doc = loop {
        seq += 1;
        let r = b
            .checkin(&id, &secret, &checkin(seq, "spread"))
            .await
            .expect("checkin");
        if r.apps_version != first.apps_version {
            let doc = b.apps(&id, &secret).await.expect("apps");
            assert!(
                Some(doc.version) >= r.apps_version,
                "the list is older than the answer: {doc:?}, {:?}",
                r.apps_version
            );
            if !doc.apps.is_empty() {
                break doc;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "B never heard of the assignment"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(doc.apps.len(), 1, "{doc:?}");
    assert_eq!(doc.apps[0].assignment_id, a["id"].as_str().expect("id"));
    // The device reports through C; A counts it.
    let mut req = checkin(seq + 1, "spread");
    req.app_installs = vec![steward_proto::AppInstall {
        app_id: app_id.to_string(),
        name: "VPN client".into(),
        version: "7.2.1".into(),
        state: "installed".into(),
        assignment_id: Some(doc.apps[0].assignment_id.clone()),
        attempt: 1,
        ..Default::default()
    }];
    c.checkin(&id, &secret, &req).await.expect("checkin");
    let status = get_json(
        &http,
        pa,
        &format!("/api/v1/app-assignments/{}", doc.apps[0].assignment_id),
        &admin,
    )
    .await;
    assert_eq!(status["states"][0]["name"], "installed", "{status}");
    assert_eq!(status["states"][0]["count"], 1, "{status}");
    let _ = pc;
}

#[tokio::test]
async fn software_reported_through_two_replicas_is_counted_once_per_device() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (_servers, [pa, _, _], [a, b, _]) = three_replicas(&db).await;
    let http = reqwest::Client::new();
    let list = vec![steward_proto::SoftwarePackage {
        name: "openssl".into(),
        version: "3.0.15-1".into(),
        arch: "amd64".into(),
        source: "dpkg".into(),
    }];
    // Each server learns the title's id for itself (its own cache); both must find one row.
    for (i, (agent, name)) in [(&a, "one"), (&b, "two")].into_iter().enumerate() {
        let (id, secret) = enroll_through(agent, &enroll_token, name).await;
        let mut req = checkin(1, name);
        req.software_hash = Some(steward_proto::software_hash(&list));
        req.software = Some(list.clone());
        agent.checkin(&id, &secret, &req).await.expect("checkin");
        let found = get_json(&http, pa, "/api/v1/software?name=openssl", &admin).await;
        assert_eq!(found["total"], i as u64 + 1, "{found}");
        assert_eq!(found["titles"].as_array().map(Vec::len), Some(1), "{found}");
    }
}

/// Waits up to 20 s for the saved fleet counts to satisfy `done` (their time and rows).
async fn saved_counts_become(
    store: &steward_store::Store,
    what: &str,
    done: impl Fn(i64, &[steward_store::fleet::FleetCount]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let saved = store.saved_fleet_counts().await.expect("read");
        if saved.as_ref().is_some_and(|(at, c)| done(*at, c)) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {saved:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The counts the sweeping replica saves are what other replicas serve the moment they start,
/// with their time, before counting anything themselves: two replicas starting together
/// answer the first fleet summary from the same saved counts.
#[tokio::test]
async fn replicas_that_start_serve_the_counts_the_sweeping_replica_saved() {
    let db = TestDb::new().await;
    let (enroll, admin) = tokens(&db);
    let pa = free_port();
    let sweeping = start_with_env(
        &db,
        pa,
        &[("STEWARD_FLEET__SWEEP_INTERVAL_SECS", "1".to_string())],
    )
    .await;
    let agent = steward_agent::Client::new(&format!("http://127.0.0.1:{pa}"));
    for i in 0..3 {
        enroll_through(&agent, &enroll, &format!("pc-{i}")).await;
    }
    let store = steward_store::Store::open(&db.url).await.expect("open");
    saved_counts_become(&store, "no sweep saved the counts", |_, c| {
        c.iter().map(|c| c.count).sum::<u64>() == 3
    })
    .await;
    // The sweeping replica stops, so the saved counts stay as they are.
    drop(sweeping);
    let (at, _) = store
        .saved_fleet_counts()
        .await
        .expect("read")
        .expect("saved");
    let (_servers, ports) = replicas(&db, 2).await;
    let http = reqwest::Client::new();
    for port in ports.into_iter().flatten() {
        let sum = get_json(&http, port, "/api/v1/fleet/summary", &admin).await;
        assert_eq!(sum["total"], 3, "{sum}");
        assert_eq!(
            sum["as_of"],
            steward_core::time::to_rfc3339(at),
            "the saved counts, not a count of its own: {sum}"
        );
    }
}

/// On a database no sweep has counted, each replica counts for itself (its first summary, or
/// whatever asks it first) and saves that count; an earlier count never replaces a later one,
/// and a replica that starts afterwards serves the latest saved count at once.
#[tokio::test]
async fn the_count_a_replica_waited_for_is_what_the_next_replica_serves() {
    let db = TestDb::new().await;
    let (_, admin) = tokens(&db);
    let store = steward_store::Store::open(&db.url).await.expect("open");
    let now = steward_core::time::now_ms();
    let mut devices = debian_devices(3, now);
    let third = devices.pop().expect("three devices");
    store.seed_devices(&devices).await.expect("seed");
    let env = [("STEWARD_FLEET__SUMMARY_MAX_AGE_SECS", "3600".to_string())];
    let (_servers, ports) = {
        let (pa, pb) = (free_port(), free_port());
        let servers = (
            start_with_env(&db, pa, &env).await,
            start_with_env(&db, pb, &env).await,
        );
        (servers, [pa, pb])
    };
    let http = reqwest::Client::new();
    let mut latest = 0;
    for port in ports {
        let sum = get_json(&http, port, "/api/v1/fleet/summary", &admin).await;
        assert_eq!(sum["total"], 2, "{sum}");
        let at = steward_core::time::parse_rfc3339(sum["as_of"].as_str().unwrap_or_default())
            .expect("as_of");
        latest = latest.max(at);
    }
    saved_counts_become(&store, "the later count not kept", |at, _| at == latest).await;
    drop(_servers);
    // A device more, then a replica that starts: the saved count, not one of its own.
    store.seed_devices(&[third]).await.expect("seed");
    let pc = free_port();
    let _c = start_with_env(&db, pc, &env).await;
    let sum = get_json(&http, pc, "/api/v1/fleet/summary", &admin).await;
    assert_eq!(sum["total"], 2, "{sum}");
    assert_eq!(
        sum["as_of"],
        steward_core::time::to_rfc3339(latest),
        "the saved count, at once: {sum}"
    );
}

/// One device's state-changing check-ins reach two replicas at once (an agent retrying
/// through another server): whichever is written last, the stored row is the newest
/// check-in's, whole — never an older one, nor columns of both.
#[tokio::test]
async fn a_device_checking_in_through_two_replicas_at_once_keeps_its_newest_state_whole() {
    let db = TestDb::new().await;
    let (enroll_token, admin) = tokens(&db);
    let (_servers, [pa, _, _], [a, b, _]) = three_replicas(&db).await;
    let http = reqwest::Client::new();
    let (id, secret) = enroll_through(&a, &enroll_token, "twice").await;
    let mut first = checkin(1, "twice");
    first.protection = Some(healthy_protection());
    a.checkin(&id, &secret, &first).await.expect("checkin");
    for round in 1..=30u64 {
        // Through A: an older check-in that turns real-time protection off; through B the
        // newer one, protected, with another signature version.
        let older = {
            let mut req = checkin(2 * round, "twice");
            let mut p = healthy_protection();
            p.realtime_protection = Some(false);
            p.signature_version = Some(format!("a-{round}"));
            req.protection = Some(p);
            req
        };
        let newer = {
            let mut req = checkin(2 * round + 1, "twice");
            let mut p = healthy_protection();
            p.signature_version = Some(format!("b-{round}"));
            req.protection = Some(p);
            req
        };
        let (ra, rb) = tokio::join!(
            a.checkin(&id, &secret, &older),
            b.checkin(&id, &secret, &newer)
        );
        ra.expect("checkin through A");
        assert!(rb.expect("checkin through B").applied, "round {round}");
        let d = get_json(&http, pa, &format!("/api/v1/devices/{id}"), &admin).await;
        assert_eq!(d["seq"], 2 * round + 1, "round {round}: {d}");
        assert_eq!(
            d["protection"]["signature_version"],
            format!("b-{round}"),
            "round {round}"
        );
        assert_eq!(
            d["health"]["state"], "protected",
            "round {round}: {}",
            d["health"]
        );
    }
}

/// A fleet job paces itself on PostgreSQL by what every server does in the database: a
/// statement a `steward serve` process runs (here a check-in's write, held waiting for a row)
/// is counted by another server's look (this process's store, where a job would run).
#[tokio::test]
async fn a_statement_another_replica_runs_is_counted_by_a_jobs_pacing() {
    use sqlx::Connection;
    let db = TestDb::new().await;
    let (enroll_token, _admin) = tokens(&db);
    let (_servers, ports) = replicas(&db, 1).await;
    let here = steward_store::Store::open(&db.url).await.expect("open");
    if !db.is_postgres() {
        // SQLite's writer counts its own use instead.
        assert_eq!(here.sessions_running().await.expect("look"), None);
        return;
    }
    let port = ports[0].expect("running");
    let there = steward_agent::Client::new(&format!("http://127.0.0.1:{port}"));
    let (id, secret) = enroll_through(&there, &enroll_token, "held").await;
    // The device's row held by a transaction of the test's own, idle meanwhile.
    let mut holder = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query("BEGIN")
        .execute(&mut holder)
        .await
        .expect("begin");
    sqlx::query("SELECT id FROM devices WHERE id = $1 FOR UPDATE")
        .bind(&id)
        .execute(&mut holder)
        .await
        .expect("hold");
    let (checking_id, checking_secret) = (id.clone(), secret.clone());
    let checking = tokio::spawn(async move {
        there
            .checkin(&checking_id, &checking_secret, &checkin(1, "held"))
            .await
    });
    let mut watcher = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let started = Instant::now();
    let (waiting, seen) = loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND state = 'active' AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .expect("watch");
        if waiting > 0 {
            // Nothing waiting for the row can end before it is let go.
            break (waiting, here.sessions_running().await.expect("look"));
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replica's write never waited for the row"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let waiting = u32::try_from(waiting).expect("count");
    assert!(
        seen.is_some_and(|n| n >= waiting),
        "{seen:?} sessions seen running, {waiting} of the replica's waiting for the row"
    );
    sqlx::query("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("let go");
    let answer = checking.await.expect("task").expect("check-in");
    assert!(answer.applied, "{answer:?}");
    here.close().await;
}

/// Whether a server's check-in writes keep their plan follows the size of `devices` in the
/// database, whichever server made it grow: devices enrolled through a `steward serve`
/// process turn the look of another server (this process's store) once its last look has
/// expired.
#[tokio::test]
async fn the_check_ins_plan_follows_devices_another_replica_enrolled() {
    let db = TestDb::new().await;
    let (enroll_token, _admin) = tokens(&db);
    let (_servers, ports) = replicas(&db, 1).await;
    let here = steward_store::Store::open(&db.url).await.expect("open");
    if !db.is_postgres() {
        assert!(!here.plan_once().await, "never on SQLite");
        return;
    }
    let size = || async { here.devices_on_disk().await.expect("size") };
    // Kept from one byte more than `devices` takes now.
    here.plan_once_from(size().await + 1);
    assert!(!here.plan_once().await, "the table is not that large yet");
    let port = ports[0].expect("running");
    let there = steward_agent::Client::new(&format!("http://127.0.0.1:{port}"));
    let before = size().await;
    let mut enrolled = 0;
    while size().await == before {
        enroll_through(&there, &enroll_token, &format!("grown-{enrolled}")).await;
        enrolled += 1;
        assert!(enrolled < 500, "devices never took another page");
    }
    // A look is trusted for a second.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(
        here.plan_once().await,
        "after {enrolled} devices enrolled through the other server"
    );
    here.close().await;
}
