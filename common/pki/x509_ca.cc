#include "common/pki/x509_ca.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/pki/x509_util.h"

namespace jit::pki {
namespace {

using crypto::OpenSslError;

constexpr absl::Duration kBackdate = absl::Minutes(5);

absl::StatusOr<crypto::X509NamePtr> MakeName(const std::string& common_name) {
  return internal::MakeName({"jit-access"}, common_name);
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  return internal::AddConfExtension(cert, issuer, nid, value);
}

bool ValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*')) {
      return false;
    }
  }
  return true;
}

bool ValidUri(std::string_view uri) {
  if (uri.size() < 4 || uri.size() > 2048 || uri.find("://") == std::string_view::npos) {
    return false;
  }
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

absl::Status AddSubjectAltNames(X509* cert, const LeafOptions& options) {
  crypto::GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) return OpenSslError("GENERAL_NAMES");
  auto push_ia5 = [&](int type, const std::string& value) -> absl::Status {
    crypto::GeneralNamePtr gn(GENERAL_NAME_new());
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (gn == nullptr || ia5 == nullptr ||
        ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      return OpenSslError("building SAN");
    }
    GENERAL_NAME_set0_value(gn.get(), type, ia5);
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) return OpenSslError("SAN push");
    gn.release();
    return absl::OkStatus();
  };
  for (const std::string& uri : options.uri_sans) {
    if (!ValidUri(uri)) return absl::InvalidArgumentError("invalid URI SAN: " + uri);
    if (absl::Status s = push_ia5(GEN_URI, uri); !s.ok()) return s;
  }
  for (const std::string& dns : options.dns_sans) {
    if (!ValidDnsName(dns)) return absl::InvalidArgumentError("invalid DNS SAN: " + dns);
    if (absl::Status s = push_ia5(GEN_DNS, dns); !s.ok()) return s;
  }
  for (const std::string& ip : options.ip_sans) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (octets == nullptr) {
      crypto::ClearOpenSslErrors();
      return absl::InvalidArgumentError("invalid IP SAN: " + ip);
    }
    crypto::GeneralNamePtr gn(GENERAL_NAME_new());
    if (gn == nullptr) {
      ASN1_OCTET_STRING_free(octets);
      return OpenSslError("building SAN");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, octets);
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) return OpenSslError("SAN push");
    gn.release();
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) {
    return absl::InvalidArgumentError("a certificate needs at least one subject alternative name");
  }
  // Critical when the subject carries no useful name (RFC 5280 §4.2.1.6); ours has a CN, so
  // not critical.
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding subjectAltName");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BuildLeaf(const CertificateAuthority& ca, EVP_PKEY* public_key,
                                      const LeafOptions& options, absl::Time now) {
  if (options.common_name.empty()) return absl::InvalidArgumentError("common name is required");
  if (options.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("validity must be positive");
  }
  if (!options.server_auth && !options.client_auth) {
    return absl::InvalidArgumentError("certificate needs server or client auth");
  }
  absl::StatusOr<CertificateInfo> ca_info = DescribeCertificate(ca.cert.get());
  if (!ca_info.ok()) return ca_info.status();
  const absl::Time not_before = std::max(now - kBackdate, ca_info->not_before);
  const absl::Time not_after = std::min(now + options.validity, ca_info->not_after);
  if (not_after <= not_before) {
    return absl::FailedPreconditionError("the CA certificate has expired");
  }

  crypto::X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("X509_new");
  }
  if (absl::Status s = internal::SetRandomSerial(cert.get()).status(); !s.ok()) return s;
  if (absl::Status s = internal::SetValidity(cert.get(), not_before, not_after); !s.ok()) {
    return s;
  }
  absl::StatusOr<crypto::X509NamePtr> subject = MakeName(options.common_name);
  if (!subject.ok()) return subject.status();
  if (X509_set_subject_name(cert.get(), subject->get()) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert.get())) != 1 ||
      X509_set_pubkey(cert.get(), public_key) != 1) {
    return OpenSslError("setting names and key");
  }
  std::string eku;
  if (options.server_auth) eku = "serverAuth";
  if (options.client_auth) eku += eku.empty() ? "clientAuth" : ",clientAuth";
  for (const auto& [nid, value] : std::initializer_list<std::pair<int, const char*>>{
           {NID_basic_constraints, "critical,CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature"},
           {NID_ext_key_usage, eku.c_str()},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"},
       }) {
    if (absl::Status s = AddExtension(cert.get(), ca.cert.get(), nid, value); !s.ok()) return s;
  }
  if (absl::Status s = AddSubjectAltNames(cert.get(), options); !s.ok()) return s;
  if (absl::Status s = internal::SignCertificate(cert.get(), ca.key.get()); !s.ok()) return s;
  return CertificateToPem(cert.get());
}

using internal::Asn1ToTime;

}  // namespace

absl::StatusOr<CertificateAuthority> CreateCertificateAuthority(const CaOptions& options,
                                                                absl::Time now) {
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::GenerateP256Key();
  if (!key.ok()) return key.status();
  return CreateCertificateAuthorityForKey(key->get(), options, now);
}

