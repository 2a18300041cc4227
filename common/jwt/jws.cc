#include "common/jwt/jws.h"

#include <algorithm>
#include <cctype>

#include "common/crypto/base64.h"
#include "common/jwt/strict_json_reader.h"

namespace jit::jwt {
namespace {

absl::Status Invalid(std::string_view msg) { return absl::InvalidArgumentError(std::string(msg)); }

}  // namespace

std::string_view JwsAlgorithmName(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kEdDSA:
      return "EdDSA";
    case JwsAlgorithm::kES256:
      return "ES256";
    case JwsAlgorithm::kRS256:
      return "RS256";
  }
  return "";
}

absl::StatusOr<JwsAlgorithm> JwsAlgorithmFromName(std::string_view name) {
  if (name == "EdDSA") return JwsAlgorithm::kEdDSA;
  if (name == "ES256") return JwsAlgorithm::kES256;
  if (name == "RS256") return JwsAlgorithm::kRS256;
  return Invalid("unsupported alg");
}

namespace {

// What ParseCompactJws takes from a protected header.
struct JwsHeader {
  bool has_alg = false, has_kid = false, has_typ = false;
  std::string alg, kid, typ;
};

// Reads a protected header without building a DOM: alg, kid and typ are taken, "crit" is
// refused, other members are skipped (the reader still checks them: well-formed, unique
// member names at every depth, nesting bounded).
absl::Status ReadJwsHeader(std::string_view json, JwsHeader* header) {
  return ReadStrictJsonObject(
      json, "token header", {.max_bytes = 2048, .max_depth = 4},
      [header](std::string_view name, simdjson::dom::element value) -> absl::Status {
        if (name == "crit") return Invalid("token header has unsupported crit parameters");
        bool* has;
        std::string* target;
        if (name == "alg") {
          has = &header->has_alg;
          target = &header->alg;
        } else if (name == "kid") {
          has = &header->has_kid;
          target = &header->kid;
        } else if (name == "typ") {
          has = &header->has_typ;
          target = &header->typ;
        } else {
          return absl::OkStatus();
        }
        std::string_view text;
        if (value.get_string().get(text) != simdjson::SUCCESS) {
          return Invalid(name == "alg" ? std::string("token header has no alg")
                                       : "token " + std::string(name) + " is not a string");
        }
        *has = true;
        target->assign(text);
        return absl::OkStatus();
      });
}

}  // namespace

absl::StatusOr<UnverifiedJws> ParseCompactJws(std::string_view token,
                                              absl::Span<const JwsAlgorithm> allowed) {
  if (token.empty()) return Invalid("empty token");
  if (token.size() > kMaxJwsBytes) return Invalid("token too large");
  const size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return Invalid("token is not a compact JWS");
  const size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return Invalid("token is not a compact JWS");
  if (token.find('.', dot2 + 1) != std::string_view::npos) {
    return Invalid("token has more than three parts (JWE or garbage)");
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty()) return Invalid("token has an empty part");
  if (signature_b64.empty()) return Invalid("token is unsigned");
  if (header_b64.size() > 2048) return Invalid("token header too large");

  absl::StatusOr<std::string> header_json = crypto::Base64UrlDecode(header_b64);
  if (!header_json.ok()) return Invalid("token header is not base64url");
  JwsHeader header;
  if (absl::Status s = ReadJwsHeader(*header_json, &header); !s.ok()) return s;
  if (!header.has_alg) return Invalid("token header has no alg");
  absl::StatusOr<JwsAlgorithm> alg = JwsAlgorithmFromName(header.alg);
  if (!alg.ok()) return Invalid("token alg is not accepted");
  if (std::find(allowed.begin(), allowed.end(), *alg) == allowed.end()) {
    return Invalid("token alg is not accepted");
  }
  if (header.has_typ) {
    std::string t = header.typ;
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::toupper(c); });
    if (t != "JWT") return Invalid("token typ is not JWT");
  }
  if (header.has_kid && (header.kid.empty() || header.kid.size() > 256)) {
    return Invalid("token kid has an invalid length");
  }

  absl::StatusOr<std::string> payload = crypto::Base64UrlDecode(payload_b64);
  if (!payload.ok()) return Invalid("token payload is not base64url");
  absl::StatusOr<std::string> signature = crypto::Base64UrlDecode(signature_b64);
  if (!signature.ok()) return Invalid("token signature is not base64url");

  UnverifiedJws out;
  out.alg = *alg;
  out.kid = std::move(header.kid);
  out.typ = std::move(header.typ);
  out.payload = *std::move(payload);
  out.signing_input = std::string(token.substr(0, dot2));
  out.signature = *std::move(signature);
  return out;
}

absl::Status VerifyJwsSignature(const UnverifiedJws& jws, const JwsVerificationKey& key) {
  if (jws.alg != key.alg) return Invalid("token alg does not match the key");
  if (key.verifier == nullptr) return Invalid("no verifier for key");
  if (!key.verifier->Verify(jws.signature, jws.signing_input).ok()) {
    return Invalid("token signature is invalid");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SignCompactJwsWithHeader(const nlohmann::json& header,
                                                     std::string_view payload,
                                                     const crypto::Signer& signer) {
  std::string input = crypto::Base64UrlEncode(header.dump());
  input.push_back('.');
  input += crypto::Base64UrlEncode(payload);
  absl::StatusOr<std::string> sig = signer.Sign(input);
  if (!sig.ok()) return sig.status();
  input.push_back('.');
  input += crypto::Base64UrlEncode(*sig);
  return input;
}

absl::StatusOr<std::string> SignCompactJws(JwsAlgorithm alg, std::string_view kid,
                                           const nlohmann::json& payload,
                                           const crypto::Signer& signer) {
  nlohmann::json header = {{"alg", std::string(JwsAlgorithmName(alg))}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = std::string(kid);
  return SignCompactJwsWithHeader(header, payload.dump(), signer);
}

}  // namespace jit::jwt
