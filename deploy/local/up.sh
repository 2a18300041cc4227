#!/usr/bin/env bash
# Runs the whole jit-access constellation on this machine: PostgreSQL in a local data
# directory, the five services on 127.0.0.1, local TLS material, example roles and users.
# Works on a fresh Debian 12 machine as root (installs what is missing). Re-running it is
# safe: data is kept, services are restarted cleanly. deploy/local/down.sh stops it all.
#
# State (data, TLS material, logs, PIDs) lives in $JIT_LOCAL_DIR (default
# /var/tmp/jit-access-local); it must be reachable by the `postgres` user, so not /root.
#
#   deploy/local/up.sh [--replicas N]   # N (1-4) replicas of every service; replica r
#                                       # listens on the ports below + 10*r, and every
#                                       # client (services, jit) calls the N round robin
set -euo pipefail

replicas=1
while (($#)); do
  case "$1" in
    --replicas) replicas="${2:-}"; shift 2 || { echo "up.sh: --replicas N" >&2; exit 2; } ;;
    --replicas=*) replicas="${1#*=}"; shift ;;
    *) echo "up.sh: unknown argument '$1' (usage: up.sh [--replicas N])" >&2; exit 2 ;;
  esac
done
if [[ ! "$replicas" =~ ^[1-4]$ ]]; then
  echo "up.sh: --replicas must be 1 to 4 (got '$replicas')" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
state="${JIT_LOCAL_DIR:-/var/tmp/jit-access-local}"
services=(auth ca requests policy audit)
declare -A grpc_port=([auth]=7101 [ca]=7102 [requests]=7103 [policy]=7104 [audit]=7105)
declare -A metrics_port=([auth]=9101 [ca]=9102 [requests]=9103 [policy]=9104 [audit]=9105)
# auth's service lane (--service_listen_addr): the other services call auth there, with their
# certificates and threads of its own, so a flood of anonymous logins cannot starve them.
auth_lane_port=7301
# Replica r of a service: ports + 10*r; PID file run/<s>.pid (r = 0) or run/<s>.<r>.pid.
replica_suffix() { (($1 == 0)) || echo ".$1"; }
# "localhost:p,localhost:p+10,...": every replica of one port, for the clients' round robin.
replica_list() {
  local base="$1" r out=()
  for ((r = 0; r < replicas; r++)); do out+=("localhost:$((base + 10 * r))"); done
  (IFS=,; echo "${out[*]}")
}

say() { echo "up.sh: $*" >&2; }
trap 'say "failed (line $LINENO: $BASH_COMMAND)"' ERR

# The state directory holds the CA, keys and binaries everything trusts: it must be ours.
# Its path ends up in connection strings and psql commands: plain characters only.
if [[ ! "$state" =~ ^[A-Za-z0-9._/-]+$ ]]; then
  say "JIT_LOCAL_DIR may hold only letters, digits and . _ / - (got '$state')"
  exit 1
fi
# shellcheck source=deploy/lib/own_dir.sh
source "$root/deploy/lib/own_dir.sh"
if ! ensure_own_dir "$state" 0755; then
  say "unsafe state directory (JIT_LOCAL_DIR)"
  exit 1
fi

