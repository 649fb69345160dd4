//! Steward's storage: one query layer over two backends.
//!
//! SQLite (embedded, the default) and PostgreSQL (shared, for scale-out) are reached through
//! sqlx's `Any` driver with the same SQL (`$n` placeholders work on both). What differs per
//! backend lives in [`Backend`] (a handful of dialect words) and in the migrations under
//! `migrations/sqlite` and `migrations/postgres`.
//!
//! Invariants:
//! - All writes to device state go through the [`writer::Writer`] (group commit): a caller is
//!   answered only after the transaction holding its write has committed.
//! - On SQLite there is exactly one writing connection, so writers never contend for the lock.

/// A device's stored firing rules (`device_firing`, see `alerts::store_firing`) as the column
/// `firing_rules` of a read of `devices`: empty when no rule fires on it.
macro_rules! firing_rules_col {
    () => {
        "COALESCE((SELECT f.rules FROM device_firing f WHERE f.device_id = devices.id), '') \
         AS firing_rules"
    };
}

pub mod alerts;
pub mod announcements;
pub mod apps;
pub mod audit;
pub mod awareness;
pub mod devices;
mod exec;
pub mod fleet;
pub mod helpdesk;
pub mod jobs;
pub mod lease;
mod native;
pub mod notify;
pub mod policies;
pub mod remediation;
pub mod reports;
pub mod shared;
pub mod tokens;
pub mod training;
pub mod users;
pub mod wake;
pub mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use devices::{DeviceAuth, DeviceQuery, SortField};
pub use lease::Lease;
pub use writer::{Touch, WriteOp, WriteOutcome, Writer};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// From a connection of [`native`] (SQLite reached directly).
    #[error("database: {0}")]
    Native(String),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the write queue is closed")]
    Closed,
}

impl StoreError {
    /// The database could not be reached (as opposed to refusing a statement): worth
    /// retrying later, and no fault of the request.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::WorkerCrashed
            )
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }

    /// Case-insensitive pattern match.
    pub(crate) fn ilike(self) -> &'static str {
        match self {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }
}

/// WAL length (in pages) above which the checkpoint restarts the log: 64 MiB of 4 KiB pages.
pub const WAL_RESTART_FRAMES: i64 = 16_384;
/// How long a connection waits for a lock another holds (another process's write).
pub(crate) const BUSY_TIMEOUT_MS: u32 = 10_000;
/// How long the writer's log restart waits for readers of an older snapshot.
const RESTART_WAIT_MS: u32 = 20;
/// What SQLite may hold in memory, all connections of the process together (its soft heap
/// limit), in bytes. Each connection's page cache may grow to 64 MiB. Seven connections that
/// each read a million devices once (the fleet count, the passes) held 450 MiB of cache
/// between them; there are eight now (sqlx's writer and four readers, and the direct
/// reader, notifier and writer). Past this limit SQLite reuses the pages it holds instead
/// of allocating more.
pub const SQLITE_HEAP_LIMIT: i64 = 256 * 1024 * 1024;

/// A handle on the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// Length of the SQLite write-ahead log at the last checkpoint, in pages.
    wal_frames: Arc<AtomicI64>,
    /// The compliance policies, as the writer evaluates check-ins against them.
    policies: Arc<shared::Shared<Vec<steward_core::compliance::Policy>>>,
    /// The alert rules, likewise.
    alert_rules: Arc<shared::Shared<Vec<steward_core::alerting::AlertRule>>>,
    /// Notification channels and silences, for the notifier.
    channels: Arc<shared::Shared<Vec<steward_core::notify::Channel>>>,
    silences: Arc<shared::Shared<Vec<steward_core::notify::Silence>>>,
    /// The app catalog and assignments, for check-in answers and the agents' app lists.
    apps: Arc<shared::Shared<apps::Catalog>>,
    /// Software title ids already looked up (titles never change: see `apps`).
    title_ids: Arc<apps::TitleIds>,
    pub(crate) signals: Arc<notify::Signals>,
    /// The SQLite file, whose lock file serialises first-run setup between processes.
    sqlite_path: Option<std::path::PathBuf>,
    /// PostgreSQL connections that last tried for a lease held elsewhere, kept for the next
    /// try (a new connection every try would cost the database a process start each time).
    lease_seekers: Arc<std::sync::Mutex<Vec<(String, sqlx::AnyConnection)>>>,
    /// The version of the device mailbox last followed (see [`shared::Kind::Mailbox`]).
    mailbox_version: Arc<AtomicI64>,
    /// The PostgreSQL URL, for the connection that listens for other servers' wake-ups.
    url: Option<Arc<str>>,
    /// SQLite reached directly, for the passes over the whole fleet (see [`native`]); none
    /// on PostgreSQL or an in-memory database.
    native: Option<Arc<native::Native>>,
    /// How long SQLite's write connection has been held (see [`WriteHeld`]); none on
    /// PostgreSQL, whose writes go on many connections and other servers' too.
    write_held: Option<Arc<WriteHeld>>,
    /// PostgreSQL reached without sqlx's `Any` layer, for the reads of the passes over the
    /// whole fleet: `Any` copies each row, with its own list of columns, before a value can
    /// be read, which cost more than evaluating the device. Two connections, opened when a
    /// pass first reads; none on SQLite. It holds no state of its own.
    pg_passes: Option<sqlx::PgPool>,
    /// Whether `devices` was large enough, at the last look, for the state-changing
    /// check-ins' write to keep one plan per connection ([`Store::plan_once`]).
    plan_once: Arc<PlanOnce>,
}

