use std::sync::atomic::{AtomicU64, Ordering};

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use steward_agent::Client;
use steward_core::Role;
use steward_proto::{CheckinRequest, CreateEnrollmentToken, EnrollRequest, OsFacts, Platform};
use steward_server::Config;
use steward_store::audit::Actor;
use steward_store::Store;
use tokio::net::TcpListener;

pub const PG_ENV: &str = "STEWARD_TEST_DATABASE_URL";

/// A database for one test: a temp SQLite file or a fresh PostgreSQL database.
pub struct TestDb {
    pub url: String,
    pub data_dir: tempfile::TempDir,
    /// On PostgreSQL, the server's administrative URL and the database made for the test,
    /// dropped with it (a developer's long-lived server would collect them otherwise).
    pg: Option<(String, String)>,
}

static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub async fn new() -> TestDb {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut pg = None;
        let url = match std::env::var(PG_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!(
                    "steward_t{}_{}_{}",
                    std::process::id(),
                    DB_COUNTER.fetch_add(1, Ordering::Relaxed),
                    uuid::Uuid::now_v7().simple()
                );
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("connect to the test PostgreSQL server");
                // A language's collation, as a cluster set up for people usually has: Steward
                // must not depend on the database's text order (names compare byte by byte on
                // both backends).
                let create = format!(
                    "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' \
                     LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
                );
                sqlx::Executor::execute(&mut conn, create.as_str())
                    .await
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|p| p.0)
                    .unwrap_or(&admin_url);
                let url = format!("{base}/{name}");
                pg = Some((admin_url, name));
                url
            }
            _ => Store::sqlite_url(data_dir.path()),
        };
        TestDb { url, data_dir, pg }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

impl Drop for TestDb {
    /// Drops the test's PostgreSQL database, ending the connections still open to it (servers
    /// of the test not stopped yet). On a thread of its own, with a runtime of its own: the
    /// test's runtime may be the one dropping this, and cannot be blocked on from within.
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.pg.take() else {
            return;
        };
        let db = name.clone();
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                sqlx::Executor::execute(&mut conn, sql.as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("test database {name} not dropped: {e}"),
            Err(_) => eprintln!("test database {name} not dropped: its thread panicked"),
        }
    }
}

