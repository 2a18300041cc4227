#include "common/pki/client_cert.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/pki/csr.h"
#include "common/pki/x509_util.h"

namespace jit::pki {
namespace {

using crypto::OpenSslError;

using BasicConstraintsPtr = crypto::OpenSslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using Asn1BitStringPtr = crypto::OpenSslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using AuthorityKeyIdPtr = crypto::OpenSslPtr<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using ExtendedKeyUsagePtr = crypto::OpenSslPtr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
void FreeSequenceAny(ASN1_SEQUENCE_ANY* s) { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
using Asn1SequenceAnyPtr = crypto::OpenSslPtr<ASN1_SEQUENCE_ANY, FreeSequenceAny>;

void AppendDerLength(std::string& out, size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<char>(len));
    return;
  }
  char bytes[8];
  int n = 0;
  for (size_t v = len; v != 0; v >>= 8) bytes[n++] = static_cast<char>(v & 0xff);
  out.push_back(static_cast<char>(0x80 | n));
  while (n > 0) out.push_back(bytes[--n]);
}

void AppendDer(std::string& out, uint8_t tag, std::string_view content) {
  out.push_back(static_cast<char>(tag));
  AppendDerLength(out, content.size());
  out.append(content.data(), content.size());
}

// SEQUENCE OF UTF8String.
std::string Utf8Sequence(const std::vector<std::string>& values) {
  std::string content;
  for (const std::string& v : values) AppendDer(content, V_ASN1_UTF8STRING, v);
  std::string out;
  AppendDer(out, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, content);
  return out;
}

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
  if (value.empty() || HasControlCharacters(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " must be non-empty text without control characters"));
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

absl::Status AddExtensions(X509* cert, const CertificateAuthority& ca,
                           const ClientCertificateRequest& request) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (bc == nullptr ||
      X509_add1_ext_i2d(cert, NID_basic_constraints, bc.get(), 1, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding basicConstraints");
  }
  Asn1BitStringPtr usage(ASN1_BIT_STRING_new());
  if (usage == nullptr || ASN1_BIT_STRING_set_bit(usage.get(), 0, 1) != 1 ||  // digitalSignature
      X509_add1_ext_i2d(cert, NID_key_usage, usage.get(), 1, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding keyUsage");
  }
  ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  if (eku == nullptr || sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_client_auth)) == 0 ||
      X509_add1_ext_i2d(cert, NID_ext_key_usage, eku.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding extendedKeyUsage");
  }
  // Subject key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1).
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  crypto::Asn1OctetStringPtr ski(ASN1_OCTET_STRING_new());
  if (X509_pubkey_digest(cert, EVP_sha1(), md, &md_len) != 1 || ski == nullptr ||
      ASN1_OCTET_STRING_set(ski.get(), md, static_cast<int>(md_len)) != 1 ||
      X509_add1_ext_i2d(cert, NID_subject_key_identifier, ski.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding subjectKeyIdentifier");
  }
  const ASN1_OCTET_STRING* ca_ski = X509_get0_subject_key_id(ca.cert.get());
  crypto::Asn1OctetStringPtr computed_ca_ski;
  if (ca_ski == nullptr) {
    if (X509_pubkey_digest(ca.cert.get(), EVP_sha1(), md, &md_len) != 1) {
      return OpenSslError("CA key identifier");
    }
    computed_ca_ski.reset(ASN1_OCTET_STRING_new());
    if (computed_ca_ski == nullptr ||
        ASN1_OCTET_STRING_set(computed_ca_ski.get(), md, static_cast<int>(md_len)) != 1) {
      return OpenSslError("CA key identifier");
    }
    ca_ski = computed_ca_ski.get();
  }
  AuthorityKeyIdPtr aki(AUTHORITY_KEYID_new());
  if (aki == nullptr || (aki->keyid = ASN1_OCTET_STRING_dup(ca_ski)) == nullptr ||
      X509_add1_ext_i2d(cert, NID_authority_key_identifier, aki.get(), 0, X509V3_ADD_DEFAULT) !=
          1) {
    return OpenSslError("adding authorityKeyIdentifier");
  }
  std::string content = Utf8Sequence(request.roles) + Utf8Sequence(request.grant_ids);
  std::string value;
  AppendDer(value, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, content);
  crypto::Asn1OctetStringPtr octets(ASN1_OCTET_STRING_new());
  if (JitAccessOid() == nullptr || octets == nullptr ||
      ASN1_OCTET_STRING_set(octets.get(), reinterpret_cast<const unsigned char*>(value.data()),
                            static_cast<int>(value.size())) != 1) {
    return OpenSslError("building the jit-access extension");
  }
  crypto::X509ExtensionPtr ext(
      X509_EXTENSION_create_by_OBJ(nullptr, JitAccessOid(), 0, octets.get()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError("adding the jit-access extension");
  }
  return absl::OkStatus();
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

  crypto::X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("X509_new");
  }
  absl::StatusOr<std::string> serial = internal::SetRandomSerial(cert.get());
  if (!serial.ok()) return serial.status();
  if (absl::Status s = internal::SetValidity(cert.get(), not_before, not_after); !s.ok()) {
    return s;
  }
  absl::StatusOr<crypto::X509NamePtr> subject =
      internal::MakeName(request.organizations, request.common_name);
  if (!subject.ok()) return subject.status();
  if (X509_set_subject_name(cert.get(), subject->get()) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert.get())) != 1 ||
      X509_set_pubkey(cert.get(), request.public_key) != 1) {
    return OpenSslError("setting names and key");
  }
  if (absl::Status s = AddExtensions(cert.get(), ca, request); !s.ok()) return s;
  if (absl::Status s = internal::SignCertificate(cert.get(), ca.key.get()); !s.ok()) return s;

  unsigned char* der = nullptr;
  const int der_len = i2d_X509(cert.get(), &der);
  if (der_len <= 0) return OpenSslError("encoding certificate");
  IssuedClientCertificate out;
  out.der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  out.pem = DerToPem(out.der);
  out.serial_hex = *std::move(serial);
  out.not_before = not_before;
  out.not_after = not_after;
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
