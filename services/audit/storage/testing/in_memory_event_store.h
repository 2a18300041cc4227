// EventStore, CheckpointStore and HeadWatcher in memory, for the sink's unit tests. Behaves
// as PostgresEventStore does (same chaining, dedupe, search order) without durability;
// tests may tamper with the stored events and inject failures.
// Thread-safe.
#ifndef JIT_SERVICES_AUDIT_STORAGE_TESTING_IN_MEMORY_EVENT_STORE_H_
#define JIT_SERVICES_AUDIT_STORAGE_TESTING_IN_MEMORY_EVENT_STORE_H_

#include <functional>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/audit/storage/event_store.h"

namespace jit::audit::testing {

class InMemoryEventStore final : public EventStore, public CheckpointStore, public HeadWatcher {
 public:
  using EventStore::Append;
  absl::StatusOr<AppendResult> Append(const std::vector<AuditEvent>& events,
                                      const CheckpointFn& checkpoint) override;
  absl::StatusOr<ChainHead> Head() override;
  absl::StatusOr<std::vector<AuditEvent>> ReadAfter(int64_t after, int limit) override;
  absl::StatusOr<std::vector<AuditEvent>> Search(const SearchQuery& query) override;

  absl::Status AddCheckpoint(const StoredCheckpoint& checkpoint) override;
  absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() override;
  absl::StatusOr<std::vector<StoredCheckpoint>> ListCheckpoints(int64_t before, int limit) override;
  absl::StatusOr<std::vector<StoredCheckpoint>> CheckpointsBetween(int64_t from,
                                                                   int64_t to) override;

  // Waits on a condition variable that every append signals.
  void WaitBeyond(int64_t sequence, absl::Duration max_wait) override;

  // The next Append fails with `status` and stores nothing.
  void FailNextAppend(absl::Status status);
  // Every call fails with `status` while it is not OK (the store is "down").
  void SetDown(absl::Status status);

  // Direct access to the stored events by sequence, as a database superuser would have:
  // `edit` may change, erase or insert rows (the head is left alone).
  void Tamper(const std::function<void(std::map<int64_t, AuditEvent>&)>& edit);
  // Removes the events above `sequence` and rewinds the head to it, as a truncation by a
  // database superuser would; checkpoints stay.
  void TruncateAfter(int64_t sequence);

  int appends() const;

 private:
  absl::Status DownStatus() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<int64_t, AuditEvent> events_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> ids_ ABSL_GUARDED_BY(mu_);
  ChainHead head_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, StoredCheckpoint> checkpoints_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_next_ ABSL_GUARDED_BY(mu_);
  absl::Status down_ ABSL_GUARDED_BY(mu_);
  int appends_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace jit::audit::testing

#endif  // JIT_SERVICES_AUDIT_STORAGE_TESTING_IN_MEMORY_EVENT_STORE_H_
