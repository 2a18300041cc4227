#include "common/auth/service_auth.h"

#include <utility>

#include "common/auth/grpc_authorizer.h"
#include "common/auth/spiffe.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace jit::auth {

TokenVerificationCounter::TokenVerificationCounter(prometheus::Registry& registry,
                                                   const std::string& service) {
  auto& family = prometheus::BuildCounter()
                     .Name("jit_" + service + "_token_verifications_total")
                     .Help("Session tokens presented to this service, by verification result")
                     .Register(registry);
  for (TokenVerificationResult r :
       {TokenVerificationResult::kValid, TokenVerificationResult::kExpired,
        TokenVerificationResult::kRevoked, TokenVerificationResult::kInvalid,
        TokenVerificationResult::kUnavailable}) {
    counters_[static_cast<size_t>(r)] = &family.Add({{"result", TokenVerificationResultName(r)}});
  }
}

void TokenVerificationCounter::Record(TokenVerificationResult result) {
  counters_[static_cast<size_t>(result)]->Increment();
}

absl::StatusOr<std::unique_ptr<ServiceAuth>> ServiceAuth::Create(const ServiceAuthOptions& options,
                                                                 TokenSources sources,
                                                                 const Clock* clock) {
  if (options.table == nullptr || sources.jwks == nullptr || sources.revocations == nullptr) {
    return absl::InvalidArgumentError("ServiceAuth: method table and token sources required");
  }
  auto auth = std::unique_ptr<ServiceAuth>(new ServiceAuth());
  auth->options_ = options;
  auth->clock_ = clock;
  auth->sources_ = std::move(sources);
  ASSIGN_OR_RETURN(auth->jwks_, JwksCache::Create(auth->sources_.jwks.get(), clock, {}));
  ASSIGN_OR_RETURN(auth->revocations_,
                   RevocationList::Create(auth->sources_.revocations.get(), clock,
                                          {.mode = options.revocation_mode,
                                           .max_staleness = options.revocation_max_staleness}));
  TokenVerifier::Options verifier_options;
  verifier_options.issuer = options.token_issuer;
  verifier_options.audience = options.token_audience;
  verifier_options.strict_roles = options.revocation_strict_roles;
  ASSIGN_OR_RETURN(auth->token_verifier_, TokenVerifier::Create(verifier_options, auth->jwks_.get(),
                                                                auth->revocations_.get(), clock));
  ASSIGN_OR_RETURN(auth->peers_, PeerCertificateVerifier::Create(options.ca_bundle_pem, clock));
  if (options.registry != nullptr) {
    if (!IsValidServiceName(options.metrics_service) ||
        options.metrics_service.find('-') != std::string::npos) {
      return absl::InvalidArgumentError("ServiceAuth: metrics_service must be a lowercase name");
    }
    auth->verification_counter_ =
        std::make_unique<TokenVerificationCounter>(*options.registry, options.metrics_service);
    const std::string prefix = "jit_" + options.metrics_service + "_revocation_list_";
    auth->revocation_age_ =
        &prometheus::BuildGauge()
             .Name(prefix + "age_seconds")
             .Help(
                 "Seconds since the revocation list last refreshed from auth (token checks "
                 "fail once it exceeds the staleness bound)")
             .Register(*options.registry)
             .Add({});
    prometheus::BuildGauge()
        .Name(prefix + "staleness_bound_seconds")
        .Help("Age of the revocation list beyond which token checks fail closed (by mode)")
        .Register(*options.registry)
        .Add({{"mode", std::string(RevocationModeName(options.revocation_mode))}})
        .Set(absl::ToDoubleSeconds(auth->revocations_->staleness_bound()));
  }
  ASSIGN_OR_RETURN(auth->authorizer_,
                   CallAuthorizer::Create(options.table, auth->token_verifier_.get(),
                                          auth->peers_.get(), auth->verification_counter_.get()));
  return auth;
}

ServiceAuth::~ServiceAuth() { refresher_.reset(); }

std::shared_ptr<grpc::AuthMetadataProcessor> ServiceAuth::MetadataProcessor(
    GateRefusalRecorder on_refusal) const {
  return std::make_shared<AuthorizingMetadataProcessor>(authorizer_.get(), std::move(on_refusal),
                                                        clock_);
}

absl::Status ServiceAuth::StartBackgroundRefresh() {
  if (refresher_ != nullptr) return absl::OkStatus();
  // One refresh before the first call can arrive, so that a service that starts after auth
  // does not answer its first token-bearing calls with UNAVAILABLE.
  absl::Status first = revocations_->Refresh();
  if (!first.ok()) {
    spdlog::warn(
        "revocation list not loaded yet (token-bearing calls get UNAVAILABLE until "
        "it is): {}",
        std::string(first.message()));
  }
  last_refresh_ = first;
  if (revocation_age_ != nullptr) revocation_age_->Set(absl::ToDoubleSeconds(revocations_->age()));
  absl::StatusOr<std::unique_ptr<PeriodicTask>> task = PeriodicTask::Start(
      {.name = "revocation refresh",
       .interval = options_.revocation_refresh_interval,
       .run_at_start = false},
      [this] {
        absl::Status s = revocations_->Refresh();
        // Log transitions only: a peer that is down for a while must not flood the log.
        if (!s.ok() && last_refresh_.ok()) {
          spdlog::warn("revocation list refresh failing: {}", std::string(s.message()));
        } else if (s.ok() && !last_refresh_.ok()) {
          spdlog::info("revocation list refresh recovered");
        }
        last_refresh_ = s;
        if (revocation_age_ != nullptr) {
          revocation_age_->Set(absl::ToDoubleSeconds(revocations_->age()));
        }
      });
  if (!task.ok()) return task.status();
  refresher_ = *std::move(task);
  return absl::OkStatus();
}

}  // namespace jit::auth
