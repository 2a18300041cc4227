#include "common/jwt/jwk.h"

#include "absl/container/flat_hash_set.h"
#include "common/crypto/base64.h"
#include "common/crypto/ecdsa_p256.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/rsa.h"
#include "common/jwt/strict_json.h"

namespace jit::jwt {
namespace {

absl::Status Invalid(const std::string& msg) { return absl::InvalidArgumentError(msg); }

// The algorithm a key is for, from kty/crv (and alg when present). NOT_FOUND when the key
// is of a kind this code does not use (skipped in sets), INVALID_ARGUMENT when inconsistent.
absl::StatusOr<JwsAlgorithm> AlgorithmOf(const JsonWebKey& jwk) {
  JwsAlgorithm implied;
  if (jwk.kty == "OKP" && jwk.crv == "Ed25519") {
    implied = JwsAlgorithm::kEdDSA;
  } else if (jwk.kty == "EC" && jwk.crv == "P-256") {
    implied = JwsAlgorithm::kES256;
  } else if (jwk.kty == "RSA" && jwk.crv.empty()) {
    implied = JwsAlgorithm::kRS256;
  } else if (jwk.kty == "OKP" || jwk.kty == "EC" || jwk.kty == "RSA") {
    return absl::NotFoundError("unsupported curve");
  } else {
    return absl::NotFoundError("unsupported kty");
  }
  if (!jwk.alg.empty()) {
    absl::StatusOr<JwsAlgorithm> named = JwsAlgorithmFromName(jwk.alg);
    if (!named.ok()) return absl::NotFoundError("unsupported alg");
    if (*named != implied) return Invalid("JWK alg does not match its kty/crv");
  }
  return implied;
}

absl::StatusOr<std::string> DecodeMember(const std::string& value, const char* name) {
  absl::StatusOr<std::string> raw = crypto::Base64UrlDecode(value);
  if (!raw.ok()) return Invalid(std::string("JWK member ") + name + " is not base64url");
  return raw;
}

}  // namespace

absl::StatusOr<JsonWebKey> Ed25519Jwk(std::string_view kid, std::string_view public_key) {
  if (public_key.size() != crypto::kEd25519PublicKeySize) {
    return Invalid("Ed25519 public key must be 32 bytes");
  }
  return JsonWebKey{.kid = std::string(kid),
                    .kty = "OKP",
                    .alg = "EdDSA",
                    .crv = "Ed25519",
                    .use = "sig",
                    .x = crypto::Base64UrlEncode(public_key)};
}

absl::StatusOr<JsonWebKey> P256Jwk(std::string_view kid, EVP_PKEY* key) {
  absl::StatusOr<crypto::EcPoint> point = crypto::P256PublicCoordinates(key);
  if (!point.ok()) return point.status();
  return JsonWebKey{.kid = std::string(kid),
                    .kty = "EC",
                    .alg = "ES256",
                    .crv = "P-256",
                    .use = "sig",
                    .x = crypto::Base64UrlEncode(point->x),
                    .y = crypto::Base64UrlEncode(point->y)};
}

absl::StatusOr<JsonWebKey> RsaJwk(std::string_view kid, EVP_PKEY* key) {
  absl::StatusOr<crypto::RsaPublicNumbers> numbers = crypto::RsaPublicNumbersOf(key);
  if (!numbers.ok()) return numbers.status();
  return JsonWebKey{.kid = std::string(kid),
                    .kty = "RSA",
                    .alg = "RS256",
                    .use = "sig",
                    .n = crypto::Base64UrlEncode(numbers->n),
                    .e = crypto::Base64UrlEncode(numbers->e)};
}

std::string SerializeJwkSet(const std::vector<JsonWebKey>& keys) {
  nlohmann::ordered_json set = {{"keys", nlohmann::ordered_json::array()}};
  for (const JsonWebKey& k : keys) {
    nlohmann::ordered_json j;
    const std::pair<const char*, const std::string*> members[] = {
        {"kty", &k.kty}, {"use", &k.use}, {"alg", &k.alg}, {"kid", &k.kid}, {"crv", &k.crv},
        {"x", &k.x},     {"y", &k.y},     {"n", &k.n},     {"e", &k.e},
    };
    for (const auto& [name, value] : members) {
      if (!value->empty()) j[name] = *value;
    }
    set["keys"].push_back(std::move(j));
  }
  return set.dump();
}

absl::StatusOr<std::vector<JsonWebKey>> ParseJwkSet(std::string_view json) {
  StrictJsonLimits limits{.max_bytes = 256 * 1024, .max_depth = 8};
  absl::StatusOr<nlohmann::json> doc = ParseStrictJsonObject(json, "JWK set", limits);
  if (!doc.ok()) return doc.status();
  const auto keys = doc->find("keys");
  if (keys == doc->end() || !keys->is_array()) return Invalid("JWK set has no keys array");
  std::vector<JsonWebKey> out;
  absl::flat_hash_set<std::string> kids;
  for (const nlohmann::json& k : *keys) {
    if (!k.is_object()) return Invalid("JWK set: a key is not an object");
    for (const char* private_member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      if (k.contains(private_member)) return Invalid("JWK set contains private key material");
    }
    JsonWebKey jwk;
    const std::pair<const char*, std::string*> members[] = {
        {"kid", &jwk.kid}, {"kty", &jwk.kty}, {"alg", &jwk.alg},
        {"crv", &jwk.crv}, {"use", &jwk.use}, {"x", &jwk.x},
        {"y", &jwk.y},     {"n", &jwk.n},     {"e", &jwk.e},
    };
    for (const auto& [name, field] : members) {
      if (const auto it = k.find(name); it != k.end()) {
        if (!it->is_string())
          return Invalid(std::string("JWK member ") + name + " is not a string");
        *field = it->get<std::string>();
      }
    }
    if (jwk.kty.empty()) return Invalid("JWK has no kty");
    if (!jwk.use.empty() && jwk.use != "sig") continue;  // encryption keys
    if (const auto ops = k.find("key_ops"); ops != k.end()) {
      if (!ops->is_array()) return Invalid("JWK key_ops is not an array");
      bool verify = false;
      for (const auto& op : *ops) verify = verify || (op.is_string() && op == "verify");
      if (!verify) continue;
    }
    absl::StatusOr<JwsAlgorithm> alg = AlgorithmOf(jwk);
    if (absl::IsNotFound(alg.status())) continue;  // unusable here, not an error
    if (!alg.ok()) return alg.status();
    if (!kids.insert(jwk.kid).second) return Invalid("JWK set has a duplicate kid");
    out.push_back(std::move(jwk));
  }
  return out;
}

absl::StatusOr<JwsVerificationKey> VerificationKeyFromJwk(const JsonWebKey& jwk) {
  absl::StatusOr<JwsAlgorithm> alg = AlgorithmOf(jwk);
  if (!alg.ok()) return Invalid("JWK is not usable: " + std::string(alg.status().message()));
  JwsVerificationKey key{.kid = jwk.kid, .alg = *alg, .verifier = nullptr};
  switch (*alg) {
    case JwsAlgorithm::kEdDSA: {
      absl::StatusOr<std::string> x = DecodeMember(jwk.x, "x");
      if (!x.ok()) return x.status();
      auto v = crypto::Ed25519Verifier::Create(*x);
      if (!v.ok()) return v.status();
      key.verifier = std::move(*v);
      break;
    }
    case JwsAlgorithm::kES256: {
      absl::StatusOr<std::string> x = DecodeMember(jwk.x, "x");
      if (!x.ok()) return x.status();
      absl::StatusOr<std::string> y = DecodeMember(jwk.y, "y");
      if (!y.ok()) return y.status();
      auto v = crypto::EcdsaP256Verifier::FromCoordinates(
          *x, *y, crypto::EcdsaSignatureEncoding::kIeeeP1363);
      if (!v.ok()) return v.status();
      key.verifier = std::move(*v);
      break;
    }
    case JwsAlgorithm::kRS256: {
      absl::StatusOr<std::string> n = DecodeMember(jwk.n, "n");
      if (!n.ok()) return n.status();
      absl::StatusOr<std::string> e = DecodeMember(jwk.e, "e");
      if (!e.ok()) return e.status();
      auto v = crypto::RsaSsaPkcs1Sha256Verifier::FromModulusExponent(*n, *e);
      if (!v.ok()) return v.status();
      key.verifier = std::move(*v);
      break;
    }
  }
  return key;
}

jit::auth::v1::Jwk JwkToProto(const JsonWebKey& jwk) {
  jit::auth::v1::Jwk p;
  p.set_kid(jwk.kid);
  p.set_kty(jwk.kty);
  p.set_alg(jwk.alg);
  p.set_crv(jwk.crv);
  p.set_x(jwk.x);
  p.set_y(jwk.y);
  p.set_use(jwk.use);
  return p;
}

JsonWebKey JwkFromProto(const jit::auth::v1::Jwk& proto) {
  return JsonWebKey{.kid = proto.kid(),
                    .kty = proto.kty(),
                    .alg = proto.alg(),
                    .crv = proto.crv(),
                    .use = proto.use(),
                    .x = proto.x(),
                    .y = proto.y()};
}

}  // namespace jit::jwt
