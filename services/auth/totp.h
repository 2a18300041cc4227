// TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30-second steps, 6 digits, codes accepted
// one step either side of now, and each code usable once.
//
// Replay refusal: per user, the last time step a code was accepted for is kept in a
// TotpStepStore; a code is accepted only for a step strictly greater than it, and the store
// raises it atomically (compare-and-set), so two replicas racing with the same code cannot
// both accept it. A consequence, by design: after a code for step s is used, codes for steps
// <= s are refused even if still inside the window.
#ifndef JIT_SERVICES_AUTH_TOTP_H_
#define JIT_SERVICES_AUTH_TOTP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/secret.h"

namespace jit::auth {

inline constexpr int kTotpDigits = 6;
inline constexpr absl::Duration kTotpPeriod = absl::Seconds(30);
inline constexpr size_t kTotpSecretBytes = 20;  // RFC 4226 §4: 160 bits

// The RFC 6238 time step of `t` (T0 = 0, X = 30 s).
int64_t TotpStep(absl::Time t);

// The HOTP value for `step`, `digits` long with leading zeros. INVALID_ARGUMENT for an
// empty secret or digits outside 6..8.
absl::StatusOr<std::string> TotpCode(const SecretString& secret, int64_t step,
                                     int digits = kTotpDigits);

// A fresh 160-bit secret.
absl::StatusOr<SecretString> GenerateTotpSecret();

// otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
// (Key Uri Format), with issuer and account percent-encoded. It contains the secret.
SecretString OtpauthUri(std::string_view issuer, std::string_view account,
                        const SecretString& secret);

// Per-user last accepted step. Thread-safe; implementations must make Advance atomic
// (storage/postgres_totp_step_store.h: one conditional upsert; in memory for tests:
// testing/in_memory_totp_step_store.h).
class TotpStepStore {
 public:
  virtual ~TotpStepStore() = default;
  // Raises the user's last used step to `step` when it is greater; ALREADY_EXISTS when the
  // stored step is >= `step` (a replay). UNAVAILABLE when the store is down.
  virtual absl::Status Advance(std::string_view user, int64_t step) = 0;
};

// Thread-safe; borrows clock and store.
class TotpVerifier {
 public:
  TotpVerifier(const Clock* clock, TotpStepStore* store, int window_steps = 1)
      : clock_(clock), store_(store), window_steps_(window_steps) {}

  // OK when `code` is the code for a step within ±window of now that is later than the
  // user's last used step; that step is then recorded. UNAUTHENTICATED "invalid TOTP code"
  // for a wrong or malformed code, "TOTP code already used" for a replay.
  absl::Status Verify(std::string_view user, const SecretString& secret, std::string_view code);

 private:
  const Clock* const clock_;
  TotpStepStore* const store_;
  const int window_steps_;
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_TOTP_H_
