// Roles from a directory (--roles_dir, for GitOps): every *.yaml, *.yml and *.json file
// directly in it, in name order, each holding one or more role documents ("---").
// INVALID_ARGUMENT names the file and line of a bad document, or both files when two
// define the same role; NOT_FOUND if the directory cannot be read.
#ifndef JIT_SERVICES_POLICY_ROLE_DIRECTORY_H_
#define JIT_SERVICES_POLICY_ROLE_DIRECTORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jit/common/v1/role.pb.h"

namespace jit::policy {

absl::StatusOr<std::vector<jit::common::v1::Role>> LoadRoleDirectory(const std::string& dir);

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_ROLE_DIRECTORY_H_
