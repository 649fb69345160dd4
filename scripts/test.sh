#!/usr/bin/env bash
# Runs every test: formatting, lints, unit tests, the integration suite twice (on SQLite and on
# a PostgreSQL server this script starts in a temporary directory), the browser suite, the
# contract run (Schemathesis against the generated OpenAPI document), a short fuzz run of
# the agent API and a small run of the alert rule bench on each backend (which fails unless
# the rule opened an alert for every silent device), then builds the Debian packages of the
# server and the agent and checks them.
# Installs what is missing (Debian packages: PostgreSQL, ClamAV, aiosmtpd, Chromium, Noto CJK
# fonts, poppler-utils, promtool, Node, python3-venv, lintian; the browser suite's npm packages; Schemathesis from
# PyPI; cargo-deb from crates.io) and fails loudly when a suite cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step names the seconds since the start, so a slow run's log shows where its time went.
say() { printf '\n== %s (%d s in)\n' "$*" "$SECONDS"; }
need_apt=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need_apt+=(postgresql)
command -v cc >/dev/null || need_apt+=(build-essential)
# ClamAV for the endpoint-protection tests (clamscan, sigtool); no signature download is needed.
{ command -v clamscan && command -v sigtool; } >/dev/null || need_apt+=(clamav)
# clamd and clamdscan for the tests of detections made by the daemon (started by the test on a
# private socket; the package's own service is not used).
{ command -v clamd || [ -x /usr/sbin/clamd ]; } >/dev/null && command -v clamdscan >/dev/null || need_apt+=(clamav-daemon)
# A real SMTP server process for the e-mail notification tests (Python's aiosmtpd).
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || need_apt+=(python3-aiosmtpd)
# The browser suite: Debian's Chromium, CJK fonts for the Korean screenshots, Node for Playwright.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
# The report tests read the PDFs' text with pdftotext (poppler-utils); the server sets PDF
# text in the Noto CJK font (above).
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
# /metrics is checked with promtool (Debian package prometheus; its server is not started).
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
# The contract run installs Schemathesis into a virtual environment.
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
# The package check: lintian (cargo-deb itself comes from crates.io, in scripts/packages.sh).
command -v lintian >/dev/null || need_apt+=(lintian)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

say "format and lints"
cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings

say "build"
cargo build --release --all-targets

# The integration tests spend most of their time waiting (on the log's flush, on servers they
# start, on timers): with the harness's default of a test per core, two cores stay about half
# idle. More at once shortens the suites (docs/benchmarks.md, "Test run time").
say "unit and integration tests on SQLite"
cargo test --release --workspace -- --test-threads 4

say "fuzz: random and mutated enrollments and check-ins through the real server"
target/release/steward bench fuzz --inputs 30000 --workers 32

say "alert rule bench: a new rule covers 10,000 devices, an alert for every silent one"
bench_dir=$(mktemp -d /tmp/steward-bench.XXXXXX)
target/release/steward bench alert-rule --devices 10000 --data-dir "$bench_dir"
rm -rf "$bench_dir"

say "contract: Schemathesis, every check, against a seeded server"
bash scripts/contract.sh target/release/steward

say "Debian packages: steward and steward-agent, built and checked"
bash scripts/packages.sh

say "browser tests (Chromium) against the demo fleet"
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
STEWARD_BIN="$PWD/target/release/steward" node --test --test-concurrency=1 \
  tests/browser/console.test.mjs tests/browser/pages.test.mjs

say "starting PostgreSQL"
pg_dir=$(mktemp -d /tmp/steward-pg.XXXXXX)
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_pg() { run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap stop_pg EXIT
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log"; echo "PostgreSQL initdb failed" >&2; exit 1; }
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pg_dir -c max_connections=400 -c fsync=on" start \
  || { cat "$pg_dir/server.log"; echo "PostgreSQL did not start" >&2; exit 1; }

say "integration tests on PostgreSQL (port $port)"
STEWARD_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" \
  cargo test --release --workspace --test api -- --test-threads 6

say "alert rule bench on PostgreSQL"
run_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres steward_bench
target/release/steward bench alert-rule --devices 10000 \
  --database-url "postgres://postgres@127.0.0.1:$port/steward_bench"

say "all suites passed"
