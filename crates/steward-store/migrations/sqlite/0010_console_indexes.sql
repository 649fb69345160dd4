-- What the console's dashboard and alert list read: open alerts by severity, enrollment
-- results by time, and alerts of one state newest first, each from an index alone.
CREATE INDEX alerts_open_by_severity ON alerts (severity) WHERE state <> 'resolved';
CREATE INDEX alerts_by_state_id ON alerts (state, id);
CREATE INDEX enrollment_attempts_by_time_result ON enrollment_attempts (at, result);
