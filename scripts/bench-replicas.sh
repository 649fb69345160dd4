#!/usr/bin/env bash
# Check-ins through 1, 2 and 3 `steward serve` replicas on one PostgreSQL (started here, in a
# temporary directory, on loopback): `steward bench checkin` spreads its connections over the
# replicas, and reports over the timed loop the CPU PostgreSQL (the postmaster and its
# backends) and each replica spent per check-in. Each count runs on a fresh database.
# Usage: scripts/bench-replicas.sh [seconds] [devices] [writers per replica: 0 for the
#          default (2 on PostgreSQL), "auto" for 2 divided among the replicas (2, 1, 1)]
#          [replica counts, e.g. "1 2 3"] [mode: unchanged|changing]
set -euo pipefail
cd "$(dirname "$0")/.."
steward=$(realpath "${STEWARD:-target/release/steward}")
secs=${1:-15}
devices=${2:-10000}
writers=${3:-0}
counts=${4:-1 2 3}
mode=${5:-unchanged}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_dir=$(mktemp -d /tmp/steward-bench-pg.XXXXXX)
pg_port=$(free_port)
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
servers=()
cleanup() {
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; done
  run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -o \
  "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir -c max_connections=200 -c fsync=on" \
  start >/dev/null
postmaster=$(head -n 1 "$pg_dir/data/postmaster.pid")

round=0
for n in $counts; do
  round=$((round + 1))
  db="bench_${round}_$n"
  run_pg psql -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE DATABASE $db" >/dev/null
  url="postgres://postgres@127.0.0.1:$pg_port/$db"
  token=$("$steward" enroll-token create --database-url "$url" 2>/dev/null | awk 'END {print $NF}')
  w=$writers
  [ "$writers" = auto ] && w=$(( 2 / n > 0 ? 2 / n : 1 ))
  servers=()
  list=""
  for _ in $(seq 1 "$n"); do
    port=$(free_port)
    STEWARD_CHECKIN__WRITERS=$w "$steward" serve --database-url "$url" \
      --listen "127.0.0.1:$port" >"$pg_dir/serve-$n-$port.log" 2>&1 &
    servers+=($!)
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    list="${list:+$list,}http://127.0.0.1:$port"
  done
  pids=$(IFS=,; echo "$postmaster,${servers[*]}")
  out=$("$steward" bench checkin --server "$list" --enroll-token "$token" --devices "$devices" \
    --concurrency 64 --duration "$secs" --mode "$mode" --watch-pid "$pids" | tail -n 1)
  for p in "${servers[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
  servers=()
  python3 - "$n" "$w" "$postmaster" "$out" <<'EOF'
import json, sys
n, writers, pg, out = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
cpu = out["cpu"]
pg_us = cpu[pg]["us_per_checkin"]
replicas = [v["us_per_checkin"] for k, v in cpu.items() if k != pg]
print(f"{n} replica(s), writers {writers if writers != '0' else 'default'}: {out['throughput_per_s']:>6.0f}/s  "
      f"p50 {out['p50_ms']:.2f} ms  p99 {out['p99_ms']:.2f} ms  errors {out['errors']}  "
      f"PostgreSQL {pg_us:.0f} us/check-in  replicas {sum(replicas):.0f} us/check-in "
      f"(each {', '.join(f'{r:.0f}' for r in replicas)})")
EOF
done
