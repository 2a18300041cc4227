// EventStore and CheckpointStore over the `audit` schema (migrations/0001_events.sql).
//
// Append, in one read-committed transaction with synchronous_commit on (durable on return
// whatever the server's default): lock the chain_head row FOR UPDATE (appends of every
// replica queue here, so the chain never forks), look up which ids are stored already, link
// the new events after the head, write them with one COPY, move the head. A connection lost
// during COMMIT gives UNKNOWN: the batch may or may not be stored; sending it again is safe
// (ids already stored are skipped).
//
// The pool's role needs only what jit_audit_writer is granted: SELECT and INSERT on events
// and checkpoints, SELECT and UPDATE on chain_head.
// Thread-safe; borrows the pool, which must outlive the store.
#ifndef JIT_SERVICES_AUDIT_STORAGE_POSTGRES_EVENT_STORE_H_
#define JIT_SERVICES_AUDIT_STORAGE_POSTGRES_EVENT_STORE_H_

#include "common/db/pg_pool.h"
#include "services/audit/storage/event_store.h"

namespace jit::audit {

class PostgresEventStore final : public EventStore, public CheckpointStore {
 public:
  explicit PostgresEventStore(db::PgPool* pool) : pool_(pool) {}

  absl::StatusOr<AppendResult> Append(const std::vector<AuditEvent>& events) override;
  absl::StatusOr<ChainHead> Head() override;
  absl::StatusOr<std::vector<AuditEvent>> ReadAfter(int64_t after, int limit) override;
  absl::StatusOr<std::vector<AuditEvent>> Search(const SearchQuery& query) override;

  absl::Status AddCheckpoint(const StoredCheckpoint& checkpoint) override;
  absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() override;
  absl::StatusOr<std::vector<StoredCheckpoint>> ListCheckpoints(int64_t before, int limit) override;
  absl::StatusOr<std::vector<StoredCheckpoint>> CheckpointsBetween(int64_t from,
                                                                   int64_t to) override;

 private:
  db::PgPool* const pool_;
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
