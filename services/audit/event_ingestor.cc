#include "services/audit/event_ingestor.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "services/audit/event_validation.h"
#include "spdlog/spdlog.h"

namespace jit::audit {

absl::StatusOr<jit::audit::v1::IngestEventsResponse> EventIngestor::Ingest(
    std::string_view caller_service, const jit::audit::v1::IngestEventsRequest& request) {
  ASSIGN_OR_RETURN(std::vector<AuditEvent> events, ValidateBatch(request.events(), clock_->Now()));
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].service() != caller_service) {
      return absl::PermissionDeniedError(
          absl::StrCat("events[", i, "].service: \"", LogSafe(events[i].service(), 64),
                       "\" but the caller is service \"", LogSafe(caller_service, 64), "\""));
    }
  }
  ASSIGN_OR_RETURN(AppendResult result,
                   store_->Append(events, checkpointer_ != nullptr ? checkpointer_->ForAppend()
                                                                   : CheckpointFn()));
  if (result.checkpoint) checkpointer_->Stored(*result.checkpoint);
  jit::audit::v1::IngestEventsResponse out;
  out.set_accepted(result.accepted);
  out.set_duplicates(result.duplicates);
  out.set_last_sequence(result.head.sequence);
  return out;
}

}  // namespace jit::audit
