//! Endpoint protection from ClamAV: engine and signatures, whether the daemon and on-access
//! scanning run, and the agent's own scans (`steward-agent scan`) with what they found.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use steward_core::time::{now_ms, to_rfc3339};
use steward_proto::{Detection, DetectionAction, ProtectionStatus, ThreatState};

/// Scan records kept in the state directory.
const KEPT_SCANS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanKind {
    Quick,
    Full,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRecord {
    pub at_ms: i64,
    pub kind: ScanKind,
    pub paths: Vec<String>,
    pub detections: Vec<Detection>,
}

/// Where ClamAV keeps its signature databases, unless told otherwise.
pub const DEFAULT_DB_DIR: &str = "/var/lib/clamav";

/// The version of a `clamscan --version` line: "ClamAV 1.4.6/27400/…" → "1.4.6".
pub fn parse_engine_version(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("ClamAV ")?;
    rest.split('/').next().map(str::to_string)
}

/// Detections in `clamscan` output: lines "PATH: THREAT FOUND".
pub fn parse_found(output: &str, at_ms: i64) -> Vec<Detection> {
    output
        .lines()
        .filter_map(|l| l.strip_suffix(" FOUND"))
        .filter_map(|l| l.rsplit_once(": "))
        .map(|(path, threat)| Detection {
            threat_name: threat.to_string(),
            path: path.to_string(),
            severity: String::new(),
            action: DetectionAction::LeftInPlace,
            detected_at: to_rfc3339(at_ms),
        })
        .collect()
}

fn clamscan() -> Option<&'static str> {
    ["/usr/bin/clamscan", "/usr/local/bin/clamscan"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// Whether a process named `name` runs (from /proc/*/comm).
pub fn process_running(name: &str) -> bool {
    fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == name))
        })
        .unwrap_or(false)
}

/// Signature version and publication time. Official databases (.cvd/.cld) carry both in
/// their header; local ones are dated by their files.
pub fn signatures(db_dir: &Path) -> (Option<String>, Option<i64>) {
    let Ok(entries) = fs::read_dir(db_dir) else {
        return (None, None);
    };
    let files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| {
                [
                    "cvd", "cld", "hdb", "hsb", "ndb", "ldb", "mdb", "msb", "cdb", "ign2", "fp",
                ]
                .contains(&x.to_string_lossy().as_ref())
            })
        })
        .collect();
    if files.is_empty() {
        return (None, None);
    }
    for f in &files {
        if f.file_stem().is_some_and(|s| s == "daily") {
            if let Ok(out) = Command::new("sigtool").arg("--info").arg(f).output() {
                let text = String::from_utf8_lossy(&out.stdout);
                let field = |k: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()))
                };
                let version = field("Version:");
                let built = field("Build time:").and_then(|t| {
                    chrono::DateTime::parse_from_str(&t, "%d %b %Y %H:%M %z")
                        .ok()
                        .map(|d| d.timestamp_millis())
                });
                if version.is_some() {
                    return (version.map(|v| format!("daily {v}")), built);
                }
            }
        }
    }
    let newest = files
        .iter()
        .filter_map(|f| fs::metadata(f).ok()?.modified().ok())
        .max()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64);
    (Some(format!("local ({} files)", files.len())), newest)
}

fn scans_file(state_dir: &Path) -> PathBuf {
    state_dir.join("scans.json")
}

