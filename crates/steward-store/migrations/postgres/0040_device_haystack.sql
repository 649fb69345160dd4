-- A search first tests one text per device, its haystack: its name, serial and owner lowered
-- once, when they are written (a generated column), and compared byte by byte ("C"); only a
-- device whose haystack holds the text has its three texts tested with ILIKE, which lowers
-- each of them on every test. At a million devices, a search that matches nothing, or whose
-- first matches come late in the list's order, tested three texts on every row for 1–2 s.
-- The covering index walks the devices in name order without reading the table (its rows
-- change only when a device enrolls or is renamed), and the trigram indexes of each text
-- still find the few devices of a selective search.
--
-- The table is written anew rather than altered: its rows then count as inserted, and the
-- next autovacuum marks its pages visible to every transaction, which an index-only walk
-- needs to skip the table. Enrollments and renames by servers not upgraded yet wait for the
-- copy rather than write to the table after its rows were copied; PostgreSQL then looks the
-- table up again by its name, and they go on with the new one.
LOCK TABLE device_text IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE device_text_new (
    device_id TEXT PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    serial TEXT NOT NULL,
    owner TEXT NOT NULL,
    haystack TEXT COLLATE "C" NOT NULL GENERATED ALWAYS AS
        (lower((name || E'\n' || serial || E'\n' || owner) COLLATE "default")) STORED
);
INSERT INTO device_text_new (device_id, name, serial, owner)
    SELECT device_id, name, serial, owner FROM device_text;
DROP TABLE device_text;
ALTER TABLE device_text_new RENAME TO device_text;
ALTER INDEX device_text_new_pkey RENAME TO device_text_pkey;
-- An index entry must fit in a third of a page (2,704 bytes): the few devices whose texts
-- are too long for the covering index (up to 255 characters each, four bytes for some
-- letters) are walked through an index of their names alone.
CREATE INDEX device_text_walk ON device_text (name, device_id) INCLUDE (haystack, serial, owner)
    WHERE octet_length(name) + octet_length(serial) + octet_length(owner)
        + octet_length(haystack) <= 2400;
CREATE INDEX device_text_walk_long ON device_text (name, device_id)
    WHERE octet_length(name) + octet_length(serial) + octet_length(owner)
        + octet_length(haystack) > 2400;
CREATE INDEX device_text_name_trgm ON device_text
    USING gin ((name COLLATE "default") gin_trgm_ops);
CREATE INDEX device_text_name_tail_trgm ON device_text
    USING gin ((substr(name, 2) COLLATE "default") gin_trgm_ops);
CREATE INDEX device_text_serial_trgm ON device_text USING gin (serial gin_trgm_ops);
CREATE INDEX device_text_owner_trgm ON device_text USING gin (owner gin_trgm_ops);
ANALYZE device_text;
