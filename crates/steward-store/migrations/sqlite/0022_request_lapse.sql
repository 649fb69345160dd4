-- Requests handed to a device and not answered yet (those in flight): the remediation
-- scheduler finds the attempts whose answer did not come within their lapse through it.
CREATE INDEX device_requests_in_flight ON device_requests (sent_at)
    WHERE answered_at IS NULL AND sent_at IS NOT NULL;
