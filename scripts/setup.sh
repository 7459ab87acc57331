#!/usr/bin/env bash
# Creates .venv with the pinned dependencies (uv, from requirements.lock), and the system
# packages the tests need (ODBC drivers, Chromium). Installs what it can (as root, with apt);
# otherwise says exactly what is missing. Usage: scripts/setup.sh [runtime|test]
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-runtime}"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

apt_install() {  # apt_install PKG... : installs missing Debian packages when we are root
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} (apt-get)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
      apt-get update -q >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
    fi
  else
    say "MISSING system packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
    return 1
  fi
}

PY="$(command -v python3.11 || true)"
if [ -z "$PY" ] && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then PY="$(command -v python3)"; fi
[ -n "$PY" ] || { say "Python 3.11 is required (python3.11 not found)"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PY"
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3.11-venv || apt_install python3-venv
    "$PY" -m venv .venv
  fi
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check uv==0.13.9
fi

stamp=".venv/.installed-$what-$(cat pyproject.toml demo/pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "installing pinned dependencies ($what)"
  # Bytecode compiled now, once: where PYTHONDONTWRITEBYTECODE is set (this workplace's machines),
  # every `upflux` process would otherwise compile Dagster, GX and pandas again (about 6 s each).
  .venv/bin/uv pip install -q -p .venv/bin/python --compile-bytecode -r requirements.lock
  .venv/bin/uv pip install -q -p .venv/bin/python --no-deps -e .
  # The demo ERP generator is a package of its own (demo/); `upflux demo` needs it.
  .venv/bin/uv pip install -q -p .venv/bin/python --no-deps -e demo
  touch "$stamp"
fi
# Our own sources' bytecode (quick when current; a stale file is ignored by Python, never wrong).
.venv/bin/python -m compileall -q upflux_etl demo/hospitalis_demo >/dev/null || true

if [ "$what" = test ]; then
  apt_install unixodbc odbc-postgresql odbc-mariadb chromium || true
fi

# One random key per demo client (clients/*.yaml with a demo: section) in .env (gitignored,
# mode 600), never printed; keys already there are kept. Real hospitals' keys are set by
# their operators (docs/OPERATIONS.md).
.venv/bin/python -m upflux_etl.demo_keys .env

if [ "$what" = test ]; then
  # The database tests use the machine's PostgreSQL and MariaDB; start them if they are
  # installed but stopped (they are the machine's services, not ours to configure).
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
    say "starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null && [ -x /usr/sbin/mariadbd ]; then
    say "starting MariaDB"; start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    sleep 3
  fi
fi