/// The last look at the size of `devices` for [`Store::plan_once`]: when it was taken and
/// what it found. It holds nothing another server could make untrue for longer than a look
/// lasts ([`PLAN_ONCE_LOOK`]): the size is the database's, read again after that.
struct PlanOnce {
    last: std::sync::Mutex<Option<(std::time::Instant, bool)>>,
    /// The size from which the plan is kept, in bytes; [`PLAN_ONCE_BYTES`] unless set
    /// ([`Store::plan_once_from`]).
    from_bytes: AtomicI64,
}

impl PlanOnce {
    /// The last look; a holder that panicked left it whole (a plain value).
    fn last(&self) -> std::sync::MutexGuard<'_, Option<(std::time::Instant, bool)>> {
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for PlanOnce {
    fn default() -> Self {
        PlanOnce {
            last: std::sync::Mutex::new(None),
            from_bytes: AtomicI64::new(PLAN_ONCE_BYTES),
        }
    }
}

/// The size of `devices` on disk from which the state-changing check-ins' write keeps the
/// plan its connection made (8 MiB, about 1,000 pages: a few thousand devices). A table that
/// size is reached through its primary key by any plan; one of a few pages may be read
/// whole, a plan that would stay while the table grew.
pub const PLAN_ONCE_BYTES: i64 = 8 * 1024 * 1024;

/// How long a look at the size of `devices` is trusted: a second, so a fleet enrolled at
/// once gains from the next second on; a look is one read of the catalog.
const PLAN_ONCE_LOOK: Duration = Duration::from_secs(1);

/// How long SQLite's one write connection has been held since the store opened, every holder
/// together (check-in batches, touch flushes, the notifier, fleet jobs), kept by the write
/// pool's hooks. The pool has one connection, so holds never overlap. A fleet job compares it
/// with its own writes to see how much of the writer the rest of the server uses. Only this
/// process's holds: another process writing the same file (a CLI command) is not counted.
pub(crate) struct WriteHeld {
    origin: std::time::Instant,
    /// When the connection was last taken, in ns from `origin`; [`NOT_HELD`] while idle.
    since: std::sync::atomic::AtomicU64,
    /// Every finished hold, in ns.
    total: std::sync::atomic::AtomicU64,
    /// Spells of holds that are nobody's use of the writer (the log's restart), in ns.
    left_out: std::sync::atomic::AtomicU64,
}

const NOT_HELD: u64 = u64::MAX;

impl Default for WriteHeld {
    fn default() -> Self {
        WriteHeld {
            origin: std::time::Instant::now(),
            since: std::sync::atomic::AtomicU64::new(NOT_HELD),
            total: Default::default(),
            left_out: Default::default(),
        }
    }
}

impl WriteHeld {
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX - 1)
    }

    fn take(&self) {
        self.since.store(self.now(), Ordering::Relaxed);
    }

    fn give(&self) {
        let since = self.since.swap(NOT_HELD, Ordering::Relaxed);
        if since != NOT_HELD {
            self.total
                .fetch_add(self.now().saturating_sub(since), Ordering::Relaxed);
        }
    }

    /// Leaves the hold from now to the guard's drop out of the count.
    fn leave_out(&self) -> LeftOut<'_> {
        LeftOut {
            held: self,
            started: std::time::Instant::now(),
        }
    }

    /// Every hold so far, the one under way included, less the spells left out.
    fn held(&self) -> Duration {
        let since = self.since.load(Ordering::Relaxed);
        let running = if since == NOT_HELD {
            0
        } else {
            self.now().saturating_sub(since)
        };
        Duration::from_nanos(
            self.total
                .load(Ordering::Relaxed)
                .saturating_add(running)
                .saturating_sub(self.left_out.load(Ordering::Relaxed)),
        )
    }
}

/// A spell of holding the write connection left out of [`WriteHeld`]'s count when dropped.
struct LeftOut<'a> {
    held: &'a WriteHeld,
    started: std::time::Instant,
}

impl Drop for LeftOut<'_> {
    fn drop(&mut self) {
        let spell = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.held.left_out.fetch_add(spell, Ordering::Relaxed);
    }
}

/// Held while a process sets the database up (migrations, first-run data), so two processes
/// started together on a new database never both do it: a lock file beside the SQLite file
/// (`steward.db.lock`), a PostgreSQL advisory lock on its own connection.
pub struct SetupLock {
    _file: Option<std::fs::File>,
    pg: Option<sqlx::AnyConnection>,
}

/// The advisory lock key of first-run setup on PostgreSQL ("stwd").
const SETUP_LOCK_KEY: i64 = 0x7374_7764;

