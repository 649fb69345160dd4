-- Remediation: scripts (each version immutable, named by its SHA-256), detect-and-fix
-- remediations assigned to groups with one state row per device, approvals of risky work,
-- and diagnostics bundles the devices upload.
CREATE TABLE scripts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    shell TEXT NOT NULL,
    timeout_secs BIGINT NOT NULL,
    version BIGINT NOT NULL,
    helpdesk_version BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scripts_by_name ON scripts (name);
CREATE TABLE script_versions (
    script_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (script_id, version)
);
CREATE INDEX script_versions_by_hash ON script_versions (sha256);
CREATE TABLE remediations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    generation BIGINT NOT NULL,
    approved_generation BIGINT NOT NULL,
    approval_id TEXT,
    -- Devices enrolled from this time on are looked at for new targets (-1: all).
    targets_through BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One row per device a remediation covers: where it stands, which attempt, when the next
-- one is due (NULL while a request is out or nothing is due), what the scripts said.
CREATE TABLE remediation_devices (
    remediation_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_group TEXT NOT NULL,
    generation BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    next_at BIGINT,
    request_id TEXT,
    detect_exit BIGINT,
    fix_exit BIGINT,
    detect_output TEXT,
    fix_output TEXT,
    after_output TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (remediation_id, device_id)
);
CREATE INDEX remediation_devices_by_state ON remediation_devices (remediation_id, state, device_group);
CREATE INDEX remediation_devices_due ON remediation_devices (remediation_id, next_at) WHERE next_at IS NOT NULL;
-- A device's rows: its answers find the row waiting for them, its page lists them.
CREATE INDEX remediation_devices_by_device ON remediation_devices (device_id);
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL,
    devices BIGINT NOT NULL,
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requester TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    note TEXT
);
CREATE INDEX approvals_by_state ON approvals (state, requested_at);
ALTER TABLE device_requests ADD COLUMN params TEXT;
CREATE TABLE diagnostics (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX diagnostics_by_device ON diagnostics (device_id, created_at);
