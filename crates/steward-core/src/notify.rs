//! Notifications about alerts: how a rule notifies (channels, grouping intervals, escalation),
//! notification channels, silences, what one grouped notification says and how it is put into
//! a webhook body, a Slack or Teams message or an e-mail in the recipient's language. Pure:
//! the store decides when, the server sends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::alerting::{Reason, Severity};
use crate::i18n::t_map;
use crate::time::to_rfc3339;
use crate::Lang;

const MINUTE_MS: i64 = 60_000;

/// How a rule's alerts are notified. Grouping follows Alertmanager: the first alert of a
/// quiet group waits `group_wait` for others to join it; later changes go out at most once
/// per `group_interval`; alerts still firing are sent again every `repeat_interval`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySettings {
    /// Channels notified in addition to those that take every alert of the rule's severity.
    pub channels: Vec<String>,
    /// Seconds the first alert of a quiet group waits; by default 0 for critical rules
    /// (a threat is news at once) and 30 for the others.
    #[schema(maximum = 3600)]
    pub group_wait_secs: Option<u32>,
    #[schema(minimum = 1, maximum = 86400)]
    pub group_interval_secs: u32,
    /// 0: never repeat.
    #[schema(maximum = 2592000)]
    pub repeat_interval_secs: u32,
    /// An alert that fires again within this many minutes of being resolved is reopened
    /// instead of opening a new one.
    #[schema(maximum = 43200)]
    pub reopen_window_minutes: u32,
    /// Who is told when an alert stays unacknowledged, step by step.
    pub escalation: Vec<EscalationStep>,
    /// What one notification groups: all the rule's alerts, or each device's on its own.
    pub group_by: GroupBy,
}

/// Alertmanager's `group_by`, for Steward's two useful groupings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One notification for many devices at once (the default: no storms).
    #[default]
    Rule,
    /// Every device its own group: each device's alert is notified on its own, at once
    /// when the group wait is 0 (an active threat is its own incident).
    Device,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            channels: Vec::new(),
            group_wait_secs: None,
            group_interval_secs: 300,
            repeat_interval_secs: 4 * 3600,
            reopen_window_minutes: 60,
            escalation: Vec::new(),
            group_by: GroupBy::Rule,
        }
    }
}

/// After `after_minutes` unacknowledged (counted from when the alert fired), `channels` are
/// notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    #[schema(minimum = 1, maximum = 43200)]
    pub after_minutes: u32,
    pub channels: Vec<String>,
}

impl NotifySettings {
    pub fn group_wait_ms(&self, severity: Severity) -> i64 {
        let secs = self.group_wait_secs.unwrap_or(match severity {
            Severity::Critical => 0,
            _ => 30,
        });
        i64::from(secs) * 1000
    }

    pub fn group_interval_ms(&self) -> i64 {
        i64::from(self.group_interval_secs) * 1000
    }

    /// When an alert that fired at `fired_at` is due at escalation step `level` (0-based).
    pub fn escalate_at(&self, fired_at: i64, level: usize) -> Option<i64> {
        self.escalation
            .get(level)
            .map(|s| fired_at + i64::from(s.after_minutes) * MINUTE_MS)
    }

    /// The notification group of an alert of the rule `rule_id` about `subject`.
    pub fn group_key(&self, rule_id: &str, subject: &str) -> String {
        match self.group_by {
            GroupBy::Rule => rule_id.to_string(),
            GroupBy::Device => format!("{rule_id}/{subject}"),
        }
    }

    pub fn reopen_window_ms(&self) -> i64 {
        i64::from(self.reopen_window_minutes) * MINUTE_MS
    }

