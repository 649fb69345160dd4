//! Notifications: channels and silences (kept in memory, reloaded on change), the notifier's
//! pass that turns alert changes into grouped notifications, and the delivery outbox.
//!
//! A notification is *decided* in one transaction: its outbox rows (one per channel, already
//! rendered) are written together with the alerts' "notified" marks. The deliverer then sends
//! the outbox at least once; the row id is the idempotency key, so a receiver can drop a repeat
//! after a crash between sending and recording it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use steward_core::alerting::{AlertRule, Reason, Severity};
use steward_core::notify::{
    silenced_by, AlertLabels, Channel, ChannelKind, GroupBy, Notification, NotificationKind,
    NotifiedAlert, Silence,
};
use steward_core::time::to_rfc3339;
use steward_core::Lang;

use crate::audit::{self, Actor, AuditRecord};
use crate::exec::{Arg, Exec, Kind, Val};
use crate::{Backend, Result, Store, StoreError};

/// Wake-ups between the writers, the notifier and the deliverer.
#[derive(Debug, Default)]
pub struct Signals {
    /// Alerts changed (after commit), or silences or channels did.
    pub notifier: tokio::sync::Notify,
    /// The outbox got rows.
    pub deliverer: tokio::sync::Notify,
    /// Shared configuration or the device mailbox changed through another server.
    pub follow: tokio::sync::Notify,
    /// A fleet job was queued through this server (other servers look every second).
    pub jobs: tokio::sync::Notify,
    /// Wake-ups of each [`crate::wake::Topic`] asked for and not yet covered by a `NOTIFY`
    /// sent after them (see [`Store::wake`](crate::Store)).
    pub(crate) asked: [std::sync::atomic::AtomicUsize; 3],
}

/// Whether one transaction changed alerts: the notifier is woken after that transaction
/// commits (each transaction has its own, so concurrent writers cannot take each other's).
#[derive(Debug, Default)]
pub struct AlertsChanged(AtomicBool);

impl AlertsChanged {
    pub(crate) fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    #[cfg(test)]
    pub(crate) fn marked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Alerts listed in one notification at most (the count covers all).
const MAX_LISTED: i64 = 1000;
/// Statement chunk for id lists.
const CHUNK: usize = 200;
/// Rules looked up one by one before a pass's read at most (with more, every pending change
/// is read, and found due or not as it is).
const RULES_LOOKED_UP: usize = 200;
/// Pending changes read by one pass at most.
const PENDING_READ: i64 = 50_000;

/// What one notifier pass did, and when the next one is due.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PassOutcome {
    /// Outbox rows written.
    pub queued: usize,
    /// The earliest instant something held will be due (group wait, silence end, escalation,
    /// repeat); `None` when nothing is waiting.
    pub next_due: Option<i64>,
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    /// Also the idempotency key.
    pub id: String,
    pub channel_id: String,
    pub rule_id: String,
    pub kind: String,
    pub subject: String,
    #[serde(skip)]
    pub body: String,
    pub alert_count: i64,
    pub created_at: String,
    /// pending, delivered or failed (given up).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    #[serde(skip)]
    pub created_ms: i64,
    /// For an e-mail to a person rather than a channel: the address and language.
    pub address: Option<String>,
    #[serde(skip)]
    pub language: Option<String>,
}

/// Delivery standing of one channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChannelStatus {
    pub pending: i64,
    pub failed: i64,
    pub last_delivered_at: Option<String>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// One alert's times for the response report.
