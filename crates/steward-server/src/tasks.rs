//! The server's background work, in one place.
//!
//! Two kinds:
//! - **Per replica** (every server runs its own): housekeeping of this process (the check-in
//!   rate it measures, SQLite checkpoints), the follower of shared configuration and of the
//!   device mailbox, the search index refresher (changes made through other servers), the
//!   listener for other servers' wake-ups (`steward_store::wake`), and with HTTPS the
//!   certificate reloader and the plain-HTTP redirect listener ([`start_tls`]: this
//!   process's own files and port, so every server keeps its own).
//! - **Singleton** (one server at a time among all that share the database): the fleet
//!   sweeper, the fleet jobs (re-evaluations after policy and rule changes), the notifier (its repeat and escalation passes), the deliverer of the outbox,
//!   the feed poller and weekly digest, the rollout scheduler of app assignments, the daily
//!   rollup of report figures with the scheduled reports, the remediation scheduler. Each runs under a lease of its own
//!   ([`steward_store::Lease`]); a server that does not hold it tries again every
//!   [`RETRY`], so when the holder dies another takes over within seconds. The work itself
//!   stays safe if two ever overlap (a lease lost mid-pass): what it writes is keyed or
//!   compared before it is set.
//!
//! `steward_lease_held{job}` in `/metrics` says which leases this server holds.

use std::future::Future;
use std::time::Duration;

use futures::FutureExt;

use crate::AppState;

/// How long a server waits before trying again for a lease another one holds.
pub const RETRY: Duration = Duration::from_secs(2);

/// The singleton jobs, by lease name.
pub const SINGLETONS: [&str; 8] = [
    "sweeper",
    "fleet-jobs",
    "notifier",
    "deliverer",
    "feeds",
    "rollout",
    "reports",
    "remediation",
];

/// Starts every background job of this server.
pub fn start(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let [sweeper, jobs, notifier, deliverer, feeds, rollout, reports, remediation] = SINGLETONS;
    vec![
        tokio::spawn(housekeeping(state.clone())),
        tokio::spawn(crate::kb::refresher(state.clone())),
        tokio::spawn(follow_shared(state.clone())),
        tokio::spawn(listen(state.clone())),
        singleton(state, sweeper, crate::fleet::sweeper),
        singleton(state, jobs, crate::fleet::job_runner),
        singleton(state, notifier, crate::notify::notifier),
        singleton(state, deliverer, crate::notify::deliverer),
        singleton(state, feeds, crate::awareness::feed_poller),
        singleton(state, rollout, crate::apps::scheduler),
        singleton(state, reports, crate::reports::scheduler),
        singleton(state, remediation, crate::remediation::scheduler),
    ]
}

/// This server's HTTPS upkeep: the certificate reloader (files or SIGHUP) and, when
/// `tls.redirect_http_from` is set, the listener answering plain HTTP with a redirect.
pub async fn start_tls(
    state: &AppState,
    current: crate::tls::Current,
    https_port: u16,
) -> std::io::Result<Vec<tokio::task::JoinHandle<()>>> {
    let tls = &state.config.tls;
    let mut tasks = vec![tokio::spawn(crate::tls::reloader(
        current,
        tls.cert_file.clone().into(),
        tls.key_file.clone().into(),
        Duration::from_secs(u64::from(tls.reload_secs)),
    ))];
    if !tls.redirect_http_from.is_empty() {
        let plain = tokio::net::TcpListener::bind(&tls.redirect_http_from).await?;
        let to_https = axum::Router::new()
            .fallback(move |req: axum::extract::Request| crate::tls::redirect(https_port, req));
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(plain, to_https).await;
        }));
    }
    Ok(tasks)
}

/// Runs `job` whenever this server holds the lease `name`, and stops it when the lease is lost.
pub fn singleton<F, Fut>(
    state: &AppState,
    name: &'static str,
    job: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let state = state.clone();
    tokio::spawn(async move {
        let held = state.metrics.lease_held(name);
        loop {
            let mut lease = match state.store.try_lease(name).await {
                Ok(Some(lease)) => lease,
                Ok(None) => {
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(job = name, error = %e, "lease not taken");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            tracing::info!(job = name, "lease taken: this server runs the job");
            held.set(1);
            // Run inside this task (not spawned): aborting the task stops the job too, and
            // with it the job's hold on the server's state.
            let work = std::panic::AssertUnwindSafe(job(state.clone())).catch_unwind();
            tokio::select! {
                () = lease.lost() => {
                    tracing::warn!(job = name, "lease lost: the job stops here");
                }
                _ = work => {
                    // The jobs run forever: ending means a panic.
                    tracing::error!(job = name, "job panicked; it starts again");
                }
            }
            held.set(0);
            lease.release().await;
            tokio::time::sleep(RETRY).await;
        }
    })
}

/// This server's own upkeep, once a second: turns its check-in counter into a rate (used to
/// stretch intervals under load) and checkpoints the SQLite write-ahead log.
pub async fn housekeeping(state: AppState) {
    use std::sync::atomic::Ordering;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let n = state.checkins_this_second.swap(0, Ordering::Relaxed);
        state.checkin_rate.store(n, Ordering::Relaxed);
        state.metrics.checkin_rate.set(n as i64);
        checkpoint(&state.store).await;
    }
}

/// One checkpoint of the SQLite write-ahead log (see `Store::checkpoint`; nothing on
/// PostgreSQL), a failure logged: the next second tries again.
pub async fn checkpoint(store: &steward_store::Store) {
    if let Err(e) = store.checkpoint().await {
        tracing::warn!(error = %e, "checkpoint failed");
    }
}

/// How often each server compares the configuration it holds with the database's versions
/// (besides at once when another server's wake-up arrives).
pub const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// Reloads policies, alert rules, channels and silences changed through another server (see
/// `steward_store::shared`), and this server's mailbox hint when the mailbox changed (and
/// every [`crate::mailbox::RELOAD_EVERY`] in any case).
async fn follow_shared(state: AppState) {
    let signals = state.store.signals();
    let mut tick = tokio::time::interval(FOLLOW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut mailbox_loaded = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = signals.follow.notified() => {}
        }
        let mut reload_mailbox = mailbox_loaded.elapsed() >= crate::mailbox::RELOAD_EVERY;
        match state.store.follow_shared().await {
            Ok(kinds) if !kinds.is_empty() => {
                tracing::debug!(?kinds, "changes made through another server followed");
                reload_mailbox |= kinds.contains(&steward_store::shared::Kind::Mailbox);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "shared configuration not compared"),
        }
        if reload_mailbox {
            match crate::mailbox::reload(&state).await {
                Ok(()) => mailbox_loaded = tokio::time::Instant::now(),
                Err(e) => tracing::warn!(error = %e, "mailbox not reloaded"),
            }
        }
    }
}

/// Other servers' wake-ups (PostgreSQL `LISTEN`; nothing to do on SQLite).
async fn listen(state: AppState) {
    state.store.listen().await;
}
