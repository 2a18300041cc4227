// Password hashing with Argon2id (RFC 9106) through Debian's libargon2.
//
// Hashes are PHC strings that carry their own parameters:
//   $argon2id$v=19$m=65536,t=2,p=1$<salt, base64 no padding>$<hash, base64 no padding>
// so the parameters can be raised later: Verify accepts any sane stored parameters, and
// NeedsRehash says when a stored hash should be replaced (after a successful login) because
// it was made with other parameters than the current ones.
//
// Default parameters: m = 64 MiB, t = 2, p = 1 (about 130 ms per hash on the 2-core EPYC
// here; see docs/BENCHMARKS.md). That is above OWASP's minimum (19 MiB, t = 2) while a login
// stays well under a second on a loaded machine; p = 1 because the hash runs on the calling
// RPC thread and the machines have few cores.
#ifndef JIT_SERVICES_AUTH_PASSWORD_HASHER_H_
#define JIT_SERVICES_AUTH_PASSWORD_HASHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace jit::auth {

struct Argon2Params {
  uint32_t memory_kib = 64 * 1024;
  uint32_t iterations = 2;
  uint32_t parallelism = 1;
  uint32_t salt_bytes = 16;
  uint32_t hash_bytes = 32;

  bool operator==(const Argon2Params&) const = default;
};

// A parsed PHC string.
struct PhcHash {
  Argon2Params params;
  std::string salt;
  std::string hash;
};

// INVALID_ARGUMENT unless `phc` is an argon2id v=19 PHC string with parameters inside the
// bounds this code will compute (m <= 1 GiB, t <= 64, p <= 16, 8..64-byte salt, 16..64-byte
// hash), so a corrupted or hostile stored hash cannot make a login allocate gigabytes.
absl::StatusOr<PhcHash> ParsePhcHash(std::string_view phc);
std::string FormatPhcHash(const PhcHash& hash);

// Thread-safe; immutable after Create.
class PasswordHasher {
 public:
  // INVALID_ARGUMENT for parameters outside the bounds above or below RFC 9106's minimums
  // (m >= 8*p KiB, t >= 1). Computes one dummy hash (for VerifyDummy).
  static absl::StatusOr<std::unique_ptr<PasswordHasher>> Create(Argon2Params params = {});

  // A PHC string for `password` with a fresh random salt. INVALID_ARGUMENT for an empty
  // password or one longer than 1024 bytes.
  absl::StatusOr<std::string> Hash(const SecretString& password) const;

  // OK when `password` matches `phc` (compared in constant time). UNAUTHENTICATED
  // "invalid username or password" when it does not; INTERNAL when `phc` is malformed or
  // would cost more than 4x the configured memory or passes to verify (a broken or hostile
  // store; the caller logs it and answers the same UNAUTHENTICATED to the client);
  // UNAVAILABLE when the hash could not be computed (no verdict: retry).
  absl::Status Verify(const SecretString& password, std::string_view phc) const;

  // Does the work of a Verify against a hash with the current parameters and always answers
  // UNAUTHENTICATED "invalid username or password": for unknown users, so they cost the same
  // time and get the same answer as a wrong password.
  absl::Status VerifyDummy(const SecretString& password) const;

  // True when `phc` was made with parameters other than the current ones (or is malformed).
  bool NeedsRehash(std::string_view phc) const;

  const Argon2Params& params() const { return params_; }

 private:
  PasswordHasher(Argon2Params params, std::string dummy)
      : params_(params), dummy_(std::move(dummy)) {}

  Argon2Params params_;
  std::string dummy_;  // PHC of a random password
};

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_PASSWORD_HASHER_H_
