// Policy decision benchmarks.
//
//   bazel run -c opt //bench:policy_bench              # full run
//   bazel run -c opt //bench:policy_bench -- --smoke   # seconds (also JIT_BENCH_SMOKE=1)
//
// Workload (bench/policy_workload.h): 200 roles in the snapshot (20 teams x 10 roles),
// labels with exact values, globs and ^regex$ values, trait templates, and deny rules. A
// realistic identity holds 8 of them; a stress identity holds 199 (all but one that would
// deny). Resources carry 6 labels.
//
// References measured in the same run:
//  - naive evaluation: the same CheckAccess semantics straight from the Role protos, with
//    roles found by a linear scan and every glob/regex compiled with RE2 on use (what an
//    engine without a compiled snapshot does);
//  - bare RE2: one RE2::PartialMatch of a typical ^...$ label expression (a unit of cost).
// Ends with one line per goal: GOAL <name> measured=<x>us target=<y>us PASS|MISS.
// The same CheckAccess through the gRPC service over TLS: bench/policy_grpc_bench.cc.
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/policy_workload.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"
#include "jit/policy/v1/policy.pb.h"
#include "re2/re2.h"
#include "services/policy/decisions.h"
#include "services/policy/role_snapshot.h"

namespace {

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Role;
using ::jit::policy::RoleSnapshot;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

struct Fixture {
  std::vector<Role> roles = jit::bench::PolicyBenchRoles();
  std::shared_ptr<const RoleSnapshot> snapshot = [this] {
    absl::StatusOr<std::shared_ptr<const RoleSnapshot>> s = RoleSnapshot::Create(roles, 1);
    if (!s.ok()) std::exit(1);
    return *s;
  }();
  pb::CheckAccessRequest access = jit::bench::RealisticCheckAccess();  // allowed
  pb::CheckAccessRequest access_denied;  // realistic identity, no role allows
  pb::CheckAccessRequest access_all;     // identity holding 199 roles, allowed
  pb::CheckRequestRequest request;

