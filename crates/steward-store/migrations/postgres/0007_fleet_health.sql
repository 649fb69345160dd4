-- Endpoint-protection health kept per device (for counting and filtering), when time alone may
-- change a device's health or compliance (the sweeper's work list), and fleet counts per hour
-- for trends.
ALTER TABLE devices ADD COLUMN health_state TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE devices ADD COLUMN recheck_at BIGINT;
ALTER TABLE devices ADD COLUMN checkin_sensitive BIGINT NOT NULL DEFAULT 0;
-- Devices enrolled before this migration are classified by the first sweep.
UPDATE devices SET recheck_at = 0 WHERE retired_at IS NULL;
CREATE INDEX devices_by_health ON devices (health_state, name, id);
CREATE INDEX devices_by_recheck ON devices (recheck_at) WHERE recheck_at IS NOT NULL AND retired_at IS NULL;
CREATE INDEX devices_fleet ON devices (device_group, platform, health_state, compliance_state)
    WHERE retired_at IS NULL;
CREATE TABLE fleet_snapshots (
    at BIGINT NOT NULL,
    device_group TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (at, device_group, dimension, value)
);
