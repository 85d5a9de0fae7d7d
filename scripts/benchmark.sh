#!/usr/bin/env bash
# The national-scale benchmarks (docs/benchmarks.md), as `make benchmark` runs them.
#
#   bash scripts/benchmark.sh [sweep|recompute|pages|report]...   (default: all four, in that order)
#
# Uses the test services (scripts/services.sh: PostgreSQL and Redis on loopback) and a database of its own,
# cqcportal_national (CQC_BENCH_DB), which it creates, migrates and fills with `seed_national` once; later runs
# reuse it. The sweep builds and drops a database of its own for each run. wrk comes from Debian's packages.
# Figures go to docs/benchmarks.json; `report` writes docs/benchmarks.md's results and docs/benchmarks-pages.png.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=.venv/bin/python
BENCH_DB="${CQC_BENCH_DB:-cqcportal_national}"
PARTS=("$@")
[[ ${#PARTS[@]} -gt 0 ]] || PARTS=(sweep recompute pages report)

log() { echo "benchmark: $*" >&2; }

bash scripts/services.sh start
eval "$(bash scripts/services.sh env)"
if ! command -v wrk >/dev/null; then
    log "installing wrk (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
fi

export DJANGO_SETTINGS_MODULE=cqcportal.test_settings
SERVER_URL="${DATABASE_URL%/*}"
export DATABASE_URL="$SERVER_URL/$BENCH_DB"

national_ready() {
    if ! psql "$SERVER_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'" | grep -q 1; then
        log "creating the database $BENCH_DB"
        psql "$SERVER_URL/postgres" -qc "CREATE DATABASE $BENCH_DB"
    fi
    $PY manage.py migrate --noinput -v 0
    local locations
    locations="$(psql "$DATABASE_URL" -tAc 'SELECT count(*) FROM register_location')"
    if [[ "$locations" -eq 0 ]]; then
        log "building the national register in $BENCH_DB (a few minutes)"
        $PY manage.py seed_national
    else
        log "reusing the national register in $BENCH_DB ($locations locations)"
    fi
}

for part in "${PARTS[@]}"; do
    case "$part" in
        sweep) $PY manage.py benchmark sweep ;;
        recompute) national_ready; $PY manage.py benchmark recompute ;;
        pages) national_ready; $PY manage.py benchmark pages ;;
        report) $PY manage.py benchmark report ;;
        *) log "unknown part: $part (sweep, recompute, pages or report)"; exit 2 ;;
    esac
done
