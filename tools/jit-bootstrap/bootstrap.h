// jit-bootstrap's logic: an internal CA and mTLS certificates for local runs and tests.
//
// Layout of `dir` (created 0700 when missing), as the services' --tls_*_file flags expect:
//   internal-ca.pem, internal-ca.key  the internal CA (EC P-256, CA:TRUE, pathlen 0)
//   <service>.pem, <service>.key      URI SAN spiffe://jit-access/service/<service> plus the
//                                     requested DNS/IP SANs; server and client auth
//   user-<name>.pem, user-<name>.key  URI SAN spiffe://jit-access/user/<name>; client auth only
// Keys are written 0600, certificates 0644, each atomically (temp file + rename).
//
// Idempotent: an existing CA is reused (never replaced, even with force); an existing
// certificate that verifies against the CA now, with exactly the requested SANs and a
// matching 0600 key, is kept. Anything else that exists is refused with FAILED_PRECONDITION
// unless `force` is set, which re-issues the leaf.
#ifndef JIT_TOOLS_JIT_BOOTSTRAP_BOOTSTRAP_H_
#define JIT_TOOLS_JIT_BOOTSTRAP_BOOTSTRAP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jit::tools {

struct BootstrapOptions {
  std::string dir;
  std::vector<std::string> services;
  std::vector<std::string> users;
  std::vector<std::string> dns_sans;  // added to service certificates
  std::vector<std::string> ip_sans;   // added to service certificates
  absl::Duration ca_validity = absl::Hours(24 * 365 * 10);
  absl::Duration cert_validity = absl::Hours(24 * 365);
  bool force = false;
};

struct BootstrapReport {
  bool ca_created = false;
  std::vector<std::string> issued;  // file stems: "auth", "user-alice"
  std::vector<std::string> kept;
};

absl::StatusOr<BootstrapReport> Bootstrap(const BootstrapOptions& options, absl::Time now);

}  // namespace jit::tools

#endif  // JIT_TOOLS_JIT_BOOTSTRAP_BOOTSTRAP_H_
