// jit-host against the real thing: a real jit-ca (with jit-auth, jit-policy and PostgreSQL)
// holding the test PKI's internal CA, a real sshd and the real jit-host binary.
//
// - An admin's join token enrols the host (jit-host enroll): the host certificate for the
//   host's own key, TrustedUserCAKeys and RevokedKeys come from the ca; an sshd configured
//   with exactly those files accepts a user certificate from the ca, and ssh verifies the
//   host by the ca's @cert-authority line alone (StrictHostKeyChecking=yes, no TOFU); a
//   foreign host CA is refused. The token cannot be redeemed twice.
// - jit-host sync over mTLS as spiffe://jit-access/host/127.0.0.1 replaces a file that
//   differs from the ca's by rename (a new inode; sshd never sees half a file), renews the
//   host certificate and identity (RenewHost), keeps the last good files and exits 1 while
//   GetRevocationList is not served, and keeps them when the ca is down.
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/ed25519.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/ssh/private_key.h"
#include "common/ssh/public_key.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "common/testing/test_pki_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jit/ca/v1/ca.grpc.pb.h"
#include "tests/integration/testkit/auth_server.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/eventually.h"
#include "tests/integration/testkit/service_process.h"
#include "tests/integration/testkit/sshd_server.h"
#include "tests/integration/testkit/test_files.h"

namespace jit {
namespace {

namespace pb = ::jit::ca::v1;
using ::jit::testing::ReadFileOrEmpty;
using ::jit::testing::RunfilePath;
using ::jit::testing::RunShell;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using testkit::AuthServer;
using testkit::CallContext;
using testkit::ServiceProcess;
using testkit::SshClientOptions;
using testkit::SshdServer;

constexpr char kLogin[] = "alice-root";

constexpr char kOpsRole[] = R"(kind: role
version: v7
metadata:
  name: ops
spec:
  allow:
    logins: ["{{internal.logins}}"]
  options:
    max_session_ttl: 2h
)";

constexpr char kHostAdminRole[] = R"(kind: role
version: v7
metadata:
  name: host-admin
spec:
  allow:
    rules:
      - resources: ["cert_authority"]
        verbs: ["create"]
)";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) out.emplace_back(l);
  return out;
}

ino_t InodeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

class JitHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, db::testing::TestDatabase::Create());
    ASSERT_OK_AND_ASSIGN(
        auth_, AuthServer::StartServing({.db_url = database_->conninfo(),
                                         .users = {{.name = "alice",
                                                    .roles = {"ops"},
                                                    .password = "alice's password, long",
                                                    .traits = {{"logins", {kLogin}}}},
                                                   {.name = "hank",
                                                    .roles = {"host-admin"},
                                                    .password = "hank's password, long"}}}));
    ASSERT_OK_AND_ASSIGN(std::string roles, testkit::MakeTestDir("host-roles"));
    ASSERT_OK(testkit::WriteTestFile(roles + "/ops.yaml", kOpsRole, 0644));
    ASSERT_OK(testkit::WriteTestFile(roles + "/host-admin.yaml", kHostAdminRole, 0644));
    ASSERT_OK_AND_ASSIGN(policy_,
                         ServiceProcess::StartServing({.service = "policy",
                                                       .db_url = database_->conninfo(),
                                                       .peers = {{"auth", auth_->address()}},
                                                       .flags = {"--roles_dir=" + roles}}));
    ASSERT_OK_AND_ASSIGN(std::string dir, testkit::MakeTestDir("host-ca"));
    ASSERT_OK_AND_ASSIGN(std::string kek, testkit::WriteKeyEncryptionKeyFile(dir + "/kek"));
    // The services' CA, imported by the ca on its first start (the key file must be 0600).
    ASSERT_OK(testkit::WriteTestFile(
        dir + "/internal-ca.key", ReadFileOrEmpty(jit::testing::TestPkiDir() + "/internal-ca.key"),
        0600));
    internal_ca_file_ = jit::testing::TestPkiDir() + "/internal-ca.pem";
    ASSERT_OK_AND_ASSIGN(ca_,
                         ServiceProcess::StartServing(
                             {.service = "ca",
                              .db_url = database_->conninfo(),
                              .peers = {{"auth", auth_->address()}, {"policy", policy_->address()}},
                              .flags = {"--key_encryption_key_file=" + kek,
                                        "--internal_ca_cert_file=" + internal_ca_file_,
                                        "--internal_ca_key_file=" + dir + "/internal-ca.key"}}));
    stub_ = testkit::NewStub<pb::CaService>(ca_->address(), testkit::AnonymousCredentials());
    ASSERT_OK_AND_ASSIGN(alice_, auth_->LoginToken("alice"));
    ASSERT_OK_AND_ASSIGN(hank_, auth_->LoginToken("hank"));
    ASSERT_OK(testkit::EventuallyStatus(absl::StatusCode::kOk, [&] {
      pb::CreateJoinTokenRequest request;
      request.set_kind(pb::JOIN_TOKEN_KIND_HOST);
      request.add_allowed_names("127.0.0.1");
      return FromGrpcStatus(stub_->CreateJoinToken(CallContext(hank_).get(), request, &token_));
    }));

    ASSERT_OK_AND_ASSIGN(sshd_, SshdServer::Create());
    ASSERT_OK_AND_ASSIGN(state_dir_, testkit::MakeTestDir("host-state"));
    ASSERT_OK_AND_ASSIGN(sshd_dir_, testkit::MakeTestDir("host-sshd"));
    // The host keeps its own key: jit-host certifies the key sshd already has.
    ASSERT_OK(testkit::WriteTestFile(sshd_dir_ + "/ssh_host_ed25519_key",
                                     ReadFileOrEmpty(sshd_->dir() + "/host_ed25519_key"), 0600));
    ASSERT_OK(testkit::WriteTestFile(sshd_dir_ + "/ssh_host_ed25519_key.pub",
                                     sshd_->host_key().ToLine() + "\n", 0644));
    ASSERT_OK(testkit::WriteTestFile(state_dir_ + "/token", token_.token() + "\n", 0600));
  }

  void TearDown() override {
    if (sshd_ != nullptr) {
      EXPECT_OK(sshd_->Stop());
    }
    stub_.reset();
    if (ca_ != nullptr) {
      EXPECT_OK(ca_->Stop());
    }
    if (policy_ != nullptr) {
      EXPECT_OK(policy_->Stop());
    }
    if (auth_ != nullptr) {
      EXPECT_OK(auth_->Stop());
    }
  }

  std::pair<int, std::string> JitHost(const std::string& args) {
    return RunShell(absl::StrCat(RunfilePath("tools/jit-host/jit-host"),
                                 " --state-dir=", state_dir_, " ", args, " 2>&1"));
  }
  std::pair<int, std::string> Enroll() {
    return JitHost(absl::StrCat("enroll --ca-addr=", ca_->address(),
                                " --ca-file=", internal_ca_file_, " --token-file=", state_dir_,
                                "/token --names=127.0.0.1 --sshd-dir=", sshd_dir_));
  }
  std::string SshdFile(const std::string& name) { return sshd_dir_ + "/" + name; }

  // Starts sshd with exactly the files jit-host wrote.
  absl::Status StartSshd() {
    return sshd_->Start(
        {.trusted_user_ca_keys = Lines(ReadFileOrEmpty(SshdFile("jit_trusted_user_ca_keys.pub"))),
         .authorized_principals = {{"root", {kLogin}}},
         .host_certificate = std::string(absl::StripAsciiWhitespace(
             ReadFileOrEmpty(SshdFile("ssh_host_ed25519_key-cert.pub")))),
         .extra_config = {"RevokedKeys " + SshdFile("jit_revoked_keys.krl")}});
  }

  struct UserCert {
    SecretString key_file;
    std::string certificate;
  };
  // A fresh key of alice's and its certificate from the ca.
  absl::StatusOr<UserCert> SignAlice() {
    SecretString seed = *crypto::GenerateEd25519Seed();
    pb::SignUserSshCertRequest request;
    request.set_public_key(
        ssh::SshPublicKey::FromEd25519(*crypto::Ed25519PublicKeyFromSeed(seed))->ToLine());
    pb::SignUserSshCertResponse cert;
    RETURN_IF_ERROR(
        FromGrpcStatus(stub_->SignUserSshCert(CallContext(alice_).get(), request, &cert)));
    return UserCert{*ssh::EncodeOpenSshEd25519PrivateKey(seed, "alice"), cert.certificate()};
  }
  // Logs in with `user`, checking the host by `known_hosts`.
  absl::StatusOr<testkit::SshResult> Login(const UserCert& user, const std::string& known_hosts) {
    return sshd_->RunSsh({.private_key = SecretString(std::string(user.key_file.Reveal())),
                          .certificate = user.certificate,
                          .known_hosts = known_hosts});
  }
  absl::StatusOr<testkit::SshResult> Login(const std::string& known_hosts) {
    ASSIGN_OR_RETURN(UserCert user, SignAlice());
    return Login(user, known_hosts);
  }

  std::string HostCaKnownHosts() {
    pb::GetCaPublicKeysRequest request;
    request.set_known_hosts_pattern(absl::StrCat("[127.0.0.1]:", sshd_->port()));
    pb::GetCaPublicKeysResponse keys;
    EXPECT_OK(FromGrpcStatus(stub_->GetCaPublicKeys(CallContext().get(), request, &keys)));
    return keys.known_hosts();
  }

  std::unique_ptr<db::testing::TestDatabase> database_;
  std::unique_ptr<AuthServer> auth_;
  std::unique_ptr<ServiceProcess> policy_, ca_;
  std::unique_ptr<pb::CaService::Stub> stub_;
  std::unique_ptr<SshdServer> sshd_;
  std::string alice_, hank_, internal_ca_file_, state_dir_, sshd_dir_;
  pb::CreateJoinTokenResponse token_;
};

