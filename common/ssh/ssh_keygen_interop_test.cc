// The SSH formats judged by OpenSSH's own ssh-keygen (9.2 on Debian 12): keys it makes parse
// with the same fingerprint; certificates we sign are printed by `ssh-keygen -L` as intended
// (which also checks their signature); certificates it signs parse and verify here; our
// private key file is read by `ssh-keygen -y`; our KRLs are read by `ssh-keygen -Q` with the
// same verdict as our own record for thousands of serials, and its KRLs by our reader.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto/ca_signer.h"
#include "common/crypto/ed25519.h"
#include "common/ssh/certificate.h"
#include "common/ssh/krl.h"
#include "common/ssh/private_key.h"
#include "common/ssh/public_key.h"
#include "common/ssh/signature.h"
#include "common/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gtest/gtest.h"

namespace jit::ssh {
namespace {

using ::jit::testing::IsOkAndHolds;
using ::jit::testing::ReadFileOrEmpty;
using ::jit::testing::RunShell;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSshKeygen[] = "/usr/bin/ssh-keygen";

std::string TempDir() {
  static int counter = 0;
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(base != nullptr ? base : "/tmp", "/keygen", ++counter);
  mkdir(dir.c_str(), 0700);
  return dir;
}

void WriteFile(const std::string& path, std::string_view content, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  chmod(path.c_str(), mode);
}

std::string Trim(std::string s) { return std::string(absl::StripAsciiWhitespace(s)); }

std::shared_ptr<const crypto::CaSigner> NewCa(crypto::CaKeyAlgorithm algorithm) {
  auto pem = crypto::GenerateCaPrivateKey(algorithm);
  EXPECT_TRUE(pem.ok()) << pem.status();
  auto ca = crypto::CaSigner::Create(*pem);
  EXPECT_TRUE(ca.ok()) << ca.status();
  return std::shared_ptr<const crypto::CaSigner>(*std::move(ca));
}

std::unique_ptr<CaSshSigner> NewSshCa(crypto::CaKeyAlgorithm algorithm) {
  return *CaSshSigner::Create(NewCa(algorithm));
}

SshPublicKey NewUserKey() {
  crypto::EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  return *SshPublicKey::FromEvpPkey(k.get());
}

class SshKeygenInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kSshKeygen, X_OK), 0)
        << kSshKeygen << " missing (apt-get install openssh-client)";
  }
  std::string dir_ = TempDir();
};

TEST_F(SshKeygenInteropTest, KeysItMakesParseWithTheFingerprintItPrints) {
  for (const auto& [type, bits] :
       std::initializer_list<std::pair<const char*, const char*>>{{"ed25519", ""},
                                                                  {"ecdsa", "256"},
                                                                  {"ecdsa", "384"},
                                                                  {"ecdsa", "521"},
                                                                  {"rsa", "2048"}}) {
    SCOPED_TRACE(absl::StrCat(type, bits));
    const std::string key = absl::StrCat(dir_, "/", type, bits);
    auto [rc, out] = RunShell(absl::StrCat(kSshKeygen, " -q -N '' -t ", type,
                                           *bits ? absl::StrCat(" -b ", bits) : "", " -f ", key));
    ASSERT_EQ(rc, 0) << out;
    ASSERT_OK_AND_ASSIGN(SshPublicKey parsed,
                         SshPublicKey::FromLine(ReadFileOrEmpty(key + ".pub")));
    auto [rc2, fp] = RunShell(absl::StrCat(kSshKeygen, " -l -E sha256 -f ", key, ".pub"));
    ASSERT_EQ(rc2, 0) << fp;
    const std::vector<std::string> words = absl::StrSplit(fp, ' ');
    ASSERT_GE(words.size(), 2u);
    EXPECT_EQ(words[0], std::to_string(parsed.bits()));
    EXPECT_EQ(words[1], parsed.Fingerprint());
  }
}

