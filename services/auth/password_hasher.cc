#include "services/auth/password_hasher.h"

#include <argon2.h>

#include <charconv>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/crypto/constant_time.h"
#include "common/crypto/random.h"

namespace jit::auth {
namespace {

constexpr size_t kMaxPasswordBytes = 1024;
constexpr uint32_t kMaxMemoryKib = 1024 * 1024;  // 1 GiB
constexpr uint32_t kMaxIterations = 64;
constexpr uint32_t kMaxParallelism = 16;
// How much more memory, or how many more passes, than the configured parameters a stored
// hash may take to verify (room to lower the parameters later without locking anyone out).
constexpr uint32_t kMaxStoredCostFactor = 4;

absl::Status CheckParams(const Argon2Params& p) {
  if (p.parallelism < 1 || p.parallelism > kMaxParallelism) {
    return absl::InvalidArgumentError("argon2: parallelism out of range");
  }
  if (p.memory_kib < 8 * p.parallelism || p.memory_kib > kMaxMemoryKib) {
    return absl::InvalidArgumentError("argon2: memory out of range");
  }
  if (p.iterations < 1 || p.iterations > kMaxIterations) {
    return absl::InvalidArgumentError("argon2: iterations out of range");
  }
  if (p.salt_bytes < 8 || p.salt_bytes > 64) return absl::InvalidArgumentError("argon2: salt size");
  if (p.hash_bytes < 16 || p.hash_bytes > 64)
    return absl::InvalidArgumentError("argon2: hash size");
  return absl::OkStatus();
}

bool ParseU32(std::string_view text, uint32_t* out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t pos = text.find(sep, start);
    out.push_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

absl::StatusOr<std::string> RawHash(const Argon2Params& p, std::string_view password,
                                    std::string_view salt) {
  std::string out(p.hash_bytes, '\0');
  const int rc =
      argon2id_hash_raw(p.iterations, p.memory_kib, p.parallelism, password.data(), password.size(),
                        salt.data(), salt.size(), out.data(), out.size());
  if (rc != ARGON2_OK) {
    return absl::InternalError(std::string("argon2id: ") + argon2_error_message(rc));
  }
  return out;
}

absl::Status InvalidCredentials() {
  return absl::UnauthenticatedError("invalid username or password");
}

}  // namespace

absl::StatusOr<PhcHash> ParsePhcHash(std::string_view phc) {
  // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
  const std::vector<std::string_view> parts = Split(phc, '$');
  if (parts.size() != 6 || !parts[0].empty() || parts[1] != "argon2id") {
    return absl::InvalidArgumentError("not an argon2id PHC string");
  }
  if (parts[2] != "v=19") return absl::InvalidArgumentError("unsupported argon2 version");
  const std::vector<std::string_view> params = Split(parts[3], ',');
  if (params.size() != 3 || params[0].substr(0, 2) != "m=" || params[1].substr(0, 2) != "t=" ||
      params[2].substr(0, 2) != "p=") {
    return absl::InvalidArgumentError("argon2 parameters malformed");
  }
  PhcHash out;
  if (!ParseU32(params[0].substr(2), &out.params.memory_kib) ||
      !ParseU32(params[1].substr(2), &out.params.iterations) ||
      !ParseU32(params[2].substr(2), &out.params.parallelism)) {
    return absl::InvalidArgumentError("argon2 parameters malformed");
  }
  absl::StatusOr<std::string> salt =
      crypto::Base64Decode(parts[4], crypto::Base64Padding::kWithout);
  absl::StatusOr<std::string> hash =
      crypto::Base64Decode(parts[5], crypto::Base64Padding::kWithout);
  if (!salt.ok() || !hash.ok()) return absl::InvalidArgumentError("argon2 salt or hash malformed");
  out.params.salt_bytes = static_cast<uint32_t>(salt->size());
  out.params.hash_bytes = static_cast<uint32_t>(hash->size());
  if (absl::Status s = CheckParams(out.params); !s.ok()) return s;
  out.salt = *std::move(salt);
  out.hash = *std::move(hash);
  return out;
}

std::string FormatPhcHash(const PhcHash& h) {
  return absl::StrCat("$argon2id$v=19$m=", h.params.memory_kib, ",t=", h.params.iterations,
                      ",p=", h.params.parallelism, "$",
                      crypto::Base64Encode(h.salt, crypto::Base64Padding::kWithout), "$",
                      crypto::Base64Encode(h.hash, crypto::Base64Padding::kWithout));
}

absl::StatusOr<std::unique_ptr<PasswordHasher>> PasswordHasher::Create(Argon2Params params) {
  if (absl::Status s = CheckParams(params); !s.ok()) return s;
  absl::StatusOr<std::string> salt = crypto::RandomBytes(params.salt_bytes);
  if (!salt.ok()) return salt.status();
  absl::StatusOr<std::string> dummy_password = crypto::RandomToken(24);
  if (!dummy_password.ok()) return dummy_password.status();
  absl::StatusOr<std::string> raw = RawHash(params, *dummy_password, *salt);
  if (!raw.ok()) return raw.status();
  std::string dummy = FormatPhcHash(PhcHash{params, *std::move(salt), *std::move(raw)});
  return std::unique_ptr<PasswordHasher>(new PasswordHasher(params, std::move(dummy)));
}

absl::StatusOr<std::string> PasswordHasher::Hash(const SecretString& password) const {
  if (password.empty()) return absl::InvalidArgumentError("password must not be empty");
  if (password.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError("password longer than 1024 bytes");
  }
  absl::StatusOr<std::string> salt = crypto::RandomBytes(params_.salt_bytes);
  if (!salt.ok()) return salt.status();
  absl::StatusOr<std::string> raw = RawHash(params_, password.Reveal(), *salt);
  if (!raw.ok()) return raw.status();
  return FormatPhcHash(PhcHash{params_, *std::move(salt), *std::move(raw)});
}

absl::Status PasswordHasher::Verify(const SecretString& password, std::string_view phc) const {
  absl::StatusOr<PhcHash> stored = ParsePhcHash(phc);
  if (!stored.ok()) {
    return absl::InternalError("stored password hash is malformed: " +
                               std::string(stored.status().message()));
  }
  // A stored hash may cost at most a few times what this server computes: a hostile or
  // corrupted row must not make each login of its user take a gigabyte and a minute.
  if (stored->params.memory_kib > kMaxStoredCostFactor * params_.memory_kib ||
      stored->params.iterations > kMaxStoredCostFactor * params_.iterations) {
    return absl::InternalError(
        absl::StrCat("stored password hash costs more than ", kMaxStoredCostFactor,
                     "x the configured parameters (m=", stored->params.memory_kib,
                     ", t=", stored->params.iterations, "); reset the password"));
  }
  if (password.empty() || password.size() > kMaxPasswordBytes) {
    // Cannot match anything Hash() produced; spend the time anyway.
    (void)VerifyDummy(SecretString(std::string("x")));
    return InvalidCredentials();
  }
  absl::StatusOr<std::string> raw = RawHash(stored->params, password.Reveal(), stored->salt);
  if (!raw.ok()) {
    // No verdict (e.g. the memory could not be had): retryable, never a wrong password.
    return absl::UnavailableError(
        absl::StrCat("password check failed; retry: ", raw.status().message()));
  }
  SecretString computed(*std::move(raw));
  if (!crypto::ConstantTimeEquals(computed.Reveal(), stored->hash)) return InvalidCredentials();
  return absl::OkStatus();
}

absl::Status PasswordHasher::VerifyDummy(const SecretString& password) const {
  absl::StatusOr<PhcHash> stored = ParsePhcHash(dummy_);
  if (stored.ok()) {
    std::string_view pw = password.Reveal().substr(0, kMaxPasswordBytes);
    absl::StatusOr<std::string> raw = RawHash(stored->params, pw, stored->salt);
    if (raw.ok()) (void)crypto::ConstantTimeEquals(*raw, stored->hash);
  }
  return InvalidCredentials();
}

bool PasswordHasher::NeedsRehash(std::string_view phc) const {
  absl::StatusOr<PhcHash> stored = ParsePhcHash(phc);
  if (!stored.ok()) return true;
  Argon2Params want = params_;
  return !(stored->params == want);
}

}  // namespace jit::auth
