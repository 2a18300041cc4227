// WatchRequests: a stream of request changes made through any replica, from the change feed
// (change_feed.h), resumable at any event's `revision` (a feed position).
//
//  - after_revision 0: first every request the caller may see and the filters select, as it
//    stands at one feed position P (TYPE_SNAPSHOT, revision P), then a TYPE_HEARTBEAT with
//    revision P that ends the snapshot; then the changes after P. after_revision N > 0: the
//    changes after position N (a client resumes with the last revision it received, so it
//    misses and repeats nothing). Changes are TYPE_CREATED or TYPE_UPDATED with the request
//    as that change stored it (no history).
//  - Filters as in ListRequests: `user`; `states` (a change is sent when the request's state
//    before or after it is selected, so a watcher sees a request leave the set);
//    reviewable_by_me (others' requests policy lets the caller review; PENDING unless
//    `states` say otherwise).
//  - Who sees what (as GetRequest): the requester, a reviewer policy admits, and callers with
//    "list" on access_request. A `user` filter naming someone else without that permission
//    (and without reviewable_by_me) is PERMISSION_DENIED, as in ListRequests.
//  - A heartbeat (revision: the position examined so far) after `heartbeat` without an
//    event, so a client's resume point advances past changes it may not see.
// Errors: INVALID_ARGUMENT (negative revision, unknown state, bad user), PERMISSION_DENIED,
// RESOURCE_EXHAUSTED (a snapshot of more than snapshot_limit requests: narrow the filters
// or resume from a revision), UNAVAILABLE (database or policy; resume from the last
// revision). Returns OK when the client goes away.
//
// FeedHub: this replica's view of the newest feed position. Poll() (the service runs it on
// every notification from the channel Sequence announces on, and every poll interval)
// numbers final changes and wakes the streams waiting for a newer position.
// Thread-safe; borrows its collaborators.
#ifndef JIT_SERVICES_REQUESTS_REQUEST_WATCH_H_
#define JIT_SERVICES_REQUESTS_REQUEST_WATCH_H_

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jit/requests/v1/requests.pb.h"
#include "services/requests/change_feed.h"
#include "services/requests/request_lifecycle.h"

namespace jit::requests {

class FeedHub {
 public:
  explicit FeedHub(ChangeFeed* feed) : feed_(feed) {}

  // ChangeFeed::Sequence, then wakes waiters if the head moved.
  absl::Status Poll();
  // The head once it is past `position`, or whatever it is after `timeout` or Close().
  int64_t WaitPast(int64_t position, absl::Duration timeout);
  // Wakes every waiter for good (shutdown).
  void Close();

 private:
  ChangeFeed* const feed_;
  absl::Mutex mu_;
  int64_t head_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

struct WatchOptions {
  absl::Duration heartbeat = absl::Seconds(15);
  int snapshot_limit = 10000;
  int batch = 500;
  // How often a waiting stream checks that its client is still there.
  absl::Duration cancel_check = absl::Seconds(1);
};

class RequestWatch {
 public:
  RequestWatch(RequestLifecycle* lifecycle, ChangeFeed* feed, FeedHub* hub,
               WatchOptions options = {})
      : lifecycle_(lifecycle), feed_(feed), hub_(hub), options_(options) {}

  // `write` returns false once the client is gone; `cancelled` is polled while waiting.
  absl::Status Watch(const Identity& caller, const v1::WatchRequestsRequest& request,
                     const std::function<bool(const v1::RequestEvent&)>& write,
                     const std::function<bool()>& cancelled);

 private:
  RequestLifecycle* const lifecycle_;
  ChangeFeed* const feed_;
  FeedHub* const hub_;
  const WatchOptions options_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_REQUEST_WATCH_H_
