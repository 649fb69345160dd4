-- Device secret rotation: requested by an administrator, carried out at the next check-in.
-- The new secret's hash waits in next_secret_hash until the device first uses it.
ALTER TABLE devices ADD COLUMN rotate_requested_at BIGINT;
ALTER TABLE devices ADD COLUMN next_secret_hash TEXT;
