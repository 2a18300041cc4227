#!/usr/bin/env bash
# Throwaway (or kept) PostgreSQL 15 clusters on 127.0.0.1 for tests and the local constellation.
#
# Executed:
#   tests/lib/pg.sh start <dir> [--fast] [--scram]
#                                          create (first time) and start the cluster in <dir>;
#                                          prints its superuser URL on stdout
#   tests/lib/pg.sh stop <dir>             stop exactly that cluster (by PID); safe to repeat
#   tests/lib/pg.sh status <dir>           exit 0 and print the URL if running, else exit 1
#   tests/lib/pg.sh url <dir>              print the URL recorded for <dir>
#   tests/lib/pg.sh socket <dir>           print a libpq connection string for the superuser
#                                          through the unix socket
# Sourced (`. tests/lib/pg.sh`): the functions pg_start / pg_stop / pg_status with the same
# arguments; pg_start also exports JIT_PG_URL, JIT_PG_PORT and JIT_PG_PID.
#
# Layout of <dir> (created if missing; made writable by the `postgres` user when run as root):
#   data/          the cluster (initdb on first start; later starts reuse it)
#   sock/          the unix socket directory
#   port           the TCP port, chosen free on first start, reused later if still free
#   pid            the postmaster PID while running
#   url            postgresql://postgres@127.0.0.1:PORT/postgres
#   postgres.log   the server log
#
# Authentication is `trust` for the unix socket (its directory is the cluster owner's, mode
# 0700: only that user and root reach it). Over TCP (127.0.0.1 only) it is `trust` as well
# for throwaway test clusters, so the printed URL works as is; with --scram every TCP login
# needs its role's password (SCRAM-SHA-256), so that no other local user can connect, and
# the superuser works through the socket (see `socket`). The choice is applied at every
# start, so an existing cluster can be switched. --fast turns off fsync (for throwaway test
# clusters; never for data you keep).
# PostgreSQL refuses to run as root: as root the server runs as `postgres` (runuser).
# Environment: PG_BINDIR (default /usr/lib/postgresql/15/bin).

PG_BINDIR="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"

_pg_log() { echo "pg.sh: $*" >&2; }

# Runs a command as the cluster owner: `postgres` when we are root, else ourselves.
_pg_as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_pg_abs_dir() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || { _pg_log "missing <dir>"; return 2; }
  mkdir -p "$dir" || return 1
  (cd "$dir" && pwd -P)
}

# True if something accepts TCP connections on 127.0.0.1:$1.
_pg_port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_pg_pick_port() {
  local port i
  for ((i = 0; i < 50; i++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! _pg_port_busy "$port"; then
      echo "$port"
      return 0
    fi
  done
  _pg_log "no free TCP port found"
  return 1
}

# The PID in <dir>/pid if that process is alive and is the postmaster of <dir>/data.
_pg_running_pid() {
  local dir="$1" pid
  [[ -f "$dir/pid" ]] || return 1
  pid="$(head -n1 "$dir/pid" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  # A recycled PID belonging to another program must never be signalled.
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"-D $dir/data "* ]] || return 1
  echo "$pid"
}

# True if PID $1 exists and is not a zombie (PID 1 in some containers never reaps them).
_pg_alive() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

_pg_url_for_port() { echo "postgresql://postgres@127.0.0.1:$1/postgres"; }

_pg_init() {
  local dir="$1"
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || { _pg_log "user 'postgres' missing (apt-get install postgresql-15)"; return 1; }
    chown postgres:postgres "$dir" || return 1
    chmod 0700 "$dir" || return 1
    if ! runuser -u postgres -- test -w "$dir"; then
      _pg_log "user 'postgres' cannot write $dir (is a parent directory private, e.g. /root?); use a directory under /tmp or /var/tmp"
      return 1
    fi
  fi
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    [[ -x "$PG_BINDIR/initdb" ]] || { _pg_log "$PG_BINDIR/initdb missing (apt-get install postgresql-15)"; return 1; }
    rm -rf "$dir/data"
    _pg_as_owner "$PG_BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale \
      -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
      _pg_log "initdb failed; see $dir/initdb.log:"
      tail -n 20 "$dir/initdb.log" >&2
      return 1
    }
    _pg_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# jit-access tests/lib/pg.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
unix_socket_permissions = 0700
max_connections = 200
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  fi
  _pg_as_owner mkdir -p "$dir/sock"
}

# Writes pg_hba.conf with TCP method $2 (trust | scram-sha-256): only the unix socket and
# 127.0.0.1, nothing else can connect at all. Takes effect at the next start.
_pg_write_hba() {
  local dir="$1" tcp_method="$2"
  _pg_as_owner tee "$dir/data/pg_hba.conf" >/dev/null <<EOF
# TYPE  DATABASE  USER  ADDRESS       METHOD   (written by tests/lib/pg.sh)
local   all       all                 trust
host    all       all   127.0.0.1/32  $tcp_method
EOF
}

