// RequestStore over PostgreSQL, in the `requests` schema (migrations/0002_requests.sql):
// a row per request (the AccessRequest serialized, with the columns queries use beside it),
// a row per review (primary key (request, reviewer): one review per reviewer), a row per
// transition (the history), and the audit outbox (common/audit/postgres_audit_outbox.h),
// written in the same transaction as the change.
//
// Concurrency: Update locks the request row (SELECT ... FOR UPDATE) before `decide` sees
// it, so racing reviews, cancels, revokes and the sweeper are serialised per request and
// each sees the state the previous one left; ExpireDue claims with FOR UPDATE SKIP LOCKED,
// so replicas sweeping together never take the same row and never wait for a row a
// reviewer holds (it is due again at the next sweep if still live).
// The change log of WatchRequests (change_feed.h, migrations/0006_watch.sql) is written in
// each change's transaction; Sequence numbers it under an advisory lock and announces new
// positions on kChangeChannel (pg_notify) for the other replicas.
// Errors: as request_store.h; DATA_LOSS for a stored row that does not parse.
// Thread-safe; the pool is borrowed and must outlive the store.
#ifndef JIT_SERVICES_REQUESTS_POSTGRES_REQUEST_STORE_H_
#define JIT_SERVICES_REQUESTS_POSTGRES_REQUEST_STORE_H_

#include "absl/status/status.h"
#include "common/db/pg_pool.h"
#include "services/requests/change_feed.h"
#include "services/requests/request_store.h"

namespace pqxx {
class transaction_base;
}  // namespace pqxx

namespace jit::requests {

// Writes more rows in the transaction of every stored change (the notification queue,
// notify/notification_queue.h): called after the request's own rows with the state before
// (UNSPECIFIED for a new request) and the request as stored. An error rolls the change back.
// May throw libpqxx exceptions like any statement. Must be thread-safe.
class PostgresChangeHook {
 public:
  virtual ~PostgresChangeHook() = default;
  virtual absl::Status OnChange(pqxx::transaction_base& txn, AccessRequestState from,
                                const AccessRequest& after) = 0;
};

// The schema (and audit source) name.
inline constexpr char kRequestsSchema[] = "requests";
// Where Sequence announces new feed positions.
inline constexpr char kChangeChannel[] = "jit_requests_changes";

class PostgresRequestStore final : public RequestStore, public ChangeFeed {
 public:
  // The `requests` schema must be migrated (services/requests/migrations.h).
  // `hook` (may be null, borrowed) sees every change inside its transaction.
  explicit PostgresRequestStore(db::PgPool* pool, PostgresChangeHook* hook = nullptr)
      : pool_(pool), hook_(hook) {}

  absl::StatusOr<Created> Create(const AccessRequest& request, const std::string& content_hash,
                                 const AccessRequestTransition& transition,
                                 const std::vector<AuditEvent>& events) override;
  absl::StatusOr<AccessRequest> Get(std::string_view id) override;
  absl::StatusOr<AccessRequest> Update(std::string_view id, Decide decide) override;
  absl::StatusOr<std::vector<AccessRequest>> List(const ListQuery& query) override;
  absl::StatusOr<std::vector<AccessRequest>> ListGrants(const GrantQuery& query) override;
  absl::StatusOr<std::vector<AccessRequest>> ExpireDue(absl::Time now, int limit,
                                                       Expire expire) override;
  absl::StatusOr<std::optional<absl::Time>> NextDueTime() override;
  absl::StatusOr<RequestCounts> Counts(absl::Time now) override;

  absl::StatusOr<int64_t> Sequence() override;
  absl::StatusOr<std::vector<FeedChange>> ReadAfter(int64_t position, int limit) override;
  absl::StatusOr<FeedSnapshot> Snapshot(int limit) override;

 private:
  // The advisory lock of the sequencer (an arbitrary constant of this schema).
  static constexpr int64_t kSequencerLock = 0x6a69747265710001;
  db::PgPool* const pool_;
  PostgresChangeHook* const hook_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_POSTGRES_REQUEST_STORE_H_
