#include "services/policy/role_catalog.h"

#include <string>

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/decisions.h"
#include "services/policy/role_parser.h"
#include "services/policy/testing/in_memory_role_store.h"

namespace jit::policy {
namespace {

// Identities carry an expire_time (one without is refused); this one is far ahead of every
// test clock.
constexpr int64_t kFarFuture = 4'102'444'800;  // 2100-01-01

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Role;

const audit::AuditActor kTester{.actor = "user:tester"};

// A fresh audit event for a direct store call.
jit::common::v1::AuditEvent Event() {
  absl::StatusOr<jit::common::v1::AuditEvent> e =
      audit::NewAuditEvent("policy", "role.upsert", absl::UnixEpoch(), kTester, "role:x",
                           jit::common::v1::AuditEvent::OUTCOME_SUCCESS, "test");
  return e.value_or(jit::common::v1::AuditEvent());
}

std::vector<jit::common::v1::AuditEvent> Events(int n) {
  std::vector<jit::common::v1::AuditEvent> events;
  for (int i = 0; i < n; ++i) events.push_back(Event());
  return events;
}
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Doc(const std::string& name, const std::string& login = "ubuntu") {
  return "kind: role\nversion: v7\nmetadata: {name: " + name + "}\nspec:\n  allow:\n    logins: [" +
         login + "]\n    node_labels: {env: dev}\n";
}

pb::UpsertRoleRequest UpsertDoc(const std::string& doc) {
  pb::UpsertRoleRequest request;
  request.set_role_document(doc);
  return request;
}

class RoleCatalogTest : public ::testing::Test {
 protected:
  testing::InMemoryRoleStore store_;
  RoleSnapshotHolder holder_;
  FakeClock clock_;
  RoleCatalog catalog_{&store_, &holder_, &clock_};
};

TEST_F(RoleCatalogTest, WritesAndDeletesAreAuditedWithTheActorAndRevision) {
  const audit::AuditActor alice{.actor = "user:alice", .session_id = "s1", .remote_addr = "ip"};
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("dev")), alice));
  pb::DeleteRoleRequest del;
  del.set_name("dev");
  ASSERT_OK(catalog_.DeleteRole(del, alice));
  const std::vector<jit::common::v1::AuditEvent> upserts = store_.audit().OfType("role.upsert");
  const std::vector<jit::common::v1::AuditEvent> deletes = store_.audit().OfType("role.delete");
  ASSERT_EQ(upserts.size(), 1);
  ASSERT_EQ(deletes.size(), 1);
  for (const auto& e : {upserts[0], deletes[0]}) {
    EXPECT_EQ(e.service(), "policy");
    EXPECT_EQ(e.target(), "role:dev");
    EXPECT_EQ(e.actor(), "user:alice");
    EXPECT_EQ(e.session_id(), "s1");
    EXPECT_EQ(e.remote_addr(), "ip");
    EXPECT_EQ(e.outcome(), jit::common::v1::AuditEvent::OUTCOME_SUCCESS);
    EXPECT_EQ(e.details().fields().at("revision").string_value(), "1");
  }
}

TEST_F(RoleCatalogTest, ARefusedWriteIsNotAudited) {
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("dev")), kTester));
  pb::UpsertRoleRequest stale = UpsertDoc(Doc("dev", "root"));
  stale.set_expected_revision(7);
  EXPECT_THAT(catalog_.UpsertRole(stale, kTester), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(catalog_.UpsertRole(UpsertDoc("kind: nonsense"), kTester),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store_.audit().events().size(), 1);
}

TEST_F(RoleCatalogTest, ImportAuditsEachRoleItCreates) {
  ASSERT_OK_AND_ASSIGN(Role a, ParseRoleDocument(Doc("a")));
  ASSERT_OK_AND_ASSIGN(Role b, ParseRoleDocument(Doc("b")));
  ASSERT_OK(catalog_.ImportRoles({a}, {.actor = "gitops:roles_dir"}));
  ASSERT_OK(catalog_.ImportRoles({a, b}, {.actor = "gitops:roles_dir"}));
  const std::vector<jit::common::v1::AuditEvent> events = store_.audit().OfType("role.upsert");
  ASSERT_EQ(events.size(), 2);
  EXPECT_EQ(events[0].target(), "role:a");
  EXPECT_EQ(events[1].target(), "role:b");
  EXPECT_EQ(events[1].actor(), "gitops:roles_dir");
}

