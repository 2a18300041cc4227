#include "services/auth/session_manager.h"

#include "common/auth/jwks_cache.h"
#include "common/auth/revocation.h"
#include "common/auth/token_verifier.h"
#include "common/clock.h"
#include "common/jwt/session_token.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/stored_token_sources.h"
#include "services/auth/testing/in_memory_stores.h"

namespace jit::auth {
namespace {

using ::jit::audit::testing::InMemoryAuditOutbox;
using ::jit::auth::testing::FakePermissionChecker;
using ::jit::auth::testing::InMemorySessionStore;
using ::jit::auth::testing::InMemorySigningKeyStore;
using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

Identity Alice() {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name("alice");
  id.add_roles("dev");
  (*id.mutable_traits())["logins"].add_values("alice");
  id.set_mfa_verified(true);
  id.set_auth_method("local");
  return id;
}

// The users' session generation (as UserStore keeps it).
constexpr int64_t kGeneration = 7;

class SessionManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sessions_->SetUserGeneration("alice", kGeneration);
    sessions_->SetUserGeneration("bob", kGeneration);
    keys_ = *SigningKeyRing::Create({.issuer = "jit-access", .audience = "jit-test"},
                                    key_store_.get(), &clock_);
    ASSERT_OK(keys_->EnsureKey());
    manager_ = *SessionManager::Create({}, sessions_.get(), keys_.get(), &permissions_, &clock_);
    // A verifier as any service has one, fed from the stores.
    jwks_source_ = std::make_unique<StoredJwksSource>(key_store_, &clock_, absl::Hours(25));
    feed_ = std::make_unique<StoredRevocationFeed>(sessions_, &clock_);
    jwks_ = *JwksCache::Create(jwks_source_.get(), &clock_, {});
    revocations_ = *RevocationList::Create(feed_.get(), &clock_, {});
    ASSERT_OK(revocations_->Refresh());
    verifier_ = *TokenVerifier::Create({.issuer = "jit-access", .audience = "jit-test"},
                                       jwks_.get(), revocations_.get(), &clock_);
  }

  absl::StatusOr<std::shared_ptr<const Identity>> Verify(const std::string& token) {
    if (absl::Status s = revocations_->Refresh(); !s.ok()) return s;
    return verifier_->Verify(token);
  }

  FakeClock clock_;
  InMemoryAuditOutbox audit_;
  std::shared_ptr<InMemorySessionStore> sessions_ = std::make_shared<InMemorySessionStore>(&audit_);
  std::shared_ptr<InMemorySigningKeyStore> key_store_ = std::make_shared<InMemorySigningKeyStore>();
  FakePermissionChecker permissions_;
  std::unique_ptr<SigningKeyRing> keys_;
  std::unique_ptr<SessionManager> manager_;
  std::unique_ptr<StoredJwksSource> jwks_source_;
  std::unique_ptr<StoredRevocationFeed> feed_;
  std::unique_ptr<JwksCache> jwks_;
  std::unique_ptr<RevocationList> revocations_;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(SessionManagerTest, StartIssuesATokenCarryingTheIdentity) {
  ASSERT_OK_AND_ASSIGN(auto response, manager_->Start(Alice(), kGeneration, absl::ZeroDuration(),
                                                      {.actor = "user:alice"}, {}));
  EXPECT_EQ(response.expire_time().seconds(), absl::ToUnixSeconds(clock_.Now() + absl::Hours(8)));
  EXPECT_FALSE(response.identity().session_id().empty());
  ASSERT_OK_AND_ASSIGN(auto identity, Verify(response.token()));
  EXPECT_EQ(identity->name(), "alice");
  EXPECT_THAT(identity->roles(), ElementsAre("dev"));
  EXPECT_THAT(identity->traits().at("logins").values(), ElementsAre("alice"));
  EXPECT_TRUE(identity->mfa_verified());
  EXPECT_EQ(identity->auth_method(), "local");
  EXPECT_EQ(identity->session_id(), response.identity().session_id());

  ASSERT_OK_AND_ASSIGN(auto session, sessions_->Get(identity->session_id()));
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->user, "alice");
  EXPECT_EQ(session->expire_time, absl::FromUnixSeconds(response.expire_time().seconds()));
  ASSERT_THAT(audit_.OfType("auth.login"), SizeIs(1));
  EXPECT_EQ(audit_.OfType("auth.login")[0].session_id(), identity->session_id());
}

TEST_F(SessionManagerTest, EverySessionHasItsOwnId) {
  ASSERT_OK_AND_ASSIGN(auto a, manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}));
  ASSERT_OK_AND_ASSIGN(auto b, manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}));
  EXPECT_NE(a.identity().session_id(), b.identity().session_id());
  EXPECT_NE(a.token(), b.token());
}

