// The jit CLI against real jit-auth, jit-policy and jit-requests (the example roles of
// deploy/local: alice and carol hold "dev", bob holds "dba" and reviews
// developer-read-only-jit), each person with their own ~/.jit, every step a run of the
// jit binary as a shell would do it. Issue 13's walkthrough as far as the landed services
// go (steps 1-3 and the request half of 4-5): alice logs in and has no grant, creates a
// request, cannot approve it herself, carol cannot either, bob lists what he may review,
// approves by an id prefix, alice's status shows the grant, bob revokes it, a second request
// made with --wait ends when bob approves it; errors are one
// line on stderr with a non-zero exit. Everything starts once on 127.0.0.1.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/db/testing/test_database.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/service_process.h"

namespace jit {
namespace {

using ::jit::testing::RunfilePath;
using ::jit::testkit::AuthServer;
using ::jit::testkit::ServiceProcess;
using ::testing::HasSubstr;
using ::testing::Not;

struct JitRun {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

class JitCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auth_db_ = db::testing::TestDatabase::Create().value().release();
    policy_db_ = db::testing::TestDatabase::Create().value().release();
    requests_db_ = db::testing::TestDatabase::Create().value().release();
    std::vector<testkit::LocalUser> users = {
        {.name = "alice", .roles = {"dev"}, .password = "alice password long"},
        {.name = "carol", .roles = {"dev"}, .password = "carol password long"},
        {.name = "bob", .roles = {"dba"}, .password = "bob password long"}};
    auth_ = AuthServer::StartServing({.db_url = auth_db_->conninfo(), .users = users})
                .value()
                .release();
    policy_ = ServiceProcess::StartServing(
                  {.service = "policy",
                   .db_url = policy_db_->conninfo(),
                   .peers = {{"auth", auth_->address()}},
                   .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")}})
                  .value()
                  .release();
    requests_ = ServiceProcess::StartServing(
                    {.service = "requests",
                     .db_url = requests_db_->conninfo(),
                     .peers = {{"auth", auth_->address()}, {"policy", policy_->address()}}})
                    .value()
                    .release();
  }

  static void TearDownTestSuite() {
    if (requests_ != nullptr) {
      EXPECT_OK(requests_->Stop());
    }
    if (policy_ != nullptr) {
      EXPECT_OK(policy_->Stop());
    }
    if (auth_ != nullptr) {
      EXPECT_OK(auth_->Stop());
    }
    delete requests_;
    delete policy_;
    delete auth_;
    delete requests_db_;
    delete policy_db_;
    delete auth_db_;
  }

  // Runs `jit <args>` as `person` (their own HOME), stdin from `input`.
  static JitRun Jit(const std::string& person, const std::string& args,
                    const std::string& input = "") {
    const std::string home = absl::StrCat(std::getenv("TEST_TMPDIR"), "/home-", person);
    const std::string out = home + ".out", err = home + ".err";
    std::string command =
        absl::StrCat("(mkdir -p ", home, " && printf '%s\\n' '", input, "' | env HOME=", home,
                     " JIT_HOME= JIT_USER= ", RunfilePath("tools/jit/jit"),
                     " --auth-addr=", auth_->address(), " --requests-addr=", requests_->address(),
                     " --ca-file=", RunfilePath("common/testing/pki/internal-ca.pem"),
                     " --timeout=20s ", args, " >", out, " 2>", err, ")");
    auto [code, combined] = testing::RunShell(command);
    return JitRun{code, testing::ReadFileOrEmpty(out), testing::ReadFileOrEmpty(err)};
  }

  static void Login(const std::string& person) {
    JitRun r = Jit(person, absl::StrCat("login --user ", person, " --password-stdin"),
                   absl::StrCat(person, " password long"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_THAT(r.out, HasSubstr("logged in as " + person));
  }

  static inline db::testing::TestDatabase *auth_db_, *policy_db_, *requests_db_;
  static inline AuthServer* auth_;
  static inline ServiceProcess *policy_, *requests_;
};

TEST_F(JitCliTest, Walkthrough) {
  const absl::Time start = absl::Now();
  // Token checks fail closed until requests has loaded auth's revocation list.
  Login("alice");
  ASSERT_TRUE(testkit::Eventually([&] { return Jit("alice", "request ls").exit_code == 0; }));

  // 1. alice has no grant.
  JitRun r = Jit("alice", "status");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dev"));
  EXPECT_THAT(r.out, HasSubstr("no requests"));

  // A bad password: one line, non-zero, no session stored for carol.
  r = Jit("carol", "login --user carol --password-stdin", "not the password of carol");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("login as carol failed"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  // 2. alice asks for developer-read-only-jit.
  r = Jit("alice",
          "request create --roles developer-read-only-jit --reason 'Investigating dashboard "
          "latency' --duration 30m");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("is pending"));
  r = Jit("alice", "--format json request ls --mine --state pending");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = r.out.substr(r.out.find("\"id\":\"") + 6, 36);
  ASSERT_EQ(id.size(), 36u) << r.out;
  const std::string prefix = id.substr(0, 8);

  // 3. alice cannot approve her own request; carol (not a reviewer) cannot either.
  r = Jit("alice", "request approve " + prefix + " --reason mine");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("own request"));
  Login("carol");
  r = Jit("carol", "request approve " + id + " --reason 'looks fine'");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("approved")));

