// OnCallSource: "is this person on call now?", for the `on_call: true` condition of access
// review rules. Implementations: StaticOnCallSource (a schedule file) and
// PagerDutyOnCallSource (the PagerDuty REST API). A user is matched by name, or by the
// requester's "email" trait where the source knows people by e-mail.
// Errors (source unreachable, malformed answer) are returned, never guessed: callers fail
// closed (an approve rule with on_call does not match). Implementations are thread-safe.
#ifndef JIT_SERVICES_POLICY_REVIEW_RULES_ON_CALL_SOURCE_H_
#define JIT_SERVICES_POLICY_REVIEW_RULES_ON_CALL_SOURCE_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::policy {

class OnCallSource {
 public:
  virtual ~OnCallSource() = default;
  virtual absl::StatusOr<bool> IsOnCall(const jit::common::v1::Identity& user, absl::Time now) = 0;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_REVIEW_RULES_ON_CALL_SOURCE_H_
