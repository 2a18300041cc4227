#include "common/auth/spiffe.h"

namespace jit::auth {

bool IsValidServiceName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool IsValidUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-' || c == '@')) {
      return false;
    }
  }
  return true;
}

bool IsValidHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return true;
}

std::string HostSpiffeId(std::string_view host) {
  return "spiffe://" + std::string(kTrustDomain) + "/host/" + std::string(host);
}

std::string ServiceSpiffeId(std::string_view service) {
  return "spiffe://" + std::string(kTrustDomain) + "/service/" + std::string(service);
}

std::string UserSpiffeId(std::string_view user) {
  return "spiffe://" + std::string(kTrustDomain) + "/user/" + std::string(user);
}

absl::StatusOr<SpiffeId> ParseSpiffeId(std::string_view uri) {
  const std::string prefix = "spiffe://" + std::string(kTrustDomain) + "/";
  if (uri.substr(0, prefix.size()) != prefix) {
    return absl::InvalidArgumentError("not a jit-access SPIFFE ID");
  }
  std::string_view rest = uri.substr(prefix.size());
  constexpr std::string_view kService = "service/";
  constexpr std::string_view kUser = "user/";
  if (rest.substr(0, kService.size()) == kService) {
    std::string_view name = rest.substr(kService.size());
    if (!IsValidServiceName(name)) return absl::InvalidArgumentError("invalid service name");
    return SpiffeId{SpiffeId::Kind::kService, std::string(name)};
  }
  if (rest.substr(0, kUser.size()) == kUser) {
    std::string_view name = rest.substr(kUser.size());
    if (!IsValidUserName(name)) return absl::InvalidArgumentError("invalid user name");
    return SpiffeId{SpiffeId::Kind::kUser, std::string(name)};
  }
  constexpr std::string_view kHost = "host/";
  if (rest.substr(0, kHost.size()) == kHost) {
    std::string_view name = rest.substr(kHost.size());
    if (!IsValidHostName(name)) return absl::InvalidArgumentError("invalid host name");
    return SpiffeId{SpiffeId::Kind::kHost, std::string(name)};
  }
  return absl::InvalidArgumentError("unknown SPIFFE ID path");
}

}  // namespace jit::auth
