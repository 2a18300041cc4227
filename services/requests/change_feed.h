// ChangeFeed: the commit-ordered log of request changes behind WatchRequests. Every change a
// RequestStore writes (create, review, decision, cancel, revoke, expiry) is also recorded
// with the request as stored and its state before. A change gets its feed position only
// once it is final (migrations/0006_watch.sql: numbered in transaction-id order once every
// transaction that could still write an earlier one has ended), so positions grow in the
// order readers may see them: after reading position P a reader never finds a new change
// at or below P. Positions start at 1; 0 means "before every change".
//
//  - Sequence: numbers the changes that became final (one replica at a time; the others
//    return at once) and returns the newest position.
//  - ReadAfter: changes after a position, in position order.
//  - Snapshot: every request as of one position (also requests older than the log).
// Errors: database errors as common/db/pg_errors.h maps them. Implementations are
// thread-safe.
#ifndef JIT_SERVICES_REQUESTS_CHANGE_FEED_H_
#define JIT_SERVICES_REQUESTS_CHANGE_FEED_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "jit/common/v1/access_request.pb.h"

namespace jit::requests {

struct FeedChange {
  int64_t position = 0;
  // UNSPECIFIED (0) for a create.
  jit::common::v1::AccessRequestState prev_state =
      jit::common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED;
  // As stored by the change (revision set, no history).
  jit::common::v1::AccessRequest request;
};

struct FeedSnapshot {
  int64_t position = 0;
  // Newest first (create_time, id), without history.
  std::vector<jit::common::v1::AccessRequest> requests;
};

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  virtual absl::StatusOr<int64_t> Sequence() = 0;
  virtual absl::StatusOr<std::vector<FeedChange>> ReadAfter(int64_t position, int limit) = 0;
  // At most `limit` requests; RESOURCE_EXHAUSTED when there are more.
  virtual absl::StatusOr<FeedSnapshot> Snapshot(int limit) = 0;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_CHANGE_FEED_H_
