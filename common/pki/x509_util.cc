#include "common/pki/x509_util.h"

#include <openssl/core_names.h>

#include <ctime>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/pki/der.h"

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
    if (X509_NAME_add_entry_by_NID(name.get(), NID_organizationName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(o.data()),
                                   static_cast<int>(o.size()), -1, 0) != 1) {
      return OpenSslError("building subject O", absl::StatusCode::kInvalidArgument);
    }
  }
  if (X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
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
  return EVP_PKEY_is_a(key, "ED25519") ? nullptr : FetchedSha256();
}

absl::StatusOr<std::string> BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return OpenSslError("reading key parameter");
  crypto::BignumPtr owned(bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

const EVP_MD* FetchedSha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

absl::StatusOr<PublicKeyInfo> SubjectPublicKeyInfo(EVP_PKEY* key) {
  PublicKeyInfo out;
  std::string algorithm;
  if (EVP_PKEY_is_a(key, "ED25519")) {
    unsigned char pk[32];
    size_t len = sizeof(pk);
    if (EVP_PKEY_get_raw_public_key(key, pk, &len) != 1 || len != sizeof(pk)) {
      return OpenSslError("reading Ed25519 public key");
    }
    out.key_bits.assign(reinterpret_cast<char*>(pk), len);
    algorithm = der::Sequence(der::Oid(NID_ED25519));
  } else if (EVP_PKEY_is_a(key, "EC")) {
    char group[64];
    size_t group_len = 0;
    unsigned char point[1 + 2 * 66];
    size_t point_len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len) != 1 ||
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                        sizeof(point), &point_len) != 1) {
      return OpenSslError("reading EC public key");
    }
    const int curve = OBJ_sn2nid(group);
    if (curve == NID_undef) return absl::InvalidArgumentError("unknown EC curve");
    out.key_bits.assign(reinterpret_cast<char*>(point), point_len);
    algorithm = der::Sequence(der::Oid(NID_X9_62_id_ecPublicKey) + der::Oid(curve));
  } else if (EVP_PKEY_is_a(key, "RSA")) {
    absl::StatusOr<std::string> n = BnParam(key, OSSL_PKEY_PARAM_RSA_N);
    if (!n.ok()) return n.status();
    absl::StatusOr<std::string> e = BnParam(key, OSSL_PKEY_PARAM_RSA_E);
    if (!e.ok()) return e.status();
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    out.key_bits = der::Sequence(der::UnsignedInteger(*n) + der::UnsignedInteger(*e));
    algorithm = der::Sequence(der::Oid(NID_rsaEncryption) + der::Tlv(der::kNull, ""));
  } else {
    return absl::InvalidArgumentError("public key type not supported in certificates");
  }
  out.spki_der = der::Sequence(algorithm + der::BitString(out.key_bits));
  return out;
}

absl::StatusOr<std::string> SignatureAlgorithmDer(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "ED25519")) return der::Sequence(der::Oid(NID_ED25519));
  if (EVP_PKEY_is_a(key, "EC")) return der::Sequence(der::Oid(NID_ecdsa_with_SHA256));
  if (EVP_PKEY_is_a(key, "RSA")) {
    return der::Sequence(der::Oid(NID_sha256WithRSAEncryption) + der::Tlv(der::kNull, ""));
  }
  return absl::InvalidArgumentError("CA key type not supported");
}

absl::StatusOr<std::string> SignTbs(EVP_PKEY* key, std::string_view tbs) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(key), nullptr, key) != 1) {
    return OpenSslError("signature init");
  }
  size_t len = static_cast<size_t>(EVP_PKEY_get_size(key));
  std::string value(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(value.data()), &len,
                     reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()) != 1) {
    return OpenSslError("signing");
  }
  value.resize(len);
  return value;
}

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
