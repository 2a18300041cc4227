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

}  // namespace jit::ca
