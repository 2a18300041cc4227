// The adversarial probe of issue 16, against the real binaries: jit-auth and jit-policy (and,
// for the input rows, jit-requests, jit-ca and jit-audit) on a real PostgreSQL (tests/run.sh
// provides it), called from outside as an attacker or a careless client would. Each defect of the
// issue has a test here that failed before its fix; the input checks are tables of rows (service,
// method, request), so each new service's RPCs are added as rows (kBadTextRows, kOversizedEchoRows)
// as they land.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
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
    return ServiceProcess::StartServing(
        {.service = "policy",
         .db_url = db().conninfo(),
         .peers = {{"auth", auth_for_services_.empty() ? auth_->address() : auth_for_services_}},
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
  std::string auth_for_services_;        // where services reach auth; "" = auth_->address()
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
// capacity and more calls than the public listener has threads; the services reach auth on
// its service lane (--service_listen_addr: client certificate required, threads of its own).
class LoginFloodTest : public AbuseTest {
 protected:
  LoginFloodTest() : lane_port_(PickUnusedPort()) {
    auth_flags_ = {"--max_threads=24",
                   "--max_concurrent_password_hashes=1",
                   "--max_queued_password_hashes=4",
                   "--max_logins_per_source=4",
                   absl::StrCat("--service_listen_addr=127.0.0.1:", lane_port_),
                   "--service_max_threads=8"};
    auth_for_services_ = lane();
  }
  std::string lane() const { return absl::StrCat("localhost:", lane_port_); }

  const int lane_port_;
};

// Latencies of one kind of call, and its failures.
struct Probe {
  std::vector<absl::Duration> latencies;
  int failures = 0;
  std::string first_failure;

  void Record(absl::Duration latency, const absl::Status& status) {
    latencies.push_back(latency);
    if (!status.ok()) {
      if (failures++ == 0) first_failure = status.ToString();
    }
  }
  absl::Duration P99() {
    if (latencies.empty()) return absl::InfiniteDuration();
    std::sort(latencies.begin(), latencies.end());
    return latencies[(latencies.size() - 1) * 99 / 100];
  }
};

// The service lane refuses a caller without a client certificate at the handshake: an
// anonymous flood cannot reach it at all.
TEST_F(LoginFloodTest, ServiceLaneRefusesCallersWithoutCertificate) {
  auto anonymous = NewStub<jit::auth::v1::AuthService>(lane(), AnonymousCredentials());
  jit::auth::v1::LoginRequest login;
  login.set_username("alice");
  login.set_password(kAlicePassword);
  jit::auth::v1::LoginResponse out;
  EXPECT_EQ(anonymous->Login(CallContext().get(), login, &out).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto service = NewStub<jit::auth::v1::AuthService>(lane(), ServiceCredentials("policy"));
  jit::auth::v1::ListRevokedSessionsResponse revoked;
  EXPECT_TRUE(service->ListRevokedSessions(CallContext().get(), {}, &revoked).ok());
}

// 32 clients flood Login with wrong passwords (32 times the hash capacity, more than the
// public listener's threads) for 8 s while a service calls ListRevokedSessions on the lane, a
// strict policy replica (fed by the lane) verifies a user's token, and that user asks auth
// WhoAmI: the logins are shed with RESOURCE_EXHAUSTED, no service call or token check fails
// (no UNAVAILABLE), and the p99 of each authenticated kind of call stays within a small
// multiple of its p99 when idle, measured first in this test.
TEST_F(LoginFloodTest, AnonymousLoginFloodDoesNotStarveTheRevocationFeed) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServiceProcess> strict,
                       StartPolicy({"--revocation_mode=strict"}));
  const std::string token = AliceToken();
  ASSERT_OK(
      testkit::EventuallyStatus(absl::StatusCode::kOk, [&] { return TokenCheck(*strict, token); }));

  auto feed = NewStub<jit::auth::v1::AuthService>(lane(), ServiceCredentials("policy"));
  auto user = NewStub<jit::auth::v1::AuthService>(auth_->address(), AnonymousCredentials());
  // One round of the three authenticated calls, back to back (no pause).
  auto round = [&](Probe& feed_probe, Probe& check_probe, Probe& whoami_probe) {
    absl::Time t = absl::Now();
    jit::auth::v1::ListRevokedSessionsResponse revoked;
    const grpc::Status f = feed->ListRevokedSessions(CallContext().get(), {}, &revoked);
    feed_probe.Record(absl::Now() - t, absl::Status(static_cast<absl::StatusCode>(f.error_code()),
                                                    f.error_message()));
    t = absl::Now();
    const absl::Status check = TokenCheck(*strict, token);
    check_probe.Record(absl::Now() - t, check);
    t = absl::Now();
    jit::auth::v1::WhoAmIResponse me;
    const grpc::Status w = user->WhoAmI(CallContext(token).get(), {}, &me);
    whoami_probe.Record(absl::Now() - t, absl::Status(static_cast<absl::StatusCode>(w.error_code()),
                                                      w.error_message()));
  };
  Probe idle_feed, idle_check, idle_whoami;
  for (int i = 0; i < 100; ++i) round(idle_feed, idle_check, idle_whoami);
  ASSERT_EQ(idle_feed.failures + idle_check.failures + idle_whoami.failures, 0)
      << idle_feed.first_failure << idle_check.first_failure << idle_whoami.first_failure;

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
  Probe feed_probe, check_probe, whoami_probe;
  const absl::Time end = absl::Now() + absl::Seconds(8);  // the short mode's whole duration
  while (absl::Now() < end) round(feed_probe, check_probe, whoami_probe);
  stop.store(true);
  for (std::thread& t : flood) t.join();

  EXPECT_GT(shed.load(), 0) << "the flood never saturated password hashing";
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(feed_probe.failures, 0)
      << feed_probe.latencies.size() << " feed calls; first failure: " << feed_probe.first_failure;
  EXPECT_EQ(check_probe.failures, 0)
      << check_probe.latencies.size()
      << " token checks; first failure: " << check_probe.first_failure;
  EXPECT_EQ(whoami_probe.failures, 0)
      << whoami_probe.latencies.size()
      << " WhoAmI calls; first failure: " << whoami_probe.first_failure;
  // A small multiple of idle. Both are measured here, on a machine whose cores the flood's own
  // clients share: CPU contention alone costs a few times idle; starvation (before the fix)
  // cost seconds (a 2 s hash-queue wait, a 10 s thread hold) or failed calls.
  for (auto [name, idle, flooded] : {std::tuple<const char*, Probe*, Probe*>{
                                         "ListRevokedSessions (lane)", &idle_feed, &feed_probe},
                                     {"token check at policy", &idle_check, &check_probe},
                                     {"WhoAmI", &idle_whoami, &whoami_probe}}) {
    const absl::Duration bound = std::max(10 * idle->P99(), absl::Milliseconds(250));
    EXPECT_LE(flooded->P99(), bound)
        << name << ": idle p99 " << idle->P99() << ", flooded p99 " << flooded->P99() << " over "
        << flooded->latencies.size() << " calls";
    std::cerr << name << ": idle p99 " << idle->P99() << ", flooded p99 " << flooded->P99()
              << " over " << flooded->latencies.size() << " calls\n";
  }
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
// before the outage stays refused; a best-effort replica with --revocation_strict_roles=admin
// refuses admin's session as a strict one would and keeps serving alice's.
TEST_F(AbuseTest, AuthOutageShorterThanTheBoundLocksOutOnlyStrictReplicas) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServiceProcess> strict,
                       StartPolicy({"--revocation_mode=strict"}));
  // The best-effort replica's bound is generous so that a slow machine cannot reach it.
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServiceProcess> best_effort,
      StartPolicy({"--revocation_mode=best_effort", "--revocation_max_staleness=10m"}));
  // Best effort for everyone but the sensitive admin role (--revocation_strict_roles).
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ServiceProcess> strict_admin,
      StartPolicy({"--revocation_mode=best_effort", "--revocation_max_staleness=10m",
                   "--revocation_strict_roles=admin"}));
  const std::string kept = AliceToken();
  const std::string ended = AliceToken();
  const std::string admin = AdminToken();
  jit::auth::v1::LogoutResponse out;
  ASSERT_TRUE(auth_->stub().Logout(CallContext(ended).get(), {}, &out).ok());
  for (ServiceProcess* p : {strict.get(), best_effort.get(), strict_admin.get()}) {
    ASSERT_OK(
        testkit::EventuallyStatus(absl::StatusCode::kOk, [&] { return TokenCheck(*p, kept); }));
    ASSERT_OK(TokenCheck(*p, admin));
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
  EXPECT_OK(TokenCheck(*best_effort, admin));
  // A replica strict for admin only: admin's session is refused, alice's rides it out.
  EXPECT_THAT(
      testkit::EventuallyStatus(absl::StatusCode::kUnavailable,
                                [&] { return TokenCheck(*strict_admin, admin); }),
      jit::testing::StatusIs(absl::StatusCode::kUnavailable, "revocation list is out of date"));
  EXPECT_OK(TokenCheck(*strict_admin, kept));
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
    {"ca", "/jit.ca.v1.CaService/RotateCa", Caller::kUser, 2},
    {"ca", "/jit.ca.v1.CaService/CreateJoinToken", Caller::kUser, 2},
    {"ca", "/jit.ca.v1.CaService/EnrollHost", Caller::kAnonymous, 1},
    {"ca", "/jit.ca.v1.CaService/JoinService", Caller::kAnonymous, 1},
    {"policy", "/jit.policy.v1.PolicyService/GetReviewRule", Caller::kUser, 1},
    {"policy", "/jit.policy.v1.PolicyService/DeleteReviewRule", Caller::kUser, 1},
    {"audit", "/jit.audit.v1.AuditService/SearchEvents", Caller::kUser, 6},
};

