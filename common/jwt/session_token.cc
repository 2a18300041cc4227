#include "common/jwt/session_token.h"

#include <cstdint>

#include "common/jwt/strict_json.h"
#include "google/protobuf/util/time_util.h"

namespace jit::jwt {
namespace {

using jit::common::v1::Identity;

// NumericDates beyond this (year ~2286) are refused, which also keeps absl::Time exact.
constexpr int64_t kMaxNumericDate = 9'999'999'999;

absl::Status Unauth(const std::string& msg) { return absl::UnauthenticatedError(msg); }

absl::StatusOr<absl::Time> NumericDate(const nlohmann::json& claims, const char* name,
                                       bool required) {
  const auto it = claims.find(name);
  if (it == claims.end()) {
    if (required) return Unauth(std::string("token has no ") + name + " claim");
    return absl::InfinitePast();
  }
  if (!it->is_number_integer()) return Unauth(std::string("token ") + name + " is not an integer");
  const int64_t v = it->is_number_unsigned()
                        ? static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(),
                                                                  kMaxNumericDate + 1))
                        : it->get<int64_t>();
  if (v < 0 || v > kMaxNumericDate) return Unauth(std::string("token ") + name + " out of range");
  return absl::FromUnixSeconds(v);
}

absl::StatusOr<std::string> StringClaim(const nlohmann::json& claims, const char* name,
                                        bool required, size_t max_len = 256) {
  const auto it = claims.find(name);
  if (it == claims.end()) {
    if (required) return Unauth(std::string("token has no ") + name + " claim");
    return std::string();
  }
  if (!it->is_string()) return Unauth(std::string("token ") + name + " is not a string");
  const std::string& s = it->get_ref<const std::string&>();
  if ((required && s.empty()) || s.size() > max_len) {
    return Unauth(std::string("token ") + name + " has an invalid length");
  }
  return s;
}

