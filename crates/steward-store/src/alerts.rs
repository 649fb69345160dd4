//! Alert rules and alerts. Rules are kept in memory (reloaded on every change) so the writer
//! can evaluate each state-changing check-in against them in its own transaction. An alert is
//! unique per rule and subject while open (firing or acknowledged); it resolves by itself when
//! the condition clears, or by hand.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use steward_core::alerting::{AlertRule, Reason, Severity};

use crate::audit::{self, Actor, AuditRecord};
use crate::exec::{first, Arg, Exec, Kind, Val};
use crate::notify::AlertsChanged;
use crate::{bind_all, Param, Result, Store, StoreError};

/// An alert as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: String,
    pub rule_id: String,
    pub subject: String,
    pub device_id: Option<String>,
    /// The device's name, for people (none for a fleet-wide alert).
    pub device_name: Option<String>,
    pub severity: String,
    /// firing, acknowledged or resolved.
    pub state: String,
    /// The rule's name when the alert fired.
    pub rule_name: String,
    /// Why it fired, in the reader's language (filled in by the API).
    pub summary: String,
    #[serde(skip)]
    pub reason: Reason,
    pub fired_at: String,
    pub updated_at: String,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<String>,
    /// `auto` when the condition cleared, else who resolved it.
    pub resolved_by: Option<String>,
    pub assignee: Option<String>,
    /// Times it fired again within the reopen window after being resolved.
    pub reopened: i64,
    /// Escalation steps already notified.
    pub escalation_level: i64,
    /// The state last notified (firing or resolved); empty if none yet.
    pub notified: String,
    /// The active silence holding its notifications (filled in by the API).
    pub silenced_by: Option<String>,
    #[serde(skip)]
    pub device_group: Option<String>,
    #[serde(skip)]
    pub platform: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertEvent {
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: Alert,
    pub history: Vec<AlertEvent>,
}

/// Filters of `GET /api/v1/alerts`, newest first.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    pub state: Option<String>,
    pub severity: Option<String>,
    pub rule_id: Option<String>,
    pub device_id: Option<String>,
    /// Device groups the caller may see; empty means all.
    pub scope: Vec<String>,
    pub limit: u32,
    pub cursor: Option<String>,
}

pub const ALERT_STATES: [&str; 3] = ["firing", "acknowledged", "resolved"];

const ALERT_COLS: &str = "a.id, a.rule_id, a.subject, a.device_id, a.severity, a.state, \
                          a.rule_name, a.reason, a.fired_at, a.updated_at, a.acknowledged_at, \
                          a.acknowledged_by, a.resolved_at, a.resolved_by, a.assignee, \
                          a.reopened, a.escalation_level, a.notified, d.device_group, d.platform, \
                          d.name AS device_name";

fn alert_row(r: &sqlx::any::AnyRow) -> Result<Alert> {
    use steward_core::time::to_rfc3339;
    let time =
        |c: &str| -> Result<Option<String>> { Ok(r.try_get::<Option<i64>, _>(c)?.map(to_rfc3339)) };
    Ok(Alert {
        id: r.try_get("id")?,
        rule_id: r.try_get("rule_id")?,
        subject: r.try_get("subject")?,
        device_id: r.try_get("device_id")?,
        device_name: r.try_get("device_name")?,
        severity: r.try_get("severity")?,
        state: r.try_get("state")?,
        rule_name: r.try_get("rule_name")?,
        summary: String::new(),
        reason: serde_json::from_str(&r.try_get::<String, _>("reason")?).unwrap_or_default(),
        fired_at: to_rfc3339(r.try_get("fired_at")?),
        updated_at: to_rfc3339(r.try_get("updated_at")?),
        acknowledged_at: time("acknowledged_at")?,
        acknowledged_by: r.try_get("acknowledged_by")?,
        resolved_at: time("resolved_at")?,
        resolved_by: r.try_get("resolved_by")?,
        assignee: r.try_get("assignee")?,
        reopened: r.try_get("reopened")?,
        escalation_level: r.try_get("escalation_level")?,
        notified: r.try_get("notified")?,
        silenced_by: None,
        device_group: r.try_get("device_group")?,
        platform: r.try_get("platform")?,
    })
}

/// Every alert rule, in the order they are listed.
pub(crate) async fn rules_from<'e, E>(ex: E) -> Result<Vec<AlertRule>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query("SELECT * FROM alert_rules ORDER BY name, id")
        .fetch_all(ex)
        .await?;
    rows.iter().map(rule_row).collect()
}

fn rule_row(r: &sqlx::any::AnyRow) -> Result<AlertRule> {
    let invalid = |e: String| StoreError::Invalid(e);
    let condition: String = r.try_get("condition")?;
    let severity: String = r.try_get("severity")?;
    let groups: String = r.try_get("device_groups")?;
    Ok(AlertRule {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        condition: serde_json::from_str(&condition).map_err(|e| invalid(e.to_string()))?,
        severity: Severity::parse(&severity).ok_or_else(|| invalid(severity.clone()))?,
        groups: groups
            .split(',')
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect(),
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        notify: serde_json::from_str(&r.try_get::<String, _>("notify")?)
            .map_err(|e| invalid(e.to_string()))?,
    })
}

pub(crate) async fn alert_event(
    tx: &mut Transaction<'_, Any>,
    alert_id: &str,
    at: i64,
    kind: &str,
    actor: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_events (alert_id, at, kind, actor, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(alert_id)
    .bind(at)
    .bind(kind)
    .bind(actor)
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The rule ids of a device's stored firing rules (comma-separated, possibly empty).
pub(crate) fn stored_firing(stored: &str) -> Vec<&str> {
    stored.split(',').filter(|s| !s.is_empty()).collect()
}

/// One subject's alert rules before and after an evaluation: a device, or `fleet`.
pub(crate) struct Firing<'a> {
    pub(crate) subject: &'a str,
    /// The subject's stored firing rules.
    pub(crate) old: &'a str,
    pub(crate) firing: &'a [(String, Reason)],
}

/// A rule, and the subjects it starts firing on with why.
type Opening<'a> = (&'a AlertRule, Vec<(&'a str, &'a Reason)>);

