#include "common/crypto/openssl_util.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace jit::crypto {

absl::Status OpenSslError(std::string_view context, absl::StatusCode code) {
  std::string detail;
  unsigned long err;  // NOLINT(runtime/int): OpenSSL's type
  int count = 0;
  while ((err = ERR_get_error()) != 0) {
    if (count++ < 4) {  // The first few are enough; the rest is noise.
      char buf[256];
      ERR_error_string_n(err, buf, sizeof(buf));
      absl::StrAppend(&detail, detail.empty() ? "" : "; ", buf);
    }
  }
  if (detail.empty()) detail = "unknown OpenSSL error";
  return absl::Status(code, std::string(context) + ": " + detail);
}

void ClearOpenSslErrors() { ERR_clear_error(); }

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  if (len <= 0 || data == nullptr) return "";
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<SecretString> PrivateKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslError("BIO_new");
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("writing private key PEM");
  }
  SecretString pem(BioContents(bio.get()));
  // The memory BIO's buffer held the key: wipe it before it is freed.
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int)
  if (len > 0 && data != nullptr) OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

absl::StatusOr<std::string> PublicKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslError("BIO_new");
  if (PEM_write_bio_PUBKEY(bio.get(), key) != 1) return OpenSslError("writing public key PEM");
  return BioContents(bio.get());
}

absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return OpenSslError("parsing private key PEM", absl::StatusCode::kInvalidArgument);
  }
  return key;
}

absl::StatusOr<EvpPkeyPtr> ParsePublicKeyPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return OpenSslError("parsing public key PEM", absl::StatusCode::kInvalidArgument);
  }
  return key;
}

absl::StatusOr<EvpPkeyPtr> GenerateP256Key() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return OpenSslError("generating P-256 key");
  return key;
}

}  // namespace jit::crypto