class InMemoryRoleStoreTest : public ::testing::Test {
 protected:
  testing::InMemoryRoleStore store_;
};

TEST_F(RoleCatalogTest, UpsertFromDocumentStoresAndRefreshesTheSnapshot) {
  ASSERT_OK_AND_ASSIGN(Role stored,
                       catalog_.UpsertRole(UpsertDoc(Doc("dev")), {.actor = "user:alice"}));
  EXPECT_EQ(stored.metadata().revision(), 1);
  EXPECT_EQ(stored.metadata().updated_by(), "user:alice");
  EXPECT_EQ(stored.metadata().update_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  ASSERT_NE(holder_.Get()->Find("dev"), nullptr);
}

TEST_F(RoleCatalogTest, UpsertFromProto) {
  ASSERT_OK_AND_ASSIGN(Role role, ParseRoleDocument(Doc("ops")));
  pb::UpsertRoleRequest request;
  *request.mutable_role() = role;
  request.mutable_role()->mutable_metadata()->set_revision(42);  // ignored
  ASSERT_OK_AND_ASSIGN(Role stored, catalog_.UpsertRole(request, {.actor = "user:alice"}));
  EXPECT_EQ(stored.metadata().revision(), 1);
}

TEST_F(RoleCatalogTest, InvalidRoleIsRejectedAndNothingIsWritten) {
  EXPECT_THAT(catalog_.UpsertRole(UpsertDoc("kind: role\nversion: v7\nmetadata: {name: x}\n"
                                            "spec: {allow: {node_labels: {env: '^(a$'}}}\n"),
                                  {.actor = "user:alice"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 4")));
  pb::UpsertRoleRequest proto;
  proto.mutable_role()->set_kind("role");
  proto.mutable_role()->set_version("v3");
  proto.mutable_role()->mutable_metadata()->set_name("x");
  EXPECT_THAT(catalog_.UpsertRole(proto, {.actor = "user:alice"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown version")));
  EXPECT_THAT(catalog_.UpsertRole(pb::UpsertRoleRequest(), {.actor = "user:alice"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(int64_t generation, store_.Generation());
  EXPECT_EQ(generation, 0);
}

TEST_F(RoleCatalogTest, ExpectedRevisionGuardsConcurrentWrites) {
  pb::UpsertRoleRequest create = UpsertDoc(Doc("dev"));
  create.set_expected_revision(0);
  ASSERT_OK(catalog_.UpsertRole(create, {.actor = "user:a"}));
  EXPECT_THAT(catalog_.UpsertRole(create, {.actor = "user:b"}),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("at revision 1, not 0")));
  pb::UpsertRoleRequest update = UpsertDoc(Doc("dev", "admin"));
  update.set_expected_revision(1);
  ASSERT_OK_AND_ASSIGN(Role updated, catalog_.UpsertRole(update, {.actor = "user:a"}));
  EXPECT_EQ(updated.metadata().revision(), 2);
  EXPECT_THAT(catalog_.UpsertRole(update, {.actor = "user:b"}),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_F(RoleCatalogTest, GetAndDelete) {
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("dev")), {.actor = "user:a"}));
  pb::GetRoleRequest get;
  get.set_name("dev");
  ASSERT_OK_AND_ASSIGN(Role role, catalog_.GetRole(get));
  EXPECT_EQ(role.spec().allow().logins(0), "ubuntu");
  pb::DeleteRoleRequest del;
  del.set_name("dev");
  del.set_expected_revision(7);
  EXPECT_THAT(catalog_.DeleteRole(del, kTester), StatusIs(absl::StatusCode::kAborted));
  del.set_expected_revision(1);
  ASSERT_OK(catalog_.DeleteRole(del, kTester));
  EXPECT_EQ(holder_.Get()->Find("dev"), nullptr);
  EXPECT_THAT(catalog_.GetRole(get), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalog_.DeleteRole(del, kTester), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RoleCatalogTest, NameLongerThanAnyRoleIsInvalidAndNotEchoedWhole) {
  pb::GetRoleRequest get;
  get.set_name(std::string(100'000, 'r'));
  absl::StatusOr<Role> role = catalog_.GetRole(get);
  EXPECT_THAT(role, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("...\" (100000 bytes) is longer than 253 bytes")));
  EXPECT_LT(role.status().message().size(), 512u);
  pb::DeleteRoleRequest del;
  del.set_name(get.name());
  EXPECT_THAT(catalog_.DeleteRole(del, kTester), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RoleCatalogTest, ListPagesByName) {
  for (const char* name : {"e", "a", "d", "c", "b"}) {
    ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc(name)), {.actor = "user:a"}));
  }
  pb::ListRolesRequest request;
  request.set_page_size(2);
  std::string names;
  for (int page = 0; page < 5; ++page) {
    ASSERT_OK_AND_ASSIGN(pb::ListRolesResponse response, catalog_.ListRoles(request));
    for (const Role& r : response.roles()) names += r.metadata().name();
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(names, "abcde");
}

TEST_F(RoleCatalogTest, ListRejectsBadPagingInput) {
  pb::ListRolesRequest too_big;
  too_big.set_page_size(1001);
  EXPECT_THAT(catalog_.ListRoles(too_big), StatusIs(absl::StatusCode::kInvalidArgument));
  pb::ListRolesRequest bad_token;
  bad_token.set_page_token("not a token!");
  EXPECT_THAT(catalog_.ListRoles(bad_token),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(RoleCatalogTest, RefreshRecompilesOnlyChangedRoles) {
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("a")), {.actor = "user:x"}));
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("b")), {.actor = "user:x"}));
  const CompiledRole* a_before = holder_.Get()->Find("a");
  const CompiledRole* b_before = holder_.Get()->Find("b");
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("b", "root")), {.actor = "user:x"}));
  EXPECT_EQ(holder_.Get()->Find("a"), a_before);
  EXPECT_NE(holder_.Get()->Find("b"), b_before);
  EXPECT_TRUE(holder_.Get()->Find("b")->allow().logins.Contains("root", {}));
}

TEST_F(RoleCatalogTest, RoleDeletedAndCreatedAgainIsRecompiledByAReplicaThatMissedBoth) {
  // Another replica holds "dev" at revision 1; through this one it is deleted and created
  // again with a deny rule — revision 1 again — before the other replica refreshes.
  RoleSnapshotHolder other_holder;
  RoleCatalog other(&store_, &other_holder, &clock_);
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("dev")), {.actor = "user:a"}));
  ASSERT_OK(other.Refresh());
  pb::DeleteRoleRequest del;
  del.set_name("dev");
  ASSERT_OK(catalog_.DeleteRole(del, kTester));
  ASSERT_OK_AND_ASSIGN(
      Role recreated,
      catalog_.UpsertRole(UpsertDoc(Doc("dev") + "  deny:\n    node_labels: {env: dev}\n"),
                          {.actor = "user:a"}));
  ASSERT_EQ(recreated.metadata().revision(), 1);

  ASSERT_OK(other.Refresh());
  const CompiledRole* seen = other_holder.Get()->Find("dev");
  ASSERT_NE(seen, nullptr);
  EXPECT_TRUE(seen->role().spec().has_deny());
  EXPECT_EQ(seen->role().spec().deny().node_labels().count("env"), 1);
}

