#include "services/audit/storage/postgres_event_store.h"

#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/db/pg_errors.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "pqxx/pqxx"
#include "services/audit/chain/canonical.h"
#include "services/audit/chain/details_json.h"

namespace jit::audit {
namespace {

const db::TransactionOptions kReadOnly{.read_only = true};

// Columns every event read selects, in this order (RowToEvent). The hashes are read as hex,
// the form AuditEvent carries them in.
const std::string& EventColumns() {
  static const std::string* const columns = new std::string(absl::StrCat(
      "sequence, id::text, code, type, ", db::MicrosOf("time"),
      ", service, replica, actor, target, outcome, message, details::text, request_id, "
      "session_id, remote_addr, ",
      db::MicrosOf("ingest_time"), ", encode(prev_hash, 'hex'), encode(hash, 'hex')"));
  return *columns;
}

const std::string& CheckpointColumns() {
  static const std::string* const columns = new std::string(absl::StrCat(
      "sequence, hash, ", db::MicrosOf("signed_at"), ", key_id, public_key, signature"));
  return *columns;
}

// A timestamptz parameter for whole microseconds since the epoch.
std::string Micros(int64_t micros) { return db::Timestamptz(absl::FromUnixMicros(micros)); }

absl::StatusOr<AuditEvent> RowToEvent(const pqxx::row& row) {
  AuditEvent e;
  e.set_sequence(row[0].as<int64_t>());
  e.set_id(row[1].as<std::string>());
  e.set_code(row[2].as<std::string>());
  e.set_type(row[3].as<std::string>());
  SetProtoTimestamp(db::TimeFromMicros(row[4]), e.mutable_time());
  e.set_service(row[5].as<std::string>());
  e.set_replica(row[6].as<std::string>());
  e.set_actor(row[7].as<std::string>());
  e.set_target(row[8].as<std::string>());
  e.set_outcome(static_cast<AuditEvent::Outcome>(row[9].as<int>()));
  e.set_message(row[10].as<std::string>());
  absl::StatusOr<google::protobuf::Struct> details =
      chain::DetailsFromJson(row[11].as<std::string>());
  if (!details.ok()) {
    return absl::DataLossError(
        absl::StrCat("event ", e.sequence(), ": ", details.status().message()));
  }
  *e.mutable_details() = *std::move(details);
  e.set_request_id(row[12].as<std::string>());
  e.set_session_id(row[13].as<std::string>());
  e.set_remote_addr(row[14].as<std::string>());
  SetProtoTimestamp(db::TimeFromMicros(row[15]), e.mutable_ingest_time());
  e.set_prev_hash(row[16].as<std::string>());
  e.set_hash(row[17].as<std::string>());
  return e;
}

absl::StatusOr<std::vector<AuditEvent>> RowsToEvents(const pqxx::result& rows) {
  std::vector<AuditEvent> out;
  out.reserve(rows.size());
  for (const pqxx::row& row : rows) {
    absl::StatusOr<AuditEvent> e = RowToEvent(row);
    if (!e.ok()) return e.status();
    out.push_back(*std::move(e));
  }
  return out;
}

StoredCheckpoint RowToCheckpoint(const pqxx::row& row) {
  StoredCheckpoint c;
  c.sequence = row[0].as<int64_t>();
  c.hash = db::BytesOf(row[1]);
  c.signed_at = db::TimeFromMicros(row[2]);
  c.key_id = row[3].as<std::string>();
  c.public_key = db::BytesOf(row[4]);
  c.signature = db::BytesOf(row[5]);
  return c;
}

// The smallest string greater than every string starting with `prefix` ("" when none is:
// a prefix of only 0xff bytes has no upper bound).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

// SearchEvents' statement and its parameters.
class SearchSql {
 public:
  std::string Param(std::string value) {
    params_.push_back(std::move(value));
    return absl::StrCat("$", params_.size());
  }
  void Where(std::string condition) { conditions_.push_back(std::move(condition)); }

  std::string Build(const SearchQuery& q) {
    const char* dir = q.ascending ? "ASC" : "DESC";
    return absl::StrCat("SELECT ", EventColumns(), " FROM audit.events",
                        conditions_.empty() ? "" : " WHERE ", absl::StrJoin(conditions_, " AND "),
                        " ORDER BY time ", dir, ", sequence ", dir, " LIMIT ", q.limit);
  }
  const std::vector<std::string>& params() const { return params_; }

