#include "common/ssh/krl.h"

#include <random>
#include <set>
#include <string>

#include "common/crypto/ca_signer.h"
#include "common/ssh/wire.h"
#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::ssh {
namespace {

using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

std::unique_ptr<CaSshSigner> NewSigner() {
  auto pem = crypto::GenerateCaPrivateKey(crypto::CaKeyAlgorithm::kEd25519);
  auto ca = crypto::CaSigner::Create(*pem);
  return *CaSshSigner::Create(std::shared_ptr<const crypto::CaSigner>(*std::move(ca)));
}

class KrlTest : public ::testing::Test {
 protected:
  std::string Build(std::vector<uint64_t> serials, std::vector<std::string> key_ids = {}) {
    KrlSpec spec{.version = 7,
                 .generated = absl::FromUnixSeconds(1700000000),
                 .comment = "jit-access ssh-user"};
    spec.certificates.push_back({.ca_key_wire = ca_->public_key().wire(),
                                 .serials = std::move(serials),
                                 .key_ids = std::move(key_ids)});
    auto krl = BuildKrl(spec);
    EXPECT_TRUE(krl.ok()) << krl.status();
    return *krl;
  }
  Krl Parse(const std::string& bytes) {
    auto krl = Krl::Parse(bytes);
    EXPECT_TRUE(krl.ok()) << krl.status();
    return *std::move(krl);
  }
  const std::string& ca() const { return ca_->public_key().wire(); }

