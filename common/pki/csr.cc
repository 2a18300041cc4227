#include "common/pki/csr.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jit::pki {
namespace {

using X509ReqPtr = crypto::OpenSslPtr<X509_REQ, X509_REQ_free>;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;

bool OnlyWhitespace(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(p[i]))) return false;
  }
  return true;
}

// The DER inside one PEM block of type `label` (or `alt_label`), nothing but whitespace
// around it.
absl::StatusOr<std::string> PemBlock(std::string_view pem, const char* label,
                                     const char* alt_label) {
  if (pem.empty()) return absl::InvalidArgumentError(absl::StrCat("not a PEM ", label));
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return crypto::OpenSslError("BIO_new_mem_buf");
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;  // NOLINT(runtime/int): OpenSSL's type
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError(absl::StrCat("not a PEM ", label));
  }
  const bool label_ok =
      std::strcmp(name, label) == 0 || (alt_label != nullptr && std::strcmp(name, alt_label) == 0);
  const bool no_headers = header == nullptr || header[0] == '\0';
  std::string der(reinterpret_cast<char*>(data), static_cast<size_t>(len));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  if (!label_ok) return absl::InvalidArgumentError(absl::StrCat("PEM block is not a ", label));
  if (!no_headers) return absl::InvalidArgumentError("PEM headers are not accepted");
  char* rest = nullptr;
  const long rest_len = BIO_get_mem_data(bio.get(), &rest);  // NOLINT(runtime/int)
  if (rest_len > 0 && !OnlyWhitespace(rest, static_cast<size_t>(rest_len))) {
    return absl::InvalidArgumentError(absl::StrCat("data after the ", label));
  }
  return der;
}

}  // namespace

absl::Status CheckClientKey(EVP_PKEY* key) {
  if (key == nullptr) return absl::InvalidArgumentError("no public key");
  if (EVP_PKEY_is_a(key, "ED25519")) return absl::OkStatus();
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64];
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) {
      crypto::ClearOpenSslErrors();
      return absl::InvalidArgumentError("EC key without a named curve");
    }
    const std::string_view g(group, len);
    if (g != "prime256v1" && g != "secp384r1" && g != "secp521r1") {
      return absl::InvalidArgumentError("EC client keys must be on curve P-256, P-384 or P-521");
    }
    // No EVP_PKEY_public_check: OpenSSL refuses a point off the curve when it decodes or
    // imports an EC key, and these curves have cofactor 1, so the point is valid.
    return absl::OkStatus();
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return absl::InvalidArgumentError(absl::StrCat("RSA client keys must have ", kMinRsaBits,
                                                     " to ", kMaxRsaBits, " bits, not ", bits));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "client keys must be Ed25519, ECDSA (P-256, P-384, P-521) or RSA");
}

absl::StatusOr<CertificateRequest> ParseCsr(std::string_view csr) {
  if (csr.size() > kMaxCsrSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("CSR of ", csr.size(), " bytes is larger than the limit of ", kMaxCsrSize));
  }
  if (csr.empty()) return absl::InvalidArgumentError("CSR is empty");
  std::string der;
  const size_t first = csr.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && csr.substr(first, 5) == "-----") {
    absl::StatusOr<std::string> block =
        PemBlock(csr, "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");
    if (!block.ok()) return block.status();
    der = *std::move(block);
  } else {
    der = std::string(csr);
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (req == nullptr) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("CSR is not a PKCS#10 certificate request");
  }
  if (p != end) return absl::InvalidArgumentError("data after the CSR");
  crypto::EvpPkeyPtr key(X509_REQ_get_pubkey(req.get()));
  if (key == nullptr) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("CSR public key cannot be read");
  }
  if (absl::Status s = CheckClientKey(key.get()); !s.ok()) return s;
  if (X509_REQ_verify(req.get(), key.get()) != 1) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("CSR signature does not verify");
  }
  CertificateRequest out{std::move(key), ""};
  X509_NAME* subject = X509_REQ_get_subject_name(req.get());
  const int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx >= 0) {
    unsigned char* utf8 = nullptr;
    const int len =
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx)));
    if (len >= 0) {
      out.subject_common_name.assign(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
      OPENSSL_free(utf8);
    } else {
      crypto::ClearOpenSslErrors();
    }
  }
  return out;
}

absl::StatusOr<crypto::EvpPkeyPtr> ParseClientPublicKey(std::string_view pem) {
  if (pem.size() > kMaxCsrSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "public key of ", pem.size(), " bytes is larger than the limit of ", kMaxCsrSize));
  }
  absl::StatusOr<std::string> der = PemBlock(pem, "PUBLIC KEY", nullptr);
  if (!der.ok()) return der.status();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der->data());
  const unsigned char* end = p + der->size();
  crypto::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size())));  // NOLINT
  if (key == nullptr) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("not a SubjectPublicKeyInfo");
  }
  if (p != end) return absl::InvalidArgumentError("data after the public key");
  if (absl::Status s = CheckClientKey(key.get()); !s.ok()) return s;
  return key;
}

}  // namespace jit::pki
