#include "services/audit/export/jsonl_exporter.h"

#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "services/audit/export/line_format.h"

namespace jit::audit {

absl::StatusOr<int64_t> JsonlExporter::RunOnce() {
  int64_t exported = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<AuditEvent> events,
                     store_->ReadAfter(writer_->cursor(), batch_size_));
    if (events.empty()) break;
    std::vector<ExportedLine> lines;
    lines.reserve(events.size());
    for (const AuditEvent& e : events) lines.push_back({e.sequence(), JsonLine(e)});
    RETURN_IF_ERROR(writer_->Append(lines));
    exported += static_cast<int64_t>(lines.size());
    if (static_cast<int>(events.size()) < batch_size_) break;
  }
  RETURN_IF_ERROR(writer_->RotateIfDue());
  return exported;
}

}  // namespace jit::audit
