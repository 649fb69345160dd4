//! Fleet summaries and the sweeper. Counts come from one grouped pass over a covering index,
//! kept in memory for `[fleet] summary_max_age_secs` and refreshed by the sweeper, so a
//! dashboard never waits for a count of a million devices. The sweeper's counts are also
//! saved in the database, so a server that starts serves the last counts at once while it
//! counts again. Each caller sees only the groups their scope allows.
//!
//! Replicas: each server holds its own latest counts and recounts them when they are older
//! than the configured age; what another server changes shows within that age.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::Json;
use steward_core::compliance::ComplianceState;
use steward_core::health::HealthState;
use steward_core::time::to_rfc3339;
use steward_proto::{ErrorCode, FleetHistory, FleetPoint, FleetSummary};
use steward_store::fleet::{FleetCount, Freshness};

use crate::api::in_scope;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

/// The latest counts and when they were taken.
#[derive(Default)]
pub struct FleetCache {
    latest: RwLock<Option<(i64, Arc<Vec<FleetCount>>)>>,
    /// One recount at a time.
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

impl FleetCache {
    fn fresh(&self, now: i64, max_age_ms: i64) -> Option<(i64, Arc<Vec<FleetCount>>)> {
        let latest = self.latest.read().ok()?.clone()?;
        (now - latest.0 <= max_age_ms).then_some(latest)
    }
}

/// The latest counts. When they are older than the configured age, a recount starts in the
/// background and this answer still uses the previous counts (with their time in `as_of`):
/// only a request before any count was ever saved waits for one (see [`warm`]), and that
/// count is saved behind the answer, so no later start of any server waits again.
pub async fn counts(state: &AppState) -> Result<(i64, Arc<Vec<FleetCount>>), ApiError> {
    let max_age = i64::from(state.config.fleet.summary_max_age_secs) * 1000;
    let latest = state.fleet.latest.read().ok().and_then(|l| l.clone());
    match latest {
        Some((at, counts)) if state.clock.now_ms() - at <= max_age => Ok((at, counts)),
        // Zero asks for exact counts on every request.
        Some(hit) if max_age > 0 => {
            recount_behind(state, false);
            Ok(hit)
        }
        _ => {
            let _guard = state.fleet.refreshing.lock().await;
            if let Some(hit) = state.fleet.fresh(state.clock.now_ms(), max_age) {
                return Ok(hit);
            }
            let (at, counts) = recount(state).await?;
            if max_age > 0 {
                let (state, counts) = (state.clone(), counts.clone());
                tokio::spawn(async move { save_counts(&state, at, &counts).await });
            }
            Ok((at, counts))
        }
    }
}

/// At start: the counts saved last (by the sweeper, or by a server's count after its start;
/// this server's before a restart, or another server's) are served at once with their time,
/// and when they are older than the configured age a recount starts in the background. Only
/// the first request on a database where no count was ever saved waits for one.
pub async fn warm(state: &AppState) {
    let max_age = i64::from(state.config.fleet.summary_max_age_secs) * 1000;
    if max_age == 0 {
        return;
    }
    match state.store.saved_fleet_counts().await {
        Ok(Some((at, counts))) => {
            if let Ok(mut latest) = state.fleet.latest.write() {
                *latest = Some((at, Arc::new(counts)));
            }
        }
        // Never counted: the first request counts, as it finds the fleet then.
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "saved fleet counts not read");
            return;
        }
    }
    if state.fleet.fresh(state.clock.now_ms(), max_age).is_some() {
        return;
    }
    recount_behind(state, true);
}

/// Starts a recount in the background unless one runs (`save`: keep it for the next start).
/// The lock is taken before the task starts, so a request arriving meanwhile waits for this
/// count instead of starting its own.
fn recount_behind(state: &AppState, save: bool) {
    if let Ok(guard) = state.fleet.refreshing.clone().try_lock_owned() {
        let state = state.clone();
        tokio::spawn(async move {
            let _guard = guard;
            match recount(&state).await {
                Ok((at, counts)) if save => save_counts(&state, at, &counts).await,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e.0.as_str(), "fleet recount failed"),
            }
        });
    }
}

