//! `steward bench checkin` and `steward bench inventory`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use hdrhistogram::Histogram;
use serde_json::json;
use steward_agent::Client;
use steward_core::time::now_ms;
use steward_proto::{Platform, ProtectionStatus};
use tokio::sync::Mutex;

use crate::sim::SimDevice;

pub struct CheckinBench {
    pub server: String,
    pub enroll_token: String,
    pub devices: u32,
    pub concurrency: usize,
    pub duration: Duration,
    pub changing: bool,
    pub seed: u64,
    /// Clients sending wrong passwords to `POST /api/v1/auth/login` in a loop meanwhile.
    pub bad_logins: usize,
    /// Check-ins per second over all connections (0: as fast as they go).
    pub rate: u32,
    /// Processes whose CPU over the timed loop is reported (with their direct children's).
    pub watch_pids: Vec<u32>,
    /// Installed packages per device (0: no software inventory).
    pub software: u32,
    /// With it, a required app is assigned to every device and installed before the loop.
    pub admin_token: Option<String>,
}

/// Assigns a required app to every device (a version per platform, of the kind that
/// platform takes).
async fn assign_everywhere(server: &str, token: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        send_json(
            &http,
            reqwest::Method::POST,
            format!("{server}{path}"),
            token,
            body,
        )
    };
    let name = format!("Bench VPN {}", now_ms());
    let app = post("/api/v1/apps", json!({"name": name})).await?;
    let id = app["id"].as_str().unwrap_or_default().to_string();
    for (platform, kind) in [
        ("linux", "apt"),
        ("windows", "msi"),
        ("macos", "pkg"),
        ("ios", "store"),
        ("android", "store"),
    ] {
        let v = post(
            &format!("/api/v1/apps/{id}/versions"),
            json!({"version": "7.2.1", "platform": platform, "kind": kind, "package": "bench-vpn"}),
        )
        .await?;
        post(
            "/api/v1/app-assignments",
            json!({"version_id": v["id"], "intent": "required"}),
        )
        .await?;
    }
    Ok(())
}

/// CPU seconds (user and system) of `pid` and of its direct children, from `/proc`. A child
/// that ended before the reading is not counted (a pool's connections live through a run).
fn cpu_seconds(pid: u32) -> f64 {
    let mut total = proc_stat(&pid.to_string()).map_or(0.0, |s| s.cpu_secs);
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some(child) = proc_stat(&name).filter(|s| s.parent == pid) {
                total += child.cpu_secs;
            }
        }
    }
    total
}

/// What `/proc/PID/stat` says of a process: its parent and its CPU time in seconds.
struct ProcStat {
    parent: u32,
    cpu_secs: f64,
}

fn proc_stat(pid: &str) -> Option<ProcStat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its `)` are plain.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // The parent is field 4 of the line; utime and stime are 14 and 15 (2, 12 and 13 after
    // the name).
    let hz = rustix::param::clock_ticks_per_second() as f64;
    Some(ProcStat {
        parent: fields.get(1)?.parse().ok()?,
        cpu_secs: (num(11) + num(12)) / hz.max(1.0),
    })
}

struct Dev {
    sim: SimDevice,
    id: String,
    secret: String,
    seq: u64,
    /// The time the device's snapshots are taken at: its first check-in's, so a snapshot
    /// sent again at this time is unchanged.
    at: i64,
    /// Answers to what the server asked for, sent with the next check-in.
    pending: Vec<steward_proto::ActionResult>,
}

