#include "services/auth/testing/in_memory_stores.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jit::auth::testing {
namespace {

absl::Status Down() { return absl::UnavailableError("store down (test)"); }

}  // namespace

// ---- InMemorySessionStore ------------------------------------------------------------------

absl::Status InMemorySessionStore::Create(const SessionRecord& session, int64_t user_generation,
                                          const audit::AuditEvent& event) {
  std::function<void()> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = std::exchange(before_create_, nullptr);
  }
  if (hook) hook();
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto user = user_generations_.find(session.user);
  if (user == user_generations_.end() || user->second != user_generation) {
    return absl::AbortedError("the user changed during login (test)");
  }
  if (sessions_.contains(session.id)) return absl::AlreadyExistsError("duplicate session");
  sessions_[session.id] = Entry{.record = session};
  return audit_->Append(event);
}

absl::StatusOr<std::optional<SessionRecord>> InMemorySessionStore::Get(std::string_view id) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  return it->second.record;
}

absl::Status InMemorySessionStore::RevokeLocked(Entry& entry, std::string_view by, absl::Time now) {
  if (entry.record.revoked_at.has_value()) return absl::OkStatus();
  entry.record.revoked_at = now;
  entry.record.revoked_by = std::string(by);
  entry.cursor = ++counter_;
  return absl::OkStatus();
}

absl::Status InMemorySessionStore::Revoke(std::string_view id, std::string_view revoked_by,
                                          absl::Time now, const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return absl::NotFoundError("session not found");
  if (it->second.record.revoked_at.has_value()) return absl::OkStatus();
  RevokeLocked(it->second, revoked_by, now).IgnoreError();
  return audit_->Append(event);
}

void InMemorySessionStore::SetUserGeneration(std::string_view user,
                                             std::optional<int64_t> generation) {
  absl::MutexLock lock(&mu_);
  if (generation.has_value()) {
    user_generations_[std::string(user)] = *generation;
  } else {
    user_generations_.erase(std::string(user));
  }
}

void InMemorySessionStore::RunBeforeNextCreate(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  before_create_ = std::move(hook);
}

void InMemorySessionStore::EndUserSessions(std::string_view user, std::optional<int64_t> generation,
                                           std::string_view keep, std::string_view by,
                                           absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (generation.has_value()) {
    user_generations_[std::string(user)] = *generation;
  } else {
    user_generations_.erase(std::string(user));
  }
  for (auto& [id, entry] : sessions_) {
    if (entry.record.user == user && id != keep &&
        entry.record.expire_time > now - kRevokedSessionGrace) {
      RevokeLocked(entry, by, now).IgnoreError();
    }
  }
}

absl::StatusOr<RevocationUpdate> InMemorySessionStore::ListRevoked(int64_t after_cursor,
                                                                   absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  RevocationUpdate update;
  update.cursor = counter_;
  update.complete = after_cursor <= 0 || after_cursor > counter_;
  std::vector<std::pair<int64_t, RevokedSession>> found;
  for (const auto& [id, entry] : sessions_) {
    if (entry.cursor == 0 || entry.record.expire_time <= now - kRevokedSessionGrace) continue;
    if (!update.complete && entry.cursor <= after_cursor) continue;
    found.push_back({entry.cursor, {.session_id = id, .expire_time = entry.record.expire_time}});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [cursor, s] : found) update.sessions.push_back(std::move(s));
  return update;
}

absl::StatusOr<int64_t> InMemorySessionStore::CountActive(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  int64_t n = 0;
  for (const auto& [id, entry] : sessions_) {
    if (!entry.record.revoked_at.has_value() && entry.record.expire_time > now) ++n;
  }
  return n;
}

absl::StatusOr<int64_t> InMemorySessionStore::DeleteExpired(absl::Time before) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  return static_cast<int64_t>(std::erase_if(
      sessions_, [&](const auto& e) { return e.second.record.expire_time < before; }));
}

void InMemorySessionStore::SetUnavailable(bool unavailable) {
  absl::MutexLock lock(&mu_);
  unavailable_ = unavailable;
}

// ---- InMemoryUserStore ---------------------------------------------------------------------

