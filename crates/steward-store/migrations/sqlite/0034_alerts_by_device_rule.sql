-- Whether a rule firing on a device opens, reopens or keeps an alert depends on the rule's
-- last alert of that device. It was read through `alerts_by_subject` (rule, subject, time),
-- an index the device's own index can serve once it names the rule: one index entry fewer
-- for every alert written (a rule new to the fleet writes one for most devices). The alert
-- list of one device reads the same entries as before; the fleet's alerts (no device) are
-- read through the rule's.
DROP INDEX alerts_by_subject;
DROP INDEX alerts_by_device;
CREATE INDEX alerts_by_device ON alerts (device_id, rule_id, fired_at);
