-- Substring search on name, serial and owner with trigram indexes (ILIKE uses them).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX devices_name_trgm ON devices USING gin (name gin_trgm_ops);
CREATE INDEX devices_serial_trgm ON devices USING gin (serial gin_trgm_ops);
CREATE INDEX devices_owner_trgm ON devices USING gin (owner gin_trgm_ops);