impl SetupLock {
    async fn sqlite(path: Option<&Path>) -> Result<SetupLock> {
        let Some(path) = path else {
            return Ok(SetupLock {
                _file: None,
                pg: None,
            });
        };
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        let lock_path = std::path::PathBuf::from(name);
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)?;
            f.lock()?;
            Ok(f)
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("setup lock: {e}")))?
        .map_err(|e| StoreError::Invalid(format!("setup lock: {e}")))?;
        Ok(SetupLock {
            _file: Some(file),
            pg: None,
        })
    }

    async fn postgres(pool: &AnyPool) -> Result<SetupLock> {
        // A connection of its own, closed at release: the lock cannot go back to the pool.
        let mut conn = pool.acquire().await?.detach();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(SETUP_LOCK_KEY)
            .execute(&mut conn)
            .await?;
        Ok(SetupLock {
            _file: None,
            pg: Some(conn),
        })
    }

    /// Lets the next process in.
    pub async fn release(self) {
        if let Some(mut conn) = self.pg {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(SETUP_LOCK_KEY)
                .execute(&mut conn)
                .await;
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}

/// The file of a `sqlite://PATH?…` URL (`None` for an in-memory database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

impl Store {
    /// Opens (creating when needed) the database named by `url`: `sqlite://PATH` or
    /// `postgres://…`, and runs the migrations.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL (use sqlite:// or postgres://): {url}"
            )));
        };
        let sqlite_path = sqlite_file(url).filter(|_| backend == Backend::Sqlite);
        let setup = match backend {
            Backend::Sqlite => Some(SetupLock::sqlite(sqlite_path.as_deref()).await?),
            Backend::Postgres => None,
        };
        let store = match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let opts = AnyConnectOptions::from_str(&url)?;
                let pragmas = sqlite_pragmas;
                let write_held = Arc::new(WriteHeld::default());
                let (taken, given, opened) =
                    (write_held.clone(), write_held.clone(), write_held.clone());
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(60))
                    .before_acquire(move |_, _| {
                        taken.take();
                        Box::pin(async { Ok(true) })
                    })
                    .after_release(move |_, _| {
                        given.give();
                        Box::pin(async { Ok(true) })
                    })
                    .after_connect(move |conn, meta| {
                        // A new connection goes to its first holder without `before_acquire`.
                        opened.take();
                        Box::pin(async move {
                            sqlite_pragmas(conn, meta).await?;
                            // Checkpoints run beside the writer (see `checkpoint`), not
                            // inside its commits.
                            conn.execute("PRAGMA wal_autocheckpoint=0").await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts.clone())
                    .await?;
                // Migrations first, through the single writer, so readers see the schema.
                sqlx::migrate!("./migrations/sqlite").run(&write).await?;
                // Process-wide: the one SQLite library serves sqlx and `native` alike.
                sqlx::query(&format!("PRAGMA soft_heap_limit={SQLITE_HEAP_LIMIT}"))
                    .execute(&write)
                    .await?;
                let read = AnyPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(pragmas)
                    .connect_with(opts)
                    .await?;
                Store {
                    read,
                    write,
                    backend,
                    wal_frames: Arc::default(),
                    policies: Arc::default(),
                    alert_rules: Arc::default(),
                    channels: Arc::default(),
                    silences: Arc::default(),
                    apps: Arc::default(),
                    title_ids: Arc::default(),
                    signals: Arc::default(),
                    sqlite_path: sqlite_path.clone(),
                    lease_seekers: Arc::default(),
                    mailbox_version: Arc::new(AtomicI64::new(-1)),
                    url: None,
                    native: sqlite_path.map(|p| Arc::new(native::Native::new(p))),
                    write_held: Some(write_held),
                    pg_passes: None,
                    plan_once: Arc::default(),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(pg_session)
                    .connect(url)
                    .await?;
                let lock = SetupLock::postgres(&pool).await?;
                let migrated = sqlx::migrate!("./migrations/postgres").run(&pool).await;
                lock.release().await;
                migrated?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    wal_frames: Arc::default(),
                    policies: Arc::default(),
                    alert_rules: Arc::default(),
                    channels: Arc::default(),
                    silences: Arc::default(),
                    apps: Arc::default(),
                    title_ids: Arc::default(),
                    signals: Arc::default(),
                    sqlite_path: None,
                    lease_seekers: Arc::default(),
                    mailbox_version: Arc::new(AtomicI64::new(-1)),
                    url: Some(Arc::from(url)),
                    native: None,
                    write_held: None,
                    plan_once: Arc::default(),
                    pg_passes: Some(
                        sqlx::postgres::PgPoolOptions::new()
                            .max_connections(2)
                            .acquire_timeout(Duration::from_secs(30))
                            .after_connect(pg_session)
                            .connect_lazy_with(
                                url.parse::<sqlx::postgres::PgConnectOptions>()?
                                    .application_name(fleet::PASS_APPLICATION),
                            ),
                    ),
                }
            }
        };
        if let Some(lock) = setup {
            lock.release().await;
        }
        store.reload_policies().await?;
        store.reload_alert_rules().await?;
        store.reload_channels().await?;
        store.reload_silences().await?;
        store.reload_apps().await?;
        Ok(store)
    }

    /// The database URL of the default SQLite file in `data_dir`.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("steward.db").display())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How long this process has held SQLite's write connection since the store opened, all
    /// holders together; `None` on PostgreSQL, where writes share the database with other
    /// servers and no one process sees them all.
    pub fn write_held(&self) -> Option<Duration> {
        self.write_held.as_ref().map(|h| h.held())
    }

    /// Serialises first-run setup (seeding starter data) with other processes on the same
    /// database; release it when done.
    pub async fn setup_lock(&self) -> Result<SetupLock> {
        match self.backend {
            Backend::Sqlite => SetupLock::sqlite(self.sqlite_path.as_deref()).await,
            Backend::Postgres => SetupLock::postgres(&self.write).await,
        }
    }

    /// How many writer tasks the group commit should run when `requested` are asked for:
    /// one on SQLite whatever is asked (a single writer is fastest there); on PostgreSQL
    /// `requested` (at most eight), or two for 0.
    pub fn writer_count(&self, requested: u32) -> usize {
        match (self.backend, requested) {
            (Backend::Sqlite, _) => 1,
            (Backend::Postgres, 0) => 2,
            // Each keeps a connection of the pool of 16 (`Store::begin_write_on`): at most
            // eight, so reads keep the other half.
            (Backend::Postgres, n) => (n as usize).min(8),
        }
    }

    /// Copies committed WAL pages into the SQLite database file without blocking the writer
    /// (a no-op on PostgreSQL), notes the log's length for the writer, and restarts the log
    /// once it passes [`WAL_RESTART_FRAMES`] (see [`Store::restart_wal_if_long`]), as the
    /// writer also does between its batches. The server calls it every second.
    pub async fn checkpoint(&self) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&self.read)
            .await?;
        let log_frames: i64 = sqlx::Row::try_get(&row, 1)?;
        self.wal_frames.store(log_frames, Ordering::Relaxed);
        // Also here, not only between the writer's batches: other writers (fleet jobs,
        // sweeps) may write much with no check-in coming, and the log would grow by
        // gigabytes.
        self.restart_wal_if_long().await
    }

    /// Called by the writer between batches: once the log is long, restart it. The passive
    /// checkpoints have already copied almost every page, so this is short, and running it
    /// on the writer's own connection means nothing else contends for the write lock. A
    /// restart waits for every reader of an older snapshot while it holds the write lock, so
    /// it waits [`RESTART_WAIT_MS`] at most: behind a long read (a fleet recount at a million
    /// devices takes seconds) it gives up, having copied what it could, and the next long
    /// log tries again. Check-ins never wait for a read.
    pub(crate) async fn restart_wal_if_long(&self) -> Result<()> {
        if self.backend == Backend::Sqlite
            && self.wal_frames.load(Ordering::Relaxed) > WAL_RESTART_FRAMES
        {
            self.wal_frames.store(0, Ordering::Relaxed);
            let mut c = self
                .write_with(
                    &format!("PRAGMA busy_timeout={RESTART_WAIT_MS}"),
                    format!("PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"),
                )
                .await?;
            // Not the rest of the server's use of the writer: a fleet job writing much
            // restarts the log every few seconds, and would pause for its own log.
            let _restart = self.write_held.as_deref().map(WriteHeld::leave_out);
            let restarted = c.conn()?.execute("PRAGMA wal_checkpoint(RESTART)").await;
            c.done().await;
            restarted?;
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting for another process that holds it; a deferred transaction would
    /// fail instead when it first writes.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    /// A write transaction: on PostgreSQL on `held`, the connection a writer task keeps
    /// between its batches (taken from the pool when it has none), since the pool checks a
    /// connection with a round trip of its own each time it hands one out and each time one
    /// comes back; on SQLite, whose one write connection is shared, as [`Store::begin_write`].
    /// Its statements are prepared once and run for as long as the server does, while the
    /// tables they read grow from nothing to the whole fleet: like every connection to
    /// PostgreSQL it plans each when it runs ([`PG_SESSION`]).
    pub(crate) async fn begin_write_on<'c>(
        &self,
        held: &'c mut Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    ) -> Result<sqlx::Transaction<'c, sqlx::Any>> {
        if self.backend != Backend::Postgres {
            return self.begin_write().await;
        }
        if held.is_none() {
            *held = Some(self.write.acquire().await?);
        }
        match held.as_mut() {
            Some(conn) => Ok(sqlx::Connection::begin(&mut **conn).await?),
            None => Err(StoreError::Closed),
        }
    }

    /// Whether the state-changing check-ins' write ([`writer`]'s `PG_CHECKIN_WRITE`) may
    /// keep the plan its connection made the first time instead of planning at every run,
    /// which took about 377 µs a batch, some 27 µs of PostgreSQL's time per check-in
    /// (docs/benchmarks.md):
    /// on PostgreSQL, once `devices` takes [`PLAN_ONCE_BYTES`] on disk. Looked at once a
    /// second at most ([`PLAN_ONCE_LOOK`]); a failed look answers no. Never on SQLite.
    pub async fn plan_once(&self) -> bool {
        if self.backend != Backend::Postgres {
            return false;
        }
        let last = *self.plan_once.last();
        if let Some((_, on)) = last.filter(|(at, _)| at.elapsed() < PLAN_ONCE_LOOK) {
            return on;
        }
        let on = match self.devices_on_disk().await {
            Ok(bytes) => bytes >= self.plan_once.from_bytes.load(Ordering::Relaxed),
            Err(e) => {
                tracing::warn!(error = %e, "the size of devices could not be read");
                false
            }
        };
        *self.plan_once.last() = Some((std::time::Instant::now(), on));
        on
    }

    /// The bytes `devices` takes on disk (PostgreSQL's `pg_relation_size`; an error on
    /// SQLite), which [`Store::plan_once`] compares with its threshold.
    pub async fn devices_on_disk(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT CAST(pg_relation_size(CAST('devices' AS regclass)) AS BIGINT)",
        )
        .fetch_one(&self.read)
        .await?)
    }

    /// Keeps the state-changing check-ins' plan from `bytes` of `devices` on instead of
    /// [`PLAN_ONCE_BYTES`] (0: always, on PostgreSQL), from the next write on; for tests of
    /// either way on a small database.
    pub fn plan_once_from(&self, bytes: i64) {
        self.plan_once.from_bytes.store(bytes, Ordering::Relaxed);
        *self.plan_once.last() = None;
    }

    /// The write connection with a setting of its own (SQLite's `set`) for one piece of
    /// work, until [`WithSetting::done`] runs `restore`.
    async fn write_with(&self, set: &str, restore: String) -> Result<WithSetting> {
        let mut with = WithSetting {
            conn: Some(self.write.acquire().await?),
            restore: Some(restore),
        };
        // On failure the drop closes the connection.
        with.conn()?.execute(set).await?;
        Ok(with)
    }

    /// The write connection for a transaction whose commit need not wait for the disk:
    /// one a machine's crash (power, kernel) may forget without losing anything anyone was
    /// told, because what it records is decided again from what was synced before it. The
    /// notifier's decisions (synced by the deliverer's claim before anything is sent) and
    /// the deliverer's outcomes are such writes (see ARCHITECTURE.md, "Nothing acknowledged
    /// is lost"). Both backends keep their logs in order, so a later synced commit makes
    /// every earlier one durable too, and a crash of the process alone loses none.
    ///
    /// On SQLite the shared write connection runs with `synchronous=NORMAL` until
    /// [`Unsynced::done`] puts `FULL` back ([`WithSetting`]). On PostgreSQL each transaction
    /// sets `synchronous_commit = off` for itself.
    pub(crate) async fn unsynced(&self) -> Result<Unsynced> {
        let with = match self.backend {
            Backend::Sqlite => {
                self.write_with(
                    "PRAGMA synchronous=NORMAL",
                    "PRAGMA synchronous=FULL".into(),
                )
                .await?
            }
            Backend::Postgres => WithSetting {
                conn: Some(self.write.acquire().await?),
                restore: None,
            },
        };
        Ok(Unsynced {
            with,
            backend: self.backend,
        })
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// The latest migration applied to the database and the latest this build knows: equal
    /// when the schema is current; the first is larger while a newer server upgrades it.
    pub async fn schema_versions(&self) -> Result<(i64, i64)> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let row =
            sqlx::query("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.read)
                .await?;
        let applied: i64 = sqlx::Row::try_get(&row, 0)?;
        Ok((applied, known))
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
        if let Some(pg) = &self.pg_passes {
            pg.close().await;
        }
    }
}

