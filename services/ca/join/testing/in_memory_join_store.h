// An in-memory JoinStore for unit tests: one mutex makes Redeem atomic, as the row lock
// does in PostgreSQL. Events written with a change are kept in events().
#ifndef JIT_SERVICES_CA_JOIN_TESTING_IN_MEMORY_JOIN_STORE_H_
#define JIT_SERVICES_CA_JOIN_TESTING_IN_MEMORY_JOIN_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/ca/join/join_store.h"

namespace jit::ca::join::testing {

class InMemoryJoinStore final : public JoinStore {
 public:
  absl::Status CreateToken(const JoinTokenRecord& token,
                           const jit::common::v1::AuditEvent& event) override {
    absl::MutexLock lock(&mu_);
    if (!available_) return absl::UnavailableError("store down");
    if (!tokens_.emplace(token.token_id, token).second) {
      return absl::AlreadyExistsError("duplicate token id");
    }
    events_.push_back(event);
    return absl::OkStatus();
  }

  absl::StatusOr<JoinTokenRecord> Redeem(std::string_view token_id, absl::Time now,
                                         std::string_view redeemed_as, const Check& check,
                                         const std::optional<EnrolledHost>& host,
                                         const jit::common::v1::AuditEvent& event) override {
    absl::MutexLock lock(&mu_);
    if (!available_) return absl::UnavailableError("store down");
    auto it = tokens_.find(std::string(token_id));
    if (it == tokens_.end()) return absl::NotFoundError("unknown join token");
    if (absl::Status s = check(it->second); !s.ok()) return s;
    it->second.redeem_time = now;
    it->second.redeemed_as = std::string(redeemed_as);
    if (host.has_value()) {
      EnrolledHost h = *host;
      h.token_id = it->second.token_id;
      hosts_[h.name] = h;
    }
    events_.push_back(event);
    return it->second;
  }

  absl::StatusOr<std::optional<EnrolledHost>> GetHost(std::string_view name) override {
    absl::MutexLock lock(&mu_);
    if (!available_) return absl::UnavailableError("store down");
    auto it = hosts_.find(std::string(name));
    if (it == hosts_.end()) return std::optional<EnrolledHost>();
    return std::optional<EnrolledHost>(it->second);
  }

  absl::StatusOr<std::optional<InternalCaRecord>> LoadInternalCa() override {
    absl::MutexLock lock(&mu_);
    if (!ca_.has_value()) return std::optional<InternalCaRecord>();
    return std::optional<InternalCaRecord>(InternalCaRecord{
        .certificate_pem = ca_->certificate_pem,
        .private_key_pem = SecretString(std::string(ca_->private_key_pem.Reveal())),
        .import_time = ca_->import_time});
  }

  absl::StatusOr<bool> ImportInternalCaIfAbsent(const InternalCaRecord& ca,
                                                const jit::common::v1::AuditEvent& event) override {
    absl::MutexLock lock(&mu_);
    if (ca_.has_value()) return false;
    ca_.emplace(
        InternalCaRecord{.certificate_pem = ca.certificate_pem,
                         .private_key_pem = SecretString(std::string(ca.private_key_pem.Reveal())),
                         .import_time = ca.import_time});
    events_.push_back(event);
    return true;
  }

  void set_available(bool available) {
    absl::MutexLock lock(&mu_);
    available_ = available;
  }
  std::optional<JoinTokenRecord> token(const std::string& id) const {
    absl::MutexLock lock(&mu_);
    auto it = tokens_.find(id);
    if (it == tokens_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<jit::common::v1::AuditEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  mutable absl::Mutex mu_;
  bool available_ ABSL_GUARDED_BY(mu_) = true;
  std::map<std::string, JoinTokenRecord> tokens_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, EnrolledHost> hosts_ ABSL_GUARDED_BY(mu_);
  std::optional<InternalCaRecord> ca_ ABSL_GUARDED_BY(mu_);
  std::vector<jit::common::v1::AuditEvent> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::ca::join::testing

#endif  // JIT_SERVICES_CA_JOIN_TESTING_IN_MEMORY_JOIN_STORE_H_