  std::unique_ptr<CaSshSigner> ca_ = NewSigner();
};

TEST_F(KrlTest, HeaderReadsBack) {
  Krl krl = Parse(Build({5}));
  EXPECT_EQ(krl.version(), 7u);
  EXPECT_EQ(krl.generated_date(), 1700000000u);
  EXPECT_EQ(krl.comment(), "jit-access ssh-user");
}

TEST_F(KrlTest, ReaderAgreesWithTheRevokedSetForEverySerial) {
  std::mt19937_64 rng(42);
  std::set<uint64_t> revoked;
  // Scattered, clustered and consecutive serials together.
  for (int i = 0; i < 300; ++i) revoked.insert(rng() | 1);
  for (int i = 0; i < 2000; ++i) revoked.insert(1'000'000 + rng() % 20'000);
  for (uint64_t s = 5'000'000; s < 5'000'500; ++s) revoked.insert(s);
  std::vector<uint64_t> serials(revoked.begin(), revoked.end());
  std::shuffle(serials.begin(), serials.end(), rng);
  serials.push_back(serials.front());  // a duplicate
  Krl krl = Parse(Build(serials));
  for (uint64_t s : revoked) ASSERT_TRUE(krl.IsSerialRevoked(ca(), s)) << s;
  for (uint64_t s = 999'990; s < 1'020'010; ++s) {
    ASSERT_EQ(krl.IsSerialRevoked(ca(), s), revoked.count(s) == 1) << s;
  }
  for (int i = 0; i < 10000; ++i) {
    const uint64_t s = rng();
    ASSERT_EQ(krl.IsSerialRevoked(ca(), s), revoked.count(s) == 1) << s;
  }
  EXPECT_FALSE(krl.IsSerialRevoked(ca(), 0));
  EXPECT_FALSE(krl.IsSerialRevoked(NewSigner()->public_key().wire(), *revoked.begin()));
}

TEST_F(KrlTest, OneLongRunIsOneRange) {
  std::vector<uint64_t> serials;
  for (uint64_t s = 100; s < 1100; ++s) serials.push_back(s);
  const std::string bytes = Build(serials);
  Krl krl = Parse(bytes);
  EXPECT_EQ(krl.section_counts().serial_range, 1);
  EXPECT_EQ(krl.section_counts().serial_list, 0);
  EXPECT_EQ(krl.section_counts().serial_bitmap, 0);
}

TEST_F(KrlTest, ScatteredSerialsShareOneList) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> serials;
  for (int i = 0; i < 100; ++i) serials.push_back(rng() | 1);
  const std::string bytes = Build(serials);
  Krl krl = Parse(bytes);
  EXPECT_EQ(krl.section_counts().serial_list, 1);
  EXPECT_EQ(krl.section_counts().serial_range, 0);
  EXPECT_EQ(krl.section_counts().serial_bitmap, 0);
  // Header, one certificate section with its CA, and 8 bytes per serial: nothing more.
  const std::string empty = Build({});
  EXPECT_EQ(bytes.size(), empty.size() + 5 + 4 + ca().size() + 4 + 5 + 8 * 100);
}

TEST_F(KrlTest, DenseSerialsBecomeBitmapsNoWiderThanOpenSshReads) {
  std::vector<uint64_t> serials;
  for (uint64_t s = 1; s < 80'000; s += 2) serials.push_back(s);
  const std::string bytes = Build(serials);
  Krl krl = Parse(bytes);
  EXPECT_EQ(krl.section_counts().serial_list, 0);
  EXPECT_EQ(krl.section_counts().serial_range, 0);
  // 80,000 bits in bitmaps of at most 16,384 bits each.
  EXPECT_EQ(krl.section_counts().serial_bitmap, 5);
  EXPECT_LT(bytes.size(), 80'000 / 8 + 5 * 17 + 200);
  for (uint64_t s = 1; s < 80'010; ++s)
    ASSERT_EQ(krl.IsSerialRevoked(ca(), s), s % 2 == 1 && s < 80'000);
}

TEST_F(KrlTest, NeverLargerThanAnySingleEncoding) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::set<uint64_t> set;
    const int n = 1 + static_cast<int>(rng() % 300);
    const uint64_t spread = 1 + rng() % 5000;
    for (int i = 0; i < n; ++i) set.insert(1 + rng() % spread);
    std::vector<uint64_t> serials(set.begin(), set.end());
    // Runs, as ranges.
    size_t runs = 0;
    for (size_t i = 0; i < serials.size(); ++i) {
      if (i == 0 || serials[i] != serials[i - 1] + 1) ++runs;
    }
    const uint64_t span = serials.back() - serials.front();
    const size_t all_list = 5 + 8 * serials.size();
    const size_t all_ranges = 21 * runs;
    const size_t fixed = Build({}).size() + 5 + 4 + ca().size() + 4;
    const size_t body = Build(serials).size() - fixed;
    EXPECT_LE(body, all_list);
    EXPECT_LE(body, all_ranges);
    if (span < 16384) EXPECT_LE(body, 17 + span / 8 + 2);
  }
}

// The cheapest encoding of `runs` found by trying every one: each run a list entry or a
// range, or a bitmap over consecutive runs (at most 16384 bits wide).
size_t BruteForceBody(const std::vector<std::pair<uint64_t, uint64_t>>& runs, size_t i,
                      bool list_used) {
  if (i == runs.size()) return 0;
  const uint64_t len = runs[i].second - runs[i].first + 1;
  size_t best = 21 + BruteForceBody(runs, i + 1, list_used);
  best = std::min(best, 8 * len + (list_used ? 0 : 5) + BruteForceBody(runs, i + 1, true));
  for (size_t j = i; j < runs.size(); ++j) {
    const uint64_t span = runs[j].second - runs[i].first;
    if (span > 16383) break;
    const size_t bytes = span / 8 + 1 + (span % 8 == 7 ? 1 : 0);
    best = std::min(best, 17 + bytes + BruteForceBody(runs, j + 1, list_used));
  }
  return best;
}

TEST_F(KrlTest, EncodingIsTheSmallestOfAllSectionChoices) {
  std::mt19937_64 rng(99);
  const size_t fixed = Build({}).size() + 5 + 4 + ca().size() + 4;
  for (int round = 0; round < 300; ++round) {
    std::vector<std::pair<uint64_t, uint64_t>> runs;
    uint64_t next = 1 + rng() % 50;
    const int n = 1 + static_cast<int>(rng() % 9);
    const uint64_t max_gap = round % 3 == 0 ? 40 : round % 3 == 1 ? 600 : 40000;
    std::vector<uint64_t> serials;
    for (int r = 0; r < n; ++r) {
      const uint64_t len = 1 + (rng() % 4 == 0 ? rng() % 60 : rng() % 3);
      runs.push_back({next, next + len - 1});
      for (uint64_t s = next; s < next + len; ++s) serials.push_back(s);
      next += len + 1 + rng() % max_gap;
    }
    std::shuffle(serials.begin(), serials.end(), rng);
    ASSERT_EQ(Build(serials).size() - fixed, BruteForceBody(runs, 0, false)) << "round " << round;
  }
}

TEST_F(KrlTest, KeyIdsAreRevokedUnderTheirCa) {
  const std::string bytes = Build({}, {"alice/req-1/77", "bob/req-2/78", "alice/req-1/77"});
  Krl krl = Parse(bytes);
  EXPECT_EQ(krl.section_counts().key_id, 1);
}

TEST_F(KrlTest, SerialZeroIsRefused) {
  KrlSpec spec;
  spec.certificates.push_back({.ca_key_wire = ca(), .serials = {1, 0}});
  EXPECT_THAT(BuildKrl(spec), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("serial 0")));
}

TEST_F(KrlTest, RangesMergeWithSerials) {
  KrlSpec spec;
  spec.certificates.push_back(
      {.ca_key_wire = ca(), .serials = {10, 11, 500}, .serial_ranges = {{12, 400}, {450, 460}}});
  ASSERT_OK_AND_ASSIGN(std::string bytes, BuildKrl(spec));
  Krl krl = Parse(bytes);
  for (uint64_t s = 1; s < 600; ++s) {
    const bool want = (s >= 10 && s <= 400) || (s >= 450 && s <= 460) || s == 500;
    ASSERT_EQ(krl.IsSerialRevoked(ca(), s), want) << s;
  }
  spec.certificates[0].serial_ranges = {{5, 4}};
  EXPECT_THAT(BuildKrl(spec), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KrlTest, SameCaTwiceOrABadCaKeyIsRefused) {
  KrlSpec spec;
  spec.certificates.push_back({.ca_key_wire = ca(), .serials = {1}});
  spec.certificates.push_back({.ca_key_wire = ca(), .serials = {2}});
  EXPECT_THAT(BuildKrl(spec), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  spec.certificates.pop_back();
  spec.certificates[0].ca_key_wire = "garbage";
  EXPECT_THAT(BuildKrl(spec), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CA key")));
}

TEST_F(KrlTest, EmptyKeyIdIsRefused) {
  KrlSpec spec;
  spec.certificates.push_back({.ca_key_wire = ca(), .key_ids = {""}});
  EXPECT_THAT(BuildKrl(spec), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KrlTest, EmptySpecIsAValidEmptyKrl) {
  Krl krl = Parse(Build({}));
  EXPECT_FALSE(krl.IsSerialRevoked(ca(), 1));
}

TEST_F(KrlTest, ReaderRefusesWhatOpenSshRefuses) {
  const std::string good = Build({3});
  EXPECT_THAT(Krl::Parse("SSHKRL\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Krl::Parse("not a krl at all"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("magic")));
  EXPECT_THAT(Krl::Parse(good + "\x01"), StatusIs(absl::StatusCode::kInvalidArgument));
  // Cut anywhere but at the end of the header (a KRL without sections), it is refused.
  const size_t header = Build({}).size();
  for (size_t n = 0; n < good.size(); ++n) {
    if (n == header) continue;
    ASSERT_THAT(Krl::Parse(good.substr(0, n)), StatusIs(absl::StatusCode::kInvalidArgument)) << n;
  }
  auto with_section = [&](uint8_t type, std::string_view body) {
    SshWriter w;
    w.PutRaw(good);
    w.PutU8(type);
    w.PutString(body);
    return std::string(w.view());
  };
  EXPECT_THAT(Krl::Parse(with_section(4, "sig")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature")));
  EXPECT_THAT(Krl::Parse(with_section(9, "")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported KRL section")));
  SshWriter ext;
  ext.PutString("future@example.com");
  ext.PutBool(true);
  ext.PutString("");
  EXPECT_THAT(Krl::Parse(with_section(255, ext.view())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("critical")));
  SshWriter optional;
  optional.PutString("future@example.com");
  optional.PutBool(false);
  optional.PutString("whatever");
  EXPECT_OK(Krl::Parse(with_section(255, optional.view())).status());
  // A list holding serial 0 makes OpenSSH refuse the whole KRL.
  SshWriter certs;
  certs.PutString(ca());
  certs.PutString("");
  certs.PutU8(0x20);
  SshWriter zero;
  zero.PutU64(0);
  certs.PutString(zero.view());
  EXPECT_THAT(Krl::Parse(with_section(1, certs.view())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("starts at 0")));
}

TEST_F(KrlTest, CertificatesAreJudgedBySerialKeyIdAndCa) {
  const SshPublicKey user = [] {
    crypto::EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    return *SshPublicKey::FromEvpPkey(k.get());
  }();
  auto cert = [&](const SshSigner& signer, uint64_t serial, std::string key_id) {
    SshCertificateSpec spec{.key = user,
                            .serial = serial,
                            .key_id = std::move(key_id),
                            .principals = {"root"},
                            .valid_after = 0,
                            .valid_before = 100};
    return *SshCertificate::FromWire(*SignSshCertificate(spec, signer));
  };
  auto other = NewSigner();
  KrlSpec spec;
  spec.certificates.push_back({.ca_key_wire = ca(), .serials = {10}, .key_ids = {"mallory"}});
  spec.certificates.push_back({.ca_key_wire = "", .key_ids = {"everywhere"}});
  ASSERT_OK_AND_ASSIGN(std::string bytes, BuildKrl(spec));
  Krl krl = Parse(bytes);
  EXPECT_TRUE(krl.IsRevoked(cert(*ca_, 10, "alice")));
  EXPECT_FALSE(krl.IsRevoked(cert(*ca_, 11, "alice")));
  EXPECT_TRUE(krl.IsRevoked(cert(*ca_, 11, "mallory")));
  EXPECT_FALSE(krl.IsRevoked(cert(*other, 10, "mallory")));
  EXPECT_TRUE(krl.IsRevoked(cert(*other, 12, "everywhere")));
}

}  // namespace
}  // namespace jit::ssh
