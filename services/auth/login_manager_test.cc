#include "services/auth/login_manager.h"

#include <functional>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "common/clock.h"
#include "common/crypto/base64.h"
#include "common/crypto/key_encryption.h"
#include "common/http/http_client.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "services/auth/oidc/state_store.h"
#include "services/auth/oidc/testing/fake_oidc_provider.h"
#include "services/auth/oidc/testing/in_memory_oidc_used_state_store.h"
#include "services/auth/testing/in_memory_login_attempt_store.h"
#include "services/auth/testing/in_memory_stores.h"
#include "services/auth/testing/in_memory_totp_step_store.h"
#include "services/auth/user_store_credentials.h"

namespace jit::auth {
namespace {

using ::jit::audit::testing::InMemoryAuditOutbox;
using ::jit::auth::oidc::testing::FakeOidcProvider;
using ::jit::auth::oidc::testing::InMemoryOidcUsedStateStore;
using ::jit::auth::testing::FakePermissionChecker;
using ::jit::auth::testing::InMemoryLoginAttemptStore;
using ::jit::auth::testing::InMemorySessionStore;
using ::jit::auth::testing::InMemorySigningKeyStore;
using ::jit::auth::testing::InMemoryTotpStepStore;
using ::jit::auth::testing::InMemoryUserStore;
using ::jit::auth::v1::LoginRequest;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kPassword[] = "correct horse battery";

// The user store's credentials, with a hook run once right after the next read: what happens
// there happens while that login hashes the password.
class HookedCredentials final : public LocalCredentialStore {
 public:
  explicit HookedCredentials(LocalCredentialStore* inner) : inner_(inner) {}
  absl::StatusOr<std::optional<LocalCredentials>> Find(std::string_view user) override {
    absl::StatusOr<std::optional<LocalCredentials>> found = inner_->Find(user);
    if (std::function<void()> hook = std::exchange(after_next_find, nullptr)) hook();
    return found;
  }
  std::function<void()> after_next_find;

 private:
  LocalCredentialStore* const inner_;
};

class LoginManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hasher_ = *PasswordHasher::Create({.memory_kib = 8, .iterations = 1});
    throttle_ = *LoginThrottle::Create({}, &attempts_, &clock_);
    keys_ = *SigningKeyRing::Create({.issuer = "jit-access", .audience = "jit-test"}, &key_store_,
                                    &clock_);
    ASSERT_OK(keys_->EnsureKey());
    sessions_ = *SessionManager::Create({}, &session_store_, keys_.get(), &permissions_, &clock_);
    local_ = std::make_unique<LocalAuthenticator>(&hooked_credentials_, hasher_.get(),
                                                  throttle_.get(), &totp_);
    AddUser("alice", {"dev"});
    BuildManager();
  }

  // The fixture's dependencies; a test replaces the ones it is about.
  LoginDependencies Dependencies() {
    return {.local = local_.get(),
            .users = &users_,
            .hasher = hasher_.get(),
            .throttle = throttle_.get(),
            .sessions = sessions_.get(),
            .audit = &audit_,
            .metrics = &metrics_,
            .hash_limiter = &limiter_,
            .connectors = connectors_,
            .oidc_states = &oidc_states_,
            .clock = &clock_};
  }

  void BuildManager() { manager_ = *LoginManager::Create(Dependencies()); }

  void AddUser(const std::string& name, std::vector<std::string> roles,
               const std::string& totp_secret = "") {
    UserRecord r;
    r.profile.set_name(name);
    for (auto& role : roles) r.profile.add_roles(role);
    (*r.profile.mutable_traits())["logins"].add_values(name);
    r.profile.set_origin("local");
    r.password_hash = *hasher_->Hash(SecretString(std::string(kPassword)));
    if (!totp_secret.empty()) {
      r.totp_secret = SecretString(totp_secret);
      r.profile.set_totp_enabled(true);
    }
    ASSERT_OK(users_.Create(r, audit::AuditEvent()));
  }

  static LoginRequest Request(const std::string& user, const std::string& password,
                              const std::string& code = "") {
    LoginRequest r;
    r.set_username(user);
    r.set_password(password);
    r.set_totp_code(code);
    return r;
  }

