// The requests service's own metrics (bounded labels only: a result or nothing, never a
// user name or request id), fed by the lifecycle as a LifecycleObserver and by the sweeper's
// samples of the store:
//   jit_requests_created_total                      requests stored
//   jit_requests_decided_total{result}              approved|denied|cancelled|expired|revoked
//   jit_requests_decision_seconds{result}           create -> approved|denied|cancelled|expired
//   jit_requests_pending                            pending requests (all replicas' view)
//   jit_requests_active_grants                      approved grants whose window has not ended
//   jit_requests_break_glass_total                  break-glass requests granted
//   jit_requests_break_glass_unreviewed             break-glass awaiting their review
//   jit_requests_break_glass_overdue                ... past their review due time
// Thread-safe (prometheus-cpp metrics are).
#ifndef JIT_SERVICES_REQUESTS_REQUESTS_METRICS_H_
#define JIT_SERVICES_REQUESTS_REQUESTS_METRICS_H_

#include <map>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/requests/request_lifecycle.h"

namespace jit::requests {

class RequestsMetrics final : public LifecycleObserver {
 public:
  explicit RequestsMetrics(prometheus::Registry& registry);

  void Created(const AccessRequest& request) override;
  void Transitioned(AccessRequestState from, const AccessRequest& request, absl::Time now) override;
  void SetCounts(const RequestCounts& counts);

 private:
  prometheus::Counter& created_;
  prometheus::Family<prometheus::Counter>& decided_;
  prometheus::Family<prometheus::Histogram>& decision_seconds_;
  prometheus::Gauge& pending_;
  prometheus::Gauge& active_grants_;
  prometheus::Counter& break_glass_;
  prometheus::Gauge& break_glass_unreviewed_;
  prometheus::Gauge& break_glass_overdue_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_REQUESTS_METRICS_H_
