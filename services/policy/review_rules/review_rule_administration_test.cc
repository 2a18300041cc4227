// ReviewRuleAdministration over PostgresReviewRuleStore against a real PostgreSQL
// (JIT_TEST_PG_URL): authorisation, validation, audit in the outbox, optimistic concurrency,
// import, and evaluation following the stored generation.
#include "services/policy/review_rules/review_rule_administration.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pqxx/pqxx"
#include "services/policy/migrations.h"
#include "services/policy/review_rules/postgres_review_rule_store.h"
#include "services/policy/role_parser.h"
#include "services/policy/role_snapshot.h"

namespace jit::policy {
namespace {

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kFarFuture = 4'102'444'800;  // 2100-01-01
const audit::AuditActor kCall{.actor = "user:x", .session_id = "s-1", .remote_addr = "ipv4:1"};

constexpr char kRoles[] = R"yaml(
kind: role
version: v7
metadata: {name: rule-admin}
spec:
  allow:
    rules: [{resources: [access_review_rule], verbs: ["*"]}]
---
kind: role
version: v7
metadata: {name: rule-reader}
spec:
  allow:
    rules: [{resources: [access_review_rule], verbs: [read, list]}]
---
kind: role
version: v7
metadata: {name: role-admin}
spec:
  allow:
    rules: [{resources: [role], verbs: ["*"]}]
)yaml";

constexpr char kRule[] = R"yaml(
kind: access_review_rule
version: v1
metadata: {name: dev-auto}
spec: {roles: [dev], decision: approve, max_approvals_per_user_per_day: 2}
)yaml";

Identity User(const std::string& name, std::vector<std::string> roles,
              Identity::Kind kind = Identity::KIND_USER) {
  Identity id;
  id.set_kind(kind);
  id.set_name(name);
  id.mutable_expire_time()->set_seconds(kFarFuture);
  for (auto& r : roles) id.add_roles(r);
  return id;
}

pb::UpsertReviewRuleRequest Doc(const char* doc) {
  pb::UpsertReviewRuleRequest request;
  request.set_rule_document(doc);
  return request;
}

class ReviewRuleAdministrationTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(pool_, db::PgPool::Create(db().PoolOptions(4)));
    ASSERT_OK(db::ApplyMigrations(*pool_, "policy", Migrations()));
    store_ = std::make_unique<PostgresReviewRuleStore>(pool_.get());
    ASSERT_OK_AND_ASSIGN(auto roles, ParseRoleDocuments(kRoles));
    ASSERT_OK_AND_ASSIGN(auto snapshot, RoleSnapshot::Create(roles, 1));
    snapshots_.Set(snapshot);
    admin_ = std::make_unique<ReviewRuleAdministration>(store_.get(), &engine_, &clock_, nullptr);
  }

  std::vector<std::string> OutboxTypes() {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    std::vector<std::string> types;
    for (const pqxx::row& row :
         txn.exec("SELECT type FROM policy.audit_outbox WHERE type LIKE 'access_review_rule.%' "
                  "ORDER BY sequence")) {
      types.push_back(row[0].as<std::string>());
    }
    return types;
  }

  FakeClock clock_;
  RoleSnapshotHolder snapshots_;
  PolicyEngine engine_{&snapshots_, &clock_};
  std::unique_ptr<db::PgPool> pool_;
  std::unique_ptr<PostgresReviewRuleStore> store_;
  std::unique_ptr<ReviewRuleAdministration> admin_;
};

