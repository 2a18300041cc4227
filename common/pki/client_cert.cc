#include "common/pki/client_cert.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/crypto/random.h"
#include "common/pki/csr.h"
#include "common/pki/der.h"
#include "common/pki/x509_util.h"

namespace jit::pki {
namespace {

using crypto::OpenSslError;

void FreeSequenceAny(ASN1_SEQUENCE_ANY* s) { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
using Asn1SequenceAnyPtr = crypto::OpenSslPtr<ASN1_SEQUENCE_ANY, FreeSequenceAny>;

const ASN1_OBJECT* JitAccessOid() {
  static const ASN1_OBJECT* oid = OBJ_txt2obj(kJitAccessExtensionOid, 1);
  return oid;
}

bool HasControlCharacters(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

absl::Status CheckName(std::string_view what, const std::string& value) {
  if (value.empty() || HasControlCharacters(value) || !der::IsValidUtf8(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(what), " must be non-empty UTF-8 text without control characters"));
  }
  // Characters, not bytes: count UTF-8 lead bytes.
  const size_t chars = static_cast<size_t>(std::count_if(value.begin(), value.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
  if (chars > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " is longer than ", kMaxNameLength, " characters"));
  }
  return absl::OkStatus();
}

// The DER pieces that are the same for every certificate, made once.
struct Constants {
  std::string version = der::Tlv(0xa0, der::UnsignedInteger("\x02"));  // [0] EXPLICIT v3
  std::string cn = der::Oid(NID_commonName);
  std::string o = der::Oid(NID_organizationName);
  std::string extensions_prefix;
  Constants() {
    const std::string critical = der::Tlv(der::kBoolean, "\xff");
    // basicConstraints (critical): cA FALSE is the DEFAULT, so an empty SEQUENCE.
    extensions_prefix += der::Sequence(der::Oid(NID_basic_constraints) + critical +
                                       der::Tlv(der::kOctetString, der::Sequence("")));
    // keyUsage (critical): digitalSignature only: 7 unused bits, 0x80.
    extensions_prefix +=
        der::Sequence(der::Oid(NID_key_usage) + critical +
                      der::Tlv(der::kOctetString, der::Tlv(der::kBitString, "\x07\x80")));
    // extendedKeyUsage: clientAuth.
    extensions_prefix +=
        der::Sequence(der::Oid(NID_ext_key_usage) +
                      der::Tlv(der::kOctetString, der::Sequence(der::Oid(NID_client_auth))));
  }
};

const Constants& K() {
  static const Constants* k = new Constants();
  return *k;
}

// SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1), SHA-1 fetched once.
absl::StatusOr<std::string> KeyIdentifier(std::string_view key_bits) {
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (sha1 == nullptr ||
      EVP_Digest(key_bits.data(), key_bits.size(), md, &len, sha1, nullptr) != 1) {
    return OpenSslError("key identifier");
  }
  return std::string(reinterpret_cast<char*>(md), len);
}

// The CA's key identifier: its subjectKeyIdentifier, or computed like ours.
absl::StatusOr<std::string> CaKeyIdentifier(X509* ca) {
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(ca); ski != nullptr) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
                       static_cast<size_t>(ASN1_STRING_length(ski)));
  }
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(ca);
  if (bits == nullptr) return absl::InternalError("CA certificate without a public key");
  return KeyIdentifier(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(bits)),
                                        static_cast<size_t>(ASN1_STRING_length(bits))));
}

// SEQUENCE OF UTF8String.
std::string Utf8Sequence(const std::vector<std::string>& values) {
  std::string content;
  for (const std::string& v : values) der::Append(content, der::kUtf8String, v);
  return der::Sequence(content);
}

std::string AttributeSet(const std::string& type_oid, const std::string& value) {
  return der::Tlv(der::kSet, der::Sequence(type_oid + der::Tlv(der::kUtf8String, value)));
}

std::string DerToPem(std::string_view der) {
  const std::string b64 = crypto::Base64Encode(der);
  std::string pem;
  pem.reserve(b64.size() + b64.size() / 64 + 60);
  pem.append("-----BEGIN CERTIFICATE-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) pem.append(b64, i, 64).push_back('\n');
  pem.append("-----END CERTIFICATE-----\n");
  return pem;
}

}  // namespace

