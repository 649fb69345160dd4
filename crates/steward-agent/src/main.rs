//! `steward-agent`: enrolls this device and checks in with basic OS facts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

use steward_agent::clamav::{self, ScanKind};
use steward_agent::queue::Queue;
use steward_agent::{facts, Client};
use steward_core::{t, t_args, Lang};
use steward_proto::{inventory_hash, CheckinRequest, CheckinResponse, EnrollRequest, Platform};

#[derive(Parser)]
#[command(name = "steward-agent", version, about = "Steward device agent")]
struct Cli {
    /// Directory holding the agent's credentials and state.
    #[arg(long, env = "STEWARD_AGENT_STATE_DIR", global = true)]
    state_dir: Option<PathBuf>,
    /// ClamAV's signature databases.
    #[arg(long, env = "STEWARD_AGENT_CLAMAV_DB", global = true, default_value = clamav::DEFAULT_DB_DIR)]
    clamav_db: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enroll this device with an enrollment token.
    Enroll {
        #[arg(long)]
        server: String,
        #[arg(long)]
        token: String,
        /// E-mail of the device's owner.
        #[arg(long, default_value = "")]
        owner: String,
    },
    /// Check in periodically (or once with --once).
    Run {
        /// Collect and deliver once, then exit (what could not be delivered stays queued).
        #[arg(long)]
        once: bool,
        /// Seconds between snapshots; by default what the server asks for.
        #[arg(long)]
        interval: Option<u32>,
    },
    /// Scan for malware with ClamAV and record what was found (reported at the next check-in).
    Scan {
        /// A full scan of the whole filesystem; by default a quick scan of home and temporary directories.
        #[arg(long)]
        full: bool,
        /// Scan these paths instead (repeatable).
        #[arg(long = "path")]
        paths: Vec<String>,
    },
    /// Show what the agent would report now.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize, Deserialize)]
struct State {
    server: String,
    device_id: String,
    secret: String,
    seq: u64,
    /// Hash of the inventory last acknowledged by the server.
    inventory_hash: String,
    interval_secs: u32,
}

fn default_state_dir() -> PathBuf {
    if std::env::var("USER").is_ok_and(|u| u == "root") {
        PathBuf::from("/var/lib/steward-agent")
    } else {
        std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".local/state/steward-agent"))
            .unwrap_or_else(|| PathBuf::from("steward-agent-state"))
    }
}

