#include "common/pki/crl.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/pki/x509_util.h"

namespace jit::pki {
namespace {

using crypto::OpenSslError;

using X509CrlPtr = crypto::OpenSslPtr<X509_CRL, X509_CRL_free>;
using X509RevokedPtr = crypto::OpenSslPtr<X509_REVOKED, X509_REVOKED_free>;

}  // namespace

absl::StatusOr<Crl> BuildCrl(const CertificateAuthority& ca,
                             const std::vector<RevokedCertificate>& revoked,
                             const CrlOptions& options, absl::Time now) {
  if (options.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("CRL validity must be positive");
  }
  const absl::Time this_update = now - kCrlBackdate;
  const absl::Time next_update = now + options.validity;
  X509CrlPtr crl(X509_CRL_new());
  if (crl == nullptr || X509_CRL_set_version(crl.get(), 1) != 1 ||  // v2
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) != 1) {
    return OpenSslError("X509_CRL_new");
  }
  crypto::Asn1TimePtr last(ASN1_TIME_set(nullptr, absl::ToTimeT(this_update)));
  crypto::Asn1TimePtr next(ASN1_TIME_set(nullptr, absl::ToTimeT(next_update)));
  if (last == nullptr || next == nullptr || X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return OpenSslError("setting CRL times");
  }
  std::set<std::string> seen;
  for (const RevokedCertificate& r : revoked) {
    absl::StatusOr<crypto::Asn1IntegerPtr> serial = internal::SerialFromHex(r.serial_hex);
    if (!serial.ok()) return serial.status();
    const std::string canonical = internal::SerialHex(serial->get());
    if (!seen.insert(canonical).second) {
      return absl::InvalidArgumentError(absl::StrCat("serial ", canonical, " is listed twice"));
    }
    X509RevokedPtr entry(X509_REVOKED_new());
    crypto::Asn1TimePtr when(
        ASN1_TIME_set(nullptr, absl::ToTimeT(std::min(r.revoked_at, this_update))));
    if (entry == nullptr || when == nullptr ||
        X509_REVOKED_set_serialNumber(entry.get(), serial->get()) != 1 ||
        X509_REVOKED_set_revocationDate(entry.get(), when.get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
      return OpenSslError("adding a revoked certificate");
    }
    entry.release();  // owned by the CRL now
  }
  if (X509_CRL_sort(crl.get()) != 1) return OpenSslError("sorting CRL");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca.cert.get(), nullptr, nullptr, crl.get(), 0);
  crypto::X509ExtensionPtr aki(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  crypto::Asn1IntegerPtr number(ASN1_INTEGER_new());
  if (aki == nullptr || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1 || number == nullptr ||
      ASN1_INTEGER_set_uint64(number.get(), options.crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding CRL extensions");
  }
  if (absl::Status s = internal::SignCrl(crl.get(), ca.key.get()); !s.ok()) return s;

  unsigned char* der = nullptr;
  const int der_len = i2d_X509_CRL(crl.get(), &der);
  if (der_len <= 0) return OpenSslError("encoding CRL");
  Crl out;
  out.der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
    return OpenSslError("writing CRL PEM");
  }
  out.pem = crypto::BioContents(bio.get());
  out.this_update = absl::FromTimeT(absl::ToTimeT(this_update));
  out.next_update = absl::FromTimeT(absl::ToTimeT(next_update));
  return out;
}

}  // namespace jit::pki