/// Opens alerts for rules that started firing for each subject and resolves those of rules
/// that stopped, inside the caller's transaction. An alert of the same rule and subject
/// resolved within the rule's reopen window is reopened instead of a new one. Every change is
/// marked for the notifier (`notify_at`), and written to the alerts' history except a new
/// alert's firing (see [`implied_firing`]). Returns each subject's new firing rules as
/// stored, in order.
///
/// Each subject appears once in `subjects` (a batch's devices are distinct).
///
/// Statements are shared by every subject of a rule (a storm rule opens thousands of alerts
/// in one fleet job batch): the last alerts are read, new ones inserted and stopped ones
/// resolved a chunk of subjects at a time; only reopening goes alert by alert.
pub(crate) async fn apply_firing(
    tx: &mut impl Exec,
    changed: &AlertsChanged,
    rules: &[AlertRule],
    at: i64,
    subjects: &[Firing<'_>],
) -> Result<Vec<String>> {
    // By rule: the subjects it starts firing on (with why), and those it stops on.
    let mut opening: BTreeMap<&str, Opening<'_>> = BTreeMap::new();
    let mut stopping: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in subjects {
        let before = stored_firing(s.old);
        for (rule_id, why) in s.firing {
            if before.contains(&rule_id.as_str()) {
                continue;
            }
            if let Some(rule) = rules.iter().find(|r| &r.id == rule_id) {
                opening
                    .entry(rule_id)
                    .or_insert_with(|| (rule, Vec::new()))
                    .1
                    .push((s.subject, why));
            }
        }
        for rule_id in before {
            if !s.firing.iter().any(|(r, _)| r == rule_id) {
                stopping.entry(rule_id).or_default().push(s.subject);
            }
        }
    }
    if !opening.is_empty() || !stopping.is_empty() {
        changed.mark();
    }
    let backend = tx.backend();
    let mut events: Vec<NewEvent> = Vec::new();
    for (rule_id, (rule, opened)) in opening {
        let escalate_at = rule.notify.escalate_at(at, 0);
        let reopen_after = at - rule.notify.reopen_window_ms();
        let mut fresh = Vec::new();
        let mut ids = AlertIds::new(at);
        for chunk in opened.chunks(backend.rows_per_statement(1) - 1) {
            let last = last_alerts(tx, rule_id, chunk.iter().map(|(s, _)| *s)).await?;
            for &(subject, why) in chunk {
                match last.get(subject) {
                    // Still open: nothing to do.
                    Some(l) if l.state != "resolved" => {}
                    Some(l) if l.resolved_at.is_some_and(|r| r >= reopen_after) => {
                        // The first firing is recorded only now (see `implied_firing`):
                        // the reason it fired with is about to be replaced.
                        tx.run(
                            "INSERT INTO alert_events (alert_id, at, kind, actor, detail) \
                             SELECT id, fired_at, 'fired', 'steward', \
                             '{\"reason\":' || reason || '}' FROM alerts \
                             WHERE id = $1 AND state = 'resolved' AND NOT EXISTS \
                             (SELECT 1 FROM alert_events WHERE alert_id = $1 AND kind = 'fired')",
                            &[Arg::text(&l.id)],
                        )
                        .await?;
                        let reopened = tx
                            .run(
                                "UPDATE alerts SET state = 'firing', reopened = reopened + 1, \
                                 reason = $2, severity = $3, rule_name = $4, updated_at = $5, \
                                 resolved_at = NULL, resolved_by = NULL, acknowledged_at = NULL, \
                                 acknowledged_by = NULL, notify_at = $5, escalate_at = $6, \
                                 escalation_level = 0 WHERE id = $1 AND state = 'resolved'",
                                &[
                                    Arg::text(&l.id),
                                    Arg::owned(reason_json(why)),
                                    Arg::text(rule.severity.as_str()),
                                    Arg::text(&rule.name),
                                    Arg::int(at),
                                    Arg::Int(escalate_at),
                                ],
                            )
                            .await?;
                        if reopened == 1 {
                            events.push(NewEvent::reason(l.id.clone(), "reopened", why));
                        }
                    }
                    _ => fresh.push((ids.next_id(), subject, why)),
                }
            }
        }
        // What every row of the rule shares is bound once per statement: the rule, its
        // severity and name, the instant three times (fired, updated, to notify) and the
        // escalation; then a row's id, subject, device and reason.
        const SHARED: usize = 7;
        const ROW: usize = 4;
        for chunk in fresh.chunks((backend.rows_per_statement(1) - SHARED) / ROW) {
            // Every parameter once, in the order bound (see `Backend::param`): the shared
            // values before the rows'. `WHERE true` keeps SQLite from reading `ON CONFLICT`
            // as a join's `ON`. A row skipped for an alert still open (another writer opened
            // it) needs nothing more: a new alert's firing is its row (see
            // `implied_firing`), not a history entry.
            let p = |n| backend.param(n);
            let sql = format!(
                "INSERT INTO alerts (id, rule_id, subject, device_id, severity, state, \
                 rule_name, reason, fired_at, updated_at, notify_at, escalate_at) \
                 SELECT v.column1, {}, v.column2, v.column3, {}, 'firing', {}, v.column4, \
                 {}, {}, {}, {} FROM (VALUES {}) AS v WHERE true \
                 ON CONFLICT (rule_id, subject) WHERE state <> 'resolved' DO NOTHING",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7),
                backend.rows_of(chunk.len(), ROW, SHARED + 1)
            );
            let mut args = vec![
                Arg::text(rule_id),
                Arg::text(rule.severity.as_str()),
                Arg::text(&rule.name),
                Arg::int(at),
                Arg::int(at),
                Arg::int(at),
                Arg::Int(escalate_at),
            ];
            for (id, subject, why) in chunk {
                args.extend([
                    Arg::text(id),
                    Arg::text(subject),
                    Arg::Text((*subject != "fleet").then_some((*subject).into())),
                    Arg::owned(reason_json(why)),
                ]);
            }
            tx.run(&sql, &args).await?;
        }
    }
    for (rule_id, stopped) in stopping {
        for chunk in stopped.chunks(backend.rows_per_statement(1) - 2) {
            let sql = format!(
                "UPDATE alerts SET state = 'resolved', resolved_at = $1, resolved_by = 'auto', \
                 updated_at = $1, notify_at = $1, escalate_at = NULL \
                 WHERE rule_id = $2 AND subject IN ({}) AND state <> 'resolved' RETURNING id",
                crate::list_placeholders(3, chunk.len())
            );
            let mut args = vec![Arg::int(at), Arg::text(rule_id)];
            args.extend(chunk.iter().map(|subject| Arg::text(subject)));
            for r in tx.rows(&sql, &args, &[Kind::Text]).await? {
                events.push(NewEvent {
                    alert_id: first(r)?.text()?,
                    kind: "resolved",
                    detail: serde_json::json!({"by": "auto"}).to_string(),
                });
            }
        }
    }
    insert_alert_events(tx, at, "steward", &events).await?;
    Ok(subjects.iter().map(|s| firing_ids(s.firing)).collect())
}

/// New alerts' ids: UUIDs v7 whose time is the instant they fired, so ids sort by firing
/// time and a time range of firings is a range of ids (see [`fired_between`]). The 74
/// bits after the time count up from a random start: the alerts one evaluation opens (a
/// storm rule's batch: thousands, all at one instant) get increasing ids, so each is
/// appended to the indexes ordered by id instead of landing between the others.
pub(crate) struct AlertIds {
    /// The instant, in its place (see [`id_time`]).
    time: u128,
    seq: u128,
}

impl AlertIds {
    pub(crate) fn new(fired_at: i64) -> AlertIds {
        AlertIds {
            time: id_time(fired_at),
            // Below half of the space: no count of alerts can carry past its end.
            seq: uuid::Uuid::new_v4().as_u128() & ((1 << 73) - 1),
        }
    }