    /// Refuses settings that cannot mean anything; names the offending field.
    pub fn validate(&self) -> Result<(), &'static str> {
        const DAY: u32 = 24 * 3600;
        if self.group_wait_secs.is_some_and(|s| s > 3600) {
            return Err("group_wait_secs");
        }
        if self.group_interval_secs == 0 || self.group_interval_secs > DAY {
            return Err("group_interval_secs");
        }
        // A repeat shorter than the group interval repeats at the group interval.
        if self.repeat_interval_secs > 30 * DAY {
            return Err("repeat_interval_secs");
        }
        if self.reopen_window_minutes > 30 * 24 * 60 {
            return Err("reopen_window_minutes");
        }
        // Steps are taken in the order of their delay (the rule's constructor sorts them).
        for s in &self.escalation {
            if s.after_minutes == 0 || s.after_minutes > 30 * 24 * 60 || s.channels.is_empty() {
                return Err("escalation");
            }
        }
        if self.escalation.len() > 10 || self.channels.len() > 50 {
            return Err("channels");
        }
        Ok(())
    }

    /// Every channel the settings name.
    pub fn channel_ids(&self) -> impl Iterator<Item = &str> {
        self.channels
            .iter()
            .chain(self.escalation.iter().flat_map(|s| s.channels.iter()))
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// JSON body signed with HMAC-SHA256.
    Webhook,
    /// A Slack (or Mattermost, Rocket.Chat) incoming webhook.
    Slack,
    /// A Microsoft Teams incoming webhook or workflow (Adaptive Card message).
    Teams,
    /// E-mail over the configured SMTP server; `target` lists the addresses.
    Email,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Teams => "teams",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        [
            ChannelKind::Webhook,
            ChannelKind::Slack,
            ChannelKind::Teams,
            ChannelKind::Email,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Where notifications go. A channel takes the alerts of the rules that name it, and every
/// alert whose severity is in `severities` (the on-call route for that severity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    /// The URL, or the e-mail addresses separated by commas.
    pub target: String,
    /// The webhook signing key; never shown.
    #[serde(skip_serializing, default)]
    pub secret: String,
    /// The recipients' language.
    pub language: Lang,
    pub severities: Vec<Severity>,
    pub send_resolved: bool,
    pub enabled: bool,
}

impl Channel {
    /// The e-mail addresses of an e-mail channel.
    pub fn addresses(&self) -> Vec<&str> {
        self.target
            .split(',')
            .map(|a| a.trim_matches(steward_proto::text::is_space))
            .filter(|a| !a.is_empty())
            .collect()
    }

    /// Refuses a target that cannot be delivered to; names the offending field.
    pub fn validate(&self) -> Result<(), &'static str> {
        if steward_proto::text::is_blank(&self.name) || self.name.chars().count() > 200 {
            return Err("name");
        }
        match self.kind {
            ChannelKind::Email => {
                let list = self.addresses();
                let plausible = |a: &&str| {
                    a.split_once('@').is_some_and(|(l, d)| {
                        !l.is_empty() && !d.is_empty() && !a.contains(steward_proto::text::is_space)
                    })
                };
                if list.is_empty() || list.len() > 100 || !list.iter().all(plausible) {
                    return Err("target");
                }
            }
            _ => {
                let ok = (self.target.starts_with("http://")
                    || self.target.starts_with("https://"))
                    && self.target.chars().count() > 8
                    && self.target.chars().count() <= 2000
                    && !self.target.contains(steward_proto::text::is_space);
                if !ok {
                    return Err("target");
                }
            }
        }
        if self.secret.chars().count() > 500 {
            return Err("secret");
        }
        Ok(())
    }
}

/// A silence (maintenance window): alerts it matches are recorded as usual, but their
/// notifications and escalations are held until it ends. Every matcher given must match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Silence {
    pub id: String,
    pub rule_id: Option<String>,
    pub device_group: Option<String>,
    pub device_id: Option<String>,
    /// Alert labels: `severity`, `platform`, `condition` (the rule's condition type).
    pub labels: BTreeMap<String, String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub author: String,
    pub reason: String,
    pub created_at: i64,
}

/// The labels label matchers look at.
pub const SILENCE_LABELS: [&str; 3] = ["severity", "platform", "condition"];

/// What a silence is matched against.
#[derive(Debug, Clone, Copy)]
pub struct AlertLabels<'a> {
    pub rule_id: &'a str,
    pub device_id: Option<&'a str>,
    pub device_group: Option<&'a str>,
    pub severity: &'a str,
    pub platform: Option<&'a str>,
    pub condition: &'a str,
}

impl Silence {
    pub fn active(&self, now: i64) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    pub fn matches(&self, a: &AlertLabels) -> bool {
        let eq = |m: &Option<String>, v: Option<&str>| m.as_deref().is_none_or(|m| Some(m) == v);
        eq(&self.rule_id, Some(a.rule_id))
            && eq(&self.device_group, a.device_group)
            && eq(&self.device_id, a.device_id)
            && self.labels.iter().all(|(k, v)| {
                let have = match k.as_str() {
                    "severity" => Some(a.severity),
                    "platform" => a.platform,
                    "condition" => Some(a.condition),
                    _ => None,
                };
                have == Some(v.as_str())
            })
    }

