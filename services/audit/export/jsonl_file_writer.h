// The JSON Lines file exporter's output: events appended one per line to
// <dir>/<name>.jsonl for Fluent Bit or Vector to tail, rotated by size and age, with a
// cursor stored beside it so that a restart neither skips nor repeats an event
// (docs/AUDIT.md, "JSON Lines files").
//
// Durability order: lines are written and fsync'ed, then the cursor (<dir>/<name>.cursor,
// {"sequence":N,"active_since_us":T}) is replaced atomically (write, fsync, rename, fsync
// the directory). Open() reconciles the two after a crash: a partial last line (no newline)
// is cut off, and lines past the stored cursor (written, cursor not yet stored) advance it.
// Rotation renames the active file to <name>-<UTC time>-<last sequence>.jsonl once it
// holds max_file_bytes or its first line is max_file_age old; a new active file starts with
// the next line. With max_rotated_files > 0 the oldest rotated files beyond that are
// deleted.
//
// Errors: FAILED_PRECONDITION for a malformed cursor file or an active file whose last line
// has no sequence (the writer refuses to guess); INTERNAL for I/O errors (naming the path).
// INVALID_ARGUMENT for bad options. Thread-compatible: one thread drives a writer.
#ifndef JIT_SERVICES_AUDIT_EXPORT_JSONL_FILE_WRITER_H_
#define JIT_SERVICES_AUDIT_EXPORT_JSONL_FILE_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace jit::audit {

struct JsonlFileOptions {
  std::string dir;
  std::string name = "audit";
  int64_t max_file_bytes = 64 << 20;             // >= 1
  absl::Duration max_file_age = absl::Hours(1);  // > 0
  int max_rotated_files = 0;                     // 0 keeps all
};

// One exported event: its sequence and its JSON line (export/line_format.h, no newline).
struct ExportedLine {
  int64_t sequence = 0;
  std::string text;
};

class JsonlFileWriter {
 public:
  // Creates `dir` (0750) if missing, then recovers as described above.
  static absl::StatusOr<std::unique_ptr<JsonlFileWriter>> Open(JsonlFileOptions options,
                                                               const Clock* clock);
  ~JsonlFileWriter();
  JsonlFileWriter(const JsonlFileWriter&) = delete;
  JsonlFileWriter& operator=(const JsonlFileWriter&) = delete;

  // The last sequence stored durably: resume the export after it.
  int64_t cursor() const { return cursor_; }

  // Appends the lines whose sequence is above the cursor, in order (a line at or below it,
  // or not above the previous one, is skipped), makes them durable, stores the cursor and
  // rotates when due.
  absl::Status Append(const std::vector<ExportedLine>& lines);

  // Rotates the active file if it has reached its age (for a writer that is idle).
  absl::Status RotateIfDue();

  const std::string& active_path() const { return active_path_; }

 private:
  JsonlFileWriter(JsonlFileOptions options, const Clock* clock);
  absl::Status Recover();
  absl::Status StoreCursor();
  absl::Status Rotate();
  absl::Status Prune();
  absl::Status EnsureOpen();

  const JsonlFileOptions options_;
  const Clock* const clock_;
  const std::string active_path_;
  const std::string cursor_path_;
  int fd_ = -1;
  int64_t active_bytes_ = 0;
  int64_t cursor_ = 0;
  int64_t active_since_us_ = 0;  // 0: the active file holds no line
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_EXPORT_JSONL_FILE_WRITER_H_