/// The write connection with a setting of its own ([`Store::write_with`]): `restore` puts
/// the pool's setting back before the connection is pooled again; dropped without it, or
/// when that fails, the connection is closed instead, so no other writer ever finds the
/// setting. Without `restore` (nothing was set) it is simply pooled again.
pub(crate) struct WithSetting {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    restore: Option<String>,
}

impl WithSetting {
    /// The connection, held until `done` or the drop.
    fn conn(&mut self) -> Result<&mut sqlx::AnyConnection> {
        self.conn.as_deref_mut().ok_or(StoreError::Closed)
    }

    /// Gives the connection back with the pool's setting. Nothing for the caller to handle:
    /// a connection whose setting cannot be put back is closed (the drop) instead of pooled.
    pub(crate) async fn done(mut self) {
        if let (Some(conn), Some(restore)) = (self.conn.as_mut(), &self.restore) {
            if let Err(e) = conn.execute(restore.as_str()).await {
                tracing::warn!(error = %e, "write connection closed: its setting could not be put back");
                return;
            }
        }
        self.conn = None;
    }
}

impl Drop for WithSetting {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.restore.is_some() {
                // Closed rather than pooled: the next writer must not find the setting.
                drop(conn.detach());
            }
        }
    }
}

/// The write connection held for transactions whose commit need not wait for the disk
/// ([`Store::unsynced`]).
pub(crate) struct Unsynced {
    with: WithSetting,
    backend: Backend,
}