  // bob lists what he may review and approves by a prefix.
  Login("bob");
  r = Jit("bob", "request ls --reviewable --state pending");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(prefix));
  EXPECT_THAT(r.out, HasSubstr("alice"));
  r = Jit("bob", "request approve " + prefix + " --reason 'INC-1 ok'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("approved: request " + prefix));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("is approved, access ends in (29m|30m)"));

  // alice sees the grant and the history.
  r = Jit("alice", "status");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("approved"));
  r = Jit("alice", "request show " + prefix);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("bob"));
  EXPECT_THAT(r.out, HasSubstr("pending -> approved"));

  // 5 (request half). bob revokes; alice's request shows it.
  r = Jit("bob", "request revoke " + prefix + " --reason 'done'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("revoked the grant of request " + prefix));
  r = Jit("alice", "--format json request show " + prefix);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ACCESS_REQUEST_STATE_REVOKED"));

  // `request create --wait` shows a live line until bob approves, then exits 0.
  const std::string wait_out = absl::StrCat(std::getenv("TEST_TMPDIR"), "/wait.out");
  ASSERT_OK_AND_ASSIGN(
      auto waiting,
      testing::Subprocess::Start(
          {RunfilePath("tools/jit/jit"), "--auth-addr=" + auth_->address(),
           "--requests-addr=" + requests_->address(),
           "--ca-file=" + RunfilePath("common/testing/pki/internal-ca.pem"), "request", "create",
           "--roles", "developer-read-only-jit", "--reason", "INC-2", "--duration", "10m",
           "--wait"},
          wait_out,
          {absl::StrCat("HOME=", std::getenv("TEST_TMPDIR"), "/home-alice"), "JIT_HOME="}));
  std::string second;
  ASSERT_TRUE(testkit::Eventually([&] {
    JitRun ls = Jit("bob", "--format json request ls --reviewable --state pending");
    size_t at = ls.out.find("\"id\":\"");
    if (ls.exit_code != 0 || at == std::string::npos) return false;
    second = ls.out.substr(at + 6, 36);
    return true;
  }));
  ASSERT_TRUE(testkit::Eventually([&] {
    return waiting->Output().find("pending, 0 approval(s)") != std::string::npos;
  })) << waiting->Output();
  r = Jit("bob", "request approve " + second + " --reason 'INC-2 ok'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(waiting->Wait(absl::Seconds(30)), ::jit::testing::IsOkAndHolds(0))
      << waiting->Output();
  EXPECT_THAT(waiting->Output(), HasSubstr("(alice: developer-read-only-jit) is approved"));

  // Logout ends the session: the next command says to log in.
  r = Jit("alice", "logout");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Jit("alice", "status");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not logged in; run `jit login`"));
  std::cerr << "walkthrough took " << absl::Now() - start << "\n";
}

}  // namespace
}  // namespace jit
