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
error-mail_not_configured = E-mail is not set up: configure an SMTP server (notify.smtp_host) first.
error-device_retired = This device has been retired and may no longer check in.
error-overloaded = The server is busy; try again shortly.
error-internal = An internal error occurred; it has been logged.
error-field_too_long = A field of the request is longer than its limit.
error-too_many_entries = A list or map of the request has more entries than its limit.
error-too_many_attempts = Too many failed attempts from your address; wait a moment and try again.
error-unavailable = The database cannot be reached right now; try again shortly.
error-outbound_refused = This address is not allowed: use http or https to a public address, or ask the server owner to allow it (outbound.allow).
error-unknown_reference = The request names something that does not exist or cannot be used here (a channel, rule, feature or notice).
error-invalid_period = The period ends before it starts or is already over.
error-own_request = You cannot approve or refuse your own request: another administrator must decide.
error-already_decided = This request was decided before.

## Home page

## Command line
cli-error = Error: { $message }
cli-serve-listening = Steward is listening on { $url } (storage: { $backend }).
cli-demo-starting = Starting the demo with { $count ->
    [one] 1 simulated device…
   *[other] { $count } simulated devices…
}
cli-demo-ready = The demo is ready after { $secs } s.
cli-demo-url = Server: { $url }
cli-demo-admin = Administrator: { $email }   password: { $password }
cli-demo-api-token = API token (administrator): { $token }
cli-demo-enroll-token = Enrollment token: { $token }
cli-demo-fleet = { $count ->
    [one] 1 simulated device is
   *[other] { $count } simulated devices are
} checking in every { $interval } s.
cli-demo-try = Try it: curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = Press Ctrl-C to stop.
cli-token-created = API token created with role { $role }. It is shown only once:
cli-enroll-token-created = Enrollment token created. It is shown only once:
cli-enroll-token-revoked = Enrollment token { $id } revoked.
cli-user-created = User { $email } created with role { $role }.
cli-user-password = Password (shown only once): { $password }
cli-invalid-role = Unknown role "{ $role }". Use administrator, operator, helpdesk or readonly.
cli-sim-summary = Simulation finished: { $enrolled ->
    [one] 1 device
   *[other] { $enrolled } devices
} enrolled, { $refused ->
    [one] 1 enrollment
   *[other] { $refused } enrollments
} refused, { $checkins ->
    [one] 1 check-in
   *[other] { $checkins } check-ins
}, { $errors ->
    [one] 1 error
   *[other] { $errors } errors
}.

## Agent
agent-enrolled = Enrolled as device { $id }.
agent-checked-in = Checked in (sequence { $seq }); next check-in in { $secs } s.
agent-not-enrolled = This device is not enrolled yet. Run: steward-agent enroll --server URL --token TOKEN
agent-server-error = The server refused the request: { $message }
agent-unreachable = Could not reach the server: { $message }
agent-scan-clean = Scan finished: no threats found in { $paths }.
agent-scan-found = Scan finished: { $count ->
    [one] 1 threat found:
   *[other] { $count } threats found:
}
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
agent-status-queued = Waiting to be sent
agent-status-queued-count = { $count ->
    [one] 1 snapshot
   *[other] { $count } snapshots
}
agent-status-set-aside = Set aside
agent-status-set-aside-entry = snapshot { $seq } at { $at }: { $reason }
alert-reason-active-threat = Active threat: { $threats }
alert-reason-no-protection = No endpoint protection
alert-reason-realtime-off = Real-time protection is off
alert-reason-signatures-old = { $days ->
    [one] Signatures are 1 day old
   *[other] Signatures are { $days } days old
}
alert-reason-scan-overdue = { $days ->
    [one] Last scan 1 day ago
   *[other] Last scan { $days } days ago
}
alert-reason-never-scanned = Never scanned
alert-reason-noncompliant = Noncompliant
alert-reason-silent = { $hours ->
    [one] No check-in for 1 hour
   *[other] No check-in for { $hours } hours
}
alert-reason-low-disk = Low disk space: { $disks }
alert-reason-fleet-share = { $matching } of { $total ->
    [one] 1 device
   *[other] { $total } devices
} { $state }
alert-reason-enrollment-failures = { $count ->
    [one] 1 failed enrollment
   *[other] { $count } failed enrollments
} in { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}
severity-critical = Critical
severity-warning = Warning
severity-informational = Informational
notify-title-firing = [{ $severity }] { $rule }: { $open } open
notify-title-resolved = [{ $severity }] { $rule }: resolved
notify-title-repeat = [{ $severity }] { $rule }: still { $open } open
notify-title-escalation = [{ $severity }] { $rule }: { $count } unacknowledged for { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}
notify-new = Newly firing ({ $count })
notify-still = Firing ({ $count })
notify-resolved = Resolved ({ $count })
notify-more = … and { $count } more
notify-fleet = Fleet
notify-open = Open in Steward: { $url }
notify-open-short = Open in Steward
notify-footer = Sent by Steward. Notification { $id }.
notify-test-title = Steward test notification
notify-test-body = This channel ({ $channel }) works. Sent at { $at }.
alert-reason-delivery-failing = { $count ->
    [one] 1 notification
   *[other] { $count } notifications
} not delivered for { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}: { $channels }

