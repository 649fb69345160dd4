//! The device mailbox: what waits for a device (help-desk requests, announcements), handed
//! out with a check-in answer or at once through the push channel (`GET /agent/v1/wait`, a
//! long-poll the agent keeps open to whichever server it reaches).
//!
//! The database holds the mailbox; each server keeps only a hint of who has mail, so that a
//! check-in of a device with none (nearly all) costs no query. The hint follows the database
//! like shared configuration: a new item bumps the mailbox version (and sends a wake-up on
//! PostgreSQL), every server reloads its hint when the version moves, and once a minute in
//! any case. Handing an item out claims it in the database first (a conditional update): a
//! request goes to one answer only, on whichever server, across restarts too; an announcement
//! is offered again only if its receipt has not come within [`OFFER_LAPSE_MS`]. A hint that
//! the claim finds stale is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use steward_proto::{Action, ErrorCode, WaitResponse};

use crate::agent::Device;
use crate::error::ApiError;
use crate::AppState;

/// An announcement offered to a device whose receipt did not come is offered again after this.
pub const OFFER_LAPSE_MS: i64 = 10 * 60 * 1000;
/// How often each server reloads its hint even when the version did not move (offers that
/// lapsed come back).
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);

/// Who may have mail, and the agents waiting on this server for theirs.
#[derive(Debug, Default)]
pub struct Mailbox {
    hints: RwLock<HashMap<String, Vec<Action>>>,
    waiting: Mutex<HashMap<String, Arc<tokio::sync::Notify>>>,
    /// Items noted while a reload reads the database: its rows may be older than them, so
    /// they are kept over the rows it brings (a new request is never hidden until the next
    /// reload).
    during_reload: Mutex<DuringReload>,
}

#[derive(Debug, Default)]
struct DuringReload {
    /// Reloads under way.
    reloads: usize,
    /// Items noted since the oldest of them began.
    noted: Vec<(String, Action)>,
}

/// A reload under way (see [`Mailbox::begin_reload`]); dropping it without
/// [`Reloading::finish`] leaves the hint as it was.
struct Reloading<'a>(&'a Mailbox);

impl Reloading<'_> {
    /// Replaces the hint with `fresh` and the items noted since the reload began.
    fn finish(self, mut fresh: HashMap<String, Vec<Action>>) {
        // Held until the hint is replaced, so an item noted meanwhile is either merged here
        // or added to the new hint.
        let during = self.0.during_reload.lock();
        if let Ok(during) = &during {
            for (device, action) in &during.noted {
                let list = fresh.entry(device.clone()).or_default();
                if !list.iter().any(|a| a.id == action.id) {
                    list.push(action.clone());
                }
            }
        }
        self.0.replace(fresh);
        drop(during);
    }
}

impl Drop for Reloading<'_> {
    fn drop(&mut self) {
        if let Ok(mut during) = self.0.during_reload.lock() {
            during.reloads = during.reloads.saturating_sub(1);
            if during.reloads == 0 {
                during.noted.clear();
            }
        }
    }
}

impl Mailbox {
    /// What may wait for a device (nothing, nearly always).
    pub fn hinted(&self, device_id: &str) -> Vec<Action> {
        let Ok(map) = self.hints.read() else {
            return Vec::new();
        };
        if map.is_empty() {
            return Vec::new();
        }
        map.get(device_id).cloned().unwrap_or_default()
    }

    /// Whether anything may wait for a device (without copying it).
    pub fn has_hint(&self, device_id: &str) -> bool {
        self.hints
            .read()
            .map(|map| !map.is_empty() && map.contains_key(device_id))
            .unwrap_or(true)
    }

    /// Notes an item for a device and wakes its agent if it waits here.
    pub(crate) fn add(&self, device_id: &str, action: Action) {
        self.note(device_id, action);
        self.wake(device_id);
    }

