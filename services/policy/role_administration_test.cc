#include "services/policy/role_administration.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/role_parser.h"
#include "services/policy/testing/fake_decision_hook.h"
#include "services/policy/testing/in_memory_role_store.h"

namespace jit::policy {
namespace {

// Identities carry an expire_time (one without is refused); this one is far ahead of every
// test clock.
constexpr int64_t kFarFuture = 4'102'444'800;  // 2100-01-01

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Identity;
using ::jit::common::v1::Role;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

// The call's own part of the audit actor (the adapter passes server::Caller::actor).
const audit::AuditActor kCall{
    .actor = "user:whoever", .session_id = "s-1", .remote_addr = "ipv4:127.0.0.1:4000"};

constexpr char kAdminRoles[] = R"yaml(
kind: role
version: v7
metadata: {name: role-admin}
spec:
  allow:
    rules: [{resources: [role], verbs: ["*"]}]
---
kind: role
version: v7
metadata: {name: role-reader}
spec:
  allow:
    rules: [{resources: [role], verbs: [read, list]}]
---
kind: role
version: v7
metadata: {name: role-creator}
spec:
  allow:
    rules: [{resources: [role], verbs: [create]}]
---
kind: role
version: v7
metadata: {name: role-updater}
spec:
  allow:
    rules: [{resources: [role], verbs: [update]}]
---
kind: role
version: v7
metadata: {name: dev}
spec:
  allow:
    logins: [ubuntu]
)yaml";

Identity User(const std::string& name, std::vector<std::string> roles) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  id.mutable_expire_time()->set_seconds(kFarFuture);
  for (auto& r : roles) id.add_roles(r);
  return id;
}

pb::UpsertRoleRequest Doc(const std::string& name, const std::string& login) {
  pb::UpsertRoleRequest request;
  request.set_role_document(absl::StrCat("kind: role\nversion: v7\nmetadata: {name: ", name,
                                         "}\nspec: {allow: {logins: [", login, "]}}\n"));
  return request;
}

pb::GetRoleRequest Get(const std::string& name) {
  pb::GetRoleRequest request;
  request.set_name(name);
  return request;
}

pb::DeleteRoleRequest Delete(const std::string& name) {
  pb::DeleteRoleRequest request;
  request.set_name(name);
  return request;
}

class RoleAdministrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(std::vector<Role> roles, ParseRoleDocuments(kAdminRoles));
    ASSERT_OK(catalog_.ImportRoles(roles, {.actor = "gitops:test"}));
  }

  FakeClock clock_;
  testing::InMemoryRoleStore store_;
  RoleSnapshotHolder snapshots_;
  RoleCatalog catalog_{&store_, &snapshots_, &clock_};
  PolicyEngine engine_{&snapshots_, &clock_};
  RoleAdministration admin_{&catalog_, &engine_};
};

