#include "services/ca/ca_app.h"

#include <optional>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/audit/service_outbox_relay.h"
#include "common/client/peer.h"
#include "common/crypto/ca_signer.h"
#include "common/crypto/key_encryption.h"
#include "common/log_rate_limiter.h"
#include "common/periodic_task.h"
#include "common/server/unary_handler.h"
#include "common/status_macros.h"
#include "services/ca/ca_keyring.h"
#include "services/ca/ca_metrics.h"
#include "services/ca/ca_rotator.h"
#include "services/ca/ca_service_impl.h"
#include "services/ca/cert_issuer.h"
#include "services/ca/cert_revoker.h"
#include "services/ca/join/enrollment.h"
#include "services/ca/join/internal_ca_loader.h"
#include "services/ca/join/postgres_join_store.h"
#include "services/ca/join/redemption_limiter.h"
#include "services/ca/postgres_ca_key_store.h"
#include "services/ca/postgres_issued_cert_store.h"
#include "services/ca/postgres_revocation_store.h"
#include "services/policy/client/grpc_policy_client.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/requests/client/grpc_requests_client.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, key_encryption_key_file, "",
          "File holding the key-encryption key that seals the CA private keys in PostgreSQL: "
          "base64 of 32 random bytes, mode 0600 (openssl rand -base64 32 > kek; chmod 600 kek)");
ABSL_FLAG(std::string, ssh_ca_algorithm, "ed25519",
          "Key type of SSH CA keys generated on first start: ed25519, ecdsa-p256 or rsa "
          "(3072 bits, rsa-sha2-512)");
ABSL_FLAG(std::string, x509_ca_algorithm, "ecdsa-p256",
          "Key type of the X.509 CA key generated on first start: ecdsa-p256, ed25519 or rsa");
ABSL_FLAG(absl::Duration, ca_key_refresh_interval, absl::Seconds(5),
          "How often a replica re-reads the CA keys, so it follows a rotation phase changed "
          "through another replica within this time (1s..5m)");
ABSL_FLAG(absl::Duration, host_cert_ttl, absl::Hours(24 * 30),
          "Validity of SSH host certificates when the request names none, and their maximum "
          "(1m..8760h)");
ABSL_FLAG(absl::Duration, crl_validity, absl::Hours(24),
          "nextUpdate - thisUpdate of the X.509 CRL (GetRevocationList); an unchanged list is "
          "reissued after a twentieth of this (1h..720h)");
ABSL_FLAG(absl::Duration, revoked_grants_poll_interval, absl::Seconds(5),
          "How often the requests service is asked for revoked grants whose certificates to "
          "revoke (1s..10m)");

ABSL_FLAG(std::string, internal_ca_cert_file, "",
          "PEM certificate of the internal CA (the services' mTLS CA), imported into PostgreSQL "
          "on the first start that names it, with --internal_ca_key_file; later starts need "
          "neither. Join tokens (EnrollHost, JoinService) need it");
ABSL_FLAG(std::string, internal_ca_key_file, "",
          "PEM private key of the internal CA (mode 0600), with --internal_ca_cert_file");

namespace jit::ca {
namespace internal {

// Every object of the running service, in dependency order (destroyed in reverse).
struct CaAppParts {
  CaAppParts(server::ServiceRuntime& runtime, std::unique_ptr<crypto::KeyEncryptionKey> kek)
      : kek(std::move(kek)),
        key_store(&runtime.pool, this->kek.get()),
        certs(&runtime.pool),
        revocations(&runtime.pool),
        policy_peer("policy", runtime.config.peers.policy, runtime.tls, runtime.config.rpc_timeout),
        requests_peer("requests", runtime.config.peers.requests, runtime.tls,
                      runtime.config.rpc_timeout),
        policy(&policy_peer),
        requests(&requests_peer),
        permissions(&policy),
        metrics(runtime.registry),
        follow_warnings(runtime.clock, 1, absl::Minutes(1)),
        join_store(&runtime.pool, this->kek.get()),
        refusals(&runtime.pool, "ca"),
        limiter(&runtime.clock) {}

