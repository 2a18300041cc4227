#include "common/ssh/private_key.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "common/absl_string_view.h"
#include "common/crypto/base64.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/random.h"
#include "common/ssh/wire.h"
#include "common/status_macros.h"

namespace jit::ssh {
namespace {

constexpr std::string_view kMagic("openssh-key-v1\0", 15);
constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr size_t kLineWidth = 70;
constexpr size_t kBlockSize = 8;  // cipher "none"
constexpr size_t kMaxFileSize = 16 * 1024;

// A std::string that is wiped when it goes out of scope (buffers that held key bytes).
class WipedString {
 public:
  WipedString() = default;
  explicit WipedString(std::string s) : s_(std::move(s)) {}
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  ~WipedString() { OPENSSL_cleanse(s_.data(), s_.size()); }
  std::string& get() { return s_; }

 private:
  std::string s_;
};

}  // namespace

absl::StatusOr<SecretString> EncodeOpenSshEd25519PrivateKey(const SecretString& seed,
                                                            std::string_view comment) {
  if (seed.size() != crypto::kEd25519SeedSize) {
    return absl::InvalidArgumentError("Ed25519 seed must be 32 bytes");
  }
  if (comment.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos ||
      comment.size() > 1024) {
    return absl::InvalidArgumentError("key comment must be one line of at most 1024 bytes");
  }
  ASSIGN_OR_RETURN(std::string public_key, crypto::Ed25519PublicKeyFromSeed(seed));
  ASSIGN_OR_RETURN(SshPublicKey key, SshPublicKey::FromEd25519(public_key));
  ASSIGN_OR_RETURN(std::string check_bytes, crypto::RandomBytes(4));
  const uint32_t check = static_cast<uint32_t>(static_cast<uint8_t>(check_bytes[0])) << 24 |
                         static_cast<uint32_t>(static_cast<uint8_t>(check_bytes[1])) << 16 |
                         static_cast<uint32_t>(static_cast<uint8_t>(check_bytes[2])) << 8 |
                         static_cast<uint32_t>(static_cast<uint8_t>(check_bytes[3]));

  // Sized up front so no reallocation leaves a copy of the secret behind.
  const size_t capacity = 512 + comment.size();
  SshWriter w(capacity);
  w.Reserve(capacity);
  w.PutRaw(kMagic);
  w.PutString("none");  // cipher
  w.PutString("none");  // kdf
  w.PutString("");      // kdf options
  w.PutU32(1);          // number of keys
  w.PutString(key.wire());
  const size_t private_section = w.BeginString();
  const size_t private_start = w.size();
  w.PutU32(check);
  w.PutU32(check);
  w.PutString("ssh-ed25519");
  w.PutString(public_key);
  const size_t secret = w.BeginString();  // seed || public key
  w.PutRaw(seed.Reveal());
  w.PutRaw(public_key);
  w.EndString(secret);
  w.PutString(comment);
  for (uint8_t pad = 1; (w.size() - private_start) % kBlockSize != 0; ++pad) w.PutU8(pad);
  w.EndString(private_section);
  RETURN_IF_ERROR(w.status());
  WipedString raw(std::move(w).Take());
  WipedString b64(crypto::Base64Encode(raw.get()));

  std::string pem;
  pem.reserve(kBegin.size() + kEnd.size() + b64.get().size() + b64.get().size() / kLineWidth + 8);
  pem.append(kBegin).push_back('\n');
  for (size_t i = 0; i < b64.get().size(); i += kLineWidth) {
    pem.append(b64.get(), i, kLineWidth).push_back('\n');
  }
  pem.append(kEnd).push_back('\n');
  return SecretString(std::move(pem));
}

absl::StatusOr<OpenSshEd25519PrivateKey> ParseOpenSshEd25519PrivateKey(const SecretString& file) {
  if (file.size() > kMaxFileSize) return absl::InvalidArgumentError("private key file too large");
  std::string_view text = AsStd(absl::StripAsciiWhitespace(AsAbsl(file.Reveal())));
  if (text.size() < kBegin.size() + kEnd.size() || text.substr(0, kBegin.size()) != kBegin ||
      text.substr(text.size() - kEnd.size()) != kEnd) {
    return absl::InvalidArgumentError("not an OpenSSH private key file");
  }
  text = text.substr(kBegin.size(), text.size() - kBegin.size() - kEnd.size());
  WipedString b64;
  b64.get().reserve(text.size());
  for (char c : text) {
    if (c != '\n' && c != '\r') b64.get().push_back(c);
  }
  absl::StatusOr<std::string> decoded = crypto::Base64Decode(b64.get());
  if (!decoded.ok()) return absl::InvalidArgumentError("private key file is not valid base64");
  WipedString raw(*std::move(decoded));

  SshReader reader(raw.get());
  ASSIGN_OR_RETURN(std::string_view magic, reader.ReadBytes(kMagic.size(), "key file magic"));
  if (magic != kMagic) return absl::InvalidArgumentError("not an openssh-key-v1 file");
  ASSIGN_OR_RETURN(std::string_view cipher, reader.ReadCString("cipher name", 64));
  ASSIGN_OR_RETURN(std::string_view kdf, reader.ReadCString("kdf name", 64));
  ASSIGN_OR_RETURN(std::string_view kdf_options, reader.ReadString("kdf options", 1024));
  if (cipher != "none" || kdf != "none" || !kdf_options.empty()) {
    return absl::InvalidArgumentError("encrypted private keys are not supported");
  }
  ASSIGN_OR_RETURN(uint32_t count, reader.ReadU32("number of keys"));
  if (count != 1) return absl::InvalidArgumentError("key file must hold exactly one key");
  ASSIGN_OR_RETURN(std::string_view public_blob, reader.ReadString("public key"));
  ASSIGN_OR_RETURN(SshPublicKey key, SshPublicKey::FromWire(public_blob));
  if (key.type() != SshKeyType::kEd25519) {
    return absl::InvalidArgumentError("only Ed25519 private keys are supported");
  }
  ASSIGN_OR_RETURN(SshReader priv, reader.ReadNested("private section"));
  RETURN_IF_ERROR(reader.ExpectEnd("the key file"));
  if (priv.remaining() % kBlockSize != 0) {
    return absl::InvalidArgumentError("private section is not a whole number of blocks");
  }
  ASSIGN_OR_RETURN(uint32_t check1, priv.ReadU32("check value"));
  ASSIGN_OR_RETURN(uint32_t check2, priv.ReadU32("check value"));
  if (check1 != check2) return absl::InvalidArgumentError("check values differ");
  ASSIGN_OR_RETURN(std::string_view type, priv.ReadCString("private key type", 64));
  if (type != "ssh-ed25519") {
    return absl::InvalidArgumentError("only Ed25519 private keys are supported");
  }
  ASSIGN_OR_RETURN(std::string_view pk, priv.ReadString("Ed25519 public key", 64));
  ASSIGN_OR_RETURN(std::string_view sk, priv.ReadString("Ed25519 private key", 128));
  ASSIGN_OR_RETURN(std::string_view comment, priv.ReadCString("key comment", 1024));
  SshReader expected_public(key.key_fields());
  ASSIGN_OR_RETURN(std::string_view outer_pk, expected_public.ReadString("public key"));
  if (pk != outer_pk || sk.size() != 64 || sk.substr(32) != pk) {
    return absl::InvalidArgumentError("private key does not match its public key");
  }
  for (uint8_t expected = 1; !priv.empty(); ++expected) {
    ASSIGN_OR_RETURN(uint8_t pad, priv.ReadU8("padding"));
    if (pad != expected) return absl::InvalidArgumentError("bad padding in private section");
  }
  SecretString seed(sk.substr(0, 32));
  ASSIGN_OR_RETURN(std::string derived, crypto::Ed25519PublicKeyFromSeed(seed));
  if (derived != pk) return absl::InvalidArgumentError("private key does not match its public key");
  return OpenSshEd25519PrivateKey{std::move(seed), std::move(key), std::string(comment)};
}

}  // namespace jit::ssh