class SshKeygenPrintsOurCertificatesTest
    : public SshKeygenInteropTest,
      public ::testing::WithParamInterface<crypto::CaKeyAlgorithm> {};

TEST_P(SshKeygenPrintsOurCertificatesTest, AsIntended) {
  auto ca = NewSshCa(GetParam());
  const SshPublicKey user = NewUserKey();
  SshCertificateSpec spec{
      .key = user,
      .serial = 18'000'000'000'000'000'123ULL,
      .key_id = "alice/req-7,req-9/18000000000000000123",
      .principals = {"alice", "deploy"},
      .valid_after = 1700000000,  // 2023-11-14T22:13:20Z
      .valid_before = 1700003600,
      .critical_options = {StringOption("source-address", "10.0.0.0/8,192.168.1.7/32")},
      .extensions = {FlagOption("permit-pty"), FlagOption("permit-port-forwarding"),
                     StringOption("jit-roles@jit-access", "dev"),
                     StringOption("jit-requests@jit-access", "req-7,req-9")},
  };
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(spec, *ca));
  ASSERT_OK_AND_ASSIGN(std::string line, SshCertificateLine(wire, "alice@jit-access"));
  const std::string path = dir_ + "/user-cert.pub";
  WriteFile(path, line + "\n");
  auto [rc, out] = RunShell(absl::StrCat("TZ=UTC ", kSshKeygen, " -L -f ", path));
  ASSERT_EQ(rc, 0) << out;
  const std::string ca_type = GetParam() == crypto::CaKeyAlgorithm::kEd25519     ? "ED25519"
                              : GetParam() == crypto::CaKeyAlgorithm::kEcdsaP256 ? "ECDSA"
                                                                                 : "RSA";
  const std::string algorithm = GetParam() == crypto::CaKeyAlgorithm::kEd25519 ? "ssh-ed25519"
                                : GetParam() == crypto::CaKeyAlgorithm::kEcdsaP256
                                    ? "ecdsa-sha2-nistp256"
                                    : "rsa-sha2-512";
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(out, '\n')) lines.push_back(Trim(std::string(l)));
  const std::vector<std::string> expected = {
      "Type: ssh-ed25519-cert-v01@openssh.com user certificate",
      absl::StrCat("Public key: ED25519-CERT ", user.Fingerprint()),
      absl::StrCat("Signing CA: ", ca_type, " ", ca->public_key().Fingerprint(), " (using ",
                   algorithm, ")"),
      "Key ID: \"alice/req-7,req-9/18000000000000000123\"",
      "Serial: 18000000000000000123",
      "Valid: from 2023-11-14T22:13:20 to 2023-11-14T23:13:20",
      "Principals:",
      "alice",
      "deploy",
      "Critical Options:",
      "source-address 10.0.0.0/8,192.168.1.7/32",
      "Extensions:",
  };
  ASSERT_GE(lines.size(), expected.size() + 1) << out;
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(lines[i + 1], expected[i]) << out;
  // Extensions in the order written (sorted); ours are shown as "UNKNOWN OPTION" with their
  // string-encoded data in hex.
  EXPECT_THAT(lines[expected.size() + 1],
              HasSubstr("jit-requests@jit-access UNKNOWN OPTION: 000000"));
  EXPECT_THAT(lines[expected.size() + 2], HasSubstr("jit-roles@jit-access UNKNOWN OPTION: "
                                                    "00000003646576 (len 7)"));
  EXPECT_EQ(lines[expected.size() + 3], "permit-port-forwarding");
  EXPECT_EQ(lines[expected.size() + 4], "permit-pty");
}