absl::StatusOr<std::optional<UserRecord>> InMemoryUserStore::Get(std::string_view name) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = users_.find(std::string(name));
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<UserRecord>> InMemoryUserStore::List(std::string_view after, int limit) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  std::vector<UserRecord> out;
  for (auto it = users_.upper_bound(std::string(after));
       it != users_.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::Status InMemoryUserStore::Create(const UserRecord& user, const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  for (const auto& [name, record] : users_) {
    if (absl::AsciiStrToLower(name) == absl::AsciiStrToLower(user.profile.name())) {
      return absl::AlreadyExistsError(
          absl::StrCat("user \"", user.profile.name(), "\" already exists"));
    }
  }
  UserRecord& stored = users_[user.profile.name()] = user;
  stored.session_generation = ++last_generation_;
  sessions_->SetUserGeneration(user.profile.name(), stored.session_generation);
  return audit_->Append(event);
}

absl::StatusOr<UserRecord> InMemoryUserStore::UpsertExternal(const UserRecord& user,
                                                             const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  for (auto& [name, record] : users_) {
    if (absl::AsciiStrToLower(name) != absl::AsciiStrToLower(user.profile.name())) continue;
    if (name != user.profile.name() || record.profile.origin() != user.profile.origin()) {
      return absl::FailedPreconditionError("user name belongs to another user");
    }
    *record.profile.mutable_roles() = user.profile.roles();
    *record.profile.mutable_traits() = user.profile.traits();
    *record.profile.mutable_update_time() = user.profile.update_time();
    if (absl::Status s = audit_->Append(event); !s.ok()) return s;
    return record;
  }
  UserRecord& stored = users_[user.profile.name()] = user;
  stored.session_generation = ++last_generation_;
  sessions_->SetUserGeneration(user.profile.name(), stored.session_generation);
  if (absl::Status s = audit_->Append(event); !s.ok()) return s;
  return stored;
}

absl::StatusOr<UserRecord> InMemoryUserStore::UpdateProfile(const jit::auth::v1::User& profile,
                                                            absl::Time now,
                                                            const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = users_.find(profile.name());
  if (it == users_.end()) return absl::NotFoundError("user not found");
  *it->second.profile.mutable_roles() = profile.roles();
  *it->second.profile.mutable_traits() = profile.traits();
  it->second.profile.mutable_update_time()->set_seconds(absl::ToUnixSeconds(now));
  it->second.session_generation = ++last_generation_;
  sessions_->EndUserSessions(profile.name(), it->second.session_generation, "", event.actor(), now);
  if (absl::Status s = audit_->Append(event); !s.ok()) return s;
  return it->second;
}

absl::Status InMemoryUserStore::Delete(std::string_view name, absl::Time now,
                                       const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  if (users_.erase(std::string(name)) == 0) return absl::NotFoundError("user not found");
  enrollments_.erase(std::string(name));
  sessions_->EndUserSessions(name, std::nullopt, "", event.actor(), now);
  return audit_->Append(event);
}

absl::Status InMemoryUserStore::SetPasswordHash(std::string_view name, const std::string& hash,
                                                absl::Time now, std::string_view keep_session_id,
                                                std::optional<int64_t> expected_generation,
                                                const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = users_.find(std::string(name));
  if (it == users_.end()) return absl::NotFoundError("user not found");
  if (expected_generation.has_value() && it->second.session_generation != *expected_generation) {
    return absl::AbortedError("the user changed meanwhile (test)");
  }
  it->second.password_hash = hash;
  it->second.session_generation = ++last_generation_;
  sessions_->EndUserSessions(name, it->second.session_generation, keep_session_id, event.actor(),
                             now);
  return audit_->Append(event);
}

absl::Status InMemoryUserStore::RehashPassword(std::string_view name, const std::string& old_hash,
                                               const std::string& new_hash) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = users_.find(std::string(name));
  if (it != users_.end() && it->second.password_hash == old_hash) {
    it->second.password_hash = new_hash;
  }
  return absl::OkStatus();
}

absl::Status InMemoryUserStore::PutTotpEnrollment(std::string_view name, const SecretString& secret,
                                                  absl::Time expire_time,
                                                  const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  if (!users_.contains(std::string(name))) return absl::NotFoundError("user not found");
  enrollments_[std::string(name)] = Enrollment{secret, expire_time};
  return audit_->Append(event);
}

absl::StatusOr<SecretString> InMemoryUserStore::GetTotpEnrollment(std::string_view name,
                                                                  absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = enrollments_.find(std::string(name));
  if (it == enrollments_.end() || it->second.expire_time <= now) {
    return absl::NotFoundError("no pending TOTP enrollment");
  }
  return it->second.secret;
}

absl::Status InMemoryUserStore::ActivateTotp(std::string_view name, const SecretString& secret,
                                             absl::Time now, const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = enrollments_.find(std::string(name));
  if (it == enrollments_.end() || it->second.expire_time <= now ||
      it->second.secret.Reveal() != secret.Reveal()) {
    return absl::FailedPreconditionError("the TOTP enrollment expired or was replaced");
  }
  enrollments_.erase(it);
  auto user = users_.find(std::string(name));
  if (user == users_.end()) return absl::NotFoundError("user not found");
  user->second.totp_secret = secret;
  user->second.profile.set_totp_enabled(true);
  return audit_->Append(event);
}

