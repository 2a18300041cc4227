#include "services/requests/request_lifecycle.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/absl_string_view.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "common/text/text_fields.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "spdlog/spdlog.h"

namespace jit::requests {
namespace {

using ::jit::crypto::Base64UrlDecode;
using ::jit::crypto::Base64UrlEncode;
using ::jit::crypto::Sha256String;

using ::jit::common::v1::ACCESS_REQUEST_STATE_APPROVED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_CANCELLED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_DENIED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_EXPIRED;
using ::jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using ::jit::common::v1::ACCESS_REQUEST_STATE_REVOKED;
using ::jit::common::v1::AccessRequestState_Name;
using ::jit::common::v1::RoleThresholds;

constexpr char kService[] = "requests";
constexpr char kExpiryActor[] = "system:expiry";
constexpr absl::Duration kDefaultRequestTtl = absl::Hours(1);
// Longest access any request may ask for (as policy's longest role duration).
constexpr absl::Duration kMaxRequestedDuration = absl::Hours(24 * 366);

std::string StateName(AccessRequestState state) {
  std::string name = AccessRequestState_Name(state);
  constexpr absl::string_view kPrefix = "ACCESS_REQUEST_STATE_";
  if (absl::StartsWith(name, kPrefix)) name.erase(0, kPrefix.size());
  return name;
}

absl::Status ValidateName(std::string_view value, std::string_view field) {
  RETURN_IF_ERROR(ValidateText(value, field));
  if (value.empty())
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": must not be empty"));
  if (value.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), ": longer than ", kMaxNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateReason(std::string_view reason, std::string_view field = "reason") {
  RETURN_IF_ERROR(ValidateText(reason, field));
  if (reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": longer than ", kMaxReasonBytes,
                                                   " bytes (", reason.size(), " bytes)"));
  }
  return absl::OkStatus();
}

bool IsUuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!absl::ascii_isxdigit(c)) {
      return false;
    }
  }
  return true;
}

// INVALID_ARGUMENT for a malformed id; NOT_FOUND for one that cannot name a request.
absl::Status ValidateId(std::string_view id) {
  RETURN_IF_ERROR(ValidateText(id, "id"));
  if (id.empty()) return absl::InvalidArgumentError("id: must not be empty");
  if (id.size() > 64) return absl::InvalidArgumentError("id: longer than 64 bytes");
  if (!IsUuid(id))
    return absl::NotFoundError(absl::StrCat("request ", QuoteBounded(id), " not found"));
  return absl::OkStatus();
}

absl::Status NotFound(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("request ", QuoteBounded(id), " not found"));
}

// The store's NOT_FOUND, naming the id.
absl::Status Named(const absl::Status& s, std::string_view id) {
  if (absl::IsNotFound(s)) return NotFound(id);
  return s;
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

void ToProto(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
}

bool ValidProtoDuration(const google::protobuf::Duration& d) {
  return d.nanos() > -1'000'000'000 && d.nanos() < 1'000'000'000 &&
         !(d.seconds() > 0 && d.nanos() < 0) && !(d.seconds() < 0 && d.nanos() > 0) &&
         d.seconds() <= 315'576'000'000 && d.seconds() >= -315'576'000'000;
}

bool ValidProtoTimestamp(const google::protobuf::Timestamp& t) {
  return t.nanos() >= 0 && t.nanos() < 1'000'000'000 && t.seconds() >= -62'135'596'800 &&
         t.seconds() <= 253'402'300'799;
}

bool SameUser(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(AsAbsl(a), AsAbsl(b));
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isspace(c); });
}

absl::Status ValidateCreate(const v1::CreateRequestRequest& rq) {
  if (rq.roles_size() == 0) return absl::InvalidArgumentError("roles: name at least one role");
  if (rq.roles_size() > kMaxRoles) {
    return absl::InvalidArgumentError(absl::StrCat("roles: at most ", kMaxRoles, " roles"));
  }
  for (int i = 0; i < rq.roles_size(); ++i) {
    RETURN_IF_ERROR(ValidateName(rq.roles(i), absl::StrCat("roles[", i, "]")));
    for (int j = 0; j < i; ++j) {
      if (rq.roles(j) == rq.roles(i)) {
        return absl::InvalidArgumentError(
            absl::StrCat("roles: ", QuoteBounded(rq.roles(i)), " is listed twice"));
      }
    }
  }
  RETURN_IF_ERROR(ValidateReason(rq.reason()));
  if (rq.has_requested_duration()) {
    const auto& d = rq.requested_duration();
    if (!ValidProtoDuration(d) || FromProto(d) <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          "requested_duration: must be positive (leave it unset for the longest allowed)");
    }
    if (FromProto(d) > kMaxRequestedDuration) {
      return absl::InvalidArgumentError(absl::StrCat("requested_duration: at most ",
                                                     absl::FormatDuration(kMaxRequestedDuration)));
    }
  }
  if (rq.suggested_reviewers_size() > kMaxSuggestedReviewers) {
    return absl::InvalidArgumentError(
        absl::StrCat("suggested_reviewers: at most ", kMaxSuggestedReviewers));
  }
  for (int i = 0; i < rq.suggested_reviewers_size(); ++i) {
    RETURN_IF_ERROR(
        ValidateName(rq.suggested_reviewers(i), absl::StrCat("suggested_reviewers[", i, "]")));
  }
  RETURN_IF_ERROR(ValidateText(rq.request_key(), "request_key"));
  if (rq.request_key().size() > kMaxRequestKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_key: longer than ", kMaxRequestKeyBytes, " bytes"));
  }
  if (rq.has_start_time() && !ValidProtoTimestamp(rq.start_time())) {
    return absl::InvalidArgumentError("start_time: not a valid timestamp");
  }
  if (rq.has_start_time() && rq.break_glass()) {
    return absl::InvalidArgumentError("start_time: a break-glass grant starts at once");
  }
  return absl::OkStatus();
}