async fn recount(state: &AppState) -> Result<(i64, Arc<Vec<FleetCount>>), ApiError> {
    let now = state.clock.now_ms();
    let counts = Arc::new(state.store.fleet_counts(now).await?);
    if let Ok(mut latest) = state.fleet.latest.write() {
        *latest = Some((now, counts.clone()));
    }
    Ok((now, counts))
}

/// Keeps counts for the next start (of this server or another). Only background work saves
/// (the sweeper, the count after start, the first count a request waited for, saved behind
/// its answer): a request never waits for the write, and a failed save costs only a fresher
/// start.
async fn save_counts(state: &AppState, at: i64, counts: &[FleetCount]) {
    if let Err(e) = state.store.save_fleet_counts(at, counts).await {
        tracing::warn!(error = %e, "fleet counts not saved");
    }
}

/// Sums counts visible to the caller.
pub fn summarize(caller: &Caller, at: i64, counts: &[FleetCount]) -> FleetSummary {
    let mut s = FleetSummary {
        as_of: to_rfc3339(at),
        ..Default::default()
    };
    for h in HealthState::ALL {
        s.by_health.insert(h.as_str().into(), 0);
    }
    for c in ComplianceState::ALL {
        s.by_compliance.insert(c.as_str().into(), 0);
    }
    for f in [Freshness::Day, Freshness::Week, Freshness::Older] {
        s.by_checkin.insert(f.as_str().into(), 0);
    }
    for c in counts
        .iter()
        .filter(|c| in_scope(caller, c.group.as_deref()))
    {
        s.total += c.count;
        *s.by_platform.entry(c.platform.clone()).or_default() += c.count;
        *s.by_health.entry(c.health.clone()).or_default() += c.count;
        *s.by_compliance.entry(c.compliance.clone()).or_default() += c.count;
        *s.by_checkin.entry(c.freshness.as_str().into()).or_default() += c.count;
    }
    s
}

pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<FleetSummary>, ApiError> {
    let (at, counts) = counts(&state).await?;
    Ok(Json(summarize(&caller, at, &counts)))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct HistoryParams {
    dimension: String,
    #[serde(default = "default_days")]
    days: u32,
}

fn default_days() -> u32 {
    30
}

/// Hourly counts of health, compliance or platform over the last `days` (at most 400).
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<FleetHistory>, ApiError> {
    let Query(p) = params.map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
    if !matches!(p.dimension.as_str(), "health" | "compliance" | "platform") || p.days > 400 {
        return Err(ApiError(ErrorCode::InvalidQuery));
    }
    let since = state.clock.now_ms() - i64::from(p.days) * 86_400_000;
    let rows = state.store.fleet_history(&p.dimension, since).await?;
    let mut points: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
    for r in rows {
        let group = (!r.group.is_empty()).then_some(r.group.as_str());
        if in_scope(&caller, group) {
            *points.entry(r.at).or_default().entry(r.value).or_default() += r.count;
        }
    }
    Ok(Json(FleetHistory {
        dimension: p.dimension,
        points: points
            .into_iter()
            .map(|(at, counts)| FleetPoint {
                at: to_rfc3339(at),
                counts,
            })
            .collect(),
    }))
}

/// Every `[fleet] sweep_interval_secs`: re-evaluates the devices time has changed, recounts
/// the fleet and records the hour's snapshot.
pub async fn sweeper(state: AppState) {
    let every = Duration::from_secs(u64::from(state.config.fleet.sweep_interval_secs.max(1)));
    // The first sweep one interval after start: a restart does not snapshot a fleet whose
    // devices have not checked in again yet.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sweep_once(&state).await {
            tracing::warn!(error = %e.0.as_str(), "fleet sweep failed");
        }
    }
}

/// How often the job runner looks for a job queued through another server.
const JOBS_LOOK_EVERY: Duration = Duration::from_secs(1);

