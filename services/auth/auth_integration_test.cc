// The real jit-auth binary against the real PostgreSQL (tests/run.sh provides it), with a
// real jit-policy as "another service" verifying auth's tokens, and a real OpenID provider
// on loopback for single sign-on, started with the integration testkit. Outcomes are
// asserted; where propagation takes time (a Logout reaching another service) the test polls
// with a generous deadline.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/crypto/base32.h"
#include "common/crypto/base64.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/key_encryption.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/http/http_client.h"
#include "common/jwt/session_token.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"
#include "services/auth/oidc/testing/fake_oidc_provider.h"
#include "services/auth/totp.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/metrics_scrape.h"
#include "tests/integration/testkit/service_process.h"
#include "tests/integration/testkit/test_files.h"

namespace jit::auth {
namespace {

using ::jit::auth::oidc::testing::FakeOidcProvider;
using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::PickUnusedPort;
using ::jit::testing::RunfilePath;
using ::jit::testkit::AnonymousCredentials;
using ::jit::testkit::AuthOptions;
using ::jit::testkit::AuthServer;
using ::jit::testkit::CallContext;
using ::jit::testkit::EventuallyStatus;
using ::jit::testkit::NewStub;
using ::jit::testkit::ScrapeMetrics;
using ::jit::testkit::ServiceCredentials;
using ::jit::testkit::ServiceProcess;
using ::jit::testkit::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAlicePassword[] = "alice's password, long enough";
constexpr char kBobPassword[] = "bob's password, long enough";
constexpr char kAdminPassword[] = "the admin's password, long";
constexpr char kBobTotpBase32[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";  // "1234567890" x 2
// The example admin role requires MFA for its admin rules too.
constexpr char kAdminTotpBase32[] = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";

class AuthIntegrationTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(kek_, crypto::KeyEncryptionKey::Generate());
    policy_port_ = PickUnusedPort();  // where jit-policy listens, if a test starts it
  }

  // jit-auth on this test's database with the users alice (dev), bob (dba, with TOTP) and
  // admin (admin), the test's KEK, and jit-policy's address.
  AuthOptions Options(std::vector<std::string> extra = {}) {
    return {.db_url = db().conninfo(),
            .users = {{.name = "alice",
                       .roles = {"dev"},
                       .password = kAlicePassword,
                       .traits = {{"logins", {"alice"}}}},
                      {.name = "bob",
                       .roles = {"dba"},
                       .password = kBobPassword,
                       .traits = {{"db_users", {"bob"}}},
                       .totp_secret_base32 = kBobTotpBase32},
                      {.name = "admin",
                       .roles = {"admin"},
                       .password = kAdminPassword,
                       .totp_secret_base32 = kAdminTotpBase32}},
            .key_encryption_key_base64 = crypto::Base64Encode(kek_->key().Reveal()),
            .peers = {{"policy", absl::StrCat("localhost:", policy_port_)}},
            .flags = std::move(extra)};
  }

  // Starts jit-auth (SERVING); Login, WhoAmI and auth_ then talk to it.
  absl::StatusOr<AuthServer*> StartAuth(std::vector<std::string> extra = {}) {
    absl::StatusOr<std::unique_ptr<AuthServer>> auth =
        AuthServer::StartServing(Options(std::move(extra)));
    if (!auth.ok()) return auth.status();
    auth_server_ = *std::move(auth);
    auth_ = &auth_server_->stub();
    return auth_server_.get();
  }

  // jit-policy verifying auth's tokens, with the example roles of the local constellation:
  // dev, dba, admin (every verb).
  absl::StatusOr<std::unique_ptr<ServiceProcess>> StartPolicy(const AuthServer& auth) {
    return ServiceProcess::StartServing(
        {.service = "policy",
         .db_url = db().conninfo(),
         .peers = {{"auth", auth.address()}},
         .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")},
         .port = policy_port_});
  }

