-- The fleet's counts as the last recount found them (any server's), one document in one row:
-- a server that starts serves these at once, with their time, while it counts again in the
-- background. A save only replaces counts taken earlier (two servers may recount together).
CREATE TABLE fleet_counts_saved (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at BIGINT NOT NULL,
    counts TEXT NOT NULL
);
