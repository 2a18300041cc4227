// CaKeyStore: where the CA's keys live (PostgreSQL in production, postgres_ca_key_store.h;
// an in-memory fake in testing/). The store seals private keys at rest; what it returns
// holds them opened, in SecretStrings that wipe themselves.
//
// Errors: UNAVAILABLE when the store cannot be reached; FAILED_PRECONDITION when a key was
// sealed under another key-encryption key; DATA_LOSS when a sealed key was altered.
// Thread-safe.
#ifndef JIT_SERVICES_CA_CA_KEY_STORE_H_
#define JIT_SERVICES_CA_CA_KEY_STORE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/ca_signer.h"
#include "common/secret.h"
#include "jit/common/v1/audit_event.pb.h"
#include "services/ca/ca_kind.h"

namespace jit::ca {

// Signs ("active"), trusted and about to sign ("next"), still trusted ("previous"),
// no longer trusted ("retired"). Rotation (issue 11) moves keys through these.
enum class CaKeyState { kActive, kNext, kPrevious, kRetired };
std::string_view CaKeyStateName(CaKeyState state);
absl::StatusOr<CaKeyState> ParseCaKeyState(std::string_view name);

struct CaKeyRecord {
  std::string key_id;
  CaKind kind = CaKind::kSshUser;
  crypto::CaKeyAlgorithm algorithm = crypto::CaKeyAlgorithm::kEd25519;
  CaKeyState state = CaKeyState::kActive;
  // What peers trust: the OpenSSH public key line (SSH) or the CA certificate PEM (X.509).
  std::string public_key;
  // PKCS#8 PEM (crypto::CaSigner's storage form); in memory only.
  SecretString private_key_pem;
  absl::Time create_time;
};

class CaKeyStore {
 public:
  virtual ~CaKeyStore() = default;

  // Every key that is not retired, private keys opened, ordered by kind then create time.
  virtual absl::StatusOr<std::vector<CaKeyRecord>> ListKeys() = 0;

  // Stores `key` (state kActive) with `event` in one transaction unless its kind already
  // has an active key. True when stored; false when another key was there first (two
  // replicas starting together: the caller loads that one instead).
  virtual absl::StatusOr<bool> AddActiveIfAbsent(const CaKeyRecord& key,
                                                 const jit::common::v1::AuditEvent& event) = 0;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_KEY_STORE_H_
