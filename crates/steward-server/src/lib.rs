//! The Steward server: agent API, admin API and background jobs, behind one entry point,
//! [`serve`], used by the `steward` binary and by the integration tests alike.
//!
//! Where to start reading: [`router`] lists every route; `agent.rs` holds the check-in
//! hot path; `api.rs` the admin API.

pub mod agent;
pub mod alerts;
pub mod announce;
pub mod api;
pub mod apps;
pub mod auth;
pub mod awareness;
pub mod body;
pub mod cache;
pub mod clock;
pub mod config;
pub mod console;
pub mod contract;
pub mod error;
pub mod fleet;
pub mod hashing;
pub mod headers;
pub mod helpdesk;
pub mod kb;
pub mod kb_index;
pub mod mailbox;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod outbound;
pub mod paging;
pub mod pdf;
pub mod policy;
pub mod proxy;
pub mod remediation;
pub mod reports;
pub mod tasks;
pub mod throttle;
pub mod tls;
pub mod touches;
pub mod training;
pub mod users;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use steward_store::{Store, Writer};
use tokio::net::TcpListener;
use tower_http::decompression::RequestDecompressionLayer;

pub use config::Config;

/// Shared state of one server instance, behind one `Arc`: every request and background job
/// gets a handle to it, and handing one over is one reference count, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<AppStateParts>);

impl std::ops::Deref for AppState {
    type Target = AppStateParts;

    fn deref(&self) -> &AppStateParts {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct AppStateParts {
    pub store: Store,
    pub writer: Writer,
    pub config: Arc<Config>,
    pub metrics: Arc<metrics::Metrics>,
    pub cache: Arc<cache::DeviceCache>,
    /// Unchanged check-ins answered and not yet written (see [`touches`]).
    pub touches: touches::Pending,
    /// Check-ins counted in the current second, and the rate of the last full second.
    pub checkins_this_second: Arc<AtomicU64>,
    pub checkin_rate: Arc<AtomicU64>,
    pub fleet: Arc<fleet::FleetCache>,
    /// Every "now" of the server.
    pub clock: clock::Clock,
    /// Who may have mail (help-desk requests, announcements), and the agents waiting here.
    pub mailbox: Arc<mailbox::Mailbox>,
    /// Set when the server begins to stop: held push connections end at once.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// The knowledge base's search index.
    pub kb: Arc<kb_index::KbIndex>,
    /// Failed sign-ins and credentials per address (in memory, per replica).
    pub throttle: Arc<throttle::Throttle>,
    /// Password hashing, off the async workers.
    pub hasher: hashing::HashPool,
    /// Webhooks, chat and feeds: public addresses only, bounded answers.
    pub outbound: outbound::Outbound,
    /// The load balancers whose `X-Forwarded-For` is believed.
    pub proxy: Arc<proxy::Trusted>,
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let agent = Router::new()
        .route("/agent/v1/enroll", post(agent::enroll))
        .route("/agent/v1/checkin", post(agent::checkin))
        .route("/agent/v1/wait", get(mailbox::wait))
        .route("/agent/v1/apps", get(apps::agent_apps))
        .route("/agent/v1/packages/{sha256}", get(apps::agent_package))
        .route("/agent/v1/scripts/{sha256}", get(remediation::agent_script))
        .route(
            "/agent/v1/diagnostics/{request}",
            post(remediation::agent_diagnostics)
                .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        );
    let api = policy::api_router(&state);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(agent)
        .merge(api)
        .merge(console::router())
        .fallback(|| async { error::ApiError(steward_proto::ErrorCode::NotFound) })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::on_panic,
        ))
        .layer(DefaultBodyLimit::max(body::MAX_BODY))
        .layer(RequestDecompressionLayer::new().gzip(true))
        .layer(axum::middleware::from_fn_with_state(state.clone(), around))
        .with_state(state)
}

/// Every request's way in and out, in one layer (each layer is memory that every held push
/// connection keeps): its latency by route, errors in the caller's language
/// ([`error::localize`]), the security headers ([`headers::secure`]).
async fn around(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let lang = error::request_lang(req.headers());
    let timer = metrics::RequestTimer::start(&req);
    let resp = next.run(req).await;
    timer.observe(&state.metrics);
    headers::secure(&state, error::localize(resp, lang))
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response(),
    }
}

/// Ready for traffic: the database answers and holds the schema this server was built for
/// (a balancer takes a server out while another one upgrades the database under it).
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.schema_versions().await {
        Ok((applied, known)) if applied == known => (StatusCode::OK, "ready\n").into_response(),
        Ok((applied, known)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database schema at version {applied}, this server expects {known}\n"),
        )
            .into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response(),
    }
}

