#include "services/requests/postgres_request_store.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"

namespace jit::requests {
namespace {

const db::TransactionOptions kReadOnly{.read_only = true};

// Columns every read of a request selects, in this order.
constexpr char kRequestColumns[] = "id::text, revision, body";

absl::StatusOr<AccessRequest> RequestFromRow(const pqxx::row& row) {
  AccessRequest request;
  if (!request.ParseFromString(db::BytesOf(row[2]))) {
    return absl::DataLossError(
        absl::StrCat("stored request ", row[0].as<std::string>(), " cannot be decoded"));
  }
  request.set_revision(row[1].as<int64_t>());
  return request;
}

absl::StatusOr<std::vector<AccessRequest>> RequestsFromRows(const pqxx::result& rows) {
  std::vector<AccessRequest> out;
  out.reserve(rows.size());
  for (const pqxx::row& row : rows) {
    ASSIGN_OR_RETURN(AccessRequest request, RequestFromRow(row));
    out.push_back(std::move(request));
  }
  return out;
}

std::string OptionalTime(const google::protobuf::Timestamp& t, bool present) {
  return present ? db::Timestamptz(FromProtoTimestamp(t)) : std::string();
}

std::string DueColumn(const AccessRequest& request) {
  std::optional<absl::Time> due = DueTime(request);
  return due.has_value() ? db::Timestamptz(*due) : std::string();
}

void LoadHistory(pqxx::transaction_base& txn, AccessRequest* request) {
  pqxx::result rows = txn.exec_params(
      absl::StrCat("SELECT from_state, to_state, actor, ", db::MicrosOf("time"),
                   ", reason, revision FROM requests.transitions WHERE request_id = $1::uuid "
                   "ORDER BY revision"),
      request->id());
  request->clear_history();
  for (const pqxx::row& row : rows) {
    AccessRequestTransition* t = request->add_history();
    t->set_from_state(static_cast<AccessRequestState>(row[0].as<int>()));
    t->set_to_state(static_cast<AccessRequestState>(row[1].as<int>()));
    t->set_actor(row[2].as<std::string>());
    SetProtoTimestamp(db::TimeFromMicros(row[3]), t->mutable_time());
    t->set_reason(row[4].as<std::string>());
    t->set_revision(row[5].as<int64_t>());
  }
}

void InsertTransition(pqxx::transaction_base& txn, const std::string& id,
                      const AccessRequestTransition& t) {
  txn.exec_params(
      "INSERT INTO requests.transitions (request_id, revision, from_state, to_state, actor, "
      "time, reason) VALUES ($1::uuid, $2, $3::smallint, $4::smallint, $5, $6::timestamptz, $7)",
      id, t.revision(), static_cast<int>(t.from_state()), static_cast<int>(t.to_state()), t.actor(),
      db::Timestamptz(FromProtoTimestamp(t.time())), t.reason());
}

int64_t NextRevision(pqxx::transaction_base& txn) {
  return txn.exec1("SELECT nextval('requests.revision_seq')")[0].as<int64_t>();
}

// The change log row of WatchRequests (change_feed.h); `body` is the request as stored.
void RecordChange(pqxx::transaction_base& txn, const std::string& id, int64_t revision,
                  AccessRequestState prev_state, const std::string& body) {
  txn.exec_params(
      "INSERT INTO requests.changes (revision, request_id, prev_state, body) "
      "VALUES ($1, $2::uuid, $3::smallint, $4)",
      revision, id, static_cast<int>(prev_state), db::Bytea(body));
}

// Writes `change` for the locked request `id` (whose state was `prev_state`); the stored
// request goes to `*stored`.
void WriteChange(pqxx::transaction_base& txn, const std::string& id, AccessRequestState prev_state,
                 RequestChange& change, AccessRequest* stored) {
  const int64_t revision = NextRevision(txn);
  AccessRequest& request = change.request;
  request.set_revision(revision);
  request.clear_history();
  const std::string body = request.SerializeAsString();
  txn.exec_params(
      "UPDATE requests.requests SET state = $2::smallint, "
      "due_time = NULLIF($3, '')::timestamptz, "
      "access_expire_time = NULLIF($4, '')::timestamptz, revision = $5, body = $6, "
      "break_glass_awaiting = $7, post_review_due = NULLIF($8, '')::timestamptz "
      "WHERE id = $1::uuid",
      id, static_cast<int>(request.state()), DueColumn(request),
      OptionalTime(request.access_expire_time(), request.has_access_expire_time()), revision,
      db::Bytea(body), AwaitsPostReview(request),
      OptionalTime(request.post_review_due_time(), request.has_post_review_due_time()));
  RecordChange(txn, id, revision, prev_state, body);
  if (change.review.has_value()) {
    const AccessReview& review = *change.review;
    txn.exec_params(
        "INSERT INTO requests.reviews (request_id, reviewer, verdict, create_time, review) "
        "VALUES ($1::uuid, $2, $3::smallint, $4::timestamptz, $5)",
        id, review.reviewer(), static_cast<int>(review.verdict()),
        db::Timestamptz(FromProtoTimestamp(review.create_time())),
        db::Bytea(review.SerializeAsString()));
  }
  if (change.transition.has_value()) {
    change.transition->set_revision(revision);
    InsertTransition(txn, id, *change.transition);
  }
  for (const AuditEvent& event : change.events) {
    audit::InsertOutboxEvent(txn, kRequestsSchema, event);
  }
  *stored = request;
}

// A WHERE clause with positional text parameters.
class Sql {
 public:
  std::string Param(std::string value) {
    params_.push_back(std::move(value));
    return absl::StrCat("$", params_.size());
  }
  void Where(std::string condition) { conditions_.push_back(std::move(condition)); }
  std::string WhereClause() const {
    return conditions_.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(conditions_, " AND "));
  }
  const std::vector<std::string>& params() const { return params_; }

