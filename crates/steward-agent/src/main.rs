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
use steward_proto::remediation::{RemediateParams, ScriptRef, ScriptReport};
use steward_proto::{inventory_hash, CheckinRequest, CheckinResponse, EnrollRequest, Platform};

#[derive(Parser)]
#[command(name = "steward-agent", version, about = "Steward device agent")]
struct Cli {
    /// TOML file with the settings below (flags and environment variables win over it).
    #[arg(long, env = "STEWARD_AGENT_CONFIG", global = true, default_value = DEFAULT_CONFIG)]
    config: PathBuf,
    /// Directory holding the agent's credentials and state.
    #[arg(long, env = "STEWARD_AGENT_STATE_DIR", global = true)]
    state_dir: Option<PathBuf>,
    /// ClamAV's signature databases [default: /var/lib/clamav].
    #[arg(long, env = "STEWARD_AGENT_CLAMAV_DB", global = true)]
    clamav_db: Option<PathBuf>,
    /// PEM file of certificate authorities to trust (besides the system's) for the server.
    #[arg(long, env = "STEWARD_AGENT_CA_FILE", global = true)]
    ca_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

const DEFAULT_CONFIG: &str = "/etc/steward/agent.toml";

/// The agent's configuration file. Every setting is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    state_dir: Option<PathBuf>,
    clamav_db: Option<PathBuf>,
    /// Seconds between check-ins, instead of what the server asks for.
    interval_secs: Option<u32>,
    /// The longest the pending-updates answer is reused while the package lists and the
    /// installed packages stay unchanged (the apt simulation costs CPU).
    updates_check_secs: Option<u64>,
    /// What a full scan asked for by the help desk covers.
    full_scan_paths: Option<Vec<String>>,
    /// PEM file of certificate authorities to trust besides the system's.
    ca_file: Option<PathBuf>,
    /// Keep a push connection open so the help desk's requests arrive at once (default true).
    push: Option<bool>,
    /// dpkg's root for app installs (default `/`).
    apps_root: Option<PathBuf>,
    /// The longest one app install may take, in seconds (default 1800).
    apps_timeout_secs: Option<u64>,
    /// Seconds before a failed install is tried again, doubled each time (default 300).
    apps_retry_secs: Option<u64>,
    /// Attempts before a failed install waits for a retry from the server (default 3).
    apps_max_attempts: Option<u32>,
    /// The user scripts from the server run as (default: the agent's own user).
    scripts_user: Option<String>,
    /// clamd's configuration, read for its socket and log (default
    /// `/etc/clamav/clamd.conf`).
    clamd_conf: Option<PathBuf>,
    /// clamd's socket, instead of the configuration's `LocalSocket`.
    clamd_socket: Option<PathBuf>,
    /// clamd's log, watched for detections, instead of the configuration's `LogFile`.
    clamd_log: Option<PathBuf>,
    /// The restart command (`{minutes}` and `{message}` are filled in).
    restart_command: Option<Vec<String>>,
    /// The log-off command, run once per logged-in user other than root (`{user}`).
    logoff_command: Option<Vec<String>>,
    /// The command that locks every session (`{message}`).
    lock_command: Option<Vec<String>>,
}

