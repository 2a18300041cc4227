#include "common/crypto/ecdsa_p256.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <cstring>

namespace jit::crypto {
namespace {

constexpr size_t kCoordinateSize = 32;

using OsslParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;

absl::Status CheckP256(EVP_PKEY* key) {
  if (key == nullptr || !EVP_PKEY_is_a(key, "EC")) {
    return absl::InvalidArgumentError("not an EC key");
  }
  char group[64];
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1 ||
      std::string_view(group, len) != "prime256v1") {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("EC key is not on curve P-256");
  }
  return absl::OkStatus();
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// r || s -> DER. Empty on malformed input.
std::string P1363ToDer(std::string_view sig) {
  if (sig.size() != 2 * kCoordinateSize) return "";
  EcdsaSigPtr ecdsa(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(U(sig.substr(0, kCoordinateSize)), kCoordinateSize, nullptr);
  BIGNUM* s = BN_bin2bn(U(sig.substr(kCoordinateSize)), kCoordinateSize, nullptr);
  if (ecdsa == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ClearOpenSslErrors();
    return "";
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(ecdsa.get(), &der);
  if (len <= 0) {
    ClearOpenSslErrors();
    return "";
  }
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<std::string> DerToP1363(std::string_view der) {
  const unsigned char* p = U(der);
  EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (ecdsa == nullptr) return OpenSslError("decoding ECDSA signature");
  std::string out(2 * kCoordinateSize, '\0');
  const BIGNUM* r = ECDSA_SIG_get0_r(ecdsa.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(ecdsa.get());
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kCoordinateSize) != kCoordinateSize ||
      BN_bn2binpad(s, o + kCoordinateSize, kCoordinateSize) != kCoordinateSize) {
    return OpenSslError("encoding ECDSA signature");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EcdsaP256Signer>> EcdsaP256Signer::Create(
    EvpPkeyPtr private_key, EcdsaSignatureEncoding encoding) {
  if (absl::Status s = CheckP256(private_key.get()); !s.ok()) return s;
  BIGNUM* priv = nullptr;
  if (EVP_PKEY_get_bn_param(private_key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("EC key has no private part");
  }
  BN_clear_free(priv);
  return std::unique_ptr<EcdsaP256Signer>(new EcdsaP256Signer(std::move(private_key), encoding));
}

absl::StatusOr<std::string> EcdsaP256Signer::Sign(std::string_view data) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    return OpenSslError("ECDSA sign init");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, U(data), data.size()) != 1) {
    return OpenSslError("ECDSA sign size");
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len, U(data),
                     data.size()) != 1) {
    return OpenSslError("ECDSA sign");
  }
  der.resize(len);
  if (encoding_ == EcdsaSignatureEncoding::kDer) return der;
  return DerToP1363(der);
}

absl::StatusOr<std::unique_ptr<EcdsaP256Verifier>> EcdsaP256Verifier::Create(
    EvpPkeyPtr public_key, EcdsaSignatureEncoding encoding) {
  if (absl::Status s = CheckP256(public_key.get()); !s.ok()) return s;
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, public_key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("EC public key is not a valid P-256 point");
  }
  return std::unique_ptr<EcdsaP256Verifier>(new EcdsaP256Verifier(std::move(public_key), encoding));
}

absl::StatusOr<std::unique_ptr<EcdsaP256Verifier>> EcdsaP256Verifier::FromCoordinates(
    std::string_view x, std::string_view y, EcdsaSignatureEncoding encoding) {
  auto key = P256PublicKeyFromCoordinates(x, y);
  if (!key.ok()) return key.status();
  return Create(std::move(*key), encoding);
}

absl::Status EcdsaP256Verifier::Verify(std::string_view signature, std::string_view data) const {
  std::string der_storage;
  std::string_view der = signature;
  if (encoding_ == EcdsaSignatureEncoding::kIeeeP1363) {
    der_storage = P1363ToDer(signature);
    if (der_storage.empty()) return absl::InvalidArgumentError("signature verification failed");
    der = der_storage;
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    return OpenSslError("ECDSA verify init");
  }
  const int rc = EVP_DigestVerify(ctx.get(), U(der), der.size(), U(data), data.size());
  if (rc != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("signature verification failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<EcPoint> P256PublicCoordinates(EVP_PKEY* key) {
  if (absl::Status s = CheckP256(key); !s.ok()) return s;
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1) {
    BN_free(x);
    return OpenSslError("reading EC public point");
  }
  BignumPtr bx(x), by(y);
  EcPoint point{std::string(kCoordinateSize, '\0'), std::string(kCoordinateSize, '\0')};
  if (BN_bn2binpad(bx.get(), reinterpret_cast<unsigned char*>(point.x.data()), kCoordinateSize) !=
          kCoordinateSize ||
      BN_bn2binpad(by.get(), reinterpret_cast<unsigned char*>(point.y.data()), kCoordinateSize) !=
          kCoordinateSize) {
    return OpenSslError("encoding EC public point");
  }
  return point;
}

absl::StatusOr<EvpPkeyPtr> P256PublicKeyFromCoordinates(std::string_view x, std::string_view y) {
  if (x.size() != kCoordinateSize || y.size() != kCoordinateSize) {
    return absl::InvalidArgumentError("P-256 coordinates must be 32 bytes each");
  }
  std::string point;
  point.reserve(1 + 2 * kCoordinateSize);
  point.push_back('\x04');  // uncompressed
  point.append(x);
  point.append(y);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslError("building EC key parameters");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslError("EC fromdata init");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("EC point is not on curve P-256");
  }
  return EvpPkeyPtr(raw);
}

}  // namespace jit::crypto
