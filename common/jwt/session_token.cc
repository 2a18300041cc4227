#include "common/jwt/session_token.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/jwt/json_sax_parser.h"
#include "common/jwt/strict_json.h"

namespace jit::jwt {
namespace {

using jit::common::v1::Identity;

// NumericDates beyond this (year ~2286) are refused, which also keeps absl::Time exact.
constexpr int64_t kMaxNumericDate = 9'999'999'999;

absl::Status Unauth(const std::string& msg) { return absl::UnauthenticatedError(msg); }

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

namespace {

// Reads session-token claims straight into an Identity (no DOM: this runs for every fresh
// token and nlohmann's DOM costs more than the rest of the verification together). Strict as
// ParseStrictJsonObject: unique member names at every depth, bounded nesting; known claims
// must have their exact types; unknown claims are skipped.
class SessionClaimsSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit SessionClaimsSax(Identity* identity) : id_(identity) {}

  std::string error;
  std::optional<std::string> iss;
  bool has_aud = false;
  std::vector<std::string> aud;
  std::optional<int64_t> iat, exp, nbf;
  bool has_sub = false, has_sid = false;

  bool null() override { return Value(Kind::kNull); }
  bool boolean(bool v) override {
    bool_ = v;
    return Value(Kind::kBool);
  }
  bool number_integer(number_integer_t v) override {
    int_ = v;
    return Value(Kind::kInt);
  }
  bool number_unsigned(number_unsigned_t v) override {
    int_ = v > static_cast<uint64_t>(kMaxNumericDate) ? kMaxNumericDate + 1 : static_cast<int64_t>(v);
    return Value(Kind::kInt);
  }
  bool number_float(number_float_t, const string_t&) override { return Value(Kind::kFloat); }
  bool string(string_t& v) override {
    str_ = &v;
    return Value(Kind::kString);
  }
  bool binary(binary_t&) override { return Fail("token claims: malformed JSON"); }
  bool start_object(std::size_t) override {
    if (!Value(Kind::kObject)) return false;
    return Check(s_.OpenObject());
  }
  bool start_array(std::size_t) override {
    if (!Value(Kind::kArray)) return false;
    return Check(s_.OpenArray());
  }
  bool end_object() override {
    s_.Close();
    return true;
  }
  bool end_array() override {
    s_.Close();
    return true;
  }
  bool key(string_t& k) override {
    if (!Check(s_.Key(k))) return false;
    if (s_.depth() == 1) {
      member_ = k;
      claim_ = Classify(k);
    } else if (s_.depth() == 2 && claim_ == Claim::kTraits) {
      if (id_->traits_size() >= 256) return Fail("token traits has too many keys");
      trait_ = &(*id_->mutable_traits())[k];
      trait_name_ = k;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return Fail("token claims: malformed JSON");
  }

 private:
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kObject, kArray };
  enum class Claim { kOther, kIss, kSub, kSid, kAuthMethod, kIat, kExp, kNbf, kAud, kRoles,
                     kTraits, kMfa };

  static Claim Classify(const std::string& k) {
    switch (k.size()) {
      case 3:
        if (k == "iss") return Claim::kIss;
        if (k == "sub") return Claim::kSub;
        if (k == "sid") return Claim::kSid;
        if (k == "iat") return Claim::kIat;
        if (k == "exp") return Claim::kExp;
        if (k == "nbf") return Claim::kNbf;
        if (k == "aud") return Claim::kAud;
        if (k == "mfa") return Claim::kMfa;
        return Claim::kOther;
      case 5:
        return k == "roles" ? Claim::kRoles : Claim::kOther;
      case 6:
        return k == "traits" ? Claim::kTraits : Claim::kOther;
      case 11:
        return k == "auth_method" ? Claim::kAuthMethod : Claim::kOther;
      default:
        return Claim::kOther;
    }
  }

  bool Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
  bool Check(bool ok) { return ok ? true : Fail(std::string("token claims: ") + s_.error()); }

