// Reading secrets (client secrets, key-encryption keys, bootstrap passwords) from files:
// Kubernetes Secrets mounted as files, or files that deploy/local/up.sh writes 0600.
#ifndef JIT_COMMON_SECRET_FILE_H_
#define JIT_COMMON_SECRET_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace jit {

// Reads a secret from a file, dropping one trailing newline (and a CR before it). The bytes
// go straight into the SecretString (POSIX reads into one buffer, no stream copies).
// FAILED_PRECONDITION naming the path when the file is unreadable, not a regular file, empty,
// larger than 64 KiB, or readable/writable by group or others - except that a file owned by
// root may be group-readable (0640/0440: a Kubernetes Secret mounted with an fsGroup).
absl::StatusOr<SecretString> ReadSecretFile(const std::string& path);

}  // namespace jit

#endif  // JIT_COMMON_SECRET_FILE_H_
