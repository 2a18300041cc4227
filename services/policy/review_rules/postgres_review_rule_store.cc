#include "services/policy/review_rules/postgres_review_rule_store.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_errors.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "google/protobuf/util/json_util.h"
#include "pqxx/pqxx"
#include "services/policy/role_store.h"
#include "services/policy/service_name.h"

namespace jit::policy {
namespace {

using jit::policy::v1::AccessReviewRule;

const std::string& Columns() {
  static const std::string* columns = new std::string(
      absl::StrCat("name, rule::text, revision, ", db::MicrosOf("update_time"), ", updated_by"));
  return *columns;
}

const db::TransactionOptions kReadOnly{.read_only = true};

void SetServerFields(int64_t revision, absl::Time update_time, std::string_view updated_by,
                     AccessReviewRule* rule) {
  auto* md = rule->mutable_metadata();
  md->set_revision(revision);
  SetProtoTimestamp(update_time, md->mutable_update_time());
  md->set_updated_by(std::string(updated_by));
}

absl::StatusOr<std::string> StoredJson(AccessReviewRule rule) {
  auto* md = rule.mutable_metadata();
  md->clear_revision();
  md->clear_update_time();
  md->clear_updated_by();
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(rule, &json, options); !s.ok()) {
    return absl::InternalError(absl::StrCat("encoding rule: ", s.ToString()));
  }
  return json;
}

absl::StatusOr<AccessReviewRule> FromRow(const pqxx::row& row) {
  const std::string name = row[0].as<std::string>();
  AccessReviewRule rule;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (auto s =
          google::protobuf::util::JsonStringToMessage(row[1].as<std::string>(), &rule, options);
      !s.ok()) {
    return absl::DataLossError(absl::StrCat("stored review rule ", QuoteBounded(name),
                                            " cannot be decoded: ", s.message().ToString()));
  }
  rule.mutable_metadata()->set_name(name);
  SetServerFields(row[2].as<int64_t>(), db::TimeFromMicros(row[3]), row[4].as<std::string>(),
                  &rule);
  return rule;
}

int64_t CurrentRevision(pqxx::transaction_base& txn, const std::string& name) {
  pqxx::result r =
      txn.exec_params("SELECT revision FROM policy.review_rules WHERE name = $1", name);
  return r.empty() ? 0 : r[0][0].as<int64_t>();
}

void Bump(pqxx::transaction_base& txn) {
  txn.exec("UPDATE policy.review_rule_state SET generation = generation + 1");
}

absl::Status Mismatch(std::string_view name, int64_t current, int64_t expected) {
  return absl::AbortedError(absl::StrCat("review rule ", QuoteBounded(name), " is at revision ",
                                         current, ", not ", expected));
}

}  // namespace

absl::StatusOr<AccessReviewRule> PostgresReviewRuleStore::Get(std::string_view name) const {
  AccessReviewRule rule;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT ", Columns(), " FROM policy.review_rules WHERE name = $1"),
            std::string(name));
        if (r.empty()) {
          return absl::NotFoundError(
              absl::StrCat("review rule ", QuoteBounded(name), " not found"));
        }
        ASSIGN_OR_RETURN(rule, FromRow(r[0]));
        return absl::OkStatus();
      }));
  return rule;
}

absl::StatusOr<std::vector<AccessReviewRule>> PostgresReviewRuleStore::List(std::string_view after,
                                                                            int limit) const {
  std::vector<AccessReviewRule> rules;
  if (limit <= 0) return rules;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        rules.clear();
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT ", Columns(),
                         " FROM policy.review_rules WHERE name > $1 ORDER BY name LIMIT $2"),
            std::string(after), limit);
        for (const pqxx::row& row : r) {
          ASSIGN_OR_RETURN(AccessReviewRule rule, FromRow(row));
          rules.push_back(std::move(rule));
        }
        return absl::OkStatus();
      }));
  return rules;
}

absl::StatusOr<ReviewRuleStore::Contents> PostgresReviewRuleStore::ListAll() const {
  Contents contents;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.isolation = db::Isolation::kRepeatableRead, .read_only = true},
      [&](pqxx::transaction_base& txn) -> absl::Status {
        contents.rules.clear();
        contents.generation =
            txn.exec("SELECT generation FROM policy.review_rule_state")[0][0].as<int64_t>();
        pqxx::result r =
            txn.exec(absl::StrCat("SELECT ", Columns(), " FROM policy.review_rules ORDER BY name"));
        for (const pqxx::row& row : r) {
          ASSIGN_OR_RETURN(AccessReviewRule rule, FromRow(row));
          contents.rules.push_back(std::move(rule));
        }
        return absl::OkStatus();
      }));
  return contents;
}

