#include "services/requests/requests_app.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/audit/service_outbox_relay.h"
#include "common/client/peer.h"
#include "common/proto_time.h"
#include "common/server/unary_handler.h"
#include "common/status_macros.h"
#include "services/policy/client/grpc_policy_client.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/postgres_role_watcher.h"
#include "services/requests/auto_review.h"
#include "services/requests/expiry_sweeper.h"
#include "services/requests/notify/notifications.h"
#include "services/requests/postgres_auto_approval_quota.h"
#include "services/requests/postgres_request_store.h"
#include "services/requests/request_lifecycle.h"
#include "services/requests/request_watch.h"
#include "services/requests/requests_metrics.h"
#include "services/requests/requests_service_impl.h"

ABSL_FLAG(absl::Duration, max_start_delay, absl::Hours(24 * 30),
          "How far ahead a request's start_time may lie (1m..366d)");
ABSL_FLAG(absl::Duration, start_skew, absl::Minutes(1),
          "How far in the past a request's start_time may lie: client clock skew (0..1h)");
ABSL_FLAG(absl::Duration, break_glass_review_window, absl::Hours(24),
          "Time reviewers have to confirm or flag a break-glass request (1m..30d); an "
          "unreviewed one past it counts in jit_requests_break_glass_overdue");
ABSL_FLAG(int, expiry_batch, 100, "Requests the expiry sweeper expires per transaction");
ABSL_FLAG(absl::Duration, expiry_max_idle, absl::Seconds(30),
          "Longest sleep of the expiry sweeper (it also wakes at the next due time)");
ABSL_FLAG(std::string, notify_config, "",
          "YAML file of approver notification sinks and routes (services/requests/README.md); "
          "relative secret file names are read beside it. Empty = no notifications");

namespace jit::requests {
namespace {

// How often each replica numbers new changes of the feed without being told (an index probe
// of the few unnumbered ones): the delay of a watch event at worst.
constexpr absl::Duration kFeedPollInterval = absl::Milliseconds(200);

}  // namespace

namespace internal {

// Tells the metrics, and the sweeper about new due times made here.
class AppObserver final : public LifecycleObserver {
 public:
  explicit AppObserver(RequestsMetrics* metrics) : metrics_(metrics) {}
  void set_sweeper(ExpirySweeper* sweeper) { sweeper_ = sweeper; }
  // Woken after each commit, so notifications leave without waiting for its poll.
  void set_notifier(notify::NotificationWorker* worker) { notifier_ = worker; }

  void Created(const AccessRequest& request) override {
    metrics_->Created(request);
    if (notifier_ != nullptr) notifier_->Wake();
    const std::optional<absl::Time> due = DueTime(request);
    if (sweeper_ != nullptr && due.has_value()) sweeper_->NoteDue(*due);
  }
  void Transitioned(AccessRequestState from, const AccessRequest& request,
                    absl::Time now) override {
    metrics_->Transitioned(from, request, now);
    if (notifier_ != nullptr) notifier_->Wake();
    if (sweeper_ != nullptr && request.state() == jit::common::v1::ACCESS_REQUEST_STATE_APPROVED) {
      sweeper_->NoteDue(FromProtoTimestamp(request.access_expire_time()));
    }
  }

 private:
  RequestsMetrics* const metrics_;
  ExpirySweeper* sweeper_ = nullptr;                // set before any call is served
  notify::NotificationWorker* notifier_ = nullptr;  // likewise; null when off
};

// Every object of the running service, in dependency order (destroyed in reverse: the
// sweeper first).
struct RequestsAppParts {
  RequestsAppParts(server::ServiceRuntime& runtime, const RequestsApp::Config& config,
                   std::unique_ptr<notify::Notifications> notifications_in)
      : notifications(std::move(notifications_in)),
        policy_peer("policy", runtime.config.peers.policy, runtime.tls, runtime.config.rpc_timeout),
        policy(&policy_peer),
        permissions(&policy),
        store(&runtime.pool, notifications ? notifications->hook() : nullptr),
        metrics(runtime.registry),
        observer(&metrics),
        auto_quota(&runtime.pool),
        auto_reviewer(&store, &policy, &auto_quota, &runtime.clock),
        lifecycle(&store, &policy, &permissions, &runtime.clock,
                  {.start_skew = config.start_skew,
                   .max_start_delay = config.max_start_delay,
                   .break_glass_review_window = config.break_glass_review_window},
                  &observer),
        hub(&store),
        watch(&lifecycle, &store, &hub),
        service(&lifecycle, server::AuthorizedCaller(runtime.authorizer), &watch),
        sweeper(&lifecycle, &store, &runtime.clock,
                {.batch = config.expiry_batch,
                 .max_idle = config.expiry_max_idle,
                 .on_counts = [this](const RequestCounts& c) { metrics.SetCounts(c); }}) {
    observer.set_sweeper(&sweeper);
    lifecycle.set_auto_review(&auto_reviewer);
  }

