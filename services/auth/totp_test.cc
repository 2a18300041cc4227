#include "services/auth/totp.h"

#include "common/crypto/base32.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/testing/in_memory_totp_step_store.h"

namespace jit::auth {
namespace {

using ::jit::auth::testing::InMemoryTotpStepStore;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const SecretString kRfcSecret(std::string("12345678901234567890"));

TEST(TotpCodeTest, Rfc6238Sha1Vectors) {
  const std::pair<int64_t, const char*> kVectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& [unix, code] : kVectors) {
    const int64_t step = TotpStep(absl::FromUnixSeconds(unix));
    ASSERT_OK_AND_ASSIGN(std::string eight, TotpCode(kRfcSecret, step, 8));
    EXPECT_EQ(eight, code) << unix;
    ASSERT_OK_AND_ASSIGN(std::string six, TotpCode(kRfcSecret, step));
    EXPECT_EQ(six, std::string(code).substr(2)) << unix;
  }
}

TEST(TotpCodeTest, Rfc4226HotpVectors) {
  const char* kCodes[] = {"755224", "287082", "359152", "969429", "338314",
                          "254676", "287922", "162583", "399871", "520489"};
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string code, TotpCode(kRfcSecret, i));
    EXPECT_EQ(code, kCodes[i]) << i;
  }
}

TEST(TotpCodeTest, RejectsBadInput) {
  EXPECT_THAT(TotpCode(SecretString(), 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TotpCode(kRfcSecret, 1, 5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TotpCode(kRfcSecret, -1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OtpauthUriTest, CarriesBase32SecretAndParameters) {
  const std::string uri(OtpauthUri("jit-access", "alice@example.com", kRfcSecret).Reveal());
  EXPECT_EQ(uri,
            "otpauth://totp/jit-access:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=jit-access&algorithm=SHA1&digits=6&period=30");
  EXPECT_THAT(std::string(OtpauthUri("My Org", "a b", kRfcSecret).Reveal()),
              HasSubstr("totp/My%20Org:a%20b?"));
}

TEST(GenerateTotpSecretTest, Is160BitsAndRandom) {
  ASSERT_OK_AND_ASSIGN(SecretString a, GenerateTotpSecret());
  ASSERT_OK_AND_ASSIGN(SecretString b, GenerateTotpSecret());
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a.Reveal(), b.Reveal());
  EXPECT_THAT(crypto::Base32Encode(a.Reveal()), MatchesRegex("[A-Z2-7]{32}"));
}

class TotpVerifierTest : public ::testing::Test {
 protected:
  // 15 s into a step (1'700'000'010 is a step boundary).
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'025)};
  InMemoryTotpStepStore store_;
  TotpVerifier verifier_{&clock_, &store_};

  std::string CodeAt(absl::Duration offset) {
    return *TotpCode(kRfcSecret, TotpStep(clock_.Now() + offset));
  }
};

TEST_F(TotpVerifierTest, CurrentCodeIsAccepted) {
  EXPECT_THAT(verifier_.Verify("alice", kRfcSecret, CodeAt(absl::ZeroDuration())), IsOk());
}

TEST_F(TotpVerifierTest, CodesOneStepEitherSideAreAccepted) {
  EXPECT_THAT(verifier_.Verify("a", kRfcSecret, CodeAt(-absl::Seconds(30))), IsOk());
  EXPECT_THAT(verifier_.Verify("b", kRfcSecret, CodeAt(absl::Seconds(30))), IsOk());
}

TEST_F(TotpVerifierTest, CodesTwoStepsAwayAreRefused) {
  EXPECT_THAT(verifier_.Verify("a", kRfcSecret, CodeAt(-absl::Seconds(60))),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid TOTP code"));
  EXPECT_THAT(verifier_.Verify("a", kRfcSecret, CodeAt(absl::Seconds(60))),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid TOTP code"));
}

TEST_F(TotpVerifierTest, ReplayIsRefused) {
  const std::string code = CodeAt(absl::ZeroDuration());
  ASSERT_THAT(verifier_.Verify("alice", kRfcSecret, code), IsOk());
  EXPECT_THAT(verifier_.Verify("alice", kRfcSecret, code),
              StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code already used"));
  clock_.Advance(absl::Seconds(20));  // next step; the old code is still inside the window
  EXPECT_THAT(verifier_.Verify("alice", kRfcSecret, code),
              StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code already used"));
}

TEST_F(TotpVerifierTest, OlderStepAfterANewerOneIsRefused) {
  ASSERT_THAT(verifier_.Verify("alice", kRfcSecret, CodeAt(absl::Seconds(30))), IsOk());
  EXPECT_THAT(verifier_.Verify("alice", kRfcSecret, CodeAt(absl::ZeroDuration())),
              StatusIs(absl::StatusCode::kUnauthenticated, "TOTP code already used"));
}

TEST_F(TotpVerifierTest, NextStepWorksAfterTimePasses) {
  ASSERT_THAT(verifier_.Verify("alice", kRfcSecret, CodeAt(absl::ZeroDuration())), IsOk());
  clock_.Advance(absl::Seconds(30));
  EXPECT_THAT(verifier_.Verify("alice", kRfcSecret, CodeAt(absl::ZeroDuration())), IsOk());
}

TEST_F(TotpVerifierTest, ReplayStateIsPerUser) {
  const std::string code = CodeAt(absl::ZeroDuration());
  ASSERT_THAT(verifier_.Verify("alice", kRfcSecret, code), IsOk());
  EXPECT_THAT(verifier_.Verify("bob", kRfcSecret, code), IsOk());
}

TEST_F(TotpVerifierTest, MalformedCodesAreRefused) {
  for (const char* bad : {"", "12345", "1234567", "12345a", " 12345", "１２３４５６"}) {
    EXPECT_THAT(verifier_.Verify("alice", kRfcSecret, bad),
                StatusIs(absl::StatusCode::kUnauthenticated, "invalid TOTP code"))
        << bad;
  }
}

TEST_F(TotpVerifierTest, WrongSecretIsRefused) {
  const SecretString other(std::string("abcdefghijabcdefghij"));
  EXPECT_THAT(verifier_.Verify("alice", other, CodeAt(absl::ZeroDuration())),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid TOTP code"));
}

TEST_F(TotpVerifierTest, StoreOutageIsUnavailableNotAccepted) {
  class DownStore final : public TotpStepStore {
   public:
    absl::Status Advance(std::string_view, int64_t) override {
      return absl::UnavailableError("db down");
    }
  } down;
  TotpVerifier verifier(&clock_, &down);
  EXPECT_THAT(verifier.Verify("alice", kRfcSecret, CodeAt(absl::ZeroDuration())),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jit::auth