pub fn load_scans(state_dir: &Path) -> Vec<ScanRecord> {
    fs::read(scans_file(state_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_scan(state_dir: &Path, record: ScanRecord) -> std::io::Result<()> {
    let mut scans = load_scans(state_dir);
    scans.push(record);
    let drop = scans.len().saturating_sub(KEPT_SCANS);
    scans.drain(..drop);
    fs::create_dir_all(state_dir)?;
    let tmp = state_dir.join("scans.json.tmp");
    fs::write(&tmp, serde_json::to_vec(&scans)?)?;
    fs::File::open(&tmp)?.sync_all()?;
    fs::rename(tmp, scans_file(state_dir))
}

/// Scans `paths` with clamscan (with `db_dir`'s signatures) and records the result.
pub fn scan(
    kind: ScanKind,
    paths: &[String],
    db_dir: &Path,
    state_dir: &Path,
) -> anyhow::Result<ScanRecord> {
    let bin = clamscan().ok_or_else(|| anyhow::anyhow!("clamscan is not installed"))?;
    let out = Command::new(bin)
        .args(["--recursive", "--infected", "--no-summary", "--database"])
        .arg(db_dir)
        .args(paths)
        .output()?;
    // clamscan: 0 clean, 1 found, anything else an error.
    if !matches!(out.status.code(), Some(0 | 1)) {
        anyhow::bail!(
            "clamscan failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let at = now_ms();
    let record = ScanRecord {
        at_ms: at,
        kind,
        paths: paths.to_vec(),
        detections: parse_found(&String::from_utf8_lossy(&out.stdout), at),
    };
    save_scan(state_dir, record.clone())?;
    Ok(record)
}

/// Where clamd listens and logs, from its configuration (or Debian's defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clamd {
    pub socket: PathBuf,
    pub log: PathBuf,
}

impl Clamd {
    /// From `clamd.conf`'s `LocalSocket` and `LogFile`, each overridable.
    pub fn locate(conf: &Path, socket: Option<PathBuf>, log: Option<PathBuf>) -> Clamd {
        let text = fs::read_to_string(conf).unwrap_or_default();
        let setting = |key: &str| {
            text.lines().find_map(|l| {
                let mut it = l.split_whitespace();
                (it.next() == Some(key)).then(|| it.next().map(PathBuf::from))?
            })
        };
        Clamd {
            socket: socket
                .or_else(|| setting("LocalSocket"))
                .unwrap_or_else(|| PathBuf::from("/var/run/clamav/clamd.ctl")),
            log: log
                .or_else(|| setting("LogFile"))
                .unwrap_or_else(|| PathBuf::from("/var/log/clamav/clamav.log")),
        }
    }

    /// Sends one command (`PING`, `VERSION`, `STATS`) on clamd's socket and reads the answer.
    pub fn ask(&self, command: &str) -> Option<String> {
        use std::io::{Read, Write};
        let mut s = std::os::unix::net::UnixStream::connect(&self.socket).ok()?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .ok()?;
        s.set_write_timeout(Some(std::time::Duration::from_secs(2)))
            .ok()?;
        s.write_all(format!("z{command}\0").as_bytes()).ok()?;
        let mut out = Vec::new();
        s.take(64 * 1024).read_to_end(&mut out).ok()?;
        let text = String::from_utf8_lossy(&out);
        Some(text.trim_end_matches(['\0', '\n']).to_string())
    }
}

/// What clamd says of itself: alive, its engine and loaded signatures, its pool state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClamdState {
    pub running: bool,
    pub engine_version: Option<String>,
    pub signature_version: Option<String>,
    /// `STATE:` of `STATS` (`VALID PRIMARY` when it scans).
    pub state: Option<String>,
    pub queue: Option<u64>,
}

/// Reads clamd's state through its socket.
pub fn clamd_state(clamd: &Clamd) -> ClamdState {
    if clamd.ask("PING").as_deref() != Some("PONG") {
        return ClamdState::default();
    }
    // "ClamAV 1.4.3/27400/Wed Nov 19 09:30:00 2026"
    let version = clamd.ask("VERSION").unwrap_or_default();
    let mut parts = version.trim().trim_start_matches("ClamAV ").split('/');
    let engine_version = parts.next().filter(|v| !v.is_empty()).map(str::to_string);
    let signature_version = parts.next().map(str::to_string);
    let stats = clamd.ask("STATS").unwrap_or_default();
    let field = |key: &str| {
        stats
            .lines()
            .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
    };
    ClamdState {
        running: true,
        engine_version,
        signature_version,
        state: field("STATE:"),
        queue: field("QUEUE:").and_then(|q| q.split_whitespace().next()?.parse().ok()),
    }
}

/// Detections clamd (or on-access scanning through it) made, kept in the state directory.
const KEPT_EVENTS: usize = 100;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ClamdLog {
    /// Where the last read of the log stopped, and the file it was (inode).
    offset: u64,
    inode: u64,
    detections: Vec<Detection>,
}

fn clamd_file(state_dir: &Path) -> PathBuf {
    state_dir.join("clamd.json")
}

fn load_clamd(state_dir: &Path) -> ClamdLog {
    fs::read(clamd_file(state_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes)?;
    fs::File::open(&tmp)?.sync_all()?;
    fs::rename(tmp, path)
}

fn save_clamd(state_dir: &Path, log: &ClamdLog) -> std::io::Result<()> {
    fs::create_dir_all(state_dir)?;
    write_atomically(&clamd_file(state_dir), &serde_json::to_vec(log)?)
}

/// Detections in clamd's log lines ("Tue Dec  1 03:00:00 2026 -> /path: Name FOUND").
pub fn parse_clamd_log(text: &str, at_ms: i64) -> Vec<Detection> {
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            l.rsplit_once(" -> ")
                .map_or(l, |(_, rest)| rest)
                .to_string()
        })
        .collect();
    parse_found(&lines.join("\n"), at_ms)
}

/// Reads what clamd logged since the last look; returns the new detections (and keeps
/// them). A log that was rotated or cut is read from its start.
pub fn poll_clamd_log(clamd: &Clamd, state_dir: &Path) -> Vec<Detection> {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::MetadataExt;
    let Ok(mut f) = fs::File::open(&clamd.log) else {
        return Vec::new();
    };
    let Ok(meta) = f.metadata() else {
        return Vec::new();
    };
    let mut log = load_clamd(state_dir);
    let first_look = log.inode == 0;
    if log.inode != meta.ino() || meta.len() < log.offset {
        log.offset = 0;
        log.inode = meta.ino();
    }
    if first_look {
        // What was logged before the agent looked is history, not news.
        log.offset = meta.len();
        let _ = save_clamd(state_dir, &log);
        return Vec::new();
    }
    if meta.len() == log.offset || f.seek(SeekFrom::Start(log.offset)).is_err() {
        return Vec::new();
    }
    let mut text = Vec::new();
    if f.take(4 * 1024 * 1024).read_to_end(&mut text).is_err() {
        return Vec::new();
    }
    // Up to the last whole line; the rest is read next time.
    let whole = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    log.offset += whole as u64;
    let found = parse_clamd_log(&String::from_utf8_lossy(&text[..whole]), now_ms());
    log.detections.extend(found.iter().cloned());
    let drop = log.detections.len().saturating_sub(KEPT_EVENTS);
    log.detections.drain(..drop);
    let _ = save_clamd(state_dir, &log);
    found
}

/// Where quarantined files go: the state directory's `quarantine/`, readable by root only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Quarantined {
    pub original: String,
    pub stored: String,
    pub threat: String,
    pub at: String,
}

fn quarantine_file(state_dir: &Path) -> PathBuf {
    state_dir.join("quarantine.json")
}

pub fn load_quarantine(state_dir: &Path) -> Vec<Quarantined> {
    fs::read(quarantine_file(state_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Moves the files of active detections (of `threat`, or at `path`) into quarantine and
/// marks their detections; returns what moved. A file already gone counts as removed.
pub fn quarantine(
    state_dir: &Path,
    threat: Option<&str>,
    path: Option<&str>,
) -> anyhow::Result<Vec<Quarantined>> {
    use std::os::unix::fs::PermissionsExt;
    let wanted = |d: &Detection| {
        d.action == DetectionAction::LeftInPlace
            && threat.is_none_or(|t| d.threat_name == t)
            && path.is_none_or(|p| d.path == p)
    };
    let dir = state_dir.join("quarantine");
    fs::create_dir_all(&dir)?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    let mut moved = load_quarantine(state_dir);
    let before = moved.len();
    let mut scans = load_scans(state_dir);
    let mut log = load_clamd(state_dir);
    let mut handled: Vec<(String, DetectionAction)> = Vec::new();
    let all = scans
        .iter()
        .flat_map(|s| s.detections.iter())
        .chain(log.detections.iter())
        .filter(|d| wanted(d))
        .cloned()
        .collect::<Vec<_>>();
    for d in all {
        if handled.iter().any(|(p, _)| *p == d.path) {
            continue;
        }
        let src = Path::new(&d.path);
        if !src.exists() {
            handled.push((d.path.clone(), DetectionAction::Removed));
            continue;
        }
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stored = dir.join(format!("{}-{name}", now_ms()));
        if fs::rename(src, &stored).is_err() {
            // Another file system: copy, then remove the original.
            fs::copy(src, &stored)?;
            fs::remove_file(src)?;
        }
        fs::set_permissions(&stored, fs::Permissions::from_mode(0o400))?;
        moved.push(Quarantined {
            original: d.path.clone(),
            stored: stored.display().to_string(),
            threat: d.threat_name.clone(),
            at: to_rfc3339(now_ms()),
        });
        handled.push((d.path.clone(), DetectionAction::Quarantined));
    }
    let mark = |d: &mut Detection| {
        if let Some((_, a)) = handled.iter().find(|(p, _)| *p == d.path) {
            if d.action == DetectionAction::LeftInPlace {
                d.action = *a;
            }
        }
    };
    scans
        .iter_mut()
        .flat_map(|s| s.detections.iter_mut())
        .for_each(mark);
    log.detections.iter_mut().for_each(mark);
    write_atomically(&scans_file(state_dir), &serde_json::to_vec(&scans)?)?;
    save_clamd(state_dir, &log)?;
    write_atomically(&quarantine_file(state_dir), &serde_json::to_vec(&moved)?)?;
    Ok(moved.split_off(before))
}

/// The protection status as ClamAV, clamd and the agent's scans show it. A fact that
/// cannot be known stays `None`. A detection is active while its file is where it was
/// found; quarantined, removed or vanished, it no longer is.
pub fn protection(db_dir: &Path, state_dir: &Path, clamd: &Clamd) -> ProtectionStatus {
    let daemon = clamd_state(clamd);
    let Some(bin) = clamscan().or(daemon.running.then_some("")) else {
        return ProtectionStatus::default();
    };
    let engine_version = daemon.engine_version.clone().or_else(|| {
        Command::new(bin)
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| parse_engine_version(&String::from_utf8_lossy(&o.stdout)))
    });
    let (signature_version, signatures_at) = signatures(db_dir);
    let scans = load_scans(state_dir);
    let last = |kind: ScanKind| {
        scans
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.at_ms)
            .max()
            .map(to_rfc3339)
    };
    let latest = scans.iter().max_by_key(|s| s.at_ms);
    let events = load_clamd(state_dir).detections;
    let mut detections: Vec<Detection> = latest
        .map(|s| s.detections.clone())
        .unwrap_or_default()
        .into_iter()
        .chain(events.iter().cloned())
        .map(|mut d| {
            if d.action == DetectionAction::LeftInPlace && !Path::new(&d.path).exists() {
                d.action = DetectionAction::Removed;
            }
            d
        })
        .collect();
    detections.dedup_by(|a, b| a.path == b.path && a.threat_name == b.threat_name);
    let drop = detections.len().saturating_sub(20);
    detections.drain(..drop);
    let known = latest.is_some() || !events.is_empty();
    let active = detections
        .iter()
        .any(|d| d.action == DetectionAction::LeftInPlace);
    ProtectionStatus {
        engine: Some("ClamAV".into()),
        engine_version,
        malware_protection: Some(signature_version.is_some() || daemon.signature_version.is_some()),
        // On-access scanning is clamonacc handing files to a clamd that answers.
        realtime_protection: Some(process_running("clamonacc") && daemon.running),
        tamper_protection: None,
        signature_version: signature_version.or(daemon.signature_version),
        signature_updated_at: signatures_at.map(to_rfc3339),
        last_quick_scan_at: last(ScanKind::Quick),
        last_full_scan_at: last(ScanKind::Full),
        reboot_pending: None,
        threat_state: known.then_some(if active {
            ThreatState::ActiveThreat
        } else {
            ThreatState::Clean
        }),
        detections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clamscan_output() {
        assert_eq!(
            parse_engine_version("ClamAV 1.4.6/27400/Wed Nov 19 09:30:00 2026").as_deref(),
            Some("1.4.6")
        );
        assert_eq!(
            parse_engine_version("ClamAV 1.0.7").as_deref(),
            Some("1.0.7")
        );
        assert_eq!(parse_engine_version("something else"), None);
        let found = parse_found(
            "/home/ana/eicar.com: Eicar-Signature FOUND\n/tmp/a b: c.d: Win.Test FOUND\n/ok: OK\n",
            0,
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path, "/home/ana/eicar.com");
        assert_eq!(found[0].threat_name, "Eicar-Signature");
        assert_eq!(found[1].path, "/tmp/a b: c.d");
        assert_eq!(found[1].action, DetectionAction::LeftInPlace);
    }

    #[test]
    fn clamd_log_lines_and_config_are_read() {
        let found = parse_clamd_log(
            "Tue Dec  1 03:00:00 2026 -> /tmp/x/eicar.com: Eicar-Signature FOUND\n\
             Tue Dec  1 03:00:01 2026 -> /tmp/ok: OK\n/srv/a: Win.Test.EICAR_HDB-1 FOUND\n",
            0,
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path, "/tmp/x/eicar.com");
        assert_eq!(found[1].threat_name, "Win.Test.EICAR_HDB-1");
        let dir = tempfile::tempdir().expect("dir");
        let conf = dir.path().join("clamd.conf");
        fs::write(&conf, "# c\nLocalSocket /tmp/c.sock\nLogFile /tmp/c.log\n").expect("conf");
        let c = Clamd::locate(&conf, None, None);
        assert_eq!(c.socket, PathBuf::from("/tmp/c.sock"));
        assert_eq!(c.log, PathBuf::from("/tmp/c.log"));
        // A log read for the first time is history; what comes after is news, once.
        let log = dir.path().join("c.log");
        fs::write(&log, "/old: Eicar FOUND\n").expect("log");
        let c = Clamd::locate(&conf, None, Some(log.clone()));
        assert!(poll_clamd_log(&c, dir.path()).is_empty());
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .expect("open");
        std::io::Write::write_all(&mut f, b"x -> /new: Eicar FOUND\n/half: Ei").expect("w");
        let new = poll_clamd_log(&c, dir.path());
        assert_eq!(new.len(), 1, "{new:?}");
        assert_eq!(new[0].path, "/new");
        assert!(poll_clamd_log(&c, dir.path()).is_empty());
    }

    #[test]
    fn quarantine_moves_the_file_and_the_threat_is_no_longer_active() {
        let dir = tempfile::tempdir().expect("dir");
        let bad = dir.path().join("bad.com");
        fs::write(&bad, "x").expect("file");
        let rec = ScanRecord {
            at_ms: 1,
            kind: ScanKind::Quick,
            paths: vec![],
            detections: parse_found(&format!("{}: Eicar FOUND\n", bad.display()), 1),
        };
        save_scan(dir.path(), rec).expect("save");
        let moved = quarantine(dir.path(), Some("Eicar"), None).expect("quarantine");
        assert_eq!(moved.len(), 1);
        assert!(!bad.exists());
        assert!(Path::new(&moved[0].stored).exists());
        assert_eq!(
            load_scans(dir.path())[0].detections[0].action,
            DetectionAction::Quarantined
        );
        assert!(quarantine(dir.path(), Some("Eicar"), None)
            .expect("again")
            .is_empty());
    }

    #[test]
    fn scan_records_are_kept_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..25 {
            let rec = ScanRecord {
                at_ms: i,
                kind: ScanKind::Quick,
                paths: vec![],
                detections: vec![],
            };
            save_scan(dir.path(), rec).expect("save");
        }
        let scans = load_scans(dir.path());
        assert_eq!(scans.len(), KEPT_SCANS);
        assert_eq!(scans[0].at_ms, 5);
    }
}
