-- Each console user reads times in their own time zone (an IANA name) and regional format
-- (en-US or en-GB for English; empty: the language's own).
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN region TEXT NOT NULL DEFAULT '';
