#include "common/ssh/certificate.h"

#include <memory>
#include <string>

#include "common/crypto/ca_signer.h"
#include "common/ssh/wire.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::ssh {
namespace {

using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<CaSshSigner> NewSigner(crypto::CaKeyAlgorithm algorithm) {
  auto pem = crypto::GenerateCaPrivateKey(algorithm);
  EXPECT_TRUE(pem.ok()) << pem.status();
  auto ca = crypto::CaSigner::Create(*pem);
  EXPECT_TRUE(ca.ok()) << ca.status();
  auto signer = CaSshSigner::Create(std::shared_ptr<const crypto::CaSigner>(*std::move(ca)));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

SshPublicKey NewUserKey(const char* type = "ED25519", const char* param = nullptr) {
  crypto::EvpPkeyPtr pkey(param == nullptr ? EVP_PKEY_Q_keygen(nullptr, nullptr, type)
                                           : EVP_PKEY_Q_keygen(nullptr, nullptr, type, param));
  return *SshPublicKey::FromEvpPkey(pkey.get());
}

SshCertificateSpec UserSpec(SshPublicKey key) {
  return SshCertificateSpec{
      .key = std::move(key),
      .type = SshCertType::kUser,
      .serial = 0x1122334455667788ULL,
      .key_id = "alice/req-1/1234605616436508552",
      .principals = {"alice", "deploy"},
      .valid_after = 1700000000,
      .valid_before = 1700003600,
      .critical_options = {StringOption("source-address", "10.0.0.0/8")},
      .extensions = {FlagOption("permit-pty"), StringOption("jit-roles@jit-access", "dev,ops"),
                     FlagOption("permit-agent-forwarding")},
  };
}

class CertificateRoundTripTest : public ::testing::TestWithParam<crypto::CaKeyAlgorithm> {};

TEST_P(CertificateRoundTripTest, SignedFieldsReadBackAndTheSignatureVerifies) {
  auto ca = NewSigner(GetParam());
  const SshPublicKey user = NewUserKey();
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(UserSpec(user), *ca));
  ASSERT_OK_AND_ASSIGN(SshCertificate cert, SshCertificate::FromWire(wire));
  EXPECT_EQ(cert.key(), user);
  EXPECT_EQ(cert.nonce().size(), 32u);
  EXPECT_EQ(cert.serial(), 0x1122334455667788ULL);
  EXPECT_EQ(cert.type(), SshCertType::kUser);
  EXPECT_EQ(cert.key_id(), "alice/req-1/1234605616436508552");
  EXPECT_THAT(cert.principals(), ElementsAre("alice", "deploy"));
  EXPECT_EQ(cert.valid_after(), 1700000000u);
  EXPECT_EQ(cert.valid_before(), 1700003600u);
  ASSERT_EQ(cert.critical_options().size(), 1u);
  EXPECT_THAT(OptionString(cert.critical_options()[0]),
              IsOkAndHolds(std::string_view("10.0.0.0/8")));
  // Written sorted by name, whatever the order given.
  ASSERT_EQ(cert.extensions().size(), 3u);
  EXPECT_EQ(cert.extensions()[0].name, "jit-roles@jit-access");
  EXPECT_EQ(cert.extensions()[1].name, "permit-agent-forwarding");
  EXPECT_EQ(cert.extensions()[2].name, "permit-pty");
  EXPECT_EQ(cert.extensions()[2].data, "");
  EXPECT_EQ(cert.signature_key(), ca->public_key());
  EXPECT_OK(cert.VerifySignature());
  EXPECT_EQ(cert.wire(), wire);
}

TEST_P(CertificateRoundTripTest, EveryUserKeyTypeCanBeCertified) {
  auto ca = NewSigner(GetParam());
  for (const auto& [type, param] : std::initializer_list<std::pair<const char*, const char*>>{
           {"ED25519", nullptr}, {"EC", "P-256"}, {"EC", "P-384"}, {"EC", "P-521"}}) {
    SCOPED_TRACE(param == nullptr ? type : param);
    const SshPublicKey user = NewUserKey(type, param);
    ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(UserSpec(user), *ca));
    ASSERT_OK_AND_ASSIGN(SshCertificate cert, SshCertificate::FromWire(wire));
    EXPECT_EQ(cert.key(), user);
    EXPECT_OK(cert.VerifySignature());
  }
}

