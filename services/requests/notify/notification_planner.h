// PlanNotifications: which notifications a change of an access request causes, and to which
// sinks (notify_config.h), as plain logic. The writer (notification_queue.h) stores them in
// the transaction of the change.
//
// - A new PENDING request: "created" to its routed sinks, and, with reminder_fraction > 0, a
//   "reminder" due at create + fraction * (pending_expire_time - create_time).
// - A new break-glass request (APPROVED at once): "break_glass", urgent, to its routed sinks
//   (never dropped: with no route and no default it goes to every sink).
// - PENDING -> APPROVED | DENIED | EXPIRED | CANCELLED: the matching event ("approved", ...)
//   to its routed sinks and to the requester's (the `requesters` routes), and the pending
//   reminders of the request are cancelled (Plan.cancel_reminders).
// - Any other change: nothing.
// Routed sinks: every route one of the request's roles or suggested reviewers matches (globs:
// '*' any run, '?' one character); none matching -> `default`. Each sink once per event.
// Pure; thread-safe.
#ifndef JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_PLANNER_H_
#define JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_PLANNER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "jit/common/v1/access_request.pb.h"
#include "services/requests/notify/notify_config.h"

namespace jit::requests::notify {

using jit::common::v1::AccessRequest;
using jit::common::v1::AccessRequestState;

// Event names as stored and sent.
inline constexpr char kEventCreated[] = "created";
inline constexpr char kEventBreakGlass[] = "break_glass";
inline constexpr char kEventReminder[] = "reminder";
inline constexpr char kEventApproved[] = "approved";
inline constexpr char kEventDenied[] = "denied";
inline constexpr char kEventExpired[] = "expired";
inline constexpr char kEventCancelled[] = "cancelled";

struct PlannedNotification {
  std::string event;
  std::string sink;
  bool urgent = false;
  absl::Time due;  // when it may be sent first
};

struct Plan {
  std::vector<PlannedNotification> notifications;
  bool cancel_reminders = false;
};

// `from` is the state before the change (UNSPECIFIED for a new request); `after` the request
// as stored; `now` the change's time.
Plan PlanNotifications(const NotifyConfig& config, AccessRequestState from,
                       const AccessRequest& after, absl::Time now);

// Shell-style glob ('*', '?') over the whole of `value`.
bool GlobMatches(std::string_view pattern, std::string_view value);

}  // namespace jit::requests::notify

#endif  // JIT_SERVICES_REQUESTS_NOTIFY_NOTIFICATION_PLANNER_H_
