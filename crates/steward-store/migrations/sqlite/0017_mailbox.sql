-- The device mailbox is shared by every server: a change to it bumps its version, and an
-- announcement handed to a device is marked so that no other server hands it again until
-- the offer lapses without a receipt.
INSERT INTO config_versions (kind, version) VALUES ('mailbox', 0);
ALTER TABLE announcement_targets ADD COLUMN offered_at BIGINT;
