//! Basic OS facts read from the running Linux system. A value that cannot be read is left
//! empty rather than guessed.

use std::fs;

use serde_json::{json, Map, Value};
use steward_proto::OsFacts;

fn read_trim(path: &str) -> String {
    fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// `KEY=value` pairs of `/etc/os-release`.
fn os_release() -> Map<String, Value> {
    let text = fs::read_to_string("/etc/os-release")
        .or_else(|_| fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), Value::from(v.trim_matches('"'))))
        .collect()
}

pub fn os_facts() -> OsFacts {
    let rel = os_release();
    let get = |k: &str| rel.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    OsFacts {
        name: get("NAME"),
        version: get("VERSION_ID"),
        build: get("VERSION_CODENAME"),
        kernel: read_trim("/proc/sys/kernel/osrelease"),
        hostname: read_trim("/proc/sys/kernel/hostname"),
        arch: std::env::consts::ARCH.to_string(),
        locale: locale(),
    }
}

/// The system's locale: `LC_ALL` or `LANG` of the agent's environment, else the system
/// default (`/etc/default/locale`, `/etc/locale.conf`).
pub fn locale() -> String {
    for var in ["LC_ALL", "LANG"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() && v != "C" && v != "POSIX" {
                return v;
            }
        }
    }
    ["/etc/default/locale", "/etc/locale.conf"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|l| l.trim().strip_prefix("LANG="))
                .map(|v| v.trim_matches('"').to_string())
                .collect::<Vec<_>>()
        })
        .next()
        .unwrap_or_default()
}

/// A stable identifier of this machine: systemd's machine id.
pub fn hardware_id() -> String {
    let id = read_trim("/etc/machine-id");
    if id.is_empty() {
        read_trim("/var/lib/dbus/machine-id")
    } else {
        id
    }
}

fn meminfo_kib(key: &str) -> Option<u64> {
    fs::read_to_string("/proc/meminfo")
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Basic hardware inventory.
pub fn inventory() -> Map<String, Value> {
    let mut m = Map::new();
    let cpu_model = fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string());
    m.insert("cpu_model".into(), json!(cpu_model));
    m.insert(
        "cpu_count".into(),
        json!(std::thread::available_parallelism().map(|n| n.get()).ok()),
    );
    m.insert(
        "memory_bytes".into(),
        json!(meminfo_kib("MemTotal:").map(|k| k * 1024)),
    );
    let model = read_trim("/sys/class/dmi/id/product_name");
    m.insert("model".into(), json!((!model.is_empty()).then_some(model)));
    m.insert("os_release".into(), Value::Object(os_release()));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let f = os_facts();
        assert!(!f.kernel.is_empty(), "kernel release readable on Linux");
        assert!(!f.hostname.is_empty());
        let inv = inventory();
        assert!(inv["cpu_count"].as_u64().unwrap_or(0) >= 1);
    }
}
