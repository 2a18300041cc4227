// In-memory implementations of the auth service's store interfaces, for unit tests of the
// logic. They follow the interfaces' contracts (including sessions revoked by user changes
// and audit events recorded with each change) without transactions across stores.
#ifndef JIT_SERVICES_AUTH_TESTING_IN_MEMORY_STORES_H_
#define JIT_SERVICES_AUTH_TESTING_IN_MEMORY_STORES_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/audit/audit_event.h"
#include "common/audit/testing/in_memory_audit_outbox.h"
#include "services/auth/session_store.h"
#include "services/auth/signing_key_store.h"
#include "services/auth/user_store.h"
#include "services/policy/client/permission_checker.h"

namespace jit::auth::testing {

class InMemorySessionStore final : public SessionStore {
 public:
  explicit InMemorySessionStore(audit::testing::InMemoryAuditOutbox* audit) : audit_(audit) {}

  absl::Status Create(const SessionRecord& session, int64_t user_generation,
                      const audit::AuditEvent& event) override;
  absl::StatusOr<std::optional<SessionRecord>> Get(std::string_view id) override;
  absl::Status Revoke(std::string_view id, std::string_view revoked_by, absl::Time now,
                      const audit::AuditEvent& event) override;
  absl::StatusOr<RevocationUpdate> ListRevoked(int64_t after_cursor, absl::Time now) override;
  absl::StatusOr<int64_t> CountActive(absl::Time now) override;
  absl::StatusOr<int64_t> DeleteExpired(absl::Time before) override;

  // The user generations Create checks (the user table's column, kept here so that the
  // check and the insert are atomic as in PostgreSQL). InMemoryUserStore keeps them; tests
  // of this store alone set them. nullopt: no such user.
  void SetUserGeneration(std::string_view user, std::optional<int64_t> generation);
  // What UserStore changes that end sessions do, atomically: the user's generation becomes
  // `generation` (nullopt: deleted) and their sessions except `keep` whose expiry is after
  // `now - kRevokedSessionGrace` are revoked.
  void EndUserSessions(std::string_view user, std::optional<int64_t> generation,
                       std::string_view keep, std::string_view by, absl::Time now);
  // Runs `hook` once, at the start of the next Create (before its check): lets a test put a
  // user change between a login's reading of the user and its session.
  void RunBeforeNextCreate(std::function<void()> hook);
  void SetUnavailable(bool unavailable);

 private:
  struct Entry {
    SessionRecord record;
    int64_t cursor = 0;
  };
  absl::Status RevokeLocked(Entry& entry, std::string_view by, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  audit::testing::InMemoryAuditOutbox* const audit_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t, std::less<>> user_generations_ ABSL_GUARDED_BY(mu_);
  std::function<void()> before_create_ ABSL_GUARDED_BY(mu_);
  int64_t counter_ ABSL_GUARDED_BY(mu_) = 0;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
};

class InMemoryUserStore final : public UserStore {
 public:
  InMemoryUserStore(InMemorySessionStore* sessions, audit::testing::InMemoryAuditOutbox* audit)
      : sessions_(sessions), audit_(audit) {}

  absl::StatusOr<std::optional<UserRecord>> Get(std::string_view name) override;
  absl::StatusOr<std::vector<UserRecord>> List(std::string_view after, int limit) override;
  absl::Status Create(const UserRecord& user, const audit::AuditEvent& event) override;
  absl::StatusOr<UserRecord> UpsertExternal(const UserRecord& user,
                                            const audit::AuditEvent& event) override;
  absl::StatusOr<UserRecord> UpdateProfile(const jit::auth::v1::User& profile, absl::Time now,
                                           const audit::AuditEvent& event) override;
  absl::Status Delete(std::string_view name, absl::Time now,
                      const audit::AuditEvent& event) override;
  absl::Status SetPasswordHash(std::string_view name, const std::string& hash, absl::Time now,
                               std::string_view keep_session_id,
                               std::optional<int64_t> expected_generation,
                               const audit::AuditEvent& event) override;
  absl::Status RehashPassword(std::string_view name, const std::string& old_hash,
                              const std::string& new_hash) override;
  absl::Status PutTotpEnrollment(std::string_view name, const SecretString& secret,
                                 absl::Time expire_time, const audit::AuditEvent& event) override;
  absl::StatusOr<SecretString> GetTotpEnrollment(std::string_view name, absl::Time now) override;
  absl::Status ActivateTotp(std::string_view name, const SecretString& secret, absl::Time now,
                            const audit::AuditEvent& event) override;
  absl::Status ResetTotp(std::string_view name, absl::Time now,
                         const audit::AuditEvent& event) override;

  void SetUnavailable(bool unavailable);

 private:
  struct Enrollment {
    SecretString secret;
    absl::Time expire_time;
  };
  InMemorySessionStore* const sessions_;
  audit::testing::InMemoryAuditOutbox* const audit_;
  mutable absl::Mutex mu_;
  std::map<std::string, UserRecord> users_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Enrollment> enrollments_ ABSL_GUARDED_BY(mu_);
  // Session generations never repeat (the PostgreSQL store takes them from a sequence).
  int64_t last_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
};

class InMemorySigningKeyStore final : public SigningKeyStore {
 public:
  absl::StatusOr<std::vector<SigningKeyRecord>> ListPublished(absl::Time now,
                                                              absl::Duration retention) override;
  absl::StatusOr<ActiveSigningKey> Active(absl::Time now) override;
  absl::Status Add(const SigningKeyRecord& key, const audit::AuditEvent& event) override;
  absl::StatusOr<bool> AddIfEmpty(const SigningKeyRecord& key,
                                  const audit::AuditEvent& event) override;
  absl::StatusOr<int64_t> DeleteRetired(absl::Time now, absl::Duration retention) override;

  size_t size() const;
  void SetUnavailable(bool unavailable);

 private:
  // Ordered by (activate_time, kid), as the PostgreSQL store orders them.
  std::vector<SigningKeyRecord> SortedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<SigningKeyRecord> keys_ ABSL_GUARDED_BY(mu_);
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
};

// A policy::PermissionChecker granting "<resource>:<verb>" pairs per user name.
class FakePermissionChecker final : public policy::PermissionChecker {
 public:
  void Allow(const std::string& user, const std::string& resource, const std::string& verb);
  // Every check answers `status` (e.g. UNAVAILABLE) until reset with OkStatus().
  void SetFailure(absl::Status status);
  int checks() const;

  absl::Status Check(const jit::common::v1::Identity& caller, std::string_view resource,
                     std::string_view verb) override;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<std::string>> allowed_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int checks_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace jit::auth::testing

#endif  // JIT_SERVICES_AUTH_TESTING_IN_MEMORY_STORES_H_
