#include "services/ca/join/join_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/absl_string_view.h"
#include "common/crypto/digest.h"
#include "common/crypto/random.h"
#include "common/status_macros.h"

namespace jit::ca::join {
namespace {

constexpr absl::string_view kPrefix = "jt1";

bool IsBase64Url(absl::string_view s) {
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<NewToken> GenerateJoinToken() {
  ASSIGN_OR_RETURN(std::string id, crypto::RandomToken(16));
  ASSIGN_OR_RETURN(std::string secret, crypto::RandomToken(32));
  NewToken out;
  out.token_id = id;
  std::string token = absl::StrCat(kPrefix, ".", id, ".", secret);
  out.token_hash = absl::BytesToHexString(crypto::Sha256String(token));
  out.token = SecretString(std::move(token));
  return out;
}

absl::StatusOr<ParsedToken> ParseJoinToken(std::string_view token) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  if (parts.size() != 3 || parts[0] != kPrefix || parts[1].size() != 22 || parts[2].size() != 43 ||
      !IsBase64Url(parts[1]) || !IsBase64Url(parts[2])) {
    return absl::InvalidArgumentError(
        "join_token: not a join token (expected jt1.<id>.<secret> as CreateJoinToken returns)");
  }
  return ParsedToken{.token_id = std::string(parts[1]),
                     .token_hash = absl::BytesToHexString(crypto::Sha256String(token))};
}

absl::StatusOr<std::string> JoinTokenKindName(v1::JoinTokenKind kind) {
  switch (kind) {
    case v1::JOIN_TOKEN_KIND_HOST:
      return std::string("host");
    case v1::JOIN_TOKEN_KIND_SERVICE:
      return std::string("service");
    default:
      return absl::InvalidArgumentError(
          "kind: must be JOIN_TOKEN_KIND_HOST or "
          "JOIN_TOKEN_KIND_SERVICE");
  }
}

absl::StatusOr<v1::JoinTokenKind> ParseJoinTokenKind(std::string_view name) {
  if (name == "host") return v1::JOIN_TOKEN_KIND_HOST;
  if (name == "service") return v1::JOIN_TOKEN_KIND_SERVICE;
  return absl::InvalidArgumentError(absl::StrCat("unknown join token kind '", AsAbsl(name), "'"));
}

}  // namespace jit::ca::join
