// The authentication stack of one service process, assembled once at start-up:
//
//   JwksSource -> JwksCache, RevocationFeed -> RevocationList  => TokenVerifier
//   CA bundle -> PeerCertificateVerifier
//   TokenVerifier + PeerCertificateVerifier + method table     => CallAuthorizer
//
// plus the AuthMetadataProcessor that gates every call before its handler, and a thread
// that refreshes the revocation list every second (so a Logout is honoured within seconds
// on every replica; when refreshes keep failing the list goes stale and token checks fail
// closed with UNAVAILABLE).
//
// Metric (with a registry): jit_<service>_token_verifications_total{result} — the session
// token of every call that presents one, as the per-call gate found it: valid, expired,
// revoked, invalid, unavailable (no per-user labels).
#ifndef JIT_COMMON_AUTH_SERVICE_AUTH_H_
#define JIT_COMMON_AUTH_SERVICE_AUTH_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/call_authorizer.h"
#include "common/auth/grpc_authorizer.h"
#include "common/auth/jwks_cache.h"
#include "common/auth/method_table.h"
#include "common/auth/peer_certificate_verifier.h"
#include "common/auth/revocation.h"
#include "common/auth/token_verifier.h"
#include "common/clock.h"
#include "common/periodic_task.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace jit::auth {

// Where session-token keys and revocations come from.
struct TokenSources {
  std::unique_ptr<JwksSource> jwks;
  std::unique_ptr<RevocationFeed> revocations;
};

struct ServiceAuthOptions {
  // Session tokens must carry this issuer and audience.
  std::string token_issuer;
  std::string token_audience;
  // CA bundle that service certificates must chain to.
  std::string ca_bundle_pem;
  // Who may call what; not owned, must outlive the ServiceAuth.
  const MethodAuthorizationTable* table = nullptr;
  absl::Duration revocation_refresh_interval = absl::Seconds(1);
  // What token checks do while the revocation feed fails (revocation.h).
  RevocationMode revocation_mode = RevocationMode::kBestEffort;
  absl::Duration revocation_max_staleness = absl::Minutes(1);
  // Roles whose sessions are checked strictly whatever revocation_mode says
  // (TokenVerifier::Options::strict_roles).
  std::vector<std::string> revocation_strict_roles;
  // Where jit_<metrics_service>_token_verifications_total and the revocation list's
  // jit_<metrics_service>_revocation_list_age_seconds / _staleness_bound_seconds go;
  // null = no metric.
  prometheus::Registry* registry = nullptr;
  std::string metrics_service;  // "auth", "ca", ...
};

// Counts token verifications by result on a prometheus registry. Thread-safe.
class TokenVerificationCounter final : public TokenVerificationObserver {
 public:
  // `service` is a lowercase identifier (the metric prefix).
  TokenVerificationCounter(prometheus::Registry& registry, const std::string& service);
  void Record(TokenVerificationResult result) override;

 private:
  std::array<prometheus::Counter*, 5> counters_;
};

class ServiceAuth {
 public:
  // `clock` is not owned. INVALID_ARGUMENT for missing pieces or a bad CA bundle.
  static absl::StatusOr<std::unique_ptr<ServiceAuth>> Create(const ServiceAuthOptions& options,
                                                             TokenSources sources,
                                                             const Clock* clock);
  ~ServiceAuth();

  const CallAuthorizer& authorizer() const { return *authorizer_; }
  TokenVerifier& token_verifier() { return *token_verifier_; }

  // The per-call gate to install on the server credentials; refusals are reported to
  // `on_refusal` (may be empty), e.g. the server's RPC metrics.
  std::shared_ptr<grpc::AuthMetadataProcessor> MetadataProcessor(
      GateRefusalRecorder on_refusal = nullptr) const;

  // Loads the revocation list once (a failure is logged, not fatal: auth may start later),
  // then refreshes it every revocation_refresh_interval on a PeriodicTask (idempotent;
  // stopped by the destructor). INVALID_ARGUMENT for a non-positive interval.
  absl::Status StartBackgroundRefresh();

 private:
  ServiceAuth() = default;

  ServiceAuthOptions options_;
  const Clock* clock_ = nullptr;
  TokenSources sources_;
  std::unique_ptr<JwksCache> jwks_;
  std::unique_ptr<RevocationList> revocations_;
  std::unique_ptr<TokenVerifier> token_verifier_;
  std::unique_ptr<PeerCertificateVerifier> peers_;
  std::unique_ptr<TokenVerificationCounter> verification_counter_;
  prometheus::Gauge* revocation_age_ = nullptr;  // on options_.registry; null without one
  std::unique_ptr<CallAuthorizer> authorizer_;
  absl::Status last_refresh_;                // touched by the refresh task only, once started
  std::unique_ptr<PeriodicTask> refresher_;  // last: stops first
};

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_SERVICE_AUTH_H_