# Console
alerts-ack-selected = Acknowledge selected
alerts-acknowledge = Acknowledge
alerts-acknowledged-by = Acknowledged by
alerts-actions = Actions
alerts-add-comment = Add comment
alerts-assign = Assign
alerts-assignee = Assignee
alerts-comment = Comment
alerts-comment-optional = Comment (optional)
alerts-device = Device
alerts-fired = Fired
alerts-open-device = Open device
alerts-resolve = Resolve
alerts-resolved-by = Resolved by
alerts-rule = Rule
alerts-select = Select
alerts-severity = Severity
alerts-silenced = Silenced
alerts-state = State
alerts-summary = Alert
audit-action = Action
audit-actor = Who
audit-object = Object
audit-object-id = Object ID
audit-object-type = Object type
audit-outcome = Outcome
channel-email = E-mail
channel-slack = Slack (incoming webhook)
channel-teams = Microsoft Teams (webhook)
channel-webhook = Webhook (signed JSON)
channels-create = Create channel
channels-delivery = Delivery
channels-failed = { $count } given up
channels-kind = Kind
channels-last-delivered = Last delivered
channels-last-error = Last error
channels-new = New channel
channels-next-attempt = Next attempt
channels-pending = { $count } waiting
channels-secret = Signing secret (webhooks)
channels-severities = Every alert of these severities
channels-target = URL or e-mail addresses
channels-test = Send test
condition-active-threat = Active threat
condition-delivery-failing = Notifications not delivered
condition-enrollment-failures = Failed enrollments
condition-fleet-share = Share of devices in a state
condition-low-disk = Low disk space
condition-noncompliant = Noncompliant
condition-not-checked-in = Not checked in
condition-protection-missing = Endpoint protection missing or off
condition-realtime-off = Real-time protection off
condition-scan-overdue = Scan overdue
condition-signatures-outdated = Signatures out of date
console-all = All
console-any = Any
console-apply = Apply
console-clear = Clear
console-confirm-delete = Delete this for good?
console-confirm-revoke = Revoke this token? It stops working at once.
console-csv = Export CSV
console-delete = Delete
console-error-title = Not available
console-filter = Filter
console-language = Language
console-logout = Sign out
console-navigation = Main navigation
console-next-page = Next page
console-none = None
console-empty = Nothing to show yet.
console-off = Off
console-on = On
console-shown-once = Copy it now: it is shown only once.
console-skip = Skip to content
console-test-delivered = The test notification was delivered.
console-test-failed = The test notification was not delivered: { $error }
dash-alerts = Open alerts
dash-as-of = Counts as of { $time }
dash-checkins = Check-ins
dash-compliance = Compliance
dash-devices = Managed devices by platform
dash-enroll-totals = succeeded / failed
dash-enrollments = Enrollments, last 7 days
dash-malware = { $count ->
    [one] device with malware
   *[other] devices with malware
}
dash-noncompliant = noncompliant
dash-open-alerts = open
dash-protection = Endpoint protection
detection-blocked = Blocked
detection-left-in-place = Left in place
detection-quarantined = Quarantined
detection-removed = Removed
device-action = Action taken
device-detail = Detail
device-detected = Detected
device-detections = Detections
device-engine = Engine
device-enrolled = Enrolled
device-full-scan = Last full scan
device-health-reasons = Why:
device-history = History
device-id = Device ID
device-identity = Identity
device-inventory = Inventory
device-malware-protection = Malware protection
device-model = Model
device-no-protection-report = The device has not reported endpoint protection.
device-path = Path
device-protection = Endpoint protection
device-quick-scan = Last quick scan
device-realtime = Real-time protection
device-result = Result
device-retired = Retired
device-rule = Rule
device-serial = Serial number
device-signatures = Signatures
device-threat = Threat
devices-compliance = Compliance
devices-group = Group
devices-health = Protection
devices-last-seen = Last check-in
devices-name = Name
devices-os = Operating system
devices-owner = Owner
devices-platform = Platform
devices-search = Search name, serial, owner
devices-seen-filter = Filtered by last check-in time.
devices-sort = Sort by
devices-sort-enrolled = Newest enrolled
devices-sort-recent = Most recent check-in
devices-sort-silent = Longest silent
attempt-at = When
attempt-from = From
attempt-host = Host name
attempt-result = Result
event-acknowledged = Acknowledged
event-assigned = Assigned
event-commented = Comment
event-escalated = Escalated
event-fired = Fired
event-reopened = Reopened
event-resolved = Resolved
fresh-day = Last 24 hours
fresh-older = Older than 7 days
fresh-week = Last 7 days
login-email = E-mail
login-password = Password
login-submit = Sign in
login-title = Sign in
nav-alerts = Alerts
nav-audit = Audit log
nav-channels = Channels
nav-dashboard = Dashboard
nav-devices = Devices
nav-enrollment-tokens = Enrollment tokens
nav-enrollments = Enrollments
nav-policies = Compliance policies
nav-rules = Alert rules
nav-settings = Settings
nav-silences = Silences
nav-tokens = API tokens
nav-users = Users and roles
platform-android = Android
platform-ios = iOS/iPadOS
platform-linux = Linux
platform-macos = macOS
platform-windows = Windows
policies-create = Create policy
policies-grace = Grace period (hours)
policies-new = New policy
policies-rules = Rules
role-administrator = Administrator
role-helpdesk = Help desk
role-operator = Operator
role-readonly = Read-only
rules-condition = Condition
rules-count = More than (count)
rules-create = Create rule
rules-days = Days
rules-disable = Turn off
rules-enable = Turn on
rules-free-percent = Free space below (%)
rules-group-by = One notification per
rules-group-by-device = device
rules-group-by-rule = rule (grouped)
rules-groups = Device groups
rules-hours = Hours
rules-minutes = Minutes undelivered
rules-name = Name
rules-new = New alert rule
rules-off = Off
rules-on = On
rules-percent = Share above (%)
rules-window = Within (minutes)
silences-author = Author
silences-create = Create silence
silences-expire = End now
silences-intro = Silenced alerts are still recorded; only their notifications and escalations wait until the silence ends.
silences-matches = Matches
silences-minutes = Duration (minutes)
silences-new = New silence (maintenance window)
silences-reason = Reason
silences-window = Window
state-acknowledged = Acknowledged
state-active = Active
state-active-threat = Active threat
state-at-risk = At risk
state-compliant = Compliant
state-delivered = Delivered
state-error = Error
state-expired = Ended
state-fail = Fails
state-failed = Failed
state-firing = Firing
state-in-grace = In grace period
state-noncompliant = Noncompliant
state-not-evaluated = Not evaluated
state-other = Other
state-pass = Passes
state-not-applicable = Not applicable
state-pending = Waiting
state-protected = Protected
state-resolved = Resolved
state-success = Succeeded
state-unknown = Unknown
state-unprotected = Unprotected
tokens-create = Create token
tokens-expires = Expires
tokens-expires-hours = Expires after (hours)
tokens-last-used = Last used
tokens-max-uses = Maximum uses
tokens-new = New token
tokens-prefix = Starts with
tokens-revoke = Revoke
tokens-revoked = Revoked
tokens-user-token = A user's own token
tokens-uses = Uses
users-active = Active
users-create = Create user
users-disable = Disable
users-disabled = Disabled
users-enable = Enable
users-name = Display name
users-new = New user
users-reset-password = Reset password
users-role = Role
dash-devices-caption = { $count ->
    [one] device
   *[other] devices
}
dash-checkins-caption = checked in within 24 hours
health-not-reported = The device has not reported endpoint protection
health-no-engine = No endpoint-protection engine
health-malware-off = Malware protection is off
health-active-threat = { $count ->
    [one] 1 active threat
   *[other] { $count } active threats
}
health-pending-action = A detection is waiting for an action
health-realtime-unknown = Real-time protection not reported
health-signature-age-unknown = Signature age not reported
rule-min-os-version = { $platform } at version { $version } or later
rule-protection-required = Endpoint protection on
rule-realtime-required = Real-time protection on
rule-signatures-max-age = { $days ->
    [one] Signatures at most 1 day old
   *[other] Signatures at most { $days } days old
}
rule-no-active-threats = No active threats
rule-firewall = Firewall on
rule-disk-encryption = Disk encrypted
rule-checked-in-within = { $days ->
    [one] Checked in within 1 day
   *[other] Checked in within { $days } days
}

