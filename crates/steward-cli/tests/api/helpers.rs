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
}

static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub async fn new() -> TestDb {
        let data_dir = tempfile::tempdir().expect("tempdir");
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
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|p| p.0)
                    .unwrap_or(&admin_url);
                format!("{base}/{name}")
            }
            _ => Store::sqlite_url(data_dir.path()),
        };
        TestDb { url, data_dir }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

/// A server running in-process on a free port, with an administrator API token.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub admin_token: String,
    pub http: reqwest::Client,
    pub agent: Client,
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
        let db = TestDb::new().await;
        let store = Store::open(&db.url).await.expect("open store");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config {
            data_dir: db.data_dir.path().to_path_buf(),
            database_url: db.url.clone(),
            ..Config::default()
        };
        tweak(&mut config);
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(steward_server::serve_with_store(
            listener,
            config,
            store.clone(),
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
            base,
            store,
            admin_token,
            http: reqwest::Client::new(),
            _db: db,
            stop: Some(stop),
            server: Some(server),
        }
    }

    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    /// Stops the server after it finished its queued writes.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.expect("join").expect("server result");
        }
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub async fn start(db: &TestDb, port: u16) -> Server {
    let child = Command::new(STEWARD)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(db_args(db))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn steward serve");
    let server = Server(child);
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(&url).await {
            if r.status().is_success() {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
