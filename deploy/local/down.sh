#!/usr/bin/env bash
# Stops exactly what deploy/local/up.sh started, by PID: the five services and their replicas (SIGTERM, then
# SIGKILL after a grace period) and the local PostgreSQL. Data is kept.
#   deploy/local/down.sh                  # services and PostgreSQL
#   deploy/local/down.sh --services-only  # services only (used by up.sh to restart)
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="${JIT_LOCAL_DIR:-/var/tmp/jit-access-local}"
services=(auth ca requests policy audit)

stop_pid() {  # name, pid file, expected executable
  local name="$1" file="$2" exe="$3" pid i
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  # Only signal the process if it is still the one we started (PIDs get recycled).
  if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe"* ]]; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 150; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "down.sh: $name (pid $pid) did not stop on SIGTERM; killing" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
    echo "down.sh: stopped $name (pid $pid)" >&2
  fi
  rm -f "$file"
}

for s in "${services[@]}"; do
  stop_pid "jit-$s" "$state/run/$s.pid" "$state/bin/jit-$s"
  # The other replicas of up.sh --replicas N: run/<s>.<r>.pid.
  for f in "$state/run/$s".[0-9]*.pid; do
    [[ -e "$f" ]] && stop_pid "jit-$s (replica $(basename "$f" .pid | cut -d. -f2))" "$f" "$state/bin/jit-$s"
  done
done
if [[ "${1:-}" != --services-only ]]; then
  "$root/tests/lib/pg.sh" stop "$state/pg" 2>&1 | sed 's/^/down.sh: /' >&2
fi
exit 0