TEST_F(ReviewRuleAdministrationTest, AdminWritesReadsDeletesAndEveryChangeIsAudited) {
  const Identity admin = User("ada", {"rule-admin"});
  ASSERT_OK_AND_ASSIGN(pb::AccessReviewRule stored,
                       admin_->UpsertReviewRule(admin, Doc(kRule), kCall));
  EXPECT_EQ(stored.metadata().revision(), 1);
  EXPECT_EQ(stored.metadata().updated_by(), "user:ada");
  pb::GetReviewRuleRequest get;
  get.set_name("dev-auto");
  ASSERT_OK_AND_ASSIGN(pb::AccessReviewRule read, admin_->GetReviewRule(admin, get));
  EXPECT_EQ(read.spec().max_approvals_per_user_per_day(), 2u);
  ASSERT_OK_AND_ASSIGN(pb::ListReviewRulesResponse list, admin_->ListReviewRules(admin, {}));
  EXPECT_EQ(list.rules_size(), 1);
  pb::DeleteReviewRuleRequest remove;
  remove.set_name("dev-auto");
  remove.set_expected_revision(1);
  EXPECT_THAT(admin_->DeleteReviewRule(admin, remove, kCall), IsOk());
  EXPECT_THAT(admin_->GetReviewRule(admin, get), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(OutboxTypes(),
              ::testing::ElementsAre("access_review_rule.upsert", "access_review_rule.delete"));
}

TEST_F(ReviewRuleAdministrationTest, OthersAreRefused) {
  const Identity reader = User("rita", {"rule-reader"});
  EXPECT_THAT(admin_->UpsertReviewRule(reader, Doc(kRule), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not create")));
  const Identity role_admin = User("rob", {"role-admin"});
  EXPECT_THAT(admin_->ListReviewRules(role_admin, {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const Identity service = User("requests", {"rule-admin"}, Identity::KIND_SERVICE);
  EXPECT_THAT(admin_->UpsertReviewRule(service, Doc(kRule), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not a person")));
  EXPECT_THAT(admin_->ListReviewRules(Identity(), {}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(OutboxTypes(), ::testing::IsEmpty());
}

TEST_F(ReviewRuleAdministrationTest, InvalidRuleAndStaleRevisionAreRefused) {
  const Identity admin = User("ada", {"rule-admin"});
  EXPECT_THAT(admin_->UpsertReviewRule(
                  admin,
                  Doc("kind: access_review_rule\nversion: v1\nmetadata: {name: x}\nspec: "
                      "{roles: [dev], decision: perhaps}\n"),
                  kCall),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("spec.decision")));
  ASSERT_THAT(admin_->UpsertReviewRule(admin, Doc(kRule), kCall), IsOk());
  pb::UpsertReviewRuleRequest again = Doc(kRule);
  again.set_expected_revision(0);
  EXPECT_THAT(admin_->UpsertReviewRule(admin, again, kCall),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("revision 1")));
}

TEST_F(ReviewRuleAdministrationTest, EvaluateFollowsTheStoredRules) {
  const Identity admin = User("ada", {"rule-admin"});
  pb::EvaluateReviewRulesRequest rq;
  *rq.mutable_user() = User("dora", {"dev-base"});
  rq.mutable_request()->set_user("dora");
  rq.mutable_request()->add_roles("dev");
  ASSERT_OK_AND_ASSIGN(pb::EvaluateReviewRulesResponse none, admin_->Evaluate(rq));
  EXPECT_EQ(none.matches_size(), 0);
  ASSERT_THAT(admin_->UpsertReviewRule(admin, Doc(kRule), kCall), IsOk());
  ASSERT_OK_AND_ASSIGN(pb::EvaluateReviewRulesResponse one, admin_->Evaluate(rq));
  ASSERT_EQ(one.matches_size(), 1);
  EXPECT_EQ(one.matches(0).rule(), "dev-auto");
  EXPECT_EQ(one.matches(0).max_approvals_per_user_per_day(), 2u);
  pb::DeleteReviewRuleRequest remove;
  remove.set_name("dev-auto");
  ASSERT_THAT(admin_->DeleteReviewRule(admin, remove, kCall), IsOk());
  ASSERT_OK_AND_ASSIGN(pb::EvaluateReviewRulesResponse gone, admin_->Evaluate(rq));
  EXPECT_EQ(gone.matches_size(), 0);
}

TEST_F(ReviewRuleAdministrationTest, ImportCreatesKeepsAndRefusesDifferences) {
  ASSERT_OK_AND_ASSIGN(auto rules, ParseReviewRuleDocuments(kRule));
  ASSERT_OK(admin_->ImportRules(rules, {.actor = "gitops:review_rules_dir"}));
  ASSERT_OK(admin_->ImportRules(rules, {.actor = "gitops:review_rules_dir"}));
  EXPECT_THAT(OutboxTypes(), ::testing::ElementsAre("access_review_rule.upsert"));
  rules[0].mutable_spec()->set_max_approvals_per_user_per_day(5);
  EXPECT_THAT(admin_->ImportRules(rules, {.actor = "gitops:review_rules_dir"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("differs")));
}

}  // namespace
}  // namespace jit::policy
