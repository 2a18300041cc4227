#include "services/requests/postgres_auto_approval_quota.h"

#include <string>

#include "absl/strings/ascii.h"
#include "common/db/pg_transaction.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"

namespace jit::requests {

absl::StatusOr<bool> PostgresAutoApprovalQuota::Take(std::string_view user, std::string_view rule,
                                                     std::string_view day, uint32_t limit) {
  if (limit == 0) return true;
  const std::string name = absl::AsciiStrToLower(std::string(user));
  bool taken = false;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        "INSERT INTO requests.auto_approvals AS a (user_name, rule, day, taken) "
        "VALUES ($1, $2, $3::date, 1) "
        "ON CONFLICT (user_name, rule, day) DO UPDATE SET taken = a.taken + 1 "
        "WHERE a.taken < $4 RETURNING taken",
        name, std::string(rule), std::string(day), static_cast<int64_t>(limit));
    taken = !r.empty();
    return absl::OkStatus();
  }));
  return taken;
}

absl::StatusOr<uint32_t> PostgresAutoApprovalQuota::Taken(std::string_view user,
                                                          std::string_view rule,
                                                          std::string_view day) {
  const std::string name = absl::AsciiStrToLower(std::string(user));
  uint32_t taken = 0;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r = txn.exec_params(
            "SELECT taken FROM requests.auto_approvals WHERE user_name = $1 AND rule = $2 "
            "AND day = $3::date",
            name, std::string(rule), std::string(day));
        taken = r.empty() ? 0 : r[0][0].as<uint32_t>();
        return absl::OkStatus();
      }));
  return taken;
}

}  // namespace jit::requests
