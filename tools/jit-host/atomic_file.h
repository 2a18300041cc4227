// Files that peers read while we replace them (sshd's RevokedKeys on every login,
// PostgreSQL's ssl_crl_file on reload): written to a temporary file in the same directory,
// fsync'd, renamed over the old one and the directory fsync'd, so a reader sees the old
// file or the new one, never a half-written one.
#ifndef JIT_TOOLS_JIT_HOST_ATOMIC_FILE_H_
#define JIT_TOOLS_JIT_HOST_ATOMIC_FILE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jit::host {

// Replaces `path` with `content` (mode `mode`). FAILED_PRECONDITION naming the path and the
// OS error when any step fails (the old file is then untouched).
absl::Status AtomicWriteFile(const std::string& path, std::string_view content, int mode = 0644);

// The file's bytes, or nullopt when it does not exist. FAILED_PRECONDITION when unreadable.
absl::StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path);

}  // namespace jit::host

#endif  // JIT_TOOLS_JIT_HOST_ATOMIC_FILE_H_
