// OpenSSH's private key file format (PROTOCOL.key, "openssh-key-v1") for Ed25519 keys,
// unencrypted: what `ssh-keygen -t ed25519 -N ''` writes and `ssh -i` reads. The CLI writes
// the key it generated for a certificate request in this form.
//
// Secrets: the encoded file and the decoded seed are SecretStrings; intermediate buffers are
// wiped. Errors never quote key bytes.
// Thread-safety: free functions without shared state.
#ifndef JIT_COMMON_SSH_PRIVATE_KEY_H_
#define JIT_COMMON_SSH_PRIVATE_KEY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "common/ssh/public_key.h"

namespace jit::ssh {

// The PEM-armoured file ("-----BEGIN OPENSSH PRIVATE KEY-----" ...) for the Ed25519 key with
// this 32-byte seed. INVALID_ARGUMENT for a seed of another size or a comment with a newline
// or NUL.
absl::StatusOr<SecretString> EncodeOpenSshEd25519PrivateKey(const SecretString& seed,
                                                            std::string_view comment = "");

struct OpenSshEd25519PrivateKey {
  SecretString seed;
  SshPublicKey public_key;
  std::string comment;
};

// Reads such a file back. INVALID_ARGUMENT for another armour, an encrypted key ("encrypted
// private keys are not supported"), a key of another type, more than one key, mismatching
// check values or public halves, bad padding or trailing bytes.
absl::StatusOr<OpenSshEd25519PrivateKey> ParseOpenSshEd25519PrivateKey(const SecretString& file);

}  // namespace jit::ssh

#endif  // JIT_COMMON_SSH_PRIVATE_KEY_H_
