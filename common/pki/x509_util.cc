#include "common/pki/x509_util.h"

#include <ctime>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"

namespace jit::pki::internal {

using crypto::OpenSslError;

absl::StatusOr<std::string> SetRandomSerial(X509* cert) {
  absl::StatusOr<std::string> bytes = crypto::RandomBytes(16);
  if (!bytes.ok()) return bytes.status();
  (*bytes)[0] = static_cast<char>((*bytes)[0] & 0x7f);  // positive
  (*bytes)[0] = static_cast<char>((*bytes)[0] | 0x01);  // non-zero, 16 bytes long
  crypto::BignumPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes->data()),
                                 static_cast<int>(bytes->size()), nullptr));
  if (bn == nullptr || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("setting serial number");
  }
  return absl::BytesToHexString(*bytes);
}

absl::Status SetValidity(X509* cert, absl::Time not_before, absl::Time not_after) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(not_after)) == nullptr) {
    return OpenSslError("setting validity");
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::X509NamePtr> MakeName(const std::vector<std::string>& organizations,
                                             const std::string& common_name) {
  crypto::X509NamePtr name(X509_NAME_new());
  if (name == nullptr) return OpenSslError("X509_NAME_new");
  for (const std::string& o : organizations) {
    if (X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(o.data()),
                                   static_cast<int>(o.size()), -1, 0) != 1) {
      return OpenSslError("building subject O", absl::StatusCode::kInvalidArgument);
    }
  }
  if (X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return OpenSslError("building subject CN", absl::StatusCode::kInvalidArgument);
  }
  return name;
}

absl::Status AddConfExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  crypto::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(absl::StrCat("adding extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

namespace {
const EVP_MD* DigestFor(EVP_PKEY* key) {
  return EVP_PKEY_is_a(key, "ED25519") ? nullptr : EVP_sha256();
}
}  // namespace

absl::Status SignCertificate(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, DigestFor(key)) == 0) return OpenSslError("signing certificate");
  return absl::OkStatus();
}

absl::Status SignCrl(X509_CRL* crl, EVP_PKEY* key) {
  if (X509_CRL_sign(crl, key, DigestFor(key)) == 0) return OpenSslError("signing CRL");
  return absl::OkStatus();
}

absl::Time Asn1ToTime(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

std::string SerialHex(const ASN1_INTEGER* serial) {
  crypto::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) return "";
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  return absl::BytesToHexString(bytes);
}

absl::StatusOr<crypto::Asn1IntegerPtr> SerialFromHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 40 || hex.size() % 2 != 0) {
    return absl::InvalidArgumentError("a serial is 2 to 40 hex digits (an even number)");
  }
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("a serial is 2 to 40 hex digits (an even number)");
    }
  }
  const std::string bytes = absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
  crypto::BignumPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()), nullptr));
  if (bn == nullptr) return OpenSslError("serial");
  if (BN_is_zero(bn.get())) return absl::InvalidArgumentError("serial must not be 0");
  crypto::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr) return OpenSslError("serial");
  return serial;
}

}  // namespace jit::pki::internal
