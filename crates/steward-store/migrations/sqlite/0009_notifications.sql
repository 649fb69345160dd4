-- Notification channels, silences, how each rule notifies, each alert's notification and
-- escalation state, the state of each notification group, and the delivery outbox.
CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL,
    severities TEXT NOT NULL DEFAULT '',
    send_resolved BIGINT NOT NULL DEFAULT 1,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE silences (
    id TEXT PRIMARY KEY,
    rule_id TEXT,
    device_group TEXT,
    device_id TEXT,
    labels TEXT NOT NULL DEFAULT '{}',
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX silences_by_end ON silences (ends_at);
ALTER TABLE alert_rules ADD COLUMN notify TEXT NOT NULL DEFAULT '{}';
-- notify_at: when the alert's last change is due to be notified (NULL: nothing to tell);
-- notified: the state last told ('' if none).
ALTER TABLE alerts ADD COLUMN notify_at BIGINT;
ALTER TABLE alerts ADD COLUMN notified TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN escalate_at BIGINT;
ALTER TABLE alerts ADD COLUMN escalation_level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN assignee TEXT;
ALTER TABLE alerts ADD COLUMN reopened BIGINT NOT NULL DEFAULT 0;
CREATE INDEX alerts_to_notify ON alerts (notify_at) WHERE notify_at IS NOT NULL;
CREATE INDEX alerts_to_escalate ON alerts (escalate_at) WHERE escalate_at IS NOT NULL;
CREATE INDEX alerts_by_subject ON alerts (rule_id, subject, fired_at);
-- A group is a rule, or a rule and one device (group_by = device).
CREATE TABLE notification_groups (
    group_key TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    subject TEXT,
    last_sent_at BIGINT NOT NULL,
    repeat_at BIGINT
);
CREATE INDEX notification_groups_repeat ON notification_groups (repeat_at) WHERE repeat_at IS NOT NULL;
-- One row per notification and channel; the id is the idempotency key receivers see.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    alert_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_error TEXT,
    last_attempt_at BIGINT,
    delivered_at BIGINT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX outbox_by_channel ON outbox (channel_id, id);