  std::unique_ptr<crypto::KeyEncryptionKey> kek;
  PostgresCaKeyStore key_store;
  PostgresIssuedCertStore certs;
  PostgresRevocationStore revocations;
  client::PeerClient policy_peer;
  client::PeerClient requests_peer;
  policy::GrpcPolicyClient policy;
  requests::GrpcRequestsClient requests;
  policy::PolicyPermissionChecker permissions;
  CaMetrics metrics;
  std::unique_ptr<CaKeyring> keyring;
  std::unique_ptr<CertIssuer> issuer;
  std::unique_ptr<CertRevoker> revoker;
  std::unique_ptr<CaRotator> rotator;
  std::unique_ptr<PeriodicTask> key_refresh;  // follows rotations made through other replicas
  // Requests down: one warning a minute, not one per pass.
  LogRateLimiter follow_warnings;
  join::PostgresJoinStore join_store;
  audit::PostgresAuditOutbox refusals;
  join::RedemptionLimiter limiter;
  std::optional<pki::CertificateAuthority> internal_ca;
  std::unique_ptr<join::Enrollment> enrollment;
  std::unique_ptr<CaServiceImpl> service;
  std::unique_ptr<PeriodicTask> revoked_grants_task;
  std::unique_ptr<audit::ServiceOutboxRelay> audit_relay;  // last: stops first
};

}  // namespace internal

namespace {

void FollowRevokedGrants(internal::CaAppParts& p) {
  absl::StatusOr<int> revoked = p.revoker->FollowRevokedGrants();
  if (!revoked.ok()) {
    if (std::optional<uint64_t> suppressed = p.follow_warnings.Admit()) {
      spdlog::warn("following revoked grants: {}{}", revoked.status().ToString(),
                   SuppressedNote(*suppressed));
    }
  } else if (*revoked > 0) {
    spdlog::info("revoked {} certificate(s) of revoked grants", *revoked);
  }
}

absl::Status Named(absl::string_view flag, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(flag, ": ", s.message()));
}

}  // namespace

CaApp::Config CaApp::ConfigFromFlags() {
  return {.key_encryption_key_file = absl::GetFlag(FLAGS_key_encryption_key_file),
          .ssh_ca_algorithm = absl::GetFlag(FLAGS_ssh_ca_algorithm),
          .x509_ca_algorithm = absl::GetFlag(FLAGS_x509_ca_algorithm),
          .host_cert_ttl = absl::GetFlag(FLAGS_host_cert_ttl),
          .crl_validity = absl::GetFlag(FLAGS_crl_validity),
          .revoked_grants_poll_interval = absl::GetFlag(FLAGS_revoked_grants_poll_interval),
          .ca_key_refresh_interval = absl::GetFlag(FLAGS_ca_key_refresh_interval),
          .internal_ca_cert_file = absl::GetFlag(FLAGS_internal_ca_cert_file),
          .internal_ca_key_file = absl::GetFlag(FLAGS_internal_ca_key_file)};
}

absl::Status CaApp::Validate(const Config& c) {
  if (c.key_encryption_key_file.empty()) {
    return absl::InvalidArgumentError(
        "key_encryption_key_file: must be set (openssl rand -base64 32 > kek; chmod 600 kek)");
  }
  RETURN_IF_ERROR(
      Named("ssh_ca_algorithm", crypto::ParseCaKeyAlgorithm(c.ssh_ca_algorithm).status()));
  RETURN_IF_ERROR(
      Named("x509_ca_algorithm", crypto::ParseCaKeyAlgorithm(c.x509_ca_algorithm).status()));
  if (c.host_cert_ttl < absl::Minutes(1) || c.host_cert_ttl > absl::Hours(8760)) {
    return absl::InvalidArgumentError("host_cert_ttl: must be between 1m and 8760h");
  }
  if (c.crl_validity < absl::Hours(1) || c.crl_validity > absl::Hours(720)) {
    return absl::InvalidArgumentError("crl_validity: must be between 1h and 720h");
  }
  if (c.revoked_grants_poll_interval < absl::Seconds(1) ||
      c.revoked_grants_poll_interval > absl::Minutes(10)) {
    return absl::InvalidArgumentError("revoked_grants_poll_interval: must be between 1s and 10m");
  }
  if (c.ca_key_refresh_interval < absl::Seconds(1) ||
      c.ca_key_refresh_interval > absl::Minutes(5)) {
    return absl::InvalidArgumentError("ca_key_refresh_interval: must be between 1s and 5m");
  }
  RETURN_IF_ERROR(join::ValidateInternalCaFiles(c.internal_ca_cert_file, c.internal_ca_key_file));
  return Named("key_encryption_key_file",
               crypto::KeyEncryptionKey::FromFile(c.key_encryption_key_file).status());
}

