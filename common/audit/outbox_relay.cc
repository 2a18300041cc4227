#include "common/audit/outbox_relay.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/logging.h"
#include "pqxx/pqxx"
#include "spdlog/spdlog.h"

namespace jit::audit {
namespace {

std::string QuotedTable(std::string_view schema) {
  // Schema names are identifiers chosen by the service ([a-z_]+); quoted all the same.
  std::string quoted = "\"";
  for (char c : schema) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  return absl::StrCat(quoted, "\".", kOutboxTable);
}

// Rows deleted per statement by DeleteDelivered (short transactions, no long locks).
constexpr int kDeleteChunk = 5000;

}  // namespace

OutboxRelay::OutboxRelay(db::PgPool* pool, AuditClient* sink, const Clock* clock,
                         prometheus::Registry* registry, OutboxRelayOptions options)
    : pool_(pool),
      sink_(sink),
      clock_(clock),
      options_(std::move(options)),
      table_(QuotedTable(options_.schema)),
      depth_(prometheus::BuildGauge()
                 .Name(absl::StrCat("jit_", options_.schema, "_audit_outbox_depth"))
                 .Help("Audit events in the outbox not yet delivered to the audit service")
                 .Register(*registry)
                 .Add({})),
      oldest_age_(prometheus::BuildGauge()
                      .Name(absl::StrCat("jit_", options_.schema,
                                         "_audit_outbox_oldest_undelivered_seconds"))
                      .Help("Age of the oldest undelivered audit event (0 when there is none)")
                      .Register(*registry)
                      .Add({})),
      delivered_(prometheus::BuildCounter()
                     .Name(absl::StrCat("jit_", options_.schema, "_audit_outbox_delivered_total"))
                     .Help("Audit events the audit service acknowledged")
                     .Register(*registry)
                     .Add({})),
      failures_(
          prometheus::BuildCounter()
              .Name(absl::StrCat("jit_", options_.schema, "_audit_outbox_delivery_failures_total"))
              .Help("Failed outbox deliveries, by status code")
              .Register(*registry)) {}

absl::StatusOr<std::unique_ptr<OutboxRelay>> OutboxRelay::Create(db::PgPool* pool,
                                                                 AuditClient* sink,
                                                                 const Clock* clock,
                                                                 prometheus::Registry* registry,
                                                                 OutboxRelayOptions options) {
  if (options.schema.empty()) return absl::InvalidArgumentError("outbox relay: schema missing");
  if (options.batch_size < 1 || options.batch_size > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("outbox relay batch_size: must be 1 to 1000, got ", options.batch_size));
  }
  if (options.idle_interval <= absl::ZeroDuration() ||
      options.min_backoff <= absl::ZeroDuration() || options.max_backoff < options.min_backoff ||
      options.retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "outbox relay: idle_interval, min_backoff and retention must be positive and "
        "max_backoff at least min_backoff");
  }
  return std::unique_ptr<OutboxRelay>(
      new OutboxRelay(pool, sink, clock, registry, std::move(options)));
}

absl::StatusOr<int> OutboxRelay::DeliverOnce() {
  int delivered = 0;
  absl::Status s = db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    delivered = 0;
    const pqxx::result rows =
        txn.exec_params(absl::StrCat("SELECT sequence, event FROM ", table_,
                                     " WHERE delivered_at IS NULL ORDER BY sequence LIMIT $1 "
                                     "FOR UPDATE SKIP LOCKED"),
                        options_.batch_size);
    if (rows.empty()) return absl::OkStatus();
    // Earlier rows locked by another replica: it delivers them first; wait for the next round.
    const pqxx::row lowest = txn.exec1(
        absl::StrCat("SELECT min(sequence) FROM ", table_, " WHERE delivered_at IS NULL"));
    if (!lowest[0].is_null() && lowest[0].as<int64_t>() < rows[0][0].as<int64_t>()) {
      return absl::OkStatus();
    }
    v1::IngestEventsRequest request;
    std::vector<std::string> sequences;
    sequences.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      if (!request.add_events()->ParseFromString(db::BytesOf(row[1]))) {
        return absl::DataLossError(absl::StrCat(table_, " row ", row[0].as<int64_t>(),
                                                " does not parse as an AuditEvent"));
      }
      sequences.push_back(row[0].c_str());
    }
    absl::StatusOr<v1::IngestEventsResponse> ack = sink_->IngestEvents(request);
    if (!ack.ok()) return ack.status();
    txn.exec_params(
        absl::StrCat("UPDATE ", table_,
                     " SET delivered_at = $1::timestamptz WHERE sequence = ANY($2::bigint[])"),
        db::Timestamptz(clock_->Now()), absl::StrCat("{", absl::StrJoin(sequences, ","), "}"));
    delivered = static_cast<int>(rows.size());
    return absl::OkStatus();
  });
  if (!s.ok()) {
    failures_.Add({{"code", absl::StatusCodeToString(s.code())}}).Increment();
    return s;
  }
  delivered_.Increment(delivered);
  return delivered;
}

