#include "services/requests/notify/notification_queue.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/requests/notify/notification_planner.h"

namespace jit::requests::notify {

absl::Status PostgresNotificationQueue::OnChange(pqxx::transaction_base& txn,
                                                 AccessRequestState from,
                                                 const AccessRequest& after) {
  const absl::Time now = FromProtoTimestamp(after.update_time());
  const Plan plan = PlanNotifications(*config_, from, after, now);
  if (plan.cancel_reminders) {
    txn.exec_params(
        "UPDATE requests.notifications SET state = 5, finish_time = $2::timestamptz "
        "WHERE request_id = $1::uuid AND event = $3 AND state = 1",
        after.id(), db::Timestamptz(now), std::string(kEventReminder));
  }
  if (plan.notifications.empty()) return absl::OkStatus();
  AccessRequest snapshot = after;
  snapshot.clear_history();
  const std::string body = snapshot.SerializeAsString();
  for (const PlannedNotification& n : plan.notifications) {
    ASSIGN_OR_RETURN(std::string id, audit::NewUuidV7(now));
    txn.exec_params(
        "INSERT INTO requests.notifications (id, request_id, event, sink, urgent, body, state, "
        "create_time, due_time) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, 1, "
        "$7::timestamptz, $8::timestamptz)",
        id, after.id(), n.event, n.sink, n.urgent, db::Bytea(body), db::Timestamptz(now),
        db::Timestamptz(n.due));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<QueuedNotification>> PostgresNotificationQueue::Claim(
    absl::Time now, int limit, absl::Duration lease) {
  std::vector<QueuedNotification> out;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    out.clear();
    pqxx::result rows = txn.exec_params(
        absl::StrCat(
            "WITH c AS (SELECT n.id FROM requests.notifications n WHERE n.state = 1 AND "
            "n.due_time <= $1::timestamptz AND NOT EXISTS (SELECT 1 FROM "
            "requests.notifications e WHERE e.request_id = n.request_id AND e.sink = n.sink "
            "AND e.state = 1 AND e.seq < n.seq) ORDER BY n.due_time, n.seq LIMIT $2 "
            "FOR UPDATE OF n SKIP LOCKED) "
            "UPDATE requests.notifications n SET due_time = $3::timestamptz, "
            "attempts = n.attempts + 1 FROM c WHERE n.id = c.id RETURNING n.id::text, n.seq, "
            "n.event, n.sink, n.urgent, n.body, ",
            db::MicrosOf("n.create_time"), ", n.attempts"),
        db::Timestamptz(now), limit, db::Timestamptz(now + lease));
    for (const pqxx::row& row : rows) {
      QueuedNotification n;
      n.id = row[0].as<std::string>();
      n.seq = row[1].as<int64_t>();
      n.event = row[2].as<std::string>();
      n.sink = row[3].as<std::string>();
      n.urgent = row[4].as<bool>();
      if (!n.request.ParseFromString(db::BytesOf(row[5]))) {
        return absl::DataLossError(absl::StrCat("notification ", n.id, " cannot be decoded"));
      }
      n.create_time = db::TimeFromMicros(row[6]);
      n.attempts = row[7].as<int>();
      out.push_back(std::move(n));
    }
    return absl::OkStatus();
  }));
  std::sort(out.begin(), out.end(),
            [](const QueuedNotification& a, const QueuedNotification& b) { return a.seq < b.seq; });
  return out;
}

absl::StatusOr<bool> PostgresNotificationQueue::Finish(const QueuedNotification& claimed,
                                                       NotificationState state, absl::Time now,
                                                       absl::Time retry_at,
                                                       const std::string& reason) {
  bool applied = false;
  const bool pending = state == NotificationState::kPending;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        "UPDATE requests.notifications SET state = $3::smallint, "
        "due_time = CASE WHEN $3::smallint = 1 THEN $4::timestamptz ELSE due_time END, "
        "finish_time = CASE WHEN $3::smallint = 1 THEN NULL ELSE $5::timestamptz END, "
        "last_error = NULLIF($6, '') "
        "WHERE id = $1::uuid AND state = 1 AND attempts = $2",
        claimed.id, claimed.attempts, static_cast<int>(state),
        db::Timestamptz(pending ? retry_at : now), db::Timestamptz(now), reason.substr(0, 512));
    applied = r.affected_rows() == 1;
    return absl::OkStatus();
  }));
  return applied;
}

absl::StatusOr<int64_t> PostgresNotificationQueue::Depth() {
  int64_t depth = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) {
    depth =
        txn.exec1("SELECT count(*) FROM requests.notifications WHERE state = 1")[0].as<int64_t>();
    return absl::OkStatus();
  }));
  return depth;
}

absl::StatusOr<int64_t> PostgresNotificationQueue::DeleteFinishedBefore(absl::Time cutoff) {
  int64_t deleted = 0;
  RETURN_IF_ERROR(db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) {
    deleted = txn.exec_params(
                     "DELETE FROM requests.notifications WHERE state <> 1 AND "
                     "finish_time < $1::timestamptz",
                     db::Timestamptz(cutoff))
                  .affected_rows();
    return absl::OkStatus();
  }));
  return deleted;
}

}  // namespace jit::requests::notify
