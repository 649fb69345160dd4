use std::io::Write;
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use steward_proto::{
    device_credential, CheckinRequest, CheckinResponse, EnrollRequest, EnrollResponse, ErrorBody,
};

#[derive(Debug)]
pub enum AgentError {
    /// The server answered with an error body.
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// The server could not be reached or answered something unreadable.
    Transport(String),
}

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentError::Api {
                status,
                code,
                message,
            } => write!(f, "{status} {code}: {message}"),
            AgentError::Transport(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AgentError {}

impl AgentError {
    pub fn code(&self) -> Option<&str> {
        match self {
            AgentError::Api { code, .. } => Some(code),
            AgentError::Transport(_) => None,
        }
    }
}

/// A client of the agent API.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(server: &str) -> Client {
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
            .map_err(|e| AgentError::Transport(e.to_string()))?;
        read(resp).await
    }

    /// Sends a check-in; bodies over 4 KiB are gzip-compressed.
    pub async fn checkin(
        &self,
        device_id: &str,
        secret: &str,
        req: &CheckinRequest,
    ) -> Result<CheckinResponse, AgentError> {
        let body = serde_json::to_vec(req).map_err(|e| AgentError::Transport(e.to_string()))?;
        let mut rb = self
            .http
            .post(format!("{}/agent/v1/checkin", self.base))
            .bearer_auth(device_credential(device_id, secret))
            .header("content-type", "application/json");
        if body.len() > 4096 {
            let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(&body)
                .map_err(|e| AgentError::Transport(e.to_string()))?;
            let gz = enc
                .finish()
                .map_err(|e| AgentError::Transport(e.to_string()))?;
            rb = rb.header("content-encoding", "gzip").body(gz);
        } else {
            rb = rb.body(body);
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| AgentError::Transport(e.to_string()))?;
        read(resp).await
    }
}

async fn read<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T, AgentError> {
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| AgentError::Transport(e.to_string()))?;
    if status.is_success() {
        serde_json::from_slice(&bytes).map_err(|e| AgentError::Transport(e.to_string()))
    } else {
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) => Err(AgentError::Api {
                status: status.as_u16(),
                code: b.error.code.as_str().to_string(),
                message: b.error.message,
            }),
            Err(_) => Err(AgentError::Transport(format!("HTTP {status}"))),
        }
    }
}
