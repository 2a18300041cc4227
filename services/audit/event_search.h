// SearchEvents: a filter over stored events, newest (or oldest) first by (time, sequence),
// paged with a keyset cursor so that pages stay fast and stable however many events arrive.
//
// page_size: 0 means 100; over 1000 is INVALID_ARGUMENT. types: exact types
// ("auth.login") or prefixes ending in ".*" ("access_request.*"), at most 20. start_time <
// end_time when both are set. actor, target and request_id match exactly. The page token
// is opaque (base64url); it names the last event returned and a fingerprint of the filter:
// a token used with another filter or direction, or a malformed one, is INVALID_ARGUMENT
// ("page_token: ..."). next_page_token is "" on the last page.
// Thread-safe; borrows the store.
#ifndef JIT_SERVICES_AUDIT_EVENT_SEARCH_H_
#define JIT_SERVICES_AUDIT_EVENT_SEARCH_H_

#include "absl/status/statusor.h"
#include "jit/audit/v1/audit.pb.h"
#include "services/audit/storage/event_store.h"

namespace jit::audit {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kMaxTypeFilters = 20;

class EventSearch {
 public:
  explicit EventSearch(EventStore* store) : store_(store) {}

  absl::StatusOr<jit::audit::v1::SearchEventsResponse> Search(
      const jit::audit::v1::SearchEventsRequest& request);

 private:
  EventStore* const store_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_EVENT_SEARCH_H_