absl::StatusOr<int64_t> PostgresReviewRuleStore::Generation() const {
  int64_t generation = 0;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        generation =
            txn.exec("SELECT generation FROM policy.review_rule_state")[0][0].as<int64_t>();
        return absl::OkStatus();
      }));
  return generation;
}

absl::StatusOr<int64_t> PostgresReviewRuleStore::Count() const {
  int64_t count = 0;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        count = txn.exec("SELECT count(*) FROM policy.review_rules")[0][0].as<int64_t>();
        return absl::OkStatus();
      }));
  return count;
}

absl::StatusOr<AccessReviewRule> PostgresReviewRuleStore::Upsert(
    const AccessReviewRule& rule, std::optional<int64_t> expected_revision, absl::Time now,
    std::string_view updated_by, const jit::common::v1::AuditEvent& event) {
  const std::string name = rule.metadata().name();
  if (name.empty()) return absl::InvalidArgumentError("metadata.name is required");
  ASSIGN_OR_RETURN(const std::string json, StoredJson(rule));
  const absl::Time update_time = TruncateToMicros(now);
  const std::string timestamp = db::Timestamptz(update_time);
  const std::string actor(updated_by);
  int64_t revision = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r;
    if (!expected_revision.has_value()) {
      r = txn.exec_params(
          "INSERT INTO policy.review_rules AS r (name, rule, revision, update_time, updated_by) "
          "VALUES ($1, $2::jsonb, 1, $3::timestamptz, $4) "
          "ON CONFLICT (name) DO UPDATE SET rule = EXCLUDED.rule, revision = r.revision + 1, "
          "update_time = EXCLUDED.update_time, updated_by = EXCLUDED.updated_by "
          "RETURNING revision",
          name, json, timestamp, actor);
    } else if (*expected_revision == 0) {
      r = txn.exec_params(
          "INSERT INTO policy.review_rules (name, rule, revision, update_time, updated_by) "
          "VALUES ($1, $2::jsonb, 1, $3::timestamptz, $4) "
          "ON CONFLICT (name) DO NOTHING RETURNING revision",
          name, json, timestamp, actor);
    } else {
      r = txn.exec_params(
          "UPDATE policy.review_rules SET rule = $2::jsonb, revision = revision + 1, "
          "update_time = $3::timestamptz, updated_by = $4 "
          "WHERE name = $1 AND revision = $5 RETURNING revision",
          name, json, timestamp, actor, *expected_revision);
    }
    if (r.empty()) {
      return Mismatch(name, CurrentRevision(txn, name), expected_revision.value_or(0));
    }
    revision = r[0][0].as<int64_t>();
    Bump(txn);
    audit::InsertOutboxEvent(txn, kPolicyService, WithRoleRevision(event, revision));
    return absl::OkStatus();
  }));
  AccessReviewRule stored = rule;
  SetServerFields(revision, update_time, updated_by, &stored);
  return stored;
}

absl::Status PostgresReviewRuleStore::Delete(std::string_view name,
                                             std::optional<int64_t> expected_revision,
                                             const jit::common::v1::AuditEvent& event) {
  const std::string key(name);
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r =
        expected_revision.has_value()
            ? txn.exec_params(
                  "DELETE FROM policy.review_rules WHERE name = $1 AND revision = $2 "
                  "RETURNING revision",
                  key, *expected_revision)
            : txn.exec_params("DELETE FROM policy.review_rules WHERE name = $1 RETURNING revision",
                              key);
    if (!r.empty()) {
      Bump(txn);
      audit::InsertOutboxEvent(txn, kPolicyService, WithRoleRevision(event, r[0][0].as<int64_t>()));
      return absl::OkStatus();
    }
    const int64_t current = CurrentRevision(txn, key);
    if (current == 0) {
      return absl::NotFoundError(absl::StrCat("review rule ", QuoteBounded(name), " not found"));
    }
    return Mismatch(name, current, expected_revision.value_or(0));
  });
}

}  // namespace jit::policy