absl::Status StringArray(const nlohmann::json& value, const std::string& what,
                         google::protobuf::RepeatedPtrField<std::string>* out) {
  if (!value.is_array()) return Unauth("token " + what + " is not an array");
  if (value.size() > 1024) return Unauth("token " + what + " has too many values");
  for (const auto& v : value) {
    if (!v.is_string()) return Unauth("token " + what + " has a non-string value");
    out->Add(v.get<std::string>());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SessionTokenIssuer>> SessionTokenIssuer::Create(
    Options options, JwsAlgorithm alg, std::string kid,
    std::shared_ptr<const crypto::Signer> signer) {
  if (options.issuer.empty() || options.audience.empty()) {
    return absl::InvalidArgumentError("session token issuer and audience are required");
  }
  if (kid.empty()) return absl::InvalidArgumentError("session token kid is required");
  if (signer == nullptr) return absl::InvalidArgumentError("session token signer is required");
  return std::unique_ptr<SessionTokenIssuer>(
      new SessionTokenIssuer(std::move(options), alg, std::move(kid), std::move(signer)));
}

absl::StatusOr<std::string> SessionTokenIssuer::Issue(const Identity& identity,
                                                      absl::Time issue_time,
                                                      absl::Time expire_time) const {
  if (identity.kind() != Identity::KIND_USER) {
    return absl::InvalidArgumentError("session tokens are for users only");
  }
  if (identity.name().empty() || identity.session_id().empty()) {
    return absl::InvalidArgumentError("session token needs a user name and a session id");
  }
  if (expire_time <= issue_time) {
    return absl::InvalidArgumentError("session token must expire after it is issued");
  }
  const int64_t iat = absl::ToUnixSeconds(issue_time);
  nlohmann::json traits = nlohmann::json::object();
  for (const auto& [key, list] : identity.traits()) {
    traits[key] = nlohmann::json(std::vector<std::string>(list.values().begin(),
                                                           list.values().end()));
  }
  const nlohmann::json claims = {
      {"iss", options_.issuer},
      {"sub", identity.name()},
      {"aud", options_.audience},
      {"iat", iat},
      {"nbf", iat},
      {"exp", absl::ToUnixSeconds(expire_time)},
      {"sid", identity.session_id()},
      {"roles", std::vector<std::string>(identity.roles().begin(), identity.roles().end())},
      {"traits", std::move(traits)},
      {"mfa", identity.mfa_verified()},
      {"auth_method", identity.auth_method()},
  };
  return SignCompactJws(alg_, kid_, claims, *signer_);
}

absl::StatusOr<SessionClaims> ValidateSessionClaims(std::string_view payload,
                                                    const SessionClaimsPolicy& policy,
                                                    absl::Time now) {
  StrictJsonLimits limits{.max_bytes = kMaxJwsBytes, .max_depth = 4};
  absl::StatusOr<nlohmann::json> parsed = ParseStrictJsonObject(payload, "token claims", limits);
  if (!parsed.ok()) return Unauth(std::string(parsed.status().message()));
  const nlohmann::json& claims = *parsed;

  absl::StatusOr<std::string> iss = StringClaim(claims, "iss", true);
  if (!iss.ok()) return iss.status();
  if (*iss != policy.issuer) return Unauth("token issuer mismatch");

  const auto aud = claims.find("aud");
  if (aud == claims.end()) return Unauth("token has no aud claim");
  bool audience_ok = false;
  if (aud->is_string()) {
    audience_ok = aud->get_ref<const std::string&>() == policy.audience;
  } else if (aud->is_array()) {
    for (const auto& a : *aud) {
      if (!a.is_string()) return Unauth("token aud has a non-string value");
      audience_ok = audience_ok || a.get_ref<const std::string&>() == policy.audience;
    }
  } else {
    return Unauth("token aud is not a string or array");
  }
  if (!audience_ok) return Unauth("token audience mismatch");

  absl::StatusOr<absl::Time> exp = NumericDate(claims, "exp", true);
  if (!exp.ok()) return exp.status();
  absl::StatusOr<absl::Time> iat = NumericDate(claims, "iat", true);
  if (!iat.ok()) return iat.status();
  absl::StatusOr<absl::Time> nbf = NumericDate(claims, "nbf", false);
  if (!nbf.ok()) return nbf.status();
  if (*exp <= *iat) return Unauth("token expires before it was issued");
  if (*exp - *iat > policy.max_lifetime) return Unauth("token lifetime exceeds the maximum");
  if (now >= *exp + policy.max_clock_skew) return Unauth("token expired");
  if (*iat > now + policy.max_clock_skew) return Unauth("token issued in the future");
  if (*nbf > now + policy.max_clock_skew) return Unauth("token not yet valid");

  SessionClaims out;
  out.issue_time = *iat;
  out.expire_time = *exp;
  Identity& id = out.identity;
  id.set_kind(Identity::KIND_USER);
  absl::StatusOr<std::string> sub = StringClaim(claims, "sub", true);
  if (!sub.ok()) return sub.status();
  id.set_name(*std::move(sub));
  absl::StatusOr<std::string> sid = StringClaim(claims, "sid", true);
  if (!sid.ok()) return sid.status();
  id.set_session_id(*std::move(sid));
  absl::StatusOr<std::string> amr = StringClaim(claims, "auth_method", false);
  if (!amr.ok()) return amr.status();
  id.set_auth_method(*std::move(amr));

  if (const auto roles = claims.find("roles"); roles != claims.end()) {
    if (absl::Status s = StringArray(*roles, "roles", id.mutable_roles()); !s.ok()) return s;
  }
  if (const auto traits = claims.find("traits"); traits != claims.end()) {
    if (!traits->is_object()) return Unauth("token traits is not an object");
    if (traits->size() > 256) return Unauth("token traits has too many keys");
    for (const auto& [key, values] : traits->items()) {
      if (absl::Status s = StringArray(values, "trait " + key,
                                       (*id.mutable_traits())[key].mutable_values());
          !s.ok()) {
        return s;
      }
    }
  }
  if (const auto mfa = claims.find("mfa"); mfa != claims.end()) {
    if (!mfa->is_boolean()) return Unauth("token mfa is not a boolean");
    id.set_mfa_verified(mfa->get<bool>());
  }
  *id.mutable_expire_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(*exp));
  return out;
}

}  // namespace jit::jwt