 private:
  std::vector<std::string> params_;
  std::vector<std::string> conditions_;
};

}  // namespace

// A caller of Append waiting for its batch to be stored.
struct PostgresEventStore::Waiter {
  const std::vector<AuditEvent>* events;
  const CheckpointFn* checkpoint;
  absl::StatusOr<AppendResult> result;
  bool done = false;
};

absl::StatusOr<AppendResult> PostgresEventStore::Append(const std::vector<AuditEvent>& events,
                                                        const CheckpointFn& checkpoint) {
  Waiter me{&events, &checkpoint, AppendResult(), false};
  absl::MutexLock lock(&mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (leading_) {
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return me.done || !leading_; };
      mu_.Await(absl::Condition(&ready));
      continue;
    }
    // Lead: store what is queued (this batch first if it waited longest), in one
    // transaction, then hand each waiter its result.
    leading_ = true;
    std::vector<Waiter*> group;
    size_t events_in_group = 0;
    {
      mu_.Unlock();
      if (leader_hook_) leader_hook_();
      mu_.Lock();
    }
    while (!queue_.empty() &&
           (group.empty() || events_in_group + queue_.front()->events->size() <= kMaxGroupEvents)) {
      group.push_back(queue_.front());
      events_in_group += queue_.front()->events->size();
      queue_.pop_front();
    }
    mu_.Unlock();
    std::vector<const std::vector<AuditEvent>*> batches;
    for (Waiter* w : group) batches.push_back(w->events);
    absl::StatusOr<std::vector<AppendResult>> together =
        AppendGroup(batches, *group.front()->checkpoint);
    std::vector<absl::StatusOr<AppendResult>> results;
    if (together.ok()) {
      for (AppendResult& r : *together) results.push_back(std::move(r));
    } else if (group.size() == 1) {
      results.push_back(together.status());
    } else {
      // One batch's failure (a row PostgreSQL refuses) must not fail the others: each alone.
      for (Waiter* w : group) {
        absl::StatusOr<std::vector<AppendResult>> alone = AppendGroup({w->events}, *w->checkpoint);
        results.push_back(alone.ok() ? absl::StatusOr<AppendResult>((*alone)[0])
                                     : absl::StatusOr<AppendResult>(alone.status()));
      }
    }
    mu_.Lock();
    for (size_t i = 0; i < group.size(); ++i) {
      group[i]->result = std::move(results[i]);
      group[i]->done = true;
    }
    leading_ = false;
  }
  return std::move(me.result);
}

absl::StatusOr<std::vector<AppendResult>> PostgresEventStore::AppendGroup(
    const std::vector<const std::vector<AuditEvent>*>& batches, const CheckpointFn& checkpoint) {
  absl::StatusOr<std::vector<AppendResult>> r =
      AppendTogether(batches, checkpoint, /*lookup_ids=*/false);
  if (absl::IsAlreadyExists(r.status())) {
    r = AppendTogether(batches, checkpoint, /*lookup_ids=*/true);
  }
  return r;
}

