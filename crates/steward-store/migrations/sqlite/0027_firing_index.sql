-- The devices that fire some alert rule, found without reading every row: the job after a
-- rule change evaluates those that fired it, with those it can newly fire on.
CREATE INDEX devices_firing ON devices (id) WHERE firing_rules <> '';
