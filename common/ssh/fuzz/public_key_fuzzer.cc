// libFuzzer target for the SSH public-key parser (wire and one-line forms). The same bytes
// also go to the certificate and KRL readers, which embed keys and share SshReader.
//
// Invariants checked (a violation aborts, which the fuzzer reports as a crash):
//  - errors are INVALID_ARGUMENT; nothing else escapes;
//  - an accepted wire key is canonical: re-encoding gives the input bytes, and its one-line
//    form parses back to the same key; OpenSSL accepts it as a public key;
//  - an accepted certificate re-encodes to the input and its embedded keys re-parse;
//  - an accepted KRL answers lookups.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/ssh/certificate.h"
#include "common/ssh/krl.h"
#include "common/ssh/public_key.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckError(const absl::Status& status) {
  Check(status.code() == absl::StatusCode::kInvalidArgument && !status.message().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using jit::ssh::SshPublicKey;

  absl::StatusOr<SshPublicKey> key = SshPublicKey::FromWire(input);
  if (key.ok()) {
    Check(key->wire() == input);
    absl::StatusOr<SshPublicKey> again = SshPublicKey::FromLine(key->ToLine("fuzz"));
    Check(again.ok() && *again == *key);
    Check(key->ToEvpPkey().ok());
    Check(key->Fingerprint().size() == 50);
  } else {
    CheckError(key.status());
  }

  absl::StatusOr<SshPublicKey> from_line = SshPublicKey::FromLine(input);
  if (from_line.ok()) {
    Check(SshPublicKey::FromWire(from_line->wire()).ok());
  } else {
    CheckError(from_line.status());
  }

  absl::StatusOr<jit::ssh::SshCertificate> cert = jit::ssh::SshCertificate::FromWire(input);
  if (cert.ok()) {
    Check(cert->wire() == input);
    Check(SshPublicKey::FromWire(cert->signature_key().wire()).ok());
    const absl::Status verified = cert->VerifySignature();
    Check(verified.ok() || verified.code() == absl::StatusCode::kInvalidArgument);
  } else {
    CheckError(cert.status());
  }

  absl::StatusOr<jit::ssh::Krl> krl = jit::ssh::Krl::Parse(input);
  if (krl.ok()) {
    (void)krl->IsSerialRevoked("", 1);
    (void)krl->IsSerialRevoked(input.substr(0, 64), ~uint64_t{0});
  } else {
    CheckError(krl.status());
  }
  return 0;
}
