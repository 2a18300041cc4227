#include "services/audit/storage/testing/in_memory_event_store.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "services/audit/chain/canonical.h"

namespace jit::audit::testing {
namespace {

bool Matches(const SearchQuery& q, const AuditEvent& e) {
  const int64_t t = chain::TimestampMicros(e.time());
  if (q.start && t < absl::ToUnixMicros(*q.start)) return false;
  if (q.end && t >= absl::ToUnixMicros(*q.end)) return false;
  if (!q.exact_types.empty() || !q.type_prefixes.empty()) {
    bool any =
        std::find(q.exact_types.begin(), q.exact_types.end(), e.type()) != q.exact_types.end();
    for (const std::string& p : q.type_prefixes) any = any || absl::StartsWith(e.type(), p);
    if (!any) return false;
  }
  if (!q.actor.empty() && e.actor() != q.actor) return false;
  if (!q.target.empty() && e.target() != q.target) return false;
  if (!q.request_id.empty() && e.request_id() != q.request_id) return false;
  if (q.outcome && e.outcome() != *q.outcome) return false;
  if (q.after) {
    const auto key = std::make_tuple(t, e.sequence());
    const auto after = std::make_tuple(q.after->time_micros, q.after->sequence);
    if (q.ascending ? !(key > after) : !(key < after)) return false;
  }
  return true;
}

}  // namespace

absl::Status InMemoryEventStore::DownStatus() const { return down_; }

absl::StatusOr<AppendResult> InMemoryEventStore::Append(const std::vector<AuditEvent>& events,
                                                        const CheckpointFn& checkpoint) {
  absl::MutexLock lock(&mu_);
  ++appends_;
  if (!down_.ok()) return down_;
  if (!fail_next_.ok()) {
    absl::Status s = fail_next_;
    fail_next_ = absl::OkStatus();
    return s;
  }
  if (head_.hash.empty()) head_.hash = chain::GenesisHash();
  AppendResult result;
  absl::flat_hash_set<std::string> seen;
  for (const AuditEvent& e : events) {
    if (ids_.count(e.id()) != 0 || !seen.insert(e.id()).second) {
      ++result.duplicates;
      continue;
    }
    AuditEvent linked = e;
    linked.set_sequence(head_.sequence + 1);
    linked.clear_hash();
    linked.clear_prev_hash();
    const std::string hash = chain::ChainHash(head_.hash, linked);
    linked.set_prev_hash(absl::BytesToHexString(head_.hash));
    linked.set_hash(absl::BytesToHexString(hash));
    ids_[linked.id()] = linked.sequence();
    events_[linked.sequence()] = linked;
    head_ = {linked.sequence(), hash};
    ++result.accepted;
  }
  result.head = head_;
  if (checkpoint && result.accepted > 0) {
    const int64_t latest = checkpoints_.empty() ? 0 : checkpoints_.rbegin()->first;
    result.checkpoint = checkpoint(head_, latest);
    if (result.checkpoint) checkpoints_.emplace(result.checkpoint->sequence, *result.checkpoint);
  }
  return result;
}

absl::StatusOr<ChainHead> InMemoryEventStore::Head() {
  absl::MutexLock lock(&mu_);
  if (!down_.ok()) return down_;
  ChainHead head = head_;
  if (head.hash.empty()) head.hash = chain::GenesisHash();
  return head;
}

absl::StatusOr<std::vector<AuditEvent>> InMemoryEventStore::ReadAfter(int64_t after, int limit) {
  absl::MutexLock lock(&mu_);
  if (!down_.ok()) return down_;
  std::vector<AuditEvent> out;
  for (auto it = events_.upper_bound(after); it != events_.end() && limit > 0; ++it, --limit) {
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::vector<AuditEvent>> InMemoryEventStore::Search(const SearchQuery& q) {
  absl::MutexLock lock(&mu_);
  if (!down_.ok()) return down_;
  std::vector<const AuditEvent*> matching;
  for (const auto& [seq, e] : events_) {
    if (Matches(q, e)) matching.push_back(&e);
  }
  std::sort(matching.begin(), matching.end(), [&](const AuditEvent* a, const AuditEvent* b) {
    const auto ka = std::make_tuple(chain::TimestampMicros(a->time()), a->sequence());
    const auto kb = std::make_tuple(chain::TimestampMicros(b->time()), b->sequence());
    return q.ascending ? ka < kb : ka > kb;
  });
  std::vector<AuditEvent> out;
  for (size_t i = 0; i < matching.size() && static_cast<int>(i) < q.limit; ++i) {
    out.push_back(*matching[i]);
  }
  return out;
}

absl::Status InMemoryEventStore::AddCheckpoint(const StoredCheckpoint& checkpoint) {
  absl::MutexLock lock(&mu_);
  if (!down_.ok()) return down_;
  checkpoints_.emplace(checkpoint.sequence, checkpoint);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredCheckpoint>> InMemoryEventStore::LatestCheckpoint() {
  absl::MutexLock lock(&mu_);
  if (!down_.ok()) return down_;
  if (checkpoints_.empty()) return std::optional<StoredCheckpoint>();
  return std::optional<StoredCheckpoint>(checkpoints_.rbegin()->second);
}

absl::StatusOr<std::vector<StoredCheckpoint>> InMemoryEventStore::ListCheckpoints(int64_t before,
                                                                                  int limit) {
  absl::MutexLock lock(&mu_);
  if (!down_.ok()) return down_;
  std::vector<StoredCheckpoint> out;
  for (auto it = checkpoints_.rbegin(); it != checkpoints_.rend() && limit > 0; ++it) {
    if (before != 0 && it->first >= before) continue;
    out.push_back(it->second);
    --limit;
  }
  return out;
}

absl::StatusOr<std::vector<StoredCheckpoint>> InMemoryEventStore::CheckpointsBetween(int64_t from,
                                                                                     int64_t to) {
  absl::MutexLock lock(&mu_);
  if (!down_.ok()) return down_;
  std::vector<StoredCheckpoint> out;
  for (auto it = checkpoints_.lower_bound(from); it != checkpoints_.end() && it->first <= to;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

void InMemoryEventStore::WaitBeyond(int64_t sequence, absl::Duration max_wait) {
  absl::MutexLock lock(&mu_);
  auto beyond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return head_.sequence > sequence; };
  mu_.AwaitWithTimeout(absl::Condition(&beyond), max_wait);
}

void InMemoryEventStore::FailNextAppend(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_next_ = std::move(status);
}

void InMemoryEventStore::SetDown(absl::Status status) {
  absl::MutexLock lock(&mu_);
  down_ = std::move(status);
}

void InMemoryEventStore::Tamper(const std::function<void(std::map<int64_t, AuditEvent>&)>& edit) {
  absl::MutexLock lock(&mu_);
  edit(events_);
}

void InMemoryEventStore::TruncateAfter(int64_t sequence) {
  absl::MutexLock lock(&mu_);
  events_.erase(events_.upper_bound(sequence), events_.end());
  ids_.clear();
  for (const auto& [seq, e] : events_) ids_[e.id()] = seq;
  head_.sequence = sequence;
  head_.hash = events_.empty() ? chain::GenesisHash()
                               : absl::HexStringToBytes(events_.rbegin()->second.hash());
}

int InMemoryEventStore::appends() const {
  absl::MutexLock lock(&mu_);
  return appends_;
}

}  // namespace jit::audit::testing
