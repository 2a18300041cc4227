// The on-call sources behind OnCallSource, and their configuration.
//
// StaticOnCallSource: a schedule file (YAML), read once at start:
//     shifts:
//       - {user: alice, start: "2026-12-07T08:00:00Z", end: "2026-12-14T08:00:00Z"}
//       - {user: bob@example.com, start: ..., end: ...}
//   `user` is a user name or an e-mail address (matched against the requester's name or
//   their "email" trait, case-insensitively); a shift covers [start, end).
// PagerDutyOnCallSource: the PagerDuty REST API v2, GET <api>/oncalls?since=now&until=now&
//   schedule_ids[]=...&include[]=users with "Authorization: Token token=<token>" (the token
//   from a file, never logged). The requester is on call when an on-call entry's user has
//   their "email" trait as e-mail. The answer is cached for `cache_ttl` (and never past the
//   earliest end of an entry). ParsePagerDutyOnCalls reads the documented response shape:
//     {"oncalls": [{"user": {"id", "email", "summary", ...}, "schedule": {...},
//                   "escalation_level": 1, "start": "...Z", "end": "...Z" | null}, ...],
//      "limit": 25, "offset": 0, "more": false}
// Errors: INVALID_ARGUMENT naming the file/field for bad configuration or input; UNAVAILABLE
// when PagerDuty cannot be reached or answers with an error status. Thread-safe.
#ifndef JIT_SERVICES_POLICY_REVIEW_RULES_ON_CALL_SOURCES_H_
#define JIT_SERVICES_POLICY_REVIEW_RULES_ON_CALL_SOURCES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/http/http_client.h"
#include "common/secret.h"
#include "services/policy/review_rules/on_call_source.h"

namespace jit::policy {

// One person on call from `start` until `end` (InfiniteFuture when open-ended).
struct OnCallShift {
  std::string user;  // a name or an e-mail address
  absl::Time start;
  absl::Time end;
};

// Whether `user` (by name or "email" trait) holds a shift covering `now`.
bool CoveredByShift(const std::vector<OnCallShift>& shifts, const jit::common::v1::Identity& user,
                    absl::Time now);

class StaticOnCallSource final : public OnCallSource {
 public:
  // INVALID_ARGUMENT "<file>: ..." for a malformed file; NOT_FOUND if it cannot be read.
  static absl::StatusOr<std::unique_ptr<StaticOnCallSource>> FromFile(const std::string& path);
  static absl::StatusOr<std::unique_ptr<StaticOnCallSource>> FromYaml(absl::string_view yaml);

  absl::StatusOr<bool> IsOnCall(const jit::common::v1::Identity& user, absl::Time now) override;

 private:
  explicit StaticOnCallSource(std::vector<OnCallShift> shifts) : shifts_(std::move(shifts)) {}
  const std::vector<OnCallShift> shifts_;
};

// The entries of a PagerDuty GET /oncalls answer (user = the user's e-mail).
// INVALID_ARGUMENT for a body that is not that shape.
absl::StatusOr<std::vector<OnCallShift>> ParsePagerDutyOnCalls(absl::string_view body);

struct PagerDutyOptions {
  std::string api_url = "https://api.pagerduty.com";
  std::vector<std::string> schedule_ids;
  absl::Duration cache_ttl = absl::Seconds(60);
};

class PagerDutyOnCallSource final : public OnCallSource {
 public:
  // `http` and `clock` are borrowed. INVALID_ARGUMENT without schedule ids or token.
  static absl::StatusOr<std::unique_ptr<PagerDutyOnCallSource>> Create(http::HttpClient* http,
                                                                       const Clock* clock,
                                                                       SecretString token,
                                                                       PagerDutyOptions options);

  absl::StatusOr<bool> IsOnCall(const jit::common::v1::Identity& user, absl::Time now) override;

  // The URL asked for `now` (tests check it).
  std::string OnCallsUrl(absl::Time now) const;

 private:
  PagerDutyOnCallSource(http::HttpClient* http, const Clock* clock, SecretString token,
                        PagerDutyOptions options)
      : http_(http), clock_(clock), token_(std::move(token)), options_(std::move(options)) {}
  http::HttpClient* const http_;
  const Clock* const clock_;
  const SecretString token_;
  const PagerDutyOptions options_;
  absl::Mutex mu_;
  std::vector<OnCallShift> cached_ ABSL_GUARDED_BY(mu_);
  absl::Time cached_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// Flags: --on_call_schedule_file, or --pagerduty_token_file with --pagerduty_schedule_ids
// (and --pagerduty_api_url); at most one source.
struct OnCallConfig {
  std::string schedule_file;
  std::string pagerduty_token_file;
  std::vector<std::string> pagerduty_schedule_ids;
  std::string pagerduty_api_url = "https://api.pagerduty.com";
};
OnCallConfig OnCallConfigFromFlags();

// The configured source (null when none), owning its HTTP client. INVALID_ARGUMENT naming
// the flag for a bad configuration.
absl::StatusOr<std::unique_ptr<OnCallSource>> OnCallSourceOf(const OnCallConfig& config);

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_REVIEW_RULES_ON_CALL_SOURCES_H_
