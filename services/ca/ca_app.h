// CaApp: the ca service's objects, wired from its configuration. The certificate authority:
// short-lived OpenSSH and X.509 certificates from a session, its grants and policy (issue 10).
//
// Config comes from flags (ca_app.cc); Validate runs before anything connects (a bad value
// or an unusable key-encryption key file exits 2 naming the flag). Create opens the KEK,
// loads (or, on the first start, generates and stores) the CA keys from the "ca" schema,
// and builds the issuer over the PostgreSQL stores, the policy client (ComputeCertParams,
// CheckPermission) and the requests client (ListActiveGrants), the revoker (revocation
// lists; a PeriodicTask that revokes the certificates of grants revoked in requests), the CA
// rotator (RotateCa) and a periodic key refresh (other replicas' rotations), with the gRPC
// adapter.
// Thread-safe once created; owns everything it builds.
#ifndef JIT_SERVICES_CA_CA_APP_H_
#define JIT_SERVICES_CA_CA_APP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/service_main.h"

namespace jit::ca {

namespace internal {
struct CaAppParts;
}  // namespace internal

class CaApp final : public server::ServiceApp {
 public:
  struct Config {
    std::string key_encryption_key_file;  // required
    std::string ssh_ca_algorithm = "ed25519";
    std::string x509_ca_algorithm = "ecdsa-p256";
    absl::Duration host_cert_ttl = absl::Hours(24 * 30);
    // Revocation (issue 11): the CRL's nextUpdate - thisUpdate, and how often requests is
    // asked for revoked grants whose certificates to revoke.
    absl::Duration crl_validity = absl::Hours(24);
    absl::Duration revoked_grants_poll_interval = absl::Seconds(5);
    // Replicas re-read the CA keys this often (they follow a rotation within it).
    absl::Duration ca_key_refresh_interval = absl::Seconds(5);
    // The internal CA (service and host identities), imported into PostgreSQL on the first
    // start that names it; both or neither (services/ca/README.md, "Enrolment").
    std::string internal_ca_cert_file;
    std::string internal_ca_key_file;
  };

  // The service's own flags (ca_app.cc).
  static Config ConfigFromFlags();
  // INVALID_ARGUMENT (or FAILED_PRECONDITION for an unreadable or too open KEK file) naming
  // the flag of a bad value.
  static absl::Status Validate(const Config& config);
  static absl::StatusOr<std::unique_ptr<CaApp>> Create(server::ServiceRuntime& runtime,
                                                       const Config& config);

  ~CaApp() override;

  std::vector<server::RegisteredService> Services() override;

 private:
  explicit CaApp(std::unique_ptr<internal::CaAppParts> parts);

  std::unique_ptr<internal::CaAppParts> parts_;
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_APP_H_
