// Where the hash-chained events live: an interface, so that the sink's logic is tested with
// an in-memory fake (testing/in_memory_event_store.h) and runs on PostgreSQL
// (postgres_event_store.h).
//
// Appends are serialised across every replica sharing the store: each append reads the
// chain's head, links its events after it with chain::ChainHash and moves the head, as one
// unit. Errors: UNAVAILABLE when the store cannot be reached (retry), ABORTED when a
// conflicting transaction won (retry), INTERNAL otherwise; DATA_LOSS when a stored row cannot
// be read back.
// Thread-safety: implementations are thread-safe.
#ifndef JIT_SERVICES_AUDIT_STORAGE_EVENT_STORE_H_
#define JIT_SERVICES_AUDIT_STORAGE_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"

namespace jit::audit {

using jit::common::v1::AuditEvent;

// The newest event's sequence and hash (0 and 32 zero bytes for an empty chain).
struct ChainHead {
  int64_t sequence = 0;
  std::string hash;  // 32 bytes
};

// A signed checkpoint as stored (docs/AUDIT.md, "Signed checkpoints").
struct StoredCheckpoint {
  int64_t sequence = 0;
  std::string hash;  // 32 bytes
  absl::Time signed_at;
  std::string key_id;
  std::string public_key;  // 32 bytes
  std::string signature;   // 64 bytes
};

struct AppendResult {
  int accepted = 0;
  int duplicates = 0;
  // The head after the append (also when everything was a duplicate).
  ChainHead head;
  // The checkpoint stored with the append, if one was due.
  std::optional<StoredCheckpoint> checkpoint;
};

// Called by Append inside its transaction, with the new head and the sequence of the newest
// stored checkpoint (0: none): a checkpoint of the head to store with the events, or
// nullopt when none is due. Must not fail the append (it reports its own errors).
using CheckpointFn =
    std::function<std::optional<StoredCheckpoint>(const ChainHead& head, int64_t latest)>;

// A position in SearchEvents' order: (time, sequence).
struct SearchPosition {
  int64_t time_micros = 0;
  int64_t sequence = 0;
};

// SearchEvents' filter; empty fields do not filter.
struct SearchQuery {
  std::optional<absl::Time> start;  // time >= start
  std::optional<absl::Time> end;    // time < end
  std::vector<std::string> exact_types;
  std::vector<std::string> type_prefixes;  // "access_request." matches access_request.*
  std::string actor;
  std::string target;
  std::string request_id;
  std::optional<AuditEvent::Outcome> outcome;
  bool ascending = false;  // false: newest first
  // Continue after this position (exclusive) in the query's order.
  std::optional<SearchPosition> after;
  int limit = 100;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends `events` after the head, in their order, skipping every event whose id is
  // already stored or appeared earlier in `events` (counted as duplicates). Each appended
  // event gets sequence, prev_hash and hash; the caller has validated and normalised them
  // (lowercase ids, whole-microsecond times, code and ingest_time set). All or nothing;
  // durable (synchronously committed) before it returns OK. `checkpoint` (may be empty) may
  // add a checkpoint of the new head in the same transaction.
  virtual absl::StatusOr<AppendResult> Append(const std::vector<AuditEvent>& events,
                                              const CheckpointFn& checkpoint) = 0;
  absl::StatusOr<AppendResult> Append(const std::vector<AuditEvent>& events) {
    return Append(events, CheckpointFn());
  }

  virtual absl::StatusOr<ChainHead> Head() = 0;

  // At most `limit` events with sequence > `after`, in sequence order, as stored (sequence,
  // hash, prev_hash, ingest_time set).
  virtual absl::StatusOr<std::vector<AuditEvent>> ReadAfter(int64_t after, int limit) = 0;

  // Events matching `query`, at most query.limit, in (time, sequence) order.
  virtual absl::StatusOr<std::vector<AuditEvent>> Search(const SearchQuery& query) = 0;
};

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;

  // Stores `checkpoint`; one for a sequence already checkpointed is dropped (another
  // replica signed the same head), returning OK.
  virtual absl::Status AddCheckpoint(const StoredCheckpoint& checkpoint) = 0;

  // The checkpoint with the highest sequence, if any.
  virtual absl::StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint() = 0;

  // At most `limit` checkpoints with sequence < `before` (0 = no bound), newest first.
  virtual absl::StatusOr<std::vector<StoredCheckpoint>> ListCheckpoints(int64_t before,
                                                                        int limit) = 0;

  // Checkpoints with from <= sequence <= to, in sequence order.
  virtual absl::StatusOr<std::vector<StoredCheckpoint>> CheckpointsBetween(int64_t from,
                                                                           int64_t to) = 0;
};

// Tells waiters that the chain has grown (ExportEvents' follow mode). Any replica's append
// wakes the waiters of every replica.
class HeadWatcher {
 public:
  virtual ~HeadWatcher() = default;
  // Returns once the head's sequence may exceed `sequence`, or after `max_wait` (a real-time
  // pause for I/O; it decides nothing), whichever is first. A spurious return is allowed:
  // the caller reads and waits again.
  virtual void WaitBeyond(int64_t sequence, absl::Duration max_wait) = 0;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_STORAGE_EVENT_STORE_H_
