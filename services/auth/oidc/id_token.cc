#include "services/auth/oidc/id_token.h"

#include <cmath>

#include "common/crypto/constant_time.h"
#include "common/jwt/strict_json.h"

namespace jit::auth::oidc {
namespace {

absl::Status Reject(const std::string& why) {
  return absl::UnauthenticatedError("ID token " + why);
}

// NumericDate: JSON number of seconds (RFC 7519 §2 allows fractions).
absl::StatusOr<absl::Time> Date(const nlohmann::json& claims, const char* name, bool required) {
  const auto it = claims.find(name);
  if (it == claims.end()) {
    if (required) return Reject(std::string("has no ") + name);
    return absl::InfinitePast();
  }
  if (!it->is_number()) return Reject(std::string(name) + " is not a number");
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0 || v > 9'999'999'999.0) {
    return Reject(std::string(name) + " is out of range");
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(std::floor(v)));
}

}  // namespace

absl::StatusOr<nlohmann::json> VerifyIdToken(std::string_view token,
                                             std::string_view expected_nonce,
                                             const IdTokenPolicy& policy, JwksCache& keys,
                                             absl::Time now) {
  absl::StatusOr<jwt::UnverifiedJws> jws = jwt::ParseCompactJws(token, policy.algorithms);
  if (!jws.ok()) return Reject("is malformed: " + std::string(jws.status().message()));
  absl::StatusOr<std::shared_ptr<const jwt::JwsVerificationKey>> key =
      keys.GetKey(jws->kid, jws->alg);
  if (!key.ok()) {
    if (absl::IsUnavailable(key.status())) return key.status();
    return Reject("is signed by an unknown key");
  }
  if (absl::Status s = jwt::VerifyJwsSignature(*jws, **key); !s.ok()) {
    return Reject("signature check failed: " + std::string(s.message()));
  }
  absl::StatusOr<nlohmann::json> parsed =
      jwt::ParseStrictJsonObject(jws->payload, "ID token claims", {.max_bytes = jwt::kMaxJwsBytes});
  if (!parsed.ok())
    return Reject("claims are malformed: " + std::string(parsed.status().message()));
  const nlohmann::json& claims = *parsed;

  const auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || *iss != policy.issuer) {
    return Reject("issuer mismatch");
  }
  const auto aud = claims.find("aud");
  std::vector<std::string> audiences;
  if (aud != claims.end() && aud->is_string()) {
    audiences.push_back(aud->get<std::string>());
  } else if (aud != claims.end() && aud->is_array()) {
    for (const auto& a : *aud) {
      if (!a.is_string()) return Reject("aud has a non-string value");
      audiences.push_back(a.get<std::string>());
    }
  } else {
    return Reject("has no valid aud");
  }
  if (std::find(audiences.begin(), audiences.end(), policy.client_id) == audiences.end()) {
    return Reject("audience mismatch");
  }
  const auto azp = claims.find("azp");
  if (azp != claims.end()) {
    if (!azp->is_string() || *azp != policy.client_id) return Reject("azp mismatch");
  } else if (audiences.size() > 1) {
    return Reject("has several audiences but no azp");
  }

  absl::StatusOr<absl::Time> exp = Date(claims, "exp", true);
  if (!exp.ok()) return exp.status();
  absl::StatusOr<absl::Time> iat = Date(claims, "iat", true);
  if (!iat.ok()) return iat.status();
  absl::StatusOr<absl::Time> nbf = Date(claims, "nbf", false);
  if (!nbf.ok()) return nbf.status();
  if (now >= *exp + policy.max_clock_skew) return Reject("expired");
  if (*iat > now + policy.max_clock_skew) return Reject("issued in the future");
  if (*iat < now - policy.max_age - policy.max_clock_skew) return Reject("issued too long ago");
  if (*nbf > now + policy.max_clock_skew) return Reject("not yet valid");

  const auto nonce = claims.find("nonce");
  if (nonce == claims.end() || !nonce->is_string()) return Reject("has no nonce");
  if (expected_nonce.empty() ||
      !crypto::ConstantTimeEquals(nonce->get_ref<const std::string&>(), expected_nonce)) {
    return Reject("nonce mismatch");
  }
  const auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty() ||
      sub->get_ref<const std::string&>().size() > 255) {
    return Reject("has no valid sub");
  }
  return claims;
}

}  // namespace jit::auth::oidc
