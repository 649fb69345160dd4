//! `steward-agent`: enrolls this device and checks in with basic OS facts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use rand::Rng;
use serde::{Deserialize, Serialize};
use steward_agent::{facts, Client};
use steward_core::{t, t_args, Lang};
use steward_proto::{inventory_hash, CheckinRequest, CheckinResponse, EnrollRequest, Platform};

#[derive(Parser)]
#[command(name = "steward-agent", version, about = "Steward device agent")]
struct Cli {
    /// Directory holding the agent's credentials and state.
    #[arg(long, env = "STEWARD_AGENT_STATE_DIR", global = true)]
    state_dir: Option<PathBuf>,
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
        #[arg(long)]
        once: bool,
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
        Command::Run { once } => {
            let mut state =
                load(&dir)?.ok_or_else(|| anyhow::anyhow!(t(lang, "agent-not-enrolled")))?;
            let client = Client::new(&state.server);
            let mut backoff = 1u64;
            loop {
                match checkin_once(&client, &dir, &mut state).await {
                    Ok(secs) => {
                        backoff = 1;
                        println!(
                            "{}",
                            t_args(
                                lang,
                                "agent-checked-in",
                                &[("seq", state.seq.to_string()), ("secs", secs.to_string())]
                            )
                        );
                        if once {
                            return Ok(());
                        }
                        // Up to 10 % jitter so a fleet does not check in in lockstep.
                        let jitter = rand::thread_rng().gen_range(0..=u64::from(secs) * 100);
                        tokio::time::sleep(Duration::from_millis(u64::from(secs) * 900 + jitter))
                            .await;
                    }
                    Err(e) => {
                        let e = match e.downcast::<steward_agent::AgentError>() {
                            Ok(api) => explain(lang, &api),
                            Err(other) => other,
                        };
                        if once {
                            return Err(e);
                        }
                        tracing::warn!(error = %e, retry_in_secs = backoff, "check-in failed");
                        tokio::time::sleep(Duration::from_secs(backoff)).await;
                        backoff = (backoff * 2).min(300);
                    }
                }
            }
        }
        Command::Status { json } => {
            let report = serde_json::json!({
                "os": facts::os_facts(),
                "hardware_id": facts::hardware_id(),
                "inventory": facts::inventory(),
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

/// One check-in; the sequence number is saved before sending so it never goes backwards.
async fn checkin_once(client: &Client, dir: &Path, state: &mut State) -> anyhow::Result<u32> {
    let inventory = facts::inventory();
    let hash = inventory_hash(&inventory);
    state.seq += 1;
    save(dir, state)?;
    let req = CheckinRequest {
        seq: state.seq,
        os: facts::os_facts(),
        inventory_hash: Some(hash.clone()),
        inventory: (hash != state.inventory_hash).then_some(inventory.clone()),
        protection: None,
        compliance: None,
        action_results: Vec::new(),
    };
    let mut resp = client
        .checkin(&state.device_id, &state.secret, &req)
        .await?;
    adopt_secret(dir, state, &resp)?;
    if req.inventory.is_some() && resp.applied {
        state.inventory_hash = hash.clone();
    }
    if resp.send_inventory && req.inventory.is_none() {
        state.seq += 1;
        save(dir, state)?;
        let full = CheckinRequest {
            seq: state.seq,
            inventory: Some(inventory),
            ..req
        };
        resp = client
            .checkin(&state.device_id, &state.secret, &full)
            .await?;
        adopt_secret(dir, state, &resp)?;
        state.inventory_hash = hash;
    }
    state.interval_secs = resp.next_checkin_secs;
    save(dir, state)?;
    Ok(resp.next_checkin_secs)
}
