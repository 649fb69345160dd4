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

/// The protection status as ClamAV and the agent's scans show it. A fact that cannot be
/// known stays `None`.
pub fn protection(db_dir: &Path, state_dir: &Path) -> ProtectionStatus {
    let Some(bin) = clamscan() else {
        return ProtectionStatus::default();
    };
    let engine_version = Command::new(bin)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| parse_engine_version(&String::from_utf8_lossy(&o.stdout)));
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
    ProtectionStatus {
        engine: Some("ClamAV".into()),
        engine_version,
        malware_protection: Some(signature_version.is_some()),
        // clamonacc does ClamAV's on-access (real-time) scanning.
        realtime_protection: Some(process_running("clamonacc")),
        tamper_protection: None,
        signature_version,
        signature_updated_at: signatures_at.map(to_rfc3339),
        last_quick_scan_at: last(ScanKind::Quick),
        last_full_scan_at: last(ScanKind::Full),
        reboot_pending: None,
        threat_state: latest.map(|s| {
            if s.detections.is_empty() {
                ThreatState::Clean
            } else {
                ThreatState::ActiveThreat
            }
        }),
        detections: latest.map(|s| s.detections.clone()).unwrap_or_default(),
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