INSTANTIATE_TEST_SUITE_P(AllCaKinds, CertificateRoundTripTest,
                         ::testing::Values(crypto::CaKeyAlgorithm::kEd25519,
                                           crypto::CaKeyAlgorithm::kEcdsaP256,
                                           crypto::CaKeyAlgorithm::kRsa));

class CertificateTest : public ::testing::Test {
 protected:
  std::unique_ptr<CaSshSigner> ca_ = NewSigner(crypto::CaKeyAlgorithm::kEd25519);
  SshPublicKey user_ = NewUserKey();
};

TEST_F(CertificateTest, LineStartsWithTheCertificateTypeAndParsesBack) {
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(UserSpec(user_), *ca_));
  ASSERT_OK_AND_ASSIGN(std::string line, SshCertificateLine(wire, "alice@jit"));
  EXPECT_THAT(line, StartsWith("ssh-ed25519-cert-v01@openssh.com AAAA"));
  ASSERT_OK_AND_ASSIGN(SshCertificate cert, SshCertificate::FromLine(line));
  EXPECT_EQ(cert.wire(), wire);
}

TEST_F(CertificateTest, RsaUserKeyUsesTheRsaCertificateType) {
  const SshPublicKey rsa = [] {
    crypto::EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
    return *SshPublicKey::FromEvpPkey(k.get());
  }();
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(UserSpec(rsa), *ca_));
  ASSERT_OK_AND_ASSIGN(std::string line, SshCertificateLine(wire));
  EXPECT_THAT(line, StartsWith("ssh-rsa-cert-v01@openssh.com "));
  ASSERT_OK_AND_ASSIGN(SshCertificate cert, SshCertificate::FromWire(wire));
  EXPECT_EQ(cert.key(), rsa);
}

TEST_F(CertificateTest, HostCertificatesCarryTheHostType) {
  SshCertificateSpec spec = UserSpec(user_);
  spec.type = SshCertType::kHost;
  spec.principals = {"db1.example.com", "10.0.0.5"};
  spec.critical_options.clear();
  spec.extensions.clear();
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(spec, *ca_));
  ASSERT_OK_AND_ASSIGN(SshCertificate cert, SshCertificate::FromWire(wire));
  EXPECT_EQ(cert.type(), SshCertType::kHost);
  EXPECT_THAT(cert.principals(), ElementsAre("db1.example.com", "10.0.0.5"));
}

TEST_F(CertificateTest, GivenNonceIsUsedAndRandomOnesDiffer) {
  SshCertificateSpec spec = UserSpec(user_);
  ASSERT_OK_AND_ASSIGN(std::string a, SignSshCertificate(spec, *ca_));
  ASSERT_OK_AND_ASSIGN(std::string b, SignSshCertificate(spec, *ca_));
  EXPECT_NE(SshCertificate::FromWire(a)->nonce(), SshCertificate::FromWire(b)->nonce());
  spec.nonce = "fixed nonce";
  ASSERT_OK_AND_ASSIGN(std::string c, SignSshCertificate(spec, *ca_));
  EXPECT_EQ(SshCertificate::FromWire(c)->nonce(), "fixed nonce");
}