 private:
  std::vector<std::string> params_;
  std::vector<std::string> conditions_;
};

}  // namespace

absl::StatusOr<RequestStore::Created> PostgresRequestStore::Create(
    const AccessRequest& request, const std::string& content_hash,
    const AccessRequestTransition& transition, const std::vector<AuditEvent>& events) {
  Created out;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    // One round trip for the request, its change-feed row and its first transition (the
    // revision is taken inside; readers take it from the column, so the body goes without).
    AccessRequest stored = request;
    stored.clear_revision();
    stored.clear_history();
    const bool keyed = !request.request_key().empty();
    const std::string body = stored.SerializeAsString();
    pqxx::result inserted = txn.exec_params(
        "WITH r AS (INSERT INTO requests.requests (id, user_name, state, create_time, due_time, "
        "access_expire_time, revision, request_key, content_hash, body, break_glass_awaiting, "
        "post_review_due) "
        "VALUES ($1::uuid, $2, $3::smallint, $4::timestamptz, NULLIF($5, '')::timestamptz, "
        "NULLIF($6, '')::timestamptz, nextval('requests.revision_seq'), NULLIF($7, ''), "
        "NULLIF($8, ''), $9, $10, NULLIF($11, '')::timestamptz) "
        "ON CONFLICT (user_name, request_key) WHERE request_key IS NOT NULL DO NOTHING "
        "RETURNING id, revision), "
        "c AS (INSERT INTO requests.changes (revision, request_id, prev_state, body) "
        "SELECT revision, id, 0, $9 FROM r), "
        "t AS (INSERT INTO requests.transitions (request_id, revision, from_state, to_state, "
        "actor, time, reason) SELECT id, revision, $12::smallint, $13::smallint, $14, "
        "$15::timestamptz, $16 FROM r) "
        "SELECT revision FROM r",
        stored.id(), stored.user(), static_cast<int>(stored.state()),
        db::Timestamptz(FromProtoTimestamp(stored.create_time())), DueColumn(stored),
        OptionalTime(stored.access_expire_time(), stored.has_access_expire_time()),
        stored.request_key(), keyed ? content_hash : std::string(), db::Bytea(body),
        AwaitsPostReview(stored),
        OptionalTime(stored.post_review_due_time(), stored.has_post_review_due_time()),
        static_cast<int>(transition.from_state()), static_cast<int>(transition.to_state()),
        transition.actor(), db::Timestamptz(FromProtoTimestamp(transition.time())),
        transition.reason());
    if (inserted.empty()) {
      // The key was used before (perhaps by a create committed a moment ago).
      pqxx::result existing = txn.exec_params(
          absl::StrCat("SELECT ", kRequestColumns,
                       ", content_hash FROM requests.requests WHERE user_name = $1 AND "
                       "request_key = $2"),
          stored.user(), stored.request_key());
      if (existing.empty()) return absl::AbortedError("idempotency key race; retry");
      if (existing[0][3].as<std::string>() != content_hash) {
        return absl::AlreadyExistsError(
            "request_key was used before for a request with other content");
      }
      ASSIGN_OR_RETURN(out.request, RequestFromRow(existing[0]));
      LoadHistory(txn, &out.request);
      out.created = false;
      return absl::OkStatus();
    }
    const int64_t revision = inserted[0][0].as<int64_t>();
    stored.set_revision(revision);
    AccessRequestTransition t = transition;
    t.set_revision(revision);
    for (const AuditEvent& event : events) audit::InsertOutboxEvent(txn, kRequestsSchema, event);
    if (hook_ != nullptr) {
      RETURN_IF_ERROR(
          hook_->OnChange(txn, jit::common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED, stored));
    }
    *stored.add_history() = t;
    out.request = std::move(stored);
    out.created = true;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<AccessRequest> PostgresRequestStore::Get(std::string_view id) {
  AccessRequest request;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT ", kRequestColumns, " FROM requests.requests WHERE id = $1::uuid"),
            std::string(id));
        if (r.empty()) return absl::NotFoundError("request not found");
        ASSIGN_OR_RETURN(request, RequestFromRow(r[0]));
        LoadHistory(txn, &request);
        return absl::OkStatus();
      }));
  return request;
}

