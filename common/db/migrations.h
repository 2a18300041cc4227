// Versioned SQL migrations for one service's schema, applied at start-up.
//
//   // services/auth/BUILD.bazel: jit_sql_migrations(name = "migrations", srcs = glob(
//   //     ["migrations/*.sql"]), cc_namespace = "jit::auth")   (see //bazel:sql_migrations.bzl)
//   RETURN_IF_ERROR(jit::db::ApplyMigrations(*pool, "auth", jit::auth::Migrations()));
//
// ApplyMigrations:
// - takes a session-level advisory lock keyed by the schema name, so replicas starting
//   together run one after another (the later ones find nothing to do); the lock is released
//   on every path, also on error (if releasing fails, the connection is closed, which
//   releases it);
// - creates the schema and `<schema>.schema_migrations(version, name, checksum, applied_at)`
//   if missing (a schema created beforehand, e.g. by a DBA for a role without CREATE on the
//   database, is used as it is; so are the tables of a schema another role migrated, for a
//   role without CREATE on it that finds nothing pending: the audit sink's writer role);
// - refuses (FAILED_PRECONDITION, naming the version and file) when an applied migration's
//   SHA-256 differs from the binary's, when the database has a version the binary lacks
//   below the binary's newest, or when a pending version is older than an applied one;
//   nothing is applied then;
// - tolerates versions newer than the binary knows (a rolling upgrade: the newer binary has
//   migrated already) with a warning;
// - applies each pending migration in its own transaction together with its bookkeeping
//   row, with search_path set to the schema (unqualified names land there). A failing
//   migration leaves neither its effects nor its row; the error keeps the mapped code
//   (pg_errors.h) and names the schema, version and file. Migrations must not contain
//   transaction control (BEGIN/COMMIT) or statements that cannot run in a transaction
//   (CREATE INDEX CONCURRENTLY).
// Errors: INVALID_ARGUMENT for a bad schema name or list (see ValidateMigrations);
// UNAVAILABLE when the database cannot be reached; others as above.
// Thread-safety: safe to call concurrently (that is the point) on distinct connections.
#ifndef JIT_COMMON_DB_MIGRATIONS_H_
#define JIT_COMMON_DB_MIGRATIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/db/pg_pool.h"
#include "pqxx/connection"

namespace jit::db {

struct Migration {
  int version = 0;   // >= 1, strictly increasing within a schema
  std::string name;  // "init" for 0001_init.sql
  std::string sql;   // one or more statements
  // Where it came from ("services/auth/migrations/0001_init.sql"), for messages; empty
  // means "NNNN_name.sql".
  std::string file;
};

// INVALID_ARGUMENT naming the offender when a version is < 1, a name is empty, or versions
// are duplicated or not increasing.
absl::Status ValidateMigrations(const std::vector<Migration>& migrations);

// Lowercase hex SHA-256 of the SQL text, as stored in schema_migrations.checksum.
std::string MigrationChecksum(std::string_view sql);

// Runs on a connection leased from `pool` for the whole run.
absl::Status ApplyMigrations(PgPool& pool, std::string_view schema,
                             const std::vector<Migration>& migrations);

// Runs on the caller's connection (libpqxx reconnection is switched off on it, so that the
// lock cannot be lost unseen).
absl::Status ApplyMigrations(pqxx::connection& connection, std::string_view schema,
                             const std::vector<Migration>& migrations);

}  // namespace jit::db

#endif  // JIT_COMMON_DB_MIGRATIONS_H_
