#include "common/jwt/testing/identity_of_size.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/jwt/session_token.h"

namespace jit::jwt::testing {
namespace {

using jit::common::v1::Identity;

constexpr int kValuesPerTrait = 64;
constexpr size_t kMaxValueBytes = 256;
constexpr size_t kMaxNameBytes = 64;

std::string* AddValue(Identity* id) {
  const int traits = id->traits_size();
  std::string key = absl::StrCat("t", traits == 0 ? 0 : traits - 1);
  if (traits > 0 && (*id->mutable_traits())[key].values_size() >= kValuesPerTrait) {
    key = absl::StrCat("t", traits);
  }
  return (*id->mutable_traits())[key].add_values();
}

}  // namespace

Identity IdentityOfClaimBytes(size_t bytes, const std::string& auth_method) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name("u");
  id.set_auth_method(auth_method);
  id.add_roles("dev");
  if (bytes < 400) std::abort();
  // Values of 250 bytes (253 with quotes and comma, a few more with a new trait) while
  // more than 300 bytes are left: then 39-300 are, the last value takes up to 255 more after
  // its first byte, and under 64 are left for the name.
  while (IdentityClaimBytes(id) + 300 < bytes) {
    *AddValue(&id) = std::string(kMaxValueBytes - 6, 'a');
  }
  std::string* last = AddValue(&id);
  *last = "a";
  size_t rest = bytes - IdentityClaimBytes(id);
  last->append(std::min(rest, kMaxValueBytes - 1), 'a');
  rest = bytes - IdentityClaimBytes(id);
  if (rest >= kMaxNameBytes) std::abort();  // the arithmetic above guarantees less
  id.mutable_name()->append(rest, 'u');
  if (IdentityClaimBytes(id) != bytes) std::abort();
  return id;
}

}  // namespace jit::jwt::testing
