#include "common/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace jit {

absl::StatusOr<SecretString> ReadSecretFile(const std::string& path) {
  // POSIX I/O into one buffer that SecretString wipes: iostreams would leave copies of the
  // secret in their own buffers.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::FailedPreconditionError("secret file " + path + " cannot be read");
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError("secret file " + path + " is not a regular file");
  }
  // PostgreSQL's rule for its key file: private to the owner, or owned by root and at most
  // group-readable. The latter is how the kubelet mounts a Secret for a non-root process
  // (root:<fsGroup>, 0440): root wrote it, only the pod's group reads it.
  const bool root_group_readable = st.st_uid == 0 && (st.st_mode & 037) == 0;
  if ((st.st_mode & 077) != 0 && !root_group_readable) {
    ::close(fd);
    return absl::FailedPreconditionError(
        "secret file " + path +
        " is accessible by group or others (chmod 600, or 640 if owned by root)");
  }
  constexpr size_t kMaxSecretBytes = 64 * 1024;
  if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxSecretBytes) {
    ::close(fd);
    return absl::FailedPreconditionError("secret file " + path + " is empty or too large");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(got);  // shrinking keeps the same buffer
  if (!data.empty() && data.back() == '\n') data.pop_back();
  if (!data.empty() && data.back() == '\r') data.pop_back();
  SecretString secret(std::move(data));
  if (secret.empty()) return absl::FailedPreconditionError("secret file " + path + " is empty");
  return secret;
}

}  // namespace jit
