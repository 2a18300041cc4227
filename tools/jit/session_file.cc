#include "tools/jit/session_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jit::cli {
namespace {

std::string TokenPath(const std::string& jit_dir) { return absl::StrCat(jit_dir, "/session"); }

absl::Status Errno(const std::string& what) {
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status EnsurePrivateDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno(absl::StrCat("cannot create ", dir, "; check that its parent is writable"));
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " is not a directory; move it away and retry"));
  }
  if ((st.st_mode & 0777) != 0700 && chmod(dir.c_str(), 0700) != 0) {
    return Errno(absl::StrCat("cannot make ", dir, " private (chmod 0700)"));
  }
  return absl::OkStatus();
}

absl::Status WritePrivateFile(const std::string& path, const std::string& contents) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  unlink(tmp.c_str());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(absl::StrCat("cannot write ", tmp));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status s = Errno(absl::StrCat("cannot write ", tmp));
      close(fd);
      unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    return Errno(absl::StrCat("cannot write ", tmp));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Errno(absl::StrCat("cannot replace ", path));
  }
  return absl::OkStatus();
}

absl::Status SaveSessionToken(const std::string& jit_dir, const std::string& token) {
  if (absl::Status s = EnsurePrivateDir(jit_dir); !s.ok()) return s;
  return WritePrivateFile(TokenPath(jit_dir), token + "\n");
}

absl::StatusOr<std::string> LoadSessionToken(const std::string& jit_dir) {
  const std::string path = TokenPath(jit_dir);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError("not logged in; run `jit login`");
    return Errno(absl::StrCat("cannot read ", path));
  }
  if ((st.st_mode & 0077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " may be read by others; run `chmod 600 ", path, "` or `jit login` again"));
  }
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(buffer.str()));
  if (token.empty()) return absl::NotFoundError("not logged in; run `jit login`");
  return token;
}

absl::Status RemoveSessionToken(const std::string& jit_dir) {
  const std::string path = TokenPath(jit_dir);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Errno(absl::StrCat("cannot remove ", path));
  }
  return absl::OkStatus();
}

}  // namespace jit::cli
