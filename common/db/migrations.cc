#include "common/db/migrations.h"

#include <openssl/evp.h>

#include <exception>
#include <map>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/db/pg_errors.h"
#include "pqxx/nontransaction"
#include "pqxx/result"
#include "pqxx/transaction"
#include "spdlog/spdlog.h"

namespace jit::db {
namespace {

constexpr int kMaxIdentifierLength = 63;

absl::Status ValidateSchemaName(absl::string_view schema) {
  bool ok = !schema.empty() && schema.size() <= kMaxIdentifierLength &&
            (absl::ascii_islower(schema[0]) || schema[0] == '_') &&
            !absl::StartsWith(schema, "pg_");
  for (char c : schema) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "migration schema name '", schema,
        "': want lowercase letters, digits and '_', starting with a letter, at most 63, not pg_*"));
  }
  return absl::OkStatus();
}

std::string FileOf(const Migration& m) {
  return m.file.empty() ? absl::StrFormat("%04d_%s.sql", m.version, m.name) : m.file;
}

// Prefixes a status's message, keeping its code.
absl::Status Annotate(const absl::Status& status, absl::string_view prefix) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

struct AppliedRow {
  std::string name;
  std::string checksum;
};

class Runner {
 public:
  Runner(pqxx::connection& connection, std::string_view schema,
         const std::vector<Migration>& migrations)
      : connection_(connection),
        schema_(schema),
        quoted_schema_(connection.quote_name(std::string(schema))),
        migrations_(migrations) {}

  absl::Status Run() {
    const absl::Time start = absl::Now();
    absl::Status status = CatchPgErrors([&] { return Lock(); });
    if (!status.ok()) {
      return Annotate(status, absl::StrCat("schema ", schema_, ": cannot take migration lock: "));
    }
    status = ApplyLocked();
    absl::Status unlocked = CatchPgErrors([&] { return Unlock(); });
    if (!unlocked.ok()) {
      // Closing the session is the other way to release a session-level advisory lock.
      spdlog::warn("schema={} migration lock release failed, closing connection: {}", schema_,
                   std::string(unlocked.message()));
      connection_.disconnect();
    }
    if (status.ok()) {
      spdlog::info("schema={} migrations up to date applied={} took={}", schema_, applied_count_,
                   absl::FormatDuration(absl::Now() - start));
    }
    return status;
  }

 private:
  // Session-level, so it spans the per-migration transactions. hashtextextended maps the
  // schema to the lock's 64-bit key on the server, the same for every replica.
  absl::Status Lock() {
    pqxx::nontransaction txn(connection_);
    txn.exec_params("SELECT pg_advisory_lock(hashtextextended($1, 0))", LockKey());
    return absl::OkStatus();
  }

  absl::Status Unlock() {
    pqxx::nontransaction txn(connection_);
    pqxx::result r =
        txn.exec_params("SELECT pg_advisory_unlock(hashtextextended($1, 0))", LockKey());
    if (r.size() != 1 || !r[0][0].as<bool>()) {
      return absl::InternalError("advisory lock was not held");
    }
    return absl::OkStatus();
  }

  std::string LockKey() const { return absl::StrCat("jit-access schema migrations: ", schema_); }

  absl::Status ApplyLocked() {
    absl::Status status = CatchPgErrors([&] { return EnsureTable(); });
    if (!status.ok()) {
      return Annotate(status,
                      absl::StrCat("schema ", schema_, ": cannot create schema_migrations: "));
    }
    absl::StatusOr<std::map<int, AppliedRow>> applied =
        CatchPgErrors([&] { return ReadApplied(); });
    if (!applied.ok()) {
      return Annotate(applied.status(),
                      absl::StrCat("schema ", schema_, ": cannot read schema_migrations: "));
    }
    std::vector<const Migration*> pending;
    if (absl::Status s = Check(*applied, pending); !s.ok()) return s;
    for (const Migration* m : pending) {
      const absl::Time start = absl::Now();
      status = CatchPgErrors([&] { return ApplyOne(*m); });
      if (!status.ok()) {
        return Annotate(status, absl::StrCat("schema ", schema_, ": migration ", m->version, " (",
                                             FileOf(*m), ") failed: "));
      }
      ++applied_count_;
      spdlog::info("schema={} applied migration version={} name={} took={}", schema_, m->version,
                   m->name, absl::FormatDuration(absl::Now() - start));
    }
    return absl::OkStatus();
  }