  // A value (or the start of a container) arriving at the current position.
  bool Value(Kind kind) {
    const int depth = s_.depth();
    if (depth == 0) {
      return kind == Kind::kObject ? true : Fail("token claims: not a JSON object");
    }
    if (depth == 1) return TopLevel(kind);
    if (depth == 2 && (claim_ == Claim::kAud || claim_ == Claim::kRoles)) {
      if (kind != Kind::kString) return Fail("token " + member_ + " has a non-string value");
      if (claim_ == Claim::kAud) {
        aud.push_back(std::move(*str_));
      } else {
        if (id_->roles_size() >= 1024) return Fail("token roles has too many values");
        id_->add_roles(std::move(*str_));
      }
      return true;
    }
    if (depth == 2 && claim_ == Claim::kTraits) {
      return kind == Kind::kArray ? true : Fail("token trait " + trait_name_ + " is not an array");
    }
    if (depth == 3 && claim_ == Claim::kTraits) {
      if (kind != Kind::kString) {
        return Fail("token trait " + trait_name_ + " has a non-string value");
      }
      if (trait_->values_size() >= 1024) return Fail("token trait has too many values");
      trait_->add_values(std::move(*str_));
      return true;
    }
    return true;  // inside an unknown claim
  }

  bool TopLevel(Kind kind) {
    switch (claim_) {
      case Claim::kIss:
      case Claim::kSub:
      case Claim::kSid:
      case Claim::kAuthMethod:
        if (kind != Kind::kString) return Fail("token " + member_ + " is not a string");
        if (claim_ == Claim::kIss) {
          iss = std::move(*str_);
        } else if (claim_ == Claim::kSub) {
          has_sub = true;
          id_->set_name(std::move(*str_));
        } else if (claim_ == Claim::kSid) {
          has_sid = true;
          id_->set_session_id(std::move(*str_));
        } else {
          id_->set_auth_method(std::move(*str_));
        }
        return true;
      case Claim::kIat:
      case Claim::kExp:
      case Claim::kNbf:
        if (kind != Kind::kInt) return Fail("token " + member_ + " is not an integer");
        (claim_ == Claim::kIat ? iat : claim_ == Claim::kExp ? exp : nbf) = int_;
        return true;
      case Claim::kAud:
        has_aud = true;
        if (kind == Kind::kString) {
          aud.push_back(std::move(*str_));
          return true;
        }
        return kind == Kind::kArray ? true : Fail("token aud is not a string or array");
      case Claim::kRoles:
        return kind == Kind::kArray ? true : Fail("token roles is not an array");
      case Claim::kTraits:
        return kind == Kind::kObject ? true : Fail("token traits is not an object");
      case Claim::kMfa:
        if (kind != Kind::kBool) return Fail("token mfa is not a boolean");
        id_->set_mfa_verified(bool_);
        return true;
      case Claim::kOther:
        return true;  // unknown claim: skipped
    }
    return true;
  }

  Identity* id_;
  JsonStructure s_{4};
  std::string member_;
  Claim claim_ = Claim::kOther;
  std::string trait_name_;
  jit::common::v1::StringList* trait_ = nullptr;
  std::string* str_ = nullptr;
  int64_t int_ = 0;
  bool bool_ = false;
};

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
  if (payload.size() > kMaxJwsBytes) return Unauth("token claims: too large");
  SessionClaims out;
  Identity& id = out.identity;
  SessionClaimsSax claims(&id);
  if (!ParseJsonSax(payload, &claims)) {
    return Unauth(claims.error.empty() ? "token claims: malformed JSON" : claims.error);
  }

  if (!claims.iss.has_value()) return Unauth("token has no iss claim");
  if (*claims.iss != policy.issuer) return Unauth("token issuer mismatch");
  if (!claims.has_aud) return Unauth("token has no aud claim");
  if (std::find(claims.aud.begin(), claims.aud.end(), policy.audience) == claims.aud.end()) {
    return Unauth("token audience mismatch");
  }

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