    pub(crate) fn next_id(&mut self) -> String {
        let seq = self.seq;
        self.seq += 1;
        let bits =
            self.time | (0x7 << 76) | ((seq >> 62) << 64) | (0b10 << 62) | (seq & ((1 << 62) - 1));
        uuid::Uuid::from_u128(bits).to_string()
    }
}

/// Ids of alerts fired from `since` (inclusive) to `until` (exclusive), for a condition on
/// `alerts.id` that an index serves: ids at or above the first, below the second. Alerts
/// stored before ids took their firing time have ids a little later than it (the id was
/// made as the row was written); the range is widened by [`ID_SLACK_MS`] for them, so it
/// is always read beside the firing time itself.
pub(crate) fn fired_between(since: i64, until: i64) -> (String, String) {
    let bound = |ms: i64| uuid::Uuid::from_u128(id_time(ms)).to_string();
    (
        bound(since.saturating_sub(ID_SLACK_MS)),
        bound(until.saturating_add(ID_SLACK_MS)),
    )
}

/// How far an id's time may lie from its alert's firing time (see [`fired_between`]).
const ID_SLACK_MS: i64 = 3_600_000;

/// An instant (milliseconds since the epoch, kept within the 48 bits a UUID v7 has for it)
/// in an id's place: the top 48 of its 128 bits.
fn id_time(ms: i64) -> u128 {
    u128::from(u64::try_from(ms).unwrap_or(0).min((1 << 48) - 1)) << 80
}

/// An alert's history with its firing first. A new alert's firing is not written to
/// `alert_events`: its row holds when and why it fired (a rule new to the fleet opens an
/// alert on most devices, and a history entry each would be a sixth of what they write).
/// It is recorded there only when a reopening is about to replace the reason, and
/// alerts opened before that change have it recorded too; such an entry is moved first.
fn implied_firing(alert: &Alert, recorded: Vec<AlertEvent>) -> Vec<AlertEvent> {
    let (mut history, rest): (Vec<_>, Vec<_>) =
        recorded.into_iter().partition(|e| e.kind == "fired");
    if history.is_empty() {
        history.push(AlertEvent {
            at: alert.fired_at.clone(),
            kind: "fired".into(),
            actor: "steward".into(),
            detail: serde_json::json!({ "reason": alert.reason }),
        });
    }
    history.extend(rest);
    history
}

/// Writes alert history entries made at `at` by `actor`, many per statement.
pub(crate) async fn insert_alert_events(
    tx: &mut impl Exec,
    at: i64,
    actor: &str,
    events: &[NewEvent],
) -> Result<()> {
    let backend = tx.backend();
    // Shared: the instant, the actor; then a row's alert, kind and detail.
    for chunk in events.chunks((backend.rows_per_statement(1) - 2) / 3) {
        let sql = format!(
            "INSERT INTO alert_events (alert_id, at, kind, actor, detail) \
             SELECT v.column1, {}, v.column2, {}, v.column3 FROM (VALUES {}) AS v",
            backend.param(1),
            backend.param(2),
            backend.rows_of(chunk.len(), 3, 3)
        );
        let mut args = vec![Arg::int(at), Arg::text(actor)];
        for e in chunk {
            args.extend([
                Arg::text(&e.alert_id),
                Arg::text(e.kind),
                Arg::text(&e.detail),
            ]);
        }
        tx.run(&sql, &args).await?;
    }
    Ok(())
}

/// An alert's history entry, as [`insert_alert_events`] writes it.
pub(crate) struct NewEvent {
    pub(crate) alert_id: String,
    pub(crate) kind: &'static str,
    pub(crate) detail: String,
}

impl NewEvent {
    fn reason(alert_id: String, kind: &'static str, why: &Reason) -> NewEvent {
        NewEvent {
            alert_id,
            kind,
            detail: serde_json::json!({"reason": why}).to_string(),
        }
    }
}

fn reason_json(why: &Reason) -> String {
    serde_json::to_value(why).unwrap_or_default().to_string()
}

/// The last alert of a rule for each of `subjects` that has one.
struct LastAlert {
    id: String,
    state: String,
    resolved_at: Option<i64>,
}

async fn last_alerts<'s>(
    tx: &mut impl Exec,
    rule_id: &'s str,
    subjects: impl Iterator<Item = &'s str>,
) -> Result<HashMap<String, LastAlert>> {
    let kinds = [Kind::Text, Kind::Text, Kind::Text, Kind::Int, Kind::Int];
    let (fleet, devices): (Vec<&str>, Vec<&str>) = subjects.partition(|s| *s == "fleet");
    let mut rows = Vec::new();
    if !devices.is_empty() {
        // Each device's latest alert of the rule only, one step of `alerts_by_device` each:
        // a device that fired and cleared a rule many times would otherwise have its whole
        // history read on every firing. (`VALUES` names its column `column1` on both
        // backends.) PostgreSQL plans the `IN` form as a hash join over a scan of every
        // alert once the table has grown, a scan per batch of a job that fills it; a
        // lateral step per device cannot be.
        let step = "FROM alerts b WHERE b.device_id = s.column1 AND b.rule_id = $1 \
                    ORDER BY b.fired_at DESC LIMIT 1";
        let values = crate::numbered_rows(devices.len(), 1, 2);
        let sql = match tx.backend() {
            crate::Backend::Postgres => format!(
                "SELECT l.id, l.subject, l.state, l.resolved_at, l.fired_at \
                 FROM (VALUES {values}) AS s CROSS JOIN LATERAL \
                 (SELECT b.id, b.subject, b.state, b.resolved_at, b.fired_at {step}) AS l"
            ),
            crate::Backend::Sqlite => format!(
                "SELECT id, subject, state, resolved_at, fired_at FROM alerts WHERE id IN \
                 (SELECT (SELECT b.id {step}) FROM (VALUES {values}) AS s)"
            ),
        };
        let mut args: Vec<Arg<'_>> = Vec::with_capacity(devices.len() + 1);
        args.push(Arg::text(rule_id));
        args.extend(devices.into_iter().map(Arg::text));
        rows = tx.rows(&sql, &args, &kinds).await?;
    }
    if !fleet.is_empty() {
        // The fleet's alerts have no device: `alerts_by_device` holds them first, by rule,
        // so the step reads the rule's fleet alerts only, however many device alerts the
        // rule opened (it may have watched devices before its condition changed).
        rows.extend(
            tx.rows(
                "SELECT id, subject, state, resolved_at, fired_at FROM alerts \
                 WHERE device_id IS NULL AND rule_id = $1 AND subject = 'fleet' \
                 ORDER BY fired_at DESC LIMIT 1",
                &[Arg::text(rule_id)],
                &kinds,
            )
            .await?,
        );
    }
    let mut last: HashMap<String, (i64, LastAlert)> = HashMap::new();
    for r in rows {
        let [id, subject, state, resolved_at, fired_at] = <[Val; 5]>::try_from(r)
            .map_err(|_| StoreError::Native("an alert read without its columns".into()))?;
        let fired_at = fired_at
            .int()?
            .ok_or_else(|| StoreError::Native("an alert without its firing time".into()))?;
        let subject = subject.text()?;
        if last.get(&subject).is_some_and(|(f, _)| *f >= fired_at) {
            continue;
        }
        let alert = LastAlert {
            id: id.text()?,
            state: state.text()?,
            resolved_at: resolved_at.int()?,
        };
        last.insert(subject, (fired_at, alert));
    }
    Ok(last.into_iter().map(|(s, (_, a))| (s, a)).collect())
}