TEST_P(SshKeygenPrintsOurCertificatesTest, HostCertificates) {
  auto ca = NewSshCa(GetParam());
  SshCertificateSpec spec{.key = NewUserKey(),
                          .type = SshCertType::kHost,
                          .serial = 5,
                          .key_id = "host db1",
                          .principals = {"db1.example.com", "127.0.0.1"},
                          .valid_after = 0,
                          .valid_before = kValidForever};
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(spec, *ca));
  const std::string path = dir_ + "/host-cert.pub";
  WriteFile(path, *SshCertificateLine(wire) + "\n");
  auto [rc, out] = RunShell(absl::StrCat(kSshKeygen, " -L -f ", path));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Type: ssh-ed25519-cert-v01@openssh.com host certificate"));
  EXPECT_THAT(out, HasSubstr("Valid: forever"));
  EXPECT_THAT(out, HasSubstr("db1.example.com"));
}

INSTANTIATE_TEST_SUITE_P(AllCaKinds, SshKeygenPrintsOurCertificatesTest,
                         ::testing::Values(crypto::CaKeyAlgorithm::kEd25519,
                                           crypto::CaKeyAlgorithm::kEcdsaP256,
                                           crypto::CaKeyAlgorithm::kRsa));

TEST_F(SshKeygenInteropTest, TamperedCertificateIsRefusedBySshKeygen) {
  auto ca = NewSshCa(crypto::CaKeyAlgorithm::kEd25519);
  SshCertificateSpec spec{.key = NewUserKey(),
                          .serial = 9,
                          .key_id = "alice",
                          .principals = {"alice"},
                          .valid_after = 0,
                          .valid_before = 100};
  ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(spec, *ca));
  wire[wire.find("alice")] = 'm';
  WriteFile(dir_ + "/bad-cert.pub", *SshCertificateLine(wire) + "\n");
  auto [rc, out] = RunShell(absl::StrCat(kSshKeygen, " -L -f ", dir_, "/bad-cert.pub"));
  EXPECT_NE(rc, 0) << out;
}

TEST_F(SshKeygenInteropTest, CertificatesItSignsParseAndVerify) {
  for (const char* ca_type : {"ed25519", "ecdsa", "rsa"}) {
    SCOPED_TRACE(ca_type);
    const std::string ca = absl::StrCat(dir_, "/ca-", ca_type);
    const std::string user = absl::StrCat(dir_, "/user-", ca_type);
    ASSERT_EQ(RunShell(absl::StrCat(kSshKeygen, " -q -N '' -t ", ca_type, " -f ", ca)).first, 0);
    ASSERT_EQ(RunShell(absl::StrCat(kSshKeygen, " -q -N '' -t ecdsa -f ", user)).first, 0);
    auto [rc, out] = RunShell(absl::StrCat(
        kSshKeygen, " -q -s ", ca, " -I bob/req-3 -n bob,ops -z 4242 -V 20240101:20240102",
        " -O clear -O permit-pty -O source-address=10.1.0.0/16",
        " -O extension:jit-roles@jit-access=dba ", user, ".pub"));
    ASSERT_EQ(rc, 0) << out;
    ASSERT_OK_AND_ASSIGN(SshCertificate cert,
                         SshCertificate::FromLine(ReadFileOrEmpty(user + "-cert.pub")));
    EXPECT_OK(cert.VerifySignature());
    EXPECT_EQ(cert.serial(), 4242u);
    EXPECT_EQ(cert.key_id(), "bob/req-3");
    EXPECT_THAT(cert.principals(), ElementsAre("bob", "ops"));
    EXPECT_EQ(cert.key(), *SshPublicKey::FromLine(ReadFileOrEmpty(user + ".pub")));
    EXPECT_EQ(cert.signature_key(), *SshPublicKey::FromLine(ReadFileOrEmpty(ca + ".pub")));
    ASSERT_EQ(cert.critical_options().size(), 1u);
    EXPECT_THAT(OptionString(cert.critical_options()[0]),
                IsOkAndHolds(std::string_view("10.1.0.0/16")));
    ASSERT_EQ(cert.extensions().size(), 2u);
    EXPECT_EQ(cert.extensions()[0], StringOption("jit-roles@jit-access", "dba"));
    EXPECT_EQ(cert.extensions()[1], FlagOption("permit-pty"));
  }
}