absl::StatusOr<AccessRequest> PostgresRequestStore::Update(std::string_view id, Decide decide) {
  AccessRequest stored;
  absl::Status after;
  const std::string key(id);
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r =
        txn.exec_params(absl::StrCat("SELECT ", kRequestColumns,
                                     " FROM requests.requests WHERE id = $1::uuid FOR UPDATE"),
                        key);
    if (r.empty()) return absl::NotFoundError("request not found");
    ASSIGN_OR_RETURN(AccessRequest current, RequestFromRow(r[0]));
    LoadHistory(txn, &current);
    ASSIGN_OR_RETURN(RequestChange change, decide(current));
    after = change.after;
    if (!change.write) {
      stored = std::move(current);
      return absl::OkStatus();
    }
    auto history = current.history();
    WriteChange(txn, key, current.state(), change, &stored);
    if (hook_ != nullptr) RETURN_IF_ERROR(hook_->OnChange(txn, current.state(), stored));
    *stored.mutable_history() = std::move(history);
    if (change.transition.has_value()) *stored.add_history() = *change.transition;
    return absl::OkStatus();
  }));
  if (!after.ok()) return after;
  return stored;
}

absl::StatusOr<std::vector<AccessRequest>> PostgresRequestStore::List(const ListQuery& query) {
  Sql sql;
  if (query.states.size() == 1) {
    // Equality, not ANY: only then does PostgreSQL 15 read requests_by_state in order and
    // stop after `limit` rows (with ANY it fetches every row of the state and sorts them).
    sql.Where(absl::StrCat("state = ", sql.Param(absl::StrCat(static_cast<int>(query.states[0]))),
                           "::smallint"));
  } else if (!query.states.empty()) {
    std::vector<std::string> states;
    for (AccessRequestState s : query.states) states.push_back(absl::StrCat(static_cast<int>(s)));
    sql.Where(absl::StrCat("state = ANY(",
                           sql.Param(absl::StrCat("{", absl::StrJoin(states, ","), "}")),
                           "::smallint[])"));
  }
  if (!query.user.empty()) sql.Where(absl::StrCat("user_name = ", sql.Param(query.user)));
  if (!query.exclude_user.empty()) {
    sql.Where(absl::StrCat("user_name <> ", sql.Param(query.exclude_user)));
  }
  if (query.created_after.has_value()) {
    sql.Where(absl::StrCat("create_time > ", sql.Param(db::Timestamptz(*query.created_after)),
                           "::timestamptz"));
  }
  if (query.break_glass_awaiting) sql.Where("break_glass_awaiting");
  if (query.cursor_time.has_value()) {
    sql.Where(absl::StrCat("(create_time, id) < (", sql.Param(db::Timestamptz(*query.cursor_time)),
                           "::timestamptz, ", sql.Param(query.cursor_id), "::uuid)"));
  }
  const std::string statement =
      absl::StrCat("SELECT ", kRequestColumns, " FROM requests.requests", sql.WhereClause(),
                   " ORDER BY create_time DESC, id DESC LIMIT ", std::max(0, query.limit));
  absl::StatusOr<std::vector<AccessRequest>> out;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    out = RequestsFromRows(
        txn.exec_params(statement, pqxx::prepare::make_dynamic_params(sql.params())));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<AccessRequest>> PostgresRequestStore::ListGrants(
    const GrantQuery& query) {
  Sql sql;
  sql.Where(query.revoked_only ? "state = 6" : "state IN (2, 6)");
  sql.Where(absl::StrCat("access_expire_time > ", sql.Param(db::Timestamptz(query.now)),
                         "::timestamptz"));
  if (!query.user.empty()) sql.Where(absl::StrCat("user_name = ", sql.Param(query.user)));
  if (!query.ids.empty()) {
    sql.Where(absl::StrCat("id = ANY(",
                           sql.Param(absl::StrCat("{", absl::StrJoin(query.ids, ","), "}")),
                           "::uuid[])"));
  }
  if (!query.after_id.empty()) {
    sql.Where(absl::StrCat("id > ", sql.Param(query.after_id), "::uuid"));
  }
  const std::string statement =
      absl::StrCat("SELECT ", kRequestColumns, " FROM requests.requests", sql.WhereClause(),
                   " ORDER BY id LIMIT ", std::max(0, query.limit));
  absl::StatusOr<std::vector<AccessRequest>> out;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    out = RequestsFromRows(
        txn.exec_params(statement, pqxx::prepare::make_dynamic_params(sql.params())));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<AccessRequest>> PostgresRequestStore::ExpireDue(absl::Time now,
                                                                           int limit,
                                                                           Expire expire) {
  std::vector<AccessRequest> changed;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    changed.clear();
    pqxx::result rows =
        txn.exec_params(absl::StrCat("SELECT ", kRequestColumns,
                                     " FROM requests.requests WHERE due_time <= $1::timestamptz "
                                     "ORDER BY due_time LIMIT $2 FOR UPDATE SKIP LOCKED"),
                        db::Timestamptz(now), limit);
    for (const pqxx::row& row : rows) {
      ASSIGN_OR_RETURN(AccessRequest current, RequestFromRow(row));
      ASSIGN_OR_RETURN(RequestChange change, expire(current));
      if (!change.write) continue;
      AccessRequest stored;
      WriteChange(txn, current.id(), current.state(), change, &stored);
      if (hook_ != nullptr) RETURN_IF_ERROR(hook_->OnChange(txn, current.state(), stored));
      changed.push_back(std::move(stored));
    }
    return absl::OkStatus();
  }));
  return changed;
}