TEST_F(RoleCatalogTest, HandEditThatKeepsTheRevisionIsRecompiled) {
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("dev")), {.actor = "user:a"}));
  ASSERT_OK_AND_ASSIGN(Role edited, store_.Get("dev"));
  edited.mutable_spec()->mutable_allow()->clear_logins();
  edited.mutable_spec()->mutable_allow()->add_logins("root");
  ASSERT_OK(store_.OverwriteForTest(edited));  // revision unchanged, generation bumped
  ASSERT_OK(catalog_.Refresh());
  EXPECT_TRUE(holder_.Get()->Find("dev")->allow().logins.Contains("root", {}));
  EXPECT_FALSE(holder_.Get()->Find("dev")->allow().logins.Contains("ubuntu", {}));
}

TEST_F(RoleCatalogTest, BrokenRoleFixedWithoutANewRevisionTakesEffect) {
  ASSERT_OK_AND_ASSIGN(Role role, ParseRoleDocument(Doc("dev")));
  Role broken = role;
  broken.mutable_spec()->mutable_allow()->add_logins("{{internal.logins");
  ASSERT_OK(store_.Upsert(broken, std::nullopt, clock_.Now(), "psql", Event()));
  ASSERT_OK(catalog_.Refresh());
  EXPECT_FALSE(holder_.Get()->Find("dev")->allow().logins.Contains("ubuntu", {}));

  ASSERT_OK_AND_ASSIGN(Role stored, store_.Get("dev"));
  *stored.mutable_spec() = role.spec();
  ASSERT_OK(store_.OverwriteForTest(stored));
  ASSERT_OK(catalog_.Refresh());
  EXPECT_TRUE(holder_.Get()->Find("dev")->allow().logins.Contains("ubuntu", {}));
}

