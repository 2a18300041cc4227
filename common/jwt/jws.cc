#include "common/jwt/jws.h"

#include <algorithm>
#include <cctype>

#include "common/crypto/base64.h"
#include "common/jwt/json_sax_parser.h"
#include "common/jwt/strict_json.h"

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

// Reads a JWS protected header without building a DOM: alg, kid and typ are taken, "crit"
// is refused, other members are skipped (still checked for well-formedness and duplicates).
class JwsHeaderSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::string error;
  bool has_alg = false, has_kid = false, has_typ = false;
  std::string alg, kid, typ;

  bool null() override { return Scalar(nullptr); }
  bool boolean(bool) override { return Scalar(nullptr); }
  bool number_integer(number_integer_t) override { return Scalar(nullptr); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(nullptr); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(nullptr); }
  bool binary(binary_t&) override { return Fail("token header is malformed"); }
  bool string(string_t& value) override { return Scalar(&value); }
  bool start_object(std::size_t) override {
    if (s_.depth() == 1 && Named()) return Fail(TypeError());
    return Check(s_.OpenObject());
  }
  bool start_array(std::size_t) override {
    if (s_.depth() == 0) return Fail("token header: not a JSON object");
    if (s_.depth() == 1 && Named()) return Fail(TypeError());
    return Check(s_.OpenArray());
  }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    if (!Check(s_.Key(k))) return false;
    if (s_.depth() == 1) {
      if (k == "crit") return Fail("token header has unsupported crit parameters");
      member_ = k;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return Fail("token header: malformed JSON");
  }

 private:
  bool Named() const { return member_ == "alg" || member_ == "kid" || member_ == "typ"; }
  std::string TypeError() const {
    return member_ == "alg" ? "token header has no alg" : "token " + member_ + " is not a string";
  }
  bool Scalar(std::string* value) {
    if (s_.depth() == 0) return Fail("token header: not a JSON object");
    if (s_.depth() != 1 || !Named()) return true;
    if (value == nullptr) return Fail(TypeError());
    if (member_ == "alg") {
      has_alg = true;
      alg = std::move(*value);
    } else if (member_ == "kid") {
      has_kid = true;
      kid = std::move(*value);
    } else {
      has_typ = true;
      typ = std::move(*value);
    }
    return true;
  }
  bool Close() {
    s_.Close();
    return true;
  }
  bool Check(bool ok) { return ok ? true : Fail(std::string("token header: ") + s_.error()); }
  bool Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  JsonStructure s_{4};
  std::string member_;
};

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
  JwsHeaderSax header;
  if (!ParseJsonSax(*header_json, &header)) {
    return Invalid(header.error.empty() ? "token header: malformed JSON" : header.error);
  }
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
