#include "services/requests/notify/notification_planner.h"

#include <fnmatch.h>

#include <algorithm>

#include "common/proto_time.h"

namespace jit::requests::notify {
namespace {

using jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using jit::common::v1::ACCESS_REQUEST_STATE_CANCELLED;
using jit::common::v1::ACCESS_REQUEST_STATE_DENIED;
using jit::common::v1::ACCESS_REQUEST_STATE_EXPIRED;
using jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using jit::common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED;

bool AnyMatches(const std::vector<std::string>& patterns,
                const google::protobuf::RepeatedPtrField<std::string>& values) {
  for (const std::string& p : patterns) {
    for (const std::string& v : values) {
      if (GlobMatches(p, v)) return true;
    }
  }
  return false;
}

void AddUnique(std::vector<std::string>* out, const std::vector<std::string>& sinks) {
  for (const std::string& s : sinks) {
    if (std::find(out->begin(), out->end(), s) == out->end()) out->push_back(s);
  }
}

std::vector<std::string> RoutedSinks(const NotifyConfig& config, const AccessRequest& request) {
  std::vector<std::string> out;
  for (const Route& r : config.routes) {
    if (AnyMatches(r.roles, request.roles()) ||
        AnyMatches(r.reviewers, request.suggested_reviewers())) {
      AddUnique(&out, r.sinks);
    }
  }
  if (out.empty()) AddUnique(&out, config.default_sinks);
  return out;
}

std::vector<std::string> RequesterSinks(const NotifyConfig& config, const AccessRequest& request) {
  std::vector<std::string> out;
  for (const Route& r : config.requesters) {
    for (const std::string& u : r.users) {
      if (GlobMatches(u, request.user())) {
        AddUnique(&out, r.sinks);
        break;
      }
    }
  }
  return out;
}

const char* DecisionEvent(AccessRequestState state) {
  switch (state) {
    case ACCESS_REQUEST_STATE_APPROVED:
      return kEventApproved;
    case ACCESS_REQUEST_STATE_DENIED:
      return kEventDenied;
    case ACCESS_REQUEST_STATE_EXPIRED:
      return kEventExpired;
    case ACCESS_REQUEST_STATE_CANCELLED:
      return kEventCancelled;
    default:
      return nullptr;
  }
}

}  // namespace

bool GlobMatches(std::string_view pattern, std::string_view value) {
  const std::string p(pattern), v(value);
  return fnmatch(p.c_str(), v.c_str(), 0) == 0;
}

Plan PlanNotifications(const NotifyConfig& config, AccessRequestState from,
                       const AccessRequest& after, absl::Time now) {
  Plan plan;
  auto add = [&](const char* event, const std::vector<std::string>& sinks, bool urgent,
                 absl::Time due) {
    for (const std::string& s : sinks) plan.notifications.push_back({event, s, urgent, due});
  };
  if (from == ACCESS_REQUEST_STATE_UNSPECIFIED) {
    if (after.break_glass()) {
      std::vector<std::string> sinks = RoutedSinks(config, after);
      if (sinks.empty()) {
        for (const SinkConfig& s : config.sinks) sinks.push_back(s.name);
      }
      add(kEventBreakGlass, sinks, true, now);
      return plan;
    }
    if (after.state() != ACCESS_REQUEST_STATE_PENDING) return plan;
    const std::vector<std::string> sinks = RoutedSinks(config, after);
    add(kEventCreated, sinks, false, now);
    if (config.reminder_fraction > 0 && after.has_pending_expire_time()) {
      const absl::Time created = FromProtoTimestamp(after.create_time());
      const absl::Time expires = FromProtoTimestamp(after.pending_expire_time());
      if (expires > created) {
        add(kEventReminder, sinks, false, created + (expires - created) * config.reminder_fraction);
      }
    }
    return plan;
  }
  if (from != ACCESS_REQUEST_STATE_PENDING) return plan;
  const char* event = DecisionEvent(after.state());
  if (event == nullptr) return plan;
  std::vector<std::string> sinks = RoutedSinks(config, after);
  AddUnique(&sinks, RequesterSinks(config, after));
  add(event, sinks, false, now);
  plan.cancel_reminders = true;
  return plan;
}

}  // namespace jit::requests::notify
