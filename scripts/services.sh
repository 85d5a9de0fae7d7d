#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis for the test suite (`make test`, CI).
#
#   bash scripts/services.sh start    install if missing, start (or reuse), wait until ready
#   bash scripts/services.sh env      print `export` lines for the test environment
#   bash scripts/services.sh stop     stop both servers (their data folders are kept)
#   bash scripts/services.sh status   say what is running
#
# Both servers listen on 127.0.0.1 only, on unusual ports so they never clash with
# a developer's own PostgreSQL (5432) or Redis (6379):
#   CQC_TEST_PG_PORT     (default 55432)
#   CQC_TEST_REDIS_PORT  (default 56379)
# Their data lives under ${TMPDIR:-/tmp}/cqcportal-test-services and is disposable:
# durability is switched off for speed, and a cluster that will not start is rebuilt.
#
# `make run` does not use this script: the demo runs on SQLite and kombu's
# filesystem transport, with no servers at all.
set -euo pipefail

PG_PORT="${CQC_TEST_PG_PORT:-55432}"
REDIS_PORT="${CQC_TEST_REDIS_PORT:-56379}"
CHROMIUM=/usr/bin/chromium

# The role, password and database the test settings connect with (see `env`).
DB_USER=cqcportal
DB_PASSWORD=cqcportal
DB_NAME=cqcportal

# One folder per port, so overriding a port gives a separate server rather than
# "reusing" one that listens somewhere else.
BASE="${TMPDIR:-/tmp}/cqcportal-test-services"
PG_DIR="$BASE/pg-$PG_PORT"         # owned by postgres: initdb and the server refuse root
PGDATA="$PG_DIR/data"
PG_SOCKET_DIR="$PG_DIR/socket"     # not /var/run/postgresql: that belongs to Debian's own cluster
PG_LOG="$PG_DIR/postgres.log"
REDIS_DIR="$BASE/redis-$REDIS_PORT"
REDIS_LOG="$REDIS_DIR/redis.log"

READY_TIMEOUT="${CQC_TEST_SERVICES_TIMEOUT:-60}"   # seconds to wait for each server

log() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

# Newest installed PostgreSQL server binaries (Debian keeps them out of PATH,
# under /usr/lib/postgresql/<major>/bin). Empty if none are installed.
pg_bindir() {
    local dir
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
    fi
}

