#include "common/ssh/certificate.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"
#include "common/crypto/base64.h"
#include "common/crypto/random.h"
#include "common/ssh/wire.h"
#include "common/status_macros.h"

namespace jit::ssh {
namespace {

constexpr std::string_view kCertSuffix = "-cert-v01@openssh.com";
constexpr size_t kNonceSize = 32;
constexpr size_t kMaxNonceSize = 256;
constexpr size_t kMaxOptionNameSize = 256;
constexpr size_t kMaxOptions = 64;

// Text that ends up in sshd's log lines and in authorized principal matching: no NUL, no
// control characters (a newline in a key id would forge a log line).
bool PrintableText(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

absl::Status CheckOptions(std::string_view what, const std::vector<SshCertOption>& options,
                          std::vector<const SshCertOption*>& sorted) {
  if (options.size() > kMaxOptions) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxOptions, " ", AsAbsl(what), " in one certificate"));
  }
  sorted.clear();
  for (const SshCertOption& o : options) {
    if (o.name.empty() || o.name.size() > kMaxOptionNameSize || !PrintableText(o.name)) {
      return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), " names must be 1 to ",
                                                     kMaxOptionNameSize, " printable bytes"));
    }
    sorted.push_back(&o);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const SshCertOption* a, const SshCertOption* b) { return a->name < b->name; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i]->name == sorted[i - 1]->name) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(what), " \"", sorted[i]->name, "\" appears more than once"));
    }
  }
  return absl::OkStatus();
}

void PutOptions(SshWriter& w, const std::vector<const SshCertOption*>& sorted) {
  const size_t outer = w.BeginString();
  for (const SshCertOption* o : sorted) {
    w.PutString(o->name);
    w.PutString(o->data);
  }
  w.EndString(outer);
}

absl::StatusOr<std::vector<SshCertOption>> ReadOptions(SshReader& reader, std::string_view what) {
  ASSIGN_OR_RETURN(SshReader list, reader.ReadNested(what));
  std::vector<SshCertOption> out;
  while (!list.empty()) {
    if (out.size() >= kMaxOptions) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxOptions, " ", AsAbsl(what)));
    }
    ASSIGN_OR_RETURN(std::string_view name, list.ReadCString(what, kMaxOptionNameSize));
    ASSIGN_OR_RETURN(std::string_view data, list.ReadString(what));
    if (!out.empty() && !(out.back().name < name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(what), " are not sorted by name or repeat one"));
    }
    out.push_back({std::string(name), std::string(data)});
  }
  return out;
}

}  // namespace

SshCertOption FlagOption(std::string_view name) { return {std::string(name), ""}; }

SshCertOption StringOption(std::string_view name, std::string_view value) {
  SshWriter w;
  w.PutString(value);
  return {std::string(name), std::move(w).Take()};
}

absl::StatusOr<std::string_view> OptionString(const SshCertOption& option) {
  SshReader reader(option.data);
  ASSIGN_OR_RETURN(std::string_view value, reader.ReadString(option.name));
  RETURN_IF_ERROR(reader.ExpectEnd(option.name));
  return value;
}

uint64_t ToCertTime(absl::Time t) {
  if (t <= absl::UnixEpoch()) return 0;
  if (t == absl::InfiniteFuture()) return kValidForever;
  return static_cast<uint64_t>(absl::ToUnixSeconds(t));
}

absl::StatusOr<std::string> SignSshCertificate(const SshCertificateSpec& spec,
                                               const SshSigner& ca) {
  if (spec.type != SshCertType::kUser && spec.type != SshCertType::kHost) {
    return absl::InvalidArgumentError("certificate type must be user or host");
  }
  if (spec.serial == 0) {
    return absl::InvalidArgumentError("serial must not be 0 (a KRL cannot revoke serial 0)");
  }
  if (spec.key_id.empty() || spec.key_id.size() > kMaxKeyIdSize || !PrintableText(spec.key_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("key id must be 1 to ", kMaxKeyIdSize, " printable bytes"));
  }
  if (spec.principals.empty()) {
    return absl::InvalidArgumentError(
        "a certificate needs at least one principal (none means any principal)");
  }
  if (spec.principals.size() > kMaxPrincipals) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxPrincipals, " principals in one certificate"));
  }
  for (const std::string& p : spec.principals) {
    if (p.empty() || p.size() > kMaxPrincipalSize || !PrintableText(p)) {
      return absl::InvalidArgumentError(
          absl::StrCat("principals must be 1 to ", kMaxPrincipalSize, " printable bytes"));
    }
  }
  if (spec.valid_after >= spec.valid_before) {
    return absl::InvalidArgumentError("valid_after must be before valid_before");
  }
  if (spec.nonce.size() > kMaxNonceSize) {
    return absl::InvalidArgumentError(absl::StrCat("nonce longer than ", kMaxNonceSize));
  }
  std::vector<const SshCertOption*> critical, extensions;
  RETURN_IF_ERROR(CheckOptions("critical option", spec.critical_options, critical));
  RETURN_IF_ERROR(CheckOptions("extension", spec.extensions, extensions));

  std::string nonce = spec.nonce;
  if (nonce.empty()) {
    ASSIGN_OR_RETURN(nonce, crypto::RandomBytes(kNonceSize));
  }
  const SshPublicKey& ca_key = ca.public_key();

  SshWriter w;
  w.Reserve(512 + spec.key.wire().size() + ca_key.wire().size() + spec.key_id.size());
  w.PutString(SshCertTypeName(spec.key.type()));
  w.PutString(nonce);
  w.PutRaw(spec.key.key_fields());
  w.PutU64(spec.serial);
  w.PutU32(static_cast<uint32_t>(spec.type));
  w.PutString(spec.key_id);
  const size_t principals = w.BeginString();
  for (const std::string& p : spec.principals) w.PutString(p);
  w.EndString(principals);
  w.PutU64(spec.valid_after);
  w.PutU64(spec.valid_before);
  PutOptions(w, critical);
  PutOptions(w, extensions);
  w.PutString("");  // reserved
  w.PutString(ca_key.wire());
  RETURN_IF_ERROR(w.status());
  ASSIGN_OR_RETURN(std::string signature, ca.Sign(w.view()));
  w.PutString(signature);
  RETURN_IF_ERROR(w.status());
  return std::move(w).Take();
}

