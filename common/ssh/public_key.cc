#include "common/ssh/public_key.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/status_macros.h"

namespace jit::ssh {
namespace {

using OsslParamBldPtr = crypto::OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = crypto::OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;

constexpr size_t kEd25519KeySize = 32;

struct EcCurve {
  SshKeyType type;
  std::string_view ssh_name;      // "nistp256"
  std::string_view openssl_name;  // "P-256"
  size_t coordinate_size;
  int bits;
};

constexpr std::array<EcCurve, 3> kCurves = {{
    {SshKeyType::kEcdsaP256, "nistp256", "P-256", 32, 256},
    {SshKeyType::kEcdsaP384, "nistp384", "P-384", 48, 384},
    {SshKeyType::kEcdsaP521, "nistp521", "P-521", 66, 521},
}};

const EcCurve* CurveOf(SshKeyType type) {
  for (const EcCurve& c : kCurves) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

// A type name quoted for an error message: bounded and escaped (it came from the caller).
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = absl::CHexEscape(AsAbsl(s.substr(0, kMax)));
  if (s.size() > kMax) out += "...";
  return absl::StrCat("\"", out, "\"");
}

int BitLength(std::string_view magnitude) {
  if (magnitude.empty()) return 0;
  int top = 0;
  for (uint8_t b = static_cast<uint8_t>(magnitude[0]); b != 0; b >>= 1) ++top;
  return static_cast<int>((magnitude.size() - 1) * 8) + top;
}

absl::StatusOr<crypto::EvpPkeyPtr> EcKeyFromPoint(const EcCurve& curve, std::string_view point) {
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      curve.openssl_name.data(), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return crypto::OpenSslError("building EC key parameters");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return crypto::OpenSslError("EC key from data");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat("ECDSA public key is not a point on ", AsAbsl(curve.openssl_name)));
  }
  return crypto::EvpPkeyPtr(raw);
}

absl::StatusOr<crypto::EvpPkeyPtr> RsaKeyFromNumbers(std::string_view e, std::string_view n) {
  crypto::BignumPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                                   static_cast<int>(e.size()), nullptr));
  crypto::BignumPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                                   static_cast<int>(n.size()), nullptr));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bn_e == nullptr || bn_n == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return crypto::OpenSslError("building RSA key parameters");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return crypto::OpenSslError("RSA key from data");
  }
  return crypto::EvpPkeyPtr(raw);
}

std::string BnBytes(const BIGNUM* bn) {
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

absl::StatusOr<std::string> BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    return crypto::OpenSslError(absl::StrCat("reading key parameter ", name));
  }
  crypto::BignumPtr owned(bn);
  return BnBytes(bn);
}

}  // namespace

// Builds keys from validated fields; a friend of SshPublicKey.
class SshPublicKeyParser {
 public:
  static SshPublicKey Make(SshKeyType type, std::string_view fields, int bits) {
    SshWriter w;
    const std::string_view name = SshKeyTypeName(type);
    w.Reserve(4 + name.size() + fields.size());
    w.PutString(name);
    const size_t offset = w.size();
    w.PutRaw(fields);
    return SshPublicKey(type, std::move(w).Take(), offset, bits);
  }
};

std::string_view SshKeyTypeName(SshKeyType type) {
  switch (type) {
    case SshKeyType::kEd25519:
      return "ssh-ed25519";
    case SshKeyType::kEcdsaP256:
      return "ecdsa-sha2-nistp256";
    case SshKeyType::kEcdsaP384:
      return "ecdsa-sha2-nistp384";
    case SshKeyType::kEcdsaP521:
      return "ecdsa-sha2-nistp521";
    case SshKeyType::kRsa:
      return "ssh-rsa";
  }
  return "unknown";
}

