-- A re-evaluation that supersedes an open one starts where that one stood (begin_cursor) and
-- goes round the device ids: on to the last, then from the first back to where it began
-- (wrapped = 1 once it turned). Changes that come faster than a job's run no longer keep
-- sending the work back to the first devices.
ALTER TABLE fleet_jobs ADD COLUMN begin_cursor TEXT NOT NULL DEFAULT '';
ALTER TABLE fleet_jobs ADD COLUMN wrapped BIGINT NOT NULL DEFAULT 0;
