#include "services/audit/audit_queries.h"

#include <memory>

#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/checkpointer.h"
#include "services/audit/event_ingestor.h"
#include "services/audit/storage/testing/in_memory_event_store.h"
#include "services/audit/testing/test_events.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::InMemoryEventStore;
using ::jit::audit::testing::TestBatch;
using ::jit::common::v1::Identity;
using ::jit::policy::testing::FakePolicyClient;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

Identity User(const std::string& name) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  return id;
}

Identity Service(const std::string& name) {
  Identity id;
  id.set_kind(Identity::KIND_SERVICE);
  id.set_name(name);
  return id;
}

class AuditQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        checkpointer_, Checkpointer::Create(SecretString(std::string(32, '\x01')), &store_, &store_,
                                            &clock_, {.every_events = 5}));
    ASSERT_OK_AND_ASSIGN(verifier_,
                         ChainVerifier::Create(&store_, &store_, {checkpointer_->public_key()}));
    EventIngestor ingestor(&store_, checkpointer_.get(), &clock_);
    // Checkpoints at 5 and 10.
    ASSERT_THAT(ingestor.Ingest("auth", TestBatch(1, 5)), IsOk());
    ASSERT_THAT(ingestor.Ingest("auth", TestBatch(6, 5)), IsOk());
    ASSERT_THAT(ingestor.Ingest("auth", TestBatch(11, 2)), IsOk());
    v1::CheckpointKey key;
    key.set_key_id(checkpointer_->key_id());
    key.set_algorithm("ed25519");
    key.set_public_key(checkpointer_->public_key());
    queries_ = std::make_unique<AuditQueries>(AuditQueries::Parts{.search = &search_,
                                                                  .verifier = verifier_.get(),
                                                                  .exporter = &export_,
                                                                  .checkpoints = &store_,
                                                                  .permissions = &permissions_,
                                                                  .keys = {key}});
    // alice may read the audit log; anyone else is refused.
    policy_.check_permission.Handle([](const policy::v1::CheckPermissionRequest& r) {
      policy::v1::CheckPermissionResponse out;
      out.set_allowed(r.identity().name() == "alice" && r.resource() == "audit_event");
      out.mutable_explanation()->set_summary(out.allowed() ? "allowed" : "no role allows it");
      return absl::StatusOr<policy::v1::CheckPermissionResponse>(out);
    });
  }

  FakeClock clock_;
  InMemoryEventStore store_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<ChainVerifier> verifier_;
  EventSearch search_{&store_};
  EventExport export_{&store_, &store_};
  FakePolicyClient policy_;
  policy::PolicyPermissionChecker permissions_{&policy_};
  std::unique_ptr<AuditQueries> queries_;
};

TEST_F(AuditQueriesTest, APersonNeedsThePolicysPermissionForEachVerb) {
  EXPECT_THAT(queries_->Search(User("alice"), {}), IsOk());
  EXPECT_THAT(queries_->Verify(User("alice"), {}), IsOk());
  EXPECT_THAT(queries_->ListCheckpoints(User("alice"), {}), IsOk());
  std::vector<std::string> verbs;
  for (const auto& r : policy_.check_permission.requests()) verbs.push_back(r.verb());
  EXPECT_THAT(verbs, ::testing::ElementsAre("list", "read", "read"));

  EXPECT_THAT(queries_->Search(User("mallory"), {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("list audit_event")));
  EXPECT_THAT(queries_->Verify(User("mallory"), {}), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(queries_->Export(
                  User("mallory"), {}, [](const v1::ExportEventsResponse&) { return true; },
                  [] { return false; }),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("export audit_event")));
}

TEST_F(AuditQueriesTest, APolicyThatIsDownRefusesWithUnavailable) {
  policy_.check_permission.Answer(absl::UnavailableError("policy down"));
  EXPECT_THAT(queries_->Search(User("alice"), {}), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(AuditQueriesTest, AServiceTheMethodTableAdmittedNeedsNoPolicy) {
  int lines = 0;
  EXPECT_THAT(queries_->Export(
                  Service("audit-export"), {},
                  [&](const v1::ExportEventsResponse& b) {
                    lines += b.lines_size();
                    return true;
                  },
                  [] { return false; }),
              IsOk());
  EXPECT_EQ(lines, 12);
  EXPECT_TRUE(policy_.check_permission.requests().empty());
}

TEST_F(AuditQueriesTest, ListsCheckpointsNewestFirstInPages) {
  v1::ListCheckpointsRequest request;
  request.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(auto first, queries_->ListCheckpoints(User("alice"), request));
  ASSERT_EQ(first.checkpoints_size(), 1);
  EXPECT_EQ(first.checkpoints(0).sequence(), 10);
  request.set_page_token(first.next_page_token());
  ASSERT_OK_AND_ASSIGN(auto second, queries_->ListCheckpoints(User("alice"), request));
  ASSERT_EQ(second.checkpoints_size(), 1);
  EXPECT_EQ(second.checkpoints(0).sequence(), 5);
  EXPECT_EQ(second.next_page_token(), "");
  request.set_page_token("bad!");
  EXPECT_THAT(queries_->ListCheckpoints(User("alice"), request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(AuditQueriesTest, PublishesTheCheckpointKeys) {
  const v1::GetCheckpointKeysResponse keys = queries_->CheckpointKeys();
  ASSERT_EQ(keys.keys_size(), 1);
  EXPECT_EQ(keys.keys(0).public_key(), checkpointer_->public_key());
  EXPECT_EQ(keys.keys(0).key_id(), checkpointer_->key_id());
}

}  // namespace
}  // namespace jit::audit