TEST_F(SshKeygenInteropTest, OurPrivateKeyFileIsReadBySshKeygenAndTheOtherWayRound) {
  ASSERT_OK_AND_ASSIGN(SecretString seed, crypto::GenerateEd25519Seed());
  ASSERT_OK_AND_ASSIGN(SecretString file, EncodeOpenSshEd25519PrivateKey(seed, "alice@jit"));
  const std::string path = dir_ + "/id_ed25519";
  WriteFile(path, file.Reveal(), 0600);
  auto [rc, out] = RunShell(absl::StrCat(kSshKeygen, " -y -f ", path));
  ASSERT_EQ(rc, 0) << out;
  ASSERT_OK_AND_ASSIGN(std::string pk, crypto::Ed25519PublicKeyFromSeed(seed));
  EXPECT_EQ(Trim(out), SshPublicKey::FromEd25519(pk)->ToLine("alice@jit"));

  const std::string theirs = dir_ + "/theirs";
  ASSERT_EQ(RunShell(absl::StrCat(kSshKeygen, " -q -N '' -C them -t ed25519 -f ", theirs)).first,
            0);
  ASSERT_OK_AND_ASSIGN(OpenSshEd25519PrivateKey parsed,
                       ParseOpenSshEd25519PrivateKey(SecretString(ReadFileOrEmpty(theirs))));
  EXPECT_EQ(parsed.public_key, *SshPublicKey::FromLine(ReadFileOrEmpty(theirs + ".pub")));
  EXPECT_EQ(parsed.comment, "them");
}

// Runs `ssh-keygen -Q` over certificate files in batches; returns the verdicts by file.
std::vector<bool> SshKeygenRevoked(const std::string& krl, const std::vector<std::string>& files) {
  std::vector<bool> revoked;
  for (size_t start = 0; start < files.size(); start += 500) {
    std::string cmd = absl::StrCat(kSshKeygen, " -Q -f ", krl);
    const size_t end = std::min(files.size(), start + 500);
    for (size_t i = start; i < end; ++i) absl::StrAppend(&cmd, " ", files[i]);
    auto [rc, out] = RunShell(cmd);
    (void)rc;  // 1 when anything is revoked
    std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
    EXPECT_EQ(lines.size(), end - start) << out.substr(0, 2000);
    for (size_t i = 0; i < lines.size() && start + i < end; ++i) {
      EXPECT_TRUE(absl::StartsWith(lines[i], files[start + i])) << lines[i];
      revoked.push_back(absl::EndsWith(lines[i], ": REVOKED"));
      EXPECT_TRUE(revoked.back() || absl::EndsWith(lines[i], ": ok")) << lines[i];
    }
  }
  return revoked;
}

