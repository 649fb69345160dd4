//! The `steward` command.

mod bench;
mod fuzz;
mod sim;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use rand::distributions::Alphanumeric;
use rand::Rng;
use steward_core::{t, t_args, Lang, Role};
use steward_proto::{CreateEnrollmentToken, Platform};
use steward_server::Config;
use steward_store::audit::Actor;
use steward_store::Store;
use tokio::net::TcpListener;

/// mimalloc: per-thread free lists instead of glibc's arenas (measured in
/// docs/benchmarks.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "steward",
    version,
    about = "Operate and maintain a managed device fleet"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the configuration and database are.
#[derive(Args, Clone)]
struct ConfigArgs {
    /// TOML configuration file.
    #[arg(long, env = "STEWARD_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the embedded database.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL.
    #[arg(long)]
    database_url: Option<String>,
}

impl ConfigArgs {
    /// Opens the store of a bench that loads its own fleet: it must hold no device yet.
    async fn open_fleetless(&self, bench: &str) -> anyhow::Result<Store> {
        let store = self.open().await?;
        anyhow::ensure!(
            store.count_devices().await? == 0,
            "the {bench} bench needs an empty database"
        );
        Ok(store)
    }

    fn load(&self) -> anyhow::Result<Config> {
        let mut c = Config::load(self.config.as_deref())?;
        if let Some(d) = &self.data_dir {
            c.data_dir = d.clone();
        }
        if let Some(u) = &self.database_url {
            c.database_url = u.clone();
        }
        c.validate().map_err(anyhow::Error::msg)?;
        Ok(c)
    }

