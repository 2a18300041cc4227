// CA rotation (issue 11) judged by a real sshd: a real jit-ca (with jit-auth, jit-policy and
// PostgreSQL) is rotated through RotateCa while sshd's TrustedUserCAKeys is rewritten from
// GetCaPublicKeys after every phase, as jit-host sync does. A certificate from the old key
// keeps working through update_servers; one from the new key works from update_clients on;
// after standby the old one is refused ("is not listed in"); a rollback restores the old
// key's certificates and the discarded key's are refused. RotateCa needs cert_authority
// rotate, and out-of-order or unknown phases change nothing over the wire either.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/ed25519.h"
#include "common/db/testing/test_database.h"
#include "common/grpc_status.h"
#include "common/ssh/certificate.h"
#include "common/ssh/private_key.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"
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

constexpr char kCaAdminRole[] = R"(kind: role
version: v7
metadata:
  name: ca-admin
spec:
  allow:
    rules:
      - resources: ["cert_authority"]
        verbs: ["rotate"]
)";

struct UserKey {
  SecretString file;
  std::string public_line;
};

UserKey NewUserKey() {
  SecretString seed = *crypto::GenerateEd25519Seed();
  return {*ssh::EncodeOpenSshEd25519PrivateKey(seed, "test user"),
          ssh::SshPublicKey::FromEd25519(*crypto::Ed25519PublicKeyFromSeed(seed))->ToLine()};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) out.emplace_back(l);
  return out;
}

class CaRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, db::testing::TestDatabase::Create());
    ASSERT_OK_AND_ASSIGN(
        auth_, AuthServer::StartServing({.db_url = database_->conninfo(),
                                         .users = {{.name = "alice",
                                                    .roles = {"ops"},
                                                    .password = "alice's password, long",
                                                    .traits = {{"logins", {kLogin}}}},
                                                   {.name = "carl",
                                                    .roles = {"ca-admin"},
                                                    .password = "carl's password, long"}}}));
    ASSERT_OK_AND_ASSIGN(std::string roles, testkit::MakeTestDir("rotation-roles"));
    ASSERT_OK(testkit::WriteTestFile(roles + "/ops.yaml", kOpsRole, 0644));
    ASSERT_OK(testkit::WriteTestFile(roles + "/ca-admin.yaml", kCaAdminRole, 0644));
    ASSERT_OK_AND_ASSIGN(policy_,
                         ServiceProcess::StartServing({.service = "policy",
                                                       .db_url = database_->conninfo(),
                                                       .peers = {{"auth", auth_->address()}},
                                                       .flags = {"--roles_dir=" + roles}}));
    ASSERT_OK_AND_ASSIGN(std::string dir, testkit::MakeTestDir("rotation-ca"));
    ASSERT_OK_AND_ASSIGN(std::string kek, testkit::WriteKeyEncryptionKeyFile(dir + "/kek"));
    ASSERT_OK_AND_ASSIGN(ca_,
                         ServiceProcess::StartServing(
                             {.service = "ca",
                              .db_url = database_->conninfo(),
                              .peers = {{"auth", auth_->address()}, {"policy", policy_->address()}},
                              .flags = {"--key_encryption_key_file=" + kek}}));
    stub_ = testkit::NewStub<pb::CaService>(ca_->address(), testkit::AnonymousCredentials());
    ASSERT_OK_AND_ASSIGN(alice_, auth_->LoginToken("alice"));
    ASSERT_OK_AND_ASSIGN(carl_, auth_->LoginToken("carl"));
    pb::ListIssuedCertsResponse ignored;
    ASSERT_OK(testkit::EventuallyStatus(absl::StatusCode::kOk, [&] {
      return FromGrpcStatus(stub_->ListIssuedCerts(CallContext(alice_).get(), {}, &ignored));
    }));
    ASSERT_OK_AND_ASSIGN(sshd_, SshdServer::Create());
    ASSERT_OK_AND_ASSIGN(pb::GetCaPublicKeysResponse trust, PublicKeys());
    ASSERT_OK(sshd_->Start({.trusted_user_ca_keys = Lines(trust.trusted_user_ca_keys()),
                            .authorized_principals = {{"root", {kLogin}}}}));
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

  absl::StatusOr<pb::GetCaPublicKeysResponse> PublicKeys() {
    pb::GetCaPublicKeysResponse trust;
    RETURN_IF_ERROR(FromGrpcStatus(stub_->GetCaPublicKeys(CallContext().get(), {}, &trust)));
    return trust;
  }

  absl::StatusOr<pb::RotateCaResponse> Rotate(const std::string& phase,
                                              const std::string& token = "") {
    pb::RotateCaRequest request;
    request.set_type(pb::CA_TYPE_SSH_USER);
    request.set_phase(phase);
    pb::RotateCaResponse response;
    RETURN_IF_ERROR(FromGrpcStatus(
        stub_->RotateCa(CallContext(token.empty() ? carl_ : token).get(), request, &response)));
    return response;
  }

  // What jit-host sync does: TrustedUserCAKeys from GetCaPublicKeys.
  void Sync() {
    ASSERT_OK_AND_ASSIGN(pb::GetCaPublicKeysResponse trust, PublicKeys());
    ASSERT_OK(sshd_->SetTrustedUserCaKeys(Lines(trust.trusted_user_ca_keys())));
  }

  // A certificate for key_, and the key id of the CA key that signed it.
  std::pair<std::string, std::string> Sign() {
    pb::SignUserSshCertRequest request;
    request.set_public_key(key_.public_line);
    pb::SignUserSshCertResponse response;
    EXPECT_OK(
        FromGrpcStatus(stub_->SignUserSshCert(CallContext(alice_).get(), request, &response)));
    return {response.certificate(), response.issued().ca_key_id()};
  }

  // Logs in with `cert`: true when the command ran. A refusal must name why in sshd's log.
  bool LogsIn(const std::string& cert, std::string* log = nullptr) {
    const size_t mark = sshd_->LogSize();
    absl::StatusOr<testkit::SshResult> r =
        sshd_->RunSsh(SshClientOptions{.private_key = key_.file, .certificate = cert});
    EXPECT_TRUE(r.ok()) << r.status();
    if (log != nullptr) {
      testkit::Eventually(
          [&] { return sshd_->LogSince(mark).find("is not listed in") != std::string::npos; },
          absl::Seconds(10));
      *log = sshd_->LogSince(mark);
    }
    return r.ok() && r->exit_code == 0 && r->output.find("jit-ok") != std::string::npos;
  }

  // key id -> status of the ssh-user keys listed.
  std::map<std::string, std::string> Listed() {
    std::map<std::string, std::string> out;
    absl::StatusOr<pb::GetCaPublicKeysResponse> trust = PublicKeys();
    EXPECT_OK(trust.status());
    if (!trust.ok()) return out;
    for (const auto& k : trust->keys()) {
      if (k.type() == pb::CA_TYPE_SSH_USER) out[k.key_id()] = k.status();
    }
    return out;
  }

  std::unique_ptr<db::testing::TestDatabase> database_;
  std::unique_ptr<AuthServer> auth_;
  std::unique_ptr<ServiceProcess> policy_;
  std::unique_ptr<ServiceProcess> ca_;
  std::unique_ptr<pb::CaService::Stub> stub_;
  std::unique_ptr<SshdServer> sshd_;
  std::string alice_, carl_;
  UserKey key_ = NewUserKey();
};