absl::StatusOr<std::vector<AppendResult>> PostgresEventStore::AppendTogether(
    const std::vector<const std::vector<AuditEvent>*>& batches, const CheckpointFn& checkpoint,
    bool lookup_ids) {
  std::vector<AppendResult> results;
  absl::Status s = db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    results.assign(batches.size(), AppendResult());
    txn.exec("SET LOCAL synchronous_commit = on");
    const pqxx::row head_row =
        txn.exec1("SELECT sequence, hash FROM audit.chain_head WHERE id = 1 FOR UPDATE");
    ChainHead head{head_row[0].as<int64_t>(), db::BytesOf(head_row[1])};

    absl::flat_hash_set<std::string> seen;
    std::vector<std::string> ids;
    for (const auto* batch : batches) {
      for (const AuditEvent& e : *batch) ids.push_back(e.id());
    }
    if (lookup_ids && !ids.empty()) {
      // Validated UUIDs: no character needs quoting in an array literal.
      const pqxx::result stored =
          txn.exec_params("SELECT id::text FROM audit.events WHERE id = ANY($1::uuid[])",
                          absl::StrCat("{", absl::StrJoin(ids, ","), "}"));
      for (const pqxx::row& row : stored) seen.insert(row[0].as<std::string>());
    }

    std::string scratch;
    std::optional<pqxx::stream_to> copy;
    for (size_t b = 0; b < batches.size(); ++b) {
      for (const AuditEvent& e : *batches[b]) {
        if (!seen.insert(e.id()).second) {
          ++results[b].duplicates;
          continue;
        }
        if (!copy) {
          copy.emplace(txn, "audit.events",
                       std::vector<std::string>{"sequence", "id", "code", "type", "time", "service",
                                                "replica", "actor", "target", "outcome", "message",
                                                "details", "request_id", "session_id",
                                                "remote_addr", "ingest_time", "prev_hash", "hash"});
        }
        const int64_t sequence = head.sequence + 1;
        std::string hash = chain::ChainHash(head.hash, e, sequence, &scratch);
        *copy << std::make_tuple(sequence, e.id(), e.code(), e.type(),
                                 Micros(chain::TimestampMicros(e.time())), e.service(), e.replica(),
                                 e.actor(), e.target(), static_cast<int>(e.outcome()), e.message(),
                                 chain::DetailsToJson(e.details()), e.request_id(), e.session_id(),
                                 e.remote_addr(), Micros(chain::TimestampMicros(e.ingest_time())),
                                 absl::StrCat("\\x", absl::BytesToHexString(head.hash)),
                                 absl::StrCat("\\x", absl::BytesToHexString(hash)));
        head.sequence = sequence;
        head.hash = std::move(hash);
        ++results[b].accepted;
      }
    }
    std::optional<StoredCheckpoint> signed_checkpoint;
    if (copy) {
      copy->complete();
      txn.exec_params("UPDATE audit.chain_head SET sequence = $1, hash = $2 WHERE id = 1",
                      head.sequence, db::Bytea(head.hash));
      if (checkpoint) {
        const int64_t latest =
            txn.exec1("SELECT coalesce(max(sequence), 0) FROM audit.checkpoints")[0].as<int64_t>();
        signed_checkpoint = checkpoint(head, latest);
        if (signed_checkpoint) InsertCheckpoint(txn, *signed_checkpoint);
      }
    }
    for (AppendResult& r : results) {
      r.head = head;
      r.checkpoint = signed_checkpoint;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return results;
}

void PostgresEventStore::SetLeaderHookForTest(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  leader_hook_ = std::move(hook);
}

size_t PostgresEventStore::QueuedForTest() {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::StatusOr<ChainHead> PostgresEventStore::Head() {
  ChainHead head;
  absl::Status s = db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    const pqxx::row row = txn.exec1("SELECT sequence, hash FROM audit.chain_head WHERE id = 1");
    head.sequence = row[0].as<int64_t>();
    head.hash = db::BytesOf(row[1]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return head;
}

absl::StatusOr<std::vector<AuditEvent>> PostgresEventStore::ReadAfter(int64_t after, int limit) {
  absl::StatusOr<std::vector<AuditEvent>> out;
  absl::Status s = db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    out = RowsToEvents(txn.exec_params(
        absl::StrCat("SELECT ", EventColumns(),
                     " FROM audit.events WHERE sequence > $1 ORDER BY sequence LIMIT $2"),
        after, limit));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<AuditEvent>> PostgresEventStore::Search(const SearchQuery& q) {
  SearchSql sql;
  if (q.start) {
    sql.Where(absl::StrCat("time >= ", sql.Param(db::Timestamptz(*q.start)), "::timestamptz"));
  }
  if (q.end) {
    sql.Where(absl::StrCat("time < ", sql.Param(db::Timestamptz(*q.end)), "::timestamptz"));
  }
  std::vector<std::string> type_terms;
  for (const std::string& t : q.exact_types) {
    type_terms.push_back(absl::StrCat("type = ", sql.Param(t)));
  }
  for (const std::string& p : q.type_prefixes) {
    const std::string end = PrefixEnd(p);
    std::string term = absl::StrCat("type >= ", sql.Param(p));
    if (!end.empty()) absl::StrAppend(&term, " AND type < ", sql.Param(end));
    type_terms.push_back(absl::StrCat("(", term, ")"));
  }
  if (!type_terms.empty()) {
    sql.Where(absl::StrCat("(", absl::StrJoin(type_terms, " OR "), ")"));
  }
  if (!q.actor.empty()) sql.Where(absl::StrCat("actor = ", sql.Param(q.actor)));
  if (!q.target.empty()) sql.Where(absl::StrCat("target = ", sql.Param(q.target)));
  if (!q.request_id.empty()) {
    sql.Where(absl::StrCat("request_id = ", sql.Param(q.request_id)));
  }
  if (q.outcome) {
    sql.Where(absl::StrCat("outcome = ", sql.Param(absl::StrCat(static_cast<int>(*q.outcome))),
                           "::smallint"));
  }
  if (q.after) {
    sql.Where(absl::StrCat("(time, sequence) ", q.ascending ? ">" : "<", " (",
                           sql.Param(Micros(q.after->time_micros)), "::timestamptz, ",
                           sql.Param(absl::StrCat(q.after->sequence)), "::bigint)"));
  }
  const std::string statement = sql.Build(q);
  absl::StatusOr<std::vector<AuditEvent>> out;
  absl::Status s = db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    out =
        RowsToEvents(txn.exec_params(statement, pqxx::prepare::make_dynamic_params(sql.params())));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status PostgresEventStore::AddCheckpoint(const StoredCheckpoint& c) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) {
    InsertCheckpoint(txn, c);
    return absl::OkStatus();
  });
}

void PostgresEventStore::InsertCheckpoint(pqxx::transaction_base& txn, const StoredCheckpoint& c) {
  txn.exec_params(
      "INSERT INTO audit.checkpoints (sequence, hash, signed_at, key_id, public_key, "
      "signature) VALUES ($1, $2, $3::timestamptz, $4, $5, $6) "
      "ON CONFLICT (sequence) DO NOTHING",
      c.sequence, db::Bytea(c.hash), db::Timestamptz(c.signed_at), c.key_id,
      db::Bytea(c.public_key), db::Bytea(c.signature));
}

absl::StatusOr<std::optional<StoredCheckpoint>> PostgresEventStore::LatestCheckpoint() {
  std::optional<StoredCheckpoint> out;
  absl::Status s = db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    const pqxx::result rows = txn.exec(absl::StrCat(
        "SELECT ", CheckpointColumns(), " FROM audit.checkpoints ORDER BY sequence DESC LIMIT 1"));
    if (!rows.empty()) out = RowToCheckpoint(rows[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<StoredCheckpoint>> PostgresEventStore::ListCheckpoints(int64_t before,
                                                                                  int limit) {
  std::vector<StoredCheckpoint> out;
  absl::Status s = db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    out.clear();
    const pqxx::result rows =
        txn.exec_params(absl::StrCat("SELECT ", CheckpointColumns(),
                                     " FROM audit.checkpoints WHERE $1 = 0 OR sequence < $1 "
                                     "ORDER BY sequence DESC LIMIT $2"),
                        before, limit);
    for (const pqxx::row& row : rows) out.push_back(RowToCheckpoint(row));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<StoredCheckpoint>> PostgresEventStore::CheckpointsBetween(int64_t from,
                                                                                     int64_t to) {
  std::vector<StoredCheckpoint> out;
  absl::Status s = db::RunInTransaction(*pool_, kReadOnly, [&](pqxx::transaction_base& txn) {
    out.clear();
    const pqxx::result rows = txn.exec_params(
        absl::StrCat("SELECT ", CheckpointColumns(),
                     " FROM audit.checkpoints WHERE sequence BETWEEN $1 AND $2 ORDER BY sequence"),
        from, to);
    for (const pqxx::row& row : rows) out.push_back(RowToCheckpoint(row));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

void PostgresHeadWatcher::WaitBeyond(int64_t sequence, absl::Duration max_wait) {
  const absl::Time deadline = absl::Now() + max_wait;
  while (true) {
    absl::StatusOr<ChainHead> head = store_->Head();
    if (head.ok() && head->sequence > sequence) return;
    const absl::Time now = absl::Now();
    if (now >= deadline) return;
    absl::SleepFor(std::min(poll_interval_, deadline - now));
  }
}

}  // namespace jit::audit