impl Unsynced {
    /// Starts a write transaction; on SQLite it takes the write lock at once, as
    /// [`Store::begin_write`] does.
    pub(crate) async fn begin(&mut self) -> Result<sqlx::Transaction<'_, sqlx::Any>> {
        let conn = self.with.conn()?;
        Ok(match self.backend {
            Backend::Sqlite => sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = sqlx::Connection::begin(conn).await?;
                tx.execute("SET LOCAL synchronous_commit = off").await?;
                tx
            }
        })
    }

    /// Gives the connection back, synced again (on PostgreSQL the setting ended with its
    /// transaction).
    pub(crate) async fn done(self) {
        self.with.done().await;
    }
}

type ConnectHook<'c> = std::pin::Pin<
    Box<dyn std::future::Future<Output = std::result::Result<(), sqlx::Error>> + Send + 'c>,
>;

/// How every connection to PostgreSQL runs its statements, set when it opens:
/// - `plan_cache_mode = force_custom_plan`: a statement is planned for its values each
///   time it runs. sqlx prepares each statement once per connection, and PostgreSQL would
///   otherwise settle on a generic plan made while a table (`devices`, `alerts`) was nearly
///   empty, scanning it whole once it holds the fleet.
/// - `jit = off`: most statements here touch a few rows; one planned from stale statistics
///   of a table a job was filling was estimated costly enough to be compiled, about 40 ms
///   each time, to read nothing. Reads of the whole fleet (the policy passes' pages, the
///   reports) run without it too.
const PG_SESSION: &str = "SET plan_cache_mode = force_custom_plan; SET jit = off";

