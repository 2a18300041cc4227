// An in-memory CaKeyStore for unit tests: keys kept as given (no sealing), audit events
// collected. Thread-safe.
#ifndef JIT_SERVICES_CA_TESTING_IN_MEMORY_CA_KEY_STORE_H_
#define JIT_SERVICES_CA_TESTING_IN_MEMORY_CA_KEY_STORE_H_

#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/ca/ca_key_store.h"

namespace jit::ca::testing {

class InMemoryCaKeyStore final : public CaKeyStore {
 public:
  absl::StatusOr<std::vector<CaKeyRecord>> ListKeys() override {
    absl::MutexLock lock(&mu_);
    std::vector<CaKeyRecord> out;
    for (const CaKeyRecord& k : keys_) {
      if (k.state != CaKeyState::kRetired) out.push_back(k);
    }
    return out;
  }

  absl::StatusOr<bool> AddActiveIfAbsent(const CaKeyRecord& key,
                                         const jit::common::v1::AuditEvent& event) override {
    absl::MutexLock lock(&mu_);
    for (const CaKeyRecord& k : keys_) {
      if (k.kind == key.kind && k.state == CaKeyState::kActive) return false;
    }
    keys_.push_back(key);
    keys_.back().state = CaKeyState::kActive;
    events_.push_back(event);
    return true;
  }

  absl::StatusOr<RotationState> GetRotation(CaKind kind) override {
    absl::MutexLock lock(&mu_);
    return rotations_[static_cast<int>(kind)];
  }

  absl::Status ApplyRotation(const RotationStep& step,
                             const jit::common::v1::AuditEvent& event) override {
    absl::MutexLock lock(&mu_);
    RotationState& state = rotations_[static_cast<int>(step.kind)];
    if (state.phase != step.from) return absl::FailedPreconditionError("phase moved meanwhile");
    std::vector<CaKeyRecord> keys = keys_;
    for (const RotationStep::KeyChange& change : step.key_changes) {
      int moved = 0;
      for (CaKeyRecord& k : keys) {
        if (k.key_id == change.key_id && k.kind == step.kind && k.state == change.from) {
          k.state = change.to;
          ++moved;
        }
      }
      if (moved != 1) return absl::FailedPreconditionError("key not in the expected state");
    }
    if (step.new_key.has_value()) {
      for (const CaKeyRecord& k : keys) {
        if (k.kind == step.kind && k.state == CaKeyState::kNext) {
          return absl::FailedPreconditionError("already a next key");
        }
      }
      keys.push_back(*step.new_key);
      keys.back().state = CaKeyState::kNext;
    }
    keys_ = std::move(keys);
    state = {.phase = step.to,
             .old_key_id = step.old_key_id,
             .new_key_id = step.new_key_id,
             .update_time = step.time};
    events_.push_back(event);
    return absl::OkStatus();
  }

  std::vector<jit::common::v1::AuditEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<CaKeyRecord> keys_ ABSL_GUARDED_BY(mu_);
  std::vector<jit::common::v1::AuditEvent> events_ ABSL_GUARDED_BY(mu_);
  RotationState rotations_[kAllCaKinds.size()] ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::ca::testing

#endif  // JIT_SERVICES_CA_TESTING_IN_MEMORY_CA_KEY_STORE_H_