  // Sessions neither revoked nor expired.
  int64_t LiveSessions() { return *session_store_.CountActive(clock_.Now()); }

  void SetPassword(const std::string& user, const std::string& password) {
    ASSERT_OK(users_.SetPasswordHash(user, *hasher_->Hash(SecretString(password)), clock_.Now(), "",
                                     std::nullopt, audit::AuditEvent()));
  }

  void SetRoles(const std::string& user, const std::string& role) {
    jit::auth::v1::User profile;
    profile.set_name(user);
    profile.add_roles(role);
    ASSERT_OK(users_.UpdateProfile(profile, clock_.Now(), audit::AuditEvent()).status());
  }

  std::string LastFailureReason() {
    auto failed = audit_.OfType("auth.login.failed");
    return failed.empty() ? "" : failed.back().details().fields().at("reason").string_value();
  }

  std::string CodeNow(const std::string& secret) {
    return *TotpCode(SecretString(secret), TotpStep(clock_.Now()));
  }

  FakeClock clock_{absl::Now()};
  InMemoryAuditOutbox audit_;
  InMemorySessionStore session_store_{&audit_};
  InMemoryUserStore users_{&session_store_, &audit_};
  InMemorySigningKeyStore key_store_;
  InMemoryLoginAttemptStore attempts_;
  InMemoryTotpStepStore steps_;
  FakePermissionChecker permissions_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<LoginThrottle> throttle_;
  TotpVerifier totp_{&clock_, &steps_};
  UserStoreCredentials credentials_{&users_};
  HookedCredentials hooked_credentials_{&credentials_};
  std::unique_ptr<SigningKeyRing> keys_;
  std::unique_ptr<SessionManager> sessions_;
  std::unique_ptr<LocalAuthenticator> local_;
  prometheus::Registry registry_;
  AuthMetrics metrics_{registry_};
  ConcurrencyLimiter limiter_{{.limit = 2}};
  std::map<std::string, oidc::OidcConnector*> connectors_;
  std::unique_ptr<crypto::KeyEncryptionKey> kek_ = *crypto::KeyEncryptionKey::Generate();
  oidc::OidcStateSealer oidc_states_{kek_.get()};
  InMemoryOidcUsedStateStore used_oidc_states_;
  std::unique_ptr<LoginManager> manager_;
};

using LocalLoginTest = LoginManagerTest;

TEST_F(LocalLoginTest, RightPasswordGivesASessionWithTheUsersRoles) {
  ASSERT_OK_AND_ASSIGN(auto response, manager_->Login(Request("alice", kPassword), {}));
  EXPECT_FALSE(response.token().empty());
  EXPECT_EQ(response.identity().name(), "alice");
  EXPECT_THAT(response.identity().roles(), ElementsAre("dev"));
  EXPECT_THAT(response.identity().traits().at("logins").values(), ElementsAre("alice"));
  EXPECT_FALSE(response.identity().mfa_verified());
  EXPECT_EQ(response.identity().auth_method(), "local");
  EXPECT_EQ(metrics_.logins(LoginMethod::kLocal, LoginResult::kSuccess), 1);
  ASSERT_THAT(audit_.OfType("auth.login"), SizeIs(1));
  EXPECT_EQ(audit_.OfType("auth.login")[0].actor(), "user:alice");
}

TEST_F(LocalLoginTest, UnknownUserAndWrongPasswordGetTheSameAnswer) {
  const absl::Status wrong = manager_->Login(Request("alice", "wrong password!"), {}).status();
  const absl::Status unknown = manager_->Login(Request("mallory", kPassword), {}).status();
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(wrong, unknown);
  EXPECT_EQ(metrics_.logins(LoginMethod::kLocal, LoginResult::kFailure), 2);
  auto failed = audit_.OfType("auth.login.failed");
  ASSERT_THAT(failed, SizeIs(2));
  EXPECT_EQ(failed[0].details().fields().at("reason").string_value(), "invalid_credentials");
  EXPECT_EQ(failed[1].details().fields().at("reason").string_value(), "invalid_credentials");
}

