// The real jit-auth binary against the real PostgreSQL (tests/run.sh provides it), with a
// real jit-policy as "another service" verifying auth's tokens, and a real OpenID provider
// on loopback for single sign-on. Outcomes are asserted; where propagation takes time (a
// Logout reaching another service) the test polls with a generous deadline.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/crypto/base32.h"
#include "common/crypto/base64.h"
#include "common/crypto/ed25519.h"
#include "common/db/testing/test_database.h"
#include "common/http/http_client.h"
#include "common/jwt/session_token.h"
#include "common/server/tls.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "curl/curl.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "pqxx/pqxx"
#include "services/auth/key_encryption.h"
#include "services/auth/oidc/fake_oidc_provider.h"
#include "services/auth/totp.h"

namespace jit::auth {
namespace {

using ::jit::auth::oidc::testing::FakeOidcProvider;
using ::jit::common::v1::Identity;
using ::jit::testing::IsOk;
using ::jit::testing::IsOkAndHolds;
using ::jit::testing::PickUnusedPort;
using ::jit::testing::RunfilePath;
using ::jit::testing::Subprocess;
using ::jit::testing::TestTempPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAlicePassword[] = "alice's password, long enough";
constexpr char kBobPassword[] = "bob's password, long enough";
constexpr char kAdminPassword[] = "the admin's password, long";
constexpr char kBobTotpBase32[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";  // "1234567890" x 2
const absl::Duration kPatience = absl::Seconds(30);

void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0600) {
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
}

std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const std::string& pki_name) {
  absl::StatusOr<server::TlsMaterial> tls =
      server::LoadTlsMaterial(jit::testing::TestTlsFiles(pki_name));
  return server::MakeChannelCredentials(*tls);
}

// TLS without a client certificate: a person's CLI.
std::shared_ptr<grpc::ChannelCredentials> AnonymousCredentials() {
  absl::StatusOr<server::TlsMaterial> tls =
      server::LoadTlsMaterial(jit::testing::TestTlsFiles("client"));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls->ca_pem;
  return grpc::SslCredentials(options);
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

bool WaitServing(int port, absl::Duration timeout) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::StrCat("localhost:", port), ClientCredentials("client")));
  grpc::ClientContext ctx;
  ctx.set_wait_for_ready(true);
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&ctx, {}, &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string Scrape(int port) {
  std::string body;
  CURL* curl = curl_easy_init();
  const std::string url = absl::StrCat("http://127.0.0.1:", port, "/metrics");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return body;
}

// A running service binary.
struct Service {
  std::unique_ptr<Subprocess> process;
  int port = 0;
  int metrics_port = 0;
  std::string address() const { return absl::StrCat("localhost:", port); }
};

class AuthIntegrationTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    dir_ = TestTempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700) == 0 || errno == EEXIST, true);
    kek_file_ = dir_ + "/kek";
    ASSERT_OK_AND_ASSIGN(kek_, KeyEncryptionKey::Generate());
    WriteFile(kek_file_, crypto::Base64Encode(kek_->key().Reveal()) + "\n");
    WriteFile(dir_ + "/alice.password", std::string(kAlicePassword) + "\n");
    WriteFile(dir_ + "/bob.password", std::string(kBobPassword) + "\n");
    WriteFile(dir_ + "/bob.totp", std::string(kBobTotpBase32) + "\n");
    WriteFile(dir_ + "/users.yaml", R"(
users:
  - name: alice
    roles: [dev]
    traits: {logins: [alice]}
    password_file: alice.password
  - name: bob
    roles: [dba]
    traits: {db_users: [bob]}
    password_file: bob.password
    totp_secret_file: bob.totp
  - name: admin
    roles: [admin]
    password_file: admin.password
)");
    WriteFile(dir_ + "/admin.password", std::string(kAdminPassword) + "\n");
    policy_port_ = PickUnusedPort();  // where jit-policy listens, if a test starts it
  }

  std::vector<std::string> CommonArgs(const std::string& service, int port, int metrics_port) {
    const server::TlsFiles tls = jit::testing::TestTlsFiles(service);
    return {RunfilePath(absl::StrCat("services/", service, "/jit-", service)),
            absl::StrCat("--listen_addr=127.0.0.1:", port),
            absl::StrCat("--metrics_addr=127.0.0.1:", metrics_port),
            "--tls_cert_file=" + tls.cert_file,
            "--tls_key_file=" + tls.key_file,
            "--tls_ca_file=" + tls.ca_file,
            "--db_url=" + db().conninfo(),
            "--db_pool_size=4",
            "--drain_timeout=2s",
            "--rpc_timeout=3s",
            absl::StrCat("--policy_addr=localhost:", policy_port_)};
  }

  Service StartAuth(std::vector<std::string> extra = {}) {
    Service s{.port = PickUnusedPort(), .metrics_port = PickUnusedPort()};
    std::vector<std::string> args = CommonArgs("auth", s.port, s.metrics_port);
    args.push_back("--key_encryption_key_file=" + kek_file_);
    args.push_back("--bootstrap_users_file=" + dir_ + "/users.yaml");
    for (auto& e : extra) args.push_back(e);
    auto p = Subprocess::Start(args, dir_ + absl::StrCat("/auth-", s.port, ".log"));
    EXPECT_THAT(p, IsOk());
    s.process = *std::move(p);
    EXPECT_TRUE(WaitServing(s.port, absl::Seconds(60))) << s.process->Output();
    auth_ = v1::AuthService::NewStub(grpc::CreateChannel(s.address(), AnonymousCredentials()));
    return s;
  }

  Service StartPolicy(const Service& auth) {
    Service s{.port = policy_port_, .metrics_port = PickUnusedPort()};
    std::vector<std::string> args = CommonArgs("policy", s.port, s.metrics_port);
    args.push_back("--auth_addr=" + auth.address());
    // The example roles of the local constellation: dev, dba, admin (every verb).
    args.push_back("--roles_dir=" + RunfilePath("deploy/local/examples/roles"));
    auto p = Subprocess::Start(args, dir_ + "/policy.log");
    EXPECT_THAT(p, IsOk());
    s.process = *std::move(p);
    EXPECT_TRUE(WaitServing(s.port, absl::Seconds(60))) << s.process->Output();
    return s;
  }

  absl::StatusOr<v1::LoginResponse> Login(const std::string& user, const std::string& password,
                                          const std::string& code = "") {
    v1::LoginRequest request;
    request.set_username(user);
    request.set_password(password);
    request.set_totp_code(code);
    v1::LoginResponse response;
    grpc::Status s = auth_->Login(Context().get(), request, &response);
    if (!s.ok()) return FromGrpc(s);
    return response;
  }

  absl::StatusOr<Identity> WhoAmI(const std::string& token) {
    v1::WhoAmIResponse response;
    grpc::Status s = auth_->WhoAmI(Context(token).get(), {}, &response);
    if (!s.ok()) return FromGrpc(s);
    return response.identity();
  }

  static absl::Status FromGrpc(const grpc::Status& s) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }

  // Polls `call` until it returns `code` or the patience runs out; the last status.
  template <typename Fn>
  absl::Status PollUntil(absl::StatusCode code, Fn call) {
    const absl::Time deadline = absl::Now() + kPatience;
    absl::Status last;
    do {
      last = call();
      if (last.code() == code) return last;
      absl::SleepFor(absl::Milliseconds(100));
    } while (absl::Now() < deadline);
    return last;
  }

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

  std::string dir_;
  std::string kek_file_;
  std::unique_ptr<KeyEncryptionKey> kek_;
  int policy_port_ = 0;
  std::unique_ptr<v1::AuthService::Stub> auth_;
};

TEST_F(AuthIntegrationTest, LoginGivesATokenThatWhoAmIResolves) {
  Service auth = StartAuth();
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
  auto as_service =
      v1::AuthService::NewStub(grpc::CreateChannel(auth.address(), ClientCredentials("requests")));
  v1::WhoAmIResponse service;
  ASSERT_TRUE(as_service->WhoAmI(Context().get(), {}, &service).ok());
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
  Service auth = StartAuth({"--lockout_max_failures=3"});
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
  const std::string scrape = Scrape(auth.metrics_port);
  EXPECT_THAT(scrape, HasSubstr("jit_auth_logins_total{method=\"local\",result=\"failure\"} 4"));
  EXPECT_THAT(scrape, HasSubstr("jit_auth_logins_total{method=\"local\",result=\"locked\"} 1"));
}