TEST_F(CaRotationTest, TrustMovesToTheNewKeyBeforeTheOldIsWithdrawn) {
  const auto [old_cert, old_key] = Sign();
  ASSERT_TRUE(LogsIn(old_cert)) << sshd_->Log();

  ASSERT_OK_AND_ASSIGN(pb::RotateCaResponse init, Rotate("init"));
  EXPECT_EQ(init.phase(), "init");
  ASSERT_EQ(init.keys_size(), 2);
  Sync();
  std::map<std::string, std::string> listed = Listed();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[old_key], "active");
  std::string new_key;
  for (const auto& [id, status] : listed) {
    if (id != old_key) new_key = id;
  }
  EXPECT_EQ(listed[new_key], "next");
  EXPECT_EQ(Sign().second, old_key);  // the old key still signs in init
  EXPECT_TRUE(LogsIn(old_cert));

  ASSERT_OK(Rotate("update_clients").status());
  Sync();
  const auto [new_cert, signer] = Sign();
  EXPECT_EQ(signer, new_key);  // the new key signs from update_clients on
  EXPECT_EQ(Listed(),
            (std::map<std::string, std::string>{{old_key, "previous"}, {new_key, "active"}}));
  EXPECT_TRUE(LogsIn(new_cert)) << sshd_->Log();
  EXPECT_TRUE(LogsIn(old_cert));

  ASSERT_OK(Rotate("update_servers").status());
  Sync();
  EXPECT_TRUE(LogsIn(new_cert));
  EXPECT_TRUE(LogsIn(old_cert));  // still trusted through update_servers

  ASSERT_OK(Rotate("standby").status());
  Sync();
  EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{new_key, "active"}}));
  EXPECT_TRUE(LogsIn(new_cert));
  std::string log;
  EXPECT_FALSE(LogsIn(old_cert, &log));
  EXPECT_THAT(log, HasSubstr("is not listed in"));
}

TEST_F(CaRotationTest, RollbackRestoresTheOldKeysCertificates) {
  const auto [old_cert, old_key] = Sign();
  ASSERT_OK(Rotate("init").status());
  ASSERT_OK(Rotate("update_clients").status());
  Sync();
  const auto [new_cert, new_key] = Sign();
  ASSERT_NE(new_key, old_key);
  ASSERT_TRUE(LogsIn(new_cert)) << sshd_->Log();

  ASSERT_OK_AND_ASSIGN(pb::RotateCaResponse back, Rotate("rollback"));
  EXPECT_EQ(back.phase(), "rollback");
  Sync();
  EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{old_key, "active"}}));
  EXPECT_EQ(Sign().second, old_key);
  EXPECT_TRUE(LogsIn(old_cert)) << sshd_->Log();
  std::string log;
  EXPECT_FALSE(LogsIn(new_cert, &log));  // the discarded key is trusted no more
  EXPECT_THAT(log, HasSubstr("is not listed in"));
}

TEST_F(CaRotationTest, OnlyAdminsRotateAndBadPhasesChangeNothing) {
  EXPECT_THAT(Rotate("init", alice_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("cert_authority rotate")));
  EXPECT_THAT(Rotate("standby"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is in phase standby")));
  EXPECT_THAT(Rotate("finish"), StatusIs(absl::StatusCode::kInvalidArgument));
  pb::RotateCaRequest request;
  request.set_phase("init");
  pb::RotateCaResponse response;
  EXPECT_THAT(FromGrpcStatus(stub_->RotateCa(CallContext(carl_).get(), request, &response)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Listed().size(), 1u);
}

}  // namespace
}  // namespace jit