    /// Notes an item for a device without waking its agent: for an item about to commit
    /// (the agent is woken once it has; see `remediation::pass`).
    pub(crate) fn note(&self, device_id: &str, action: Action) {
        if let Ok(mut during) = self.during_reload.lock() {
            if during.reloads > 0 {
                during.noted.push((device_id.to_string(), action.clone()));
            }
        }
        if let Ok(mut map) = self.hints.write() {
            let list = map.entry(device_id.to_string()).or_default();
            if !list.iter().any(|a| a.id == action.id) {
                list.push(action);
            }
        }
    }

    pub(crate) fn remove(&self, device_id: &str, action_id: &str) {
        if let Ok(mut map) = self.hints.write() {
            if let Some(list) = map.get_mut(device_id) {
                list.retain(|a| a.id != action_id);
                if list.is_empty() {
                    map.remove(device_id);
                }
            }
        }
    }

    /// Starts a reload: items noted from now on survive its [`Reloading::finish`].
    fn begin_reload(&self) -> Reloading<'_> {
        if let Ok(mut during) = self.during_reload.lock() {
            during.reloads += 1;
        }
        Reloading(self)
    }

    /// Replaces the hint with what the database holds; agents waiting here with mail wake.
    fn replace(&self, fresh: HashMap<String, Vec<Action>>) {
        let waiting: Vec<String> = match self.waiting.lock() {
            Ok(w) => w
                .keys()
                .filter(|d| fresh.contains_key(d.as_str()))
                .cloned()
                .collect(),
            Err(_) => Vec::new(),
        };
        if let Ok(mut map) = self.hints.write() {
            *map = fresh;
        }
        for d in waiting {
            self.wake(&d);
        }
    }

    pub(crate) fn wake(&self, device_id: &str) {
        let waiter = self
            .waiting
            .lock()
            .ok()
            .and_then(|w| w.get(device_id).cloned());
        if let Some(n) = waiter {
            n.notify_one();
        }
    }

    /// Agents waiting on this server now.
    pub fn waiting(&self) -> usize {
        self.waiting.lock().map(|w| w.len()).unwrap_or(0)
    }
}

/// Reloads this server's hint from the database.
pub async fn reload(state: &AppState) -> Result<(), steward_store::StoreError> {
    let reloading = state.mailbox.begin_reload();
    let mut fresh: HashMap<String, Vec<Action>> = HashMap::new();
    for r in state.store.unsent_requests().await? {
        fresh
            .entry(r.device_id.clone())
            .or_default()
            .push(crate::helpdesk::action(&r));
    }
    for (device, a, lang) in state.store.waiting_announcements().await? {
        fresh
            .entry(device)
            .or_default()
            .push(crate::announce::action(&a, lang));
    }
    reloading.finish(fresh);
    Ok(())
}

/// Claims what waits for a device, for the answer about to be sent to it.
pub async fn claim(state: &AppState, device_id: &str, now: i64) -> Vec<Action> {
    let hinted = state.mailbox.hinted(device_id);
    let mut claimed = Vec::with_capacity(hinted.len());
    for a in hinted {
        let got = if let Some(id) = a.id.strip_prefix(crate::helpdesk::PREFIX) {
            state
                .writer
                .submit(steward_store::WriteOp::ClaimRequest {
                    id: id.to_string(),
                    device_id: device_id.to_string(),
                    at: now,
                })
                .await
                .map(|o| o == steward_store::WriteOutcome::Recorded)
        } else if let Some(id) = a.id.strip_prefix(crate::announce::PREFIX) {
            state
                .store
                .claim_announcement(id, device_id, now, OFFER_LAPSE_MS)
                .await
        } else {
            Ok(false)
        };
        match got {
            // Claimed here, or handed out before (through this server or another: the hint
            // was stale): either way the hint has done its work.
            Ok(got) => {
                state.mailbox.remove(device_id, &a.id);
                if got {
                    claimed.push(a);
                }
            }
            // Kept for the next answer.
            Err(e) => tracing::warn!(error = %e, "mailbox item not claimed"),
        }
    }
    claimed
}

