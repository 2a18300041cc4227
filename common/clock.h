// Time as an injected dependency. Code that needs "now" takes a `const Clock&` (or a
// pointer) in its constructor; production passes RealClock, tests pass FakeClock
// (common/testing/fake_clock.h) and move time explicitly, so no test waits for time to pass.
#ifndef JIT_COMMON_CLOCK_H_
#define JIT_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jit {

// Thread-safe source of the current time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system's wall clock. Stateless; one shared instance is fine.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }

  // A process-wide instance for main() wiring (never used inside logic directly).
  static const RealClock& Get() {
    static const RealClock clock;
    return clock;
  }
};

}  // namespace jit

#endif  // JIT_COMMON_CLOCK_H_