/// Runs [`PG_SESSION`] on a connection as it opens, for either pool to PostgreSQL: as
/// statements, not startup options, which a connection pooler in front of PostgreSQL may
/// refuse.
fn pg_session<C>(conn: &mut C, _: sqlx::pool::PoolConnectionMetadata) -> ConnectHook<'_>
where
    C: Send,
    for<'e> &'e mut C: Executor<'e>,
{
    Box::pin(async move {
        conn.execute(PG_SESSION).await?;
        Ok(())
    })
}

/// WAL for concurrent readers, FULL sync so a committed batch survives power loss too.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> ConnectHook<'_> {
    Box::pin(async move {
        conn.execute(
            format!(
                "PRAGMA busy_timeout={BUSY_TIMEOUT_MS}; PRAGMA journal_mode=WAL; \
                 PRAGMA synchronous=FULL; PRAGMA journal_size_limit=67108864; \
                 PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY"
            )
            .as_str(),
        )
        .await?;
        Ok(())
    })
}

/// Parameters per multi-row statement on SQLite. sqlx looks each parameter's name up in
/// SQLite's list of names, a walk along the list, so binding costs grow with the square of the
/// count: statements of a couple of hundred parameters bind far faster per row than ones of a
/// thousand. PostgreSQL has no such cost, and there fewer round trips count more.
pub(crate) const STATEMENT_PARAMS: usize = 256;
const POSTGRES_STATEMENT_PARAMS: usize = 4_096;

