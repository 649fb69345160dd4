-- End-user announcements and where each went: one row per targeted device, with the owner,
-- the language it was written in for them, and when the agent received and showed it.
CREATE TABLE announcements (
    id TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE announcement_targets (
    announcement_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    language TEXT NOT NULL,
    delivered_at BIGINT,
    read_at BIGINT,
    PRIMARY KEY (announcement_id, device_id)
);
CREATE INDEX announcement_targets_waiting ON announcement_targets (device_id) WHERE delivered_at IS NULL;
