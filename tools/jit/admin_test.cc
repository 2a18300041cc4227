#include "tools/jit/admin.h"

#include <sstream>

#include "common/proto_time.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/client/testing/fake_user_audit_client.h"
#include "services/auth/client/testing/fake_user_auth_client.h"
#include "services/ca/client/testing/fake_user_ca_client.h"
#include "services/policy/client/testing/fake_user_policy_client.h"

namespace jit::cli {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class AdminTest : public ::testing::Test {
 protected:
  Output Text() { return Output{&out_, Format::kText, kNow}; }
  Output Json() { return Output{&out_, Format::kJson, kNow}; }

  std::ostringstream out_;
  policy::testing::FakeUserPolicyClient policy_;
  auth::testing::FakeUserAuthClient auth_;
  ca::testing::FakeUserCaClient ca_;
  audit::testing::FakeUserAuditClient audit_;
};

TEST_F(AdminTest, RoleApplySendsTheDocumentAsWritten) {
  common::v1::Role role;
  role.mutable_metadata()->set_name("dba");
  role.mutable_metadata()->set_revision(3);
  role.mutable_spec()->mutable_allow()->mutable_review_requests()->add_roles("developer-ro");
  policy_.upsert.Answer(role);
  const std::string doc = "kind: role\nversion: v7\nmetadata:\n  name: dba\n";
  ASSERT_OK(RoleApply(policy_, doc, Text()));
  EXPECT_EQ(policy_.upsert.requests()[0].role_document(), doc);
  EXPECT_THAT(out_.str(), HasSubstr("applied role dba"));
  EXPECT_THAT(out_.str(), HasSubstr("reviews developer-ro"));
  EXPECT_THAT(RoleApply(policy_, "", Text()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AdminTest, RoleListFollowsPagesAndRefusalsPassThrough) {
  policy_.list.Handle([](const policy::v1::ListRolesRequest& r) {
    policy::v1::ListRolesResponse page;
    page.add_roles()->mutable_metadata()->set_name(r.page_token().empty() ? "admin" : "dev");
    if (r.page_token().empty()) page.set_next_page_token("2");
    return absl::StatusOr<policy::v1::ListRolesResponse>(page);
  });
  ASSERT_OK(RoleList(policy_, Text()));
  EXPECT_THAT(out_.str(), HasSubstr("admin"));
  EXPECT_THAT(out_.str(), HasSubstr("dev"));
  policy_.remove.Answer(absl::PermissionDeniedError("\"alice\" may not delete roles"));
  out_.str("");
  EXPECT_THAT(RoleRemove(policy_, "dev", Text()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not delete")));
  EXPECT_THAT(out_.str(), IsEmpty());
}

TEST_F(AdminTest, UserAddSetsRolesAndTraits) {
  auth::v1::User u;
  u.set_name("dave");
  u.add_roles("dev");
  auth_.create_user.Answer(u);
  ASSERT_OK(UserAdd(
      auth_, {.name = "dave", .roles = {"dev"}, .logins = {"dave"}, .db_users = {"ro"}}, Text()));
  const auth::v1::CreateUserRequest sent = auth_.create_user.requests()[0];
  EXPECT_EQ(sent.user().traits().at("logins").values(0), "dave");
  EXPECT_EQ(sent.user().traits().at("db_users").values(0), "ro");
  EXPECT_THAT(out_.str(), HasSubstr("jit user passwd dave"));
}

TEST_F(AdminTest, TotpEnrolsThenConfirms) {
  auth::v1::EnrollTotpResponse e;
  e.set_otpauth_uri("otpauth://totp/jit-access:dave?secret=ABC");
  e.set_secret_base32("ABC");
  auth_.enroll_totp.Answer(e);
  auth_.confirm_totp.Answer(auth::v1::ConfirmTotpResponse());
  ASSERT_OK(UserTotp(auth_, "dave", "", Text()));
  EXPECT_THAT(out_.str(), HasSubstr("otpauth://totp/jit-access:dave"));
  ASSERT_OK(UserTotp(auth_, "dave", "123456", Text()));
  EXPECT_EQ(auth_.confirm_totp.requests()[0].code(), "123456");
}

TEST_F(AdminTest, CaExportWritesTheFileForEachKind) {
  ca::v1::GetCaPublicKeysResponse keys;
  keys.set_trusted_user_ca_keys("ssh-ed25519 AAAAuser\n");
  keys.set_known_hosts("@cert-authority *.prod ssh-ed25519 AAAAhost\n");
  keys.set_x509_ca_bundle_pem("-----BEGIN CERTIFICATE-----\n");
  ca_.keys.Answer(keys);
  ASSERT_OK(CaExport(ca_, "ssh-host", "*.prod", Text()));
  EXPECT_EQ(out_.str(), "@cert-authority *.prod ssh-ed25519 AAAAhost\n");
  EXPECT_EQ(ca_.keys.requests()[0].known_hosts_pattern(), "*.prod");
  out_.str("");
  ASSERT_OK(CaExport(ca_, "ssh-user", "", Text()));
  EXPECT_EQ(out_.str(), "ssh-ed25519 AAAAuser\n");
  EXPECT_THAT(CaExport(ca_, "pgp", "", Text()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AdminTest, AuditSearchFiltersOldestFirst) {
  audit::v1::SearchEventsResponse r;
  auto* e = r.add_events();
  e->set_sequence(41);
  e->set_type("request.created");
  e->set_actor("user:alice");
  e->set_target("access_request:0190a1b2-0000-7000-8000-000000000001");
  e->set_outcome(common::v1::AuditEvent::OUTCOME_SUCCESS);
  *e->mutable_time() = ToProtoTimestamp(kNow - absl::Minutes(5));
  audit_.search.Answer(r);
  ASSERT_OK(AuditSearch(
      audit_, {.types = {"request.*"}, .since = "2h", .user = "alice", .request_id = "r1"},
      Text()));
  const audit::v1::SearchEventsRequest sent = audit_.search.requests()[0];
  EXPECT_TRUE(sent.ascending());
  EXPECT_EQ(sent.actor(), "user:alice");
  EXPECT_EQ(sent.target(), "access_request:r1");
  EXPECT_EQ(FromProtoTimestamp(sent.start_time()), kNow - absl::Hours(2));
  EXPECT_THAT(out_.str(), HasSubstr("request.created"));
  EXPECT_THAT(out_.str(), HasSubstr("0190a1b2"));
  EXPECT_THAT(out_.str(), HasSubstr("5m ago"));
  EXPECT_THAT(AuditSearch(audit_, {.since = "yesterday"}, Text()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AdminTest, AuditVerifyFailsOnABrokenChain) {
  audit::v1::VerifyChainResponse ok;
  ok.set_ok(true);
  ok.set_checked(12);
  ok.set_head_sequence(12);
  ok.set_head_hash("ab12");
  audit_.verify.Answer(ok);
  ASSERT_OK(AuditVerify(audit_, Text()));
  EXPECT_THAT(out_.str(), HasSubstr("audit chain intact: 12 event(s) checked"));
  audit::v1::VerifyChainResponse bad;
  bad.set_first_bad_sequence(7);
  bad.set_problem("hash mismatch");
  audit_.verify.Answer(bad);
  EXPECT_THAT(AuditVerify(audit_, Text()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("broken at event 7: hash mismatch")));
}

}  // namespace
}  // namespace jit::cli
