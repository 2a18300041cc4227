// AutoApprovalQuota in requests.auto_approvals (migrations/0005_auto_review.sql): Take is one
// conditional upsert (INSERT ... ON CONFLICT DO UPDATE ... WHERE taken < limit), so
// concurrent takes for the same user, rule and day never exceed the limit. User names are
// compared case-insensitively (stored lowercased). Errors as common/db/pg_errors.h maps
// them. Thread-safe; the pool is borrowed.
#ifndef JIT_SERVICES_REQUESTS_POSTGRES_AUTO_APPROVAL_QUOTA_H_
#define JIT_SERVICES_REQUESTS_POSTGRES_AUTO_APPROVAL_QUOTA_H_

#include "common/db/pg_pool.h"
#include "services/requests/auto_review.h"

namespace jit::requests {

class PostgresAutoApprovalQuota final : public AutoApprovalQuota {
 public:
  explicit PostgresAutoApprovalQuota(db::PgPool* pool) : pool_(pool) {}
  absl::StatusOr<bool> Take(std::string_view user, std::string_view rule, std::string_view day,
                            uint32_t limit) override;
  absl::StatusOr<uint32_t> Taken(std::string_view user, std::string_view rule,
                                 std::string_view day) override;

 private:
  db::PgPool* const pool_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_POSTGRES_AUTO_APPROVAL_QUOTA_H_
