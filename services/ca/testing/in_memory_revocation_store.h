// An in-memory RevocationStore for unit tests: certificates added with Add (as the issuer
// would have recorded them), revocations and their audit events kept in order, list numbers
// as the PostgreSQL store keeps them, and an error to answer every call with (set_error).
// Thread-safe.
#ifndef JIT_SERVICES_CA_TESTING_IN_MEMORY_REVOCATION_STORE_H_
#define JIT_SERVICES_CA_TESTING_IN_MEMORY_REVOCATION_STORE_H_

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/ca/revocation_store.h"

namespace jit::ca::testing {

class InMemoryRevocationStore final : public RevocationStore {
 public:
  void Add(RevokedCert cert, std::vector<std::string> grant_ids = {}) {
    absl::MutexLock lock(&mu_);
    certs_.push_back({std::move(cert), std::move(grant_ids)});
  }

  absl::StatusOr<RevokeResult> Revoke(const RevokeSelection& selection, absl::Time now,
                                      const std::string& reason, MakeEvent make_event) override {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
    std::vector<size_t> picked;
    auto pick = [&](size_t i) {
      if (std::find(picked.begin(), picked.end(), i) == picked.end()) picked.push_back(i);
    };
    for (const SerialSelector& s : selection.serials) {
      std::vector<size_t> found;
      for (size_t i = 0; i < certs_.size(); ++i) {
        if (certs_[i].cert.serial == s.serial &&
            (!s.kind.has_value() || certs_[i].cert.kind == *s.kind)) {
          found.push_back(i);
        }
      }
      if (found.empty()) return absl::NotFoundError(absl::StrCat("serial ", s.serial, ": unknown"));
      if (found.size() > 1) {
        return absl::InvalidArgumentError(absl::StrCat("serial ", s.serial, ": several kinds"));
      }
      pick(found[0]);
    }
    if (!selection.grant_id.empty()) {
      for (size_t i = 0; i < certs_.size(); ++i) {
        const auto& g = certs_[i].grant_ids;
        if (std::find(g.begin(), g.end(), selection.grant_id) != g.end()) pick(i);
      }
    }
    RevokeResult result;
    std::vector<size_t> newly;
    for (size_t i : picked) {
      RevokedCert c = certs_[i].cert;
      if (!c.revoked) {
        c.revoked = true;
        c.revoke_time = now;
        c.revoke_reason = reason;
        result.newly_revoked.push_back(c);
        newly.push_back(i);
      }
      result.selected.push_back(std::move(c));
    }
    if (!result.newly_revoked.empty()) {
      absl::StatusOr<jit::common::v1::AuditEvent> event = make_event(result.newly_revoked);
      if (!event.ok()) return event.status();
      events_.push_back(*std::move(event));
      for (size_t i : newly) {
        certs_[i].cert.revoked = true;
        certs_[i].cert.revoke_time = now;
        certs_[i].cert.revoke_reason = reason;
      }
    }
    return result;
  }

  absl::StatusOr<PublishedRevocations> Publish(CaKind kind, absl::Time now,
                                               absl::Duration reissue_after) override {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
    PublishedRevocations out;
    for (const auto& e : certs_) {
      if (e.cert.kind == kind && e.cert.revoked && e.cert.valid_before > now) {
        out.revoked.push_back(e.cert);
      }
    }
    std::sort(out.revoked.begin(), out.revoked.end(),
              [](const RevokedCert& a, const RevokedCert& b) { return a.serial < b.serial; });
    const std::string digest = RevokedSetDigest(out.revoked);
    ListState& state = lists_[kind];
    if (state.number == 0 || state.digest != digest || now - state.this_update >= reissue_after) {
      ++state.number;
      state.digest = digest;
      state.this_update = now;
    }
    out.number = state.number;
    out.this_update = state.this_update;
    return out;
  }

  void set_error(absl::Status error) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(error);
  }
  std::vector<jit::common::v1::AuditEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  struct Entry {
    RevokedCert cert;
    std::vector<std::string> grant_ids;
  };
  struct ListState {
    uint64_t number = 0;
    std::string digest;
    absl::Time this_update;
  };
  mutable absl::Mutex mu_;
  std::vector<Entry> certs_ ABSL_GUARDED_BY(mu_);
  std::vector<jit::common::v1::AuditEvent> events_ ABSL_GUARDED_BY(mu_);
  std::map<CaKind, ListState> lists_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::ca::testing

#endif  // JIT_SERVICES_CA_TESTING_IN_MEMORY_REVOCATION_STORE_H_
