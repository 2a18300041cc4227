// The HTTP request each sink kind gets for a notification (the formats the README
// documents), as plain functions:
//
// - Slack-compatible incoming webhook (Mattermost accepts the same): {"text": fallback,
//   "blocks": [header, section with fields Requester / Roles / Duration / Start / Reason /
//   Thresholds / Who may approve / Pending until, the command `jit request approve <id>`,
//   context with event and id]}; user text escaped as Slack asks (& < >) and bounded.
// - PagerDuty Events API v2: {"routing_key", "event_action": "trigger" (created,
//   break_glass, reminder) or "resolve" (a decision), "dedup_key": the request id,
//   "payload": {"summary", "source": "jit-access", "severity": "critical" when urgent else
//   "warning", "custom_details"}} (payload only on trigger, as the API allows).
// - Generic webhook: the JSON document below (kWebhookSchema), with headers
//   X-Jit-Timestamp (Unix seconds) and X-Jit-Signature: "v1=" + lowercase hex of
//   HMAC-SHA256(secret, timestamp + "." + body).
// Every request carries Idempotency-Key: the notification id (the same on every attempt).
// The URL, routing key and signing secret stay in SecretStrings. Pure; thread-safe.
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
