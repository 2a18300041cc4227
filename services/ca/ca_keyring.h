// CaKeyring: the CA keys a replica signs with and publishes, loaded from a CaKeyStore into
// memory at start and again by Refresh (rotation moves keys between states in the store; each
// replica calls Refresh periodically, so all follow a phase change made by any of them within
// one refresh interval). Open generates the active key of every kind that has none (the
// first start), stores it sealed, and loads whatever the store then holds, so replicas
// starting together end up with the same keys (the store lets one of them win). An X.509 CA
// gets its self-signed certificate when its key is generated; the certificate is stored
// with the key and every replica serves that same certificate.
//
// Private keys live only in the CaSigners (which wipe them when released) and never leave
// this object; the PEMs read from the store are wiped as soon as the signers are built.
//
// Errors (Open): those of the store; DATA_LOSS when a stored key does not match its public
// part or cannot be read; INTERNAL when key generation fails.
// Thread-safety: thread-safe; any number of threads may sign while Refresh runs. A Key, once
// handed out, lives as long as the keyring (a refresh replaces the current set, never frees
// a Key: the few a rotation adds are kept).
#ifndef JIT_SERVICES_CA_CA_KEYRING_H_
#define JIT_SERVICES_CA_CA_KEYRING_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/crypto/ca_signer.h"
#include "common/pki/x509_ca.h"
#include "common/ssh/signature.h"
#include "services/ca/ca_key_store.h"

namespace jit::ca {

struct CaKeyringOptions {
  // Algorithms of keys generated on first start (existing keys keep theirs).
  crypto::CaKeyAlgorithm ssh_algorithm = crypto::CaKeyAlgorithm::kEd25519;
  crypto::CaKeyAlgorithm x509_algorithm = crypto::CaKeyAlgorithm::kEcdsaP256;
  // Of a generated X.509 CA certificate.
  std::string x509_common_name = "jit-access x509-user CA";
  absl::Duration x509_validity = absl::Hours(24 * 365 * 10);
};

class CaKeyring {
 public:
  struct Key {
    std::string key_id;
    CaKind kind = CaKind::kSshUser;
    CaKeyState state = CaKeyState::kActive;
    crypto::CaKeyAlgorithm algorithm = crypto::CaKeyAlgorithm::kEd25519;
    // OpenSSH public key line (no comment) or the CA certificate PEM.
    std::string public_key;
    std::shared_ptr<const crypto::CaSigner> signer;
    std::unique_ptr<ssh::CaSshSigner> ssh;          // SSH kinds
    std::optional<pki::CertificateAuthority> x509;  // x509-user
  };

  // `store` is borrowed and must outlive the keyring.
  static absl::StatusOr<std::unique_ptr<CaKeyring>> Open(CaKeyStore& store, const Clock& clock,
                                                         const CaKeyringOptions& options = {});

  // A new key of `kind` (algorithm from the options) with its public part, not stored.
  static absl::StatusOr<CaKeyRecord> GenerateKey(CaKind kind, const CaKeyringOptions& options,
                                                 absl::Time now);

  // Re-reads the store and replaces the current keys when their set or states changed (true
  // then). On an error, or when the store holds no active key for some kind, the keys stay
  // as they were.
  absl::StatusOr<bool> Refresh() ABSL_LOCKS_EXCLUDED(refresh_mu_, mu_);

  // The key that signs certificates of `kind` (present for every kind after Open).
  const Key& Active(CaKind kind) const ABSL_LOCKS_EXCLUDED(mu_);
  // Every trusted key (active, next, previous), by kind then age.
  std::vector<const Key*> keys() const ABSL_LOCKS_EXCLUDED(mu_);
  const CaKeyringOptions& options() const { return options_; }

 private:
  CaKeyring(CaKeyStore* store, CaKeyringOptions options)
      : store_(store), options_(std::move(options)) {}
  // Builds the current set from `records`, reusing the Keys already loaded.
  absl::Status Load(const std::vector<CaKeyRecord>& records) ABSL_LOCKS_EXCLUDED(mu_);

  CaKeyStore* const store_;
  const CaKeyringOptions options_;
  absl::Mutex refresh_mu_;  // one Refresh at a time
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Key>> loaded_ ABSL_GUARDED_BY(mu_);  // every Key ever loaded
  std::vector<const Key*> current_ ABSL_GUARDED_BY(mu_);
  const Key* active_[kAllCaKinds.size()] ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_KEYRING_H_
