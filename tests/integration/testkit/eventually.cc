#include "tests/integration/testkit/eventually.h"

#include "absl/time/clock.h"

namespace jit::testkit {
namespace {

constexpr absl::Duration kPause = absl::Milliseconds(50);

}  // namespace

bool Eventually(const std::function<bool()>& condition, absl::Duration patience) {
  const absl::Time deadline = absl::Now() + patience;
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(kPause);
  }
  return true;
}

absl::Status EventuallyStatus(absl::StatusCode code, const std::function<absl::Status()>& call,
                              absl::Duration patience) {
  absl::Status last;
  Eventually(
      [&] {
        last = call();
        return last.code() == code;
      },
      patience);
  return last;
}

}  // namespace jit::testkit
