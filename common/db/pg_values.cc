#include "common/db/pg_values.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace jit::db {

std::string Timestamptz(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "infinity";
  if (t == absl::InfinitePast()) return "-infinity";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", t, absl::UTCTimeZone());
}

std::string MicrosOf(std::string_view column) {
  return absl::StrCat("(extract(epoch FROM ", absl::string_view(column.data(), column.size()),
                      ") * 1000000)::bigint");
}

absl::Time TimeFromMicros(const pqxx::field& micros) {
  return absl::FromUnixMicros(micros.as<int64_t>());
}

pqxx::binarystring Bytea(std::string_view data) {
  return pqxx::binarystring(data.data(), data.size());
}

std::string BytesOf(const pqxx::field& field) { return pqxx::binarystring(field).str(); }

}  // namespace jit::db
