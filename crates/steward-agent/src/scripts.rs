//! Scripts the server asks for: fetched by their SHA-256 and checked against it before they
//! run, run by their interpreter as the configured user in a process group of their own,
//! stopped with everything they started when their time is up, their output kept to the
//! last [`MAX_OUTPUT_CHARS`] characters. Also the diagnostics bundle (`collect_diagnostics`).

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use steward_proto::remediation::{
    script_hash, RemediateParams, ScriptRef, ScriptReport, Shell, StepResult, MAX_OUTPUT_CHARS,
};
use tokio::io::AsyncReadExt;

use crate::Client;

/// Bytes of output kept while a script runs (the end of it).
const KEPT_BYTES: usize = 64 * 1024;
/// How long the output pipes are read after the script ended (what it left behind is
/// stopped first).
const DRAIN: Duration = Duration::from_secs(2);

/// How scripts run on this device.
#[derive(Debug, Clone, Default)]
pub struct ScriptSettings {
    /// The user scripts run as (`None`: the agent's own user).
    pub user: Option<String>,
}

/// A user's ids and home, from `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// Looks `name` up in a passwd file's text.
pub fn parse_passwd(text: &str, name: &str) -> Option<Account> {
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && f[0] == name).then(|| {
            Some(Account {
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                home: f[5].to_string(),
            })
        })?
    })
}

fn interpreter(shell: Shell) -> Option<&'static str> {
    let found = |paths: &[&'static str]| paths.iter().copied().find(|p| Path::new(p).exists());
    match shell {
        Shell::Sh => found(&["/bin/sh", "/usr/bin/sh"]),
        Shell::Bash => found(&["/bin/bash", "/usr/bin/bash"]),
        Shell::Zsh => found(&["/bin/zsh", "/usr/bin/zsh"]),
        // Windows PowerShell does not run here.
        Shell::Powershell => None,
    }
}

/// The end of `bytes` as text: at most [`MAX_OUTPUT_CHARS`] characters.
pub fn output_tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let n = text.chars().count();
    if n <= MAX_OUTPUT_CHARS {
        return text.into_owned();
    }
    text.chars().skip(n - MAX_OUTPUT_CHARS).collect()
}

