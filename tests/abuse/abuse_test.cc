// The adversarial probe of issue 16, against the real binaries: jit-auth and jit-policy (and,
// for the input rows, jit-requests, jit-ca and jit-audit) on a real PostgreSQL (tests/run.sh
// provides it), called from outside as an attacker or a careless client would. Each defect of the
// issue has a test here that failed before its fix; the input checks are tables of rows (service,
// method, request), so each new service's RPCs are added as rows (kBadTextRows, kOversizedEchoRows)
// as they land.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/client/channel_args.h"
#include "common/crypto/base32.h"
#include "common/db/testing/test_database.h"
#include "common/jwt/session_token.h"
#include "common/jwt/testing/identity_of_size.h"
#include "common/secret.h"
#include "common/status_matchers.h"
#include "common/testing/raw_call.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/policy/v1/policy.grpc.pb.h"
#include "services/auth/totp.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/metrics_scrape.h"
#include "tests/integration/testkit/service_process.h"

namespace jit::abuse {
namespace {

using ::jit::common::v1::Identity;
using ::jit::testing::PickUnusedPort;
using ::jit::testing::RunfilePath;
using ::jit::testing::TestTempPath;
using ::jit::testkit::AnonymousCredentials;
using ::jit::testkit::AuthOptions;
using ::jit::testkit::AuthServer;
using ::jit::testkit::CallContext;
using ::jit::testkit::NewStub;
using ::jit::testkit::ServiceCredentials;
using ::jit::testkit::ServiceProcess;
using ::testing::HasSubstr;

constexpr char kAdminPassword[] = "the admin's password, long";
constexpr char kAlicePassword[] = "alice's password, long enough";
constexpr char kAdminTotpBase32[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
constexpr char kOpsPassword[] = "ops's password, long enough";

// jit-auth (users admin with TOTP, alice) and jit-policy with the example roles, on this
// test's database.
class AbuseTest : public db::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    const int policy_port = PickUnusedPort();
    AuthOptions options{.db_url = db().conninfo(),
                        .users = {{.name = "admin",
                                   .roles = {"admin"},
                                   .password = kAdminPassword,
                                   .totp_secret_base32 = kAdminTotpBase32},
                                  {.name = "alice",
                                   .roles = {"dev"},
                                   .password = kAlicePassword,
                                   .traits = {{"logins", {"alice"}}}},
                                  // An administrator without a second factor.
                                  {.name = "ops", .roles = {"admin"}, .password = kOpsPassword}},
                        .peers = {{"policy", absl::StrCat("localhost:", policy_port)}},
                        .flags = auth_flags_};
    absl::StatusOr<std::unique_ptr<AuthServer>> auth = AuthServer::StartServing(options);
    ASSERT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
    absl::StatusOr<std::unique_ptr<ServiceProcess>> policy = StartPolicy({}, policy_port);
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *std::move(policy);
  }

  // A jit-policy replica verifying auth's tokens, with the example roles and `flags`.
  absl::StatusOr<std::unique_ptr<ServiceProcess>> StartPolicy(std::vector<std::string> flags,
                                                              int port = 0) {
    flags.push_back("--roles_dir=" + RunfilePath("deploy/local/examples/roles"));
    return ServiceProcess::StartServing({.service = "policy",
                                         .db_url = db().conninfo(),
                                         .peers = {{"auth", auth_->address()}},
                                         .flags = std::move(flags),
                                         .port = port});
  }

  // The admin's token (password and TOTP).
  std::string AdminToken() {
    absl::StatusOr<std::string> token = auth_->LoginToken("admin");
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }

  std::string AliceToken() {
    absl::StatusOr<std::string> token = auth_->LoginToken("alice");
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }

  std::vector<std::string> auth_flags_;  // extra jit-auth flags, set before SetUp
  std::unique_ptr<AuthServer> auth_;
  std::unique_ptr<ServiceProcess> policy_;
};

// A token check at a jit-policy replica: OK when it accepts `token` (ListRoles answered or
// refused for lack of permission), else the refusal (UNAUTHENTICATED, UNAVAILABLE).
absl::Status TokenCheck(const ServiceProcess& policy, const std::string& token) {
  auto stub = NewStub<jit::policy::v1::PolicyService>(policy.address(), AnonymousCredentials());
  jit::policy::v1::ListRolesResponse roles;
  const grpc::Status s = stub->ListRoles(CallContext(token).get(), {}, &roles);
  // PERMISSION_DENIED is an answer about the verified identity ("<user>" may not list
  // roles): the token itself was accepted.
  if (s.error_code() == grpc::StatusCode::PERMISSION_DENIED) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

// --- Defect 1: the login flood ---------------------------------------------------------

// jit-auth with small budgets, so that the short mode floods several times the hash
// capacity and more calls than the server has threads.
class LoginFloodTest : public AbuseTest {
 protected:
  LoginFloodTest() {
    auth_flags_ = {"--max_threads=24", "--max_concurrent_password_hashes=2",
                   "--max_queued_password_hashes=4", "--max_logins_per_source=4"};
  }
};

// 32 clients flood Login with wrong passwords (16 times the hash capacity, more than auth's
// threads) for 8 s while a service keeps calling ListRevokedSessions and a strict policy
// replica keeps verifying a token: the logins are shed with RESOURCE_EXHAUSTED, the service
// calls all succeed, and the feed stays fresh (no UNAVAILABLE token check).
TEST_F(LoginFloodTest, AnonymousLoginFloodDoesNotStarveTheRevocationFeed) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServiceProcess> strict,
                       StartPolicy({"--revocation_mode=strict"}));
  const std::string token = AliceToken();
  ASSERT_OK(
      testkit::EventuallyStatus(absl::StatusCode::kOk, [&] { return TokenCheck(*strict, token); }));

  std::atomic<bool> stop{false};
  std::atomic<int> shed{0}, unavailable{0}, other{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 32; ++t) {
    flood.emplace_back([&, t] {
      auto stub = NewStub<jit::auth::v1::AuthService>(auth_->address(), AnonymousCredentials());
      for (int i = 0; !stop.load(); ++i) {
        jit::auth::v1::LoginRequest login;
        login.set_username(absl::StrCat("flood", t, "-", i));  // no lockout short-cut
        login.set_password("not anybody's password");
        jit::auth::v1::LoginResponse out;
        const grpc::StatusCode code =
            stub->Login(CallContext("", absl::Seconds(30)).get(), login, &out).error_code();
        if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          shed.fetch_add(1);
        } else if (code == grpc::StatusCode::UNAVAILABLE) {
          unavailable.fetch_add(1);
        } else if (code != grpc::StatusCode::UNAUTHENTICATED) {
          other.fetch_add(1);
        }
      }
    });
  }
  auto feed = NewStub<jit::auth::v1::AuthService>(auth_->address(), ServiceCredentials("policy"));
  int feed_calls = 0, feed_failures = 0, checks = 0, refused_checks = 0;
  std::string first_failure;
  const absl::Time end = absl::Now() + absl::Seconds(8);  // the short mode's whole duration
  while (absl::Now() < end) {
    jit::auth::v1::ListRevokedSessionsResponse revoked;
    const grpc::Status s = feed->ListRevokedSessions(CallContext().get(), {}, &revoked);
    ++feed_calls;
    if (!s.ok()) {
      ++feed_failures;
      if (first_failure.empty()) first_failure = s.error_message();
    }
    ++checks;
    if (absl::Status check = TokenCheck(*strict, token); !check.ok()) {
      ++refused_checks;
      if (first_failure.empty()) first_failure = std::string(check.message());
    }
    absl::SleepFor(absl::Milliseconds(100));  // a probe's pace, not a timing assertion
  }
  stop.store(true);
  for (std::thread& t : flood) t.join();

  EXPECT_GT(shed.load(), 0) << "the flood never saturated password hashing";
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(feed_failures, 0) << feed_calls << " feed calls; first failure: " << first_failure;
  EXPECT_EQ(refused_checks, 0) << checks << " token checks; first failure: " << first_failure;
}