    /// Refuses silences that match everything or nothing, or end before they start.
    pub fn validate(&self) -> Result<(), &'static str> {
        let any = self.rule_id.is_some()
            || self.device_group.is_some()
            || self.device_id.is_some()
            || !self.labels.is_empty();
        if !any {
            return Err("matchers");
        }
        if self
            .labels
            .keys()
            .any(|k| !SILENCE_LABELS.contains(&k.as_str()))
        {
            return Err("labels");
        }
        if steward_proto::text::is_blank(&self.reason) || self.reason.chars().count() > 4000 {
            return Err("reason");
        }
        Ok(())
    }
}

/// The first active silence among `silences` that matches.
pub fn silenced_by<'s>(silences: &'s [Silence], a: &AlertLabels, now: i64) -> Option<&'s Silence> {
    silences.iter().find(|s| s.active(now) && s.matches(a))
}

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Alerts of the rule started firing or were resolved.
    Change,
    /// Alerts still firing, sent again after the repeat interval.
    Repeat,
    /// Alerts unacknowledged past an escalation step.
    Escalation,
    /// "Send test notification".
    Test,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Change => "change",
            NotificationKind::Repeat => "repeat",
            NotificationKind::Escalation => "escalation",
            NotificationKind::Test => "test",
        }
    }
}

/// One alert as a notification lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NotifiedAlert {
    pub id: String,
    /// firing, acknowledged or resolved.
    pub state: String,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub device_group: Option<String>,
    pub reason: Reason,
    pub fired_at: i64,
    pub resolved_at: Option<i64>,
}

/// One grouped notification: the changes of one rule's alerts since the last one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notification {
    pub kind: NotificationKind,
    pub rule_id: String,
    pub rule_name: String,
    pub severity: Severity,
    /// Open alerts of the rule right now (firing or acknowledged).
    pub open: u64,
    /// The alerts this notification is about: new, still firing, or resolved.
    pub alerts: Vec<NotifiedAlert>,
    /// Minutes unacknowledged, for escalations.
    pub escalation_minutes: Option<u32>,
    pub decided_at: i64,
}

/// A notification rendered for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// E-mail subject; the one-line summary for the others.
    pub subject: String,
    pub body: String,
}

/// Alerts listed by name in chat messages and e-mails; a webhook lists up to `WEBHOOK_LIST`.
pub const TEXT_LIST: usize = 20;
pub const WEBHOOK_LIST: usize = 1000;

fn severity_word(lang: Lang, s: Severity) -> String {
    crate::t(
        lang,
        match s {
            Severity::Critical => "severity-critical",
            Severity::Warning => "severity-warning",
            Severity::Informational => "severity-informational",
        },
    )
}

