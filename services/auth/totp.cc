#include "services/auth/totp.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto/base32.h"
#include "common/crypto/constant_time.h"
#include "common/crypto/digest.h"
#include "common/crypto/random.h"

namespace jit::auth {
namespace {

// RFC 3986 unreserved characters stay; everything else is %XX.
std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

bool IsCodeShaped(std::string_view code) {
  if (code.size() != kTotpDigits) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

int64_t TotpStep(absl::Time t) {
  return absl::ToUnixSeconds(t) >= 0 ? absl::ToUnixSeconds(t) / absl::ToInt64Seconds(kTotpPeriod)
                                     : -1;  // before 1970: no valid step
}

absl::StatusOr<std::string> TotpCode(const SecretString& secret, int64_t step, int digits) {
  if (secret.empty()) return absl::InvalidArgumentError("TOTP secret is empty");
  if (digits < 6 || digits > 8) return absl::InvalidArgumentError("TOTP digits must be 6..8");
  if (step < 0) return absl::InvalidArgumentError("TOTP step is negative");
  unsigned char counter[8];
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<unsigned char>(step & 0xff);
    step >>= 8;
  }
  absl::StatusOr<std::string> mac = crypto::HmacSha1(
      secret.Reveal(), std::string_view(reinterpret_cast<const char*>(counter), sizeof(counter)));
  if (!mac.ok()) return mac.status();
  SecretString hmac(*std::move(mac));
  const std::string_view h = hmac.Reveal();
  // RFC 4226 §5.3 dynamic truncation.
  const int offset = static_cast<unsigned char>(h[19]) & 0x0f;
  const uint32_t binary =
      (static_cast<uint32_t>(static_cast<unsigned char>(h[offset]) & 0x7f) << 24) |
      (static_cast<uint32_t>(static_cast<unsigned char>(h[offset + 1])) << 16) |
      (static_cast<uint32_t>(static_cast<unsigned char>(h[offset + 2])) << 8) |
      static_cast<uint32_t>(static_cast<unsigned char>(h[offset + 3]));
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return absl::StrFormat("%0*u", digits, binary % modulus);
}

absl::StatusOr<SecretString> GenerateTotpSecret() { return crypto::RandomSecret(kTotpSecretBytes); }

SecretString OtpauthUri(std::string_view issuer, std::string_view account,
                        const SecretString& secret) {
  std::string uri = absl::StrCat("otpauth://totp/", PercentEncode(issuer), ":",
                                 PercentEncode(account), "?secret=");
  SecretString b32(crypto::Base32Encode(secret.Reveal()));
  uri.append(b32.Reveal());
  absl::StrAppend(&uri, "&issuer=", PercentEncode(issuer), "&algorithm=SHA1&digits=", kTotpDigits,
                  "&period=", absl::ToInt64Seconds(kTotpPeriod));
  return SecretString(std::move(uri));
}

absl::Status TotpVerifier::Verify(std::string_view user, const SecretString& secret,
                                  std::string_view code) {
  const absl::Status invalid = absl::UnauthenticatedError("invalid TOTP code");
  if (!IsCodeShaped(code)) return invalid;
  const int64_t now = TotpStep(clock_->Now());
  int64_t matched = -1;
  // Compare against every step in the window, without stopping early.
  for (int64_t step = now - window_steps_; step <= now + window_steps_; ++step) {
    if (step < 0) continue;
    absl::StatusOr<std::string> expected = TotpCode(secret, step);
    if (!expected.ok()) return expected.status();
    if (crypto::ConstantTimeEquals(*expected, code)) matched = std::max(matched, step);
  }
  if (matched < 0) return invalid;
  absl::Status advanced = store_->Advance(user, matched);
  if (absl::IsAlreadyExists(advanced)) return absl::UnauthenticatedError("TOTP code already used");
  return advanced;
}

}  // namespace jit::auth
