//! `steward bench fuzz`: random and mutated enrollment and check-in requests driven through
//! the real server (every layer and handler, an SQLite store in a temporary directory, called
//! in-process without sockets). Any 5xx, an error answer not in the usual shape, or a panic is
//! a finding; the run ends with one JSON line and fails when there was one.
//!
//! Deterministic for a seed: the same seed sends the same requests.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::http::{header, Request};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use tower::ServiceExt;

/// What a run found.
#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, u64>,
    findings: Vec<String>,
}

/// Strings that have broken parsers before: cut points inside characters, controls, sizes
/// around every limit.
fn nasty_string(rng: &mut ChaCha8Rng) -> String {
    let pick = rng.gen_range(0..14);
    match pick {
        0 => String::new(),
        1 => " \t\n".into(),
        2 => format!("{}€", "a".repeat(1999)),
        3 => format!("{}€ tail", "a".repeat(rng.gen_range(250..260))),
        4 => "한국어".repeat(rng.gen_range(80..90)),
        5 => "\u{0}\u{1}\u{7f}\u{85}\u{feff}".into(),
        6 => "🦀".repeat(rng.gen_range(60..70)),
        7 => "x".repeat(rng.gen_range(3990..4010)),
        8 => "é".repeat(rng.gen_range(120..140)),
        9 => "../../../../etc/passwd".into(),
        10 => "=cmd|' /C calc'!A0".into(),
        11 => "<script>alert(1)</script>".into(),
        12 => "\u{202e}gnp.exe".into(),
        _ => (0..rng.gen_range(1..64))
            .map(|_| char::from_u32(rng.gen_range(0..0x11_0000)).unwrap_or('?'))
            .collect(),
    }
}

fn nasty_value(rng: &mut ChaCha8Rng, depth: u32) -> Value {
    match rng.gen_range(0..10) {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => json!(rng.gen::<i64>()),
        3 => json!(u64::MAX),
        4 => json!(rng.gen::<f64>() * 1e300),
        5 => json!(-1),
        6 => Value::String(nasty_string(rng)),
        7 if depth < 4 => Value::Array(
            (0..rng.gen_range(0..5))
                .map(|_| nasty_value(rng, depth + 1))
                .collect(),
        ),
        8 if depth < 4 => Value::Object(
            (0..rng.gen_range(0..5))
                .map(|i| (format!("k{i}"), nasty_value(rng, depth + 1)))
                .collect(),
        ),
        _ => Value::String(nasty_string(rng)),
    }
}

