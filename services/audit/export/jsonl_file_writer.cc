#include "services/audit/export/jsonl_file_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/audit/export/line_format.h"

namespace jit::audit {
namespace {

absl::Status IoError(std::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(std::string(what), " ", path, ": ", std::strerror(errno)));
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path);
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const absl::Status s = IoError("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", dir);
  const int r = ::fsync(fd);
  ::close(fd);
  if (r != 0) return IoError("cannot sync directory", dir);
  return absl::OkStatus();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

JsonlFileWriter::JsonlFileWriter(JsonlFileOptions options, const Clock* clock)
    : options_(std::move(options)),
      clock_(clock),
      active_path_(absl::StrCat(options_.dir, "/", options_.name, ".jsonl")),
      cursor_path_(absl::StrCat(options_.dir, "/", options_.name, ".cursor")) {}

JsonlFileWriter::~JsonlFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::unique_ptr<JsonlFileWriter>> JsonlFileWriter::Open(JsonlFileOptions options,
                                                                       const Clock* clock) {
  if (options.dir.empty()) return absl::InvalidArgumentError("export dir: missing");
  if (options.name.empty() || options.name.find('/') != std::string::npos) {
    return absl::InvalidArgumentError("export file name: must be a plain file name");
  }
  if (options.max_file_bytes < 1) {
    return absl::InvalidArgumentError("max_file_bytes: must be at least 1");
  }
  if (options.max_file_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("max_file_age: must be positive");
  }
  if (options.max_rotated_files < 0) {
    return absl::InvalidArgumentError("max_rotated_files: must not be negative");
  }
  if (::mkdir(options.dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return IoError("cannot create", options.dir);
  }
  std::unique_ptr<JsonlFileWriter> writer(new JsonlFileWriter(std::move(options), clock));
  RETURN_IF_ERROR(writer->Recover());
  return writer;
}

absl::Status JsonlFileWriter::Recover() {
  if (Exists(cursor_path_)) {
    ASSIGN_OR_RETURN(std::string text, ReadWhole(cursor_path_));
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("sequence") || !j["sequence"].is_number_integer() ||
        !j.contains("active_since_us") || !j["active_since_us"].is_number_integer() ||
        j["sequence"].get<int64_t>() < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(cursor_path_, ": not a cursor ({\"sequence\":N,\"active_since_us\":T})"));
    }
    cursor_ = j["sequence"].get<int64_t>();
    active_since_us_ = j["active_since_us"].get<int64_t>();
  }
  bool changed = false;
  if (Exists(active_path_)) {
    ASSIGN_OR_RETURN(std::string content, ReadWhole(active_path_));
    // Cut a partial last line (a crash in the middle of a write).
    const size_t end = content.rfind('\n');
    const size_t keep = end == std::string::npos ? 0 : end + 1;
    if (keep != content.size()) {
      if (::truncate(active_path_.c_str(), static_cast<off_t>(keep)) != 0) {
        return IoError("cannot truncate", active_path_);
      }
      content.resize(keep);
    }
    active_bytes_ = static_cast<int64_t>(content.size());
    if (!content.empty()) {
      const size_t start =
          content.size() >= 2 ? content.rfind('\n', content.size() - 2) : std::string::npos;
      const std::string_view last(
          content.data() + (start == std::string::npos ? 0 : start + 1),
          content.size() - 1 - (start == std::string::npos ? 0 : start + 1));
      const std::optional<int64_t> seq = JsonLineSequence(last);
      if (!seq) {
        return absl::FailedPreconditionError(
            absl::StrCat(active_path_, ": the last line does not start with {\"sequence\":N,"));
      }
      if (*seq > cursor_) {
        cursor_ = *seq;
        changed = true;
      }
      if (active_since_us_ == 0) {
        active_since_us_ = absl::ToUnixMicros(clock_->Now());
        changed = true;
      }
    } else if (active_since_us_ != 0) {
      active_since_us_ = 0;
      changed = true;
    }
  } else if (active_since_us_ != 0) {
    active_since_us_ = 0;
    changed = true;
  }
  if (changed) RETURN_IF_ERROR(StoreCursor());
  return absl::OkStatus();
}

