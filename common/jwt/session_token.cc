#include "common/jwt/session_token.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/jwt/strict_json_reader.h"

namespace jit::jwt {
namespace {

using jit::common::v1::Identity;

// NumericDates beyond this (year ~2286) are refused, which also keeps absl::Time exact.
constexpr int64_t kMaxNumericDate = 9'999'999'999;

absl::Status Unauth(const std::string& msg) { return absl::UnauthenticatedError(msg); }

// JSON text as tokens carry it; never throws (an invalid UTF-8 byte becomes U+FFFD, which
// the identity validators refuse before any token is made).
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json TraitsJson(const Identity& identity) {
  nlohmann::json traits = nlohmann::json::object();
  for (const auto& [key, list] : identity.traits()) {
    traits[key] =
        nlohmann::json(std::vector<std::string>(list.values().begin(), list.values().end()));
  }
  return traits;
}

std::vector<std::string> Roles(const Identity& identity) {
  return std::vector<std::string>(identity.roles().begin(), identity.roles().end());
}

bool NameFits(std::string_view name) {
  return Dump(nlohmann::json(std::string(name))).size() <= kMaxTokenNameBytes;
}

}  // namespace

size_t IdentityClaimBytes(const Identity& identity) {
  const nlohmann::json claims = {{"sub", identity.name()},
                                 {"roles", Roles(identity)},
                                 {"traits", TraitsJson(identity)},
                                 {"auth_method", identity.auth_method()}};
  return Dump(claims).size();
}

absl::StatusOr<std::unique_ptr<SessionTokenIssuer>> SessionTokenIssuer::Create(
    Options options, JwsAlgorithm alg, std::string kid,
    std::shared_ptr<const crypto::Signer> signer) {
  if (options.issuer.empty() || options.audience.empty()) {
    return absl::InvalidArgumentError("session token issuer and audience are required");
  }
  if (kid.empty()) return absl::InvalidArgumentError("session token kid is required");
  if (!NameFits(options.issuer) || !NameFits(options.audience) || !NameFits(kid)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "session token issuer, audience and kid: at most ", kMaxTokenNameBytes, " bytes each"));
  }
  if (alg == JwsAlgorithm::kRS256) {
    return absl::InvalidArgumentError(
        "session tokens are signed with EdDSA or ES256 (RS256 signatures are too large)");
  }
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
  if (!NameFits(identity.session_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("session token session id: at most ", kMaxTokenNameBytes, " bytes"));
  }
  if (expire_time <= issue_time) {
    return absl::InvalidArgumentError("session token must expire after it is issued");
  }
  const int64_t iat = absl::ToUnixSeconds(issue_time);
  const nlohmann::json claims = {
      {"iss", options_.issuer},
      {"sub", identity.name()},
      {"aud", options_.audience},
      {"iat", iat},
      {"nbf", iat},
      {"exp", absl::ToUnixSeconds(expire_time)},
      {"sid", identity.session_id()},
      {"roles", Roles(identity)},
      {"traits", TraitsJson(identity)},
      {"mfa", identity.mfa_verified()},
      {"auth_method", identity.auth_method()},
  };
  // Identities are validated where they are made; this refuses what slipped past (a user
  // stored under older limits) instead of issuing a token no server would accept.
  if (const size_t identity_bytes = IdentityClaimBytes(identity);
      identity_bytes > kMaxIdentityClaimBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("the user's name, roles, traits and auth method take ", identity_bytes,
                     " bytes in a session token, over the limit of ", kMaxIdentityClaimBytes,
                     " bytes; remove roles or traits"));
  }
  absl::StatusOr<std::string> token;
  try {
    token = SignCompactJws(alg_, kid_, claims, *signer_);
  } catch (const nlohmann::json::exception&) {  // dump() refuses invalid UTF-8
    return absl::InvalidArgumentError("session token claims must be valid UTF-8");
  }
  if (token.ok() && token->size() > kMaxSessionTokenBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("session token would be ", token->size(), " bytes, over the limit of ",
                     kMaxSessionTokenBytes, " bytes; remove roles or traits"));
  }
  return token;
}