absl::StatusOr<std::optional<absl::Time>> PostgresRequestStore::NextDueTime() {
  std::optional<absl::Time> next;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    pqxx::row row = txn.exec1(absl::StrCat("SELECT ", db::MicrosOf("min(due_time)"),
                                           " FROM requests.requests WHERE due_time IS NOT NULL"));
    next.reset();
    if (!row[0].is_null()) next = db::TimeFromMicros(row[0]);
    return absl::OkStatus();
  }));
  return next;
}

absl::StatusOr<RequestCounts> PostgresRequestStore::Counts(absl::Time now) {
  RequestCounts counts;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    counts.pending =
        txn.exec1("SELECT count(*) FROM requests.requests WHERE state = 1")[0].as<int64_t>();
    counts.active_grants = txn.exec_params1(
                                  "SELECT count(*) FROM requests.requests WHERE state = 2 AND "
                                  "access_expire_time > $1::timestamptz",
                                  db::Timestamptz(now))[0]
                               .as<int64_t>();
    pqxx::row bg = txn.exec_params1(
        "SELECT count(*), count(*) FILTER (WHERE post_review_due <= $1::timestamptz) "
        "FROM requests.requests WHERE break_glass_awaiting",
        db::Timestamptz(now));
    counts.break_glass_unreviewed = bg[0].as<int64_t>();
    counts.break_glass_overdue = bg[1].as<int64_t>();
    return absl::OkStatus();
  }));
  return counts;
}

