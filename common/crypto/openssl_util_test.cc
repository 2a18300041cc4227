#include "common/crypto/openssl_util.h"

#include <openssl/err.h>

#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::crypto {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(OpenSslErrorTest, NamesContextAndDrainsQueue) {
  // Provoke a real error: parse garbage as PEM.
  EXPECT_THAT(ParsePrivateKeyPem("not a pem"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parsing private key PEM")));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpenSslErrorTest, EmptyQueueStillGivesAStatus) {
  ClearOpenSslErrors();
  EXPECT_THAT(OpenSslError("ctx"), StatusIs(absl::StatusCode::kInternal, HasSubstr("ctx: ")));
}

TEST(PemTest, PrivateAndPublicKeysRoundTrip) {
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateP256Key());
  ASSERT_OK_AND_ASSIGN(SecretString priv_pem, PrivateKeyToPem(key.get()));
  EXPECT_THAT(std::string(priv_pem.Reveal()), HasSubstr("BEGIN PRIVATE KEY"));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr back, ParsePrivateKeyPem(priv_pem.Reveal()));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), back.get()), 1);

  ASSERT_OK_AND_ASSIGN(std::string pub_pem, PublicKeyToPem(key.get()));
  EXPECT_THAT(pub_pem, HasSubstr("BEGIN PUBLIC KEY"));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pub, ParsePublicKeyPem(pub_pem));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), pub.get()), 1);
}

TEST(PemTest, PublicPemIsNotAPrivateKey) {
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, GenerateP256Key());
  ASSERT_OK_AND_ASSIGN(std::string pub_pem, PublicKeyToPem(key.get()));
  EXPECT_THAT(ParsePrivateKeyPem(pub_pem), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jit::crypto
