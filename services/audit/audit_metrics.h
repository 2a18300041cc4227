// The audit service's own metrics (besides the RPC metrics every service has). Labels are
// bounded: result names only.
//
//   jit_audit_events_ingested_total{result="stored"|"duplicate"}
//   jit_audit_events_unregistered_type_total   events whose type has no code (a producer
//                                              newer than the sink)
//   jit_audit_chain_head_sequence              the last sequence this replica stored
//   jit_audit_checkpoints_total{result="signed"|"failed"}
//   jit_audit_chain_verifications_total{result="intact"|"broken"}
//   jit_audit_export_streams                   ExportEvents streams open on this replica
// Thread-safe; the registry must outlive it.
#ifndef JIT_SERVICES_AUDIT_AUDIT_METRICS_H_
#define JIT_SERVICES_AUDIT_AUDIT_METRICS_H_

#include <cstdint>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace jit::audit {

class AuditMetrics {
 public:
  explicit AuditMetrics(prometheus::Registry& registry);

  void Ingested(int stored, int duplicates, int unregistered_types, int64_t head_sequence);
  void Checkpoint(bool signed_ok);
  void Verified(bool intact);
  void StreamOpened() { export_streams_.Increment(); }
  void StreamClosed() { export_streams_.Decrement(); }

 private:
  prometheus::Counter& stored_;
  prometheus::Counter& duplicates_;
  prometheus::Counter& unregistered_;
  prometheus::Gauge& head_;
  prometheus::Counter& checkpoints_signed_;
  prometheus::Counter& checkpoints_failed_;
  prometheus::Counter& intact_;
  prometheus::Counter& broken_;
  prometheus::Gauge& export_streams_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_AUDIT_METRICS_H_
