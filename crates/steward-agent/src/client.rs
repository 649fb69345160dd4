use std::io::Write;
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use steward_proto::{
    device_credential, CheckinRequest, CheckinResponse, EnrollRequest, EnrollResponse,
};

#[derive(Debug)]
pub enum AgentError {
    /// The server answered with an error body.
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// The server could not be reached (`reached` false), or the exchange broke off or ended
    /// in something unreadable after the request went out (`reached` true).
    Transport { message: String, reached: bool },
}

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentError::Api {
                status,
                code,
                message,
            } => write!(f, "{status} {code}: {message}"),
            AgentError::Transport { message, .. } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for AgentError {}

impl AgentError {
    pub fn code(&self) -> Option<&str> {
        match self {
            AgentError::Api { code, .. } => Some(code),
            AgentError::Transport { .. } => None,
        }
    }

    fn local(message: impl ToString) -> AgentError {
        AgentError::Transport {
            message: message.to_string(),
            reached: false,
        }
    }

    fn from_reqwest(e: reqwest::Error) -> AgentError {
        // A refused or timed-out connection never reached the server; anything later did.
        let reached = !(e.is_connect() || (e.is_timeout() && !e.is_body()));
        let mut message = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(inner) = src {
            message = format!("{message}: {inner}");
            src = inner.source();
        }
        AgentError::Transport { message, reached }
    }
}

/// A client of the agent API.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

