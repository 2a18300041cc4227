#include "services/policy/postgres_role_store.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/absl_string_view.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_errors.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "google/protobuf/util/json_util.h"
#include "pqxx/pqxx"
#include "services/policy/service_name.h"

namespace jit::policy {
namespace {

using jit::common::v1::Role;

// Columns every read selects, in this order.
const std::string& RoleColumns() {
  static const std::string* columns = new std::string(
      absl::StrCat("name, role::text, revision, ", db::MicrosOf("update_time"), ", updated_by"));
  return *columns;
}

const db::TransactionOptions kReadOnly{.read_only = true};

// Creates a role at revision 1 unless the name exists ($1 name, $2 JSON, $3 time, $4 actor);
// returns no row when it does.
constexpr char kCreateIfAbsent[] =
    "INSERT INTO policy.roles (name, role, revision, update_time, updated_by) "
    "VALUES ($1, $2::jsonb, 1, $3::timestamptz, $4) "
    "ON CONFLICT (name) DO NOTHING RETURNING revision";

void SetServerFields(int64_t revision, absl::Time update_time, std::string_view updated_by,
                     Role* role) {
  auto* md = role->mutable_metadata();
  md->set_revision(revision);
  SetProtoTimestamp(update_time, md->mutable_update_time());
  md->set_updated_by(std::string(updated_by));
}

// The JSON stored for `role`: without server-managed metadata.
absl::StatusOr<std::string> StoredJson(Role role) {
  auto* md = role.mutable_metadata();
  md->clear_revision();
  md->clear_update_time();
  md->clear_updated_by();
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(role, &json, options); !s.ok()) {
    return absl::InternalError(absl::StrCat("encoding role \"", md->name(), "\": ", s.ToString()));
  }
  return json;
}

absl::StatusOr<Role> RoleFromRow(const pqxx::row& row) {
  const std::string name = row[0].as<std::string>();
  Role role;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // never drop a rule silently
  if (auto s =
          google::protobuf::util::JsonStringToMessage(row[1].as<std::string>(), &role, options);
      !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("stored role \"", name, "\" cannot be decoded: ", s.message().ToString()));
  }
  role.mutable_metadata()->set_name(name);
  SetServerFields(row[2].as<int64_t>(), db::TimeFromMicros(row[3]), row[4].as<std::string>(),
                  &role);
  return role;
}

// The stored revision of `name`, 0 when there is none.
int64_t CurrentRevision(pqxx::transaction_base& txn, const std::string& name) {
  pqxx::result r = txn.exec_params("SELECT revision FROM policy.roles WHERE name = $1", name);
  return r.empty() ? 0 : r[0][0].as<int64_t>();
}

// `event` with details.revision = `revision`, inserted into policy.audit_outbox.
void InsertEvent(pqxx::transaction_base& txn, const jit::common::v1::AuditEvent& event,
                 int64_t revision) {
  audit::InsertOutboxEvent(txn, kPolicyService, WithRoleRevision(event, revision));
}

absl::Status RevisionMismatch(std::string_view name, int64_t current, int64_t expected) {
  return absl::AbortedError(
      absl::StrCat("role \"", AsAbsl(name), "\" is at revision ", current, ", not ", expected));
}

}  // namespace

absl::StatusOr<Role> PostgresRoleStore::Get(std::string_view name) const {
  Role role;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT ", RoleColumns(), " FROM policy.roles WHERE name = $1"),
            std::string(name));
        if (r.empty())
          return absl::NotFoundError(absl::StrCat("role ", QuoteBounded(name), " not found"));
        ASSIGN_OR_RETURN(role, RoleFromRow(r[0]));
        return absl::OkStatus();
      }));
  return role;
}

absl::StatusOr<std::vector<Role>> PostgresRoleStore::List(std::string_view after, int limit) const {
  std::vector<Role> roles;
  if (limit <= 0) return roles;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        roles.clear();
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT ", RoleColumns(),
                         " FROM policy.roles WHERE name > $1 ORDER BY name LIMIT $2"),
            std::string(after), limit);
        roles.reserve(r.size());
        for (const pqxx::row& row : r) {
          ASSIGN_OR_RETURN(Role role, RoleFromRow(row));
          roles.push_back(std::move(role));
        }
        return absl::OkStatus();
      }));
  return roles;
}

absl::StatusOr<RoleStore::Contents> PostgresRoleStore::ListAll() const {
  Contents contents;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.isolation = db::Isolation::kRepeatableRead, .read_only = true},
      [&](pqxx::transaction_base& txn) -> absl::Status {
        contents.roles.clear();
        contents.generation =
            txn.exec("SELECT generation FROM policy.store_state")[0][0].as<int64_t>();
        pqxx::result r =
            txn.exec(absl::StrCat("SELECT ", RoleColumns(), " FROM policy.roles ORDER BY name"));
        contents.roles.reserve(r.size());
        for (const pqxx::row& row : r) {
          ASSIGN_OR_RETURN(Role role, RoleFromRow(row));
          contents.roles.push_back(std::move(role));
        }
        return absl::OkStatus();
      }));
  return contents;
}