  std::unique_ptr<notify::Notifications> notifications;  // null when off
  client::PeerClient policy_peer;
  policy::GrpcPolicyClient policy;
  policy::PolicyPermissionChecker permissions;
  PostgresRequestStore store;
  RequestsMetrics metrics;
  AppObserver observer;
  PostgresAutoApprovalQuota auto_quota;
  AutoReviewer auto_reviewer;
  RequestLifecycle lifecycle;
  FeedHub hub;
  RequestWatch watch;
  RequestsServiceImpl service;
  ExpirySweeper sweeper;
  // Numbers the change feed and moves the hub: on each announcement of new positions (any
  // replica's sequencer) and every kFeedPollInterval (this replica's own changes, lost
  // notifications). Reuses policy's LISTEN watcher (a dedicated connection, reconnects).
  std::unique_ptr<policy::PostgresRoleWatcher> feed_watcher;
  std::unique_ptr<audit::ServiceOutboxRelay> audit_relay;  // last: stops first
};

}  // namespace internal

RequestsApp::Config RequestsApp::ConfigFromFlags() {
  return {.max_start_delay = absl::GetFlag(FLAGS_max_start_delay),
          .start_skew = absl::GetFlag(FLAGS_start_skew),
          .break_glass_review_window = absl::GetFlag(FLAGS_break_glass_review_window),
          .expiry_batch = absl::GetFlag(FLAGS_expiry_batch),
          .expiry_max_idle = absl::GetFlag(FLAGS_expiry_max_idle),
          .notify_config = absl::GetFlag(FLAGS_notify_config)};
}

absl::Status RequestsApp::Validate(const Config& config) {
  if (config.max_start_delay < absl::Minutes(1) || config.max_start_delay > absl::Hours(24 * 366)) {
    return absl::InvalidArgumentError("max_start_delay: must be between 1m and 366d");
  }
  if (config.start_skew < absl::ZeroDuration() || config.start_skew > absl::Hours(1)) {
    return absl::InvalidArgumentError("start_skew: must be between 0 and 1h");
  }
  if (config.break_glass_review_window < absl::Minutes(1) ||
      config.break_glass_review_window > absl::Hours(24 * 30)) {
    return absl::InvalidArgumentError("break_glass_review_window: must be between 1m and 30d");
  }
  if (config.expiry_batch < 1 || config.expiry_batch > 10000) {
    return absl::InvalidArgumentError("expiry_batch: must be between 1 and 10000");
  }
  if (config.expiry_max_idle < absl::Milliseconds(100) || config.expiry_max_idle > absl::Hours(1)) {
    return absl::InvalidArgumentError("expiry_max_idle: must be between 100ms and 1h");
  }
  if (!config.notify_config.empty()) {
    if (absl::Status s = notify::LoadNotifyConfig(config.notify_config).status(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("notify_config: ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RequestsApp>> RequestsApp::Create(server::ServiceRuntime& runtime,
                                                                 const Config& config) {
  RETURN_IF_ERROR(Validate(config));
  std::unique_ptr<notify::Notifications> notifications;
  if (!config.notify_config.empty()) {
    ASSIGN_OR_RETURN(notifications,
                     notify::Notifications::Create(&runtime.pool, &runtime.clock, &runtime.registry,
                                                   config.notify_config));
  }
  auto parts =
      std::make_unique<internal::RequestsAppParts>(runtime, config, std::move(notifications));
  RETURN_IF_ERROR(parts->sweeper.Start());
  ASSIGN_OR_RETURN(parts->feed_watcher,
                   policy::PostgresRoleWatcher::Start(
                       &runtime.pool, [hub = &parts->hub] { return hub->Poll(); },
                       {.poll_interval = kFeedPollInterval, .channel = kChangeChannel}));
  if (parts->notifications) {
    RETURN_IF_ERROR(parts->notifications->Start());
    parts->observer.set_notifier(&parts->notifications->worker());
  }
  ASSIGN_OR_RETURN(parts->audit_relay, audit::ServiceOutboxRelay::Start(runtime, kRequestsSchema));
  return absl::WrapUnique(new RequestsApp(std::move(parts)));
}

RequestsApp::RequestsApp(std::unique_ptr<internal::RequestsAppParts> parts)
    : parts_(std::move(parts)) {}

RequestsApp::~RequestsApp() = default;

std::vector<server::RegisteredService> RequestsApp::Services() {
  return {server::RegisteredService::Of<v1::RequestsService>(&parts_->service)};
}

}  // namespace jit::requests
