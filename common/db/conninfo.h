// Conninfo: a parsed libpq connection string (a "postgresql://" URI or "key=value" pairs),
// so that code can add settings (connect_timeout, dbname) and describe or report a connection
// without ever repeating its password.
//
//   ASSIGN_OR_RETURN(Conninfo info, Conninfo::Parse(url.Reveal()));
//   info.Set("connect_timeout", "5");
//   pqxx::connection conn(std::string(info.ToConnectionString().Reveal()));
//   spdlog::info("connected to {}", info.Describe());  // host=... port=... dbname=... user=...
//
// Errors: Parse gives INVALID_ARGUMENT for text libpq cannot parse; the message never echoes
// the input (it may hold a password). Thread-safety: a value type; const methods are safe to
// call concurrently.
#ifndef JIT_COMMON_DB_CONNINFO_H_
#define JIT_COMMON_DB_CONNINFO_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace jit::db {

class Conninfo {
 public:
  static absl::StatusOr<Conninfo> Parse(std::string_view conninfo);

  // The value of a libpq keyword ("host", "port", "dbname", "user", ...), "" when unset.
  // Secret keywords ("password", "sslpassword") are not readable this way.
  std::string Get(std::string_view keyword) const;
  // True if a password is set (e.g. to refuse one inline in a URL that should come from a
  // file).
  bool HasPassword() const { return secrets_.count("password") != 0; }
  // Sets (or, with an empty value, removes) a keyword. Secret keywords are kept apart.
  void Set(std::string_view keyword, std::string_view value);

  // "key='value' ..." for libpq, with every keyword including the password.
  SecretString ToConnectionString() const;
  // "host=127.0.0.1 port=5432 dbname=auth user=auth": where it points, no secret.
  std::string Describe() const;
  // `text` with every occurrence of a secret value (the password) replaced by "[redacted]",
  // and folded onto one line (libpq messages span lines).
  std::string Redact(std::string_view text) const;

 private:
  Conninfo() = default;

  std::map<std::string, std::string, std::less<>> values_;
  std::map<std::string, SecretString, std::less<>> secrets_;
};

}  // namespace jit::db

#endif  // JIT_COMMON_DB_CONNINFO_H_
