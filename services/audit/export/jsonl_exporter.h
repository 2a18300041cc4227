// The JSON Lines file exporter's loop: copies the stored events after the file writer's
// cursor into its files (jsonl_file_writer.h), one JSON line each (line_format.h), so that
// Fluent Bit or Vector can tail them (docs/AUDIT.md, "JSON Lines files").
//
// RunOnce reads the chain after the writer's durable cursor in batches of `batch_size` and
// appends them until it has caught up with the head, then rotates an idle file whose age is
// due. A restart resumes from the cursor: nothing is skipped or repeated. jit-audit runs it
// on a PeriodicTask when --export_dir is set (audit_app.cc); each replica that exports
// writes its own directory.
//
// Errors: the store's (UNAVAILABLE, DATA_LOSS, ...) and the writer's (INTERNAL for I/O);
// what was appended before the error stays appended and the next run continues after it.
// Thread-compatible: one thread drives it (as the writer); borrows the store and writer.
#ifndef JIT_SERVICES_AUDIT_EXPORT_JSONL_EXPORTER_H_
#define JIT_SERVICES_AUDIT_EXPORT_JSONL_EXPORTER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "services/audit/export/jsonl_file_writer.h"
#include "services/audit/storage/event_store.h"

namespace jit::audit {

class JsonlExporter {
 public:
  // `batch_size` >= 1 events per read.
  JsonlExporter(EventStore* store, JsonlFileWriter* writer, int batch_size = 500)
      : store_(store), writer_(writer), batch_size_(batch_size < 1 ? 1 : batch_size) {}

  // The number of events appended to the files by this run.
  absl::StatusOr<int64_t> RunOnce();

 private:
  EventStore* const store_;
  JsonlFileWriter* const writer_;
  const int batch_size_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_EXPORT_JSONL_EXPORTER_H_