#[derive(Debug, Clone)]
pub struct ResponseRow {
    pub severity: String,
    pub rule_id: String,
    pub rule_name: String,
    pub fired_at: i64,
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

struct Pending {
    alert: NotifiedAlert,
    rule_id: String,
    subject: String,
    notify_at: i64,
    notified: String,
    platform: Option<String>,
    escalate_at: Option<i64>,
    escalation_level: i64,
}

/// The stored state of one notification group.
struct Group {
    key: String,
    rule_id: String,
    /// The device, when the rule groups by device.
    subject: Option<String>,
    last_sent_at: i64,
    repeat_at: Option<i64>,
}

/// The columns a [`Group`] is read from, and how each is decoded.
const GROUP_COLS: &str = "group_key, rule_id, subject, last_sent_at, repeat_at";
const GROUP_KINDS: [Kind; 5] = [Kind::Text, Kind::Text, Kind::Text, Kind::Int, Kind::Int];

fn group_row(r: Vec<Val>) -> Result<Group> {
    let [key, rule_id, subject, last_sent_at, repeat_at] = <[Val; 5]>::try_from(r)
        .map_err(|_| StoreError::Native("a notification group read without its columns".into()))?;
    Ok(Group {
        key: key.text()?,
        rule_id: rule_id.text()?,
        subject: subject.opt_text()?,
        last_sent_at: last_sent_at
            .int()?
            .ok_or_else(|| StoreError::Native("a notification group without its time".into()))?,
        repeat_at: repeat_at.int()?,
    })
}

fn opt_time(r: &sqlx::any::AnyRow, c: &str) -> Result<Option<String>> {
    Ok(r.try_get::<Option<i64>, _>(c)?.map(to_rfc3339))
}

fn delivery_row(r: &sqlx::any::AnyRow) -> Result<Delivery> {
    let created: i64 = r.try_get("created_at")?;
    Ok(Delivery {
        id: r.try_get("id")?,
        channel_id: r.try_get("channel_id")?,
        rule_id: r.try_get("rule_id")?,
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        alert_count: r.try_get("alert_count")?,
        created_at: to_rfc3339(created),
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: opt_time(r, "next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        last_attempt_at: opt_time(r, "last_attempt_at")?,
        delivered_at: opt_time(r, "delivered_at")?,
        created_ms: created,
        address: r.try_get("address")?,
        language: r.try_get("language")?,
    })
}

fn channel_row(r: &sqlx::any::AnyRow) -> Result<Channel> {
    let invalid = |e: String| StoreError::Invalid(e);
    let kind: String = r.try_get("kind")?;
    let lang: String = r.try_get("language")?;
    let severities: String = r.try_get("severities")?;
    Ok(Channel {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: ChannelKind::parse(&kind).ok_or_else(|| invalid(kind.clone()))?,
        target: r.try_get("target")?,
        secret: r.try_get("secret")?,
        language: Lang::parse(&lang).unwrap_or_default(),
        severities: severities.split(',').filter_map(Severity::parse).collect(),
        send_resolved: r.try_get::<i64, _>("send_resolved")? != 0,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
    })
}

fn silence_row(r: &sqlx::any::AnyRow) -> Result<Silence> {
    Ok(Silence {
        id: r.try_get("id")?,
        rule_id: r.try_get("rule_id")?,
        device_group: r.try_get("device_group")?,
        device_id: r.try_get("device_id")?,
        labels: serde_json::from_str(&r.try_get::<String, _>("labels")?).unwrap_or_default(),
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        author: r.try_get("author")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Where [`PENDING_COLS`] are read from: alerts `a`, each with its device `d`. On
/// PostgreSQL the device is looked up alert by alert (a lateral step with a `LIMIT`, which
/// the planner keeps as it is): a read of a few alerts, planned from the statistics of a
/// table a job is filling, was otherwise made a hash join over a scan of every device.
fn pending_from(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "alerts a LEFT JOIN devices d ON d.id = a.device_id",
        Backend::Postgres => {
            "alerts a LEFT JOIN LATERAL (SELECT name, device_group, platform FROM devices \
             WHERE devices.id = a.device_id LIMIT 1) AS d ON true"
        }
    }
}

const PENDING_COLS: &str =
    "a.id, a.rule_id, a.subject, a.state, a.notified, a.notify_at, a.device_id, \
                            a.reason, a.fired_at, a.resolved_at, a.escalate_at, \
                            a.escalation_level, d.name AS device_name, d.device_group, d.platform";

/// How each of [`PENDING_COLS`] is decoded.
const PENDING_KINDS: [Kind; 15] = [
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
];

fn pending_row(r: Vec<Val>) -> Result<Pending> {
    let [id, rule_id, subject, state, notified, notify_at, device_id, reason, fired_at, resolved_at, escalate_at, escalation_level, device_name, device_group, platform] =
        <[Val; 15]>::try_from(r)
            .map_err(|_| StoreError::Native("an alert read without its columns".into()))?;
    Ok(Pending {
        alert: NotifiedAlert {
            id: id.text()?,
            state: state.text()?,
            device_id: device_id.opt_text()?,
            device_name: device_name.opt_text()?,
            device_group: device_group.opt_text()?,
            reason: serde_json::from_str::<Reason>(&reason.text()?).unwrap_or_default(),
            fired_at: fired_at
                .int()?
                .ok_or_else(|| StoreError::Native("an alert without its firing time".into()))?,
            resolved_at: resolved_at.int()?,
        },
        rule_id: rule_id.text()?,
        subject: subject.text()?,
        notify_at: notify_at.int()?.unwrap_or(0),
        notified: notified.text()?,
        platform: platform.opt_text()?,
        escalate_at: escalate_at.int()?,
        escalation_level: escalation_level.int()?.unwrap_or(0),
    })
}

fn labels<'a>(p: &'a Pending, rule: &'a AlertRule) -> AlertLabels<'a> {
    AlertLabels {
        rule_id: &p.rule_id,
        device_id: p.alert.device_id.as_deref(),
        device_group: p.alert.device_group.as_deref(),
        severity: rule.severity.as_str(),
        platform: p.platform.as_deref(),
        condition: rule.condition.type_name(),
    }
}

/// The channels a rule's notifications go to: those it names and those taking its severity.
fn route<'c>(rule: &AlertRule, channels: &'c [Channel], named: &[String]) -> Vec<&'c Channel> {
    channels
        .iter()
        .filter(|c| c.enabled)
        .filter(|c| named.contains(&c.id) || c.severities.contains(&rule.severity))
        .collect()
}

fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Writes `n` to the outbox, rendered for each of `to`; returns the rows written.
async fn enqueue(
    tx: &mut impl Exec,
    n: &Notification,
    to: &[&Channel],
    link: &str,
    now: i64,
) -> Result<usize> {
    let mut written = 0;
    for c in to {
        let mut n = n.clone();
        if !c.send_resolved {
            n.alerts.retain(|a| a.state != "resolved");
            if n.alerts.is_empty() {
                continue;
            }
        }
        let id = uuid::Uuid::now_v7().to_string();
        let r = n.render(c, link, &id);
        tx.run(
            "INSERT INTO outbox (id, channel_id, rule_id, kind, subject, body, alert_count, \
             created_at, state, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $8)",
            &[
                Arg::text(&id),
                Arg::text(&c.id),
                Arg::text(&n.rule_id),
                Arg::text(n.kind.as_str()),
                Arg::text(&r.subject),
                Arg::text(&r.body),
                Arg::int(n.alerts.len() as i64),
                Arg::int(now),
            ],
        )
        .await?;
        written += 1;
    }
    Ok(written)
}

/// Runs `sql` (with `$1` = `value` and the ids from `$2` on) over `ids` in chunks.
async fn update_ids(
    tx: &mut impl Exec,
    sql_head: &str,
    value: Option<i64>,
    ids: &[&str],
    tail: &str,
) -> Result<u64> {
    let mut changed = 0;
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "{sql_head} WHERE id IN ({}){tail}",
            crate::list_placeholders(2, chunk.len())
        );
        let mut args = Vec::with_capacity(chunk.len() + 1);
        args.push(Arg::Int(value));
        args.extend(chunk.iter().map(|id| Arg::text(id)));
        changed += tx.run(&sql, &args).await?;
    }
    Ok(changed)
}

/// Holds the alerts `ids` (their `col`, `notify_at` or `escalate_at`) until `end`, the end
/// of the silence `silence` as the notifier read it, if the writer's transaction still finds
/// that end: a silence ended meanwhile, through this server or another, holds nothing, and
/// its alerts stay due. Ending a silence moves what it holds to "now"
/// ([`Store::expire_silence`]); the silence's row puts the two in an order. SQLite has one
/// writer at a time; on PostgreSQL the row is locked here (`FOR SHARE`), so an expiry
/// waits for this transaction to commit and then finds the alerts held. Returns whether
/// they were held.
pub(crate) async fn hold_for_silence(
    tx: &mut impl Exec,
    col: &str,
    silence: &str,
    end: i64,
    ids: &[&str],
) -> Result<bool> {
    let lock = match tx.backend() {
        crate::Backend::Postgres => " FOR SHARE",
        crate::Backend::Sqlite => "",
    };
    let stored = tx
        .int(
            &format!("SELECT ends_at FROM silences WHERE id = $1{lock}"),
            &[Arg::text(silence)],
        )
        .await?;
    if stored != Some(end) {
        return Ok(false);
    }
    update_ids(
        tx,
        &format!("UPDATE alerts SET {col} = $1"),
        Some(end),
        ids,
        "",
    )
    .await?;
    Ok(true)
}

