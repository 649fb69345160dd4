//! Apps on this device: the software inventory (dpkg's database), the list of apps the
//! server wants here, and installing and removing them through dpkg and apt, step by step,
//! with the steps kept in `apps.json` until they are reported.
//!
//! `apps.json` is read and written under a lock file (`apps.lock`), so the service and a
//! person running `steward-agent apps install` at the same time do not lose each other's
//! steps.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use steward_core::apps::{classify_dpkg, InstallState};
use steward_proto::{AppInstall, AppOffer, SoftwarePackage};

/// How the agent installs.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// dpkg's root (`/` on a real device; a directory of its own in tests).
    pub root: PathBuf,
    /// The longest one install or removal may take.
    pub timeout: Duration,
    /// Attempts of one generation before the agent gives up (a retry from the server starts
    /// a new generation).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub retry_after: Duration,
    /// Largest download accepted.
    pub max_download: u64,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            root: PathBuf::from("/"),
            timeout: Duration::from_secs(1800),
            max_attempts: 3,
            retry_after: Duration::from_secs(300),
            max_download: 2 << 30,
        }
    }
}

impl AppSettings {
    fn system_root(&self) -> bool {
        self.root == Path::new("/")
    }

    /// dpkg's arguments for this root.
    fn dpkg(&self) -> tokio::process::Command {
        let mut c = tokio::process::Command::new("dpkg");
        if !self.system_root() {
            c.arg(format!("--root={}", self.root.display()));
        }
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c.kill_on_drop(true);
        c
    }

    fn admindir(&self) -> PathBuf {
        self.root.join("var/lib/dpkg")
    }
}

/// One assignment's work on this device.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Job {
    pub generation: u32,
    pub state: String,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    pub attempt: u32,
    /// Milliseconds since the epoch before which the next attempt waits.
    #[serde(default)]
    pub next_try_ms: i64,
    /// The step is not reported yet.
    #[serde(default)]
    pub unreported: bool,
    /// A person asked for it here (self-service).
    #[serde(default)]
    pub requested: bool,
}

/// What `apps.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Apps {
    /// The catalog version the list was fetched at.
    pub version: i64,
    pub offers: Vec<AppOffer>,
    pub jobs: BTreeMap<String, Job>,
}

fn path(dir: &Path) -> PathBuf {
    dir.join("apps.json")
}

/// Reads, changes and writes `apps.json` under its lock; returns what `f` returns.
pub fn with_apps<T>(dir: &Path, f: impl FnOnce(&mut Apps) -> T) -> std::io::Result<T> {
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("apps.lock"))?;
    lock.lock()?;
    let mut apps: Apps = match std::fs::read(path(dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Apps::default(),
        Err(e) => return Err(e),
    };
    let out = f(&mut apps);
    let tmp = dir.join("apps.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&apps)?)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path(dir))?;
    Ok(out)
}

/// The steps not reported yet, as check-in entries. They stay unreported until
/// [`mark_reported`] is given them once the snapshot carrying them is queued: a stop in
/// between sends them again (the server records a step it already has as it was), never
/// loses them.
pub fn pending_reports(dir: &Path) -> std::io::Result<Vec<AppInstall>> {
    with_apps(dir, |apps| {
        let mut out = Vec::new();
        for (id, job) in apps.jobs.iter().filter(|(_, j)| j.unreported) {
            let offer = apps.offers.iter().find(|o| &o.assignment_id == id);
            out.push(AppInstall {
                app_id: offer
                    .map(|o| o.app_id.clone())
                    .unwrap_or_else(|| id.clone()),
                name: offer.map(|o| o.name.clone()).unwrap_or_default(),
                version: offer.map(|o| o.version.clone()).unwrap_or_default(),
                state: job.state.clone(),
                error_code: job.error_code.clone(),
                assignment_id: Some(id.clone()),
                generation: job.generation,
                attempt: job.attempt,
                message: job.message.clone(),
            });
            if out.len() >= steward_core::limits::MAX_APP_INSTALLS {
                break;
            }
        }
        out
    })
}

/// Marks the steps of `sent` (from [`pending_reports`], now queued) as reported, each only
/// while its job still holds that step: a step recorded since stays for the next snapshot.
pub fn mark_reported(dir: &Path, sent: &[AppInstall]) -> std::io::Result<()> {
    if sent.is_empty() {
        return Ok(());
    }
    with_apps(dir, |apps| {
        for r in sent {
            let Some(job) = r
                .assignment_id
                .as_ref()
                .and_then(|id| apps.jobs.get_mut(id))
            else {
                continue;
            };
            if job.generation == r.generation
                && job.attempt == r.attempt
                && job.state == r.state
                && job.error_code == r.error_code
                && job.message == r.message
            {
                job.unreported = false;
            }
        }
    })
}

/// The installed packages, as dpkg's database lists them (`ii` only: a package whose
/// scripts failed is not installed).
pub fn software(settings: &AppSettings) -> Vec<SoftwarePackage> {
    let mut cmd = std::process::Command::new("dpkg-query");
    if !settings.system_root() {
        cmd.arg(format!("--admindir={}", settings.admindir().display()));
    }
    let out = cmd
        .args([
            "-W",
            "-f=${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n",
        ])
        .output();
    let Ok(out) = out else {
        return Vec::new();
    };
    let mut list: Vec<SoftwarePackage> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (name, version, arch, status) = (f.next()?, f.next()?, f.next()?, f.next()?);
            (status.trim_end() == "ii").then(|| SoftwarePackage {
                name: name.to_string(),
                version: version.to_string(),
                arch: arch.to_string(),
                source: "dpkg".into(),
            })
        })
        .filter(SoftwarePackage::is_valid)
        .take(steward_core::limits::MAX_SOFTWARE)
        .collect();
    list.sort();
    list
}

