#!/bin/sh
# Makes a fresh Debian/Ubuntu clone ready to run: npm packages, then MariaDB server + client, PostgreSQL (server,
# client programs and pgbench in one package), pigz and sysbench (tests, local demo, bench), Java 17 (DynamoDB
# Local), Chromium (the console's browser tests) and bubblewrap (the runner's Fargate-shaped sandbox). Installs with
# apt when running as root; otherwise says what to install. Idempotent.
set -e
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "keepsake setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

missing=""
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing="$missing mariadb-server"
command -v mariadb >/dev/null 2>&1 || missing="$missing mariadb-client"
# Debian keeps each major version's programs out of PATH (scripts/local/postgres.ts looks there).
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$missing postgresql"
command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jre-headless"
command -v pigz >/dev/null 2>&1 || missing="$missing pigz"
command -v igzip >/dev/null 2>&1 || missing="$missing isal"
command -v sysbench >/dev/null 2>&1 || missing="$missing sysbench"
[ -x /usr/bin/time ] || missing="$missing time"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
# Local mode and the tests run the runner in a sandbox shaped like its Fargate task (scripts/local/fargateTask.ts).
command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"

if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "keepsake setup: installing$missing with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "keepsake setup: missing Debian packages:$missing" >&2
    echo "  install them with: sudo apt-get install -y$missing" >&2
    exit 1
  fi
fi

# Commit messages: subject <= 72 characters, blank line, body (.githooks/commit-msg).
if [ -d .git ] && [ "$(git config core.hooksPath)" != ".githooks" ]; then git config core.hooksPath .githooks; fi
