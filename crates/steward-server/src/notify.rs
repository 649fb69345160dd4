//! Notifications: the notifier task (decides grouped notifications, repeats and escalations),
//! the deliverer task (sends the outbox with retries and backoff), how each channel kind is
//! sent, and the API for channels, silences, deliveries and alert response times.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use futures::StreamExt;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use steward_core::alerting::Severity;
use steward_core::notify::{
    backoff_ms, render_test, response_stats, Channel, ChannelKind, Rendered, ResponseStats,
    Silence, SILENCE_LABELS,
};
use steward_core::time::{parse_rfc3339, to_rfc3339};
use steward_core::Lang;
use steward_proto::{ErrorCode, Page};
use steward_store::notify::{ChannelStatus, Delivery};
use steward_store::StoreError;

use crate::api::Params;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::paging::{Order, Pages, Paging};
use crate::AppState;

/// How long the tasks sleep at most on the server's clock when nothing wakes them (besides
/// `Store::look_every` in real time, for changes made by other servers).
const IDLE_MS: i64 = 30_000;

/// A delivery attempt is claimed for its timeout and this much more.
const CLAIM_MARGIN_MS: i64 = 5_000;

/// Decides notifications whenever alerts change or something held falls due.
pub async fn notifier(state: AppState) {
    let signals = state.store.signals();
    let link = state.config.console_url();
    loop {
        let now = state.clock.now_ms();
        let wake_at = match state.store.notify_pass(now, &link).await {
            Ok(out) => {
                state.metrics.notifications_queued.inc_by(out.queued as u64);
                out.next_due.unwrap_or(now + IDLE_MS).min(now + IDLE_MS)
            }
            Err(e) => {
                tracing::warn!(error = %e, "notifier pass failed");
                now + 1000
            }
        };
        tokio::select! {
            _ = signals.notifier.notified() => {}
            _ = state.clock.sleep_until(wake_at) => {}
            _ = tokio::time::sleep(state.store.look_every()) => {}
        }
    }
}

/// Sends the outbox: each channel's due notifications in order, channels side by side.
pub async fn deliverer(state: AppState) {
    let signals = state.store.signals();
    loop {
        let now = state.clock.now_ms();
        let due = match state.store.due_deliveries(now, 256).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "reading the outbox failed");
                Vec::new()
            }
        };
        let full = due.len() == 256;
        let mut by_channel: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        for d in due {
            by_channel.entry(d.channel_id.clone()).or_default().push(d);
        }
        futures::stream::iter(by_channel.into_values())
            .for_each_concurrent(8, |list| deliver_channel(&state, list))
            .await;
        if full {
            continue;
        }
        let now = state.clock.now_ms();
        let next = state.store.next_delivery_at().await.ok().flatten();
        let wake_at = next.unwrap_or(now + IDLE_MS).min(now + IDLE_MS);
        tokio::select! {
            _ = signals.deliverer.notified() => {}
            _ = state.clock.sleep_until(wake_at) => {}
            _ = tokio::time::sleep(state.store.look_every()) => {}
        }
    }
}

