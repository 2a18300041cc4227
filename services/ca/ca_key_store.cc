#include "services/ca/ca_key_store.h"

namespace jit::ca {

std::string_view CaKeyStateName(CaKeyState state) {
  switch (state) {
    case CaKeyState::kActive:
      return "active";
    case CaKeyState::kNext:
      return "next";
    case CaKeyState::kPrevious:
      return "previous";
    case CaKeyState::kRetired:
      return "retired";
  }
  return "unknown";
}

absl::StatusOr<CaKeyState> ParseCaKeyState(std::string_view name) {
  for (CaKeyState s :
       {CaKeyState::kActive, CaKeyState::kNext, CaKeyState::kPrevious, CaKeyState::kRetired}) {
    if (CaKeyStateName(s) == name) return s;
  }
  return absl::InvalidArgumentError("CA key state must be active, next, previous or retired");
}

std::string_view RotationPhaseName(RotationPhase phase) {
  switch (phase) {
    case RotationPhase::kStandby:
      return "standby";
    case RotationPhase::kInit:
      return "init";
    case RotationPhase::kUpdateClients:
      return "update_clients";
    case RotationPhase::kUpdateServers:
      return "update_servers";
    case RotationPhase::kRollback:
      return "rollback";
  }
  return "unknown";
}

absl::StatusOr<RotationPhase> ParseRotationPhase(std::string_view name) {
  for (RotationPhase p :
       {RotationPhase::kStandby, RotationPhase::kInit, RotationPhase::kUpdateClients,
        RotationPhase::kUpdateServers, RotationPhase::kRollback}) {
    if (RotationPhaseName(p) == name) return p;
  }
  return absl::InvalidArgumentError(
      "phase must be init, update_clients, update_servers, standby or rollback");
}

}  // namespace jit::ca
