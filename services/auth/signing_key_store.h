// Session token signing keys (Ed25519). A key is published from its creation and signs from
// its activation time; it stays published while tokens it signed may still be valid (until
// `retention` after a newer key took over). The PostgreSQL implementation keeps the private
// key sealed under the key-encryption key; this interface deals in plaintext.
#ifndef JIT_SERVICES_AUTH_SIGNING_KEY_STORE_H_
#define JIT_SERVICES_AUTH_SIGNING_KEY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_outbox.h"
#include "common/secret.h"

namespace jit::auth {

struct SigningKeyRecord {
  std::string kid;
  std::string public_key;  // 32 bytes
  SecretString seed;       // 32 bytes; empty in ListPublished results
  absl::Time create_time;
  absl::Time activate_time;
};

struct ActiveSigningKey {
  SigningKeyRecord key;
  // The activation time of the next newer key, when one is waiting to take over.
  std::optional<absl::Time> next_activation;
};

// Thread-safe. Every method may fail with UNAVAILABLE when the store is down.
class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;

  // Keys created by `now` that are either still current or were superseded (a newer key
  // became active) less than `retention` before `now`; seeds left empty. Ordered by
  // activation time.
  virtual absl::StatusOr<std::vector<SigningKeyRecord>> ListPublished(absl::Time now,
                                                                      absl::Duration retention) = 0;

  // The newest key with activate_time <= now, with its seed. NOT_FOUND when there is none.
  virtual absl::StatusOr<ActiveSigningKey> Active(absl::Time now) = 0;

  // ALREADY_EXISTS for a duplicate kid.
  virtual absl::Status Add(const SigningKeyRecord& key, const audit::AuditEvent& event) = 0;

  // Adds `key` only if the store holds no key at all (first start; replicas starting
  // together add exactly one). True when it was added.
  virtual absl::StatusOr<bool> AddIfEmpty(const SigningKeyRecord& key,
                                          const audit::AuditEvent& event) = 0;

  // Deletes keys superseded more than `retention` before `now`. Returns how many went.
  virtual absl::StatusOr<int64_t> DeleteRetired(absl::Time now, absl::Duration retention) = 0;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_SIGNING_KEY_STORE_H_
