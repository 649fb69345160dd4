-- Compliance policies (rules as JSON) assigned to device groups (empty: every device), and
-- each device's latest evaluation.
CREATE TABLE policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    rules TEXT NOT NULL,
    grace_hours BIGINT NOT NULL,
    device_groups TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
ALTER TABLE devices ADD COLUMN compliance_state TEXT NOT NULL DEFAULT 'not_evaluated';
ALTER TABLE devices ADD COLUMN compliance_results TEXT;
ALTER TABLE devices ADD COLUMN failing_since BIGINT;
CREATE INDEX devices_by_compliance ON devices (compliance_state, name, id);