fn args(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

impl Notification {
    fn firing(&self) -> impl Iterator<Item = &NotifiedAlert> {
        self.alerts.iter().filter(|a| a.state != "resolved")
    }

    fn resolved(&self) -> impl Iterator<Item = &NotifiedAlert> {
        self.alerts.iter().filter(|a| a.state == "resolved")
    }

    /// firing when anything in it fires, else resolved.
    pub fn status(&self) -> &'static str {
        if self.firing().next().is_some() {
            "firing"
        } else {
            "resolved"
        }
    }

    /// The one-line summary in `lang`.
    pub fn title(&self, lang: Lang) -> String {
        let base = [
            ("severity", severity_word(lang, self.severity)),
            ("rule", self.rule_name.clone()),
            ("open", self.open.to_string()),
        ];
        let (key, extra) = match self.kind {
            NotificationKind::Escalation => (
                "notify-title-escalation",
                vec![
                    ("count", self.alerts.len().to_string()),
                    ("minutes", self.escalation_minutes.unwrap_or(0).to_string()),
                ],
            ),
            NotificationKind::Repeat => ("notify-title-repeat", vec![]),
            NotificationKind::Test => return crate::t(lang, "notify-test-title"),
            NotificationKind::Change if self.status() == "resolved" && self.open == 0 => {
                ("notify-title-resolved", vec![])
            }
            NotificationKind::Change => ("notify-title-firing", vec![]),
        };
        let mut a = args(&base);
        a.extend(args(&extra));
        t_map(lang, key, &a)
    }

    fn line(a: &NotifiedAlert, lang: Lang) -> String {
        let who = a
            .device_name
            .clone()
            .or_else(|| a.device_id.clone())
            .unwrap_or_else(|| crate::t(lang, "notify-fleet"));
        let group = a
            .device_group
            .as_deref()
            .map(|g| format!(" ({g})"))
            .unwrap_or_default();
        let why = a.reason.text(lang);
        if why.is_empty() {
            format!("{who}{group}")
        } else {
            format!("{who}{group}: {why}")
        }
    }

    /// The sections of a text rendering: heading and lines (at most [`TEXT_LIST`] each).
    fn sections(&self, lang: Lang) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        let firing: Vec<&NotifiedAlert> = self.firing().collect();
        let resolved: Vec<&NotifiedAlert> = self.resolved().collect();
        let firing_key = match self.kind {
            NotificationKind::Change => "notify-new",
            _ => "notify-still",
        };
        for (key, list) in [(firing_key, firing), ("notify-resolved", resolved)] {
            if list.is_empty() {
                continue;
            }
            let heading = t_map(lang, key, &args(&[("count", list.len().to_string())]));
            let mut lines: Vec<String> = list
                .iter()
                .take(TEXT_LIST)
                .map(|a| Self::line(a, lang))
                .collect();
            if list.len() > TEXT_LIST {
                lines.push(t_map(
                    lang,
                    "notify-more",
                    &args(&[("count", (list.len() - TEXT_LIST).to_string())]),
                ));
            }
            out.push((heading, lines));
        }
        out
    }

    /// The plain-text body (e-mail), ending with the console link and the notification id.
    pub fn text(&self, lang: Lang, link: &str, id: &str) -> String {
        let mut s = String::new();
        s.push_str(&self.title(lang));
        s.push_str("\n\n");
        for (heading, lines) in self.sections(lang) {
            s.push_str(&heading);
            s.push('\n');
            for l in lines {
                s.push_str("  - ");
                s.push_str(&l);
                s.push('\n');
            }
            s.push('\n');
        }
        s.push_str(&t_map(lang, "notify-open", &args(&[("url", link.into())])));
        s.push_str("\n\n-- \n");
        s.push_str(&t_map(lang, "notify-footer", &args(&[("id", id.into())])));
        s.push('\n');
        s
    }

    /// The JSON body of a webhook notification; `id` is also its idempotency key.
    pub fn webhook_json(&self, lang: Lang, link: &str, id: &str) -> serde_json::Value {
        let listed: Vec<serde_json::Value> = self
            .alerts
            .iter()
            .take(WEBHOOK_LIST)
            .map(|a| {
                json!({
                    "id": a.id,
                    "state": a.state,
                    "device_id": a.device_id,
                    "device_name": a.device_name,
                    "device_group": a.device_group,
                    "summary": a.reason.text(lang),
                    "fired_at": to_rfc3339(a.fired_at),
                    "resolved_at": a.resolved_at.map(to_rfc3339),
                })
            })
            .collect();
        json!({
            "id": id,
            "version": 1,
            "kind": self.kind.as_str(),
            "status": self.status(),
            "title": self.title(lang),
            "rule": {"id": self.rule_id, "name": self.rule_name, "severity": self.severity.as_str()},
            "counts": {
                "open": self.open,
                "firing": self.firing().count(),
                "resolved": self.resolved().count(),
            },
            "alerts": listed,
            "omitted": self.alerts.len().saturating_sub(WEBHOOK_LIST),
            "escalation_minutes": self.escalation_minutes,
            "link": link,
            "decided_at": to_rfc3339(self.decided_at),
        })
    }

    /// The notification as `channel` receives it.
    pub fn render(&self, channel: &Channel, link: &str, id: &str) -> Rendered {
        let lang = channel.language;
        let subject = self.title(lang);
        let body = match channel.kind {
            ChannelKind::Webhook => self.webhook_json(lang, link, id).to_string(),
            ChannelKind::Email => self.text(lang, link, id),
            ChannelKind::Slack => {
                let mut text = format!("*{subject}*\n");
                for (heading, lines) in self.sections(lang) {
                    text.push_str(&format!("{heading}\n"));
                    for l in lines {
                        text.push_str(&format!("• {l}\n"));
                    }
                }
                text.push_str(&format!("<{link}|{}>", crate::t(lang, "notify-open-short")));
                json!({ "text": text }).to_string()
            }
            ChannelKind::Teams => {
                let mut blocks = vec![json!({
                    "type": "TextBlock", "size": "Medium", "weight": "Bolder",
                    "text": subject, "wrap": true,
                })];
                for (heading, lines) in self.sections(lang) {
                    blocks.push(json!({"type": "TextBlock", "weight": "Bolder", "text": heading, "wrap": true}));
                    let list: String = lines.iter().map(|l| format!("- {l}\n")).collect();
                    blocks.push(json!({"type": "TextBlock", "text": list, "wrap": true}));
                }
                let open = json!([{
                    "type": "Action.OpenUrl",
                    "title": crate::t(lang, "notify-open-short"),
                    "url": link,
                }]);
                teams_message(&subject, blocks, open)
            }
        };
        Rendered { subject, body }
    }
}

