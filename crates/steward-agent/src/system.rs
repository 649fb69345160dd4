//! System collectors: disks and free space, boot time, logged-in users and pending OS updates.
//! Each reports a value or `{"unknown": reason}`, never a guess. Values that move all the
//! time are coarsened (free space in whole percent, the boot time instead of the uptime) so
//! the inventory only changes when something real did.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

/// `{"unknown": reason}`.
pub fn unknown(reason: impl Into<String>) -> Value {
    json!({ "unknown": reason.into() })
}

/// Filesystems that hold data (not /proc, tmpfs, overlays of container images …).
const DISK_FS: &[&str] = &[
    "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "vfat", "exfat", "ntfs", "ntfs3", "jfs",
    "reiserfs", "bcachefs",
];

/// Mounted data filesystems with their size and free space (percent available to users).
pub fn disks() -> Value {
    let mounts = match std::fs::read_to_string("/proc/self/mounts") {
        Ok(m) => m,
        Err(e) => return unknown(format!("/proc/self/mounts: {e}")),
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [device, mount, fs, ..] = f[..] else {
            continue;
        };
        if !DISK_FS.contains(&fs) || !seen.insert(device.to_string()) {
            continue;
        }
        let mount = mount.replace("\\040", " ");
        match rustix::fs::statvfs(Path::new(&mount)) {
            Ok(s) => {
                let size = s.f_blocks.saturating_mul(s.f_frsize);
                let free = s.f_bavail.saturating_mul(s.f_frsize);
                let pct = (free * 100).checked_div(size).unwrap_or(0);
                out.push(
                    json!({"mount": mount, "fs": fs, "size_bytes": size, "free_percent": pct}),
                );
            }
            Err(e) => out.push(json!({"mount": mount, "fs": fs, "unknown": e.to_string()})),
        }
    }
    out.sort_by(|a, b| a["mount"].as_str().cmp(&b["mount"].as_str()));
    Value::Array(out)
}

/// When the system booted (RFC 3339, from `btime` in /proc/stat); the uptime follows from it.
pub fn boot_time() -> Value {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map(|secs| json!(steward_core::time::to_rfc3339(secs * 1000)))
        .unwrap_or_else(|| unknown("no btime in /proc/stat"))
}

/// Size of one `struct utmp` record on Linux (glibc, 64-bit and 32-bit alike).
const UTMP_RECORD: usize = 384;
const USER_PROCESS: i16 = 7;

/// Users with a login session, from the utmp records (sorted, without repeats).
pub fn logged_in_users() -> Value {
    for path in ["/run/utmp", "/var/run/utmp"] {
        if let Ok(bytes) = std::fs::read(path) {
            return json!(parse_utmp(&bytes));
        }
    }
    unknown("no login records: /run/utmp is missing")
}

fn parse_utmp(bytes: &[u8]) -> Vec<String> {
    let mut users: Vec<String> = bytes
        .chunks_exact(UTMP_RECORD)
        .filter(|r| i16::from_ne_bytes([r[0], r[1]]) == USER_PROCESS)
        .filter_map(|r| {
            let name = &r[44..76];
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            let s = String::from_utf8_lossy(&name[..end]).trim().to_string();
            (!s.is_empty()).then_some(s)
        })
        .collect();
    users.sort();
    users.dedup();
    users
}

/// Modification times of the package lists and of dpkg's status: the answer about pending
/// updates can only change when one of them does (`apt update`, an install).
fn package_state() -> Value {
    let mtime = |p: &str| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64)
    };
    json!([mtime("/var/lib/apt/lists"), mtime("/var/lib/dpkg/status")])
}

/// Upgrades apt would install now: how many, how many from a security archive, and when the
/// package lists were last refreshed. Runs `apt-get -s upgrade` (a simulation: no root, no
/// lock), which costs about a second of CPU, so `state_dir` keeps the answer until the package
/// lists or the installed packages change, or `max_age_secs` pass.
pub fn pending_updates(state_dir: &Path, max_age_secs: u64, now_ms: i64) -> Value {
    let cache = state_dir.join("updates.json");
    let packages = package_state();
    if let Ok(bytes) = std::fs::read(&cache) {
        if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
            let at = v["checked_at_ms"].as_i64().unwrap_or(0);
            if (now_ms - at) >= 0
                && ((now_ms - at) as u64) < max_age_secs * 1000
                && v["packages"] == packages
            {
                return v["result"].clone();
            }
        }
    }
    let result = simulate_upgrade();
    let _ = std::fs::create_dir_all(state_dir);
    let _ = std::fs::write(
        &cache,
        json!({"checked_at_ms": now_ms, "packages": packages, "result": result}).to_string(),
    );
    result
}