absl::StatusOr<int64_t> PostgresRequestStore::Sequence() {
  int64_t head = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    // One sequencer at a time; the others leave it to the one running.
    if (txn.exec_params1("SELECT pg_try_advisory_xact_lock($1)", kSequencerLock)[0].as<bool>()) {
      // Changes of transactions below the oldest running one are final: nothing can
      // commit a change before them any more. Numbered after the newest position, in
      // (transaction id, revision) order.
      pqxx::result numbered = txn.exec(
          "WITH head AS (SELECT coalesce(max(position), 0) AS p FROM requests.changes), "
          "due AS (SELECT revision, row_number() OVER (ORDER BY xid, revision) AS n "
          "FROM requests.changes WHERE position IS NULL "
          "AND xid < pg_snapshot_xmin(pg_current_snapshot())) "
          "UPDATE requests.changes c SET position = head.p + due.n FROM head, due "
          "WHERE c.revision = due.revision RETURNING c.position");
      if (!numbered.empty()) {
        txn.exec_params("SELECT pg_notify($1, '')", std::string(kChangeChannel));
      }
    }
    head = txn.exec1("SELECT coalesce(max(position), 0) FROM requests.changes")[0].as<int64_t>();
    return absl::OkStatus();
  }));
  return head;
}

namespace {

absl::StatusOr<AccessRequest> ChangedRequest(const pqxx::field& revision, const pqxx::field& body) {
  AccessRequest request;
  if (!request.ParseFromString(db::BytesOf(body))) {
    return absl::DataLossError(
        absl::StrCat("stored change ", revision.as<int64_t>(), " cannot be decoded"));
  }
  request.set_revision(revision.as<int64_t>());
  return request;
}

}  // namespace

absl::StatusOr<std::vector<FeedChange>> PostgresRequestStore::ReadAfter(int64_t position,
                                                                        int limit) {
  std::vector<FeedChange> out;
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) -> absl::Status {
        out.clear();
        pqxx::result rows = txn.exec_params(
            "SELECT position, prev_state, revision, body FROM requests.changes "
            "WHERE position > $1 ORDER BY position LIMIT $2",
            position, std::max(0, limit));
        for (const pqxx::row& row : rows) {
          FeedChange change;
          change.position = row[0].as<int64_t>();
          change.prev_state = static_cast<AccessRequestState>(row[1].as<int>());
          ASSIGN_OR_RETURN(change.request, ChangedRequest(row[2], row[3]));
          out.push_back(std::move(change));
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<FeedSnapshot> PostgresRequestStore::Snapshot(int limit) {
  FeedSnapshot out;
  const db::TransactionOptions options{.isolation = db::Isolation::kRepeatableRead,
                                       .read_only = true};
  RETURN_IF_ERROR(
      db::RunInTransaction(*pool_, options, [&](pqxx::transaction_base& txn) -> absl::Status {
        out = FeedSnapshot();
        // Every change this snapshot sees has a position <= P, except those not numbered yet:
        // their requests are taken as of P from the log (or left out if created after P).
        out.position =
            txn.exec1("SELECT coalesce(max(position), 0) FROM requests.changes")[0].as<int64_t>();
        std::vector<std::string> later;
        for (const pqxx::row& row : txn.exec(
                 "SELECT DISTINCT request_id::text FROM requests.changes WHERE position IS NULL")) {
          later.push_back(row[0].as<std::string>());
        }
        const std::string later_array = absl::StrCat("{", absl::StrJoin(later, ","), "}");
        pqxx::result rows =
            txn.exec_params(absl::StrCat("SELECT ", kRequestColumns,
                                         " FROM requests.requests WHERE NOT (id = ANY($1::uuid[])) "
                                         "ORDER BY create_time DESC, id DESC LIMIT $2"),
                            later_array, limit + 1);
        ASSIGN_OR_RETURN(out.requests, RequestsFromRows(rows));
        if (!later.empty()) {
          pqxx::result before = txn.exec_params(
              "SELECT DISTINCT ON (request_id) revision, body FROM requests.changes "
              "WHERE request_id = ANY($1::uuid[]) AND position IS NOT NULL "
              "ORDER BY request_id, position DESC",
              later_array);
          for (const pqxx::row& row : before) {
            ASSIGN_OR_RETURN(AccessRequest request, ChangedRequest(row[0], row[1]));
            out.requests.push_back(std::move(request));
          }
          std::sort(out.requests.begin(), out.requests.end(),
                    [](const AccessRequest& a, const AccessRequest& b) {
                      const absl::Time ta = FromProtoTimestamp(a.create_time());
                      const absl::Time tb = FromProtoTimestamp(b.create_time());
                      return ta != tb ? ta > tb : a.id() > b.id();
                    });
        }
        if (static_cast<int>(out.requests.size()) > limit) {
          return absl::ResourceExhaustedError(
              absl::StrCat("more than ", limit, " requests to show at the start of a watch"));
        }
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace jit::requests