    async fn open(&self) -> anyhow::Result<Store> {
        let c = self.load()?;
        if c.database_url.is_empty() {
            std::fs::create_dir_all(&c.data_dir)
                .with_context(|| c.data_dir.display().to_string())?;
        }
        Ok(Store::open(&c.database_url()).await?)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        cfg: ConfigArgs,
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Print a commented configuration file with the defaults.
    DefaultConfig,
    /// Serve, create an administrator and run a simulated fleet, in one command.
    Demo {
        #[arg(long, default_value_t = 2000)]
        devices: u32,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Seconds between check-ins of the simulated devices.
        #[arg(long, default_value_t = 30)]
        interval: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Keep the demo's database here (default: a fresh temporary directory).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Simulate devices against a running server.
    Sim {
        #[arg(long)]
        server: String,
        #[arg(long)]
        enroll_token: String,
        #[arg(long, default_value_t = 100)]
        devices: u32,
        #[arg(long, default_value_t = 30)]
        interval: u32,
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long)]
        duration: Option<u64>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Enrollment tokens.
    #[command(subcommand)]
    EnrollToken(EnrollTokenCommand),
    /// Console users.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the public-key pin of a certificate (`sha256//…`), for `steward-agent enroll --pin`.
    TlsPin {
        /// The server's certificate (PEM; the first certificate of a chain).
        #[arg(long)]
        cert: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum BenchMode {
    Unchanged,
    Changing,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Hold the push connections of many agents to a running server; measures the memory and
    /// idle CPU they cost it and how fast a help-desk request arrives. Prints one JSON line.
    Push(bench::PushBench),
    /// Drive a running server with concurrent simulated devices; prints one JSON line last.
    Checkin {
        /// The server's address; several, comma-separated, spread the connections over them.
        #[arg(long)]
        server: String,
        #[arg(long)]
        enroll_token: String,
        #[arg(long, default_value_t = 10_000)]
        devices: u32,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        duration: u64,
        #[arg(long, value_enum, default_value_t = BenchMode::Unchanged)]
        mode: BenchMode,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Clients sending wrong passwords to the sign-in endpoint in a loop meanwhile.
        #[arg(long, default_value_t = 0)]
        bad_logins: usize,
        /// Check-ins per second over all connections, at a steady pace (0: as fast as the
        /// connections go).
        #[arg(long, default_value_t = 0)]
        rate: u32,
        /// Processes whose CPU time (their own and their direct children's, e.g. a PostgreSQL
        /// server's backends) is reported per check-in over the timed loop (comma-separated).
        #[arg(long, value_delimiter = ',')]
        watch_pid: Vec<u32>,
        /// Installed packages each device reports (its software inventory); every check-in
        /// carries the list's hash, the first one the list.
        #[arg(long, default_value_t = 0)]
        software: u32,
        /// An administrator's API token: a required app is assigned to every device first, and
        /// each device installs it (through its app list) before the timed loop.
        #[arg(long)]
        admin_token: Option<String>,
    },
    /// Load N devices into a fresh database and time how long a policy change takes to
    /// re-evaluate all of them.
    Policy {
        #[arg(long, default_value_t = 100_000)]
        devices: u32,
        /// The PostgreSQL postmaster's process id: the database's CPU (its backends are its
        /// children) is reported beside Steward's.
        #[arg(long)]
        db_pid: Option<u32>,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
    /// Load N devices into a fresh database, evaluate them against a policy, then time how
    /// long a new alert rule that fires on most of them ("not checked in for 72 hours")
    /// takes to cover the fleet; checks that it opened an alert for every silent device.
    AlertRule {
        #[arg(long, default_value_t = 100_000)]
        devices: u32,
        /// The PostgreSQL postmaster's process id: the database's CPU (its backends are its
        /// children) is reported beside Steward's.
        #[arg(long)]
        db_pid: Option<u32>,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
    /// Serve a fresh database with a webhook channel and an active-threat rule, load it with
    /// check-ins and time each threat's check-in to its webhook notification.
    AlertLatency {
        #[arg(long, default_value_t = 10_000)]
        devices: u32,
        /// Background check-ins per second.
        #[arg(long, default_value_t = 2_000)]
        rate: u32,
        /// New active threats per second.
        #[arg(long, default_value_t = 20)]
        threats: u32,
        #[arg(long, default_value_t = 30)]
        duration: u64,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
    /// Load N knowledge-base articles (the starter set among synthetic ones, each in five
    /// languages) into a fresh database, serve it and time the search API.
    KbSearch {
        #[arg(long, default_value_t = 10_000)]
        articles: u32,
        #[arg(long, default_value_t = 30)]
        rounds: u32,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
    /// Random and mutated enrollments and check-ins through the real server (in-process, a
    /// fresh SQLite store); fails on any 5xx or error answer out of shape.
    Fuzz {
        #[arg(long, default_value_t = 100_000)]
        inputs: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 8)]
        workers: usize,
    },
    /// Against a running server: steady check-ins of N Linux devices, alternating with
    /// phases where a remediation covering all of them is handed out and answered; the rates
    /// and the server's CPU per check-in of each phase, each remediating phase against the
    /// steady ones either side, and the time of the remediation's status. Against two
    /// servers (each its own database, the same tokens): both driven at once, one
    /// remediating while the other is steady, turn and turn about, compared slot by slot.
    Remediation {
        /// The server's address, or two comma-separated to compare side by side.
        #[arg(long)]
        server: String,
        #[arg(long)]
        enroll_token: String,
        /// An administrator's API token (scripts and the remediation).
        #[arg(long)]
        admin_token: String,
        /// Another administrator's API token (approves the remediation).
        #[arg(long)]
        approver_token: String,
        #[arg(long, default_value_t = 10_000)]
        devices: u32,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seconds of each phase.
        #[arg(long, default_value_t = 15)]
        duration: u64,
        /// Remediating phases, each between two steady ones.
        #[arg(long, default_value_t = 4)]
        pairs: u32,
        /// Seconds of check-ins not counted after each switch: the scheduler's next pass
        /// (`remediation.schedule_secs`) and the answers to what was handed out before.
        #[arg(long, default_value_t = 8)]
        settle: u64,
        /// Times the status is read.
        #[arg(long, default_value_t = 50)]
        rounds: u32,
        /// The server's process (and, for PostgreSQL, the database's), for CPU per check-in;
        /// side by side, one process per server in the order of `--server`.
        #[arg(long, value_delimiter = ',')]
        watch_pid: Vec<u32>,
    },
    /// Load N devices into a fresh database, serve it and time the device list API.
    Inventory {
        #[arg(long, default_value_t = 1_000_000)]
        devices: u32,
        #[arg(long, default_value_t = 50)]
        rounds: u32,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token and print it (once).
    Create {
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        expires_in_hours: Option<u32>,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
}

#[derive(Subcommand)]
enum EnrollTokenCommand {
    /// Create an enrollment token and print it (once).
    Create {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        max_uses: Option<u32>,
        #[arg(long)]
        expires_in_hours: Option<u32>,
        #[arg(long)]
        group: Option<String>,
        /// Allowed platform (repeatable); default all.
        #[arg(long = "platform")]
        platforms: Vec<String>,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
    /// List enrollment tokens as JSON.
    List {
        #[command(flatten)]
        cfg: ConfigArgs,
    },
    /// Revoke an enrollment token.
    Revoke {
        id: String,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from stdin with --password-stdin, else generated and printed once.
    Add {
        email: String,
        /// A role (repeatable): administrator, operator, helpdesk, readonly.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Limit the user to a device group (repeatable); default all devices.
        #[arg(long = "group")]
        groups: Vec<String>,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        cfg: ConfigArgs,
    },
}

fn main() {
    one_malloc_arena();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(steward_main()),
        Err(e) => {
            eprintln!(
                "{}",
                t_args(
                    Lang::from_env(),
                    "cli-error",
                    &[("message", format!("{e:#}"))]
                )
            );
            std::process::exit(1);
        }
    }
}

/// The environment variable that caps glibc's malloc arenas.
const MALLOC_ARENA_MAX: &str = "MALLOC_ARENA_MAX";

/// Starts the process again, once, with one glibc malloc arena (`MALLOC_ARENA_MAX=1`) unless
/// the variable is already set; glibc reads it only as a process starts. Rust's allocations go
/// to mimalloc, but SQLite's go to glibc's `malloc`, which gives each thread its own arena and
/// hands the arena's memory back to the system and faults it in again as the threads that
/// run SQLite come and go: 14 % of a fleet job's CPU at a million devices, spent zeroing
/// fresh pages (docs/benchmarks.md, "One glibc arena"). With one arena glibc keeps it. The
/// process keeps its id and name; `MALLOC_ARENA_MAX` set to any value (glibc's default is 8
/// arenas per core) leaves the process as it is started. Should the new start fail, the
/// process goes on with glibc's defaults.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os(MALLOC_ARENA_MAX).is_none() {
        use std::os::unix::process::CommandExt;
        // By its path, not `/proc/self/exe`, so the process keeps its name (`ps`, `pgrep`).
        let Ok(path) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_default();
        // `exec` returns only when it failed (the binary replaced on disk meanwhile).
        let _ = std::process::Command::new(path)
            .arg0(arg0)
            .args(args)
            .env(MALLOC_ARENA_MAX, "1")
            .exec();
    }
}

async fn steward_main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,steward=info".into()),
        )
        .init();
    let lang = Lang::from_env();
    if let Err(e) = run(Cli::parse().command, lang).await {
        eprintln!(
            "{}",
            t_args(lang, "cli-error", &[("message", format!("{e:#}"))])
        );
        std::process::exit(1);
    }
}

fn parse_role(lang: Lang, role: &str) -> anyhow::Result<Role> {
    Role::parse(role).ok_or_else(|| {
        anyhow::anyhow!(t_args(
            lang,
            "cli-invalid-role",
            &[("role", role.to_string())]
        ))
    })
}

fn api_err(lang: Lang, e: steward_server::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!(steward_core::i18n::error_message(lang, e.0))
}

/// Ctrl-C, or SIGTERM (what a service manager sends to stop): the server stops taking
/// requests, writes what waits (unchanged check-ins' last-seen times) and ends.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

async fn run(cmd: Command, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        Command::Serve { cfg, listen } => {
            raise_open_files();
            let mut config = cfg.load()?;
            if let Some(l) = listen {
                config.listen = l;
            }
            if config.database_url.is_empty() {
                std::fs::create_dir_all(&config.data_dir)
                    .with_context(|| config.data_dir.display().to_string())?;
            }
            let store = Store::open(&config.database_url()).await?;
            let listener = TcpListener::bind(config.listen)
                .await
                .with_context(|| config.listen.to_string())?;
            println!(
                "{}",
                t_args(
                    lang,
                    "cli-serve-listening",
                    &[
                        (
                            "url",
                            format!(
                                "{}://{}",
                                if config.tls.enabled() {
                                    "https"
                                } else {
                                    "http"
                                },
                                listener.local_addr()?
                            )
                        ),
                        ("backend", store.backend().name().to_string())
                    ]
                )
            );
            steward_server::serve_with_store(listener, config, store, shutdown_signal()).await
        }
        Command::DefaultConfig => {
            print!("{}", Config::default_toml());
            Ok(())
        }
        Command::TlsPin { cert } => {
            let pin = steward_agent::tls::pin_of_file(&cert).map_err(anyhow::Error::msg)?;
            println!("{pin}");
            Ok(())
        }
        Command::Demo {
            devices,
            listen,
            interval,
            seed,
            data_dir,
        } => demo(lang, devices, listen, interval, seed, data_dir).await,
        Command::Sim {
            server,
            enroll_token,
            devices,
            interval,
            duration,
            seed,
        } => {
            let stats = Arc::new(sim::SimStats::default());
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let opts = sim::SimOptions {
                server,
                enroll_token,
                devices,
                interval_secs: interval,
                seed,
                enroll_concurrency: 64,
            };
            let runner = tokio::spawn(sim::run(opts, stats.clone(), stop_rx, None));
            match duration {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => shutdown_signal().await,
            }
            let _ = stop_tx.send(true);
            runner.await?;
            print_sim_summary(lang, &stats);
            Ok(())
        }
        Command::Bench(BenchCommand::Push(b)) => {
            raise_open_files();
            println!("{}", bench::push(b).await?);
            Ok(())
        }
        Command::Bench(BenchCommand::Checkin {
            server,
            enroll_token,
            devices,
            concurrency,
            duration,
            mode,
            seed,
            bad_logins,
            rate,
            watch_pid,
            software,
            admin_token,
        }) => {
            let result = bench::checkin(bench::CheckinBench {
                rate,
                server,
                enroll_token,
                devices,
                concurrency,
                duration: Duration::from_secs(duration),
                changing: matches!(mode, BenchMode::Changing),
                seed,
                bad_logins,
                watch_pids: watch_pid,
                software,
                admin_token,
            })
            .await?;
            println!("{result}");
            Ok(())
        }
        Command::Bench(BenchCommand::Remediation {
            server,
            enroll_token,
            admin_token,
            approver_token,
            devices,
            concurrency,
            duration,
            pairs,
            settle,
            rounds,
            watch_pid,
        }) => {
            let result = bench::remediation(bench::RemediationBench {
                server,
                enroll_token,
                admin_token,
                approver_token,
                devices,
                concurrency,
                duration,
                pairs,
                settle,
                rounds,
                watch_pids: watch_pid,
            })
            .await?;
            println!("{result}");
            Ok(())
        }
        Command::Bench(BenchCommand::Policy {
            devices,
            db_pid,
            cfg,
        }) => {
            let store = cfg.open_fleetless("policy").await?;
            println!("{}", bench::policy(&store, devices, db_pid).await?);
            Ok(())
        }
        Command::Bench(BenchCommand::AlertRule {
            devices,
            db_pid,
            cfg,
        }) => {
            let store = cfg.open_fleetless("alert rule").await?;
            println!("{}", bench::alert_rule(&store, devices, db_pid).await?);
            Ok(())
        }
        Command::Bench(BenchCommand::AlertLatency {
            devices,
            rate,
            threats,
            duration,
            concurrency,
            cfg,
        }) => {
            let store = cfg.open_fleetless("alert latency").await?;
            let mut config = cfg.load()?;
            // The load is the point: no stretching of check-in intervals, no shedding.
            config.checkin.target_rate = rate.saturating_mul(10);
            let result = bench::alert_latency(
                store,
                config,
                bench::AlertLatencyBench {
                    devices,
                    rate,
                    threats_per_s: threats,
                    duration: Duration::from_secs(duration),
                    concurrency,
                },
            )
            .await?;
            println!("{result}");
            Ok(())
        }
        Command::Bench(BenchCommand::KbSearch {
            articles,
            rounds,
            cfg,
        }) => {
            let store = cfg.open().await?;
            anyhow::ensure!(
                store.count_articles().await? == 0,
                "the search bench needs an empty database"
            );
            let result = bench::kb_search(store, cfg.load()?, articles, rounds).await?;
            println!("{result}");
            Ok(())
        }
        Command::Bench(BenchCommand::Fuzz {
            inputs,
            seed,
            workers,
        }) => {
            let out = fuzz::run(inputs, seed, workers).await?;
            println!("{out}");
            let found = out["findings"].as_array().map_or(0, Vec::len);
            anyhow::ensure!(found == 0, "{found} findings");
            Ok(())
        }
        Command::Bench(BenchCommand::Inventory {
            devices,
            rounds,
            cfg,
        }) => {
            let store = cfg.open_fleetless("inventory").await?;
            let t0 = Instant::now();
            bench::seed(&store, devices, 1, true).await?;
            bench::seed_activity(&store, devices).await?;
            let app_cases = bench::seed_apps(&store, 20).await?;
            store.finish_bulk_load().await?;
            let load_secs = t0.elapsed().as_secs_f64();
            let rollup = bench::seed_report_days(&store).await?;
            steward_server::auth::create_user(
                &store,
                "bench@example.com",
                &[Role::Administrator],
                &[],
                "bench-password-1",
                &Actor::cli(),
            )
            .await
            .map_err(|e| api_err(lang, e))?;
            let token = steward_server::api::new_api_token(
                &store,
                "bench",
                Some(Role::Helpdesk),
                None,
                None,
                &Actor::cli(),
            )
            .await
            .map_err(|e| api_err(lang, e))?;
            let server = bench::BenchServer::start(&store, cfg.load()?).await?;
            let base = server.base.clone();
            let timings = bench::inventory(&base, &token.token, rounds, app_cases).await?;
            let login = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?
                .post(format!("{base}/login"))
                .form(&[
                    ("email", "bench@example.com"),
                    ("password", "bench-password-1"),
                ])
                .send()
                .await?;
            let cookie = login
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .unwrap_or_default()
                .to_string();
            let console = bench::console(&base, &cookie, rounds).await?;
            let reports = bench::report_files(&base, &token.token, rounds.min(20)).await?;
            server.stop().await?;
            let recount = bench::recount(&store, rounds.min(20)).await?;
            println!(
                "{}",
                serde_json::json!({"bench": "inventory", "backend": store.backend().name(), "devices": devices, "load_s": (load_secs * 10.0).round() / 10.0, "rounds": rounds, "timings": timings, "console": console, "fleet_recount": recount, "daily_rollup": rollup, "reports": reports})
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            role,
            name,
            expires_in_hours,
            cfg,
        }) => {
            let role = parse_role(lang, &role)?;
            let store = cfg.open().await?;
            let created = steward_server::api::new_api_token(
                &store,
                &name,
                Some(role),
                None,
                expires_in_hours,
                &Actor::cli(),
            )
            .await
            .map_err(|e| api_err(lang, e))?;
            eprintln!(
                "{}",
                t_args(
                    lang,
                    "cli-token-created",
                    &[("role", role.as_str().to_string())]
                )
            );
            println!("{}", created.token);
            Ok(())
        }
        Command::EnrollToken(EnrollTokenCommand::Create {
            name,
            max_uses,
            expires_in_hours,
            group,
            platforms,
            cfg,
        }) => {
            let platforms = platforms
                .iter()
                .map(|p| {
                    Platform::parse(p).ok_or_else(|| {
                        anyhow::anyhow!(steward_core::i18n::error_message(
                            lang,
                            steward_proto::ErrorCode::InvalidField
                        ))
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let store = cfg.open().await?;
            let created = steward_server::api::new_enrollment_token(
                &store,
                &CreateEnrollmentToken {
                    name,
                    expires_in_hours,
                    max_uses,
                    group,
                    platforms,
                },
                &Actor::cli(),
            )
            .await
            .map_err(|e| api_err(lang, e))?;
            eprintln!("{}", t(lang, "cli-enroll-token-created"));
            println!("{}", created.token);
            Ok(())
        }
        Command::EnrollToken(EnrollTokenCommand::List { cfg }) => {
            let store = cfg.open().await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&store.list_enrollment_tokens().await?)?
            );
            Ok(())
        }
        Command::EnrollToken(EnrollTokenCommand::Revoke { id, cfg }) => {
            let store = cfg.open().await?;
            store
                .revoke_enrollment_token(&id, steward_core::time::now_ms(), &Actor::cli())
                .await
                .map_err(|e| api_err(lang, e.into()))?;
            println!(
                "{}",
                t_args(lang, "cli-enroll-token-revoked", &[("id", id)])
            );
            Ok(())
        }
        Command::User(UserCommand::Add {
            email,
            roles,
            groups,
            password_stdin,
            cfg,
        }) => {
            let roles = roles
                .iter()
                .map(|r| parse_role(lang, r))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (steward_server::auth::generate_password(), true)
            };
            let store = cfg.open().await?;
            steward_server::auth::create_user(
                &store,
                &email,
                &roles,
                &groups,
                &password,
                &Actor::cli(),
            )
            .await
            .map_err(|e| api_err(lang, e))?;
            let role = roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "{}",
                t_args(
                    lang,
                    "cli-user-created",
                    &[("email", email), ("role", role)]
                )
            );
            if generated {
                println!(
                    "{}",
                    t_args(lang, "cli-user-password", &[("password", password)])
                );
            }
            Ok(())
        }
    }
}

fn print_sim_summary(lang: Lang, stats: &sim::SimStats) {
    println!(
        "{}",
        t_args(
            lang,
            "cli-sim-summary",
            &[
                (
                    "enrolled",
                    stats.enrolled.load(Ordering::Relaxed).to_string()
                ),
                ("refused", stats.refused.load(Ordering::Relaxed).to_string()),
                (
                    "checkins",
                    stats.checkins.load(Ordering::Relaxed).to_string()
                ),
                ("errors", stats.errors.load(Ordering::Relaxed).to_string()),
            ]
        )
    );
}

/// What a demo starts with (when its database has none): a baseline compliance policy and
/// alert rules for threats, protection off, silent and noncompliant devices.
async fn demo_rules(store: &Store) -> anyhow::Result<()> {
    use steward_core::alerting::{AlertRule, Condition, Severity};
    use steward_core::compliance::{Policy, Rule};
    if store.list_policies().await?.is_empty() {
        let policy = Policy {
            id: uuid::Uuid::now_v7().to_string(),
            name: "Baseline".into(),
            rules: vec![
                Rule::MinOsVersion {
                    platform: steward_proto::Platform::Windows,
                    version: "10.0.19045".into(),
                },
                Rule::ProtectionRequired,
                Rule::RealtimeProtectionRequired,
                Rule::NoActiveThreats,
                Rule::CheckedInWithinDays { days: 7 },
            ],
            grace_hours: 24,
            groups: Vec::new(),
        };
        store
            .put_policy(&policy, steward_core::time::now_ms(), &Actor::cli())
            .await?;
    }
    if !store.alert_rules().is_empty() {
        return Ok(());
    }
    // Named after their conditions, so that each reader reads them in their own language.
    let rules = [
        (Condition::ActiveThreat, Severity::Critical),
        (Condition::RealtimeProtectionOff, Severity::Warning),
        (Condition::NotCheckedIn { hours: 24 }, Severity::Warning),
        (Condition::Noncompliant, Severity::Warning),
    ];
    for (condition, severity) in rules {
        let name = steward_core::t(
            Lang::En,
            steward_core::alerting::condition_key(condition.type_name()),
        );
        let rule = AlertRule {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            condition,
            severity,
            groups: Vec::new(),
            enabled: true,
            notify: Default::default(),
        };
        store
            .put_alert_rule(&rule, steward_core::time::now_ms(), &Actor::cli())
            .await?;
    }
    Ok(())
}

/// What a demo's message center and training start with (when there are no notices yet): a
/// feature update for administrators naming a feature that is not on yet, with training
/// material covering it, and a help-desk briefing about macOS 15; the notices in every
/// language.
async fn demo_awareness(store: &Store, lang: Lang) -> anyhow::Result<()> {
    use steward_core::awareness::{Category, Notice, NoticeSeverity, PlatformRange, ReleaseStatus};
    use steward_core::training::{Feature, Material};
    if !store.list_notices("", 1).await?.is_empty() {
        return Ok(());
    }
    let now = steward_core::time::now_ms();
    let day = 86_400_000;
    let feature = Feature {
        id: uuid::Uuid::now_v7().to_string(),
        name: t(lang, "demo-feature-passkeys"),
        description: String::new(),
        enabled_at: None,
        changed_at: None,
    };
    store.put_feature(&feature, now, &Actor::cli()).await?;
    let material = Material {
        id: uuid::Uuid::now_v7().to_string(),
        title: t(lang, "demo-material-passkeys"),
        url: String::new(),
        body: t(lang, "demo-notice-passkeys-body"),
        audience: Role::Administrator,
        features: vec![feature.id.clone()],
        last_reviewed_at: now,
    };
    store.put_material(&material, now, &Actor::cli()).await?;
    let texts = |key: &str| Lang::ALL.iter().map(|l| (*l, t(*l, key))).collect();
    let notices = [
        Notice {
            id: uuid::Uuid::now_v7().to_string(),
            source: "manual".into(),
            source_id: None,
            title: texts("demo-notice-passkeys-title"),
            body: texts("demo-notice-passkeys-body"),
            default_language: lang,
            category: Category::PlanForChange,
            tags: vec![
                "feature_update".into(),
                "admin_impact".into(),
                "new_feature".into(),
            ],
            severity: NoticeSeverity::Normal,
            features: vec![feature.name.clone()],
            platforms: Vec::new(),
            act_by: Some(now + 30 * day),
            release_status: ReleaseStatus::RollingOut,
            help_desk: false,
            created_at: now - 1,
            updated_at: now - 1,
            revised: false,
        },
        Notice {
            id: uuid::Uuid::now_v7().to_string(),
            source: "manual".into(),
            source_id: None,
            title: texts("demo-notice-macos-title"),
            body: texts("demo-notice-macos-body"),
            default_language: lang,
            category: Category::PreventOrFixIssues,
            tags: vec!["user_impact".into()],
            severity: NoticeSeverity::High,
            features: Vec::new(),
            platforms: vec![PlatformRange {
                platform: Platform::Macos,
                min_version: Some("15".into()),
                max_version: None,
            }],
            act_by: Some(now + 7 * day),
            release_status: ReleaseStatus::Launched,
            help_desk: true,
            created_at: now,
            updated_at: now,
            revised: false,
        },
    ];
    for n in notices {
        store.put_notice(&n, &Actor::cli()).await?;
    }
    Ok(())
}

/// The demo's app catalog: a VPN client required everywhere in two waves (a fifth of the
/// devices first, the rest when 80 % of those have it), due in a week; a company portal
/// offered for self-service. The simulated devices install them as their platforms do.
async fn demo_apps(store: &Store) -> anyhow::Result<()> {
    use steward_proto::apps::{App, AppAssignment, AppVersion, Wave};
    if !store.catalog().apps.is_empty() {
        return Ok(());
    }
    let actor = Actor::cli();
    let now = steward_core::time::now_ms();
    let at = steward_core::time::to_rfc3339(now);
    for (name, publisher, version, intent, waves) in [
        (
            "VPN client",
            "Contoso Networks",
            "7.2.1",
            "required",
            vec![20u8, 100],
        ),
        (
            "Company Portal",
            "Steward",
            "11.2.1",
            "available",
            vec![100],
        ),
    ] {
        let app = App {
            id: uuid::Uuid::now_v7().to_string(),
            name: name.into(),
            publisher: publisher.into(),
            description: String::new(),
            created_at: at.clone(),
            updated_at: at.clone(),
            versions: Vec::new(),
        };
        store.create_app(&app, now, &actor).await?;
        for (platform, kind, package) in [
            ("windows", "msi", "{6F1A2B3C-4D5E-4F60-8A9B-0C1D2E3F4A5B}"),
            ("macos", "pkg", "com.contoso.app"),
            ("linux", "apt", "contoso-app"),
            ("ios", "store", "com.contoso.app"),
            ("android", "store", "com.contoso.app"),
        ] {
            let v = AppVersion {
                id: uuid::Uuid::now_v7().to_string(),
                app_id: app.id.clone(),
                version: version.into(),
                platform: platform.into(),
                kind: kind.into(),
                package: package.into(),
                arch: String::new(),
                sha256: None,
                size: 0,
                created_at: at.clone(),
            };
            store.add_app_version(&v, now, &actor).await?;
            let deadline = now + 7 * 86_400_000;
            let a = AppAssignment {
                id: uuid::Uuid::now_v7().to_string(),
                app_id: app.id.clone(),
                app_name: app.name.clone(),
                version_id: v.id.clone(),
                version: v.version.clone(),
                platform: platform.into(),
                intent: intent.into(),
                group: None,
                start_at: at.clone(),
                deadline_at: Some(steward_core::time::to_rfc3339(deadline)),
                waves: waves
                    .iter()
                    .map(|p| Wave {
                        percent: Some(*p),
                        group: None,
                    })
                    .collect(),
                gate_percent: 80,
                target_percent: 95,
                failure_percent: 10,
                current_wave: 0,
                paused: false,
                created_by: "demo".into(),
                created_at: at.clone(),
                updated_at: at.clone(),
            };
            store
                .create_assignment(&a, now, Some(deadline), now, &actor)
                .await?;
        }
    }
    Ok(())
}

async fn demo(
    lang: Lang,
    devices: u32,
    listen: SocketAddr,
    interval: u32,
    seed: u64,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    println!(
        "{}",
        t_args(lang, "cli-demo-starting", &[("count", devices.to_string())])
    );
    let temp = tempdir_for_demo()?;
    let dir = data_dir.unwrap_or_else(|| temp.clone());
    std::fs::create_dir_all(&dir)?;
    let config = Config {
        listen,
        data_dir: dir.clone(),
        checkin: steward_server::config::CheckinConfig {
            interval_secs: interval,
            ..Default::default()
        },
        // A demo fleet grows by the second: keep the counts close behind it.
        fleet: steward_server::config::FleetConfig {
            summary_max_age_secs: 2,
            ..Default::default()
        },
        ..Config::default()
    };
    let store = Store::open(&config.database_url()).await?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| listen.to_string())?;
    let url = format!("http://{}", listener.local_addr()?);
    let email = "admin@example.com".to_string();
    let password = steward_server::auth::generate_password();
    let created = steward_server::auth::create_user(
        &store,
        &email,
        &[Role::Administrator],
        &[],
        &password,
        &Actor::cli(),
    )
    .await;
    if let Err(e) = created {
        // A --data-dir from an earlier demo already has the administrator: give it the new
        // password, so the credentials printed below work.
        if e.0 != steward_proto::ErrorCode::Conflict {
            return Err(api_err(lang, e));
        }
        let user = store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{email}"))?;
        let hash = steward_server::auth::hash_password(&password).map_err(|e| api_err(lang, e))?;
        store
            .set_password(
                &user.info.id,
                &hash,
                None,
                steward_core::time::now_ms(),
                "user.password_reset",
                &Actor::cli(),
            )
            .await?;
    }
    let api = steward_server::api::new_api_token(
        &store,
        "demo",
        Some(Role::Administrator),
        None,
        None,
        &Actor::cli(),
    )
    .await
    .map_err(|e| api_err(lang, e))?;
    let enroll = steward_server::api::new_enrollment_token(
        &store,
        &CreateEnrollmentToken {
            name: Some("demo".into()),
            ..Default::default()
        },
        &Actor::cli(),
    )
    .await
    .map_err(|e| api_err(lang, e))?;
    demo_rules(&store).await?;
    demo_awareness(&store, lang).await?;
    demo_apps(&store).await?;
    demo_remediation(&store, seed, devices).await?;
    let (server_stop_tx, server_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(steward_server::serve_with_store(
        listener,
        config,
        store.clone(),
        async move {
            let _ = server_stop_rx.await;
        },
    ));
    let stats = Arc::new(sim::SimStats::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let sim = tokio::spawn(sim::run(
        sim::SimOptions {
            server: url.clone(),
            enroll_token: enroll.token.clone(),
            devices,
            interval_secs: interval,
            seed,
            enroll_concurrency: 64,
        },
        stats.clone(),
        stop_rx,
        Some(ready_tx),
    ));
    let _ = ready_rx.await;
    demo_history(&store).await?;
    println!(
        "{}",
        t_args(
            lang,
            "cli-demo-ready",
            &[("secs", format!("{:.1}", started.elapsed().as_secs_f64()))]
        )
    );
    println!("{}", t_args(lang, "cli-demo-url", &[("url", url.clone())]));
    println!(
        "{}",
        t_args(
            lang,
            "cli-demo-admin",
            &[("email", email), ("password", password)]
        )
    );
    println!(
        "{}",
        t_args(lang, "cli-demo-api-token", &[("token", api.token.clone())])
    );
    println!(
        "{}",
        t_args(lang, "cli-demo-enroll-token", &[("token", enroll.token)])
    );
    println!(
        "{}",
        t_args(
            lang,
            "cli-demo-fleet",
            &[
                ("count", stats.enrolled.load(Ordering::Relaxed).to_string()),
                ("interval", interval.to_string())
            ]
        )
    );
    println!(
        "{}",
        t_args(lang, "cli-demo-try", &[("token", api.token), ("url", url)])
    );
    println!("{}", t(lang, "cli-demo-stop"));
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    sim.await?;
    print_sim_summary(lang, &stats);
    let _ = server_stop_tx.send(());
    server.await??;
    if dir == temp {
        let _ = std::fs::remove_dir_all(&temp);
    }
    Ok(())
}

/// Scripts and two remediations: one on the Linux devices, cleared to run (the devices answer
/// as soon as they check in), and one on the Macs that reaches more devices than one
/// administrator may start alone, so it waits on the approvals page.
async fn demo_remediation(store: &Store, seed: u64, fleet: u32) -> anyhow::Result<()> {
    use steward_proto::remediation::{script_hash, RemediationBody, Script, Shell};
    let now = steward_core::time::now_ms();
    let script = |id: &str, name: &str, shell: Shell, content: &str| Script {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        shell,
        timeout_secs: 60,
        version: 0,
        sha256: script_hash(content),
        content: content.into(),
        helpdesk_version: None,
        created_by: String::new(),
        created_at: String::new(),
        updated_by: String::new(),
        updated_at: String::new(),
    };
    for s in [
        script(
            "firewall.check",
            "Firewall is on",
            Shell::Sh,
            "if ufw status | grep -q 'Status: active'; then echo active; exit 0; fi\necho inactive\nexit 1\n",
        ),
        script(
            "firewall.fix",
            "Turn the firewall on",
            Shell::Sh,
            "ufw --force enable\n",
        ),
        script(
            "disk.check",
            "At least 10 GiB free on the system disk",
            Shell::Zsh,
            "free=$(df -k / | awk 'NR==2 {print $4}')\n[[ $free -gt 10485760 ]] && exit 0\necho \"only $free KiB free\"\nexit 1\n",
        ),
    ] {
        store.put_script(&s, true, now, &Actor::cli()).await?;
    }
    let body = |name: &str, platform, detect: &str, fix: Option<&str>| RemediationBody {
        name: name.into(),
        description: String::new(),
        detect_script_id: detect.into(),
        fix_script_id: fix.map(str::to_string),
        platform,
        groups: Vec::new(),
        every_hours: 24,
        trigger_rule: None,
        max_attempts: 3,
        retry_minutes: 5,
        alert_failure_percent: Some(20),
        enabled: true,
    };
    let linux = store
        .put_remediation(
            "firewall",
            &body(
                "Firewall on Linux devices",
                steward_proto::Platform::Linux,
                "firewall.check",
                Some("firewall.fix"),
            ),
            true,
            now,
            &Actor::cli(),
        )
        .await?;
    store
        .clear_generation(&linux.id, linux.generation, now)
        .await?;
    let macs = store
        .put_remediation(
            "disk",
            &body(
                "Disk space check on Macs",
                steward_proto::Platform::Macos,
                "disk.check",
                None,
            ),
            true,
            now,
            &Actor::cli(),
        )
        .await?;
    // Asked for before the fleet enrolled, so it waits for the administrator's approval.
    let approval = steward_proto::remediation::Approval {
        id: uuid::Uuid::now_v7().to_string(),
        kind: "remediation".into(),
        summary: macs.body.name.clone(),
        // The Macs of the simulated fleet about to enroll.
        devices: (0..fleet)
            .filter(|i| {
                sim::SimDevice::generate(seed, *i).platform == steward_proto::Platform::Macos
            })
            .count() as u64,
        state: "pending".into(),
        requested_by: "cli".into(),
        requested_at: steward_core::time::to_rfc3339(now),
        decided_by: None,
        decided_at: None,
        note: None,
        payload: serde_json::json!({"remediation_id": macs.id, "generation": macs.generation}),
    };
    store
        .await_approval(
            &macs.id,
            macs.generation,
            &approval,
            "cli",
            &Actor::cli(),
            now,
        )
        .await?;
    Ok(())
}

/// Ninety days of report figures before today, shaped on the fleet as it enrolled (devices
/// slipping out of compliance and back, alerts, enrollments), so the demo's reports show
/// trends at once. Each day is stored as the daily rollup stores it.
async fn demo_history(store: &Store) -> anyhow::Result<()> {
    use steward_core::reports::{day_start, DAY_MS};
    use steward_store::reports::Rollup;
    let now = steward_core::time::now_ms();
    let today = day_start(now);
    let fleet = store.fleet_counts(now).await?;
    for back in (1..=90i64).rev() {
        let day = today - back * DAY_MS;
        // A wave that rises and falls over weeks, the same every run.
        let drift = ((back * 37) % 11) as u64;
        let mut rows =
            std::collections::BTreeMap::<(&'static str, String, String, String), i64>::new();
        let mut add = |section: &'static str, g: &str, subject: &str, metric: String, v: i64| {
            *rows
                .entry((section, g.to_string(), subject.to_string(), metric))
                .or_default() += v;
        };
        for c in fleet.iter() {
            let g = c.group.as_deref().unwrap_or("");
            // Devices enrolled over the period: fewer the further back.
            let n = (c.count * (180 - back as u64) / 180) as i64;
            let compliance = if c.compliance == "compliant" && drift > 7 {
                "noncompliant"
            } else {
                c.compliance.as_str()
            };
            add("devices", g, "", "total".into(), n);
            add("devices", g, "", format!("platform:{}", c.platform), n);
            add("devices", g, "", format!("health:{}", c.health), n);
            add("devices", g, "", format!("compliance:{compliance}"), n);
            add("devices", g, "", "checkin:last_24h".into(), n);
        }
        for (sev, k) in [("critical", 1), ("warning", 3)] {
            let opened = (back * k) % 5 + k;
            let subject = format!("severity:{sev}");
            add("alerts", "", &subject, "opened".into(), opened);
            add("alerts", "", &subject, "acknowledged".into(), opened);
            add(
                "alerts",
                "",
                &subject,
                "ack_ms".into(),
                opened * (20 + drift as i64) * 60_000,
            );
            add("alerts", "", &subject, "resolved".into(), opened);
            add(
                "alerts",
                "",
                &subject,
                "resolve_ms".into(),
                opened * (3 + drift as i64) * 3_600_000,
            );
        }
        add("enrollments", "", "", "succeeded".into(), back % 4 + 1);
        if back % 3 == 0 {
            add("enrollments", "", "", "refused:unknown_token".into(), 1);
        }
        let rows: Vec<Rollup> = rows
            .into_iter()
            .map(|((section, group, subject, metric), value)| Rollup {
                section,
                day,
                group,
                subject,
                metric,
                value,
            })
            .collect();
        store.put_rollup(day, &rows, now).await?;
    }
    Ok(())
}

/// A fresh directory for the demo's database under the system's temporary directory.
fn tempdir_for_demo() -> anyhow::Result<PathBuf> {
    let suffix: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(8)
        .map(char::from)
        .collect();
    let dir = std::env::temp_dir().join(format!("steward-demo-{suffix}"));
    Ok(dir)
}

/// Raises this process's soft limit of open files to its hard limit: every held push
/// connection is a file (systemd's `LimitNOFILE` sets the hard limit).
fn raise_open_files() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        limit.current = limit.maximum;
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(error = %e, "the limit of open files stays as it is");
        }
    }
}
