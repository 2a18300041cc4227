#include "common/jwt/jwk.h"

#include "common/crypto/base64.h"
#include "common/crypto/ecdsa_p256.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/rsa.h"
#include "common/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::jwt {
namespace {

using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST(JwkTest, Ed25519KeyRoundTripsThroughJsonAndVerifies) {
  ASSERT_OK_AND_ASSIGN(SecretString seed, crypto::GenerateEd25519Seed());
  ASSERT_OK_AND_ASSIGN(auto signer, crypto::Ed25519Signer::Create(seed));
  ASSERT_OK_AND_ASSIGN(JsonWebKey jwk, Ed25519Jwk("key-1", signer->public_key()));
  const std::string json = SerializeJwkSet({jwk});
  EXPECT_THAT(json, HasSubstr(R"({"keys":[{"kty":"OKP","use":"sig","alg":"EdDSA","kid":"key-1")"));
  ASSERT_OK_AND_ASSIGN(std::vector<JsonWebKey> parsed, ParseJwkSet(json));
  ASSERT_THAT(parsed, ElementsAre(jwk));
  ASSERT_OK_AND_ASSIGN(JwsVerificationKey key, VerificationKeyFromJwk(parsed[0]));
  EXPECT_EQ(key.kid, "key-1");
  EXPECT_EQ(key.alg, JwsAlgorithm::kEdDSA);
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("m"));
  EXPECT_THAT(key.verifier->Verify(sig, "m"), IsOk());
}

TEST(JwkTest, P256KeyRoundTripsAndVerifies) {
  ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr pkey, crypto::GenerateP256Key());
  ASSERT_OK_AND_ASSIGN(JsonWebKey jwk, P256Jwk("ec-1", pkey.get()));
  ASSERT_OK_AND_ASSIGN(std::vector<JsonWebKey> parsed, ParseJwkSet(SerializeJwkSet({jwk})));
  ASSERT_THAT(parsed, ElementsAre(jwk));
  ASSERT_OK_AND_ASSIGN(JwsVerificationKey key, VerificationKeyFromJwk(parsed[0]));
  EXPECT_EQ(key.alg, JwsAlgorithm::kES256);
  ASSERT_OK_AND_ASSIGN(
      auto signer,
      crypto::EcdsaP256Signer::Create(std::move(pkey), crypto::EcdsaSignatureEncoding::kIeeeP1363));
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("m"));
  EXPECT_THAT(key.verifier->Verify(sig, "m"), IsOk());
}

TEST(JwkTest, RsaKeyRoundTripsAndVerifies) {
  ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr pkey, crypto::GenerateRsaKey(2048));
  ASSERT_OK_AND_ASSIGN(JsonWebKey jwk, RsaJwk("rsa-1", pkey.get()));
  EXPECT_EQ(jwk.e, "AQAB");
  ASSERT_OK_AND_ASSIGN(std::vector<JsonWebKey> parsed, ParseJwkSet(SerializeJwkSet({jwk})));
  ASSERT_OK_AND_ASSIGN(JwsVerificationKey key, VerificationKeyFromJwk(parsed[0]));
  EXPECT_EQ(key.alg, JwsAlgorithm::kRS256);
  ASSERT_OK_AND_ASSIGN(auto signer, crypto::RsaSsaPkcs1Sha256Signer::Create(std::move(pkey)));
  ASSERT_OK_AND_ASSIGN(std::string sig, signer->Sign("m"));
  EXPECT_THAT(key.verifier->Verify(sig, "m"), IsOk());
}

TEST(JwkTest, ProtoRoundTrip) {
  ASSERT_OK_AND_ASSIGN(crypto::EvpPkeyPtr pkey, crypto::GenerateP256Key());
  ASSERT_OK_AND_ASSIGN(JsonWebKey jwk, P256Jwk("ec-1", pkey.get()));
  const jit::auth::v1::Jwk proto = JwkToProto(jwk);
  EXPECT_EQ(proto.kty(), "EC");
  EXPECT_EQ(proto.alg(), "ES256");
  EXPECT_EQ(proto.crv(), "P-256");
  EXPECT_EQ(proto.use(), "sig");
  EXPECT_EQ(JwkFromProto(proto), jwk);
}

