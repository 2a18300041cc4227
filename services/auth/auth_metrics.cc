#include "services/auth/auth_metrics.h"

namespace jit::auth {

AuthMetrics::AuthMetrics(prometheus::Registry& registry) {
  auto& logins = prometheus::BuildCounter()
                     .Name("jit_auth_logins_total")
                     .Help("Login attempts by method and result")
                     .Register(registry);
  constexpr const char* kMethods[] = {"local", "oidc"};
  constexpr const char* kResults[] = {"success", "failure", "locked", "error"};
  for (int m = 0; m < 2; ++m) {
    for (int r = 0; r < 4; ++r) {
      logins_[m][r] = &logins.Add({{"method", kMethods[m]}, {"result", kResults[r]}});
    }
  }
  active_sessions_ = &prometheus::BuildGauge()
                          .Name("jit_auth_active_sessions")
                          .Help("Sessions neither ended nor expired")
                          .Register(registry)
                          .Add({});
}

void AuthMetrics::RecordLogin(LoginMethod method, LoginResult result) {
  logins_[static_cast<int>(method)][static_cast<int>(result)]->Increment();
}

void AuthMetrics::SetActiveSessions(int64_t sessions) {
  active_sessions_->Set(static_cast<double>(sessions));
}

double AuthMetrics::logins(LoginMethod method, LoginResult result) const {
  return logins_[static_cast<int>(method)][static_cast<int>(result)]->Value();
}

}  // namespace jit::auth