/// Stores the rules that fire on devices whose rules moved (device id, [`firing_ids`]) in
/// `device_firing`: a row for a device some rule fires on, none for the others. Ids never
/// hold a comma. On PostgreSQL the caller holds the devices' rows locked (a check-in's read,
/// a job's lock of its batch, a rule deletion's lock), so two writers of one device's rules
/// follow each other, and take these rows' locks only behind the devices'.
pub(crate) async fn store_firing(tx: &mut impl Exec, moved: &[(&str, &str)]) -> Result<()> {
    let backend = tx.backend();
    let (firing, quiet): (Vec<_>, Vec<_>) = moved.iter().partition(|(_, rules)| !rules.is_empty());
    for chunk in quiet.chunks(backend.rows_per_statement(1)) {
        let sql = format!(
            "DELETE FROM device_firing WHERE device_id IN ({})",
            crate::list_placeholders(1, chunk.len())
        );
        let args: Vec<Arg<'_>> = chunk.iter().map(|(id, _)| Arg::text(id)).collect();
        tx.run(&sql, &args).await?;
    }
    for chunk in firing.chunks(backend.rows_per_statement(2)) {
        let sql = format!(
            "INSERT INTO device_firing (device_id, rules) VALUES {} \
             ON CONFLICT (device_id) DO UPDATE SET rules = excluded.rules",
            backend.rows_of(chunk.len(), 2, 1)
        );
        let mut args = Vec::with_capacity(chunk.len() * 2);
        for (id, rules) in chunk {
            args.extend([Arg::text(id), Arg::text(rules)]);
        }
        tx.run(&sql, &args).await?;
    }
    Ok(())
}