/// Enrolls `count` simulated devices (64 at a time) and sends each its first, full check-in.
async fn enroll_steady(
    client: &Client,
    token: &str,
    seed: u64,
    count: u32,
    tag: &str,
    software: u32,
    platform: Option<Platform>,
) -> anyhow::Result<Vec<Dev>> {
    Ok(stream::iter(0..count)
        .map(|i| {
            let client = client.clone();
            async move {
                let mut sim = SimDevice::generate(seed, i);
                if let Some(p) = platform {
                    sim.platform = p;
                    sim.os.name = p.os_name().to_string();
                }
                sim.hardware_id = format!("{tag}-{seed:x}-{i}-{}", now_ms());
                sim.software = software;
                sim.software_digest =
                    (software > 0).then(|| steward_proto::software_hash(&sim.software_list()));
                let r = client.enroll(&sim.enroll_request(token)).await?;
                let at = now_ms();
                let mut req = sim.checkin(1, at, 0, true);
                if software > 0 {
                    // The app list, and each required app installed, in the first check-in.
                    let doc = client.apps(&r.device_id, &r.device_secret).await?;
                    req.app_installs = doc
                        .apps
                        .iter()
                        .map(|o| steward_proto::AppInstall {
                            app_id: o.app_id.clone(),
                            name: o.name.clone(),
                            version: o.version.clone(),
                            state: "installed".into(),
                            assignment_id: Some(o.assignment_id.clone()),
                            generation: o.generation,
                            attempt: 1,
                            ..Default::default()
                        })
                        .collect();
                }
                client.checkin(&r.device_id, &r.device_secret, &req).await?;
                Ok::<_, steward_agent::AgentError>(Dev {
                    sim,
                    id: r.device_id,
                    secret: r.device_secret,
                    seq: 1,
                    at,
                    pending: Vec::new(),
                })
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?)
}

/// A steady schedule shared by a bench's connections: the `n`th send of all of them waits
/// for its slot, `n / rate` seconds after the start.
struct Pace {
    start: Instant,
    rate: f64,
    taken: std::sync::atomic::AtomicU64,
}

impl Pace {
    fn new(start: Instant, rate: u32) -> Arc<Pace> {
        Arc::new(Pace {
            start,
            rate: f64::from(rate.max(1)),
            taken: Default::default(),
        })
    }

    /// Waits for the next free slot.
    async fn wait(&self) {
        let n = self
            .taken
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let slot = self.start + Duration::from_secs_f64(n as f64 / self.rate);
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// The servers a `--server` list names (comma-separated), without trailing slashes.
fn servers_of(list: &str) -> anyhow::Result<Vec<String>> {
    let servers: Vec<String> = list
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    anyhow::ensure!(!servers.is_empty(), "--server names no server");
    Ok(servers)
}

/// Enrolls the devices, brings each to steady state, then drives check-ins for the duration.
pub async fn checkin(b: CheckinBench) -> anyhow::Result<serde_json::Value> {
    // Several servers (comma-separated): each connection keeps to one of them, as behind a
    // balancer; devices are enrolled through the first.
    let servers = servers_of(&b.server)?;
    let clients: Vec<Client> = servers.iter().map(|s| Client::new(s)).collect();
    let client = clients[0].clone();
    if let Some(token) = &b.admin_token {
        assign_everywhere(&servers[0], token).await?;
    }
    let enrolled = enroll_steady(
        &client,
        &b.enroll_token,
        b.seed,
        b.devices,
        "bench",
        b.software,
        None,
    )
    .await?;
    let per_worker = enrolled.len().div_ceil(b.concurrency.max(1));
    let mut shards: Vec<Vec<Dev>> = Vec::new();
    let mut it = enrolled.into_iter().peekable();
    while it.peek().is_some() {
        shards.push(it.by_ref().take(per_worker).collect());
    }
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1, 60_000_000, 3,
    )?));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let cpu_before: Vec<f64> = b.watch_pids.iter().map(|&p| cpu_seconds(p)).collect();
    let deadline = Instant::now() + b.duration;
    let start = Instant::now();
    let pace = (b.rate > 0).then(|| Pace::new(start, b.rate));
    let mut tasks = Vec::new();
    // The sign-in flood: each client tries another address every time, from this machine.
    let logins: Arc<std::sync::Mutex<std::collections::BTreeMap<u16, u64>>> = Arc::default();
    let http = reqwest::Client::new();
    let mut flood = Vec::new();
    for f in 0..b.bad_logins {
        let (http, logins, url) = (
            http.clone(),
            logins.clone(),
            format!("{}/api/v1/auth/login", servers[0].trim_end_matches('/')),
        );
        flood.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                let status = http
                    .post(&url)
                    .json(&json!({"email": format!("nobody{f}-{i}@example.org"), "password": "not the password"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                *logins
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(status)
                    .or_default() += 1;
            }
        }));
    }
    for (k, mut shard) in shards.into_iter().enumerate() {
        let client = clients[k % clients.len()].clone();
        let hist = hist.clone();
        let errors = errors.clone();
        let changing = b.changing;
        let pace = pace.clone();
        tasks.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
            let mut i = 0usize;
            while Instant::now() < deadline {
                if let Some(pace) = &pace {
                    pace.wait().await;
                }
                let n = shard.len();
                let d = &mut shard[i % n];
                i += 1;
                d.seq += 1;
                // Steady state sends exactly what the device sent before; the changing mode
                // moves the signature version on every check-in.
                let mut req = d.sim.checkin(d.seq, d.at, 0, false);
                if changing {
                    req.protection = Some(ProtectionStatus {
                        signature_version: Some(format!("1.419.{}", d.seq)),
                        ..req.protection.unwrap_or_default()
                    });
                }
                let t0 = Instant::now();
                match client.checkin(&d.id, &d.secret, &req).await {
                    Ok(_) => {
                        let _ = local.record(t0.elapsed().as_micros() as u64);
                    }
                    Err(_) => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            let _ = hist.lock().await.add(&local);
        }));
    }
    for t in tasks {
        t.await?;
    }
    for f in flood {
        f.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let h = hist.lock().await;
    let ok = h.len();
    let cpu: serde_json::Map<String, serde_json::Value> = b
        .watch_pids
        .iter()
        .zip(cpu_before)
        .map(|(&p, before)| {
            let spent = cpu_seconds(p) - before;
            let per = if ok == 0 {
                0.0
            } else {
                spent * 1e6 / ok as f64
            };
            (
                p.to_string(),
                json!({"process": process_name(p), "cpu_s": (spent * 100.0).round() / 100.0,
                       "us_per_checkin": per.round(), "peak_rss_mib": peak_rss_mib(p)}),
            )
        })
        .collect();
    let logins: serde_json::Map<String, serde_json::Value> = logins
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    Ok(json!({
        "bench": "checkin",
        "bad_logins": b.bad_logins,
        "login_answers": logins,
        "mode": if b.changing { "changing" } else { "unchanged" },
        "devices": b.devices,
        "servers": servers.len(),
        "concurrency": b.concurrency,
        "target_rate_per_s": b.rate,
        "duration_s": (elapsed * 100.0).round() / 100.0,
        "checkins": ok,
        "errors": errors.load(std::sync::atomic::Ordering::Relaxed),
        "throughput_per_s": (ok as f64 / elapsed).round(),
        "p50_ms": h.value_at_quantile(0.50) as f64 / 1000.0,
        "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0,
        "max_ms": h.max() as f64 / 1000.0,
        "cpu": cpu,
    }))
}

/// Seeds `devices` rows into the store in batches, in the same platform mix as the simulator.
/// With `states`, the rows carry a realistic mix of health and compliance states (for counting
/// and filtering); without, they are what devices that reported no protection would be:
/// health unknown, compliance not evaluated.
///
/// Returns the instant the rows were seeded at (see [`seeded_last_seen`]).
pub async fn seed(
    store: &steward_store::Store,
    devices: u32,
    seed: u64,
    states: bool,
) -> anyhow::Result<i64> {
    let now = now_ms();
    let chunk = 20_000u32;
    let mut start = 0u32;
    while start < devices {
        let end = (start + chunk).min(devices);
        let rows: Vec<_> = (start..end)
            .map(|i| {
                let d = SimDevice::generate(seed, i);
                steward_store::devices::SeedDevice {
                    id: format!("{:08x}-0000-7000-8000-{:012x}", i, i),
                    name: d.os.hostname.clone(),
                    serial: d.serial.clone(),
                    owner: d.owner.clone(),
                    platform: d.platform,
                    os_name: d.os.name.clone(),
                    os_version: d.os.version.clone(),
                    enrolled_at: now - i64::from(i) * 1000,
                    last_seen_at: seeded_last_seen(now, i),
                    group: Some(format!("site-{:02}", i % 20)),
                    // Roughly a real fleet: most devices protected and compliant.
                    health_state: if !states {
                        "unknown"
                    } else {
                        ["protected"; 14]
                            .into_iter()
                            .chain(["at_risk", "at_risk", "unknown", "unprotected"])
                            .chain(["active_threat"])
                            .nth((i % 19) as usize)
                            .unwrap_or("protected")
                    },
                    compliance_state: match i % 23 {
                        _ if !states => "not_evaluated",
                        0..=17 => "compliant",
                        18 => "in_grace",
                        19 | 20 => "noncompliant",
                        21 => "error",
                        _ => "not_evaluated",
                    },
                }
            })
            .collect();
        store.seed_devices(&rows).await?;
        start = end;
    }
    store.finish_bulk_load().await?;
    Ok(now)
}

/// When seeded device `i` was last seen, the rows seeded at `seeded_at`: `i % 100,000`
/// minutes before.
fn seeded_last_seen(seeded_at: i64, i: u32) -> i64 {
    seeded_at - i64::from(i % 100_000) * 60_000
}

/// The compliance policy the policy and alert rule benches put.
fn bench_policy() -> steward_core::compliance::Policy {
    use steward_core::compliance::{Policy, Rule};
    Policy {
        id: "bench".into(),
        name: "bench".into(),
        rules: vec![
            Rule::MinOsVersion {
                platform: Platform::Windows,
                version: "10.0.22631".into(),
            },
            Rule::NoActiveThreats,
            Rule::CheckedInWithinDays { days: 7 },
        ],
        grace_hours: 24,
        groups: Vec::new(),
    }
}

/// Runs a fleet job to its end in this process, at full speed: no pause between batches, no
/// check-ins beside it. On SQLite the server's per-second checkpoint of the log runs beside
/// it, as in `steward serve`: without it the log would hold every page the job wrote. (The
/// bench's process is the file's only one; PostgreSQL needs no checkpoint of Steward's.)
async fn run_job(
    store: &steward_store::Store,
    job: &mut steward_store::jobs::FleetJob,
) -> anyhow::Result<()> {
    let upkeep = (store.backend() == steward_store::Backend::Sqlite).then(|| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                steward_server::tasks::checkpoint(&store).await;
            }
        })
    });
    let ran = async {
        store.start_fleet_job(job, now_ms()).await?;
        while let steward_store::jobs::Step::Advanced { .. } = store
            .reevaluate_step(job, now_ms(), steward_store::policies::REEVALUATE_BATCH)
            .await?
        {}
        anyhow::Ok(())
    }
    .await;
    if let Some(upkeep) = upkeep {
        upkeep.abort();
    }
    ran
}

/// This process's peak resident memory, in MiB.
fn own_peak_rss_mib() -> u64 {
    peak_rss_mib(std::process::id())
}

/// Seeds `devices` into an empty store, then times a policy change: its answer, and its job
/// re-evaluating every device. With `db_pid`, the CPU of PostgreSQL (that process and its
/// backends) over the change is reported too.
pub async fn policy(
    store: &steward_store::Store,
    devices: u32,
    db_pid: Option<u32>,
) -> anyhow::Result<serde_json::Value> {
    use steward_store::audit::Actor;
    seed(store, devices, 1, false).await?;
    let (cpu0, db0) = (process_cpu_secs(), db_pid.map(cpu_seconds));
    let t0 = Instant::now();
    let (_, mut job) = store
        .put_policy(&bench_policy(), now_ms(), &Actor::cli())
        .await?;
    let answer = t0.elapsed().as_secs_f64();
    run_job(store, &mut job).await?;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = process_cpu_secs() - cpu0;
    let db = db_pid.zip(db0).map(|(pid, db0)| cpu_seconds(pid) - db0);
    let mut out = json!({
        "bench": "policy",
        "backend": store.backend().name(),
        "devices": devices,
        "answer_ms": (answer * 1e4).round() / 10.0,
        "reevaluate_s": (secs * 1000.0).round() / 1000.0,
        "devices_per_s": (f64::from(devices) / secs).round(),
        "evaluated": job.done,
    });
    add_job_costs(&mut out, devices, cpu, db);
    Ok(out)
}

