//! Layered configuration: defaults → TOML file → `STEWARD_*` environment → command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// Directory for the embedded database and other state.
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; empty means SQLite in `data_dir`.
    pub database_url: String,
    pub checkin: CheckinConfig,
    pub auth: AuthConfig,
    pub fleet: FleetConfig,
    pub notify: NotifyConfig,
    pub awareness: AwarenessConfig,
    pub tls: TlsConfig,
    pub outbound: OutboundConfig,
    pub proxy: ProxyConfig,
    pub apps: AppsConfig,
    pub reports: ReportsConfig,
    pub remediation: RemediationConfig,
}

/// Scripts, remediations, device actions and their approvals.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RemediationConfig {
    /// A restart, log-off, lock or script run on more devices than this, and a remediation
    /// generation reaching more, waits for a second administrator (a wipe always does).
    pub approval_threshold: u32,
    /// Seconds between passes of the remediation scheduler (targets, due attempts; one
    /// server at a time).
    pub schedule_secs: u32,
    /// Largest diagnostics bundle accepted from a device, in MiB.
    pub max_diagnostics_mb: u32,
    /// Remediation attempts handed out per pass, as a share (per cent, fractions allowed) of
    /// the check-ins this server answered over the pass (at least 100, at most 2,000 a pass).
    /// An attempt costs the server about as much as 40 to 70 unchanged check-ins (it is handed
    /// out, claimed and answered through the writer), so the default 0.1 % keeps script runs
    /// within a few per cent of a busy server's CPU, and a remediation still reaches a large
    /// fleet over minutes.
    pub share_percent: f64,
}

impl Default for RemediationConfig {
    fn default() -> Self {
        RemediationConfig {
            approval_threshold: 10,
            schedule_secs: 5,
            max_diagnostics_mb: 20,
            share_percent: 0.1,
        }
    }
}

/// Reports and their daily figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// Days of daily figures kept (13 months by default).
    pub keep_days: u32,
    /// A font file (TrueType or OpenType, a collection too) for the PDFs; empty: the first of
    /// the Noto CJK or DejaVu fonts found on the system.
    pub font_file: String,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            keep_days: 396,
            font_file: String::new(),
        }
    }
}

/// Software distribution.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AppsConfig {
    /// Largest package file accepted for upload, in MiB.
    pub max_package_mb: u32,
    /// Seconds between passes of the rollout scheduler (targets, waves, deadlines; one
    /// server at a time).
    pub schedule_secs: u32,
}

impl Default for AppsConfig {
    fn default() -> Self {
        AppsConfig {
            max_package_mb: 256,
            schedule_secs: 10,
        }
    }
}

/// Load balancers in front of the server.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    /// Comma-separated addresses and CIDRs (`10.0.0.0/8`) of balancers whose
    /// `X-Forwarded-For` is believed: a request from one of them is taken to come from the
    /// last address in that header that is not one of them (audit log, sign-in throttle).
    /// Empty: the connection's own address, whatever the header says.
    pub trusted: String,
}

/// HTTPS: the server's certificate chain and key (PEM files), reloaded when they change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain; with `key_file`, `listen` serves HTTPS.
    pub cert_file: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: String,
    /// Seconds between looks at the two files; a change is loaded without a restart (so is
    /// SIGHUP).
    pub reload_secs: u32,
    /// An address that answers plain HTTP with a redirect to HTTPS (`0.0.0.0:80`); empty: none.
    pub redirect_http_from: String,
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        !self.cert_file.is_empty()
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            cert_file: String::new(),
            key_file: String::new(),
            reload_secs: 60,
            redirect_http_from: String::new(),
        }
    }
}

/// Requests the server makes (webhooks, chat, vendor feeds).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// Whether the server makes outbound requests at all (off: every delivery and feed
    /// fetch fails at once, nothing leaves the machine).
    pub enabled: bool,
    /// Comma-separated CIDRs (`10.1.0.0/16`) and host names that may be reached although they
    /// are (or resolve to) loopback, private or link-local addresses; everything else of that
    /// kind is refused.
    pub allow: String,
    /// Largest response body read from a feed (bytes); error bodies are read up to 4 KiB.
    pub max_response_bytes: u64,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            enabled: true,
            allow: String::new(),
            max_response_bytes: 10 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AwarenessConfig {
    /// Days administrators and the help desk have to acknowledge a notice meant for them
    /// (sooner when its act-by date is sooner).
    pub grace_days: u32,
    /// Minutes within which a critical alert should be acknowledged.
    pub ack_target_minutes: u32,
    /// Announcement e-mails sent per minute at most.
    pub announcement_mails_per_minute: u32,
}