# Update awareness
notice-mail-subject = [Major update] { $title }
notice-reminder-subject = Please acknowledge: { $title }
readiness-not-acknowledged = “{ $notice }” not acknowledged by { $people }
readiness-all-acknowledged = Everyone acknowledged the notices due.
readiness-missing-rules = No enabled rule for: { $types }
readiness-no-tested-channel = No notification channel has passed a test.
readiness-monitoring-ok = Rules on for every area; tested channels: { $channels }
readiness-no-oncall = Critical rules without on-call recipients: { $rules }
readiness-no-escalation = Critical rules without escalation: { $rules }
readiness-no-critical-rules = No critical alert rule is on.
readiness-unacknowledged-critical = { $count ->
    [one] 1 critical alert
   *[other] { $count } critical alerts
} unacknowledged for more than { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}
readiness-ack-median = Median time to acknowledge critical alerts (30 days): { $minutes } min
readiness-discovery-ok = The discovery questions are answered.
discovery-team = Who makes up the O&M team?
discovery-reporting = How will you report to key stakeholders? (Each line of stakeholders names a scheduled report.)
discovery-awareness-owner = Who is responsible for update awareness?
readiness-stale-material = “{ $material }” is out of date: { $features } changed since its last review
readiness-onboarding-behind = Onboarding behind schedule: { $people }
readiness-training-ok = Training materials are current and onboarding is on track.
agent-no-messages = No messages from your organisation.