// Methods whose NOT_FOUND (or other refusal) quotes the name sent: the reply stays small.
constexpr InputRow kOversizedEchoRows[] = {
    {"auth", "/jit.auth.v1.AuthService/GetUser", Caller::kUser, 1},
    {"policy", "/jit.policy.v1.PolicyService/GetRole", Caller::kUser, 1},
    {"policy", "/jit.policy.v1.PolicyService/GetReviewRule", Caller::kUser, 1},
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

// --- Defect 5: one idle connection blinds metrics ---------------------------------------

// Bare TCP connections to `port` on 127.0.0.1 that send nothing; closed on destruction.
class IdleConnections {
 public:
  IdleConnections(int port, int count) {
    for (int i = 0; i < count; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) continue;
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        fds_.push_back(fd);
      } else {
        close(fd);
      }
    }
  }
  ~IdleConnections() {
    for (int fd : fds_) close(fd);
  }
  int open() const { return static_cast<int>(fds_.size()); }

 private:
  std::vector<int> fds_;
};

// Twice as many idle connections as the exposer has workers, held open at jit-auth's and
// jit-policy's metrics ports: a scrape still answers within ScrapeMetrics' 10 s limit (with
// one worker it waited about 60 s for the first idle connection to time out).
TEST_F(AbuseTest, ScrapeAnswersWhileIdleConnectionsAreHeldOpen) {
  for (const auto& [name, port] :
       {std::pair<std::string, int>{"auth", auth_->metrics_port()},
        std::pair<std::string, int>{"policy", policy_->metrics_port()}}) {
    IdleConnections idle(port, 16);
    ASSERT_EQ(idle.open(), 16) << name;
    const absl::Time start = absl::Now();
    absl::StatusOr<std::string> metrics = testkit::ScrapeMetrics(port);
    ASSERT_TRUE(metrics.ok()) << name << ": " << metrics.status();
    EXPECT_THAT(*metrics, HasSubstr(absl::StrCat("jit_", name, "_grpc_server_started_total")));
    EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << name;
  }
}

