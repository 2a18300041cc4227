#include "services/ca/revocation_store.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/digest.h"

namespace jit::ca {

std::string RevokedSetDigest(const std::vector<RevokedCert>& revoked) {
  std::vector<const RevokedCert*> sorted;
  sorted.reserve(revoked.size());
  for (const RevokedCert& c : revoked) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(),
            [](const RevokedCert* a, const RevokedCert* b) { return a->serial < b->serial; });
  std::string text;
  for (const RevokedCert* c : sorted) {
    absl::StrAppend(&text, c->serial, " ", absl::ToUnixMicros(c->revoke_time), "\n");
  }
  return absl::BytesToHexString(crypto::Sha256String(text));
}

}  // namespace jit::ca
