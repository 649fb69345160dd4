-- Fleet-wide work that runs in the background instead of inside a request: after a policy or
-- an alert rule changes, every device is evaluated again in batches. The cursor (the last
-- device id done) and the count move with each batch, so a job resumes where it stopped
-- after a restart, on whichever server runs the jobs; a newer job of the same kind covers
-- the older ones (superseded_by).
CREATE TABLE fleet_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    cursor TEXT NOT NULL DEFAULT '',
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT,
    superseded_by TEXT
);
CREATE INDEX fleet_jobs_open ON fleet_jobs (created_at) WHERE finished_at IS NULL;
CREATE INDEX fleet_jobs_created ON fleet_jobs (created_at);