  absl::StatusOr<v1::LoginResponse> Login(const std::string& user, const std::string& password,
                                          const std::string& code = "") {
    return auth_server_->Login(user, password, code);
  }

  absl::StatusOr<Identity> WhoAmI(const std::string& token) { return auth_server_->WhoAmI(token); }

  // The signing key the server uses, unsealed with the test's KEK (for minting tokens).
  struct RealKey {
    std::string kid;
    SecretString seed;
  };
  RealKey ReadSigningKey() {
    pqxx::connection connection(db().conninfo());
    pqxx::work txn(connection);
    pqxx::row row = txn.exec1(
        "SELECT kid, private_key FROM auth.signing_keys ORDER BY activate_time DESC LIMIT 1");
    const std::string kid = row[0].as<std::string>();
    absl::StatusOr<SecretString> seed =
        kek_->Open(pqxx::binarystring(row[1]).str(), "signing_key:" + kid);
    EXPECT_THAT(seed, IsOk());
    return {kid, seed.ok() ? *std::move(seed) : SecretString()};
  }

  // Rows in auth.oidc_used_states.
  int UsedOidcStates() {
    pqxx::connection connection(db().conninfo());
    pqxx::work txn(connection);
    return txn.exec1("SELECT count(*) FROM auth.oidc_used_states")[0].as<int>();
  }

  std::string Mint(const std::string& kid, const SecretString& seed, const std::string& audience,
                   absl::Time iat, absl::Time exp, const std::string& session = "minted") {
    auto signer = *crypto::Ed25519Signer::Create(seed);
    auto issuer = *jwt::SessionTokenIssuer::Create(
        {.issuer = "jit-access", .audience = audience}, jwt::JwsAlgorithm::kEdDSA, kid,
        std::shared_ptr<crypto::Signer>(std::move(signer)));
    Identity id;
    id.set_kind(Identity::KIND_USER);
    id.set_name("alice");
    id.add_roles("admin");
    id.set_session_id(session);
    id.set_auth_method("local");
    return *issuer->Issue(id, iat, exp);
  }

  std::unique_ptr<crypto::KeyEncryptionKey> kek_;
  int policy_port_ = 0;
  std::unique_ptr<AuthServer> auth_server_;
  v1::AuthService::Stub* auth_ = nullptr;  // auth_server_'s, TLS without a certificate
};

TEST_F(AuthIntegrationTest, LoginGivesATokenThatWhoAmIResolves) {
  ASSERT_OK_AND_ASSIGN(AuthServer * auth, StartAuth());
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse login, Login("alice", kAlicePassword));
  EXPECT_EQ(login.identity().name(), "alice");
  EXPECT_GT(login.expire_time().seconds(), absl::ToUnixSeconds(absl::Now() + absl::Hours(7)));
  ASSERT_OK_AND_ASSIGN(Identity me, WhoAmI(login.token()));
  EXPECT_EQ(me.kind(), Identity::KIND_USER);
  EXPECT_EQ(me.name(), "alice");
  EXPECT_THAT(me.roles(), ElementsAre("dev"));
  EXPECT_THAT(me.traits().at("logins").values(), ElementsAre("alice"));
  EXPECT_FALSE(me.mfa_verified());
  EXPECT_EQ(me.session_id(), login.identity().session_id());

  // A service certificate is an identity too.
  auto as_service = NewStub<v1::AuthService>(auth->address(), ServiceCredentials("requests"));
  v1::WhoAmIResponse service;
  ASSERT_TRUE(as_service->WhoAmI(CallContext().get(), {}, &service).ok());
  EXPECT_EQ(service.identity().kind(), Identity::KIND_SERVICE);
  EXPECT_EQ(service.identity().name(), "requests");

  // The login is recorded in the audit outbox with the session.
  pqxx::connection connection(db().conninfo());
  pqxx::work txn(connection);
  EXPECT_EQ(
      txn.exec1("SELECT count(*) FROM auth.audit_outbox WHERE type = 'auth.login'")[0].as<int>(),
      1);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM auth.sessions WHERE user_name = 'alice'")[0].as<int>(),
            1);
}

