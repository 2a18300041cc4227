// libFuzzer target for the JSON read on the token hot path: ReadStrictJsonObject (simdjson),
// a JWS protected header (read before any signature check, so from anyone) and session-token
// claims. Built with clang + libFuzzer + ASan by tests/fuzz.sh.
//
// Invariants checked (a violation aborts):
//  - the reader fails only with INVALID_ARGUMENT "fuzz: <defect>";
//  - what it accepts, nlohmann's strict parser (ParseStrictJsonObject) accepts too, as the
//    same value (so no duplicate name, bad escape or bad number slipped through);
//  - what nlohmann's strict parser accepts within the same depth, without a byte order mark
//    and without a number nlohmann holds as a float, the reader accepts too;
//  - ParseCompactJws over a token whose header is the input fails only with INVALID_ARGUMENT
//    and succeeds only with the one allowed algorithm;
//  - ValidateSessionClaims fails only with UNAUTHENTICATED; an accepted identity is a user
//    with a name and a session id of 1..256 bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/crypto/base64.h"
#include "common/jwt/jws.h"
#include "common/jwt/session_token.h"
#include "common/jwt/strict_json.h"
#include "common/jwt/strict_json_reader.h"
#include "nlohmann/json.hpp"

namespace {

using jit::jwt::StrictJsonLimits;

constexpr StrictJsonLimits kLimits{.max_bytes = 16 * 1024, .max_depth = 4};

void Check(bool condition) {
  if (!condition) std::abort();
}

nlohmann::json ToNlohmann(simdjson::dom::element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::OBJECT: {
      nlohmann::json out = nlohmann::json::object();
      for (simdjson::dom::key_value_pair m : value.get_object().value_unsafe()) {
        out[std::string(m.key)] = ToNlohmann(m.value);
      }
      return out;
    }
    case simdjson::dom::element_type::ARRAY: {
      nlohmann::json out = nlohmann::json::array();
      for (simdjson::dom::element item : value.get_array().value_unsafe()) {
        out.push_back(ToNlohmann(item));
      }
      return out;
    }
    case simdjson::dom::element_type::INT64:
      return value.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64:
      return value.get_uint64().value_unsafe();
    case simdjson::dom::element_type::DOUBLE:
      return value.get_double().value_unsafe();
    case simdjson::dom::element_type::STRING:
      return std::string(value.get_string().value_unsafe());
    case simdjson::dom::element_type::BOOL:
      return value.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE:
      return nullptr;
  }
  std::abort();
}

// Containers nested in `j` (an object alone is 1), and whether it holds a float.
int Depth(const nlohmann::json& j, bool* has_float) {
  if (j.is_number_float()) *has_float = true;
  if (!j.is_structured()) return 0;
  int deepest = 0;
  for (const auto& item : j) deepest = std::max(deepest, Depth(item, has_float));
  return deepest + 1;
}

void CheckReader(std::string_view text) {
  nlohmann::json ours = nlohmann::json::object();
  const absl::Status s = jit::jwt::ReadStrictJsonObject(
      text, "fuzz", kLimits, [&](std::string_view name, simdjson::dom::element value) {
        ours[std::string(name)] = ToNlohmann(value);
        return absl::OkStatus();
      });
  const absl::StatusOr<nlohmann::json> theirs =
      jit::jwt::ParseStrictJsonObject(text, "fuzz", {.max_bytes = kLimits.max_bytes});
  if (s.ok()) {
    Check(theirs.ok());
    Check(*theirs == ours);
    return;
  }
  Check(s.code() == absl::StatusCode::kInvalidArgument);
  Check(s.message().substr(0, 6) == "fuzz: ");
  if (theirs.ok() && text.substr(0, 3) != "\xef\xbb\xbf") {
    bool has_float = false;
    // The float may be an integer outside the 64-bit range, which the reader refuses.
    Check(Depth(*theirs, &has_float) > kLimits.max_depth || has_float);
  }
}

void CheckHeader(std::string_view text) {
  const std::string token =
      jit::crypto::Base64UrlEncode(text) + ".e30." + jit::crypto::Base64UrlEncode("signature");
  const jit::jwt::JwsAlgorithm allowed[] = {jit::jwt::JwsAlgorithm::kEdDSA};
  const absl::StatusOr<jit::jwt::UnverifiedJws> jws = jit::jwt::ParseCompactJws(token, allowed);
  if (jws.ok()) {
    Check(jws->alg == jit::jwt::JwsAlgorithm::kEdDSA);
    Check(jws->payload == "{}");
  } else {
    Check(jws.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

void CheckClaims(std::string_view text) {
  const jit::jwt::SessionClaimsPolicy policy{.issuer = "jit-access", .audience = "jit-prod"};
  const absl::StatusOr<jit::jwt::SessionClaims> claims =
      jit::jwt::ValidateSessionClaims(text, policy, absl::FromUnixSeconds(1'700'000'000));
  if (!claims.ok()) {
    Check(claims.status().code() == absl::StatusCode::kUnauthenticated);
    return;
  }
  const jit::common::v1::Identity& id = claims->identity;
  Check(id.kind() == jit::common::v1::Identity::KIND_USER);
  Check(!id.name().empty() && id.name().size() <= 256);
  Check(!id.session_id().empty() && id.session_id().size() <= 256);
  Check(claims->expire_time > claims->issue_time);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckReader(text);
  CheckHeader(text);
  CheckClaims(text);
  return 0;
}
