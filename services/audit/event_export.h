// ExportEvents: the stored events after a resume point, in sequence order, rendered one
// per line (export/line_format.h), in batches; in follow mode it then waits for new events
// (HeadWatcher) until the caller goes away.
//
// Request: after_sequence >= 0 (0 = from the first event); format JSON Lines (default) or
// CEF; max_events >= 0 (0 = no limit); otherwise INVALID_ARGUMENT naming the field.
// Each batch holds at most `batch_size` events and last_sequence = the sequence of its last
// line, which is the resume point after a disconnect: resuming from it neither skips nor
// repeats an event.
// Thread-safe; borrows the store and the watcher.
#ifndef JIT_SERVICES_AUDIT_EVENT_EXPORT_H_
#define JIT_SERVICES_AUDIT_EVENT_EXPORT_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "jit/audit/v1/audit.pb.h"
#include "services/audit/storage/event_store.h"

namespace jit::audit {

struct ExportOptions {
  int batch_size = 500;
  // In follow mode, how long one wait for new events lasts before the caller's cancellation
  // is looked at again.
  absl::Duration follow_wait = absl::Seconds(1);
};

class EventExport {
 public:
  EventExport(EventStore* store, HeadWatcher* watcher, ExportOptions options = {})
      : store_(store), watcher_(watcher), options_(options) {}

  // Hands each batch to `write`; stops when `write` returns false (the caller is gone), when
  // `cancelled` returns true, after max_events, or (without follow) at the chain's end.
  // OK then; INVALID_ARGUMENT for a bad request; the store's errors.
  absl::Status Export(const jit::audit::v1::ExportEventsRequest& request,
                      const std::function<bool(const jit::audit::v1::ExportEventsResponse&)>& write,
                      const std::function<bool()>& cancelled);

 private:
  EventStore* const store_;
  HeadWatcher* const watcher_;
  const ExportOptions options_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_EVENT_EXPORT_H_