/// Runs the fleet jobs (see [`steward_store::jobs`]) one at a time, oldest first: woken at
/// once by a job queued through this server, and looking every second for one queued
/// elsewhere.
pub async fn job_runner(state: AppState) {
    let signals = state.store.signals();
    loop {
        match state.store.next_fleet_job().await {
            Ok(Some(job)) => {
                if let Err(e) = run_job(&state, job).await {
                    tracing::warn!(error = %e.0.as_str(), "fleet job stopped");
                    tokio::time::sleep(JOBS_LOOK_EVERY).await;
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "fleet jobs not read"),
        }
        tokio::select! {
            () = signals.jobs.notified() => {}
            () = tokio::time::sleep(JOBS_LOOK_EVERY) => {}
        }
    }
}

/// Runs one job to its end, a batch at a time, pausing after each batch so that its writes
/// leave the writer to the rest of the server as much as that needs it:
///
/// - On SQLite, this process holds the file's one write connection, and counts how long
///   (`Store::write_held`). Over the last second the rest of the server (check-ins, touch
///   flushes, the notifier) held it for a share `u` of the time; the job takes `1 - 2u` of
///   the time for its writes, never less than `fleet.job_share_percent`. Check-ins that keep
///   the writer busy thus hold the job to that share, as before; a fleet checking in at a
///   steady rate that needs a tenth of the writer leaves the job four fifths of it, with room
///   to spare for a burst; a quiet fleet leaves it the whole.
/// - On PostgreSQL, other servers write to the same database and no one process sees their
///   writes, but the database sees their sessions: after each batch the job counts the other
///   sessions running a statement (`Store::sessions_running`), and `u`, their mean over the
///   last second ([`SessionsUse`]), takes the place of the writer's share in the same rule.
///   Check-ins that keep the database busy hold the job to `fleet.job_share_percent`; a
///   fleet checking in at a steady rate leaves it most of the time; a quiet one all of it.
///
/// Reading and evaluating a batch are not paced: readers do not hold up the writer, so a job
/// that changes few rows (a new alert rule that fires on few devices) goes at the speed of
/// its reads.
async fn run_job(state: &AppState, mut job: steward_store::jobs::FleetJob) -> Result<(), ApiError> {
    use steward_store::jobs::Step;
    let share = f64::from(state.config.fleet.job_share_percent.clamp(1, 100)) / 100.0;
    state
        .store
        .start_fleet_job(&mut job, state.clock.now_ms())
        .await?;
    let started = std::time::Instant::now();
    let mut others = state.store.write_held().map(OthersUse::new);
    let mut sessions = SessionsUse::default();
    // The time left to the rest of the server, for the log.
    let mut paused = Duration::ZERO;
    loop {
        let step = state
            .store
            .reevaluate_step(
                &mut job,
                state.clock.now_ms(),
                steward_store::policies::REEVALUATE_BATCH,
            )
            .await?;
        match step {
            Step::Advanced { n, writing } => {
                if job.counts() == "devices" {
                    state.metrics.job_devices.inc_by(n);
                }
                let taken = match (&mut others, state.store.write_held()) {
                    (Some(others), Some(held)) => {
                        job_share(share, others.after_step(Instant::now(), held, writing))
                    }
                    _ if share < 1.0 && !writing.is_zero() => {
                        // A database that does not say what its sessions do: the share.
                        match state.store.sessions_running().await? {
                            Some(n) => job_share(share, sessions.after_step(Instant::now(), n)),
                            None => share,
                        }
                    }
                    _ => 1.0,
                };
                let pause = pause_after(writing, taken);
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                    paused += pause;
                }
            }
            Step::Finished => {
                tracing::info!(
                    job = %job.id, reason = %job.reason, done = job.done, of = job.counts(),
                    secs = started.elapsed().as_secs_f64(), paused_secs = paused.as_secs_f64(),
                    "fleet job done"
                );
                return Ok(());
            }
            Step::Gone => return Ok(()),
        }
    }
}

/// The pause after a batch whose writes held the writer for `writing`, so that they take
/// `share` of the time.
fn pause_after(writing: Duration, share: f64) -> Duration {
    if share < 1.0 {
        writing.mul_f64((1.0 - share) / share)
    } else {
        Duration::ZERO
    }
}

/// The share of the writer's time a job takes when the rest of the server held it for `used`
/// of the time lately: what they leave, less as much again for their bursts, and never less
/// than `floor` (`fleet.job_share_percent`).
fn job_share(floor: f64, used: f64) -> f64 {
    (1.0 - 2.0 * used).clamp(floor, 1.0)
}