// What identifies a create for its idempotency key: everything but dry_run.
std::string ContentHash(v1::CreateRequestRequest rq) {
  rq.clear_dry_run();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    rq.SerializeToCodedStream(&coded);
  }
  return absl::BytesToHexString(Sha256String(bytes));
}

absl::StatusOr<AuditEvent> Event(std::string_view type, absl::Time now,
                                 const audit::AuditActor& actor, const AccessRequest& request,
                                 std::string_view message,
                                 std::map<std::string, std::string> details = {}) {
  details["user"] = request.user();
  details["roles"] = absl::StrJoin(request.roles(), ",");
  details["state"] = StateName(request.state());
  return audit::NewAuditEvent(kService, type, now, actor,
                              absl::StrCat("access_request:", request.id()),
                              AuditEvent::OUTCOME_SUCCESS, message, details);
}

AccessRequestTransition Transition(AccessRequestState from, AccessRequestState to,
                                   std::string_view actor, absl::Time now,
                                   std::string_view reason) {
  AccessRequestTransition t;
  t.set_from_state(from);
  t.set_to_state(to);
  t.set_actor(std::string(actor));
  SetProtoTimestamp(now, t.mutable_time());
  t.set_reason(std::string(reason));
  return t;
}

// Lazily expires `current` if it is due: the change to write, and `after` set to
// FAILED_PRECONDITION saying so. nullopt when it is not due.
absl::StatusOr<std::optional<RequestChange>> ExpireIfDue(const AccessRequest& current,
                                                         absl::Time now,
                                                         std::optional<AccessRequest>* expired) {
  expired->reset();
  ASSIGN_OR_RETURN(RequestChange change, ExpireChange(current, now));
  if (!change.write) return std::nullopt;
  *expired = change.request;
  change.after =
      absl::FailedPreconditionError(absl::StrCat("request ", current.id(), " has expired"));
  return change;
}

// Page tokens: base64url of "<create micros>/<id>" (ListRequests) or "<id>" (grants).
std::string RequestPageToken(const AccessRequest& last) {
  return Base64UrlEncode(
      absl::StrCat(absl::ToUnixMicros(FromProtoTimestamp(last.create_time())), "/", last.id()));
}

absl::Status MalformedToken() {
  return absl::InvalidArgumentError("page_token: malformed (pass next_page_token as returned)");
}

absl::Status ParseRequestPageToken(std::string_view token, ListQuery* query) {
  if (token.size() > 256) return MalformedToken();
  absl::StatusOr<std::string> text = Base64UrlDecode(token);
  if (!text.ok()) return MalformedToken();
  std::vector<std::string> parts = absl::StrSplit(*text, absl::MaxSplits('/', 1));
  int64_t micros = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &micros) || !IsUuid(parts[1])) {
    return MalformedToken();
  }
  query->cursor_time = absl::FromUnixMicros(micros);
  query->cursor_id = std::string(parts[1]);
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(int32_t page_size) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: must be between 0 and ",
                                                   kMaxPageSize, " (0 = ", kDefaultPageSize, ")"));
  }
  return page_size == 0 ? kDefaultPageSize : page_size;
}

}  // namespace

Resolution Resolve(const AccessRequest& request) {
  Resolution out;
  auto counts_towards = [](const AccessReview& review, const std::string& key) {
    return std::find(review.threshold_names().begin(), review.threshold_names().end(), key) !=
           review.threshold_names().end();
  };
  // Any denial threshold met denies.
  for (const RoleThresholds& rt : request.thresholds()) {
    for (const auto& t : rt.thresholds()) {
      const std::string key = absl::StrCat(rt.role(), "/", t.name());
      uint32_t denials = 0;
      for (const AccessReview& review : request.reviews()) {
        if (review.verdict() == AccessReview::VERDICT_DENY && counts_towards(review, key)) {
          ++denials;
        }
      }
      if (denials >= std::max<uint32_t>(t.deny(), 1)) {
        out.state = ACCESS_REQUEST_STATE_DENIED;
        return out;
      }
    }
  }
  // Candidate roles: those every counted approval names.
  std::vector<std::string> candidates(request.roles().begin(), request.roles().end());
  bool any_approval = false;
  for (const AccessReview& review : request.reviews()) {
    if (review.verdict() != AccessReview::VERDICT_APPROVE || review.threshold_names().empty()) {
      continue;
    }
    any_approval = true;
    if (review.roles().empty()) continue;
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [&](const std::string& role) {
                                      return std::find(review.roles().begin(), review.roles().end(),
                                                       role) == review.roles().end();
                                    }),
                     candidates.end());
  }
  if (!any_approval || candidates.empty()) return out;
  for (const std::string& role : candidates) {
    bool met = false;
    for (const RoleThresholds& rt : request.thresholds()) {
      if (rt.role() != role) continue;
      for (const auto& t : rt.thresholds()) {
        const std::string key = absl::StrCat(rt.role(), "/", t.name());
        uint32_t approvals = 0;
        for (const AccessReview& review : request.reviews()) {
          if (review.verdict() != AccessReview::VERDICT_APPROVE) continue;
          const bool names_role =
              review.roles().empty() ||
              std::find(review.roles().begin(), review.roles().end(), role) != review.roles().end();
          if (names_role && counts_towards(review, key)) ++approvals;
        }
        if (approvals >= std::max<uint32_t>(t.approve(), 1)) met = true;
      }
    }
    if (!met) return out;  // a candidate role without a met threshold (or without any)
  }
  out.state = ACCESS_REQUEST_STATE_APPROVED;
  out.granted_roles = std::move(candidates);
  return out;
}

