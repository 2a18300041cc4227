// CaKeyStore: where the CA's keys live (PostgreSQL in production, postgres_ca_key_store.h;
// an in-memory fake in testing/). The store seals private keys at rest; what it returns
// holds them opened, in SecretStrings that wipe themselves.
//
// Errors: UNAVAILABLE when the store cannot be reached; FAILED_PRECONDITION when a key was
// sealed under another key-encryption key; DATA_LOSS when a sealed key was altered.
// Thread-safe.
#ifndef JIT_SERVICES_CA_CA_KEY_STORE_H_
#define JIT_SERVICES_CA_CA_KEY_STORE_H_

#include <optional>
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

// CA rotation (issue 11), per kind: standby (no rotation under way; also after one ended)
// -> init -> update_clients -> update_servers -> standby, or -> rollback from init,
// update_clients or update_servers. "rollback" is a rest state like standby.
enum class RotationPhase { kStandby, kInit, kUpdateClients, kUpdateServers, kRollback };
// "standby", "init", "update_clients", "update_servers", "rollback".
std::string_view RotationPhaseName(RotationPhase phase);
// The inverse; INVALID_ARGUMENT naming the accepted names otherwise.
absl::StatusOr<RotationPhase> ParseRotationPhase(std::string_view name);

struct RotationState {
  RotationPhase phase = RotationPhase::kStandby;
  // Of the rotation under way or last done ("" before the first).
  std::string old_key_id;
  std::string new_key_id;
  absl::Time update_time = absl::InfinitePast();
};

// One phase change: applied only if the stored phase is still `from`.
struct RotationStep {
  CaKind kind = CaKind::kSshUser;
  RotationPhase from = RotationPhase::kStandby;
  RotationPhase to = RotationPhase::kStandby;
  std::string old_key_id;
  std::string new_key_id;
  // init: the new key, stored in state kNext.
  std::optional<CaKeyRecord> new_key;
  // Applied in order; each must move exactly one key of `kind` from `from` to `to`.
  struct KeyChange {
    std::string key_id;
    CaKeyState from;
    CaKeyState to;
  };
  std::vector<KeyChange> key_changes;
  absl::Time time;
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

  // The rotation phase of `kind` (kStandby when none was ever started).
  virtual absl::StatusOr<RotationState> GetRotation(CaKind kind) = 0;

  // Applies `step` (phase, key changes, new key) with `event`, all in one transaction.
  // FAILED_PRECONDITION, with nothing changed, when the stored phase is no longer
  // step.from (another replica moved it) or a key is not in the state the step expects.
  virtual absl::Status ApplyRotation(const RotationStep& step,
                                     const jit::common::v1::AuditEvent& event) = 0;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_KEY_STORE_H_