// --- Defect 9: refusals at the authentication gate ---------------------------------------

// 200 calls without a token at jit-policy are each counted in handled_total by method and
// code, and write at most the gate's window of log lines (not one line each).
TEST_F(AbuseTest, GateRefusalsAreCountedAndLoggedRateLimited) {
  const std::string log = TestTempPath("policy-gate-refusals.log");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServiceProcess> policy,
                       ServiceProcess::StartServing(
                           {.service = "policy",
                            .db_url = db().conninfo(),
                            .peers = {{"auth", auth_->address()}},
                            .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")},
                            .output_path = log}));
  const std::string series =
      "jit_policy_grpc_server_handled_total{code=\"UNAUTHENTICATED\","
      "method=\"/jit.policy.v1.PolicyService/ListRoles\"}";
  ASSERT_OK_AND_ASSIGN(std::string before, testkit::ScrapeMetrics(policy->metrics_port()));
  const double counted_before = testkit::SampleValue(before, series).value_or(0);

  constexpr int kCalls = 200;
  auto stub = NewStub<jit::policy::v1::PolicyService>(policy->address(), AnonymousCredentials());
  for (int i = 0; i < kCalls; ++i) {
    jit::policy::v1::ListRolesResponse roles;
    ASSERT_EQ(stub->ListRoles(CallContext("").get(), {}, &roles).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }

  ASSERT_OK_AND_ASSIGN(std::string after, testkit::ScrapeMetrics(policy->metrics_port()));
  ASSERT_OK_AND_ASSIGN(const double counted_after, testkit::SampleValue(after, series));
  EXPECT_EQ(counted_after - counted_before, kCalls);

  ASSERT_OK(policy->Stop());
  std::ifstream in(log);
  ASSERT_TRUE(in) << log;
  int refusal_lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("rpc refused") != std::string::npos) ++refusal_lines;
  }
  EXPECT_GT(refusal_lines, 0) << "refusals are not logged at all";
  // The gate's window: 20 lines a minute (common/auth/grpc_authorizer.h).
  EXPECT_LE(refusal_lines, 20) << "one line per refusal: an anonymous caller fills the disk";
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