absl::StatusOr<RequestChange> ExpireChange(const AccessRequest& current, absl::Time now) {
  RequestChange change;
  const std::optional<absl::Time> due = DueTime(current);
  if (!due.has_value() || *due > now) return change;
  const bool pending = current.state() == ACCESS_REQUEST_STATE_PENDING;
  const std::string reason =
      pending ? "no decision within the request TTL" : "the access window ended";
  change.write = true;
  change.request = current;
  change.request.clear_history();
  change.request.set_state(ACCESS_REQUEST_STATE_EXPIRED);
  SetProtoTimestamp(now, change.request.mutable_update_time());
  change.request.set_resolved_by(kExpiryActor);
  change.request.set_resolve_reason(reason);
  change.transition =
      Transition(current.state(), ACCESS_REQUEST_STATE_EXPIRED, kExpiryActor, now, reason);
  ASSIGN_OR_RETURN(AuditEvent event,
                   Event("access_request.expire", now, {.actor = "system"}, change.request,
                         pending ? "pending request expired" : "grant expired",
                         {{"was", StateName(current.state())}}));
  change.events.push_back(std::move(event));
  return change;
}

Grant GrantOf(const AccessRequest& request, absl::Time now) {
  Grant grant;
  grant.set_id(request.id());
  grant.set_user(request.user());
  *grant.mutable_roles() = request.granted_roles();
  *grant.mutable_start_time() = request.access_start_time();
  *grant.mutable_expire_time() = request.access_expire_time();
  if (request.state() == ACCESS_REQUEST_STATE_REVOKED) {
    *grant.mutable_revoke_time() = request.revoke_time();
    grant.set_revoked_by(request.resolved_by());
    grant.set_revoke_reason(request.resolve_reason());
  }
  grant.set_active(request.state() == ACCESS_REQUEST_STATE_APPROVED &&
                   FromProtoTimestamp(request.access_start_time()) <= now &&
                   now < FromProtoTimestamp(request.access_expire_time()));
  return grant;
}

void RequestLifecycle::Notify(AccessRequestState from, const AccessRequest& request,
                              absl::Time now) {
  if (observer_ != nullptr && from != request.state()) {
    observer_->Transitioned(from, request, now);
  }
}

absl::StatusOr<AccessRequest> RequestLifecycle::Create(const Identity& caller,
                                                       const audit::AuditActor& actor,
                                                       const v1::CreateRequestRequest& rq) {
  RETURN_IF_ERROR(ValidateCreate(rq));
  const absl::Time now = clock_->Now();
  if (rq.has_start_time()) {
    const absl::Time start = FromProtoTimestamp(rq.start_time());
    if (start < now - options_.start_skew) {
      return absl::InvalidArgumentError(absl::StrCat("start_time: in the past (at most ",
                                                     absl::FormatDuration(options_.start_skew),
                                                     " of clock skew is allowed)"));
    }
    if (start > now + options_.max_start_delay) {
      return absl::InvalidArgumentError(absl::StrCat("start_time: more than ",
                                                     absl::FormatDuration(options_.max_start_delay),
                                                     " ahead (the allowed maximum)"));
    }
  }

  policy::v1::CheckRequestRequest check;
  *check.mutable_user() = caller;
  *check.mutable_requested_roles() = rq.roles();
  check.set_reason(rq.reason());
  if (rq.has_requested_duration()) *check.mutable_requested_duration() = rq.requested_duration();
  check.set_break_glass(rq.break_glass());
  ASSIGN_OR_RETURN(policy::v1::CheckRequestResponse decision, policy_->CheckRequest(check));
  if (!decision.allowed()) {
    if (decision.reason_required() && IsBlank(rq.reason())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "reason: required by policy",
          decision.reason_prompt().empty() ? "" : absl::StrCat(" (", decision.reason_prompt(), ")"),
          "; ", decision.explanation().summary()));
    }
    return absl::PermissionDeniedError(decision.explanation().summary());
  }
  if (rq.break_glass() && !decision.break_glass()) {
    // Fails closed: an allow that is not a break-glass allow grants nothing at once.
    return absl::PermissionDeniedError(
        absl::StrCat("break-glass not allowed: ", decision.explanation().summary()));
  }
  const absl::Duration max_duration = FromProto(decision.max_duration());
  if (max_duration <= absl::ZeroDuration()) {
    return absl::InternalError("policy allowed the request with no access duration");
  }
  if (rq.has_requested_duration() && FromProto(rq.requested_duration()) > max_duration) {
    return absl::InvalidArgumentError(absl::StrCat(
        "requested_duration: ", absl::FormatDuration(FromProto(rq.requested_duration())),
        " is over the allowed maximum of ", absl::FormatDuration(max_duration), " (",
        decision.explanation().summary(), ")"));
  }
  absl::Duration ttl = FromProto(decision.request_ttl());
  if (ttl <= absl::ZeroDuration()) ttl = kDefaultRequestTtl;

  AccessRequest request;
  request.set_user(caller.name());
  *request.mutable_roles() = rq.roles();
  request.set_reason(rq.reason());
  *request.mutable_requested_duration() =
      rq.has_requested_duration() ? rq.requested_duration() : decision.max_duration();
  ToProto(max_duration, request.mutable_max_duration());
  SetProtoTimestamp(now, request.mutable_create_time());
  SetProtoTimestamp(now, request.mutable_update_time());
  if (rq.break_glass()) {
    request.set_state(ACCESS_REQUEST_STATE_APPROVED);
    *request.mutable_granted_roles() = rq.roles();
    SetProtoTimestamp(now, request.mutable_access_start_time());
    SetProtoTimestamp(TruncateToMicros(now + max_duration), request.mutable_access_expire_time());
    request.set_resolved_by(caller.name());
    request.set_resolve_reason("break-glass");
    request.set_break_glass(true);
    request.set_post_review(jit::common::v1::BREAK_GLASS_REVIEW_AWAITING);
    SetProtoTimestamp(TruncateToMicros(now + options_.break_glass_review_window),
                      request.mutable_post_review_due_time());
  } else {
    request.set_state(ACCESS_REQUEST_STATE_PENDING);
    absl::Time pending_expire = now + ttl;
    if (rq.has_start_time()) {
      *request.mutable_requested_start_time() = rq.start_time();
      // A request whose whole window has passed can no longer be of use.
      pending_expire = std::min(pending_expire, FromProtoTimestamp(rq.start_time()) + max_duration);
    }
    SetProtoTimestamp(TruncateToMicros(pending_expire), request.mutable_pending_expire_time());
  }
  *request.mutable_thresholds() = decision.thresholds();
  std::set<std::string> seen;
  for (const auto* list : {&rq.suggested_reviewers(), &decision.suggested_reviewers()}) {
    for (const std::string& reviewer : *list) {
      if (seen.insert(reviewer).second) request.add_suggested_reviewers(reviewer);
    }
  }
  *request.mutable_requester_traits() = caller.traits();
  request.set_request_key(rq.request_key());
  if (rq.dry_run()) {
    if (auto_review_ != nullptr && !rq.break_glass()) {
      absl::StatusOr<AccessRequest> preview = auto_review_->Preview(caller, request);
      if (preview.ok()) return *std::move(preview);
      spdlog::warn("auto-review preview failed: {}", preview.status().ToString());
    }
    return request;
  }

  ASSIGN_OR_RETURN(std::string id, audit::NewUuidV7(now));
  request.set_id(id);
  std::vector<AuditEvent> events;
  ASSIGN_OR_RETURN(AuditEvent event,
                   Event("access_request.create", now, actor, request, "access request created"));
  events.push_back(std::move(event));
  if (rq.break_glass()) {
    // The alert: who broke glass on what, until when, and when the review is due.
    auto rfc3339 = [](const google::protobuf::Timestamp& t) {
      return absl::FormatTime(absl::RFC3339_sec, FromProtoTimestamp(t), absl::UTCTimeZone());
    };
    ASSIGN_OR_RETURN(
        AuditEvent alert,
        Event("access_request.break_glass", now, actor, request,
              "break-glass: access granted without approval; an after-the-fact review is due",
              {{"severity", "alert"},
               {"access_expire_time", rfc3339(request.access_expire_time())},
               {"post_review_due_time", rfc3339(request.post_review_due_time())}}));
    events.push_back(std::move(alert));
  }
  ASSIGN_OR_RETURN(
      RequestStore::Created created,
      store_->Create(
          request, rq.request_key().empty() ? "" : ContentHash(rq),
          Transition(jit::common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED, request.state(),
                     caller.name(), now,
                     rq.break_glass() ? absl::StrCat("break-glass: ", rq.reason()) : rq.reason()),
          events));
  if (created.created && observer_ != nullptr) observer_->Created(created.request);
  if (created.created && auto_review_ != nullptr && !rq.break_glass()) {
    absl::StatusOr<AccessRequest> reviewed = auto_review_->Apply(caller, created.request);
    if (reviewed.ok()) {
      Notify(created.request.state(), *reviewed, clock_->Now());
      return *std::move(reviewed);
    }
    // Nothing decided: the request waits for people.
    spdlog::warn("auto-review of request {} failed: {}", created.request.id(),
                 reviewed.status().ToString());
  }
  return created.request;
}