namespace {

using simdjson::dom::element;

// The claims checked after reading; the identity claims go straight into the Identity.
struct ReadClaims {
  std::optional<std::string> iss;
  bool has_aud = false;
  bool aud_matches = false;
  std::optional<int64_t> iat, exp, nbf;
  bool has_sub = false, has_sid = false;
};

absl::Status NotA(std::string_view claim, std::string_view type) {
  return Unauth("token " + std::string(claim) + " is not " + std::string(type));
}

absl::Status ReadString(element value, std::string_view claim, std::string* out) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return NotA(claim, "a string");
  out->assign(text);
  return absl::OkStatus();
}

absl::Status ReadNumericDate(element value, std::string_view claim, std::optional<int64_t>* out) {
  switch (value.type()) {
    case simdjson::dom::element_type::INT64:
      *out = value.get_int64().value_unsafe();
      return absl::OkStatus();
    case simdjson::dom::element_type::UINT64:  // above INT64_MAX, so out of range
      *out = kMaxNumericDate + 1;
      return absl::OkStatus();
    default:
      return NotA(claim, "an integer");
  }
}

// Calls add(value) for each string of `list`; `max` values at most.
template <typename Add>
absl::Status ReadStrings(simdjson::dom::array list, const std::string& what, size_t max, Add add) {
  if (list.size() > max) return Unauth("token " + what + " has too many values");
  for (element item : list) {
    std::string_view text;
    if (item.get_string().get(text) != simdjson::SUCCESS) {
      return Unauth("token " + what + " has a non-string value");
    }
    add(text);
  }
  return absl::OkStatus();
}

