//! The agent API: enrollment and the check-in hot path.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::Json;
use steward_core::history::state_hash;
use steward_core::load::checkin_interval;
use steward_core::{enrollment, secret};
use steward_proto::{
    inventory_hash, ActionResult, CheckinRequest, CheckinResponse, EnrollRequest, EnrollResponse,
    ErrorCode,
};
use steward_store::audit::{Actor, AuditRecord};
use steward_store::writer::{AttemptRecord, CheckinWrite, EnrollWrite};
use steward_store::{DeviceAuth, Touch, WriteOp, WriteOutcome};

use crate::auth::bearer;
use crate::body::AgentBody;
use crate::error::{ApiError, FieldError};
use crate::AppState;

/// Prefix of device secrets.
const DEVICE_SECRET_PREFIX: &str = "stwd_";

/// The client's address: the connection's, or behind a balancer named in `proxy.trusted`,
/// the one its `X-Forwarded-For` names.
fn peer(parts: &Parts, state: &AppState) -> Option<SocketAddr> {
    client_of(&parts.headers, &parts.extensions, state)
}

/// [`peer`] of a request not taken apart.
pub(crate) fn client_of(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    state: &AppState,
) -> Option<SocketAddr> {
    let ConnectInfo(conn) = extensions.get::<ConnectInfo<SocketAddr>>()?;
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(SocketAddr::new(
        state.proxy.client(conn.ip(), &forwarded),
        conn.port(),
    ))
}

/// The peer's address as text, empty when unknown.
pub(crate) fn peer_text(peer: Option<SocketAddr>) -> String {
    peer.map(|a| a.ip().to_string()).unwrap_or_default()
}

/// The peer address, empty when unknown (in-process callers).
pub struct Remote(pub String);

impl FromRequestParts<AppState> for Remote {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Remote(peer_text(peer(parts, state))))
    }
}

pub async fn enroll(
    State(state): State<AppState>,
    Remote(remote): Remote,
    body: Result<AgentBody<EnrollRequest>, ApiError>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let now = state.clock.now_ms();
    let req = match body {
        Ok(AgentBody(req)) => req,
        Err(e) => {
            // Unparseable enrollments are recorded too, so the help desk sees them.
            record_refusal(&state, now, &remote, None, e.0).await;
            return Err(e);
        }
    };
    if let Err(code) = enrollment::validate_request(&req) {
        record_refusal(&state, now, &remote, Some(&req), code).await;
        return Err(code.into());
    }
    let device_id = uuid_v7();
    let device_secret = secret::generate(DEVICE_SECRET_PREFIX);
    let write = EnrollWrite {
        device_id: device_id.clone(),
        secret_hash: secret::hash(&device_secret),
        token_hash: secret::hash(&req.token),
        request: req,
        remote_addr: remote.clone(),
        at: now,
    };
    match state
        .writer
        .submit(WriteOp::Enroll(Box::new(write)))
        .await?
    {
        WriteOutcome::Enrolled => {
            state.metrics.enrollment("success");
            state.cache.put(
                &device_id,
                DeviceAuth {
                    secret_hash: secret::hash(&device_secret),
                    next_secret_hash: String::new(),
                    rotate: false,
                    seq: 0,
                    state_hash: String::new(),
                    inventory_hash: String::new(),
                    software_hash: String::new(),
                    retired: false,
                },
            );
            Ok(Json(EnrollResponse {
                device_id,
                device_secret,
                checkin_interval_secs: current_interval(&state),
            }))
        }
        WriteOutcome::Refused(code) => {
            state.metrics.enrollment(code.as_str());
            Err(code.into())
        }
        other => {
            tracing::error!(?other, "unexpected enrollment outcome");
            Err(ErrorCode::Internal.into())
        }
    }
}

/// Records an enrollment refused before its token was looked up, with the code it was
/// answered with.
async fn record_refusal(
    state: &AppState,
    at: i64,
    remote: &str,
    req: Option<&EnrollRequest>,
    code: ErrorCode,
) {
    state.metrics.enrollment(code.as_str());
    let clip = |s: &str| {
        s.chars()
            .take(steward_proto::MAX_FIELD_LEN)
            .collect::<String>()
    };
    let record = AttemptRecord {
        at,
        result: code,
        platform: req.map(|r| r.platform.as_str().to_string()),
        os_version: req.map(|r| clip(&r.os_version)).unwrap_or_default(),
        hostname: req.map(|r| clip(&r.hostname)).unwrap_or_default(),
        serial: req.map(|r| clip(&r.serial)).unwrap_or_default(),
        owner: req.map(|r| clip(&r.owner)).unwrap_or_default(),
        remote_addr: remote.to_string(),
    };
    if let Err(e) = state
        .writer
        .submit(WriteOp::RecordAttempt(Box::new(record)))
        .await
    {
        tracing::warn!(error = %e, "could not record a refused enrollment");
    }
}

