-- Device names compare byte by byte, as on SQLite: the device list has one order on both
-- backends, and a case-blind search by name can read the name ranges that start with the
-- text (one per letter case) in the list's own order. Names without their first character
-- get a trigram index, for the devices that contain the text but do not start with it.
ALTER TABLE devices ALTER COLUMN name TYPE TEXT COLLATE "C";
CREATE INDEX devices_name_tail_trgm ON devices USING gin (substr(name, 2) gin_trgm_ops);
