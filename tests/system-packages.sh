#!/bin/sh
# What `make test` needs from the system beyond Python packages. As root on Debian/Ubuntu, install
# what is missing; otherwise name it: the tests that need it are skipped, each saying why
# (tests/machine.py). Postgres and Redis are started by the test run itself when they can be.
set -eu

# package:command that shows it is there
NEEDS="ffmpeg:ffmpeg espeak-ng:espeak-ng chromium:chromium chromium-driver:chromedriver
postgresql:pg_ctlcluster redis-server:redis-server"

missing=""
for need in $NEEDS; do
  command -v "${need#*:}" >/dev/null 2>&1 || missing="$missing ${need%%:*}"
done
# `python3 -m venv` needs ensurepip, which Debian ships apart
python3 -c 'import ensurepip' 2>/dev/null || missing="$missing python3-venv"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "make test: not installed:$missing. As root on Debian/Ubuntu, \`make test\` installs them;"
  echo "until then the tests that need them are skipped, each saying why."
  case "$missing" in *python3-venv*) echo "python3-venv is needed to make the venv." >&2; exit 1 ;; esac
  exit 0
fi

echo "make test: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null

# A Postgres installed just now: let the tests log in from 127.0.0.1 as postgres without a password
# (tests/pg.py), as on a CI machine. An existing installation's rules are left alone.
case "$missing" in *postgresql*)
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
    version=$(basename "$(dirname "$(dirname "$hba")")")
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
  done ;;
esac