/// Hands the device a new secret: its hash is stored (durably) before the secret is sent, and
/// the old secret keeps working until the device uses the new one.
async fn offer_secret(state: &AppState, device_id: &str) -> Result<String, ApiError> {
    let new_secret = secret::generate(DEVICE_SECRET_PREFIX);
    let hash = secret::hash(&new_secret);
    state
        .writer
        .submit(WriteOp::OfferSecret {
            device_id: device_id.to_string(),
            hash: hash.clone(),
        })
        .await?;
    state.cache.update(device_id, |a| a.next_secret_hash = hash);
    Ok(new_secret)
}

fn uuid_v7() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn current_interval(state: &AppState) -> u32 {
    let c = &state.config.checkin;
    checkin_interval(
        c.interval_secs,
        state.checkin_rate.load(Ordering::Relaxed) as f64,
        f64::from(c.target_rate),
    )
}

/// A device authenticated by `Authorization: Bearer DEVICE_ID.SECRET`.
pub struct Device {
    pub id: String,
    pub auth: DeviceAuth,
    /// Kept as an address, not text: only a refusal needs it written out.
    pub peer: Option<SocketAddr>,
    /// The device authenticated with the secret a rotation handed it.
    pub used_new_secret: bool,
    /// The hash of the secret presented: writes apply only while it is the device's secret.
    pub presented: String,
}

/// A retired device checked in: refused with 401 and recorded in the audit log.
async fn refuse_retired(state: &AppState, id: &str, remote: &str) -> ApiError {
    state.metrics.checkin("retired");
    let rec = AuditRecord {
        at: state.clock.now_ms(),
        actor: Actor::anonymous(id, remote),
        action: "device.checkin_refused".into(),
        object_type: "device".into(),
        object_id: Some(id.to_string()),
        before: None,
        after: None,
        outcome: "denied",
    };
    if let Err(e) = state.writer.submit(WriteOp::Audit(Box::new(rec))).await {
        tracing::warn!(error = %e, "could not record a refused check-in");
    }
    ApiError(ErrorCode::DeviceRetired)
}

impl FromRequestParts<AppState> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || {
            state.metrics.checkin("unauthorized");
            ApiError(ErrorCode::Unauthorized)
        };
        let (id, secret_text) = bearer(&parts.headers)
            .and_then(|c| c.split_once('.'))
            .ok_or_else(unauthorized)?;
        if id.len() > 64 {
            return Err(unauthorized());
        }
        let presented = secret::hash(secret_text);
        let matches = |a: &DeviceAuth| secret_matches(&presented, a);
        let hit = state
            .cache
            .get(id)
            .and_then(|a| matches(&a).map(|new| (a, new)));
        let (auth, used_new_secret) = match hit {
            Some(found) => found,
            None => {
                // Not cached, or cached but not matching: the database decides (another
                // server may have rotated the secret since this one cached it).
                let a = state
                    .store
                    .device_auth(id)
                    .await?
                    .ok_or_else(unauthorized)?;
                state.cache.put(id, a.clone());
                let new = matches(&a).ok_or_else(unauthorized)?;
                (a, new)
            }
        };
        if auth.retired {
            return Err(refuse_retired(state, id, &peer_text(peer(parts, state))).await);
        }
        Ok(Device {
            id: id.to_string(),
            auth,
            peer: peer(parts, state),
            used_new_secret,
            presented,
        })
    }
}

/// Whether the secret hash `presented` is the device's: `Some(true)` when it is the secret a
/// rotation handed it, `Some(false)` when the current one, `None` when neither.
fn secret_matches(presented: &str, a: &DeviceAuth) -> Option<bool> {
    let new =
        !a.next_secret_hash.is_empty() && secret::hashes_equal(presented, &a.next_secret_hash);
    (new || secret::hashes_equal(presented, &a.secret_hash)).then_some(new)
}

/// Confirms against the database that the secret presented is still the device's.
pub(crate) async fn confirm_secret(state: &AppState, device: &Device) -> Result<(), ApiError> {
    let current = state.store.device_auth(&device.id).await?;
    let ok = current
        .as_ref()
        .is_some_and(|a| secret_matches(&device.presented, a).is_some());
    match current {
        Some(a) if a.retired => {
            state.cache.remove(&device.id);
            Err(refuse_retired(state, &device.id, &peer_text(device.peer)).await)
        }
        Some(a) if ok => {
            state.cache.put(&device.id, a);
            Ok(())
        }
        _ => {
            state.cache.remove(&device.id);
            state.metrics.checkin("unauthorized");
            Err(ApiError(ErrorCode::Unauthorized))
        }
    }
}

