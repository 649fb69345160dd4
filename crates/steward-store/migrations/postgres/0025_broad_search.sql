-- SQLite's migration 0025 adds a trigram index of names without their first character for
-- broad text searches; PostgreSQL's planner already chooses between its trigram indexes and
-- the name order. This version keeps the two schemas numbered alike.
SELECT 1;
