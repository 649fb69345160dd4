-- Alert rules, alerts (one open alert per rule and subject) and each alert's history; the
-- rules firing for each device at its last evaluation.
CREATE TABLE alert_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    condition TEXT NOT NULL,
    severity TEXT NOT NULL,
    device_groups TEXT NOT NULL DEFAULT '',
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    device_id TEXT,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    fired_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    resolved_at BIGINT,
    resolved_by TEXT
);
CREATE UNIQUE INDEX alerts_open ON alerts (rule_id, subject) WHERE state <> 'resolved';
CREATE INDEX alerts_by_state ON alerts (state, fired_at, id);
CREATE INDEX alerts_by_fired ON alerts (fired_at, id);
CREATE INDEX alerts_by_device ON alerts (device_id, fired_at);
CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id);
ALTER TABLE devices ADD COLUMN firing_rules TEXT NOT NULL DEFAULT '';