absl::Status InMemoryUserStore::ResetTotp(std::string_view name, absl::Time now,
                                          const audit::AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  const auto it = users_.find(std::string(name));
  if (it == users_.end()) return absl::NotFoundError("user not found");
  it->second.totp_secret = SecretString();
  it->second.profile.set_totp_enabled(false);
  enrollments_.erase(std::string(name));
  it->second.session_generation = ++last_generation_;
  sessions_->EndUserSessions(name, it->second.session_generation, "", event.actor(), now);
  return audit_->Append(event);
}

void InMemoryUserStore::SetUnavailable(bool unavailable) {
  absl::MutexLock lock(&mu_);
  unavailable_ = unavailable;
}

// ---- InMemorySigningKeyStore ---------------------------------------------------------------

std::vector<SigningKeyRecord> InMemorySigningKeyStore::SortedLocked() const {
  std::vector<SigningKeyRecord> keys = keys_;
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return std::tie(a.activate_time, a.kid) < std::tie(b.activate_time, b.kid);
  });
  return keys;
}

absl::StatusOr<std::vector<SigningKeyRecord>> InMemorySigningKeyStore::ListPublished(
    absl::Time now, absl::Duration retention) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  std::vector<SigningKeyRecord> keys = SortedLocked();
  std::vector<SigningKeyRecord> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i + 1 < keys.size() && keys[i + 1].activate_time <= now - retention) continue;
    SigningKeyRecord k = keys[i];
    k.seed = SecretString();
    out.push_back(std::move(k));
  }
  return out;
}

absl::StatusOr<ActiveSigningKey> InMemorySigningKeyStore::Active(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  std::vector<SigningKeyRecord> keys = SortedLocked();
  std::optional<ActiveSigningKey> out;
  for (const SigningKeyRecord& k : keys) {
    if (k.activate_time <= now) {
      out = ActiveSigningKey{.key = k};
    } else if (out.has_value() && !out->next_activation.has_value()) {
      out->next_activation = k.activate_time;
    }
  }
  if (!out.has_value()) return absl::NotFoundError("no active signing key");
  return *std::move(out);
}

absl::Status InMemorySigningKeyStore::Add(const SigningKeyRecord& key, const audit::AuditEvent&) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  for (const auto& k : keys_) {
    if (k.kid == key.kid) return absl::AlreadyExistsError("duplicate kid");
  }
  keys_.push_back(key);
  return absl::OkStatus();
}

absl::StatusOr<bool> InMemorySigningKeyStore::AddIfEmpty(const SigningKeyRecord& key,
                                                         const audit::AuditEvent&) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  if (!keys_.empty()) return false;
  keys_.push_back(key);
  return true;
}

absl::StatusOr<int64_t> InMemorySigningKeyStore::DeleteRetired(absl::Time now,
                                                               absl::Duration retention) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return Down();
  std::vector<SigningKeyRecord> keys = SortedLocked();
  std::vector<SigningKeyRecord> kept;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i + 1 < keys.size() && keys[i + 1].activate_time <= now - retention) continue;
    kept.push_back(keys[i]);
  }
  const int64_t removed = static_cast<int64_t>(keys_.size() - kept.size());
  keys_ = std::move(kept);
  return removed;
}

size_t InMemorySigningKeyStore::size() const {
  absl::MutexLock lock(&mu_);
  return keys_.size();
}

void InMemorySigningKeyStore::SetUnavailable(bool unavailable) {
  absl::MutexLock lock(&mu_);
  unavailable_ = unavailable;
}

// ---- FakePermissionChecker -----------------------------------------------------------------

void FakePermissionChecker::Allow(const std::string& user, const std::string& resource,
                                  const std::string& verb) {
  absl::MutexLock lock(&mu_);
  allowed_[user].push_back(absl::StrCat(resource, ":", verb));
}

void FakePermissionChecker::SetFailure(absl::Status status) {
  absl::MutexLock lock(&mu_);
  failure_ = std::move(status);
}

int FakePermissionChecker::checks() const {
  absl::MutexLock lock(&mu_);
  return checks_;
}

absl::Status FakePermissionChecker::Check(const jit::common::v1::Identity& caller,
                                          std::string_view resource, std::string_view verb) {
  absl::MutexLock lock(&mu_);
  ++checks_;
  if (!failure_.ok()) return failure_;
  const auto it = allowed_.find(caller.name());
  const std::string want = absl::StrCat(std::string(resource), ":", std::string(verb));
  if (it != allowed_.end() &&
      std::find(it->second.begin(), it->second.end(), want) != it->second.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(std::string(verb), " ", std::string(resource), ": denied (test policy)"));
}

}  // namespace jit::auth::testing
