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
    pub deliveries: Family<ResultLabel, Counter>,
    pub notifications_queued: Counter,
    pub leases: Family<JobLabel, Gauge>,
    /// Mailbox items handed out through the push channel.
    pub pushed: Counter,
    /// Push connections held open now.
    pub waiting_agents: Gauge,
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
        let deliveries = Family::<ResultLabel, Counter>::default();
        let notifications_queued = Counter::default();
        let leases = Family::<JobLabel, Gauge>::default();
        let pushed = Counter::default();
        let waiting_agents = Gauge::default();
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
            deliveries,
            notifications_queued,
            leases,
            pushed,
            waiting_agents,
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

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(reg) = self.registry.lock() {
            let _ = encode(&mut out, &reg);
        }
        out
    }
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
