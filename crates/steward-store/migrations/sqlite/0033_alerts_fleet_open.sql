-- The fleet's own open alerts (subject `fleet`), read on every sweep: without an index of
-- their own the read walked every open alert of every device. Only the handful of fleet
-- alerts are in this one, so writing a device's alert never touches it.
CREATE INDEX alerts_fleet_open ON alerts (rule_id) WHERE subject = 'fleet' AND state <> 'resolved';
