#include "common/crypto/key_encryption.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <cstdint>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/random.h"
#include "common/secret_file.h"

namespace jit::crypto {
namespace {

constexpr size_t kIdBytes = 8;

// Version 1 (read only): XChaCha20-Poly1305 with a 24-byte nonce.
constexpr unsigned char kVersion1 = 0x01;
constexpr size_t kV1NonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kV1TagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kV1HeaderBytes = 1 + kIdBytes + kV1NonceBytes;

// Version 2: AES-256-GCM with a 12-byte nonce; the header is authenticated too.
constexpr unsigned char kVersion2 = 0x02;
constexpr size_t kV2NonceBytes = 12;
constexpr size_t kV2TagBytes = 16;
constexpr size_t kV2HeaderBytes = 1 + kIdBytes + kV2NonceBytes;

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kKeyEncryptionKeyBytes);

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// GCM's associated data: the header (version, KEK id, nonce) and the caller's binding,
// length-prefixed so the two cannot be confused.
std::string GcmAad(std::string_view header, std::string_view associated_data) {
  std::string aad(header);
  const uint64_t n = associated_data.size();
  for (int i = 7; i >= 0; --i) aad.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  aad.append(associated_data);
  return aad;
}

// AES-256-GCM. Encrypts into out[0..plaintext.size()) and writes the tag; false on failure.
bool GcmSeal(const SecretString& key, std::string_view nonce, std::string_view aad,
             std::string_view plaintext, unsigned char* out, unsigned char* tag) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  return ctx != nullptr &&
         EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                             nullptr) == 1 &&
         EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key.Reveal()), Bytes(nonce)) == 1 &&
         EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) ==
             1 &&
         EVP_EncryptUpdate(ctx.get(), out, &len, Bytes(plaintext),
                           static_cast<int>(plaintext.size())) == 1 &&
         EVP_EncryptFinal_ex(ctx.get(), out + len, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kV2TagBytes, tag) == 1;
}

// AES-256-GCM decryption; false when the tag does not verify (or OpenSSL fails).
bool GcmOpen(const SecretString& key, std::string_view nonce, std::string_view aad,
             std::string_view ciphertext, std::string_view tag, unsigned char* out) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string tag_copy(tag);  // EVP wants a mutable buffer
  return ctx != nullptr &&
         EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                             nullptr) == 1 &&
         EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key.Reveal()), Bytes(nonce)) == 1 &&
         EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) ==
             1 &&
         EVP_DecryptUpdate(ctx.get(), out, &len, Bytes(ciphertext),
                           static_cast<int>(ciphertext.size())) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kV2TagBytes, tag_copy.data()) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyEncryptionKey>> KeyEncryptionKey::FromBytes(
    const SecretString& key) {
  if (key.size() != kKeyEncryptionKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key-encryption key must be ", kKeyEncryptionKeyBytes, " bytes"));
  }
  if (sodium_init() < 0) return absl::InternalError("libsodium cannot be initialised");
  // The id is a hash of a domain-separated input: it identifies the key, reveals nothing
  // usable about it.
  SecretString input(std::string("jit-access auth KEK id\n").append(key.Reveal()));
  std::string id = crypto::Sha256String(input.Reveal()).substr(0, kIdBytes);
  return std::unique_ptr<KeyEncryptionKey>(new KeyEncryptionKey(key, std::move(id)));
}

absl::StatusOr<std::unique_ptr<KeyEncryptionKey>> KeyEncryptionKey::FromFile(
    const std::string& path) {
  absl::StatusOr<SecretString> text = ReadSecretFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::string> raw = crypto::Base64Decode(text->Reveal());
  if (!raw.ok() || raw->size() != kKeyEncryptionKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key-encryption key file ", path,
                     ": must hold the base64 of 32 random bytes (openssl rand -base64 32)"));
  }
  return FromBytes(SecretString(*std::move(raw)));
}

absl::StatusOr<std::unique_ptr<KeyEncryptionKey>> KeyEncryptionKey::Generate() {
  absl::StatusOr<SecretString> key = crypto::RandomSecret(kKeyEncryptionKeyBytes);
  if (!key.ok()) return key.status();
  return FromBytes(*key);
}

absl::StatusOr<std::string> KeyEncryptionKey::Seal(std::string_view plaintext,
                                                   std::string_view associated_data) const {
  if (plaintext.size() > (1u << 30)) return absl::InvalidArgumentError("secret too large");
  absl::StatusOr<std::string> nonce = crypto::RandomBytes(kV2NonceBytes);
  if (!nonce.ok()) return nonce.status();
  std::string out;
  out.reserve(kV2HeaderBytes + plaintext.size() + kV2TagBytes);
  out.push_back(static_cast<char>(kVersion2));
  out.append(id_);
  out.append(*nonce);
  const std::string aad = GcmAad(out, associated_data);
  out.resize(kV2HeaderBytes + plaintext.size() + kV2TagBytes);
  auto* body = reinterpret_cast<unsigned char*>(out.data() + kV2HeaderBytes);
  if (!GcmSeal(key_, *nonce, aad, plaintext, body, body + plaintext.size())) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  return out;
}

bool KeyEncryptionKey::IsLegacy(std::string_view sealed) {
  return !sealed.empty() && static_cast<unsigned char>(sealed[0]) == kVersion1;
}

absl::StatusOr<SecretString> KeyEncryptionKey::Open(std::string_view sealed,
                                                    std::string_view associated_data) const {
  const unsigned char version = sealed.empty() ? 0 : static_cast<unsigned char>(sealed[0]);
  const size_t header = version == kVersion1 ? kV1HeaderBytes : kV2HeaderBytes;
  const size_t tag_bytes = version == kVersion1 ? kV1TagBytes : kV2TagBytes;
  if ((version != kVersion1 && version != kVersion2) || sealed.size() < header + tag_bytes) {
    return absl::DataLossError("sealed secret is malformed");
  }
  const std::string_view id = sealed.substr(1, kIdBytes);
  if (id != id_) {
    return absl::FailedPreconditionError(
        absl::StrCat("secret was sealed under another key-encryption key (id ",
                     absl::BytesToHexString(absl::string_view(id.data(), id.size())),
                     ", this one is ", id_hex(), ")"));
  }
  const std::string_view nonce = sealed.substr(1 + kIdBytes, header - 1 - kIdBytes);
  const std::string_view body = sealed.substr(header);
  std::string plain(body.size() - tag_bytes, '\0');
  SecretString holder;  // wipes `plain` on every path once moved in
  bool opened = false;
  if (version == kVersion1) {
    unsigned long long written = 0;
    opened = crypto_aead_xchacha20poly1305_ietf_decrypt(
                 reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr, Bytes(body),
                 body.size(), Bytes(associated_data), associated_data.size(), Bytes(nonce),
                 Bytes(key_.Reveal())) == 0;
    plain.resize(opened ? written : 0);
  } else {
    opened = GcmOpen(key_, nonce, GcmAad(sealed.substr(0, header), associated_data),
                     body.substr(0, plain.size()), body.substr(plain.size()),
                     reinterpret_cast<unsigned char*>(plain.data()));
    if (!opened) OPENSSL_cleanse(plain.data(), plain.size());
  }
  holder = SecretString(std::move(plain));
  if (!opened) return absl::DataLossError("sealed secret failed authentication");
  return holder;
}

std::string KeyEncryptionKey::id_hex() const { return absl::BytesToHexString(id_); }

}  // namespace jit::crypto