/// Device actions' commands, with their defaults.
#[derive(Debug, Clone)]
struct Commands {
    restart: Vec<String>,
    logoff: Vec<String>,
    lock: Vec<String>,
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Settings after flags, environment and file are combined.
struct Settings {
    dir: PathBuf,
    clamav_db: PathBuf,
    interval_secs: Option<u32>,
    updates_check_secs: u64,
    full_scan_paths: Vec<String>,
    ca_file: Option<PathBuf>,
    push: bool,
    apps: steward_agent::apps::AppSettings,
    scripts: steward_agent::scripts::ScriptSettings,
    clamd: clamav::Clamd,
    commands: Commands,
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let file = match std::fs::read_to_string(&cli.config) {
        Ok(text) => {
            toml::from_str::<FileConfig>(&text).with_context(|| cli.config.display().to_string())?
        }
        // The default file is optional; a file named on purpose must exist.
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && cli.config == Path::new(DEFAULT_CONFIG) =>
        {
            FileConfig::default()
        }
        Err(e) => return Err(anyhow::Error::new(e).context(cli.config.display().to_string())),
    };
    Ok(Settings {
        dir: cli
            .state_dir
            .clone()
            .or(file.state_dir)
            .unwrap_or_else(default_state_dir),
        clamav_db: cli
            .clamav_db
            .clone()
            .or(file.clamav_db)
            .unwrap_or_else(|| PathBuf::from(clamav::DEFAULT_DB_DIR)),
        interval_secs: file.interval_secs,
        updates_check_secs: file.updates_check_secs.unwrap_or(86_400),
        full_scan_paths: file
            .full_scan_paths
            .unwrap_or_else(|| vec!["/".to_string()]),
        ca_file: cli.ca_file.clone().or(file.ca_file),
        push: file.push.unwrap_or(true),
        apps: {
            let d = steward_agent::apps::AppSettings::default();
            steward_agent::apps::AppSettings {
                root: file.apps_root.unwrap_or(d.root),
                timeout: file
                    .apps_timeout_secs
                    .map_or(d.timeout, Duration::from_secs),
                max_attempts: file.apps_max_attempts.unwrap_or(d.max_attempts).max(1),
                retry_after: file
                    .apps_retry_secs
                    .map_or(d.retry_after, Duration::from_secs),
                max_download: d.max_download,
            }
        },
        scripts: steward_agent::scripts::ScriptSettings {
            user: file.scripts_user,
        },
        clamd: clamav::Clamd::locate(
            &file
                .clamd_conf
                .unwrap_or_else(|| PathBuf::from("/etc/clamav/clamd.conf")),
            file.clamd_socket,
            file.clamd_log,
        ),
        commands: Commands {
            restart: file
                .restart_command
                .unwrap_or_else(|| words(&["shutdown", "-r", "+{minutes}", "{message}"])),
            logoff: file
                .logoff_command
                .unwrap_or_else(|| words(&["loginctl", "terminate-user", "{user}"])),
            lock: file
                .lock_command
                .unwrap_or_else(|| words(&["loginctl", "lock-sessions"])),
        },
    })
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
        /// The server's public-key pin (`sha256//…`, see `steward tls-pin`): only a server
        /// holding that key is trusted, now and later.
        #[arg(long)]
        pin: Option<String>,
        /// Allow plain HTTP to another machine (the device's secret would cross in clear).
        #[arg(long)]
        insecure_http: bool,
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
    /// Show the announcements the organisation sent to this device (and mark them read).
    Messages {
        #[arg(long)]
        json: bool,
    },
    /// List the apps offered to this device and their states, or install one (self-service).
    Apps {
        #[command(subcommand)]
        action: Option<AppsCommand>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AppsCommand {
    /// Install an available app now (by name or id).
    Install { app: String },
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
    /// What to tell the server about the messages it sent (received, read), with the next
    /// snapshot.
    #[serde(default)]
    receipts: Vec<steward_proto::ActionResult>,
    /// Answers to the help desk's requests are waiting: collect and send at once.
    #[serde(default)]
    urgent: bool,
    /// The server's public-key pin given at enrollment.
    #[serde(default)]
    pin: Option<String>,
    /// Plain HTTP to another machine was allowed at enrollment.
    #[serde(default)]
    insecure_http: bool,
    /// Snapshots set aside and not yet reported to the server.
    #[serde(default)]
    set_aside: Vec<steward_proto::SetAside>,
    /// Hash of the software list last sent.
    #[serde(default)]
    software_hash: String,
    /// The catalog version of the app list held (`apps.json`).
    #[serde(default)]
    apps_version: Option<i64>,
    /// The app list must be fetched again.
    #[serde(default)]
    apps_stale: bool,
}

impl State {
    fn tls(&self, settings: &Settings) -> steward_agent::tls::TlsOptions {
        steward_agent::tls::TlsOptions {
            ca_file: settings.ca_file.clone(),
            pin: self.pin.clone(),
            insecure_http: self.insecure_http,
        }
    }
}

/// An announcement shown on this device.
#[derive(Serialize, Deserialize, Clone)]
struct Message {
    id: String,
    title: String,
    body: String,
    sent_at: String,
    #[serde(default)]
    read: bool,
}

fn messages_path(dir: &Path) -> PathBuf {
    dir.join("messages.json")
}

fn load_messages(dir: &Path) -> Vec<Message> {
    std::fs::read(messages_path(dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_messages(dir: &Path, list: &[Message]) -> anyhow::Result<()> {
    let tmp = dir.join("messages.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(list)?)?;
    std::fs::rename(tmp, messages_path(dir))?;
    Ok(())
}

/// Keeps the messages the server handed over and notes their receipt for the server.
fn take_messages(
    dir: &Path,
    state: &mut State,
    actions: &[steward_proto::Action],
) -> anyhow::Result<()> {
    let mut list = load_messages(dir);
    for a in actions.iter().filter(|a| a.kind == "show_message") {
        if !list.iter().any(|m| m.id == a.id) {
            let text = |k: &str| a.params[k].as_str().unwrap_or_default().to_string();
            list.push(Message {
                id: a.id.clone(),
                title: text("title"),
                body: text("body"),
                sent_at: text("sent_at"),
                read: false,
            });
        }
        if !state.receipts.iter().any(|r| r.action_id == a.id) {
            state.receipts.push(steward_proto::ActionResult {
                action_id: a.id.clone(),
                ok: true,
                code: None,
                message: None,
                script: None,
            });
        }
    }
    save_messages(dir, &list)
}

/// Answers to the help desk's long requests (full scan, definition update), sent by the tasks
/// that run them while the agent keeps checking in.
type Answers = tokio::sync::mpsc::UnboundedSender<steward_proto::ActionResult>;

/// Longest message the agent sends with an answer (the server takes up to 4,000 bytes).
const ANSWER_MESSAGE_LEN: usize = 1000;

/// An answer to one of the help desk's requests; its message is cut to
/// [`ANSWER_MESSAGE_LEN`] bytes at a character boundary.
fn answer(id: &str, ok: bool, code: &str, message: Option<String>) -> steward_proto::ActionResult {
    steward_proto::ActionResult {
        action_id: id.to_string(),
        ok,
        code: Some(code.into()),
        message: message.map(|m| steward_proto::text::clip(&m, ANSWER_MESSAGE_LEN).to_string()),
        script: None,
    }
}

/// The last non-empty line a command printed, shortened (why it failed).
fn last_line(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    last.chars().take(500).collect()
}

/// The answer to a script action: the last step that ran decides it.
fn script_answer(id: &str, report: ScriptReport) -> steward_proto::ActionResult {
    let last = report
        .after
        .as_ref()
        .or(report.fix.as_ref())
        .or(report.detect.as_ref())
        .cloned()
        .unwrap_or_default();
    let (ok, code) = match (&last.error, last.exit_code) {
        (Some(e), _) => (false, e.clone()),
        (None, Some(n)) => (
            n == 0 || report.fix.is_none() && n == 1,
            format!("exit_{n}"),
        ),
        (None, None) => (false, "no_exit".to_string()),
    };
    // The end of the output is what explains the result.
    let out = &last.output;
    let n = out.chars().count();
    let message = (n > 0).then(|| {
        out.chars()
            .skip(n.saturating_sub(ANSWER_MESSAGE_LEN / 4))
            .collect()
    });
    let mut a = answer(id, ok, &code, message);
    a.script = Some(report);
    a
}

/// Fills a command template's words.
fn fill(template: &[String], with: &[(&str, &str)]) -> Vec<String> {
    template
        .iter()
        .map(|w| {
            with.iter()
                .fold(w.clone(), |w, (k, v)| w.replace(&format!("{{{k}}}"), v))
        })
        .collect()
}

/// Runs a device action's command (a minute at most).
async fn run_command(argv: &[String]) -> Result<(), String> {
    let (bin, args) = argv.split_first().ok_or("no command")?;
    let run = tokio::process::Command::new(bin)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output();
    match tokio::time::timeout(Duration::from_secs(60), run).await {
        Ok(Ok(out)) if out.status.success() => Ok(()),
        Ok(Ok(out)) => Err(last_line(if out.stderr.is_empty() {
            &out.stdout
        } else {
            &out.stderr
        })),
        Ok(Err(e)) => Err(format!("{bin}: {e}")),
        Err(_) => Err(format!("{bin}: timed out")),
    }
}

type Work =
    std::pin::Pin<Box<dyn std::future::Future<Output = steward_proto::ActionResult> + Send>>;

/// The device actions that run beside the check-ins (scripts, restart, log-off, lock,
/// diagnostics, quarantine); `None` for the others.
fn device_action(
    client: &Client,
    settings: &Settings,
    a: &steward_proto::Action,
    credential: (String, String),
) -> Option<Work> {
    let (client, id, params) = (client.clone(), a.id.clone(), a.params.clone());
    let scripts = settings.scripts.clone();
    let commands = settings.commands.clone();
    let dir = settings.dir.clone();
    let text = |k: &str| params[k].as_str().unwrap_or("").to_string();
    Some(match a.kind.as_str() {
        "remediate" => Box::pin(async move {
            match serde_json::from_value::<RemediateParams>(params) {
                Ok(p) => {
                    let report = steward_agent::scripts::remediate(
                        &client,
                        (&credential.0, &credential.1),
                        &scripts,
                        &p,
                    )
                    .await;
                    script_answer(&id, report)
                }
                Err(e) => answer(&id, false, "bad_request", Some(e.to_string())),
            }
        }),
        "run_script" => Box::pin(async move {
            match serde_json::from_value::<ScriptRef>(params["script"].clone()) {
                Ok(r) => {
                    let step = steward_agent::scripts::fetch_and_run(
                        &client,
                        (&credential.0, &credential.1),
                        &scripts,
                        &r,
                    )
                    .await;
                    script_answer(
                        &id,
                        ScriptReport {
                            detect: None,
                            fix: Some(step),
                            after: None,
                        },
                    )
                }
                Err(e) => answer(&id, false, "bad_request", Some(e.to_string())),
            }
        }),
        "restart" => {
            let minutes = params["delay_minutes"].as_u64().unwrap_or(5).to_string();
            let argv = fill(
                &commands.restart,
                &[("minutes", &minutes), ("message", &text("message"))],
            );
            Box::pin(async move {
                match run_command(&argv).await {
                    Ok(()) => answer(&id, true, "restart_scheduled", Some(minutes)),
                    Err(e) => answer(&id, false, "failed", Some(e)),
                }
            })
        }
        "lock" => {
            let argv = fill(&commands.lock, &[("message", &text("message"))]);
            Box::pin(async move {
                match run_command(&argv).await {
                    Ok(()) => answer(&id, true, "locked", None),
                    Err(e) => answer(&id, false, "failed", Some(e)),
                }
            })
        }
        "logoff" => Box::pin(async move {
            let users: Vec<String> =
                serde_json::from_value(steward_agent::system::logged_in_users())
                    .unwrap_or_default();
            let mut done = Vec::new();
            for u in users.iter().filter(|u| u.as_str() != "root") {
                if let Err(e) = run_command(&fill(&commands.logoff, &[("user", u)])).await {
                    return answer(&id, false, "failed", Some(e));
                }
                done.push(u.clone());
            }
            answer(&id, true, "logged_off", Some(done.join(", ")))
        }),
        "collect_diagnostics" => Box::pin(async move {
            let request = id.trim_start_matches("request:").to_string();
            let bundle = tokio::task::spawn_blocking(move || {
                steward_agent::scripts::diagnostics_bundle(&dir, &[], 20 * 1024 * 1024)
            })
            .await;
            let bundle = match bundle {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => return answer(&id, false, "failed", Some(e.to_string())),
                Err(e) => return answer(&id, false, "failed", Some(e.to_string())),
            };
            let size = bundle.len();
            match client
                .upload_diagnostics(&credential.0, &credential.1, &request, bundle)
                .await
            {
                Ok(()) => answer(&id, true, "diagnostics_uploaded", Some(size.to_string())),
                Err(e) => answer(&id, false, "upload_failed", Some(e.to_string())),
            }
        }),
        "quarantine" => Box::pin(async move {
            let (threat, path) = (
                params["threat"].as_str().map(str::to_string),
                params["path"].as_str().map(str::to_string),
            );
            let moved = tokio::task::spawn_blocking(move || {
                clamav::quarantine(&dir, threat.as_deref(), path.as_deref())
            })
            .await;
            match moved {
                Ok(Ok(list)) => answer(
                    &id,
                    true,
                    "quarantined",
                    Some(
                        list.iter()
                            .map(|q| q.original.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ),
                Ok(Err(e)) => answer(&id, false, "failed", Some(e.to_string())),
                Err(e) => answer(&id, false, "failed", Some(e.to_string())),
            }
        }),
        _ => return None,
    })
}

/// Takes up the help desk's requests: "check in now" is answered at once (the next snapshot
/// carries everything and is sent straight away); a full scan or a definition update runs in
/// the background and its answer comes through `answers` when it ends.
fn answer_requests(
    client: &Client,
    settings: &Settings,
    state: &mut State,
    actions: &[steward_proto::Action],
    answers: &Answers,
) {
    for a in actions.iter().filter(|a| a.id.starts_with("request:")) {
        if state.receipts.iter().any(|r| r.action_id == a.id) {
            continue;
        }
        let (tx, id) = (answers.clone(), a.id.clone());
        let credential = (state.device_id.clone(), state.secret.clone());
        if let Some(work) = device_action(client, settings, a, credential) {
            tokio::spawn(async move {
                let _ = tx.send(work.await);
            });
            continue;
        }
        match a.kind.as_str() {
            "apps" => {
                state.apps_stale = true;
                state
                    .receipts
                    .push(answer(&id, true, "apps_refreshed", None));
                state.urgent = true;
            }
            "sync" => {
                state.inventory_hash.clear();
                state.receipts.push(answer(&id, true, "checked_in", None));
                state.urgent = true;
            }
            "full_scan" => {
                let (db, dir) = (settings.clamav_db.clone(), settings.dir.clone());
                let paths = settings.full_scan_paths.clone();
                tokio::spawn(async move {
                    let scan = tokio::task::spawn_blocking(move || {
                        clamav::scan(ScanKind::Full, &paths, &db, &dir)
                    })
                    .await;
                    let _ = tx.send(match scan {
                        Ok(Ok(r)) if r.detections.is_empty() => {
                            answer(&id, true, "scan_clean", None)
                        }
                        Ok(Ok(r)) => answer(
                            &id,
                            true,
                            "threats_found",
                            Some(r.detections.len().to_string()),
                        ),
                        Ok(Err(e)) => answer(&id, false, "failed", Some(e.to_string())),
                        Err(e) => answer(&id, false, "failed", Some(e.to_string())),
                    });
                });
            }
            "update_definitions" => {
                tokio::spawn(async move {
                    let run = tokio::process::Command::new("freshclam")
                        .arg("--stdout")
                        .output();
                    let _ = tx.send(
                        match tokio::time::timeout(Duration::from_secs(600), run).await {
                            Ok(Ok(out)) if out.status.success() => {
                                answer(&id, true, "definitions_updated", None)
                            }
                            Ok(Ok(out)) => {
                                answer(&id, false, "failed", Some(last_line(&out.stdout)))
                            }
                            Ok(Err(e)) => answer(&id, false, "failed", Some(e.to_string())),
                            Err(_) => {
                                answer(&id, false, "failed", Some("freshclam: timed out".into()))
                            }
                        },
                    );
                });
            }
            _ => {
                state.receipts.push(answer(&id, false, "unsupported", None));
                state.urgent = true;
            }
        }
    }
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
        Ok(b) => {
            // State written by an older agent may be readable by others: close it up
            // (permissions only: a reader such as `status` never rewrites the file).
            private_dir(dir)?;
            std::fs::set_permissions(
                dir.join("state.json"),
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )?;
            Ok(Some(serde_json::from_slice(&b)?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The state directory, created and kept mode 0700 (it holds the device's secret).
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// Writes the state atomically (temp file of mode 0600, fsync, rename).
fn save(dir: &Path, s: &State) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    private_dir(dir)?;
    // A name of this process's own: two agents on one directory never share a temp file.
    let tmp = dir.join(format!("state.json.{}.tmp", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    serde_json::to_writer(&f, s)?;
    f.sync_all()?;
    std::fs::rename(tmp, dir.join("state.json"))?;
    Ok(())
}

#[tokio::main]
async fn main() {
    // Under systemd, stderr goes to the journal, which stamps each line itself.
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(!journal)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        );
    if journal {
        logs.without_time().init();
    } else {
        logs.init();
    }
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
    let settings = settings(&cli)?;
    let dir = settings.dir.clone();
    match cli.command {
        Command::Enroll {
            server,
            token,
            owner,
            pin,
            insecure_http,
        } => {
            let os = facts::os_facts();
            let tls = steward_agent::tls::TlsOptions {
                ca_file: settings.ca_file.clone(),
                pin: pin.clone(),
                insecure_http,
            };
            let client = Client::for_device(&server, &tls).map_err(|e| anyhow::anyhow!(e))?;
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
                    receipts: Vec::new(),
                    urgent: false,
                    pin,
                    insecure_http,
                    set_aside: Vec::new(),
                    software_hash: String::new(),
                    apps_version: None,
                    apps_stale: true,
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
            let interval = interval.or(settings.interval_secs);
            let mut state =
                load(&dir)?.ok_or_else(|| anyhow::anyhow!(t(lang, "agent-not-enrolled")))?;
            let client = Client::for_device(&state.server, &state.tls(&settings))
                .map_err(|e| anyhow::anyhow!(e))?;
            let mut attempts = Attempts::default();
            let queue = Queue::open(&dir.join("queue"))?;
            let mut backoff = 1u64;
            let mut next_collect = Instant::now();
            let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
            // The push channel runs beside the check-ins; what it brings is taken up here.
            let (credential, credential_rx) =
                tokio::sync::watch::channel((state.device_id.clone(), state.secret.clone()));
            let (pushed_tx, mut pushed) = tokio::sync::mpsc::channel(16);
            let push = (settings.push && !once)
                .then(|| tokio::spawn(push_channel(client.clone(), credential_rx, pushed_tx)));
            let _push = AbortOnDrop(push);
            // App installs run one at a time beside the check-ins; each step they record
            // asks for a snapshot at once, so the console follows them.
            let (steps_tx, mut steps) = tokio::sync::mpsc::channel::<()>(16);
            let mut worker: Option<tokio::task::JoinHandle<()>> = None;
            // clamd's log is watched every second: a detection made by clamd or on-access
            // scanning is reported at once, without waiting for the next check-in.
            let mut clamd_tick = tokio::time::interval(Duration::from_secs(1));
            clamd_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            clamav::poll_clamd_log(&settings.clamd, &dir);
            loop {
                if Instant::now() >= next_collect {
                    collect(&settings, &mut state, &queue)?;
                    let secs = u64::from(interval.unwrap_or(state.interval_secs).max(1));
                    // Up to 10 % jitter so a fleet does not check in in lockstep.
                    let jitter = rand::thread_rng().gen_range(0..=secs * 100);
                    next_collect = Instant::now() + Duration::from_millis(secs * 900 + jitter);
                }
                match deliver(
                    &client,
                    &settings,
                    &mut state,
                    &queue,
                    &answers,
                    &mut attempts,
                )
                .await
                {
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
                if let Err(e) = refresh_apps(&client, &dir, &mut state).await {
                    tracing::warn!(error = %e, "app list not fetched; the next check-in tries again");
                }
                let credential_now = (state.device_id.clone(), state.secret.clone());
                if once {
                    // Every install due now, one after another; their steps go with the
                    // last snapshot.
                    while let Some(offer) = steward_agent::apps::next_due(
                        &steward_agent::apps::with_apps(&dir, |a| a.clone())?,
                        &settings.apps,
                        steward_core::time::now_ms(),
                    ) {
                        steward_agent::apps::work(
                            &offer,
                            &settings.apps,
                            &dir,
                            &client,
                            (&credential_now.0, &credential_now.1),
                            &|| {},
                        )
                        .await?;
                        state.urgent = true;
                    }
                } else if worker.as_ref().is_none_or(|w| w.is_finished()) {
                    let apps = steward_agent::apps::with_apps(&dir, |a| a.clone())?;
                    if let Some(offer) = steward_agent::apps::next_due(
                        &apps,
                        &settings.apps,
                        steward_core::time::now_ms(),
                    ) {
                        let (client, dir, apps_settings) =
                            (client.clone(), dir.clone(), settings.apps.clone());
                        let steps = steps_tx.clone();
                        worker = Some(tokio::spawn(async move {
                            let notify = || {
                                let _ = steps.try_send(());
                            };
                            if let Err(e) = steward_agent::apps::work(
                                &offer,
                                &apps_settings,
                                &dir,
                                &client,
                                (&credential_now.0, &credential_now.1),
                                &notify,
                            )
                            .await
                            {
                                tracing::warn!(error = %e, "app step not recorded");
                            }
                        }));
                    }
                }
                if once {
                    // Wait for the long requests taken up in this run, then send every answer.
                    drop(answers);
                    while let Some(answer) = answered.recv().await {
                        state.receipts.push(answer);
                        state.urgent = true;
                    }
                    if state.urgent {
                        state.urgent = false;
                        collect(&settings, &mut state, &queue)?;
                        let (none, _) = tokio::sync::mpsc::unbounded_channel();
                        deliver(&client, &settings, &mut state, &queue, &none, &mut attempts)
                            .await?;
                    }
                    return Ok(());
                }
                if std::mem::take(&mut state.urgent) {
                    next_collect = Instant::now();
                }
                let until_collect = next_collect.saturating_duration_since(Instant::now());
                let wait = if queue.is_empty() {
                    until_collect
                } else {
                    let wait = Duration::from_secs(backoff).min(until_collect);
                    backoff = (backoff * 2).min(300);
                    wait
                };
                credential.send_if_modified(|c| {
                    let changed = c.1 != state.secret;
                    c.1.clone_from(&state.secret);
                    changed
                });
                // A long request that ends sends its answer at once; what the push channel
                // brings is taken up at once.
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    Some(answer) = answered.recv() => {
                        state.receipts.push(answer);
                        save(&dir, &state)?;
                        next_collect = Instant::now();
                    }
                    Some(()) = steps.recv() => {
                        next_collect = Instant::now();
                    }
                    _ = clamd_tick.tick() => {
                        let (clamd, dir) = (settings.clamd.clone(), dir.clone());
                        let found = tokio::task::spawn_blocking(move || {
                            clamav::poll_clamd_log(&clamd, &dir)
                        })
                        .await
                        .unwrap_or_default();
                        if !found.is_empty() {
                            tracing::warn!(detections = found.len(), "clamd found threats");
                            next_collect = Instant::now();
                        }
                    }
                    Some(actions) = pushed.recv() => {
                        take_messages(&dir, &mut state, &actions)?;
                        answer_requests(&client, &settings, &mut state, &actions, &answers);
                        save(&dir, &state)?;
                        if std::mem::take(&mut state.urgent) {
                            next_collect = Instant::now();
                        }
                    }
                }
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
            let record = clamav::scan(kind, &paths, &settings.clamav_db, &dir)?;
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
        Command::Messages { json } => {
            let mut list = load_messages(&dir);
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!(
                    list.iter().map(|m| serde_json::json!({"id": m.id, "title": m.title, "body": m.body, "sent_at": m.sent_at, "read": m.read})).collect::<Vec<_>>()
                ))?);
            } else if list.is_empty() {
                println!("{}", t(lang, "agent-no-messages"));
            } else {
                for m in &list {
                    println!("{}  {}\n{}\n", m.sent_at, m.title, m.body);
                }
            }
            // Shown now: the server hears it with the next snapshot.
            if let Some(mut state) = load(&dir)? {
                for m in list.iter_mut().filter(|m| !m.read) {
                    m.read = true;
                    state.receipts.push(steward_proto::ActionResult {
                        action_id: m.id.clone(),
                        ok: true,
                        code: Some("read".into()),
                        message: None,
                        script: None,
                    });
                }
                save(&dir, &state)?;
                save_messages(&dir, &list)?;
            }
            Ok(())
        }
        Command::Apps { action, json } => {
            let mut state =
                load(&dir)?.ok_or_else(|| anyhow::anyhow!(t(lang, "agent-not-enrolled")))?;
            let client = Client::for_device(&state.server, &state.tls(&settings))
                .map_err(|e| anyhow::anyhow!(e))?;
            state.apps_stale = true;
            if let Err(e) = refresh_apps(&client, &dir, &mut state).await {
                eprintln!(
                    "{}",
                    t_args(lang, "agent-apps-offline", &[("message", e.to_string())])
                );
            }
            let apps = steward_agent::apps::with_apps(&dir, |a| a.clone())?;
            match action {
                None => print_apps(lang, &apps, json),
                Some(AppsCommand::Install { app }) => {
                    let wanted = app.trim().to_lowercase();
                    let offer = apps
                        .offers
                        .iter()
                        .find(|o| {
                            o.intent != "uninstall"
                                && (o.name.to_lowercase() == wanted || o.app_id == app.trim())
                        })
                        .cloned()
                        .ok_or_else(|| {
                            anyhow::anyhow!(t_args(
                                lang,
                                "agent-app-unknown",
                                &[("app", app.clone())]
                            ))
                        })?;
                    steward_agent::apps::record(&dir, &offer, |j| j.requested = true)?;
                    let step_lang = lang;
                    let name = offer.name.clone();
                    let outcome = steward_agent::apps::work(
                        &offer,
                        &settings.apps,
                        &dir,
                        &client,
                        (&state.device_id, &state.secret),
                        &|| {},
                    )
                    .await?;
                    let state_word = t(
                        step_lang,
                        steward_core::apps::state_key(outcome.state.as_str()),
                    );
                    println!(
                        "{}",
                        t_args(
                            lang,
                            "agent-app-result",
                            &[
                                ("name", name),
                                ("version", offer.version.clone()),
                                ("state", state_word),
                            ]
                        )
                    );
                    if let Some(m) = outcome.message {
                        println!("{m}");
                    }
                    // The service reports it with its next snapshot.
                    Ok(())
                }
            }
        }
        Command::Status { json } => {
            let report = serde_json::json!({
                "os": facts::os_facts(),
                "hardware_id": facts::hardware_id(),
                "inventory": inventory(&settings),
                "compliance": steward_agent::security::compliance_facts(),
                "protection": clamav::protection(&settings.clamav_db, &dir, &settings.clamd),
                "enrolled": load(&dir)?.map(|s| s.device_id),
                "queued": Queue::open(&dir.join("queue")).and_then(|q| q.entries()).map_or(0, |e| e.len()),
                "set_aside": Queue::open(&dir.join("queue")).and_then(|q| q.set_aside_reasons()).unwrap_or_default(),
            });
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_status(lang, &report);
            }
            Ok(())
        }
    }
}

/// Fetches the app list when the server said it changed (a server without software
/// distribution answers 404: nothing to fetch).
async fn refresh_apps(client: &Client, dir: &Path, state: &mut State) -> anyhow::Result<()> {
    if !state.apps_stale {
        return Ok(());
    }
    let doc = match client.apps(&state.device_id, &state.secret).await {
        Ok(doc) => doc,
        Err(steward_agent::AgentError::Api { status: 404, .. }) => {
            state.apps_stale = false;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    steward_agent::apps::with_apps(dir, |a| {
        a.version = doc.version;
        a.offers = doc.apps;
        let offers = &a.offers;
        // Work of assignments no longer offered is forgotten once reported.
        a.jobs
            .retain(|id, j| j.unreported || offers.iter().any(|o| &o.assignment_id == id));
    })?;
    state.apps_version = Some(doc.version);
    state.apps_stale = false;
    save(dir, state)?;
    Ok(())
}

/// The apps offered to this device and where each stands.
fn print_apps(lang: Lang, apps: &steward_agent::apps::Apps, json: bool) -> anyhow::Result<()> {
    let rows: Vec<serde_json::Value> = apps
        .offers
        .iter()
        .map(|o| {
            let job = apps.jobs.get(&o.assignment_id);
            let state = job.map_or_else(
                || {
                    if o.intent == "available" {
                        "available"
                    } else {
                        "pending"
                    }
                    .to_string()
                },
                |j| j.state.clone(),
            );
            serde_json::json!({
                "app_id": o.app_id, "name": o.name, "version": o.version, "intent": o.intent,
                "state": state, "error_code": job.and_then(|j| j.error_code.clone()),
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("{}", t(lang, "agent-apps-none"));
    }
    for r in &rows {
        let word = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        println!(
            "{}",
            t_args(
                lang,
                "agent-app-line",
                &[
                    ("name", word("name")),
                    ("version", word("version")),
                    (
                        "intent",
                        t(lang, steward_core::apps::intent_key(&word("intent")))
                    ),
                    (
                        "state",
                        t(lang, steward_core::apps::state_key(&word("state")))
                    ),
                ]
            )
        );
    }
    Ok(())
}

/// A readable message for an agent API failure.
fn explain(lang: Lang, e: &steward_agent::AgentError) -> anyhow::Error {
    let key = match e {
        steward_agent::AgentError::Api { .. } => "agent-server-error",
        steward_agent::AgentError::Transport { .. } => "agent-unreachable",
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

/// Hardware inventory and the system collectors.
fn inventory(settings: &Settings) -> serde_json::Map<String, serde_json::Value> {
    use steward_agent::system;
    let mut inv = facts::inventory();
    inv.insert("disks".into(), system::disks());
    inv.insert("boot_time".into(), system::boot_time());
    inv.insert("logged_in_users".into(), system::logged_in_users());
    inv.insert(
        "pending_updates".into(),
        system::pending_updates(
            &settings.dir,
            settings.updates_check_secs,
            steward_core::time::now_ms(),
        ),
    );
    inv
}

/// The human-readable `status`: one line per subject, "unknown" with its reason.
fn print_status(lang: Lang, r: &serde_json::Value) {
    let os = &r["os"];
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => t(lang, "agent-status-unknown"),
        serde_json::Value::Bool(true) => t(lang, "agent-status-yes"),
        serde_json::Value::Bool(false) => t(lang, "agent-status-no"),
        v => match v.get("unknown").and_then(|u| u.as_str()) {
            Some(why) => t_args(
                lang,
                "agent-status-unknown-because",
                &[("reason", why.to_string())],
            ),
            None => v.to_string(),
        },
    };
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`status | head`) ends the output quietly.
    let mut line = |key: &str, value: String| {
        let _ = writeln!(out, "{:<22} {value}", t(lang, key));
    };
    line(
        "agent-status-os",
        format!(
            "{} {} ({}), kernel {}",
            text(&os["name"]),
            text(&os["version"]),
            text(&os["arch"]),
            text(&os["kernel"])
        ),
    );
    line("agent-status-host", text(&os["hostname"]));
    let p = &r["protection"];
    line(
        "agent-status-protection",
        format!(
            "{} {} · {} {}",
            text(&p["engine"]),
            text(&p["engine_version"]),
            t(lang, "agent-status-signatures"),
            text(&p["signature_updated_at"])
        ),
    );
    let c = &r["compliance"];
    for (key, fact) in [
        ("agent-status-firewall", "firewall_active"),
        ("agent-status-encryption", "disk_encrypted"),
    ] {
        line(
            key,
            format!("{} ({})", text(&c[fact]), text(&c["sources"][fact])),
        );
    }
    let inv = &r["inventory"];
    let disks = match inv["disks"].as_array() {
        Some(list) => list
            .iter()
            .map(|d| format!("{} {}%", text(&d["mount"]), text(&d["free_percent"])))
            .collect::<Vec<_>>()
            .join(", "),
        None => text(&inv["disks"]),
    };
    line("agent-status-disks", disks);
    line("agent-status-boot", text(&inv["boot_time"]));
    line("agent-status-users", text(&inv["logged_in_users"]));
    let updates = &inv["pending_updates"];
    line(
        "agent-status-updates",
        match updates["count"].as_u64() {
            Some(n) => t_args(
                lang,
                "agent-status-updates-count",
                &[
                    ("count", n.to_string()),
                    ("security", updates["security"].to_string()),
                ],
            ),
            None => text(updates),
        },
    );
    let queued = r["queued"].as_u64().unwrap_or(0);
    line(
        "agent-status-queued",
        steward_core::i18n::t_counts(lang, "agent-status-queued-count", &[("count", queued)]),
    );
    for s in r["set_aside"].as_array().into_iter().flatten() {
        let why = [
            s["status"]
                .as_u64()
                .filter(|n| *n > 0)
                .map(|n| n.to_string()),
            s["code"].as_str().map(str::to_string),
            s["message"].as_str().map(str::to_string),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        line(
            "agent-status-set-aside",
            t_args(
                lang,
                "agent-status-set-aside-entry",
                &[
                    ("seq", s["seq"].to_string()),
                    ("at", text(&s["at"])),
                    ("reason", why),
                ],
            ),
        );
    }
    let enrolled = match r["enrolled"].as_str() {
        Some(id) => t_args(lang, "agent-enrolled", &[("id", id.to_string())]),
        None => t(lang, "agent-not-enrolled"),
    };
    let _ = writeln!(out, "{enrolled}");
}

/// Takes a snapshot and queues it (durably) under the next sequence number. The full
/// inventory goes with it when it changed since the last one queued.
fn collect(settings: &Settings, state: &mut State, queue: &Queue) -> anyhow::Result<()> {
    let (dir, clamav_db) = (settings.dir.as_path(), settings.clamav_db.as_path());
    let inventory = inventory(settings);
    let hash = inventory_hash(&inventory);
    state.seq += 1;
    let changed = hash != state.inventory_hash;
    if changed {
        state.inventory_hash = hash.clone();
    }
    let receipts = std::mem::take(&mut state.receipts);
    let set_aside = std::mem::take(&mut state.set_aside);
    let software = steward_agent::apps::software(&settings.apps);
    let software_hash = steward_proto::software_hash(&software);
    let software_changed = software_hash != state.software_hash;
    if software_changed {
        state.software_hash = software_hash.clone();
    }
    let app_installs = steward_agent::apps::pending_reports(dir)?;
    // Queued before the state is saved: a stop in between leaves the receipts in the saved
    // state and its sequence number one behind, so the next snapshot takes the same number
    // and replaces the queued one (same file), receipts and all. Saving first would lose
    // the receipts with the snapshot; app steps are marked reported after both, for the
    // same reason.
    let snapshot = CheckinRequest {
        seq: state.seq,
        os: facts::os_facts(),
        inventory_hash: Some(hash),
        inventory: changed.then_some(inventory),
        protection: Some(clamav::protection(clamav_db, dir, &settings.clamd)),
        compliance: Some(steward_agent::security::compliance_facts()),
        action_results: receipts,
        app_installs,
        set_aside,
        software_hash: Some(software_hash),
        software: software_changed.then_some(software),
    };
    queue.push(&snapshot)?;
    save(dir, state)?;
    // Only now: a stop before this sends the steps again with the next snapshot.
    steward_agent::apps::mark_reported(dir, &snapshot.app_installs)?;
    Ok(())
}

/// Attempts per queued snapshot that the server received but failed on (a 500, or the
/// connection dropped after the request went out), since this agent started.
type Attempts = std::collections::HashMap<PathBuf, u32>;

/// A snapshot the server failed on this often is set aside: retrying does not fix it.
const MAX_ATTEMPTS: u32 = 8;

/// What to do with a snapshot after a failed attempt.
enum Failed {
    /// The server cannot be reached or is busy: keep it and stop for now.
    Retry,
    /// Set it aside (this often tried, with this answer), and go on with the next.
    SetAside(u16, Option<String>, Option<String>),
}

fn classify(e: &steward_agent::AgentError, tries: u32) -> Failed {
    use steward_agent::AgentError;
    match e {
        AgentError::Api {
            status,
            code,
            message,
        } => {
            let code = (!code.is_empty()).then(|| code.clone());
            let message = Some(steward_proto::text::clip(message, 500).to_string());
            match *status {
                // Credentials, timeouts and rate limits change with time, not with the snapshot.
                401 | 408 | 429 => Failed::Retry,
                // The server said it will never take this snapshot.
                400..=499 => Failed::SetAside(*status, code, message),
                500 if tries >= MAX_ATTEMPTS => Failed::SetAside(*status, code, message),
                _ => Failed::Retry,
            }
        }
        AgentError::Transport { message, reached } if *reached && tries >= MAX_ATTEMPTS => {
            Failed::SetAside(
                0,
                None,
                Some(steward_proto::text::clip(message, 500).to_string()),
            )
        }
        AgentError::Transport { .. } => Failed::Retry,
    }
}

/// Aborts a background task when the loop that started it ends.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            t.abort();
        }
    }
}

/// Seconds the agent asks the server to hold a push connection.
const PUSH_WAIT_SECS: u32 = 25;

/// Keeps a push connection to the server and hands what arrives to the main loop. Errors
/// wait before the next try (5 s, doubling to 5 min); a server without the push channel
/// (404) is not asked again; the check-ins carry everything in any case.
async fn push_channel(
    client: Client,
    credential: tokio::sync::watch::Receiver<(String, String)>,
    pushed: tokio::sync::mpsc::Sender<Vec<steward_proto::Action>>,
) {
    let mut backoff = 5u64;
    loop {
        let (id, secret) = credential.borrow().clone();
        match client.wait(&id, &secret, PUSH_WAIT_SECS).await {
            Ok(resp) => {
                backoff = 5;
                if !resp.actions.is_empty() && pushed.send(resp.actions).await.is_err() {
                    return;
                }
            }
            Err(steward_agent::AgentError::Api { status: 404, .. }) => return,
            Err(e) => {
                tracing::debug!(error = %e, retry_in_secs = backoff, "push connection failed");
                tokio::time::sleep(Duration::from_secs(backoff)).await;
                backoff = (backoff * 2).min(300);
            }
        }
    }
}

/// Sends the queued snapshots, oldest first, removing each once the server answered it.
/// A snapshot the server refuses for good (or keeps failing on) is set aside with the reason
/// and reported with the next one; a server that cannot be reached stops the round. Returns
/// how many were delivered.
async fn deliver(
    client: &Client,
    settings: &Settings,
    state: &mut State,
    queue: &Queue,
    answers: &Answers,
    attempts: &mut Attempts,
) -> anyhow::Result<usize> {
    let dir = settings.dir.as_path();
    let mut delivered = 0;
    for path in queue.entries()? {
        let req = Queue::read(&path)?;
        match client.checkin(&state.device_id, &state.secret, &req).await {
            Ok(resp) => {
                attempts.remove(&path);
                adopt_secret(dir, state, &resp)?;
                if resp.send_inventory {
                    // The next snapshot carries the full inventory again.
                    state.inventory_hash.clear();
                }
                if resp.send_software {
                    state.software_hash.clear();
                }
                if resp.apps_version.is_some() && resp.apps_version != state.apps_version {
                    state.apps_stale = true;
                }
                state.interval_secs = resp.next_checkin_secs;
                take_messages(dir, state, &resp.actions)?;
                answer_requests(client, settings, state, &resp.actions, answers);
                save(dir, state)?;
                Queue::remove(&path)?;
                delivered += 1;
            }
            Err(e) => {
                let counted = matches!(
                    &e,
                    steward_agent::AgentError::Api { status: 500, .. }
                        | steward_agent::AgentError::Transport { reached: true, .. }
                );
                let tries = attempts.get(&path).copied().unwrap_or(0) + u32::from(counted);
                attempts.insert(path.clone(), tries);
                match classify(&e, tries) {
                    Failed::Retry => return Err(e.into()),
                    Failed::SetAside(status, code, message) => {
                        let why = steward_proto::SetAside {
                            seq: req.seq,
                            status,
                            code,
                            message,
                            attempts: tries.max(1),
                            at: steward_core::time::to_rfc3339(steward_core::time::now_ms()),
                        };
                        tracing::warn!(seq = req.seq, status, error = %e,
                            "snapshot set aside; the next ones go on");
                        queue.set_aside(&path, &why)?;
                        attempts.remove(&path);
                        // Its own contents are not sent again (they may be what the server
                        // refuses); the report of it is.
                        // As many reports as the server takes in one check-in; the oldest
                        // go first (the snapshots stay in the set-aside directory).
                        if state.set_aside.len() >= steward_core::limits::MAX_SET_ASIDE {
                            state.set_aside.remove(0);
                        }
                        state.set_aside.push(why);
                        save(dir, state)?;
                    }
                }
            }
        }
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_agent::AgentError;

    fn api(status: u16) -> AgentError {
        AgentError::Api {
            status,
            code: "x".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn only_what_retrying_cannot_fix_is_set_aside() {
        // The server said no for good: at once.
        assert!(matches!(classify(&api(400), 0), Failed::SetAside(400, ..)));
        assert!(matches!(classify(&api(413), 0), Failed::SetAside(413, ..)));
        // Credentials, rate limits, a busy or unreachable server: never.
        for status in [401, 408, 429, 502, 503] {
            assert!(
                matches!(classify(&api(status), 100), Failed::Retry),
                "{status}"
            );
        }
        let unreachable = AgentError::Transport {
            message: "connection refused".into(),
            reached: false,
        };
        assert!(matches!(classify(&unreachable, 100), Failed::Retry));
        // The server fails on this very snapshot (500, or drops the connection): after
        // bounded retries.
        let dropped = AgentError::Transport {
            message: "connection closed before message completed".into(),
            reached: true,
        };
        for e in [api(500), dropped] {
            assert!(matches!(classify(&e, MAX_ATTEMPTS - 1), Failed::Retry));
            assert!(matches!(classify(&e, MAX_ATTEMPTS), Failed::SetAside(..)));
        }
    }
}