/// Moves the next attempt of a channel's pending notifications to `at`: those due later
/// (`cmp` ">": after a success, the rest go now) or earlier ("<": after a failure, they wait).
async fn reschedule_channel(
    tx: &mut Transaction<'_, Any>,
    channel_id: &str,
    at: i64,
    cmp: &str,
) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE outbox SET next_attempt_at = $1 WHERE channel_id = $2 AND state = 'pending' \
         AND next_attempt_at {cmp} $1"
    ))
    .bind(at)
    .bind(channel_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a pass reads before it decides: the stored state of the groups concerned, the
/// changes due by group (a rule, or a rule and a device), and when a resting rule is due.
struct Gathered {
    groups: HashMap<String, Group>,
    by_group: BTreeMap<String, Vec<Pending>>,
    next_due: Option<i64>,
}

/// Reads what a pass decides on.
///
/// A rule whose alerts are grouped together is not due before its oldest pending change has
/// waited its group wait and its last notification its group interval, however many of its
/// alerts wait; a rule grouped by device, not before its oldest pending change has waited
/// its group wait (each device's group waits at least that long from its own oldest change,
/// and its interval may hold it longer). While one rests, the pending changes are read rule
/// by rule, of the rules due only (a rule that fires on a whole fleet would otherwise have
/// them all read again after every batch of its job). These instants come from the
/// database, so every server agrees.
async fn gather(ex: &mut impl Exec, rules: &[AlertRule], now: i64) -> Result<Gathered> {
    let mut next_due = None;
    let looked_up: Vec<&AlertRule> = if rules.len() <= RULES_LOOKED_UP {
        rules.iter().collect()
    } else {
        Vec::new()
    };
    let keys: Vec<&str> = looked_up
        .iter()
        .filter(|r| r.notify.group_by == GroupBy::Rule)
        .map(|r| r.id.as_str())
        .collect();
    let mut groups = groups_by_key(ex, &keys).await?;
    let ids: Vec<&str> = looked_up.iter().map(|r| r.id.as_str()).collect();
    let oldest = oldest_pending(ex, &ids).await?;
    let mut resting = false;
    let mut due_rules = Vec::new();
    for rule in looked_up {
        match oldest.get(&rule.id) {
            Some(&oldest) if oldest <= now => {
                let waited = oldest + rule.notify.group_wait_ms(rule.severity);
                let due = match rule.notify.group_by {
                    GroupBy::Rule => {
                        let last_sent = groups
                            .get(&rule.id)
                            .map_or(i64::MIN / 2, |g| g.last_sent_at);
                        waited.max(last_sent + rule.notify.group_interval_ms())
                    }
                    GroupBy::Device => waited,
                };
                if due > now {
                    resting = true;
                    next_due = earliest(next_due, Some(due));
                    continue;
                }
                due_rules.push((oldest, rule.id.as_str()));
            }
            // Nothing to read now.
            _ => {}
        }
    }
    let from = pending_from(ex.backend());
    let mut rows = Vec::new();
    if resting {
        // The rule waiting longest first, as one read ordered by time would take them.
        due_rules.sort_unstable();
        for (_, rule_id) in due_rules {
            let left = PENDING_READ - rows.len() as i64;
            if left <= 0 {
                break;
            }
            rows.extend(
                ex.rows(
                    &format!(
                        "SELECT {PENDING_COLS} FROM {from} \
                         WHERE a.rule_id = $2 AND a.notify_at IS NOT NULL \
                         AND a.notify_at <= $1 ORDER BY a.notify_at LIMIT {left}"
                    ),
                    &[Arg::int(now), Arg::text(rule_id)],
                    &PENDING_KINDS,
                )
                .await?,
            );
        }
    } else {
        // Every change due is read at once (with those of rules deleted meanwhile).
        rows = ex
            .rows(
                &format!(
                    "SELECT {PENDING_COLS} FROM {from} \
                     WHERE a.notify_at IS NOT NULL AND a.notify_at <= $1 \
                     ORDER BY a.notify_at LIMIT {PENDING_READ}"
                ),
                &[Arg::int(now)],
                &PENDING_KINDS,
            )
            .await?;
    }
    let mut by_group: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
    for r in rows {
        let p = pending_row(r)?;
        let key = match rules.iter().find(|x| x.id == p.rule_id) {
            Some(rule) => rule.notify.group_key(&p.rule_id, &p.subject),
            None => p.rule_id.clone(),
        };
        by_group.entry(key).or_default().push(p);
    }
    // The groups of whole rules were read above; those of devices are read now.
    let keys: Vec<&str> = by_group
        .keys()
        .map(String::as_str)
        .filter(|k| !groups.contains_key(*k))
        .collect();
    let more = groups_by_key(ex, &keys).await?;
    groups.extend(more);
    Ok(Gathered {
        groups,
        by_group,
        next_due,
    })
}

/// A group due to be decided, with what it is decided with.
struct Due {
    key: String,
    pending: Vec<Pending>,
    rule: AlertRule,
    silences: Arc<Vec<Silence>>,
    channels: Arc<Vec<Channel>>,
    link: String,
    now: i64,
}

/// What deciding a group came to.
#[derive(Debug, Default)]
struct Decided {
    /// Notifications written to the outbox.
    queued: usize,
    next_due: Option<i64>,
    /// False when the alerts moved since they were read: the transaction is to be rolled
    /// back, and the next pass looks again.
    kept: bool,
}

/// Decides a due group in `tx`: its silenced alerts held, the others marked notified, the
/// notification written to the outbox for each channel it goes to, and the group's state.
async fn decide_group(tx: &mut impl Exec, g: &Due) -> Result<Decided> {
    let (rule, now) = (&g.rule, g.now);
    let mut out = Decided {
        kept: true,
        ..Decided::default()
    };
    let mut send = Vec::new();
    let mut held: BTreeMap<(i64, &str), Vec<&str>> = BTreeMap::new();
    let mut dropped = Vec::new();
    for p in &g.pending {
        if let Some(s) = silenced_by(&g.silences, &labels(p, rule), now) {
            held.entry((s.ends_at, &s.id))
                .or_default()
                .push(&p.alert.id);
        } else if p.alert.state == "resolved" && (p.notified.is_empty() || p.notified == "resolved")
        {
            // Resolved before anyone was told it fired, or its resolution told already.
            dropped.push(p.alert.id.as_str());
        } else {
            send.push(p);
        }
    }
    for ((end, silence), ids) in &held {
        if !hold_for_silence(tx, "notify_at", silence, *end, ids).await? {
            // Ended meanwhile: they are due now.
            out.next_due = earliest(out.next_due, Some(now));
        }
    }
    let firing: Vec<&str> = send
        .iter()
        .filter(|p| p.alert.state != "resolved")
        .map(|p| p.alert.id.as_str())
        .collect();
    let resolved: Vec<&str> = send
        .iter()
        .filter(|p| p.alert.state == "resolved")
        .map(|p| p.alert.id.as_str())
        .chain(dropped.iter().copied())
        .collect();
    // Marked only while in the state read and still pending (compare and set): when a
    // change came meanwhile, or another notifier decided these first (two servers
    // overlapping a moment at a lease's hand-over), nothing is decided here and the next
    // pass looks again.
    let marked = update_ids(
        tx,
        "UPDATE alerts SET notify_at = $1, notified = 'firing'",
        None,
        &firing,
        " AND state <> 'resolved' AND notify_at IS NOT NULL",
    )
    .await?
        + update_ids(
            tx,
            "UPDATE alerts SET notify_at = $1, notified = 'resolved'",
            None,
            &resolved,
            " AND state = 'resolved' AND notify_at IS NOT NULL",
        )
        .await?;
    if marked != (firing.len() + resolved.len()) as u64 {
        return Ok(Decided {
            queued: 0,
            next_due: Some(now),
            kept: false,
        });
    }
    if !send.is_empty() {
        // Counted only for a notification (a rule firing on a fleet has many to count).
        let open = tx
            .int(
                "SELECT COUNT(*) AS n FROM alerts WHERE rule_id = $1 AND state <> 'resolved'",
                &[Arg::text(&rule.id)],
            )
            .await?
            .unwrap_or(0);
        let n = Notification {
            kind: NotificationKind::Change,
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            severity: rule.severity,
            open: open as u64,
            alerts: send
                .iter()
                .take(MAX_LISTED as usize)
                .map(|p| p.alert.clone())
                .collect(),
            escalation_minutes: None,
            decided_at: now,
        };
        let to = route(rule, &g.channels, &rule.notify.channels);
        out.queued = enqueue(tx, &n, &to, &g.link, now).await?;
        let repeat = (open > 0 && rule.notify.repeat_interval_secs > 0)
            .then(|| now + i64::from(rule.notify.repeat_interval_secs) * 1000);
        let by_device = rule.notify.group_by == GroupBy::Device;
        tx.run(
            "INSERT INTO notification_groups (group_key, rule_id, subject, last_sent_at, \
             repeat_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_key) DO UPDATE \
             SET last_sent_at = $4, repeat_at = $5",
            &[
                Arg::text(&g.key),
                Arg::text(&rule.id),
                Arg::Text(
                    by_device.then(|| std::borrow::Cow::Borrowed(g.pending[0].subject.as_str())),
                ),
                Arg::int(now),
                Arg::Int(repeat),
            ],
        )
        .await?;
        if let Some(r) = repeat {
            out.next_due = earliest(out.next_due, Some(r));
        }
    }
    Ok(out)
}

/// The stored state of the notification groups named.
async fn groups_by_key(ex: &mut impl Exec, keys: &[&str]) -> Result<HashMap<String, Group>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let sql = format!(
            "SELECT {GROUP_COLS} FROM notification_groups WHERE group_key IN ({})",
            crate::list_placeholders(1, chunk.len())
        );
        let args: Vec<Arg<'_>> = chunk.iter().map(|k| Arg::text(k)).collect();
        for r in ex.rows(&sql, &args, &GROUP_KINDS).await? {
            let g = group_row(r)?;
            out.insert(g.key.clone(), g);
        }
    }
    Ok(out)
}