/// The ids of firing rules as stored in `device_firing.rules`.
pub(crate) fn firing_ids(firing: &[(String, Reason)]) -> String {
    firing
        .iter()
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl Store {
    /// Failed enrollment attempts since `since`.
    pub async fn enrollment_failures_since(&self, since: i64) -> Result<u64> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM enrollment_attempts WHERE at >= $1 AND result <> 'success'",
        )
        .bind(since)
        .fetch_one(&self.read)
        .await?
        .try_get("n")?;
        Ok(n as u64)
    }

    /// Opens fleet alerts (subject `fleet`) for the fleet rules in `firing` and resolves the
    /// open fleet alerts of the others.
    pub async fn apply_fleet_firing(&self, firing: &[(String, Reason)], now: i64) -> Result<()> {
        // Through `alerts_fleet_open`, which holds only these. SQLite, without statistics,
        // would rather scan `alerts_open`, every open alert of every device (70 ms at a
        // million), so it is named there; PostgreSQL's statistics find it.
        let from = match self.backend {
            crate::Backend::Sqlite => "alerts INDEXED BY alerts_fleet_open",
            crate::Backend::Postgres => "alerts",
        };
        let open: Vec<String> = sqlx::query(&format!(
            "SELECT rule_id FROM {from} WHERE subject = 'fleet' AND state <> 'resolved'"
        ))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("rule_id"))
        .collect::<std::result::Result<_, _>>()?;
        let changed = firing.iter().any(|(id, _)| !open.contains(id))
            || open.iter().any(|id| !firing.iter().any(|(f, _)| f == id));
        if !changed {
            return Ok(());
        }
        let rules = self.alert_rules();
        let mut tx = self.begin_write().await?;
        let changed = AlertsChanged::default();
        let fleet = Firing {
            subject: "fleet",
            old: &open.join(","),
            firing,
        };
        apply_firing(&mut tx, &changed, &rules, now, &[fleet]).await?;
        tx.commit().await?;
        self.alerts_committed(&changed);
        Ok(())
    }

    /// The alert rules as the writer evaluates them.
    pub fn alert_rules(&self) -> std::sync::Arc<Vec<AlertRule>> {
        self.alert_rules.get()
    }

    pub(crate) async fn reload_alert_rules(&self) -> Result<()> {
        let version = self.shared_version(crate::shared::Kind::AlertRules).await?;
        self.alert_rules.set(rules_from(&self.read).await?, version);
        Ok(())
    }

    pub fn alert_rule(&self, id: &str) -> Result<AlertRule> {
        self.alert_rules()
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    /// Creates or replaces a rule (audited) and queues the evaluation of the devices it can
    /// fire on or fired on, or of every device (see [`crate::jobs`]), returned.
    pub async fn put_alert_rule(
        &self,
        rule: &AlertRule,
        now: i64,
        actor: &Actor,
    ) -> Result<crate::jobs::FleetJob> {
        let before = self.alert_rule(&rule.id).ok();
        let condition = serde_json::to_string(&rule.condition)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO alert_rules (id, name, condition, severity, device_groups, enabled, \
             created_at, updated_at, notify) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET name = $2, condition = $3, severity = $4, \
             device_groups = $5, enabled = $6, updated_at = $7, notify = $8",
        )
        .bind(&rule.id)
        .bind(&rule.name)
        .bind(condition)
        .bind(rule.severity.as_str())
        .bind(rule.groups.join(","))
        .bind(i64::from(rule.enabled))
        .bind(now)
        .bind(serde_json::to_string(&rule.notify).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let action = if before.is_some() {
            "alert_rule.update"
        } else {
            "alert_rule.create"
        };
        let mut rec = AuditRecord::change(actor, now, action, "alert_rule", &rule.id);
        rec.before = before.map(|b| serde_json::to_value(b).unwrap_or_default());
        rec.after = Some(serde_json::to_value(rule).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::AlertRules).await?;
        let job = crate::jobs::queue_rule_pass(&mut tx, action, rule, now).await?;
        tx.commit().await?;
        self.reload_alert_rules().await?;
        self.signals.jobs.notify_one();
        Ok(job)
    }

    /// Deletes a rule (audited) and ends its open job (see [`crate::jobs`]); its open alerts
    /// are resolved by the job returned ([`crate::jobs::RULE_DELETED`]).
    pub async fn delete_alert_rule(
        &self,
        id: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<crate::jobs::FleetJob> {
        let before = self.alert_rule(id)?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM alert_rules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // Its job, if still open, has nothing left to do.
        sqlx::query(
            "UPDATE fleet_jobs SET finished_at = $1 \
             WHERE finished_at IS NULL AND kind = $2 AND subject = $3",
        )
        .bind(now)
        .bind(crate::jobs::ALERT_RULE)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // Its open alerts are resolved in the background: a rule that fired on most of a
        // large fleet would hold the writer for seconds here.
        let (job, _) = crate::jobs::queue_rule_deletion(&mut tx, id, &actor.name, now).await?;
        let mut rec = AuditRecord::change(actor, now, "alert_rule.delete", "alert_rule", id);
        rec.before = Some(serde_json::to_value(before).unwrap_or_default());
        audit::insert(&mut tx, &rec).await?;
        crate::shared::bump(&mut tx, crate::shared::Kind::AlertRules).await?;
        tx.commit().await?;
        self.signals.jobs.notify_one();
        self.reload_alert_rules().await?;
        Ok(job)
    }

    pub async fn list_alerts(&self, q: &AlertQuery) -> Result<steward_proto::Page<Alert>> {
        let mut f = crate::Filter::default();
        for (col, v) in [
            ("a.state = ?", &q.state),
            ("a.severity = ?", &q.severity),
            ("a.rule_id = ?", &q.rule_id),
            ("a.device_id = ?", &q.device_id),
        ] {
            if let Some(v) = v {
                f.add(col, Param::Text(v.clone()));
            }
        }
        if !q.scope.is_empty() {
            f.any_of("d.device_group IN (?)", &q.scope);
        }
        if let Some(c) = &q.cursor {
            f.add("a.id < ?", Param::Text(c.clone()));
        }
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts a LEFT JOIN devices d ON d.id = a.device_id {} \
             ORDER BY a.id DESC LIMIT {}",
            f.where_sql(),
            q.limit + 1
        );
        let rows = bind_all(sqlx::query(&sql), f.params())
            .fetch_all(&self.read)
            .await?;
        let items = rows.iter().map(alert_row).collect::<Result<Vec<_>>>()?;
        Ok(crate::id_page(items, q.limit, |a| a.id.clone()))
    }

    /// Open alerts (firing or acknowledged) by severity, within `scope` (empty: all).
    pub async fn open_alert_counts(
        &self,
        scope: &[String],
    ) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut f = crate::Filter::default();
        f.push("a.state <> 'resolved'");
        // Only a scoped caller needs the devices' groups.
        let join = if scope.is_empty() {
            ""
        } else {
            f.any_of("d.device_group IN (?)", scope);
            "JOIN devices d ON d.id = a.device_id"
        };
        let sql = format!(
            "SELECT a.severity, COUNT(*) AS n FROM alerts a {join} {} GROUP BY a.severity",
            f.where_sql()
        );
        let rows = bind_all(sqlx::query(&sql), f.params())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("severity")?, r.try_get::<i64, _>("n")? as u64)))
            .collect()
    }

    /// An alert with its history, and the group of its device (for scope checks).
    pub async fn alert(&self, id: &str) -> Result<(AlertDetail, Option<String>)> {
        let row = sqlx::query(&format!(
            "SELECT {ALERT_COLS} FROM alerts a \
             LEFT JOIN devices d ON d.id = a.device_id WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let events = sqlx::query(
            "SELECT at, kind, actor, detail FROM alert_events WHERE alert_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        let recorded = events
            .iter()
            .map(|e| {
                Ok(AlertEvent {
                    at: steward_core::time::to_rfc3339(e.try_get("at")?),
                    kind: e.try_get("kind")?,
                    actor: e.try_get("actor")?,
                    detail: serde_json::from_str(&e.try_get::<String, _>("detail")?)
                        .unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let alert = alert_row(&row)?;
        let history = implied_firing(&alert, recorded);
        Ok((AlertDetail { alert, history }, row.try_get("device_group")?))
    }

    /// Acknowledges a firing alert, or resolves an open one by hand with a comment. Answers
    /// `Conflict` when the alert is not in a state that allows it.
    pub async fn act_on_alert(
        &self,
        id: &str,
        action: AlertAction,
        comment: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let (sql, kind) = match action {
            AlertAction::Acknowledge => (
                "UPDATE alerts SET state = 'acknowledged', acknowledged_at = $1, \
                 acknowledged_by = $2, updated_at = $1, escalate_at = NULL \
                 WHERE id = $3 AND state = 'firing'",
                "acknowledged",
            ),
            AlertAction::Resolve => (
                "UPDATE alerts SET state = 'resolved', resolved_at = $1, resolved_by = $2, \
                 updated_at = $1, escalate_at = NULL, notify_at = $1 \
                 WHERE id = $3 AND state <> 'resolved'",
                "resolved",
            ),
        };
        let done = sqlx::query(sql)
            .bind(now)
            .bind(&actor.name)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT 1 AS one FROM alerts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            return Err(if exists {
                StoreError::Conflict(format!(
                    "alert {id} is not {}",
                    match action {
                        AlertAction::Acknowledge => "firing",
                        AlertAction::Resolve => "open",
                    }
                ))
            } else {
                StoreError::NotFound
            });
        }
        let detail = serde_json::json!({"comment": comment});
        alert_event(&mut tx, id, now, kind, &actor.name, &detail).await?;
        let mut rec = AuditRecord::change(actor, now, &format!("alert.{kind}"), "alert", id);
        rec.after = Some(detail);
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        if action == AlertAction::Resolve {
            self.wake(crate::wake::Topic::Alerts);
        }
        Ok(())
    }

    /// Adds a comment to an alert's history (audited).
    pub async fn comment_on_alert(
        &self,
        id: &str,
        text: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let detail = serde_json::json!({"comment": text});
        self.alert_note(id, "commented", None, &detail, now, actor)
            .await
    }

    /// Assigns an alert to someone, or unassigns it with `None` (audited).
    pub async fn assign_alert(
        &self,
        id: &str,
        assignee: Option<&str>,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let detail = serde_json::json!({"assignee": assignee});
        self.alert_note(id, "assigned", Some(assignee), &detail, now, actor)
            .await
    }

    async fn alert_note(
        &self,
        id: &str,
        kind: &str,
        assignee: Option<Option<&str>>,
        detail: &serde_json::Value,
        now: i64,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let found = match assignee {
            Some(who) => {
                sqlx::query("UPDATE alerts SET assignee = $2, updated_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(who)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1
            }
            None => sqlx::query("SELECT 1 AS one FROM alerts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some(),
        };
        if !found {
            return Err(StoreError::NotFound);
        }
        alert_event(&mut tx, id, now, kind, &actor.name, detail).await?;
        let mut rec = AuditRecord::change(actor, now, &format!("alert.{kind}"), "alert", id);
        rec.after = Some(detail.clone());
        audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    Acknowledge,
    Resolve,
}

#[cfg(test)]
mod tests {
    use steward_core::alerting::{AlertRule, Reason};

    use super::{apply_firing, AlertIds, Firing};
    use crate::notify::AlertsChanged;
    use crate::Store;

    fn rule(id: &str) -> AlertRule {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": id, "severity": "critical", "condition": {"type": "active_threat"}
        }))
        .expect("rule")
    }

    /// Applies one firing change of rules `a` and `b` to every subject of `subjects`.
    async fn apply(
        store: &Store,
        at: i64,
        subjects: &[String],
        old: &str,
        firing: &[(String, Reason)],
    ) -> (Vec<String>, bool) {
        apply_with(store, &[rule("a"), rule("b")], at, subjects, old, firing).await
    }

    /// Applies one firing change to every subject of `subjects` in one transaction; returns
    /// what each should store and whether the notifier was marked.
    async fn apply_with(
        store: &Store,
        rules: &[AlertRule],
        at: i64,
        subjects: &[String],
        old: &str,
        firing: &[(String, Reason)],
    ) -> (Vec<String>, bool) {
        let list: Vec<Firing> = subjects
            .iter()
            .map(|s| Firing {
                subject: s,
                old,
                firing,
            })
            .collect();
        let changed = AlertsChanged::default();
        let mut tx = store.begin_write().await.expect("begin");
        let stored = apply_firing(&mut tx, &changed, rules, at, &list)
            .await
            .expect("apply");
        tx.commit().await.expect("commit");
        (stored, changed.marked())
    }

    async fn alert_of(store: &Store, subject: &str) -> String {
        sqlx::query_scalar("SELECT id FROM alerts WHERE subject = $1 ORDER BY fired_at LIMIT 1")
            .bind(subject)
            .fetch_one(&store.read)
            .await
            .expect("alert")
    }

    async fn count(store: &Store, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&store.read)
            .await
            .expect(sql)
    }

    #[tokio::test]
    async fn many_subjects_fire_resolve_and_reopen_together_as_each_would_alone() {
        let (_dir, store) = crate::temp_store().await;
        // More subjects than one statement takes, so every step crosses chunks.
        let all: Vec<String> = (0..600).map(|i| format!("d{i:03}")).collect();
        let why = Reason::new("threat", &[("name", "Eicar".to_string())]);
        let a = [("a".to_string(), why.clone())];
        let hour = 3_600_000;

        let (stored, marked) = apply(&store, hour, &all, "", &a).await;
        assert!(marked);
        assert!(stored.iter().all(|s| s == "a"), "{stored:?}");
        let open = "SELECT COUNT(*) FROM alerts WHERE rule_id = 'a' AND state = 'firing'";
        assert_eq!(count(&store, open).await, 600);
        // A new alert's firing is its row: no history entry written, one shown.
        assert_eq!(count(&store, "SELECT COUNT(*) FROM alert_events").await, 0);
        let reason: String = sqlx::query_scalar("SELECT reason FROM alerts WHERE subject = 'd599'")
            .fetch_one(&store.read)
            .await
            .expect("reason");
        assert!(reason.contains("Eicar"), "{reason}");
        let device: Option<String> =
            sqlx::query_scalar("SELECT device_id FROM alerts WHERE subject = 'd000'")
                .fetch_one(&store.read)
                .await
                .expect("device");
        assert_eq!(device.as_deref(), Some("d000"));
        // Every row carries the rule's values and the instant (escalation: none set).
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alerts WHERE rule_id = 'a' AND severity = 'critical' \
                 AND rule_name = 'a' AND state = 'firing' AND fired_at = 3600000 \
                 AND updated_at = 3600000 AND notify_at = 3600000 AND escalate_at IS NULL"
            )
            .await,
            600
        );
        let first = alert_of(&store, "d000").await;
        let (detail, _) = store.alert(&first).await.expect("alert");
        assert_eq!(detail.history.len(), 1, "{:?}", detail.history);
        let fired = &detail.history[0];
        assert_eq!(
            (fired.kind.as_str(), fired.actor.as_str(), fired.at.as_str()),
            (
                "fired",
                "steward",
                steward_core::time::to_rfc3339(hour).as_str()
            )
        );
        assert_eq!(fired.detail["reason"], serde_json::json!(why));

        // Told again that the rule starts firing (a stale stored value): still one alert each.
        let (_, _) = apply(&store, hour + 1, &all[..300], "", &a).await;
        assert_eq!(count(&store, "SELECT COUNT(*) FROM alerts").await, 600);

        // 400 stop: resolved by Steward, each with its history entry; the others stay open.
        let (stored, marked) = apply(&store, 2 * hour, &all[..400], "a", &[]).await;
        assert!(marked);
        assert!(stored.iter().all(String::is_empty));
        assert_eq!(count(&store, open).await, 200);
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alerts WHERE state = 'resolved' AND resolved_by = 'auto' \
                 AND resolved_at = 7200000"
            )
            .await,
            400
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alert_events WHERE kind = 'resolved'"
            )
            .await,
            400
        );

        // Within the reopen window (an hour) 300 of them fire again, and rule b starts on
        // the first ten: the same alerts reopen, b's are new.
        let both = [("a".to_string(), why.clone()), ("b".to_string(), why)];
        let (stored, _) = apply(&store, 2 * hour + 60_000, &all[..10], "", &both).await;
        assert!(stored.iter().all(|s| s == "a,b"), "{stored:?}");
        apply(&store, 2 * hour + 60_000, &all[10..300], "", &a).await;
        assert_eq!(count(&store, open).await, 500);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM alerts").await, 610);
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alerts WHERE reopened = 1 AND state = 'firing'"
            )
            .await,
            300
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alert_events WHERE kind = 'reopened'"
            )
            .await,
            300
        );
        // Reopening replaces the reason: the first firing, with its own, is recorded first.
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id \
                 WHERE e.kind = 'fired' AND e.actor = 'steward' AND e.at = 3600000 \
                 AND e.detail LIKE '%Eicar%' AND a.reopened = 1"
            )
            .await,
            300
        );
        let (detail, _) = store.alert(&first).await.expect("alert");
        let kinds: Vec<&str> = detail.history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["fired", "resolved", "reopened"]);
        assert_eq!(detail.history[0].at, steward_core::time::to_rfc3339(hour));

        // Past the window the last 100 resolved fire again as new alerts; the resolved ones
        // stay in the history.
        let later = 2 * hour + 2 * hour;
        apply(&store, later, &all[300..400], "", &a).await;
        assert_eq!(count(&store, open).await, 600);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM alerts").await, 710);
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alerts WHERE subject = 'd350' AND state = 'resolved'"
            )
            .await,
            1
        );

        // Nothing moved: nothing written, the notifier not woken.
        let (stored, marked) = apply(&store, later, &all, "a", &a).await;
        assert!(!marked);
        assert!(stored.iter().all(|s| s == "a"));
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM alert_events").await,
            400 + 300 + 300
        );
    }

    #[tokio::test]
    async fn the_fleet_s_alert_reopens_within_the_window_and_is_new_past_it() {
        let (_dir, store) = crate::temp_store().await;
        let fleet = ["fleet".to_string()];
        let a = [("a".to_string(), Reason::new("enrollment", &[]))];
        let hour = 3_600_000;
        // The rule fires on a device too: its alert is not the fleet's.
        apply(&store, hour, &["d1".to_string()], "", &a).await;
        apply(&store, hour, &fleet, "", &a).await;
        apply(&store, 2 * hour, &fleet, "a", &[]).await;
        apply(&store, 2 * hour + 60_000, &fleet, "", &a).await;
        let fleet_alerts = "SELECT COUNT(*) FROM alerts WHERE subject = 'fleet'";
        assert_eq!(count(&store, fleet_alerts).await, 1);
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alerts WHERE subject = 'fleet' AND device_id IS NULL \
                 AND reopened = 1 AND state = 'firing'"
            )
            .await,
            1
        );
        apply(&store, 3 * hour, &fleet, "a", &[]).await;
        apply(&store, 5 * hour, &fleet, "", &a).await;
        assert_eq!(count(&store, fleet_alerts).await, 2);
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alerts WHERE subject = 'fleet' AND state = 'firing' \
                 AND reopened = 0 AND fired_at = 18000000"
            )
            .await,
            1
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM alerts WHERE subject = 'd1'").await,
            1
        );
    }

    #[tokio::test]
    async fn an_insert_that_skips_open_alerts_leaves_their_history_as_it_was() {
        let (_dir, store) = crate::temp_store().await;
        // d1 and d3 each have an alert of rule a still open behind a later, resolved one
        // (long past the reopen window): the last alert says "resolved", so a new one is
        // tried and the open one makes the insert skip it.
        for (id, subject, state, fired, resolved) in [
            ("o1", "d1", "firing", 100, None),
            ("r1", "d1", "resolved", 200, Some(300)),
            ("o3", "d3", "firing", 100, None),
            ("r3", "d3", "resolved", 200, Some(300)),
        ] {
            sqlx::query(
                "INSERT INTO alerts (id, rule_id, subject, device_id, severity, state, \
                 rule_name, reason, fired_at, updated_at, resolved_at) \
                 VALUES ($1, 'a', $2, $2, 'critical', $3, 'a', '{}', $4, $4, $5)",
            )
            .bind(id)
            .bind(subject)
            .bind(state)
            .bind(fired)
            .bind(resolved)
            .execute(&store.read)
            .await
            .expect("seed");
        }
        let all: Vec<String> = (0..6).map(|i| format!("d{i}")).collect();
        let why = Reason::new("threat", &[("name", "Eicar".to_string())]);
        let day = 86_400_000;
        apply(&store, day, &all, "", &[("a".to_string(), why.clone())]).await;
        let firing = "SELECT COUNT(*) FROM alerts WHERE rule_id = 'a' AND state = 'firing'";
        assert_eq!(count(&store, firing).await, 6);
        // Four written, each showing its firing with the reason; the two still open keep
        // theirs (fired at 100, the seeded reason) and nothing was recorded for any.
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alerts WHERE state = 'firing' AND fired_at = 86400000"
            )
            .await,
            4
        );
        assert_eq!(count(&store, "SELECT COUNT(*) FROM alert_events").await, 0);
        for (id, at, reason) in [
            ("o1".to_string(), 100, serde_json::json!(Reason::default())),
            ("o3".to_string(), 100, serde_json::json!(Reason::default())),
            (alert_of(&store, "d0").await, day, serde_json::json!(why)),
        ] {
            let (detail, _) = store.alert(&id).await.expect("alert");
            assert_eq!(detail.history.len(), 1, "{id}: {:?}", detail.history);
            assert_eq!(detail.history[0].kind, "fired");
            assert_eq!(detail.history[0].at, steward_core::time::to_rfc3339(at));
            assert_eq!(detail.history[0].detail["reason"], reason, "{id}");
        }
    }

    #[test]
    fn one_instant_s_alert_ids_increase_and_carry_it() {
        let at = 1_700_000_000_123;
        let mut ids = AlertIds::new(at);
        let all: Vec<String> = (0..5_000).map(|_| ids.next_id()).collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        for id in [&all[0], &all[4_999]] {
            let u = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(u.get_version_num(), 7, "{id}");
            assert_eq!(u.get_variant(), uuid::Variant::RFC4122, "{id}");
            let (secs, nanos) = u.get_timestamp().expect("a time").to_unix();
            assert_eq!(
                secs * 1_000 + u64::from(nanos / 1_000_000),
                at as u64,
                "{id}"
            );
        }
        // Whatever their random start, an earlier instant's sort first, a later one's last.
        assert!(AlertIds::new(at - 1).next_id() < all[0]);
        assert!(AlertIds::new(at + 1).next_id() > all[4_999]);
    }

    #[tokio::test]
    async fn alerts_fired_in_a_window_are_found_by_their_ids_and_older_ids_too() {
        let (_dir, store) = crate::temp_store().await;
        let why = Reason::new("threat", &[]);
        let a = [("a".to_string(), why)];
        let day = 86_400_000;
        // Three firings a day apart, each on its own device.
        for (i, at) in [day, 2 * day, 3 * day].into_iter().enumerate() {
            apply(&store, at, &[format!("d{i}")], "", &a).await;
        }
        // An alert stored before ids carried the firing time: its id was made a minute later.
        sqlx::query(
            "INSERT INTO alerts (id, rule_id, subject, device_id, severity, state, rule_name, \
             reason, fired_at, updated_at) VALUES ($1, 'a', 'old', 'old', 'critical', \
             'firing', 'a', '{}', $2, $2)",
        )
        .bind(AlertIds::new(2 * day + 60_000).next_id())
        .bind(2 * day)
        .execute(&store.read)
        .await
        .expect("old alert");
        // Ids sort by firing time.
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM alerts ORDER BY fired_at, id")
            .fetch_all(&store.read)
            .await
            .expect("ids");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        for (since, until, want) in [
            (2 * day, 3 * day, vec![2 * day, 2 * day]),
            // The old alert's id lies past the window's end; its firing does not.
            (2 * day, 2 * day + 30_000, vec![2 * day, 2 * day]),
            (2 * day + 1, 3 * day + 1, vec![3 * day]),
            (0, 4 * day, vec![day, 2 * day, 2 * day, 3 * day]),
            (day + 1, 2 * day, vec![]),
        ] {
            let mut got: Vec<i64> = store
                .response_rows(since, until)
                .await
                .expect("rows")
                .iter()
                .map(|r| r.fired_at)
                .collect();
            got.sort_unstable();
            assert_eq!(got, want, "{since}..{until}");
        }
    }

    /// A store on a fresh file with a webhook channel taking warnings and critical alerts,
    /// and the warning rule `w` (a 30 s group wait) grouped by `group_by`.
    async fn notifying(dir: &std::path::Path, group_by: steward_core::notify::GroupBy) -> Store {
        let store = Store::open(&Store::sqlite_url(dir)).await.expect("open");
        let actor = crate::audit::Actor::cli();
        let channel: steward_core::notify::Channel = serde_json::from_value(serde_json::json!({
            "id": "hook", "name": "hook", "kind": "webhook", "target": "http://127.0.0.1:9/",
            "language": "en", "severities": ["warning", "critical"], "send_resolved": true,
            "enabled": true
        }))
        .expect("channel");
        store
            .put_channel(&channel, 0, &actor)
            .await
            .expect("channel");
        let mut warning = rule("w");
        warning.severity = steward_core::alerting::Severity::Warning;
        warning.notify.group_by = group_by;
        store
            .put_alert_rule(&warning, 0, &actor)
            .await
            .expect("rule");
        store
    }

    /// What fired at `t0` is not sent before it waited `wait` (the pass says when it is
    /// due), and is sent, in one notification, when it has.
    async fn sent_once_waited(store: &Store, t0: i64, wait: i64) {
        let pass = store
            .notify_pass(t0 + wait / 3, "http://x")
            .await
            .expect("pass");
        assert_eq!((pass.queued, pass.next_due), (0, Some(t0 + wait)));
        let pass = store
            .notify_pass(t0 + wait, "http://x")
            .await
            .expect("pass");
        assert_eq!(pass.queued, 1);
    }

    /// A rule grouped as a whole is sent once its first change has waited the group wait,
    /// then at most once per group interval: nothing goes out early, and what waited in
    /// between goes out when the interval ends.
    #[tokio::test]
    async fn a_whole_rule_is_sent_after_its_group_wait_then_once_per_interval_by_any_server() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = notifying(dir.path(), steward_core::notify::GroupBy::Rule).await;
        // A critical rule: no group wait.
        store
            .put_alert_rule(&rule("c"), 0, &crate::audit::Actor::cli())
            .await
            .expect("rule");
        let why = Reason::new("threat", &[("name", "Eicar".to_string())]);
        let warn = [("w".to_string(), why.clone())];
        let crit = [("c".to_string(), why)];
        let fire = |subjects: Vec<String>, at: i64, firing: &'static str| {
            let firing = if firing == "w" { &warn[..] } else { &crit[..] };
            let store = &store;
            async move {
                apply_with(store, &store.alert_rules(), at, &subjects, "", firing).await;
            }
        };
        let sent = "SELECT COUNT(*) FROM outbox WHERE rule_id = 'w'";
        let t0 = 600_000;
        let (wait, interval) = (30_000, 300_000);

        fire((0..3).map(|i| format!("d{i}")).collect(), t0, "w").await;
        sent_once_waited(&store, t0, wait).await;
        assert_eq!(count(&store, sent).await, 1);

        // A fourth device fires during the interval: it waits for the interval's end, while
        // the critical rule firing meanwhile is sent at once. The pass is another server's
        // on the same database: it knows the rule rests from the database alone.
        fire(vec!["d3".to_string()], t0 + 40_000, "w").await;
        fire(vec!["d9".to_string()], t0 + 50_000, "c").await;
        let other = Store::open(&Store::sqlite_url(dir.path()))
            .await
            .expect("open");
        let pass = other
            .notify_pass(t0 + 60_000, "http://x")
            .await
            .expect("pass");
        assert_eq!(pass.queued, 1);
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM outbox WHERE rule_id = 'c'").await,
            1
        );
        assert_eq!(pass.next_due, Some(t0 + wait + interval));
        assert_eq!(count(&store, sent).await, 1);
        let pass = store
            .notify_pass(t0 + wait + interval, "http://x")
            .await
            .expect("pass");
        assert_eq!(pass.queued, 1);
        let last: i64 = sqlx::query_scalar(
            "SELECT alert_count FROM outbox WHERE rule_id = 'w' ORDER BY created_at DESC LIMIT 1",
        )
        .fetch_one(&store.read)
        .await
        .expect("outbox");
        assert_eq!(last, 1, "only the device that fired meanwhile");
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM alerts WHERE notify_at IS NOT NULL"
            )
            .await,
            0,
            "nothing left waiting"
        );
    }

    /// Past the repeat interval each group is sent again with its alerts still firing: a
    /// whole rule's together, a device's on its own; an acknowledged alert is not repeated,
    /// and a device group with none left sends nothing.
    #[tokio::test]
    async fn a_repeat_sends_each_group_what_still_fires_unacknowledged() {
        use steward_core::notify::GroupBy;
        for (group_by, first_sends) in [(GroupBy::Rule, 1), (GroupBy::Device, 3)] {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = notifying(dir.path(), group_by).await;
            let why = Reason::new("threat", &[("name", "Eicar".to_string())]);
            let (t0, wait) = (600_000, 30_000);
            let devices: Vec<String> = (0..3).map(|i| format!("d{i}")).collect();
            let rules = store.alert_rules();
            apply_with(&store, &rules, t0, &devices, "", &[("w".to_string(), why)]).await;
            let pass = store
                .notify_pass(t0 + wait, "http://x")
                .await
                .expect("pass");
            assert_eq!(pass.queued, first_sends, "{group_by:?}");
            sqlx::query("UPDATE alerts SET state = 'acknowledged' WHERE subject = 'd1'")
                .execute(&store.read)
                .await
                .expect("acknowledge");
            let repeat_interval = i64::from(rules[0].notify.repeat_interval_secs) * 1000;
            store
                .notify_pass(t0 + wait + repeat_interval, "http://x")
                .await
                .expect("pass");
            let repeats: Vec<(String, i64)> = sqlx::query_as(
                "SELECT subject, alert_count FROM outbox WHERE kind = 'repeat' ORDER BY subject",
            )
            .fetch_all(&store.read)
            .await
            .expect("outbox");
            let counts: Vec<i64> = repeats.iter().map(|(_, n)| *n).collect();
            match group_by {
                GroupBy::Rule => assert_eq!(counts, [2], "d0 and d2 together"),
                GroupBy::Device => assert_eq!(counts, [1, 1], "d0 and d2, not d1"),
            }
        }
    }

    /// A rule grouped by device rests until its oldest pending change has waited the group
    /// wait, counted from that change (not from the rule's first alert): each device is sent
    /// once its own change waited, and none early.
    #[tokio::test]
    async fn a_device_grouped_rule_sends_each_device_once_its_own_change_waited() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = notifying(dir.path(), steward_core::notify::GroupBy::Device).await;
        let why = Reason::new("threat", &[("name", "Eicar".to_string())]);
        let firing = [("w".to_string(), why)];
        let sent = "SELECT COUNT(*) FROM outbox WHERE rule_id = 'w'";
        let (t0, wait) = (600_000, 30_000);
        let rules = store.alert_rules();
        apply_with(&store, &rules, t0, &["d0".to_string()], "", &firing).await;
        sent_once_waited(&store, t0, wait).await;
        // A second device fires later: it waits from its own change.
        apply_with(
            &store,
            &rules,
            t0 + 40_000,
            &["d1".to_string()],
            "",
            &firing,
        )
        .await;
        let pass = store
            .notify_pass(t0 + 50_000, "http://x")
            .await
            .expect("pass");
        assert_eq!((pass.queued, pass.next_due), (0, Some(t0 + 40_000 + wait)));
        assert_eq!(count(&store, sent).await, 1);
        let pass = store
            .notify_pass(t0 + 40_000 + wait, "http://x")
            .await
            .expect("pass");
        assert_eq!(pass.queued, 1);
        assert_eq!(count(&store, sent).await, 2, "one notification per device");
    }
}