pg_start() {
  local dir fast=0 tcp_method=trust arg
  dir="$(_pg_abs_dir "${1:-}")" || return 1
  shift
  for arg in "$@"; do
    case "$arg" in
      --fast) fast=1 ;;
      --scram) tcp_method=scram-sha-256 ;;
      *) _pg_log "unknown option $arg"; return 2 ;;
    esac
  done
  if ((${#dir} > 90)); then
    _pg_log "$dir is too long for a unix socket path; use a shorter directory"
    return 1
  fi

  local pid port
  if pid="$(_pg_running_pid "$dir")"; then
    port="$(cat "$dir/port")"
    if ! grep -qE "127\.0\.0\.1/32 +$tcp_method\$" "$dir/data/pg_hba.conf" 2>/dev/null; then
      # Switched while running (e.g. an older up.sh started it with trust): pg_hba.conf
      # takes effect on a reload.
      _pg_write_hba "$dir" "$tcp_method" || return 1
      _pg_as_owner "$PG_BINDIR/pg_ctl" reload -D "$dir/data" >/dev/null || return 1
      _pg_log "running in $dir; TCP authentication switched to $tcp_method"
    fi
    _pg_log "already running in $dir (pid $pid, port $port)"
  else
    _pg_init "$dir" || return 1
    _pg_write_hba "$dir" "$tcp_method" || return 1
    local opts=() attempt
    if ((fast)); then
      opts+=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
    fi
    port="$(cat "$dir/port" 2>/dev/null || true)"
    for ((attempt = 0; attempt < 5; attempt++)); do
      if [[ ! "$port" =~ ^[0-9]+$ ]] || _pg_port_busy "$port"; then
        port="$(_pg_pick_port)" || return 1
      fi
      echo "$port" >"$dir/port"
      local log_size
      log_size="$(stat -c %s "$dir/postgres.log" 2>/dev/null || echo 0)"
      # pg_ctl -w waits until the server accepts connections (or fails to start).
      if _pg_as_owner "$PG_BINDIR/pg_ctl" start -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port ${opts[*]}" >/dev/null; then
        break
      fi
      # Another process may have taken the port between the check and the bind: try another.
      local log_tail  # what this attempt logged
      log_tail="$(tail -c "+$((log_size + 1))" "$dir/postgres.log" 2>/dev/null || true)"
      if [[ "$log_tail" == *"could not bind"* || "$log_tail" == *"could not create any TCP/IP sockets"* ]]; then
        _pg_log "port $port taken; retrying on another port"
        port=""
        continue
      fi
      _pg_log "postgres failed to start; see $dir/postgres.log:"
      tail -n 20 "$dir/postgres.log" >&2
      return 1
    done
    if [[ ! -f "$dir/data/postmaster.pid" ]]; then
      _pg_log "postgres did not start (no free port after retries?)"
      return 1
    fi
    head -n1 "$dir/data/postmaster.pid" >"$dir/pid"
    pid="$(_pg_running_pid "$dir")" || { _pg_log "postgres exited right after start; see $dir/postgres.log"; return 1; }
    if ! "$PG_BINDIR/pg_isready" -q -h "$dir/sock" -p "$port" -U postgres -t 30; then
      _pg_log "postgres on port $port is not ready; see $dir/postgres.log"
      return 1
    fi
    _pg_log "started in $dir (pid $pid, port $port)"
  fi
  local url
  url="$(_pg_url_for_port "$port")"
  echo "$url" >"$dir/url"
  export JIT_PG_URL="$url" JIT_PG_PORT="$port" JIT_PG_PID="$pid"
  echo "$url"
}

pg_stop() {
  local dir pid i
  [[ -n "${1:-}" ]] || { _pg_log "missing <dir>"; return 2; }
  [[ -d "$1" ]] || { _pg_log "$1: no such directory; nothing to stop"; return 0; }
  dir="$(cd "$1" && pwd -P)"
  if ! pid="$(_pg_running_pid "$dir")"; then
    rm -f "$dir/pid"
    _pg_log "not running in $dir"
    return 0
  fi
  _pg_as_owner "$PG_BINDIR/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null 2>&1 || true
  if _pg_alive "$pid"; then
    _pg_log "pg_ctl stop did not stop pid $pid; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      _pg_alive "$pid" || break
      sleep 0.1
    done
  fi
  if _pg_alive "$pid"; then
    _pg_log "pid $pid is still alive"
    return 1
  fi
  rm -f "$dir/pid"
  _pg_log "stopped $dir (pid $pid)"
}

pg_status() {
  local dir
  [[ -d "${1:-}" ]] || return 1
  dir="$(cd "$1" && pwd -P)"
  _pg_running_pid "$dir" >/dev/null || return 1
  cat "$dir/url"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -u
  cmd="${1:-}"
  shift || true
  case "$cmd" in
    start) pg_start "$@" ;;
    stop) pg_stop "$@" ;;
    status) pg_status "$@" ;;
    url) cat "${1:?missing <dir>}/url" ;;
    socket)
      d="$(cd "${1:?missing <dir>}" && pwd -P)" || exit 1
      echo "host=$d/sock port=$(cat "$d/port") user=postgres dbname=postgres"
      ;;
    *)
      echo "usage: $0 start <dir> [--fast] [--scram] | stop <dir> | status <dir> | url <dir> | socket <dir>" >&2
      exit 2
      ;;
  esac
fi
