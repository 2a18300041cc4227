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

  std::vector<jit::common::v1::AuditEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<CaKeyRecord> keys_ ABSL_GUARDED_BY(mu_);
  std::vector<jit::common::v1::AuditEvent> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::ca::testing

#endif  // JIT_SERVICES_CA_TESTING_IN_MEMORY_CA_KEY_STORE_H_