/// A server running in-process on a free port, with an administrator API token.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub admin_token: String,
    pub http: reqwest::Client,
    pub agent: Client,
    /// The server's clock (a manual one for [`TestApp::spawn_with_clock`]).
    pub clock: steward_server::clock::Clock,
    /// Kept so the temporary directory lives as long as the server.
    _db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_with_clock(tweak, steward_server::clock::Clock::system()).await
    }

    /// A server on a manual clock standing at the wall clock's time, moved by `app.clock`.
    pub async fn spawn_manual(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let clock = steward_server::clock::Clock::manual(steward_core::time::now_ms());
        Self::spawn_with_clock(tweak, clock).await
    }

    pub async fn spawn_with_clock(
        tweak: impl FnOnce(&mut Config),
        clock: steward_server::clock::Clock,
    ) -> TestApp {
        Self::spawn_on(TestDb::new().await, tweak, clock).await
    }

    /// A server on a database the test prepared before it starts.
    pub async fn spawn_on(
        db: TestDb,
        tweak: impl FnOnce(&mut Config),
        clock: steward_server::clock::Clock,
    ) -> TestApp {
        let store = Store::open(&db.url).await.expect("open store");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config {
            data_dir: db.data_dir.path().to_path_buf(),
            database_url: db.url.clone(),
            ..Config::default()
        };
        // The tests' webhook, chat and feed receivers listen on loopback.
        config.outbound.allow = "127.0.0.0/8".into();
        // Refused sign-ins are answered at once (the flood test sets the pause itself).
        config.auth.refusal_delay_ms = 0;
        // Unchanged check-ins still wait before they are written, but not long.
        config.checkin.touch_flush_ms = 100;
        tweak(&mut config);
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(steward_server::serve_with_clock(
            listener,
            config,
            store.clone(),
            clock.clone(),
            async move {
                let _ = stop_rx.await;
            },
        ));
        let admin_token = steward_server::api::new_api_token(
            &store,
            "test",
            Some(Role::Administrator),
            None,
            None,
            &Actor::cli(),
        )
        .await
        .expect("token")
        .token;
        let base = format!("http://{addr}");
        TestApp {
            agent: Client::new(&base),
            clock,
            base,
            store,
            admin_token,
            http: reqwest::Client::new(),
            _db: db,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Runs one statement on the server's database, as another process would.
    pub async fn execute_sql(&self, sql: &str) {
        self.try_sql(sql).await.expect(sql);
    }

    /// Runs one statement on the server's database, as another process would, and says
    /// whether the database took it.
    pub async fn try_sql(&self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::Executor::execute(&mut self.sql_connection().await, sql)
            .await
            .map(drop)
    }

    /// The first column of the first row a query reads from the server's database, as text.
    pub async fn sql_text(&self, sql: &str) -> Option<String> {
        use sqlx::Row;
        sqlx::query(sql)
            .fetch_optional(&mut self.sql_connection().await)
            .await
            .expect(sql)
            .map(|r| r.get::<String, _>(0))
    }

    /// A connection of its own to the server's database, as another process would open.
    async fn sql_connection(&self) -> sqlx::AnyConnection {
        any_connection(self.db_url()).await
    }

    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    /// Stops the server after it finished its queued writes.
    pub async fn shutdown(self) {
        self.stop_keeping_db().await;
    }

    /// Stops the server as [`TestApp::shutdown`] does and gives its database for another.
    pub async fn stop_keeping_db(mut self) -> TestDb {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.expect("join").expect("server result");
        }
        self._db
    }

    pub async fn token_with_role(&self, role: Role) -> String {
        steward_server::api::new_api_token(
            &self.store,
            role.as_str(),
            Some(role),
            None,
            None,
            &Actor::cli(),
        )
        .await
        .expect("token")
        .token
    }

    /// The device as stored once its check-ins up to `seq` are written: unchanged check-ins
    /// are written after they are answered (`checkin.touch_flush_ms`).
    pub async fn device_at(&self, id: &str, seq: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, dev) = self.get(&format!("/api/v1/devices/{id}")).await;
            assert_eq!(status, 200, "{dev}");
            if dev["seq"].as_u64().is_some_and(|s| s >= seq) {
                return dev;
            }
            assert!(
                Instant::now() < deadline,
                "device {id} never reached seq {seq}: {dev}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(path, &self.admin_token).await
    }

    pub async fn get_as(&self, path: &str, token: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Waits (30 s at most) until the fleet job a policy or alert rule change answered with
    /// (`body["job"]`, or the body itself) has evaluated every device.
    pub async fn settled(&self, body: &Value) {
        let job = body.get("job").unwrap_or(body);
        let id = job["id"].as_str().expect("a job in the answer");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (s, j) = self.get(&format!("/api/v1/fleet-jobs/{id}")).await;
            assert_eq!(s, 200, "{j}");
            if j["state"] == "done" || j["state"] == "superseded" {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the fleet job did not end: {j}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// `PUT path` with a JSON body as the administrator.
    pub async fn raw_put(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.admin_token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// `DELETE path` as the administrator.
    pub async fn raw_delete(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Sends raw bytes to a path with extra headers; returns status and JSON body.
    pub async fn raw(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
        let mut rb = self.http.post(format!("{}{path}", self.base)).body(body);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let resp = rb.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn enrollment_token(&self, req: CreateEnrollmentToken) -> String {
        steward_server::api::new_enrollment_token(&self.store, &req, &Actor::cli())
            .await
            .expect("enrollment token")
            .token
    }

    /// Enrolls a device with a fresh enrollment token; returns (device id, secret).
    pub async fn device(&self, name: &str, platform: Platform) -> (String, String) {
        let token = self.enrollment_token(Default::default()).await;
        self.enroll(&token, name, platform).await
    }

    /// Enrolls a device named `name`; returns (device id, secret).
    pub async fn enroll(&self, token: &str, name: &str, platform: Platform) -> (String, String) {
        let r = self
            .agent
            .enroll(&enroll_request(token, name, platform))
            .await
            .expect("enroll");
        (r.device_id, r.device_secret)
    }

    pub async fn metric(&self, line_prefix: &str) -> f64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .filter(|l| l.starts_with(line_prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

pub fn enroll_request(token: &str, name: &str, platform: Platform) -> EnrollRequest {
    EnrollRequest {
        token: token.to_string(),
        hostname: name.to_string(),
        platform,
        os_version: "12".into(),
        hardware_id: format!("hw-{name}"),
        serial: format!("SN-{name}"),
        owner: format!("{name}@example.com"),
        model: "Test Model".into(),
    }
}

pub fn checkin(seq: u64, name: &str) -> CheckinRequest {
    CheckinRequest {
        seq,
        os: OsFacts {
            name: "Debian GNU/Linux".into(),
            version: "12".into(),
            hostname: name.into(),
            ..Default::default()
        },
        inventory_hash: None,
        inventory: None,
        protection: None,
        compliance: None,
        action_results: Vec::new(),
        app_installs: Vec::new(),
        set_aside: Vec::new(),
        software_hash: None,
        software: None,
    }
}

/// ClamAV fully on: signatures and a quick scan from an hour ago, no threats.
pub fn healthy_protection() -> steward_proto::ProtectionStatus {
    use steward_core::time::{now_ms, to_rfc3339};
    steward_proto::ProtectionStatus {
        engine: Some("ClamAV".into()),
        malware_protection: Some(true),
        realtime_protection: Some(true),
        signature_updated_at: Some(to_rfc3339(now_ms() - 3_600_000)),
        last_quick_scan_at: Some(to_rfc3339(now_ms() - 3_600_000)),
        threat_state: Some(steward_proto::ThreatState::Clean),
        ..Default::default()
    }
}

/// The EICAR test file found at `path` and left where it is.
pub fn eicar_left_in_place(path: &str) -> steward_proto::Detection {
    steward_proto::Detection {
        threat_name: "Eicar-Signature".into(),
        path: path.into(),
        severity: "low".into(),
        action: steward_proto::DetectionAction::LeftInPlace,
        detected_at: steward_core::time::to_rfc3339(steward_core::time::now_ms()),
    }
}

/// A check-in of `dev` with sequence `seq` reporting protection `p`; it must be applied.
pub async fn report_protection(
    app: &TestApp,
    dev: &(String, String),
    seq: u64,
    p: Option<steward_proto::ProtectionStatus>,
) {
    let mut req = checkin(
        seq,
        &format!("host-{}", steward_proto::text::clip(&dev.0, 8)),
    );
    req.protection = p;
    let r = app
        .agent
        .checkin(&dev.0, &dev.1, &req)
        .await
        .expect("checkin");
    assert!(r.applied);
}

/// The device ids a notification body lists.
pub fn listed_devices(body: &Value) -> Vec<&str> {
    body["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["device_id"].as_str())
        .collect()
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

// The real `steward` binary, for tests that start, kill and restart the server.

pub const STEWARD: &str = env!("CARGO_BIN_EXE_steward");

/// Kills the server process when dropped, so a failing test leaves nothing running.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn db_args(db: &TestDb) -> Vec<String> {
    let mut args = vec![
        "--data-dir".to_string(),
        db.data_dir.path().display().to_string(),
    ];
    if db.is_postgres() {
        args.extend(["--database-url".to_string(), db.url.clone()]);
    }
    args
}

pub fn cli(db: &TestDb, args: &[&str]) -> String {
    let out = Command::new(STEWARD)
        .args(args)
        .args(db_args(db))
        .output()
        .expect("run steward");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// A port for a server this test starts. Taken below the kernel's ephemeral range (where
/// `bind(0)`, receivers and every outgoing connection get theirs) and never handed out twice
/// by this process, so a port is not taken between this call and the server's own bind.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7_919) % COUNT,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..COUNT {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(FIRST + n % COUNT).expect("port");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between {FIRST} and {}", FIRST + COUNT);
}

pub async fn start(db: &TestDb, port: u16) -> Server {
    start_with_env(db, port, &[]).await
}

/// Starts `steward serve` with extra environment (configuration as `STEWARD_SECTION__KEY`).
pub async fn start_with_env(db: &TestDb, port: u16, env: &[(&str, String)]) -> Server {
    let child = Command::new(STEWARD)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(db_args(db))
        .env("STEWARD_OUTBOUND__ALLOW", "127.0.0.0/8")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn steward serve");
    let mut server = Server(child);
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // A server that ended (its port taken, say) must not pass for whatever else answers there.
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("steward serve on port {port} ended with {status}");
        }
        if let Ok(r) = reqwest::get(&url).await {
            if r.status().is_success() {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// Real receivers: an HTTP server for webhooks and an SMTP server process for e-mail.

/// One request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: std::collections::HashMap<String, String>,
    pub body: Value,
    /// Whether `x-steward-signature` matched the receiver's secret (`None`: no secret set).
    pub signature_ok: Option<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReceiverMode {
    /// Answers 200.
    Accept,
    /// Records the request and never answers.
    Hang,
}

/// A webhook receiver on 127.0.0.1: records every request and checks its signature.
pub struct Receiver {
    pub url: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    arrived: std::sync::Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn verify(secret: &str, header: Option<&String>, body: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Some((t, v1)) = header.and_then(|h| {
        let (t, v) = h.split_once(',')?;
        Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?))
    }) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    hex::decode(v1).is_ok_and(|sig| mac.verify_slice(&sig).is_ok())
}

impl Receiver {
    pub async fn start(secret: Option<&str>) -> Receiver {
        Self::start_on(0, secret, ReceiverMode::Accept).await
    }

    /// Starts on `port` (0: any free one).
    pub async fn start_on(port: u16, secret: Option<&str>, mode: ReceiverMode) -> Receiver {
        use axum::routing::post;
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind receiver");
        let port = listener.local_addr().expect("addr").port();
        let got: std::sync::Arc<std::sync::Mutex<Vec<Received>>> = Default::default();
        let arrived = std::sync::Arc::new(tokio::sync::Notify::new());
        let (g, a, secret) = (got.clone(), arrived.clone(), secret.map(str::to_string));
        let app = axum::Router::new().route(
            "/{*path}",
            post(
                move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
                    let (g, a, secret) = (g.clone(), a.clone(), secret.clone());
                    async move {
                        let headers: std::collections::HashMap<String, String> = headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect();
                        let signature_ok = secret
                            .as_deref()
                            .map(|s| verify(s, headers.get("x-steward-signature"), &body));
                        g.lock().expect("lock").push(Received {
                            path: uri.path().to_string(),
                            headers,
                            body: serde_json::from_str(&body).unwrap_or(Value::Null),
                            signature_ok,
                        });
                        a.notify_waiters();
                        if mode == ReceiverMode::Hang {
                            std::future::pending::<()>().await;
                        }
                        "ok"
                    }
                },
            ),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            got,
            arrived,
            task,
        }
    }

    /// Stops listening (the port is free once this returns).
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits (30 s at most) until `n` requests arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let notified = self.arrived.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{} of {n} requests arrived", got.len());
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

/// A real SMTP server (Python's aiosmtpd from Debian's python3-aiosmtpd) writing what it
/// receives to a Maildir.
pub struct Smtp {
    pub port: u16,
    pub maildir: tempfile::TempDir,
    child: Child,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// The environment pointing a `steward serve` process at this SMTP server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("STEWARD_NOTIFY__SMTP_HOST", "127.0.0.1".into()),
            ("STEWARD_NOTIFY__SMTP_PORT", self.port.to_string()),
            ("STEWARD_NOTIFY__SMTP_TLS", "none".into()),
        ]
    }

    /// The received e-mails as they arrived (raw text), oldest first.
    pub fn raw_mails(&self) -> Vec<String> {
        let dir = self.maildir.path().join("mail").join("new");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).expect("mail"))
            .collect()
    }

    /// Points a server's e-mail at this SMTP server.
    pub fn configure(&self, c: &mut Config) {
        c.notify.smtp_host = "127.0.0.1".into();
        c.notify.smtp_port = self.port;
        c.notify.smtp_tls = "none".into();
    }
}

/// Sets a user's language.
pub async fn set_language(app: &TestApp, user_id: &str, lang: &str) {
    app.store
        .update_user(
            user_id,
            &steward_store::users::UserChange {
                language: Some(lang.into()),
                ..Default::default()
            },
            0,
            &Actor::cli(),
        )
        .await
        .expect("language");
}

/// One received e-mail: its headers (names lower-cased) and decoded text body.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in a header value;
/// adjacent encoded words are joined (a character may be split between them).
fn decode_words(v: &str) -> String {
    use base64::Engine;
    fn word_bytes(part: &str) -> Option<Vec<u8>> {
        let p = part.strip_prefix("=?")?.strip_suffix("?=")?;
        let mut it = p.splitn(3, '?');
        let (_charset, enc, text) = (it.next()?, it.next()?, it.next()?);
        if enc.eq_ignore_ascii_case("b") {
            return base64::engine::general_purpose::STANDARD.decode(text).ok();
        }
        let t = text.replace('_', " ");
        let mut b = Vec::new();
        let mut i = 0;
        while i < t.len() {
            if t.as_bytes()[i] == b'=' {
                b.push(u8::from_str_radix(t.get(i + 1..i + 3)?, 16).ok()?);
                i += 3;
            } else {
                b.push(t.as_bytes()[i]);
                i += 1;
            }
        }
        Some(b)
    }
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    for (words, part) in v.split_whitespace().enumerate() {
        match word_bytes(part) {
            Some(b) => {
                if pending.is_empty() && words > 0 {
                    out.push(' ');
                }
                pending.extend(b);
            }
            None => {
                out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
                if words > 0 {
                    out.push(' ');
                }
                out.push_str(part);
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out
}

fn decode_mail(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut headers = std::collections::HashMap::new();
    let mut last: Option<String> = None;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(k) = &last {
                headers.entry(k.clone()).and_modify(|v: &mut String| {
                    v.push(' ');
                    v.push_str(line.trim_start());
                });
            }
        } else if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            headers.insert(k.clone(), v.trim().to_string());
            last = Some(k);
        }
    }
    if let Some(subject) = headers.get("subject").cloned() {
        headers.insert("subject".into(), decode_words(&subject));
    }
    let enc = headers
        .get("content-transfer-encoding")
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let body = match enc.as_str() {
        "base64" => {
            use base64::Engine;
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 body"),
            )
            .expect("utf-8 body")
        }
        "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() {
                    if let Ok(b) =
                        u8::from_str_radix(joined.get(i + 1..i + 3).unwrap_or_default(), 16)
                    {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8(out).expect("utf-8 body")
        }
        _ => body.to_string(),
    };
    Mail { headers, body }
}

impl Smtp {
    pub async fn start() -> Smtp {
        let port = free_port();
        let maildir = tempfile::tempdir().expect("maildir");
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aiosmtpd (Debian package python3-aiosmtpd)");
        let smtp = Smtp {
            port,
            maildir,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the SMTP server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        smtp
    }

    pub fn mails(&self) -> Vec<Mail> {
        let dir = self.maildir.path().join("mail").join("new");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| decode_mail(&std::fs::read_to_string(f).expect("mail")))
            .collect()
    }

    /// Waits (30 s at most) until `n` e-mails arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.mails();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} e-mails arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A connection of its own to the database at `url`, either backend.
pub async fn any_connection(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await.expect("connect")
}

/// `n` healthy, compliant Debian 12 devices named pc-0…, last seen at `now`.
pub fn debian_devices(n: usize, now: i64) -> Vec<steward_store::devices::SeedDevice> {
    (0..n)
        .map(|i| steward_store::devices::SeedDevice {
            id: uuid::Uuid::now_v7().to_string(),
            name: format!("pc-{i}"),
            serial: format!("SN{i}"),
            owner: "a@example.com".into(),
            platform: steward_proto::Platform::Linux,
            os_name: "Debian".into(),
            os_version: "12".into(),
            enrolled_at: now,
            last_seen_at: now,
            group: None,
            health_state: "healthy",
            compliance_state: "compliant",
        })
        .collect()
}
