#include "common/server/process_settings.h"

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace jit::server {
namespace {

// Debian's Abseil aborts on a lock order it has seen both ways; a service must not.
TEST(ProcessSettingsTest, LocksTakenInBothOrdersDoNotAbortAService) {
  ApplyServiceProcessSettings();
  absl::Mutex a, b;
  int taken = 0;
  {
    absl::MutexLock first(&a);
    absl::MutexLock second(&b);
    ++taken;
  }
  {
    absl::MutexLock first(&b);
    absl::MutexLock second(&a);
    ++taken;
  }
  EXPECT_EQ(taken, 2);
}

}  // namespace
}  // namespace jit::server
