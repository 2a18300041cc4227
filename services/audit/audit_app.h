// AuditApp: the audit service's objects, wired from its configuration. The audit sink: ingest, hash
// chain, search, SIEM export (issue 12).
//
// A skeleton to fill in, following services/policy/policy_app.h: Config and its flags,
// Validate (exit 2 naming the flag, before anything connects), Create building the stores
// (PostgreSQL, schema "audit"), the logic and the gRPC adapter (audit_service_impl.h, each
// method through server::UnaryHandler), with no peer client of its own (the other services reach it
// through services/audit/client). Until then every RPC answers UNIMPLEMENTED. See DEVELOPERS.md,
// "Writing a new service". Thread-safe once created; owns everything it builds.
#ifndef JIT_SERVICES_AUDIT_AUDIT_APP_H_
#define JIT_SERVICES_AUDIT_AUDIT_APP_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/service_main.h"
#include "jit/audit/v1/audit.grpc.pb.h"

namespace jit::audit {

class AuditApp final : public server::ServiceApp {
 public:
  // The service's own settings (none yet).
  struct Config {};

  // The service's own flags (audit_app.cc).
  static Config ConfigFromFlags();
  // INVALID_ARGUMENT naming the flag of a bad value.
  static absl::Status Validate(const Config& config);
  static absl::StatusOr<std::unique_ptr<AuditApp>> Create(server::ServiceRuntime& runtime,
                                                          const Config& config);

  std::vector<server::RegisteredService> Services() override;

 private:
  AuditApp() = default;

  v1::AuditService::Service service_;  // every method UNIMPLEMENTED
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_AUDIT_APP_H_
