-- A rule's earliest pending change, found without reading its other pending alerts: the
-- notifier leaves a rule grouped as a whole unread until it is due.
CREATE INDEX alerts_to_notify_by_rule ON alerts (rule_id, notify_at) WHERE notify_at IS NOT NULL;
