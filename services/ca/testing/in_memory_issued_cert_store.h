// An in-memory IssuedCertStore for unit tests: records and audit events kept in order,
// filters as the PostgreSQL store applies them, and an error to answer every call with
// (set_error) to test that nothing is handed out when recording fails. Thread-safe.
#ifndef JIT_SERVICES_CA_TESTING_IN_MEMORY_ISSUED_CERT_STORE_H_
#define JIT_SERVICES_CA_TESTING_IN_MEMORY_ISSUED_CERT_STORE_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/proto_time.h"
#include "services/ca/issued_cert_store.h"

namespace jit::ca::testing {

class InMemoryIssuedCertStore final : public IssuedCertStore {
 public:
  absl::Status Record(const jit::common::v1::IssuedCertificate& cert, absl::Time,
                      const jit::common::v1::AuditEvent& event) override {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
    for (const auto& c : certs_) {
      if (c.kind() == cert.kind() && c.serial() == cert.serial()) {
        return absl::AlreadyExistsError("serial recorded before");
      }
    }
    certs_.push_back(cert);
    events_.push_back(event);
    return absl::OkStatus();
  }

  absl::Status RecordRefusal(const jit::common::v1::AuditEvent& event) override {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
    refusals_.push_back(event);
    return absl::OkStatus();
  }
  // The refusal events (kept apart from events(), which go with recorded certificates).
  std::vector<jit::common::v1::AuditEvent> refusals() const {
    absl::MutexLock lock(&mu_);
    return refusals_;
  }

  absl::StatusOr<IssuedCertPage> List(const IssuedCertFilter& filter, int page_size,
                                      std::string_view page_token) override {
    absl::MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
    size_t end = certs_.size();  // exclusive index, newest first
    if (!page_token.empty() &&
        !absl::SimpleAtoi(absl::string_view(page_token.data(), page_token.size()), &end)) {
      return absl::InvalidArgumentError("page_token: not a token this service handed out");
    }
    IssuedCertPage page;
    for (size_t i = std::min(end, certs_.size()); i-- > 0;) {
      const auto& c = certs_[i];
      if (!filter.user.empty() && c.user() != filter.user) continue;
      if (!filter.grant_id.empty() && std::find(c.grant_ids().begin(), c.grant_ids().end(),
                                                filter.grant_id) == c.grant_ids().end()) {
        continue;
      }
      if (filter.kind.has_value() && c.kind() != CertificateKindOf(*filter.kind)) continue;
      if (filter.valid_at.has_value() &&
          !(FromProtoTimestamp(c.valid_after()) <= *filter.valid_at &&
            *filter.valid_at < FromProtoTimestamp(c.valid_before()))) {
        continue;
      }
      if (static_cast<int>(page.certs.size()) == page_size) {
        page.next_page_token = absl::StrCat(i + 1);
        break;
      }
      page.certs.push_back(c);
    }
    return page;
  }

  void set_error(absl::Status error) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(error);
  }
  std::vector<jit::common::v1::IssuedCertificate> certs() const {
    absl::MutexLock lock(&mu_);
    return certs_;
  }
  std::vector<jit::common::v1::AuditEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::vector<jit::common::v1::IssuedCertificate> certs_ ABSL_GUARDED_BY(mu_);
  std::vector<jit::common::v1::AuditEvent> events_ ABSL_GUARDED_BY(mu_);
  std::vector<jit::common::v1::AuditEvent> refusals_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::ca::testing

#endif  // JIT_SERVICES_CA_TESTING_IN_MEMORY_ISSUED_CERT_STORE_H_
