#!/usr/bin/env bash
# Check-ins beside a flood of wrong sign-ins: `steward bench checkin` on a fresh server, idle,
# then with N clients sending wrong passwords in a loop (default 48), then the same with the
# per-address throttle out of the way (so only the hashing pool stands between the flood and
# the check-ins). Prints one line per case: check-in rate, p99, the server's peak RSS and CPU.
# Usage: scripts/bench-login-flood.sh [bad sign-in clients] [seconds] [devices]
set -euo pipefail
cd "$(dirname "$0")/.."
steward=${STEWARD:-target/release/steward}
clients=${1:-48}
secs=${2:-15}
devices=${3:-10000}

run() {
  local name=$1 flood=$2; shift 2
  local dir port pid out
  dir=$(mktemp -d /tmp/steward-flood.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  env "$@" "$steward" serve --data-dir "$dir" --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  token=$("$steward" enroll-token create --data-dir "$dir" | awk 'END {print $NF}')
  cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  out=$("$steward" bench checkin --server "http://127.0.0.1:$port" --enroll-token "$token" \
    --devices "$devices" --concurrency 64 --duration "$secs" --bad-logins "$flood" | tail -n 1)
  cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  python3 - "$name" "$out" "$hwm" "$rss" "$cpu0" "$cpu1" <<'EOF'
import json, os, sys
name, out, hwm, rss, cpu0, cpu1 = sys.argv[1], json.loads(sys.argv[2]), *map(int, sys.argv[3:5]), *map(int, sys.argv[5:7])
hz = os.sysconf("SC_CLK_TCK")
cpu = (cpu1 - cpu0) / hz
print(f"{name:<28} {out['throughput_per_s']:>8.0f}/s  p50 {out['p50_ms']:>6.2f} ms  p99 {out['p99_ms']:>7.2f} ms  "
      f"peak RSS {hwm/1024:>6.0f} MiB  RSS after {rss/1024:>6.0f} MiB  server CPU {cpu:>5.1f} s "
      f"({cpu * 1e6 / max(out['checkins'], 1):.0f} us/check-in)  sign-ins {out.get('login_answers', {})}")
EOF
}

run "idle" 0
run "$clients bad sign-ins" "$clients"
run "$clients bad sign-ins, no throttle" "$clients" STEWARD_AUTH__LOCKOUT_AFTER=100000000