// What policy's CheckReview reads (check_review.cc: the user, roles, reason and requester
// traits for the predicates, the thresholds; break_glass for safety), deterministically.
std::string ReviewDecisionKey(const AccessRequest& request) {
  AccessRequest content;
  content.set_user(request.user());
  *content.mutable_roles() = request.roles();
  content.set_reason(request.reason());
  *content.mutable_requester_traits() = request.requester_traits();
  *content.mutable_thresholds() = request.thresholds();
  content.set_break_glass(request.break_glass());
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    content.SerializeToCodedStream(&coded);
  }
  return bytes;
}

absl::StatusOr<bool> RequestLifecycle::MayListAll(const Identity& caller) {
  absl::Status s = permissions_->Check(caller, "access_request", "list");
  if (absl::IsPermissionDenied(s)) return false;
  if (!s.ok()) return s;
  return true;
}

absl::StatusOr<bool> RequestLifecycle::MayReview(const Identity& caller,
                                                 const AccessRequest& request) {
  if (SameUser(caller.name(), request.user())) return false;
  absl::StatusOr<policy::v1::CheckReviewResponse> review = CheckReview(caller, request);
  if (absl::IsPermissionDenied(review.status())) return false;
  if (!review.ok()) return review.status();
  return true;
}

absl::StatusOr<policy::v1::CheckReviewResponse> RequestLifecycle::CheckReview(
    const Identity& caller, const AccessRequest& request) {
  policy::v1::CheckReviewRequest check;
  *check.mutable_reviewer() = caller;
  *check.mutable_request() = request;
  check.mutable_request()->clear_history();
  ASSIGN_OR_RETURN(policy::v1::CheckReviewResponse decision, policy_->CheckReview(check));
  if (!decision.allowed()) return absl::PermissionDeniedError(decision.explanation().summary());
  return decision;
}

absl::Status RequestLifecycle::MayRead(const Identity& caller, const AccessRequest& request) {
  if (SameUser(caller.name(), request.user())) return absl::OkStatus();
  absl::StatusOr<policy::v1::CheckReviewResponse> review = CheckReview(caller, request);
  if (review.ok()) return absl::OkStatus();
  if (!absl::IsPermissionDenied(review.status())) return review.status();
  absl::Status admin = permissions_->Check(caller, "access_request", "read");
  if (absl::IsPermissionDenied(admin)) {
    return absl::PermissionDeniedError(
        "reading another user's request needs reviewer rights over it or read permission on "
        "access_request");
  }
  return admin;
}

