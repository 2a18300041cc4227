#include "common/crypto/digest.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "common/crypto/openssl_util.h"

namespace jit::crypto {

Sha256Digest Sha256(std::string_view data) {
  // SHA256_Init/Update/Final is deprecated in OpenSSL 3.0 but is the only allocation-free,
  // fetch-free path: EVP_Digest costs an EVP_MD_CTX allocation and a provider context per
  // call, which is most of the time for the short inputs (tokens) hashed here on every RPC.
  Sha256Digest out;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof(ctx));
  return out;
}

std::string Sha256String(std::string_view data) {
  const Sha256Digest d = Sha256(data);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

namespace {
absl::StatusOr<std::string> Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &out_len) == nullptr) {
    return OpenSslError("HMAC");
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}
}  // namespace

absl::StatusOr<std::string> HmacSha1(std::string_view key, std::string_view data) {
  return Hmac(EVP_sha1(), key, data);
}

absl::StatusOr<std::string> HmacSha256(std::string_view key, std::string_view data) {
  return Hmac(EVP_sha256(), key, data);
}

}  // namespace jit::crypto
