// The workload of the policy benchmarks, shared by policy_bench (the decision functions)
// and policy_grpc_bench (the same decision through the gRPC service).
//
// 200 roles (20 teams x 10 roles: dev, prod read-only, prod admin, databases, Kubernetes,
// apps, on-call, lead, auditor, contractor) written as YAML documents and parsed the real
// way, with exact values, globs, ^regex$ values, trait templates and deny rules.
#ifndef JIT_BENCH_POLICY_WORKLOAD_H_
#define JIT_BENCH_POLICY_WORKLOAD_H_

#include <vector>

#include "jit/common/v1/role.pb.h"
#include "jit/policy/v1/policy.pb.h"

namespace jit::bench {

// The 200 roles (exits the process if they do not parse: a broken bench).
std::vector<jit::common::v1::Role> PolicyBenchRoles();

// A realistic identity (8 roles of 4 teams; the allowing role is evaluated last, another
// team's contractor role with deny rules among them) reaching a node with 6 labels as a
// login from its traits. Allowed.
jit::policy::v1::CheckAccessRequest RealisticCheckAccess();

}  // namespace jit::bench

#endif  // JIT_BENCH_POLICY_WORKLOAD_H_