fn load(dir: &Path) -> anyhow::Result<Option<State>> {
    match std::fs::read(dir.join("state.json")) {
        Ok(b) => Ok(Some(serde_json::from_slice(&b)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes the state atomically (temp file, fsync, rename).
fn save(dir: &Path, s: &State) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join("state.json.tmp");
    let f = std::fs::File::create(&tmp)?;
    serde_json::to_writer(&f, s)?;
    f.sync_all()?;
    std::fs::rename(tmp, dir.join("state.json"))?;
    Ok(())
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let lang = Lang::from_env();
    if let Err(e) = run(Cli::parse(), lang).await {
        eprintln!(
            "{}",
            t_args(lang, "cli-error", &[("message", format!("{e:#}"))])
        );
        std::process::exit(1);
    }
}

async fn run(cli: Cli, lang: Lang) -> anyhow::Result<()> {
    let dir = cli.state_dir.unwrap_or_else(default_state_dir);
    match cli.command {
        Command::Enroll {
            server,
            token,
            owner,
        } => {
            let os = facts::os_facts();
            let client = Client::new(&server);
            let resp = client
                .enroll(&EnrollRequest {
                    token,
                    hostname: os.hostname.clone(),
                    platform: Platform::Linux,
                    os_version: os.version.clone(),
                    hardware_id: facts::hardware_id(),
                    serial: String::new(),
                    owner,
                    model: String::new(),
                })
                .await
                .map_err(|e| explain(lang, &e))?;
            save(
                &dir,
                &State {
                    server,
                    device_id: resp.device_id.clone(),
                    secret: resp.device_secret,
                    seq: 0,
                    inventory_hash: String::new(),
                    interval_secs: resp.checkin_interval_secs,
                },
            )
            .with_context(|| dir.display().to_string())?;
            println!(
                "{}",
                t_args(lang, "agent-enrolled", &[("id", resp.device_id)])
            );
            Ok(())
        }
        Command::Run { once, interval } => {
            let mut state =
                load(&dir)?.ok_or_else(|| anyhow::anyhow!(t(lang, "agent-not-enrolled")))?;
            let client = Client::new(&state.server);
            let queue = Queue::open(&dir.join("queue"))?;
            let mut backoff = 1u64;
            let mut next_collect = Instant::now();
            loop {
                if Instant::now() >= next_collect {
                    collect(&dir, &cli.clamav_db, &mut state, &queue)?;
                    let secs = u64::from(interval.unwrap_or(state.interval_secs).max(1));
                    // Up to 10 % jitter so a fleet does not check in in lockstep.
                    let jitter = rand::thread_rng().gen_range(0..=secs * 100);
                    next_collect = Instant::now() + Duration::from_millis(secs * 900 + jitter);
                }
                match deliver(&client, &dir, &mut state, &queue).await {
                    Ok(delivered) => {
                        backoff = 1;
                        if delivered > 0 {
                            let secs = interval.unwrap_or(state.interval_secs);
                            println!(
                                "{}",
                                t_args(
                                    lang,
                                    "agent-checked-in",
                                    &[("seq", state.seq.to_string()), ("secs", secs.to_string())]
                                )
                            );
                        }
                    }
                    Err(e) => {
                        let e = match e.downcast::<steward_agent::AgentError>() {
                            Ok(api) => explain(lang, &api),
                            Err(other) => other,
                        };
                        if once {
                            return Err(e);
                        }
                        tracing::warn!(error = %e, retry_in_secs = backoff, "delivery failed; snapshots stay queued");
                    }
                }
                if once {
                    return Ok(());
                }
                let until_collect = next_collect.saturating_duration_since(Instant::now());
                let wait = if queue.is_empty() {
                    until_collect
                } else {
                    let wait = Duration::from_secs(backoff).min(until_collect);
                    backoff = (backoff * 2).min(300);
                    wait
                };
                tokio::time::sleep(wait).await;
            }
        }
        Command::Scan { full, paths } => {
            let kind = if full {
                ScanKind::Full
            } else {
                ScanKind::Quick
            };
            let paths = if !paths.is_empty() {
                paths
            } else if full {
                vec!["/".to_string()]
            } else {
                ["/home", "/root", "/tmp", "/var/tmp"]
                    .iter()
                    .filter(|p| Path::new(p).exists())
                    .map(|p| p.to_string())
                    .collect()
            };
            let record = clamav::scan(kind, &paths, &cli.clamav_db, &dir)?;
            if record.detections.is_empty() {
                println!(
                    "{}",
                    t_args(lang, "agent-scan-clean", &[("paths", paths.join(" "))])
                );
            } else {
                println!(
                    "{}",
                    t_args(
                        lang,
                        "agent-scan-found",
                        &[("count", record.detections.len().to_string())]
                    )
                );
                for d in &record.detections {
                    println!("  {}: {}", d.path, d.threat_name);
                }
            }
            Ok(())
        }
        Command::Status { json } => {
            let report = serde_json::json!({
                "os": facts::os_facts(),
                "hardware_id": facts::hardware_id(),
                "inventory": facts::inventory(),
                "compliance": steward_agent::security::compliance_facts(),
                "protection": clamav::protection(&cli.clamav_db, &dir),
                "enrolled": load(&dir)?.map(|s| s.device_id),
            });
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let os = facts::os_facts();
                println!(
                    "{} {} ({}), kernel {}, host {}",
                    os.name, os.version, os.arch, os.kernel, os.hostname
                );
                match report["enrolled"].as_str() {
                    Some(id) => println!(
                        "{}",
                        t_args(lang, "agent-enrolled", &[("id", id.to_string())])
                    ),
                    None => println!("{}", t(lang, "agent-not-enrolled")),
                }
            }
            Ok(())
        }
    }
}

/// A readable message for an agent API failure.
fn explain(lang: Lang, e: &steward_agent::AgentError) -> anyhow::Error {
    let key = match e {
        steward_agent::AgentError::Api { .. } => "agent-server-error",
        steward_agent::AgentError::Transport(_) => "agent-unreachable",
    };
    anyhow::anyhow!(t_args(lang, key, &[("message", e.to_string())]))
}

/// Stores a rotated secret before anything else: the next request must use it.
fn adopt_secret(dir: &Path, state: &mut State, resp: &CheckinResponse) -> anyhow::Result<()> {
    if let Some(secret) = &resp.new_secret {
        state.secret = secret.clone();
        save(dir, state)?;
    }
    Ok(())
}

/// Takes a snapshot and queues it (durably) under the next sequence number. The full
/// inventory goes with it when it changed since the last one queued.
fn collect(dir: &Path, clamav_db: &Path, state: &mut State, queue: &Queue) -> anyhow::Result<()> {
    let inventory = facts::inventory();
    let hash = inventory_hash(&inventory);
    state.seq += 1;
    let changed = hash != state.inventory_hash;
    if changed {
        state.inventory_hash = hash.clone();
    }
    save(dir, state)?;
    queue.push(&CheckinRequest {
        seq: state.seq,
        os: facts::os_facts(),
        inventory_hash: Some(hash),
        inventory: changed.then_some(inventory),
        protection: Some(clamav::protection(clamav_db, dir)),
        compliance: Some(steward_agent::security::compliance_facts()),
        action_results: Vec::new(),
    })?;
    Ok(())
}

/// Sends the queued snapshots, oldest first, removing each once the server answered it.
/// Stops at the first one that could not be delivered. Returns how many were delivered.
async fn deliver(
    client: &Client,
    dir: &Path,
    state: &mut State,
    queue: &Queue,
) -> anyhow::Result<usize> {
    let mut delivered = 0;
    for path in queue.entries()? {
        let req = Queue::read(&path)?;
        match client.checkin(&state.device_id, &state.secret, &req).await {
            Ok(resp) => {
                adopt_secret(dir, state, &resp)?;
                if resp.send_inventory {
                    // The next snapshot carries the full inventory again.
                    state.inventory_hash.clear();
                }
                state.interval_secs = resp.next_checkin_secs;
                save(dir, state)?;
                Queue::remove(&path)?;
                delivered += 1;
            }
            Err(steward_agent::AgentError::Api { status, .. })
                if (400..500).contains(&status) && ![401, 408, 429].contains(&status) =>
            {
                // The server will never take this snapshot; keeping it would block the rest.
                tracing::warn!(file = %path.display(), status, "snapshot refused; dropped");
                Queue::remove(&path)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(delivered)
}