  Fixture() {
    access_denied = access;
    access_denied.mutable_resource()->set_login("root");

    // Every role but storage-contractor (which denies storage's prod nodes); the allowing
    // role sits in the middle of the list, so about half the allow sides are evaluated.
    access_all = access;
    access_all.mutable_identity()->clear_roles();
    for (const Role& role : roles) {
      if (role.metadata().name() == "storage-contractor") continue;
      access_all.mutable_identity()->add_roles(role.metadata().name());
    }

    auto* user = request.mutable_user();
    user->set_name("alice");
    user->mutable_expire_time()->set_seconds(4'102'444'800);  // 2100
    user->add_roles("storage-dev");
    user->add_roles("storage-oncall");
    user->add_roles("web-dev");
    (*user->mutable_traits())["logins"].add_values("alice");
    request.add_requested_roles("storage-prod-ro");
    request.set_reason("INC-4711 disk latency");
    request.mutable_requested_duration()->set_seconds(1800);
  }
};

const Fixture& GetFixture() {
  static const Fixture* fixture = new Fixture();
  return *fixture;
}

// ---- Naive reference: same semantics, no compiled snapshot --------------------------------

bool NaiveValueMatches(const std::string& expression, const std::string& value) {
  if (expression == "*") return true;
  std::string regex = expression;
  if (!(expression.size() >= 2 && expression.front() == '^' && expression.back() == '$')) {
    regex = "^";
    for (char c : expression) {
      regex += c == '*' ? std::string("(.*)") : RE2::QuoteMeta(std::string(1, c));
    }
    regex += "$";
  }
  RE2 re(regex);  // compiled on every use
  return RE2::PartialMatch(value, re);
}

bool NaiveLabelsMatch(
    const google::protobuf::Map<std::string, jit::common::v1::StringList>& selector,
    const google::protobuf::Map<std::string, std::string>& labels) {
  if (selector.empty()) return false;
  auto star = selector.find("*");
  if (star != selector.end() && star->second.values_size() == 1 && star->second.values(0) == "*") {
    return true;
  }
  for (const auto& [key, values] : selector) {
    auto it = labels.find(key);
    if (it == labels.end()) return false;
    bool any = false;
    for (const std::string& v : values.values()) any = any || NaiveValueMatches(v, it->second);
    if (!any) return false;
  }
  return true;
}

bool NaiveContains(const google::protobuf::RepeatedPtrField<std::string>& list,
                   const std::string& value, const jit::policy::Traits& traits) {
  for (const std::string& entry : list) {
    if (entry == value) return true;
    if (entry == "{{internal.logins}}") {
      auto it = traits.find("logins");
      if (it != traits.end()) {
        for (const std::string& t : it->second.values()) {
          if (t == value) return true;
        }
      }
    }
  }
  return false;
}

bool NaiveCheckAccess(const std::vector<Role>& all, const pb::CheckAccessRequest& request) {
  std::vector<const Role*> held;
  for (const std::string& name : request.identity().roles()) {
    for (const Role& role : all) {
      if (role.metadata().name() == name) held.push_back(&role);
    }
  }
  const auto& r = request.resource();
  const auto& traits = request.identity().traits();
  for (const Role* role : held) {
    const auto& deny = role->spec().deny();
    if (NaiveLabelsMatch(deny.node_labels(), r.labels()) ||
        NaiveContains(deny.logins(), r.login(), traits)) {
      return false;
    }
  }
  for (const Role* role : held) {
    const auto& allow = role->spec().allow();
    if (NaiveLabelsMatch(allow.node_labels(), r.labels()) &&
        NaiveContains(allow.logins(), r.login(), traits)) {
      return true;
    }
  }
  return false;
}

// ---- Benchmarks ---------------------------------------------------------------------------

void BM_CheckAccess_200Roles(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto response = jit::policy::CheckAccess(*f.snapshot, f.access, kNow);
    if (!response.ok() || !response->allowed()) state.SkipWithError("expected allow");
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_CheckAccess_200Roles)->Unit(benchmark::kNanosecond);

// The same decision written into a reply allocated on a per-call protobuf Arena whose first
// block is on the stack, as a gRPC callback adapter with an arena MessageAllocator could do
// (arena set-up and tear-down included).
void BM_CheckAccess_200Roles_ArenaReply(benchmark::State& state) {
  const Fixture& f = GetFixture();
  alignas(16) char block[4096];
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = sizeof(block);
  for (auto _ : state) {
    google::protobuf::Arena arena(options);
    auto* reply = google::protobuf::Arena::CreateMessage<pb::CheckAccessResponse>(&arena);
    absl::Status status = jit::policy::CheckAccess(*f.snapshot, f.access, kNow, reply);
    if (!status.ok() || !reply->allowed()) state.SkipWithError("expected allow");
    benchmark::DoNotOptimize(reply);
  }
}
BENCHMARK(BM_CheckAccess_200Roles_ArenaReply)->Unit(benchmark::kNanosecond);

void BM_CheckAccess_200Roles_Denied(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto response = jit::policy::CheckAccess(*f.snapshot, f.access_denied, kNow);
    if (!response.ok() || response->allowed()) state.SkipWithError("expected deny");
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_CheckAccess_200Roles_Denied)->Unit(benchmark::kNanosecond);

void BM_CheckAccess_Holding199Roles(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto response = jit::policy::CheckAccess(*f.snapshot, f.access_all, kNow);
    if (!response.ok() || !response->allowed()) state.SkipWithError("expected allow");
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_CheckAccess_Holding199Roles)->Unit(benchmark::kNanosecond);

void BM_CheckRequest(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto response = jit::policy::CheckRequest(*f.snapshot, f.request, kNow);
    if (!response.ok() || !response->allowed()) state.SkipWithError("expected allow");
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_CheckRequest)->Unit(benchmark::kNanosecond);

void BM_Reference_NaiveCheckAccess(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    bool allowed = NaiveCheckAccess(f.roles, f.access);
    if (!allowed) state.SkipWithError("expected allow");
    benchmark::DoNotOptimize(allowed);
  }
}
BENCHMARK(BM_Reference_NaiveCheckAccess)->Unit(benchmark::kNanosecond);

void BM_Reference_BareRe2Match(benchmark::State& state) {
  const RE2 re("^storage-[a-z]+-[0-9]+$");
  const std::string value = "storage-db-17";
  for (auto _ : state) {
    bool matched = RE2::PartialMatch(value, re);
    benchmark::DoNotOptimize(matched);
  }
}
BENCHMARK(BM_Reference_BareRe2Match)->Unit(benchmark::kNanosecond);

// Keeps the CPU time per iteration (ns) of every benchmark while printing as usual.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      double ns = run.GetAdjustedCPUTime();
      switch (run.time_unit) {
        case benchmark::kMicrosecond:
          ns *= 1e3;
          break;
        case benchmark::kMillisecond:
          ns *= 1e6;
          break;
        case benchmark::kSecond:
          ns *= 1e9;
          break;
        default:
          break;
      }
      ns_per_op[run.benchmark_name()] = ns;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> ns_per_op;
};

}  // namespace

