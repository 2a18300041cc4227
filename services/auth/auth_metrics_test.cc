#include "services/auth/auth_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace jit::auth {
namespace {

using ::testing::HasSubstr;

TEST(AuthMetricsTest, EverySeriesIsExportedFromTheStart) {
  prometheus::Registry registry;
  AuthMetrics metrics(registry);
  metrics.RecordLogin(LoginMethod::kOidc, LoginResult::kLocked);
  metrics.SetActiveSessions(7);
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(text, HasSubstr("jit_auth_logins_total{method=\"local\",result=\"success\"} 0"));
  EXPECT_THAT(text, HasSubstr("jit_auth_logins_total{method=\"oidc\",result=\"locked\"} 1"));
  EXPECT_THAT(text, HasSubstr("jit_auth_active_sessions 7"));
  EXPECT_EQ(metrics.logins(LoginMethod::kOidc, LoginResult::kLocked), 1);
}

}  // namespace
}  // namespace jit::auth
