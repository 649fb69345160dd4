//! Host firewall and root-filesystem encryption, as compliance facts. Each is a value with its
//! source, or "unknown" with the reason; never a guess.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Map, Value};

/// What a collector found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    Known { value: bool, source: String },
    Unknown { reason: String },
}

fn known(value: bool, source: &str) -> Reading {
    Reading::Known {
        value,
        source: source.to_string(),
    }
}

fn unknown(reason: &str) -> Reading {
    Reading::Unknown {
        reason: reason.to_string(),
    }
}

fn command_exists(name: &str) -> bool {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(name).exists())
}

/// Whether an nftables ruleset (`nft list ruleset`) filters incoming traffic.
pub fn nft_filters_input(ruleset: &str) -> bool {
    let mut in_input_chain = false;
    for line in ruleset.lines().map(str::trim) {
        if line.starts_with("chain ") {
            in_input_chain = false;
        }
        if line.contains("hook input") {
            in_input_chain = true;
            if line.contains("policy drop") {
                return true;
            }
        }
        if in_input_chain
            && (line.contains(" drop")
                || line.contains(" reject")
                || line.starts_with("drop")
                || line.starts_with("reject"))
        {
            return true;
        }
    }
    false
}

/// Whether `iptables -S INPUT` output filters incoming traffic.
pub fn iptables_filters_input(rules: &str) -> bool {
    rules.lines().any(|l| {
        let l = l.trim();
        l == "-P INPUT DROP"
            || (l.starts_with("-A INPUT") && (l.contains("-j DROP") || l.contains("-j REJECT")))
    })
}

fn run(cmd: &str, args: &[&str]) -> Result<String, String> {
    match Command::new(cmd).args(args).output() {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Host firewall: ufw's own setting, else the nftables or iptables rules for incoming traffic.
pub fn firewall(etc: &Path, proc_net: &Path) -> Reading {
    let ufw = fs::read_to_string(etc.join("ufw/ufw.conf")).unwrap_or_default();
    if ufw.lines().any(|l| l.trim() == "ENABLED=yes") {
        return known(true, "ufw");
    }
    let mut needs_root = false;
    if command_exists("nft") {
        match run("nft", &["list", "ruleset"]) {
            Ok(rules) if nft_filters_input(&rules) => return known(true, "nftables"),
            Ok(_) => {}
            Err(_) => needs_root = true,
        }
    }
    if command_exists("iptables") {
        match run("iptables", &["-S", "INPUT"]) {
            Ok(rules) if iptables_filters_input(&rules) => return known(true, "iptables"),
            Ok(_) => {}
            Err(_) => needs_root = true,
        }
    }
    if needs_root {
        return unknown("reading the firewall rules needs root");
    }
    let tables = fs::read_to_string(proc_net.join("ip_tables_names")).unwrap_or_default();
    if !tables.trim().is_empty() && !command_exists("iptables") && !command_exists("nft") {
        return unknown("iptables tables are loaded but no tool to read them is installed");
    }
    known(false, "no rules filter incoming traffic")
}

/// The device of the root filesystem in `/proc/mounts` text.
pub fn root_device(mounts: &str) -> Option<String> {
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?, f.next()?))
        })
        .filter(|(_, mount)| *mount == "/")
        .map(|(dev, _)| dev.to_string())
        .next_back()
}

/// Whether block device `name` (as in /sys/class/block) is dm-crypt or sits on dm-crypt.
fn on_dm_crypt(sys_block: &Path, name: &str, depth: u8) -> bool {
    if depth > 8 {
        return false;
    }
    let dir = sys_block.join(name);
    let uuid = fs::read_to_string(dir.join("dm/uuid")).unwrap_or_default();
    if uuid.starts_with("CRYPT-") {
        return true;
    }
    fs::read_dir(dir.join("slaves"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .any(|e| on_dm_crypt(sys_block, &e.file_name().to_string_lossy(), depth + 1))
        })
        .unwrap_or(false)
}

/// Root filesystem encryption: true when its block device is (or sits on) dm-crypt/LUKS.
pub fn disk_encryption(mounts: &str, sys_block: &Path) -> Reading {
    let Some(device) = root_device(mounts) else {
        return unknown("no root filesystem in /proc/mounts");
    };
    if !device.starts_with("/dev/") {
        return unknown(&format!(
            "the root filesystem is {device}, not a block device"
        ));
    }
    let resolved: PathBuf = fs::canonicalize(&device).unwrap_or_else(|_| PathBuf::from(&device));
    let name = resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !sys_block.join(&name).exists() {
        return unknown(&format!("{device} is not listed in /sys/class/block"));
    }
    let encrypted = on_dm_crypt(sys_block, &name, 0);
    known(
        encrypted,
        &format!(
            "{device} {}",
            if encrypted {
                "on dm-crypt"
            } else {
                "not on dm-crypt"
            }
        ),
    )
}

