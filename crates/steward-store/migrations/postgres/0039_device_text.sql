-- The texts a search reads (name, serial, owner) and their trigram indexes move to a table of
-- their own, written when a device enrolls and, for its name, when a check-in renames it
-- (serial and owner never change). Every update of a device row that moves an indexed
-- column (a compliance or health state) added an entry to each of the four trigram indexes,
-- 44 % of the update's cost, and a policy change rewrites most of the fleet's rows. The
-- device row keeps its texts for lists and their order.
CREATE TABLE device_text (
    device_id TEXT PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    serial TEXT NOT NULL,
    owner TEXT NOT NULL
);
INSERT INTO device_text (device_id, name, serial, owner)
    SELECT id, name, serial, owner FROM devices;
CREATE INDEX device_text_name_trgm ON device_text
    USING gin ((name COLLATE "default") gin_trgm_ops);
CREATE INDEX device_text_name_tail_trgm ON device_text
    USING gin ((substr(name, 2) COLLATE "default") gin_trgm_ops);
CREATE INDEX device_text_serial_trgm ON device_text USING gin (serial gin_trgm_ops);
CREATE INDEX device_text_owner_trgm ON device_text USING gin (owner gin_trgm_ops);
DROP INDEX devices_name_trgm;
DROP INDEX devices_name_tail_trgm;
DROP INDEX devices_serial_trgm;
DROP INDEX devices_owner_trgm;
ANALYZE device_text;
