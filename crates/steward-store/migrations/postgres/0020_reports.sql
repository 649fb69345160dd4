-- Reports: one row per day, section, device group, subject and metric, computed once a day
-- from the hourly snapshots and the event tables and kept for `[reports] keep_days`. A new
-- figure is a new metric (or section) name, not a new column.
CREATE TABLE report_rollups (
    section TEXT NOT NULL,
    day BIGINT NOT NULL,
    device_group TEXT NOT NULL,
    subject TEXT NOT NULL,
    metric TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (section, day, device_group, subject, metric)
);
CREATE INDEX report_rollups_by_day ON report_rollups (day);
-- The days rolled up, and when.
CREATE TABLE report_days (
    day BIGINT PRIMARY KEY,
    rolled_at BIGINT NOT NULL
);
-- Scheduled reports: what they hold, for whom, and when they are next due.
CREATE TABLE report_schedules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    next_run_at BIGINT NOT NULL
);
-- One row per report sent (a period of a schedule, or a "send now"): the key makes a
-- period's report happen once whichever server gets there first.
CREATE TABLE report_runs (
    id TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL,
    period_from BIGINT NOT NULL,
    period_to BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    manual BIGINT NOT NULL,
    recipients BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX report_runs_by_schedule ON report_runs (schedule_id, created_at);
-- Files sent with an e-mail of the outbox (a report's PDF and CSV).
CREATE TABLE outbox_attachments (
    outbox_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (outbox_id, name)
);
