#include "common/auth/revocation.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"

namespace jit::auth {
absl::StatusOr<std::unique_ptr<RevocationList>> RevocationList::Create(RevocationFeed* feed,
                                                                       const Clock* clock,
                                                                       Options options) {
  if (feed == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("RevocationList needs a feed and a clock");
  }
  if (options.max_staleness < kStrictStaleness) {
    return absl::InvalidArgumentError(absl::StrCat("revocation_max_staleness: at least ",
                                                   absl::FormatDuration(kStrictStaleness)));
  }
  return std::unique_ptr<RevocationList>(new RevocationList(feed, clock, options));
}

absl::Status RevocationList::Refresh() {
  absl::MutexLock refresh_lock(&refresh_mu_);
  // Staleness is measured from when the request was sent, not from when it returned: the
  // list is only known to be complete up to that moment.
  const absl::Time started = clock_->Now();
  absl::StatusOr<RevocationUpdate> update = feed_->FetchRevocations(synced_once_ ? cursor_ : 0);
  // The caller logs failures (ServiceAuth logs transitions, not every tick of an outage).
  if (!update.ok()) return update.status();
  if (!synced_once_ && !update->complete) {
    return absl::InternalError("revocation feed: first sync must be a complete list");
  }
  const absl::Time horizon = started - options_.expiry_grace;
  absl::MutexLock lock(&mu_);
  if (update->complete) revoked_.clear();
  for (RevokedSession& s : update->sessions) {
    if (s.session_id.empty()) continue;
    if (s.expire_time <= horizon) continue;
    absl::Time& t = revoked_[std::move(s.session_id)];
    t = std::max(t, s.expire_time);
  }
  absl::erase_if(revoked_, [&](const auto& entry) { return entry.second <= horizon; });
  cursor_ = update->cursor;
  synced_once_ = true;
  last_success_ = std::max(last_success_, started);
  return absl::OkStatus();
}

absl::StatusOr<RevocationMode> RevocationModeFromName(std::string_view name) {
  if (name == "strict") return RevocationMode::kStrict;
  if (name == "best_effort") return RevocationMode::kBestEffort;
  return absl::InvalidArgumentError("revocation_mode: must be strict or best_effort");
}

std::string_view RevocationModeName(RevocationMode mode) {
  return mode == RevocationMode::kStrict ? "strict" : "best_effort";
}

absl::Duration RevocationList::staleness_bound() const {
  return options_.mode == RevocationMode::kStrict ? kStrictStaleness : options_.max_staleness;
}

absl::Duration RevocationList::age() const {
  const absl::Time now = clock_->Now();
  absl::ReaderMutexLock lock(&mu_);
  return now - std::max(last_success_, created_);
}

absl::Status RevocationList::CheckSession(std::string_view session_id) const {
  return Check(session_id, staleness_bound());
}

absl::Status RevocationList::CheckSessionStrictly(std::string_view session_id) const {
  return Check(session_id, std::min(staleness_bound(), kStrictStaleness));
}

absl::Status RevocationList::Check(std::string_view session_id, absl::Duration bound) const {
  const absl::Time now = clock_->Now();
  absl::ReaderMutexLock lock(&mu_);
  if (now - last_success_ > bound) {
    return absl::UnavailableError("revocation list is out of date");
  }
  if (revoked_.contains(AsAbsl(session_id))) return absl::UnauthenticatedError("session revoked");
  return absl::OkStatus();
}

size_t RevocationList::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return revoked_.size();
}

}  // namespace jit::auth
