#include "tools/jit-host/host_agent.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/crypto/ca_signer.h"
#include "common/ssh/certificate.h"
#include "common/ssh/public_key.h"
#include "common/ssh/signature.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/jit-host/atomic_file.h"

namespace jit::host {
namespace {

namespace v1 = ::jit::ca::v1;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

// A ca that answers from its fields; each list may be set to an error.
class FakeCa final : public HostCaClient {
 public:
  FakeCa() {
    auto pem = crypto::GenerateCaPrivateKey(crypto::CaKeyAlgorithm::kEd25519);
    ssh_ca_ = *ssh::CaSshSigner::Create(
        std::shared_ptr<const crypto::CaSigner>(std::move(*crypto::CaSigner::Create(*pem))));
  }
  absl::StatusOr<v1::EnrollHostResponse> EnrollHost(const v1::EnrollHostRequest& r) override {
    enroll_requests.push_back(r);
    if (!enroll_status.ok()) return enroll_status;
    v1::EnrollHostResponse out;
    out.set_host_certificate(Cert(r.host_public_key(), absl::Hours(24 * 30)));
    out.set_identity_certificate_pem(
        "-----BEGIN CERTIFICATE-----\nid1\n-----END CERTIFICATE-----\n");
    out.set_internal_ca_bundle_pem("INTERNAL CA");
    return out;
  }
  absl::StatusOr<v1::RenewHostResponse> RenewHost(const v1::RenewHostRequest& r) override {
    renew_requests.push_back(r);
    if (!renew_status.ok()) return renew_status;
    v1::RenewHostResponse out;
    out.set_host_certificate(Cert(r.host_public_key(), absl::Hours(24 * 30)));
    out.set_identity_certificate_pem(
        "-----BEGIN CERTIFICATE-----\nid2\n-----END CERTIFICATE-----\n");
    return out;
  }
  absl::StatusOr<v1::GetCaPublicKeysResponse> GetCaPublicKeys() override {
    if (!keys_status.ok()) return keys_status;
    v1::GetCaPublicKeysResponse out;
    out.set_trusted_user_ca_keys(user_ca_keys);
    out.set_x509_ca_bundle_pem(x509_bundle);
    return out;
  }
  absl::StatusOr<v1::GetRevocationListResponse> GetRevocationList(v1::CaType type) override {
    if (!lists_status.ok()) return lists_status;
    v1::GetRevocationListResponse out;
    if (type == v1::CA_TYPE_SSH_USER) out.set_revocation_list(krl);
    if (type == v1::CA_TYPE_X509_USER) out.set_crl_pem(crl);
    return out;
  }

  std::string Cert(const std::string& key_line, absl::Duration ttl) {
    ssh::SshCertificateSpec spec{.key = *ssh::SshPublicKey::FromLine(key_line)};
    spec.type = ssh::SshCertType::kHost;
    spec.serial = 7;
    spec.key_id = "host";
    spec.principals = {"db1"};
    spec.valid_after = ssh::ToCertTime(clock->Now() - absl::Minutes(1));
    spec.valid_before = ssh::ToCertTime(clock->Now() + ttl);
    return *ssh::SshCertificateLine(*ssh::SignSshCertificate(spec, *ssh_ca_), "host");
  }

  FakeClock* clock = nullptr;
  std::unique_ptr<ssh::CaSshSigner> ssh_ca_;
  absl::Status enroll_status, renew_status, keys_status, lists_status;
  std::string user_ca_keys = "ssh-ed25519 AAAAuserca\n";
  std::string x509_bundle = "X509 BUNDLE 1";
  std::string krl = "SSHKRL-1";
  std::string crl = "CRL 1";
  std::vector<v1::EnrollHostRequest> enroll_requests;
  std::vector<v1::RenewHostRequest> renew_requests;
};

class CountingReloader final : public PostgresReloader {
 public:
  absl::Status Reload() override {
    ++reloads;
    return status;
  }
  int reloads = 0;
  absl::Status status;
};

class HostAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/jit-host-test.XXXXXX";
    root_ = mkdtemp(tmpl);
    ca_.clock = &clock_;
    config_.ca_addr = "127.0.0.1:1";
    config_.dirs = {
        .state_dir = root_ + "/state", .sshd_dir = root_ + "/sshd", .postgres_dir = root_ + "/pg"};
  }
  void TearDown() override { std::system(("rm -rf " + root_).c_str()); }

