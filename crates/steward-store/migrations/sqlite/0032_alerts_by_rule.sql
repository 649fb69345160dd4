-- A rule's alerts newest first (the alert list filtered by rule, where every notification
-- links) and a rule's firing alerts oldest first (repeats) had no index in id order: the
-- first sorted every alert of the rule (seconds for a rule firing on a million devices),
-- the second walked every firing alert of every rule. A new alert's id sorts after the
-- rule's others, so each insert appends to the rule's end of this index.
CREATE INDEX alerts_by_rule ON alerts (rule_id, id);