fn simulate_upgrade() -> Value {
    let output = Command::new("apt-get")
        .args([
            "-s",
            "-o",
            "Debug::NoLocking=1",
            "-o",
            "APT::Get::Show-User-Simulation-Note=false",
            "upgrade",
        ])
        .env("LC_ALL", "C")
        .output();
    let out = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            return unknown(format!(
                "apt-get -s upgrade failed: {}",
                err.lines().next().unwrap_or("")
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return unknown("apt-get is not installed (not a Debian-based system)")
        }
        Err(e) => return unknown(format!("apt-get: {e}")),
    };
    let mut v = parse_simulation(&String::from_utf8_lossy(&out.stdout));
    let lists = std::fs::metadata("/var/lib/apt/lists")
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| steward_core::time::to_rfc3339(d.as_millis() as i64));
    v["lists_updated_at"] = json!(lists);
    v
}

/// Counts the `Inst` lines of a simulated upgrade, and those from a security archive.
fn parse_simulation(text: &str) -> Value {
    let inst: Vec<&str> = text.lines().filter(|l| l.starts_with("Inst ")).collect();
    let security = inst.iter().filter(|l| l.contains("-security")).count();
    let mut names: Vec<&str> = inst
        .iter()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    names.sort_unstable();
    names.truncate(50);
    json!({"source": "apt", "count": inst.len(), "security": security, "packages": names})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utmp_records_of_user_processes_name_the_users() {
        let record = |kind: i16, user: &str| {
            let mut r = vec![0u8; UTMP_RECORD];
            r[..2].copy_from_slice(&kind.to_ne_bytes());
            r[44..44 + user.len()].copy_from_slice(user.as_bytes());
            r
        };
        let mut bytes = record(2, "reboot"); // BOOT_TIME
        bytes.extend(record(USER_PROCESS, "alice"));
        bytes.extend(record(USER_PROCESS, "bob"));
        bytes.extend(record(USER_PROCESS, "alice"));
        bytes.extend(record(8, "carol")); // DEAD_PROCESS
        assert_eq!(parse_utmp(&bytes), ["alice", "bob"]);
    }

    #[test]
    fn a_simulated_upgrade_is_counted() {
        let text = "Reading package lists...\n\
            Inst libssl3 [3.0.15-1] (3.0.17-1~deb12u2 Debian-Security:12/stable-security [amd64])\n\
            Inst tzdata [2024a-0] (2025b-0+deb12u1 Debian:12.11/stable [all])\n\
            Conf libssl3 (3.0.17-1~deb12u2 Debian-Security:12/stable-security [amd64])\n";
        let v = parse_simulation(text);
        assert_eq!(v["count"], 2);
        assert_eq!(v["security"], 1);
        assert_eq!(v["packages"], json!(["libssl3", "tzdata"]));
        assert_eq!(
            parse_simulation("0 upgraded, 0 newly installed.\n")["count"],
            0
        );
    }

    #[test]
    fn disks_and_boot_time_are_read() {
        let disks = disks();
        let list = disks.as_array().expect("a list");
        for d in list {
            let pct = d["free_percent"].as_u64().expect("percent");
            assert!(pct <= 100, "{d}");
            assert!(d["size_bytes"].as_u64().unwrap_or(0) > 0, "{d}");
        }
        let boot = boot_time();
        let at =
            steward_core::time::parse_rfc3339(boot.as_str().expect("a time")).expect("rfc3339");
        assert!(at < steward_core::time::now_ms());
    }

    #[test]
    fn pending_updates_are_cached() {
        let dir = tempfile::tempdir().expect("dir");
        let first = pending_updates(dir.path(), 3600, 1_000);
        assert!(
            first.get("count").is_some() || first.get("unknown").is_some(),
            "{first}"
        );
        std::fs::write(
            dir.path().join("updates.json"),
            json!({"checked_at_ms": 1_000, "packages": package_state(), "result": {"source": "apt", "count": 7}})
                .to_string(),
        )
        .expect("write");
        assert_eq!(pending_updates(dir.path(), 3600, 2_000)["count"], 7);
        // Package lists refreshed since: asked again.
        std::fs::write(
            dir.path().join("updates.json"),
            json!({"checked_at_ms": 1_000, "packages": [1, 2], "result": {"source": "apt", "count": 7}})
                .to_string(),
        )
        .expect("write");
        pending_updates(dir.path(), 3600, 2_000);
        let cached: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("updates.json")).expect("read"))
                .expect("json");
        assert_eq!(
            (cached["checked_at_ms"].clone(), cached["packages"].clone()),
            (json!(2_000), package_state()),
            "a changed package state is not answered from the cache"
        );
        pending_updates(dir.path(), 3600, 2_000 + 3_600_001);
        let cached: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("updates.json")).expect("read"))
                .expect("json");
        assert_eq!(
            cached["checked_at_ms"],
            2_000 + 3_600_001,
            "a stale answer is refreshed"
        );
    }
}