TEST_F(RoleCatalogTest, SecondReplicaSeesWritesAfterRefresh) {
  RoleSnapshotHolder other_holder;
  RoleCatalog other(&store_, &other_holder, &clock_);
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("dev")), {.actor = "user:a"}));
  EXPECT_EQ(other_holder.Get()->Find("dev"), nullptr);
  ASSERT_OK(other.Refresh());
  EXPECT_NE(other_holder.Get()->Find("dev"), nullptr);
}

TEST_F(RoleCatalogTest, StoredRoleThatNoLongerCompilesDeniesItsHolders) {
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("dev")), {.actor = "user:a"}));
  // A role with a deny rule, then broken behind the catalog's back (a hand edit in the
  // database): its deny rule must not silently disappear.
  ASSERT_OK_AND_ASSIGN(
      Role contractor,
      ParseRoleDocument("kind: role\nversion: v7\nmetadata: {name: contractor}\nspec:\n"
                        "  deny:\n    node_labels: {env: dev}\n"));
  contractor.mutable_spec()->mutable_allow()->add_logins("{{internal.logins");
  ASSERT_OK(store_.Upsert(contractor, std::nullopt, clock_.Now(), "psql", Event()));
  ASSERT_OK(catalog_.Refresh());

  pb::CheckAccessRequest request;
  request.mutable_identity()->set_name("carol");
  request.mutable_identity()->mutable_expire_time()->set_seconds(kFarFuture);
  request.mutable_identity()->add_roles("dev");
  request.mutable_identity()->add_roles("contractor");
  request.mutable_resource()->set_kind(pb::Resource::KIND_NODE);
  (*request.mutable_resource()->mutable_labels())["env"] = "dev";
  request.mutable_resource()->set_login("ubuntu");
  ASSERT_OK_AND_ASSIGN(pb::CheckAccessResponse response,
                       CheckAccess(*holder_.Get(), request, clock_.Now()));
  EXPECT_FALSE(response.allowed());
  EXPECT_THAT(response.explanation().summary(), HasSubstr("contractor"));

  // Holding only the sound role still works.
  request.mutable_identity()->clear_roles();
  request.mutable_identity()->add_roles("dev");
  ASSERT_OK_AND_ASSIGN(response, CheckAccess(*holder_.Get(), request, clock_.Now()));
  EXPECT_TRUE(response.allowed());
}

TEST_F(RoleCatalogTest, StoreThatWentBackInTimeReplacesANewerSnapshot) {
  // The snapshot was built at generation 100 with a role the (restored) store no longer has.
  ASSERT_OK_AND_ASSIGN(Role ghost, ParseRoleDocument(Doc("ghost", "root")));
  ASSERT_OK_AND_ASSIGN(auto newer, RoleSnapshot::Create({ghost}, 100));
  holder_.Set(newer);
  ASSERT_OK(
      store_.Upsert(*ParseRoleDocument(Doc("dev")), std::nullopt, clock_.Now(), "user:a", Event()));
  ASSERT_OK(catalog_.Refresh());
  EXPECT_EQ(holder_.Get()->Find("ghost"), nullptr);
  EXPECT_NE(holder_.Get()->Find("dev"), nullptr);
  EXPECT_EQ(holder_.Get()->generation(), 1);
}