impl Backend {
    /// `devices` with when each was last seen, for reads that need `last_seen_at`. On
    /// PostgreSQL that time lives in the narrow `device_seen` table (migration 0027): a
    /// check-in that moves it then leaves the wide, heavily indexed device row's indexes
    /// alone. `device_seen` adds only `device_id` and `last_seen_at`, so the device columns
    /// stay unambiguous unqualified. On SQLite it stays a column of `devices`: a second
    /// table would cost each check-in another B-tree's pages.
    pub(crate) fn devices_seen(self) -> &'static str {
        match self {
            Backend::Sqlite => "devices",
            Backend::Postgres => "devices JOIN device_seen ON device_seen.device_id = devices.id",
        }
    }

    /// Whether when a device was last seen lives in `device_seen` (see
    /// [`Backend::devices_seen`]) rather than in `devices`.
    pub(crate) fn seen_apart(self) -> bool {
        self == Backend::Postgres
    }

    /// Whether the texts a search reads (name, serial, owner) are also kept in `device_text`,
    /// whose trigram indexes serve PostgreSQL's searches, out of the device row every state
    /// change rewrites (SQLite's search indexes are FTS5 tables already apart).
    pub(crate) fn text_apart(self) -> bool {
        self == Backend::Postgres
    }

    /// The backend a transaction runs on.
    pub(crate) fn of(tx: &sqlx::Transaction<'_, sqlx::Any>) -> Backend {
        Backend::named(tx.backend_name())
    }

    /// The backend of a connection, by the name sqlx gives its driver.
    pub(crate) fn named(backend_name: &str) -> Backend {
        if backend_name == "PostgreSQL" {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The device id as the index on last seen holds it, for a sort by last seen.
    pub(crate) fn seen_id(self) -> &'static str {
        match self {
            Backend::Sqlite => "id",
            Backend::Postgres => "device_seen.device_id",
        }
    }

    /// The placeholder of the statement's `n`th parameter (from 1), for statements whose
    /// every parameter is written once, in the order they are bound: `$n` on PostgreSQL, a
    /// bare `?` on SQLite. SQLite finds the number of a named parameter (`$n`, `?n`) by
    /// walking the statement's list of names, so binding a statement of `$n` costs the
    /// square of its parameters; a bare `?` is not in that list (sqlx binds bare ones in
    /// order, so a statement mixes none with named ones).
    pub(crate) fn param(self, n: usize) -> String {
        match self {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// Placeholders of `rows` rows of `cols` values (`(…), (…)`), from the statement's
    /// `first` parameter on, in order (see [`Backend::param`]).
    pub(crate) fn rows_of(self, rows: usize, cols: usize, first: usize) -> String {
        rows_with(rows, cols, first, |n| self.param(n))
    }

    /// Rows of `cols` values per multi-row statement.
    pub(crate) fn rows_per_statement(self, cols: usize) -> usize {
        let params = match self {
            Backend::Sqlite => STATEMENT_PARAMS,
            Backend::Postgres => POSTGRES_STATEMENT_PARAMS,
        };
        (params / cols.max(1)).max(1)
    }
}

/// A PostgreSQL array literal of texts (`{"a","b"}`), for a statement of fixed text that
/// takes a list as one value (`= ANY(CAST($1 AS text[]))`): every element quoted, its
/// quotes and backslashes escaped.
pub(crate) fn pg_text_array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = PgArray::default();
    for item in items {
        out.text(Some(item));
    }
    out.finish()
}

/// A PostgreSQL array literal built element by element: the text form of a `text[]` or
/// `bigint[]` value, which a statement of fixed text casts (`CAST($1 AS bigint[])`) and
/// `unnest` turns back into a column. Texts are quoted, their quotes and backslashes
/// escaped; a missing value is `NULL`, unquoted.
#[derive(Default)]
pub(crate) struct PgArray(String);

impl PgArray {
    fn next(&mut self) {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
    }

    pub(crate) fn text(&mut self, value: Option<&str>) {
        self.next();
        let Some(value) = value else {
            self.0.push_str("NULL");
            return;
        };
        self.0.push('"');
        for ch in value.chars() {
            if ch == '"' || ch == '\\' {
                self.0.push('\\');
            }
            self.0.push(ch);
        }
        self.0.push('"');
    }

    pub(crate) fn int(&mut self, value: Option<i64>) {
        self.next();
        match value {
            Some(v) => {
                use std::fmt::Write;
                let _ = write!(self.0, "{v}");
            }
            None => self.0.push_str("NULL"),
        }
    }

    pub(crate) fn finish(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        self.0
    }
}

/// `($1, $2, …), ($n+1, …), …`: placeholders of `rows` rows of `cols` values, for
/// multi-row `VALUES` lists.
pub(crate) fn values_placeholders(rows: usize, cols: usize) -> String {
    numbered_rows(rows, cols, 1)
}

/// `values_placeholders` numbered from `$first`.
pub(crate) fn numbered_rows(rows: usize, cols: usize, first: usize) -> String {
    rows_with(rows, cols, first, |n| format!("${n}"))
}

/// `rows` rows of `cols` placeholders, `placeholder(n)` for parameter `n` from `first` on.
fn rows_with(
    rows: usize,
    cols: usize,
    first: usize,
    placeholder: impl Fn(usize) -> String,
) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (0..cols)
                .map(|c| placeholder(first + r * cols + c))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$first, $first+1, …`: `n` placeholders, for `… IN (…)` lists.
pub(crate) fn list_placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A device row as a fleet job's write finds it once locked: its sequence number and
/// states, by id (see [`lock_devices_reading`]).
pub(crate) type LockedRows = std::collections::HashMap<String, (i64, String, String)>;

/// Locks the device rows of `ids` on PostgreSQL as [`lock_devices`] does, and returns what
/// each holds now (sequence number, compliance and health states), so a write that needs
/// only to check a row still is as it was read does so without reading it again. `None` on
/// SQLite, which locks nothing; ids of retired devices are missing from the map.
pub(crate) async fn lock_devices_reading(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ids: &[&str],
) -> Result<Option<LockedRows>> {
    let backend = Backend::of(tx);
    if backend != Backend::Postgres {
        return Ok(None);
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    let mut locked = LockedRows::with_capacity(ids.len());
    for chunk in ids.chunks(backend.rows_per_statement(1)) {
        let sql = format!(
            "SELECT id, seq, compliance_state, health_state FROM devices WHERE id IN ({}) \
             ORDER BY id FOR UPDATE",
            list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut **tx).await? {
            use sqlx::Row;
            locked.insert(
                row.try_get("id")?,
                (
                    row.try_get("seq")?,
                    row.try_get("compliance_state")?,
                    row.try_get("health_state")?,
                ),
            );
        }
    }
    Ok(Some(locked))
}

/// Locks the device rows of `ids` on PostgreSQL, in id order, as check-in batches lock
/// theirs, so writers that then update them in any order cannot deadlock with a batch.
/// Nothing on SQLite, whose write transaction already excludes every other writer.
pub(crate) async fn lock_devices(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ids: &[&str],
) -> Result<()> {
    lock_devices_reading(tx, ids).await.map(|_| ())
}

/// `WHERE a AND b …`, or nothing without clauses.
pub(crate) fn where_sql(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

/// The WHERE clauses of a dynamically filtered query and their values, numbered `$1, $2 …` in
/// the order they are bound.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    params: Vec<Param>,
}

impl Filter {
    /// Binds a value and returns its placeholder.
    pub(crate) fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    /// Adds a clause as it is (its placeholders already bound with [`Filter::bind`]).
    pub(crate) fn push(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// Adds `clause` with `value` bound where the clause says `?` (once or more).
    pub(crate) fn add(&mut self, clause: &str, value: Param) {
        let n = self.bind(value);
        self.push(clause.replace('?', &n));
    }

    /// Adds `clause` with `?` standing for the list of `values` (for `… IN (?)`).
    pub(crate) fn any_of(&mut self, clause: &str, values: &[String]) {
        let list: Vec<String> = values
            .iter()
            .map(|v| self.bind(Param::Text(v.clone())))
            .collect();
        self.push(clause.replace('?', &list.join(", ")));
    }

    pub(crate) fn where_sql(&self) -> String {
        where_sql(&self.clauses)
    }

    /// The WHERE of these clauses and one more.
    pub(crate) fn where_with(&self, clause: &str) -> String {
        let mut all = self.clauses.clone();
        all.push(clause.to_string());
        where_sql(&all)
    }

    pub(crate) fn params(&self) -> &[Param] {
        &self.params
    }
}

/// A newest-first page keyed by an integer id, from up to `limit + 1` items: the extra one
/// only tells that there is a next page, which starts below the last id kept.
pub(crate) fn id_page<T, K: ToString>(
    mut items: Vec<T>,
    limit: u32,
    id: impl Fn(&T) -> K,
) -> steward_proto::Page<T> {
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|x| id(x).to_string())
    } else {
        None
    };
    steward_proto::Page {
        items,
        next_cursor,
        total: None,
    }
}

/// A bound value for dynamically built queries.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

pub(crate) fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    params: &'q [Param],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for p in params {
        q = match p {
            Param::Text(s) => q.bind(s.as_str()),
            Param::Int(i) => q.bind(*i),
        };
    }
    q
}

/// A store on a fresh SQLite file, for tests; the file's directory goes when the value does.
#[cfg(test)]
pub(crate) async fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&Store::sqlite_url(dir.path()))
        .await
        .expect("open");
    (dir, store)
}

#[cfg(test)]
mod tests {
    use super::Store;

    #[test]
    fn a_postgresql_text_array_quotes_every_element_and_escapes_quotes_and_backslashes() {
        assert_eq!(super::pg_text_array([]), "{}");
        assert_eq!(super::pg_text_array(["a"]), r#"{"a"}"#);
        assert_eq!(
            super::pg_text_array(["a,b", r#"say "hi""#, r"c:\d", "{x}", "NULL"]),
            r#"{"a,b","say \"hi\"","c:\\d","{x}","NULL"}"#
        );
    }

    #[test]
    fn a_postgresql_array_writes_a_missing_value_as_an_unquoted_null() {
        let mut texts = super::PgArray::default();
        texts.text(Some("NULL"));
        texts.text(None);
        texts.text(Some(""));
        assert_eq!(texts.finish(), r#"{"NULL",NULL,""}"#);
        let mut ints = super::PgArray::default();
        ints.int(Some(-3));
        ints.int(None);
        ints.int(Some(i64::MAX));
        assert_eq!(ints.finish(), "{-3,NULL,9223372036854775807}");
        assert_eq!(super::PgArray::default().finish(), "{}");
    }

    #[tokio::test]
    async fn every_hold_of_the_sqlite_write_connection_is_counted() {
        let (_dir, store) = crate::temp_store().await;
        let before = store.write_held().expect("SQLite counts its writer");
        let tx = store.begin_write().await.expect("begin");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        // The hold under way is counted.
        let during = store.write_held().expect("held");
        assert!(during - before >= std::time::Duration::from_millis(50));
        tx.commit().await.expect("commit");
        // Given back (the pool takes it back on a task of its own), the time stops.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let after = store.write_held().expect("held");
        assert!(after >= during);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(store.write_held(), Some(after));
        store.close().await;
    }

    /// A setting of SQLite's write connection, as the next writer finds it.
    async fn writer_pragma(store: &Store, name: &str) -> i64 {
        let mut conn = store.write.acquire().await.expect("acquire");
        let row = sqlx::query(&format!("PRAGMA {name}"))
            .fetch_one(&mut *conn)
            .await
            .expect("pragma");
        sqlx::Row::try_get(&row, 0).expect("value")
    }

    async fn writer_sync(store: &Store) -> i64 {
        writer_pragma(store, "synchronous").await
    }

    #[tokio::test]
    async fn the_log_restart_gives_the_writer_back_with_its_usual_wait() {
        let (_dir, store) = crate::temp_store().await;
        let mut tx = store.begin_write().await.expect("begin");
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&mut *tx)
            .await
            .expect("write");
        tx.commit().await.expect("commit");
        store.checkpoint().await.expect("checkpoint");
        store
            .wal_frames
            .store(super::WAL_RESTART_FRAMES + 1, super::Ordering::Relaxed);
        store.restart_wal_if_long().await.expect("restart");
        assert_eq!(store.wal_frames.load(super::Ordering::Relaxed), 0);
        assert_eq!(
            writer_pragma(&store, "busy_timeout").await,
            i64::from(super::BUSY_TIMEOUT_MS)
        );
        store.close().await;
    }

    #[tokio::test]
    async fn the_sqlite_writer_is_synced_again_after_an_unsynced_write_done_or_abandoned() {
        const NORMAL: i64 = 1;
        const FULL: i64 = 2;
        let (_dir, store) = crate::temp_store().await;
        assert_eq!(writer_sync(&store).await, FULL);

        let mut unsynced = store.unsynced().await.expect("unsynced");
        let mut tx = unsynced.begin().await.expect("begin");
        let row = sqlx::query("PRAGMA synchronous")
            .fetch_one(&mut *tx)
            .await
            .expect("pragma");
        assert_eq!(
            sqlx::Row::try_get::<i64, _>(&row, 0).expect("level"),
            NORMAL
        );
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&mut *tx)
            .await
            .expect("write");
        tx.commit().await.expect("commit");
        unsynced.done().await;
        assert_eq!(writer_sync(&store).await, FULL);

        // Dropped half-way (an error returned early): the connection is not reused.
        let mut unsynced = store.unsynced().await.expect("unsynced");
        let tx = unsynced.begin().await.expect("begin");
        drop(tx);
        drop(unsynced);
        assert_eq!(writer_sync(&store).await, FULL);
        store.close().await;
    }

    #[test]
    fn values_placeholders_number_rows_and_columns() {
        assert_eq!(
            super::values_placeholders(2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(super::values_placeholders(1, 1), "($1)");
        assert_eq!(super::list_placeholders(2, 3), "$2, $3, $4");
    }
}