absl::StatusOr<AccessRequest> RequestLifecycle::Get(const Identity& caller,
                                                    const v1::GetRequestRequest& rq) {
  RETURN_IF_ERROR(ValidateId(rq.id()));
  absl::StatusOr<AccessRequest> request = store_->Get(rq.id());
  if (!request.ok()) return Named(request.status(), rq.id());
  RETURN_IF_ERROR(MayRead(caller, *request));
  return request;
}

absl::StatusOr<v1::ListRequestsResponse> RequestLifecycle::List(const Identity& caller,
                                                                const v1::ListRequestsRequest& rq,
                                                                absl::Time deadline) {
  ASSIGN_OR_RETURN(const int page_size, PageSize(rq.page_size()));
  ListQuery query;
  if (!rq.page_token().empty()) RETURN_IF_ERROR(ParseRequestPageToken(rq.page_token(), &query));
  if (rq.states_size() > 6) return absl::InvalidArgumentError("states: at most 6");
  for (int s : rq.states()) {
    if (s < ACCESS_REQUEST_STATE_PENDING || s > ACCESS_REQUEST_STATE_REVOKED) {
      return absl::InvalidArgumentError(absl::StrCat("states: unknown state ", s));
    }
    query.states.push_back(static_cast<AccessRequestState>(s));
  }
  if (!rq.user().empty()) RETURN_IF_ERROR(ValidateName(rq.user(), "user"));
  if (rq.has_created_after()) {
    if (!ValidProtoTimestamp(rq.created_after())) {
      return absl::InvalidArgumentError("created_after: not a valid timestamp");
    }
    query.created_after = FromProtoTimestamp(rq.created_after());
  }
  query.user = rq.user();
  query.break_glass_awaiting = rq.break_glass_awaiting_review();
  v1::ListRequestsResponse response;

  if (rq.reviewable_by_me()) {
    // What a reviewer looks for: pending requests, unless they ask for other states or for
    // break-glass requests awaiting their post-hoc review (those are approved).
    if (query.states.empty() && !query.break_glass_awaiting) {
      query.states.push_back(jit::common::v1::ACCESS_REQUEST_STATE_PENDING);
    }
    query.exclude_user = caller.name();
    // Policy's answer depends only on the reviewer and the request's user, roles, reason,
    // requester traits and thresholds: asked once per distinct such content in this call.
    absl::flat_hash_map<std::string, bool> decided;
    const int chunk = std::min(kMaxPageSize, std::max(page_size, 50));
    int scanned = 0;
    bool exhausted = false;
    bool out_of_time = false;
    while (!out_of_time && response.requests_size() < page_size &&
           scanned < options_.max_reviewable_scan) {
      query.limit = std::min(chunk, options_.max_reviewable_scan - scanned);
      ASSIGN_OR_RETURN(std::vector<AccessRequest> rows, store_->List(query));
      size_t used = 0;
      for (AccessRequest& row : rows) {
        const bool own = SameUser(row.user(), caller.name());
        bool reviewable = false;
        if (!own) {
          const std::string key = ReviewDecisionKey(row);
          auto it = decided.find(key);
          if (it == decided.end()) {
            if (clock_->Now() >= deadline) {
              out_of_time = true;  // this row stays unexamined
              break;
            }
            absl::StatusOr<policy::v1::CheckReviewResponse> review = CheckReview(caller, row);
            if (!review.ok() && !absl::IsPermissionDenied(review.status())) {
              return review.status();
            }
            it = decided.emplace(key, review.ok()).first;
          }
          reviewable = it->second;
        }
        ++used;
        ++scanned;
        query.cursor_time = FromProtoTimestamp(row.create_time());
        query.cursor_id = row.id();
        if (reviewable) *response.add_requests() = std::move(row);
        if (response.requests_size() == page_size) break;
      }
      if (!out_of_time && static_cast<int>(rows.size()) < query.limit && used == rows.size()) {
        exhausted = true;  // every row after the cursor was examined
        break;
      }
    }
    if (out_of_time && scanned == 0) {
      return absl::DeadlineExceededError(
          "ListRequests(reviewable_by_me): the deadline passed before any request was examined");
    }
    if (exhausted || !query.cursor_time.has_value()) return response;  // the end: no token
    // More may follow the last row examined (a short page: the scan budget or the deadline
    // ran out; the caller continues from here).
    AccessRequest last;
    last.set_id(query.cursor_id);
    SetProtoTimestamp(*query.cursor_time, last.mutable_create_time());
    response.set_next_page_token(RequestPageToken(last));
    return response;
  }

  if (!SameUser(rq.user(), caller.name())) {
    absl::Status admin = permissions_->Check(caller, "access_request", "list");
    if (absl::IsPermissionDenied(admin)) {
      if (!rq.user().empty()) {
        return absl::PermissionDeniedError(
            "listing another user's requests needs list permission on access_request (or "
            "reviewable_by_me)");
      }
      query.user = caller.name();  // the caller's own
    } else if (!admin.ok()) {
      return admin;
    }
  }
  query.limit = page_size + 1;
  ASSIGN_OR_RETURN(std::vector<AccessRequest> rows, store_->List(query));
  const bool more = static_cast<int>(rows.size()) > page_size;
  if (more) rows.resize(page_size);
  for (AccessRequest& row : rows) *response.add_requests() = std::move(row);
  if (more) response.set_next_page_token(RequestPageToken(response.requests().rbegin()[0]));
  return response;
}

