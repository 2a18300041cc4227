#include "common/crypto/ca_signer.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/openssl_util.h"
#include "common/status_macros.h"

namespace jit::crypto {
namespace {

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Digests fetched once: EVP_sha256() and friends make OpenSSL 3.0 fetch the implementation
// (locks, property queries) on every signature.
const EVP_MD* Sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}
const EVP_MD* Sha512() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
  return md != nullptr ? md : EVP_sha512();
}

// One EVP_DigestSign over `data` with `md` (and PKCS#1 v1.5 padding for RSA).
absl::StatusOr<std::string> DigestSign(EVP_PKEY* key, const EVP_MD* md, bool rsa_pkcs1,
                                       std::string_view data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) != 1 ||
      (rsa_pkcs1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)) {
    return OpenSslError("signature init");
  }
  size_t len = static_cast<size_t>(EVP_PKEY_get_size(key));
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, U(data),
                     data.size()) != 1) {
    return OpenSslError("signing");
  }
  sig.resize(len);
  return sig;
}

class Ed25519CaSigner final : public CaSigner {
 public:
  Ed25519CaSigner(std::unique_ptr<Ed25519Signer> signer, EvpPkeyPtr key)
      : signer_(std::move(signer)), key_(std::move(key)) {}
  CaKeyAlgorithm algorithm() const override { return CaKeyAlgorithm::kEd25519; }
  absl::StatusOr<std::string> Sign(std::string_view data) const override {
    return signer_->Sign(data);
  }
  EVP_PKEY* key() const override { return key_.get(); }

 private:
  std::unique_ptr<Ed25519Signer> signer_;
  EvpPkeyPtr key_;
};

class EcdsaP256CaSigner final : public CaSigner {
 public:
  explicit EcdsaP256CaSigner(EvpPkeyPtr key) : key_(std::move(key)) {}
  CaKeyAlgorithm algorithm() const override { return CaKeyAlgorithm::kEcdsaP256; }
  absl::StatusOr<std::string> Sign(std::string_view data) const override {
    ASSIGN_OR_RETURN(std::string der, DigestSign(key_.get(), Sha256(), false, data));
    const unsigned char* p = U(der);
    EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
    if (sig == nullptr) return OpenSslError("decoding ECDSA signature");
    std::string out(64, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + 32, 32) != 32) {
      return OpenSslError("encoding ECDSA signature");
    }
    return out;
  }
  EVP_PKEY* key() const override { return key_.get(); }

 private:
  EvpPkeyPtr key_;
};

class RsaCaSigner final : public CaSigner {
 public:
  explicit RsaCaSigner(EvpPkeyPtr key) : key_(std::move(key)) {}
  CaKeyAlgorithm algorithm() const override { return CaKeyAlgorithm::kRsa; }
  absl::StatusOr<std::string> Sign(std::string_view data) const override {
    return DigestSign(key_.get(), Sha512(), true, data);
  }
  EVP_PKEY* key() const override { return key_.get(); }

 private:
  EvpPkeyPtr key_;
};

bool HasPrivatePart(EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) {
    ClearOpenSslErrors();
    return false;
  }
  BN_clear_free(bn);
  return true;
}

}  // namespace

std::string_view CaKeyAlgorithmName(CaKeyAlgorithm algorithm) {
  switch (algorithm) {
    case CaKeyAlgorithm::kEd25519:
      return "ed25519";
    case CaKeyAlgorithm::kEcdsaP256:
      return "ecdsa-p256";
    case CaKeyAlgorithm::kRsa:
      return "rsa";
  }
  return "unknown";
}

absl::StatusOr<CaKeyAlgorithm> ParseCaKeyAlgorithm(std::string_view name) {
  for (CaKeyAlgorithm a :
       {CaKeyAlgorithm::kEd25519, CaKeyAlgorithm::kEcdsaP256, CaKeyAlgorithm::kRsa}) {
    if (name == CaKeyAlgorithmName(a)) return a;
  }
  return absl::InvalidArgumentError("CA key algorithm must be one of ed25519, ecdsa-p256, rsa");
}

absl::StatusOr<SecretString> GenerateCaPrivateKey(CaKeyAlgorithm algorithm, int rsa_bits) {
  EvpPkeyPtr key;
  switch (algorithm) {
    case CaKeyAlgorithm::kEd25519:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
      break;
    case CaKeyAlgorithm::kEcdsaP256:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
      break;
    case CaKeyAlgorithm::kRsa:
      if (rsa_bits < kMinCaRsaBits || rsa_bits > kMaxCaRsaBits) {
        return absl::InvalidArgumentError(
            absl::StrCat("RSA CA keys must have ", kMinCaRsaBits, " to ", kMaxCaRsaBits, " bits"));
      }
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits)));
      break;
  }
  if (key == nullptr) {
    return OpenSslError(
        absl::StrCat("generating ", std::string(CaKeyAlgorithmName(algorithm)), " key"));
  }
  return PrivateKeyToPem(key.get());
}

absl::StatusOr<std::unique_ptr<CaSigner>> CaSigner::Create(const SecretString& private_key_pem) {
  absl::StatusOr<EvpPkeyPtr> parsed = ParsePrivateKeyPem(private_key_pem.Reveal());
  if (!parsed.ok()) {
    // OpenSSL's message says nothing about the key's bytes; keep it generic all the same.
    return absl::InvalidArgumentError("CA private key is not a PKCS#8 PEM private key");
  }
  EvpPkeyPtr key = *std::move(parsed);
  if (EVP_PKEY_is_a(key.get(), "ED25519")) {
    std::string seed(kEd25519SeedSize, '\0');
    size_t len = seed.size();
    if (EVP_PKEY_get_raw_private_key(key.get(), reinterpret_cast<unsigned char*>(seed.data()),
                                     &len) != 1 ||
        len != kEd25519SeedSize) {
      OPENSSL_cleanse(seed.data(), seed.size());
      ClearOpenSslErrors();
      return absl::InvalidArgumentError("Ed25519 CA key has no private part");
    }
    const SecretString secret(std::move(seed));
    ASSIGN_OR_RETURN(std::unique_ptr<Ed25519Signer> signer, Ed25519Signer::Create(secret));
    return std::unique_ptr<CaSigner>(new Ed25519CaSigner(std::move(signer), std::move(key)));
  }
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    char group[64];
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &len) != 1 ||
        std::string_view(group, len) != "prime256v1") {
      ClearOpenSslErrors();
      return absl::InvalidArgumentError("ECDSA CA keys must be on curve P-256");
    }
    if (!HasPrivatePart(key.get(), OSSL_PKEY_PARAM_PRIV_KEY)) {
      return absl::InvalidArgumentError("ECDSA CA key has no private part");
    }
    return std::unique_ptr<CaSigner>(new EcdsaP256CaSigner(std::move(key)));
  }
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    const int bits = EVP_PKEY_get_bits(key.get());
    if (bits < kMinCaRsaBits || bits > kMaxCaRsaBits) {
      return absl::InvalidArgumentError(absl::StrCat("RSA CA keys must have ", kMinCaRsaBits,
                                                     " to ", kMaxCaRsaBits, " bits, not ", bits));
    }
    if (!HasPrivatePart(key.get(), OSSL_PKEY_PARAM_RSA_D)) {
      return absl::InvalidArgumentError("RSA CA key has no private part");
    }
    return std::unique_ptr<CaSigner>(new RsaCaSigner(std::move(key)));
  }
  return absl::InvalidArgumentError("CA keys must be Ed25519, ECDSA P-256 or RSA");
}

}  // namespace jit::crypto