TEST_F(JitHostTest, EnrolledHostAcceptsCaUsersAndIsVerifiedByTheHostCa) {
  auto [rc, out] = Enroll();
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("HostCertificate " + SshdFile("ssh_host_ed25519_key-cert.pub")));
  EXPECT_THAT(out, HasSubstr("TrustedUserCAKeys " + SshdFile("jit_trusted_user_ca_keys.pub")));
  EXPECT_THAT(out, HasSubstr("RevokedKeys " + SshdFile("jit_revoked_keys.krl")));
  // The ca's KRL (it revokes nothing yet, but it is a real list sshd reads).
  EXPECT_THAT(out, HasSubstr("KRL: updated " + SshdFile("jit_revoked_keys.krl")));
  EXPECT_THAT(ReadFileOrEmpty(SshdFile("jit_revoked_keys.krl")), ::testing::StartsWith("SSHKRL"));
  auto [keygen_rc, keygen] =
      RunShell("ssh-keygen -L -f " + SshdFile("ssh_host_ed25519_key-cert.pub") + " 2>&1");
  ASSERT_EQ(keygen_rc, 0) << keygen;
  EXPECT_THAT(keygen, HasSubstr("host certificate"));
  EXPECT_THAT(keygen, HasSubstr("127.0.0.1"));
  ASSERT_OK(StartSshd());

  ASSERT_OK_AND_ASSIGN(testkit::SshResult ok, Login(HostCaKnownHosts()));
  EXPECT_EQ(ok.exit_code, 0) << ok.output << sshd_->Log();
  EXPECT_THAT(ok.output, HasSubstr("jit-ok"));

  // The host check is real: another host CA is refused (no trust on first use).
  SecretString other = *crypto::GenerateEd25519Seed();
  const std::string other_ca =
      ssh::SshPublicKey::FromEd25519(*crypto::Ed25519PublicKeyFromSeed(other))->ToLine();
  ASSERT_OK_AND_ASSIGN(testkit::SshResult refused,
                       Login(testkit::KnownHostsCaLine(sshd_->port(), other_ca)));
  EXPECT_EQ(refused.exit_code, 255) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("Host key verification failed"));

  // The token was single use.
  auto [again_rc, again] = Enroll();
  EXPECT_EQ(again_rc, 1);
  EXPECT_THAT(again, HasSubstr("join token refused: already used"));
}

