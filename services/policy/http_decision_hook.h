// HttpDecisionHook: a DecisionHook that asks an HTTP endpoint speaking Open Policy Agent's
// data API (POST {"input": {decision, request, local}}; reply {"result": {"allow", "reason"}};
// the wire contract is in services/policy/README.md). The URL must be https://, or http:// to
// 127.0.0.1 or [::1]; redirects are not followed; TLS peers are verified.
// Anything but an explicit allow denies: no reply within `timeout`, a connection or TLS
// failure, a reply over max_response_bytes or a status other than 200 (UNAVAILABLE); a body
// that is not JSON or lacks a boolean result.allow, OPA's "undefined" {} included
// (INVALID_ARGUMENT). Thread-safe; connections are reused across calls.
#ifndef JIT_SERVICES_POLICY_HTTP_DECISION_HOOK_H_
#define JIT_SERVICES_POLICY_HTTP_DECISION_HOOK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http/http_client.h"
#include "common/secret.h"
#include "services/policy/decision_hook.h"

namespace jit::policy {

struct HttpDecisionHookOptions {
  // https:// URL of the decision endpoint (http:// only to 127.0.0.1 or [::1]).
  std::string url;
  // Whole-exchange deadline (connect + send + reply). 1 ms to 30 s.
  absl::Duration timeout = absl::Milliseconds(500);
  // PEM bundle to verify an https peer with; empty = the system's CAs.
  std::string ca_file;
  // Sent as "Authorization: Bearer ..." when not empty (read it from a file, never a flag).
  SecretString bearer_token;
  // Replies longer than this are refused.
  size_t max_response_bytes = 64 * 1024;
};

class HttpDecisionHook final : public DecisionHook {
 public:
  // INVALID_ARGUMENT for a URL that is not allowed (see above) or a timeout out of range;
  // INTERNAL if the HTTP client cannot be created.
  static absl::StatusOr<std::unique_ptr<HttpDecisionHook>> Create(HttpDecisionHookOptions options);

  absl::StatusOr<HookVerdict> Evaluate(const HookInput& input) const override;

  // The request body sent for `input` (exposed for tests and debugging).
  static absl::StatusOr<std::string> BuildBody(const HookInput& input);

 private:
  HttpDecisionHook(HttpDecisionHookOptions options, std::unique_ptr<http::HttpClient> client)
      : options_(std::move(options)), client_(std::move(client)) {}

  const HttpDecisionHookOptions options_;
  const std::unique_ptr<http::HttpClient> client_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_HTTP_DECISION_HOOK_H_