  std::string Read(const std::string& path) { return **ReadFileIfExists(path); }

  absl::StatusOr<EnrollResult> DoEnroll() {
    return Enroll({.token = "jt1.tok", .names = {"db1", "10.0.0.5"}, .config = config_}, ca_);
  }

  std::string root_;
  FakeClock clock_{kNow};
  FakeCa ca_;
  HostConfig config_;
};

TEST_F(HostAgentTest, EnrollWritesTheFilesAndPrintsTheConfigLines) {
  ASSERT_OK_AND_ASSIGN(EnrollResult result, DoEnroll());
  const HostFiles files(config_.dirs);
  ASSERT_EQ(ca_.enroll_requests.size(), 1u);
  const v1::EnrollHostRequest& sent = ca_.enroll_requests[0];
  EXPECT_EQ(sent.join_token(), "jt1.tok");
  EXPECT_THAT(sent.principals(), ElementsAre("db1", "10.0.0.5"));
  // The host key was generated in the sshd directory, private part 0600.
  EXPECT_EQ(sent.host_public_key() + "\n", Read(files.host_key_pub));
  struct stat st;
  ASSERT_EQ(stat(files.host_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(files.identity.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(Read(files.host_cert), HasSubstr("-cert-v01@openssh.com"));
  ASSERT_OK_AND_ASSIGN(IdentityPems pems, SplitIdentity(Read(files.identity)));
  EXPECT_THAT(pems.cert_pem, HasSubstr("id1"));
  EXPECT_THAT(pems.key_pem, HasSubstr("BEGIN PRIVATE KEY"));
  EXPECT_EQ(Read(files.internal_ca), "INTERNAL CA");
  EXPECT_THAT(result.sshd_config,
              ElementsAre("HostKey " + files.host_key, "HostCertificate " + files.host_cert,
                          "TrustedUserCAKeys " + files.trusted_user_ca_keys,
                          "RevokedKeys " + files.revoked_keys));
  EXPECT_THAT(result.postgresql_conf, ElementsAre("ssl_ca_file = '" + files.user_ca + "'",
                                                  "ssl_crl_file = '" + files.user_crl + "'"));
  ASSERT_OK_AND_ASSIGN(HostConfig loaded, LoadHostConfig(config_.dirs.state_dir));
  EXPECT_EQ(loaded.ca_addr, "127.0.0.1:1");
  EXPECT_EQ(loaded.dirs.sshd_dir, config_.dirs.sshd_dir);
}

TEST_F(HostAgentTest, EnrollKeepsAnExistingHostKey) {
  ASSERT_THAT(DoEnroll().status(), IsOk());
  ASSERT_THAT(DoEnroll().status(), IsOk());
  EXPECT_EQ(ca_.enroll_requests[0].host_public_key(), ca_.enroll_requests[1].host_public_key());
}

TEST_F(HostAgentTest, RefusedTokenWritesNoState) {
  ca_.enroll_status = absl::PermissionDeniedError("join token refused: already used");
  EXPECT_THAT(DoEnroll(), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("already used")));
  const HostFiles files(config_.dirs);
  EXPECT_FALSE(ReadFileIfExists(files.host_conf)->has_value());
  EXPECT_FALSE(ReadFileIfExists(files.host_cert)->has_value());
  EXPECT_THAT(LoadHostConfig(config_.dirs.state_dir),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not enrolled")));
}

TEST_F(HostAgentTest, SyncWritesListsAndReloadsPostgresOnlyWhenTheCrlChanged) {
  ASSERT_THAT(DoEnroll().status(), IsOk());
  const HostFiles files(config_.dirs);
  CountingReloader reloader;
  SyncReport first = Sync(config_, ca_, &reloader, clock_);
  EXPECT_TRUE(first.ok) << absl::StrJoin(first.lines, "\n");
  EXPECT_EQ(Read(files.trusted_user_ca_keys), "ssh-ed25519 AAAAuserca\n");
  EXPECT_EQ(Read(files.revoked_keys), "SSHKRL-1");
  EXPECT_EQ(Read(files.user_ca), "X509 BUNDLE 1");
  EXPECT_EQ(Read(files.user_crl), "CRL 1");
  EXPECT_EQ(reloader.reloads, 1);
  SyncReport same = Sync(config_, ca_, &reloader, clock_);
  EXPECT_TRUE(same.ok);
  EXPECT_TRUE(same.lines.empty());
  EXPECT_EQ(reloader.reloads, 1);
  ca_.krl = "SSHKRL-2";
  ca_.crl = "CRL 2";
  EXPECT_TRUE(Sync(config_, ca_, &reloader, clock_).ok);
  EXPECT_EQ(Read(files.revoked_keys), "SSHKRL-2");
  EXPECT_EQ(reloader.reloads, 2);
}

TEST_F(HostAgentTest, ACaThatIsDownKeepsTheLastGoodFilesAndFails) {
  ASSERT_THAT(DoEnroll().status(), IsOk());
  const HostFiles files(config_.dirs);
  ASSERT_TRUE(Sync(config_, ca_, nullptr, clock_).ok);
  ca_.keys_status = absl::UnavailableError("connection refused");
  ca_.lists_status = absl::UnavailableError("connection refused");
  ca_.krl = "SSHKRL-never";
  SyncReport down = Sync(config_, ca_, nullptr, clock_);
  EXPECT_FALSE(down.ok);
  EXPECT_THAT(absl::StrJoin(down.lines, "\n"),
              HasSubstr("KRL: UNAVAILABLE: connection refused; keeping the last good " +
                        files.revoked_keys));
  EXPECT_EQ(Read(files.revoked_keys), "SSHKRL-1");
  EXPECT_EQ(Read(files.user_crl), "CRL 1");
  EXPECT_EQ(Read(files.trusted_user_ca_keys), "ssh-ed25519 AAAAuserca\n");
}

TEST_F(HostAgentTest, AnUnimplementedOrEmptyListIsAFailureNotAnEmptyFile) {
  ASSERT_THAT(DoEnroll().status(), IsOk());
  const HostFiles files(config_.dirs);
  ASSERT_TRUE(Sync(config_, ca_, nullptr, clock_).ok);
  ca_.krl = "";
  ca_.crl = "";
  SyncReport empty = Sync(config_, ca_, nullptr, clock_);
  EXPECT_FALSE(empty.ok);
  EXPECT_EQ(Read(files.revoked_keys), "SSHKRL-1");
  EXPECT_EQ(Read(files.user_crl), "CRL 1");
  ca_.lists_status = absl::UnimplementedError("GetRevocationList");
  EXPECT_FALSE(Sync(config_, ca_, nullptr, clock_).ok);
  EXPECT_EQ(Read(files.revoked_keys), "SSHKRL-1");
}

TEST_F(HostAgentTest, RenewsTheHostCertificateOnlyNearItsEnd) {
  ASSERT_THAT(DoEnroll().status(), IsOk());
  const HostFiles files(config_.dirs);
  const std::string enrolled = Read(files.host_cert);
  const std::string identity = Read(files.identity);
  ASSERT_TRUE(Sync(config_, ca_, nullptr, clock_).ok);
  EXPECT_TRUE(ca_.renew_requests.empty());
  clock_.Advance(absl::Hours(24 * 21));  // 9 days left < 10
  SyncReport renewed = Sync(config_, ca_, nullptr, clock_);
  EXPECT_TRUE(renewed.ok) << absl::StrJoin(renewed.lines, "\n");
  ASSERT_EQ(ca_.renew_requests.size(), 1u);
  EXPECT_EQ(ca_.renew_requests[0].host_public_key() + "\n", Read(files.host_key_pub));
  EXPECT_NE(Read(files.host_cert), enrolled);
  EXPECT_NE(Read(files.identity), identity);
  EXPECT_THAT(Read(files.identity), HasSubstr("id2"));
}

TEST_F(HostAgentTest, AFailedRenewalKeepsTheCurrentCertificate) {
  ASSERT_THAT(DoEnroll().status(), IsOk());
  const HostFiles files(config_.dirs);
  const std::string enrolled = Read(files.host_cert);
  const std::string identity = Read(files.identity);
  clock_.Advance(absl::Hours(24 * 25));
  ca_.renew_status = absl::UnavailableError("ca down");
  SyncReport report = Sync(config_, ca_, nullptr, clock_);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(Read(files.host_cert), enrolled);
  EXPECT_EQ(Read(files.identity), identity);
}

}  // namespace
}  // namespace jit::host
