#include "common/crypto/key_encryption.h"

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/crypto/random.h"
#include "common/secret_file.h"

namespace jit::crypto {
namespace {

constexpr unsigned char kVersion = 0x01;
constexpr size_t kIdBytes = 8;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kHeaderBytes = 1 + kIdBytes + kNonceBytes;

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kKeyEncryptionKeyBytes);

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
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
  absl::StatusOr<std::string> nonce = crypto::RandomBytes(kNonceBytes);
  if (!nonce.ok()) return nonce.status();
  std::string out;
  out.reserve(kHeaderBytes + plaintext.size() + kTagBytes);
  out.push_back(static_cast<char>(kVersion));
  out.append(id_);
  out.append(*nonce);
  out.resize(kHeaderBytes + plaintext.size() + kTagBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data() + kHeaderBytes), &written, Bytes(plaintext),
      plaintext.size(), Bytes(associated_data), associated_data.size(), nullptr, Bytes(*nonce),
      Bytes(key_.Reveal()));
  out.resize(kHeaderBytes + written);
  return out;
}

absl::StatusOr<SecretString> KeyEncryptionKey::Open(std::string_view sealed,
                                                    std::string_view associated_data) const {
  if (sealed.size() < kHeaderBytes + kTagBytes ||
      static_cast<unsigned char>(sealed[0]) != kVersion) {
    return absl::DataLossError("sealed secret is malformed");
  }
  const std::string_view id = sealed.substr(1, kIdBytes);
  if (id != id_) {
    return absl::FailedPreconditionError(
        absl::StrCat("secret was sealed under another key-encryption key (id ",
                     absl::BytesToHexString(absl::string_view(id.data(), id.size())),
                     ", this one is ", id_hex(), ")"));
  }
  const std::string_view nonce = sealed.substr(1 + kIdBytes, kNonceBytes);
  const std::string_view ciphertext = sealed.substr(kHeaderBytes);
  std::string plain(ciphertext.size() - kTagBytes, '\0');
  SecretString holder;  // wipes `plain` on every path once moved in
  unsigned long long written = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr, Bytes(ciphertext),
      ciphertext.size(), Bytes(associated_data), associated_data.size(), Bytes(nonce),
      Bytes(key_.Reveal()));
  plain.resize(rc == 0 ? written : 0);
  holder = SecretString(std::move(plain));
  if (rc != 0) return absl::DataLossError("sealed secret failed authentication");
  return holder;
}

std::string KeyEncryptionKey::id_hex() const { return absl::BytesToHexString(id_); }

}  // namespace jit::crypto