// A NUL in a name is bad input, not an unknown role (issue 16, item 8).
TEST_F(RoleAdministrationTest, NamesWithNulAreInvalidArgument) {
  const Identity reader = User("rita", {"role-reader"});
  EXPECT_THAT(admin_.GetRole(reader, Get(std::string("a\0b", 3))),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("name")));
  pb::DeleteRoleRequest remove;
  remove.set_name(std::string("a\0b", 3));
  EXPECT_THAT(admin_.DeleteRole(reader, remove, {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RoleAdministrationTest, ReaderMayGetAndList) {
  const Identity reader = User("rita", {"role-reader"});
  EXPECT_THAT(admin_.GetRole(reader, Get("dev")), IsOk());
  ASSERT_OK_AND_ASSIGN(pb::ListRolesResponse list, admin_.ListRoles(reader, {}));
  EXPECT_EQ(list.roles_size(), 5);
}

TEST_F(RoleAdministrationTest, ReaderMayNotWriteOrDelete) {
  const Identity reader = User("rita", {"role-reader"});
  EXPECT_THAT(admin_.UpsertRole(reader, Doc("ops", "root"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("\"rita\" may not create or update roles")));
  EXPECT_THAT(admin_.DeleteRole(reader, Delete("dev"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not delete roles")));
  EXPECT_THAT(store_.Get("ops"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_.Get("dev"), IsOk());
}

TEST_F(RoleAdministrationTest, ChangesAreAuditedAsTheCallerWithTheCallsSessionAndAddress) {
  const Identity admin = User("ada", {"role-admin"});
  ASSERT_OK(admin_.UpsertRole(admin, Doc("ops", "root"), kCall));
  ASSERT_OK(admin_.DeleteRole(admin, Delete("ops"), kCall));
  const auto upserts = store_.audit().OfType("role.upsert");
  const auto deletes = store_.audit().OfType("role.delete");
  ASSERT_FALSE(upserts.empty());
  ASSERT_EQ(deletes.size(), 1);
  for (const auto& e : {upserts.back(), deletes[0]}) {
    EXPECT_EQ(e.actor(), "user:ada");
    EXPECT_EQ(e.session_id(), "s-1");
    EXPECT_EQ(e.remote_addr(), "ipv4:127.0.0.1:4000");
    EXPECT_EQ(e.target(), "role:ops");
  }
}

TEST_F(RoleAdministrationTest, RefusedCallersLeaveNoEvent) {
  const size_t before = store_.audit().events().size();
  const Identity reader = User("rita", {"role-reader"});
  EXPECT_THAT(admin_.UpsertRole(reader, Doc("ops", "root"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(admin_.DeleteRole(reader, Delete("dev"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(store_.audit().events().size(), before);
}

TEST_F(RoleAdministrationTest, UserWithoutRoleRulesMayNotEvenRead) {
  const Identity dev = User("dave", {"dev"});
  EXPECT_THAT(admin_.GetRole(dev, Get("dev")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not read roles")));
  EXPECT_THAT(admin_.ListRoles(dev, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not list roles")));
}

TEST_F(RoleAdministrationTest, AdminMayCreateReplaceAndDeleteAndIsRecordedAsTheAuthor) {
  const Identity admin = User("ada", {"role-admin"});
  ASSERT_OK_AND_ASSIGN(Role created, admin_.UpsertRole(admin, Doc("ops", "root"), kCall));
  EXPECT_EQ(created.metadata().updated_by(), "user:ada");
  ASSERT_OK_AND_ASSIGN(Role replaced, admin_.UpsertRole(admin, Doc("ops", "admin"), kCall));
  EXPECT_EQ(replaced.metadata().revision(), 2);
  EXPECT_THAT(admin_.DeleteRole(admin, Delete("ops"), kCall), IsOk());
}

TEST_F(RoleAdministrationTest, CreatorMayCreateButNotReplace) {
  const Identity creator = User("cora", {"role-creator"});
  EXPECT_THAT(admin_.UpsertRole(creator, Doc("ops", "root"), kCall), IsOk());
  EXPECT_THAT(admin_.UpsertRole(creator, Doc("dev", "root"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("may not update roles (role \"dev\" exists)")));
  ASSERT_OK_AND_ASSIGN(Role dev, store_.Get("dev"));
  EXPECT_EQ(dev.spec().allow().logins(0), "ubuntu");
}

TEST_F(RoleAdministrationTest, UpdaterMayReplaceButNotCreate) {
  const Identity updater = User("ulf", {"role-updater"});
  EXPECT_THAT(admin_.UpsertRole(updater, Doc("dev", "admin"), kCall), IsOk());
  EXPECT_THAT(admin_.UpsertRole(updater, Doc("ops", "root"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("may not create roles (role \"ops\" does not exist)")));
  EXPECT_THAT(store_.Get("ops"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RoleAdministrationTest, ExpectedRevisionZeroNeedsCreate) {
  pb::UpsertRoleRequest request = Doc("ops", "root");
  request.set_expected_revision(0);
  EXPECT_THAT(admin_.UpsertRole(User("ulf", {"role-updater"}), request, kCall),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not create roles")));
  EXPECT_THAT(admin_.UpsertRole(User("cora", {"role-creator"}), request, kCall), IsOk());
}

TEST_F(RoleAdministrationTest, ExpectedRevisionNeedsUpdate) {
  pb::UpsertRoleRequest request = Doc("dev", "root");
  request.set_expected_revision(1);
  EXPECT_THAT(admin_.UpsertRole(User("cora", {"role-creator"}), request, kCall),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not update roles")));
  EXPECT_THAT(admin_.UpsertRole(User("ulf", {"role-updater"}), request, kCall), IsOk());
}

TEST_F(RoleAdministrationTest, StaleRevisionIsAbortedForAnAuthorisedCaller) {
  pb::UpsertRoleRequest request = Doc("dev", "root");
  request.set_expected_revision(7);
  EXPECT_THAT(admin_.UpsertRole(User("ada", {"role-admin"}), request, kCall),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_F(RoleAdministrationTest, ServiceIsRefusedEvenHoldingAnAdminRole) {
  Identity service;
  service.set_kind(Identity::KIND_SERVICE);
  service.set_name("requests");
  service.add_roles("role-admin");
  EXPECT_THAT(admin_.GetRole(service, Get("dev")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not a person")));
  EXPECT_THAT(admin_.UpsertRole(service, Doc("ops", "root"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RoleAdministrationTest, AnonymousCallerIsUnauthenticated) {
  EXPECT_THAT(admin_.ListRoles(Identity(), {}), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(admin_.UpsertRole(Identity(), Doc("ops", "root"), kCall),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RoleAdministrationTest, ExpiredSessionIsRefused) {
  Identity admin = User("ada", {"role-admin"});
  admin.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()) - 1);
  EXPECT_THAT(admin_.DeleteRole(admin, Delete("dev"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("expired")));
  EXPECT_THAT(store_.Get("dev"), IsOk());
}

TEST_F(RoleAdministrationTest, ExternalHookDenialRefusesRoleManagement) {
  testing::FakeDecisionHook hook(HookVerdict{false, "change freeze"});
  PolicyEngine engine(&snapshots_, &clock_, &hook);
  RoleAdministration admin(&catalog_, &engine);
  EXPECT_THAT(admin.DeleteRole(User("ada", {"role-admin"}), Delete("dev"), kCall),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("change freeze")));
  EXPECT_EQ(hook.last_decision(), "check_permission");
}

TEST_F(RoleAdministrationTest, InvalidDocumentFromAnAuthorisedCallerIsInvalidArgument) {
  pb::UpsertRoleRequest request;
  request.set_role_document("kind: role\nversion: v9\nmetadata: {name: x}\n");
  EXPECT_THAT(admin_.UpsertRole(User("ada", {"role-admin"}), request, kCall),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(admin_.UpsertRole(User("cora", {"role-creator"}), request, kCall),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::policy
