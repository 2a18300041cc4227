#include "services/auth/password_hasher.h"

#include <argon2.h>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::auth {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// Small parameters keep the tests fast; production parameters are measured in the bench.
constexpr Argon2Params kFast{.memory_kib = 1024, .iterations = 1, .parallelism = 1};

SecretString Pw(const char* s) { return SecretString(std::string(s)); }

TEST(PasswordHasherTest, HashVerifiesAndWrongPasswordDoesNot) {
  ASSERT_OK_AND_ASSIGN(auto hasher, PasswordHasher::Create(kFast));
  ASSERT_OK_AND_ASSIGN(std::string phc, hasher->Hash(Pw("correct horse")));
  EXPECT_THAT(hasher->Verify(Pw("correct horse"), phc), IsOk());
  EXPECT_THAT(hasher->Verify(Pw("correct horsE"), phc),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid username or password"));
  EXPECT_THAT(hasher->Verify(Pw(""), phc), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(PasswordHasherTest, PhcStringCarriesParameters) {
  ASSERT_OK_AND_ASSIGN(auto hasher, PasswordHasher::Create(kFast));
  ASSERT_OK_AND_ASSIGN(std::string phc, hasher->Hash(Pw("pw")));
  EXPECT_THAT(
      phc,
      MatchesRegex(R"(\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43})"));
  ASSERT_OK_AND_ASSIGN(PhcHash parsed, ParsePhcHash(phc));
  EXPECT_EQ(parsed.params, kFast);
  EXPECT_EQ(FormatPhcHash(parsed), phc);
}

TEST(PasswordHasherTest, InteroperatesWithLibargon2Encoding) {
  ASSERT_OK_AND_ASSIGN(auto hasher, PasswordHasher::Create(kFast));
  ASSERT_OK_AND_ASSIGN(std::string ours, hasher->Hash(Pw("interop")));
  EXPECT_EQ(argon2id_verify(ours.c_str(), "interop", 7), ARGON2_OK);

  const std::string salt = "0123456789abcdef";
  char encoded[256];
  ASSERT_EQ(argon2id_hash_encoded(2, 2048, 1, "interop", 7, salt.data(), salt.size(), 32, encoded,
                                  sizeof(encoded)),
            ARGON2_OK);
  EXPECT_THAT(hasher->Verify(Pw("interop"), encoded), IsOk());
  EXPECT_THAT(hasher->Verify(Pw("interoP"), encoded), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(PasswordHasherTest, SaltsAreUnique) {
  ASSERT_OK_AND_ASSIGN(auto hasher, PasswordHasher::Create(kFast));
  EXPECT_NE(*hasher->Hash(Pw("same")), *hasher->Hash(Pw("same")));
}

TEST(PasswordHasherTest, OldParametersStillVerifyAndNeedRehash) {
  ASSERT_OK_AND_ASSIGN(auto old_hasher, PasswordHasher::Create(kFast));
  ASSERT_OK_AND_ASSIGN(std::string old_phc, old_hasher->Hash(Pw("pw")));
  ASSERT_OK_AND_ASSIGN(auto new_hasher,
                       PasswordHasher::Create({.memory_kib = 2048, .iterations = 2}));
  EXPECT_THAT(new_hasher->Verify(Pw("pw"), old_phc), IsOk());
  EXPECT_TRUE(new_hasher->NeedsRehash(old_phc));
  EXPECT_FALSE(old_hasher->NeedsRehash(old_phc));
  ASSERT_OK_AND_ASSIGN(std::string new_phc, new_hasher->Hash(Pw("pw")));
  EXPECT_FALSE(new_hasher->NeedsRehash(new_phc));
  EXPECT_TRUE(new_hasher->NeedsRehash("garbage"));
}

TEST(PasswordHasherTest, MalformedOrHostileStoredHashIsInternal) {
  ASSERT_OK_AND_ASSIGN(auto hasher, PasswordHasher::Create(kFast));
  for (const char* bad : {
           "", "plaintext", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",  // 4 GiB
           "$argon2id$v=19$m=1024,t=1000,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=19$m=01024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=19$t=1,m=1024,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=19$m=1024,t=1,p=1$c2Fs$aGFzaGhhc2hoYXNoaGFzaA",  // 3-byte salt
       }) {
    EXPECT_THAT(hasher->Verify(Pw("pw"), bad), StatusIs(absl::StatusCode::kInternal)) << bad;
  }
}

TEST(PasswordHasherTest, StoredHashCostingFarMoreThanTheConfiguredParametersIsInternal) {
  ASSERT_OK_AND_ASSIGN(auto costly, PasswordHasher::Create({.memory_kib = 1024, .iterations = 5}));
  ASSERT_OK_AND_ASSIGN(std::string phc, costly->Hash(Pw("pw")));
  ASSERT_OK_AND_ASSIGN(auto cheap, PasswordHasher::Create({.memory_kib = 256, .iterations = 1}));
  EXPECT_THAT(cheap->Verify(Pw("pw"), phc),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("costs more than 4x")));
  // Within 4x (memory 4x, passes 5x of 2 = 2.5x) still verifies.
  ASSERT_OK_AND_ASSIGN(auto lowered, PasswordHasher::Create({.memory_kib = 256, .iterations = 2}));
  EXPECT_THAT(lowered->Verify(Pw("pw"), phc), IsOk());
}

TEST(PasswordHasherTest, DummyVerifyAnswersLikeAWrongPassword) {
  ASSERT_OK_AND_ASSIGN(auto hasher, PasswordHasher::Create(kFast));
  ASSERT_OK_AND_ASSIGN(std::string phc, hasher->Hash(Pw("pw")));
  const absl::Status wrong = hasher->Verify(Pw("nope"), phc);
  const absl::Status unknown = hasher->VerifyDummy(Pw("nope"));
  EXPECT_EQ(wrong, unknown);
}

TEST(PasswordHasherTest, RejectsEmptyAndHugePasswordsAndBadParameters) {
  ASSERT_OK_AND_ASSIGN(auto hasher, PasswordHasher::Create(kFast));
  EXPECT_THAT(hasher->Hash(Pw("")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(hasher->Hash(SecretString(std::string(1025, 'a'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PasswordHasher::Create({.memory_kib = 4, .iterations = 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PasswordHasher::Create({.memory_kib = 1024, .iterations = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PasswordHasher::Create({.memory_kib = 1024, .iterations = 1, .parallelism = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::auth
