//! The real agent over TLS to the real server (row 9 of the hardening issue): a CA and
//! certificates made here, HTTPS from `steward serve`, the agent trusting the CA file, pinned
//! to the server's key (a wrong pin refused), the certificate replaced without a restart, the
//! plain-HTTP redirect; the agent's state kept private; and a snapshot the server refuses set
//! aside instead of wedging the agent.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

/// Runs the agent; its exit status, standard output and standard error.
pub async fn agent(state: &Path, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(crate::agent_binary::agent_binary())
        .arg("--state-dir")
        .arg(state)
        .args(args)
        .env("STEWARD_LANG", "en")
        .output()
        .await
        .expect("run steward-agent");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A test CA and the server certificates it signs (for 127.0.0.1 and localhost).
struct Pki {
    dir: tempfile::TempDir,
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Steward test CA");
        let ca = params.self_signed(&ca_key).expect("CA");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write");
        Pki { dir, ca, ca_key }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A server certificate and key, written to `<name>.pem` and `<name>.key`.
    fn server(&self, name: &str) {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("params");
        let cert = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .expect("sign");
        std::fs::write(self.path(&format!("{name}.pem")), cert.pem()).expect("write");
        std::fs::write(self.path(&format!("{name}.key")), key.serialize_pem()).expect("write");
    }
}

fn pin_of(cert: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["tls-pin", "--cert"])
        .arg(cert)
        .output()
        .expect("tls-pin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn the_agent_reaches_the_server_over_verified_pinned_tls() {
    let pki = Pki::new();
    pki.server("a");
    pki.server("b");
    // The server reads its pair from these two files; replacing them swaps the certificate.
    std::fs::copy(pki.path("a.pem"), pki.path("live.pem")).expect("copy");
    std::fs::copy(pki.path("a.key"), pki.path("live.key")).expect("copy");
    let (pin_a, pin_b) = (pin_of(&pki.path("a.pem")), pin_of(&pki.path("b.pem")));
    assert!(pin_a.starts_with("sha256//") && pin_a != pin_b);

    let db = TestDb::new().await;
    let (port, plain) = (free_port(), free_port());
    let mut serve = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(db_args(&db))
        .env("STEWARD_TLS__CERT_FILE", pki.path("live.pem"))
        .env("STEWARD_TLS__KEY_FILE", pki.path("live.key"))
        .env("STEWARD_TLS__RELOAD_SECS", "1")
        .env(
            "STEWARD_TLS__REDIRECT_HTTP_FROM",
            format!("127.0.0.1:{plain}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let base = format!("https://127.0.0.1:{port}");
    let ca = reqwest::Certificate::from_pem(&std::fs::read(pki.path("ca.pem")).expect("ca"))
        .expect("ca");
    let https = reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if https
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(Instant::now() < deadline, "the HTTPS server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // HSTS on HTTPS answers; plain HTTP is redirected with the path kept.
    let h = https
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("get");
    assert!(h.headers().contains_key("strict-transport-security"));
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("http://127.0.0.1:{plain}/devices?health=at_risk"))
        .send()
        .await
        .expect("plain");
    assert_eq!(r.status(), 308);
    assert_eq!(
        r.headers()["location"],
        format!("https://127.0.0.1:{port}/devices?health=at_risk").as_str()
    );

    let token = cli(&db, &["enroll-token", "create"]);
    let token = token.split_whitespace().last().expect("token").to_string();
    let ca_file = pki.path("ca.pem").display().to_string();
    let enroll = |state: PathBuf, extra: Vec<String>| {
        let mut args = vec![
            "enroll".to_string(),
            "--server".into(),
            base.clone(),
            "--token".into(),
            token.clone(),
        ];
        args.extend(extra);
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            agent(&state, &args).await
        }
    };
    // Without the CA the server is not trusted; with a wrong pin neither.
    let untrusted = tempfile::tempdir().expect("tempdir");
    let (ok, _, err) = enroll(untrusted.path().into(), vec![]).await;
    assert!(!ok, "an unknown issuer is refused");
    assert!(err.contains("Could not reach the server"), "{err}");
    let (ok, _, err) = enroll(
        untrusted.path().into(),
        vec![
            "--ca-file".into(),
            ca_file.clone(),
            "--pin".into(),
            pin_b.clone(),
        ],
    )
    .await;
    assert!(!ok);
    assert!(err.contains("does not match the pin"), "{err}");
    // The CA and the right pin.
    let home = tempfile::tempdir().expect("tempdir");
    let state = home.path().join("agent");
    let (ok, out, err) = enroll(
        state.clone(),
        vec![
            "--ca-file".into(),
            ca_file.clone(),
            "--pin".into(),
            pin_a.clone(),
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    let (ok, out, err) = agent(&state, &["--ca-file", &ca_file, "run", "--once"]).await;
    assert!(ok && out.contains("sequence 1"), "{out}{err}");
    // The state holding the device's secret is the owner's only.
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("state.json")), 0o600);

    // The certificate is replaced (another key): the server takes it without a restart, so
    // the agent pinned to the old key now refuses the server.
    std::fs::copy(pki.path("b.key"), pki.path("live.key")).expect("copy");
    std::fs::copy(pki.path("b.pem"), pki.path("live.pem")).expect("copy");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (ok, _, err) = agent(&state, &["--ca-file", &ca_file, "run", "--once"]).await;
        if !ok {
            assert!(err.contains("does not match the pin"), "{err}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was not loaded"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        serve.try_wait().expect("wait").is_none(),
        "still the same process"
    );
    // Given the new key's pin, the agent trusts the server again.
    let path = state.join("state.json");
    let mut st: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("json");
    st["pin"] = pin_b.clone().into();
    std::fs::write(&path, serde_json::to_vec(&st).expect("json")).expect("write");
    let (ok, out, err) = agent(&state, &["--ca-file", &ca_file, "run", "--once"]).await;
    assert!(ok, "the new key's pin: {out}{err}");
    let other = tempfile::tempdir().expect("tempdir");
    let _ = serve.kill();
    let _ = serve.wait();

    // Plain HTTP to another machine is refused before anything is sent.
    let (ok, _, err) = agent(
        other.path(),
        &[
            "enroll",
            "--server",
            "http://steward.invalid:8080",
            "--token",
            "t",
        ],
    )
    .await;
    assert!(!ok);
    assert!(err.contains("--insecure-http"), "{err}");
}

/// Row 1, the agent's side: a snapshot the server refuses is set aside with its reason, the
/// next ones go on, and `status` and the next check-in report it.
#[tokio::test]
async fn a_refused_snapshot_is_set_aside_and_reported() {
    let app = TestApp::spawn().await;
    let token = app.enrollment_token(Default::default()).await;
    let home = tempfile::tempdir().expect("tempdir");
    let state = home.path().join("agent");
    let (ok, out, err) = agent(
        &state,
        &["enroll", "--server", &app.base, "--token", &token],
    )
    .await;
    assert!(ok, "{out}{err}");
    let (ok, _, err) = agent(&state, &["run", "--once"]).await;
    assert!(ok, "{err}");
    // A queued snapshot the server will never take (its locale is far over the limit).
    let path = state.join("state.json");
    let mut st: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("json");
    let seq = st["seq"].as_u64().expect("seq") + 1;
    st["seq"] = seq.into();
    std::fs::write(&path, serde_json::to_vec(&st).expect("json")).expect("write");
    let mut poisoned = checkin(seq, "poisoned");
    poisoned.os.locale = "x".repeat(5000);
    std::fs::write(
        state.join("queue").join(format!("{seq:020}.json")),
        serde_json::to_vec(&poisoned).expect("json"),
    )
    .expect("queue");
    let (ok, out, err) = agent(&state, &["run", "--once"]).await;
    assert!(ok, "the next snapshot went through: {out}{err}");
    let (_, out, _) = agent(&state, &["status"]).await;
    assert!(
        out.contains(&format!("snapshot {seq}")) && out.contains("field_too_long"),
        "{out}"
    );
    let (_, json, _) = agent(&state, &["status", "--json"]).await;
    let status: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(status["set_aside"][0]["status"], 400);
    assert_eq!(status["queued"], 0);
    // The next check-in tells the server, which keeps it in the device's history.
    let (ok, _, err) = agent(&state, &["run", "--once"]).await;
    assert!(ok, "{err}");
    let id = status["enrolled"].as_str().expect("device id");
    let (_, dev) = app.get(&format!("/api/v1/devices/{id}")).await;
    let entry = dev["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|e| e["kind"] == "snapshot_set_aside")
        .cloned()
        .expect("the set-aside snapshot is in the history");
    assert_eq!(entry["detail"]["seq"], seq);
    assert_eq!(entry["detail"]["code"], "field_too_long");
    app.shutdown().await;
}