/// `/metrics`: OpenMetrics for a scraper that asks for it (Prometheus does), else the classic
/// text format (`curl … | promtool check metrics`).
async fn metrics_text(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    state
        .metrics
        .write_queue
        .set(state.writer.queue_depth() as i64);
    state
        .metrics
        .touches_waiting
        .set(state.touches.len() as i64);
    // The fleet's counts as this server holds them (recounted in the background when old).
    if let Ok((_, counts)) = fleet::counts(&state).await {
        let alerts = state.store.open_alert_counts(&[]).await.unwrap_or_default();
        state.metrics.set_fleet(&counts, &alerts);
    }
    let open = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    if open {
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            state.metrics.render(),
        )
            .into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            state.metrics.render_classic(),
        )
            .into_response()
    }
}

/// Builds the state for `store` and starts the writer tasks.
pub fn state(
    store: Store,
    config: Config,
    clock: clock::Clock,
) -> (AppState, Vec<tokio::task::JoinHandle<()>>) {
    let metrics = Arc::new(metrics::Metrics::new());
    let m = metrics.clone();
    let writers = store.writer_count(config.checkin.writers);
    let (writer, handles) = Writer::start(
        store.clone(),
        Arc::new(move |n, took| {
            m.batch_size.observe(n as f64);
            m.batch_seconds.observe(took.as_secs_f64());
        }),
        writers,
    );
    let cache = Arc::new(cache::DeviceCache::new(
        config.checkin.cache_entries as usize,
    ));
    let throttle = Arc::new(throttle::Throttle::new(
        config.auth.lockout_after,
        config.auth.lockout_secs,
    ));
    // `Config::validate` refuses lists that do not parse; here they can only be valid.
    let config_proxy = config.proxy.trusted.clone();
    let allow = outbound::Allow::parse(&config.outbound.allow).unwrap_or_default();
    let outbound = outbound::Outbound::new(
        allow,
        Duration::from_secs(u64::from(config.notify.timeout_secs)),
        config.outbound.max_response_bytes,
        config.outbound.enabled,
    );
    (
        AppState(Arc::new(AppStateParts {
            store,
            writer,
            config: Arc::new(config),
            metrics,
            cache,
            touches: touches::Pending::default(),
            checkins_this_second: Arc::new(AtomicU64::new(0)),
            checkin_rate: Arc::new(AtomicU64::new(0)),
            fleet: Arc::new(fleet::FleetCache::default()),
            clock,
            mailbox: Arc::default(),
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
            kb: Arc::new(kb_index::KbIndex::new().expect("an in-memory search index")),
            throttle,
            hasher: hashing::HashPool::for_this_machine(),
            outbound,
            proxy: Arc::new(proxy::Trusted::parse(&config_proxy).unwrap_or_default()),
        })),
        handles,
    )
}

/// Opens the configured database and serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    config.validate().map_err(|e| anyhow::anyhow!(e))?;
    let store = Store::open(&config.database_url()).await?;
    serve_with_store(listener, config, store, shutdown).await
}

/// Serves with an already opened store until `shutdown` completes, then finishes the queued
/// writes before returning.
pub async fn serve_with_store(
    listener: TcpListener,
    config: Config,
    store: Store,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with_clock(listener, config, store, clock::Clock::system(), shutdown).await
}

/// [`serve_with_store`] on a given clock (tests move a manual one).
pub async fn serve_with_clock(
    listener: TcpListener,
    config: Config,
    store: Store,
    clock: clock::Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (state, writers) = state(store, config, clock);
    mailbox::reload(&state).await?;
    kb::open(&state).await?;
    fleet::warm(&state).await;
    if !state.config.notify.mail_configured() {
        tracing::info!("e-mail is off (notify.smtp_host is empty): no mail to people is queued");
    }
    let mut tasks = tasks::start(&state);
    // Not aborted with the other tasks: it ends by itself once the server stops.
    let flusher = tokio::spawn(touches::flusher(state.clone()));
    let stopping = state.stopping.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.send_replace(true);
    };
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let tls = &state.config.tls;
    let result = if tls.enabled() {
        use axum::serve::ListenerExt;
        let (cert, key) = (PathBuf::from(&tls.cert_file), PathBuf::from(&tls.key_file));
        let current: tls::Current = Arc::new(std::sync::RwLock::new(
            tls::load(&cert, &key).map_err(|e| anyhow::anyhow!(e))?,
        ));
        let https_port = listener.local_addr()?.port();
        tasks.extend(tasks::start_tls(&state, current.clone(), https_port).await?);
        // `tap_io` gives the listener the connection info (the peer's address) axum knows.
        let listener = tls::TlsListener::new(listener, current)?.tap_io(|_| {});
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    } else {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    };
    for task in tasks {
        task.abort();
        let _ = task.await;
    }
    // Stopping loses no answered touch: what waits is written before the writers finish.
    touches::stop(&state, flusher).await;
    drop(state);
    for w in writers {
        let _ = w.await;
    }
    result.map_err(Into::into)
}
