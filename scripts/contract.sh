#!/usr/bin/env bash
# The contract run: Schemathesis (from PyPI, in a virtual environment under target/) against
# a seeded `steward serve` on loopback, with every check, response schemas included. Fails on
# any failure. Usage: scripts/contract.sh [path to the steward binary] [examples per operation]
set -euo pipefail
cd "$(dirname "$0")/.."

steward=${1:-target/release/steward}
examples=${2:-${STEWARD_CONTRACT_EXAMPLES:-25}}
schemathesis_version=4.32.5
venv=target/contract-venv

if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  echo "installing schemathesis $schemathesis_version"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$schemathesis_version"
fi

dir=$(mktemp -d /tmp/steward-contract.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# Nothing leaves the machine: schemathesis creates channels and feeds with any address.
# Every operation is also tried with a wrong token, all from this one address: the unknown
# token throttle (twenty times `auth.lockout_after`) is raised above their number, so each
# answers 401 as the check expects rather than 429.
STEWARD_OUTBOUND__ENABLED=false STEWARD_AUTH__LOCKOUT_AFTER=50 STEWARD_LANG=en "$steward" serve --data-dir "$dir" \
  --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"; }
trap stop EXIT
for _ in $(seq 1 100); do
  curl -sf "$base/healthz" >/dev/null && break
  sleep 0.1
done
curl -sf "$base/healthz" >/dev/null || { cat "$dir/serve.log"; echo "the server did not start" >&2; exit 1; }

token=$("$steward" token create --role admin --data-dir "$dir" | awk 'END {print $NF}')
enroll=$("$steward" enroll-token create --data-dir "$dir" | awk 'END {print $NF}')
# A small fleet, so lists, devices and alerts have something in them.
"$steward" sim --server "$base" --enroll-token "$enroll" --devices 25 --interval 2 --duration 4 >/dev/null
api() { curl -sf -X "$1" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d "$3" "$base$2" >/dev/null; }
api POST /api/v1/policies '{"name": "Baseline", "grace_hours": 24, "rules": [{"rule": "realtime_protection_required"}, {"rule": "min_os_version", "platform": "windows", "version": "10.0.19045"}]}'
api POST /api/v1/alert-rules '{"name": "Threat", "severity": "critical", "condition": {"type": "active_threat"}}'
api POST /api/v1/notices '{"title": {"en": "New VPN client"}, "body": {"en": "Sign in again on Monday."}, "help_desk": true, "tags": ["user_impact"], "category": "plan_for_change"}'
api POST /api/v1/users '{"email": "desk@example.org", "roles": ["helpdesk"], "password": "a long password 1"}'

export SCHEMATHESIS_HOOKS=tests.contract.hooks
# One worker: with two, Hypothesis describing its strategies from two threads at once can make
# Python 3.11's parser fail ("AST constructor recursion depth mismatch"), a runtime error of
# the tool rather than a finding.
"$venv/bin/st" --config-file tests/contract/schemathesis.toml run "$base/api/v1/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $token" \
  --max-examples "$examples" \
  --phases examples,coverage,fuzzing \
  --seed 1 \
  --workers 1 \
  --request-timeout 30 \
  --no-color \
  --report junit --report-dir "${STEWARD_CONTRACT_REPORT:-target/contract-report}"