TEST_F(SshKeygenInteropTest, SshKeygenAgreesWithOurKrlForThousandsOfSerials) {
  auto ca = NewSshCa(crypto::CaKeyAlgorithm::kEd25519);
  std::mt19937_64 rng(2024);
  // Revoked: random 64-bit serials, a dense cluster (bitmaps), runs (ranges).
  std::set<uint64_t> revoked;
  for (int i = 0; i < 400; ++i) revoked.insert(rng() | 1);
  for (int i = 0; i < 1500; ++i) revoked.insert(50'000 + rng() % 4'000);
  for (uint64_t s = 900'000; s < 900'300; ++s) revoked.insert(s);
  for (uint64_t s = 1'000'000; s < 1'020'000; s += 3) revoked.insert(s);  // > 16384 bits
  KrlSpec spec{.version = 1, .generated = absl::Now(), .comment = "interop"};
  spec.certificates.push_back({.ca_key_wire = ca->public_key().wire(),
                               .serials = {revoked.begin(), revoked.end()},
                               .key_ids = {"revoked-by-id"}});
  ASSERT_OK_AND_ASSIGN(std::string bytes, BuildKrl(spec));
  const std::string krl_path = dir_ + "/krl";
  WriteFile(krl_path, bytes);
  ASSERT_OK_AND_ASSIGN(Krl ours, Krl::Parse(bytes));

  // Serials to ask about: every revoked one we can afford plus neighbours and random others.
  std::vector<uint64_t> probe;
  for (uint64_t s : revoked) {
    if (probe.size() < 2500) probe.push_back(s);
  }
  for (uint64_t s = 49'990; s < 54'010; s += 7) probe.push_back(s);
  for (uint64_t s = 899'998; s < 900'302; s += 1) probe.push_back(s);
  for (uint64_t s = 1'019'990; s < 1'020'010; ++s) probe.push_back(s);
  for (int i = 0; i < 300; ++i) probe.push_back(rng() | 1);
  const SshPublicKey user = NewUserKey();
  std::vector<std::string> files;
  for (size_t i = 0; i < probe.size(); ++i) {
    SshCertificateSpec cert{.key = user,
                            .serial = probe[i],
                            .key_id = "probe",
                            .principals = {"root"},
                            .valid_after = 0,
                            .valid_before = kValidForever};
    ASSERT_OK_AND_ASSIGN(std::string wire, SignSshCertificate(cert, *ca));
    files.push_back(absl::StrCat(dir_, "/c", i));
    WriteFile(files.back(), *SshCertificateLine(wire) + "\n");
  }
  const std::vector<bool> verdicts = SshKeygenRevoked(krl_path, files);
  ASSERT_EQ(verdicts.size(), probe.size());
  int revoked_count = 0;
  for (size_t i = 0; i < probe.size(); ++i) {
    const bool expected = revoked.count(probe[i]) == 1;
    ASSERT_EQ(verdicts[i], expected) << "serial " << probe[i];
    ASSERT_EQ(ours.IsSerialRevoked(ca->public_key().wire(), probe[i]), expected) << probe[i];
    revoked_count += expected;
  }
  EXPECT_GT(revoked_count, 2000);
  EXPECT_LT(revoked_count, static_cast<int>(probe.size()));

  // Revocation by key id reaches ssh-keygen too.
  SshCertificateSpec by_id{.key = user,
                           .serial = 3,
                           .key_id = "revoked-by-id",
                           .principals = {"root"},
                           .valid_after = 0,
                           .valid_before = 100};
  WriteFile(dir_ + "/byid", *SshCertificateLine(*SignSshCertificate(by_id, *ca)) + "\n");
  EXPECT_EQ(SshKeygenRevoked(krl_path, {dir_ + "/byid"}), std::vector<bool>{true});
}

TEST_F(SshKeygenInteropTest, OurReaderAgreesWithKrlsSshKeygenBuilds) {
  const std::string ca = dir_ + "/kca";
  ASSERT_EQ(RunShell(absl::StrCat(kSshKeygen, " -q -N '' -t ed25519 -f ", ca)).first, 0);
  WriteFile(dir_ + "/spec",
            "serial: 5\nserial: 7\nserial: 100-120\nserial: 1000\nserial: 1002\nserial: 1004\n"
            "id: alice/req-1/42\n");
  auto [rc, out] =
      RunShell(absl::StrCat(kSshKeygen, " -k -f ", dir_, "/krl -s ", ca, ".pub ", dir_, "/spec"));
  ASSERT_EQ(rc, 0) << out;
  ASSERT_OK_AND_ASSIGN(Krl krl, Krl::Parse(ReadFileOrEmpty(dir_ + "/krl")));
  const std::string ca_wire = SshPublicKey::FromLine(ReadFileOrEmpty(ca + ".pub"))->wire();
  for (uint64_t s = 1; s < 1100; ++s) {
    const bool want =
        s == 5 || s == 7 || (s >= 100 && s <= 120) || s == 1000 || s == 1002 || s == 1004;
    ASSERT_EQ(krl.IsSerialRevoked(ca_wire, s), want) << s;
  }
}

}  // namespace
}  // namespace jit::ssh