absl::StatusOr<AccessRequest> RequestLifecycle::Review(const Identity& caller,
                                                       const audit::AuditActor& actor,
                                                       const v1::ReviewRequestRequest& rq) {
  RETURN_IF_ERROR(ValidateId(rq.id()));
  if (rq.verdict() != AccessReview::VERDICT_APPROVE && rq.verdict() != AccessReview::VERDICT_DENY) {
    return absl::InvalidArgumentError("verdict: must be VERDICT_APPROVE or VERDICT_DENY");
  }
  RETURN_IF_ERROR(ValidateReason(rq.reason()));
  if (rq.roles_size() > 0 && rq.verdict() != AccessReview::VERDICT_APPROVE) {
    return absl::InvalidArgumentError("roles: only an approval may name a subset of the roles");
  }
  if (rq.roles_size() > kMaxRoles) {
    return absl::InvalidArgumentError(absl::StrCat("roles: at most ", kMaxRoles, " roles"));
  }
  for (int i = 0; i < rq.roles_size(); ++i) {
    RETURN_IF_ERROR(ValidateName(rq.roles(i), absl::StrCat("roles[", i, "]")));
  }
  absl::StatusOr<AccessRequest> current = store_->Get(rq.id());
  if (!current.ok()) return Named(current.status(), rq.id());
  if (SameUser(caller.name(), current->user())) {
    return absl::PermissionDeniedError("the requester never reviews their own request");
  }
  // A caller who may not read the request learns nothing of it (roles, state, break-glass).
  if (absl::Status may_read = MayRead(caller, *current); !may_read.ok()) {
    if (!absl::IsPermissionDenied(may_read)) return may_read;
    // Policy's own reason (the rule refusing this reviewer) says more than MayRead's.
    absl::StatusOr<policy::v1::CheckReviewResponse> review = CheckReview(caller, *current);
    return review.ok() ? may_read : review.status();
  }
  for (const std::string& role : rq.roles()) {
    if (std::find(current->roles().begin(), current->roles().end(), role) ==
        current->roles().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("roles: ", QuoteBounded(role), " was not requested"));
    }
  }
  if (current->break_glass()) return PostReview(caller, actor, rq, *current);
  if (current->state() != ACCESS_REQUEST_STATE_PENDING) {
    return absl::FailedPreconditionError(absl::StrCat("request ", rq.id(), " is ",
                                                      StateName(current->state()),
                                                      "; only a pending request can be reviewed"));
  }
  ASSIGN_OR_RETURN(policy::v1::CheckReviewResponse decision, CheckReview(caller, *current));

  AccessReview review;
  review.set_reviewer(caller.name());
  *review.mutable_reviewer_roles() = caller.roles();
  review.set_verdict(rq.verdict());
  review.set_reason(rq.reason());
  *review.mutable_roles() = rq.roles();
  for (const RoleThresholds& rt : decision.matching_thresholds()) {
    for (const auto& t : rt.thresholds()) {
      review.add_threshold_names(absl::StrCat(rt.role(), "/", t.name()));
    }
  }
  const absl::Time now = clock_->Now();
  SetProtoTimestamp(now, review.mutable_create_time());

  AccessRequestState from = ACCESS_REQUEST_STATE_PENDING;
  std::optional<AccessRequest> expired_now;
  absl::StatusOr<AccessRequest> stored =
      store_->Update(rq.id(), [&](const AccessRequest& locked) -> absl::StatusOr<RequestChange> {
        from = locked.state();
        if (locked.state() != ACCESS_REQUEST_STATE_PENDING) {
          return absl::FailedPreconditionError(
              absl::StrCat("request ", rq.id(), " is ", StateName(locked.state()),
                           "; only a pending request can be reviewed"));
        }
        ASSIGN_OR_RETURN(std::optional<RequestChange> expired,
                         ExpireIfDue(locked, now, &expired_now));
        if (expired.has_value()) return *std::move(expired);
        if (rq.has_expected_revision() && rq.expected_revision() != locked.revision()) {
          return absl::AbortedError(absl::StrCat("request ", rq.id(), " is at revision ",
                                                 locked.revision(), ", not ",
                                                 rq.expected_revision()));
        }
        for (const AccessReview& earlier : locked.reviews()) {
          if (SameUser(earlier.reviewer(), caller.name())) {
            return absl::AlreadyExistsError(absl::StrCat(
                QuoteBounded(caller.name()), " has already reviewed request ", rq.id()));
          }
        }
        RequestChange change;
        change.write = true;
        change.request = locked;
        change.request.clear_history();
        *change.request.add_reviews() = review;
        change.review = review;
        SetProtoTimestamp(now, change.request.mutable_update_time());
        const bool approve = review.verdict() == AccessReview::VERDICT_APPROVE;
        ASSIGN_OR_RETURN(
            AuditEvent reviewed,
            Event("access_request.review", now, actor, change.request,
                  approve ? "approval added" : "denial added",
                  {{"verdict", approve ? "approve" : "deny"}, {"reviewer", caller.name()}}));
        change.events.push_back(std::move(reviewed));
        const Resolution resolution = Resolve(change.request);
        AccessRequest& next = change.request;
        if (resolution.state == ACCESS_REQUEST_STATE_APPROVED) {
          next.set_state(ACCESS_REQUEST_STATE_APPROVED);
          for (const std::string& role : resolution.granted_roles) next.add_granted_roles(role);
          const absl::Time start = next.has_requested_start_time()
                                       ? FromProtoTimestamp(next.requested_start_time())
                                       : now;
          SetProtoTimestamp(start, next.mutable_access_start_time());
          SetProtoTimestamp(TruncateToMicros(start + FromProto(next.max_duration())),
                            next.mutable_access_expire_time());
          next.set_resolved_by(caller.name());
          next.set_resolve_reason(rq.reason());
          change.transition =
              Transition(ACCESS_REQUEST_STATE_PENDING, ACCESS_REQUEST_STATE_APPROVED, caller.name(),
                         now, rq.reason());
          ASSIGN_OR_RETURN(
              AuditEvent approved,
              Event("access_request.approve", now, actor, next, "access request approved",
                    {{"granted_roles", absl::StrJoin(resolution.granted_roles, ",")}}));
          change.events.push_back(std::move(approved));
        } else if (resolution.state == ACCESS_REQUEST_STATE_DENIED) {
          next.set_state(ACCESS_REQUEST_STATE_DENIED);
          next.set_resolved_by(caller.name());
          next.set_resolve_reason(rq.reason());
          change.transition = Transition(ACCESS_REQUEST_STATE_PENDING, ACCESS_REQUEST_STATE_DENIED,
                                         caller.name(), now, rq.reason());
          ASSIGN_OR_RETURN(AuditEvent denied,
                           Event("access_request.deny", now, actor, next, "access request denied"));
          change.events.push_back(std::move(denied));
        }
        return change;
      });
  if (expired_now.has_value() && absl::IsFailedPrecondition(stored.status())) {
    Notify(from, *expired_now, now);
  }
  if (!stored.ok()) return Named(stored.status(), rq.id());
  Notify(from, *stored, now);
  return stored;
}