# 1. Packages and build.
deploy/lib/ensure_deps.sh
say "building (bazel, -c opt)"
disk_cache="${JIT_BAZEL_DISK_CACHE:-$HOME/.cache/jit-access/bazel-disk}"
mkdir -p "$disk_cache"
targets=(//tools/health_probe:jit-health-probe //tools/jit-bootstrap //tools/jit)
for s in "${services[@]}"; do targets+=("//services/$s:jit-$s"); done
# A failed build ends here, showing its errors: never deploy the previous binaries.
build_log="$(mktemp)"
if ! bazel build -c opt --disk_cache="$disk_cache" "${targets[@]}" >"$build_log" 2>&1; then
  grep -E '^(ERROR|FAILED)|error:' "$build_log" >&2 || tail -n 20 "$build_log" >&2
  rm -f "$build_log"
  say "build failed; nothing was started"
  exit 1
fi
rm -f "$build_log"
bazel_bin="$(bazel info -c opt bazel-bin 2>/dev/null)"

mkdir -p "$state"/{bin,logs,run}

# 2. Stop what a previous run started (by PID), then install the fresh binaries.
deploy/local/down.sh --services-only >/dev/null 2>&1 || true
for s in "${services[@]}"; do
  install -m 0755 "$bazel_bin/services/$s/jit-$s" "$state/bin/jit-$s"
done
install -m 0755 "$bazel_bin/tools/health_probe/jit-health-probe" "$state/bin/"
install -m 0755 "$bazel_bin/tools/jit/jit" "$state/bin/"
install -m 0755 "$bazel_bin/tools/jit-bootstrap/jit-bootstrap" "$state/bin/"

# 3. TLS material (kept across runs; jit-bootstrap reuses what exists): an internal CA,
#    one certificate per service (URI SAN spiffe://jit-access/service/<name>) and one for
#    the local admin (spiffe://jit-access/user/admin).
"$state/bin/jit-bootstrap" --dir="$state/pki" --services="$(IFS=,; echo "${services[*]}")" \
  --users=admin --dns=localhost --ip=127.0.0.1 >/dev/null

# 4. PostgreSQL: one database `jit`, one login role per service owning its own schema.
#    Over TCP every login needs its password (--scram: no other local user gets in); the
#    set-up here talks to the server as superuser through its private unix socket. Each
#    service's password is generated once into a 0600 file it reads (--db_password_file).
tests/lib/pg.sh start "$state/pg" --scram >/dev/null
pg_admin="$(tests/lib/pg.sh socket "$state/pg")"
psql_admin() { psql "$pg_admin" -v ON_ERROR_STOP=1 -qAtX "$@"; }
psql_jit() { psql "${pg_admin% dbname=postgres} dbname=jit" -v ON_ERROR_STOP=1 -qAtX; }
if [[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'jit'")" != 1 ]]; then
  psql_admin -c "CREATE DATABASE jit"
fi
pg_port="$(cat "$state/pg/port")"
db_secrets="$state/db"
mkdir -p "$db_secrets" && chmod 0700 "$db_secrets"
for s in "${services[@]}"; do
  if [[ ! -s "$db_secrets/$s.password" ]]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$db_secrets/$s.password")
  fi
  # The password goes from its file to the server inside psql (\set with a backquoted
  # command), never through a command line other users could read.
  psql_jit >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jit_$s') THEN
    CREATE ROLE jit_$s LOGIN;
  END IF;
END \$\$;
\\set pw \`cat '$db_secrets/$s.password'\`
ALTER ROLE jit_$s LOGIN PASSWORD :'pw';
GRANT CONNECT, CREATE ON DATABASE jit TO jit_$s;
SQL
done

# 4b. Auth: a key-encryption key (generated once; it seals signing keys and TOTP secrets in
#     the database, so keep it with the data) and example users with random passwords, each
#     in a 0600 file. jit-auth creates the users that are missing and never overwrites one.
auth_dir="$state/auth"
mkdir -p "$auth_dir" && chmod 0700 "$auth_dir"
if [[ ! -s "$auth_dir/kek" ]]; then
  (umask 077 && head -c 32 /dev/urandom | base64 >"$auth_dir/kek")
fi
declare -A example_roles=([alice]=dev [bob]=dba [carol]=dev [admin]=admin)
# The admin role requires MFA for every admin verb: admin gets a TOTP secret (base32, 160
# bits) at creation; codes come from `oathtool --totp -b` (printed below) or any
# authenticator app.
if [[ ! -s "$auth_dir/admin.totp" ]]; then
  (umask 077 && head -c 20 /dev/urandom | base32 | tr -d '=' >"$auth_dir/admin.totp")
fi
{
  echo "users:"
  for u in alice bob carol admin; do
    if [[ ! -s "$auth_dir/$u.password" ]]; then
      (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$auth_dir/$u.password")
    fi
    totp=""
    [[ $u == admin ]] && totp=", totp_secret_file: admin.totp"
    echo "  - {name: $u, roles: [${example_roles[$u]}], traits: {logins: [$u], db_users: [$u]}, password_file: $u.password$totp}"
  done
} >"$auth_dir/users.yaml"

# 4c. The audit sink may append events but never change one: its tables belong to
#     jit_audit_owner, which applies the migrations (jit-audit --migrate_only below), and
#     jit-audit serves as jit_audit, a member of jit_audit_writer without CREATE rights
#     (docs/AUDIT.md, "Storage and database roles"). Tables an earlier run let jit_audit
#     own are handed over.
if [[ ! -s "$db_secrets/audit_owner.password" ]]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$db_secrets/audit_owner.password")
fi
psql_jit >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jit_audit_owner') THEN
    CREATE ROLE jit_audit_owner LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jit_audit_writer') THEN
    CREATE ROLE jit_audit_writer NOLOGIN;
  END IF;
END \$\$;
\\set pw \`cat '$db_secrets/audit_owner.password'\`
ALTER ROLE jit_audit_owner LOGIN PASSWORD :'pw';
GRANT CONNECT, CREATE ON DATABASE jit TO jit_audit_owner;
REVOKE CREATE ON DATABASE jit FROM jit_audit;
REASSIGN OWNED BY jit_audit TO jit_audit_owner;
GRANT jit_audit_writer TO jit_audit;
SQL

# 4d. Audit: the Ed25519 seed that signs the chain's checkpoints (generated once; keep it with
#     the data, or VerifyChain no longer trusts the old checkpoints) and the directory of the
#     JSON Lines files a log shipper may tail (docs/AUDIT.md, "JSON Lines files").
audit_dir="$state/audit"
mkdir -p "$audit_dir/export" && chmod 0700 "$audit_dir"
if [[ ! -s "$audit_dir/checkpoint.key" ]]; then
  (umask 077 && head -c 32 /dev/urandom | base64 >"$audit_dir/checkpoint.key")
fi

"$state/bin/jit-audit" --migrate_only \
  --tls_cert_file="$state/pki/audit.pem" --tls_key_file="$state/pki/audit.key" \
  --tls_ca_file="$state/pki/internal-ca.pem" --checkpoint_key_file="$audit_dir/checkpoint.key" \
  --db_url="postgresql://jit_audit_owner@127.0.0.1:$pg_port/jit" \
  --db_password_file="$db_secrets/audit_owner.password" \
  --log_file="$state/logs/audit-migrate.log" </dev/null >>"$state/logs/audit.out" 2>&1

# 5. Start the services (each replica; the peers' addresses list every replica).
peer_flags=(--auth_addr="$(replica_list "$auth_lane_port")")
for s in ca requests policy audit; do
  peer_flags+=(--"${s}_addr"="$(replica_list "${grpc_port[$s]}")")
done
for s in "${services[@]}"; do
  for ((r = 0; r < replicas; r++)); do
  suffix="$(replica_suffix "$r")"
  extra=()
  if [[ $s == auth ]]; then
    extra+=(--key_encryption_key_file="$auth_dir/kek" --bootstrap_users_file="$auth_dir/users.yaml")
    extra+=(--service_listen_addr="127.0.0.1:$((auth_lane_port + 10 * r))")
  fi
  if [[ $s == ca ]]; then
    # The CA's own key-encryption key (it seals the CA private keys in the database).
    mkdir -p "$state/ca" && chmod 0700 "$state/ca"
    if [[ ! -s "$state/ca/kek" ]]; then
      (umask 077 && head -c 32 /dev/urandom | base64 >"$state/ca/kek")
    fi
    extra+=(--key_encryption_key_file="$state/ca/kek")
    # The internal CA, imported once into PostgreSQL for join tokens (services/ca/README.md).
    extra+=(--internal_ca_cert_file="$state/pki/internal-ca.pem"
      --internal_ca_key_file="$state/pki/internal-ca.key")
  fi
  if [[ $s == audit ]]; then
    extra+=(--checkpoint_key_file="$audit_dir/checkpoint.key" --export_dir="$audit_dir/export")
  fi
  if [[ $s == policy && -d deploy/local/examples/roles ]]; then
    extra+=(--roles_dir="$root/deploy/local/examples/roles")
  fi
  setsid "$state/bin/jit-$s" \
    --listen_addr="127.0.0.1:$((grpc_port[$s] + 10 * r))" \
    --metrics_addr="127.0.0.1:$((metrics_port[$s] + 10 * r))" \
    --tls_cert_file="$state/pki/$s.pem" --tls_key_file="$state/pki/$s.key" \
    --tls_ca_file="$state/pki/internal-ca.pem" \
    --db_url="postgresql://jit_$s@127.0.0.1:$pg_port/jit" \
    --db_password_file="$db_secrets/$s.password" \
    --log_file="$state/logs/$s$suffix.log" \
    "${peer_flags[@]}" "${extra[@]}" \
    </dev/null >>"$state/logs/$s$suffix.out" 2>&1 &
  echo $! >"$state/run/$s$suffix.pid"
  done
done
# Replicas a previous, larger --replicas run left are gone (down.sh stopped them).
echo "$replicas" >"$state/run/replicas"

# 6. Wait until each reports SERVING on gRPC health (or died).
probe() {  # service, replica
  "$state/bin/jit-health-probe" --addr="localhost:$((grpc_port[$1] + 10 * ${2:-0}))" \
    --tls_cert_file="$state/pki/user-admin.pem" --tls_key_file="$state/pki/user-admin.key" \
    --tls_ca_file="$state/pki/internal-ca.pem" --timeout=1s >/dev/null 2>&1
}
failed=0
for s in "${services[@]}"; do
  for ((r = 0; r < replicas; r++)); do
  suffix="$(replica_suffix "$r")"
  pid="$(cat "$state/run/$s$suffix.pid")"
  ok=0
  for ((i = 0; i < 150; i++)); do
    if probe "$s" "$r"; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if ((ok == 0)); then
    say "jit-$s (replica $r) did not become SERVING; last lines of $state/logs/$s$suffix.out:"
    tail -n 5 "$state/logs/$s$suffix.out" >&2 || true
    failed=1
  fi
  done
done
if ((failed)); then
  say "some services failed to start; see $state/logs/ (deploy/local/down.sh stops the rest)"
  exit 1
fi

cat <<MSG

jit-access is running locally (state in $state):

  service    gRPC (mTLS)       metrics                          pid     log
MSG
for s in "${services[@]}"; do
  for ((r = 0; r < replicas; r++)); do
  suffix="$(replica_suffix "$r")"
  printf '  %-9s  127.0.0.1:%-6s  http://127.0.0.1:%s/metrics  %-6s  %s\n' \
    "$s$suffix" "$((grpc_port[$s] + 10 * r))" "$((metrics_port[$s] + 10 * r))" \
    "$(cat "$state/run/$s$suffix.pid")" "$state/logs/$s$suffix.log"
  done
done
if ((replicas > 1)); then
  cat <<MSG

  $replicas replicas of each service: the services call each other round robin (auth on its
  service lane, ports $(replica_list "$auth_lane_port")); for jit, list them too:
        JIT_AUTH_ADDR=$(replica_list 7101) JIT_REQUESTS_ADDR=$(replica_list 7103) $state/bin/jit ...
MSG
fi
cat <<MSG

  PostgreSQL  127.0.0.1:$pg_port, database jit, one role and schema per service (passwords
              in $db_secrets/); superuser: psql "$pg_admin"
  TLS         CA $state/pki/internal-ca.pem; admin client cert $state/pki/user-admin.pem / user-admin.key
  Users       alice (role dev), password in $auth_dir/alice.password
              bob (role dba), password in $auth_dir/bob.password
              carol (role dev), password in $auth_dir/carol.password
              admin (role admin), password in $auth_dir/admin.password, TOTP secret in
              $auth_dir/admin.totp (the admin role requires MFA); a code for Login:
                oathtool --totp -b "\$(cat $auth_dir/admin.totp)"
              (an admin created by an earlier run keeps its state: without TOTP, enrol it with
              EnrollTotp/ConfirmTotp from admin's own session)

Next:
  - check a service:  $state/bin/jit-health-probe --addr=localhost:7101 \\
        --tls_cert_file=$state/pki/user-admin.pem --tls_key_file=$state/pki/user-admin.key \\
        --tls_ca_file=$state/pki/internal-ca.pem
  - metrics:          curl -s http://127.0.0.1:9101/metrics
  - stop everything:  deploy/local/down.sh
  - the jit CLI (defaults fit this constellation):
        $state/bin/jit login --user alice --password-stdin <$auth_dir/alice.password
        $state/bin/jit request create --roles developer-read-only-jit --reason "Investigating dashboard latency" --duration 30m
        $state/bin/jit status
MSG