/// reqwest builds TLS settings from the process's default crypto provider even for a client
/// that only speaks plain HTTP; the agent's is ring, as in its own TLS settings. Whatever
/// else the binary links, the agent then never depends on another crate having set one.
fn default_provider() {
    // An error only says a provider is already set.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    /// A client for tools (simulator, benchmarks, tests): any address, system roots.
    pub fn new(server: &str) -> Client {
        default_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(1024)
            .build()
            .unwrap_or_default();
        Client {
            base: server.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// The device agent's client: HTTPS verified as `opts` says (system roots, CA file, pin);
    /// plain HTTP only to this machine unless `opts.insecure_http`.
    pub fn for_device(server: &str, opts: &crate::tls::TlsOptions) -> Result<Client, String> {
        let url = crate::tls::check_server(server, opts)?;
        default_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .https_only(url.scheme() == "https");
        if url.scheme() == "https" {
            builder = builder.use_preconfigured_tls(crate::tls::client_config(opts)?);
        } else {
            // Plain HTTP carries the device secret in the clear: never through a proxy.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| e.to_string())?;
        Ok(Client {
            base: server.trim_end_matches('/').to_string(),
            http,
        })
    }

    pub fn server(&self) -> &str {
        &self.base
    }

    pub async fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResponse, AgentError> {
        let resp = self
            .http
            .post(format!("{}/agent/v1/enroll", self.base))
            .json(req)
            .send()
            .await
            .map_err(AgentError::from_reqwest)?;
        read(resp).await
    }

    /// Sends a check-in; bodies over 4 KiB are gzip-compressed.
    pub async fn checkin(
        &self,
        device_id: &str,
        secret: &str,
        req: &CheckinRequest,
    ) -> Result<CheckinResponse, AgentError> {
        let body = serde_json::to_vec(req).map_err(AgentError::local)?;
        let mut rb = self
            .http
            .post(format!("{}/agent/v1/checkin", self.base))
            .bearer_auth(device_credential(device_id, secret))
            .header("content-type", "application/json");
        if body.len() > 4096 {
            let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(&body).map_err(AgentError::local)?;
            let gz = enc.finish().map_err(AgentError::local)?;
            rb = rb.header("content-encoding", "gzip").body(gz);
        } else {
            rb = rb.body(body);
        }
        let resp = rb.send().await.map_err(AgentError::from_reqwest)?;
        read(resp).await
    }
}

impl Client {
    /// The push channel: waits up to `secs` for what the help desk or an announcement puts
    /// in this device's mailbox (through any server), answered early when something comes.
    pub async fn wait(
        &self,
        device_id: &str,
        secret: &str,
        secs: u32,
    ) -> Result<steward_proto::WaitResponse, AgentError> {
        let resp = self
            .http
            .get(format!("{}/agent/v1/wait?secs={secs}", self.base))
            .bearer_auth(device_credential(device_id, secret))
            .timeout(Duration::from_secs(u64::from(secs) + 15))
            .send()
            .await
            .map_err(AgentError::from_reqwest)?;
        read(resp).await
    }
}

impl Client {
    /// The apps the server wants on (or off) this device.
    pub async fn apps(
        &self,
        device_id: &str,
        secret: &str,
    ) -> Result<steward_proto::AppsDocument, AgentError> {
        let resp = self
            .http
            .get(format!("{}/agent/v1/apps", self.base))
            .bearer_auth(device_credential(device_id, secret))
            .send()
            .await
            .map_err(AgentError::from_reqwest)?;
        read(resp).await
    }

    /// Downloads a package (a path the server gave, under `/agent/v1/packages/`) into
    /// `to`, refusing more than `max` bytes; returns the SHA-256 of what arrived (hex).
    pub async fn download(
        &self,
        device_id: &str,
        secret: &str,
        path: &str,
        to: &std::path::Path,
        max: u64,
    ) -> Result<String, AgentError> {
        use sha2::Digest;
        if !path.starts_with("/agent/v1/packages/") {
            return Err(AgentError::local("not a package path"));
        }
        let mut resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(device_credential(device_id, secret))
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .map_err(AgentError::from_reqwest)?;
        if !resp.status().is_success() {
            return read::<serde_json::Value>(resp).await.map(|_| String::new());
        }
        let mut file = std::fs::File::create(to).map_err(AgentError::local)?;
        let mut hasher = sha2::Sha256::new();
        let mut got = 0u64;
        while let Some(chunk) = resp.chunk().await.map_err(AgentError::from_reqwest)? {
            got += chunk.len() as u64;
            if got > max {
                return Err(AgentError::local("the package is larger than announced"));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).map_err(AgentError::local)?;
        }
        file.sync_all().map_err(AgentError::local)?;
        Ok(hex::encode(hasher.finalize()))
    }
}

impl Client {
    /// A script's text by its hash (the caller checks the hash before running it).
    pub async fn script(
        &self,
        device_id: &str,
        secret: &str,
        sha256: &str,
    ) -> Result<String, AgentError> {
        if sha256.len() != 64 || !sha256.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(AgentError::local("not a script hash"));
        }
        let mut resp = self
            .http
            .get(format!("{}/agent/v1/scripts/{sha256}", self.base))
            .bearer_auth(device_credential(device_id, secret))
            .send()
            .await
            .map_err(AgentError::from_reqwest)?;
        if !resp.status().is_success() {
            return read::<serde_json::Value>(resp).await.map(|_| String::new());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(AgentError::from_reqwest)? {
            if bytes.len() + chunk.len() > steward_proto::remediation::MAX_SCRIPT_LEN {
                return Err(AgentError::local(
                    "the script is larger than scripts can be",
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        String::from_utf8(bytes).map_err(AgentError::local)
    }

    /// Uploads a diagnostics bundle the server asked for with request `request`.
    pub async fn upload_diagnostics(
        &self,
        device_id: &str,
        secret: &str,
        request: &str,
        bundle: Vec<u8>,
    ) -> Result<(), AgentError> {
        let resp = self
            .http
            .post(format!("{}/agent/v1/diagnostics/{request}", self.base))
            .bearer_auth(device_credential(device_id, secret))
            .header("content-type", "application/gzip")
            .body(bundle)
            .timeout(Duration::from_secs(600))
            .send()
            .await
            .map_err(AgentError::from_reqwest)?;
        if resp.status().is_success() {
            return Ok(());
        }
        read::<serde_json::Value>(resp).await.map(drop)
    }
}

/// Answers larger than this are not read (a check-in answer is a few KiB).
const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// An error body read loosely: a code this agent does not know yet is still a code.
#[derive(serde::Deserialize)]
struct LooseError {
    error: LooseDetail,
}

#[derive(serde::Deserialize)]
struct LooseDetail {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    field: Option<String>,
}

async fn read<T: serde::de::DeserializeOwned>(
    mut resp: reqwest::Response,
) -> Result<T, AgentError> {
    let status = resp.status();
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(AgentError::from_reqwest)? {
        if bytes.len() + chunk.len() > MAX_ANSWER {
            return Err(AgentError::Transport {
                message: format!("the answer is larger than {MAX_ANSWER} bytes"),
                reached: true,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    let unreadable = |e: serde_json::Error| AgentError::Transport {
        message: format!("HTTP {status}: {e}"),
        reached: true,
    };
    if status.is_success() {
        serde_json::from_slice(&bytes).map_err(unreadable)
    } else {
        match serde_json::from_slice::<LooseError>(&bytes) {
            Ok(b) => Err(AgentError::Api {
                status: status.as_u16(),
                code: b.error.code,
                message: match b.error.field {
                    Some(f) => format!("{} ({f})", b.error.message),
                    None => b.error.message,
                },
            }),
            Err(_) => Err(AgentError::Api {
                status: status.as_u16(),
                code: String::new(),
                message: format!("HTTP {status}"),
            }),
        }
    }
}
