CREATE TABLE enrollment_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    max_uses BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    device_group TEXT,
    platforms TEXT NOT NULL DEFAULT '',
    revoked_at BIGINT
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    serial TEXT NOT NULL,
    hardware_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    model TEXT NOT NULL,
    platform TEXT NOT NULL,
    os_name TEXT NOT NULL,
    os_version TEXT NOT NULL,
    device_group TEXT,
    enrollment_token_id TEXT,
    enrolled_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0,
    state_hash TEXT NOT NULL DEFAULT '',
    inventory_hash TEXT NOT NULL DEFAULT '',
    os_facts TEXT,
    inventory TEXT,
    protection TEXT,
    compliance TEXT,
    retired_at BIGINT
);
CREATE INDEX devices_by_name ON devices (name, id);
CREATE INDEX devices_by_last_seen ON devices (last_seen_at, id);
CREATE INDEX devices_by_enrolled ON devices (enrolled_at, id);
CREATE INDEX devices_by_platform ON devices (platform, name, id);
CREATE INDEX devices_by_os ON devices (os_version, name, id);
CREATE INDEX devices_by_owner ON devices (owner);
CREATE UNIQUE INDEX devices_active_hardware ON devices (hardware_id) WHERE retired_at IS NULL;

CREATE TABLE device_events (
    id BIGSERIAL PRIMARY KEY,
    device_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX device_events_by_device ON device_events (device_id, id);

CREATE TABLE enrollment_attempts (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    result TEXT NOT NULL,
    token_id TEXT,
    platform TEXT,
    os_version TEXT NOT NULL,
    hostname TEXT NOT NULL,
    serial TEXT NOT NULL,
    owner TEXT NOT NULL,
    device_id TEXT,
    remote_addr TEXT NOT NULL
);
CREATE INDEX enrollment_attempts_by_time ON enrollment_attempts (at, id);
CREATE INDEX enrollment_attempts_by_result ON enrollment_attempts (result, at);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    language TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    role TEXT NOT NULL,
    user_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