absl::StatusOr<AccessRequest> RequestLifecycle::PostReview(const Identity& caller,
                                                           const audit::AuditActor& actor,
                                                           const v1::ReviewRequestRequest& rq,
                                                           const AccessRequest& current) {
  if (rq.roles_size() > 0) {
    return absl::InvalidArgumentError(
        "roles: a break-glass review confirms or flags the whole request");
  }
  auto reviewed_already = [&](const AccessRequest& r) {
    return absl::FailedPreconditionError(
        absl::StrCat("break-glass request ", rq.id(), " was reviewed already (",
                     jit::common::v1::BreakGlassReview_Name(r.post_review()), ")"));
  };
  if (!AwaitsPostReview(current)) return reviewed_already(current);
  ASSIGN_OR_RETURN(policy::v1::CheckReviewResponse decision, CheckReview(caller, current));
  const bool confirm = rq.verdict() == AccessReview::VERDICT_APPROVE;
  AccessReview review;
  review.set_reviewer(caller.name());
  *review.mutable_reviewer_roles() = caller.roles();
  review.set_verdict(rq.verdict());
  review.set_reason(rq.reason());
  for (const RoleThresholds& rt : decision.matching_thresholds()) {
    for (const auto& t : rt.thresholds()) {
      review.add_threshold_names(absl::StrCat(rt.role(), "/", t.name()));
    }
  }
  const absl::Time now = clock_->Now();
  SetProtoTimestamp(now, review.mutable_create_time());
  absl::StatusOr<AccessRequest> stored =
      store_->Update(rq.id(), [&](const AccessRequest& locked) -> absl::StatusOr<RequestChange> {
        if (!AwaitsPostReview(locked)) return reviewed_already(locked);
        if (rq.has_expected_revision() && rq.expected_revision() != locked.revision()) {
          return absl::AbortedError(absl::StrCat("request ", rq.id(), " is at revision ",
                                                 locked.revision(), ", not ",
                                                 rq.expected_revision()));
        }
        RequestChange change;
        change.write = true;
        change.request = locked;
        change.request.clear_history();
        *change.request.add_reviews() = review;
        change.review = review;
        change.request.set_post_review(confirm ? jit::common::v1::BREAK_GLASS_REVIEW_CONFIRMED
                                               : jit::common::v1::BREAK_GLASS_REVIEW_FLAGGED);
        SetProtoTimestamp(now, change.request.mutable_update_time());
        ASSIGN_OR_RETURN(AuditEvent event,
                         Event("access_request.review", now, actor, change.request,
                               confirm ? "break-glass confirmed after the fact"
                                       : "break-glass flagged after the fact",
                               {{"verdict", confirm ? "approve" : "deny"},
                                {"reviewer", caller.name()},
                                {"post_review", confirm ? "confirmed" : "flagged"}}));
        change.events.push_back(std::move(event));
        return change;
      });
  if (!stored.ok()) return Named(stored.status(), rq.id());
  return stored;
}

absl::StatusOr<AccessRequest> RequestLifecycle::Cancel(const Identity& caller,
                                                       const audit::AuditActor& actor,
                                                       const v1::CancelRequestRequest& rq) {
  RETURN_IF_ERROR(ValidateId(rq.id()));
  RETURN_IF_ERROR(ValidateReason(rq.reason()));
  absl::StatusOr<AccessRequest> current = store_->Get(rq.id());
  if (!current.ok()) return Named(current.status(), rq.id());
  if (!SameUser(caller.name(), current->user())) {
    return absl::PermissionDeniedError("only the requester can cancel a request");
  }
  const absl::Time now = clock_->Now();
  const AccessRequestState from = ACCESS_REQUEST_STATE_PENDING;
  std::optional<AccessRequest> expired_now;
  absl::StatusOr<AccessRequest> stored =
      store_->Update(rq.id(), [&](const AccessRequest& locked) -> absl::StatusOr<RequestChange> {
        if (locked.state() != ACCESS_REQUEST_STATE_PENDING) {
          return absl::FailedPreconditionError(
              absl::StrCat("request ", rq.id(), " is ", StateName(locked.state()),
                           "; only a pending request can be cancelled"));
        }
        ASSIGN_OR_RETURN(std::optional<RequestChange> expired,
                         ExpireIfDue(locked, now, &expired_now));
        if (expired.has_value()) return *std::move(expired);
        RequestChange change;
        change.write = true;
        change.request = locked;
        change.request.clear_history();
        change.request.set_state(ACCESS_REQUEST_STATE_CANCELLED);
        SetProtoTimestamp(now, change.request.mutable_update_time());
        change.request.set_resolved_by(caller.name());
        change.request.set_resolve_reason(rq.reason());
        change.transition = Transition(ACCESS_REQUEST_STATE_PENDING, ACCESS_REQUEST_STATE_CANCELLED,
                                       caller.name(), now, rq.reason());
        ASSIGN_OR_RETURN(AuditEvent event, Event("access_request.cancel", now, actor,
                                                 change.request, "access request cancelled"));
        change.events.push_back(std::move(event));
        return change;
      });
  if (expired_now.has_value() && absl::IsFailedPrecondition(stored.status())) {
    Notify(from, *expired_now, now);
  }
  if (!stored.ok()) return Named(stored.status(), rq.id());
  Notify(from, *stored, now);
  return stored;
}

