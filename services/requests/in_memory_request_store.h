// An in-memory RequestStore for unit tests of the lifecycle logic: the same contract as
// PostgresRequestStore (request_store.h) under one mutex, and the audit events it would
// have written to the outbox, in order (events()). Also a ChangeFeed whose changes are
// numbered at once (one mutex orders them). Thread-safe.
#ifndef JIT_SERVICES_REQUESTS_IN_MEMORY_REQUEST_STORE_H_
#define JIT_SERVICES_REQUESTS_IN_MEMORY_REQUEST_STORE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/requests/change_feed.h"
#include "services/requests/request_store.h"

namespace jit::requests::testing {

class InMemoryRequestStore final : public RequestStore, public ChangeFeed {
 public:
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

  std::vector<AuditEvent> events() const;

 private:
  void Write(const std::string& id, RequestChange& change, AccessRequest* stored)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, AccessRequest> requests_ ABSL_GUARDED_BY(mu_);  // with history
  // (user, key) -> (id, content hash)
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> keys_
      ABSL_GUARDED_BY(mu_);
  std::vector<AuditEvent> events_ ABSL_GUARDED_BY(mu_);
  std::vector<FeedChange> changes_ ABSL_GUARDED_BY(mu_);  // changes_[p - 1] at position p
};

}  // namespace jit::requests::testing

#endif  // JIT_SERVICES_REQUESTS_IN_MEMORY_REQUEST_STORE_H_
