// CaApp: the ca service's objects, wired from its configuration. The certificate authority:
// short-lived OpenSSH and X.509 certificates, CA keys, rotation, revocation lists (issues 10, 11).
//
// A skeleton to fill in, following services/policy/policy_app.h: Config and its flags,
// Validate (exit 2 naming the flag, before anything connects), Create building the stores
// (PostgreSQL, schema "ca"), the logic and the gRPC adapter (ca_service_impl.h, each
// method through server::UnaryHandler), with the policy client (ComputeCertParams) and the requests
// client (services/requests/client: ListActiveGrants). Until then every RPC answers UNIMPLEMENTED.
// See DEVELOPERS.md, "Writing a new service". Thread-safe once created; owns everything it builds.
#ifndef JIT_SERVICES_CA_CA_APP_H_
#define JIT_SERVICES_CA_CA_APP_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/service_main.h"
#include "jit/ca/v1/ca.grpc.pb.h"

namespace jit::ca {

class CaApp final : public server::ServiceApp {
 public:
  // The service's own settings (none yet).
  struct Config {};

  // The service's own flags (ca_app.cc).
  static Config ConfigFromFlags();
  // INVALID_ARGUMENT naming the flag of a bad value.
  static absl::Status Validate(const Config& config);
  static absl::StatusOr<std::unique_ptr<CaApp>> Create(server::ServiceRuntime& runtime,
                                                       const Config& config);

  std::vector<server::RegisteredService> Services() override;

 private:
  CaApp() = default;

  v1::CaService::Service service_;  // every method UNIMPLEMENTED
};

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_CA_APP_H_
