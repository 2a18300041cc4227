// NotifyConfig: the approver notification sinks and routes (issue 15), read once at start-up
// from the YAML file --notify_config names (format: services/requests/README.md, "Approver
// notifications"): sinks (slack, pagerduty, webhook) with their URLs, routing keys and
// signing secrets in files (relative names beside the YAML), routes by requested role and
// suggested reviewer globs, a default, requester routes for decisions, the reminder fraction
// and the delivery limits (attempts, timeout, back-off, poll interval).
// Secrets are read with ReadSecretFile into SecretStrings: never logged, never in metrics or
// the database; errors never quote a URL. Errors: INVALID_ARGUMENT naming the field (unknown
// keys too), FAILED_PRECONDITION for a file that cannot be used. Immutable; thread-safe.
#ifndef JIT_SERVICES_REQUESTS_NOTIFY_NOTIFY_CONFIG_H_
#define JIT_SERVICES_REQUESTS_NOTIFY_NOTIFY_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace jit::requests::notify {

enum class SinkKind { kSlack, kPagerDuty, kWebhook };

// "slack", "pagerduty", "webhook": the metric label.
std::string_view SinkKindName(SinkKind kind);

inline constexpr char kPagerDutyEventsUrl[] = "https://events.pagerduty.com/v2/enqueue";

struct SinkConfig {
  std::string name;
  SinkKind kind = SinkKind::kSlack;
  // Slack / webhook: the URL (a secret: it authorises posting). PagerDuty: the Events API
  // endpoint (not secret).
  SecretString url;
  SecretString routing_key;     // PagerDuty integration key
  SecretString signing_secret;  // webhook HMAC key
};

struct Route {
  std::vector<std::string> roles;      // globs over requested roles
  std::vector<std::string> reviewers;  // globs over the request's suggested reviewers
  std::vector<std::string> users;      // requesters: globs over the requester
  std::vector<std::string> sinks;
};

struct NotifyConfig {
  std::vector<SinkConfig> sinks;
  std::vector<Route> routes;
  std::vector<std::string> default_sinks;
  std::vector<Route> requesters;
  double reminder_fraction = 0.5;
  int max_attempts = 10;
  absl::Duration send_timeout = absl::Seconds(5);
  absl::Duration min_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  absl::Duration poll_interval = absl::Milliseconds(100);
  // Tests only: plain http to 127.0.0.1 is allowed.
  bool allow_loopback_http = false;

  // The sink named `name`, or null.
  const SinkConfig* Sink(std::string_view name) const;
};

// Parses `yaml`; relative secret file names are read from `base_dir` ("" = as given).
absl::StatusOr<NotifyConfig> ParseNotifyConfig(std::string_view yaml,
                                               const std::string& base_dir = "");
// Reads and parses the file at `path`, relative secret file names beside it
// (FAILED_PRECONDITION naming it when unreadable).
absl::StatusOr<NotifyConfig> LoadNotifyConfig(const std::string& path);

}  // namespace jit::requests::notify

#endif  // JIT_SERVICES_REQUESTS_NOTIFY_NOTIFY_CONFIG_H_
