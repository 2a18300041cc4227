#include "tools/jit-bootstrap/bootstrap.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/pki/x509_ca.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::tools {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t Mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::string(tmp ? tmp : "/tmp") + "/pki-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    options_ = BootstrapOptions{.dir = dir_,
                                .services = {"auth", "ca"},
                                .dns_sans = {"localhost"},
                                .ip_sans = {"127.0.0.1"}};
  }
  std::string dir_;
  BootstrapOptions options_;
};

TEST_F(BootstrapTest, CreatesCaAndServiceCertificatesWithTightModes) {
  ASSERT_OK_AND_ASSIGN(BootstrapReport report, Bootstrap(options_, kNow));
  EXPECT_TRUE(report.ca_created);
  EXPECT_THAT(report.issued, ElementsAre("auth", "ca"));
  EXPECT_EQ(Mode(dir_), 0700u);
  EXPECT_EQ(Mode(dir_ + "/internal-ca.key"), 0600u);
  EXPECT_EQ(Mode(dir_ + "/internal-ca.pem"), 0644u);
  EXPECT_EQ(Mode(dir_ + "/auth.key"), 0600u);
  EXPECT_EQ(Mode(dir_ + "/auth.pem"), 0644u);

  ASSERT_OK_AND_ASSIGN(auto ca, pki::LoadCertificateAuthority(Read(dir_ + "/internal-ca.pem"),
                                                              Read(dir_ + "/internal-ca.key")));
  ASSERT_OK_AND_ASSIGN(auto leaf, pki::ParseCertificatePem(Read(dir_ + "/auth.pem")));
  EXPECT_THAT(pki::VerifyCertificate(leaf.get(), ca.cert.get(), kNow), IsOk());
  ASSERT_OK_AND_ASSIGN(pki::CertificateInfo info, pki::DescribeCertificate(leaf.get()));
  EXPECT_THAT(info.uri_sans, ElementsAre("spiffe://jit-access/service/auth"));
  EXPECT_THAT(info.dns_sans, ElementsAre("localhost"));
  EXPECT_THAT(info.ip_sans, ElementsAre("127.0.0.1"));
}

TEST_F(BootstrapTest, SecondRunKeepsEverythingUnchanged) {
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  const std::string ca_before = Read(dir_ + "/internal-ca.pem");
  const std::string auth_before = Read(dir_ + "/auth.pem");
  ASSERT_OK_AND_ASSIGN(BootstrapReport again, Bootstrap(options_, kNow + absl::Hours(1)));
  EXPECT_FALSE(again.ca_created);
  EXPECT_TRUE(again.issued.empty());
  EXPECT_THAT(again.kept, ElementsAre("auth", "ca"));
  EXPECT_EQ(Read(dir_ + "/internal-ca.pem"), ca_before);
  EXPECT_EQ(Read(dir_ + "/auth.pem"), auth_before);
}

TEST_F(BootstrapTest, AddingAServiceReusesTheCa) {
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  const std::string ca_before = Read(dir_ + "/internal-ca.pem");
  options_.services.push_back("policy");
  ASSERT_OK_AND_ASSIGN(BootstrapReport report, Bootstrap(options_, kNow));
  EXPECT_FALSE(report.ca_created);
  EXPECT_THAT(report.issued, ElementsAre("policy"));
  EXPECT_THAT(report.kept, UnorderedElementsAre("auth", "ca"));
  EXPECT_EQ(Read(dir_ + "/internal-ca.pem"), ca_before);
}

TEST_F(BootstrapTest, DifferentSansAreRefusedWithoutForce) {
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  const std::string before = Read(dir_ + "/auth.pem");
  options_.dns_sans = {"auth.internal"};
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--force")));
  EXPECT_EQ(Read(dir_ + "/auth.pem"), before);

  const std::string ca_before = Read(dir_ + "/internal-ca.pem");
  options_.force = true;
  ASSERT_OK_AND_ASSIGN(BootstrapReport forced, Bootstrap(options_, kNow));
  EXPECT_THAT(forced.issued, ElementsAre("auth", "ca"));
  EXPECT_NE(Read(dir_ + "/auth.pem"), before);
  EXPECT_EQ(Read(dir_ + "/internal-ca.pem"), ca_before);  // the CA is never replaced
}

