#include "common/crypto/ed25519.h"

#include <sodium.h>

#include "common/crypto/random.h"

namespace jit::crypto {
namespace {

absl::Status InitSodium() {
  // Thread-safe and idempotent: 0 = initialised now, 1 = already, -1 = failure.
  if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
  return absl::OkStatus();
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::StatusOr<std::pair<SecretString, std::string>> KeyPairFromSeed(const SecretString& seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return absl::InvalidArgumentError("Ed25519 seed must be 32 bytes");
  }
  if (absl::Status s = InitSodium(); !s.ok()) return s;
  std::string pk(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string sk(crypto_sign_SECRETKEYBYTES, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(pk.data()),
                           reinterpret_cast<unsigned char*>(sk.data()), U(seed.Reveal()));
  SecretString secret(std::move(sk));  // moved, then the temporary is empty
  return std::make_pair(std::move(secret), std::move(pk));
}

}  // namespace

absl::StatusOr<SecretString> GenerateEd25519Seed() { return RandomSecret(kEd25519SeedSize); }

absl::StatusOr<std::string> Ed25519PublicKeyFromSeed(const SecretString& seed) {
  auto pair = KeyPairFromSeed(seed);
  if (!pair.ok()) return pair.status();
  return std::move(pair->second);
}

absl::StatusOr<std::unique_ptr<Ed25519Signer>> Ed25519Signer::Create(const SecretString& seed) {
  auto pair = KeyPairFromSeed(seed);
  if (!pair.ok()) return pair.status();
  return std::unique_ptr<Ed25519Signer>(
      new Ed25519Signer(std::move(pair->first), std::move(pair->second)));
}

absl::StatusOr<std::string> Ed25519Signer::Sign(std::string_view data) const {
  std::string sig(crypto_sign_BYTES, '\0');
  if (crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, U(data),
                           data.size(), U(secret_key_.Reveal())) != 0) {
    return absl::InternalError("Ed25519 signing failed");
  }
  return sig;
}

absl::StatusOr<std::unique_ptr<Ed25519Verifier>> Ed25519Verifier::Create(
    std::string_view public_key) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError("Ed25519 public key must be 32 bytes");
  }
  if (absl::Status s = InitSodium(); !s.ok()) return s;
  return std::unique_ptr<Ed25519Verifier>(new Ed25519Verifier(std::string(public_key)));
}

absl::Status Ed25519Verifier::Verify(std::string_view signature, std::string_view data) const {
  if (signature.size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(U(signature), U(data), data.size(), U(public_key_)) != 0) {
    return absl::InvalidArgumentError("signature verification failed");
  }
  return absl::OkStatus();
}

}  // namespace jit::crypto
