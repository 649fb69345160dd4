-- When a device was last seen moves on every check-in. Kept in `devices`, its index made
-- every check-in's update of that wide, heavily indexed row a new entry in each of its
-- indexes. In a narrow table of its own, an update of `devices` that moves no indexed column
-- stays on its page (a heap-only tuple) and leaves every index of `devices` alone; the
-- fill factor leaves the room on each page for that.
CREATE TABLE device_seen (
    device_id TEXT PRIMARY KEY,
    last_seen_at BIGINT NOT NULL
);
INSERT INTO device_seen (device_id, last_seen_at) SELECT id, last_seen_at FROM devices;
CREATE INDEX device_seen_by_time ON device_seen (last_seen_at, device_id);
DROP INDEX devices_by_last_seen;
ALTER TABLE devices DROP COLUMN last_seen_at;
ALTER TABLE devices SET (fillfactor = 70);
