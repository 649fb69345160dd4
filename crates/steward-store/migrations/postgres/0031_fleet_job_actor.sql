-- Who made the change a job carries out, for what the job writes in their name: the
-- resolution of a deleted alert rule's open alerts, in the background, records who deleted
-- the rule.
ALTER TABLE fleet_jobs ADD COLUMN actor TEXT NOT NULL DEFAULT '';
