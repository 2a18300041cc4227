// LocalAuthenticator's view of a UserStore: the password hash and TOTP secret by name.
#ifndef JIT_SERVICES_AUTH_USER_STORE_CREDENTIALS_H_
#define JIT_SERVICES_AUTH_USER_STORE_CREDENTIALS_H_

#include <optional>
#include <string_view>

#include "services/auth/local_authenticator.h"
#include "services/auth/user_store.h"

namespace jit::auth {

// Thread-safe; borrows the store.
class UserStoreCredentials final : public LocalCredentialStore {
 public:
  explicit UserStoreCredentials(UserStore* users) : users_(users) {}

  absl::StatusOr<std::optional<LocalCredentials>> Find(std::string_view user) override {
    absl::StatusOr<std::optional<UserRecord>> found = users_->Get(user);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return std::nullopt;
    UserRecord& record = **found;
    return LocalCredentials{.password_hash = std::move(record.password_hash),
                            .totp_enabled = record.profile.totp_enabled(),
                            .totp_secret = std::move(record.totp_secret),
                            .session_generation = record.session_generation};
  }

 private:
  UserStore* const users_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_USER_STORE_CREDENTIALS_H_
