#!/usr/bin/env bash
# The README's test command: install what the tests need (PostGIS included) and run them.
#   bash scripts/test.sh [pytest args...]
# Uses the active virtual environment, or creates .venv. Installs Debian's PostGIS package
# (and Chromium + CJK fonts for the map tests) when missing, starts PostgreSQL when it is
# down, and runs pytest; the tests create and drop their own throwaway database.
# With CI=true a PostGIS test that cannot run fails the run; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }

# --- Python environment -------------------------------------------------------------
if [[ -z "${VIRTUAL_ENV:-}" ]]; then
    if [[ ! -x .venv/bin/python ]]; then
        log "creating .venv"
        python3 -m venv .venv
    fi
    # shellcheck disable=SC1091
    source .venv/bin/activate
fi
log "installing yangpu_gis with test extras into ${VIRTUAL_ENV}"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[test]"

# --- system packages ---------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=()
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
installed fonts-noto-cjk || need+=(fonts-noto-cjk)
if (( ${#need[@]} )); then
    log "installing Debian packages: ${need[*]}"
    if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- PostgreSQL server --------------------------------------------------------------
export YANGPU_GIS_TEST_PG="${YANGPU_GIS_TEST_PG:-postgresql://postgres@127.0.0.1:5432/postgres}"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "starting PostgreSQL"
    for ver in /etc/postgresql/*; do
        pg_ctlcluster --skip-systemctl-redirect "$(basename "$ver")" main start || true
    done
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

# --- lint, then tests ----------------------------------------------------------------
log "ruff"
ruff check .
log "import layering contract (lint-imports)"
lint-imports
log "pytest"
python -m pytest --durations=25 "$@"
