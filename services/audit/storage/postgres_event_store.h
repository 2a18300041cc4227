// EventStore and CheckpointStore over the `audit` schema (migrations/0001_events.sql).
// Append is durable on return (synchronous_commit on): it locks the chain_head row FOR
// UPDATE (so replicas never fork the chain), skips ids already stored, links the events
// after the head, writes them with one COPY, moves the head and stores the checkpoint the
// CheckpointFn asks for. Batches arriving meanwhile are group-committed (up to
// kMaxGroupEvents, arrival order); if a group fails, each batch is retried alone, so one bad
// batch fails only itself. A connection lost during COMMIT is UNKNOWN (sending again is safe).
// The pool's role needs only jit_audit_writer's grants (SELECT, INSERT on events and
// checkpoints; SELECT, UPDATE on chain_head). Thread-safe; borrows the pool.
#ifndef JIT_SERVICES_AUDIT_STORAGE_POSTGRES_EVENT_STORE_H_
#define JIT_SERVICES_AUDIT_STORAGE_POSTGRES_EVENT_STORE_H_

#include <deque>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/db/pg_pool.h"
#include "pqxx/transaction_base"
#include "services/audit/storage/event_store.h"

namespace jit::audit {

class PostgresEventStore final : public EventStore, public CheckpointStore {
 public:
  explicit PostgresEventStore(db::PgPool* pool) : pool_(pool) {}

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

  // Most events one group-commit transaction stores.
  static constexpr size_t kMaxGroupEvents = 5000;

  // For tests: runs in the appending caller before it collects the waiting batches (a
  // test holds it there to make a group), and the number of batches waiting.
  void SetLeaderHookForTest(std::function<void()> hook);
  size_t QueuedForTest();

 private:
  struct Waiter;
  // Appends the batches in order in one transaction; a result per batch. Without
  // `lookup_ids`, ids already stored are left to the unique index (ALREADY_EXISTS: the
  // caller tries again with the lookup).
  absl::StatusOr<std::vector<AppendResult>> AppendTogether(
      const std::vector<const std::vector<AuditEvent>*>& batches, const CheckpointFn& checkpoint,
      bool lookup_ids);
  // AppendTogether, first without the id lookup (the common case: nothing is a repeat).
  absl::StatusOr<std::vector<AppendResult>> AppendGroup(
      const std::vector<const std::vector<AuditEvent>*>& batches, const CheckpointFn& checkpoint);

  // Inserts `c` within `txn` (a checkpoint of a sequence already checkpointed is dropped).
  static void InsertCheckpoint(pqxx::transaction_base& txn, const StoredCheckpoint& c);

  db::PgPool* const pool_;
  absl::Mutex mu_;
  std::deque<Waiter*> queue_ ABSL_GUARDED_BY(mu_);
  bool leading_ ABSL_GUARDED_BY(mu_) = false;  // a caller is appending a group
  std::function<void()> leader_hook_ ABSL_GUARDED_BY(mu_);
};

// HeadWatcher that reads the head every `poll_interval` until it moves or `max_wait`
// passes (one primary-key read per interval per waiter).
class PostgresHeadWatcher final : public HeadWatcher {
 public:
  PostgresHeadWatcher(EventStore* store, absl::Duration poll_interval)
      : store_(store), poll_interval_(poll_interval) {}
  void WaitBeyond(int64_t sequence, absl::Duration max_wait) override;

 private:
  EventStore* const store_;
  const absl::Duration poll_interval_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_STORAGE_POSTGRES_EVENT_STORE_H_
