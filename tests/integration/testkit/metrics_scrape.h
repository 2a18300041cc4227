// A service's Prometheus exposition as a test reads it: one scrape over HTTP, and promtool's
// verdict on it.
// Thread-safety: thread-safe.
#ifndef JIT_TESTS_INTEGRATION_TESTKIT_METRICS_SCRAPE_H_
#define JIT_TESTS_INTEGRATION_TESTKIT_METRICS_SCRAPE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jit::testkit {

// GET http://127.0.0.1:<port>/metrics (10 s limit). UNAVAILABLE when nothing answers,
// INTERNAL for an HTTP status other than 200; both name the port.
absl::StatusOr<std::string> ScrapeMetrics(int port);

// Runs `promtool check metrics` over `exposition` (written to a file in the test's scratch
// space named after `name`). FAILED_PRECONDITION with promtool's output when it objects.
absl::Status PromtoolCheck(const std::string& exposition, const std::string& name);

// The value of the sample written exactly as `series` (name and labels as the exposition
// prints them, e.g. `jit_auth_logins_total{method="local",result="success"}`). NOT_FOUND
// when no line carries it, INVALID_ARGUMENT when its value is not a number.
absl::StatusOr<double> SampleValue(const std::string& exposition, const std::string& series);

}  // namespace jit::testkit

#endif  // JIT_TESTS_INTEGRATION_TESTKIT_METRICS_SCRAPE_H_
