// ApplyMigrations: brings one service's schema up to the binary's versioned SQL migrations
// (jit_sql_migrations in //bazel:sql_migrations.bzl), at start-up.
// - Replicas starting together serialise on an advisory lock keyed by the schema name.
// - Each pending migration runs in its own transaction with its schema_migrations row;
//   a failing one leaves nothing and its error names the schema, version and file.
// - FAILED_PRECONDITION, nothing applied: an applied migration's checksum differs, the
//   database lacks a version below the binary's newest, or a pending version is older than
//   an applied one. Newer versions than the binary knows are tolerated (rolling upgrade).
// Errors: INVALID_ARGUMENT for a bad schema name or list (ValidateMigrations); UNAVAILABLE
// when the database cannot be reached. Thread-safe. Details: common/db/README.md.
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