absl::StatusOr<CertificateAuthority> CreateCertificateAuthorityForKey(EVP_PKEY* key,
                                                                      const CaOptions& options,
                                                                      absl::Time now) {
  if (key == nullptr) return absl::InvalidArgumentError("CA key is required");
  if (options.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("CA validity must be positive");
  }
  crypto::X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("X509_new");
  }
  if (absl::Status s = internal::SetRandomSerial(cert.get()).status(); !s.ok()) return s;
  if (absl::Status s = internal::SetValidity(cert.get(), now - kBackdate, now + options.validity);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<crypto::X509NamePtr> name = MakeName(options.common_name);
  if (!name.ok()) return name.status();
  if (X509_set_subject_name(cert.get(), name->get()) != 1 ||
      X509_set_issuer_name(cert.get(), name->get()) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslError("setting CA names and key");
  }
  for (const auto& [nid, value] : std::initializer_list<std::pair<int, const char*>>{
           {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
           {NID_key_usage, "critical,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"},
       }) {
    if (absl::Status s = AddExtension(cert.get(), cert.get(), nid, value); !s.ok()) return s;
  }
  if (absl::Status s = internal::SignCertificate(cert.get(), key); !s.ok()) return s;
  if (EVP_PKEY_up_ref(key) != 1) return OpenSslError("EVP_PKEY_up_ref");
  return CertificateAuthority{std::move(cert), crypto::EvpPkeyPtr(key)};
}

absl::StatusOr<CertificateAuthority> LoadCertificateAuthority(std::string_view cert_pem,
                                                              std::string_view key_pem) {
  absl::StatusOr<crypto::X509Ptr> cert = ParseCertificatePem(cert_pem);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::ParsePrivateKeyPem(key_pem);
  if (!key.ok()) return key.status();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("CA key does not match the CA certificate");
  }
  if (X509_check_ca(cert->get()) == 0) {
    return absl::InvalidArgumentError("certificate is not a CA");
  }
  return CertificateAuthority{*std::move(cert), *std::move(key)};
}

absl::StatusOr<IssuedCertificate> IssueCertificate(const CertificateAuthority& ca,
                                                   const LeafOptions& options, absl::Time now) {
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::GenerateP256Key();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> cert = BuildLeaf(ca, key->get(), options, now);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<SecretString> key_pem = crypto::PrivateKeyToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  return IssuedCertificate{*std::move(cert), *std::move(key_pem)};
}

absl::StatusOr<std::string> IssueCertificateForKey(const CertificateAuthority& ca,
                                                   EVP_PKEY* public_key, const LeafOptions& options,
                                                   absl::Time now) {
  if (public_key == nullptr) return absl::InvalidArgumentError("public key is required");
  return BuildLeaf(ca, public_key, options, now);
}

absl::StatusOr<std::string> CertificateToPem(X509* cert) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError("writing certificate PEM");
  }
  return crypto::BioContents(bio.get());
}

absl::StatusOr<crypto::X509Ptr> ParseCertificatePem(std::string_view pem) {
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  crypto::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return OpenSslError("parsing certificate PEM", absl::StatusCode::kInvalidArgument);
  }
  return cert;
}

absl::StatusOr<CertificateInfo> DescribeCertificate(X509* cert) {
  if (cert == nullptr) return absl::InvalidArgumentError("no certificate");
  CertificateInfo info;
  X509_NAME* subject = X509_get_subject_name(cert);
  const int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, cn);
    if (len >= 0) {
      info.common_name.assign(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
      OPENSSL_free(utf8);
    }
  }
  crypto::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
      if (gn->type == GEN_URI || gn->type == GEN_DNS) {
        const ASN1_IA5STRING* s =
            gn->type == GEN_URI ? gn->d.uniformResourceIdentifier : gn->d.dNSName;
        std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                          static_cast<size_t>(ASN1_STRING_length(s)));
        (gn->type == GEN_URI ? info.uri_sans : info.dns_sans).push_back(std::move(value));
      } else if (gn->type == GEN_IPADD) {
        const int len = ASN1_STRING_length(gn->d.iPAddress);
        const unsigned char* data = ASN1_STRING_get0_data(gn->d.iPAddress);
        char buf[INET6_ADDRSTRLEN] = {};
        if (len == 4 && inet_ntop(AF_INET, data, buf, sizeof(buf)) != nullptr) {
          info.ip_sans.emplace_back(buf);
        } else if (len == 16 && inet_ntop(AF_INET6, data, buf, sizeof(buf)) != nullptr) {
          info.ip_sans.emplace_back(buf);
        }
      }
    }
  }
  info.not_before = Asn1ToTime(X509_get0_notBefore(cert));
  info.not_after = Asn1ToTime(X509_get0_notAfter(cert));
  info.is_ca = X509_check_ca(cert) != 0;
  return info;
}

absl::Status VerifyCertificate(X509* leaf, X509* ca, absl::Time now, bool server_auth,
                               bool client_auth) {
  crypto::X509StorePtr store(X509_STORE_new());
  if (store == nullptr || X509_STORE_add_cert(store.get(), ca) != 1) {
    return OpenSslError("verification setup");
  }
  std::vector<int> purposes;
  if (client_auth) purposes.push_back(X509_PURPOSE_SSL_CLIENT);
  if (server_auth) purposes.push_back(X509_PURPOSE_SSL_SERVER);
  if (purposes.empty()) purposes.push_back(X509_PURPOSE_ANY);
  for (int purpose : purposes) {
    crypto::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (ctx == nullptr || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1) {
      return OpenSslError("verification setup");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(now));
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
    X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    if (X509_verify_cert(ctx.get()) != 1) {
      const int err = X509_STORE_CTX_get_error(ctx.get());
      crypto::ClearOpenSslErrors();
      return absl::InvalidArgumentError(std::string("certificate does not verify: ") +
                                        X509_verify_cert_error_string(err));
    }
  }
  return absl::OkStatus();
}

}  // namespace jit::pki