TEST_F(LocalLoginTest, FailuresRacingIntoALockoutWriteOneLockEvent) {
  // While the first wrong guess is being hashed, four more fail: five failures, one lock.
  hooked_credentials_.after_next_find = [&] {
    for (int i = 0; i < 4; ++i) {
      EXPECT_THAT(manager_->Login(Request("alice", "wrong password!"), {}),
                  StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
    }
  };
  EXPECT_THAT(manager_->Login(Request("alice", "wrong password!"), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_THAT(audit_.OfType("auth.login.failed"), SizeIs(5));
  EXPECT_THAT(audit_.OfType("auth.user.locked"), SizeIs(1));
}

TEST_F(LocalLoginTest, FiveFailuresLockTheAccountEvenForTheRightPassword) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(manager_->Login(Request("alice", "wrong password!"), {}),
                StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  }
  EXPECT_THAT(
      manager_->Login(Request("alice", kPassword), {}),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("too many failed login attempts")));
  EXPECT_EQ(metrics_.logins(LoginMethod::kLocal, LoginResult::kLocked), 1);
  EXPECT_THAT(audit_.OfType("auth.user.locked"), SizeIs(1));
  // The lock lifts after the back-off.
  clock_.Advance(absl::Minutes(1));
  EXPECT_OK(manager_->Login(Request("alice", kPassword), {}).status());
}

TEST_F(LocalLoginTest, UnknownUsersAreLockedLikeRealOnes) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(manager_->Login(Request("ghost", "wrong password!"), {}),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(
      manager_->Login(Request("ghost", kPassword), {}),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("too many failed login attempts")));
}