  absl::Status EnsureTable() {
    pqxx::work txn(connection_);
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists;
    // a deployment may pre-create the schema for a role that lacks it.
    if (txn.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema_).empty()) {
      txn.exec(absl::StrCat("CREATE SCHEMA ", quoted_schema_));
    }
    // Likewise CREATE TABLE IF NOT EXISTS needs CREATE on the schema: a role that may only
    // use tables the owner migrated (the audit sink) finds the table and creates nothing.
    if (txn.exec_params("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND "
                        "tablename = 'schema_migrations'",
                        schema_)
            .empty()) {
      txn.exec(absl::StrCat("CREATE TABLE IF NOT EXISTS ", quoted_schema_,
                            ".schema_migrations ("
                            "version integer PRIMARY KEY, "
                            "name text NOT NULL, "
                            "checksum text NOT NULL, "
                            "applied_at timestamptz NOT NULL DEFAULT now())"));
    }
    txn.commit();
    return absl::OkStatus();
  }

  absl::StatusOr<std::map<int, AppliedRow>> ReadApplied() {
    pqxx::read_transaction txn(connection_);
    pqxx::result rows = txn.exec(
        absl::StrCat("SELECT version, name, checksum FROM ", quoted_schema_, ".schema_migrations"));
    std::map<int, AppliedRow> applied;
    for (const pqxx::row& row : rows) {
      applied[row[0].as<int>()] = AppliedRow{row[1].as<std::string>(), row[2].as<std::string>()};
    }
    return applied;
  }

  // Decides what to apply; refuses inconsistent histories before touching anything.
  absl::Status Check(const std::map<int, AppliedRow>& applied,
                     std::vector<const Migration*>& pending) {
    std::map<int, const Migration*> known;
    for (const Migration& m : migrations_) known[m.version] = &m;
    const int newest_known = migrations_.empty() ? 0 : migrations_.back().version;
    const int newest_applied = applied.empty() ? 0 : applied.rbegin()->first;

    for (const auto& [version, row] : applied) {
      auto it = known.find(version);
      if (it == known.end()) {
        if (version > newest_known) continue;  // reported below
        return absl::FailedPreconditionError(absl::StrCat(
            "schema ", schema_, ": the database has migration ", version, " (", row.name,
            ") which this binary does not have, below its newest (", newest_known, ")"));
      }
      const Migration& m = *it->second;
      const std::string checksum = MigrationChecksum(m.sql);
      if (checksum != row.checksum) {
        return absl::FailedPreconditionError(absl::StrCat(
            "schema ", schema_, ": migration ", version, " (", FileOf(m),
            ") was changed after it was applied (checksum in database ", row.checksum.substr(0, 12),
            "..., in binary ", checksum.substr(0, 12), "...); add a new migration instead"));
      }
      if (m.name != row.name) {
        spdlog::warn("schema={} migration version={} applied as name={} now named {}", schema_,
                     version, LogName(row.name), m.name);
      }
    }
    if (newest_applied > newest_known) {
      spdlog::warn(
          "schema={} database has migrations up to version={}, newer than this binary's {} "
          "(rolling upgrade?); continuing",
          schema_, newest_applied, newest_known);
    }
    for (const Migration& m : migrations_) {
      if (applied.count(m.version) != 0) continue;
      if (m.version < newest_applied) {
        return absl::FailedPreconditionError(
            absl::StrCat("schema ", schema_, ": migration ", m.version, " (", FileOf(m),
                         ") is pending but the database already has version ", newest_applied,
                         "; migrations must be applied in order"));
      }
      pending.push_back(&m);
    }
    return absl::OkStatus();
  }

  absl::Status ApplyOne(const Migration& m) {
    pqxx::work txn(connection_);
    txn.exec(absl::StrCat("SET LOCAL search_path TO ", quoted_schema_));
    txn.exec(m.sql);
    txn.exec_params(
        absl::StrCat("INSERT INTO ", quoted_schema_,
                     ".schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"),
        m.version, m.name, MigrationChecksum(m.sql));
    txn.commit();
    return absl::OkStatus();
  }

  static std::string LogName(std::string_view name) {
    std::string out;
    for (char c : name.substr(0, 64)) out.push_back(absl::ascii_isprint(c) ? c : '?');
    return out;
  }

  pqxx::connection& connection_;
  const std::string schema_;
  const std::string quoted_schema_;
  const std::vector<Migration>& migrations_;
  int applied_count_ = 0;
};

}  // namespace

absl::Status ValidateMigrations(const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    if (m.version < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration ", FileOf(m), ": version must be at least 1, got ", m.version));
    }
    if (m.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration version ", m.version, ": empty name"));
    }
    if (i > 0 && m.version <= migrations[i - 1].version) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migration ", FileOf(m), ": version ", m.version,
          m.version == migrations[i - 1].version ? " is duplicated by " : " comes after ",
          FileOf(migrations[i - 1]), "; versions must be unique and increasing"));
    }
  }
  return absl::OkStatus();
}

std::string MigrationChecksum(std::string_view sql) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(sql.data(), sql.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    // Only on OpenSSL misconfiguration; an empty checksum never matches a stored one.
    spdlog::error("SHA-256 unavailable in OpenSSL");
    return "";
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), static_cast<size_t>(length)));
}

absl::Status ApplyMigrations(pqxx::connection& connection, std::string_view schema,
                             const std::vector<Migration>& migrations) {
  if (absl::Status s = ValidateSchemaName(absl::string_view(schema.data(), schema.size()));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateMigrations(migrations); !s.ok()) return s;
  try {
    connection.inhibit_reactivation(true);
    Runner runner(connection, schema, migrations);
    return runner.Run();
  } catch (...) {
    return StatusFromException(std::current_exception());
  }
}

absl::Status ApplyMigrations(PgPool& pool, std::string_view schema,
                             const std::vector<Migration>& migrations) {
  if (absl::Status s = ValidateSchemaName(absl::string_view(schema.data(), schema.size()));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateMigrations(migrations); !s.ok()) return s;
  absl::StatusOr<PgConnection> connection = pool.Acquire();
  if (!connection.ok()) return connection.status();
  absl::Status status = ApplyMigrations(connection->get(), schema, migrations);
  if (!connection->get().is_open()) connection->MarkBroken();
  return status;
}

}  // namespace jit::db