TEST_F(BootstrapTest, ExpiredCertificateNeedsForce) {
  options_.cert_validity = absl::Hours(1);
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  EXPECT_THAT(Bootstrap(options_, kNow + absl::Hours(2)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("expired")));
}

TEST_F(BootstrapTest, ReadableKeyIsRefused) {
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  ASSERT_EQ(::chmod((dir_ + "/ca.key").c_str(), 0644), 0);
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("group or others")));
}

TEST_F(BootstrapTest, CaKeyReadableByOthersIsRefused) {
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  ASSERT_EQ(::chmod((dir_ + "/internal-ca.key").c_str(), 0640), 0);
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("internal-ca.key is accessible by group or others (mode 0640)")));
}

TEST_F(BootstrapTest, CaCertificateWritableByOthersIsRefused) {
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  ASSERT_EQ(::chmod((dir_ + "/internal-ca.pem").c_str(), 0666), 0);
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("internal-ca.pem is writable by group or others")));
}

TEST_F(BootstrapTest, DirectoryWritableByOthersIsRefused) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is writable by group or others (mode 0777)")));
}

TEST_F(BootstrapTest, CaPlantedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the files to another user";
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  ASSERT_EQ(::chown((dir_ + "/internal-ca.key").c_str(), 65534, 65534), 0);
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("belongs to uid 65534, not to this user")));
}

TEST_F(BootstrapTest, HalfACaIsRefused) {
  ASSERT_THAT(Bootstrap(options_, kNow), IsOk());
  ASSERT_EQ(::unlink((dir_ + "/internal-ca.key").c_str()), 0);
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("only one")));
}

TEST_F(BootstrapTest, UserCertificateIsClientOnly) {
  options_.services = {};
  options_.users = {"alice"};
  ASSERT_OK_AND_ASSIGN(BootstrapReport report, Bootstrap(options_, kNow));
  EXPECT_THAT(report.issued, ElementsAre("user-alice"));
  ASSERT_OK_AND_ASSIGN(auto ca, pki::LoadCertificateAuthority(Read(dir_ + "/internal-ca.pem"),
                                                              Read(dir_ + "/internal-ca.key")));
  ASSERT_OK_AND_ASSIGN(auto leaf, pki::ParseCertificatePem(Read(dir_ + "/user-alice.pem")));
  ASSERT_OK_AND_ASSIGN(pki::CertificateInfo info, pki::DescribeCertificate(leaf.get()));
  EXPECT_THAT(info.uri_sans, ElementsAre("spiffe://jit-access/user/alice"));
  EXPECT_THAT(pki::VerifyCertificate(leaf.get(), ca.cert.get(), kNow, false, true), IsOk());
  EXPECT_THAT(pki::VerifyCertificate(leaf.get(), ca.cert.get(), kNow, true, false),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BootstrapTest, InfiniteOrCenturiesLongValidityIsRefused) {
  options_.ca_validity = absl::InfiniteDuration();
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 30 years")));
  options_.ca_validity = absl::Hours(24 * 365);
  options_.cert_validity = absl::Hours(24 * 366 * 100);
  EXPECT_THAT(Bootstrap(options_, kNow), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BootstrapTest, RejectsBadNames) {
  options_.services = {"Bad_Name"};
  EXPECT_THAT(Bootstrap(options_, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--services")));
  options_.services = {};
  EXPECT_THAT(Bootstrap(options_, kNow), StatusIs(absl::StatusCode::kInvalidArgument));
  options_.dir = "";
  options_.services = {"auth"};
  EXPECT_THAT(Bootstrap(options_, kNow), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::tools
