#include "services/requests/requests_metrics.h"

#include <string>

#include "absl/strings/ascii.h"
#include "common/proto_time.h"

namespace jit::requests {

RequestsMetrics::RequestsMetrics(prometheus::Registry& registry)
    : created_(prometheus::BuildCounter()
                   .Name("jit_requests_created_total")
                   .Help("Access requests stored")
                   .Register(registry)
                   .Add({})),
      decided_(prometheus::BuildCounter()
                   .Name("jit_requests_decided_total")
                   .Help("Requests and grants that reached a final state, by result")
                   .Register(registry)),
      decision_seconds_(prometheus::BuildHistogram()
                            .Name("jit_requests_decision_seconds")
                            .Help("Time from a request's creation to its decision, by result")
                            .Register(registry)),
      pending_(prometheus::BuildGauge()
                   .Name("jit_requests_pending")
                   .Help("Pending access requests (sampled by the sweeper)")
                   .Register(registry)
                   .Add({})),
      active_grants_(prometheus::BuildGauge()
                         .Name("jit_requests_active_grants")
                         .Help("Approved grants whose window has not ended (sampled)")
                         .Register(registry)
                         .Add({})),
      break_glass_(prometheus::BuildCounter()
                       .Name("jit_requests_break_glass_total")
                       .Help("Break-glass requests granted (each also an alert event)")
                       .Register(registry)
                       .Add({})),
      break_glass_unreviewed_(prometheus::BuildGauge()
                                  .Name("jit_requests_break_glass_unreviewed")
                                  .Help("Break-glass requests awaiting their review (sampled)")
                                  .Register(registry)
                                  .Add({})),
      break_glass_overdue_(prometheus::BuildGauge()
                               .Name("jit_requests_break_glass_overdue")
                               .Help("Unreviewed break-glass requests past their review due "
                                     "time (sampled)")
                               .Register(registry)
                               .Add({})) {}

void RequestsMetrics::Created(const AccessRequest& request) {
  created_.Increment();
  if (request.break_glass()) break_glass_.Increment();
}

void RequestsMetrics::Transitioned(AccessRequestState from, const AccessRequest& request,
                                   absl::Time now) {
  std::string result = jit::common::v1::AccessRequestState_Name(request.state());
  result = absl::AsciiStrToLower(result.substr(result.rfind('_') + 1));  // the enum: bounded
  decided_.Add({{"result", result}}).Increment();
  if (from == jit::common::v1::ACCESS_REQUEST_STATE_PENDING) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        1, 10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 7 * 24 * 3600};
    decision_seconds_.Add({{"result", result}}, kBuckets)
        .Observe(absl::ToDoubleSeconds(now - FromProtoTimestamp(request.create_time())));
  }
}

void RequestsMetrics::SetCounts(const RequestCounts& counts) {
  pending_.Set(static_cast<double>(counts.pending));
  active_grants_.Set(static_cast<double>(counts.active_grants));
  break_glass_unreviewed_.Set(static_cast<double>(counts.break_glass_unreviewed));
  break_glass_overdue_.Set(static_cast<double>(counts.break_glass_overdue));
}

}  // namespace jit::requests