/// Seeds `devices` into an empty store and evaluates them against the bench's policy, then
/// times a new alert rule, "not checked in for 72 hours" (most seeded devices were last seen
/// longer ago): its answer, and its job covering the fleet. Fails unless the rule opened an
/// alert for every device silent that long, and for no other. With `db_pid`, the CPU of
/// PostgreSQL (that process and its backends) over the rule is reported too.
pub async fn alert_rule(
    store: &steward_store::Store,
    devices: u32,
    db_pid: Option<u32>,
) -> anyhow::Result<serde_json::Value> {
    use steward_core::alerting::{AlertRule, Condition, Severity};
    use steward_store::audit::Actor;
    const SILENT_HOURS: u32 = 72;
    let seeded_at = seed(store, devices, 1, false).await?;
    // Evaluated first, as a fleet a server has been watching is.
    let (_, mut job) = store
        .put_policy(&bench_policy(), now_ms(), &Actor::cli())
        .await?;
    run_job(store, &mut job).await?;
    let rule = AlertRule {
        id: "bench-silent".into(),
        name: format!("Not checked in for {SILENT_HOURS} hours"),
        condition: Condition::NotCheckedIn {
            hours: SILENT_HOURS,
        },
        severity: Severity::Warning,
        groups: Vec::new(),
        enabled: true,
        notify: Default::default(),
    };
    let (cpu0, db0) = (process_cpu_secs(), db_pid.map(cpu_seconds));
    let started = now_ms();
    let t0 = Instant::now();
    let mut job = store.put_alert_rule(&rule, started, &Actor::cli()).await?;
    let answer = t0.elapsed().as_secs_f64();
    run_job(store, &mut job).await?;
    let secs = t0.elapsed().as_secs_f64();
    let ended = now_ms();
    let cpu = process_cpu_secs() - cpu0;
    let db = db_pid.zip(db0).map(|(pid, db0)| cpu_seconds(pid) - db0);
    let alerts: u64 = store.open_alert_counts(&[]).await?.values().sum();
    // Each batch evaluates at its own instant, between the rule's and the job's end.
    let silent_at = |at: i64| {
        let since = at - i64::from(SILENT_HOURS) * 3_600_000;
        (0..devices)
            .filter(|&i| seeded_last_seen(seeded_at, i) <= since)
            .count() as u64
    };
    let (least, most) = (silent_at(started), silent_at(ended));
    anyhow::ensure!(
        (least..=most).contains(&alerts),
        "the rule opened {alerts} alerts, where {least} to {most} devices were silent for \
         {SILENT_HOURS} hours"
    );
    let mut out = json!({
        "bench": "alert_rule",
        "backend": store.backend().name(),
        "devices": devices,
        "alerts": alerts,
        "answer_ms": (answer * 1e4).round() / 10.0,
        "job_s": (secs * 1000.0).round() / 1000.0,
        "devices_per_s": (f64::from(devices) / secs).round(),
    });
    add_job_costs(&mut out, devices, cpu, db);
    Ok(out)
}

/// A fleet job bench's costs in its JSON: this process's CPU (`cpu`, seconds) and
/// PostgreSQL's (`db`, with `--db-pid`) per device, and this process's peak RSS.
fn add_job_costs(out: &mut serde_json::Value, devices: u32, cpu: f64, db: Option<f64>) {
    let per_device = |secs: f64| (secs * 1e6 / f64::from(devices.max(1))).round();
    out["cpu_us_per_device"] = json!(per_device(cpu));
    out["peak_rss_mb"] = json!(own_peak_rss_mib());
    if let Some(db) = db {
        out["db_cpu_us_per_device"] = json!(per_device(db));
    }
}

/// The benchmarks' critical active-threat rule.
fn threat_rule(notify: steward_core::notify::NotifySettings) -> steward_core::alerting::AlertRule {
    use steward_core::alerting::{AlertRule, Condition, Severity};
    AlertRule {
        id: "bench-threat".into(),
        name: "Active threat".into(),
        condition: Condition::ActiveThreat,
        severity: Severity::Critical,
        groups: Vec::new(),
        enabled: true,
        notify,
    }
}

/// Benchmark alerts and enrollment history for a seeded fleet: an open critical alert for
/// every device seeded with an active threat, and 10,000 enrollment attempts a day for a week.
pub async fn seed_activity(store: &steward_store::Store, devices: u32) -> anyhow::Result<()> {
    let rule = threat_rule(Default::default());
    let ids: Vec<String> = (0..devices)
        .filter(|i| i % 19 == 18)
        .map(|i| format!("{:08x}-0000-7000-8000-{:012x}", i, i))
        .collect();
    for chunk in ids.chunks(20_000) {
        store.seed_alerts(&rule, chunk, now_ms()).await?;
    }
    store.seed_enrollment_attempts(70_000, 7, now_ms()).await?;
    Ok(())
}

