// The auth service's own metrics (labels bounded by the enums below):
//   jit_auth_logins_total{method="local|oidc", result="success|failure|locked|error"}
//   jit_auth_active_sessions   sessions neither ended nor expired (from the database,
//                              refreshed by the maintenance loop)
// Token verifications are counted in every service by common/auth (ServiceAuth).
#ifndef JIT_SERVICES_AUTH_AUTH_METRICS_H_
#define JIT_SERVICES_AUTH_AUTH_METRICS_H_

#include <array>
#include <cstdint>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace jit::auth {

enum class LoginMethod { kLocal = 0, kOidc = 1 };
// failure: refused credentials (wrong password, unknown user, bad TOTP code, refused ID
// token); locked: refused by the lockout; error: the service could not decide (a store or
// provider down).
enum class LoginResult { kSuccess = 0, kFailure = 1, kLocked = 2, kError = 3 };

// Thread-safe. Every series exists (at 0) from construction.
class AuthMetrics {
 public:
  explicit AuthMetrics(prometheus::Registry& registry);

  void RecordLogin(LoginMethod method, LoginResult result);
  void SetActiveSessions(int64_t sessions);

  // For tests.
  double logins(LoginMethod method, LoginResult result) const;
  double active_sessions() const { return active_sessions_->Value(); }

 private:
  std::array<std::array<prometheus::Counter*, 4>, 2> logins_;
  prometheus::Gauge* active_sessions_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_AUTH_METRICS_H_