// --- Defect 2: require_mfa on admin actions -----------------------------------------------

// The example admin role says require_mfa: true. A password-only session of a user holding it
// administers nothing, at auth (users) and at policy (roles); with MFA it does.
TEST_F(AbuseTest, PasswordOnlyAdminSessionAdministersNothing) {
  ASSERT_OK_AND_ASSIGN(std::string ops, auth_->LoginToken("ops"));
  jit::auth::v1::CreateUserRequest create;
  create.mutable_user()->set_name("mallory");
  create.set_password("mallory's password, long");
  jit::auth::v1::User created;
  grpc::Status s = auth_->stub().CreateUser(CallContext(ops).get(), create, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("requires MFA"));
  auto policy = NewStub<jit::policy::v1::PolicyService>(policy_->address(), AnonymousCredentials());
  jit::policy::v1::DeleteRoleRequest remove;
  remove.set_name("dev");
  jit::policy::v1::DeleteRoleResponse removed;
  s = policy->DeleteRole(CallContext(ops).get(), remove, &removed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();

  const std::string admin = AdminToken();
  s = auth_->stub().CreateUser(CallContext(admin).get(), create, &created);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// An administrator never receives another user's TOTP secret; they may only reset it.
TEST_F(AbuseTest, AdminCannotEnrolAnotherUsersTotpOnlyResetIt) {
  const std::string admin = AdminToken();
  jit::auth::v1::EnrollTotpRequest enroll;
  enroll.set_name("alice");
  jit::auth::v1::EnrollTotpResponse secret;
  grpc::Status s = auth_->stub().EnrollTotp(CallContext(admin).get(), enroll, &secret);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_TRUE(secret.secret_base32().empty());

  // alice enrols herself; the admin resets it; alice logs in with her password alone again.
  const std::string alice = AliceToken();
  ASSERT_TRUE(auth_->stub().EnrollTotp(CallContext(alice).get(), {}, &secret).ok());
  absl::StatusOr<std::string> raw = crypto::Base32Decode(secret.secret_base32());
  ASSERT_TRUE(raw.ok());
  jit::auth::v1::ConfirmTotpRequest confirm;
  confirm.set_code(*auth::TotpCode(SecretString(*raw), auth::TotpStep(absl::Now())));
  jit::auth::v1::ConfirmTotpResponse confirmed;
  s = auth_->stub().ConfirmTotp(CallContext(alice).get(), confirm, &confirmed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(auth_->Login("alice", kAlicePassword).status(),
              jit::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  jit::auth::v1::ResetTotpRequest reset;
  reset.set_name("alice");
  jit::auth::v1::ResetTotpResponse done;
  s = auth_->stub().ResetTotp(CallContext(alice).get(), reset, &done);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);  // not for one's own
  s = auth_->stub().ResetTotp(CallContext(admin).get(), reset, &done);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_OK(auth_->Login("alice", kAlicePassword).status());
}

// --- Defect 4: tokens that no service accepts -------------------------------------------

jit::auth::v1::CreateUserRequest CreateUserOfClaimBytes(const std::string& name_prefix,
                                                        size_t bytes) {
  Identity id = jwt::testing::IdentityOfClaimBytes(bytes);
  jit::auth::v1::CreateUserRequest request;
  jit::auth::v1::User* user = request.mutable_user();
  // Same length as the generated name, so the size is unchanged.
  std::string name = name_prefix + id.name().substr(std::min(name_prefix.size(), id.name().size()));
  user->set_name(name);
  *user->mutable_traits() = id.traits();
  *user->mutable_roles() = id.roles();
  request.set_password("a password for the biggest user");
  return request;
}

TEST_F(AbuseTest, LargestAllowedUserWorksEverywhereAndOneByteMoreIsRefused) {
  const std::string admin = AdminToken();
  ASSERT_FALSE(admin.empty());
  jit::auth::v1::CreateUserRequest largest =
      CreateUserOfClaimBytes("big", jwt::kMaxIdentityClaimBytes);
  jit::auth::v1::User created;
  grpc::Status s = auth_->stub().CreateUser(CallContext(admin).get(), largest, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();

  absl::StatusOr<jit::auth::v1::LoginResponse> login =
      auth_->Login(largest.user().name(), largest.password());
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_GT(login->token().size(), 10'000u);
  EXPECT_LE(login->token().size(), jwt::kMaxSessionTokenBytes);
  // Another service accepts it: a peer call with the token...
  auto policy = NewStub<jit::policy::v1::PolicyService>(policy_->address(), AnonymousCredentials());
  jit::policy::v1::ListRolesResponse roles;
  s = policy->ListRoles(CallContext(login->token()).get(), {}, &roles);
  // Verified and decided on (dev may not list roles): not refused for its size.
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr(largest.user().name() + "\" may not list roles"));
  // ...and auth itself ends the session with it.
  jit::auth::v1::LogoutResponse out;
  s = auth_->stub().Logout(CallContext(login->token()).get(), {}, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();

  jit::auth::v1::CreateUserRequest over =
      CreateUserOfClaimBytes("bigger", jwt::kMaxIdentityClaimBytes + 1);
  s = auth_->stub().CreateUser(CallContext(admin).get(), over, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("over the limit of 8192 bytes"));

  // UpdateUser is held to the same limit: one more role is 6 bytes more.
  jit::auth::v1::UpdateUserRequest update;
  *update.mutable_user() = largest.user();
  update.mutable_user()->add_roles("dba");
  jit::auth::v1::User updated;
  s = auth_->stub().UpdateUser(CallContext(admin).get(), update, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("over the limit of 8192 bytes"));
}

// --- Defect 10: auth as a six-second fuse -----------------------------------------------

// With auth stopped, a strict replica refuses every token after 5 s, while a best-effort
// replica (the default mode) keeps serving on its last list, where the session logged out
// before the outage stays refused.
TEST_F(AbuseTest, AuthOutageShorterThanTheBoundLocksOutOnlyStrictReplicas) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServiceProcess> strict,
                       StartPolicy({"--revocation_mode=strict"}));
  // The best-effort replica's bound is generous so that a slow machine cannot reach it.
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServiceProcess> best_effort,
      StartPolicy({"--revocation_mode=best_effort", "--revocation_max_staleness=10m"}));
  const std::string kept = AliceToken();
  const std::string ended = AliceToken();
  jit::auth::v1::LogoutResponse out;
  ASSERT_TRUE(auth_->stub().Logout(CallContext(ended).get(), {}, &out).ok());
  for (ServiceProcess* p : {strict.get(), best_effort.get()}) {
    ASSERT_OK(
        testkit::EventuallyStatus(absl::StatusCode::kOk, [&] { return TokenCheck(*p, kept); }));
    EXPECT_THAT(testkit::EventuallyStatus(absl::StatusCode::kUnauthenticated,
                                          [&] { return TokenCheck(*p, ended); }),
                jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  }

  ASSERT_OK(auth_->Stop());
  EXPECT_THAT(
      testkit::EventuallyStatus(absl::StatusCode::kUnavailable,
                                [&] { return TokenCheck(*strict, kept); }),
      jit::testing::StatusIs(absl::StatusCode::kUnavailable, "revocation list is out of date"));
  // By now auth has been gone for more than the strict bound.
  EXPECT_OK(TokenCheck(*best_effort, kept));
  EXPECT_THAT(TokenCheck(*best_effort, ended),
              jit::testing::StatusIs(absl::StatusCode::kUnauthenticated, "session revoked"));
  // The feed's age is exposed for the alert (deploy/prometheus/alerts.yml).
  ASSERT_OK_AND_ASSIGN(std::string metrics, testkit::ScrapeMetrics(best_effort->metrics_port()));
  EXPECT_THAT(metrics, HasSubstr("jit_policy_revocation_list_age_seconds"));
  EXPECT_THAT(
      metrics,
      HasSubstr("jit_policy_revocation_list_staleness_bound_seconds{mode=\"best_effort\"} 600"));
}

// --- Defects 7 and 8: input checks, one row per RPC -------------------------------------

// Who calls a row's method.
enum class Caller { kAnonymous, kUser, kService };

struct InputRow {
  const char* service;  // "auth", "policy", "requests", "ca", "audit"
  const char* method;   // full gRPC method name
  Caller caller;
  int string_field;                 // a top-level string field of the request
  const char* as_service = "auth";  // the calling service when caller is kService
};

// A string field of every RPC with one: invalid UTF-8 or a NUL there is INVALID_ARGUMENT
// naming the field, never INTERNAL; an undecodable body is INVALID_ARGUMENT too.
constexpr InputRow kBadTextRows[] = {
    {"auth", "/jit.auth.v1.AuthService/Login", Caller::kAnonymous, 1},
    {"auth", "/jit.auth.v1.AuthService/GetUser", Caller::kUser, 1},
    {"auth", "/jit.auth.v1.AuthService/Logout", Caller::kUser, 1},
    {"policy", "/jit.policy.v1.PolicyService/GetRole", Caller::kUser, 1},
    {"policy", "/jit.policy.v1.PolicyService/DeleteRole", Caller::kUser, 1},
    {"policy", "/jit.policy.v1.PolicyService/CheckPermission", Caller::kService, 2},
    {"requests", "/jit.requests.v1.RequestsService/CreateRequest", Caller::kUser, 2},
    {"requests", "/jit.requests.v1.RequestsService/GetRequest", Caller::kUser, 1},
    {"requests", "/jit.requests.v1.RequestsService/ReviewRequest", Caller::kUser, 1},
    {"requests", "/jit.requests.v1.RequestsService/CancelRequest", Caller::kUser, 1},
    {"requests", "/jit.requests.v1.RequestsService/RevokeGrant", Caller::kUser, 1},
    {"requests", "/jit.requests.v1.RequestsService/ListActiveGrants", Caller::kService, 3, "ca"},
    {"ca", "/jit.ca.v1.CaService/SignUserSshCert", Caller::kUser, 1},
    {"ca", "/jit.ca.v1.CaService/ListIssuedCerts", Caller::kUser, 3},
    {"ca", "/jit.ca.v1.CaService/RevokeCerts", Caller::kUser, 3},
    {"audit", "/jit.audit.v1.AuditService/SearchEvents", Caller::kUser, 6},
};

// Methods whose NOT_FOUND (or other refusal) quotes the name sent: the reply stays small.
constexpr InputRow kOversizedEchoRows[] = {
    {"auth", "/jit.auth.v1.AuthService/GetUser", Caller::kUser, 1},
    {"policy", "/jit.policy.v1.PolicyService/GetRole", Caller::kUser, 1},
    {"requests", "/jit.requests.v1.RequestsService/GetRequest", Caller::kUser, 1},
    {"requests", "/jit.requests.v1.RequestsService/CancelRequest", Caller::kUser, 1},
};

class InputRowsTest : public AbuseTest {
 protected:
  // Besides auth and policy: one replica each of requests, ca and audit.
  void SetUp() override {
    AbuseTest::SetUp();
    if (HasFatalFailure()) return;
    const std::map<std::string, std::string> peers = {{"auth", auth_->address()},
                                                      {"policy", policy_->address()}};
    ASSERT_OK_AND_ASSIGN(std::string kek,
                         testkit::WriteKeyEncryptionKeyFile(TestTempPath("abuse-ca.kek")));
    ASSERT_OK_AND_ASSIGN(std::string checkpoint_key,
                         testkit::WriteKeyEncryptionKeyFile(TestTempPath("abuse-checkpoint.key")));
    ASSERT_OK_AND_ASSIGN(services_["requests"],
                         ServiceProcess::StartServing(
                             {.service = "requests", .db_url = db().conninfo(), .peers = peers}));
    ASSERT_OK_AND_ASSIGN(services_["ca"], ServiceProcess::StartServing(
                                              {.service = "ca",
                                               .db_url = db().conninfo(),
                                               .peers = peers,
                                               .flags = {"--key_encryption_key_file=" + kek}}));
    ASSERT_OK_AND_ASSIGN(
        services_["audit"],
        ServiceProcess::StartServing({.service = "audit",
                                      .db_url = db().conninfo(),
                                      .peers = peers,
                                      .flags = {"--checkpoint_key_file=" + checkpoint_key}}));
  }
  std::string Address(const InputRow& row) {
    const std::string service = row.service;
    if (service == "auth") return auth_->address();
    if (service == "policy") return policy_->address();
    return services_.at(service)->address();
  }
  std::shared_ptr<grpc::Channel> Channel(const InputRow& row) {
    return grpc::CreateCustomChannel(Address(row),
                                     row.caller == Caller::kService
                                         ? ServiceCredentials(row.as_service)
                                         : AnonymousCredentials(),
                                     client::ClientChannelArguments());
  }
  grpc::Status Call(const InputRow& row, const std::string& token, const std::string& body,
                    std::string* reply = nullptr) {
    auto ctx = CallContext(row.caller == Caller::kUser ? token : "");
    return jit::testing::RawUnaryCall(*Channel(row), row.method, body, ctx.get(), reply);
  }

  std::map<std::string, std::unique_ptr<ServiceProcess>> services_;
};

TEST_F(InputRowsTest, BadTextAndUndecodableRequestsAreInvalidArgument) {
  const std::string token = AdminToken();
  for (const InputRow& row : kBadTextRows) {
    SCOPED_TRACE(row.method);
    grpc::Status s = Call(row, token, jit::testing::EncodeStringField(row.string_field, "a\xff"));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("UTF-8"));
    s = Call(row, token, jit::testing::EncodeStringField(row.string_field, std::string("a\0b", 3)));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    s = Call(row, token, "\xff\xff\xff");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  }
}

TEST_F(InputRowsTest, OversizedInputIsQuotedBounded) {
  const std::string token = AdminToken();
  const std::string huge(100 * 1024, 'x');
  for (const InputRow& row : kOversizedEchoRows) {
    SCOPED_TRACE(row.method);
    grpc::Status s = Call(row, token, jit::testing::EncodeStringField(row.string_field, huge));
    EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
    EXPECT_LE(s.error_message().size(), 1024u) << s.error_message().substr(0, 200);
  }
}

// --- Defect 3: an identity without expire_time ------------------------------------------

TEST_F(AbuseTest, IdentityWithoutExpireTimeIsDenied) {
  auto policy =
      NewStub<jit::policy::v1::PolicyService>(policy_->address(), ServiceCredentials("auth"));
  jit::policy::v1::CheckPermissionRequest request;
  Identity* id = request.mutable_identity();
  id->set_kind(Identity::KIND_USER);
  id->set_name("admin");
  id->add_roles("admin");
  id->set_mfa_verified(true);
  request.set_resource("user");
  request.set_verb("create");
  jit::policy::v1::CheckPermissionResponse response;
  grpc::Status s = policy->CheckPermission(CallContext().get(), request, &response);
  if (s.ok()) {
    EXPECT_FALSE(response.allowed());
    EXPECT_THAT(response.explanation().DebugString(), HasSubstr("expire_time"));
  } else {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  }
}

}  // namespace
}  // namespace jit::abuse
