// The HTTP call each sink kind gets for a notification, as documented in
// services/requests/README.md ("What each sink receives"): a Slack-compatible Block Kit
// message (requester, roles, reason, duration, start, thresholds, who may approve, the exact
// `jit request approve <id>`; user text escaped and bounded), a PagerDuty Events API v2 event
// (trigger on created/break-glass/reminder, resolve on a decision, dedup_key = request id),
// or a generic webhook JSON signed with X-Jit-Signature = "v1=" + hex HMAC-SHA256(secret,
// timestamp + "." + body) and X-Jit-Timestamp. Every call carries Idempotency-Key = the
// notification id. URL, routing key and secret stay in SecretStrings. Pure; thread-safe.
#ifndef JIT_SERVICES_REQUESTS_NOTIFY_SINK_PAYLOADS_H_
#define JIT_SERVICES_REQUESTS_NOTIFY_SINK_PAYLOADS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http/http_client.h"
#include "common/secret.h"
#include "services/requests/notify/notification_queue.h"
#include "services/requests/notify/notify_config.h"

namespace jit::requests::notify {

struct HttpCall {
  SecretString url;
  SecretString body;  // the PagerDuty body holds the routing key
  std::vector<http::Field> headers;
};

// The call for `n` to `sink` at `now` (the webhook timestamp). INTERNAL only if HMAC fails.
absl::StatusOr<HttpCall> RenderCall(const SinkConfig& sink, const QueuedNotification& n,
                                    absl::Time now);

// The generic webhook's signature header value for `timestamp` and `body`.
absl::StatusOr<std::string> WebhookSignature(const SecretString& secret, std::string_view timestamp,
                                             std::string_view body);

// The exact command an approver types.
std::string ApproveCommand(const AccessRequest& request);

// Slack's escaping of user text in mrkdwn/plain_text: & < > as entities.
std::string SlackEscape(std::string_view text);

}  // namespace jit::requests::notify

#endif  // JIT_SERVICES_REQUESTS_NOTIFY_SINK_PAYLOADS_H_
