#include "services/requests/notify/notification_worker.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "services/requests/notify/sink_payloads.h"
#include "spdlog/spdlog.h"

namespace jit::requests::notify {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};
  return kBuckets;
}

}  // namespace

DeliveryOutcome Classify(const absl::StatusOr<http::HttpResponse>& response) {
  DeliveryOutcome out;
  if (!response.ok()) {
    // The client's message names the URL: keep only the kind of failure.
    out.state = NotificationState::kPending;
    out.reason = absl::StrCat("transport: ", absl::StatusCodeToString(response.status().code()));
    return out;
  }
  const int status = response->status;
  if (status >= 200 && status < 300) {
    out.state = NotificationState::kSent;
    return out;
  }
  out.reason = absl::StrCat("HTTP ", status);
  if (status == 429 || status >= 500) {
    out.state = NotificationState::kPending;
    out.retry_after = response->retry_after;
  } else {
    out.state = NotificationState::kFailed;
  }
  return out;
}

absl::Duration Backoff(int attempts, absl::Duration min_backoff, absl::Duration max_backoff,
                       absl::Duration retry_after, double u01) {
  absl::Duration base = min_backoff;
  for (int i = 1; i < attempts && base < max_backoff; ++i) base *= 2;
  base = std::min(base, max_backoff);
  const absl::Duration wait = base / 2 + (base / 2) * std::clamp(u01, 0.0, 1.0);
  return std::max(wait, std::min(retry_after, absl::Hours(1)));
}