# Console: awareness
announcements-below-version = Below version
announcements-delivered = { $count } received
announcements-devices = { $count ->
    [one] 1 device
   *[other] { $count } devices
}
announcements-from-version = From version
announcements-new = New announcement to users
announcements-owners = { $count ->
    [one] 1 owner
   *[other] { $count } owners
}
announcements-reach = Reach
announcements-read = { $count } shown
announcements-send = Send
announcements-sent = { $count ->
    [one] Queued for 1 owner: their devices show it at their next check-in.
   *[other] Queued for { $count } owners: their devices show it at their next check-in.
}
category-informed = Stay informed
category-plan = Plan for change
category-prevent = Prevent or fix issues
nav-announcements = Announcements
nav-awareness = Awareness
nav-notices = Updates
nav-plan = Operational plan
nav-readiness = Readiness
nav-training = Training
notices-acknowledged = Acknowledged
notices-acknowledged-by = Acknowledged by
notices-archive = Archive
notices-body = Text (Markdown)
notices-briefing = Help-desk briefing
notices-category = Category
notices-create = Publish
notices-favourite = Favourite
notices-favourite-action = Add to favourites
notices-help-desk = Help-desk briefing (every help-desk member must acknowledge)
notices-missing = Not yet
notices-new = New notice
notices-read = Read
notices-languages = Languages
notices-default-language = Default language
notices-severity = Severity
notices-release = Release status
notices-act-by = Act by
notices-platforms = Affected platforms
notices-save = Save
notices-edit = Edit
notices-views = Message views
notices-view-inbox = Inbox
notices-view-favourites = Favourites
notices-view-archived = Archived
notices-view-all = All
notices-also-in = Also in
notices-message = Message
notices-facts = At a glance
notices-source = Source
notices-source-manual = Written here
notices-published = Published
notices-changed = Last changed
notices-materials = { $count ->
    [one] 1 training material
   *[other] { $count } training materials
}
notices-acknowledgments = Acknowledgments
training-add-enabled = Add as enabled
training-notices = Notices
severity-normal = Normal
severity-high = High
release-scheduled = Scheduled
release-rolling-out = Rolling out
release-launched = Launched
notices-remind = Remind those who have not
notices-reminded = { $count ->
    [one] Reminder sent to 1 person.
   *[other] Reminder sent to { $count } people.
}
notices-tags = Tags
notices-title = Title
notices-unarchive = Restore
notices-unfavourite = Remove from favourites
notices-unread = Unread
notices-updated = Updated
plan-area = Area
plan-awareness-owner = Responsible for update awareness
plan-blank-rows = Fill in an empty row to add someone; clear a row to remove it.
focus-planning = Planning
focus-help-desk = Help desk
focus-awareness = Update awareness
focus-training = Training
focus-operations = Operations
focus-not-started = Not started
focus-in-progress = In progress
focus-done = Done
plan-cadence = How often
plan-focus = Focus areas
plan-goals = Goals
plan-open-questions = Discovery questions still open
plan-owner = Owner
plan-person = Person
plan-reporting = Reporting to stakeholders
plan-responsibilities = Responsibilities
plan-save = Save the plan
plan-stakeholders = Stakeholders
plan-team = The O&M team
readiness-fail = Needs attention
readiness-item-admins = Administrators aware of feature and service updates
readiness-item-discovery = Discovery questions answered
readiness-item-help-desk = Help desk aware of changes
readiness-item-monitoring = Monitoring procedures in place
readiness-item-reacting = Ready to react to important alerts
readiness-item-training = Training current, onboarding on track
readiness-pass = Ready
tag-admin-impact = Admin impact
tag-data-privacy = Data privacy
tag-feature-update = Feature update
tag-major-update = Major update
tag-new-feature = New feature
tag-retirement = Retirement
tag-user-impact = User impact
training-audience = For
training-behind = Behind
training-completed = Completed / assigned
training-current = Current
training-enabled = Enabled
training-feature-changed = Mark changed
training-features = Features
training-mark-done = I went through it
training-mark-reviewed = Reviewed
training-materials = Training materials
training-onboarding = Onboarding
training-progress = Progress
training-stale = Out of date
condition-readiness-failing = Readiness item failing
alert-reason-readiness-failing = { $items } failing for more than { $hours ->
    [one] 1 hour
   *[other] { $hours } hours
}
notice-digest-subject = Your weekly update digest: { $count } unread
feeds-title = Vendor feeds
feeds-last-fetched = Last read
feeds-fetch = Read now
feeds-interval = Every (minutes)
feeds-add = Add feed
feeds-fetched = { $new } new, { $updated } updated.
training-new-material = New training material
training-add = Add material
training-add-feature = Add feature
training-assign = Assign
training-assign-to = Assign to
demo-feature-passkeys = Passkey sign-in
demo-material-passkeys = Passkey sign-in: what changes for administrators
demo-notice-passkeys-title = Passkey sign-in is coming to the console
demo-notice-passkeys-body = Administrators will be able to sign in with a **passkey** instead of a password. Turn the feature on once your team has gone through the training material, and tell the help desk before you do.
demo-notice-macos-title = macOS 15: the VPN profile must be installed again
demo-notice-macos-body = After the upgrade to **macOS 15**, the VPN profile stops working on some devices. When a user calls about the VPN, have them reinstall the profile from the company portal.
reason-unknown-token = The enrollment token typed or embedded in the installer does not exist: a typo, or a token from another Steward server.
reason-token-expired = The enrollment token has passed its expiry date.
reason-token-revoked = The enrollment token was revoked by an administrator.
reason-token-exhausted = The enrollment token has been used for as many devices as it allows: the device limit is reached.
reason-platform-not-allowed = The token does not allow devices of this platform: the platform is blocked for this enrollment.
reason-duplicate-device = This hardware is already enrolled; the old record must be retired before it enrolls again.
reason-malformed-request = The agent sent an incomplete enrollment request: usually an outdated agent.
reason-win-mdm-blocked = Windows: MDM enrollment is blocked for this device type by an enrollment restriction.
reason-win-device-quota = Windows: the user has reached the maximum number of devices they may join or register.
reason-win-license = Windows: the user has no valid license for device management.
reason-app-download-failed = The app could not be downloaded: network, proxy or content server problem.
reason-app-checksum = The downloaded app does not match its checksum: the download was damaged or altered.
reason-app-disk-full = Not enough free disk space to install the app.
reason-app-not-detected = The installer finished, but the app was not found afterwards (detection rule).
reason-win-1603 = Windows Installer error 1603: a fatal error during installation, often a prerequisite or a file in use.
reason-win-1618 = Windows Installer error 1618: another installation is already in progress.
reason-win-1638 = Windows Installer error 1638: another version of this product is already installed.
reason-win-disk-full = Windows: there is not enough space on the disk.
reason-win-appx-failed = Windows: the app package could not be installed (deployment failure).
reason-intune-not-detected = The app was not detected after the installation completed successfully.
reason-ios-install-command = iOS: the app installation command failed without a reason from the device.
reason-ios-network-lost = iOS: the network connection was lost during the download.
reason-app-timeout = The installation did not finish in the allowed time.
reason-app-dependency = An app or component this app needs is not installed.
reason-unknown = No explanation is known for this code yet.
invite-subject = Enroll your device
invite-body =
    Hello,

    to enroll your device, install the Steward agent and run:

    { $command }

    The token is valid for one device and one week. The server is { $server }.