/// The earliest pending change (`notify_at`, perhaps a silence's end) of each of `rules`
/// that has one, one index lookup per rule in one statement.
async fn oldest_pending(ex: &mut impl Exec, rules: &[&str]) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for chunk in rules.chunks(CHUNK) {
        let sql = (1..=chunk.len())
            .map(|i| {
                format!(
                    "SELECT ${i} AS rule_id, (SELECT MIN(notify_at) FROM alerts \
                     WHERE rule_id = ${i} AND notify_at IS NOT NULL) AS oldest"
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let args: Vec<Arg<'_>> = chunk.iter().map(|id| Arg::text(id)).collect();
        for r in ex.rows(&sql, &args, &[Kind::Text, Kind::Int]).await? {
            let [rule_id, oldest] = <[Val; 2]>::try_from(r)
                .map_err(|_| StoreError::Native("a rule read without its columns".into()))?;
            if let Some(oldest) = oldest.int()? {
                out.insert(rule_id.text()?, oldest);
            }
        }
    }
    Ok(out)
}

impl Store {
    /// Wakes the notifier when the transaction just committed changed alerts.
    pub(crate) fn alerts_committed(&self, changed: &AlertsChanged) {
        if changed.0.swap(false, Ordering::Relaxed) {
            self.wake(crate::wake::Topic::Alerts);
        }
    }

    pub fn signals(&self) -> Arc<Signals> {
        self.signals.clone()
    }

    pub fn channels(&self) -> Arc<Vec<Channel>> {
        self.channels.get()
    }

    pub fn channel(&self, id: &str) -> Result<Channel> {
        self.channels()
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    pub(crate) async fn reload_channels(&self) -> Result<()> {
        let version = self.shared_version(crate::shared::Kind::Channels).await?;
        let rows = sqlx::query("SELECT * FROM channels ORDER BY name, id")
            .fetch_all(&self.read)
            .await?;
        let list = rows.iter().map(channel_row).collect::<Result<Vec<_>>>()?;
        self.channels.set(list, version);
        Ok(())
    }

    /// Creates or replaces a channel (audited; the secret is not put in the audit log).
    pub async fn put_channel(&self, c: &Channel, now: i64, actor: &Actor) -> Result<()> {
        let before = self.channel(&c.id).ok();
        let severities: Vec<&str> = c.severities.iter().map(|s| s.as_str()).collect();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO channels (id, name, kind, target, secret, language, severities, \
             send_resolved, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
             ON CONFLICT (id) DO UPDATE SET name = $2, kind = $3, target = $4, secret = $5, \
             language = $6, severities = $7, send_resolved = $8, enabled = $9, updated_at = $10",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(c.kind.as_str())
        .bind(&c.target)
        .bind(&c.secret)
        .bind(c.language.code())
        .bind(severities.join(","))
        .bind(i64::from(c.send_resolved))
        .bind(i64::from(c.enabled))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let action = if before.is_some() {
            "channel.update"
        } else {
            "channel.create"
        };
        let mut rec = AuditRecord::change(actor, now, action, "channel", &c.id);
        rec.before = before.map(|b| serde_json::to_value(b).unwrap_or_default());
        rec.after = Some(serde_json::to_value(c).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Channels).await?;
        tx.commit().await?;
        self.reload_channels().await
    }

    /// Deletes a channel no rule names (audited); its undelivered notifications are given up.
    pub async fn delete_channel(&self, id: &str, now: i64, actor: &Actor) -> Result<()> {
        let before = self.channel(id)?;
        if let Some(rule) = self
            .alert_rules()
            .iter()
            .find(|r| r.notify.channel_ids().any(|c| c == id))
        {
            return Err(StoreError::Conflict(format!(
                "alert rule {} notifies this channel",
                rule.id
            )));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM channels WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE outbox SET state = 'failed', next_attempt_at = NULL, \
             last_error = 'channel deleted' WHERE channel_id = $1 AND state = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut rec = AuditRecord::change(actor, now, "channel.delete", "channel", id);
        rec.before = Some(serde_json::to_value(before).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Channels).await?;
        tx.commit().await?;
        self.reload_channels().await
    }

    /// A channel's delivery state, read in one statement so that the counts, the last error
    /// and the next attempt all come from the same moment.
    pub async fn channel_status(&self, id: &str) -> Result<ChannelStatus> {
        let counts = sqlx::query(
            "SELECT SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending, \
             SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed, \
             MAX(delivered_at) AS last_delivered, \
             MIN(CASE WHEN state = 'pending' AND attempts > 0 THEN next_attempt_at END) AS next, \
             (SELECT e.last_error FROM outbox e WHERE e.channel_id = $1 \
              AND e.last_error IS NOT NULL ORDER BY e.last_attempt_at DESC LIMIT 1) AS last_error \
             FROM outbox WHERE channel_id = $1",
        )
        .bind(id)
        .fetch_one(&self.read)
        .await?;
        Ok(ChannelStatus {
            pending: counts.try_get::<Option<i64>, _>("pending")?.unwrap_or(0),
            failed: counts.try_get::<Option<i64>, _>("failed")?.unwrap_or(0),
            last_delivered_at: opt_time(&counts, "last_delivered")?,
            last_error: counts.try_get("last_error")?,
            next_attempt_at: opt_time(&counts, "next")?,
        })
    }

    pub fn silences(&self) -> Arc<Vec<Silence>> {
        self.silences.get()
    }

    pub(crate) async fn reload_silences(&self) -> Result<()> {
        let version = self.shared_version(crate::shared::Kind::Silences).await?;
        let rows = sqlx::query("SELECT * FROM silences ORDER BY starts_at DESC, id")
            .fetch_all(&self.read)
            .await?;
        let list = rows.iter().map(silence_row).collect::<Result<Vec<_>>>()?;
        self.silences.set(list, version);
        Ok(())
    }

    /// Records a silence (audited) and wakes the notifier.
    pub async fn create_silence(&self, s: &Silence, actor: &Actor) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO silences (id, rule_id, device_group, device_id, labels, starts_at, \
             ends_at, author, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&s.id)
        .bind(&s.rule_id)
        .bind(&s.device_group)
        .bind(&s.device_id)
        .bind(serde_json::to_string(&s.labels).unwrap_or_default())
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(&s.author)
        .bind(&s.reason)
        .bind(s.created_at)
        .execute(&mut *tx)
        .await?;
        let mut rec = AuditRecord::change(actor, s.created_at, "silence.create", "silence", &s.id);
        rec.after = Some(serde_json::to_value(s).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Silences).await?;
        tx.commit().await?;
        self.reload_silences().await?;
        self.wake(crate::wake::Topic::Alerts);
        Ok(())
    }

    /// Ends a silence now (audited); what it held is released at once.
    pub async fn expire_silence(&self, id: &str, now: i64, actor: &Actor) -> Result<Silence> {
        let before = self
            .silences()
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        if before.ends_at <= now {
            return Err(StoreError::Conflict(format!("silence {id} has ended")));
        }
        let end = now.max(before.starts_at);
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE silences SET ends_at = $1 WHERE id = $2")
            .bind(end)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // Held notifications and escalations wait exactly until the silence's end.
        for col in ["notify_at", "escalate_at"] {
            sqlx::query(&format!("UPDATE alerts SET {col} = $1 WHERE {col} = $2"))
                .bind(now)
                .bind(before.ends_at)
                .execute(&mut *tx)
                .await?;
        }
        let mut rec = AuditRecord::change(actor, now, "silence.expire", "silence", id);
        rec.before = Some(serde_json::to_value(&before).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::Silences).await?;
        tx.commit().await?;
        self.reload_silences().await?;
        self.wake(crate::wake::Topic::Alerts);
        Ok(Silence {
            ends_at: end,
            ..before
        })
    }

    /// One pass of the notifier at `now`: flushes the notification groups that are due
    /// (change notifications), repeats and escalations. `link` is the console address
    /// notifications point to.
    ///
    /// On a SQLite file the change notifications reach SQLite directly ([`crate::native`]):
    /// their reads in one blocking call on one snapshot, and each group's decision in one
    /// more, instead of a hand-off to sqlx's worker thread and back for every statement.
    /// Both paths run the same statements ([`gather`], [`decide_group`]). Repeats,
    /// escalations and the reads of the next due times go through sqlx.
    pub async fn notify_pass(&self, now: i64, link: &str) -> Result<PassOutcome> {
        self.notifier_current().await?;
        let mut out = PassOutcome::default();
        let rules = self.alert_rules();
        let channels = self.channels();
        let silences = self.silences();
        let link_for = |rule: &str| format!("{link}/alerts?rule={rule}");

        let gathered = match &self.native {
            Some(native) => {
                let rules = rules.clone();
                native
                    .run(crate::native::Role::Notify, move |conn| {
                        let mut tx = conn.transaction()?;
                        // Never waits: see `crate::exec`.
                        let gathered = futures::executor::block_on(gather(&mut tx, &rules, now))?;
                        tx.commit()?;
                        Ok(gathered)
                    })
                    .await?
            }
            None => {
                let mut conn = self.read.acquire().await?;
                gather(&mut conn, &rules, now).await?
            }
        };
        out.next_due = gathered.next_due;
        let groups = gathered.groups;
        for (key, pending) in gathered.by_group {
            let rule_id = pending[0].rule_id.clone();
            let Some(rule) = rules.iter().find(|r| r.id == rule_id) else {
                let ids: Vec<&str> = pending.iter().map(|p| p.alert.id.as_str()).collect();
                let mut tx = self.begin_write().await?;
                update_ids(&mut tx, "UPDATE alerts SET notify_at = $1", None, &ids, "").await?;
                tx.commit().await?;
                continue;
            };
            let oldest = pending.iter().map(|p| p.notify_at).min().unwrap_or(now);
            let last_sent = groups
                .get(&key)
                .map(|g| g.last_sent_at)
                .unwrap_or(i64::MIN / 2);
            let due = (oldest + rule.notify.group_wait_ms(rule.severity))
                .max(last_sent + rule.notify.group_interval_ms());
            if due > now {
                out.next_due = earliest(out.next_due, Some(due));
                continue;
            }
            let group = Due {
                key,
                pending,
                rule: rule.clone(),
                silences: silences.clone(),
                channels: channels.clone(),
                link: link_for(&rule_id),
                now,
            };
            let decided = self.decide(group).await?;
            out.next_due = earliest(out.next_due, decided.next_due);
            if decided.queued > 0 {
                // The deliverer starts on it now, not after the rest of this pass.
                self.wake(crate::wake::Topic::Outbox);
                out.queued += decided.queued;
            }
        }

        let later =
            self.repeat_pass(now, &link_for).await? + self.escalation_pass(now, &link_for).await?;
        out.queued += later;

        for sql in [
            "SELECT MIN(notify_at) AS t FROM alerts WHERE notify_at > $1",
            "SELECT MIN(escalate_at) AS t FROM alerts WHERE escalate_at > $1",
            "SELECT MIN(repeat_at) AS t FROM notification_groups WHERE repeat_at > $1",
        ] {
            let t: Option<i64> = sqlx::query(sql)
                .bind(now)
                .fetch_one(&self.read)
                .await?
                .try_get("t")?;
            out.next_due = earliest(out.next_due, t);
        }
        if later > 0 {
            self.wake(crate::wake::Topic::Outbox);
        }
        Ok(out)
    }

    /// Decides a due group in a transaction of its own whose commit does not wait for the
    /// disk: decided again after a machine's crash if lost (see `Store::unsynced`).
    async fn decide(&self, group: Due) -> Result<Decided> {
        if let Some(native) = &self.native {
            // Queued with the check-in writer: see `native`.
            let held = self.write.acquire().await?;
            let decided = native
                .run(crate::native::Role::Write, move |conn| {
                    // An error drops the connection (see `native`): a new one is synced.
                    conn.execute_batch("PRAGMA synchronous=NORMAL")?;
                    let mut tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    // Never waits: see `crate::exec`.
                    let decided = futures::executor::block_on(decide_group(&mut tx, &group))?;
                    if decided.kept {
                        tx.commit()?;
                    } else {
                        tx.rollback()?;
                    }
                    conn.execute_batch("PRAGMA synchronous=FULL")?;
                    Ok(decided)
                })
                .await?;
            drop(held);
            return Ok(decided);
        }
        let mut unsynced = self.unsynced().await?;
        let mut tx = unsynced.begin().await?;
        let decided = decide_group(&mut tx, &group).await?;
        if decided.kept {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        unsynced.done().await;
        Ok(decided)
    }

    /// Open, unacknowledged alerts of a rule (about one subject, if given), for repeats,
    /// oldest first (ids are made in time order). About one subject, the rule's open alert
    /// of it is found through `alerts_open` (hence the `state <> 'resolved'` it names); a
    /// whole rule's are read in id order through `alerts_by_rule`, up to the first
    /// [`MAX_LISTED`].
    async fn firing_of(&self, rule_id: &str, subject: Option<&str>) -> Result<Vec<Pending>> {
        let from = pending_from(self.backend);
        let rest = match subject {
            Some(_) => "AND a.subject = $2 AND a.state <> 'resolved'".to_string(),
            None => format!("ORDER BY a.id LIMIT {MAX_LISTED}"),
        };
        let sql = format!(
            "SELECT {PENDING_COLS} FROM {from} WHERE a.rule_id = $1 AND a.state = 'firing' {rest}"
        );
        let mut args = vec![Arg::text(rule_id)];
        args.extend(subject.map(Arg::text));
        let mut conn = self.read.acquire().await?;
        conn.rows(&sql, &args, &PENDING_KINDS)
            .await?
            .into_iter()
            .map(pending_row)
            .collect()
    }

    async fn repeat_pass(
        &self,
        now: i64,
        link_for: &(dyn Fn(&str) -> String + Sync),
    ) -> Result<usize> {
        let rules = self.alert_rules();
        let channels = self.channels();
        let silences = self.silences();
        let mut conn = self.read.acquire().await?;
        let due = conn
            .rows(
                &format!(
                    "SELECT {GROUP_COLS} FROM notification_groups \
                     WHERE repeat_at IS NOT NULL AND repeat_at <= $1 ORDER BY repeat_at LIMIT 10000"
                ),
                &[Arg::int(now)],
                &GROUP_KINDS,
            )
            .await?
            .into_iter()
            .map(group_row)
            .collect::<Result<Vec<_>>>()?;
        drop(conn);
        let mut queued = 0;
        for g in &due {
            let rule_id = &g.rule_id;
            let rule = rules.iter().find(|r| &r.id == rule_id);
            let firing: Vec<Pending> = match rule {
                Some(_) => self.firing_of(rule_id, g.subject.as_deref()).await?,
                None => Vec::new(),
            };
            let mut tx = self.begin_write().await?;
            let mut next = None;
            if let Some(rule) = rule {
                let alerts: Vec<NotifiedAlert> = firing
                    .iter()
                    .filter(|p| silenced_by(&silences, &labels(p, rule), now).is_none())
                    .map(|p| p.alert.clone())
                    .collect();
                if !alerts.is_empty() {
                    let n = Notification {
                        kind: NotificationKind::Repeat,
                        rule_id: rule_id.clone(),
                        rule_name: rule.name.clone(),
                        severity: rule.severity,
                        open: alerts.len() as u64,
                        alerts,
                        escalation_minutes: None,
                        decided_at: now,
                    };
                    let to = route(rule, &channels, &rule.notify.channels);
                    queued += enqueue(&mut tx, &n, &to, &link_for(rule_id), now).await?;
                }
                if !firing.is_empty() && rule.notify.repeat_interval_secs > 0 {
                    next = Some(now + i64::from(rule.notify.repeat_interval_secs) * 1000);
                }
            }
            // Compare and set: a repeat another notifier decided first is not decided again.
            let moved = sqlx::query(
                "UPDATE notification_groups SET repeat_at = $1 \
                 WHERE group_key = $2 AND repeat_at = $3",
            )
            .bind(next)
            .bind(&g.key)
            .bind(g.repeat_at)
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() != 1 {
                tx.rollback().await?;
                continue;
            }
            tx.commit().await?;
        }
        Ok(queued)
    }

    async fn escalation_pass(
        &self,
        now: i64,
        link_for: &(dyn Fn(&str) -> String + Sync),
    ) -> Result<usize> {
        let rules = self.alert_rules();
        let channels = self.channels();
        let silences = self.silences();
        // Most passes have nothing to escalate: the first end of `alerts_to_escalate` says
        // so, where PostgreSQL could plan the read below from the statistics of a table a
        // job is filling, and start parallel workers to find nothing.
        let first: Option<i64> =
            sqlx::query_scalar("SELECT MIN(escalate_at) FROM alerts WHERE escalate_at IS NOT NULL")
                .fetch_one(&self.read)
                .await?;
        if first.is_none_or(|at| at > now) {
            return Ok(0);
        }
        let from = pending_from(self.backend);
        let mut conn = self.read.acquire().await?;
        let rows = conn
            .rows(
                &format!(
                    "SELECT {PENDING_COLS} FROM {from} \
                     WHERE a.escalate_at IS NOT NULL AND a.escalate_at <= $1 \
                     ORDER BY a.escalate_at LIMIT 50000"
                ),
                &[Arg::int(now)],
                &PENDING_KINDS,
            )
            .await?;
        drop(conn);
        // (rule, level) → alerts due, with when each was due.
        let mut due: BTreeMap<(String, i64), Vec<(Pending, i64)>> = BTreeMap::new();
        let mut stop = Vec::new();
        let mut held: BTreeMap<(i64, &str), Vec<String>> = BTreeMap::new();
        for r in rows {
            let p = pending_row(r)?;
            let level = p.escalation_level;
            let at = p.escalate_at.unwrap_or(now);
            let rule = rules.iter().find(|x| x.id == p.rule_id);
            match rule {
                Some(rule) if p.alert.state == "firing" => {
                    if let Some(s) = silenced_by(&silences, &labels(&p, rule), now) {
                        held.entry((s.ends_at, &s.id))
                            .or_default()
                            .push(p.alert.id.clone());
                    } else {
                        due.entry((p.rule_id.clone(), level))
                            .or_default()
                            .push((p, at));
                    }
                }
                _ => stop.push(p.alert.id.clone()),
            }
        }
        if due.is_empty() && stop.is_empty() && held.is_empty() {
            return Ok(0);
        }
        let mut queued = 0;
        let mut tx = self.begin_write().await?;
        let stop: Vec<&str> = stop.iter().map(String::as_str).collect();
        update_ids(
            &mut tx,
            "UPDATE alerts SET escalate_at = $1",
            None,
            &stop,
            "",
        )
        .await?;
        for ((end, silence), ids) in &held {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            // Not held when the silence ended meanwhile: its expiry woke the notifier,
            // whose next pass finds them due.
            hold_for_silence(&mut tx, "escalate_at", silence, *end, &ids).await?;
        }
        for ((rule_id, level), list) in &due {
            let Some(rule) = rules.iter().find(|x| &x.id == rule_id) else {
                continue;
            };
            let l = usize::try_from(*level).unwrap_or(usize::MAX);
            let Some(step) = rule.notify.escalation.get(l) else {
                let ids: Vec<&str> = list.iter().map(|(p, _)| p.alert.id.as_str()).collect();
                update_ids(
                    &mut tx,
                    "UPDATE alerts SET escalate_at = $1",
                    None,
                    &ids,
                    "",
                )
                .await?;
                continue;
            };
            let n = Notification {
                kind: NotificationKind::Escalation,
                rule_id: rule_id.clone(),
                rule_name: rule.name.clone(),
                severity: rule.severity,
                open: list.len() as u64,
                alerts: list.iter().map(|(p, _)| p.alert.clone()).collect(),
                escalation_minutes: Some(step.after_minutes),
                decided_at: now,
            };
            let to: Vec<&Channel> = channels
                .iter()
                .filter(|c| c.enabled && step.channels.contains(&c.id))
                .collect();
            queued += enqueue(&mut tx, &n, &to, &link_for(rule_id), now).await?;
            // The next step is due as long after this one as the steps are apart.
            let gap = rule
                .notify
                .escalation
                .get(l + 1)
                .map(|next| i64::from(next.after_minutes - step.after_minutes) * 60_000);
            for (p, at) in list {
                // Compare and set on the level read: an escalation another notifier decided
                // first is not decided again (the whole pass is left to the next look).
                let moved = sqlx::query(
                    "UPDATE alerts SET escalation_level = $1, escalate_at = $2 \
                     WHERE id = $3 AND state = 'firing' AND escalation_level = $4",
                )
                .bind(level + 1)
                .bind(gap.map(|g| at + g))
                .bind(&p.alert.id)
                .bind(level)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(0);
                }
                let detail = serde_json::json!({"level": level + 1, "channels": step.channels});
                crate::alerts::alert_event(
                    &mut tx,
                    &p.alert.id,
                    now,
                    "escalated",
                    "steward",
                    &detail,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Notifications due for a delivery attempt at `now`, oldest first.
    pub async fn due_deliveries(&self, now: i64, limit: u32) -> Result<Vec<Delivery>> {
        sqlx::query(&format!(
            "SELECT * FROM outbox WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until <= $1) \
             ORDER BY next_attempt_at, id LIMIT {limit}"
        ))
        .bind(now)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(delivery_row)
        .collect()
    }

    /// Claims a notification for one attempt until `until`: `false` when another sender
    /// holds it (or it is no longer pending). The attempt's outcome ends the claim; a sender
    /// that died leaves it to lapse.
    ///
    /// Synced to disk, unlike the decision that queued the notification (`Store::unsynced`):
    /// both logs keep commits in order, so the decision, and with it the key the receiver
    /// sees, is durable before anything is sent.
    pub async fn claim_delivery(&self, d: &Delivery, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND state = 'pending' \
             AND (claimed_until IS NULL OR claimed_until <= $3)",
        )
        .bind(until)
        .bind(&d.id)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// When the next delivery attempt is due.
    pub async fn next_delivery_at(&self) -> Result<Option<i64>> {
        Ok(sqlx::query("SELECT MIN(next_attempt_at) AS t FROM outbox")
            .fetch_one(&self.read)
            .await?
            .try_get("t")?)
    }

    /// Records a successful delivery; the channel's other waiting notifications go next.
    /// Not synced to disk (`Store::unsynced`): a machine's crash that forgets it means a
    /// resend with the same key.
    pub async fn delivery_succeeded(&self, d: &Delivery, now: i64) -> Result<()> {
        let mut unsynced = self.unsynced().await?;
        let mut tx = unsynced.begin().await?;
        sqlx::query(
            "UPDATE outbox SET state = 'delivered', delivered_at = $1, last_attempt_at = $1, \
             attempts = attempts + 1, next_attempt_at = NULL, claimed_until = NULL \
             WHERE id = $2 AND state = 'pending'",
        )
        .bind(now)
        .bind(&d.id)
        .execute(&mut *tx)
        .await?;
        reschedule_channel(&mut tx, &d.channel_id, now, ">").await?;
        tx.commit().await?;
        unsynced.done().await;
        Ok(())
    }

    /// Records a failed attempt. With `retry_at`, the notification — and the channel's other
    /// waiting ones — are tried again then; without, it is given up. Not synced to disk
    /// (`Store::unsynced`): a machine's crash that forgets it means one attempt more.
    pub async fn delivery_failed(
        &self,
        d: &Delivery,
        error: &str,
        now: i64,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let error: String = error.chars().take(1000).collect();
        let mut unsynced = self.unsynced().await?;
        let mut tx = unsynced.begin().await?;
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, last_attempt_at = $2, \
             next_attempt_at = $3, state = $4, claimed_until = NULL \
             WHERE id = $5 AND state = 'pending'",
        )
        .bind(&error)
        .bind(now)
        .bind(retry_at)
        .bind(if retry_at.is_some() {
            "pending"
        } else {
            "failed"
        })
        .bind(&d.id)
        .execute(&mut *tx)
        .await?;
        if let Some(t) = retry_at {
            reschedule_channel(&mut tx, &d.channel_id, t, "<").await?;
        }
        tx.commit().await?;
        unsynced.done().await;
        Ok(())
    }

    /// Outbox rows, newest first, optionally of one channel and in one state.
    pub async fn list_deliveries(
        &self,
        channel: Option<&str>,
        state: Option<&str>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<steward_proto::Page<Delivery>> {
        let mut f = crate::Filter::default();
        if let Some(c) = channel {
            f.add("channel_id = ?", crate::Param::Text(c.into()));
        }
        if let Some(s) = state {
            f.add("state = ?", crate::Param::Text(s.into()));
        }
        if let Some(c) = cursor {
            f.add("id < ?", crate::Param::Text(c.into()));
        }
        let sql = format!(
            "SELECT * FROM outbox {} ORDER BY id DESC LIMIT {}",
            f.where_sql(),
            limit + 1
        );
        let rows = crate::bind_all(sqlx::query(&sql), f.params())
            .fetch_all(&self.read)
            .await?;
        let items = rows.iter().map(delivery_row).collect::<Result<Vec<_>>>()?;
        Ok(crate::id_page(items, limit, |d| d.id.clone()))
    }

    /// Notifications still undelivered after failed attempts that were decided before
    /// `before`, or given up since then, with the names of their channels.
    pub async fn undelivered(&self, before: i64) -> Result<(u64, Vec<String>)> {
        let rows = sqlx::query(
            "SELECT channel_id, COUNT(*) AS n FROM outbox WHERE \
             (state = 'pending' AND attempts > 0 AND created_at <= $1) \
             OR (state = 'failed' AND last_attempt_at >= $1) GROUP BY channel_id ORDER BY channel_id",
        )
        .bind(before)
        .fetch_all(&self.read)
        .await?;
        let channels = self.channels();
        let mut total = 0;
        let mut names = Vec::new();
        for r in rows {
            let id: String = r.try_get("channel_id")?;
            total += r.try_get::<i64, _>("n")? as u64;
            names.push(
                channels
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.name.clone())
                    .unwrap_or(id),
            );
        }
        Ok((total, names))
    }

    /// Alerts fired in `[since, until)`, for the response-time report.
    pub async fn response_rows(&self, since: i64, until: i64) -> Result<Vec<ResponseRow>> {
        // Through the ids' index: see `alerts::fired_between`.
        let (first, past) = crate::alerts::fired_between(since, until);
        sqlx::query(
            "SELECT severity, rule_id, rule_name, fired_at, acknowledged_at, resolved_at \
             FROM alerts WHERE id >= $3 AND id < $4 AND fired_at >= $1 AND fired_at < $2",
        )
        .bind(since)
        .bind(until)
        .bind(first)
        .bind(past)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(ResponseRow {
                severity: r.try_get("severity")?,
                rule_id: r.try_get("rule_id")?,
                rule_name: r.try_get("rule_name")?,
                fired_at: r.try_get("fired_at")?,
                acknowledged_at: r.try_get("acknowledged_at")?,
                resolved_at: r.try_get("resolved_at")?,
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use steward_core::notify::Silence;

    use super::hold_for_silence;
    use crate::audit::Actor;
    use crate::Store;

    async fn notify_at(store: &Store, id: &str) -> Option<i64> {
        sqlx::query_scalar("SELECT notify_at FROM alerts WHERE id = $1")
            .bind(id)
            .fetch_one(&store.read)
            .await
            .expect("read")
    }

    /// Two servers on one database file: the notifier decided to hold an alert with the
    /// silence it knew, the other server ended the silence before the notifier wrote.
    #[tokio::test]
    async fn a_silence_ended_through_another_server_meanwhile_holds_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = Store::sqlite_url(dir.path());
        let notifier = Store::open(&url).await.expect("open");
        let other = Store::open(&url).await.expect("open");
        let silence = Silence {
            id: "s1".into(),
            rule_id: Some("r1".into()),
            device_group: None,
            device_id: None,
            labels: BTreeMap::new(),
            starts_at: 1_000,
            ends_at: 3_601_000,
            author: "admin".into(),
            reason: "drill".into(),
            created_at: 1_000,
        };
        other
            .create_silence(&silence, &Actor::cli())
            .await
            .expect("silence");
        for (id, fired) in [("a1", 2_000), ("a2", 2_500)] {
            sqlx::query(
                "INSERT INTO alerts (id, rule_id, subject, severity, state, rule_name, reason, \
                 fired_at, updated_at, notify_at) VALUES ($1, 'r1', $1, 'critical', 'firing', \
                 'Threat', 'threat', $2, $2, $2)",
            )
            .bind(id)
            .bind(fired)
            .execute(&other.write)
            .await
            .expect("alert");
        }
        // Still silenced: held until the silence's end, which ending it moves to now.
        let mut tx = notifier.begin_write().await.expect("begin");
        let held = hold_for_silence(&mut tx, "notify_at", "s1", 3_601_000, &["a1"])
            .await
            .expect("hold");
        tx.commit().await.expect("commit");
        assert!(held);
        assert_eq!(notify_at(&notifier, "a1").await, Some(3_601_000));
        // Ended through the other server after the notifier read its silences.
        other
            .expire_silence("s1", 10_000, &Actor::cli())
            .await
            .expect("expire");
        assert_eq!(notify_at(&notifier, "a1").await, Some(10_000));
        let mut tx = notifier.begin_write().await.expect("begin");
        let held = hold_for_silence(&mut tx, "notify_at", "s1", 3_601_000, &["a2"])
            .await
            .expect("hold");
        tx.commit().await.expect("commit");
        assert!(!held, "held by a silence that has ended");
        assert_eq!(notify_at(&notifier, "a2").await, Some(2_500));
        notifier.close().await;
        other.close().await;
    }
}
