//! HTTPS: the server's own TLS (rustls), the certificate and key reloaded without a restart,
//! and an optional plain-HTTP listener that redirects to HTTPS.
//!
//! Handshakes run in their own tasks under a timeout, so a client that opens a connection
//! and says nothing holds up no one else. The configuration in use is swapped whole when the
//! files change (checked every `tls.reload_secs`, and on SIGHUP); a pair that does not load
//! leaves the previous one in place and is logged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

/// How long a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Completed handshakes waiting for the server to take them.
const READY_QUEUE: usize = 1024;

/// TLS handshakes in progress at most.
const MAX_HANDSHAKES: usize = 1024;

/// Loads a certificate chain and key into a server configuration (HTTP/1.1).
pub fn load(cert_file: &Path, key_file: &Path) -> Result<Arc<ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| format!("{}: {e}", cert_file.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", cert_file.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("{}: {e}", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("{}: {e}", cert_file.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The configuration in use, swapped on reload.
pub type Current = Arc<RwLock<Arc<ServerConfig>>>;

/// Accepts TCP connections and hands over those whose TLS handshake completed.
pub struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsListener {
    pub fn new(tcp: TcpListener, current: Current) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, ready) = tokio::sync::mpsc::channel(READY_QUEUE);
        let handshakes = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
        let task = tokio::spawn(async move {
            loop {
                // Past MAX_HANDSHAKES at once, new connections wait in the kernel's backlog:
                // clients that open connections and never finish cannot take all memory.
                let Ok(permit) = handshakes.clone().acquire_owned().await else {
                    return;
                };
                let (stream, peer) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of descriptors and the like: wait a little, as axum does.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let config = current
                    .read()
                    .map(|c| c.clone())
                    .unwrap_or_else(|p| p.into_inner().clone());
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { ready, local, task })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accepting task ended (only when aborted): nothing will come any more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Reloads the pair when either file changes (every `every`) or on SIGHUP.
pub async fn reloader(current: Current, cert: PathBuf, key: PathBuf, every: Duration) {
    let mut seen = (modified(&cert), modified(&key));
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
    tick.tick().await;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        let signalled = match hangup.as_mut() {
            Some(h) => tokio::select! {
                _ = tick.tick() => false,
                _ = h.recv() => true,
            },
            None => {
                tick.tick().await;
                false
            }
        };
        let now = (modified(&cert), modified(&key));
        if now == seen && !signalled {
            continue;
        }
        seen = now;
        match load(&cert, &key) {
            Ok(c) => {
                match current.write() {
                    Ok(mut w) => *w = c,
                    Err(p) => *p.into_inner() = c,
                }
                tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS certificate not reloaded; the previous one stays")
            }
        }
    }
}

/// The plain-HTTP listener's one answer: the same path on HTTPS (308, so methods stay).
pub async fn redirect(https_port: u16, req: Request) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_only)
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
        });
    let Some(host) = host else {
        return (StatusCode::BAD_REQUEST, "HTTPS only\n").into_response();
    };
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let location = format!("https://{host}{port}{path}");
    match axum::http::HeaderValue::from_str(&location) {
        // Not cached: a browser would otherwise keep redirecting after HTTPS is turned off.
        Ok(v) => (
            StatusCode::PERMANENT_REDIRECT,
            [
                (header::LOCATION, v),
                (
                    header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static("no-store"),
                ),
            ],
        )
            .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "HTTPS only\n").into_response(),
    }
}

/// `example.org:8080` → `example.org`, `[::1]:80` → `[::1]`.
fn host_only(h: &str) -> &str {
    if h.starts_with('[') {
        return h.split_inclusive(']').next().unwrap_or(h);
    }
    h.split(':').next().unwrap_or(h)
}

#[cfg(test)]
mod tests {
    use super::host_only;

    #[test]
    fn ports_are_dropped_from_the_host() {
        assert_eq!(host_only("steward.example.org:8080"), "steward.example.org");
        assert_eq!(host_only("steward.example.org"), "steward.example.org");
        assert_eq!(host_only("[::1]:80"), "[::1]");
    }
}
