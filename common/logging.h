// Process-wide logging set-up over spdlog. Code logs with spdlog's functions directly:
//
//   spdlog::info("listening on {}", address);
//   spdlog::warn("login refused user={} reason={}", user, "locked");
//
// Rules: one event per line, key=value for details, never a secret (tokens, passwords,
// private keys, client secrets; jit::SecretString prints "[redacted]"), never a user-supplied
// string without bounds (use LogSafe()).
#ifndef JIT_COMMON_LOGGING_H_
#define JIT_COMMON_LOGGING_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace jit {

struct LogOptions {
  // Logger name shown on each line, normally the service ("auth").
  std::string service;
  // "trace", "debug", "info", "warn", "error", "critical" or "off".
  std::string level = "info";
  // "text": 2026-11-23T20:14:15.123Z I auth] message
  // "json": {"ts":"...","level":"info","service":"auth","msg":"message"}
  std::string format = "text";
  // Empty: stderr. Else append to this file.
  std::string file;
};

// Installs the default logger. INVALID_ARGUMENT names a bad level or format; a file that
// cannot be opened is FAILED_PRECONDITION. Call once at start-up.
absl::Status InitLogging(const LogOptions& options);

// Makes an untrusted string safe for one log line: control characters escaped, at most
// `max_len` bytes kept (with "..." when cut).
std::string LogSafe(std::string_view untrusted, size_t max_len = 128);

}  // namespace jit

#endif  // JIT_COMMON_LOGGING_H_
