#include "services/audit/audit_metrics.h"

#include <algorithm>

namespace jit::audit {

AuditMetrics::AuditMetrics(prometheus::Registry& registry)
    : stored_(prometheus::BuildCounter()
                  .Name("jit_audit_events_ingested_total")
                  .Help("Events received by IngestEvents, by result")
                  .Register(registry)
                  .Add({{"result", "stored"}})),
      duplicates_(prometheus::BuildCounter()
                      .Name("jit_audit_events_ingested_total")
                      .Help("Events received by IngestEvents, by result")
                      .Register(registry)
                      .Add({{"result", "duplicate"}})),
      unregistered_(prometheus::BuildCounter()
                        .Name("jit_audit_events_unregistered_type_total")
                        .Help("Stored events whose type has no code in this sink's table")
                        .Register(registry)
                        .Add({})),
      head_(prometheus::BuildGauge()
                .Name("jit_audit_chain_head_sequence")
                .Help("The newest sequence this replica appended")
                .Register(registry)
                .Add({})),
      checkpoints_signed_(prometheus::BuildCounter()
                              .Name("jit_audit_checkpoints_total")
                              .Help("Checkpoints this replica tried to sign, by result")
                              .Register(registry)
                              .Add({{"result", "signed"}})),
      checkpoints_failed_(prometheus::BuildCounter()
                              .Name("jit_audit_checkpoints_total")
                              .Help("Checkpoints this replica tried to sign, by result")
                              .Register(registry)
                              .Add({{"result", "failed"}})),
      intact_(prometheus::BuildCounter()
                  .Name("jit_audit_chain_verifications_total")
                  .Help("VerifyChain runs, by result")
                  .Register(registry)
                  .Add({{"result", "intact"}})),
      broken_(prometheus::BuildCounter()
                  .Name("jit_audit_chain_verifications_total")
                  .Help("VerifyChain runs, by result")
                  .Register(registry)
                  .Add({{"result", "broken"}})),
      export_streams_(prometheus::BuildGauge()
                          .Name("jit_audit_export_streams")
                          .Help("ExportEvents streams open on this replica")
                          .Register(registry)
                          .Add({})) {}

void AuditMetrics::Ingested(int stored, int duplicates, int unregistered_types,
                            int64_t head_sequence) {
  stored_.Increment(stored);
  duplicates_.Increment(duplicates);
  unregistered_.Increment(unregistered_types);
  head_.Set(std::max(head_.Value(), static_cast<double>(head_sequence)));
}

void AuditMetrics::Checkpoint(bool signed_ok) {
  (signed_ok ? checkpoints_signed_ : checkpoints_failed_).Increment();
}

void AuditMetrics::Verified(bool intact) { (intact ? intact_ : broken_).Increment(); }

}  // namespace jit::audit
