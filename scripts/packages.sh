#!/usr/bin/env bash
# Builds the Debian packages of the server (`steward`) and of the agent (`steward-agent`)
# from the release build, and checks them: lintian reports no error; each is unpacked into a
# throwaway root where its binary runs and its configuration, systemd unit and maintainer
# scripts are where Debian expects them; the configuration is a conffile (kept across
# upgrades). The packages are left in target/debian/.
# Usage: scripts/packages.sh   (after `cargo build --release`)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked --quiet
command -v lintian >/dev/null || { echo "lintian is missing (apt-get install lintian)" >&2; exit 1; }

out=target/debian
rm -rf "$out"
mkdir -p "$out"
cargo deb -p steward-cli --no-build --strip --output "$out/" >/dev/null
cargo deb -p steward-agent --no-build --strip --output "$out/" >/dev/null

root=$(mktemp -d /tmp/steward-debroot.XXXXXX)
trap 'rm -rf "$root"' EXIT
fail() { echo "packages: $*" >&2; exit 1; }

check() {
  local name=$1 binary=$2 conf=$3 unit=$4
  local deb
  deb=$(ls "$out/${name}_"*.deb)
  [ "$(dpkg-deb -f "$deb" Package)" = "$name" ] || fail "$deb is not $name"
  # Errors fail the run; warnings and notes are printed.
  lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian found errors in $deb"
  mkdir -p "$root/$name/DEBIAN"
  dpkg-deb -x "$deb" "$root/$name"
  dpkg-deb -e "$deb" "$root/$name/DEBIAN"
  "$root/$name/usr/bin/$binary" --version >/dev/null || fail "$binary does not run"
  [ -f "$root/$name$conf" ] || fail "$conf is missing"
  grep -qx "$conf" "$root/$name/DEBIAN/conffiles" || fail "$conf is not a conffile"
  [ -f "$root/$name/lib/systemd/system/$unit" ] || [ -f "$root/$name/usr/lib/systemd/system/$unit" ] \
    || fail "$unit is missing"
  for s in postinst prerm postrm; do
    [ -f "$root/$name/DEBIAN/$s" ] || continue
    sh -n "$root/$name/DEBIAN/$s" || fail "$name's $s is not valid sh"
  done
  echo "$(basename "$deb"): $(dpkg-deb -f "$deb" Installed-Size) KiB installed, lintian clean of errors"
}

check steward steward /etc/steward/steward.toml steward.service
check steward-agent steward-agent /etc/steward/agent.toml steward-agent.service
# The server package makes its system user and data directory.
grep -q "adduser --system" "$root/steward/DEBIAN/postinst" || fail "the server's postinst makes no user"
