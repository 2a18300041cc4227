#include "common/ssh/signature.h"

#include <openssl/rsa.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/openssl_util.h"
#include "common/ssh/wire.h"
#include "common/status_macros.h"

namespace jit::ssh {
namespace {

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::Status Invalid() { return absl::InvalidArgumentError("signature does not verify"); }

absl::Status VerifyWithOpenSsl(const SshPublicKey& key, const EVP_MD* md, bool rsa,
                               std::string_view signature, std::string_view data) {
  ASSIGN_OR_RETURN(crypto::EvpPkeyPtr pkey, key.ToEvpPkey());
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey.get()) != 1 ||
      (rsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)) {
    return crypto::OpenSslError("signature verification init");
  }
  if (EVP_DigestVerify(ctx.get(), U(signature), signature.size(), U(data), data.size()) != 1) {
    crypto::ClearOpenSslErrors();
    return Invalid();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CaSshSigner>> CaSshSigner::Create(
    std::shared_ptr<const crypto::CaSigner> ca) {
  if (ca == nullptr) return absl::InvalidArgumentError("no CA signer");
  ASSIGN_OR_RETURN(SshPublicKey key,
                   SshPublicKey::FromEvpPkey(ca->key(), {.min_rsa_bits = crypto::kMinCaRsaBits}));
  return std::unique_ptr<CaSshSigner>(new CaSshSigner(std::move(ca), std::move(key)));
}

absl::StatusOr<std::string> CaSshSigner::Sign(std::string_view data) const {
  ASSIGN_OR_RETURN(std::string raw, ca_->Sign(data));
  SshWriter w;
  w.Reserve(raw.size() + 48);
  switch (ca_->algorithm()) {
    case crypto::CaKeyAlgorithm::kEd25519:
      w.PutString("ssh-ed25519");
      w.PutString(raw);
      break;
    case crypto::CaKeyAlgorithm::kEcdsaP256: {
      if (raw.size() != 64) return absl::InternalError("unexpected ECDSA signature size");
      w.PutString("ecdsa-sha2-nistp256");
      const size_t inner = w.BeginString();
      w.PutPositiveMpint(std::string_view(raw).substr(0, 32));
      w.PutPositiveMpint(std::string_view(raw).substr(32));
      w.EndString(inner);
      break;
    }
    case crypto::CaKeyAlgorithm::kRsa:
      w.PutString("rsa-sha2-512");
      w.PutString(raw);
      break;
  }
  RETURN_IF_ERROR(w.status());
  return std::move(w).Take();
}

absl::Status VerifySshSignature(const SshPublicKey& key, std::string_view signature_blob,
                                std::string_view data) {
  SshReader reader(signature_blob);
  ASSIGN_OR_RETURN(std::string_view algorithm, reader.ReadCString("signature algorithm", 64));
  ASSIGN_OR_RETURN(std::string_view signature, reader.ReadString("signature", 4096));
  RETURN_IF_ERROR(reader.ExpectEnd("the signature"));
  auto wrong_algorithm = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("signature algorithm does not match the ", AsAbsl(key.type_name()), " key"));
  };
  switch (key.type()) {
    case SshKeyType::kEd25519: {
      if (algorithm != "ssh-ed25519") return wrong_algorithm();
      SshReader fields(key.key_fields());
      ASSIGN_OR_RETURN(std::string_view pk, fields.ReadString("Ed25519 public key"));
      ASSIGN_OR_RETURN(auto verifier, crypto::Ed25519Verifier::Create(pk));
      if (!verifier->Verify(signature, data).ok()) return Invalid();
      return absl::OkStatus();
    }
    case SshKeyType::kEcdsaP256:
    case SshKeyType::kEcdsaP384:
    case SshKeyType::kEcdsaP521: {
      if (algorithm != key.type_name()) return wrong_algorithm();
      SshReader rs(signature);
      ASSIGN_OR_RETURN(std::string_view r, rs.ReadPositiveMpint("ECDSA signature r"));
      ASSIGN_OR_RETURN(std::string_view s, rs.ReadPositiveMpint("ECDSA signature s"));
      RETURN_IF_ERROR(rs.ExpectEnd("the ECDSA signature"));
      crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
      BIGNUM* bn_r = BN_bin2bn(U(r), static_cast<int>(r.size()), nullptr);
      BIGNUM* bn_s = BN_bin2bn(U(s), static_cast<int>(s.size()), nullptr);
      if (sig == nullptr || bn_r == nullptr || bn_s == nullptr ||
          ECDSA_SIG_set0(sig.get(), bn_r, bn_s) != 1) {
        BN_free(bn_r);
        BN_free(bn_s);
        return crypto::OpenSslError("building ECDSA signature");
      }
      unsigned char* der = nullptr;
      const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
      if (der_len <= 0) return crypto::OpenSslError("encoding ECDSA signature");
      const std::string der_sig(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
      OPENSSL_free(der);
      const EVP_MD* md = key.type() == SshKeyType::kEcdsaP256   ? EVP_sha256()
                         : key.type() == SshKeyType::kEcdsaP384 ? EVP_sha384()
                                                                : EVP_sha512();
      return VerifyWithOpenSsl(key, md, false, der_sig, data);
    }
    case SshKeyType::kRsa: {
      const EVP_MD* md = nullptr;
      if (algorithm == "rsa-sha2-512") {
        md = EVP_sha512();
      } else if (algorithm == "rsa-sha2-256") {
        md = EVP_sha256();
      } else if (algorithm == "ssh-rsa") {
        return absl::InvalidArgumentError("SHA-1 RSA signatures (ssh-rsa) are not accepted");
      } else {
        return wrong_algorithm();
      }
      return VerifyWithOpenSsl(key, md, true, signature, data);
    }
  }
  return absl::InternalError("unknown key type");
}

}  // namespace jit::ssh