std::string_view SshCertTypeName(SshKeyType type) {
  switch (type) {
    case SshKeyType::kEd25519:
      return "ssh-ed25519-cert-v01@openssh.com";
    case SshKeyType::kEcdsaP256:
      return "ecdsa-sha2-nistp256-cert-v01@openssh.com";
    case SshKeyType::kEcdsaP384:
      return "ecdsa-sha2-nistp384-cert-v01@openssh.com";
    case SshKeyType::kEcdsaP521:
      return "ecdsa-sha2-nistp521-cert-v01@openssh.com";
    case SshKeyType::kRsa:
      return "ssh-rsa-cert-v01@openssh.com";
  }
  return "unknown";
}

absl::StatusOr<SshPublicKey> ReadKeyFields(std::string_view type_name, SshReader& reader,
                                           const SshKeyParseOptions& options) {
  const std::string_view before = reader.rest();
  auto consumed = [&] { return before.substr(0, before.size() - reader.rest().size()); };

  if (type_name == "ssh-ed25519") {
    ASSIGN_OR_RETURN(std::string_view pk, reader.ReadString("Ed25519 public key", 64));
    if (pk.size() != kEd25519KeySize) {
      return absl::InvalidArgumentError(
          absl::StrCat("Ed25519 public key must be 32 bytes, not ", pk.size()));
    }
    return SshPublicKeyParser::Make(SshKeyType::kEd25519, consumed(), 256);
  }
  for (const EcCurve& curve : kCurves) {
    if (type_name != SshKeyTypeName(curve.type)) continue;
    ASSIGN_OR_RETURN(std::string_view curve_name, reader.ReadString("ECDSA curve name", 64));
    if (curve_name != curve.ssh_name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ECDSA curve ", Quote(curve_name), " does not match key type ", AsAbsl(type_name)));
    }
    ASSIGN_OR_RETURN(std::string_view point, reader.ReadString("ECDSA public point", 256));
    if (point.size() != 1 + 2 * curve.coordinate_size || point[0] != '\x04') {
      return absl::InvalidArgumentError(absl::StrCat("ECDSA public point must be an uncompressed ",
                                                     AsAbsl(curve.openssl_name), " point of ",
                                                     1 + 2 * curve.coordinate_size, " bytes"));
    }
    RETURN_IF_ERROR(EcKeyFromPoint(curve, point).status());
    return SshPublicKeyParser::Make(curve.type, consumed(), curve.bits);
  }
  if (type_name == "ssh-rsa") {
    ASSIGN_OR_RETURN(std::string_view e, reader.ReadPositiveMpint("RSA exponent"));
    ASSIGN_OR_RETURN(std::string_view n, reader.ReadPositiveMpint("RSA modulus"));
    const int bits = BitLength(n);
    if (bits < options.min_rsa_bits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RSA key of ", bits, " bits is shorter than the minimum of ", options.min_rsa_bits));
    }
    if (bits > kMaxRsaBits) {
      return absl::InvalidArgumentError(
          absl::StrCat("RSA key of ", bits, " bits is longer than the maximum of ", kMaxRsaBits));
    }
    if ((static_cast<uint8_t>(n.back()) & 1) == 0) {
      return absl::InvalidArgumentError("RSA modulus is even");
    }
    if (e.empty() || (static_cast<uint8_t>(e.back()) & 1) == 0 ||
        (e.size() == 1 && static_cast<uint8_t>(e[0]) < 3) || BitLength(e) > 64) {
      return absl::InvalidArgumentError("RSA exponent must be odd, at least 3 and at most 64 bits");
    }
    return SshPublicKeyParser::Make(SshKeyType::kRsa, consumed(), bits);
  }
  if (type_name == "ssh-dss") {
    return absl::InvalidArgumentError("DSA keys (ssh-dss) are not accepted");
  }
  if (absl::EndsWith(AsAbsl(type_name), "-cert-v01@openssh.com")) {
    return absl::InvalidArgumentError(
        absl::StrCat("a certificate (", Quote(type_name), ") is not a public key"));
  }
  if (absl::StartsWith(AsAbsl(type_name), "sk-")) {
    return absl::InvalidArgumentError(
        absl::StrCat("security-key type ", Quote(type_name), " is not supported"));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown key type ", Quote(type_name)));
}

absl::StatusOr<SshPublicKey> SshPublicKey::FromWire(std::string_view blob,
                                                    const SshKeyParseOptions& options) {
  SshReader reader(blob);
  ASSIGN_OR_RETURN(std::string_view type_name, reader.ReadCString("key type", 256));
  ASSIGN_OR_RETURN(SshPublicKey key, ReadKeyFields(type_name, reader, options));
  RETURN_IF_ERROR(reader.ExpectEnd("the public key"));
  return key;
}

absl::StatusOr<KeyLine> SplitKeyLine(std::string_view line) {
  if (line.size() > kMaxPublicKeyLineSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key line of ", line.size(), " bytes is longer than the limit of ", kMaxPublicKeyLineSize));
  }
  line = AsStd(absl::StripAsciiWhitespace(AsAbsl(line)));
  if (line.find_first_of("\r\n") != std::string_view::npos) {
    return absl::InvalidArgumentError("key spans more than one line");
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  size_t end = 0;
  while (end < line.size() && !is_space(line[end])) ++end;
  const std::string_view type_word = line.substr(0, end);
  while (end < line.size() && is_space(line[end])) ++end;
  size_t b64_end = end;
  while (b64_end < line.size() && !is_space(line[b64_end])) ++b64_end;
  const std::string_view b64 = line.substr(end, b64_end - end);
  if (type_word.empty()) return absl::InvalidArgumentError("key is empty");
  if (b64.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("key ", Quote(type_word), " has no key data"));
  }
  absl::StatusOr<std::string> blob = crypto::Base64Decode(b64);
  if (!blob.ok()) return absl::InvalidArgumentError("key data is not valid base64");
  return KeyLine{std::string(type_word), *std::move(blob),
                 std::string(absl::StripAsciiWhitespace(AsAbsl(line.substr(b64_end))))};
}

absl::StatusOr<SshPublicKey> SshPublicKey::FromLine(std::string_view line,
                                                    const SshKeyParseOptions& options,
                                                    std::string* comment) {
  ASSIGN_OR_RETURN(KeyLine parts, SplitKeyLine(line));
  ASSIGN_OR_RETURN(SshPublicKey key, FromWire(parts.blob, options));
  if (parts.type_word != key.type_name()) {
    return absl::InvalidArgumentError(absl::StrCat("key type word ", Quote(parts.type_word),
                                                   " does not match the key's type ",
                                                   AsAbsl(key.type_name())));
  }
  if (comment != nullptr) *comment = std::move(parts.comment);
  return key;
}

absl::StatusOr<SshPublicKey> SshPublicKey::FromEd25519(std::string_view public_key) {
  if (public_key.size() != kEd25519KeySize) {
    return absl::InvalidArgumentError("Ed25519 public key must be 32 bytes");
  }
  SshWriter fields;
  fields.PutString(public_key);
  return SshPublicKeyParser::Make(SshKeyType::kEd25519, fields.view(), 256);
}

absl::StatusOr<SshPublicKey> SshPublicKey::FromEvpPkey(EVP_PKEY* key,
                                                       const SshKeyParseOptions& options) {
  if (key == nullptr) return absl::InvalidArgumentError("no key");
  if (EVP_PKEY_is_a(key, "ED25519")) {
    std::string pk(kEd25519KeySize, '\0');
    size_t len = pk.size();
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pk.data()), &len) != 1 ||
        len != kEd25519KeySize) {
      return crypto::OpenSslError("reading Ed25519 public key");
    }
    return FromEd25519(pk);
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64];
    size_t group_len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len) != 1) {
      return crypto::OpenSslError("reading EC group", absl::StatusCode::kInvalidArgument);
    }
    const std::string_view group_name(group, group_len);
    const EcCurve* curve = nullptr;
    for (const EcCurve& c : kCurves) {
      const bool match = group_name == c.openssl_name ||
                         (c.type == SshKeyType::kEcdsaP256 && group_name == "prime256v1") ||
                         (c.type == SshKeyType::kEcdsaP384 && group_name == "secp384r1") ||
                         (c.type == SshKeyType::kEcdsaP521 && group_name == "secp521r1");
      if (match) curve = &c;
    }
    if (curve == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("EC curve ", Quote(group_name), " is not supported"));
    }
    ASSIGN_OR_RETURN(std::string x, BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X));
    ASSIGN_OR_RETURN(std::string y, BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y));
    if (x.size() > curve->coordinate_size || y.size() > curve->coordinate_size) {
      return absl::InvalidArgumentError("EC coordinate too large");
    }
    std::string point(1 + 2 * curve->coordinate_size, '\0');
    point[0] = '\x04';
    point.replace(1 + curve->coordinate_size - x.size(), x.size(), x);
    point.replace(1 + 2 * curve->coordinate_size - y.size(), y.size(), y);
    SshWriter fields;
    fields.PutString(curve->ssh_name);
    fields.PutString(point);
    return FromWire(SshPublicKeyParser::Make(curve->type, fields.view(), curve->bits).wire(),
                    options);
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    ASSIGN_OR_RETURN(std::string n, BnParam(key, OSSL_PKEY_PARAM_RSA_N));
    ASSIGN_OR_RETURN(std::string e, BnParam(key, OSSL_PKEY_PARAM_RSA_E));
    SshWriter fields;
    fields.PutPositiveMpint(e);
    fields.PutPositiveMpint(n);
    return FromWire(SshPublicKeyParser::Make(SshKeyType::kRsa, fields.view(), 0).wire(), options);
  }
  return absl::InvalidArgumentError("key type is not supported for SSH");
}

