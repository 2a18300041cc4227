#include "common/auth/testing/static_revocation_checker.h"

#include "common/absl_string_view.h"

namespace jit::auth {

absl::Status StaticRevocationChecker::CheckSession(std::string_view session_id) const {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return absl::UnavailableError("revocation list is out of date");
  if (revoked_.contains(AsAbsl(session_id))) return absl::UnauthenticatedError("session revoked");
  return absl::OkStatus();
}

}  // namespace jit::auth
