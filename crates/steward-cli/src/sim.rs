//! The fleet simulator: devices of every platform enrolling and checking in through the real
//! agent API, with the endpoint-protection troubles later features look for.
//! Deterministic for a given seed: the same seed gives the same fleet.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use steward_agent::Client;
use steward_proto::{
    inventory_hash, Action, ActionResult, AppInstall, CheckinRequest, Detection, DetectionAction,
    EnrollRequest, OsFacts, Platform, ProtectionStatus, ThreatState,
};
use tokio::sync::watch;

/// Share of devices per platform, in per mille.
const PLATFORM_MIX: [(Platform, u32); 5] = [
    (Platform::Windows, 560),
    (Platform::Macos, 170),
    (Platform::Linux, 70),
    (Platform::Ios, 110),
    (Platform::Android, 90),
];

/// OS versions per platform with weights (newer releases more common).
fn os_versions(p: Platform) -> &'static [(&'static str, &'static str, u32)] {
    match p {
        Platform::Windows => &[
            ("Windows 11", "10.0.26100", 45),
            ("Windows 11", "10.0.22631", 30),
            ("Windows 10", "10.0.19045", 25),
        ],
        Platform::Macos => &[
            ("macOS", "15.1", 50),
            ("macOS", "14.7", 35),
            ("macOS", "13.7", 15),
        ],
        Platform::Linux => &[
            ("Debian GNU/Linux", "12", 50),
            ("Ubuntu", "24.04", 35),
            ("Ubuntu", "22.04", 15),
        ],
        Platform::Ios => &[
            ("iOS", "18.1", 60),
            ("iOS", "17.7", 30),
            ("iOS", "16.7", 10),
        ],
        Platform::Android => &[
            ("Android", "15", 40),
            ("Android", "14", 40),
            ("Android", "13", 20),
        ],
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut r = rng.gen_range(0..total);
    for (item, w) in items {
        if r < *w {
            return *item;
        }
        r -= w;
    }
    items[0].0
}

/// What kind of trouble a simulated device has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    None,
    ActiveMalware,
    StaleSignatures,
    RealtimeOff,
    NoProtection,
}

/// One simulated device, fully determined by the seed and its index.
#[derive(Debug, Clone)]
pub struct SimDevice {
    pub index: u32,
    pub platform: Platform,
    pub os: OsFacts,
    pub serial: String,
    pub hardware_id: String,
    pub owner: String,
    pub model: String,
    pub offline: bool,
    /// Enrolls with a token that does not exist (a refused attempt the help desk can see).
    pub bad_token: bool,
    pub trouble: Trouble,
    /// Installed packages it reports (0: no software inventory).
    pub software: u32,
    /// The hash of that list, worked out once.
    pub software_digest: Option<String>,
}

impl SimDevice {
    /// Its installed packages: `n` packages most devices share, one in ten in a version of
    /// its own, and the apps it was given.
    pub fn software_list(&self) -> Vec<steward_proto::SoftwarePackage> {
        let mut list: Vec<steward_proto::SoftwarePackage> = (0..self.software)
            .map(|i| steward_proto::SoftwarePackage {
                name: format!("pkg-{i:03}"),
                version: if (i + self.index).is_multiple_of(10) {
                    format!("1.{}.{}", i % 7, self.index % 5)
                } else {
                    format!("1.{}.0", i % 7)
                },
                arch: "amd64".into(),
                source: "dpkg".into(),
            })
            .collect();
        if self.software > 0 {
            list.push(steward_proto::SoftwarePackage {
                name: "bench-vpn".into(),
                version: "7.2.1".into(),
                arch: "amd64".into(),
                source: "steward".into(),
            });
        }
        list
    }

