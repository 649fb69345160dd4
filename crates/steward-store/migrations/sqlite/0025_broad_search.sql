-- A broad text search (hundreds of thousands of matches) finds its first page by name from
-- small reads instead of walking the name order:
-- * the names that start with the text: ranges of the name index (one per letter case);
-- * the devices that contain it elsewhere: trigram indexes of each name without its first
--   character (devices_name_tail) and of serials and owners (devices_other_text). Apart from
--   the names, a common name's trigrams do not make these lookups read long lists.
-- The name index also carries what a walk over it tests (retired, serial, owner), so a
-- search that still walks reads the index alone until it finds a match.
DROP INDEX devices_by_name;
CREATE INDEX devices_by_name ON devices (name, id, retired_at, serial, owner);

CREATE VIRTUAL TABLE devices_name_tail USING fts5(
    name_tail, content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO devices_name_tail (rowid, name_tail) SELECT rowid, substr(name, 2) FROM devices;

CREATE TRIGGER devices_name_tail_insert AFTER INSERT ON devices BEGIN
    INSERT INTO devices_name_tail (rowid, name_tail) VALUES (new.rowid, substr(new.name, 2));
END;
CREATE TRIGGER devices_name_tail_delete AFTER DELETE ON devices BEGIN
    DELETE FROM devices_name_tail WHERE rowid = old.rowid;
END;
CREATE TRIGGER devices_name_tail_update AFTER UPDATE OF name ON devices
WHEN old.name IS NOT new.name
BEGIN
    DELETE FROM devices_name_tail WHERE rowid = old.rowid;
    INSERT INTO devices_name_tail (rowid, name_tail) VALUES (new.rowid, substr(new.name, 2));
END;

CREATE VIRTUAL TABLE devices_other_text USING fts5(
    serial, owner, content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO devices_other_text (rowid, serial, owner) SELECT rowid, serial, owner FROM devices;

CREATE TRIGGER devices_other_text_insert AFTER INSERT ON devices BEGIN
    INSERT INTO devices_other_text (rowid, serial, owner) VALUES (new.rowid, new.serial, new.owner);
END;
CREATE TRIGGER devices_other_text_delete AFTER DELETE ON devices BEGIN
    DELETE FROM devices_other_text WHERE rowid = old.rowid;
END;
CREATE TRIGGER devices_other_text_update AFTER UPDATE OF serial, owner ON devices
WHEN old.serial IS NOT new.serial OR old.owner IS NOT new.owner
BEGIN
    DELETE FROM devices_other_text WHERE rowid = old.rowid;
    INSERT INTO devices_other_text (rowid, serial, owner) VALUES (new.rowid, new.serial, new.owner);
END;
