// libFuzzer target for the PKCS#10 CSR parser (PEM and DER) and the public-key PEM parser
// that X.509 client certificate requests go through.
//
// Invariants checked (a violation aborts, which the fuzzer reports as a crash):
//  - errors are INVALID_ARGUMENT; nothing else escapes;
//  - an accepted CSR has a key that passes CheckClientKey (the same rules as issuance).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/pki/csr.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<jit::pki::CertificateRequest> csr = jit::pki::ParseCsr(input);
  if (csr.ok()) {
    Check(csr->public_key != nullptr);
    Check(jit::pki::CheckClientKey(csr->public_key.get()).ok());
  } else {
    Check(csr.status().code() == absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<jit::crypto::EvpPkeyPtr> key = jit::pki::ParseClientPublicKey(input);
  if (key.ok()) {
    Check(jit::pki::CheckClientKey(key->get()).ok());
  } else {
    Check(key.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