TEST(JwkSetTest, SkipsKeysItCannotUse) {
  const std::string json = R"({"keys":[
    {"kty":"RSA","use":"enc","kid":"enc","n":"AQAB","e":"AQAB"},
    {"kty":"RSA","alg":"RS512","kid":"rs512","n":"AQAB","e":"AQAB"},
    {"kty":"EC","crv":"P-384","kid":"p384","x":"AA","y":"AA"},
    {"kty":"OKP","crv":"X25519","kid":"x25519","x":"AA"},
    {"kty":"RSA","kid":"ops","key_ops":["encrypt"],"n":"AQAB","e":"AQAB"},
    {"kty":"OKP","crv":"Ed25519","kid":"ok","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
  ],"extra":true})";
  ASSERT_OK_AND_ASSIGN(std::vector<JsonWebKey> keys, ParseJwkSet(json));
  ASSERT_THAT(keys, SizeIs(1));
  EXPECT_EQ(keys[0].kid, "ok");
  EXPECT_EQ(keys[0].alg, "");
  ASSERT_OK_AND_ASSIGN(JwsVerificationKey key, VerificationKeyFromJwk(keys[0]));
  EXPECT_EQ(key.alg, JwsAlgorithm::kEdDSA);  // implied by kty/crv
}

TEST(JwkSetTest, RejectsPrivateKeyMaterial) {
  EXPECT_THAT(ParseJwkSet(R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"AA","d":"AA"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key material")));
  EXPECT_THAT(ParseJwkSet(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key material")));
}

TEST(JwkSetTest, RejectsStructuralDefects) {
  EXPECT_THAT(ParseJwkSet(R"({"key":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no keys array")));
  EXPECT_THAT(ParseJwkSet(R"({"keys":[1]})"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJwkSet(R"({"keys":[{"crv":"Ed25519","x":"AA"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no kty")));
  EXPECT_THAT(ParseJwkSet(R"({"keys":[{"kty":"OKP","kid":5}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kid is not a string")));
  EXPECT_THAT(ParseJwkSet(R"({"keys":[{"kty":"OKP","kty":"EC"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate member")));
  EXPECT_THAT(ParseJwkSet("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JwkSetTest, RejectsDuplicateKid) {
  const std::string json = R"({"keys":[
    {"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    {"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})";
  EXPECT_THAT(ParseJwkSet(json),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate kid")));
}

TEST(JwkSetTest, RejectsAlgInconsistentWithKeyType) {
  EXPECT_THAT(ParseJwkSet(R"({"keys":[{"kty":"EC","crv":"P-256","alg":"EdDSA","x":"A","y":"A"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
  EXPECT_THAT(VerificationKeyFromJwk({.kty = "RSA", .alg = "ES256", .n = "AQAB", .e = "AQAB"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JwkTest, VerificationKeyRejectsBadKeyMaterial) {
  EXPECT_THAT(VerificationKeyFromJwk({.kty = "OKP", .crv = "Ed25519", .x = "AAAA"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(VerificationKeyFromJwk({.kty = "OKP", .crv = "Ed25519", .x = "!!"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not base64url")));
  EXPECT_THAT(VerificationKeyFromJwk({.kty = "EC",
                                      .crv = "P-256",
                                      .x = crypto::Base64UrlEncode(std::string(32, '\1')),
                                      .y = crypto::Base64UrlEncode(std::string(32, '\2'))}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(VerificationKeyFromJwk({.kty = "RSA", .n = "AQAB", .e = "AQAB"}),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 17-bit modulus
}

}  // namespace
}  // namespace jit::jwt