/// A Teams message carrying one Adaptive Card (what incoming webhooks and workflows take).
fn teams_message(
    summary: &str,
    body: Vec<serde_json::Value>,
    actions: serde_json::Value,
) -> String {
    json!({
        "type": "message",
        "summary": summary,
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": actions,
            },
        }],
    })
    .to_string()
}

/// The "send test notification" message for `channel`.
pub fn render_test(channel: &Channel, id: &str, at: i64) -> Rendered {
    let lang = channel.language;
    let subject = crate::t(lang, "notify-test-title");
    let text = t_map(
        lang,
        "notify-test-body",
        &args(&[("channel", channel.name.clone()), ("at", to_rfc3339(at))]),
    );
    let body = match channel.kind {
        ChannelKind::Webhook => json!({
            "id": id, "version": 1, "kind": "test", "title": subject, "text": text,
            "decided_at": to_rfc3339(at),
        })
        .to_string(),
        ChannelKind::Slack => json!({ "text": format!("*{subject}*\n{text}") }).to_string(),
        ChannelKind::Teams => teams_message(
            &subject,
            vec![
                json!({"type": "TextBlock", "weight": "Bolder", "text": subject, "wrap": true}),
                json!({"type": "TextBlock", "text": text, "wrap": true}),
            ],
            json!([]),
        ),
        ChannelKind::Email => format!(
            "{text}\n\n-- \n{}\n",
            t_map(lang, "notify-footer", &args(&[("id", id.into())]))
        ),
    };
    Rendered { subject, body }
}

/// Milliseconds before delivery attempt `attempts + 1` after `attempts` failures: 1 s,
/// doubling, at most `max_ms`.
pub fn backoff_ms(attempts: u32, max_ms: i64) -> i64 {
    let base: i64 = 1000;
    base.saturating_mul(1i64 << attempts.min(30)).min(max_ms)
}

/// One row of the time-to-acknowledge / time-to-resolve report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResponseStats {
    pub alerts: u64,
    pub acknowledged: u64,
    pub resolved: u64,
    /// Seconds from firing to acknowledgement (acknowledged alerts only).
    pub ack_mean_secs: Option<f64>,
    pub ack_p50_secs: Option<f64>,
    pub ack_p90_secs: Option<f64>,
    /// Seconds from firing to resolution (resolved alerts only).
    pub resolve_mean_secs: Option<f64>,
    pub resolve_p50_secs: Option<f64>,
    pub resolve_p90_secs: Option<f64>,
}