nav-helpdesk = Troubleshooting
nav-kb = Knowledge base
helpdesk-find = User (e-mail address)
helpdesk-search = Search
helpdesk-requests = Requests to devices
helpdesk-request = Request
helpdesk-by = Asked by
helpdesk-answer = Answer
request-sent = Sent, waiting for the answer
request-waiting = Waiting for the next check-in
request-queued = Requested: the device gets it with its next check-in.
request-sync = Check in now
request-full-scan = Full scan
request-update-definitions = Update definitions
answer-checked-in = Checked in
answer-scan-clean = Scan finished: no threats
answer-threats-found = Threats found
answer-definitions-updated = Definitions updated
answer-no-engine = No protection engine on the device
answer-unsupported = The device does not support this
answer-failed = Failed
helpdesk-issues = Issues
helpdesk-failed-enrollments = Failed enrollments
helpdesk-failed-installs = Failed app installs
helpdesk-open-alerts = Open alerts
helpdesk-invite = Re-send enrollment invitation
helpdesk-actions = Actions
helpdesk-note = Note
helpdesk-add-note = Add note
helpdesk-why = Why, and the fix
helpdesk-installs = App installs
helpdesk-app = App
install-failed = Failed
install-installed = Installed
install-pending = Pending
helpdesk-changes = Recent changes for their platforms
invite-sent = Invitation sent.
kb-search = Search articles (any language, error codes too)
kb-results = Results
kb-gaps = Needs attention
kb-low-success = solves only { $percent } % of cases
kb-no-article = { $count ->
    [one] 1 failure
   *[other] { $count } failures
} in 30 days and no article
kb-not-helping = { $count ->
    [one] 1 failure
   *[other] { $count } failures
} in 30 days; the article rarely helps
kb-articles = Articles
kb-codes = Error codes
kb-success = Solved
kb-reviewed = Last reviewed
kb-new = New article
kb-create = Publish
kb-slug = Short name (for links)
kb-rules = Alert rules
kb-fix = Fix
kb-did-it-help = Did this solve the case?
kb-solved = Yes, solved
kb-not-solved = No
kb-revision = Revision
kb-revisions = Revisions
kb-thanks = Thank you: noted.
kb-for-alert = Article for this alert
history-enrolled = Enrolled
history-renamed = Renamed
history-os-changed = Operating system changed
history-protection-changed = Protection changed
history-compliance-changed = Compliance changed
history-inventory-changed = Inventory changed
history-secret-rotated = Secret rotated
history-retired = Retired
history-note = Note
history-request = Request from the help desk
history-request-answered = Answer from the device
history-snapshot-set-aside = The agent set a snapshot aside
history-snapshot-set-aside-detail = Snapshot { $seq } after { $attempts ->
    [one] 1 attempt
   *[other] { $attempts } attempts
}: { $reason }

## Compliance results on the device page
device-rules-tally = { $applicable ->
    [one] { $pass } of 1 applicable rule passes.
   *[other] { $pass } of { $applicable } applicable rules pass.
}
device-rules-not-applicable = { $count ->
    [one] 1 rule is about another platform and does not apply.
   *[other] { $count } rules are about another platform and do not apply.
}

## Console: forms, profile, search, inventory, relative times
console-save = Save
console-edit = Edit
console-search = Search
search-title = Search
search-label = Device name, serial number, owner or user
search-placeholder = Search devices and users
search-no-devices = No device matches these words.
search-all-devices = All matching devices
search-users = Device users
search-no-users = No device user’s address starts with these words.
profile-title = Your profile
profile-time-zone = Time zone
profile-region = Regional format
profile-region-language = The language’s own
profile-region-us = English (United States): 11/30/2026, 2:05 PM
profile-region-gb = English (United Kingdom): 30/11/2026, 14:05
profile-example = Times read like this: { $time }
time-just-now = just now
time-ago-minutes = { $count ->
    [one] 1 minute ago
   *[other] { $count } minutes ago
}
time-in-minutes = { $count ->
    [one] in 1 minute
   *[other] in { $count } minutes
}
time-ago-hours = { $count ->
    [one] 1 hour ago
   *[other] { $count } hours ago
}
time-in-hours = { $count ->
    [one] in 1 hour
   *[other] in { $count } hours
}
time-ago-days = { $count ->
    [one] 1 day ago
   *[other] { $count } days ago
}
time-in-days = { $count ->
    [one] in 1 day
   *[other] in { $count } days
}
time-ago-months = { $count ->
    [one] 1 month ago
   *[other] { $count } months ago
}
time-in-months = { $count ->
    [one] in 1 month
   *[other] in { $count } months
}
time-ago-years = { $count ->
    [one] 1 year ago
   *[other] { $count } years ago
}
time-in-years = { $count ->
    [one] in 1 year
   *[other] in { $count } years
}
rules-escalation = Escalation
rules-escalation-help = When an alert stays unacknowledged, each step notifies its channels after its number of minutes. Leave the minutes empty to remove a step.
rules-step-after = Step { $step }: after (minutes)
rules-escalation-steps = { $count ->
    [one] 1 escalation step
   *[other] { $count } escalation steps
}
rules-all-devices = All devices
rules-none = No alert rule yet.
channels-none = No notification channel yet.
channels-new-secret = New secret (empty: keep the current one)
rule-param-days = { $count ->
    [one] more than 1 day
   *[other] more than { $count } days
}
rule-param-hours = { $count ->
    [one] no check-in for 1 hour
   *[other] no check-in for { $count } hours
}
rule-param-free = less than { $count } % free
rule-param-failures = { $count ->
    [one] more than 1 failure in { $minutes } min
   *[other] more than { $count } failures in { $minutes } min
}
rule-param-share = more than { $percent } % of { $platform }: { $health }
rule-param-all-platforms = all platforms
rule-param-minutes = { $count ->
    [one] for more than 1 minute
   *[other] for more than { $count } minutes
}
policies-requirement = Requirement
policies-required = Required
policies-days = days at most
policy-field-min-os = Minimum OS version: { $platform }
policy-field-protection-required = Endpoint protection with malware protection on
policy-field-realtime-protection-required = Real-time protection on
policy-field-no-active-threats = No active threats
policy-field-firewall-required = Firewall on
policy-field-disk-encryption-required = Disk encryption
policy-field-signatures-max-age-days = Age of signatures
policy-field-checked-in-within-days = Last check-in
policies-empty-help = A row left empty or unticked is not part of the policy. Versions are dotted numbers (15, 10.0.19045).
policies-hours = { $count ->
    [one] 1 hour
   *[other] { $count } hours
}
policies-none = No compliance policy yet: every device counts as not evaluated.
silences-minutes-from-now = Ends in (minutes from now)
silences-none = No silence: every alert is notified.
device-actions = Device actions
device-rotate = Rotate secret
device-rotate-confirm = The device receives a new secret at its next check-in. Go on?
device-rotation-pending = Requested: the device receives its new secret at its next check-in.
device-retire = Retire
device-retire-confirm = Retire this device? It can no longer check in; its record and history stay.
device-note = Note for the help desk
device-add-note = Add the note
device-no-group = No group
device-no-engine = No engine reported
device-no-detections = No detection reported.
device-no-rules = No compliance policy applies to this device.
device-no-alerts = No alert for this device.
device-no-inventory = The device has not sent its inventory yet.
device-no-history = No history yet.
device-threat-state = Threat state
inventory-empty-list = none
inventory-unknown = unknown ({ $reason })
inventory-model = Model
inventory-cpu-model = Processor
inventory-cpu-count = Processor cores
inventory-memory = Memory
inventory-boot-time = Started
inventory-logged-in = Signed-in users
inventory-pending-updates = Pending updates
inventory-os-release = Operating system
inventory-updates = { $count ->
    [one] 1 update
   *[other] { $count } updates
} ({ $security ->
    [one] 1 security
   *[other] { $security } security
})
inventory-disks = Disks
inventory-mount = Mount point
inventory-fs = File system
inventory-size = Size
inventory-free = Free
history-compliance-evaluated = Compliance evaluated
history-health-changed = Health changed
history-enrolled-group = Group: { $group }
fact-secure-boot = Secure Boot
fact-screen-lock = Screen lock
alerts-none = No alert matches these filters.
alerts-open-totals = { $count ->
    [one] 1 open alert
   *[other] { $count } open alerts
}: { $critical } critical, { $warning } warning
devices-total = { $count ->
    [one] 1 device
   *[other] { $count } devices
}
devices-none = No device matches these filters.
devices-columns = Columns
console-page-size = Per page
audit-ok = Done
audit-denied = Denied
audit-none = No audit entry matches these filters.
invite-not-mailed = E-mail is off, so nothing was sent. Give the user this single-use enrollment token (valid for 7 days) and the command that uses it; they are shown only once.
attempt-retire-existing = Open the enrolled record to retire it
enrollments-none = No enrollment attempt matches these filters.
threat-clean = No threat
threat-pending-full-scan = Full scan needed
threat-pending-reboot = Restart needed
threat-pending-manual = Manual steps needed
compliance-not-reported = Not reported by the device
compliance-firewall-off = The firewall is off
compliance-disk-not-encrypted = The disk is not encrypted
compliance-last-checkin = { $days ->
    [one] Last check-in 1 day ago
   *[other] Last check-in { $days } days ago
}