/// Puts back what [`claim`] took at `at` for an answer that was not sent after all (its
/// check-in failed): requests return to the mailbox and the hint; announcements are offered
/// again after [`OFFER_LAPSE_MS`], as any offer whose receipt does not come.
pub async fn release(state: &AppState, device_id: &str, claimed: &[Action], at: i64) {
    for a in claimed {
        let Some(id) = a.id.strip_prefix(crate::helpdesk::PREFIX) else {
            continue;
        };
        let put_back = state
            .writer
            .submit(steward_store::WriteOp::ReleaseRequest {
                id: id.to_string(),
                device_id: device_id.to_string(),
                at,
            })
            .await;
        match put_back {
            Ok(steward_store::WriteOutcome::Recorded) => state.mailbox.add(device_id, a.clone()),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "mailbox item not put back"),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WaitQuery {
    /// Seconds to wait at most (the server's `checkin.push_wait_secs` caps it).
    #[serde(default)]
    pub secs: Option<u32>,
}

/// Removes the agent's waiter when its request ends, however it ends.
struct Registered<'a> {
    state: &'a AppState,
    device_id: &'a str,
    notify: Arc<tokio::sync::Notify>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        if let Ok(mut w) = self.state.mailbox.waiting.lock() {
            if w.get(self.device_id)
                .is_some_and(|n| Arc::ptr_eq(n, &self.notify))
            {
                w.remove(self.device_id);
            }
            self.state.metrics.waiting_agents.set(w.len() as i64);
        }
    }
}

/// `GET /agent/v1/wait`: the push channel. Answers at once with what waits for the device,
/// else when something arrives for it (made through any server) or when the wait runs out.
pub async fn wait(
    State(state): State<AppState>,
    device: Device,
    query: Result<Query<WaitQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<WaitResponse>, ApiError> {
    let Query(q) = query.map_err(|_| ApiError(ErrorCode::InvalidField))?;
    let cap = state.config.checkin.push_wait_secs;
    let secs = q.secs.unwrap_or(cap).min(cap);
    if state.mailbox.waiting() >= state.config.checkin.max_waiting as usize {
        return Err(ApiError(ErrorCode::Overloaded));
    }
    let notify = Arc::new(tokio::sync::Notify::new());
    if let Ok(mut w) = state.mailbox.waiting.lock() {
        w.insert(device.id.clone(), notify.clone());
        state.metrics.waiting_agents.set(w.len() as i64);
    }
    let _registered = Registered {
        state: &state,
        device_id: &device.id,
        notify: notify.clone(),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(secs));
    let mut stopping = state.stopping.subscribe();
    loop {
        if !state.mailbox.hinted(&device.id).is_empty() {
            // Handing something out: the database confirms the secret first (this server's
            // cached entry may predate a rotation or retirement made through another).
            crate::agent::confirm_secret(&state, &device).await?;
            let actions = claim(&state, &device.id, state.clock.now_ms()).await;
            if !actions.is_empty() {
                state.metrics.pushed.inc_by(actions.len() as u64);
                return Ok(Json(WaitResponse { actions }));
            }
        }
        tokio::select! {
            () = notify.notified() => {}
            () = tokio::time::sleep_until(deadline) => break,
            _ = stopping.wait_for(|s| *s) => break,
        }
    }
    Ok(Json(WaitResponse::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str) -> Action {
        Action {
            id: id.to_string(),
            kind: "sync".into(),
            params: serde_json::Value::Null,
        }
    }

    #[test]
    fn an_item_noted_while_a_reload_reads_survives_the_older_rows_it_brings() {
        let mailbox = Mailbox::default();
        mailbox.add("d1", item("a"));
        // Rows read before "b" was committed: they hold "a" only.
        let reloading = mailbox.begin_reload();
        mailbox.add("d1", item("b"));
        mailbox.add("d2", item("c"));
        reloading.finish(HashMap::from([("d1".to_string(), vec![item("a")])]));
        let ids =
            |d: &str| -> Vec<String> { mailbox.hinted(d).into_iter().map(|a| a.id).collect() };
        assert_eq!(ids("d1"), ["a", "b"]);
        assert_eq!(ids("d2"), ["c"]);
        // Once no reload is under way, a reload's rows are the whole hint.
        mailbox.begin_reload().finish(HashMap::new());
        assert!(ids("d1").is_empty() && ids("d2").is_empty());
    }
}
