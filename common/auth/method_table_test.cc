#include "common/auth/method_table.h"

#include "absl/container/flat_hash_set.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "jit/audit/v1/audit.grpc.pb.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/ca/v1/ca.grpc.pb.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "jit/requests/v1/requests.grpc.pb.h"

namespace jit::auth {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

// Every method of every service the project serves, from the compiled descriptors.
std::vector<std::string> AllServedMethods() {
  // Touch one message per file so the linker keeps each generated descriptor.
  const google::protobuf::FileDescriptor* files[] = {
      jit::auth::v1::LoginRequest::descriptor()->file(),
      jit::ca::v1::GetCaPublicKeysRequest::descriptor()->file(),
      jit::requests::v1::ListActiveGrantsRequest::descriptor()->file(),
      jit::policy::v1::CheckRequestRequest::descriptor()->file(),
      jit::audit::v1::IngestEventsRequest::descriptor()->file(),
      grpc::health::v1::HealthCheckRequest::descriptor()->file(),
  };
  std::vector<std::string> out;
  for (const auto* file : files) {
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        out.push_back("/" + service->full_name() + "/" + service->method(m)->name());
      }
    }
  }
  // Served by gRPC's reflection plugin, whose descriptors ship without headers.
  out.emplace_back(kServerReflectionMethod);
  return out;
}

TEST(JitMethodTableTest, EveryServedMethodHasARule) {
  const std::vector<std::string> methods = AllServedMethods();
  ASSERT_GT(methods.size(), 40u);
  for (const std::string& m : methods) {
    EXPECT_NE(JitMethodTable().Find(m), nullptr) << "no authorization rule for " << m;
  }
}

TEST(JitMethodTableTest, EveryRuleNamesAServedMethod) {
  const std::vector<std::string> methods = AllServedMethods();
  const absl::flat_hash_set<std::string> served(methods.begin(), methods.end());
  for (const std::string& m : JitMethodTable().Methods()) {
    EXPECT_TRUE(served.contains(m)) << "rule for a method that does not exist: " << m;
  }
}

TEST(JitMethodTableTest, KeyRowsAreAsDesigned) {
  const MethodRule* grants =
      JitMethodTable().Find("/jit.requests.v1.RequestsService/ListActiveGrants");
  ASSERT_NE(grants, nullptr);
  EXPECT_TRUE(grants->AllowsService("ca"));
  EXPECT_FALSE(grants->AllowsService("policy"));
  EXPECT_FALSE(grants->users);
  EXPECT_FALSE(grants->public_access);
  const MethodRule* ingest = JitMethodTable().Find("/jit.audit.v1.AuditService/IngestEvents");
  ASSERT_NE(ingest, nullptr);
  EXPECT_TRUE(ingest->any_service);
  EXPECT_FALSE(ingest->users);
  const MethodRule* export_events =
      JitMethodTable().Find("/jit.audit.v1.AuditService/ExportEvents");
  ASSERT_NE(export_events, nullptr);
  EXPECT_TRUE(export_events->users);
  EXPECT_TRUE(export_events->AllowsService("audit-export"));
  EXPECT_FALSE(export_events->AllowsService("ca"));
  EXPECT_TRUE(JitMethodTable().Find("/jit.auth.v1.AuthService/Login")->public_access);
  const MethodRule* reflection = JitMethodTable().Find(kServerReflectionMethod);
  ASSERT_NE(reflection, nullptr);
  EXPECT_TRUE(reflection->users);
  EXPECT_TRUE(reflection->any_service);
  EXPECT_FALSE(reflection->public_access);
  // Revocation lists are for people and services (and enrolled hosts), not strangers.
  const MethodRule* lists = JitMethodTable().Find("/jit.ca.v1.CaService/GetRevocationList");
  ASSERT_NE(lists, nullptr);
  EXPECT_FALSE(lists->public_access);
  EXPECT_TRUE(lists->users);
  EXPECT_TRUE(lists->any_service);
  EXPECT_EQ(JitMethodTable().Find("/jit.auth.v1.AuthService/Nope"), nullptr);
  EXPECT_TRUE(JitMethodTable().Find("/jit.ca.v1.CaService/EnrollHost")->public_access);
  EXPECT_TRUE(JitMethodTable().Find("/jit.ca.v1.CaService/JoinService")->public_access);
  const MethodRule* renew = JitMethodTable().Find("/jit.ca.v1.CaService/RenewHost");
  ASSERT_NE(renew, nullptr);
  EXPECT_TRUE(renew->hosts);
  EXPECT_FALSE(renew->users);
  EXPECT_FALSE(renew->any_service);
  EXPECT_FALSE(renew->public_access);
  EXPECT_EQ(JitMethodTable().Find("jit.auth.v1.AuthService/Login"), nullptr);
}

TEST(MethodAuthorizationTableTest, RejectsMalformedDuplicateAndEmptyRules) {
  EXPECT_THAT(MethodAuthorizationTable::Create({{"Login", Public()}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid method name")));
  EXPECT_THAT(MethodAuthorizationTable::Create({{"/NoPackage/Login", Public()}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MethodAuthorizationTable::Create({{"/a.B/C", Public()}, {"/a.B/C", Users()}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  EXPECT_THAT(MethodAuthorizationTable::Create({{"/a.B/C", MethodRule{}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("allows nobody")));
  EXPECT_THAT(MethodAuthorizationTable::Create({{"/a.B/C", Services({"Bad Name"})}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("service name")));
}

}  // namespace
}  // namespace jit::auth
