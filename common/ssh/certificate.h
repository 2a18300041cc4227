// OpenSSH certificates exactly as PROTOCOL.certkeys describes them (the *-cert-v01@openssh.com
// types): building and signing one from what the CA decided (SignSshCertificate), and reading
// one back (SshCertificate::FromWire / FromLine) for tests, the CLI and host tooling.
//
// Option encoding: a critical option or extension is (string name, string data); data is
// empty for a flag (permit-pty) and holds one string for a value (source-address,
// force-command, jit-roles@jit-access). Options are written sorted by name, each once.
//
// SignSshCertificate refuses with INVALID_ARGUMENT, naming the field: serial 0 (a KRL cannot
// revoke it by serial), no principal (an empty list means "any principal" to OpenSSH), an
// empty, NUL-bearing or control-character principal or key id, more than kMaxPrincipals
// principals, an empty or repeated option name, valid_after >= valid_before, an unknown
// certificate type. Errors of the signer pass through (INTERNAL).
//
// Thread-safety: plain values and free functions; SshCertificate is immutable.
#ifndef JIT_COMMON_SSH_CERTIFICATE_H_
#define JIT_COMMON_SSH_CERTIFICATE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ssh/public_key.h"
#include "common/ssh/signature.h"

namespace jit::ssh {

enum class SshCertType : uint32_t { kUser = 1, kHost = 2 };

inline constexpr size_t kMaxPrincipals = 256;
inline constexpr size_t kMaxKeyIdSize = 1024;
inline constexpr size_t kMaxPrincipalSize = 255;
// valid_before meaning "forever" (ssh-keygen -L prints "forever").
inline constexpr uint64_t kValidForever = ~uint64_t{0};

struct SshCertOption {
  std::string name;
  // The raw option data: "" for a flag, an encoded string for a value (see StringOption).
  std::string data;

  friend bool operator==(const SshCertOption& a, const SshCertOption& b) {
    return a.name == b.name && a.data == b.data;
  }
};

// A flag option (empty data): "permit-pty".
SshCertOption FlagOption(std::string_view name);
// An option holding one string: "source-address" = "10.0.0.0/8,192.168.1.1".
SshCertOption StringOption(std::string_view name, std::string_view value);
// The string held by a value option; INVALID_ARGUMENT if the data is not exactly one string.
absl::StatusOr<std::string_view> OptionString(const SshCertOption& option);

// Seconds since the epoch as OpenSSH certificates count them (0 before the epoch).
uint64_t ToCertTime(absl::Time t);

// What the CA decided; the signer adds the nonce (unless given), the signature key and the
// signature.
struct SshCertificateSpec {
  SshPublicKey key;
  SshCertType type = SshCertType::kUser;
  uint64_t serial = 0;
  std::string key_id;
  std::vector<std::string> principals;
  uint64_t valid_after = 0;
  uint64_t valid_before = 0;
  // Any order; written sorted by name.
  std::vector<SshCertOption> critical_options;
  std::vector<SshCertOption> extensions;
  // Empty: 32 random bytes.
  std::string nonce;
};

// Builds the certificate, signs it with `ca` and returns its wire blob.
absl::StatusOr<std::string> SignSshCertificate(const SshCertificateSpec& spec, const SshSigner& ca);

// "<cert type> <base64>[ <comment>]" for a certificate blob (OpenSSH's -cert.pub line).
// INVALID_ARGUMENT if the blob does not start with a certificate type name.
absl::StatusOr<std::string> SshCertificateLine(std::string_view cert_wire,
                                               std::string_view comment = "");

// A certificate read back. Parsing checks structure only (strictly: sorted unique option
// names, known type, no trailing bytes); VerifySignature checks the CA's signature.
class SshCertificate {
 public:
  static absl::StatusOr<SshCertificate> FromWire(std::string_view blob,
                                                 const SshKeyParseOptions& options = {});
  static absl::StatusOr<SshCertificate> FromLine(std::string_view line,
                                                 const SshKeyParseOptions& options = {});

  const SshPublicKey& key() const { return key_; }
  const std::string& nonce() const { return nonce_; }
  uint64_t serial() const { return serial_; }
  SshCertType type() const { return type_; }
  const std::string& key_id() const { return key_id_; }
  const std::vector<std::string>& principals() const { return principals_; }
  uint64_t valid_after() const { return valid_after_; }
  uint64_t valid_before() const { return valid_before_; }
  const std::vector<SshCertOption>& critical_options() const { return critical_options_; }
  const std::vector<SshCertOption>& extensions() const { return extensions_; }
  const SshPublicKey& signature_key() const { return signature_key_; }
  const std::string& signature() const { return signature_; }
  // The whole certificate blob.
  const std::string& wire() const { return wire_; }

  // OK when the signature is valid under signature_key(); INVALID_ARGUMENT otherwise.
  absl::Status VerifySignature() const;

 private:
  SshCertificate(SshPublicKey key, SshPublicKey signature_key)
      : key_(std::move(key)), signature_key_(std::move(signature_key)) {}

  SshPublicKey key_;
  std::string nonce_;
  uint64_t serial_ = 0;
  SshCertType type_ = SshCertType::kUser;
  std::string key_id_;
  std::vector<std::string> principals_;
  uint64_t valid_after_ = 0;
  uint64_t valid_before_ = 0;
  std::vector<SshCertOption> critical_options_;
  std::vector<SshCertOption> extensions_;
  SshPublicKey signature_key_;
  std::string signature_;
  std::string wire_;
  size_t signed_size_ = 0;
};

}  // namespace jit::ssh

#endif  // JIT_COMMON_SSH_CERTIFICATE_H_