install-state-pending = Pending
install-state-available = Available
install-state-downloading = Downloading
install-state-installing = Installing
install-state-removing = Removing
install-state-installed = Installed
install-state-removed = Removed
install-state-failed = Failed
install-state-not-applicable = Not applicable
install-state-blocked = Blocked
install-state-timed-out = Timed out
install-state-mismatch = Inventory disagrees
install-state-unknown = Unknown
assign-intent-required = Required
assign-intent-available = Available
assign-intent-uninstall = Uninstall
agent-apps-none = No apps are offered to this device.
agent-apps-offline = The app list could not be fetched ({ $message }); showing the one held.
agent-app-unknown = No app named “{ $app }” is offered to this device.
agent-app-result = { $name } { $version }: { $state }
agent-app-line = { $name } { $version } ({ $intent }): { $state }
reason-app-script-failed = A script of the package failed while it was installed or removed.
reason-app-busy = Another installation was running on the device; it is tried again.
reason-app-bad-package = The package file is damaged or not a Debian package.
reason-app-architecture = The package is built for another processor architecture than the device’s.
reason-app-not-root = The agent does not run with administrator rights, so it cannot install apps.
reason-app-package-not-found = The device’s package sources do not offer this package or version.
reason-app-install-failed = The package manager refused the installation; its message tells why.
reason-app-no-answer = The device did not report on the app before the deadline.
reason-app-inventory = The device reports the app installed, but its software inventory does not list it (or the other way round).
reason-app-wrong-platform = The app’s package is for another platform.

nav-apps = Apps
apps-intro = Apps delivered to devices by plan: the catalog, its versions and where each assignment stands.
apps-new = Add an app
apps-name = App
apps-publisher = Publisher
apps-description = Description
apps-create = Add the app
apps-versions = Versions
apps-assignments = Assignments
apps-none = No apps in the catalog yet.
apps-version = Version
apps-platform = Platform
apps-kind = Package type
apps-package = Package
apps-added = Added
apps-no-versions = No versions yet.
apps-add-version = Add a version
apps-upload-help = Upload a Debian package through the API: its name, version and architecture are read from the package. Other versions are named below.
apps-intent = Assignment type
apps-progress = Install status
apps-deadline = Deadline
apps-no-assignments = Not assigned to any device yet.
apps-assign = Assign
apps-group = Device group (empty: all devices)
apps-start = Start
apps-time = Time
apps-waves = Waves
apps-gate = Gate (% succeeded)
apps-target = Target by the deadline (%)
apps-failure-threshold = Alert above failures (%)
apps-waves-help = Waves: shares of the devices, rising (10, 50, 100), or device groups as rings (pilot, 100). The next wave starts when the gate is met.
apps-paused = Paused
apps-paused-help = No device starts this assignment until it is resumed.
apps-resume = Resume
apps-pause = Pause
apps-retry-failed = Retry every failed device
apps-change-version = Deliver another version
apps-states = Devices by state
apps-targets = Devices targeted
apps-no-targets = No devices.
apps-wave = Wave
apps-succeeded = Succeeded
apps-failed = Failed
apps-phase = Stage
apps-wave-done = Done
apps-wave-started = Running
apps-wave-waiting = Waiting for the gate
apps-gate-text = The next wave starts when { $percent } % of a wave’s devices have reached the goal.
apps-errors = Errors
apps-error = Error
apps-devices = Devices
apps-article = Troubleshooting article
apps-no-errors = No errors.
apps-all-states = All states
apps-state = State
apps-detail = Detail
apps-updated = Updated
apps-attempt = attempt { $count }
apps-retry = Retry install
apps-retry-queued = Retry requested: the device starts again at once.
apps-device-none = No apps assigned to this device.
apps-kind-deb = Debian package (uploaded)
apps-kind-apt = Debian package (apt sources)
apps-kind-msi = Windows Installer (MSI)
apps-kind-win32 = Windows app (Win32)
apps-kind-pkg = macOS package (PKG)
apps-kind-store = Store app