NotificationWorker::NotificationWorker(PostgresNotificationQueue* queue, http::HttpClient* http,
                                       const NotifyConfig* config, const Clock* clock,
                                       prometheus::Registry* registry,
                                       NotificationWorkerOptions options)
    : queue_(queue),
      http_(http),
      config_(config),
      clock_(clock),
      options_(options),
      sent_(prometheus::BuildCounter()
                .Name("jit_requests_notifications_sent_total")
                .Help("Notifications a sink acknowledged, by sink kind")
                .Register(*registry)),
      failed_(prometheus::BuildCounter()
                  .Name("jit_requests_notifications_failed_total")
                  .Help("Notifications a sink refused (4xx other than 429), by sink kind")
                  .Register(*registry)),
      retries_(prometheus::BuildCounter()
                   .Name("jit_requests_notifications_retries_total")
                   .Help("Attempts to be retried (5xx, 429, timeout), by sink kind")
                   .Register(*registry)),
      dead_(prometheus::BuildCounter()
                .Name("jit_requests_notifications_dead_letters_total")
                .Help("Notifications given up after max_attempts, by sink kind")
                .Register(*registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("jit_requests_notification_delivery_seconds")
                   .Help("From the event's commit to the sink's acknowledgement, by sink kind")
                   .Register(*registry)),
      depth_(prometheus::BuildGauge()
                 .Name("jit_requests_notification_queue_depth")
                 .Help("Pending notifications (sampled)")
                 .Register(*registry)
                 .Add({})) {}

NotificationWorker::~NotificationWorker() { Stop(); }

absl::StatusOr<std::unique_ptr<NotificationWorker>> NotificationWorker::Create(
    PostgresNotificationQueue* queue, http::HttpClient* http, const NotifyConfig* config,
    const Clock* clock, prometheus::Registry* registry, NotificationWorkerOptions options) {
  if (options.batch < 1 || options.batch > 1000) {
    return absl::InvalidArgumentError("notification worker batch: must be between 1 and 1000");
  }
  if (options.lease < absl::ZeroDuration() || options.retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("notification worker lease/retention: must be positive");
  }
  if (options.lease == absl::ZeroDuration()) {
    options.lease = config->send_timeout * options.batch + absl::Seconds(10);
  }
  return std::unique_ptr<NotificationWorker>(
      new NotificationWorker(queue, http, config, clock, registry, options));
}

std::string_view NotificationWorker::KindOf(const std::string& sink) const {
  const SinkConfig* s = config_->Sink(sink);
  return s == nullptr ? "unknown" : SinkKindName(s->kind);
}

absl::StatusOr<std::vector<QueuedNotification>> NotificationWorker::Claim() {
  return queue_->Claim(clock_->Now(), options_.batch, options_.lease);
}

DeliveryOutcome NotificationWorker::Deliver(const QueuedNotification& n) {
  const SinkConfig* sink = config_->Sink(n.sink);
  if (sink == nullptr) {
    return {.state = NotificationState::kFailed, .reason = "sink not configured"};
  }
  absl::StatusOr<HttpCall> call = RenderCall(*sink, n, clock_->Now());
  if (!call.ok()) return {.state = NotificationState::kPending, .reason = "render failed"};
  return Classify(http_->Post(call->url.Reveal(), "application/json", call->body, call->headers));
}

absl::Status NotificationWorker::Record(const QueuedNotification& n,
                                        const DeliveryOutcome& outcome) {
  const absl::Time now = clock_->Now();
  const std::string kind(KindOf(n.sink));
  NotificationState state = outcome.state;
  absl::Time retry_at = now;
  if (state == NotificationState::kPending) {
    if (n.attempts >= config_->max_attempts) {
      state = NotificationState::kDead;
    } else {
      double u;
      {
        absl::MutexLock lock(&mu_);
        u = jitter_ ? jitter_() : absl::Uniform(bitgen_, 0.0, 1.0);
      }
      retry_at = now + Backoff(n.attempts, config_->min_backoff, config_->max_backoff,
                               outcome.retry_after, u);
    }
  }
  std::string reason = outcome.reason;
  if (state == NotificationState::kDead) {
    reason = absl::StrCat("dead-lettered after ", n.attempts, " attempts; last: ", reason);
  }
  ASSIGN_OR_RETURN(bool applied, queue_->Finish(n, state, now, retry_at, reason));
  if (!applied) return absl::OkStatus();  // another worker took it over after our lease
  switch (state) {
    case NotificationState::kSent:
      sent_.Add({{"sink_kind", kind}}).Increment();
      latency_.Add({{"sink_kind", kind}}, LatencyBuckets())
          .Observe(absl::ToDoubleSeconds(now - n.create_time));
      break;
    case NotificationState::kFailed:
      failed_.Add({{"sink_kind", kind}}).Increment();
      spdlog::warn("notification refused sink={} kind={} event={} reason={}", LogSafe(n.sink), kind,
                   n.event, reason);
      break;
    case NotificationState::kDead:
      dead_.Add({{"sink_kind", kind}}).Increment();
      spdlog::error("notification dead-lettered sink={} kind={} event={} reason={}",
                    LogSafe(n.sink), kind, n.event, reason);
      break;
    default:
      retries_.Add({{"sink_kind", kind}}).Increment();
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> NotificationWorker::RunBatch() {
  ASSIGN_OR_RETURN(std::vector<QueuedNotification> claimed, Claim());
  for (const QueuedNotification& n : claimed) {
    RETURN_IF_ERROR(Record(n, Deliver(n)));
  }
  return static_cast<int>(claimed.size());
}

void NotificationWorker::RunOnce() {
  // Full batches mean more may be due: go on (bounded, so upkeep still runs).
  for (int i = 0; i < 16; ++i) {
    absl::StatusOr<int> n = RunBatch();
    if (!n.ok()) {
      spdlog::warn("notification worker: {}", n.status().ToString());
      break;
    }
    if (*n < options_.batch) break;
  }
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    if (now < next_upkeep_) return;
    next_upkeep_ = now + options_.gauge_interval;
  }
  if (absl::StatusOr<int64_t> depth = queue_->Depth(); depth.ok()) {
    depth_.Set(static_cast<double>(*depth));
  }
  if (absl::StatusOr<int64_t> d = queue_->DeleteFinishedBefore(now - options_.retention); !d.ok()) {
    spdlog::warn("notification retention: {}", d.status().ToString());
  }
}

absl::Status NotificationWorker::Start() {
  ASSIGN_OR_RETURN(
      task_, PeriodicTask::Start({.name = "notifications", .interval = config_->poll_interval},
                                 [this] { RunOnce(); }));
  return absl::OkStatus();
}

void NotificationWorker::Stop() {
  if (task_ != nullptr) task_->Stop();
}

void NotificationWorker::Wake() {
  if (task_ != nullptr) task_->Wake();
}

void NotificationWorker::SetJitterForTest(std::function<double()> jitter) {
  absl::MutexLock lock(&mu_);
  jitter_ = std::move(jitter);
}

}  // namespace jit::requests::notify
