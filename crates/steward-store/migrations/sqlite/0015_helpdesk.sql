-- The help desk: troubleshooting articles with every revision, whether an article solved a
-- case, the apps' install results devices report, and requests to devices (check in now, full
-- scan, definition update) with their answers.
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    content TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE article_revisions (
    article_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    content TEXT NOT NULL,
    author TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (article_id, revision)
);
CREATE TABLE article_feedback (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    solved BIGINT NOT NULL,
    code TEXT,
    user_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX article_feedback_by_article ON article_feedback (article_id);
CREATE TABLE app_installs (
    device_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    state TEXT NOT NULL,
    error_code TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (device_id, app_id)
);
CREATE INDEX app_installs_by_time ON app_installs (at, state);
CREATE TABLE device_requests (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    sent_at BIGINT,
    answered_at BIGINT,
    ok BIGINT,
    code TEXT,
    message TEXT
);
CREATE INDEX device_requests_by_device ON device_requests (device_id, requested_at);
CREATE INDEX device_requests_unsent ON device_requests (device_id) WHERE sent_at IS NULL;
CREATE INDEX enrollment_attempts_by_owner ON enrollment_attempts (owner, id);
CREATE INDEX announcement_targets_by_owner ON announcement_targets (owner);