TEST_F(SessionManagerTest, TokenExpiresAtItsTtl) {
  ASSERT_OK_AND_ASSIGN(auto response,
                       manager_->Start(Alice(), kGeneration, absl::Hours(1), {}, {}));
  clock_.Advance(absl::Hours(1) + absl::Seconds(31));  // past exp and the verifier's skew
  EXPECT_THAT(Verify(response.token()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST_F(SessionManagerTest, LogoutIsHonouredWithinTheVerifiersClockSkewPastExpiry) {
  ASSERT_OK_AND_ASSIGN(auto response,
                       manager_->Start(Alice(), kGeneration, absl::Hours(1), {}, {}));
  ASSERT_OK_AND_ASSIGN(auto caller, Verify(response.token()));
  ASSERT_OK(manager_->Logout(*caller, "", {.actor = "user:alice"}));
  // Past exp but within the 30 s skew the verifier allows: the token would pass but for the
  // revocation, which must still be published.
  clock_.Advance(absl::Hours(1) + absl::Seconds(20));
  EXPECT_THAT(Verify(response.token()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
}

TEST_F(SessionManagerTest, RevocationGraceCoversTheVerifiersSkewAndTheListsGrace) {
  EXPECT_GE(kRevokedSessionGrace, TokenVerifier::Options{}.max_clock_skew);
  EXPECT_GE(kRevokedSessionGrace, jwt::SessionClaimsPolicy{}.max_clock_skew);
  EXPECT_GE(kRevokedSessionGrace, RevocationList::Options{}.expiry_grace);
}

TEST_F(SessionManagerTest, TtlIsDefaultedCappedAndChecked) {
  EXPECT_THAT(manager_->SessionTtl(absl::ZeroDuration()), IsOkAndHolds(absl::Hours(8)));
  EXPECT_THAT(manager_->SessionTtl(absl::Hours(2)), IsOkAndHolds(absl::Hours(2)));
  EXPECT_THAT(manager_->SessionTtl(absl::Hours(100)), IsOkAndHolds(absl::Hours(24)));
  EXPECT_THAT(manager_->SessionTtl(absl::Seconds(10)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(manager_->SessionTtl(-absl::Hours(1)), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SessionManagerTest, BadTtlOptionsAreRefused) {
  EXPECT_THAT(SessionManager::Create({.max_ttl = absl::Hours(25)}, sessions_.get(), keys_.get(),
                                     &permissions_, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_session_ttl")));
  EXPECT_THAT(SessionManager::Create({.default_ttl = absl::Hours(10), .max_ttl = absl::Hours(9)},
                                     sessions_.get(), keys_.get(), &permissions_, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("session_ttl")));
}

TEST_F(SessionManagerTest, LogoutRevokesTheCallersOwnSession) {
  ASSERT_OK_AND_ASSIGN(auto response,
                       manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}));
  ASSERT_OK_AND_ASSIGN(auto caller, Verify(response.token()));
  ASSERT_OK(manager_->Logout(*caller, "", {.actor = "user:alice"}));
  EXPECT_THAT(Verify(response.token()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  EXPECT_THAT(audit_.OfType("auth.logout"), SizeIs(1));
  EXPECT_EQ(permissions_.checks(), 0);
}

TEST_F(SessionManagerTest, LogoutOfAnotherSessionNeedsPolicy) {
  ASSERT_OK_AND_ASSIGN(auto victim,
                       manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}));
  Identity bob = Alice();
  bob.set_name("bob");
  ASSERT_OK_AND_ASSIGN(auto bobs, manager_->Start(bob, kGeneration, absl::ZeroDuration(), {}, {}));
  ASSERT_OK_AND_ASSIGN(auto bob_caller, Verify(bobs.token()));
  EXPECT_THAT(manager_->Logout(*bob_caller, victim.identity().session_id(), {.actor = "user:bob"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(Verify(victim.token()).status());

  permissions_.Allow("bob", "user", "revoke");
  ASSERT_OK(manager_->Logout(*bob_caller, victim.identity().session_id(), {.actor = "user:bob"}));
  EXPECT_THAT(Verify(victim.token()), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(Verify(bobs.token()).status());
  EXPECT_THAT(manager_->Logout(*bob_caller, "no-such-session", {.actor = "user:bob"}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SessionManagerTest, SessionIdWithANulByteIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(auto mine,
                       manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}));
  ASSERT_OK_AND_ASSIGN(auto caller, Verify(mine.token()));
  permissions_.Allow("alice", "user", "revoke");
  EXPECT_THAT(manager_->Logout(*caller, std::string("abc\0def", 7), {.actor = "user:alice"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "session_id: contains a NUL byte"));
}

TEST_F(SessionManagerTest, PolicyDownFailsClosed) {
  ASSERT_OK_AND_ASSIGN(auto victim,
                       manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}));
  Identity admin = Alice();
  admin.set_name("admin");
  admin.set_session_id("admin-session");
  permissions_.SetFailure(absl::UnavailableError("policy service unavailable"));
  EXPECT_THAT(manager_->Logout(admin, victim.identity().session_id(), {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_OK(Verify(victim.token()).status());
}

TEST_F(SessionManagerTest, ListRevokedIsCompleteFirstThenIncremental) {
  ASSERT_OK_AND_ASSIGN(auto a, manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}));
  ASSERT_OK_AND_ASSIGN(auto b, manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}));
  ASSERT_OK(manager_->Logout(a.identity(), "", {}));
  ASSERT_OK_AND_ASSIGN(auto first, manager_->ListRevoked(0));
  EXPECT_TRUE(first.complete());
  ASSERT_THAT(first.sessions(), SizeIs(1));
  EXPECT_EQ(first.sessions(0).session_id(), a.identity().session_id());
  EXPECT_EQ(first.sessions(0).expire_time().seconds(), a.expire_time().seconds());
  ASSERT_OK(manager_->Logout(b.identity(), "", {}));
  ASSERT_OK_AND_ASSIGN(auto next, manager_->ListRevoked(first.cursor()));
  EXPECT_FALSE(next.complete());
  ASSERT_THAT(next.sessions(), SizeIs(1));
  EXPECT_EQ(next.sessions(0).session_id(), b.identity().session_id());
  EXPECT_THAT(manager_->ListRevoked(-1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SessionManagerTest, StoreDownStartsNoSession) {
  sessions_->SetUnavailable(true);
  EXPECT_THAT(manager_->Start(Alice(), kGeneration, absl::ZeroDuration(), {}, {}),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::auth