absl::StatusOr<Grant> RequestLifecycle::RevokeGrant(const Identity& caller,
                                                    const audit::AuditActor& actor,
                                                    const v1::RevokeGrantRequest& rq) {
  RETURN_IF_ERROR(ValidateId(rq.id()));
  RETURN_IF_ERROR(ValidateReason(rq.reason()));
  absl::StatusOr<AccessRequest> current = store_->Get(rq.id());
  if (!current.ok()) return Named(current.status(), rq.id());
  if (!SameUser(caller.name(), current->user())) {
    const bool reviewed =
        std::any_of(current->reviews().begin(), current->reviews().end(),
                    [&](const AccessReview& r) { return SameUser(r.reviewer(), caller.name()); });
    if (!reviewed) {
      absl::StatusOr<policy::v1::CheckReviewResponse> review = CheckReview(caller, *current);
      if (!review.ok()) {
        if (!absl::IsPermissionDenied(review.status())) return review.status();
        absl::Status admin = permissions_->Check(caller, "grant", "revoke");
        if (absl::IsPermissionDenied(admin)) {
          return absl::PermissionDeniedError(
              "revoking a grant needs to be its requester, a reviewer of its request, or "
              "revoke permission on grant");
        }
        RETURN_IF_ERROR(admin);
      }
    }
  }
  const absl::Time now = clock_->Now();
  const AccessRequestState from = ACCESS_REQUEST_STATE_APPROVED;
  std::optional<AccessRequest> expired_now;
  absl::StatusOr<AccessRequest> stored =
      store_->Update(rq.id(), [&](const AccessRequest& locked) -> absl::StatusOr<RequestChange> {
        if (locked.state() != ACCESS_REQUEST_STATE_APPROVED) {
          return absl::FailedPreconditionError(
              absl::StrCat("request ", rq.id(), " is ", StateName(locked.state()),
                           "; only the grant of an approved request can be revoked"));
        }
        ASSIGN_OR_RETURN(std::optional<RequestChange> expired,
                         ExpireIfDue(locked, now, &expired_now));
        if (expired.has_value()) return *std::move(expired);
        RequestChange change;
        change.write = true;
        change.request = locked;
        change.request.clear_history();
        change.request.set_state(ACCESS_REQUEST_STATE_REVOKED);
        SetProtoTimestamp(now, change.request.mutable_update_time());
        SetProtoTimestamp(now, change.request.mutable_revoke_time());
        change.request.set_resolved_by(caller.name());
        change.request.set_resolve_reason(rq.reason());
        change.transition = Transition(ACCESS_REQUEST_STATE_APPROVED, ACCESS_REQUEST_STATE_REVOKED,
                                       caller.name(), now, rq.reason());
        ASSIGN_OR_RETURN(AuditEvent event,
                         Event("grant.revoke", now, actor, change.request, "grant revoked"));
        change.events.push_back(std::move(event));
        return change;
      });
  if (expired_now.has_value() && absl::IsFailedPrecondition(stored.status())) {
    Notify(from, *expired_now, now);
  }
  if (!stored.ok()) return Named(stored.status(), rq.id());
  Notify(from, *stored, now);
  return GrantOf(*stored, now);
}

absl::StatusOr<v1::ListActiveGrantsResponse> RequestLifecycle::ListActiveGrants(
    const v1::ListActiveGrantsRequest& rq) {
  ASSIGN_OR_RETURN(const int page_size, PageSize(rq.page_size()));
  GrantQuery query;
  query.now = clock_->Now();
  if (!rq.user().empty()) RETURN_IF_ERROR(ValidateName(rq.user(), "user"));
  query.user = rq.user();
  query.revoked_only = rq.revoked_only();
  if (rq.ids_size() > kMaxGrantIds) {
    return absl::InvalidArgumentError(absl::StrCat("ids: at most ", kMaxGrantIds));
  }
  for (int i = 0; i < rq.ids_size(); ++i) {
    RETURN_IF_ERROR(ValidateText(rq.ids(i), absl::StrCat("ids[", i, "]")));
    if (IsUuid(rq.ids(i))) query.ids.push_back(rq.ids(i));
  }
  if (rq.ids_size() > 0 && query.ids.empty()) return v1::ListActiveGrantsResponse();
  if (!rq.page_token().empty()) {
    if (rq.page_token().size() > 128) return MalformedToken();
    absl::StatusOr<std::string> after = Base64UrlDecode(rq.page_token());
    if (!after.ok() || !IsUuid(*after)) return MalformedToken();
    query.after_id = *after;
  }
  query.limit = page_size + 1;
  ASSIGN_OR_RETURN(std::vector<AccessRequest> rows, store_->ListGrants(query));
  v1::ListActiveGrantsResponse response;
  const bool more = static_cast<int>(rows.size()) > page_size;
  if (more) rows.resize(page_size);
  for (const AccessRequest& row : rows) *response.add_grants() = GrantOf(row, query.now);
  if (more) response.set_next_page_token(Base64UrlEncode(rows.back().id()));
  return response;
}

absl::StatusOr<int> RequestLifecycle::ExpireDue(int batch) {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::vector<AccessRequest> expired,
                   store_->ExpireDue(now, batch, [&](const AccessRequest& current) {
                     return ExpireChange(current, now);
                   }));
  for (const AccessRequest& request : expired) {
    // Only live requests expire: an approved one has its window, a pending one none.
    Notify(request.has_access_expire_time() ? ACCESS_REQUEST_STATE_APPROVED
                                            : ACCESS_REQUEST_STATE_PENDING,
           request, now);
  }
  return static_cast<int>(expired.size());
}

}  // namespace jit::requests