TEST_F(AuthIntegrationTest, TotpEnrollmentConfirmationAndLogin) {
  Service auth = StartAuth();
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
  ASSERT_TRUE(auth_->EnrollTotp(Context(alice.token()).get(), {}, &enrolled).ok());
  EXPECT_THAT(enrolled.otpauth_uri(), HasSubstr("otpauth://totp/jit-access:alice?"));
  const SecretString secret(*crypto::Base32Decode(enrolled.secret_base32()));
  // Not active before confirmation.
  ASSERT_OK(Login("alice", kAlicePassword).status());
  v1::ConfirmTotpRequest confirm;
  confirm.set_code(*TotpCode(secret, TotpStep(absl::Now())));
  v1::ConfirmTotpResponse confirmed;
  ASSERT_TRUE(auth_->ConfirmTotp(Context(alice.token()).get(), confirm, &confirmed).ok());
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
  Service auth = StartAuth();
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse login, Login("alice", kAlicePassword));
  ASSERT_OK(WhoAmI(login.token()).status());
  v1::LogoutResponse out;
  ASSERT_TRUE(auth_->Logout(Context(login.token()).get(), {}, &out).ok());
  EXPECT_THAT(
      PollUntil(absl::StatusCode::kUnauthenticated, [&] { return WhoAmI(login.token()).status(); }),
      ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  // Other sessions live on.
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse again, Login("alice", kAlicePassword));
  EXPECT_OK(WhoAmI(again.token()).status());
}

