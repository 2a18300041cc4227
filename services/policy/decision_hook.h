// An external decision hook (Open Policy Agent style) consulted after a local "allow".
//
// The hook can only take access away: the policy engine asks it only when the roles
// allow, and any answer other than an explicit allow (a deny, an error, a timeout, a
// malformed reply) turns the decision into a deny. See http_decision_hook.h for the
// REST contract.
#ifndef JIT_SERVICES_POLICY_DECISION_HOOK_H_
#define JIT_SERVICES_POLICY_DECISION_HOOK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "jit/policy/v1/policy.pb.h"

namespace jit::policy {

// What the hook decides on. Borrowed for the duration of Evaluate.
struct HookInput {
  // "check_access", "check_request", "check_review" or "check_permission".
  absl::string_view decision;
  // The decision's request proto (e.g. a CheckAccessRequest).
  const google::protobuf::Message* request = nullptr;
  // The local decision's explanation (the local decision was "allow").
  const jit::policy::v1::Explanation* local_explanation = nullptr;
};

struct HookVerdict {
  bool allow = false;
  // The hook's reason, shown in the explanation.
  std::string reason;
};

class DecisionHook {
 public:
  virtual ~DecisionHook() = default;

  // The hook's verdict, or an error (DEADLINE_EXCEEDED, UNAVAILABLE, INVALID_ARGUMENT for a
  // malformed reply, ...). Both a deny verdict and an error deny. Must be thread-safe.
  virtual absl::StatusOr<HookVerdict> Evaluate(const HookInput& input) const = 0;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_DECISION_HOOK_H_