std::string SshPublicKey::ToLine(std::string_view comment) const {
  std::string line = absl::StrCat(AsAbsl(type_name()), " ", crypto::Base64Encode(wire_));
  if (!comment.empty()) absl::StrAppend(&line, " ", AsAbsl(comment));
  return line;
}

std::string SshPublicKey::Fingerprint() const {
  return absl::StrCat("SHA256:", crypto::Base64Encode(crypto::Sha256String(wire_),
                                                      crypto::Base64Padding::kWithout));
}

std::string_view SshPublicKey::key_fields() const {
  return std::string_view(wire_).substr(fields_offset_);
}

absl::StatusOr<crypto::EvpPkeyPtr> SshPublicKey::ToEvpPkey() const {
  SshReader reader(key_fields());
  switch (type_) {
    case SshKeyType::kEd25519: {
      ASSIGN_OR_RETURN(std::string_view pk, reader.ReadString("Ed25519 public key"));
      crypto::EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(
          EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(pk.data()), pk.size()));
      if (key == nullptr) return crypto::OpenSslError("Ed25519 key from bytes");
      return key;
    }
    case SshKeyType::kEcdsaP256:
    case SshKeyType::kEcdsaP384:
    case SshKeyType::kEcdsaP521: {
      ASSIGN_OR_RETURN(std::string_view curve_name, reader.ReadString("ECDSA curve name"));
      (void)curve_name;
      ASSIGN_OR_RETURN(std::string_view point, reader.ReadString("ECDSA public point"));
      return EcKeyFromPoint(*CurveOf(type_), point);
    }
    case SshKeyType::kRsa: {
      ASSIGN_OR_RETURN(std::string_view e, reader.ReadPositiveMpint("RSA exponent"));
      ASSIGN_OR_RETURN(std::string_view n, reader.ReadPositiveMpint("RSA modulus"));
      return RsaKeyFromNumbers(e, n);
    }
  }
  return absl::InternalError("unknown key type");
}

}  // namespace jit::ssh