/// Delivers one channel's notifications in order; stops at the first failure (the failure
/// pushed the channel's other notifications back).
async fn deliver_channel(state: &AppState, list: Vec<Delivery>) {
    let cfg = &state.config.notify;
    for d in list {
        let r = Rendered {
            subject: d.subject.clone(),
            body: d.body.clone(),
        };
        // An e-mail to a person carries its address; the rest go to their channel.
        let channel = match &d.address {
            Some(address) => Ok(Channel {
                id: d.channel_id.clone(),
                name: address.clone(),
                kind: ChannelKind::Email,
                target: address.clone(),
                secret: String::new(),
                language: d
                    .language
                    .as_deref()
                    .and_then(Lang::parse)
                    .unwrap_or_default(),
                severities: Vec::new(),
                send_resolved: true,
                enabled: true,
            }),
            None => state.store.channel(&d.channel_id),
        };
        // Claimed for this attempt; another sender holding it (servers overlapping at a
        // lease's hand-over) keeps the channel: its order stays.
        let now = state.clock.now_ms();
        let hold = i64::from(cfg.timeout_secs) * 1000 + CLAIM_MARGIN_MS;
        match state.store.claim_delivery(&d, now, now + hold).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e, "notification not claimed");
                return;
            }
        }
        let result = match channel {
            // A report: its HTML summary with the PDF and CSV attached.
            Ok(c) if d.kind == "report" => match state.store.outbox_attachments(&d.id).await {
                Ok(files) => send_mail(state, &c, &d.id, &r, Some(&files)).await,
                Err(e) => Err(e.to_string()),
            },
            Ok(c) => send(state, &c, &d.id, &r).await,
            Err(_) => Err("channel deleted".to_string()),
        };
        let now = state.clock.now_ms();
        let recorded = match &result {
            Ok(()) => {
                state.metrics.delivery("delivered");
                state.store.delivery_succeeded(&d, now).await
            }
            Err(e) => {
                let give_up_ms = i64::from(cfg.give_up_after_hours) * 3_600_000;
                let retry = (now - d.created_ms < give_up_ms).then(|| {
                    let wait =
                        backoff_ms(d.attempts as u32, i64::from(cfg.max_backoff_secs) * 1000);
                    now + wait
                });
                state
                    .metrics
                    .delivery(if retry.is_some() { "retry" } else { "failed" });
                tracing::warn!(channel = %d.channel_id, notification = %d.id, error = %e,
                    "notification not delivered");
                state.store.delivery_failed(&d, e, now, retry).await
            }
        };
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "recording a delivery failed");
        }
        if result.is_err() {
            return;
        }
    }
}

/// One e-mail to a person: user id, address, language, subject, body.
pub type PersonMail = (String, String, String, String, String);

/// Queues e-mails to people (major updates, reminders, digests, announcements), the n-th not
/// before `at + n × spacing_ms`. Without an SMTP server there is no e-mail to people and
/// nothing is queued (it could never be delivered); callers that were asked for a mail say so.
pub async fn mail_people(
    state: &AppState,
    kind: &str,
    mails: &[PersonMail],
    at: i64,
    spacing_ms: i64,
) -> Result<usize, ApiError> {
    if !state.config.notify.mail_configured() {
        return Ok(0);
    }
    Ok(state
        .store
        .queue_mails_spaced(kind, mails, at, spacing_ms)
        .await?)
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the webhook signature header.
pub fn signature(secret: &str, unix_secs: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{unix_secs}.{body}").as_bytes());
    format!(
        "t={unix_secs},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Sends one rendered notification to `channel`; `id` is the idempotency key.
pub async fn send(
    state: &AppState,
    channel: &Channel,
    id: &str,
    r: &Rendered,
) -> Result<(), String> {
    match channel.kind {
        ChannelKind::Email => send_mail(state, channel, id, r, None).await,
        kind => {
            let mut headers = vec![
                ("content-type", "application/json".to_string()),
                ("idempotency-key", id.to_string()),
            ];
            if kind == ChannelKind::Webhook {
                let ts = state.clock.now_ms() / 1000;
                headers.push(("x-steward-event", "alert.notification".into()));
                if !channel.secret.is_empty() {
                    headers.push((
                        "x-steward-signature",
                        signature(&channel.secret, ts, &r.body),
                    ));
                }
            }
            state
                .outbound
                .post(&channel.target, &headers, r.body.clone())
                .await
        }
    }
}

/// Attachments of an e-mail: name, content type, bytes.
type Files = [(String, String, Vec<u8>)];

/// Sends `r` by e-mail: plain text, or (with `files`) an HTML body with the files attached.
async fn send_mail(
    state: &AppState,
    channel: &Channel,
    id: &str,
    r: &Rendered,
    files: Option<&Files>,
) -> Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::message::{Attachment, MultiPart, SinglePart};
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let cfg = &state.config.notify;
    if !cfg.mail_configured() {
        return Err("no SMTP server configured (notify.smtp_host)".into());
    }
    let from = cfg
        .smtp_from
        .parse()
        .map_err(|e| format!("notify.smtp_from: {e}"))?;
    let mut msg = Message::builder()
        .from(from)
        .subject(r.subject.clone())
        .message_id(Some(format!("<{id}@steward>")));
    for a in channel.addresses() {
        msg = msg.to(a.parse().map_err(|e| format!("{a}: {e}"))?);
    }
    let msg = match files {
        None => msg.header(ContentType::TEXT_PLAIN).body(r.body.clone()),
        Some(files) => {
            let mut parts = MultiPart::mixed().singlepart(SinglePart::html(r.body.clone()));
            for (name, kind, data) in files {
                let kind = ContentType::parse(kind).map_err(|e| e.to_string())?;
                parts = parts.singlepart(Attachment::new(name.clone()).body(data.clone(), kind));
            }
            msg.multipart(parts)
        }
    }
    .map_err(|e| e.to_string())?;
    let builder = match cfg.smtp_tls.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.smtp_host),
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.smtp_host),
        _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &cfg.smtp_host,
        )),
    }
    .map_err(|e| e.to_string())?;
    let mut builder = builder
        .port(cfg.smtp_port)
        .timeout(Some(Duration::from_secs(u64::from(cfg.timeout_secs))));
    if !cfg.smtp_username.is_empty() {
        builder = builder.credentials(Credentials::new(
            cfg.smtp_username.clone(),
            cfg.smtp_password.clone(),
        ));
    }
    // lettre caps the server's replies itself (line and response length); the whole
    // exchange is bounded here as well as each read and write.
    let whole = Duration::from_secs(3 * u64::from(cfg.timeout_secs));
    match tokio::time::timeout(whole, builder.build().send(msg)).await {
        Ok(sent) => sent.map(|_| ()).map_err(|e| e.to_string()),
        Err(_) => Err(format!("SMTP: no answer within {} s", whole.as_secs())),
    }
}