TEST_F(AuthIntegrationTest, WrongPasswordAndUnknownUserGetTheSameAnswerThenLockout) {
  ASSERT_OK_AND_ASSIGN(AuthServer * auth, StartAuth({"--lockout_max_failures=3"}));
  const absl::Status wrong = Login("alice", "not alice's password").status();
  const absl::Status unknown = Login("mallory", kAlicePassword).status();
  EXPECT_THAT(wrong, ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(wrong, unknown);
  EXPECT_THAT(Login("alice", "not alice's password either"),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Login("alice", "third wrong password"),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Login("alice", kAlicePassword),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated,
                                       HasSubstr("too many failed login attempts")));
  ASSERT_OK_AND_ASSIGN(const std::string scrape, ScrapeMetrics(auth->metrics_port()));
  EXPECT_THAT(scrape, HasSubstr("jit_auth_logins_total{method=\"local\",result=\"failure\"} 4"));
  EXPECT_THAT(scrape, HasSubstr("jit_auth_logins_total{method=\"local\",result=\"locked\"} 1"));
}

TEST_F(AuthIntegrationTest, TotpEnrollmentConfirmationAndLogin) {
  ASSERT_OK(StartAuth().status());
  // bob has TOTP from the bootstrap file.
  EXPECT_THAT(Login("bob", kBobPassword),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code required"));
  const SecretString bob_secret(*crypto::Base32Decode(kBobTotpBase32));
  const std::string bob_code = *TotpCode(bob_secret, TotpStep(absl::Now()));
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse bob, Login("bob", kBobPassword, bob_code));
  EXPECT_TRUE(bob.identity().mfa_verified());
  EXPECT_THAT(
      Login("bob", kBobPassword, bob_code),
      ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("already used")));

  // alice enrolls herself.
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse alice, Login("alice", kAlicePassword));
  v1::EnrollTotpResponse enrolled;
  ASSERT_TRUE(auth_->EnrollTotp(CallContext(alice.token()).get(), {}, &enrolled).ok());
  EXPECT_THAT(enrolled.otpauth_uri(), HasSubstr("otpauth://totp/jit-access:alice?"));
  const SecretString secret(*crypto::Base32Decode(enrolled.secret_base32()));
  // Not active before confirmation.
  ASSERT_OK(Login("alice", kAlicePassword).status());
  v1::ConfirmTotpRequest confirm;
  confirm.set_code(*TotpCode(secret, TotpStep(absl::Now())));
  v1::ConfirmTotpResponse confirmed;
  ASSERT_TRUE(auth_->ConfirmTotp(CallContext(alice.token()).get(), confirm, &confirmed).ok());
  EXPECT_THAT(Login("alice", kAlicePassword),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code required"));
  // The confirmation used this step's code; the next step's is within the window.
  ASSERT_OK_AND_ASSIGN(
      v1::LoginResponse with_mfa,
      Login("alice", kAlicePassword, *TotpCode(secret, TotpStep(absl::Now()) + 1)));
  ASSERT_OK_AND_ASSIGN(Identity me, WhoAmI(with_mfa.token()));
  EXPECT_TRUE(me.mfa_verified());
  // The secret is sealed at rest.
  pqxx::connection connection(db().conninfo());
  pqxx::work txn(connection);
  const std::string stored =
      pqxx::binarystring(txn.exec1("SELECT totp_secret FROM auth.users WHERE name = 'alice'")[0])
          .str();
  EXPECT_EQ(stored.find(std::string(secret.Reveal())), std::string::npos);
}

