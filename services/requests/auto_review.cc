#include "services/requests/auto_review.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/audit_event.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "services/requests/request_lifecycle.h"
#include "spdlog/spdlog.h"

namespace jit::requests {
namespace {

using ::jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_DENIED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using ::jit::policy::v1::AccessReviewRuleSpec;
using ::jit::policy::v1::ReviewRuleMatch;

const audit::AuditActor kActor{.actor = kAutoReviewer};

std::string StateName(AccessRequestState state) {
  switch (state) {
    case ACCESS_REQUEST_STATE_PENDING:
      return "PENDING";
    case ACCESS_REQUEST_STATE_APPROVED:
      return "APPROVED";
    case ACCESS_REQUEST_STATE_DENIED:
      return "DENIED";
    default:
      return jit::common::v1::AccessRequestState_Name(state);
  }
}

absl::StatusOr<AuditEvent> Event(std::string_view type, absl::Time now,
                                 const AccessRequest& request, std::string_view message,
                                 std::map<std::string, std::string> details) {
  details["user"] = request.user();
  details["roles"] = absl::StrJoin(request.roles(), ",");
  details["state"] = StateName(request.state());
  return audit::NewAuditEvent("requests", type, now, kActor,
                              absl::StrCat("access_request:", request.id()),
                              AuditEvent::OUTCOME_SUCCESS, message, details);
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

bool IsDeny(const ReviewRuleMatch& m) {
  return m.decision() == AccessReviewRuleSpec::DECISION_DENY;
}

// The day a rule's limit counts in: "YYYY-MM-DD" in its time zone.
std::string DayOf(const ReviewRuleMatch& match, absl::Time now) {
  absl::TimeZone zone = absl::UTCTimeZone();
  if (!match.time_zone().empty() && !absl::LoadTimeZone(match.time_zone(), &zone)) {
    zone = absl::UTCTimeZone();
  }
  return absl::FormatTime("%Y-%m-%d", now, zone);
}

}  // namespace

AccessReview AutoReviewOf(const ReviewRuleMatch& match, absl::Time now) {
  AccessReview review;
  review.set_reviewer(kAutoReviewer);
  review.set_verdict(IsDeny(match) ? AccessReview::VERDICT_DENY : AccessReview::VERDICT_APPROVE);
  review.set_reason(
      absl::StrCat("rule \"", match.rule(), "\"", IsDeny(match) ? " denies" : " approves"));
  *review.mutable_threshold_names() = match.threshold_names();
  SetProtoTimestamp(now, review.mutable_create_time());
  return review;
}

absl::StatusOr<RequestChange> AutoReviewChange(const AccessRequest& current,
                                               const AccessReview& review, std::string_view rule,
                                               absl::Time now) {
  RequestChange change;
  if (current.state() != ACCESS_REQUEST_STATE_PENDING || current.break_glass()) return change;
  const std::optional<absl::Time> due = DueTime(current);
  if (due.has_value() && *due <= now) return change;  // the sweeper expires it
  const std::string rule_name(rule);
  change.write = true;
  change.request = current;
  change.request.clear_history();
  *change.request.add_reviews() = review;
  change.review = review;
  SetProtoTimestamp(now, change.request.mutable_update_time());
  const bool approve = review.verdict() == AccessReview::VERDICT_APPROVE;
  ASSIGN_OR_RETURN(AuditEvent reviewed,
                   Event("access_request.review", now, change.request,
                         approve ? "automatic approval added" : "automatic denial added",
                         {{"verdict", approve ? "approve" : "deny"},
                          {"reviewer", kAutoReviewer},
                          {"rule", rule_name}}));
  change.events.push_back(std::move(reviewed));
  const Resolution resolution = Resolve(change.request);
  AccessRequest& next = change.request;
  if (resolution.state == ACCESS_REQUEST_STATE_APPROVED) {
    next.set_state(ACCESS_REQUEST_STATE_APPROVED);
    for (const std::string& role : resolution.granted_roles) next.add_granted_roles(role);
    const absl::Time start =
        next.has_requested_start_time() ? FromProtoTimestamp(next.requested_start_time()) : now;
    SetProtoTimestamp(start, next.mutable_access_start_time());
    SetProtoTimestamp(TruncateToMicros(start + FromProto(next.max_duration())),
                      next.mutable_access_expire_time());
  } else if (resolution.state == ACCESS_REQUEST_STATE_DENIED) {
    next.set_state(ACCESS_REQUEST_STATE_DENIED);
  }
  if (resolution.state != ACCESS_REQUEST_STATE_PENDING) {
    next.set_resolved_by(kAutoReviewer);
    next.set_resolve_reason(review.reason());
    AccessRequestTransition t;
    t.set_from_state(ACCESS_REQUEST_STATE_PENDING);
    t.set_to_state(resolution.state);
    t.set_actor(kAutoReviewer);
    SetProtoTimestamp(now, t.mutable_time());
    t.set_reason(review.reason());
    change.transition = std::move(t);
    std::map<std::string, std::string> details = {{"rule", rule_name}};
    if (approve) details["granted_roles"] = absl::StrJoin(resolution.granted_roles, ",");
    ASSIGN_OR_RETURN(AuditEvent decided,
                     Event(approve ? "access_request.approve" : "access_request.deny", now, next,
                           approve ? "access request approved automatically"
                                   : "access request denied automatically",
                           details));
    change.events.push_back(std::move(decided));
  }
  return change;
}

absl::StatusOr<std::optional<ReviewRuleMatch>> AutoReviewer::Choose(
    const jit::common::v1::Identity& requester, const AccessRequest& request, bool take) {
  if (request.break_glass()) return std::nullopt;
  policy::v1::EvaluateReviewRulesRequest rq;
  *rq.mutable_user() = requester;
  *rq.mutable_request() = request;
  rq.mutable_request()->clear_history();
  ASSIGN_OR_RETURN(policy::v1::EvaluateReviewRulesResponse response,
                   policy_->EvaluateReviewRules(rq));
  for (const ReviewRuleMatch& m : response.matches()) {
    if (IsDeny(m)) return m;  // deny wins
  }
  const absl::Time now = clock_->Now();
  for (const ReviewRuleMatch& m : response.matches()) {
    if (IsDeny(m)) continue;
    if (m.max_approvals_per_user_per_day() == 0) return m;
    const std::string day = DayOf(m, now);
    if (take) {
      ASSIGN_OR_RETURN(bool taken, quota_->Take(request.user(), m.rule(), day,
                                                m.max_approvals_per_user_per_day()));
      if (taken) return m;
    } else {
      ASSIGN_OR_RETURN(uint32_t used, quota_->Taken(request.user(), m.rule(), day));
      if (used < m.max_approvals_per_user_per_day()) return m;
    }
  }
  return std::nullopt;
}

absl::StatusOr<AccessRequest> AutoReviewer::Apply(const jit::common::v1::Identity& requester,
                                                  const AccessRequest& created) {
  ASSIGN_OR_RETURN(std::optional<ReviewRuleMatch> match, Choose(requester, created, true));
  if (!match.has_value()) return created;
  const absl::Time now = clock_->Now();
  const AccessReview review = AutoReviewOf(*match, now);
  return store_->Update(created.id(), [&](const AccessRequest& locked) {
    return AutoReviewChange(locked, review, match->rule(), now);
  });
}

absl::StatusOr<AccessRequest> AutoReviewer::Preview(const jit::common::v1::Identity& requester,
                                                    const AccessRequest& request) {
  ASSIGN_OR_RETURN(std::optional<ReviewRuleMatch> match, Choose(requester, request, false));
  if (!match.has_value()) return request;
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(RequestChange change,
                   AutoReviewChange(request, AutoReviewOf(*match, now), match->rule(), now));
  if (!change.write) return request;
  return change.request;
}

}  // namespace jit::requests
