-- The version of each kind of configuration every server keeps in memory: a change bumps it
-- in the same transaction, and every server reloads a kind whose version moved.
CREATE TABLE config_versions (
    kind TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO config_versions (kind, version) VALUES
    ('policies', 0), ('alert_rules', 0), ('channels', 0), ('silences', 0);
