#include "services/ca/ca_metrics.h"

#include <string>

#include "prometheus/client_metric.h"

namespace jit::ca {
namespace {

constexpr const char* kResults[] = {"issued", "refused", "invalid", "error"};
constexpr const char* kReasons[kRefusalReasons] = {
    "principal", "ttl",   "grant", "mfa",        "db_user",
    "db_name",   "group", "role",  "permission", "expired_session"};

}  // namespace

IssueResult IssueResultOf(const absl::Status& status) {
  if (status.ok()) return IssueResult::kIssued;
  if (absl::IsPermissionDenied(status)) return IssueResult::kRefused;
  if (absl::IsInvalidArgument(status)) return IssueResult::kInvalid;
  return IssueResult::kError;
}

CaMetrics::CaMetrics(prometheus::Registry& registry) {
  auto& issued = prometheus::BuildCounter()
                     .Name("jit_ca_certs_issued_total")
                     .Help("Certificate requests by CA kind and result")
                     .Register(registry);
  auto& signing = prometheus::BuildHistogram()
                      .Name("jit_ca_signing_seconds")
                      .Help("Time to build, sign and encode one certificate")
                      .Register(registry);
  auto& refusals = prometheus::BuildCounter()
                       .Name("jit_ca_refusals_total")
                       .Help("Certificate requests refused, by what was refused")
                       .Register(registry);
  const prometheus::Histogram::BucketBoundaries buckets = {0.00002, 0.00005, 0.0001, 0.0002, 0.0005,
                                                           0.001,   0.002,   0.005,  0.01,   0.05};
  for (CaKind kind : kAllCaKinds) {
    const int k = static_cast<int>(kind);
    const std::string name(CaKindName(kind));
    for (int r = 0; r < 4; ++r) {
      issued_[k][r] = &issued.Add({{"kind", name}, {"result", kResults[r]}});
    }
    signing_[k] = &signing.Add({{"kind", name}}, buckets);
  }
  for (int r = 0; r < kRefusalReasons; ++r) refusals_[r] = &refusals.Add({{"reason", kReasons[r]}});
}

void CaMetrics::RecordIssue(CaKind kind, IssueResult result) {
  issued_[static_cast<int>(kind)][static_cast<int>(result)]->Increment();
}

void CaMetrics::RecordSigning(CaKind kind, absl::Duration elapsed) {
  signing_[static_cast<int>(kind)]->Observe(absl::ToDoubleSeconds(elapsed));
}

void CaMetrics::RecordRefusal(RefusalReason reason) {
  refusals_[static_cast<int>(reason)]->Increment();
}

double CaMetrics::issued(CaKind kind, IssueResult result) const {
  return issued_[static_cast<int>(kind)][static_cast<int>(result)]->Value();
}

double CaMetrics::refusals(RefusalReason reason) const {
  return refusals_[static_cast<int>(reason)]->Value();
}

uint64_t CaMetrics::signings(CaKind kind) const {
  return signing_[static_cast<int>(kind)]->Collect().histogram.sample_count;
}

}  // namespace jit::ca