/// What a check-in hands over besides its own write: the device's answers to earlier actions
/// are recorded, and what waits for it in its mailbox is claimed for the answer. Run beside
/// the check-in's write, so all their writes share one group commit instead of following
/// each other; what was claimed goes back (see [`crate::mailbox::release`]) when the answer
/// is not sent after all.
async fn exchange(
    state: &AppState,
    device_id: &str,
    results: &[ActionResult],
    now: i64,
) -> Vec<steward_proto::Action> {
    let record = async {
        if !results.is_empty() {
            crate::announce::receipts(state, device_id, results, now).await;
            crate::helpdesk::answers(state, device_id, results, now).await;
        }
    };
    let ((), actions) = tokio::join!(record, crate::mailbox::claim(state, device_id, now));
    actions
}

/// What an authenticated check-in is answered with, once its write is decided: the actions
/// claimed for it, and a new secret when a rotation is due.
async fn reply(
    state: &AppState,
    device: &Device,
    actions: Vec<steward_proto::Action>,
    interval: u32,
) -> Result<impl Fn(bool, bool) -> CheckinResponse, ApiError> {
    let new_secret = if device.auth.rotate && !device.used_new_secret {
        Some(offer_secret(state, &device.id).await?)
    } else {
        None
    };
    let apps_version = Some(state.store.apps_version());
    Ok(move |applied: bool, send_inventory: bool| CheckinResponse {
        applied,
        next_checkin_secs: interval,
        send_inventory,
        actions: actions.clone(),
        new_secret: new_secret.clone(),
        apps_version,
        send_software: false,
    })
}

