// RequestStore: where access requests, their reviews and their history live. The lifecycle
// logic (request_lifecycle.h) decides; the store keeps each decision atomic:
//
//  - Create inserts a request with its first transition and audit event, or (same user and
//    idempotency key) returns the one stored before: created = false when its content hash
//    is the same, ALREADY_EXISTS when it is not.
//  - Update locks one request (no other Update or sweep of it runs meanwhile), hands it to
//    `decide`, and writes what `decide` returns -- the new request, at most one new review
//    and one transition, and the audit events -- in one transaction with a fresh revision.
//    `decide` may run more than once (the transaction is retried on serialization
//    failures), so it must have no side effect outside its result.
//  - ExpireDue claims due live requests that no one else holds (skip locked) and expires
//    them through `expire`, in batches; each due request changes exactly once however many
//    replicas sweep.
// Revisions come from one store-wide counter: every change gets a larger one.
// Errors: NOT_FOUND for an unknown id; database errors as common/db/pg_errors.h maps them.
// Implementations are thread-safe.
#ifndef JIT_SERVICES_REQUESTS_REQUEST_STORE_H_
#define JIT_SERVICES_REQUESTS_REQUEST_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/access_request.pb.h"
#include "jit/common/v1/audit_event.pb.h"

namespace jit::requests {

using jit::common::v1::AccessRequest;
using jit::common::v1::AccessRequestState;
using jit::common::v1::AccessRequestTransition;
using jit::common::v1::AccessReview;
using jit::common::v1::AuditEvent;

// What `decide` asks the store to write.
struct RequestChange {
  // False: write nothing (then `after` is still returned).
  bool write = false;
  // The request as it is to be stored (reviews included; history, revision ignored).
  AccessRequest request;
  // A review to add (one per reviewer: a second one is ALREADY_EXISTS).
  std::optional<AccessReview> review;
  // A state change to add to the history (its revision is filled in).
  std::optional<AccessRequestTransition> transition;
  std::vector<AuditEvent> events;
  // What Update returns once the change is committed (e.g. FAILED_PRECONDITION after
  // expiring a request the caller wanted to review): OK returns the stored request.
  absl::Status after;
};

// Newest first; the cursor is the last row of the previous page.
struct ListQuery {
  std::vector<AccessRequestState> states;  // empty = any
  std::string user;                        // empty = any
  std::string exclude_user;                // empty = none (for "I can review")
  std::optional<absl::Time> created_after;
  bool break_glass_awaiting = false;      // only break-glass requests awaiting review
  std::optional<absl::Time> cursor_time;  // with cursor_id: rows strictly before it
  std::string cursor_id;
  int limit = 100;
};

// Grants (approved or revoked requests) whose window has not ended at `now`, by id.
struct GrantQuery {
  absl::Time now;
  std::string user;              // empty = any
  std::vector<std::string> ids;  // empty = any
  bool revoked_only = false;     // only revoked grants
  std::string after_id;          // "" = from the start
  int limit = 100;
};

// Live counts for the gauges.
struct RequestCounts {
  int64_t pending = 0;
  int64_t active_grants = 0;
  int64_t break_glass_unreviewed = 0;
  int64_t break_glass_overdue = 0;  // unreviewed past post_review_due_time
};

class RequestStore {
 public:
  virtual ~RequestStore() = default;

  struct Created {
    AccessRequest request;
    bool created = false;  // false: an earlier request with the same key and content
  };
  // `request` must carry id, user, state (PENDING, or APPROVED for break-glass) and
  // request_key (or none); `content_hash` identifies its content for the idempotency check
  // ("" when there is no key); `events` go to the outbox with it.
  virtual absl::StatusOr<Created> Create(const AccessRequest& request,
                                         const std::string& content_hash,
                                         const AccessRequestTransition& transition,
                                         const std::vector<AuditEvent>& events) = 0;

  // The request with its history.
  virtual absl::StatusOr<AccessRequest> Get(std::string_view id) = 0;

  using Decide = absl::FunctionRef<absl::StatusOr<RequestChange>(const AccessRequest& current)>;
  // `decide` gets the locked current request (with its history); an error from it writes
  // nothing and is returned. Returns the request as stored afterwards, or change.after.
  virtual absl::StatusOr<AccessRequest> Update(std::string_view id, Decide decide) = 0;

  // Without history.
  virtual absl::StatusOr<std::vector<AccessRequest>> List(const ListQuery& query) = 0;
  virtual absl::StatusOr<std::vector<AccessRequest>> ListGrants(const GrantQuery& query) = 0;

  using Expire = absl::FunctionRef<absl::StatusOr<RequestChange>(const AccessRequest& current)>;
  // Claims up to `limit` requests whose due time (a pending request's pending_expire_time,
  // an approved one's access_expire_time) is at or before `now` and that no other
  // transaction holds, and writes `expire`'s change for each, in one transaction. Returns
  // the requests changed, as stored (without history).
  virtual absl::StatusOr<std::vector<AccessRequest>> ExpireDue(absl::Time now, int limit,
                                                               Expire expire) = 0;
  // The earliest due time of a live request, if any.
  virtual absl::StatusOr<std::optional<absl::Time>> NextDueTime() = 0;

  virtual absl::StatusOr<RequestCounts> Counts(absl::Time now) = 0;
};

// When the sweeper must act on `request` (nullopt for a terminal one).
std::optional<absl::Time> DueTime(const AccessRequest& request);

// Whether `request` is a break-glass request awaiting its after-the-fact review.
bool AwaitsPostReview(const AccessRequest& request);

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_REQUEST_STORE_H_
