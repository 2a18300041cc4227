#include "common/db/conninfo.h"

#include <postgresql/libpq-fe.h>

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jit::db {
namespace {

bool IsSecretKeyword(std::string_view keyword) {
  return keyword == "password" || keyword == "sslpassword";
}

void AppendQuoted(std::string_view value, std::string* out) {
  out->push_back('\'');
  for (char c : value) {
    if (c == '\'' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('\'');
}

struct ConninfoOptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

}  // namespace

absl::StatusOr<Conninfo> Conninfo::Parse(std::string_view conninfo) {
  const std::string text(conninfo);
  char* errmsg = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(
      PQconninfoParse(text.c_str(), &errmsg));
  if (options == nullptr) {
    // libpq's message quotes pieces of the input, which may be the password: not repeated.
    if (errmsg != nullptr) PQfreemem(errmsg);
    return absl::InvalidArgumentError(
        "database URL: not a valid libpq connection string or URI "
        "(postgresql://user@host:port/dbname or key=value pairs)");
  }
  Conninfo info;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    info.Set(o->keyword, o->val);
  }
  return info;
}

std::string Conninfo::Get(std::string_view keyword) const {
  auto it = values_.find(keyword);
  return it == values_.end() ? "" : it->second;
}

void Conninfo::Set(std::string_view keyword, std::string_view value) {
  if (IsSecretKeyword(keyword)) {
    if (value.empty()) {
      secrets_.erase(std::string(keyword));
    } else {
      secrets_.insert_or_assign(std::string(keyword), SecretString(value));
    }
    return;
  }
  if (value.empty()) {
    values_.erase(std::string(keyword));
  } else {
    values_.insert_or_assign(std::string(keyword), std::string(value));
  }
}

SecretString Conninfo::ToConnectionString() const {
  std::string out;
  auto append = [&out](const std::string& key, std::string_view value) {
    if (!out.empty()) out.push_back(' ');
    out.append(key);
    out.push_back('=');
    AppendQuoted(value, &out);
  };
  for (const auto& [key, value] : values_) append(key, value);
  for (const auto& [key, value] : secrets_) append(key, value.Reveal());
  SecretString result(std::move(out));
  return result;
}

std::string Conninfo::Describe() const {
  std::string out;
  for (const char* key : {"host", "hostaddr", "port", "dbname", "user"}) {
    auto it = values_.find(key);
    if (it == values_.end()) continue;
    if (!out.empty()) out.push_back(' ');
    absl::StrAppend(&out, key, "=", it->second);
  }
  return out.empty() ? "(libpq defaults)" : out;
}

std::string Conninfo::Redact(std::string_view text) const {
  std::string out(text);
  for (const auto& [key, value] : secrets_) {
    const std::string_view secret = value.Reveal();
    out =
        absl::StrReplaceAll(out, {{absl::string_view(secret.data(), secret.size()), "[redacted]"}});
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(out, absl::ByAnyChar("\r\n"), absl::SkipWhitespace());
  for (auto& line : lines) line = absl::StripAsciiWhitespace(line);
  return absl::StrJoin(lines, " ");
}

}  // namespace jit::db
