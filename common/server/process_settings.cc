#include "common/server/process_settings.h"

#include "absl/synchronization/mutex.h"

namespace jit::server {

void ApplyServiceProcessSettings() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace jit::server