# Run a command as the user that owns the cluster. As root that is `postgres`
# (initdb and postgres refuse to run as root); as anyone else, that user.
# `cd /` first: runuser keeps root's cwd, which postgres may not be allowed to read.
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# True if something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp,
# so it needs no extra tool).
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_until DESCRIPTION LOGFILE COMMAND...: poll COMMAND until it succeeds, or
# fail after READY_TIMEOUT seconds, pointing at the log that explains why.
wait_until() {
    local what="$1" logfile="$2"
    shift 2
    local deadline=$((SECONDS + READY_TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            [[ -f "$logfile" ]] && tail -n 20 "$logfile" >&2
            die "$what did not become ready within ${READY_TIMEOUT}s; see $logfile"
        fi
        sleep 0.2
    done
}

# ---------------------------------------------------------------------------
# Installing
# ---------------------------------------------------------------------------

# Install Debian's packages when any piece is missing, so a fresh machine (CI)
# needs nothing beyond this script. One `apt-get update`, only when needed:
# it is the slow part and needs the network.
ensure_packages() {
    local missing=()
    [[ -n "$(pg_bindir)" ]] || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    [[ -x "$CHROMIUM" ]] || missing+=(chromium)
    # Without a real font Chromium renders text as boxes in screenshots.
    dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null | grep -q 'ok installed' ||
        missing+=(fonts-liberation)
    ((${#missing[@]} == 0)) && return 0

    local sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 ||
            die "missing packages (${missing[*]}) and not root; install: postgresql redis-server chromium fonts-liberation"
        sudo=(sudo)
    fi
    log "installing missing packages: ${missing[*]}"
    # Lock::Timeout: wait for another apt/dpkg run (e.g. unattended upgrades) instead of failing.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=600 update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
        postgresql redis-server redis-tools chromium fonts-liberation
    [[ -n "$(pg_bindir)" ]] || die "PostgreSQL server binaries still missing after apt-get install"
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

pg_init() {
    local bindir="$1"
    log "creating PostgreSQL cluster in $PGDATA"
    rm -rf "$PG_DIR"
    mkdir -p "$PGDATA" "$PG_SOCKET_DIR"
    chmod 700 "$PG_DIR" "$PGDATA"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown -R postgres:postgres "$PG_DIR"
    fi
    as_pg test -w "$PG_DIR" ||
        die "the postgres user cannot write $PG_DIR; set TMPDIR to a folder it can reach (e.g. /tmp)"

    # C.UTF-8, not the environment's locale: CI may have none (initdb would pick
    # SQL_ASCII), and UPPER()/ILIKE must handle non-ASCII names.
    # Local socket: trust (the socket folder is private to postgres).
    # TCP: password, as the application connects.
    as_pg "$bindir/initdb" -D "$PGDATA" -U postgres \
        --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
        { tail -n 20 "$PG_DIR/initdb.log" >&2; die "initdb failed; see $PG_DIR/initdb.log"; }

    # Durability off: this data is thrown away, and the test suite creates and
    # drops databases constantly, which is much faster without fsyncs.
    as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF

# --- cqcportal throwaway test cluster (scripts/services.sh) ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

pg_running() {
    local bindir="$1"
    as_pg "$bindir/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

pg_start_server() {
    local bindir="$1"
    # -w: pg_ctl waits for the server and fails fast if it exits at once.
    # 9>&-: the server must not inherit the start lock (see cmd_start), or it holds it forever.
    # -o: settings of a production server whose data sit on SSD or in memory, given at every start so a reused
    # cluster has them too. With PostgreSQL's defaults (spinning disks, 128 MB of buffers) the planner scans all
    # 83,000 assessments of the national register rather than look up 300 by their index (docs/benchmarks.md).
    as_pg "$bindir/pg_ctl" start -D "$PGDATA" -l "$PG_LOG" -w -t "$READY_TIMEOUT" \
        -o "-c shared_buffers=1GB -c effective_cache_size=8GB -c random_page_cost=1.1" >/dev/null 2>&1 9>&-
}

# Create the role and database if missing; set the password every time so a
# reused cluster always matches `env`.
pg_provision() {
    local bindir="$1"
    as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres <<SQL
SELECT 'CREATE ROLE $DB_USER' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER')\gexec
-- CREATEDB, not SUPERUSER: pytest-django creates and drops its test databases.
ALTER ROLE $DB_USER WITH LOGIN CREATEDB NOSUPERUSER PASSWORD '$DB_PASSWORD';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
}

start_postgres() {
    local bindir
    bindir="$(pg_bindir)"
    # The socket path must fit in sun_path (108 bytes) or the server won't start.
    local socket="$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT"
    ((${#socket} < 100)) || die "socket path too long ($socket); set a shorter TMPDIR"

    mkdir -p "$BASE"
    chmod 755 "$BASE" # postgres must be able to walk into its own folder

    if [[ -d "$PGDATA" ]] && pg_running "$bindir"; then
        log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
    else
        if port_in_use "$PG_PORT"; then
            die "port $PG_PORT is taken by another program; set CQC_TEST_PG_PORT to a free port"
        fi
        # A cluster from another PostgreSQL major version cannot be started: rebuild.
        if [[ ! -f "$PGDATA/PG_VERSION" ]] ||
            [[ "$(cat "$PGDATA/PG_VERSION")" != "$(basename "$(dirname "$bindir")")" ]]; then
            pg_init "$bindir"
        fi
        log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        if ! pg_start_server "$bindir"; then
            # Nothing here is worth keeping (e.g. corrupted by a crash with fsync off):
            # rebuild once before giving up.
            # Keep the old log outside $PG_DIR, which pg_init wipes.
            local failed_log="$BASE/postgres-$PG_PORT.failed.log"
            cp "$PG_LOG" "$failed_log" 2>/dev/null || true
            log "PostgreSQL failed to start; rebuilding the cluster (old log: $failed_log)"
            pg_init "$bindir"
            pg_start_server "$bindir" ||
                { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL failed to start; see $PG_LOG"; }
        fi
    fi
    # Ready over TCP too, which is how the application connects.
    wait_until "PostgreSQL on 127.0.0.1:$PG_PORT" "$PG_LOG" \
        "$bindir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres
    pg_provision "$bindir"
}

stop_postgres() {
    local bindir
    bindir="$(pg_bindir)"
    if [[ -n "$bindir" && -d "$PGDATA" ]] && pg_running "$bindir"; then
        log "stopping PostgreSQL on 127.0.0.1:$PG_PORT"
        as_pg "$bindir/pg_ctl" stop -D "$PGDATA" -m fast -w >/dev/null
    else
        log "PostgreSQL on 127.0.0.1:$PG_PORT is not running"
    fi
}

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------

redis_ping() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

start_redis() {
    mkdir -p "$REDIS_DIR"
    if redis_ping; then
        log "Redis already running on 127.0.0.1:$REDIS_PORT"
        return 0
    fi
    if port_in_use "$REDIS_PORT"; then
        die "port $REDIS_PORT is taken by another program; set CQC_TEST_REDIS_PORT to a free port"
    fi
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    # No persistence (--save "", --appendonly no): broker and results of a test run only.
    # 9>&-: the daemon must not inherit the start lock (see cmd_start).
    redis-server 9>&- \
        --bind 127.0.0.1 --port "$REDIS_PORT" \
        --daemonize yes \
        --save "" --appendonly no \
        --dir "$REDIS_DIR" \
        --pidfile "$REDIS_DIR/redis.pid" \
        --logfile "$REDIS_LOG" ||
        die "redis-server failed to start; see $REDIS_LOG"
    wait_until "Redis on 127.0.0.1:$REDIS_PORT" "$REDIS_LOG" redis_ping
}

stop_redis() {
    if redis_ping; then
        log "stopping Redis on 127.0.0.1:$REDIS_PORT"
        # `shutdown nosave` closes the connection, so redis-cli may report an error.
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        local deadline=$((SECONDS + READY_TIMEOUT))
        while redis_ping; do
            ((SECONDS < deadline)) || die "Redis on 127.0.0.1:$REDIS_PORT did not stop; see $REDIS_LOG"
            sleep 0.2
        done
    else
        log "Redis on 127.0.0.1:$REDIS_PORT is not running"
    fi
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

cmd_start() {
    ensure_packages
    mkdir -p "$BASE"
    # Two `make test` runs at once (several people on one machine) must not both
    # initdb the same folder: serialise starts.
    exec 9>"$BASE/.lock-$PG_PORT-$REDIS_PORT"
    flock 9
    start_postgres
    start_redis
    log "ready (PostgreSQL 127.0.0.1:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT)"
}

cmd_stop() {
    stop_postgres
    if command -v redis-cli >/dev/null 2>&1; then
        stop_redis
    fi
}

cmd_env() {
    cat <<EOF
export DATABASE_URL='postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME'
export CELERY_BROKER_URL='redis://127.0.0.1:$REDIS_PORT/0'
export CELERY_RESULT_BACKEND='redis://127.0.0.1:$REDIS_PORT/1'
export REDIS_URL='redis://127.0.0.1:$REDIS_PORT/2'
export PLAYWRIGHT_CHROMIUM_EXECUTABLE='$CHROMIUM'
EOF
}

cmd_status() {
    local bindir status=0
    bindir="$(pg_bindir)"
    if [[ -n "$bindir" ]] && "$bindir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
        echo "PostgreSQL: running on 127.0.0.1:$PG_PORT ($PGDATA)"
    else
        echo "PostgreSQL: not running on 127.0.0.1:$PG_PORT"
        status=1
    fi
    if command -v redis-cli >/dev/null 2>&1 && redis_ping; then
        echo "Redis: running on 127.0.0.1:$REDIS_PORT ($REDIS_DIR)"
    else
        echo "Redis: not running on 127.0.0.1:$REDIS_PORT"
        status=1
    fi
    return "$status"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
status) cmd_status ;;
*)
    echo "usage: $0 {start|stop|env|status}" >&2
    exit 2
    ;;
esac