int main(int argc, char** argv) {
  bool smoke = std::getenv("JIT_BENCH_SMOKE") != nullptr &&
               std::strcmp(std::getenv("JIT_BENCH_SMOKE"), "0") != 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      smoke = true;
      continue;
    }
    args.push_back(argv[i]);
  }
  static char min_time[] = "--benchmark_min_time=0.01";
  if (smoke) args.push_back(min_time);
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  GetFixture();  // build the snapshot outside the timed loops

  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  auto us = [&](const char* name) -> double {
    auto it = reporter.ns_per_op.find(name);
    return it == reporter.ns_per_op.end() ? -1 : it->second / 1000.0;
  };
  const double naive = us("BM_Reference_NaiveCheckAccess");
  const double arena = us("BM_CheckAccess_200Roles_ArenaReply");
  const double re2 = us("BM_Reference_BareRe2Match");
  printf("\n%s\n", smoke ? "SMOKE run (figures are indicative only)" : "");
  printf(
      "REF naive_check_access measured=%.3fus (same semantics from Role protos, RE2 compiled per "
      "use)\n",
      naive);
  printf("REF bare_re2_match measured=%.3fus (one RE2::PartialMatch of ^storage-[a-z]+-[0-9]+$)\n",
         re2);
  printf(
      "INFO check_access_200_roles_arena_reply measured=%.3fus (reply on a per-call Arena "
      "with a stack block; not a goal)\n",
      arena);
  struct Goal {
    const char* name;
    const char* benchmark;
    double target_us;
  };
  const Goal goals[] = {
      {"check_access_200_roles", "BM_CheckAccess_200Roles", 1.0},
      {"check_access_200_roles_denied", "BM_CheckAccess_200Roles_Denied", 1.0},
      {"check_access_holding_199_roles", "BM_CheckAccess_Holding199Roles", 1.0},
      {"check_request", "BM_CheckRequest", 2.0},
  };
  for (const Goal& goal : goals) {
    const double measured = us(goal.benchmark);
    if (measured < 0) {
      printf("GOAL %s measured=none target=%gus MISS\n", goal.name, goal.target_us);
      continue;
    }
    printf("INFO %s speedup_vs_naive=%.1fx cost_in_bare_re2_matches=%.1f\n", goal.name,
           naive > 0 ? naive / measured : 0.0, re2 > 0 ? measured / re2 : 0.0);
    printf("GOAL %s measured=%.3fus target=%gus %s\n", goal.name, measured, goal.target_us,
           measured <= goal.target_us ? "PASS" : "MISS");
  }
  return 0;
}
