// SSH signatures (RFC 4253 §6.6, RFC 5656 §3.1.2, RFC 8332, RFC 8709 §6): signing with a CA
// key into an SSH signature blob (string algorithm, string signature) and verifying one.
//
//   Ed25519 CA      "ssh-ed25519", 64 bytes
//   ECDSA P-256 CA  "ecdsa-sha2-nistp256", (mpint r, mpint s) over SHA-256
//   RSA CA          "rsa-sha2-512", PKCS#1 v1.5 over SHA-512
//
// SshSigner is the interface certificate code signs through (tests inject their own);
// CaSshSigner adapts a crypto::CaSigner to it. Both are immutable and thread-safe.
#ifndef JIT_COMMON_SSH_SIGNATURE_H_
#define JIT_COMMON_SSH_SIGNATURE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/crypto/ca_signer.h"
#include "common/ssh/public_key.h"

namespace jit::ssh {

class SshSigner {
 public:
  virtual ~SshSigner() = default;
  // The public key signatures verify under (a certificate's "signature key").
  virtual const SshPublicKey& public_key() const = 0;
  // An SSH signature blob over `data`. INTERNAL if the crypto library fails.
  virtual absl::StatusOr<std::string> Sign(std::string_view data) const = 0;
};

class CaSshSigner final : public SshSigner {
 public:
  // INVALID_ARGUMENT if the key cannot be expressed as an SSH key (never for a CaSigner of
  // a supported kind).
  static absl::StatusOr<std::unique_ptr<CaSshSigner>> Create(
      std::shared_ptr<const crypto::CaSigner> ca);

  const SshPublicKey& public_key() const override { return public_key_; }
  absl::StatusOr<std::string> Sign(std::string_view data) const override;

 private:
  CaSshSigner(std::shared_ptr<const crypto::CaSigner> ca, SshPublicKey public_key)
      : ca_(std::move(ca)), public_key_(std::move(public_key)) {}
  std::shared_ptr<const crypto::CaSigner> ca_;
  SshPublicKey public_key_;
};

// OK when `signature_blob` is a valid signature by `key` over `data`. INVALID_ARGUMENT when it
// is malformed, uses an algorithm that does not belong to the key (or SHA-1 "ssh-rsa"), or
// does not verify.
absl::Status VerifySshSignature(const SshPublicKey& key, std::string_view signature_blob,
                                std::string_view data);

}  // namespace jit::ssh

#endif  // JIT_COMMON_SSH_SIGNATURE_H_
