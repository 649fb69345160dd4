-- Substring search on name, serial and owner: a trigram full-text index kept in step with
-- `devices` by triggers. Check-ins that only move last_seen_at and seq do not touch it.
CREATE VIRTUAL TABLE devices_search USING fts5(
    name, serial, owner, content = 'devices', tokenize = 'trigram'
);
INSERT INTO devices_search (rowid, name, serial, owner) SELECT rowid, name, serial, owner FROM devices;

CREATE TRIGGER devices_search_insert AFTER INSERT ON devices BEGIN
    INSERT INTO devices_search (rowid, name, serial, owner)
    VALUES (new.rowid, new.name, new.serial, new.owner);
END;

CREATE TRIGGER devices_search_delete AFTER DELETE ON devices BEGIN
    INSERT INTO devices_search (devices_search, rowid, name, serial, owner)
    VALUES ('delete', old.rowid, old.name, old.serial, old.owner);
END;

CREATE TRIGGER devices_search_update AFTER UPDATE OF name, serial, owner ON devices
WHEN old.name IS NOT new.name OR old.serial IS NOT new.serial OR old.owner IS NOT new.owner
BEGIN
    INSERT INTO devices_search (devices_search, rowid, name, serial, owner)
    VALUES ('delete', old.rowid, old.name, old.serial, old.owner);
    INSERT INTO devices_search (rowid, name, serial, owner)
    VALUES (new.rowid, new.name, new.serial, new.owner);
END;