TEST_F(CertificateTest, TamperedCertificateDoesNotVerify) {
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(UserSpec(user_), *ca_));
  const size_t at = wire.find("alice/req-1");
  ASSERT_NE(at, std::string::npos);
  wire[at] = 'A';
  ASSERT_OK_AND_ASSIGN(SshCertificate cert, SshCertificate::FromWire(wire));
  EXPECT_EQ(cert.key_id(), "Alice/req-1/1234605616436508552");
  EXPECT_THAT(cert.VerifySignature(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CertificateTest, SerialZeroIsRefused) {
  SshCertificateSpec spec = UserSpec(user_);
  spec.serial = 0;
  EXPECT_THAT(SignSshCertificate(spec, *ca_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("serial")));
}

TEST_F(CertificateTest, NoPrincipalIsRefused) {
  SshCertificateSpec spec = UserSpec(user_);
  spec.principals.clear();
  EXPECT_THAT(SignSshCertificate(spec, *ca_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("any principal")));
}

TEST_F(CertificateTest, ControlCharactersInKeyIdOrPrincipalAreRefused) {
  SshCertificateSpec spec = UserSpec(user_);
  spec.key_id = "alice\nAccepted publickey for root";
  EXPECT_THAT(SignSshCertificate(spec, *ca_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key id")));
  spec = UserSpec(user_);
  spec.principals = {"root", std::string("a\0b", 3)};
  EXPECT_THAT(SignSshCertificate(spec, *ca_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("principals")));
  spec.principals = {""};
  EXPECT_THAT(SignSshCertificate(spec, *ca_), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CertificateTest, RepeatedOptionNameIsRefused) {
  SshCertificateSpec spec = UserSpec(user_);
  spec.extensions.push_back(FlagOption("permit-pty"));
  EXPECT_THAT(SignSshCertificate(spec, *ca_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than once")));
}

TEST_F(CertificateTest, EmptyValidityIsRefused) {
  SshCertificateSpec spec = UserSpec(user_);
  spec.valid_before = spec.valid_after;
  EXPECT_THAT(SignSshCertificate(spec, *ca_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("valid_after")));
}

TEST_F(CertificateTest, SignerFailurePassesThrough) {
  class FailingSigner final : public SshSigner {
   public:
    explicit FailingSigner(SshPublicKey key) : key_(std::move(key)) {}
    const SshPublicKey& public_key() const override { return key_; }
    absl::StatusOr<std::string> Sign(std::string_view) const override {
      return absl::InternalError("HSM unavailable");
    }

   private:
    SshPublicKey key_;
  };
  FailingSigner failing(ca_->public_key());
  EXPECT_THAT(SignSshCertificate(UserSpec(user_), failing),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("HSM")));
}

TEST_F(CertificateTest, ParserRefusesUnsortedOptionsUnknownTypesAndTrailingBytes) {
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(UserSpec(user_), *ca_));
  EXPECT_THAT(SshCertificate::FromWire(wire + "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  for (size_t n = 0; n < wire.size(); n += 5) {
    EXPECT_THAT(SshCertificate::FromWire(wire.substr(0, n)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  // Swap the sorted extension names "permit-agent-forwarding" / "permit-pty" by hand.
  ASSERT_OK_AND_ASSIGN(SshCertificate cert, SshCertificate::FromWire(wire));
  SshWriter ext;
  ext.PutString("permit-pty");
  ext.PutString("");
  ext.PutString("jit-roles@jit-access");
  ext.PutString("");
  SshWriter original;
  for (const SshCertOption& o : cert.extensions()) {
    original.PutString(o.name);
    original.PutString(o.data);
  }
  std::string unsorted = wire;
  const size_t at = unsorted.find(std::string(original.view()));
  ASSERT_NE(at, std::string::npos);
  unsorted.replace(at - 4, original.size() + 4, [&] {
    SshWriter w;
    w.PutString(ext.view());
    return std::string(w.view());
  }());
  EXPECT_THAT(SshCertificate::FromWire(unsorted),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not sorted")));
}

TEST_F(CertificateTest, PlainKeyIsNotACertificate) {
  EXPECT_THAT(SshCertificate::FromWire(user_.wire()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a certificate")));
}

TEST(CertTimeTest, ConvertsAndClamps) {
  EXPECT_EQ(ToCertTime(absl::FromUnixSeconds(1700000000)), 1700000000u);
  EXPECT_EQ(ToCertTime(absl::FromUnixSeconds(-5)), 0u);
  EXPECT_EQ(ToCertTime(absl::InfiniteFuture()), kValidForever);
}

}  // namespace
}  // namespace jit::ssh
