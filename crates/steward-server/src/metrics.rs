//! Prometheus metrics, one registry per server instance (so in-process tests do not share).

use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: String,
}

/// One kind of count of the fleet: `dimension` (platform, health, compliance, checkin) and
/// its value.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FleetLabel {
    pub dimension: String,
    pub value: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SeverityLabel {
    pub severity: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabel {
    pub job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub method: String,
    pub route: String,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub checkins: Family<ResultLabel, Counter>,
    pub enrollments: Family<ResultLabel, Counter>,
    pub request_seconds: Family<RouteLabel, Histogram>,
    pub batch_size: Histogram,
    pub batch_seconds: Histogram,
    pub write_queue: Gauge,
    pub checkin_rate: Gauge,
    pub sweep_seconds: Histogram,
    /// Time to roll one day up for reports.
    pub rollup_seconds: Histogram,
    pub swept_devices: Counter,
    /// Unchanged check-ins written after they were answered, by result (`written`, `missed`:
    /// the database refused the touch, `retried`: the flush failed and they wait again).
    pub touches: Family<ResultLabel, Counter>,
    /// Unchanged check-ins answered and not yet written (set at each scrape).
    pub touches_waiting: Gauge,
    /// Devices evaluated by fleet jobs (after policy and alert rule changes).
    pub job_devices: Counter,
    pub deliveries: Family<ResultLabel, Counter>,
    pub notifications_queued: Counter,
    pub leases: Family<JobLabel, Gauge>,
    /// Mailbox items handed out through the push channel.
    pub pushed: Counter,
    /// Push connections held open now.
    pub waiting_agents: Gauge,
    /// Active devices by platform, health, compliance and check-in freshness (set at each
    /// scrape from the fleet counts every server keeps).
    pub fleet_devices: Family<FleetLabel, Gauge>,
    /// Open alerts by severity (set at each scrape).
    pub open_alerts: Family<SeverityLabel, Gauge>,
    /// This process: CPU seconds, resident and virtual memory, open files, start time (set at
    /// each scrape from `/proc/self`).
    process: Mutex<Registry>,
    process_cpu: Counter<f64, std::sync::atomic::AtomicU64>,
    process_rss: Gauge,
    process_vsize: Gauge,
    process_fds: Gauge,
    process_start: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("steward");
        let checkins = Family::<ResultLabel, Counter>::default();
        let enrollments = Family::<ResultLabel, Counter>::default();
        let request_seconds = Family::<RouteLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        let batch_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let write_queue = Gauge::default();
        let checkin_rate = Gauge::default();
        let sweep_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        let rollup_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "report_rollup_duration_seconds",
            "Time to roll one day of figures up for reports",
            rollup_seconds.clone(),
        );
        let swept_devices = Counter::default();
        let touches = Family::<ResultLabel, Counter>::default();
        let touches_waiting = Gauge::default();
        let job_devices = Counter::default();
        let deliveries = Family::<ResultLabel, Counter>::default();
        let notifications_queued = Counter::default();
        let leases = Family::<JobLabel, Gauge>::default();
        let pushed = Counter::default();
        let waiting_agents = Gauge::default();
        let fleet_devices = Family::<FleetLabel, Gauge>::default();
        let open_alerts = Family::<SeverityLabel, Gauge>::default();
        registry.register(
            "fleet_devices",
            "Active devices by dimension (platform, health, compliance, checkin) and value",
            fleet_devices.clone(),
        );
        registry.register(
            "open_alerts",
            "Alerts firing or acknowledged, by severity",
            open_alerts.clone(),
        );
        // The usual process metrics, under their usual names (no prefix).
        let mut process = Registry::default();
        let process_cpu = Counter::<f64, std::sync::atomic::AtomicU64>::default();
        let process_rss = Gauge::default();
        let process_vsize = Gauge::default();
        let process_fds = Gauge::default();
        let process_start = Gauge::default();
        process.register(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            process_cpu.clone(),
        );
        process.register(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            process_rss.clone(),
        );
        process.register(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            process_vsize.clone(),
        );
        process.register(
            "process_open_fds",
            "Number of open file descriptors",
            process_fds.clone(),
        );
        process.register(
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch in seconds",
            process_start.clone(),
        );
        registry.register(
            "pushed_actions",
            "Mailbox items (help-desk requests, announcements) handed out through the push channel",
            pushed.clone(),
        );
        registry.register(
            "waiting_agents",
            "Agents holding a push connection to this server now",
            waiting_agents.clone(),
        );
        registry.register(
            "lease_held",
            "1 for each singleton job this server runs now (it holds the job's lease), else 0",
            leases.clone(),
        );
        registry.register(
            "notification_deliveries",
            "Notification delivery attempts by result (delivered, retry, failed)",
            deliveries.clone(),
        );
        registry.register(
            "notifications_queued",
            "Notifications decided and written to the outbox (one per channel)",
            notifications_queued.clone(),
        );
        registry.register(
            "sweep_duration_seconds",
            "Time of one fleet sweep (time-based re-evaluation and recount)",
            sweep_seconds.clone(),
        );
        registry.register(
            "swept_devices",
            "Devices re-evaluated by the sweeper",
            swept_devices.clone(),
        );
        registry.register(
            "checkin_touches",
            "Unchanged check-ins written after they were answered, by result",
            touches.clone(),
        );
        registry.register(
            "checkin_touches_waiting",
            "Unchanged check-ins answered and not yet written",
            touches_waiting.clone(),
        );
        registry.register(
            "job_devices",
            "Devices evaluated again by fleet jobs (policy and alert rule changes)",
            job_devices.clone(),
        );
        registry.register("checkins", "Device check-ins by result", checkins.clone());
        registry.register(
            "enrollments",
            "Enrollment attempts by result (success or reason code)",
            enrollments.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            request_seconds.clone(),
        );
        registry.register(
            "db_batch_size",
            "Operations per group-commit transaction",
            batch_size.clone(),
        );
        registry.register(
            "db_batch_duration_seconds",
            "Time to apply and commit one group-commit transaction",
            batch_seconds.clone(),
        );
        registry.register(
            "write_queue_depth",
            "Writes queued or in flight",
            write_queue.clone(),
        );
        registry.register(
            "checkin_rate",
            "Check-ins per second over the last second",
            checkin_rate.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            checkins,
            enrollments,
            request_seconds,
            batch_size,
            batch_seconds,
            write_queue,
            checkin_rate,
            sweep_seconds,
            rollup_seconds,
            swept_devices,
            touches,
            touches_waiting,
            job_devices,
            deliveries,
            notifications_queued,
            leases,
            pushed,
            waiting_agents,
            fleet_devices,
            open_alerts,
            process: Mutex::new(process),
            process_cpu,
            process_rss,
            process_vsize,
            process_fds,
            process_start,
        }
    }

    /// The gauge saying whether this server holds the lease of `job` (created at 0).
    pub fn lease_held(&self, job: &str) -> Gauge {
        self.leases
            .get_or_create(&JobLabel { job: job.into() })
            .clone()
    }

    pub fn checkin(&self, result: &str) {
        self.checkins
            .get_or_create(&ResultLabel {
                result: result.into(),
            })
            .inc();
    }

    pub fn delivery(&self, result: &str) {
        self.deliveries
            .get_or_create(&ResultLabel {
                result: result.into(),
            })
            .inc();
    }

    pub fn enrollment(&self, result: &str) {
        self.enrollments
            .get_or_create(&ResultLabel {
                result: result.into(),
            })
            .inc();
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        self.read_process();
        let mut out = String::new();
        if let Ok(reg) = self.registry.lock() {
            let _ = encode(&mut out, &reg);
        }
        // One `# EOF`, at the end of both registries.
        if let Some(body) = out.strip_suffix("# EOF\n") {
            out.truncate(body.len());
        }
        if let Ok(reg) = self.process.lock() {
            let _ = encode(&mut out, &reg);
        }
        out
    }

    /// The metrics in Prometheus's classic text format (what `promtool` and older scrapers
    /// read): a counter's family is named with its `_total` suffix, and there is no `# EOF`.
    pub fn render_classic(&self) -> String {
        classic(&self.render())
    }

    /// Sets the fleet gauges from the counts every server keeps, and the open alerts.
    pub fn set_fleet(
        &self,
        counts: &[steward_store::fleet::FleetCount],
        alerts: &std::collections::BTreeMap<String, u64>,
    ) {
        use std::collections::BTreeMap;
        let mut by: BTreeMap<(&str, String), i64> = BTreeMap::new();
        for c in counts {
            for (dim, v) in [
                ("platform", c.platform.clone()),
                ("health", c.health.clone()),
                ("compliance", c.compliance.clone()),
                ("checkin", c.freshness.as_str().to_string()),
            ] {
                *by.entry((dim, v)).or_default() += c.count as i64;
            }
        }
        // Values that went away are dropped, not left at their last count.
        self.fleet_devices.clear();
        for ((dim, value), n) in by {
            self.fleet_devices
                .get_or_create(&FleetLabel {
                    dimension: dim.into(),
                    value,
                })
                .set(n);
        }
        self.open_alerts.clear();
        for sev in ["critical", "warning", "informational"] {
            self.open_alerts
                .get_or_create(&SeverityLabel {
                    severity: sev.into(),
                })
                .set(alerts.get(sev).copied().unwrap_or(0) as i64);
        }
    }

    /// Reads this process's CPU time, memory, open files and start time from `/proc/self`.
    fn read_process(&self) {
        let ticks = rustix::param::clock_ticks_per_second() as f64;
        let page = rustix::param::page_size() as i64;
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            // The fields after the command name, which is in parentheses and may hold spaces.
            let rest = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
            let f: Vec<&str> = rest.split_whitespace().collect();
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            // utime and stime are fields 14 and 15 of stat(5), 11 and 12 here.
            let cpu = (num(11) + num(12)) / ticks;
            let delta = cpu - self.process_cpu.get();
            if delta > 0.0 {
                self.process_cpu.inc_by(delta);
            }
            self.process_vsize.set(num(20) as i64);
            self.process_rss.set(num(21) as i64 * page);
            let boot = std::fs::read_to_string("/proc/stat")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("btime ")?.trim().parse::<f64>().ok())
                })
                .unwrap_or(0.0);
            self.process_start.set((boot + num(19) / ticks) as i64);
        }
        if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
            self.process_fds.set(fds.count() as i64);
        }
    }
}

/// OpenMetrics text turned into the classic Prometheus text format.
pub fn classic(open: &str) -> String {
    let counters: std::collections::HashSet<&str> = open
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open.len());
    for line in open.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{p}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Times one request for the latency by matched route.
pub struct RequestTimer {
    start: Instant,
    method: axum::http::Method,
    route: Option<MatchedPath>,
}

impl RequestTimer {
    pub fn start(req: &Request) -> RequestTimer {
        RequestTimer {
            start: Instant::now(),
            method: req.method().clone(),
            route: req.extensions().get::<MatchedPath>().cloned(),
        }
    }

    pub fn observe(self, metrics: &Metrics) {
        let label = RouteLabel {
            method: self.method.as_str().to_string(),
            route: self
                .route
                .as_ref()
                .map_or("unmatched", MatchedPath::as_str)
                .to_string(),
        };
        metrics
            .request_seconds
            .get_or_create(&label)
            .observe(self.start.elapsed().as_secs_f64());
    }
}