absl::StatusOr<std::string> SshCertificateLine(std::string_view cert_wire,
                                               std::string_view comment) {
  SshReader reader(cert_wire);
  ASSIGN_OR_RETURN(std::string_view type_name, reader.ReadCString("certificate type", 128));
  if (!absl::EndsWith(AsAbsl(type_name), AsAbsl(kCertSuffix))) {
    return absl::InvalidArgumentError("not a certificate");
  }
  std::string line;
  const std::string b64 = crypto::Base64Encode(cert_wire);
  line.reserve(type_name.size() + 2 + b64.size() + comment.size());
  absl::StrAppend(&line, AsAbsl(type_name), " ", AsAbsl(b64));
  if (!comment.empty()) absl::StrAppend(&line, " ", AsAbsl(comment));
  return line;
}

absl::StatusOr<SshCertificate> SshCertificate::FromWire(std::string_view blob,
                                                        const SshKeyParseOptions& options) {
  SshReader reader(blob);
  ASSIGN_OR_RETURN(std::string_view type_name, reader.ReadCString("certificate type", 128));
  if (!absl::EndsWith(AsAbsl(type_name), AsAbsl(kCertSuffix))) {
    return absl::InvalidArgumentError("not a certificate type");
  }
  const std::string_view key_type = type_name.substr(0, type_name.size() - kCertSuffix.size());
  ASSIGN_OR_RETURN(std::string_view nonce, reader.ReadString("nonce", kMaxNonceSize));
  ASSIGN_OR_RETURN(SshPublicKey key, ReadKeyFields(key_type, reader, options));
  ASSIGN_OR_RETURN(uint64_t serial, reader.ReadU64("serial"));
  ASSIGN_OR_RETURN(uint32_t type, reader.ReadU32("certificate type"));
  if (type != static_cast<uint32_t>(SshCertType::kUser) &&
      type != static_cast<uint32_t>(SshCertType::kHost)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown certificate type ", type));
  }
  ASSIGN_OR_RETURN(std::string_view key_id, reader.ReadCString("key id", kMaxKeyIdSize));
  ASSIGN_OR_RETURN(SshReader principal_list, reader.ReadNested("principals"));
  std::vector<std::string> principals;
  while (!principal_list.empty()) {
    if (principals.size() >= kMaxPrincipals) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxPrincipals, " principals"));
    }
    ASSIGN_OR_RETURN(std::string_view p, principal_list.ReadCString("principal", 4096));
    principals.emplace_back(p);
  }
  ASSIGN_OR_RETURN(uint64_t valid_after, reader.ReadU64("valid after"));
  ASSIGN_OR_RETURN(uint64_t valid_before, reader.ReadU64("valid before"));
  ASSIGN_OR_RETURN(std::vector<SshCertOption> critical, ReadOptions(reader, "critical options"));
  ASSIGN_OR_RETURN(std::vector<SshCertOption> extensions, ReadOptions(reader, "extensions"));
  ASSIGN_OR_RETURN(std::string_view reserved, reader.ReadString("reserved"));
  (void)reserved;  // ignored, as the protocol says
  ASSIGN_OR_RETURN(std::string_view ca_blob, reader.ReadString("signature key", 8192));
  absl::StatusOr<SshPublicKey> ca_key = SshPublicKey::FromWire(ca_blob);
  if (!ca_key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("signature key: ", ca_key.status().message()));
  }
  const size_t signed_size = blob.size() - reader.remaining();
  ASSIGN_OR_RETURN(std::string_view signature, reader.ReadString("signature", 8192));
  RETURN_IF_ERROR(reader.ExpectEnd("the certificate"));

  SshCertificate cert(std::move(key), *std::move(ca_key));
  cert.nonce_ = std::string(nonce);
  cert.serial_ = serial;
  cert.type_ = static_cast<SshCertType>(type);
  cert.key_id_ = std::string(key_id);
  cert.principals_ = std::move(principals);
  cert.valid_after_ = valid_after;
  cert.valid_before_ = valid_before;
  cert.critical_options_ = std::move(critical);
  cert.extensions_ = std::move(extensions);
  cert.signature_ = std::string(signature);
  cert.wire_ = std::string(blob);
  cert.signed_size_ = signed_size;
  return cert;
}

absl::StatusOr<SshCertificate> SshCertificate::FromLine(std::string_view line,
                                                        const SshKeyParseOptions& options) {
  ASSIGN_OR_RETURN(KeyLine parts, SplitKeyLine(line));
  ASSIGN_OR_RETURN(SshCertificate cert, FromWire(parts.blob, options));
  if (parts.type_word != SshCertTypeName(cert.key().type())) {
    return absl::InvalidArgumentError("certificate type word does not match the certificate");
  }
  return cert;
}

absl::Status SshCertificate::VerifySignature() const {
  return VerifySshSignature(signature_key_, signature_,
                            std::string_view(wire_).substr(0, signed_size_));
}

}  // namespace jit::ssh