readiness-item-apps = Application distribution performing to plan
readiness-apps-behind = { $app }: { $percent } % reached the goal by the deadline; the plan asks for { $target } %.
readiness-apps-failing = { $app }: { $percent } % of wave { $wave } failed (threshold { $threshold } %).
readiness-apps-ok = { $count ->
    [one] The one app assignment is on plan.
   *[other] All { $count } app assignments are on plan.
}

readiness-apps-none = No apps are assigned yet: nothing is behind plan.

helpdesk-app-attempts = App install attempts

condition-app-failing = App rollout failing
condition-app-behind-plan = App deployment behind plan
alert-reason-app-failing = Failures above the threshold in the running wave: { $apps }.
alert-reason-app-behind = Past the deadline with less than the target installed: { $apps }.

request-apps = Retry app install
answer-apps-refreshed = App list fetched again

report-period = { $from } to { $to }
report-devices-total = Devices
report-dim-compliance = Compliance
report-dim-health = Endpoint protection
report-dim-checkin = Last check-in
report-dim-platform = Platform
report-rule-failing = Failing { $rule }
report-alerts-opened = Alerts opened
report-alerts-resolved = Alerts resolved
report-alerts-ack-time = Mean time to acknowledge
report-alerts-resolve-time = Mean time to resolve
report-alerts-opened-severity = Alerts opened: { $severity }
report-enrollments-succeeded = Enrollments succeeded
report-enrollments-refused = Enrollments refused
report-enrollments-refused-reason = Refused: { $reason }
report-readiness-passing = Readiness items met
report-kb-solved = Answers “this solved it”
report-kb-answers = Answers on articles
report-kb-solve-rate = Solve rate
report-announcements-targets = Devices targeted by announcements
report-announcements-delivered = Announcements delivered
report-announcements-read = Announcements read
report-section-devices = Devices
report-section-policies = Policies performing to plan
report-section-alerts = Alerts
report-section-enrollments = Enrollments
report-section-apps = App installs
report-section-readiness = Readiness checklist
report-section-knowledge = Knowledge base
report-section-announcements = Announcements
report-hours = { $hours } h
report-mail-subject = { $name }: { $period }
report-figure = Figure
report-value = Value
report-change = Change
report-made-at = Made by Steward on { $time }.
report-no-figures = No figures for this period yet.

report-title = Fleet report

report-compared = { $days ->
    [one] Change: against the day before.
   *[other] Change: against the { $days } days before.
}

nav-reports = Reports
reports-rolled = { $count ->
    [one] 1 day with figures
   *[other] { $count } days with figures
}
reports-days = { $count ->
    [one] 1 day
   *[other] { $count } days
}
reports-sent-to = { $count ->
    [one] sent to 1 recipient
   *[other] sent to { $count } recipients
}
reports-period = Period
reports-csv = Download CSV
reports-pdf = Download PDF
reports-schedules = Scheduled reports
reports-no-group = No group
reports-back = Back to the reports
reports-schedules-intro = Each scheduled report is e-mailed to its recipients as a summary with the PDF and CSV attached, once per period, in each recipient’s language.
reports-no-mail = No SMTP server is configured: scheduled reports cannot be sent.
reports-new = Schedule a report
reports-name = Name
reports-sections = Sections
reports-cadence = Every
reports-weekly = Week
reports-monthly = Month
reports-weekday = Day of the week
reports-day-of-month = Day of the month
reports-hour = Hour
reports-time-zone = Time zone
reports-groups = Device groups (comma-separated; empty: every device)
reports-recipients = Recipients
reports-recipients-help = One per line: a user’s e-mail address (they get it in their language and time zone), or any address followed by a language code (en-US, fr, sv, de, ko).
reports-create = Schedule
reports-when = When
reports-next = Next
reports-history = Sent
reports-manual = sent now by hand
reports-none = No scheduled reports yet.
reports-send-now = Send now
reports-weekly-at = Every { $day } at { $hour } ({ $zone })
reports-monthly-at = On day { $day } of every month at { $hour } ({ $zone })
weekday-monday = Monday
weekday-tuesday = Tuesday
weekday-wednesday = Wednesday
weekday-thursday = Thursday
weekday-friday = Friday
weekday-saturday = Saturday
weekday-sunday = Sunday

report-minutes = { $minutes } min