    pub fn generate(seed: u64, index: u32) -> SimDevice {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (u64::from(index) << 20) ^ 0x5157);
        let platform = pick(&mut rng, &PLATFORM_MIX);
        let versions: Vec<((&str, &str), u32)> = os_versions(platform)
            .iter()
            .map(|(n, v, w)| ((*n, *v), *w))
            .collect();
        let (os_name, os_version) = pick(&mut rng, &versions);
        let prefix = match platform {
            Platform::Windows => "WIN",
            Platform::Macos => "MAC",
            Platform::Linux => "LNX",
            Platform::Ios => "IPH",
            Platform::Android => "AND",
        };
        let model = match platform {
            Platform::Windows => {
                ["Latitude 7440", "ThinkPad T14", "Surface Laptop 6"][rng.gen_range(0..3)]
            }
            Platform::Macos => ["MacBook Air M3", "MacBook Pro M3"][rng.gen_range(0..2)],
            Platform::Linux => ["ThinkPad X1 Carbon", "OptiPlex 7010"][rng.gen_range(0..2)],
            Platform::Ios => ["iPhone 15", "iPhone 14", "iPad Air"][rng.gen_range(0..3)],
            Platform::Android => ["Pixel 8", "Galaxy S24", "Galaxy A54"][rng.gen_range(0..3)],
        };
        let roll: u32 = rng.gen_range(0..1000);
        let trouble = match (platform, roll) {
            (Platform::Ios | Platform::Android, r) if r < 30 => Trouble::NoProtection,
            (_, r) if r < 20 => Trouble::ActiveMalware,
            (_, r) if r < 70 => Trouble::StaleSignatures,
            (_, r) if r < 100 => Trouble::RealtimeOff,
            (Platform::Linux, r) if r < 130 => Trouble::NoProtection,
            _ => Trouble::None,
        };
        let special: u32 = rng.gen_range(0..1000);
        let hostname = format!("{}-{:06}", prefix.to_ascii_lowercase(), index);
        SimDevice {
            index,
            platform,
            os: OsFacts {
                name: os_name.into(),
                version: os_version.into(),
                build: String::new(),
                kernel: String::new(),
                hostname,
                arch: if platform == Platform::Windows {
                    "x86_64"
                } else {
                    "aarch64"
                }
                .into(),
                // Every device of an owner has the owner's locale: half English, the rest
                // French, Swedish, German, Korean.
                locale: [
                    "en_US.UTF-8",
                    "en_US.UTF-8",
                    "en_GB.UTF-8",
                    "en_US.UTF-8",
                    "en_US.UTF-8",
                    "fr_FR.UTF-8",
                    "sv_SE.UTF-8",
                    "de_DE.UTF-8",
                    "ko_KR.UTF-8",
                    "fr_CA.UTF-8",
                ][(index * 7 / 10 % 10) as usize]
                    .into(),
            },
            serial: format!("{prefix}{:08X}", rng.gen::<u32>()),
            hardware_id: format!("sim-{seed:x}-{index}"),
            owner: format!("user{:05}@example.com", index * 7 / 10),
            model: model.into(),
            offline: special < 50,
            bad_token: false,
            trouble,
            software: 0,
            software_digest: None,
        }
    }

    pub fn enroll_request(&self, token: &str) -> EnrollRequest {
        EnrollRequest {
            token: if self.bad_token {
                format!("stwe_not-a-real-token-{}", self.index)
            } else {
                token.to_string()
            },
            hostname: self.os.hostname.clone(),
            platform: self.platform,
            os_version: self.os.version.clone(),
            hardware_id: self.hardware_id.clone(),
            serial: self.serial.clone(),
            owner: self.owner.clone(),
            model: self.model.clone(),
        }
    }

    pub fn inventory(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("model".into(), json!(self.model));
        m.insert("serial".into(), json!(self.serial));
        let (cpus, mem_gib, disk_gib) = match self.platform {
            Platform::Ios | Platform::Android => (6, 6, 128),
            _ => (8, 16, 512),
        };
        m.insert("cpu_count".into(), json!(cpus));
        m.insert("memory_bytes".into(), json!(mem_gib * (1u64 << 30)));
        m.insert(
            "disks".into(),
            json!([{"mount": "/", "size_bytes": disk_gib * (1u64 << 30), "free_bytes": disk_gib * (1u64 << 30) / 3}]),
        );
        m
    }

    /// The apps the device was given and how their installs went: one device in fifty has its
    /// first app failed with a code typical of its platform, a few others fail otherwise.
    pub fn app_installs(&self) -> Vec<AppInstall> {
        let apps: &[(&str, &str, &str)] = match self.platform {
            Platform::Windows => &[
                ("vpn-client", "VPN client", "7.2.1"),
                ("office", "Microsoft 365 Apps", "16.0.17928"),
                ("company-portal", "Company Portal", "11.2.1"),
            ],
            Platform::Macos => &[
                ("vpn-client", "VPN client", "7.2.1"),
                ("office", "Microsoft 365 Apps", "16.89"),
            ],
            Platform::Linux => &[("vpn-client", "VPN client", "7.2.1")],
            Platform::Ios => &[
                ("outlook", "Outlook", "4.2440"),
                ("authenticator", "Authenticator", "6.8.16"),
            ],
            Platform::Android => &[
                ("outlook", "Outlook", "4.2440"),
                ("authenticator", "Authenticator", "6.2410"),
            ],
        };
        let roll = (self.index.wrapping_mul(2_654_435_761) >> 7) % 100;
        let failure = if self.index.is_multiple_of(50) {
            Some((
                0,
                match self.platform {
                    Platform::Windows => "0x80070643",
                    Platform::Ios => "0x87d1313c",
                    Platform::Linux => "dependency_missing",
                    _ => "download_failed",
                },
            ))
        } else if roll < 3 {
            let code = ["0x80070652", "disk_full", "0x87d1041c"][(roll as usize) % 3];
            Some((apps.len() - 1, code))
        } else {
            None
        };
        apps.iter()
            .enumerate()
            .map(|(i, (id, name, version))| {
                let failed = failure
                    .filter(|(at, _)| *at == i)
                    .map(|(_, c)| c.to_string());
                AppInstall {
                    app_id: id.to_string(),
                    name: name.to_string(),
                    version: version.to_string(),
                    state: if failed.is_some() {
                        "failed"
                    } else {
                        "installed"
                    }
                    .into(),
                    error_code: failed,
                    ..AppInstall::default()
                }
            })
            .collect()
    }

    /// How this device's install of an assigned app goes: most succeed; about one in
    /// twenty-five fails with a code typical of its platform (fixed per device and
    /// assignment, so a run repeats); an uninstall removes.
    pub fn install_outcome(&self, offer: &steward_proto::AppOffer) -> Option<AppInstall> {
        if offer.intent == "available" {
            return None;
        }
        let roll = steward_core::apps::bucket(&offer.assignment_id, &self.index.to_string());
        let pick =
            steward_core::apps::bucket(&offer.assignment_id, &format!("{}-code", self.index));
        let codes: &[&str] = match self.platform {
            Platform::Windows => &["0x80070643", "0x80070652", "0x87d1041c"],
            Platform::Macos => &["download_failed", "disk_full"],
            Platform::Linux => &["script_failed", "package_manager_busy"],
            Platform::Ios => &["0x87d12906", "0x87d1313c"],
            Platform::Android => &["download_failed", "timeout"],
        };
        // A retry (a later generation) mostly succeeds.
        let fails = roll < if offer.generation > 0 { 1 } else { 4 };
        let (state, code) = if offer.intent == "uninstall" {
            ("removed", None)
        } else if fails {
            (
                "failed",
                Some(codes[pick as usize % codes.len()].to_string()),
            )
        } else {
            ("installed", None)
        };
        Some(AppInstall {
            app_id: offer.app_id.clone(),
            name: offer.name.clone(),
            version: offer.version.clone(),
            state: state.into(),
            error_code: code,
            assignment_id: Some(offer.assignment_id.clone()),
            generation: offer.generation,
            attempt: 1,
            message: None,
        })
    }

    /// A device action or script, as the simulated platform would carry it out. Scripts
    /// are not run: a device's index decides what its detection finds (seven in ten
    /// without the issue, the rest with it) and whether the fix works (one in ten of
    /// those fails every time), so fleet-wide figures have every state.
    pub fn act(&self, a: &Action) -> Option<ActionResult> {
        use steward_proto::remediation::{RemediateParams, ScriptReport, StepResult};
        let step = |exit: i32, output: &str| {
            Some(StepResult {
                exit_code: Some(exit),
                output: output.to_string(),
                error: None,
                duration_ms: 40,
            })
        };
        let result = |ok: bool, code: &str, script: Option<ScriptReport>| ActionResult {
            action_id: a.id.clone(),
            ok,
            code: Some(code.into()),
            message: None,
            script,
        };
        Some(match a.kind.as_str() {
            "remediate" => {
                let p: RemediateParams = serde_json::from_value(a.params.clone()).ok()?;
                if !p.detect.shell.runs_on(self.platform) {
                    let r = ScriptReport {
                        detect: Some(StepResult {
                            error: Some("not_supported".into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    };
                    return Some(result(false, "not_supported", Some(r)));
                }
                let report = match self.index % 10 {
                    0..=6 => ScriptReport {
                        detect: step(0, "compliant"),
                        fix: None,
                        after: None,
                    },
                    7 | 8 => ScriptReport {
                        detect: step(1, "issue found"),
                        fix: step(0, "fixed"),
                        after: step(0, "compliant"),
                    },
                    _ => ScriptReport {
                        detect: step(1, "issue found"),
                        fix: step(5, "access denied"),
                        after: None,
                    },
                };
                result(true, "exit_0", Some(report))
            }
            "run_script" => result(
                true,
                "exit_0",
                Some(ScriptReport {
                    fix: step(0, "done"),
                    ..Default::default()
                }),
            ),
            "restart" => result(true, "restart_scheduled", None),
            "logoff" => result(true, "logged_off", None),
            "collect_diagnostics" => result(false, "not_supported", None),
            "quarantine" => result(true, "quarantined", None),
            // Phones and managed laptops of the simulated platforms lock and wipe.
            "lock" => result(true, "locked", None),
            "wipe" => result(true, "wiped", None),
            _ => return None,
        })
    }

    /// What the device answers to the help desk's requests (`sync`, `full_scan`,
    /// `update_definitions`); other actions it leaves alone.
    pub fn answer(&self, actions: &[Action], revision: u64) -> Vec<ActionResult> {
        actions
            .iter()
            .filter_map(|a| {
                if let Some(r) = self.act(a) {
                    return Some(r);
                }
                let (code, message) = match a.kind.as_str() {
                    "sync" => ("checked_in", None),
                    "apps" => ("apps_refreshed", None),
                    "full_scan" if self.trouble == Trouble::ActiveMalware => {
                        ("threats_found", Some("1".to_string()))
                    }
                    "full_scan" => ("scan_clean", None),
                    "update_definitions" if self.trouble == Trouble::NoProtection => {
                        return Some(ActionResult {
                            action_id: a.id.clone(),
                            ok: false,
                            code: Some("no_engine".into()),
                            message: None,
                            script: None,
                        })
                    }
                    "update_definitions" => (
                        "definitions_updated",
                        Some(format!("1.419.{}", 401 + revision)),
                    ),
                    _ => return None,
                };
                Some(ActionResult {
                    action_id: a.id.clone(),
                    ok: true,
                    code: Some(code.into()),
                    message,
                    script: None,
                })
            })
            .collect()
    }

    /// Protection status at simulated time `now_ms`; `revision` moves the signature version.
    pub fn protection(&self, now_ms: i64, revision: u64) -> Option<ProtectionStatus> {
        let day = 86_400_000i64;
        let at = |ms: i64| steward_core::time::to_rfc3339(ms);
        // Each platform's engine, its version and a threat of its own kind where it would be.
        let (engine, version, threat, path) = match self.platform {
            Platform::Windows => (
                "Microsoft Defender Antivirus",
                "4.18.24090.11",
                "Trojan:Win32/Wacatac.B!ml",
                "C:\\Users\\Public\\Downloads\\invoice.exe",
            ),
            Platform::Macos => (
                "Microsoft Defender for Endpoint",
                "101.24092.0004",
                "Trojan:MacOS/Amos.B",
                "/Users/Shared/Downloads/Installer.dmg",
            ),
            Platform::Linux => (
                "ClamAV",
                "1.4.1",
                "Unix.Trojan.Mirai-7100807-0",
                "/home/user/Downloads/update.sh",
            ),
            Platform::Ios => (
                "Microsoft Defender for Endpoint",
                "1.1.56090",
                "Phish:iOS/FakeLogin.A",
                "com.example.flashlight",
            ),
            Platform::Android => (
                "Microsoft Defender for Endpoint",
                "1.0.7528.0101",
                "Trojan:AndroidOS/Joker.A",
                "/sdcard/Download/flashlight.apk",
            ),
        };
        if self.trouble == Trouble::NoProtection {
            return Some(ProtectionStatus::default());
        }
        let stale = self.trouble == Trouble::StaleSignatures;
        let sig_age = if stale { 21 * day } else { day / 2 };
        let mut p = ProtectionStatus {
            engine: Some(engine.into()),
            engine_version: Some(version.into()),
            malware_protection: Some(true),
            realtime_protection: Some(self.trouble != Trouble::RealtimeOff),
            tamper_protection: Some(self.platform == Platform::Windows),
            signature_version: Some(format!(
                "1.419.{}",
                if stale { 100 } else { 400 + revision }
            )),
            signature_updated_at: Some(at(now_ms - sig_age)),
            last_quick_scan_at: Some(at(now_ms - day)),
            last_full_scan_at: Some(at(now_ms - if stale { 30 * day } else { 6 * day })),
            reboot_pending: Some(false),
            threat_state: Some(ThreatState::Clean),
            detections: Vec::new(),
        };
        if self.trouble == Trouble::ActiveMalware {
            p.threat_state = Some(ThreatState::ActiveThreat);
            p.detections.push(Detection {
                threat_name: threat.into(),
                path: path.into(),
                severity: "high".into(),
                action: DetectionAction::LeftInPlace,
                detected_at: at(now_ms - day / 4),
            });
        }
        Some(p)
    }

    pub fn checkin(
        &self,
        seq: u64,
        now_ms: i64,
        revision: u64,
        with_inventory: bool,
    ) -> CheckinRequest {
        let inv = self.inventory();
        CheckinRequest {
            seq,
            os: self.os.clone(),
            inventory_hash: Some(inventory_hash(&inv)),
            inventory: with_inventory.then_some(inv),
            protection: self.protection(now_ms, revision),
            compliance: None,
            action_results: Vec::new(),
            app_installs: if with_inventory {
                self.app_installs()
            } else {
                Vec::new()
            },
            set_aside: Vec::new(),
            software_hash: self.software_digest.clone(),
            software: (self.software > 0 && with_inventory).then(|| self.software_list()),
        }
    }
}

/// Counters of a simulation run.
#[derive(Default)]
pub struct SimStats {
    pub enrolled: AtomicU64,
    pub refused: AtomicU64,
    pub checkins: AtomicU64,
    pub errors: AtomicU64,
}

pub struct SimOptions {
    pub server: String,
    pub enroll_token: String,
    pub devices: u32,
    pub interval_secs: u32,
    pub seed: u64,
    /// Concurrent enrollments.
    pub enroll_concurrency: usize,
}

/// An enrolled simulated device.
struct Live {
    dev: SimDevice,
    id: String,
    secret: String,
}

/// The refused enrollments a fleet of `devices` also produces: one in fifty with an unknown
/// token (by the owners of devices 0, 50, 100 …, whose first app install also failed: users
/// with both troubles for the help desk), one in two hundred re-enrolling hardware that is
/// already enrolled.
pub fn refused_attempts(seed: u64, devices: u32) -> Vec<SimDevice> {
    let unknown = (0..devices / 50).map(move |k| SimDevice {
        bad_token: true,
        owner: SimDevice::generate(seed, k * 50).owner,
        ..SimDevice::generate(seed, devices + k)
    });
    let duplicates = (0..devices / 200).map(|k| {
        let mut dev = SimDevice::generate(seed, k * 7 % devices.max(1));
        dev.os.hostname = format!("{}-reinstalled", dev.os.hostname);
        dev
    });
    unknown.chain(duplicates).collect()
}

/// Enrolls the fleet, then makes the refused attempts, and returns the enrolled devices.
async fn enroll_all(client: &Client, opts: &SimOptions, stats: &SimStats) -> Vec<Live> {
    use futures::stream::{self, StreamExt};
    let fleet = (0..opts.devices).map(|i| SimDevice::generate(opts.seed, i));
    let attempts: Vec<SimDevice> = fleet
        .chain(refused_attempts(opts.seed, opts.devices))
        .collect();
    let results: Vec<Option<Live>> = stream::iter(attempts)
        .map(|dev| {
            let client = client.clone();
            let token = opts.enroll_token.clone();
            async move {
                match client.enroll(&dev.enroll_request(&token)).await {
                    Ok(r) => {
                        stats.enrolled.fetch_add(1, Ordering::Relaxed);
                        Some(Live {
                            dev,
                            id: r.device_id,
                            secret: r.device_secret,
                        })
                    }
                    Err(e) if e.code().is_some() => {
                        stats.refused.fetch_add(1, Ordering::Relaxed);
                        None
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "enrollment failed");
                        stats.errors.fetch_add(1, Ordering::Relaxed);
                        None
                    }
                }
            }
        })
        .buffer_unordered(opts.enroll_concurrency.max(1))
        .collect()
        .await;
    results.into_iter().flatten().collect()
}

/// Runs the simulation until `stop` turns true. Returns after every device task ended.
pub async fn run(
    opts: SimOptions,
    stats: Arc<SimStats>,
    mut stop: watch::Receiver<bool>,
    ready: Option<tokio::sync::oneshot::Sender<()>>,
) {
    let client = Client::new(&opts.server);
    // Reported timestamps (signature publication, last scans) are relative to a fixed epoch,
    // as a real device's are, so an unchanged device reports an unchanged state.
    let epoch = steward_core::time::now_ms();
    let live = enroll_all(&client, &opts, &stats).await;
    // First contact: every online device checks in once with its full inventory.
    {
        use futures::stream::{self, StreamExt};
        stream::iter(live.iter().filter(|l| !l.dev.offline))
            .for_each_concurrent(opts.enroll_concurrency.max(1), |l| {
                let client = client.clone();
                let stats = stats.clone();
                async move {
                    let req = l.dev.checkin(1, epoch, 0, true);
                    match client.checkin(&l.id, &l.secret, &req).await {
                        Ok(_) => stats.checkins.fetch_add(1, Ordering::Relaxed),
                        Err(_) => stats.errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
            .await;
    }
    if let Some(r) = ready {
        let _ = r.send(());
    }
    let mut tasks = Vec::new();
    for l in live.into_iter().filter(|l| !l.dev.offline) {
        let client = client.clone();
        let stats = stats.clone();
        let mut stop = stop.clone();
        let interval = opts.interval_secs.max(1);
        let seed = opts.seed;
        tasks.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ u64::from(l.dev.index));
            let mut secret = l.secret.clone();
            let mut seq = 1u64;
            let mut revision = 0u64;
            let mut wait = Duration::from_millis(rng.gen_range(0..u64::from(interval) * 1000));
            // The catalog version whose app list this device worked through, and what it
            // reported for each assignment (by generation).
            let mut apps_version: Option<i64> = None;
            let mut done: std::collections::HashMap<String, u32> = Default::default();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return,
                }
                seq += 1;
                // Now and then the signatures update: a state change.
                if rng.gen_range(0..100) < 2 {
                    revision += 1;
                }
                let req = l.dev.checkin(seq, epoch, revision, false);
                let secs = match client.checkin(&l.id, &secret, &req).await {
                    Ok(resp) => {
                        stats.checkins.fetch_add(1, Ordering::Relaxed);
                        if let Some(new) = &resp.new_secret {
                            secret = new.clone();
                        }
                        let answers = l.dev.answer(&resp.actions, revision);
                        // Its app list when the catalog moved (or a retry asks), and each new
                        // assignment's outcome reported at once.
                        let mut installs = Vec::new();
                        let asked = resp.actions.iter().any(|a| a.kind == "apps");
                        if resp.apps_version.is_some()
                            && (resp.apps_version != apps_version || asked)
                        {
                            if let Ok(doc) = client.apps(&l.id, &secret).await {
                                apps_version = resp.apps_version;
                                for offer in &doc.apps {
                                    if done
                                        .get(&offer.assignment_id)
                                        .is_some_and(|g| *g >= offer.generation)
                                    {
                                        continue;
                                    }
                                    if let Some(r) = l.dev.install_outcome(offer) {
                                        done.insert(offer.assignment_id.clone(), offer.generation);
                                        installs.push(r);
                                    }
                                }
                            }
                        }
                        // A request to check in sends everything; any request is answered at once.
                        let full =
                            resp.send_inventory || resp.actions.iter().any(|a| a.kind == "sync");
                        if full || !answers.is_empty() || !installs.is_empty() {
                            seq += 1;
                            let mut next = l.dev.checkin(seq, epoch, revision, full);
                            next.action_results = answers;
                            next.app_installs.extend(installs);
                            let _ = client.checkin(&l.id, &secret, &next).await;
                        }
                        resp.next_checkin_secs.min(interval * 10)
                    }
                    Err(_) => {
                        stats.errors.fetch_add(1, Ordering::Relaxed);
                        interval
                    }
                };
                let jitter = rng.gen_range(0..=u64::from(secs) * 100);
                wait = Duration::from_millis(u64::from(secs) * 950 + jitter / 2);
            }
        }));
    }
    let _ = stop.wait_for(|s| *s).await;
    for t in tasks {
        let _ = t.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_realistic_mix() {
        assert_eq!(
            format!("{:?}", SimDevice::generate(7, 42)),
            format!("{:?}", SimDevice::generate(7, 42))
        );
        let fleet: Vec<_> = (0..5000).map(|i| SimDevice::generate(1, i)).collect();
        let share = |p: Platform| fleet.iter().filter(|d| d.platform == p).count() as f64 / 5000.0;
        assert!((share(Platform::Windows) - 0.56).abs() < 0.03);
        assert!((share(Platform::Ios) - 0.11).abs() < 0.02);
        let count = |t: Trouble| fleet.iter().filter(|d| d.trouble == t).count();
        assert!(count(Trouble::ActiveMalware) > 30);
        assert!(count(Trouble::StaleSignatures) > 100);
        assert!(count(Trouble::RealtimeOff) > 50);
        assert!(fleet.iter().filter(|d| d.offline).count() > 150);
        let refused = refused_attempts(1, 5000);
        assert_eq!(refused.iter().filter(|d| d.bad_token).count(), 100);
        assert_eq!(refused.len(), 125);
        let malware = fleet
            .iter()
            .find(|d| d.trouble == Trouble::ActiveMalware)
            .expect("one");
        let p = malware.protection(0, 0).expect("protection");
        assert_eq!(p.threat_state, Some(ThreatState::ActiveThreat));
        assert_eq!(p.detections.len(), 1);
    }
}
