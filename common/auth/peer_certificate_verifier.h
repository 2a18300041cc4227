// Service identity from a TLS peer certificate.
//
// The gRPC server already verifies client certificates during the handshake; this check is
// done again here, against the internal CA bundle and with the injected clock, so that
// authorization never depends on how a server's TLS was configured (a server built with
// "request but don't verify" would otherwise hand us an attacker's self-signed certificate).
// Results are cached by the certificate's SHA-256 until it expires, so the cost is one
// signature check per distinct peer certificate.
#ifndef JIT_COMMON_AUTH_PEER_CERTIFICATE_VERIFIER_H_
#define JIT_COMMON_AUTH_PEER_CERTIFICATE_VERIFIER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/spiffe.h"
#include "common/clock.h"
#include "common/crypto/digest.h"
#include "common/crypto/openssl_util.h"

namespace jit::auth {

struct PeerIdentity {
  SpiffeId id;
  std::string spiffe_uri;
  absl::Time not_after;
};

// Thread-safe.
class PeerCertificateVerifier {
 public:
  // `ca_bundle_pem`: one or more CA certificates (several during a CA rotation).
  // INVALID_ARGUMENT when it holds no certificate or a certificate that is not a CA.
  // `clock` is not owned.
  static absl::StatusOr<std::unique_ptr<PeerCertificateVerifier>> Create(
      std::string_view ca_bundle_pem, const Clock* clock);

  // UNAUTHENTICATED when the certificate does not chain to the bundle now, is not valid for
  // TLS client auth, or does not carry exactly one jit-access SPIFFE URI SAN.
  absl::StatusOr<PeerIdentity> Verify(std::string_view leaf_pem) const;

 private:
  struct DigestHash {
    size_t operator()(const crypto::Sha256Digest& d) const;
  };
  struct CacheEntry {
    PeerIdentity identity;
    absl::Time not_before;
  };

  PeerCertificateVerifier(std::vector<crypto::X509Ptr> cas, const Clock* clock)
      : cas_(std::move(cas)), clock_(clock) {}
  absl::StatusOr<CacheEntry> VerifyUncached(std::string_view leaf_pem, absl::Time now) const;

  const std::vector<crypto::X509Ptr> cas_;
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<crypto::Sha256Digest, CacheEntry, DigestHash> cache_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_PEER_CERTIFICATE_VERIFIER_H_