absl::Status ReadTraits(element value, Identity* id) {
  simdjson::dom::object traits;
  if (value.get_object().get(traits) != simdjson::SUCCESS) return NotA("traits", "an object");
  if (traits.size() > 256) return Unauth("token traits has too many keys");
  for (simdjson::dom::key_value_pair trait : traits) {
    simdjson::dom::array list;
    if (trait.value.get_array().get(list) != simdjson::SUCCESS) {
      return Unauth("token trait " + std::string(trait.key) + " is not an array");
    }
    jit::common::v1::StringList& values = (*id->mutable_traits())[std::string(trait.key)];
    absl::Status s = ReadStrings(list, "trait " + std::string(trait.key), 1024,
                                 [&](std::string_view v) { values.add_values(std::string(v)); });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// One top-level claim. Known claims must have their exact types; unknown claims are skipped
// (the reader checked them: well-formed, unique member names, bounded nesting).
absl::Status ReadClaim(std::string_view name, element value, std::string_view audience,
                       ReadClaims* claims, Identity* id) {
  switch (name.size()) {
    case 3:
      if (name == "iss") return ReadString(value, name, &claims->iss.emplace());
      if (name == "sub") {
        claims->has_sub = true;
        return ReadString(value, name, id->mutable_name());
      }
      if (name == "sid") {
        claims->has_sid = true;
        return ReadString(value, name, id->mutable_session_id());
      }
      if (name == "iat") return ReadNumericDate(value, name, &claims->iat);
      if (name == "exp") return ReadNumericDate(value, name, &claims->exp);
      if (name == "nbf") return ReadNumericDate(value, name, &claims->nbf);
      if (name == "aud") {
        claims->has_aud = true;
        std::string_view single;
        if (value.get_string().get(single) == simdjson::SUCCESS) {
          claims->aud_matches = single == audience;
          return absl::OkStatus();
        }
        simdjson::dom::array list;
        if (value.get_array().get(list) != simdjson::SUCCESS) {
          return NotA("aud", "a string or array");
        }
        return ReadStrings(list, "aud", std::numeric_limits<size_t>::max(),
                           [&](std::string_view v) { claims->aud_matches |= v == audience; });
      }
      if (name == "mfa") {
        bool mfa;
        if (value.get_bool().get(mfa) != simdjson::SUCCESS) return NotA("mfa", "a boolean");
        id->set_mfa_verified(mfa);
      }
      return absl::OkStatus();
    case 5:
      if (name == "roles") {
        simdjson::dom::array list;
        if (value.get_array().get(list) != simdjson::SUCCESS) return NotA("roles", "an array");
        return ReadStrings(list, "roles", 1024,
                           [&](std::string_view v) { id->add_roles(std::string(v)); });
      }
      return absl::OkStatus();
    case 6:
      return name == "traits" ? ReadTraits(value, id) : absl::OkStatus();
    case 11:
      return name == "auth_method" ? ReadString(value, name, id->mutable_auth_method())
                                   : absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::StatusOr<absl::Time> CheckedDate(const std::optional<int64_t>& v, const char* name,
                                       bool required) {
  if (!v.has_value()) {
    if (required) return Unauth(std::string("token has no ") + name + " claim");
    return absl::InfinitePast();
  }
  if (*v < 0 || *v > kMaxNumericDate) return Unauth(std::string("token ") + name + " out of range");
  return absl::FromUnixSeconds(*v);
}

}  // namespace

absl::StatusOr<SessionClaims> ValidateSessionClaims(std::string_view payload,
                                                    const SessionClaimsPolicy& policy,
                                                    absl::Time now) {
  SessionClaims out;
  Identity& id = out.identity;
  ReadClaims claims;
  // Reader errors are INVALID_ARGUMENT "token claims: ..."; every defect is UNAUTHENTICATED.
  if (absl::Status s =
          ReadStrictJsonObject(payload, "token claims", {.max_bytes = kMaxJwsBytes, .max_depth = 4},
                               [&](std::string_view name, element value) {
                                 return ReadClaim(name, value, policy.audience, &claims, &id);
                               });
      !s.ok()) {
    return Unauth(std::string(s.message()));
  }

  if (!claims.iss.has_value()) return Unauth("token has no iss claim");
  if (*claims.iss != policy.issuer) return Unauth("token issuer mismatch");
  if (!claims.has_aud) return Unauth("token has no aud claim");
  if (!claims.aud_matches) return Unauth("token audience mismatch");

  absl::StatusOr<absl::Time> exp = CheckedDate(claims.exp, "exp", true);
  if (!exp.ok()) return exp.status();
  absl::StatusOr<absl::Time> iat = CheckedDate(claims.iat, "iat", true);
  if (!iat.ok()) return iat.status();
  absl::StatusOr<absl::Time> nbf = CheckedDate(claims.nbf, "nbf", false);
  if (!nbf.ok()) return nbf.status();
  if (*exp <= *iat) return Unauth("token expires before it was issued");
  if (*exp - *iat > policy.max_lifetime) return Unauth("token lifetime exceeds the maximum");
  if (now >= *exp + policy.max_clock_skew) return Unauth("token expired");
  if (*iat > now + policy.max_clock_skew) return Unauth("token issued in the future");
  if (*nbf > now + policy.max_clock_skew) return Unauth("token not yet valid");

  if (!claims.has_sub) return Unauth("token has no sub claim");
  if (id.name().empty() || id.name().size() > 256) return Unauth("token sub has an invalid length");
  if (!claims.has_sid) return Unauth("token has no sid claim");
  if (id.session_id().empty() || id.session_id().size() > 256) {
    return Unauth("token sid has an invalid length");
  }
  if (id.auth_method().size() > 256) return Unauth("token auth_method has an invalid length");
  id.set_kind(Identity::KIND_USER);
  out.issue_time = *iat;
  out.expire_time = *exp;
  id.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(*exp));
  return out;
}

}  // namespace jit::jwt
