// OpenSSH public keys: the wire form (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4) and the
// one-line form ("ssh-ed25519 AAAA... comment") of the key types jit-access accepts:
// ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa (at least `min_rsa_bits`).
//
// Parsing is strict and refuses with INVALID_ARGUMENT, naming what is wrong: DSA keys,
// unknown or certificate types, RSA keys shorter than the minimum (or longer than OpenSSH
// reads, 16384 bits), an even or tiny RSA exponent, ECDSA points not on their curve or a
// curve name that does not match the type, non-minimal mpints, a one-line key whose type word
// differs from the type inside, bad base64, and any trailing byte.
//
// An SshPublicKey is an immutable value (copyable, thread-safe to share). Its wire() bytes
// are canonical: parsing and re-encoding gives the same bytes.
#ifndef JIT_COMMON_SSH_PUBLIC_KEY_H_
#define JIT_COMMON_SSH_PUBLIC_KEY_H_

#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/crypto/openssl_util.h"
#include "common/ssh/wire.h"

namespace jit::ssh {

enum class SshKeyType { kEd25519, kEcdsaP256, kEcdsaP384, kEcdsaP521, kRsa };

// "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa".
std::string_view SshKeyTypeName(SshKeyType type);
// "ssh-ed25519-cert-v01@openssh.com", ...
std::string_view SshCertTypeName(SshKeyType type);

// The smallest RSA modulus accepted for user and host keys; CA keys need 3072.
inline constexpr int kMinUserRsaBits = 2048;
// The largest RSA modulus OpenSSH reads (SSHBUF_MAX_BIGNUM * 8).
inline constexpr int kMaxRsaBits = 16384;
// A one-line key longer than this is refused before decoding.
inline constexpr size_t kMaxPublicKeyLineSize = 16 * 1024;

struct SshKeyParseOptions {
  int min_rsa_bits = kMinUserRsaBits;
};

class SshPublicKey {
 public:
  // From the wire blob (string type, then the type's fields).
  static absl::StatusOr<SshPublicKey> FromWire(std::string_view blob,
                                               const SshKeyParseOptions& options = {});
  // From "<type> <base64> [comment]" (an authorized_keys line without options; surrounding
  // whitespace and a trailing newline are allowed). The comment is kept in *comment if given.
  static absl::StatusOr<SshPublicKey> FromLine(std::string_view line,
                                               const SshKeyParseOptions& options = {},
                                               std::string* comment = nullptr);
  // From an OpenSSL public (or private) key: Ed25519, EC P-256/384/521 or RSA.
  static absl::StatusOr<SshPublicKey> FromEvpPkey(EVP_PKEY* key,
                                                  const SshKeyParseOptions& options = {});
  // From a 32-byte Ed25519 public key.
  static absl::StatusOr<SshPublicKey> FromEd25519(std::string_view public_key);

  SshKeyType type() const { return type_; }
  std::string_view type_name() const { return SshKeyTypeName(type_); }
  // The canonical wire blob.
  const std::string& wire() const { return wire_; }
  // "<type> <base64>[ <comment>]".
  std::string ToLine(std::string_view comment = "") const;
  // "SHA256:<base64 without padding>", as ssh-keygen -l prints it.
  std::string Fingerprint() const;
  // Bits of the key as ssh-keygen -l reports them (256 for Ed25519 and P-256, the modulus
  // size for RSA).
  int bits() const { return bits_; }

  // Type-specific fields, in wire order after the type name (for certificates, which carry
  // the same fields under another type name).
  std::string_view key_fields() const;

  // The key as an OpenSSL public key (to verify signatures made with it).
  absl::StatusOr<crypto::EvpPkeyPtr> ToEvpPkey() const;

  friend bool operator==(const SshPublicKey& a, const SshPublicKey& b) {
    return a.wire_ == b.wire_;
  }

 private:
  SshPublicKey(SshKeyType type, std::string wire, size_t fields_offset, int bits)
      : type_(type), wire_(std::move(wire)), fields_offset_(fields_offset), bits_(bits) {}
  friend class SshPublicKeyParser;

  SshKeyType type_;
  std::string wire_;
  size_t fields_offset_;
  int bits_;
};

// The parts of an OpenSSH one-line key or certificate ("<type> <base64> [comment]"):
// INVALID_ARGUMENT for an empty or over-long line, a missing or non-base64 key part, or more
// than one line. Surrounding whitespace is ignored.
struct KeyLine {
  std::string type_word;
  std::string blob;
  std::string comment;
};
absl::StatusOr<KeyLine> SplitKeyLine(std::string_view line);

// Reads one key's type-specific fields from `reader` (after the type name was read as
// `type_name`), for parsers of formats that embed keys (certificates, private key files).
// Returns the key; `reader` is left after the fields.
absl::StatusOr<SshPublicKey> ReadKeyFields(std::string_view type_name, SshReader& reader,
                                           const SshKeyParseOptions& options = {});

}  // namespace jit::ssh

#endif  // JIT_COMMON_SSH_PUBLIC_KEY_H_
