-- A device's inventory (hardware, disks, users, pending updates: about 1.5 KB from a Debian
-- agent) moves out of its row, which every state-changing check-in and every fleet job
-- rewrites whole: a million rows holding an agent's inventory doubled a policy's job and
-- quadrupled the bytes it wrote. The inventory is written only when the agent sends a new
-- one, and read for one device at a time.
--
-- The column stays, empty, and nothing writes it: dropping it rebuilds the table with a
-- copy in memory (2.2 GB at a million devices), where emptying it rewrites the rows in
-- place.
CREATE TABLE device_inventory (
    device_id TEXT PRIMARY KEY,
    inventory TEXT NOT NULL
);
INSERT INTO device_inventory (device_id, inventory)
    SELECT id, inventory FROM devices WHERE inventory IS NOT NULL;
UPDATE devices SET inventory = NULL WHERE inventory IS NOT NULL;
