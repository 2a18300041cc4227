// Revoked sessions: the RevocationChecker the token verifier asks, and a RevocationList kept
// in sync with auth's ListRevokedSessions (Refresh() every second), so a logout holds on
// every replica within 5 s while auth is up. When the feed fails, the mode decides:
//   kStrict     UNAVAILABLE once the list is older than kStrictStaleness (5 s);
//   kBestEffort answers from the last list (sessions ended before the outage stay refused)
//               until it is older than max_staleness (1 min by default), then UNAVAILABLE.
// A list never loaded answers UNAVAILABLE in both modes. age() feeds
// jit_<service>_revocation_list_age_seconds (alerted on in deploy/prometheus/alerts.yml).
#ifndef JIT_COMMON_AUTH_REVOCATION_H_
#define JIT_COMMON_AUTH_REVOCATION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace jit::auth {

// Answers whether a session was ended before its token expired. Thread-safe.
class RevocationChecker {
 public:
  virtual ~RevocationChecker() = default;
  // OK when the session is not known to be revoked; UNAUTHENTICATED "session revoked" when
  // it is; UNAVAILABLE when the answer cannot be trusted (the checker is out of date).
  virtual absl::Status CheckSession(std::string_view session_id) const = 0;
  // The same answer, held to the strict bound whatever the checker's mode: for sessions of
  // roles that want strict revocation (TokenVerifier::Options::strict_roles). A checker
  // without modes answers as CheckSession.
  virtual absl::Status CheckSessionStrictly(std::string_view session_id) const {
    return CheckSession(session_id);
  }
};

struct RevokedSession {
  std::string session_id;
  // When the session's token expires anyway; the entry can be forgotten after that.
  absl::Time expire_time;
};

// A batch of revocations after a cursor.
struct RevocationUpdate {
  std::vector<RevokedSession> sessions;
  // Cursor to pass next time (monotonic on the publisher).
  int64_t cursor = 0;
  // True when `sessions` is the complete list (first sync, or the publisher no longer has
  // the history after the given cursor): it replaces the local list.
  bool complete = false;
};

// Source of revocations (auth's ListRevokedSessions: RemoteRevocationFeed in
// remote_token_sources.h; auth itself reads its store). May block; sets its own
// deadline; UNAVAILABLE when unreachable. Called from one thread at a time.
class RevocationFeed {
 public:
  virtual ~RevocationFeed() = default;
  virtual absl::StatusOr<RevocationUpdate> FetchRevocations(int64_t after_cursor) = 0;
};

enum class RevocationMode { kStrict, kBestEffort };

// "strict", "best_effort"; INVALID_ARGUMENT naming the choices for anything else.
absl::StatusOr<RevocationMode> RevocationModeFromName(std::string_view name);
std::string_view RevocationModeName(RevocationMode mode);

// How old a strict list may get: the refresh period (1 s) plus margin, so the "a logout is
// honoured within 5 s" promise holds even while auth is down.
inline constexpr absl::Duration kStrictStaleness = absl::Seconds(5);

// A RevocationChecker kept current by Refresh(). Thread-safe; checks take a reader lock.
class RevocationList final : public RevocationChecker {
 public:
  struct Options {
    RevocationMode mode = RevocationMode::kBestEffort;
    // In kBestEffort mode, checks fail with UNAVAILABLE once the last successful refresh is
    // older than this (at least kStrictStaleness). kStrict uses kStrictStaleness.
    absl::Duration max_staleness = absl::Minutes(1);
    // Entries are kept this long past their session's expiry (tokens are accepted up to the
    // verifier's clock skew past exp).
    absl::Duration expiry_grace = absl::Minutes(2);
  };

  // `feed` and `clock` are not owned and must outlive the list. INVALID_ARGUMENT for a
  // max_staleness under kStrictStaleness.
  static absl::StatusOr<std::unique_ptr<RevocationList>> Create(RevocationFeed* feed,
                                                                const Clock* clock,
                                                                Options options);

  // Pulls the revocations after the last cursor and merges them; drops expired entries.
  // Returns the feed's error (the list keeps its state and staleness keeps growing).
  absl::Status Refresh();

  absl::Status CheckSession(std::string_view session_id) const override;
  // Fails with UNAVAILABLE once the list is older than kStrictStaleness, in either mode.
  absl::Status CheckSessionStrictly(std::string_view session_id) const override;

  // Time since the last successful refresh began (since creation while never loaded).
  absl::Duration age() const;

  // The mode's bound: kStrictStaleness or max_staleness.
  absl::Duration staleness_bound() const;

  size_t size() const;

 private:
  absl::Status Check(std::string_view session_id, absl::Duration bound) const;

  RevocationList(RevocationFeed* feed, const Clock* clock, Options options)
      : feed_(feed), clock_(clock), options_(options), created_(clock->Now()) {}

  RevocationFeed* const feed_;
  const Clock* const clock_;
  const Options options_;
  const absl::Time created_;

  absl::Mutex refresh_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  int64_t cursor_ ABSL_GUARDED_BY(refresh_mu_) = 0;
  bool synced_once_ ABSL_GUARDED_BY(refresh_mu_) = false;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> revoked_ ABSL_GUARDED_BY(mu_);
  absl::Time last_success_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_REVOCATION_H_