TEST_F(JitHostTest, SyncReplacesFilesAtomicallyRenewsAndKeepsTheLastGoodFiles) {
  auto [rc, out] = Enroll();
  ASSERT_EQ(rc, 0) << out;
  const std::string trusted = SshdFile("jit_trusted_user_ca_keys.pub");
  const std::string good = ReadFileOrEmpty(trusted);
  ASSERT_THAT(good, HasSubstr("ssh-ed25519 "));
  ASSERT_OK(testkit::WriteTestFile(trusted, "stale\n", 0644));
  const ino_t before = InodeOf(trusted);

  // One-shot sync as the host (mTLS): the trust file comes back by rename; the KRL, unchanged,
  // is left alone. --renew-before beyond the certificate's life renews it (RenewHost).
  const std::string host_cert = ReadFileOrEmpty(SshdFile("ssh_host_ed25519_key-cert.pub"));
  const std::string identity = ReadFileOrEmpty(state_dir_ + "/identity.pem");
  auto [sync_rc, sync] = JitHost("sync --renew-before=8760h");
  EXPECT_EQ(sync_rc, 0) << sync;
  EXPECT_THAT(sync, HasSubstr("trusted user CA keys: updated " + trusted));
  EXPECT_THAT(sync, ::testing::Not(HasSubstr("KRL:")));
  EXPECT_THAT(sync, HasSubstr("host certificate renewed"));
  EXPECT_EQ(ReadFileOrEmpty(trusted), good);
  EXPECT_NE(InodeOf(trusted), before);
  const std::string renewed = ReadFileOrEmpty(SshdFile("ssh_host_ed25519_key-cert.pub"));
  EXPECT_NE(renewed, host_cert);
  EXPECT_NE(ReadFileOrEmpty(state_dir_ + "/identity.pem"), identity);
  EXPECT_THAT(ReadFileOrEmpty(SshdFile("jit_revoked_keys.krl")), ::testing::StartsWith("SSHKRL"));

  // sshd started from the synced files (the renewed certificate) still lets alice in.
  ASSERT_OK(StartSshd());
  ASSERT_OK_AND_ASSIGN(testkit::SshResult ok, Login(HostCaKnownHosts()));
  EXPECT_EQ(ok.exit_code, 0) << ok.output << sshd_->Log();

  // The renewed identity authenticates the next sync; with the ca down every file stays.
  const std::string known = HostCaKnownHosts();
  ASSERT_OK_AND_ASSIGN(UserCert alice, SignAlice());
  auto [again_rc, again] = JitHost("sync");
  EXPECT_EQ(again_rc, 0) << again;
  EXPECT_THAT(again, ::testing::Not(HasSubstr("CA keys:")));
  ASSERT_OK(ca_->Stop());
  ca_.reset();
  auto [down_rc, down] = JitHost("--timeout=3s sync");
  EXPECT_EQ(down_rc, 1) << down;
  EXPECT_THAT(down, HasSubstr("CA keys: UNAVAILABLE"));
  EXPECT_THAT(down, HasSubstr("keeping the last good"));
  EXPECT_EQ(ReadFileOrEmpty(trusted), good);
  EXPECT_EQ(ReadFileOrEmpty(SshdFile("ssh_host_ed25519_key-cert.pub")), renewed);
  // sshd, reading the files jit-host kept, still lets a certificate from the ca in.
  ASSERT_OK_AND_ASSIGN(testkit::SshResult still, Login(alice, known));
  EXPECT_EQ(still.exit_code, 0) << still.output << sshd_->Log();
}

}  // namespace
}  // namespace jit