// ---- API: channels ----

/// A channel as the API takes it. On update, an omitted `secret` keeps the stored one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    pub name: String,
    pub kind: ChannelKind,
    pub target: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub language: Option<Lang>,
    #[serde(default)]
    pub severities: Vec<Severity>,
    #[serde(default = "yes")]
    pub send_resolved: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A channel with its delivery standing; the secret is never shown, only whether there is one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    #[serde(flatten)]
    pub channel: Channel,
    pub has_secret: bool,
    pub delivery: ChannelStatus,
}

async fn view(state: &AppState, c: Channel) -> Result<ChannelView, ApiError> {
    let delivery = state.store.channel_status(&c.id).await?;
    Ok(ChannelView {
        has_secret: !c.secret.is_empty(),
        channel: c,
        delivery,
    })
}

fn channel_from(
    state: &AppState,
    id: String,
    b: ChannelBody,
    old_secret: String,
) -> Result<Channel, ApiError> {
    let c = Channel {
        id,
        name: b.name,
        kind: b.kind,
        target: b.target.trim().to_string(),
        secret: b.secret.unwrap_or(old_secret),
        language: b.language.unwrap_or_default(),
        severities: b.severities,
        send_resolved: b.send_resolved,
        enabled: b.enabled,
    };
    c.validate()
        .map_err(|_| ApiError(ErrorCode::InvalidField))?;
    if c.kind != ChannelKind::Email {
        state
            .outbound
            .check(&c.target)
            .map_err(|_| ApiError(ErrorCode::OutboundRefused))?;
    }
    Ok(c)
}

pub async fn list_channels(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<ChannelView>>, ApiError> {
    let mut channels = state.store.channels().as_ref().clone();
    channels.sort_by(|a, b| a.id.cmp(&b.id));
    let shown = p.page(channels, Order::Asc, |c| c.id.clone());
    let mut items = Vec::with_capacity(shown.items.len());
    for c in shown.items {
        items.push(view(&state, c).await?);
    }
    Ok(Json(Page {
        items,
        next_cursor: shown.next_cursor,
        total: shown.total,
    }))
}

pub async fn get_channel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ChannelView>, ApiError> {
    let c = state.store.channel(&id)?;
    Ok(Json(view(&state, c).await?))
}

pub async fn create_channel(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<ChannelBody>,
) -> Result<(StatusCode, Json<ChannelView>), ApiError> {
    let c = channel_from(
        &state,
        uuid::Uuid::now_v7().to_string(),
        body,
        String::new(),
    )?;
    state
        .store
        .put_channel(&c, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(view(&state, c).await?)))
}

