-- Update awareness: the message center's notices (by hand, through the API or from feeds),
-- each person's state of each notice, the feeds, the operational plan, and e-mails to people
-- (not channels) in the delivery outbox.
CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_id TEXT,
    content TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    help_desk BIGINT NOT NULL DEFAULT 0,
    act_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revised BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX notices_by_source ON notices (source, source_id);
CREATE INDEX notices_by_time ON notices (created_at, id);
CREATE TABLE notice_states (
    notice_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    read_at BIGINT,
    acknowledged_at BIGINT,
    archived BIGINT NOT NULL DEFAULT 0,
    favourite BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (notice_id, user_id)
);
CREATE TABLE feeds (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    defaults TEXT NOT NULL,
    interval_minutes BIGINT NOT NULL,
    last_fetched_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE documents (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
ALTER TABLE outbox ADD COLUMN address TEXT;
ALTER TABLE outbox ADD COLUMN language TEXT;
ALTER TABLE channels ADD COLUMN last_test_at BIGINT;
ALTER TABLE channels ADD COLUMN last_test_ok BIGINT;
ALTER TABLE users ADD COLUMN major_update_mail BIGINT NOT NULL DEFAULT 1;
