-- Device names compare byte by byte, as on SQLite: the device list has one order on both
-- backends, and a case-blind search by name can read the name ranges that start with the
-- text (one per letter case) in the list's own order.
--
-- Text searches keep the database's case folding (ILIKE under "C" folds ASCII letters only,
-- and would no longer find "ÉCOLE-01" for "école"): they compare `name COLLATE "default"`,
-- as the trigram indexes on names spell it. Names without their first character get a
-- trigram index too, for the devices that contain the text but do not start with it.
DROP INDEX devices_name_trgm;
ALTER TABLE devices ALTER COLUMN name TYPE TEXT COLLATE "C";
CREATE INDEX devices_name_trgm ON devices USING gin ((name COLLATE "default") gin_trgm_ops);
CREATE INDEX devices_name_tail_trgm ON devices
    USING gin ((substr(name, 2) COLLATE "default") gin_trgm_ops);
