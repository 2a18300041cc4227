#include "common/crypto/rsa.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

namespace jit::crypto {
namespace {

using OsslParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::Status CheckRsa(EVP_PKEY* key) {
  if (key == nullptr || !EVP_PKEY_is_a(key, "RSA")) {
    return absl::InvalidArgumentError("not an RSA key");
  }
  if (EVP_PKEY_get_bits(key) < kMinRsaModulusBits) {
    return absl::InvalidArgumentError("RSA key shorter than 2048 bits");
  }
  return absl::OkStatus();
}

std::string BnToBytes(const BIGNUM* bn) {
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> GenerateRsaKey(int bits) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (key == nullptr) return OpenSslError("generating RSA key");
  return key;
}

absl::StatusOr<std::unique_ptr<RsaSsaPkcs1Sha256Signer>> RsaSsaPkcs1Sha256Signer::Create(
    EvpPkeyPtr private_key) {
  if (absl::Status s = CheckRsa(private_key.get()); !s.ok()) return s;
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(private_key.get(), OSSL_PKEY_PARAM_RSA_D, &d) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("RSA key has no private part");
  }
  BN_clear_free(d);
  return std::unique_ptr<RsaSsaPkcs1Sha256Signer>(
      new RsaSsaPkcs1Sha256Signer(std::move(private_key)));
}

absl::StatusOr<std::string> RsaSsaPkcs1Sha256Signer::Sign(std::string_view data) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return OpenSslError("RSA sign init");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, U(data), data.size()) != 1) {
    return OpenSslError("RSA sign size");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, U(data),
                     data.size()) != 1) {
    return OpenSslError("RSA sign");
  }
  sig.resize(len);
  return sig;
}

absl::StatusOr<std::unique_ptr<RsaSsaPkcs1Sha256Verifier>> RsaSsaPkcs1Sha256Verifier::Create(
    EvpPkeyPtr public_key) {
  if (absl::Status s = CheckRsa(public_key.get()); !s.ok()) return s;
  return std::unique_ptr<RsaSsaPkcs1Sha256Verifier>(
      new RsaSsaPkcs1Sha256Verifier(std::move(public_key)));
}

absl::StatusOr<std::unique_ptr<RsaSsaPkcs1Sha256Verifier>>
RsaSsaPkcs1Sha256Verifier::FromModulusExponent(std::string_view n, std::string_view e) {
  if (n.empty() || e.empty() || n.size() > 1024 || e.size() > 8) {
    return absl::InvalidArgumentError("RSA modulus or exponent has an invalid size");
  }
  BignumPtr bn_n(BN_bin2bn(U(n), static_cast<int>(n.size()), nullptr));
  BignumPtr bn_e(BN_bin2bn(U(e), static_cast<int>(e.size()), nullptr));
  if (bn_n == nullptr || bn_e == nullptr) return OpenSslError("RSA numbers");
  if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    return absl::InvalidArgumentError("RSA public exponent is invalid");
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return OpenSslError("building RSA key parameters");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslError("RSA fromdata init");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("invalid RSA public key");
  }
  return Create(EvpPkeyPtr(raw));
}

absl::Status RsaSsaPkcs1Sha256Verifier::Verify(std::string_view signature,
                                               std::string_view data) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return OpenSslError("RSA verify init");
  }
  if (EVP_DigestVerify(ctx.get(), U(signature), signature.size(), U(data), data.size()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("signature verification failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<RsaPublicNumbers> RsaPublicNumbersOf(EVP_PKEY* key) {
  if (absl::Status s = CheckRsa(key); !s.ok()) return s;
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
    BN_free(n);
    return OpenSslError("reading RSA public numbers");
  }
  BignumPtr bn(n), be(e);
  return RsaPublicNumbers{BnToBytes(bn.get()), BnToBytes(be.get())};
}

}  // namespace jit::crypto
