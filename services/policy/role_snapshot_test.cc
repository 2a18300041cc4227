#include "services/policy/role_snapshot.h"

#include <string>
#include <thread>
#include <vector>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::policy {
namespace {

using ::jit::common::v1::Role;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

Role MakeRole(const std::string& name) {
  Role role;
  role.set_kind("role");
  role.set_version("v7");
  role.mutable_metadata()->set_name(name);
  return role;
}

TEST(RoleSnapshotTest, FindsRolesByName) {
  ASSERT_OK_AND_ASSIGN(auto snapshot, RoleSnapshot::Create({MakeRole("b"), MakeRole("a")}, 7));
  EXPECT_EQ(snapshot->size(), 2u);
  EXPECT_EQ(snapshot->generation(), 7);
  ASSERT_NE(snapshot->Find("a"), nullptr);
  EXPECT_EQ(snapshot->Find("a")->name(), "a");
  EXPECT_EQ(snapshot->Find("c"), nullptr);
  EXPECT_EQ(snapshot->roles()[0]->name(), "a");
  EXPECT_EQ(snapshot->FindShared("b")->name(), "b");
  EXPECT_EQ(snapshot->FindShared("zz"), nullptr);
}

TEST(RoleSnapshotTest, InvalidRoleFailsTheWholeSnapshot) {
  Role bad = MakeRole("bad");
  bad.set_version("v1");
  EXPECT_THAT(RoleSnapshot::Create({MakeRole("a"), bad}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("role \"bad\": version: unknown version")));
}

TEST(RoleSnapshotTest, DuplicateNamesRejected) {
  EXPECT_THAT(RoleSnapshot::Create({MakeRole("a"), MakeRole("a")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two roles are named")));
}

TEST(RoleSnapshotTest, IndexesThresholdFilters) {
  Role role = MakeRole("dev");
  auto* t = role.mutable_spec()->mutable_allow()->mutable_request()->add_thresholds();
  t->set_filter("contains(reviewer.roles, \"x\")");
  ASSERT_OK_AND_ASSIGN(auto snapshot, RoleSnapshot::Create({role}));
  EXPECT_NE(snapshot->FindThresholdFilter("contains(reviewer.roles, \"x\")"), nullptr);
  EXPECT_EQ(snapshot->FindThresholdFilter("true"), nullptr);
}

TEST(RoleSnapshotTest, FromCompiledReusesRoles) {
  ASSERT_OK_AND_ASSIGN(auto first, RoleSnapshot::Create({MakeRole("a"), MakeRole("b")}, 1));
  ASSERT_OK_AND_ASSIGN(auto c, CompiledRole::Create(MakeRole("c")));
  ASSERT_OK_AND_ASSIGN(auto second, RoleSnapshot::FromCompiled({first->FindShared("a"), c}, 2));
  EXPECT_EQ(second->Find("a"), first->Find("a"));
  EXPECT_EQ(second->Find("b"), nullptr);
}

TEST(RoleSnapshotHolderTest, StartsEmpty) {
  RoleSnapshotHolder holder;
  EXPECT_EQ(holder.Get()->size(), 0u);
}

TEST(RoleSnapshotHolderTest, SetIfNewerIgnoresOlderGenerations) {
  ASSERT_OK_AND_ASSIGN(auto v5, RoleSnapshot::Create({MakeRole("a")}, 5));
  ASSERT_OK_AND_ASSIGN(auto v3, RoleSnapshot::Create({MakeRole("b")}, 3));
  RoleSnapshotHolder holder;
  EXPECT_TRUE(holder.SetIfNewer(v5));
  EXPECT_FALSE(holder.SetIfNewer(v3));
  EXPECT_EQ(holder.Get()->generation(), 5);
  holder.Set(v3);
  EXPECT_EQ(holder.Get()->generation(), 3);
}

TEST(RoleSnapshotHolderTest, ReadersSeeWholeSnapshotsWhileWritersSwap) {
  std::vector<std::shared_ptr<const RoleSnapshot>> snapshots;
  for (int g = 1; g <= 50; ++g) {
    std::vector<Role> roles;
    for (int i = 0; i < g % 5 + 1; ++i) roles.push_back(MakeRole("r" + std::to_string(i)));
    absl::StatusOr<std::shared_ptr<const RoleSnapshot>> s = RoleSnapshot::Create(roles, g);
    ASSERT_TRUE(s.ok());
    snapshots.push_back(*s);
  }
  RoleSnapshotHolder holder;
  std::atomic<bool> done{false};
  std::atomic<int> inconsistent{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      int64_t last_generation = 0;
      while (!done.load()) {
        std::shared_ptr<const RoleSnapshot> s = holder.Get();
        // A snapshot is whole: its size follows from its generation, and generations
        // only grow because the writer only uses SetIfNewer.
        if (s->generation() > 0 && s->size() != static_cast<size_t>(s->generation() % 5 + 1)) {
          ++inconsistent;
        }
        if (s->generation() < last_generation) ++inconsistent;
        last_generation = s->generation();
      }
    });
  }
  for (const auto& s : snapshots) holder.SetIfNewer(s);
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_EQ(holder.Get()->generation(), 50);
}

}  // namespace
}  // namespace jit::policy