TEST_F(RoleCatalogTest, ImportCreatesMissingAndSkipsIdentical) {
  ASSERT_OK_AND_ASSIGN(Role a, ParseRoleDocument(Doc("a")));
  ASSERT_OK_AND_ASSIGN(Role b, ParseRoleDocument(Doc("b")));
  ASSERT_OK(catalog_.ImportRoles({a, b}, {.actor = "gitops:roles_dir"}));
  ASSERT_OK(catalog_.ImportRoles({a, b}, {.actor = "gitops:roles_dir"}));
  ASSERT_OK_AND_ASSIGN(Role stored, store_.Get("a"));
  EXPECT_EQ(stored.metadata().revision(), 1);
  EXPECT_EQ(stored.metadata().updated_by(), "gitops:roles_dir");
  EXPECT_NE(holder_.Get()->Find("b"), nullptr);
}

TEST_F(RoleCatalogTest, ImportCreatesTheMissingRolesInOneWrite) {
  ASSERT_OK_AND_ASSIGN(Role a, ParseRoleDocument(Doc("a")));
  ASSERT_OK_AND_ASSIGN(Role b, ParseRoleDocument(Doc("b")));
  ASSERT_OK_AND_ASSIGN(Role c, ParseRoleDocument(Doc("c")));
  ASSERT_OK(catalog_.ImportRoles({a}, {.actor = "gitops:roles_dir"}));
  ASSERT_OK_AND_ASSIGN(const int64_t before, store_.Generation());
  ASSERT_OK(catalog_.ImportRoles({a, b, c}, {.actor = "gitops:roles_dir"}));
  EXPECT_THAT(store_.Generation(), ::jit::testing::IsOkAndHolds(before + 1));
}

TEST_F(InMemoryRoleStoreTest, CreateAllCreatesNothingWhenOneExists) {
  ASSERT_OK_AND_ASSIGN(Role a, ParseRoleDocument(Doc("a")));
  ASSERT_OK_AND_ASSIGN(Role b, ParseRoleDocument(Doc("b")));
  ASSERT_OK(store_.Upsert(b, std::nullopt, absl::UnixEpoch(), "user:x", Event()));
  EXPECT_THAT(store_.CreateAll({a, b}, absl::UnixEpoch(), "gitops:roles_dir", Events(2)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("role \"b\" is at revision 1")));
  EXPECT_THAT(store_.Get("a"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(InMemoryRoleStoreTest, CreateAllStartsEveryRoleAtRevisionOne) {
  ASSERT_OK_AND_ASSIGN(Role a, ParseRoleDocument(Doc("a")));
  ASSERT_OK_AND_ASSIGN(Role b, ParseRoleDocument(Doc("b")));
  ASSERT_OK(store_.CreateAll({a, b}, absl::UnixEpoch(), "gitops:roles_dir", Events(2)));
  ASSERT_OK_AND_ASSIGN(Role stored, store_.Get("b"));
  EXPECT_EQ(stored.metadata().revision(), 1);
  EXPECT_EQ(stored.metadata().updated_by(), "gitops:roles_dir");
  EXPECT_THAT(store_.Generation(), ::jit::testing::IsOkAndHolds(1));
}

TEST_F(RoleCatalogTest, ImportReportsConflictsAndImportsNothing) {
  ASSERT_OK(catalog_.UpsertRole(UpsertDoc(Doc("a", "root")), {.actor = "user:alice"}));
  ASSERT_OK_AND_ASSIGN(Role a, ParseRoleDocument(Doc("a")));
  ASSERT_OK_AND_ASSIGN(Role c, ParseRoleDocument(Doc("c")));
  EXPECT_THAT(catalog_.ImportRoles({a, c}, {.actor = "gitops:roles_dir"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("a (stored revision 1, updated by user:alice)")));
  EXPECT_THAT(store_.Get("c"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace jit::policy