fn failed(error: &str, output: String, started: Instant) -> StepResult {
    StepResult {
        exit_code: None,
        output,
        error: Some(error.to_string()),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// Keeps the last [`KEPT_BYTES`] of what a pipe gives.
async fn keep_tail<R: tokio::io::AsyncRead + Unpin>(mut pipe: R, into: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if let Ok(mut out) = into.lock() {
            out.extend_from_slice(&buf[..n]);
            if out.len() > 2 * KEPT_BYTES {
                let cut = out.len() - KEPT_BYTES;
                out.drain(..cut);
            }
        }
    }
}

fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Runs a script's text, which must hash to what the server vouched for.
pub async fn run(settings: &ScriptSettings, sref: &ScriptRef, content: &str) -> StepResult {
    let started = Instant::now();
    if script_hash(content) != sref.sha256.to_ascii_lowercase() {
        return failed("hash_mismatch", String::new(), started);
    }
    let Some(bin) = interpreter(sref.shell) else {
        return failed("not_supported", String::new(), started);
    };
    let account = match &settings.user {
        None => None,
        Some(name) => {
            let found = std::fs::read_to_string("/etc/passwd")
                .ok()
                .and_then(|t| parse_passwd(&t, name));
            match found {
                Some(a) => Some(a),
                None => {
                    return failed("spawn_failed", format!("no such user: {name}"), started);
                }
            }
        }
    };
    // A private directory for the file, readable by the user it runs as.
    let dir = std::env::temp_dir().join(format!("steward-script-{}", uuid_like()));
    let file = dir.join(format!("{}.script", &sref.sha256));
    let prepared = (|| -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        let mut f = std::fs::File::create(&file)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o500))?;
        if let Some(a) = &account {
            std::os::unix::fs::chown(&dir, Some(a.uid), Some(a.gid))?;
            std::os::unix::fs::chown(&file, Some(a.uid), Some(a.gid))?;
        }
        Ok(())
    })();
    let result = match prepared {
        Err(e) => failed("spawn_failed", e.to_string(), started),
        Ok(()) => spawn_and_wait(bin, &file, &dir, account.as_ref(), sref, started).await,
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn uuid_like() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

async fn spawn_and_wait(
    bin: &str,
    file: &Path,
    dir: &Path,
    account: Option<&Account>,
    sref: &ScriptRef,
    started: Instant,
) -> StepResult {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg(file)
        .current_dir(dir)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("LANG", "C.UTF-8")
        .env(
            "HOME",
            account.map_or_else(|| "/root".to_string(), |a| a.home.clone()),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(a) = account {
        cmd.uid(a.uid).gid(a.gid);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed("spawn_failed", e.to_string(), started),
    };
    let pid = child.id();
    let out = Arc::new(Mutex::new(Vec::new()));
    let readers = [
        child
            .stdout
            .take()
            .map(|p| tokio::spawn(keep_tail(p, out.clone()))),
        child
            .stderr
            .take()
            .map(|p| tokio::spawn(keep_tail(p, out.clone()))),
    ];
    let limit = Duration::from_secs(u64::from(sref.timeout_secs.max(1)));
    let status = tokio::time::timeout(limit, child.wait()).await;
    // Whatever the script left running in its group goes with it (on time-out, the script
    // too).
    kill_group(pid);
    let status = match status {
        Ok(s) => Some(s),
        Err(_) => {
            let _ = child.wait().await;
            None
        }
    };
    for r in readers.into_iter().flatten() {
        let _ = tokio::time::timeout(DRAIN, r).await;
    }
    let output = out.lock().map(|o| output_tail(&o)).unwrap_or_default();
    match status {
        None => failed("timed_out", output, started),
        Some(Err(e)) => failed("spawn_failed", e.to_string(), started),
        Some(Ok(s)) => StepResult {
            // A script killed by a signal has no exit code: 128 + the signal, as shells say.
            exit_code: s.code().or_else(|| {
                use std::os::unix::process::ExitStatusExt;
                s.signal().map(|n| 128 + n)
            }),
            output,
            error: None,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        },
    }
}

/// Fetches a script by its hash and runs it.
pub async fn fetch_and_run(
    client: &Client,
    credential: (&str, &str),
    settings: &ScriptSettings,
    sref: &ScriptRef,
) -> StepResult {
    let started = Instant::now();
    if interpreter(sref.shell).is_none() {
        return failed("not_supported", String::new(), started);
    }
    match client
        .script(credential.0, credential.1, &sref.sha256)
        .await
    {
        Ok(text) => run(settings, sref, &text).await,
        Err(e) => failed("download_failed", e.to_string(), started),
    }
}

/// One attempt of a remediation: the detection; when it finds the issue (exit 1), the fix
/// and the detection again.
pub async fn remediate(
    client: &Client,
    credential: (&str, &str),
    settings: &ScriptSettings,
    p: &RemediateParams,
) -> ScriptReport {
    let detect = fetch_and_run(client, credential, settings, &p.detect).await;
    let found = detect.error.is_none() && detect.exit_code == Some(1);
    let mut report = ScriptReport {
        detect: Some(detect),
        fix: None,
        after: None,
    };
    if let (true, Some(fix)) = (found, &p.fix) {
        let ran = fetch_and_run(client, credential, settings, fix).await;
        let fixed = ran.error.is_none() && ran.exit_code == Some(0);
        report.fix = Some(ran);
        if fixed {
            report.after = Some(fetch_and_run(client, credential, settings, &p.detect).await);
        }
    }
    report
}

/// Files a diagnostics bundle holds: logs a help desk asks for first, cut to their last
/// MiB each.
const BUNDLE_FILES: [&str; 8] = [
    "/etc/os-release",
    "/var/log/dpkg.log",
    "/var/log/apt/history.log",
    "/var/log/apt/term.log",
    "/var/log/clamav/clamav.log",
    "/var/log/clamav/freshclam.log",
    "/var/log/syslog",
    "/var/log/auth.log",
];
const FILE_TAIL: u64 = 1024 * 1024;

fn file_tail(path: &Path) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(FILE_TAIL)))
        .ok()?;
    let mut out = Vec::new();
    f.take(FILE_TAIL).read_to_end(&mut out).ok()?;
    Some(out)
}