absl::StatusOr<int64_t> PostgresRoleStore::Generation() const {
  int64_t generation = 0;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        generation = txn.exec("SELECT generation FROM policy.store_state")[0][0].as<int64_t>();
        return absl::OkStatus();
      }));
  return generation;
}

absl::StatusOr<Role> PostgresRoleStore::Upsert(const Role& role,
                                               std::optional<int64_t> expected_revision,
                                               absl::Time now, std::string_view updated_by,
                                               const jit::common::v1::AuditEvent& event) {
  const std::string name = role.metadata().name();
  if (name.empty()) return absl::InvalidArgumentError("metadata.name is required");
  ASSIGN_OR_RETURN(const std::string json, StoredJson(role));
  const absl::Time update_time = TruncateToMicros(now);
  const std::string timestamp = db::Timestamptz(update_time);
  const std::string actor(updated_by);
  int64_t revision = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r;
    if (!expected_revision.has_value()) {
      r = txn.exec_params(
          "INSERT INTO policy.roles AS r (name, role, revision, update_time, updated_by) "
          "VALUES ($1, $2::jsonb, 1, $3::timestamptz, $4) "
          "ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, revision = r.revision + 1, "
          "update_time = EXCLUDED.update_time, updated_by = EXCLUDED.updated_by "
          "RETURNING revision",
          name, json, timestamp, actor);
    } else if (*expected_revision == 0) {
      r = txn.exec_params(kCreateIfAbsent, name, json, timestamp, actor);
    } else {
      r = txn.exec_params(
          "UPDATE policy.roles SET role = $2::jsonb, revision = revision + 1, "
          "update_time = $3::timestamptz, updated_by = $4 "
          "WHERE name = $1 AND revision = $5 RETURNING revision",
          name, json, timestamp, actor, *expected_revision);
    }
    if (r.empty()) {
      return RevisionMismatch(name, CurrentRevision(txn, name), expected_revision.value_or(0));
    }
    revision = r[0][0].as<int64_t>();
    InsertEvent(txn, event, revision);
    return absl::OkStatus();
  }));
  Role stored = role;
  SetServerFields(revision, update_time, updated_by, &stored);
  return stored;
}

absl::Status PostgresRoleStore::CreateAll(const std::vector<Role>& roles, absl::Time now,
                                          std::string_view updated_by,
                                          const std::vector<jit::common::v1::AuditEvent>& events) {
  if (events.size() != roles.size()) {
    return absl::InvalidArgumentError("CreateAll: one audit event per role");
  }
  if (roles.empty()) return absl::OkStatus();
  std::vector<std::pair<std::string, std::string>> rows;  // name, JSON
  rows.reserve(roles.size());
  for (const Role& role : roles) {
    if (role.metadata().name().empty()) {
      return absl::InvalidArgumentError("metadata.name is required");
    }
    ASSIGN_OR_RETURN(std::string json, StoredJson(role));
    rows.emplace_back(role.metadata().name(), std::move(json));
  }
  const std::string timestamp = db::Timestamptz(TruncateToMicros(now));
  const std::string actor(updated_by);
  // A refusal returns a status, which rolls the whole transaction back.
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& [name, json] = rows[i];
      pqxx::result r = txn.exec_params(kCreateIfAbsent, name, json, timestamp, actor);
      if (r.empty()) return RevisionMismatch(name, CurrentRevision(txn, name), 0);
      InsertEvent(txn, events[i], 1);
    }
    return absl::OkStatus();
  });
}

absl::Status PostgresRoleStore::Delete(std::string_view name,
                                       std::optional<int64_t> expected_revision,
                                       const jit::common::v1::AuditEvent& event) {
  const std::string key(name);
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r =
        expected_revision.has_value()
            ? txn.exec_params(
                  "DELETE FROM policy.roles WHERE name = $1 AND revision = $2 RETURNING revision",
                  key, *expected_revision)
            : txn.exec_params("DELETE FROM policy.roles WHERE name = $1 RETURNING revision", key);
    if (!r.empty()) {
      InsertEvent(txn, event, r[0][0].as<int64_t>());
      return absl::OkStatus();
    }
    const int64_t current = CurrentRevision(txn, key);
    if (current == 0)
      return absl::NotFoundError(absl::StrCat("role ", QuoteBounded(name), " not found"));
    return RevisionMismatch(name, current, expected_revision.value_or(0));
  });
}

}  // namespace jit::policy