/// Over how long a job reckons the rest of the server's use of the writer. Long enough to
/// take in a flush of the touches (once a second), short enough to follow a change of load.
const USE_WINDOW: Duration = Duration::from_secs(1);

/// How much of the time the rest of the server held SQLite's write connection lately, as a
/// job sees it between its batches: the connection's held time (`Store::write_held`) less
/// the job's own writes. Lives for one job on one server, which holds the file's writer, so
/// there is nothing for other servers to keep true.
struct OthersUse {
    /// The job's writes so far.
    mine: Duration,
    /// (when, the others' held time to then), oldest first; the second oldest is always
    /// within the last [`USE_WINDOW`], so the oldest begins a span of just over it.
    samples: std::collections::VecDeque<(Instant, Duration)>,
}

impl OthersUse {
    fn new(held: Duration) -> OthersUse {
        OthersUse {
            mine: Duration::ZERO,
            samples: [(Instant::now(), held)].into(),
        }
    }

    /// Records a step whose writes held the writer for `writing`, the writer's held time
    /// being `held` at `now`; gives the others' share of the time over the last
    /// [`USE_WINDOW`] or so.
    fn after_step(&mut self, now: Instant, held: Duration, writing: Duration) -> f64 {
        self.mine += writing;
        let theirs = held.saturating_sub(self.mine);
        self.samples.push_back((now, theirs));
        while self.samples.len() > 2 && now.duration_since(self.samples[1].0) >= USE_WINDOW {
            self.samples.pop_front();
        }
        let (then, before) = self.samples[0];
        let span = now.duration_since(then).as_secs_f64();
        if span <= 0.0 {
            return 0.0;
        }
        (theirs.saturating_sub(before).as_secs_f64() / span).min(1.0)
    }
}

/// How busy the rest of the database is, as a job on PostgreSQL sees it between its batches:
/// the other sessions running a statement at each look (every server's, the passes' reads
/// left out), averaged over the last [`USE_WINDOW`] or so. A look is an instant, taken once
/// a batch: the mean of a second's looks stands for the time those sessions were busy, in
/// sessions (it may pass 1, where the job's own rule caps it). Lives for one job on one
/// server, and reads the others from the database each time, so there is nothing for other
/// servers to keep true.
#[derive(Default)]
struct SessionsUse {
    /// (when, sessions running), oldest first, all within the last [`USE_WINDOW`] but the
    /// newest look, which is always kept.
    looks: std::collections::VecDeque<(Instant, u32)>,
}

impl SessionsUse {
    /// Records a look at `now` that found `running` other sessions running a statement;
    /// gives their mean over the last [`USE_WINDOW`].
    fn after_step(&mut self, now: Instant, running: u32) -> f64 {
        self.looks.push_back((now, running));
        while self.looks.len() > 1 && now.duration_since(self.looks[0].0) >= USE_WINDOW {
            self.looks.pop_front();
        }
        let sum: f64 = self.looks.iter().map(|&(_, n)| f64::from(n)).sum();
        sum / self.looks.len() as f64
    }
}

/// One sweep (also run by tests through the sweeper's interval).
pub async fn sweep_once(state: &AppState) -> Result<u64, ApiError> {
    let now = state.clock.now_ms();
    let started = std::time::Instant::now();
    let n = state.store.sweep(now).await?;
    // Not a reason to leave the counts unsaved: the next sweep looks again.
    match state.store.queue_orphaned_alerts(now).await {
        Ok(jobs) => {
            for job in jobs {
                tracing::info!(job = %job.id, rule = %job.subject, "open alerts of a deleted rule found");
            }
        }
        Err(e) => tracing::warn!(error = %e, "open alerts of deleted rules not looked for"),
    }
    state
        .metrics
        .sweep_seconds
        .observe(started.elapsed().as_secs_f64());
    state.metrics.swept_devices.inc_by(n);
    let refreshing = state.fleet.refreshing.lock().await;
    let (at, counts) = recount(state).await?;
    save_counts(state, at, &counts).await;
    state.store.snapshot_fleet(&counts, at).await?;
    drop(refreshing);
    fleet_alerts(state, &counts, at).await?;
    Ok(n)
}