/// The installed version of a package, if dpkg says it is installed.
fn installed_version(settings: &AppSettings, package: &str) -> Option<String> {
    software(settings)
        .into_iter()
        .find(|p| p.name == package)
        .map(|p| p.version)
}

fn machine_arch() -> String {
    std::process::Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Whether the agent may change the system's packages.
pub fn privileged() -> bool {
    rustix::process::geteuid().is_root()
}

/// The last lines of a command's output (for the help desk).
fn tail(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(6);
    steward_proto::text::clip(&lines[start..].join("\n"), 1900).to_string()
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub state: InstallState,
    pub code: Option<String>,
    pub message: Option<String>,
}

impl Outcome {
    fn done(state: InstallState) -> Outcome {
        Outcome {
            state,
            code: None,
            message: None,
        }
    }

    fn failed(state: InstallState, code: &str, message: impl Into<String>) -> Outcome {
        Outcome {
            state,
            code: Some(code.to_string()),
            message: Some(message.into()),
        }
    }
}

/// Runs dpkg (or apt) with the settings' timeout and classifies a failure.
async fn run(
    mut cmd: tokio::process::Command,
    timeout: Duration,
    success: InstallState,
) -> Outcome {
    match tokio::time::timeout(timeout, cmd.output()).await {
        Err(_) => Outcome::failed(InstallState::Failed, "timeout", "timed out"),
        Ok(Err(e)) => Outcome::failed(InstallState::Failed, "install_failed", e.to_string()),
        Ok(Ok(out)) if out.status.success() => Outcome::done(success),
        Ok(Ok(out)) => {
            let mut text = out.stdout.clone();
            text.extend_from_slice(&out.stderr);
            let (state, code) = classify_dpkg(out.status.code(), &String::from_utf8_lossy(&text));
            Outcome::failed(state, code, tail(&text))
        }
    }
}

/// Does one offer's work: `step` is told of every state on the way (downloading,
/// installing …); returns where it ended.
pub async fn carry_out(
    offer: &AppOffer,
    settings: &AppSettings,
    dir: &Path,
    client: &crate::Client,
    credential: (&str, &str),
    step: &(dyn Fn(InstallState) + Sync),
) -> Outcome {
    if !matches!(offer.kind.as_str(), "deb" | "apt") {
        return Outcome::failed(
            InstallState::NotApplicable,
            "wrong_platform",
            format!("{} packages do not install on Linux", offer.kind),
        );
    }
    if !privileged() {
        return Outcome::failed(
            InstallState::Blocked,
            "not_root",
            "the agent does not run as root, so it cannot install or remove packages",
        );
    }
    if offer.intent == "uninstall" {
        if installed_version(settings, &offer.package).is_none() {
            return Outcome::done(InstallState::Removed);
        }
        step(InstallState::Removing);
        let mut cmd = settings.dpkg();
        cmd.args(["--remove", &offer.package]);
        return run(cmd, settings.timeout, InstallState::Removed).await;
    }
    if installed_version(settings, &offer.package).as_deref() == Some(offer.version.as_str()) {
        return Outcome::done(InstallState::Installed);
    }
    let arch = machine_arch();
    if !offer.arch.is_empty() && offer.arch != "all" && !arch.is_empty() && offer.arch != arch {
        return Outcome::failed(
            InstallState::NotApplicable,
            "wrong_architecture",
            format!("built for {}, this device is {arch}", offer.arch),
        );
    }
    if offer.kind == "apt" {
        if !settings.system_root() {
            return Outcome::failed(
                InstallState::Failed,
                "install_failed",
                "apt installs into the system's root only",
            );
        }
        step(InstallState::Installing);
        let mut cmd = tokio::process::Command::new("apt-get");
        cmd.args([
            "install",
            "-y",
            "--no-install-recommends",
            &format!("{}={}", offer.package, offer.version),
        ])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .kill_on_drop(true);
        return run(cmd, settings.timeout, InstallState::Installed).await;
    }
    let (Some(url), Some(sha)) = (&offer.url, &offer.sha256) else {
        return Outcome::failed(
            InstallState::Failed,
            "download_failed",
            "no package to download",
        );
    };
    step(InstallState::Downloading);
    let cache = dir.join("packages");
    if let Err(e) = std::fs::create_dir_all(&cache) {
        return Outcome::failed(InstallState::Failed, "disk_full", e.to_string());
    }
    let file = cache.join(format!("{sha}.deb"));
    let max = offer.size.min(settings.max_download).max(1);
    match client
        .download(credential.0, credential.1, url, &file, max)
        .await
    {
        Ok(got) if got.eq_ignore_ascii_case(sha) => {}
        Ok(got) => {
            let _ = std::fs::remove_file(&file);
            return Outcome::failed(
                InstallState::Failed,
                "checksum_mismatch",
                format!("expected SHA-256 {sha}, got {got}"),
            );
        }
        Err(e) => {
            let _ = std::fs::remove_file(&file);
            return Outcome::failed(InstallState::Failed, "download_failed", e.to_string());
        }
    }
    step(InstallState::Installing);
    let mut cmd = settings.dpkg();
    cmd.arg("--install").arg(&file);
    let outcome = run(cmd, settings.timeout, InstallState::Installed).await;
    let _ = std::fs::remove_file(&file);
    outcome
}

/// Whether a job ended for good (no attempt waits).
fn settled(job: &Job, settings: &AppSettings) -> bool {
    match InstallState::parse(&job.state) {
        Some(InstallState::Failed) => job.attempt >= settings.max_attempts,
        Some(s) => !s.in_progress() && s != InstallState::Available,
        None => false,
    }
}

/// The next offer to work on now: a required or uninstall offer (or one a person asked for)
/// with no job of its generation, or a failed one whose next attempt is due.
pub fn next_due(apps: &Apps, settings: &AppSettings, now_ms: i64) -> Option<AppOffer> {
    apps.offers
        .iter()
        .find(|o| {
            let job = apps.jobs.get(&o.assignment_id);
            let wanted = o.intent != "available" || job.is_some_and(|j| j.requested);
            match job {
                _ if !wanted => false,
                None => true,
                Some(j) if j.generation < o.generation => true,
                Some(j) if j.generation > o.generation => false,
                Some(j) => !settled(j, settings) && j.next_try_ms <= now_ms,
            }
        })
        .cloned()
}

/// Records one step of an offer's job (and marks it for the next report).
pub fn record(dir: &Path, offer: &AppOffer, f: impl FnOnce(&mut Job)) -> std::io::Result<()> {
    with_apps(dir, |apps| {
        let job = apps.jobs.entry(offer.assignment_id.clone()).or_default();
        if job.generation != offer.generation {
            let requested = job.requested;
            *job = Job {
                generation: offer.generation,
                requested,
                ..Job::default()
            };
        }
        f(job);
        job.unreported = true;
    })
}

/// Works on one offer: its attempt counter, its steps, its outcome and (after a failure)
/// when to try again.
pub async fn work(
    offer: &AppOffer,
    settings: &AppSettings,
    dir: &Path,
    client: &crate::Client,
    credential: (&str, &str),
    notify: &(dyn Fn() + Sync),
) -> std::io::Result<Outcome> {
    record(dir, offer, |j| {
        j.attempt += 1;
        j.state = InstallState::Pending.as_str().into();
        j.error_code = None;
        j.message = None;
    })?;
    let step = |s: InstallState| {
        if record(dir, offer, |j| j.state = s.as_str().into()).is_ok() {
            notify();
        }
    };
    let outcome = carry_out(offer, settings, dir, client, credential, &step).await;
    let now = steward_core::time::now_ms();
    record(dir, offer, |j| {
        j.state = outcome.state.as_str().into();
        j.error_code = outcome.code.clone();
        j.message = outcome.message.clone();
        if outcome.state == InstallState::Failed {
            let wait = settings.retry_after * 2u32.saturating_pow(j.attempt.saturating_sub(1));
            j.next_try_ms = now + wait.as_millis() as i64;
        }
    })?;
    notify();
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: &str, attempt: u32) -> Job {
        Job {
            generation: 1,
            state: state.into(),
            attempt,
            unreported: true,
            ..Job::default()
        }
    }

    #[test]
    fn steps_stay_unreported_until_marked_and_a_newer_step_survives_the_mark() {
        let dir = tempfile::tempdir().expect("dir");
        with_apps(dir.path(), |apps| {
            apps.jobs.insert("a".into(), job("downloading", 1));
            apps.jobs.insert("b".into(), job("failed", 1));
        })
        .expect("write");
        let first = pending_reports(dir.path()).expect("read");
        assert_eq!(first.len(), 2);
        // Taken but not marked (a stop before the snapshot was queued): offered again.
        assert_eq!(pending_reports(dir.path()).expect("read"), first);
        // Job "a" moves on after the peek; marking what was sent leaves its new step.
        with_apps(dir.path(), |apps| {
            apps.jobs.insert("a".into(), job("installed", 1));
        })
        .expect("write");
        mark_reported(dir.path(), &first).expect("mark");
        let left = pending_reports(dir.path()).expect("read");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].assignment_id.as_deref(), Some("a"));
        assert_eq!(left[0].state, "installed");
        mark_reported(dir.path(), &left).expect("mark");
        assert!(pending_reports(dir.path()).expect("read").is_empty());
    }
}