impl Default for AwarenessConfig {
    fn default() -> Self {
        AwarenessConfig {
            grace_days: 7,
            ack_target_minutes: 30,
            announcement_mails_per_minute: 600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// The address notifications link to; empty means `http://` + `listen`.
    pub console_url: String,
    /// The SMTP server e-mail channels send through; empty disables e-mail.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// none, starttls or tls.
    pub smtp_tls: String,
    pub smtp_username: String,
    pub smtp_password: String,
    /// The sender address of notification e-mails.
    pub smtp_from: String,
    /// Seconds a delivery attempt may take.
    pub timeout_secs: u32,
    /// The longest wait between two attempts at a failing channel (the wait doubles from 1 s).
    pub max_backoff_secs: u32,
    /// Undelivered notifications are given up after this many hours.
    pub give_up_after_hours: u32,
}

impl NotifyConfig {
    /// Whether Steward can send e-mail at all.
    pub fn mail_configured(&self) -> bool {
        !self.smtp_host.trim().is_empty()
    }
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            console_url: String::new(),
            smtp_host: String::new(),
            smtp_port: 25,
            smtp_tls: "starttls".into(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_from: "steward@localhost".into(),
            timeout_secs: 10,
            max_backoff_secs: 300,
            give_up_after_hours: 72,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// Seconds between sweeps: re-evaluation of devices whose health or compliance time has
    /// changed (ageing signatures, ended grace periods, silent devices) and a fleet recount.
    pub sweep_interval_secs: u32,
    /// Fleet summaries are at most this old; older ones are recounted on request.
    pub summary_max_age_secs: u32,
    /// The share of the database writer's time (percent) a fleet-wide re-evaluation (after a
    /// policy or alert rule change) is always left beside live check-ins: after each batch it
    /// pauses long enough that its writes keep to it (its reads are not paced). On SQLite it
    /// takes more when the rest of the server leaves the writer idle (all of what they leave
    /// but as much again as they used over the last second); on PostgreSQL by the same rule,
    /// with the other sessions of the database running a statement in place of the writer's
    /// use. On a quiet database it does not pause.
    pub job_share_percent: u32,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            sweep_interval_secs: 60,
            summary_max_age_secs: 30,
            job_share_percent: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Console sessions end after this many seconds without use.
    pub session_ttl_secs: u32,
    /// Failed sign-ins for one account from one address before they are delayed (the
    /// account itself is never locked).
    pub lockout_after: u32,
    /// The longest delay, and how long failures are remembered.
    pub lockout_secs: u32,
    /// Mark the session cookie `Secure` behind a TLS-terminating proxy (always set when
    /// Steward serves HTTPS itself).
    pub secure_cookies: bool,
    /// Milliseconds a sign-in that is throttled or finds the hashing queue full waits before
    /// its answer: a client trying in a loop is slowed to a crawl at no cost to the server.
    pub refusal_delay_ms: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl_secs: 8 * 3600,
            lockout_after: 5,
            lockout_secs: 15 * 60,
            secure_cookies: false,
            refusal_delay_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CheckinConfig {
    /// Seconds between check-ins when the server is not under load.
    pub interval_secs: u32,
    /// Check-ins per second above which devices are told to check in less often.
    pub target_rate: u32,
    /// Queued writes above which new check-ins are turned away with 503.
    pub max_queue: u32,
    /// Devices whose credentials and last state are kept in memory.
    pub cache_entries: u32,
    /// Longest a device's push connection (`GET /agent/v1/wait`) is held open, in seconds.
    pub push_wait_secs: u32,
    /// Writer tasks of this server, each committing check-ins in batches (0: 1 on SQLite, 2 on
    /// PostgreSQL). With several servers on one PostgreSQL, fewer per server keep the batches
    /// large (see docs/deploy.md).
    pub writers: u32,
    /// Push connections this server holds at most; more are answered 503 (the agent falls
    /// back to its check-ins and tries again later).
    pub max_waiting: u32,
    /// Milliseconds an unchanged check-in's last-seen time and sequence number may wait in
    /// memory before they are written (0: each is written before it is answered). A check-in
    /// that changes anything is always written before it is answered.
    pub touch_flush_ms: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("steward-data"),
            database_url: String::new(),
            checkin: CheckinConfig::default(),
            auth: AuthConfig::default(),
            fleet: FleetConfig::default(),
            notify: NotifyConfig::default(),
            awareness: AwarenessConfig::default(),
            tls: TlsConfig::default(),
            outbound: OutboundConfig::default(),
            proxy: ProxyConfig::default(),
            apps: AppsConfig::default(),
            reports: ReportsConfig::default(),
            remediation: RemediationConfig::default(),
        }
    }
}

impl Default for CheckinConfig {
    fn default() -> Self {
        CheckinConfig {
            interval_secs: 60,
            target_rate: 5_000,
            max_queue: 50_000,
            cache_entries: 500_000,
            writers: 0,
            push_wait_secs: 25,
            max_waiting: 100_000,
            touch_flush_ms: 1_000,
        }
    }
}

/// The top-level keys of the configuration (its sections and plain settings), taken from the
/// defaults so a section added later is reachable from the environment too.
fn top_level_keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

impl Config {
    /// Loads defaults, then the TOML file (if given), then `STEWARD_*` variables
    /// (`STEWARD_CHECKIN__INTERVAL_SECS` for nested keys).
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        // Only variables naming a configuration key: others with the prefix (STEWARD_LANG,
        // STEWARD_CONFIG …) belong to other parts of Steward.
        let keys = top_level_keys();
        let env = Env::prefixed("STEWARD_").split("__").filter(move |k| {
            // Keys arrive here as written (`CHECKIN.INTERVAL_SECS`); figment lower-cases
            // them afterwards.
            let top = k.as_str().split('.').next().unwrap_or("");
            keys.iter().any(|t| t.eq_ignore_ascii_case(top))
        });
        fig.merge(env).extract().map_err(Box::new)
    }

    /// The address notifications link to.
    pub fn console_url(&self) -> String {
        if self.notify.console_url.is_empty() {
            let scheme = if self.tls.enabled() { "https" } else { "http" };
            format!("{scheme}://{}", self.listen)
        } else {
            self.notify.console_url.trim_end_matches('/').to_string()
        }
    }

    /// Refuses values the server cannot work with, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        if !["none", "starttls", "tls"].contains(&self.notify.smtp_tls.as_str()) {
            return Err(format!(
                "notify.smtp_tls must be none, starttls or tls, not {:?}",
                self.notify.smtp_tls
            ));
        }
        if self.notify.timeout_secs == 0 || self.notify.max_backoff_secs == 0 {
            return Err("notify.timeout_secs and notify.max_backoff_secs must be above 0".into());
        }
        if !(1..=100).contains(&self.fleet.job_share_percent) {
            return Err("fleet.job_share_percent must be between 1 and 100".into());
        }
        if !(0.0..=100.0).contains(&self.remediation.share_percent) {
            return Err("remediation.share_percent must be between 0 and 100".into());
        }
        if !(1..=300).contains(&self.checkin.push_wait_secs) {
            return Err("checkin.push_wait_secs must be between 1 and 300".into());
        }
        if self.checkin.touch_flush_ms > 60_000 {
            return Err("checkin.touch_flush_ms must be between 0 and 60000".into());
        }
        if self.tls.cert_file.is_empty() != self.tls.key_file.is_empty() {
            return Err("tls.cert_file and tls.key_file go together".into());
        }
        if !self.tls.redirect_http_from.is_empty() {
            if !self.tls.enabled() {
                return Err("tls.redirect_http_from needs tls.cert_file and tls.key_file".into());
            }
            self.tls
                .redirect_http_from
                .parse::<SocketAddr>()
                .map_err(|e| format!("tls.redirect_http_from: {e}"))?;
        }
        crate::outbound::Allow::parse(&self.outbound.allow)
            .map_err(|e| format!("outbound.allow: {e}"))?;
        crate::proxy::Trusted::parse(&self.proxy.trusted)
            .map_err(|e| format!("proxy.trusted: {e}"))?;
        Ok(())
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            steward_store::Store::sqlite_url(&self.data_dir)
        } else {
            self.database_url.clone()
        }
    }

    /// A commented TOML file with every key at its default.
    pub fn default_toml() -> String {
        let d = Config::default();
        format!(
            "# Steward configuration. Every key is optional; shown are the defaults.\n\
             # Environment variables override this file: STEWARD_LISTEN, STEWARD_DATA_DIR,\n\
             # STEWARD_DATABASE_URL, STEWARD_CHECKIN__INTERVAL_SECS …; flags override both.\n\n\
             # Address the server listens on.\nlisten = \"{}\"\n\
             # Directory of the embedded SQLite database.\ndata_dir = \"{}\"\n\
             # postgres://user:pass@host/db selects PostgreSQL; empty means SQLite in data_dir.\n\
             database_url = \"\"\n\n[checkin]\n\
             # Seconds between check-ins when the server is not under load.\ninterval_secs = {}\n\
             # Check-ins per second above which devices are asked to check in less often.\n\
             target_rate = {}\n\
             # Queued writes above which check-ins are refused with 503 (the agent retries later).\n\
             max_queue = {}\n\
             # Devices whose credentials and last state are cached in memory.\ncache_entries = {}\n\
             # Writer tasks committing check-ins in batches (0: 1 on SQLite, 2 on PostgreSQL).\n\
             writers = {}\n\
             # Seconds a device's push connection is held open; push connections held at most.\n\
             push_wait_secs = {}\nmax_waiting = {}\n\
             # Milliseconds an unchanged check-in's last-seen time may wait in memory before it\n\
             # is written (0: written before each answer; changes are always written first).\n\
             touch_flush_ms = {}\n\n\
             [auth]\n\
             # Console sessions end after this many seconds without use.\nsession_ttl_secs = {}\n\
             # Failed sign-ins for one account from one address before each further one waits\n\
             # (1 s, doubling); the longest wait (seconds), also how long failures are remembered.\n\
             lockout_after = {}\nlockout_secs = {}\n\
             # Mark the session cookie Secure behind an HTTPS proxy (always so with [tls]).\n\
             secure_cookies = {}\n\
             # Milliseconds a throttled (or queued-out) sign-in waits before it is answered.\n\
             refusal_delay_ms = {}\n\n\
             [fleet]\n\
             # Seconds between sweeps (time-based health, compliance and alert changes).\n\
             sweep_interval_secs = {}\n\
             # Fleet summaries are at most this many seconds old (0: counted on every request).\n\
             summary_max_age_secs = {}\n\
             # Percent of the database writer's time a fleet-wide re-evaluation (after a\n\
             # policy or alert rule change) is always left beside live check-ins (1 to 100);\n\
             # it takes more of a database the check-ins leave idle, and the whole of a\n\
             # quiet one.\n\
             job_share_percent = {}\n\n\
             [notify]\n\
             # Where notifications link to; empty means http:// and the listen address.\n\
             console_url = \"\"\n\
             # SMTP server for e-mail channels (empty: e-mail disabled); smtp_tls is none,\n\
             # starttls or tls.\n\
             smtp_host = \"\"\nsmtp_port = {}\nsmtp_tls = \"{}\"\n\
             smtp_username = \"\"\nsmtp_password = \"\"\nsmtp_from = \"{}\"\n\
             # Seconds a delivery attempt may take; longest wait between attempts (seconds);\n\
             # hours after which an undelivered notification is given up.\n\
             timeout_secs = {}\nmax_backoff_secs = {}\ngive_up_after_hours = {}\n\n\
             [awareness]\n\
             # Days administrators and the help desk have to acknowledge notices meant for them\n\
             # (sooner when a notice's act-by date is sooner).\ngrace_days = {}\n\
             # Minutes within which a critical alert should be acknowledged (readiness).\n\
             ack_target_minutes = {}\n\
             # Announcement e-mails sent per minute at most.\nannouncement_mails_per_minute = {}\n\n\
             [tls]\n\
             # PEM certificate chain and private key: with both, `listen` serves HTTPS.\n\
             cert_file = \"\"\nkey_file = \"\"\n\
             # Seconds between looks for new files (SIGHUP reloads at once).\nreload_secs = {}\n\
             # An address answering plain HTTP with a redirect to HTTPS (\"0.0.0.0:80\"); empty: none.\n\
             redirect_http_from = \"\"\n\n\
             [outbound]\n\
             # Whether webhooks, chat and feeds are reached at all.\nenabled = true\n\
             # Webhooks, chat and feeds may not reach loopback, private or link-local addresses\n\
             # unless named here: comma-separated CIDRs and host names (\"10.1.0.0/16,hooks.lan\").\n\
             allow = \"\"\n\
             # Largest feed response read (bytes).\nmax_response_bytes = {}\n\n\
             [proxy]\n\
             # Balancers whose X-Forwarded-For is believed (comma-separated addresses and CIDRs,\n\
             # \"10.0.0.0/8\"); empty: the connection's own address is the client's.\n\
             trusted = \"\"\n",
            d.listen,
            d.data_dir.display(),
            d.checkin.interval_secs,
            d.checkin.target_rate,
            d.checkin.max_queue,
            d.checkin.cache_entries,
            d.checkin.writers,
            d.checkin.push_wait_secs,
            d.checkin.max_waiting,
            d.checkin.touch_flush_ms,
            d.auth.session_ttl_secs,
            d.auth.lockout_after,
            d.auth.lockout_secs,
            d.auth.secure_cookies,
            d.auth.refusal_delay_ms,
            d.fleet.sweep_interval_secs,
            d.fleet.summary_max_age_secs,
            d.fleet.job_share_percent,
            d.notify.smtp_port,
            d.notify.smtp_tls,
            d.notify.smtp_from,
            d.notify.timeout_secs,
            d.notify.max_backoff_secs,
            d.notify.give_up_after_hours,
            d.awareness.grace_days,
            d.awareness.ack_target_minutes,
            d.awareness.announcement_mails_per_minute,
            d.tls.reload_secs,
            d.outbound.max_response_bytes
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail returns its own error type
    fn nested_keys_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("STEWARD_OUTBOUND__ALLOW", "127.0.0.0/8,hooks.lan");
            jail.set_env("STEWARD_CHECKIN__INTERVAL_SECS", "15");
            // Every section is reachable, the later ones too.
            jail.set_env("STEWARD_APPS__MAX_PACKAGE_MB", "64");
            jail.set_env("STEWARD_REPORTS__KEEP_DAYS", "30");
            jail.set_env("STEWARD_REMEDIATION__SHARE_PERCENT", "0.25");
            jail.set_env("STEWARD_LANG", "fr");
            let c = Config::load(None).expect("load");
            assert_eq!(c.checkin.interval_secs, 15);
            assert_eq!(c.apps.max_package_mb, 64);
            assert_eq!(c.reports.keep_days, 30);
            assert!((c.remediation.share_percent - 0.25).abs() < 1e-9);
            assert_eq!(c.outbound.allow, "127.0.0.0/8,hooks.lan");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail returns its own error type
    fn default_file_parses_back_to_defaults_and_unknown_keys_fail() {
        // Inside a jail too: the jail holds the lock that keeps the test above
        // from changing the environment while this one reads it.
        figment::Jail::expect_with(|jail| {
            let path = jail.directory().join("steward.toml");
            std::fs::write(&path, Config::default_toml()).expect("write");
            assert_eq!(Config::load(Some(&path)).expect("load"), Config::default());
            std::fs::write(&path, "listen = \"127.0.0.1:9\"\nbogus = 1\n").expect("write");
            let err = Config::load(Some(&path)).expect_err("unknown key");
            assert!(err.to_string().contains("bogus"), "{err}");
            std::fs::write(&path, "[checkin]\ninterval_secs = 15\n").expect("write");
            assert_eq!(
                Config::load(Some(&path))
                    .expect("load")
                    .checkin
                    .interval_secs,
                15
            );
            // A whole number of per cent (as configurations written before fractions were
            // allowed say) still loads; a share outside 0–100 is refused by name.
            std::fs::write(&path, "[remediation]\nshare_percent = 2\n").expect("write");
            let c = Config::load(Some(&path)).expect("load");
            assert!((c.remediation.share_percent - 2.0).abs() < 1e-9);
            assert_eq!(c.validate(), Ok(()));
            std::fs::write(&path, "[remediation]\nshare_percent = 150\n").expect("write");
            let err = Config::load(Some(&path))
                .expect("load")
                .validate()
                .expect_err("out of range");
            assert!(err.contains("remediation.share_percent"), "{err}");
            Ok(())
        });
    }
}