/// Response times of alerts given as (fired, acknowledged, resolved) in milliseconds.
pub fn response_stats(alerts: &[(i64, Option<i64>, Option<i64>)]) -> ResponseStats {
    fn stats(mut v: Vec<f64>) -> (Option<f64>, Option<f64>, Option<f64>) {
        if v.is_empty() {
            return (None, None, None);
        }
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let pick = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
        (Some(mean), Some(pick(0.5)), Some(pick(0.9)))
    }
    let secs = |from: i64, to: i64| (to - from).max(0) as f64 / 1000.0;
    let acks: Vec<f64> = alerts
        .iter()
        .filter_map(|(f, a, _)| a.map(|a| secs(*f, a)))
        .collect();
    let res: Vec<f64> = alerts
        .iter()
        .filter_map(|(f, _, r)| r.map(|r| secs(*f, r)))
        .collect();
    let (acknowledged, resolved) = (acks.len() as u64, res.len() as u64);
    let (ack_mean_secs, ack_p50_secs, ack_p90_secs) = stats(acks);
    let (resolve_mean_secs, resolve_p50_secs, resolve_p90_secs) = stats(res);
    ResponseStats {
        alerts: alerts.len() as u64,
        acknowledged,
        resolved,
        ack_mean_secs,
        ack_p50_secs,
        ack_p90_secs,
        resolve_mean_secs,
        resolve_p50_secs,
        resolve_p90_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(i: usize, state: &str) -> NotifiedAlert {
        NotifiedAlert {
            id: format!("a{i}"),
            state: state.into(),
            device_id: Some(format!("d{i}")),
            device_name: Some(format!("pc-{i}")),
            device_group: Some("lab".into()),
            reason: Reason::new("alert-reason-realtime-off", &[]),
            fired_at: 1_800_000_000_000,
            resolved_at: None,
        }
    }

    fn notification(firing: usize, resolved: usize) -> Notification {
        let mut alerts: Vec<_> = (0..firing).map(|i| alert(i, "firing")).collect();
        alerts.extend((firing..firing + resolved).map(|i| alert(i, "resolved")));
        Notification {
            kind: NotificationKind::Change,
            rule_id: "r1".into(),
            rule_name: "Real-time off".into(),
            severity: Severity::Warning,
            open: firing as u64,
            alerts,
            escalation_minutes: None,
            decided_at: 1_800_000_000_000,
        }
    }

    fn channel(kind: ChannelKind, lang: Lang) -> Channel {
        Channel {
            id: "c".into(),
            name: "ops".into(),
            kind,
            target: "https://hooks.example/x".into(),
            secret: String::new(),
            language: lang,
            severities: vec![],
            send_resolved: true,
            enabled: true,
        }
    }

    #[test]
    fn a_grouped_notification_counts_all_and_lists_a_few_in_text() {
        let n = notification(500, 0);
        let text = n.text(Lang::En, "http://x/alerts", "n1");
        assert!(
            text.starts_with("[Warning] Real-time off: 500 open"),
            "{text}"
        );
        assert!(text.contains("Newly firing (500)"), "{text}");
        assert_eq!(text.matches("  - pc-").count(), TEXT_LIST);
        assert!(text.contains("… and 480 more"), "{text}");
        let hook = n.webhook_json(Lang::En, "http://x", "n1");
        assert_eq!(hook["counts"]["firing"], 500);
        assert_eq!(hook["alerts"].as_array().map(Vec::len), Some(500));
        assert_eq!(hook["status"], "firing");
        assert_eq!(hook["id"], "n1");
    }

    #[test]
    fn every_channel_kind_renders_in_the_recipients_language() {
        let n = notification(2, 1);
        for lang in Lang::ALL {
            for kind in [ChannelKind::Webhook, ChannelKind::Slack, ChannelKind::Teams] {
                let r = n.render(&channel(kind, lang), "http://x", "id");
                let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
                assert!(!v.is_null());
                assert!(
                    r.body.contains(&severity_word(lang, Severity::Warning))
                        || kind == ChannelKind::Webhook
                );
            }
            let mail = n.render(&channel(ChannelKind::Email, lang), "http://x", "id");
            assert!(mail
                .subject
                .contains(&severity_word(lang, Severity::Warning)));
            assert!(!mail.body.contains("notify-"), "{lang:?}: {}", mail.body);
        }
        let fr = n.render(&channel(ChannelKind::Email, Lang::Fr), "http://x", "id");
        let en = n.render(&channel(ChannelKind::Email, Lang::En), "http://x", "id");
        assert_ne!(fr.subject, en.subject);
    }

    #[test]
    fn resolved_only_notifications_say_so() {
        let mut n = notification(0, 3);
        assert_eq!(n.status(), "resolved");
        assert!(
            n.title(Lang::En).contains("resolved"),
            "{}",
            n.title(Lang::En)
        );
        n.open = 2;
        assert!(!n.title(Lang::En).contains("resolved"));
    }

    #[test]
    fn silences_match_on_every_given_matcher_while_active() {
        let s = Silence {
            id: "s".into(),
            rule_id: Some("r1".into()),
            device_group: Some("lab".into()),
            device_id: None,
            labels: [("platform".to_string(), "windows".to_string())].into(),
            starts_at: 100,
            ends_at: 200,
            author: "ann".into(),
            reason: "patching".into(),
            created_at: 0,
        };
        let mut a = AlertLabels {
            rule_id: "r1",
            device_id: Some("d1"),
            device_group: Some("lab"),
            severity: "warning",
            platform: Some("windows"),
            condition: "realtime_protection_off",
        };
        assert!(s.matches(&a));
        let list = [s.clone()];
        assert!(silenced_by(&list, &a, 150).is_some());
        assert!(silenced_by(&list, &a, 99).is_none());
        assert!(silenced_by(&list, &a, 200).is_none());
        a.platform = Some("linux");
        assert!(!s.matches(&a));
        a.platform = Some("windows");
        a.device_group = None;
        assert!(!s.matches(&a));
        assert_eq!(s.validate(), Ok(()));
        let empty = Silence {
            rule_id: None,
            device_group: None,
            labels: BTreeMap::new(),
            ..s.clone()
        };
        assert_eq!(empty.validate(), Err("matchers"));
        // The period is the server's to check against the clock (`invalid_period`).
        let unknown = Silence {
            labels: [("colour".to_string(), "red".to_string())].into(),
            ..s
        };
        assert_eq!(unknown.validate(), Err("labels"));
    }

    #[test]
    fn settings_defaults_and_validation() {
        let s = NotifySettings::default();
        assert_eq!(s.group_wait_ms(Severity::Critical), 0);
        assert_eq!(s.group_wait_ms(Severity::Warning), 30_000);
        assert_eq!(s.validate(), Ok(()));
        let esc = NotifySettings {
            escalation: vec![
                EscalationStep {
                    after_minutes: 15,
                    channels: vec!["a".into()],
                },
                EscalationStep {
                    after_minutes: 60,
                    channels: vec!["b".into()],
                },
            ],
            ..s.clone()
        };
        assert_eq!(esc.validate(), Ok(()));
        assert_eq!(esc.escalate_at(0, 0), Some(15 * 60_000));
        assert_eq!(esc.escalate_at(0, 1), Some(60 * 60_000));
        assert_eq!(esc.escalate_at(0, 2), None);
        assert_eq!(esc.channel_ids().collect::<Vec<_>>(), ["a", "b"]);
        let mut no_channels = esc.clone();
        no_channels.escalation[0].channels.clear();
        assert_eq!(no_channels.validate(), Err("escalation"));
        let too_often = NotifySettings {
            repeat_interval_secs: 31 * 24 * 3600,
            ..s
        };
        assert_eq!(too_often.validate(), Err("repeat_interval_secs"));
    }

    #[test]
    fn channel_targets_are_checked() {
        let mut c = channel(ChannelKind::Webhook, Lang::En);
        assert_eq!(c.validate(), Ok(()));
        c.target = "ftp://x".into();
        assert_eq!(c.validate(), Err("target"));
        c.kind = ChannelKind::Email;
        c.target = "ops@example.org, lead@example.org".into();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.addresses(), ["ops@example.org", "lead@example.org"]);
        c.target = "not an address".into();
        assert_eq!(c.validate(), Err("target"));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff_ms(0, 300_000), 1000);
        assert_eq!(backoff_ms(3, 300_000), 8000);
        assert_eq!(backoff_ms(40, 300_000), 300_000);
    }

    #[test]
    fn response_stats_use_only_alerts_that_got_there() {
        let s = response_stats(&[
            (0, Some(60_000), Some(120_000)),
            (0, Some(120_000), None),
            (0, None, None),
            (0, Some(600_000), Some(600_000)),
        ]);
        assert_eq!((s.alerts, s.acknowledged, s.resolved), (4, 3, 2));
        assert_eq!(s.ack_p50_secs, Some(120.0));
        assert_eq!(s.ack_p90_secs, Some(600.0));
        assert_eq!(s.ack_mean_secs, Some(260.0));
        assert_eq!(s.resolve_p50_secs, Some(120.0));
        assert_eq!(response_stats(&[]).ack_mean_secs, None);
    }
}