plan-report = Scheduled report
plan-no-report = None yet
nav-remediation = Remediation
nav-remediations = Remediations
nav-scripts = Scripts
nav-approvals = Approvals
action-awaits-approval = Sent for approval: another administrator must approve it before it runs.
action-collect-diagnostics = Collect diagnostics
action-lock = Lock
action-logoff = Log off users
action-logoff-confirm = Log every signed-in user off this device? Unsaved work is lost.
action-quarantine = Quarantine
action-quarantine-all = Quarantine on every device
action-quarantine-all-confirm = Quarantine this threat on every device that reports it?
action-restart = Restart
action-restart-delay = Minutes before restarting
action-restart-message = Message to the user
action-run-script = Run script
action-script = Script
action-sent = { $count ->
    [one] Sent to { $count } device.
   *[other] Sent to { $count } devices.
}
action-wipe = Wipe
action-wipe-confirm = Wipe this device? Everything on it is erased once another administrator approves.
answer-diagnostics-uploaded = Diagnostics uploaded
answer-hash-mismatch = Refused: the script is not the one Steward vouched for
answer-locked = Locked
answer-logged-off = Users logged off
answer-quarantined = Quarantined
answer-restart-scheduled = Restart scheduled
answer-script-failed = The script failed
answer-script-succeeded = The script succeeded
answer-superseded = Replaced by a newer version
answer-timed-out = Stopped: it ran out of time
answer-no-answer = No answer from the device in time
answer-wiped = Wiped
approval-approved = Approved
approval-pending = Awaiting approval
approval-refused = Refused
approval-remediation = Remediation “{ $name }” (new version)
approvals-approve = Approve
approvals-decided = Decided
approvals-decision = Decision
approvals-intro = Wipes, restarts of many devices and script versions that reach many devices wait here until an administrator other than the one who asked approves them.
approvals-none = Nothing waits for approval.
approvals-note = Note
approvals-pending = Awaiting approval
approvals-refuse = Refuse
approvals-requested = Requested
approvals-what = Request
approvals-yours = Your request: another administrator decides.
device-diagnostics = Diagnostics
device-diagnostics-size = { $count ->
    [one] { $count } KiB
   *[other] { $count } KiB
}
history-remediation = Remediation
remediation-all-groups = All groups
remediation-attempt = Attempt { $attempt } of { $count }
remediation-by-group = By group
remediation-detect-only = Detection only
remediation-device = Device
remediation-devices = { $count ->
    [one] { $count } device
   *[other] { $count } devices
}
remediation-failure-rate = { $count ->
    [one] { $count } % failed
   *[other] { $count } % failed
}
remediation-failing = Failing devices
remediation-next = Next attempt: { $time }
remediation-output = Output
remediation-output-after = Detection after the fix
remediation-output-detect = Detection
remediation-output-fix = Fix
remediation-rerun = Run again on failed devices
remediation-state = State
remediation-state-detected = Issue detected
remediation-state-fix-failed = Fix failed
remediation-state-fixed = Fixed
remediation-state-no-issue = Without issues
remediation-state-not-applicable = Not applicable
remediation-state-pending = Pending
remediation-state-remediating = Remediating
remediation-state-script-error = Script error
remediation-waiting = This version reaches many devices: it runs once another administrator approves it.
remediations-alert-percent = Alert when failures pass (%)
remediations-approval-help = A remediation that reaches more devices than the approval threshold runs once another administrator approves it; so does every new version of its scripts.
remediations-create = Create remediation
remediations-detect = Detection script
remediations-devices = Devices
remediations-every-hours = Run again every (hours, 0: once)
remediations-fix = Remediation script
remediations-intro = A detection script checks each device (exit 0: no issue, exit 1: issue found); when it finds the issue, the remediation script fixes it and the detection runs again. A failing fix is retried later, each wait twice the one before.
remediations-max-attempts = Attempts
remediations-name = Name
remediations-new = New remediation
remediations-no-scripts = Add a detection script first.
remediations-none = No remediations yet.
remediations-retry-minutes = First retry after (minutes)
remediations-trigger-rule = Only on devices failing the rule
request-remediate = Remediation
script-shell-bash = Bash (Linux, macOS)
script-shell-powershell = PowerShell (Windows)
script-shell-sh = Shell (Linux, macOS)
script-shell-zsh = zsh (macOS)
scripts-changed = Changed
scripts-clear = Clear this version for the help desk
scripts-cleared-version = Version { $version }
scripts-content = Script
scripts-create = Add script
scripts-description = Description
scripts-edit = Change
scripts-edit-reruns = A new text is a new version: every remediation running this script runs again.
scripts-exit-codes = As a detection script: exit 0 when all is well, exit 1 when the issue is there.
scripts-hash = SHA-256
scripts-helpdesk = Help desk
scripts-intro = Every version of a script is kept and named by its SHA-256; devices run a script only when its text matches the hash Steward sends.
scripts-name = Name
scripts-new = New script
scripts-none = No scripts yet.
scripts-not-cleared = Not cleared
scripts-seconds = { $count ->
    [one] { $count } s
   *[other] { $count } s
}
scripts-shell = Shell
scripts-timeout = Time limit (seconds)
scripts-version = Version
scripts-versions = Versions

condition-remediation-failing = Remediation failing
alert-reason-remediation-failing = Failures above the threshold: { $remediations }.
readiness-item-remediation = Remediations fixing what they find
readiness-remediation-failing = { $remediation }: { $percent } % of the devices it finished on failed (threshold { $threshold } %).
readiness-remediation-ok = { $count ->
    [one] The one remediation with a failure threshold is below it.
   *[other] All { $count } remediations with a failure threshold are below it.
}
readiness-remediation-none = No remediation sets a failure threshold yet: nothing to watch.
report-section-remediations = Remediation outcomes
jobs-running = { $total ->
    [one] Evaluating every device again ({ $reason }): { $done } of { $total } device done
   *[other] Evaluating every device again ({ $reason }): { $done } of { $total } devices done
}
jobs-queued = Every device will be evaluated again ({ $reason }): waiting to start
jobs-reason-policy = compliance policy changed
jobs-reason-rule = alert rule changed
jobs-resolving = { $total ->
    [one] Resolving the open alerts of a deleted alert rule: { $done } of { $total } alert resolved
   *[other] Resolving the open alerts of a deleted alert rule: { $done } of { $total } alerts resolved
}
jobs-resolving-queued = The open alerts of a deleted alert rule will be resolved: waiting to start
