## API errors (one per stable error code)
error-malformed_json = The request body is not valid JSON for this endpoint.
error-invalid_field = A field of the request has a wrong type or value.
error-payload_too_large = The request body is larger than the 1 MiB limit.
error-bad_compression = The request body could not be decompressed.
error-unsupported_media_type = The request body must be JSON (Content-Type: application/json).
error-unauthorized = Missing or invalid credentials.
error-forbidden = Your role does not allow this action.
error-not_found = No such object.
error-method_not_allowed = This method is not allowed on this path.
error-invalid_cursor = The page cursor is invalid; start again from the first page.
error-invalid_query = A query parameter has a wrong value.
error-unknown_token = The enrollment token is not known.
error-token_expired = The enrollment token has expired.
error-token_exhausted = The enrollment token has reached its maximum number of uses.
error-token_revoked = The enrollment token has been revoked.
error-platform_not_allowed = This platform may not enroll with this token.
error-malformed_request = The enrollment request is incomplete or has invalid fields.
error-duplicate_device = This device is already enrolled; retire the existing record first.
error-invalid_credentials = Wrong e-mail address or password.
error-account_locked = Too many failed sign-ins: the account is locked for a while. Try again later or ask an administrator.
error-csrf_mismatch = The request lacks a valid CSRF token; reload the page and try again.
error-conflict = This object already exists.
error-device_retired = This device has been retired and may no longer check in.
error-overloaded = The server is busy; try again shortly.
error-internal = An internal error occurred; it has been logged.

## Home page
home-title = Steward
home-running = Steward is running.
home-links = API description, health and metrics:

## Command line
cli-error = Error: { $message }
cli-serve-listening = Steward is listening on { $url } (storage: { $backend }).
cli-demo-starting = Starting the demo with { $count } simulated devices…
cli-demo-ready = The demo is ready after { $secs } s.
cli-demo-url = Server: { $url }
cli-demo-admin = Administrator: { $email }   password: { $password }
cli-demo-api-token = API token (administrator): { $token }
cli-demo-enroll-token = Enrollment token: { $token }
cli-demo-fleet = { $count } simulated devices are checking in every { $interval } s.
cli-demo-try = Try it: curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = Press Ctrl-C to stop.
cli-token-created = API token created with role { $role }. It is shown only once:
cli-enroll-token-created = Enrollment token created. It is shown only once:
cli-enroll-token-revoked = Enrollment token { $id } revoked.
cli-user-created = User { $email } created with role { $role }.
cli-user-password = Password (shown only once): { $password }
cli-invalid-role = Unknown role "{ $role }". Use administrator, operator, helpdesk or readonly.
cli-sim-summary = Simulation finished: { $enrolled } devices enrolled, { $refused } enrollments refused, { $checkins } check-ins, { $errors } errors.

## Agent
agent-enrolled = Enrolled as device { $id }.
agent-checked-in = Checked in (sequence { $seq }); next check-in in { $secs } s.
agent-not-enrolled = This device is not enrolled yet. Run: steward-agent enroll --server URL --token TOKEN
agent-server-error = The server refused the request: { $message }
agent-unreachable = Could not reach the server: { $message }
agent-scan-clean = Scan finished: no threats found in { $paths }.
agent-scan-found = Scan finished: { $count } threats found:
agent-status-os = Operating system
agent-status-host = Host name
agent-status-protection = Endpoint protection
agent-status-signatures = signatures from
agent-status-firewall = Firewall active
agent-status-encryption = Disk encrypted
agent-status-disks = Free disk space
agent-status-boot = Booted at
agent-status-users = Logged-in users
agent-status-updates = Pending updates
agent-status-updates-count = { $count } ({ $security } security)
agent-status-unknown = unknown
agent-status-unknown-because = unknown: { $reason }
agent-status-yes = yes
agent-status-no = no
