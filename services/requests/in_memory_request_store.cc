#include "services/requests/in_memory_request_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"

namespace jit::requests::testing {
namespace {

bool NewerFirst(const AccessRequest& a, const AccessRequest& b) {
  const absl::Time ta = FromProtoTimestamp(a.create_time());
  const absl::Time tb = FromProtoTimestamp(b.create_time());
  if (ta != tb) return ta > tb;
  return a.id() > b.id();
}

AccessRequest WithoutHistory(AccessRequest r) {
  r.clear_history();
  return r;
}

}  // namespace

absl::StatusOr<RequestStore::Created> InMemoryRequestStore::Create(
    const AccessRequest& request, const std::string& content_hash,
    const AccessRequestTransition& transition, const std::vector<AuditEvent>& events) {
  absl::MutexLock lock(&mu_);
  if (!request.request_key().empty()) {
    auto it = keys_.find({request.user(), request.request_key()});
    if (it != keys_.end()) {
      if (it->second.second != content_hash) {
        return absl::AlreadyExistsError(
            "request_key was used before for a request with other content");
      }
      return Created{.request = requests_.at(it->second.first), .created = false};
    }
  }
  if (requests_.count(request.id()) > 0) return absl::AlreadyExistsError("duplicate id");
  AccessRequest stored = request;
  stored.set_revision(++revision_);
  stored.clear_history();
  AccessRequestTransition t = transition;
  t.set_revision(stored.revision());
  *stored.add_history() = t;
  requests_[stored.id()] = stored;
  changes_.push_back(
      {.position = static_cast<int64_t>(changes_.size()) + 1, .request = WithoutHistory(stored)});
  if (!request.request_key().empty()) {
    keys_[{request.user(), request.request_key()}] = {request.id(), content_hash};
  }
  for (const AuditEvent& e : events) events_.push_back(e);
  return Created{.request = stored, .created = true};
}

absl::StatusOr<AccessRequest> InMemoryRequestStore::Get(std::string_view id) {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(std::string(id));
  if (it == requests_.end()) return absl::NotFoundError("request not found");
  return it->second;
}

void InMemoryRequestStore::Write(const std::string& id, RequestChange& change,
                                 AccessRequest* stored) {
  AccessRequest& current = requests_.at(id);
  auto history = current.history();
  AccessRequest next = change.request;
  next.set_revision(++revision_);
  *next.mutable_history() = std::move(history);
  if (change.transition.has_value()) {
    change.transition->set_revision(next.revision());
    *next.add_history() = *change.transition;
  }
  for (const AuditEvent& e : change.events) events_.push_back(e);
  changes_.push_back({.position = static_cast<int64_t>(changes_.size()) + 1,
                      .prev_state = current.state(),
                      .request = WithoutHistory(next)});
  current = next;
  *stored = next;
}

absl::StatusOr<AccessRequest> InMemoryRequestStore::Update(std::string_view id, Decide decide) {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(std::string(id));
  if (it == requests_.end()) return absl::NotFoundError("request not found");
  absl::StatusOr<RequestChange> change = decide(it->second);
  if (!change.ok()) return change.status();
  if (!change->write) {
    if (!change->after.ok()) return change->after;
    return it->second;
  }
  if (change->review.has_value()) {
    for (const AccessReview& r : it->second.reviews()) {
      if (r.reviewer() == change->review->reviewer()) {
        return absl::AlreadyExistsError("duplicate review");
      }
    }
  }
  AccessRequest stored;
  Write(it->first, *change, &stored);
  if (!change->after.ok()) return change->after;
  return stored;
}

absl::StatusOr<std::vector<AccessRequest>> InMemoryRequestStore::List(const ListQuery& query) {
  absl::MutexLock lock(&mu_);
  std::vector<AccessRequest> all;
  for (const auto& [id, r] : requests_) {
    if (!query.states.empty() &&
        std::find(query.states.begin(), query.states.end(), r.state()) == query.states.end()) {
      continue;
    }
    if (!query.user.empty() && r.user() != query.user) continue;
    if (!query.exclude_user.empty() && r.user() == query.exclude_user) continue;
    if (query.break_glass_awaiting && !AwaitsPostReview(r)) continue;
    const absl::Time t = FromProtoTimestamp(r.create_time());
    if (query.created_after.has_value() && t <= *query.created_after) continue;
    if (query.cursor_time.has_value() &&
        !(t < *query.cursor_time || (t == *query.cursor_time && r.id() < query.cursor_id))) {
      continue;
    }
    all.push_back(WithoutHistory(r));
  }
  std::sort(all.begin(), all.end(), NewerFirst);
  if (static_cast<int>(all.size()) > query.limit) all.resize(std::max(0, query.limit));
  return all;
}

absl::StatusOr<std::vector<AccessRequest>> InMemoryRequestStore::ListGrants(
    const GrantQuery& query) {
  absl::MutexLock lock(&mu_);
  std::vector<AccessRequest> out;
  for (const auto& [id, r] : requests_) {  // ordered by id
    if (r.state() != jit::common::v1::ACCESS_REQUEST_STATE_APPROVED &&
        r.state() != jit::common::v1::ACCESS_REQUEST_STATE_REVOKED) {
      continue;
    }
    if (query.revoked_only && r.state() != jit::common::v1::ACCESS_REQUEST_STATE_REVOKED) {
      continue;
    }
    if (FromProtoTimestamp(r.access_expire_time()) <= query.now) continue;
    if (!query.user.empty() && r.user() != query.user) continue;
    if (!query.ids.empty() &&
        std::find(query.ids.begin(), query.ids.end(), id) == query.ids.end()) {
      continue;
    }
    if (!query.after_id.empty() && id <= query.after_id) continue;
    out.push_back(WithoutHistory(r));
    if (static_cast<int>(out.size()) == query.limit) break;
  }
  return out;
}

absl::StatusOr<std::vector<AccessRequest>> InMemoryRequestStore::ExpireDue(absl::Time now,
                                                                           int limit,
                                                                           Expire expire) {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<absl::Time, std::string>> due;
  for (const auto& [id, r] : requests_) {
    std::optional<absl::Time> t = DueTime(r);
    if (t.has_value() && *t <= now) due.emplace_back(*t, id);
  }
  std::sort(due.begin(), due.end());
  std::vector<AccessRequest> changed;
  for (const auto& [t, id] : due) {
    if (static_cast<int>(changed.size()) == limit) break;
    absl::StatusOr<RequestChange> change = expire(WithoutHistory(requests_.at(id)));
    if (!change.ok()) return change.status();
    if (!change->write) continue;
    AccessRequest stored;
    Write(id, *change, &stored);
    changed.push_back(WithoutHistory(stored));
  }
  return changed;
}

absl::StatusOr<std::optional<absl::Time>> InMemoryRequestStore::NextDueTime() {
  absl::MutexLock lock(&mu_);
  std::optional<absl::Time> next;
  for (const auto& [id, r] : requests_) {
    std::optional<absl::Time> t = DueTime(r);
    if (t.has_value() && (!next.has_value() || *t < *next)) next = t;
  }
  return next;
}

absl::StatusOr<RequestCounts> InMemoryRequestStore::Counts(absl::Time now) {
  absl::MutexLock lock(&mu_);
  RequestCounts counts;
  for (const auto& [id, r] : requests_) {
    if (r.state() == jit::common::v1::ACCESS_REQUEST_STATE_PENDING) ++counts.pending;
    if (r.state() == jit::common::v1::ACCESS_REQUEST_STATE_APPROVED &&
        FromProtoTimestamp(r.access_expire_time()) > now) {
      ++counts.active_grants;
    }
    if (AwaitsPostReview(r)) {
      ++counts.break_glass_unreviewed;
      if (FromProtoTimestamp(r.post_review_due_time()) <= now) ++counts.break_glass_overdue;
    }
  }
  return counts;
}

std::vector<AuditEvent> InMemoryRequestStore::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

absl::StatusOr<int64_t> InMemoryRequestStore::Sequence() {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(changes_.size());
}

absl::StatusOr<std::vector<FeedChange>> InMemoryRequestStore::ReadAfter(int64_t position,
                                                                        int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<FeedChange> out;
  for (int64_t p = std::max<int64_t>(position, 0);
       p < static_cast<int64_t>(changes_.size()) && static_cast<int>(out.size()) < limit; ++p) {
    out.push_back(changes_[p]);
  }
  return out;
}

absl::StatusOr<FeedSnapshot> InMemoryRequestStore::Snapshot(int limit) {
  absl::MutexLock lock(&mu_);
  FeedSnapshot out;
  out.position = static_cast<int64_t>(changes_.size());
  for (const auto& [id, r] : requests_) out.requests.push_back(WithoutHistory(r));
  std::sort(out.requests.begin(), out.requests.end(), NewerFirst);
  if (static_cast<int>(out.requests.size()) > limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", limit, " requests to show at the start of a watch"));
  }
  return out;
}

}  // namespace jit::requests::testing
