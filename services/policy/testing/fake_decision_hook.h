// A DecisionHook for tests: answers a fixed verdict or error and counts calls.
#ifndef JIT_SERVICES_POLICY_TESTING_FAKE_DECISION_HOOK_H_
#define JIT_SERVICES_POLICY_TESTING_FAKE_DECISION_HOOK_H_

#include <atomic>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "services/policy/decision_hook.h"

namespace jit::policy::testing {

class FakeDecisionHook final : public DecisionHook {
 public:
  explicit FakeDecisionHook(absl::StatusOr<HookVerdict> answer) : answer_(std::move(answer)) {}

  absl::StatusOr<HookVerdict> Evaluate(const HookInput& input) const override {
    ++calls_;
    absl::MutexLock lock(&mu_);
    last_decision_ = std::string(input.decision);
    return answer_;
  }

  int calls() const { return calls_.load(); }
  std::string last_decision() const {
    absl::MutexLock lock(&mu_);
    return last_decision_;
  }

 private:
  const absl::StatusOr<HookVerdict> answer_;
  mutable std::atomic<int> calls_{0};
  mutable absl::Mutex mu_;
  mutable std::string last_decision_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::policy::testing

#endif  // JIT_SERVICES_POLICY_TESTING_FAKE_DECISION_HOOK_H_
