// The session token of the jit CLI, kept in <jit_dir>/session. The directory is created
// 0700 (and tightened to 0700 if it exists looser); the file is written 0600 through a
// temporary file and rename, so a reader never sees half a token. Load refuses a token file
// that others may read (it says how to fix it) and says "not logged in" when there is none.
#ifndef JIT_TOOLS_JIT_SESSION_FILE_H_
#define JIT_TOOLS_JIT_SESSION_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jit::cli {

absl::Status EnsurePrivateDir(const std::string& dir);
// Writes `contents` to `path` with mode 0600 (atomically).
absl::Status WritePrivateFile(const std::string& path, const std::string& contents);

absl::Status SaveSessionToken(const std::string& jit_dir, const std::string& token);
// NOT_FOUND "not logged in; run `jit login`" when there is no token.
absl::StatusOr<std::string> LoadSessionToken(const std::string& jit_dir);
// Removes the token; OK when there was none.
absl::Status RemoveSessionToken(const std::string& jit_dir);

}  // namespace jit::cli

#endif  // JIT_TOOLS_JIT_SESSION_FILE_H_