/// Times console pages (dashboard, device and alert lists) for a signed-in administrator.
pub async fn console(base: &str, cookie: &str, rounds: u32) -> anyhow::Result<serde_json::Value> {
    let http = reqwest::Client::new();
    let cases = [
        ("dashboard", "/".to_string()),
        ("devices", "/devices".to_string()),
        (
            "devices_active_threat",
            "/devices?health=active_threat".to_string(),
        ),
        ("devices_search", "/devices?q=user00042".to_string()),
        ("devices_recent", "/devices?sort=-last_seen_at".to_string()),
        ("alerts_firing", "/alerts?state=firing".to_string()),
        ("search", "/search?q=user00042".to_string()),
        ("reports_90_days", "/reports?days=90".to_string()),
    ];
    let mut out = serde_json::Map::new();
    for (name, path) in cases {
        let url = format!("{base}{path}");
        let mut samples = Vec::new();
        for i in 0..=rounds {
            let t0 = Instant::now();
            let resp = http.get(&url).header("cookie", cookie).send().await?;
            anyhow::ensure!(resp.status().is_success(), "{url}: {}", resp.status());
            let body = resp.text().await?;
            anyhow::ensure!(body.contains("<main"), "{name}: not a page");
            if i > 0 {
                samples.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
        out.insert(name.into(), json!({"p50_ms": (q(0.5) * 100.0).round() / 100.0, "p99_ms": (q(0.99) * 100.0).round() / 100.0}));
    }
    Ok(serde_json::Value::Object(out))
}

/// For `bench inventory`: rolls up yesterday over the whole fleet (timing the counting and
/// the write apart: the write is the writer's share), then stores the same figures for the
/// 364 days before, so reports over any period have every day. Returns the timings.
pub async fn seed_report_days(store: &steward_store::Store) -> anyhow::Result<serde_json::Value> {
    use steward_core::reports::{day_start, DAY_MS};
    use steward_store::reports::{DayExtras, Rollup};
    let now = now_ms();
    let yesterday = day_start(now) - DAY_MS;
    let t0 = Instant::now();
    let extras = DayExtras {
        live: Some(store.fleet_counts(now).await?),
        readiness: Vec::new(),
    };
    let rows = store.rollup_figures(yesterday, &extras).await?;
    let count_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    store.put_rollup(yesterday, &rows, now).await?;
    let write_s = t1.elapsed().as_secs_f64();
    for back in 1..365 {
        let day = yesterday - back * DAY_MS;
        let shifted: Vec<Rollup> = rows
            .iter()
            .map(|r| Rollup {
                day,
                // A little movement from day to day, as a fleet has.
                value: r.value - (r.value * ((back * 7) % 5)) / 100,
                ..r.clone()
            })
            .collect();
        store.put_rollup(day, &shifted, now).await?;
    }
    Ok(json!({
        "rows_per_day": rows.len(),
        "count_s": (count_s * 1000.0).round() / 1000.0,
        "write_s": (write_s * 1000.0).round() / 1000.0,
    }))
}

/// Times the 90-day report as JSON and as PDF through the API.
pub async fn report_files(
    base: &str,
    token: &str,
    rounds: u32,
) -> anyhow::Result<serde_json::Value> {
    let http = reqwest::Client::new();
    let mut out = serde_json::Map::new();
    for (name, path) in [
        ("report_90_days_json", "/api/v1/reports?days=90"),
        ("report_90_days_pdf", "/api/v1/reports?days=90&format=pdf"),
    ] {
        let mut samples = Vec::new();
        let mut size = 0;
        for i in 0..=rounds {
            let t0 = Instant::now();
            let resp = http
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await?;
            anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
            size = resp.bytes().await?.len();
            if i > 0 {
                samples.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
        out.insert(name.into(), json!({"p50_ms": (q(0.5) * 100.0).round() / 100.0, "p99_ms": (q(0.99) * 100.0).round() / 100.0, "bytes": size}));
    }
    Ok(serde_json::Value::Object(out))
}

/// Times a full recount of the fleet summary (what the sweeper does every sweep).
pub async fn recount(
    store: &steward_store::Store,
    rounds: u32,
) -> anyhow::Result<serde_json::Value> {
    let mut samples = Vec::new();
    for _ in 0..rounds.max(1) {
        let t0 = Instant::now();
        let counts = store.fleet_counts(now_ms()).await?;
        anyhow::ensure!(!counts.is_empty(), "no counts");
        samples.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    Ok(json!({"p50_ms": (q(0.5) * 10.0).round() / 10.0, "max_ms": (q(1.0) * 10.0).round() / 10.0}))
}

/// Times `GET /api/v1/devices` variants against a server: first page, filtered pages, a
/// text search and a deep page reached by cursor.
pub async fn inventory(
    base: &str,
    api_token: &str,
    rounds: u32,
    extra: Vec<(&'static str, String)>,
) -> anyhow::Result<serde_json::Value> {
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{base}{path}");
        let token = api_token.to_string();
        async move {
            let t0 = Instant::now();
            let resp = http.get(&url).bearer_auth(&token).send().await?;
            anyhow::ensure!(resp.status().is_success(), "{url}: {}", resp.status());
            let body: serde_json::Value = resp.json().await?;
            Ok::<_, anyhow::Error>((t0.elapsed(), body))
        }
    };
    // A cursor 200 pages deep.
    let mut cursor = String::new();
    for _ in 0..200 {
        let (_, body) = get(format!("/api/v1/devices?limit=50{cursor}")).await?;
        if let Some(c) = body["next_cursor"].as_str() {
            cursor = format!("&cursor={c}");
        }
    }
    let cases = [
        ("first_page", "/api/v1/devices".to_string()),
        (
            "platform_macos",
            format!("/api/v1/devices?platform={}", Platform::Macos),
        ),
        (
            "os_version",
            "/api/v1/devices?os_version=10.0.19045".to_string(),
        ),
        (
            "seen_last_hour_by_last_seen",
            format!(
                "/api/v1/devices?sort=-last_seen_at&last_seen_after={}",
                steward_core::time::to_rfc3339(now_ms() - 3_600_000)
            ),
        ),
        ("text_search", "/api/v1/devices?q=user00042".to_string()),
        // Common to most Windows names: a page by name from hundreds of thousands of matches.
        ("broad_search", "/api/v1/devices?q=win-".to_string()),
        // Inside most Windows names, past the first character: the names start elsewhere.
        ("search_inside_names", "/api/v1/devices?q=in-".to_string()),
        // Too short for a trigram, and first found past the Linux and macOS names.
        ("short_search", "/api/v1/devices?q=w".to_string()),
        (
            "health_active_threat",
            "/api/v1/devices?health=active_threat".to_string(),
        ),
        ("fleet_summary", "/api/v1/fleet/summary".to_string()),
        ("deep_page", format!("/api/v1/devices?limit=50{cursor}")),
    ];
    let cases: Vec<(&str, String)> = cases.into_iter().chain(extra).collect();
    let mut out = serde_json::Map::new();
    for (name, path) in cases {
        // One untimed request first: the fleet summary's first count after start-up is
        // waited for (later ones are served from memory).
        get(path.clone()).await?;
        let mut samples = Vec::new();
        for _ in 0..rounds {
            let (d, body) = get(path.clone()).await?;
            anyhow::ensure!(
                body["items"].as_array().is_some_and(|a| !a.is_empty())
                    || body["total"].as_u64().is_some_and(|n| n > 0)
                    || body["assignments"]
                        .as_array()
                        .is_some_and(|a| !a.is_empty()),
                "{name}: empty answer"
            );
            samples.push(d.as_secs_f64() * 1000.0);
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
        out.insert(name.into(), json!({"p50_ms": (q(0.5) * 100.0).round() / 100.0, "p99_ms": (q(0.99) * 100.0).round() / 100.0}));
    }
    Ok(serde_json::Value::Object(out))
}

/// For `bench inventory`: an app assigned to every Windows device (a target each), and a
/// software inventory of `packages` titles on every device; returns the cases it adds.
pub async fn seed_apps(
    store: &steward_store::Store,
    packages: u32,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    use steward_proto::apps::{App, AppAssignment, AppVersion, Wave};
    let actor = steward_store::audit::Actor::cli();
    let now = now_ms();
    let at = steward_core::time::to_rfc3339(now);
    let app = App {
        id: uuid::Uuid::now_v7().to_string(),
        name: "VPN client".into(),
        publisher: "IT".into(),
        description: String::new(),
        created_at: at.clone(),
        updated_at: at.clone(),
        versions: Vec::new(),
    };
    store.create_app(&app, now, &actor).await?;
    let v = AppVersion {
        id: uuid::Uuid::now_v7().to_string(),
        app_id: app.id.clone(),
        version: "7.2.1".into(),
        platform: "windows".into(),
        kind: "msi".into(),
        package: "{A1B2}".into(),
        arch: String::new(),
        sha256: None,
        size: 0,
        created_at: at.clone(),
    };
    store.add_app_version(&v, now, &actor).await?;
    let a = AppAssignment {
        id: uuid::Uuid::now_v7().to_string(),
        app_id: app.id.clone(),
        app_name: app.name.clone(),
        version_id: v.id.clone(),
        version: v.version.clone(),
        platform: v.platform.clone(),
        intent: "required".into(),
        group: None,
        start_at: at.clone(),
        deadline_at: None,
        waves: vec![
            Wave {
                percent: Some(10),
                group: None,
            },
            Wave {
                percent: Some(100),
                group: None,
            },
        ],
        gate_percent: 90,
        target_percent: 95,
        failure_percent: 10,
        current_wave: 0,
        paused: false,
        created_by: "bench".into(),
        created_at: at.clone(),
        updated_at: at,
    };
    store.create_assignment(&a, now, None, now, &actor).await?;
    let t0 = Instant::now();
    let (targets, _) = store.create_targets(&a, now).await?;
    tracing::info!(
        targets,
        secs = t0.elapsed().as_secs_f64(),
        "app targets created"
    );
    let t0 = Instant::now();
    store.seed_software(packages, now).await?;
    tracing::info!(
        packages,
        secs = t0.elapsed().as_secs_f64(),
        "software seeded"
    );
    Ok(vec![
        ("app_status", format!("/api/v1/apps/{}/status", app.id)),
        (
            "app_pending_devices",
            format!("/api/v1/app-assignments/{}/devices?state=pending", a.id),
        ),
        (
            "software_package",
            "/api/v1/software?name=pkg-003".to_string(),
        ),
        (
            "software_version_range",
            "/api/v1/software?name=pkg-003&version=%3E%3D1.2%2C%3C2".to_string(),
        ),
    ])
}

/// What `steward bench alert-latency` drives.
pub struct AlertLatencyBench {
    pub devices: u32,
    /// Background check-ins per second (unchanged state, the common case).
    pub rate: u32,
    /// Devices reporting a new active threat per second.
    pub threats_per_s: u32,
    pub duration: Duration,
    pub concurrency: usize,
}

/// Serves `store` with a webhook channel and an active-threat rule (one notification per
/// device, no group wait), loads the server with `rate` check-ins per second, and measures,
/// for devices that report a threat meanwhile, the time from sending that check-in to the
/// webhook arriving at a receiver on 127.0.0.1.
pub async fn alert_latency(
    store: steward_store::Store,
    mut config: steward_server::Config,
    b: AlertLatencyBench,
) -> anyhow::Result<serde_json::Value> {
    // The receiver runs on loopback, which outbound requests may reach only when allowed.
    config.outbound.allow = "127.0.0.1".into();
    use std::collections::HashMap;
    use steward_core::notify::{Channel, ChannelKind, GroupBy, NotifySettings};
    use steward_store::audit::Actor;

    // The receiver: notes when each device's notification arrives.
    let (arrived_tx, mut arrived_rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let hook = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hook", hook.local_addr()?);
    let receiver = tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::Json<serde_json::Value>| {
                let tx = arrived_tx.clone();
                async move {
                    let at = Instant::now();
                    for a in body["alerts"].as_array().into_iter().flatten() {
                        if let Some(d) = a["device_id"].as_str() {
                            let _ = tx.send((d.to_string(), at));
                        }
                    }
                    "ok"
                }
            }),
        );
        let _ = axum::serve(hook, app).await;
    });
    let now = now_ms();
    let channel = Channel {
        id: "bench-hook".into(),
        name: "bench".into(),
        kind: ChannelKind::Webhook,
        target: hook_url,
        secret: "bench".into(),
        language: steward_core::Lang::En,
        severities: Vec::new(),
        send_resolved: false,
        enabled: true,
    };
    store.put_channel(&channel, now, &Actor::cli()).await?;
    let rule = threat_rule(NotifySettings {
        channels: vec![channel.id.clone()],
        group_wait_secs: Some(0),
        group_by: GroupBy::Device,
        ..Default::default()
    });
    store.put_alert_rule(&rule, now, &Actor::cli()).await?;
    let token =
        steward_server::api::new_enrollment_token(&store, &Default::default(), &Actor::cli())
            .await
            .map_err(|e| anyhow::anyhow!("enrollment token: {}", e.0.as_str()))?
            .token;

    let server = BenchServer::start(&store, config).await?;
    let base = server.base.clone();

    // Enroll everyone and bring each device to steady state.
    let client = Client::new(&base);
    let threat_devices = (b.threats_per_s as u64 * b.duration.as_secs() + 10) as u32;
    let total = b.devices + threat_devices;
    let enrolled = enroll_steady(&client, &token, 7, total, "latency", 0, None).await?;
    let mut enrolled = enrolled;
    let threats: Vec<Dev> = enrolled.split_off(b.devices as usize);

    // Background load: `rate` check-ins a second, paced by a shared ticket counter.
    let deadline = Instant::now() + b.duration;
    let start = Instant::now();
    let pace = Pace::new(start, b.rate);
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let per_worker = enrolled.len().div_ceil(b.concurrency.max(1));
    let mut workers = Vec::new();
    let mut it = enrolled.into_iter().peekable();
    while it.peek().is_some() {
        let mut shard: Vec<Dev> = it.by_ref().take(per_worker).collect();
        let (client, pace, errors) = (client.clone(), pace.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut i = 0usize;
            while Instant::now() < deadline {
                // Wait for this check-in's slot in the global schedule.
                pace.wait().await;
                let len = shard.len();
                let d = &mut shard[i % len];
                i += 1;
                d.seq += 1;
                let req = d.sim.checkin(d.seq, d.at, 0, false);
                if client.checkin(&d.id, &d.secret, &req).await.is_err() {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }

    // Threats: one new device at a time, evenly spread.
    // When each threat's check-in was sent, and answered: from there on the time is the
    // notification's.
    type Sent = HashMap<String, (Instant, Option<Instant>)>;
    let sent_at: Arc<std::sync::Mutex<Sent>> = Arc::default();
    // How long each threat's check-in took to be answered (written): the rest of its
    // latency is the notification's.
    let answered = Arc::new(std::sync::Mutex::new(Histogram::<u64>::new_with_bounds(
        1,
        600_000_000,
        3,
    )?));
    let injector = {
        let (client, sent_at, answered) = (client.clone(), sent_at.clone(), answered.clone());
        let every = Duration::from_secs_f64(1.0 / f64::from(b.threats_per_s.max(1)));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            for mut d in threats {
                tick.tick().await;
                if Instant::now() >= deadline {
                    break;
                }
                d.seq += 1;
                let mut req = d.sim.checkin(d.seq, now_ms(), 0, false);
                let mut p = req.protection.take().unwrap_or_default();
                p.threat_state = Some(steward_proto::ThreatState::ActiveThreat);
                p.detections.push(steward_proto::Detection {
                    threat_name: "Eicar-Signature".into(),
                    path: "/tmp/eicar.com".into(),
                    severity: "low".into(),
                    action: steward_proto::DetectionAction::LeftInPlace,
                    detected_at: steward_core::time::to_rfc3339(now_ms()),
                });
                req.protection = Some(p);
                let (client, sent_at, answered) =
                    (client.clone(), sent_at.clone(), answered.clone());
                tokio::spawn(async move {
                    let t0 = Instant::now();
                    sent_at
                        .lock()
                        .expect("lock")
                        .insert(d.id.clone(), (t0, None));
                    if client.checkin(&d.id, &d.secret, &req).await.is_ok() {
                        let t1 = Instant::now();
                        sent_at
                            .lock()
                            .expect("lock")
                            .insert(d.id.clone(), (t0, Some(t1)));
                        let took = t1.duration_since(t0).as_micros() as u64;
                        let _ = answered.lock().expect("lock").record(took);
                    }
                });
            }
        })
    };
    for w in workers {
        w.await?;
    }
    injector.await?;
    let load_secs = start.elapsed().as_secs_f64();
    let expected = sent_at.lock().expect("lock").len();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    // From the answer to the notification (0 when the notification came first).
    let mut after = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    let mut seen = std::collections::HashSet::new();
    let wait_until = Instant::now() + Duration::from_secs(10);
    while seen.len() < expected {
        let left = wait_until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, arrived_rx.recv()).await {
            Ok(Some((dev, at))) => {
                let sent = sent_at.lock().expect("lock").get(&dev).copied();
                if let Some((t0, answered)) = sent {
                    if seen.insert(dev) {
                        let _ = hist.record(at.duration_since(t0).as_micros() as u64);
                        if let Some(t1) = answered {
                            let _ =
                                after.record(at.saturating_duration_since(t1).as_micros() as u64);
                        }
                    }
                }
            }
            _ => break,
        }
    }
    server.stop().await?;
    receiver.abort();
    let checkins = pace.taken.load(std::sync::atomic::Ordering::Relaxed);
    let answered = answered.lock().expect("lock").clone();
    Ok(json!({
        "bench": "alert_latency",
        "backend": store.backend().name(),
        "devices": b.devices,
        "target_rate_per_s": b.rate,
        "checkins_per_s": (checkins as f64 / load_secs).round(),
        "checkin_errors": errors.load(std::sync::atomic::Ordering::Relaxed),
        "threats": expected,
        "notified": seen.len(),
        "p50_ms": hist.value_at_quantile(0.50) as f64 / 1000.0,
        "p99_ms": hist.value_at_quantile(0.99) as f64 / 1000.0,
        "max_ms": hist.max() as f64 / 1000.0,
        "threat_checkin_p50_ms": answered.value_at_quantile(0.50) as f64 / 1000.0,
        "threat_checkin_p99_ms": answered.value_at_quantile(0.99) as f64 / 1000.0,
        "after_answer_p50_ms": after.value_at_quantile(0.50) as f64 / 1000.0,
        "after_answer_p99_ms": after.value_at_quantile(0.99) as f64 / 1000.0,
    }))
}

/// A server on a free port of 127.0.0.1, serving `store` for a bench until stopped.
pub struct BenchServer {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl BenchServer {
    pub async fn start(
        store: &steward_store::Store,
        config: steward_server::Config,
    ) -> anyhow::Result<BenchServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(steward_server::serve_with_store(
            listener,
            config,
            store.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(BenchServer { base, stop, task })
    }

    /// Stops the server and waits until it has finished its queued writes.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await?
    }
}

/// Synthetic articles around the starter set: each a starter article's text in every
/// language with sentences of the same language's words appended, so the vocabulary (and the
/// posting lists) are those of real troubleshooting articles.
pub fn synthetic_articles(n: u32, now: i64) -> Vec<steward_core::kb::Article> {
    use rand::seq::SliceRandom;
    let starter = steward_server::kb::starter_articles(now);
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let words: std::collections::BTreeMap<steward_core::Lang, Vec<String>> =
        steward_core::Lang::ALL
            .iter()
            .map(|l| {
                let w = starter
                    .iter()
                    .flat_map(|a| {
                        a.body(*l)
                            .split_whitespace()
                            .map(str::to_string)
                            .collect::<Vec<_>>()
                    })
                    .collect();
                (*l, w)
            })
            .collect();
    (0..n.saturating_sub(starter.len() as u32))
        .map(|i| {
            let base = &starter[i as usize % starter.len()];
            let mut a = base.clone();
            a.id = uuid::Uuid::now_v7().to_string();
            a.slug = format!("{}-{i}", base.slug);
            for l in steward_core::Lang::ALL {
                let extra: Vec<&str> = (0..80)
                    .filter_map(|_| words[&l].choose(&mut rng).map(String::as_str))
                    .collect();
                a.title.insert(l, format!("{} ({i})", base.title(l)));
                a.body
                    .insert(l, format!("{}\n\n{}", base.body(l), extra.join(" ")));
            }
            a.codes = Vec::new();
            a
        })
        .chain(starter.clone())
        .collect()
}

/// Loads `n` articles, serves them and times `GET /api/v1/kb/search` for queries in every
/// language (misspelled ones and an error code too), one at a time.
pub async fn kb_search(
    store: steward_store::Store,
    config: steward_server::Config,
    n: u32,
    rounds: u32,
) -> anyhow::Result<serde_json::Value> {
    use steward_store::audit::Actor;
    let t0 = Instant::now();
    let articles = synthetic_articles(n, now_ms());
    for chunk in articles.chunks(500) {
        store.insert_articles(chunk, &Actor::cli()).await?;
    }
    let load_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let index = steward_server::kb_index::KbIndex::new()?;
    index.rebuild(&articles)?;
    let index_s = t1.elapsed().as_secs_f64();
    drop(index);
    let token = steward_server::api::new_api_token(
        &store,
        "bench",
        Some(steward_core::Role::Helpdesk),
        None,
        None,
        &Actor::cli(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let server = BenchServer::start(&store, config).await?;
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let queries = [
        ("en", "expired enrollment token"),
        ("en", "enrolment tokn expird"),
        ("en", "0x80070643"),
        ("fr", "protection en temps réel désactivée"),
        ("fr", "définitons antivirus obsoletes"),
        ("sv", "enheten checkar inte in"),
        ("sv", "appinstalationen misslyckades"),
        ("de", "Gerät meldet sich nicht"),
        ("de", "Plattform gespert"),
        ("ko", "앱 설치 실패"),
        ("ko", "실시간 보호가 꺼져"),
    ];
    let mut samples = Vec::new();
    for round in 0..=rounds {
        for (lang, q) in queries {
            let url = reqwest::Url::parse_with_params(
                &format!("{base}/api/v1/kb/search"),
                &[("q", q), ("lang", lang)],
            )?;
            let t = Instant::now();
            let resp = http.get(url).bearer_auth(&token.token).send().await?;
            anyhow::ensure!(resp.status().is_success(), "{q}: {}", resp.status());
            let body: serde_json::Value = resp.json().await?;
            anyhow::ensure!(
                body["total"].as_u64().unwrap_or(0) > 0,
                "{q}: nothing found"
            );
            if round > 0 {
                samples.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    server.stop().await?;
    samples.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    let rss_mb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024);
    Ok(json!({
        "bench": "kb-search",
        "backend": store.backend().name(),
        "articles": articles.len(),
        "documents": articles.len() * steward_core::Lang::ALL.len(),
        "load_s": (load_s * 10.0).round() / 10.0,
        "index_build_s": (index_s * 100.0).round() / 100.0,
        "queries": samples.len(),
        "p50_ms": (q(0.5) * 100.0).round() / 100.0,
        "p99_ms": (q(0.99) * 100.0).round() / 100.0,
        "max_ms": (q(1.0) * 100.0).round() / 100.0,
        "peak_rss_mb": rss_mb,
    }))
}

/// CPU time (user and system) this process has used, in seconds.
pub fn process_cpu_secs() -> f64 {
    proc_stat("self").map_or(0.0, |s| s.cpu_secs)
}

#[derive(clap::Args)]
pub struct PushBench {
    /// The server's address; several, comma-separated, share the agents (agent i waits on
    /// server i mod n) and each request is made through another server than the one its
    /// device waits on, as behind a balancer.
    #[arg(long)]
    pub server: String,
    #[arg(long)]
    pub enroll_token: String,
    /// An API token allowed to create help-desk requests.
    #[arg(long)]
    pub api_token: String,
    #[arg(long, default_value_t = 10_000)]
    pub agents: u32,
    /// The first server's process id (its memory and CPU are read from /proc).
    #[arg(long)]
    pub pid: u32,
    /// Help-desk requests sent while every agent waits, for the push latency.
    #[arg(long, default_value_t = 20)]
    pub requests: u32,
}

/// The server's resident memory, in KiB.
fn rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmRSS:")
}

/// The server's peak resident memory so far, in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmHWM:") / 1024
}

/// The program a process runs (`steward`, `postgres` …), from `/proc/PID/comm`: a watched
/// PostgreSQL postmaster's figures are the database's (its backends are its children).
fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|n| n.trim().to_string())
        .unwrap_or_default()
}

/// A line of `/proc/PID/status` given in kB (0 when absent).
fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A value of the server's `/metrics` (0 when absent).
async fn metric(http: &reqwest::Client, server: &str, name: &str) -> f64 {
    let Ok(r) = http.get(format!("{server}/metrics")).send().await else {
        return 0.0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Connects `agents` devices' push channels to a running server and measures what the held
/// connections cost it (memory, idle CPU) and how long a help-desk request takes to arrive.
pub async fn push(b: PushBench) -> anyhow::Result<serde_json::Value> {
    let servers = servers_of(&b.server)?;
    let n = servers.len();
    let clients: Vec<Client> = servers.iter().map(|s| Client::new(s)).collect();
    let devices = enroll_steady(&clients[0], &b.enroll_token, 7, b.agents, "push", 0, None).await?;
    let http = reqwest::Client::new();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = rss_kib(b.pid);
    let (arrived_tx, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    let mut waiters = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let (client, id, secret, tx) = (
            clients[i % n].clone(),
            d.id.clone(),
            d.secret.clone(),
            arrived_tx.clone(),
        );
        waiters.push(tokio::spawn(async move {
            loop {
                match client.wait(&id, &secret, 60).await {
                    Ok(r) if !r.actions.is_empty() => {
                        let _ = tx.send((i, Instant::now()));
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            }
        }));
    }
    let waiting = || async {
        let mut total = 0.0;
        for server in &servers {
            total += metric(&http, server, "steward_waiting_agents").await;
        }
        total
    };
    let connect_started = Instant::now();
    let deadline = connect_started + Duration::from_secs(180);
    loop {
        let n = waiting().await;
        if n >= f64::from(b.agents) {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {n} of {} agents connected",
            b.agents
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let connect_secs = connect_started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_connected = rss_kib(b.pid);
    // Idle: every agent connected, nothing to hand out.
    let cpu0 = cpu_seconds(b.pid);
    let idle = Duration::from_secs(10);
    tokio::time::sleep(idle).await;
    let idle_cpu = (cpu_seconds(b.pid) - cpu0) / idle.as_secs_f64();
    // Requests to devices picked across the fleet: the time until each arrives.
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut delivered = 0u32;
    for k in 0..b.requests {
        let i = (k as usize * 7919) % devices.len();
        // Through another server than the one the device waits on (when there are several).
        let through = &servers[(i + 1) % n];
        let sent = Instant::now();
        let r = http
            .post(format!(
                "{through}/api/v1/devices/{}/requests",
                devices[i].id
            ))
            .bearer_auth(&b.api_token)
            .json(&json!({"kind": "sync"}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "request refused: {}", r.status());
        loop {
            let (got, at) = tokio::time::timeout(Duration::from_secs(30), arrived.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the waiters ended"))?;
            if got == i {
                let _ = latencies.record(at.duration_since(sent).as_micros() as u64);
                delivered += 1;
                break;
            }
        }
    }
    // Every agent that was handed an action asks again at once: once the last has, all are
    // held again (a bounded wait, so an agent that never comes back shows in the figure).
    let back_by = Instant::now() + Duration::from_secs(10);
    let connected = loop {
        let now = waiting().await;
        if now >= f64::from(b.agents) || Instant::now() >= back_by {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for w in waiters {
        w.abort();
    }
    // The first server (whose process is watched) holds every n-th agent.
    let held = devices.len().div_ceil(n).max(1) as f64;
    let per_agent = (rss_connected.saturating_sub(rss_before)) as f64 / held;
    Ok(json!({
        "bench": "push",
        "servers": n,
        "agents": b.agents,
        "connected": connected,
        "delivered": delivered,
        "connect_s": (connect_secs * 10.0).round() / 10.0,
        "rss_before_mib": rss_before / 1024,
        "rss_connected_mib": rss_connected / 1024,
        "kib_per_agent": (per_agent * 10.0).round() / 10.0,
        "idle_cpu_pct": (idle_cpu * 1000.0).round() / 10.0,
        "requests": b.requests,
        "push_p50_ms": latencies.value_at_quantile(0.5) as f64 / 1000.0,
        "push_max_ms": latencies.max() as f64 / 1000.0,
    }))
}

/// What `steward bench remediation` drives.
pub struct RemediationBench {
    pub server: String,
    pub enroll_token: String,
    /// An administrator's token (writes the scripts and the remediation).
    pub admin_token: String,
    /// A second administrator's token (approves the remediation, which reaches every device).
    pub approver_token: String,
    pub devices: u32,
    pub concurrency: usize,
    /// Seconds of each phase.
    pub duration: u64,
    /// Remediating phases, each between two steady ones.
    pub pairs: u32,
    /// Seconds not counted after each switch (at least the scheduler's pass).
    pub settle: u64,
    pub rounds: u32,
    pub watch_pids: Vec<u32>,
}

/// Steady check-ins of `devices` for `duration`, answering what the server asks for with the
/// next check-in (as agents do; answers not sent yet stay with the device for the next
/// phase); returns check-ins made, errors, requests answered.
async fn drive(
    client: &Client,
    devices: Vec<Dev>,
    concurrency: usize,
    duration: Duration,
) -> (Vec<Dev>, u64, u64, u64) {
    let per = devices.len().div_ceil(concurrency.max(1)).max(1);
    let mut shards: Vec<Vec<Dev>> = Vec::new();
    let mut it = devices.into_iter().peekable();
    while it.peek().is_some() {
        shards.push(it.by_ref().take(per).collect());
    }
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = shards
        .into_iter()
        .map(|mut shard| {
            let client = client.clone();
            tokio::spawn(async move {
                let (mut ok, mut errors, mut answered) = (0u64, 0u64, 0u64);
                let mut i = 0usize;
                while Instant::now() < deadline {
                    let n = shard.len();
                    let d = &mut shard[i % n];
                    i += 1;
                    d.seq += 1;
                    let mut req = d.sim.checkin(d.seq, d.at, 0, false);
                    let sent = d.pending.len() as u64;
                    req.action_results = std::mem::take(&mut d.pending);
                    match client.checkin(&d.id, &d.secret, &req).await {
                        Ok(resp) => {
                            ok += 1;
                            answered += sent;
                            d.pending = d.sim.answer(&resp.actions, 0);
                        }
                        Err(_) => {
                            errors += 1;
                            d.pending = req.action_results;
                        }
                    }
                }
                (shard, ok, errors, answered)
            })
        })
        .collect();
    let (mut all, mut ok, mut errors, mut answered) = (Vec::new(), 0, 0, 0);
    for t in tasks {
        if let Ok((d, o, e, a)) = t.await {
            all.extend(d);
            ok += o;
            errors += e;
            answered += a;
        }
    }
    (all, ok, errors, answered)
}

/// One server of the remediation bench: its devices and its remediation.
struct Side {
    server: String,
    client: Client,
    devices: Vec<Dev>,
    /// The remediation's id and its body (switched on and off by `enabled`).
    remediation: String,
    body: serde_json::Value,
    /// The processes whose CPU time counts for this server.
    pids: Vec<u32>,
    setup_ms: u64,
}

/// Sends `body` with `token`; the answer's JSON (or null), or the server's refusal.
async fn send_json(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let r = http
        .request(method, url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "{}: {}",
        r.status(),
        r.text().await?
    );
    Ok(r.json().await.unwrap_or_default())
}

/// Enrolls the devices of `server`, writes two scripts and a remediation over every device,
/// has a second administrator approve it, switches it on until its rows for every device are
/// made (once: what is measured after is script runs beside check-ins, not the making of a
/// remediation), then off.
async fn prepare_side(
    b: &RemediationBench,
    http: &reqwest::Client,
    server: &str,
    pids: Vec<u32>,
) -> anyhow::Result<Side> {
    let client = Client::new(server);
    let devices = enroll_steady(
        &client,
        &b.enroll_token,
        11,
        b.devices,
        "remediation",
        0,
        Some(Platform::Linux),
    )
    .await?;
    let post = |path: &str, body| {
        send_json(
            http,
            reqwest::Method::POST,
            format!("{server}{path}"),
            &b.admin_token,
            body,
        )
    };
    let tag = now_ms();
    let detect = post(
        "/api/v1/scripts",
        json!({"name": format!("bench detect {tag}"), "content": "test -e /etc/bench-ok\n"}),
    )
    .await?;
    let fix = post(
        "/api/v1/scripts",
        json!({"name": format!("bench fix {tag}"), "content": "touch /etc/bench-ok\n"}),
    )
    .await?;
    let body = json!({"name": format!("bench {tag}"), "detect_script_id": detect["id"], "fix_script_id": fix["id"], "platform": "linux", "retry_minutes": 1, "enabled": true});
    let rem = post("/api/v1/remediations", body.clone()).await?;
    let id = rem["id"].as_str().unwrap_or_default().to_string();
    let setup = Instant::now();
    if let Some(approval) = rem["approval_id"].as_str() {
        send_json(
            http,
            reqwest::Method::POST,
            format!("{server}/api/v1/approvals/{approval}/approve"),
            &b.approver_token,
            json!({}),
        )
        .await?;
    }
    let status_url = format!("{server}/api/v1/remediations/{id}/status");
    loop {
        let st: serde_json::Value = http
            .get(&status_url)
            .bearer_auth(&b.admin_token)
            .send()
            .await?
            .json()
            .await?;
        if st["total"].as_u64() >= Some(u64::from(b.devices)) {
            break;
        }
        anyhow::ensure!(setup.elapsed() < Duration::from_secs(300), "no rows: {st}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut side = Side {
        server: server.to_string(),
        client,
        devices,
        remediation: id,
        body,
        pids,
        setup_ms: setup.elapsed().as_millis() as u64,
    };
    switch(http, &b.admin_token, &mut side, false).await?;
    Ok(side)
}

/// Switches the remediation of `side` on or off.
async fn switch(
    http: &reqwest::Client,
    token: &str,
    side: &mut Side,
    enabled: bool,
) -> anyhow::Result<()> {
    side.body["enabled"] = json!(enabled);
    send_json(
        http,
        reqwest::Method::PUT,
        format!("{}/api/v1/remediations/{}", side.server, side.remediation),
        token,
        side.body.clone(),
    )
    .await?;
    Ok(())
}

/// Drives the check-ins of `side` for `len`: what they made, and the server's CPU per
/// check-in over that time.
async fn bench_phase(
    side: &mut Side,
    name: &str,
    len: Duration,
    concurrency: usize,
) -> serde_json::Value {
    let cpu = |pids: &[u32]| pids.iter().map(|&p| cpu_seconds(p)).sum::<f64>();
    let (c0, t0) = (cpu(&side.pids), Instant::now());
    let devices = std::mem::take(&mut side.devices);
    let (devices, ok, errors, answered) = drive(&side.client, devices, concurrency, len).await;
    side.devices = devices;
    let secs = t0.elapsed().as_secs_f64();
    let spent = cpu(&side.pids) - c0;
    json!({
        "phase": name,
        "checkins": ok,
        "errors": errors,
        "answers": answered,
        "throughput_per_s": (ok as f64 / secs).round(),
        "server_cpu_us_per_checkin": if ok == 0 { 0.0 } else { (spent * 1e6 / ok as f64).round() },
    })
}

/// Drives every side at once, side `i` named `names[i]`.
async fn bench_phases(
    sides: &mut [Side],
    names: &[&str],
    len: Duration,
    concurrency: usize,
) -> Vec<serde_json::Value> {
    futures::future::join_all(
        sides
            .iter_mut()
            .zip(names)
            .map(|(side, name)| bench_phase(side, name, len, concurrency)),
    )
    .await
}

/// `v` rounded to thousandths, sorted, and its median.
fn sorted_with_median(mut v: Vec<f64>) -> (Vec<f64>, f64) {
    v.sort_by(f64::total_cmp);
    let median = match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    };
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    (v.iter().map(|x| round(*x)).collect(), round(median))
}

/// Enrolls `devices` Linux devices and runs their check-ins in phases with and without a
/// remediation covering all of them handed out and answered, and times the remediation's
/// status (its counts by state and group).
///
/// With one server, steady and remediating phases alternate (`pairs` remediating ones, each
/// between two steady ones) and each remediating phase is compared with the mean of the
/// steady phases either side. With two servers (each its own database, the same tokens),
/// both are driven at once, each with `concurrency` connections, and in each slot one of
/// them remediates while the other stays steady, turn and turn about: a slot compares the
/// two at the same moment, so the machine's noise falls on both alike, and each pair of
/// slots (the geometric mean of its two ratios) cancels what differs between the servers.
pub async fn remediation(b: RemediationBench) -> anyhow::Result<serde_json::Value> {
    let servers: Vec<String> = b
        .server
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    anyhow::ensure!(
        matches!(servers.len(), 1 | 2),
        "give one server, or two to compare side by side"
    );
    let side_by_side = servers.len() == 2;
    anyhow::ensure!(
        !side_by_side || b.watch_pids.is_empty() || b.watch_pids.len() == 2,
        "side by side, --watch-pid takes one process per server, in the order of --server"
    );
    let http = reqwest::Client::new();
    let mut sides = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        let pids = match (side_by_side, b.watch_pids.get(i)) {
            (false, _) => b.watch_pids.clone(),
            (true, Some(&p)) => vec![p],
            (true, None) => Vec::new(),
        };
        sides.push(prepare_side(&b, &http, server, pids).await?);
    }
    let (len, conc) = (Duration::from_secs(b.duration), b.concurrency);
    let settle = Duration::from_secs(b.settle);
    let pairs = b.pairs.max(1) as usize;
    // One steady phase not counted: the database settles after the rows were written.
    bench_phases(&mut sides, &["warm-up"; 2], len, conc).await;
    // After each switch, `settle` seconds of check-ins are not counted: the scheduler's next
    // pass comes, and the answers to attempts handed out before a switch come back, so each
    // phase counts its own work only.
    let of = |p: &serde_json::Value, key: &str| p[key].as_f64().unwrap_or(0.0);
    let keys = ["throughput_per_s", "server_cpu_us_per_checkin"];
    let mut ratios: [Vec<f64>; 2] = Default::default();
    let phases: serde_json::Value = if side_by_side {
        let mut slots = Vec::new();
        let mut each: [Vec<f64>; 2] = Default::default();
        // Whether each slot's remediating server ran any script: a pair in which one did
        // not (the remediation had finished) says nothing about script runs.
        let mut worked = Vec::new();
        for k in 0..2 * pairs {
            let rem = k % 2;
            switch(&http, &b.admin_token, &mut sides[1 - rem], false).await?;
            switch(&http, &b.admin_token, &mut sides[rem], true).await?;
            bench_phases(&mut sides, &["settle"; 2], settle, conc).await;
            let mut names = ["steady"; 2];
            names[rem] = "remediating";
            let slot = bench_phases(&mut sides, &names, len, conc).await;
            for (j, key) in keys.iter().enumerate() {
                each[j].push(of(&slot[rem], key) / of(&slot[1 - rem], key).max(1e-9));
            }
            worked.push(of(&slot[rem], "answers") > 0.0);
            slots.push(slot);
        }
        for j in 0..2 {
            ratios[j] = each[j]
                .chunks(2)
                .zip(worked.chunks(2))
                .filter(|(_, w)| w.iter().all(|&w| w))
                .map(|(p, _)| (p[0] * p[1]).sqrt())
                .collect();
        }
        json!({
            "slots": slots,
            "rate_ratios_each_slot": sorted_with_median(each[0].clone()).0,
            "cpu_ratios_each_slot": sorted_with_median(each[1].clone()).0,
        })
    } else {
        let side = &mut sides[0];
        let mut phases = Vec::new();
        for k in 0..(2 * pairs + 1) {
            let name = if k % 2 == 1 { "remediating" } else { "steady" };
            if k > 0 {
                switch(&http, &b.admin_token, side, name == "remediating").await?;
                bench_phase(side, "settle", settle, conc).await;
            }
            phases.push(bench_phase(side, name, len, conc).await);
        }
        for (j, key) in keys.iter().enumerate() {
            ratios[j] = (1..phases.len())
                .step_by(2)
                .filter(|&k| of(&phases[k], "answers") > 0.0)
                .map(|k| {
                    let around = (of(&phases[k - 1], key) + of(&phases[k + 1], key)) / 2.0;
                    of(&phases[k], key) / around.max(1e-9)
                })
                .collect();
        }
        json!(phases)
    };
    let [rate, cpu] = ratios.map(sorted_with_median);
    let first = &sides[0];
    let status = status_times(
        &http,
        &first.server,
        &first.remediation,
        &b.admin_token,
        b.rounds,
    )
    .await?;
    Ok(json!({
        "bench": "remediation",
        "servers": sides.len(),
        "devices": b.devices,
        "concurrency": b.concurrency,
        "phase_s": b.duration,
        "settle_s": b.settle,
        "setup_ms": first.setup_ms,
        "phases": phases,
        // Only the pairs (or phases) in which scripts ran: the medians say nothing when empty.
        "pairs_counted": rate.0.len(),
        "rate_ratios_remediating_vs_steady": rate.0,
        "rate_ratio_median": rate.1,
        "cpu_ratios_remediating_vs_steady": cpu.0,
        "cpu_ratio_median": cpu.1,
        "status": status,
    }))
}

/// Times the remediation's status (counts by state and group) `rounds` times.
async fn status_times(
    http: &reqwest::Client,
    server: &str,
    id: &str,
    token: &str,
    rounds: u32,
) -> anyhow::Result<serde_json::Value> {
    let url = format!("{server}/api/v1/remediations/{id}/status");
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut last = serde_json::Value::Null;
    for _ in 0..rounds.max(1) {
        let t0 = Instant::now();
        let r = http.get(&url).bearer_auth(token).send().await?;
        anyhow::ensure!(r.status().is_success(), "status: {}", r.status());
        last = r.json().await?;
        let _ = hist.record(t0.elapsed().as_micros() as u64);
    }
    Ok(json!({
        "total": last["total"],
        "counts": last["counts"],
        "p50_ms": hist.value_at_quantile(0.5) as f64 / 1000.0,
        "p99_ms": hist.value_at_quantile(0.99) as f64 / 1000.0,
    }))
}