pub async fn update_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ChannelBody>,
) -> Result<Json<ChannelView>, ApiError> {
    let old = state.store.channel(&id)?;
    let c = channel_from(&state, id, body, old.secret)?;
    state
        .store
        .put_channel(&c, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(Json(view(&state, c).await?))
}

pub async fn delete_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match state
        .store
        .delete_channel(&id, state.clock.now_ms(), &caller.actor())
        .await
    {
        Err(StoreError::Conflict(_)) => Err(ApiError(ErrorCode::Conflict)),
        other => other.map(|()| StatusCode::NO_CONTENT).map_err(Into::into),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestResult {
    pub delivered: bool,
    pub error: Option<String>,
    /// The test message's idempotency key.
    pub id: String,
}

/// `POST /api/v1/channels/{id}/test`: sends a test message now and says whether it arrived.
pub async fn test_channel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TestResult>, ApiError> {
    let c = state.store.channel(&id)?;
    let key = uuid::Uuid::now_v7().to_string();
    let r = render_test(&c, &key, state.clock.now_ms());
    let result = send(&state, &c, &key, &r).await;
    state
        .store
        .record_channel_test(&c.id, state.clock.now_ms(), result.is_ok())
        .await?;
    state.metrics.delivery(if result.is_ok() {
        "test_delivered"
    } else {
        "test_failed"
    });
    Ok(Json(TestResult {
        delivered: result.is_ok(),
        error: result.err(),
        id: key,
    }))
}

/// `GET /api/v1/notifications?channel=&state=`: the outbox, newest first.
pub async fn list_deliveries(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<Delivery>>, ApiError> {
    let p = Params::from(query)?;
    let st = p.word("state", &["pending", "delivered", "failed"])?;
    let page = state
        .store
        .list_deliveries(
            p.text("channel")?.as_deref(),
            st.as_deref(),
            p.limit()?,
            p.get("cursor"),
        )
        .await?;
    Ok(Json(page))
}

// ---- API: silences ----

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceBody {
    #[serde(default)]
    pub rule_id: Option<String>,
    #[serde(default)]
    pub device_group: Option<String>,
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// RFC 3339; now when omitted.
    #[serde(default)]
    pub starts_at: Option<String>,
    /// RFC 3339; or give `duration_minutes`.
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    pub reason: String,
}

/// A silence as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SilenceView {
    pub id: String,
    pub rule_id: Option<String>,
    pub device_group: Option<String>,
    pub device_id: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub starts_at: String,
    pub ends_at: String,
    pub author: String,
    pub reason: String,
    pub created_at: String,
    /// pending, active or expired.
    pub status: &'static str,
}

fn silence_view(s: &Silence, now: i64) -> SilenceView {
    SilenceView {
        id: s.id.clone(),
        rule_id: s.rule_id.clone(),
        device_group: s.device_group.clone(),
        device_id: s.device_id.clone(),
        labels: s.labels.clone(),
        starts_at: to_rfc3339(s.starts_at),
        ends_at: to_rfc3339(s.ends_at),
        author: s.author.clone(),
        reason: s.reason.clone(),
        created_at: to_rfc3339(s.created_at),
        status: if now < s.starts_at {
            "pending"
        } else if now < s.ends_at {
            "active"
        } else {
            "expired"
        },
    }
}

/// `GET /api/v1/silences?status=`: newest first.
pub async fn list_silences(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<SilenceView>>, ApiError> {
    let p = Params::from(query)?;
    let paging = Paging::parse(p.get("limit"), p.get("cursor"))?;
    let status = p.word("status", &["pending", "active", "expired"])?;
    let now = state.clock.now_ms();
    let items: Vec<SilenceView> = state
        .store
        .silences()
        .iter()
        .map(|s| silence_view(s, now))
        .filter(|v| status.as_deref().is_none_or(|s| v.status == s))
        .collect();
    Ok(Json(paging.page(items, Order::Desc, |v| v.id.clone())))
}

pub async fn get_silence(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SilenceView>, ApiError> {
    let s = state.store.silences();
    let s = s
        .iter()
        .find(|s| s.id == id)
        .ok_or(ApiError(ErrorCode::NotFound))?;
    Ok(Json(silence_view(s, state.clock.now_ms())))
}

/// `POST /api/v1/silences`. A caller limited to device groups may only silence within them.
pub async fn create_silence(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<SilenceBody>,
) -> Result<(StatusCode, Json<SilenceView>), ApiError> {
    let bad = || ApiError(ErrorCode::InvalidField);
    let now = state.clock.now_ms();
    let starts_at = match &b.starts_at {
        Some(t) => parse_rfc3339(t).ok_or_else(bad)?,
        None => now,
    };
    // An end time wins over a duration.
    let ends_at = match (&b.ends_at, b.duration_minutes) {
        (Some(t), _) => parse_rfc3339(t).ok_or_else(bad)?,
        (None, Some(m)) if (1..=366 * 24 * 60).contains(&m) => starts_at + i64::from(m) * 60_000,
        _ => return Err(bad()),
    };
    let too_long = |v: &Option<String>| {
        v.as_ref()
            .is_some_and(|v| v.is_empty() || v.chars().count() > 255)
    };
    if too_long(&b.rule_id) || too_long(&b.device_group) || too_long(&b.device_id) {
        return Err(bad());
    }
    if b.labels
        .values()
        .any(|v| v.is_empty() || v.chars().count() > 255)
        || b.labels
            .keys()
            .any(|k| !SILENCE_LABELS.contains(&k.as_str()))
    {
        return Err(bad());
    }
    if let Some(r) = &b.rule_id {
        state
            .store
            .alert_rule(r)
            .map_err(|_| ApiError(ErrorCode::UnknownReference))?;
    }
    if !caller.groups.is_empty()
        && !b
            .device_group
            .as_ref()
            .is_some_and(|g| caller.groups.contains(g))
    {
        return Err(ApiError(ErrorCode::Forbidden));
    }
    let s = Silence {
        id: uuid::Uuid::now_v7().to_string(),
        rule_id: b.rule_id,
        device_group: b.device_group,
        device_id: b.device_id,
        labels: b.labels,
        starts_at,
        ends_at,
        author: caller.name.clone(),
        reason: b.reason,
        created_at: now,
    };
    s.validate().map_err(|_| bad())?;
    if s.ends_at <= s.starts_at || s.ends_at <= now {
        return Err(ApiError(ErrorCode::InvalidPeriod));
    }
    state.store.create_silence(&s, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(silence_view(&s, now))))
}

/// `POST /api/v1/silences/{id}/expire`: ends a silence now.
pub async fn expire_silence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SilenceView>, ApiError> {
    let now = state.clock.now_ms();
    match state.store.expire_silence(&id, now, &caller.actor()).await {
        Ok(s) => Ok(Json(silence_view(&s, now))),
        Err(StoreError::Conflict(_)) => Err(ApiError(ErrorCode::Conflict)),
        Err(e) => Err(e.into()),
    }
}

// ---- API: response times ----

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleResponse {
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    #[serde(flatten)]
    pub stats: ResponseStats,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseReport {
    pub since: String,
    pub until: String,
    pub by_severity: BTreeMap<String, ResponseStats>,
    pub by_rule: Vec<RuleResponse>,
}

/// Fired, acknowledged and resolved, in milliseconds.
type Times = (i64, Option<i64>, Option<i64>);

/// `GET /api/v1/alerts/metrics?since=&until=`: time to acknowledge and to resolve, per
/// severity and per rule, of the alerts fired in the window (default: the last 30 days).
pub async fn response_report(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<ResponseReport>, ApiError> {
    let p = Params::from(query)?;
    let until = p.time("until")?.unwrap_or_else(|| state.clock.now_ms() + 1);
    let since = p.time("since")?.unwrap_or(until - 30 * 86_400_000);
    // An empty window has no alerts in it.
    let rows = if since < until {
        state.store.response_rows(since, until).await?
    } else {
        Vec::new()
    };
    let mut sev: BTreeMap<String, Vec<Times>> = BTreeMap::new();
    let mut rule: BTreeMap<(String, String, String), Vec<Times>> = BTreeMap::new();
    for r in rows {
        let t = (r.fired_at, r.acknowledged_at, r.resolved_at);
        sev.entry(r.severity.clone()).or_default().push(t);
        rule.entry((r.rule_id, r.rule_name, r.severity))
            .or_default()
            .push(t);
    }
    Ok(Json(ResponseReport {
        since: to_rfc3339(since),
        until: to_rfc3339(until),
        by_severity: sev
            .into_iter()
            .map(|(k, v)| (k, response_stats(&v)))
            .collect(),
        by_rule: rule
            .into_iter()
            .map(|((rule_id, rule_name, severity), v)| RuleResponse {
                rule_id,
                rule_name,
                severity,
                stats: response_stats(&v),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_and_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let sig = signature("Jefe", 0, "");
        assert!(sig.starts_with("t=0,v1="));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(signature("a", 1, "x"), signature("b", 1, "x"));
        assert_ne!(signature("a", 1, "x"), signature("a", 2, "x"));
    }
}
