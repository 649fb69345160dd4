-- Users hold one or more roles and may be scoped to device groups; logins can lock an account.
ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT '';
UPDATE users SET roles = role;
ALTER TABLE users DROP COLUMN role;
ALTER TABLE users ADD COLUMN device_groups TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;

-- Console sessions; the cookie holds a random value, the table only its hash.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at BIGINT,
    remote_addr TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
