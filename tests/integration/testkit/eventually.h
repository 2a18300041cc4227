// Bounded waits on an observable outcome, for what takes a moment to propagate between
// processes (a role change reaching another replica, a Logout reaching a verifier, a service
// accepting tokens after its first refresh). What a test asserts is the outcome; the patience
// is only an upper bound on a shared machine, never a timing assertion.
// Thread-safety: the functions are thread-safe if the callables are.
#ifndef JIT_TESTS_INTEGRATION_TESTKIT_EVENTUALLY_H_
#define JIT_TESTS_INTEGRATION_TESTKIT_EVENTUALLY_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace jit::testkit {

// Upper bound of a wait: generous, the machine is shared.
inline constexpr absl::Duration kPatience = absl::Seconds(60);

// Calls `condition` until it returns true (then true) or `patience` has passed (then false),
// pausing briefly between calls.
bool Eventually(const std::function<bool()>& condition, absl::Duration patience = kPatience);

// Calls `call` until its status has code `code` or `patience` has passed; returns the last
// status, so that a test can assert both the code and the message:
//   EXPECT_THAT(EventuallyStatus(kUnauthenticated, [&] { return WhoAmI(token).status(); }),
//               StatusIs(kUnauthenticated, "session revoked"));
absl::Status EventuallyStatus(absl::StatusCode code, const std::function<absl::Status()>& call,
                              absl::Duration patience = kPatience);

}  // namespace jit::testkit

#endif  // JIT_TESTS_INTEGRATION_TESTKIT_EVENTUALLY_H_
