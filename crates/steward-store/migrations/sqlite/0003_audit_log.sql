-- Who changed what, when, from where; failed authentications and permission denials too.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    -- "token:ID", "cli" or "anonymous"
    actor TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    role TEXT,
    -- e.g. enrollment_token.create, api_token.create, access.denied, auth.failed
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    before_value TEXT,
    after_value TEXT,
    remote_addr TEXT NOT NULL,
    -- ok, denied or failed
    outcome TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_object ON audit_log (object_type, object_id, id);

-- Append-only.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
