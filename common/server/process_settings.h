// Process-wide settings every service binary applies first thing in main().
//
// Abseil's mutex deadlock detection: Debian builds Abseil without NDEBUG, so the detector
// is on, in its abort mode. An absl::Mutex acquired while another is held — gRPC's own
// locks are absl::Mutex — updates a process-wide lock-order graph, and an order it merely
// suspects aborts the process: a crash in production for what may be a benign inversion.
// Services run with it off; tests keep Abseil's default and so still catch inversions.
// (Its CPU cost was within the noise of bench/policy_grpc_bench: docs/BENCHMARKS.md.)
#ifndef JIT_COMMON_SERVER_PROCESS_SETTINGS_H_
#define JIT_COMMON_SERVER_PROCESS_SETTINGS_H_

namespace jit::server {

// Idempotent; call before any thread starts.
void ApplyServiceProcessSettings();

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_PROCESS_SETTINGS_H_