/// A gzip'd tar of the device's logs, the agent's own records (never its secret) and the
/// output of a few commands; at most `max` bytes (the biggest parts are left out first).
pub fn diagnostics_bundle(
    state_dir: &Path,
    extra: &[(String, Vec<u8>)],
    max: usize,
) -> std::io::Result<Vec<u8>> {
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for f in BUNDLE_FILES {
        if let Some(data) = file_tail(Path::new(f)) {
            parts.push((format!("logs{f}"), data));
        }
    }
    for name in ["scans.json", "clamd.json", "quarantine.json", "apps.json"] {
        if let Some(data) = file_tail(&state_dir.join(name)) {
            parts.push((format!("agent/{name}"), data));
        }
    }
    let commands: [(&str, &[&str]); 4] = [
        (
            "journal-steward-agent.txt",
            &[
                "journalctl",
                "-u",
                "steward-agent",
                "-n",
                "2000",
                "--no-pager",
            ],
        ),
        ("df.txt", &["df", "-h"]),
        ("ip-addr.txt", &["ip", "addr"]),
        (
            "systemctl-failed.txt",
            &["systemctl", "--failed", "--no-pager"],
        ),
    ];
    for (name, argv) in commands {
        if let Ok(out) = std::process::Command::new(argv[0])
            .args(&argv[1..])
            .output()
        {
            let mut data = out.stdout;
            data.extend_from_slice(&out.stderr);
            parts.push((format!("commands/{name}"), data));
        }
    }
    parts.extend(extra.iter().cloned());
    // Smallest first, so what is cut to fit is the largest.
    parts.sort_by_key(|(_, d)| d.len());
    let mut total = 0usize;
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in parts {
        total += data.len() + 512;
        if total > max.saturating_mul(4) {
            break;
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        h.set_mtime(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        );
        h.set_cksum();
        tar.append_data(&mut h, name, data.as_slice())?;
    }
    let bytes = tar.into_inner()?.finish()?;
    if bytes.len() > max {
        return Err(std::io::Error::other(
            "the bundle is larger than the server takes",
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sref(content: &str, timeout: u32) -> ScriptRef {
        ScriptRef {
            sha256: script_hash(content),
            shell: Shell::Sh,
            timeout_secs: timeout,
        }
    }

    #[tokio::test]
    async fn a_script_runs_only_with_its_hash_and_its_output_is_kept() {
        let s = ScriptSettings::default();
        let text = "echo out; echo err >&2; exit 3\n";
        let r = run(&s, &sref(text, 10), text).await;
        assert_eq!(r.exit_code, Some(3), "{r:?}");
        assert!(
            r.output.contains("out") && r.output.contains("err"),
            "{r:?}"
        );
        let r = run(&s, &sref("echo other", 10), text).await;
        assert_eq!(r.error.as_deref(), Some("hash_mismatch"));
        assert_eq!(r.exit_code, None);
        let loud = "i=0; while [ $i -lt 3000 ]; do echo 0123456789; i=$((i+1)); done\n";
        let r = run(&s, &sref(loud, 10), loud).await;
        assert_eq!(r.output.chars().count(), MAX_OUTPUT_CHARS);
        let ps = ScriptRef {
            shell: Shell::Powershell,
            ..sref("Write-Host hi", 10)
        };
        assert_eq!(
            run(&s, &ps, "Write-Host hi").await.error.as_deref(),
            Some("not_supported")
        );
    }

    #[test]
    fn passwd_lines_give_ids() {
        let text = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        assert_eq!(
            parse_passwd(text, "nobody"),
            Some(Account {
                uid: 65534,
                gid: 65534,
                home: "/nonexistent".into()
            })
        );
        assert_eq!(parse_passwd(text, "ana"), None);
    }
}
