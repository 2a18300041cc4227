#include "common/auth/peer_certificate_verifier.h"

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <cstring>

#include "common/pki/x509_ca.h"

namespace jit::auth {
namespace {
constexpr size_t kMaxCacheEntries = 4096;
}  // namespace

size_t PeerCertificateVerifier::DigestHash::operator()(const crypto::Sha256Digest& d) const {
  size_t h;
  std::memcpy(&h, d.data(), sizeof(h));
  return h;
}

absl::StatusOr<std::unique_ptr<PeerCertificateVerifier>> PeerCertificateVerifier::Create(
    std::string_view ca_bundle_pem, const Clock* clock) {
  if (clock == nullptr) return absl::InvalidArgumentError("peer verifier needs a clock");
  crypto::BioPtr bio(BIO_new_mem_buf(ca_bundle_pem.data(), static_cast<int>(ca_bundle_pem.size())));
  if (bio == nullptr) return crypto::OpenSslError("BIO_new_mem_buf");
  std::vector<crypto::X509Ptr> cas;
  while (true) {
    crypto::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    if (X509_check_ca(cert.get()) == 0) {
      return absl::InvalidArgumentError("CA bundle holds a certificate that is not a CA");
    }
    cas.push_back(std::move(cert));
  }
  crypto::ClearOpenSslErrors();  // end of input
  if (cas.empty()) return absl::InvalidArgumentError("CA bundle holds no certificate");
  return std::unique_ptr<PeerCertificateVerifier>(
      new PeerCertificateVerifier(std::move(cas), clock));
}

absl::StatusOr<PeerCertificateVerifier::CacheEntry> PeerCertificateVerifier::VerifyUncached(
    std::string_view leaf_pem, absl::Time now) const {
  absl::StatusOr<crypto::X509Ptr> leaf = pki::ParseCertificatePem(leaf_pem);
  if (!leaf.ok()) return absl::UnauthenticatedError("peer certificate does not parse");
  crypto::X509StorePtr store(X509_STORE_new());
  crypto::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || ctx == nullptr) return crypto::OpenSslError("X509_STORE");
  for (const auto& ca : cas_) {
    if (X509_STORE_add_cert(store.get(), ca.get()) != 1) return crypto::OpenSslError("add CA");
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf->get(), nullptr) != 1) {
    return crypto::OpenSslError("X509_STORE_CTX_init");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(now));
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    crypto::ClearOpenSslErrors();
    return absl::UnauthenticatedError(std::string("peer certificate rejected: ") +
                                      X509_verify_cert_error_string(err));
  }
  absl::StatusOr<pki::CertificateInfo> info = pki::DescribeCertificate(leaf->get());
  if (!info.ok()) return absl::UnauthenticatedError("peer certificate unreadable");
  std::vector<std::pair<std::string, SpiffeId>> ids;
  for (const std::string& uri : info->uri_sans) {
    absl::StatusOr<SpiffeId> id = ParseSpiffeId(uri);
    if (id.ok()) ids.emplace_back(uri, *std::move(id));
  }
  if (ids.size() != 1) {
    return absl::UnauthenticatedError(
        "peer certificate must carry exactly one jit-access SPIFFE ID");
  }
  return CacheEntry{
      PeerIdentity{std::move(ids[0].second), std::move(ids[0].first), info->not_after},
      info->not_before};
}

absl::StatusOr<PeerIdentity> PeerCertificateVerifier::Verify(std::string_view leaf_pem) const {
  if (leaf_pem.empty()) return absl::UnauthenticatedError("no peer certificate");
  const crypto::Sha256Digest digest = crypto::Sha256(leaf_pem);
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    const auto it = cache_.find(digest);
    if (it != cache_.end() && now >= it->second.not_before && now < it->second.identity.not_after) {
      return it->second.identity;
    }
  }
  absl::StatusOr<CacheEntry> entry = VerifyUncached(leaf_pem, now);
  if (!entry.ok()) return entry.status();
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_[digest] = *entry;
  return entry->identity;
}

}  // namespace jit::auth