absl::StatusOr<std::unique_ptr<CaApp>> CaApp::Create(server::ServiceRuntime& runtime,
                                                     const Config& config) {
  RETURN_IF_ERROR(Validate(config));
  absl::StatusOr<std::unique_ptr<crypto::KeyEncryptionKey>> kek =
      crypto::KeyEncryptionKey::FromFile(config.key_encryption_key_file);
  RETURN_IF_ERROR(Named("key_encryption_key_file", kek.status()));
  auto p = std::make_unique<internal::CaAppParts>(runtime, *std::move(kek));
  CaKeyringOptions options;
  ASSIGN_OR_RETURN(options.ssh_algorithm, crypto::ParseCaKeyAlgorithm(config.ssh_ca_algorithm));
  ASSIGN_OR_RETURN(options.x509_algorithm, crypto::ParseCaKeyAlgorithm(config.x509_ca_algorithm));
  absl::StatusOr<std::unique_ptr<CaKeyring>> keyring =
      CaKeyring::Open(p->key_store, runtime.clock, options);
  if (!keyring.ok()) {
    return absl::Status(keyring.status().code(),
                        absl::StrCat("loading the CA keys: ", keyring.status().message()));
  }
  p->keyring = *std::move(keyring);
  for (CaKind kind : kAllCaKinds) {
    spdlog::info("{} CA key {} ({})", CaKindName(kind), p->keyring->Active(kind).key_id,
                 crypto::CaKeyAlgorithmName(p->keyring->Active(kind).algorithm));
  }
  p->issuer = std::make_unique<CertIssuer>(
      p->keyring.get(), &p->certs, &p->policy, &p->requests, &p->permissions, &runtime.clock,
      &p->metrics, CertIssuerOptions{.host_cert_ttl = config.host_cert_ttl});
  p->revoker = std::make_unique<CertRevoker>(
      p->keyring.get(), &p->revocations, &p->permissions, &p->requests, &runtime.clock,
      CertRevokerOptions{.list_validity = config.crl_validity,
                         .reissue_after = config.crl_validity / 20});
  p->rotator =
      std::make_unique<CaRotator>(&p->key_store, p->keyring.get(), &p->permissions, &runtime.clock);
  CaKeyring* keyring_ptr = p->keyring.get();
  ASSIGN_OR_RETURN(p->key_refresh,
                   PeriodicTask::Start({.name = "ca-key-refresh",
                                        .interval = config.ca_key_refresh_interval,
                                        .run_at_start = false},
                                       [keyring_ptr] {
                                         absl::StatusOr<bool> changed = keyring_ptr->Refresh();
                                         if (!changed.ok()) {
                                           spdlog::warn("reloading the CA keys: {}",
                                                        changed.status().ToString());
                                         } else if (*changed) {
                                           spdlog::info("CA keys reloaded (rotation)");
                                         }
                                       }));
  ASSIGN_OR_RETURN(p->internal_ca,
                   join::LoadInternalCa(p->join_store, config.internal_ca_cert_file,
                                        config.internal_ca_key_file, runtime.clock.Now()));
  const CertIssuer* issuer = p->issuer.get();
  p->enrollment = std::make_unique<join::Enrollment>(
      &p->join_store,
      [issuer](const ssh::SshPublicKey& key, const std::vector<std::string>& principals,
               absl::Duration ttl, std::string_view owner, const audit::AuditActor& actor) {
        return issuer->IssueHostSshCert(key, principals, ttl, owner, actor);
      },
      p->internal_ca.has_value() ? &*p->internal_ca : nullptr, &p->permissions, &p->refusals,
      &p->limiter, &runtime.clock, join::EnrollmentOptions{.host_cert_ttl = config.host_cert_ttl});
  p->service = std::make_unique<CaServiceImpl>(p->issuer.get(), p->revoker.get(), p->rotator.get(),
                                               server::AuthorizedCaller(runtime.authorizer),
                                               p->enrollment.get());
  // Every replica follows (a repeat revokes nothing and writes nothing), so no leader is
  // needed and a CA that was down catches up on its first pass.
  internal::CaAppParts* parts = p.get();
  ASSIGN_OR_RETURN(p->revoked_grants_task,
                   PeriodicTask::Start({.name = "ca-revoked-grants",
                                        .interval = config.revoked_grants_poll_interval},
                                       [parts] { FollowRevokedGrants(*parts); }));
  ASSIGN_OR_RETURN(p->audit_relay, audit::ServiceOutboxRelay::Start(runtime, "ca"));
  return absl::WrapUnique(new CaApp(std::move(p)));
}

CaApp::CaApp(std::unique_ptr<internal::CaAppParts> parts) : parts_(std::move(parts)) {}

CaApp::~CaApp() = default;

std::vector<server::RegisteredService> CaApp::Services() {
  return {server::RegisteredService::Of<v1::CaService>(parts_->service.get())};
}

}  // namespace jit::ca