/// The compliance facts: `firewall_active` and `disk_encrypted` as booleans when known, with
/// `sources` saying how, and `unknown` giving the reason for those that are not.
pub fn compliance_facts() -> Map<String, Value> {
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    let readings = [
        (
            "firewall_active",
            firewall(Path::new("/etc"), Path::new("/proc/net")),
        ),
        (
            "disk_encrypted",
            disk_encryption(&mounts, Path::new("/sys/class/block")),
        ),
    ];
    let mut facts = Map::new();
    let mut sources = Map::new();
    let mut unknowns = Map::new();
    for (key, reading) in readings {
        match reading {
            Reading::Known { value, source } => {
                facts.insert(key.into(), json!(value));
                sources.insert(key.into(), json!(source));
            }
            Reading::Unknown { reason } => {
                unknowns.insert(key.into(), json!(reason));
            }
        }
    }
    facts.insert("sources".into(), Value::Object(sources));
    if !unknowns.is_empty() {
        facts.insert("unknown".into(), Value::Object(unknowns));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firewall_rules_are_read_for_incoming_traffic() {
        let nft = "table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n  }\n}";
        assert!(nft_filters_input(nft));
        let open = "table inet filter {\n  chain input {\n    type filter hook input priority 0; policy accept;\n  }\n  chain output {\n    drop\n  }\n}";
        assert!(
            !nft_filters_input(open),
            "a drop in another chain does not count"
        );
        assert!(iptables_filters_input("-P INPUT DROP\n"));
        assert!(iptables_filters_input(
            "-P INPUT ACCEPT\n-A INPUT -p tcp --dport 22 -j REJECT\n"
        ));
        assert!(!iptables_filters_input("-P INPUT ACCEPT\n"));
    }

    #[test]
    fn ufw_setting_counts() {
        let etc = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(etc.path().join("ufw")).expect("dir");
        std::fs::write(etc.path().join("ufw/ufw.conf"), "# ufw\nENABLED=yes\n").expect("write");
        assert_eq!(firewall(etc.path(), etc.path()), known(true, "ufw"));
    }

    #[test]
    fn dm_crypt_is_found_under_lvm() {
        let sys = tempfile::tempdir().expect("tempdir");
        let mk = |name: &str, uuid: &str, slaves: &[&str]| {
            let d = sys.path().join(name);
            std::fs::create_dir_all(d.join("dm")).expect("dir");
            std::fs::write(d.join("dm/uuid"), uuid).expect("uuid");
            std::fs::create_dir_all(d.join("slaves")).expect("slaves");
            for s in slaves {
                std::fs::create_dir_all(d.join("slaves").join(s)).expect("slave");
            }
        };
        mk("dm-1", "LVM-abc", &["dm-0"]);
        mk("dm-0", "CRYPT-LUKS2-123-sda3_crypt", &["sda3"]);
        std::fs::create_dir_all(sys.path().join("sda3")).expect("sda3");
        std::fs::create_dir_all(sys.path().join("vda")).expect("vda");
        let lvm_on_luks = "/dev/dm-1 / ext4 rw 0 0\n";
        assert!(matches!(
            disk_encryption(lvm_on_luks, sys.path()),
            Reading::Known { value: true, .. }
        ));
        let plain = "/dev/vda / ext4 rw 0 0\n";
        assert!(matches!(
            disk_encryption(plain, sys.path()),
            Reading::Known { value: false, .. }
        ));
        let overlay = "overlay / overlay rw 0 0\n";
        assert!(matches!(
            disk_encryption(overlay, sys.path()),
            Reading::Unknown { .. }
        ));
        assert_eq!(
            root_device("/dev/a / ext4\n/dev/b /home ext4\n/dev/c / ext4\n").as_deref(),
            Some("/dev/c")
        );
    }

    #[test]
    fn this_machine_reports_each_fact_or_why_not() {
        let facts = compliance_facts();
        for key in ["firewall_active", "disk_encrypted"] {
            let known = facts.get(key).is_some_and(Value::is_boolean);
            let reason = facts.get("unknown").and_then(|u| u.get(key)).is_some();
            assert!(known != reason, "{key}: {facts:?}");
        }
    }
}