TEST_F(AuthIntegrationTest, LogoutEndsTheSession) {
  ASSERT_OK(StartAuth().status());
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse login, Login("alice", kAlicePassword));
  ASSERT_OK(WhoAmI(login.token()).status());
  v1::LogoutResponse out;
  ASSERT_TRUE(auth_->Logout(CallContext(login.token()).get(), {}, &out).ok());
  EXPECT_THAT(EventuallyStatus(absl::StatusCode::kUnauthenticated,
                               [&] { return WhoAmI(login.token()).status(); }),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  // Other sessions live on.
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse again, Login("alice", kAlicePassword));
  EXPECT_OK(WhoAmI(again.token()).status());
}

TEST_F(AuthIntegrationTest, AnotherServiceRejectsBadCredentialsWithTheExactCode) {
  ASSERT_OK_AND_ASSIGN(AuthServer * auth, StartAuth());
  ASSERT_OK_AND_ASSIGN(auto policy, StartPolicy(*auth));
  auto anonymous =
      NewStub<jit::policy::v1::PolicyService>(policy->address(), AnonymousCredentials());
  auto call_with = [&](const std::string& token) {
    jit::policy::v1::ListRolesResponse response;
    return FromGrpcStatus(anonymous->ListRoles(CallContext(token).get(), {}, &response));
  };

  // A real token is accepted (whatever policy then decides, it is not an authentication
  // failure). Policy may need a moment for its first revocation sync.
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse login, Login("alice", kAlicePassword));
  const absl::Status accepted = EventuallyStatus(absl::StatusCode::kOk, [&] {
    const absl::Status s = call_with(login.token());
    return absl::IsUnauthenticated(s) || absl::IsUnavailable(s) ? s : absl::OkStatus();
  });
  ASSERT_OK(accepted);

  // No token.
  EXPECT_THAT(call_with(""), ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  // Tokens minted with the real signing key: expired, and for another audience.
  const RealKey key = ReadSigningKey();
  const absl::Time now = absl::Now();
  EXPECT_THAT(
      call_with(Mint(key.kid, key.seed, "jit-access", now - absl::Hours(2), now - absl::Hours(1))),
      ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "token expired"));
  EXPECT_THAT(call_with(Mint(key.kid, key.seed, "another-deployment", now, now + absl::Hours(1))),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("audience")));
  // Forged: another key under the real kid.
  ASSERT_OK_AND_ASSIGN(SecretString forged_seed, crypto::GenerateEd25519Seed());
  EXPECT_THAT(call_with(Mint(key.kid, forged_seed, "jit-access", now, now + absl::Hours(1))),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature")));
  // A positive control for the minting: the same claims with the real key pass.
  EXPECT_FALSE(absl::IsUnauthenticated(
      call_with(Mint(key.kid, key.seed, "jit-access", now, now + absl::Hours(1)))));

  // A service certificate that the method's allowlist does not name.
  auto as_client =
      NewStub<jit::policy::v1::PolicyService>(policy->address(), ServiceCredentials("client"));
  jit::policy::v1::CheckRequestResponse check;
  EXPECT_EQ(as_client->CheckRequest(CallContext().get(), {}, &check).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A person's valid token on a services-only method.
  jit::policy::v1::CheckPermissionResponse permission;
  EXPECT_EQ(
      anonymous->CheckPermission(CallContext(login.token()).get(), {}, &permission).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // Logout at auth is honoured by the other service.
  v1::LogoutResponse out;
  ASSERT_TRUE(auth_->Logout(CallContext(login.token()).get(), {}, &out).ok());
  EXPECT_THAT(EventuallyStatus(absl::StatusCode::kUnauthenticated,
                               [&] { return call_with(login.token()); }),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));

  // Both services count what they saw, by result, with no user in the labels.
  ASSERT_OK_AND_ASSIGN(const std::string scrape, ScrapeMetrics(policy->metrics_port()));
  EXPECT_THAT(scrape, HasSubstr("jit_policy_token_verifications_total{result=\"expired\"} 1"));
  EXPECT_THAT(scrape, HasSubstr("jit_policy_token_verifications_total{result=\"revoked\"}"));
  EXPECT_THAT(scrape, ::testing::Not(HasSubstr("alice")));
  EXPECT_OK(jit::testkit::PromtoolCheck(scrape, "policy"));
}

// The kid in a token's header.
std::string KidOf(const std::string& token) {
  const std::string header = *crypto::Base64UrlDecode(token.substr(0, token.find('.')));
  return nlohmann::json::parse(header).value("kid", "");
}

TEST_F(AuthIntegrationTest, AdminVerbsAreDecidedByPolicy) {
  ASSERT_OK_AND_ASSIGN(AuthServer * auth, StartAuth({"--signing_key_publish_delay=6s"}));
  ASSERT_OK_AND_ASSIGN(auto policy, StartPolicy(*auth));
  ASSERT_OK_AND_ASSIGN(std::string code, auth->NextTotpCode("admin"));
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse admin, Login("admin", kAdminPassword, code));
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse alice, Login("alice", kAlicePassword));

  v1::CreateUserRequest create;
  create.mutable_user()->set_name("dave");
  create.mutable_user()->add_roles("dev");
  create.set_password("dave's initial password");
  v1::User created;
  EXPECT_EQ(auth_->CreateUser(CallContext(alice.token()).get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status s = auth_->CreateUser(CallContext(admin.token()).get(), create, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.name(), "dave");
  ASSERT_OK(Login("dave", "dave's initial password").status());

  v1::ListUsersResponse listed;
  ASSERT_TRUE(auth_->ListUsers(CallContext(admin.token()).get(), {}, &listed).ok());
  std::vector<std::string> names;
  for (const auto& u : listed.users()) names.push_back(u.name());
  EXPECT_THAT(names, ElementsAre("admin", "alice", "bob", "dave"));

  // New roles end the user's sessions: their tokens carry the old ones.
  v1::UpdateUserRequest update;
  update.mutable_user()->set_name("alice");
  update.mutable_user()->add_roles("dba");
  v1::User updated;
  ASSERT_TRUE(auth_->UpdateUser(CallContext(admin.token()).get(), update, &updated).ok());
  EXPECT_THAT(EventuallyStatus(absl::StatusCode::kUnauthenticated,
                               [&] { return WhoAmI(alice.token()).status(); }),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse alice_again, Login("alice", kAlicePassword));
  EXPECT_THAT(alice_again.identity().roles(), ElementsAre("dba"));

  // An admin ends someone else's session.
  v1::LogoutRequest logout;
  logout.set_session_id(alice_again.identity().session_id());
  v1::LogoutResponse out;
  EXPECT_EQ(auth_->Logout(CallContext(alice.token()).get(), logout, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);  // alice's first token is dead already
  ASSERT_TRUE(auth_->Logout(CallContext(admin.token()).get(), logout, &out).ok());
  EXPECT_THAT(EventuallyStatus(absl::StatusCode::kUnauthenticated,
                               [&] { return WhoAmI(alice_again.token()).status(); }),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));

  // Rotation: the new key is published at once and signs after the delay; tokens of both
  // keys verify at auth and at policy.
  v1::RotateSigningKeyResponse rotated;
  EXPECT_EQ(
      auth_->RotateSigningKey(CallContext(alice_again.token()).get(), {}, &rotated).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_OK_AND_ASSIGN(
      v1::LoginResponse bob_before,
      Login("bob", kBobPassword,
            *TotpCode(SecretString(*crypto::Base32Decode(kBobTotpBase32)), TotpStep(absl::Now()))));
  ASSERT_TRUE(auth_->RotateSigningKey(CallContext(admin.token()).get(), {}, &rotated).ok());
  v1::GetJwksResponse jwks;
  ASSERT_TRUE(auth_->GetJwks(CallContext().get(), {}, &jwks).ok());
  EXPECT_EQ(jwks.keys_size(), 2);
  EXPECT_THAT(jwks.jwks_json(), HasSubstr(rotated.kid()));
  absl::StatusOr<v1::LoginResponse> after;
  const absl::Status switched = EventuallyStatus(absl::StatusCode::kOk, [&]() -> absl::Status {
    after = Login("dave", "dave's initial password");
    if (!after.ok()) return after.status();
    return KidOf(after->token()) == rotated.kid() ? absl::OkStatus()
                                                  : absl::FailedPreconditionError("old kid");
  });
  ASSERT_OK(switched);
  EXPECT_NE(KidOf(bob_before.token()), rotated.kid());
  auto policy_stub =
      NewStub<jit::policy::v1::PolicyService>(policy->address(), AnonymousCredentials());
  for (const std::string& token : {bob_before.token(), after->token()}) {
    EXPECT_OK(WhoAmI(token).status());
    jit::policy::v1::ListRolesResponse roles;
    const grpc::StatusCode code =
        policy_stub->ListRoles(CallContext(token).get(), {}, &roles).error_code();
    EXPECT_NE(code, grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_NE(code, grpc::StatusCode::UNAVAILABLE);
  }

  v1::DeleteUserRequest remove;
  remove.set_name("dave");
  v1::DeleteUserResponse removed;
  ASSERT_TRUE(auth_->DeleteUser(CallContext(admin.token()).get(), remove, &removed).ok());
  EXPECT_THAT(Login("dave", "dave's initial password"),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthIntegrationTest, AdminVerbsFailClosedWhenPolicyIsDown) {
  ASSERT_OK(StartAuth().status());  // --policy_addr points at a port nobody listens on
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse login, Login("alice", kAlicePassword));
  v1::ListUsersResponse users;
  EXPECT_EQ(auth_->ListUsers(CallContext(login.token()).get(), {}, &users).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  v1::CreateUserRequest create;
  create.mutable_user()->set_name("eve");
  v1::User created;
  EXPECT_EQ(auth_->CreateUser(CallContext(login.token()).get(), create, &created).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Reading oneself needs no policy.
  v1::GetUserRequest self;
  self.set_name("alice");
  v1::User me;
  ASSERT_TRUE(auth_->GetUser(CallContext(login.token()).get(), self, &me).ok());
  EXPECT_EQ(me.origin(), "local");
  // Without a token, user RPCs are refused before any of that.
  EXPECT_EQ(auth_->GetUser(CallContext().get(), self, &me).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthIntegrationTest, OidcCodeFlowThroughTheBinary) {
  ASSERT_OK_AND_ASSIGN(auto provider, FakeOidcProvider::Start({.clock = &RealClock::Get()}));
  provider->SetClaims({{"email", "carol@example.com"},
                       {"email_verified", true},
                       {"groups", {"team-payments", "auditors"}},
                       {"amr", {"pwd", "hwk"}}});
  ASSERT_OK_AND_ASSIGN(const std::string dir, jit::testkit::MakeTestDir("oidc"));
  ASSERT_OK(WriteTestFile(dir + "/oidc.secret", "provider-s3cret\n"));
  ASSERT_OK(WriteTestFile(dir + "/oidc.yaml", absl::StrCat(R"(
connectors:
  - name: corp
    issuer: )",
                                                           provider->issuer(), R"(
    client_id: jit-test-client
    client_secret_file: oidc.secret
    redirect_url: https://jit.example.com/oidc/callback
    claims_to_roles:
      - {claim: groups, value: "team-*", roles: [dev]}
      - {claim: groups, value: auditors, roles: [auditor]}
    claims_to_traits:
      - {claim: email, trait: logins, value: "^([^@]+)@.*$"}
      - {claim: groups, trait: kubernetes_groups}
    insecure_allow_loopback_http: true
)")));
  ASSERT_OK_AND_ASSIGN(AuthServer * auth,
                       StartAuth({"--oidc_connectors_file=" + dir + "/oidc.yaml"}));

  // The CLI's loopback listener would receive the redirect.
  v1::BeginOidcLoginRequest begin;
  begin.set_redirect_url("http://127.0.0.1:53682/callback");
  v1::BeginOidcLoginResponse started;
  ASSERT_TRUE(auth_->BeginOidcLogin(CallContext().get(), begin, &started).ok());
  EXPECT_THAT(started.authorization_url(), HasSubstr(provider->issuer() + "/authorize?"));
  // Beginning logins stores nothing, however many there are.
  for (int i = 0; i < 50; ++i) {
    v1::BeginOidcLoginResponse ignored;
    ASSERT_TRUE(auth_->BeginOidcLogin(CallContext().get(), begin, &ignored).ok());
  }
  EXPECT_EQ(UsedOidcStates(), 0);
  // The browser: the provider authenticates and redirects to the loopback URL.
  auto http = *http::CurlHttpClient::Create({.allow_loopback_http = true});
  ASSERT_OK_AND_ASSIGN(http::HttpResponse redirect, http->Get(started.authorization_url()));
  ASSERT_EQ(redirect.status, 302) << redirect.body;
  EXPECT_THAT(redirect.location, ::testing::StartsWith("http://127.0.0.1:53682/callback?"));
  v1::CompleteOidcLoginRequest complete;
  complete.set_code(*http::QueryParameter(redirect.location, "code"));
  complete.set_state(*http::QueryParameter(redirect.location, "state"));
  v1::LoginResponse login;
  grpc::Status done = auth_->CompleteOidcLogin(CallContext().get(), complete, &login);
  ASSERT_TRUE(done.ok()) << done.error_message();

  ASSERT_OK_AND_ASSIGN(Identity me, WhoAmI(login.token()));
  EXPECT_EQ(me.name(), "carol@example.com");
  EXPECT_THAT(me.roles(), ElementsAre("auditor", "dev"));
  EXPECT_THAT(me.traits().at("logins").values(), ElementsAre("carol"));
  EXPECT_THAT(me.traits().at("kubernetes_groups").values(),
              ElementsAre("team-payments", "auditors"));
  EXPECT_TRUE(me.mfa_verified());
  EXPECT_EQ(me.auth_method(), "oidc:corp");
  // The state was single use: recorded once the login completed.
  EXPECT_EQ(UsedOidcStates(), 1);
  EXPECT_EQ(auth_->CompleteOidcLogin(CallContext().get(), complete, &login).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(ScrapeMetrics(auth->metrics_port()).value_or(""),
              HasSubstr("jit_auth_logins_total{method=\"oidc\",result=\"success\"} 1"));
  EXPECT_OK(auth->Stop());  // before the provider it may still be connected to
}

TEST_F(AuthIntegrationTest, SigningKeysNeedTheirKeyEncryptionKey) {
  {
    ASSERT_OK_AND_ASSIGN(AuthServer * auth, StartAuth());
    ASSERT_OK(Login("alice", kAlicePassword).status());
    EXPECT_OK(auth->Stop());
  }
  // The same database with another KEK: start-up stops with a clear reason.
  ASSERT_OK_AND_ASSIGN(auto other, crypto::KeyEncryptionKey::Generate());
  AuthOptions options = Options();
  options.users.clear();
  options.key_encryption_key_base64 = crypto::Base64Encode(other->key().Reveal());
  ASSERT_OK_AND_ASSIGN(auto wrong, AuthServer::Start(std::move(options)));
  EXPECT_THAT(wrong->process().WaitExit(absl::Seconds(60)), IsOkAndHolds(1));
  EXPECT_THAT(wrong->process().Output(), HasSubstr("another key-encryption key"));
  // And none at all is a configuration error naming the flag.
  ASSERT_OK_AND_ASSIGN(auto missing,
                       ServiceProcess::Start({.service = "auth", .db_url = db().conninfo()}));
  EXPECT_THAT(missing->WaitExit(absl::Seconds(60)), IsOkAndHolds(2));
  EXPECT_THAT(missing->Output(), HasSubstr("key_encryption_key_file"));
}

}  // namespace
}  // namespace jit::auth
