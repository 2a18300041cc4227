// Termination signals (SIGTERM, SIGINT) as an event a thread can wait for.
//
// Call BlockTerminationSignals() first thing in main(), before any thread starts, so the
// signals are delivered only to the thread that calls WaitForTerminationSignal().
#ifndef JIT_COMMON_SERVER_SIGNALS_H_
#define JIT_COMMON_SERVER_SIGNALS_H_

namespace jit::server {

// Blocks SIGTERM and SIGINT in the calling thread (and threads created after).
void BlockTerminationSignals();

// Waits until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_SIGNALS_H_
