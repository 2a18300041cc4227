// Values between C++ and PostgreSQL, the same in every store:
//
//   txn.exec_params("UPDATE x SET t = $1::timestamptz, blob = $2", Timestamptz(now), Bytea(b));
//   txn.exec(absl::StrCat("SELECT ", MicrosOf("t"), " FROM x"));  ... TimeFromMicros(row[0])
//
// timestamptz keeps microseconds: a time written and read back equals TruncateToMicros(t)
// (common/proto_time.h), also before 1970. absl::InfiniteFuture/Past become 'infinity' and
// '-infinity'. Reading a NULL or a non-number with TimeFromMicros throws (libpqxx), which
// the store's RunInTransaction maps. Pure functions; thread-safe.
#ifndef JIT_COMMON_DB_PG_VALUES_H_
#define JIT_COMMON_DB_PG_VALUES_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "pqxx/binarystring"
#include "pqxx/field"

namespace jit::db {

// A timestamptz parameter ("2026-11-23T20:14:15.123456+00:00"); cast it with ::timestamptz.
std::string Timestamptz(absl::Time t);

// SQL reading timestamptz `column` as Unix microseconds (bigint):
// "(extract(epoch FROM <column>) * 1000000)::bigint". `column` is SQL, never user input.
std::string MicrosOf(std::string_view column);

// A column read through MicrosOf.
absl::Time TimeFromMicros(const pqxx::field& micros);

// A bytea parameter, and a bytea column's bytes.
pqxx::binarystring Bytea(std::string_view data);
std::string BytesOf(const pqxx::field& field);

}  // namespace jit::db

#endif  // JIT_COMMON_DB_PG_VALUES_H_
