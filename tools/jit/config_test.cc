#include "tools/jit/config.h"

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::cli {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

ConfigSources Sources(std::map<std::string, std::string> env) {
  ConfigSources s;
  s.jit_dir = "/home/alice/.jit";
  s.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return s;
}

TEST(ConfigTest, DefaultsAreTheLocalConstellation) {
  ASSERT_OK_AND_ASSIGN(CliConfig c, ResolveConfig(Sources({})));
  EXPECT_EQ(c.auth_addr, "localhost:7101");
  EXPECT_EQ(c.requests_addr, "localhost:7103");
  EXPECT_EQ(c.ca_file, "/var/tmp/jit-access-local/pki/internal-ca.pem");
  EXPECT_EQ(c.timeout, absl::Seconds(10));
  EXPECT_EQ(c.jit_dir, "/home/alice/.jit");

  ASSERT_OK_AND_ASSIGN(c, ResolveConfig(Sources({{"JIT_LOCAL_DIR", "/tmp/l"}})));
  EXPECT_EQ(c.ca_file, "/tmp/l/pki/internal-ca.pem");
}

TEST(ConfigTest, FileThenEnvironmentThenFlags) {
  ConfigSources s = Sources({{"JIT_REQUESTS_ADDR", "env:2"}, {"JIT_CA_FILE", "/env/ca.pem"}});
  s.file_text = "# comment\nauth_addr = file:1\nrequests_addr=file:2\n\ntimeout = 3s\n";
  s.flags["ca_file"] = "/flag/ca.pem";
  ASSERT_OK_AND_ASSIGN(CliConfig c, ResolveConfig(s));
  EXPECT_EQ(c.auth_addr, "file:1");
  EXPECT_EQ(c.requests_addr, "env:2");
  EXPECT_EQ(c.ca_file, "/flag/ca.pem");
  EXPECT_EQ(c.timeout, absl::Seconds(3));
}

TEST(ConfigTest, BadFileLineOrTimeoutNamesWhereToFix) {
  ConfigSources s = Sources({});
  s.file_text = "auth_addr = a\nca_adr = typo\n";
  EXPECT_THAT(ResolveConfig(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("/home/alice/.jit/config line 2")));
  s = Sources({{"JIT_TIMEOUT", "soon"}});
  EXPECT_THAT(ResolveConfig(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("$JIT_TIMEOUT")));
  s = Sources({});
  s.flags["timeout"] = "-1s";
  EXPECT_THAT(ResolveConfig(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--timeout")));
}

TEST(ConfigTest, DatabasesAndClustersComeFromTheFile) {
  ConfigSources s = Sources({});
  s.file_text =
      "db.web_app_db.addr = 127.0.0.1:5432\ndb.web_app_db.server_ca_file = /ca.pem\n"
      "kube.prod.server = https://k:6443\nkube.prod.ca_file = /k.pem\n";
  ASSERT_OK_AND_ASSIGN(CliConfig c, ResolveConfig(s));
  EXPECT_EQ(c.targets.at("db.web_app_db.addr"), "127.0.0.1:5432");
  EXPECT_EQ(c.targets.at("kube.prod.server"), "https://k:6443");
  EXPECT_EQ(c.ca_addr, "localhost:7102");
  EXPECT_EQ(c.audit_addr, "localhost:7105");
  for (const char* bad : {"db.web_app_db.port = 1\n", "db..addr = x\n", "db.a/b.addr = x\n",
                          "kube.prod.addr = x\n"}) {
    s.file_text = bad;
    EXPECT_THAT(ResolveConfig(s), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace jit::cli
