// DecisionHook over HTTP (libcurl), speaking Open Policy Agent's data API.
//
// Contract:
//   POST <url>
//   Content-Type: application/json
//   Authorization: Bearer <token>                     (only when a token is configured)
//   {"input": {"decision": "check_access",            (or check_request, check_review,
//                                                      check_permission)
//              "request":  {...},                     the decision's request proto as
//                                                      proto3 JSON (camelCase field names)
//              "local":    {"allowed": true,
//                           "explanation": {...}}}}   the local decision (always an allow)
//   Reply: HTTP 200 with
//   {"result": {"allow": true|false, "reason": "optional text"}}
// With OPA, point `url` at a rule document, e.g.
// http://opa:8181/v1/data/jit/decision, whose value is {"allow": ..., "reason": ...}.
//
// Anything else denies: no reply within `timeout` (DEADLINE_EXCEEDED), a connection
// failure (UNAVAILABLE), a status other than 200 (UNAVAILABLE), a body that is not JSON,
// lacks result.allow, has a non-boolean allow (OPA's "undefined" reply {} included), or is
// larger than max_response_bytes (INVALID_ARGUMENT). Redirects are not followed; only
// http and https are spoken; TLS peers are verified (system CAs or ca_file).
//
// Thread-safe. Keeps a few curl handles for connection reuse.
#ifndef JIT_SERVICES_POLICY_HTTP_DECISION_HOOK_H_
#define JIT_SERVICES_POLICY_HTTP_DECISION_HOOK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/secret.h"
#include "services/policy/decision_hook.h"

namespace jit::policy {

struct HttpDecisionHookOptions {
  // http:// or https:// URL of the decision endpoint.
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
  // INVALID_ARGUMENT for a URL that is not http(s) or a timeout out of range; INTERNAL if
  // libcurl cannot be initialised.
  static absl::StatusOr<std::unique_ptr<HttpDecisionHook>> Create(HttpDecisionHookOptions options);

  ~HttpDecisionHook() override;
  HttpDecisionHook(const HttpDecisionHook&) = delete;
  HttpDecisionHook& operator=(const HttpDecisionHook&) = delete;

  absl::StatusOr<HookVerdict> Evaluate(const HookInput& input) const override;

  // The request body sent for `input` (exposed for tests and debugging).
  static absl::StatusOr<std::string> BuildBody(const HookInput& input);

 private:
  explicit HttpDecisionHook(HttpDecisionHookOptions options) : options_(std::move(options)) {}

  void* AcquireHandle() const;
  void ReleaseHandle(void* handle) const;

  HttpDecisionHookOptions options_;
  mutable absl::Mutex mu_;
  mutable std::vector<void*> idle_handles_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_HTTP_DECISION_HOOK_H_