absl::StatusOr<IssuedClientCertificate> IssueClientCertificate(
    const CertificateAuthority& ca, const ClientCertificateRequest& request) {
  if (absl::Status s = CheckClientKey(request.public_key); !s.ok()) return s;
  if (absl::Status s = CheckName("common name", request.common_name); !s.ok()) return s;
  if (request.organizations.size() > kMaxOrganizations) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxOrganizations, " organizations (groups)"));
  }
  for (const std::string& o : request.organizations) {
    if (absl::Status s = CheckName("organization (group)", o); !s.ok()) return s;
  }
  for (const auto* list : {&request.roles, &request.grant_ids}) {
    for (const std::string& v : *list) {
      if (v.empty() || v.size() > 256 || HasControlCharacters(v)) {
        return absl::InvalidArgumentError(
            "roles and grant ids must be 1 to 256 bytes without control characters");
      }
    }
  }
  if (request.not_before >= request.not_after) {
    return absl::InvalidArgumentError("not_before must be before not_after");
  }
  const absl::Time not_before =
      std::max(request.not_before, internal::Asn1ToTime(X509_get0_notBefore(ca.cert.get())));
  const absl::Time not_after =
      std::min(request.not_after, internal::Asn1ToTime(X509_get0_notAfter(ca.cert.get())));
  if (not_after <= not_before) {
    return absl::FailedPreconditionError("the CA certificate is not valid for that time");
  }

  // The TBSCertificate, in DER, field by field (RFC 5280 §4.1).
  absl::StatusOr<std::string> serial = crypto::RandomBytes(16);
  if (!serial.ok()) return serial.status();
  (*serial)[0] = static_cast<char>(((*serial)[0] & 0x7f) | 0x01);  // positive, 16 bytes
  absl::StatusOr<internal::PublicKeyInfo> key = internal::SubjectPublicKeyInfo(request.public_key);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ski = KeyIdentifier(key->key_bits);
  if (!ski.ok()) return ski.status();
  absl::StatusOr<std::string> aki = CaKeyIdentifier(ca.cert.get());
  if (!aki.ok()) return aki.status();
  unsigned char* issuer = nullptr;
  const int issuer_len = i2d_X509_NAME(X509_get_subject_name(ca.cert.get()), &issuer);
  if (issuer_len <= 0) return OpenSslError("encoding the issuer name");
  std::string issuer_der(reinterpret_cast<char*>(issuer), static_cast<size_t>(issuer_len));
  OPENSSL_free(issuer);

  const Constants& k = K();
  std::string subject;
  for (const std::string& o : request.organizations) subject += AttributeSet(k.o, o);
  subject += AttributeSet(k.cn, request.common_name);
  std::string extensions = k.extensions_prefix;
  extensions += der::Sequence(der::Oid(NID_subject_key_identifier) +
                              der::Tlv(der::kOctetString, der::Tlv(der::kOctetString, *ski)));
  extensions += der::Sequence(
      der::Oid(NID_authority_key_identifier) +
      der::Tlv(der::kOctetString, der::Sequence(der::Tlv(0x80, *aki))));  // [0] keyIdentifier
  static const std::string* jit_oid = new std::string(der::OidFromText(kJitAccessExtensionOid));
  extensions += der::Sequence(
      *jit_oid + der::Tlv(der::kOctetString, der::Sequence(Utf8Sequence(request.roles) +
                                                           Utf8Sequence(request.grant_ids))));

  absl::StatusOr<std::string> algorithm = internal::SignatureAlgorithmDer(ca.key.get());
  if (!algorithm.ok()) return algorithm.status();
  std::string tbs_content;
  tbs_content.reserve(512 + key->spki_der.size() + extensions.size() + subject.size());
  tbs_content += k.version;
  tbs_content += der::UnsignedInteger(*serial);
  tbs_content += *algorithm;
  tbs_content += issuer_der;
  tbs_content += der::Sequence(der::Time(not_before) + der::Time(not_after));
  tbs_content += der::Sequence(subject);
  tbs_content += key->spki_der;
  tbs_content += der::Tlv(0xa3, der::Sequence(extensions));  // [3] EXPLICIT extensions
  const std::string tbs = der::Sequence(tbs_content);
  absl::StatusOr<std::string> signature = internal::SignTbs(ca.key.get(), tbs);
  if (!signature.ok()) return signature.status();

  IssuedClientCertificate out;
  out.der = der::Sequence(tbs + *algorithm + der::BitString(*signature));
  out.pem = DerToPem(out.der);
  out.serial_hex = absl::BytesToHexString(*serial);
  out.not_before = absl::FromUnixSeconds(absl::ToUnixSeconds(not_before));
  out.not_after = absl::FromUnixSeconds(absl::ToUnixSeconds(not_after));
  return out;
}

absl::StatusOr<std::optional<JitAccessGrants>> ReadJitAccessExtension(X509* cert) {
  const int idx = X509_get_ext_by_OBJ(cert, JitAccessOid(), -1);
  if (idx < 0) return std::nullopt;
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  const unsigned char* p = ASN1_STRING_get0_data(data);
  const auto len = static_cast<long>(ASN1_STRING_length(data));  // NOLINT(runtime/int)
  Asn1SequenceAnyPtr outer(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, len));
  if (outer == nullptr || sk_ASN1_TYPE_num(outer.get()) != 2) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("malformed jit-access extension");
  }
  JitAccessGrants grants;
  for (int i = 0; i < 2; ++i) {
    const ASN1_TYPE* t = sk_ASN1_TYPE_value(outer.get(), i);
    if (ASN1_TYPE_get(t) != V_ASN1_SEQUENCE) {
      return absl::InvalidArgumentError("malformed jit-access extension");
    }
    const unsigned char* q = ASN1_STRING_get0_data(t->value.sequence);
    Asn1SequenceAnyPtr list(
        d2i_ASN1_SEQUENCE_ANY(nullptr, &q, ASN1_STRING_length(t->value.sequence)));
    if (list == nullptr) {
      crypto::ClearOpenSslErrors();
      return absl::InvalidArgumentError("malformed jit-access extension");
    }
    for (int j = 0; j < sk_ASN1_TYPE_num(list.get()); ++j) {
      const ASN1_TYPE* v = sk_ASN1_TYPE_value(list.get(), j);
      if (ASN1_TYPE_get(v) != V_ASN1_UTF8STRING) {
        return absl::InvalidArgumentError("malformed jit-access extension");
      }
      (i == 0 ? grants.roles : grants.grant_ids)
          .emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v->value.utf8string)),
                        static_cast<size_t>(ASN1_STRING_length(v->value.utf8string)));
    }
  }
  return grants;
}

}  // namespace jit::pki
