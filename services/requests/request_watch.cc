#include "services/requests/request_watch.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/text/text_fields.h"

namespace jit::requests {
namespace {

using jit::common::v1::ACCESS_REQUEST_STATE_PENDING;
using jit::common::v1::ACCESS_REQUEST_STATE_REVOKED;
using jit::common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED;

// Decisions remembered per stream before the memory is cleared (it is also cleared at each
// heartbeat, so a changed policy is followed within one heartbeat).
constexpr size_t kMaxRemembered = 10000;

}  // namespace

absl::Status FeedHub::Poll() {
  ASSIGN_OR_RETURN(const int64_t head, feed_->Sequence());
  absl::MutexLock lock(&mu_);
  head_ = std::max(head_, head);
  return absl::OkStatus();
}

int64_t FeedHub::WaitPast(int64_t position, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto past = [this, position]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return head_ > position || closed_; };
  mu_.AwaitWithTimeout(absl::Condition(&past), timeout);
  return head_;
}

void FeedHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

absl::Status RequestWatch::Watch(const Identity& caller, const v1::WatchRequestsRequest& rq,
                                 const std::function<bool(const v1::RequestEvent&)>& write,
                                 const std::function<bool()>& cancelled) {
  if (rq.after_revision() < 0) {
    return absl::InvalidArgumentError("after_revision: must not be negative");
  }
  if (rq.states_size() > 6) return absl::InvalidArgumentError("states: at most 6");
  std::vector<AccessRequestState> states;
  for (int s : rq.states()) {
    if (s < ACCESS_REQUEST_STATE_PENDING || s > ACCESS_REQUEST_STATE_REVOKED) {
      return absl::InvalidArgumentError(absl::StrCat("states: unknown state ", s));
    }
    states.push_back(static_cast<AccessRequestState>(s));
  }
  if (states.empty() && rq.reviewable_by_me()) states.push_back(ACCESS_REQUEST_STATE_PENDING);
  RETURN_IF_ERROR(ValidateText(rq.user(), "user"));
  if (rq.user().size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("user: longer than ", kMaxNameBytes, " bytes"));
  }
  auto same_user = [](std::string_view a, std::string_view b) {
    return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                  absl::string_view(b.data(), b.size()));
  };
  ASSIGN_OR_RETURN(const bool list_all, lifecycle_->MayListAll(caller));
  if (!rq.user().empty() && !same_user(rq.user(), caller.name()) && !list_all &&
      !rq.reviewable_by_me()) {
    return absl::PermissionDeniedError(
        "watching another user's requests needs list permission on access_request (or "
        "reviewable_by_me)");
  }

  auto selected = [&](AccessRequestState s) {
    return s != ACCESS_REQUEST_STATE_UNSPECIFIED &&
           std::find(states.begin(), states.end(), s) != states.end();
  };
  absl::flat_hash_map<std::string, bool> reviewable;  // by ReviewDecisionKey
  auto may_review = [&](const AccessRequest& r) -> absl::StatusOr<bool> {
    std::string key = ReviewDecisionKey(r);
    auto it = reviewable.find(key);
    if (it != reviewable.end()) return it->second;
    ASSIGN_OR_RETURN(const bool yes, lifecycle_->MayReview(caller, r));
    if (reviewable.size() >= kMaxRemembered) reviewable.clear();
    reviewable.emplace(std::move(key), yes);
    return yes;
  };
  // Whether `r` (whose state was `before`) goes to this caller.
  auto wanted = [&](const AccessRequest& r, AccessRequestState before) -> absl::StatusOr<bool> {
    if (!rq.user().empty() && !same_user(r.user(), rq.user())) return false;
    if (!states.empty() && !selected(r.state()) && !selected(before)) return false;
    const bool own = same_user(r.user(), caller.name());
    if (rq.reviewable_by_me() && own) return false;
    if (!rq.reviewable_by_me() && (own || list_all)) return true;
    return may_review(r);
  };

  absl::Time last_sent = absl::Now();
  auto send = [&](v1::RequestEvent::Type type, int64_t revision, const AccessRequest* r) {
    v1::RequestEvent event;
    event.set_type(type);
    event.set_revision(revision);
    if (r != nullptr) *event.mutable_request() = *r;
    last_sent = absl::Now();
    return write(event);
  };

  int64_t cursor = rq.after_revision();
  if (cursor == 0) {
    ASSIGN_OR_RETURN(FeedSnapshot snapshot, feed_->Snapshot(options_.snapshot_limit));
    for (const AccessRequest& r : snapshot.requests) {
      ASSIGN_OR_RETURN(const bool yes, wanted(r, ACCESS_REQUEST_STATE_UNSPECIFIED));
      if (yes && !send(v1::RequestEvent::TYPE_SNAPSHOT, snapshot.position, &r)) {
        return absl::OkStatus();
      }
    }
    cursor = snapshot.position;
    if (!send(v1::RequestEvent::TYPE_HEARTBEAT, cursor, nullptr)) return absl::OkStatus();
  }
  while (!cancelled()) {
    ASSIGN_OR_RETURN(std::vector<FeedChange> changes, feed_->ReadAfter(cursor, options_.batch));
    for (const FeedChange& c : changes) {
      ASSIGN_OR_RETURN(const bool yes, wanted(c.request, c.prev_state));
      if (yes) {
        const auto type = c.prev_state == ACCESS_REQUEST_STATE_UNSPECIFIED
                              ? v1::RequestEvent::TYPE_CREATED
                              : v1::RequestEvent::TYPE_UPDATED;
        if (!send(type, c.position, &c.request)) return absl::OkStatus();
      }
      cursor = c.position;
    }
    if (!changes.empty()) continue;
    const absl::Duration quiet = absl::Now() - last_sent;
    if (quiet >= options_.heartbeat) {
      reviewable.clear();  // follow policy changes
      if (!send(v1::RequestEvent::TYPE_HEARTBEAT, cursor, nullptr)) return absl::OkStatus();
      continue;
    }
    hub_->WaitPast(cursor, std::min(options_.heartbeat - quiet, options_.cancel_check));
  }
  return absl::OkStatus();
}

}  // namespace jit::requests