absl::Duration OutboxRelay::NextDelay(const absl::StatusOr<int>& outcome) {
  absl::MutexLock lock(&mu_);
  if (outcome.ok()) {
    consecutive_failures_ = 0;
    return *outcome >= options_.batch_size ? absl::ZeroDuration() : options_.idle_interval;
  }
  consecutive_failures_ = std::min(consecutive_failures_ + 1, 62);
  absl::Duration cap = options_.min_backoff;
  for (int i = 1; i < consecutive_failures_ && cap < options_.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, options_.max_backoff);
  const double u = jitter_ ? jitter_() : absl::Uniform<double>(bitgen_, 0.0, 1.0);
  // Full jitter, but never a busy retry: at least min_backoff / 2.
  return std::max(options_.min_backoff / 2, cap * u);
}

absl::StatusOr<int64_t> OutboxRelay::DeleteDelivered() {
  const std::string before = db::Timestamptz(clock_->Now() - options_.retention);
  int64_t total = 0;
  while (true) {
    int64_t deleted = 0;
    absl::Status s = db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) {
      deleted = static_cast<int64_t>(
          txn.exec_params(
                 absl::StrCat("DELETE FROM ", table_, " WHERE sequence IN (SELECT sequence FROM ",
                              table_,
                              " WHERE delivered_at < $1::timestamptz ORDER BY delivered_at "
                              "LIMIT $2)"),
                 before, kDeleteChunk)
              .affected_rows());
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    total += deleted;
    if (deleted < kDeleteChunk) return total;
  }
}

absl::Status OutboxRelay::RefreshGauges() {
  return db::RunInTransaction(*pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) {
    const pqxx::row row =
        txn.exec1(absl::StrCat("SELECT count(*), ", db::MicrosOf("min(create_time)"), " FROM ",
                               table_, " WHERE delivered_at IS NULL"));
    depth_.Set(static_cast<double>(row[0].as<int64_t>()));
    oldest_age_.Set(
        row[1].is_null()
            ? 0.0
            : std::max(0.0, absl::ToDoubleSeconds(clock_->Now() - db::TimeFromMicros(row[1]))));
    return absl::OkStatus();
  });
}

void OutboxRelay::RunOnce() {
  const absl::Time now = clock_->Now();
  bool gauges, cleanup;
  {
    absl::MutexLock lock(&mu_);
    if (now < next_attempt_) return;  // backing off
    gauges = now >= next_gauges_;
    if (gauges) next_gauges_ = now + options_.gauge_interval;
    cleanup = now >= next_cleanup_;
    if (cleanup) next_cleanup_ = now + options_.cleanup_interval;
  }
  while (true) {
    const absl::StatusOr<int> outcome = DeliverOnce();
    const absl::Duration delay = NextDelay(outcome);
    if (!outcome.ok()) {
      spdlog::warn("audit outbox {}: delivery failed, next try in {}: {}", options_.schema,
                   absl::FormatDuration(delay), LogSafe(outcome.status().ToString(), 256));
      absl::MutexLock lock(&mu_);
      next_attempt_ = clock_->Now() + delay;
      break;
    }
    if (delay > absl::ZeroDuration()) break;  // drained: wait for the next run
  }
  if (gauges) {
    if (absl::Status s = RefreshGauges(); !s.ok()) {
      spdlog::warn("audit outbox {}: gauges: {}", options_.schema, LogSafe(s.ToString(), 256));
    }
  }
  if (cleanup) {
    absl::StatusOr<int64_t> deleted = DeleteDelivered();
    if (!deleted.ok()) {
      spdlog::warn("audit outbox {}: deleting delivered rows: {}", options_.schema,
                   LogSafe(deleted.status().ToString(), 256));
    } else if (*deleted > 0) {
      spdlog::info("audit outbox {}: deleted {} delivered rows", options_.schema, *deleted);
    }
  }
}

absl::Status OutboxRelay::Start() {
  if (task_ != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<PeriodicTask>> task = PeriodicTask::Start(
      {.name = absl::StrCat("audit-outbox-", options_.schema), .interval = options_.idle_interval},
      [this] { RunOnce(); });
  if (!task.ok()) return task.status();
  task_ = *std::move(task);
  return absl::OkStatus();
}

void OutboxRelay::Stop() {
  if (task_ != nullptr) task_->Stop();
}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::SetJitterForTest(std::function<double()> jitter) {
  absl::MutexLock lock(&mu_);
  jitter_ = std::move(jitter);
}

}  // namespace jit::audit