TEST_F(AuthIntegrationTest, AnotherServiceRejectsBadCredentialsWithTheExactCode) {
  Service auth = StartAuth();
  Service policy = StartPolicy(auth);
  auto anonymous = jit::policy::v1::PolicyService::NewStub(
      grpc::CreateChannel(policy.address(), AnonymousCredentials()));
  auto call_with = [&](const std::string& token) {
    jit::policy::v1::ListRolesResponse response;
    return FromGrpc(anonymous->ListRoles(Context(token).get(), {}, &response));
  };

  // A real token is accepted (whatever policy then decides, it is not an authentication
  // failure). Policy may need a moment for its first revocation sync.
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse login, Login("alice", kAlicePassword));
  const absl::Status accepted = PollUntil(absl::StatusCode::kOk, [&] {
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
  auto as_client = jit::policy::v1::PolicyService::NewStub(
      grpc::CreateChannel(policy.address(), ClientCredentials("client")));
  jit::policy::v1::CheckRequestResponse check;
  EXPECT_EQ(as_client->CheckRequest(Context().get(), {}, &check).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A person's valid token on a services-only method.
  jit::policy::v1::CheckPermissionResponse permission;
  EXPECT_EQ(anonymous->CheckPermission(Context(login.token()).get(), {}, &permission).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Logout at auth is honoured by the other service.
  v1::LogoutResponse out;
  ASSERT_TRUE(auth_->Logout(Context(login.token()).get(), {}, &out).ok());
  EXPECT_THAT(
      PollUntil(absl::StatusCode::kUnauthenticated, [&] { return call_with(login.token()); }),
      ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));

  // Both services count what they saw, by result, with no user in the labels.
  const std::string scrape = Scrape(policy.metrics_port);
  EXPECT_THAT(scrape, HasSubstr("jit_policy_token_verifications_total{result=\"expired\"} 1"));
  EXPECT_THAT(scrape, HasSubstr("jit_policy_token_verifications_total{result=\"revoked\"}"));
  EXPECT_THAT(scrape, ::testing::Not(HasSubstr("alice")));
  const std::string path = dir_ + "/policy-scrape.txt";
  WriteFile(path, scrape, 0644);
  auto [rc, promtool] = jit::testing::RunShell("/usr/bin/promtool check metrics < " + path);
  EXPECT_EQ(rc, 0) << promtool;
}

// The kid in a token's header.
std::string KidOf(const std::string& token) {
  const std::string header = *crypto::Base64UrlDecode(token.substr(0, token.find('.')));
  return nlohmann::json::parse(header).value("kid", "");
}

TEST_F(AuthIntegrationTest, AdminVerbsAreDecidedByPolicy) {
  Service auth = StartAuth({"--signing_key_publish_delay=6s"});
  Service policy = StartPolicy(auth);
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse admin, Login("admin", kAdminPassword));
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse alice, Login("alice", kAlicePassword));

  v1::CreateUserRequest create;
  create.mutable_user()->set_name("dave");
  create.mutable_user()->add_roles("dev");
  create.set_password("dave's initial password");
  v1::User created;
  EXPECT_EQ(auth_->CreateUser(Context(alice.token()).get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status s = auth_->CreateUser(Context(admin.token()).get(), create, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.name(), "dave");
  ASSERT_OK(Login("dave", "dave's initial password").status());

  v1::ListUsersResponse listed;
  ASSERT_TRUE(auth_->ListUsers(Context(admin.token()).get(), {}, &listed).ok());
  std::vector<std::string> names;
  for (const auto& u : listed.users()) names.push_back(u.name());
  EXPECT_THAT(names, ElementsAre("admin", "alice", "bob", "dave"));

  // New roles end the user's sessions: their tokens carry the old ones.
  v1::UpdateUserRequest update;
  update.mutable_user()->set_name("alice");
  update.mutable_user()->add_roles("dba");
  v1::User updated;
  ASSERT_TRUE(auth_->UpdateUser(Context(admin.token()).get(), update, &updated).ok());
  EXPECT_THAT(
      PollUntil(absl::StatusCode::kUnauthenticated, [&] { return WhoAmI(alice.token()).status(); }),
      ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse alice_again, Login("alice", kAlicePassword));
  EXPECT_THAT(alice_again.identity().roles(), ElementsAre("dba"));

  // An admin ends someone else's session.
  v1::LogoutRequest logout;
  logout.set_session_id(alice_again.identity().session_id());
  v1::LogoutResponse out;
  EXPECT_EQ(auth_->Logout(Context(alice.token()).get(), logout, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);  // alice's first token is dead already
  ASSERT_TRUE(auth_->Logout(Context(admin.token()).get(), logout, &out).ok());
  EXPECT_THAT(PollUntil(absl::StatusCode::kUnauthenticated,
                        [&] { return WhoAmI(alice_again.token()).status(); }),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));

  // Rotation: the new key is published at once and signs after the delay; tokens of both
  // keys verify at auth and at policy.
  v1::RotateSigningKeyResponse rotated;
  EXPECT_EQ(auth_->RotateSigningKey(Context(alice_again.token()).get(), {}, &rotated).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_OK_AND_ASSIGN(
      v1::LoginResponse bob_before,
      Login("bob", kBobPassword,
            *TotpCode(SecretString(*crypto::Base32Decode(kBobTotpBase32)), TotpStep(absl::Now()))));
  ASSERT_TRUE(auth_->RotateSigningKey(Context(admin.token()).get(), {}, &rotated).ok());
  v1::GetJwksResponse jwks;
  ASSERT_TRUE(auth_->GetJwks(Context().get(), {}, &jwks).ok());
  EXPECT_EQ(jwks.keys_size(), 2);
  EXPECT_THAT(jwks.jwks_json(), HasSubstr(rotated.kid()));
  absl::StatusOr<v1::LoginResponse> after;
  const absl::Status switched = PollUntil(absl::StatusCode::kOk, [&]() -> absl::Status {
    after = Login("dave", "dave's initial password");
    if (!after.ok()) return after.status();
    return KidOf(after->token()) == rotated.kid() ? absl::OkStatus()
                                                  : absl::FailedPreconditionError("old kid");
  });
  ASSERT_OK(switched);
  EXPECT_NE(KidOf(bob_before.token()), rotated.kid());
  auto policy_stub = jit::policy::v1::PolicyService::NewStub(
      grpc::CreateChannel(policy.address(), AnonymousCredentials()));
  for (const std::string& token : {bob_before.token(), after->token()}) {
    EXPECT_OK(WhoAmI(token).status());
    jit::policy::v1::ListRolesResponse roles;
    const grpc::StatusCode code =
        policy_stub->ListRoles(Context(token).get(), {}, &roles).error_code();
    EXPECT_NE(code, grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_NE(code, grpc::StatusCode::UNAVAILABLE);
  }

  v1::DeleteUserRequest remove;
  remove.set_name("dave");
  v1::DeleteUserResponse removed;
  ASSERT_TRUE(auth_->DeleteUser(Context(admin.token()).get(), remove, &removed).ok());
  EXPECT_THAT(Login("dave", "dave's initial password"),
              ::jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthIntegrationTest, AdminVerbsFailClosedWhenPolicyIsDown) {
  Service auth = StartAuth();  // --policy_addr points at a port nobody listens on
  ASSERT_OK_AND_ASSIGN(v1::LoginResponse login, Login("alice", kAlicePassword));
  v1::ListUsersResponse users;
  EXPECT_EQ(auth_->ListUsers(Context(login.token()).get(), {}, &users).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  v1::CreateUserRequest create;
  create.mutable_user()->set_name("eve");
  v1::User created;
  EXPECT_EQ(auth_->CreateUser(Context(login.token()).get(), create, &created).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Reading oneself needs no policy.
  v1::GetUserRequest self;
  self.set_name("alice");
  v1::User me;
  ASSERT_TRUE(auth_->GetUser(Context(login.token()).get(), self, &me).ok());
  EXPECT_EQ(me.origin(), "local");
  // Without a token, user RPCs are refused before any of that.
  EXPECT_EQ(auth_->GetUser(Context().get(), self, &me).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::JoinServiceResponse join;
  EXPECT_EQ(auth_->JoinService(Context().get(), {}, &join).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(AuthIntegrationTest, OidcCodeFlowThroughTheBinary) {
  ASSERT_OK_AND_ASSIGN(auto provider, FakeOidcProvider::Start({.clock = &RealClock::Get()}));
  provider->SetClaims({{"email", "carol@example.com"},
                       {"email_verified", true},
                       {"groups", {"team-payments", "auditors"}},
                       {"amr", {"pwd", "hwk"}}});
  WriteFile(dir_ + "/oidc.secret", "provider-s3cret\n");
  WriteFile(dir_ + "/oidc.yaml", absl::StrCat(R"(
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
)"));
  Service auth = StartAuth({"--oidc_connectors_file=" + dir_ + "/oidc.yaml"});

  // The CLI's loopback listener would receive the redirect.
  v1::BeginOidcLoginRequest begin;
  begin.set_redirect_url("http://127.0.0.1:53682/callback");
  v1::BeginOidcLoginResponse started;
  ASSERT_TRUE(auth_->BeginOidcLogin(Context().get(), begin, &started).ok());
  EXPECT_THAT(started.authorization_url(), HasSubstr(provider->issuer() + "/authorize?"));
  // The browser: the provider authenticates and redirects to the loopback URL.
  auto http = *http::CurlHttpClient::Create({.allow_loopback_http = true});
  ASSERT_OK_AND_ASSIGN(http::HttpResponse redirect, http->Get(started.authorization_url()));
  ASSERT_EQ(redirect.status, 302) << redirect.body;
  EXPECT_THAT(redirect.location, ::testing::StartsWith("http://127.0.0.1:53682/callback?"));
  v1::CompleteOidcLoginRequest complete;
  complete.set_code(*http::QueryParameter(redirect.location, "code"));
  complete.set_state(*http::QueryParameter(redirect.location, "state"));
  v1::LoginResponse login;
  grpc::Status done = auth_->CompleteOidcLogin(Context().get(), complete, &login);
  ASSERT_TRUE(done.ok()) << done.error_message();

  ASSERT_OK_AND_ASSIGN(Identity me, WhoAmI(login.token()));
  EXPECT_EQ(me.name(), "carol@example.com");
  EXPECT_THAT(me.roles(), ElementsAre("auditor", "dev"));
  EXPECT_THAT(me.traits().at("logins").values(), ElementsAre("carol"));
  EXPECT_THAT(me.traits().at("kubernetes_groups").values(),
              ElementsAre("team-payments", "auditors"));
  EXPECT_TRUE(me.mfa_verified());
  EXPECT_EQ(me.auth_method(), "oidc:corp");
  // The state was single use.
  EXPECT_EQ(auth_->CompleteOidcLogin(Context().get(), complete, &login).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(Scrape(auth.metrics_port),
              HasSubstr("jit_auth_logins_total{method=\"oidc\",result=\"success\"} 1"));
}

TEST_F(AuthIntegrationTest, SigningKeysNeedTheirKeyEncryptionKey) {
  {
    Service auth = StartAuth();
    ASSERT_OK(Login("alice", kAlicePassword).status());
    auth.process->Signal(SIGTERM);
    EXPECT_THAT(auth.process->Wait(absl::Seconds(30)), IsOkAndHolds(0));
  }
  // The same database with another KEK: start-up stops with a clear reason.
  ASSERT_OK_AND_ASSIGN(auto other, KeyEncryptionKey::Generate());
  WriteFile(kek_file_, crypto::Base64Encode(other->key().Reveal()) + "\n");
  std::vector<std::string> args = CommonArgs("auth", PickUnusedPort(), PickUnusedPort());
  args.push_back("--key_encryption_key_file=" + kek_file_);
  auto wrong = Subprocess::Start(args, dir_ + "/wrong-kek.log");
  ASSERT_THAT(wrong, IsOk());
  EXPECT_THAT((*wrong)->Wait(absl::Seconds(60)), IsOkAndHolds(1));
  EXPECT_THAT((*wrong)->Output(), HasSubstr("another key-encryption key"));
  // And none at all is a configuration error naming the flag.
  args.pop_back();
  auto missing = Subprocess::Start(args, dir_ + "/no-kek.log");
  ASSERT_THAT(missing, IsOk());
  EXPECT_THAT((*missing)->Wait(absl::Seconds(60)), IsOkAndHolds(2));
  EXPECT_THAT((*missing)->Output(), HasSubstr("key_encryption_key_file"));
}

}  // namespace
}  // namespace jit::auth
