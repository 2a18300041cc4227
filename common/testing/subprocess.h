// Child processes for integration tests: start a real binary, wait for it, signal it, and
// always reap it (the destructor kills a child still running).
#ifndef JIT_COMMON_TESTING_SUBPROCESS_H_
#define JIT_COMMON_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jit::testing {

class Subprocess {
 public:
  // Starts argv[0] (a path) with stdout and stderr appended to `output_path`, the
  // environment of the test plus `env` (NAME=value entries).
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv, const std::string& output_path,
      const std::vector<std::string>& env = {});

  ~Subprocess();

  pid_t pid() const { return pid_; }

  // Sends a signal (no-op once the child has been reaped).
  void Signal(int sig);

  // Waits up to `timeout` for the child to end. Returns the exit code, or 128 + signal
  // number when killed by a signal; DEADLINE_EXCEEDED if it is still running.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // What the child wrote so far.
  std::string Output() const;

 private:
  Subprocess(pid_t pid, std::string output_path)
      : pid_(pid), output_path_(std::move(output_path)) {}

  pid_t pid_;
  std::string output_path_;
  std::optional<int> exit_code_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int PickUnusedPort();

// Reads a whole file ("" if missing).
std::string ReadFileOrEmpty(const std::string& path);

// Runs a command line with /bin/sh and returns its exit code and combined output.
std::pair<int, std::string> RunShell(const std::string& command);

}  // namespace jit::testing

#endif  // JIT_COMMON_TESTING_SUBPROCESS_H_
