#include "services/auth/oidc/state_store.h"

#include "absl/strings/escaping.h"
#include "common/crypto/digest.h"

namespace jit::auth::oidc {

std::string OidcStateKey(std::string_view state) {
  return absl::BytesToHexString(crypto::Sha256String(state));
}

absl::Status InMemoryOidcStateStore::Put(const std::string& key, PendingOidcLogin login,
                                         absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= capacity_) {
    absl::erase_if(entries_, [&](const auto& e) { return e.second.expire_time <= now; });
  }
  if (entries_.size() >= capacity_) {
    return absl::ResourceExhaustedError("too many OIDC logins in progress");
  }
  if (!entries_.emplace(key, std::move(login)).second) {
    return absl::AlreadyExistsError("OIDC state collision");
  }
  return absl::OkStatus();
}

absl::StatusOr<PendingOidcLogin> InMemoryOidcStateStore::Take(const std::string& key,
                                                              absl::Time now) {
  absl::MutexLock lock(&mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return absl::NotFoundError("unknown OIDC login state");
  PendingOidcLogin login = std::move(it->second);
  entries_.erase(it);
  if (now >= login.expire_time) return absl::NotFoundError("OIDC login state expired");
  absl::erase_if(entries_, [&](const auto& e) { return e.second.expire_time <= now; });
  return login;
}

absl::StatusOr<std::string> InMemoryOidcStateStore::ConnectorOf(const std::string& key,
                                                                absl::Time now) {
  absl::MutexLock lock(&mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || now >= it->second.expire_time) {
    return absl::NotFoundError("unknown OIDC login state");
  }
  return it->second.connector;
}

size_t InMemoryOidcStateStore::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace jit::auth::oidc
