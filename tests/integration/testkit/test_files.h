// Files an integration test hands to a service (key files, users, connector configs): in the
// test's scratch space, with the mode a service insists on for secrets.
// Thread-safety: thread-safe (distinct paths).
#ifndef JIT_TESTS_INTEGRATION_TESTKIT_TEST_FILES_H_
#define JIT_TESTS_INTEGRATION_TESTKIT_TEST_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jit::testkit {

// Writes `content` to `path` (replacing it) and sets `mode`. INTERNAL names the path when
// it cannot be written.
absl::Status WriteTestFile(const std::string& path, const std::string& content, mode_t mode = 0600);

// A directory (mode 0700, created if missing) in the test's scratch space, named after
// `prefix` and a counter, so that each call in a test process gets its own. INTERNAL when
// it cannot be created.
absl::StatusOr<std::string> MakeTestDir(const std::string& prefix);

}  // namespace jit::testkit

#endif  // JIT_TESTS_INTEGRATION_TESTKIT_TEST_FILES_H_
