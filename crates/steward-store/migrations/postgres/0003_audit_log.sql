-- Who changed what, when, from where; failed authentications and permission denials too.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
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
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
