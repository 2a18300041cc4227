// PlanNotifications: which notifications a change of a request causes, and to which sinks.
// New PENDING request: "created", plus a "reminder" at reminder_fraction of its pending TTL.
// New break-glass request: "break_glass", urgent (to every sink when nothing routes it).
// PENDING -> APPROVED/DENIED/EXPIRED/CANCELLED: that event to the routed and the requester's
// sinks, and the request's pending reminders are cancelled. Anything else: nothing.
// Routed sinks: routes whose role or suggested-reviewer globs match ('*', '?'), else the
// default; each sink once per event. Pure; thread-safe.
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