absl::Status JsonlFileWriter::StoreCursor() {
  const std::string tmp = absl::StrCat(cursor_path_, ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return IoError("cannot create", tmp);
  absl::Status s = WriteAll(
      fd, absl::StrCat("{\"sequence\":", cursor_, ",\"active_since_us\":", active_since_us_, "}\n"),
      tmp);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("cannot sync", tmp);
  ::close(fd);
  RETURN_IF_ERROR(s);
  if (::rename(tmp.c_str(), cursor_path_.c_str()) != 0) return IoError("cannot rename", tmp);
  return SyncDir(options_.dir);
}

absl::Status JsonlFileWriter::EnsureOpen() {
  if (fd_ >= 0) return absl::OkStatus();
  fd_ = ::open(active_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return IoError("cannot open", active_path_);
  return absl::OkStatus();
}

absl::Status JsonlFileWriter::Append(const std::vector<ExportedLine>& lines) {
  std::string buffer;
  int64_t last = cursor_;
  for (const ExportedLine& line : lines) {
    if (line.sequence <= last) continue;
    buffer.append(line.text);
    buffer.push_back('\n');
    last = line.sequence;
  }
  if (!buffer.empty()) {
    RETURN_IF_ERROR(EnsureOpen());
    RETURN_IF_ERROR(WriteAll(fd_, buffer, active_path_));
    if (::fdatasync(fd_) != 0) return IoError("cannot sync", active_path_);
    const bool first_lines = active_bytes_ == 0;
    active_bytes_ += static_cast<int64_t>(buffer.size());
    cursor_ = last;
    if (first_lines) active_since_us_ = absl::ToUnixMicros(clock_->Now());
    RETURN_IF_ERROR(StoreCursor());
  }
  return RotateIfDue();
}

absl::Status JsonlFileWriter::RotateIfDue() {
  if (active_bytes_ == 0) return absl::OkStatus();
  const bool big = active_bytes_ >= options_.max_file_bytes;
  const bool old = clock_->Now() - absl::FromUnixMicros(active_since_us_) >= options_.max_file_age;
  if (!big && !old) return absl::OkStatus();
  return Rotate();
}

absl::Status JsonlFileWriter::Rotate() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  const std::string stamp =
      absl::FormatTime("%Y%m%dT%H%M%E6SZ", clock_->Now(), absl::UTCTimeZone());
  std::string rotated =
      absl::StrCat(options_.dir, "/", options_.name, "-", stamp, "-", cursor_, ".jsonl");
  if (Exists(rotated)) return absl::InternalError(absl::StrCat(rotated, ": exists already"));
  if (::rename(active_path_.c_str(), rotated.c_str()) != 0) {
    return IoError("cannot rename", active_path_);
  }
  active_bytes_ = 0;
  active_since_us_ = 0;
  RETURN_IF_ERROR(StoreCursor());  // also syncs the directory
  return Prune();
}

absl::Status JsonlFileWriter::Prune() {
  if (options_.max_rotated_files == 0) return absl::OkStatus();
  DIR* dir = ::opendir(options_.dir.c_str());
  if (dir == nullptr) return IoError("cannot list", options_.dir);
  std::vector<std::string> rotated;
  const std::string prefix = options_.name + "-";
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (absl::StartsWith(name, prefix) && absl::EndsWith(name, ".jsonl")) rotated.push_back(name);
  }
  ::closedir(dir);
  std::sort(rotated.begin(), rotated.end());  // the UTC stamp sorts by time
  const size_t keep = static_cast<size_t>(options_.max_rotated_files);
  for (size_t i = 0; i + keep < rotated.size(); ++i) {
    const std::string path = absl::StrCat(options_.dir, "/", rotated[i]);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("cannot delete", path);
  }
  return absl::OkStatus();
}

}  // namespace jit::audit
