// jit-bootstrap: creates the internal CA and mTLS certificates for local runs and tests.
//
//   jit-bootstrap --dir=/etc/jit/pki                       # CA + the five services
//   jit-bootstrap --dir=DIR --services=ca,requests --dns=localhost,ca.svc --ip=127.0.0.1
//   jit-bootstrap --dir=DIR --services= --users=alice      # a person's client certificate
//   jit-bootstrap --dir=DIR --force                        # re-issue leaves (never the CA)
//
// Exit 0 when every requested certificate exists and is valid afterwards; 1 with a message
// naming the problem otherwise; 2 for an unknown flag or a bad flag value.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "common/config/flags.h"
#include "tools/jit-bootstrap/bootstrap.h"

ABSL_FLAG(std::string, dir, "",
          "Directory for internal-ca.pem/.key and the certificates (required).");
ABSL_FLAG(std::vector<std::string>, services,
          std::vector<std::string>({"auth", "ca", "requests", "policy", "audit"}),
          "Services to issue certificates for (comma-separated).");
ABSL_FLAG(std::vector<std::string>, users, {},
          "People to issue client certificates for (comma-separated).");
ABSL_FLAG(std::vector<std::string>, dns, std::vector<std::string>({"localhost"}),
          "DNS SANs for service certificates.");
ABSL_FLAG(std::vector<std::string>, ip, std::vector<std::string>({"127.0.0.1"}),
          "IP SANs for service certificates.");
ABSL_FLAG(absl::Duration, ca_validity, absl::Hours(24 * 365 * 10), "Lifetime of a new CA.");
ABSL_FLAG(absl::Duration, cert_validity, absl::Hours(24 * 365), "Lifetime of new certificates.");
ABSL_FLAG(bool, force, false, "Replace certificates that differ from the request (never the CA).");

int main(int argc, char** argv) {
  // Flags only (no JIT_* environment overrides: what is issued is what the command says).
  // An unknown flag or bad value exits 2 naming it; --help lists the flags.
  jit::config::ParseFlagsOrExit(
      argc, argv, "jit-bootstrap: creates the jit-access internal CA and mTLS certificates.",
      {.environment_overrides = false});
  auto drop_empty = [](std::vector<std::string> v) {
    v.erase(std::remove(v.begin(), v.end(), ""), v.end());
    return v;
  };
  jit::tools::BootstrapOptions options{
      .dir = absl::GetFlag(FLAGS_dir),
      .services = drop_empty(absl::GetFlag(FLAGS_services)),
      .users = drop_empty(absl::GetFlag(FLAGS_users)),
      .dns_sans = drop_empty(absl::GetFlag(FLAGS_dns)),
      .ip_sans = drop_empty(absl::GetFlag(FLAGS_ip)),
      .ca_validity = absl::GetFlag(FLAGS_ca_validity),
      .cert_validity = absl::GetFlag(FLAGS_cert_validity),
      .force = absl::GetFlag(FLAGS_force),
  };
  absl::StatusOr<jit::tools::BootstrapReport> report = jit::tools::Bootstrap(options, absl::Now());
  if (!report.ok()) {
    std::cerr << "jit-bootstrap: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << (report->ca_created ? "created CA " : "reused CA ") << options.dir
            << "/internal-ca.pem\n";
  for (const auto& stem : report->issued) {
    std::cout << "issued " << options.dir << "/" << stem << ".pem\n";
  }
  for (const auto& stem : report->kept) {
    std::cout << "kept " << options.dir << "/" << stem << ".pem\n";
  }
  return 0;
}
