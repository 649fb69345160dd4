-- Software distribution: the app catalog and its uploaded packages (content-addressed, in
-- chunks so a download streams), assignments with their rollout waves, one target row per
-- device and assignment with the state the device last reported (the state machine's truth),
-- counts of those states kept in step with them, every step devices reported, and the
-- software inventory (titles shared by devices, one posting per device and title).
CREATE TABLE packages (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE package_chunks (
    sha256 TEXT NOT NULL,
    n BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (sha256, n)
);
CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    publisher TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX apps_by_name ON apps (name);
CREATE TABLE app_versions (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    version TEXT NOT NULL,
    platform TEXT NOT NULL,
    kind TEXT NOT NULL,
    package TEXT NOT NULL,
    arch TEXT NOT NULL,
    sha256 TEXT,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX app_versions_unique ON app_versions (app_id, platform, version);
CREATE TABLE app_assignments (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    intent TEXT NOT NULL,
    device_group TEXT,
    start_at BIGINT NOT NULL,
    deadline_at BIGINT,
    waves TEXT NOT NULL,
    gate_percent BIGINT NOT NULL,
    target_percent BIGINT NOT NULL,
    failure_percent BIGINT NOT NULL,
    current_wave BIGINT NOT NULL,
    paused BIGINT NOT NULL,
    targets_through BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX app_assignments_by_app ON app_assignments (app_id);
CREATE TABLE app_targets (
    assignment_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_group TEXT NOT NULL,
    wave BIGINT NOT NULL,
    state TEXT NOT NULL,
    reported_state TEXT NOT NULL DEFAULT '',
    error_code TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    attempt BIGINT NOT NULL DEFAULT 0,
    generation BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (assignment_id, device_id)
);
CREATE INDEX app_targets_by_state ON app_targets (assignment_id, state, device_id);
CREATE INDEX app_targets_by_device ON app_targets (device_id);
CREATE TABLE app_counts (
    assignment_id TEXT NOT NULL,
    device_group TEXT NOT NULL,
    wave BIGINT NOT NULL,
    state TEXT NOT NULL,
    error_code TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (assignment_id, device_group, wave, state, error_code)
);
CREATE TABLE app_count_history (
    assignment_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    state TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (assignment_id, at, state)
);
CREATE TABLE app_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    state TEXT NOT NULL,
    error_code TEXT NOT NULL,
    message TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX app_events_by_device ON app_events (device_id, id);
CREATE TABLE software_titles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    arch TEXT NOT NULL,
    source TEXT NOT NULL,
    devices BIGINT NOT NULL
);
CREATE UNIQUE INDEX software_titles_unique ON software_titles (name, version, arch, source);
CREATE TABLE device_software (
    title_id BIGINT NOT NULL,
    device_id TEXT NOT NULL,
    PRIMARY KEY (title_id, device_id)
) WITHOUT ROWID;
CREATE TABLE device_software_state (
    device_id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    titles TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO config_versions (kind, version) VALUES ('apps', 0);
