// --oidc_connectors_file: the OIDC single sign-on connectors of this deployment (YAML; the
// format with every field is in services/auth/README.md, "Configuration"). Client secrets
// come from files (relative to the config file, mode 0600). Besides its configured redirect
// URL, a connector accepts a native client's loopback redirect (http://127.0.0.1:<port>/...,
// RFC 8252), as `jit login --sso` uses.
#ifndef JIT_SERVICES_AUTH_OIDC_CONNECTORS_CONFIG_H_
#define JIT_SERVICES_AUTH_OIDC_CONNECTORS_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/auth/oidc/oidc_connector.h"

namespace jit::auth {

// Parses the text (client secrets are read from their files; relative paths against
// `base_dir`). INVALID_ARGUMENT naming `source`, line and field; FAILED_PRECONDITION for an
// unreadable or too open secret file. The connectors themselves validate the rest (Create).
absl::StatusOr<std::vector<oidc::OidcConnectorConfig>> ParseOidcConnectors(
    const std::string& text, const std::string& source, const std::string& base_dir);

absl::StatusOr<std::vector<oidc::OidcConnectorConfig>> LoadOidcConnectors(const std::string& path);

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_OIDC_CONNECTORS_CONFIG_H_
