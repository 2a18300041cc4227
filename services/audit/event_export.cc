#include "services/audit/event_export.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/audit/export/line_format.h"

namespace jit::audit {

using jit::audit::v1::ExportEventsRequest;
using jit::audit::v1::ExportEventsResponse;

absl::Status EventExport::Export(const ExportEventsRequest& request,
                                 const std::function<bool(const ExportEventsResponse&)>& write,
                                 const std::function<bool()>& cancelled) {
  if (request.after_sequence() < 0) {
    return absl::InvalidArgumentError("after_sequence: must not be negative");
  }
  if (request.max_events() < 0) {
    return absl::InvalidArgumentError("max_events: must not be negative");
  }
  const ExportEventsRequest::Format format = request.format();
  if (format != ExportEventsRequest::FORMAT_UNSPECIFIED &&
      format != ExportEventsRequest::FORMAT_JSON_LINES &&
      format != ExportEventsRequest::FORMAT_CEF) {
    return absl::InvalidArgumentError(
        absl::StrCat("format: unknown value ", static_cast<int>(format)));
  }
  int64_t remaining =
      request.max_events() == 0 ? std::numeric_limits<int64_t>::max() : request.max_events();
  int64_t after = request.after_sequence();
  while (remaining > 0 && !cancelled()) {
    const int limit = static_cast<int>(std::min<int64_t>(options_.batch_size, remaining));
    ASSIGN_OR_RETURN(std::vector<AuditEvent> events, store_->ReadAfter(after, limit));
    if (events.empty()) {
      if (!request.follow()) return absl::OkStatus();
      watcher_->WaitBeyond(after, options_.follow_wait);
      continue;
    }
    ExportEventsResponse batch;
    for (const AuditEvent& e : events) {
      batch.add_lines(format == ExportEventsRequest::FORMAT_CEF ? CefLine(e) : JsonLine(e));
    }
    after = events.back().sequence();
    batch.set_last_sequence(after);
    remaining -= static_cast<int64_t>(events.size());
    if (!write(batch)) return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace jit::audit
