//! How the agent reaches its server: HTTPS verified against the system's trust store (or a
//! CA file the administrator gives), optionally pinned to the server's public key, and plain
//! HTTP only to this machine unless told otherwise.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

/// The prefix of a public-key pin, as curl writes them: `sha256//BASE64`.
pub const PIN_PREFIX: &str = "sha256//";

/// How the agent may connect.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM file of the certificate authorities to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// `sha256//BASE64` of the server's public key (SubjectPublicKeyInfo).
    pub pin: Option<String>,
    /// Allow plain HTTP to another machine (the device's secret then crosses in clear).
    pub insecure_http: bool,
}

/// The pin of a certificate's public key: `sha256//` and the base64 SHA-256 of its
/// DER SubjectPublicKeyInfo (what `curl --pinnedpubkey` takes).
pub fn pin_of(cert: &CertificateDer<'_>) -> Result<String, String> {
    let ee = webpki::EndEntityCert::try_from(cert).map_err(|e| format!("certificate: {e}"))?;
    let spki = ee.subject_public_key_info();
    let digest = Sha256::digest(spki.as_ref());
    Ok(format!(
        "{PIN_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    ))
}

/// The pin of the first certificate of a PEM file (a server's certificate chain).
pub fn pin_of_file(path: &Path) -> Result<String, String> {
    let first = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .next()
        .ok_or_else(|| format!("{}: no certificate", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    pin_of(&first)
}

fn check_pin(pin: &str) -> Result<(), String> {
    let b64 = pin
        .strip_prefix(PIN_PREFIX)
        .ok_or_else(|| format!("a pin starts with {PIN_PREFIX}"))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("pin: {e}"))?;
    if raw.len() != 32 {
        return Err("pin: not a SHA-256 digest".into());
    }
    Ok(())
}

/// Whether a URL's host is this machine.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(v4) => v4.is_loopback(),
        url::Host::Ipv6(v6) => v6.is_loopback(),
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
    }
}

/// Checks the server address against the options: plain HTTP only to loopback unless
/// `insecure_http`; a pin needs HTTPS.
pub fn check_server(server: &str, opts: &TlsOptions) -> Result<url::Url, String> {
    let url = url::Url::parse(server).map_err(|e| format!("{server}: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            if opts.pin.is_some() {
                return Err("a pinned server is reached over https".into());
            }
            let local = url.host().is_some_and(|h| is_loopback_host(&h));
            if !local && !opts.insecure_http {
                return Err(format!(
                    "{server}: plain HTTP would send the device's secret in clear; use https, or --insecure-http"
                ));
            }
        }
        other => return Err(format!("{server}: {other} is neither http nor https")),
    }
    if let Some(pin) = &opts.pin {
        check_pin(pin)?;
    }
    Ok(url)
}

/// The rustls client configuration: system roots, the CA file, the pin.
pub fn client_config(opts: &TlsOptions) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A system store may hold certificates rustls cannot use; the rest still count.
        let _ = roots.add(cert);
    }
    if let Some(path) = &opts.ca_file {
        let mut added = 0;
        for cert in
            CertificateDer::pem_file_iter(path).map_err(|e| format!("{}: {e}", path.display()))?
        {
            let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!("{}: no certificate", path.display()));
        }
    }
    if roots.is_empty() {
        return Err(
            "no trusted certificate authorities (install ca-certificates or give --ca-file)".into(),
        );
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let verifier: Arc<dyn ServerCertVerifier> = match &opts.pin {
        Some(pin) => {
            check_pin(pin)?;
            Arc::new(Pinned {
                inner: webpki,
                pin: pin.clone(),
            })
        }
        None => webpki,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// The usual verification, then the server's public key must match the pin.
#[derive(Debug)]
struct Pinned {
    inner: Arc<WebPkiServerVerifier>,
    pin: String,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let presented = pin_of(end_entity).map_err(rustls::Error::General)?;
        if presented == self.pin {
            Ok(verified)
        } else {
            Err(rustls::Error::General(format!(
                "the server's public key {presented} does not match the pin {}",
                self.pin
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine_unless_told() {
        let none = TlsOptions::default();
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "http://[::1]:8080",
            "https://steward.example.org",
        ] {
            assert!(check_server(ok, &none).is_ok(), "{ok}");
        }
        let err = check_server("http://steward.example.org", &none).expect_err("refused");
        assert!(err.contains("--insecure-http"), "{err}");
        let insecure = TlsOptions {
            insecure_http: true,
            ..Default::default()
        };
        assert!(check_server("http://steward.example.org", &insecure).is_ok());
        assert!(check_server("ftp://x", &insecure).is_err());
        let pinned = TlsOptions {
            pin: Some("sha256//bad".into()),
            ..Default::default()
        };
        assert!(check_server("https://s.example.org", &pinned).is_err());
    }
}
