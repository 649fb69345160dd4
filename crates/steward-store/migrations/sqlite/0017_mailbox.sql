-- The device mailbox is shared by every server: a change to it bumps its version, and an
-- announcement handed to a device is marked so that no other server hands it again until
-- the offer lapses without a receipt.
INSERT INTO config_versions (kind, version) VALUES ('mailbox', 0);
ALTER TABLE announcement_targets ADD COLUMN offered_at BIGINT;
-- A notification being sent is claimed until the attempt's time is up, so a second sender
-- (two servers overlapping a moment at a lease's hand-over) leaves it alone.
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
