// Shared pieces of the auth service's PostgreSQL stores: JSON conversions and session
// revocation, used inside the stores' transactions (times and bytes go through
// common/db/pg_values.h, audit events through common/audit/postgres_audit_outbox.h).
// Internal to services/auth; every function may throw libpqxx exceptions (the stores catch
// them through db::RunInTransaction / db::CatchPgErrors).
#ifndef JIT_SERVICES_AUTH_STORAGE_POSTGRES_ROWS_H_
#define JIT_SERVICES_AUTH_STORAGE_POSTGRES_ROWS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/auth/v1/auth.pb.h"
#include "pqxx/transaction_base"

namespace jit::auth::pg {

// roles (JSON array) and traits (JSON object of string arrays) of a user.
std::string RolesJson(const jit::auth::v1::User& user);
std::string TraitsJson(const jit::auth::v1::User& user);
// DATA_LOSS when the stored JSON has another shape.
absl::Status ReadRolesAndTraits(std::string_view roles_json, std::string_view traits_json,
                                jit::auth::v1::User* user);

// Revokes the unrevoked sessions of `user` except `keep_session_id` ("" keeps none) whose
// expiry is after `now - kRevokedSessionGrace` (verifiers still accept their tokens a little
// past exp), each with the next revocation cursor. Returns how many were revoked.
int64_t RevokeUserSessions(pqxx::transaction_base& txn, std::string_view user,
                           std::string_view keep_session_id, std::string_view revoked_by,
                           absl::Time now);

}  // namespace jit::auth::pg

#endif  // JIT_SERVICES_AUTH_STORAGE_POSTGRES_ROWS_H_
