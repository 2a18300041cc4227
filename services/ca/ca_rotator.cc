#include "services/ca/ca_rotator.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/ca/service_name.h"
#include "spdlog/spdlog.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::AuditEvent;

// The phases that may follow `current`.
std::vector<RotationPhase> Following(RotationPhase current) {
  switch (current) {
    case RotationPhase::kStandby:
    case RotationPhase::kRollback:
      return {RotationPhase::kInit};
    case RotationPhase::kInit:
      return {RotationPhase::kUpdateClients, RotationPhase::kRollback};
    case RotationPhase::kUpdateClients:
      return {RotationPhase::kUpdateServers, RotationPhase::kRollback};
    case RotationPhase::kUpdateServers:
      return {RotationPhase::kStandby, RotationPhase::kRollback};
  }
  return {};
}

std::string Names(const std::vector<RotationPhase>& phases) {
  std::string out;
  for (size_t i = 0; i < phases.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : (i + 1 == phases.size() ? " or " : ", "),
                    std::string(RotationPhaseName(phases[i])));
  }
  return out;
}

}  // namespace

absl::StatusOr<v1::RotateCaResponse> CaRotator::RotateCa(const jit::common::v1::Identity& caller,
                                                         const audit::AuditActor& actor,
                                                         const v1::RotateCaRequest& request) const {
  absl::StatusOr<CaKind> kind = CaKindOf(request.type());
  if (!kind.ok())
    return absl::InvalidArgumentError(absl::StrCat("type: ", kind.status().message()));
  absl::StatusOr<RotationPhase> to = ParseRotationPhase(request.phase());
  if (!to.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("phase: ", to.status().message()));
  }
  absl::Status allowed = permissions_->Check(caller, "cert_authority", "rotate");
  if (!allowed.ok()) {
    if (!absl::IsPermissionDenied(allowed)) return allowed;
    return absl::PermissionDeniedError(
        absl::StrCat("rotating a CA needs cert_authority rotate: ", allowed.message()));
  }

  ASSIGN_OR_RETURN(RotationState current, store_->GetRotation(*kind));
  const std::vector<RotationPhase> following = Following(current.phase);
  if (std::find(following.begin(), following.end(), *to) == following.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", std::string(CaKindName(*kind)), " CA is in phase ",
        std::string(RotationPhaseName(current.phase)), "; ", std::string(RotationPhaseName(*to)),
        " cannot follow it (next: ", Names(following), "); nothing changed"));
  }

  const absl::Time now = clock_->Now();
  RotationStep step{.kind = *kind,
                    .from = current.phase,
                    .to = *to,
                    .old_key_id = current.old_key_id,
                    .new_key_id = current.new_key_id,
                    .time = now};
  using S = CaKeyState;
  switch (*to) {
    case RotationPhase::kInit: {
      // The old key is the one signing now, as the store has it.
      ASSIGN_OR_RETURN(std::vector<CaKeyRecord> records, store_->ListKeys());
      std::string old_key_id;
      for (const CaKeyRecord& r : records) {
        if (r.kind == *kind && r.state == S::kActive) old_key_id = r.key_id;
      }
      records.clear();
      if (old_key_id.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("the ", std::string(CaKindName(*kind)), " CA has no active key"));
      }
      ASSIGN_OR_RETURN(CaKeyRecord key, CaKeyring::GenerateKey(*kind, keyring_->options(), now));
      step.old_key_id = old_key_id;
      step.new_key_id = key.key_id;
      // The active key must still be active when the new one is stored (a no-op move).
      step.key_changes.push_back({old_key_id, S::kActive, S::kActive});
      step.new_key = std::move(key);
      break;
    }
    case RotationPhase::kUpdateClients:
      step.key_changes = {{step.old_key_id, S::kActive, S::kPrevious},
                          {step.new_key_id, S::kNext, S::kActive}};
      break;
    case RotationPhase::kUpdateServers:
      step.key_changes = {{step.old_key_id, S::kPrevious, S::kPrevious},
                          {step.new_key_id, S::kActive, S::kActive}};
      break;
    case RotationPhase::kStandby:
      step.key_changes = {{step.old_key_id, S::kPrevious, S::kRetired}};
      break;
    case RotationPhase::kRollback:
      if (current.phase == RotationPhase::kInit) {
        step.key_changes = {{step.new_key_id, S::kNext, S::kRetired}};
      } else {
        step.key_changes = {{step.new_key_id, S::kActive, S::kRetired},
                            {step.old_key_id, S::kPrevious, S::kActive}};
      }
      break;
  }

  ASSIGN_OR_RETURN(
      AuditEvent event,
      audit::NewAuditEvent(
          kCaService, "ca.rotate", now, actor, absl::StrCat("ca:", std::string(CaKindName(*kind))),
          AuditEvent::OUTCOME_SUCCESS,
          absl::StrCat("CA rotation: ", std::string(RotationPhaseName(current.phase)), " -> ",
                       std::string(RotationPhaseName(*to))),
          {{"kind", std::string(CaKindName(*kind))},
           {"from_phase", std::string(RotationPhaseName(current.phase))},
           {"phase", std::string(RotationPhaseName(*to))},
           {"old_key_id", step.old_key_id},
           {"new_key_id", step.new_key_id}}));
  RETURN_IF_ERROR(store_->ApplyRotation(step, event));
  spdlog::info("{} CA rotation: {} -> {} (old key {}, new key {})", std::string(CaKindName(*kind)),
               std::string(RotationPhaseName(current.phase)), std::string(RotationPhaseName(*to)),
               step.old_key_id, step.new_key_id);

  v1::RotateCaResponse response;
  response.set_phase(std::string(RotationPhaseName(*to)));
  // This replica follows at once; the others within their refresh interval.
  absl::StatusOr<bool> refreshed = keyring_->Refresh();
  if (!refreshed.ok()) {
    spdlog::warn("CA keys not reloaded after the rotation (retried periodically): {}",
                 refreshed.status().ToString());
  }
  for (const CaKeyring::Key* key : keyring_->keys()) {
    if (key->kind != *kind) continue;
    v1::CaPublicKey* out = response.add_keys();
    out->set_type(CaTypeOf(key->kind));
    out->set_key_id(key->key_id);
    out->set_public_key(key->public_key);
    out->set_status(std::string(CaKeyStateName(key->state)));
  }
  return response;
}

}  // namespace jit::ca