pub async fn checkin(
    State(state): State<AppState>,
    device: Device,
    AgentBody(mut req): AgentBody<CheckinRequest>,
) -> Result<Json<CheckinResponse>, FieldError> {
    if state.writer.queue_depth() > state.config.checkin.max_queue as usize {
        state.metrics.checkin("overloaded");
        return Err(ErrorCode::Overloaded.into());
    }
    state.checkins_this_second.fetch_add(1, Ordering::Relaxed);
    steward_core::limits::check_checkin(&req)?;
    let seq = i64::try_from(req.seq).map_err(|_| FieldError {
        code: ErrorCode::InvalidField,
        field: Some("seq".into()),
    })?;
    let now = state.clock.now_ms();
    let interval = current_interval(&state);
    let results = std::mem::take(&mut req.action_results);
    let installs = std::mem::take(&mut req.app_installs);
    let reported_software = req.software_hash.take();
    let software = req
        .software
        .take()
        .map(|list| (steward_proto::software_hash(&list), list));
    // The device's software list differs from the one stored and did not come along.
    let send_software = software.is_none()
        && reported_software
            .as_deref()
            .is_some_and(|h| h != device.auth.software_hash);
    if device.used_new_secret {
        // First use of the rotated secret: it becomes the only one.
        state
            .writer
            .submit(WriteOp::PromoteSecret {
                device_id: device.id.clone(),
                hash: device.presented.clone(),
                at: now,
            })
            .await?;
        state.cache.update(&device.id, |a| {
            a.secret_hash = std::mem::take(&mut a.next_secret_hash);
            a.rotate = false;
        });
    }
    if seq <= device.auth.seq {
        // Nothing is written for a stale check-in, so the database confirms the secret
        // (this server's cached entry may predate a rotation made through another).
        confirm_secret(&state, &device).await?;
        state.metrics.checkin("stale");
        let actions = exchange(&state, &device.id, &results, now).await;
        return finish(&state, &device.id, &actions, now, async {
            let reply = reply(&state, &device, actions.clone(), interval).await?;
            Ok(Json(reply(false, false)))
        })
        .await;
    }
    let sh = state_hash(&req.os, req.protection.as_ref(), req.compliance.as_ref());
    // The first check-in's locale decides the language of the owner's welcome.
    let first_locale = (device.auth.seq == 0).then(|| req.os.locale.clone());
    let inventory = req.inventory.map(|inv| {
        let h = inventory_hash(&inv);
        (inv, h)
    });
    let reported_inv = req.inventory_hash.unwrap_or_default();
    let unchanged = inventory.is_none()
        && sh == device.auth.state_hash
        && (reported_inv.is_empty() || reported_inv == device.auth.inventory_hash);

    let (os, protection, compliance) = (req.os, req.protection, req.compliance);
    let write = {
        let (state, device, sh) = (&state, &device, sh.clone());
        async move {
            let mut outcome = WriteOutcome::StateMismatch;
            if unchanged {
                let touch = Touch {
                    device_id: device.id.clone(),
                    seq,
                    at: now,
                    state_hash: sh.clone(),
                    secret_hash: device.presented.clone(),
                };
                let waits = crate::touches::may_wait(
                    state,
                    &device.id,
                    &device.auth,
                    device.used_new_secret,
                    seq,
                );
                outcome = if waits {
                    state.touches.add(touch);
                    WriteOutcome::Applied {
                        inventory_hash: String::new(),
                    }
                } else {
                    state.writer.submit(WriteOp::Touch(touch)).await?
                };
            }
            if outcome == WriteOutcome::StateMismatch {
                let write = CheckinWrite {
                    device_id: device.id.clone(),
                    seq,
                    at: now,
                    os,
                    protection,
                    compliance,
                    inventory,
                    state_hash: sh,
                    secret_hash: device.presented.clone(),
                };
                outcome = state
                    .writer
                    .submit(WriteOp::Checkin(std::sync::Arc::new(write)))
                    .await?;
            }
            Ok::<_, ApiError>(outcome)
        }
    };
    let (written, actions) = tokio::join!(write, exchange(&state, &device.id, &results, now));
    let answer = async {
        match written? {
            WriteOutcome::Applied { inventory_hash } => {
                let stored_inv = if unchanged {
                    device.auth.inventory_hash.clone()
                } else {
                    inventory_hash
                };
                let send_inventory = !reported_inv.is_empty() && reported_inv != stored_inv
                    || stored_inv.is_empty() && reported_inv.is_empty();
                state.cache.update(&device.id, |a| {
                    a.seq = seq;
                    a.state_hash = sh;
                    a.inventory_hash = stored_inv;
                });
                state
                    .metrics
                    .checkin(if unchanged { "unchanged" } else { "changed" });
                // Recorded once: a snapshot sent again (stale) does not report these again.
                if !req.set_aside.is_empty() {
                    let events: Vec<(&str, serde_json::Value)> = req
                        .set_aside
                        .iter()
                        .map(|s| {
                            (
                                "snapshot_set_aside",
                                serde_json::to_value(s).unwrap_or_default(),
                            )
                        })
                        .collect();
                    if let Err(e) = state
                        .store
                        .add_device_events(&device.id, &events, now)
                        .await
                    {
                        tracing::warn!(error = %e, "set-aside snapshots not recorded");
                    }
                }
                crate::apps::take_checkin(&state, &device.id, software, &installs, now).await?;
                let mut handed = actions.clone();
                if let Some(locale) = first_locale {
                    crate::announce::welcome(&state, &device.id, locale).await;
                    // The welcome came into the mailbox after the claim beside the write:
                    // this answer carries it too (an offer not received is made again).
                    handed.extend(crate::mailbox::claim(&state, &device.id, now).await);
                }
                let answer = reply(&state, &device, handed, interval).await?;
                let mut answer = answer(true, send_inventory);
                answer.send_software = send_software;
                Ok(Json(answer))
            }
            WriteOutcome::Stale => {
                state.metrics.checkin("stale");
                let answer = reply(&state, &device, actions.clone(), interval).await?;
                Ok(Json(answer(false, false)))
            }
            WriteOutcome::Retired => {
                state.cache.remove(&device.id);
                Err(refuse_retired(&state, &device.id, &peer_text(device.peer))
                    .await
                    .into())
            }
            WriteOutcome::UnknownDevice => {
                state.cache.remove(&device.id);
                state.metrics.checkin("unauthorized");
                Err(ApiError(ErrorCode::Unauthorized).into())
            }
            other => {
                tracing::error!(?other, "unexpected check-in outcome");
                Err(ApiError(ErrorCode::Internal).into())
            }
        }
    };
    finish(&state, &device.id, &actions, now, answer).await
}

/// The check-in's answer; what was claimed for it goes back to the mailbox when it is not
/// a success (a failed write, a retired device): nothing handed to an answer that is never
/// sent is lost.
async fn finish(
    state: &AppState,
    device_id: &str,
    actions: &[steward_proto::Action],
    claimed_at: i64,
    answer: impl std::future::Future<Output = Result<Json<CheckinResponse>, FieldError>>,
) -> Result<Json<CheckinResponse>, FieldError> {
    let answer = answer.await;
    if answer.is_err() && !actions.is_empty() {
        crate::mailbox::release(state, device_id, actions, claimed_at).await;
    }
    answer
}
