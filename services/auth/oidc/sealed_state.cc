#include "services/auth/oidc/sealed_state.h"

#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::auth::oidc {
namespace {

constexpr unsigned char kFormatVersion = 1;

void AppendUint(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// Reads the plaintext front to back; every read fails (nullopt) past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  std::optional<uint64_t> Uint(int bytes) {
    if (data_.size() < static_cast<size_t>(bytes)) return std::nullopt;
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(data_[i]);
    data_.remove_prefix(bytes);
    return value;
  }
  std::optional<std::string_view> Bytes(size_t n) {
    if (data_.size() < n) return std::nullopt;
    std::string_view out = data_.substr(0, n);
    data_.remove_prefix(n);
    return out;
  }
  // A string with a length prefix of `length_bytes`.
  std::optional<std::string_view> String(int length_bytes) {
    std::optional<uint64_t> n = Uint(length_bytes);
    if (!n.has_value()) return std::nullopt;
    return Bytes(*n);
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

absl::Status Unusable() { return absl::UnauthenticatedError(std::string(kUnusableOidcState)); }

}  // namespace

absl::StatusOr<std::string> OidcStateSealer::Seal(const OidcLoginState& login) const {
  if (login.login_id.size() != kOidcLoginIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("OIDC login id must be ", kOidcLoginIdBytes, " bytes"));
  }
  if (login.connector.size() > 0xff || login.nonce.size() > 0xff ||
      login.pkce_verifier.size() > 0xff) {
    return absl::InvalidArgumentError("OIDC login state field too long");
  }
  if (login.redirect_url.size() > kMaxRedirectUrlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("redirect_url: at most ", kMaxRedirectUrlBytes, " bytes"));
  }
  std::string plain;
  // Sized once, so that no reallocation leaves an unwiped copy of the nonce and verifier.
  plain.reserve(1 + login.login_id.size() + 8 + 1 + login.connector.size() + 1 +
                login.nonce.size() + 1 + login.pkce_verifier.size() + 2 +
                login.redirect_url.size());
  plain.push_back(static_cast<char>(kFormatVersion));
  plain.append(login.login_id);
  AppendUint(plain, static_cast<uint64_t>(absl::ToUnixMicros(login.expire_time)), 8);
  AppendUint(plain, login.connector.size(), 1);
  plain.append(login.connector);
  AppendUint(plain, login.nonce.size(), 1);
  plain.append(login.nonce.Reveal());
  AppendUint(plain, login.pkce_verifier.size(), 1);
  plain.append(login.pkce_verifier.Reveal());
  AppendUint(plain, login.redirect_url.size(), 2);
  plain.append(login.redirect_url);
  const SecretString secret(std::move(plain));  // wiped when done

  absl::StatusOr<std::string> sealed = kek_->Seal(secret.Reveal(), kOidcStateAssociatedData);
  if (!sealed.ok()) return sealed.status();
  std::string state = crypto::Base64UrlEncode(*sealed);
  if (state.size() > kMaxOidcStateChars) {
    return absl::InvalidArgumentError("OIDC login state would be too long");
  }
  return state;
}

absl::StatusOr<OidcLoginState> OidcStateSealer::Open(std::string_view state) const {
  if (state.empty() || state.size() > kMaxOidcStateChars) return Unusable();
  absl::StatusOr<std::string> sealed = crypto::Base64UrlDecode(state);
  if (!sealed.ok()) return Unusable();
  absl::StatusOr<SecretString> plain = kek_->Open(*sealed, kOidcStateAssociatedData);
  if (!plain.ok()) {
    // Another KEK (FAILED_PRECONDITION) is worth knowing when it happens after a KEK change;
    // the caller only learns that the state is unusable.
    spdlog::debug("OIDC login state does not open: {}", LogSafe(plain.status().ToString(), 200));
    return Unusable();
  }
  Reader reader(plain->Reveal());
  const std::optional<uint64_t> version = reader.Uint(1);
  if (version != kFormatVersion) return Unusable();
  const std::optional<std::string_view> login_id = reader.Bytes(kOidcLoginIdBytes);
  const std::optional<uint64_t> expire_micros = reader.Uint(8);
  const std::optional<std::string_view> connector = reader.String(1);
  const std::optional<std::string_view> nonce = reader.String(1);
  const std::optional<std::string_view> verifier = reader.String(1);
  const std::optional<std::string_view> redirect = reader.String(2);
  if (!login_id || !expire_micros || !connector || !nonce || !verifier || !redirect ||
      !reader.done()) {
    // Authenticated yet malformed: only a bug of ours could seal that.
    spdlog::error("OIDC login state opened but is malformed");
    return Unusable();
  }
  OidcLoginState login;
  login.login_id = std::string(*login_id);
  login.expire_time = absl::FromUnixMicros(static_cast<int64_t>(*expire_micros));
  login.connector = std::string(*connector);
  login.nonce = SecretString(*nonce);
  login.pkce_verifier = SecretString(*verifier);
  login.redirect_url = std::string(*redirect);
  return login;
}

}  // namespace jit::auth::oidc