/// Evaluates the fleet-wide alert rules (share of devices in a health state, enrollment
/// failures in a window) against the fresh counts.
async fn fleet_alerts(state: &AppState, counts: &[FleetCount], now: i64) -> Result<(), ApiError> {
    use steward_core::alerting::{share_fires, Condition, Reason};
    let mut firing = Vec::new();
    // The readiness checklist, computed once per sweep when a rule watches it.
    let mut failing: Option<std::collections::BTreeMap<String, i64>> = None;
    // The app rollouts failing and behind plan, looked at once per pass when a rule asks.
    type Found = (Vec<Reason>, Vec<Reason>);
    let mut apps: Option<Found> = None;
    // The remediations failing above their threshold, likewise.
    let mut remediations: Option<Vec<Reason>> = None;
    for rule in state.store.alert_rules().iter().filter(|r| r.enabled) {
        let in_rule = |c: &&FleetCount| {
            rule.groups.is_empty()
                || c.group
                    .as_deref()
                    .is_some_and(|g| rule.groups.iter().any(|x| x == g))
        };
        match &rule.condition {
            Condition::FleetShare {
                health,
                platform,
                percent,
            } => {
                let of_platform: Vec<&FleetCount> = counts
                    .iter()
                    .filter(in_rule)
                    .filter(|c| platform.is_none_or(|p| c.platform == p.as_str()))
                    .collect();
                let total: u64 = of_platform.iter().map(|c| c.count).sum();
                let matching: u64 = of_platform
                    .iter()
                    .filter(|c| c.health == health.as_str())
                    .map(|c| c.count)
                    .sum();
                if share_fires(*percent, matching, total) {
                    firing.push((
                        rule.id.clone(),
                        Reason::new(
                            "alert-reason-fleet-share",
                            &[
                                ("matching", matching.to_string()),
                                ("total", total.to_string()),
                                ("state", health.as_str().to_string()),
                            ],
                        ),
                    ));
                }
            }
            Condition::EnrollmentFailures {
                count,
                window_minutes,
            } => {
                let since = now - i64::from(*window_minutes) * 60_000;
                let failures = state.store.enrollment_failures_since(since).await?;
                if failures > u64::from(*count) {
                    firing.push((
                        rule.id.clone(),
                        Reason::new(
                            "alert-reason-enrollment-failures",
                            &[
                                ("count", failures.to_string()),
                                ("minutes", window_minutes.to_string()),
                            ],
                        ),
                    ));
                }
            }
            Condition::ReadinessFailing { hours } => {
                let failing = match &mut failing {
                    Some(f) => &*f,
                    slot @ None => slot.insert(crate::awareness::failing_since(state, now).await?),
                };
                let limit = now - i64::from(*hours) * 3_600_000;
                let late: Vec<&str> = failing
                    .iter()
                    .filter(|(_, since)| **since <= limit)
                    .map(|(item, _)| item.as_str())
                    .collect();
                if !late.is_empty() {
                    firing.push((
                        rule.id.clone(),
                        Reason::new(
                            "alert-reason-readiness-failing",
                            &[("items", late.join(", ")), ("hours", hours.to_string())],
                        ),
                    ));
                }
            }
            Condition::AppFailing | Condition::AppBehindPlan => {
                let (failing, behind) = match &apps {
                    Some(found) => found.clone(),
                    None => apps
                        .insert(crate::apps::plan_problems(state, now).await?)
                        .clone(),
                };
                let found = if matches!(rule.condition, Condition::AppFailing) {
                    failing
                } else {
                    behind
                };
                if !found.is_empty() {
                    let key = if matches!(rule.condition, Condition::AppFailing) {
                        "alert-reason-app-failing"
                    } else {
                        "alert-reason-app-behind"
                    };
                    let apps: Vec<&str> = found
                        .iter()
                        .filter_map(|r| r.args.get("app").map(String::as_str))
                        .collect();
                    firing.push((
                        rule.id.clone(),
                        Reason::new(key, &[("apps", apps.join(", "))]),
                    ));
                }
            }
            Condition::RemediationFailing => {
                let found = match &remediations {
                    Some(found) => found.clone(),
                    None => remediations
                        .insert(crate::remediation::failing(state).await?)
                        .clone(),
                };
                if !found.is_empty() {
                    let names: Vec<&str> = found
                        .iter()
                        .filter_map(|r| r.args.get("remediation").map(String::as_str))
                        .collect();
                    firing.push((
                        rule.id.clone(),
                        Reason::new(
                            "alert-reason-remediation-failing",
                            &[("remediations", names.join(", "))],
                        ),
                    ));
                }
            }
            Condition::DeliveryFailing { minutes } => {
                let before = now - i64::from(*minutes) * 60_000;
                let (count, channels) = state.store.undelivered(before).await?;
                if count > 0 {
                    firing.push((
                        rule.id.clone(),
                        Reason::new(
                            "alert-reason-delivery-failing",
                            &[
                                ("count", count.to_string()),
                                ("minutes", minutes.to_string()),
                                ("channels", channels.join(", ")),
                            ],
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    state.store.apply_fleet_firing(&firing, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{job_share, pause_after, OthersUse, SessionsUse};

    #[test]
    fn a_job_pauses_for_its_share() {
        let writing = Duration::from_millis(300);
        assert_eq!(pause_after(writing, 0.3), Duration::from_millis(700));
        assert_eq!(pause_after(writing, 0.5), writing);
        assert_eq!(pause_after(writing, 1.0), Duration::ZERO);
    }

    #[test]
    fn a_job_leaves_the_writer_twice_what_the_rest_used_and_never_takes_less_than_its_share() {
        // Check-ins that keep the writer busy hold the job to its share.
        assert_eq!(job_share(0.3, 0.7), 0.3);
        assert_eq!(job_share(0.3, 0.4), 0.3);
        // A steady fleet that needs a tenth of it leaves the job four fifths.
        assert!((job_share(0.3, 0.1) - 0.8).abs() < 1e-9);
        // A quiet one, the whole.
        assert_eq!(job_share(0.3, 0.0), 1.0);
        // A share of 100 % is the whole whatever the load.
        assert_eq!(job_share(1.0, 0.9), 1.0);
    }

    #[test]
    fn the_rest_of_the_servers_use_of_the_writer_is_its_held_time_less_the_jobs_over_the_last_second(
    ) {
        let ms = Duration::from_millis;
        let t0 = Instant::now();
        let mut others = OthersUse::new(ms(5_000));
        others.samples[0].0 = t0;
        // 100 ms: the job wrote for 30 ms, the rest for 10 ms.
        let used = others.after_step(t0 + ms(100), ms(5_040), ms(30));
        assert!((used - 0.1).abs() < 1e-9, "{used}");
        // Then check-ins take the writer whole for 900 ms while the job pauses.
        let used = others.after_step(t0 + ms(1_000), ms(5_940), ms(0));
        assert!((used - 0.91).abs() < 1e-9, "{used}");
        // Two seconds with nothing but the job's writes, 20 ms a batch every 100 ms: the busy
        // spell falls out of the window.
        let mut held = ms(5_940);
        let mut used = 1.0;
        for k in 1..=20 {
            held += ms(20);
            used = others.after_step(t0 + ms(1_000 + 100 * k), held, ms(20));
        }
        assert_eq!(used, 0.0);
        assert!(others.samples.len() <= 12, "{}", others.samples.len());
    }

    #[test]
    fn the_rest_of_the_databases_use_is_the_mean_of_the_sessions_running_over_the_last_second() {
        let ms = Duration::from_millis;
        let t0 = Instant::now();
        let mut sessions = SessionsUse::default();
        // A quiet database.
        assert_eq!(sessions.after_step(t0, 0), 0.0);
        // One look in four finds a check-in's statement running.
        let mut used = 0.0;
        for k in 1..=8 {
            used = sessions.after_step(t0 + ms(100 * k), u32::from(k % 4 == 0));
        }
        assert!((used - 2.0 / 9.0).abs() < 1e-9, "{used}");
        // Then three sessions at every look for a second: the quiet looks fall out.
        for k in 9..=19 {
            used = sessions.after_step(t0 + ms(100 * k), 3);
        }
        assert_eq!(used, 3.0);
        assert!(sessions.looks.len() <= 11, "{}", sessions.looks.len());
        // A look long after the last keeps itself only.
        assert_eq!(sessions.after_step(t0 + ms(60_000), 1), 1.0);
        assert_eq!(sessions.looks.len(), 1);
    }
}
