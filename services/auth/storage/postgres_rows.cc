#include "services/auth/storage/postgres_rows.h"

#include "absl/strings/str_cat.h"
#include "common/db/pg_values.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"
#include "services/auth/session_store.h"

namespace jit::auth::pg {

std::string RolesJson(const jit::auth::v1::User& user) {
  nlohmann::json roles = nlohmann::json::array();
  for (const std::string& r : user.roles()) roles.push_back(r);
  return roles.dump();
}

std::string TraitsJson(const jit::auth::v1::User& user) {
  nlohmann::json traits = nlohmann::json::object();
  for (const auto& [key, list] : user.traits()) {
    nlohmann::json values = nlohmann::json::array();
    for (const std::string& v : list.values()) values.push_back(v);
    traits[key] = std::move(values);
  }
  return traits.dump();
}

absl::Status ReadRolesAndTraits(std::string_view roles_json, std::string_view traits_json,
                                jit::auth::v1::User* user) {
  const auto bad = [&] {
    return absl::DataLossError(absl::StrCat("stored roles/traits of user \"", user->name(),
                                            "\" have an unexpected shape"));
  };
  nlohmann::json roles = nlohmann::json::parse(roles_json, nullptr, false);
  nlohmann::json traits = nlohmann::json::parse(traits_json, nullptr, false);
  if (!roles.is_array() || !traits.is_object()) return bad();
  user->clear_roles();
  for (const auto& r : roles) {
    if (!r.is_string()) return bad();
    user->add_roles(r.get<std::string>());
  }
  user->clear_traits();
  for (const auto& [key, values] : traits.items()) {
    if (!values.is_array()) return bad();
    auto& list = (*user->mutable_traits())[key];
    for (const auto& v : values) {
      if (!v.is_string()) return bad();
      list.add_values(v.get<std::string>());
    }
  }
  return absl::OkStatus();
}

int64_t RevokeUserSessions(pqxx::transaction_base& txn, std::string_view user,
                           std::string_view keep_session_id, std::string_view revoked_by,
                           absl::Time now) {
  // The counter's row lock orders concurrent revocations by commit (see the migration).
  const int64_t base =
      txn.exec("SELECT value FROM auth.revocation_counter FOR UPDATE")[0][0].as<int64_t>();
  const pqxx::result revoked = txn.exec_params(
      "UPDATE auth.sessions s SET revoked_at = $4::timestamptz, revoked_by = $3, "
      "revocation_cursor = $5 + t.n "
      "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM auth.sessions "
      "      WHERE user_name = $1 AND id <> $2 AND revoked_at IS NULL "
      "        AND expire_time > $6::timestamptz) t "
      "WHERE s.id = t.id RETURNING s.id",
      std::string(user), std::string(keep_session_id), std::string(revoked_by),
      db::Timestamptz(now), base, db::Timestamptz(now - kRevokedSessionGrace));
  const int64_t n = static_cast<int64_t>(revoked.size());
  if (n > 0) {
    txn.exec_params("UPDATE auth.revocation_counter SET value = $1", base + n);
  }
  return n;
}

}  // namespace jit::auth::pg