TEST_F(LocalLoginTest, TotpUserNeedsAValidCodeUsedOnce) {
  const std::string secret = "12345678901234567890";
  AddUser("bob", {"dba"}, secret);
  EXPECT_THAT(manager_->Login(Request("bob", kPassword), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code required"));
  EXPECT_THAT(manager_->Login(Request("bob", kPassword, "000000"), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid TOTP code"));
  const std::string code = CodeNow(secret);
  ASSERT_OK_AND_ASSIGN(auto response, manager_->Login(Request("bob", kPassword, code), {}));
  EXPECT_TRUE(response.identity().mfa_verified());
  EXPECT_THAT(manager_->Login(Request("bob", kPassword, code), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code already used"));
  auto failed = audit_.OfType("auth.login.failed");
  ASSERT_THAT(failed, SizeIs(3));
  EXPECT_EQ(failed[0].details().fields().at("reason").string_value(), "totp_required");
  EXPECT_EQ(failed[1].details().fields().at("reason").string_value(), "invalid_totp");
  EXPECT_EQ(failed[2].details().fields().at("reason").string_value(), "totp_replayed");
}

TEST_F(LocalLoginTest, MalformedRequestsAreInvalidArgumentNamingTheField) {
  EXPECT_THAT(manager_->Login(Request("", kPassword), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("username")));
  EXPECT_THAT(manager_->Login(Request("bad name", kPassword), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("username")));
  EXPECT_THAT(manager_->Login(Request("alice", ""), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  EXPECT_THAT(manager_->Login(Request("alice", std::string(1025, 'x')), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  EXPECT_THAT(manager_->Login(Request("alice", kPassword, "12ab56"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("totp_code")));
  LoginRequest negative = Request("alice", kPassword);
  negative.mutable_ttl()->set_seconds(-5);
  EXPECT_THAT(manager_->Login(negative, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ttl")));
  // None of these counted as a failed login.
  ASSERT_OK_AND_ASSIGN(LoginFailures failures, attempts_.Get("alice"));
  EXPECT_EQ(failures.count, 0);
}

TEST_F(LocalLoginTest, RequestedTtlIsHonouredUpToTheMaximum) {
  LoginRequest r = Request("alice", kPassword);
  r.mutable_ttl()->set_seconds(3600);
  ASSERT_OK_AND_ASSIGN(auto one_hour, manager_->Login(r, {}));
  EXPECT_EQ(one_hour.expire_time().seconds(), absl::ToUnixSeconds(clock_.Now()) + 3600);
  r.mutable_ttl()->set_seconds(7 * 24 * 3600);
  ASSERT_OK_AND_ASSIGN(auto capped, manager_->Login(r, {}));
  EXPECT_EQ(capped.expire_time().seconds(), absl::ToUnixSeconds(clock_.Now()) + 24 * 3600);
}

TEST_F(LocalLoginTest, StoreOutageIsUnavailableNotAFailedLogin) {
  users_.SetUnavailable(true);
  EXPECT_THAT(manager_->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(metrics_.logins(LoginMethod::kLocal, LoginResult::kError), 1);
  EXPECT_THAT(audit_.OfType("auth.login.failed"), IsEmpty());
}

// A login that finds password hashing saturated is shed at once (it holds no server thread)
// with retry advice.
TEST_F(LocalLoginTest, BusyServerShedsLoginsWithRetryAdvice) {
  ConcurrencyLimiter busy({.limit = 1, .max_waiters = 0, .max_wait = absl::Hours(1)});
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot held, busy.Acquire());
  LoginDependencies deps = Dependencies();
  deps.hash_limiter = &busy;
  auto manager = *LoginManager::Create(deps);
  EXPECT_THAT(manager->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry in 1s")));
}

// Logins from one address are bounded apart from the global limit.
TEST_F(LocalLoginTest, LoginsFromOneAddressAreBounded) {
  ConcurrencyLimiter limiter({.limit = 4, .max_waiters = 0, .max_per_source = 1});
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot held, limiter.Acquire("10.0.0.7"));
  LoginDependencies deps = Dependencies();
  deps.hash_limiter = &limiter;
  auto manager = *LoginManager::Create(deps);
  EXPECT_THAT(manager->Login(Request("alice", kPassword), {.remote_addr = "ipv4:10.0.0.7:4242"}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("this address")));
  EXPECT_OK(
      manager->Login(Request("alice", kPassword), {.remote_addr = "ipv4:10.0.0.8:4242"}).status());
}

TEST_F(LocalLoginTest, BusyServerCountsNoFailedAttempt) {
  ConcurrencyLimiter busy({.limit = 1, .max_waiters = 0});
  ASSERT_OK_AND_ASSIGN(ConcurrencyLimiter::Slot held, busy.Acquire());
  LoginDependencies deps = Dependencies();
  deps.hash_limiter = &busy;
  auto manager = *LoginManager::Create(deps);
  for (int i = 0; i < 6; ++i) {
    EXPECT_THAT(manager->Login(Request("alice", kPassword), {}),
                StatusIs(absl::StatusCode::kResourceExhausted));
  }
  ASSERT_OK_AND_ASSIGN(LoginFailures failures, attempts_.Get("alice"));
  EXPECT_EQ(failures.count, 0);
  EXPECT_OK(manager_->Login(Request("alice", kPassword), {}).status());
}

TEST_F(LocalLoginTest, StoreOutageDuringLoginsLocksNobodyOut) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(manager_->Login(Request("alice", "wrong password!"), {}),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  users_.SetUnavailable(true);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(manager_->Login(Request("alice", kPassword), {}),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  users_.SetUnavailable(false);
  EXPECT_OK(manager_->Login(Request("alice", kPassword), {}).status());
}

TEST_F(LocalLoginTest, OldHashParametersAreUpgradedOnLogin) {
  auto stronger = *PasswordHasher::Create({.memory_kib = 16, .iterations = 1});
  LocalAuthenticator local(&credentials_, stronger.get(), throttle_.get(), &totp_);
  LoginDependencies deps = Dependencies();
  deps.local = &local;
  deps.hasher = stronger.get();
  auto manager = *LoginManager::Create(deps);
  ASSERT_OK(manager->Login(Request("alice", kPassword), {}).status());
  ASSERT_OK_AND_ASSIGN(auto record, users_.Get("alice"));
  EXPECT_FALSE(stronger->NeedsRehash(record->password_hash));
  EXPECT_OK(manager->Login(Request("alice", kPassword), {}).status());
}

TEST_F(LocalLoginTest, PasswordResetDuringTheHashStartsNoSession) {
  hooked_credentials_.after_next_find = [&] { SetPassword("alice", "reset by the admin!"); };
  EXPECT_THAT(manager_->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_EQ(LiveSessions(), 0);
  EXPECT_THAT(audit_.OfType("auth.login"), IsEmpty());
  EXPECT_EQ(LastFailureReason(), "credentials_changed");
  EXPECT_EQ(metrics_.logins(LoginMethod::kLocal, LoginResult::kFailure), 1);
}

TEST_F(LocalLoginTest, DeletionDuringTheHashStartsNoSession) {
  hooked_credentials_.after_next_find = [&] {
    ASSERT_OK(users_.Delete("alice", clock_.Now(), audit::AuditEvent()));
  };
  EXPECT_THAT(manager_->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_EQ(LiveSessions(), 0);
  EXPECT_EQ(LastFailureReason(), "credentials_changed");
}

TEST_F(LocalLoginTest, RoleChangeDuringTheHashAbortsWithoutASession) {
  hooked_credentials_.after_next_find = [&] { SetRoles("alice", "admin"); };
  EXPECT_THAT(manager_->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("log in again")));
  EXPECT_EQ(LiveSessions(), 0);
  EXPECT_EQ(LastFailureReason(), "user_changed");
  // Logging in again gives a session with the new roles.
  ASSERT_OK_AND_ASSIGN(auto response, manager_->Login(Request("alice", kPassword), {}));
  EXPECT_THAT(response.identity().roles(), ElementsAre("admin"));
}

TEST_F(LocalLoginTest, PasswordResetJustBeforeTheSessionIsStoredStartsNoSession) {
  session_store_.RunBeforeNextCreate([&] { SetPassword("alice", "reset by the admin!"); });
  EXPECT_THAT(manager_->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_EQ(LiveSessions(), 0);
  EXPECT_THAT(audit_.OfType("auth.login"), IsEmpty());
}

TEST_F(LocalLoginTest, DeletionJustBeforeTheSessionIsStoredStartsNoSession) {
  session_store_.RunBeforeNextCreate(
      [&] { ASSERT_OK(users_.Delete("alice", clock_.Now(), audit::AuditEvent())); });
  EXPECT_THAT(manager_->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_EQ(LiveSessions(), 0);
}

TEST_F(LocalLoginTest, RoleChangeJustBeforeTheSessionIsStoredAbortsWithoutASession) {
  session_store_.RunBeforeNextCreate([&] { SetRoles("alice", "admin"); });
  EXPECT_THAT(manager_->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(LiveSessions(), 0);
}

TEST_F(LocalLoginTest, RehashNeverRestoresAPasswordReplacedDuringTheLogin) {
  auto stronger = *PasswordHasher::Create({.memory_kib = 16, .iterations = 1});
  LocalAuthenticator local(&hooked_credentials_, stronger.get(), throttle_.get(), &totp_);
  LoginDependencies deps = Dependencies();
  deps.local = &local;
  deps.hasher = stronger.get();
  auto manager = *LoginManager::Create(deps);
  hooked_credentials_.after_next_find = [&] { SetPassword("alice", "reset by the admin!"); };
  EXPECT_THAT(manager->Login(Request("alice", kPassword), {}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(auto record, users_.Get("alice"));
  EXPECT_OK(
      hasher_->Verify(SecretString(std::string("reset by the admin!")), record->password_hash));
}

TEST_F(LocalLoginTest, SingleSignOnIsRefusedWhenNotConfigured) {
  EXPECT_THAT(manager_->BeginOidc({}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

class OidcLoginTest : public LocalLoginTest {
 protected:
  void SetUp() override {
    LocalLoginTest::SetUp();
    provider_ = *FakeOidcProvider::Start({.clock = &clock_});
    provider_->SetClaims({{"email", "carol@example.com"},
                          {"email_verified", true},
                          {"groups", {"team-payments"}},
                          {"amr", {"pwd", "otp"}}});
    http_ = *http::CurlHttpClient::Create({.allow_loopback_http = true});
    oidc::OidcConnectorConfig c;
    c.name = "corp";
    c.issuer_url = provider_->issuer();
    c.client_id = "jit-test-client";
    c.client_secret = SecretString(std::string("provider-s3cret"));
    c.redirect_url = "http://127.0.0.1:9/callback";
    c.claims_to_roles = {{.claim = "groups", .value = "team-*", .roles = {"dev"}}};
    c.claims_to_traits = {{.claim = "email", .trait = "logins", .value = "^([^@]+)@.*$"}};
    c.allow_loopback_http = true;
    corp_ =
        *oidc::OidcConnector::Create(c, http_.get(), &oidc_states_, &used_oidc_states_, &clock_);
    c.name = "other";
    other_ =
        *oidc::OidcConnector::Create(c, http_.get(), &oidc_states_, &used_oidc_states_, &clock_);
    connectors_ = {{"corp", corp_.get()}};
    BuildManager();
  }

  // The browser's part: authorize at the provider, read code and state from the redirect.
  absl::StatusOr<jit::auth::v1::CompleteOidcLoginRequest> Authorize(
      const jit::auth::v1::BeginOidcLoginResponse& begin) {
    absl::StatusOr<http::HttpResponse> r = http_->Get(begin.authorization_url());
    if (!r.ok()) return r.status();
    if (r->status != 302) return absl::InternalError("authorize did not redirect");
    jit::auth::v1::CompleteOidcLoginRequest complete;
    complete.set_code(*http::QueryParameter(r->location, "code"));
    complete.set_state(*http::QueryParameter(r->location, "state"));
    return complete;
  }

  std::unique_ptr<FakeOidcProvider> provider_;
  std::unique_ptr<http::CurlHttpClient> http_;
  std::unique_ptr<oidc::OidcConnector> corp_;
  std::unique_ptr<oidc::OidcConnector> other_;
};

TEST_F(OidcLoginTest, FullFlowGivesASessionWithMappedRolesAndRecordsTheUser) {
  jit::auth::v1::BeginOidcLoginRequest begin_request;
  begin_request.set_redirect_url("http://127.0.0.1:53682/callback");
  ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc(begin_request));
  EXPECT_THAT(begin.authorization_url(), StartsWith(provider_->issuer() + "/authorize?"));
  ASSERT_OK_AND_ASSIGN(auto complete, Authorize(begin));
  EXPECT_EQ(complete.state(), begin.state());
  ASSERT_OK_AND_ASSIGN(auto response, manager_->CompleteOidc(complete, {}));
  EXPECT_EQ(response.identity().name(), "carol@example.com");
  EXPECT_THAT(response.identity().roles(), ElementsAre("dev"));
  EXPECT_THAT(response.identity().traits().at("logins").values(), ElementsAre("carol"));
  EXPECT_TRUE(response.identity().mfa_verified());
  EXPECT_EQ(response.identity().auth_method(), "oidc:corp");
  EXPECT_EQ(metrics_.logins(LoginMethod::kOidc, LoginResult::kSuccess), 1);

  ASSERT_OK_AND_ASSIGN(auto record, users_.Get("carol@example.com"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->profile.origin(), "oidc:corp");
  EXPECT_THAT(record->profile.roles(), ElementsAre("dev"));
  EXPECT_TRUE(record->password_hash.empty());
  // No password login for a single sign-on user.
  EXPECT_THAT(manager_->Login(Request("carol@example.com", kPassword), {}),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
}

TEST_F(OidcLoginTest, StateIsSingleUse) {
  ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc({}));
  ASSERT_OK_AND_ASSIGN(auto complete, Authorize(begin));
  ASSERT_OK(manager_->CompleteOidc(complete, {}).status());
  EXPECT_THAT(manager_->CompleteOidc(complete, {}),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("start again")));
  EXPECT_EQ(metrics_.logins(LoginMethod::kOidc, LoginResult::kFailure), 1);
}

TEST_F(OidcLoginTest, LoginIsCompletedByTheConnectorThatBeganIt) {
  connectors_ = {{"corp", corp_.get()}, {"other", other_.get()}};
  BuildManager();
  jit::auth::v1::BeginOidcLoginRequest begin_request;
  EXPECT_THAT(manager_->BeginOidc(begin_request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("corp, other")));
  begin_request.set_connector("nope");
  EXPECT_THAT(manager_->BeginOidc(begin_request), StatusIs(absl::StatusCode::kNotFound));
  begin_request.set_connector("other");
  ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc(begin_request));
  ASSERT_OK_AND_ASSIGN(auto complete, Authorize(begin));
  ASSERT_OK_AND_ASSIGN(auto response, manager_->CompleteOidc(complete, {}));
  EXPECT_EQ(response.identity().auth_method(), "oidc:other");
}

TEST_F(OidcLoginTest, ConnectorIsTakenFromTheState) {
  connectors_ = {{"corp", corp_.get()}, {"other", other_.get()}};
  BuildManager();
  jit::auth::v1::BeginOidcLoginRequest begin_request;
  begin_request.set_connector("other");
  ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc(begin_request));
  ASSERT_OK_AND_ASSIGN(auto complete, Authorize(begin));
  // A replica configured without "other" cannot complete it, whatever else it has.
  connectors_ = {{"corp", corp_.get()}};
  BuildManager();
  EXPECT_THAT(manager_->CompleteOidc(complete, {}),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no longer configured")));
  EXPECT_EQ(used_oidc_states_.size(), 0u);
}

TEST_F(OidcLoginTest, BeginOidcLoginFloodWritesNothing) {
  absl::flat_hash_set<std::string> states;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc({}));
    states.insert(begin.state());
  }
  EXPECT_EQ(states.size(), 1000u);
  EXPECT_EQ(used_oidc_states_.size(), 0u);
  EXPECT_THAT(audit_.OfType("auth.login.failed"), IsEmpty());
}

TEST_F(OidcLoginTest, AlteredStateIsRefusedAsUnknown) {
  ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc({}));
  ASSERT_OK_AND_ASSIGN(auto complete, Authorize(begin));
  ASSERT_OK_AND_ASSIGN(std::string raw, crypto::Base64UrlDecode(complete.state()));
  raw.back() ^= 0x01;
  complete.set_state(crypto::Base64UrlEncode(raw));
  EXPECT_THAT(manager_->CompleteOidc(complete, {}),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("start again")));
  EXPECT_EQ(metrics_.logins(LoginMethod::kOidc, LoginResult::kFailure), 1);
  EXPECT_EQ(LastFailureReason(), "oidc_refused");
  EXPECT_EQ(provider_->token_requests(), 0);
}

TEST_F(OidcLoginTest, ExpiredStateIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc({}));
  ASSERT_OK_AND_ASSIGN(auto complete, Authorize(begin));
  clock_.Advance(absl::Minutes(10));
  EXPECT_THAT(manager_->CompleteOidc(complete, {}),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  EXPECT_EQ(provider_->token_requests(), 0);
}

TEST_F(OidcLoginTest, ForeignRedirectUrlIsRefused) {
  jit::auth::v1::BeginOidcLoginRequest begin_request;
  begin_request.set_redirect_url("https://evil.example.com/callback");
  EXPECT_THAT(manager_->BeginOidc(begin_request), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(OidcLoginTest, NameOfALocalUserIsNotTakenOver) {
  provider_->SetClaims({{"email", "alice"}, {"email_verified", true}});
  ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc({}));
  ASSERT_OK_AND_ASSIGN(auto complete, Authorize(begin));
  EXPECT_THAT(manager_->CompleteOidc(complete, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto alice, users_.Get("alice"));
  EXPECT_EQ(alice->profile.origin(), "local");
  EXPECT_THAT(audit_.OfType("auth.login"), IsEmpty());
}

TEST_F(OidcLoginTest, UserDeletedBeforeTheSessionIsStoredGetsNoSession) {
  ASSERT_OK_AND_ASSIGN(auto begin, manager_->BeginOidc({}));
  ASSERT_OK_AND_ASSIGN(auto complete, Authorize(begin));
  session_store_.RunBeforeNextCreate(
      [&] { ASSERT_OK(users_.Delete("carol@example.com", clock_.Now(), audit::AuditEvent())); });
  EXPECT_THAT(manager_->CompleteOidc(complete, {}),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("log in again")));
  EXPECT_EQ(LiveSessions(), 0);
  EXPECT_THAT(audit_.OfType("auth.login"), IsEmpty());
  EXPECT_EQ(LastFailureReason(), "user_changed");
}

TEST_F(OidcLoginTest, MissingStateOrCodeIsInvalidArgument) {
  jit::auth::v1::CompleteOidcLoginRequest complete;
  complete.set_state("s");
  EXPECT_THAT(manager_->CompleteOidc(complete, {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::auth