/// Every place in a document (JSON pointers), to pick one to change.
fn places(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                places(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                places(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn mutate(rng: &mut ChaCha8Rng, doc: &mut Value) {
    let mut all = Vec::new();
    places(doc, String::new(), &mut all);
    let Some(at) = all.choose(rng).cloned() else {
        return;
    };
    let action = rng.gen_range(0..7);
    if at.is_empty() {
        if action == 0 {
            *doc = nasty_value(rng, 0);
        }
        return;
    }
    let (parent_at, key) = at.rsplit_once('/').unwrap_or(("", &at));
    let key = key.to_string();
    match action {
        // Remove it.
        0 => {
            if let Some(p) = doc.pointer_mut(parent_at) {
                match p {
                    Value::Object(m) => {
                        m.remove(&key);
                    }
                    Value::Array(a) => {
                        if let Ok(i) = key.parse::<usize>() {
                            if i < a.len() {
                                a.remove(i);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // A field nobody knows beside it.
        1 => {
            if let Some(Value::Object(m)) = doc.pointer_mut(parent_at) {
                m.insert(nasty_string(rng), nasty_value(rng, 0));
            }
        }
        // Repeat a list entry many times.
        2 => {
            if let Some(Value::Array(a)) = doc.pointer_mut(parent_at) {
                if let Some(first) = a.first().cloned() {
                    let n = *[10usize, 101, 501, 2001, 20_000].choose(rng).unwrap_or(&10);
                    a.extend(std::iter::repeat_n(first, n));
                }
            }
        }
        // A string at a limit or a nasty one.
        3 | 4 => {
            if let Some(v) = doc.pointer_mut(&at) {
                *v = Value::String(nasty_string(rng));
            }
        }
        // Anything else in its place.
        _ => {
            if let Some(v) = doc.pointer_mut(&at) {
                *v = nasty_value(rng, 0);
            }
        }
    }
}

/// A valid enrollment with random identity.
fn enrollment(rng: &mut ChaCha8Rng, token: &str) -> Value {
    let n = rng.gen::<u32>();
    let platform = ["linux", "windows", "macos", "ios", "android"][rng.gen_range(0..5)];
    json!({
        "token": token,
        "hostname": format!("fuzz-{n}"),
        "platform": platform,
        "os_version": "12",
        "hardware_id": format!("fuzz-hw-{n}"),
        "serial": format!("S{n}"),
        "owner": format!("user{}@example.org", n % 100),
        "model": "Fuzz 1",
    })
}

/// A valid check-in with everything a device may send.
fn checkin(rng: &mut ChaCha8Rng, seq: u64) -> Value {
    let free = rng.gen_range(0..100);
    let realtime = rng.gen::<bool>();
    json!({
        "seq": seq,
        "os": {"name": "Debian GNU/Linux", "version": "12", "build": "12.7", "kernel": "6.1.0",
               "hostname": "fuzz", "arch": "x86_64", "locale": "fr_FR.UTF-8"},
        "inventory_hash": "abc",
        "inventory": {"cpu_count": 4, "memory_bytes": 17179869184u64,
                      "disks": [{"mount": "/", "free_percent": free}],
                      "os_release": {"ID": "debian"}},
        "protection": {"engine": "ClamAV", "engine_version": "1.0", "malware_protection": true,
                       "realtime_protection": realtime, "signature_updated_at": "2026-11-29T00:00:00Z",
                       "detections": [{"threat_name": "Eicar-Signature", "path": "/tmp/eicar",
                                       "severity": "high", "action": "left_in_place",
                                       "detected_at": "2026-11-29T00:00:00Z"}]},
        "compliance": {"firewall_active": true, "disk_encrypted": false},
        "action_results": [{"action_id": "request:nope", "ok": false, "code": "failed",
                            "message": format!("{}€…", "a".repeat(1999))}],
        "app_installs": [{"app_id": "vpn", "name": "VPN", "version": "7.2.1", "state": "failed",
                          "error_code": "0x80070643"}],
        "set_aside": [{"seq": 1, "status": 400, "code": "field_too_long", "message": "m",
                       "attempts": 1, "at": "2026-11-29T00:00:00Z"}],
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// One request: which endpoint, which credential, which body and encoding.
fn request(
    rng: &mut ChaCha8Rng,
    token: &str,
    devices: &[(String, String)],
    seq: u64,
) -> Request<Body> {
    let enroll = rng.gen_bool(0.3);
    let mut doc = if enroll {
        enrollment(rng, token)
    } else {
        checkin(rng, seq)
    };
    // Most inputs are damaged (the parsers are the target); some stay valid and reach the
    // database.
    let mutations = if rng.gen_bool(0.1) {
        0
    } else {
        rng.gen_range(1..5)
    };
    for _ in 0..mutations {
        mutate(rng, &mut doc);
    }
    let mut body = serde_json::to_vec(&doc).unwrap_or_default();
    // Byte-level damage now and then: truncation, flipped bytes, junk.
    match rng.gen_range(0..20) {
        0 => body.truncate(rng.gen_range(0..=body.len())),
        1 => {
            for _ in 0..rng.gen_range(1..8) {
                if !body.is_empty() {
                    let i = rng.gen_range(0..body.len());
                    body[i] = rng.gen();
                }
            }
        }
        2 => body = (0..rng.gen_range(0..512)).map(|_| rng.gen()).collect(),
        _ => {}
    }
    let mut b = Request::builder().method("POST").uri(if enroll {
        "/agent/v1/enroll"
    } else {
        "/agent/v1/checkin"
    });
    b = b.header(header::CONTENT_TYPE, "application/json");
    if !enroll {
        let credential = match rng.gen_range(0..10) {
            0 => nasty_string(rng),
            1 => "Bearer nope.nope".to_string(),
            _ => {
                let (id, secret) = devices.choose(rng).cloned().unwrap_or_default();
                format!("Bearer {id}.{secret}")
            }
        };
        if let Ok(v) = axum::http::HeaderValue::from_str(&credential) {
            b = b.header(header::AUTHORIZATION, v);
        }
    }
    match rng.gen_range(0..10) {
        0 => {
            body = gzip(&body);
            b = b.header(header::CONTENT_ENCODING, "gzip");
        }
        // Says gzip, is not.
        1 => b = b.header(header::CONTENT_ENCODING, "gzip"),
        _ => {}
    }
    b.body(Body::from(body)).unwrap_or_default()
}

/// Runs `inputs` requests over `workers` concurrent callers.
pub async fn run(inputs: u64, seed: u64, workers: usize) -> anyhow::Result<serde_json::Value> {
    let dir = tempfile::tempdir()?;
    let store = steward_store::Store::open(&steward_store::Store::sqlite_url(dir.path())).await?;
    let config = steward_server::Config {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let (state, writers) = steward_server::state(
        store.clone(),
        config,
        steward_server::clock::Clock::system(),
    );
    let app = steward_server::router(state.clone());
    // The server's per-second upkeep (SQLite checkpoints): without it a long run's
    // write-ahead log would grow until the disk is full.
    let upkeep = tokio::spawn(steward_server::tasks::housekeeping(state.clone()));
    // Unchanged check-ins are written by the flusher, as in `steward serve`.
    let flusher = tokio::spawn(steward_server::touches::flusher(state.clone()));
    let token = steward_server::api::new_enrollment_token(
        &store,
        &Default::default(),
        &steward_store::audit::Actor::cli(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("enrollment token: {}", e.0))?
    .token;
    // A few real devices, so check-ins also reach the database.
    let mut devices = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..20 {
        let req = Request::builder()
            .method("POST")
            .uri("/agent/v1/enroll")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(&enrollment(
                &mut rng, &token,
            ))?))?;
        let resp = app.clone().oneshot(req).await?;
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await?;
        let v: Value = serde_json::from_slice(&bytes)?;
        if let (Some(id), Some(secret)) = (v["device_id"].as_str(), v["device_secret"].as_str()) {
            devices.push((id.to_string(), secret.to_string()));
        }
    }
    anyhow::ensure!(!devices.is_empty(), "no device could enroll");
    let next = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let cpu = crate::bench::process_cpu_secs();
    let mut tasks = Vec::new();
    for w in 0..workers.max(1) {
        let (app, next, tally, devices, token) = (
            app.clone(),
            next.clone(),
            tally.clone(),
            devices.clone(),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng =
                ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(w as u64));
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= inputs {
                    return;
                }
                let req = request(&mut rng, &token, &devices, 1_000 + i);
                let finding = match app.clone().oneshot(req).await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                            .await
                            .unwrap_or_default();
                        let shaped = status < 400
                            || serde_json::from_slice::<Value>(&bytes)
                                .is_ok_and(|v| v["error"]["code"].is_string());
                        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                        *t.statuses.entry(status).or_default() += 1;
                        if status >= 500 && status != 503 || !shaped {
                            Some(format!(
                                "input {i}: {status} {}",
                                String::from_utf8_lossy(&bytes)
                                    .chars()
                                    .take(300)
                                    .collect::<String>()
                            ))
                        } else {
                            None
                        }
                    }
                    Err(e) => Some(format!("input {i}: {e}")),
                };
                if let Some(f) = finding {
                    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                    if t.findings.len() < 20 {
                        t.findings.push(f);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu_secs = crate::bench::process_cpu_secs() - cpu;
    upkeep.abort();
    let _ = upkeep.await;
    steward_server::touches::stop(&state, flusher).await;
    drop(app);
    drop(state);
    for w in writers {
        let _ = w.await;
    }
    let t = tally.lock().unwrap_or_else(|p| p.into_inner());
    let panics = t.findings.iter().filter(|f| f.contains(" 500 ")).count();
    Ok(json!({
        "bench": "fuzz",
        "inputs": inputs,
        "seed": seed,
        "workers": workers,
        "seconds": (secs * 10.0).round() / 10.0,
        "inputs_per_s": (inputs as f64 / secs).round(),
        "cpu_us_per_input": (cpu_secs * 1e6 / inputs.max(1) as f64 * 10.0).round() / 10.0,
        "statuses": t.statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "findings": t.findings,
        "internal_errors": panics,
    }))
}
