#include "tests/integration/testkit/metrics_scrape.h"

#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "curl/curl.h"
#include "tests/integration/testkit/test_files.h"

namespace jit::testkit {
namespace {

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

}  // namespace

absl::StatusOr<std::string> ScrapeMetrics(int port) {
  const std::string url = absl::StrCat("http://127.0.0.1:", port, "/metrics");
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(url, ": ", curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return absl::InternalError(absl::StrCat(url, ": HTTP ", status));
  return body;
}

absl::Status PromtoolCheck(const std::string& exposition, const std::string& name) {
  const std::string path = jit::testing::TestTempPath(absl::StrCat("scrape-", name, ".txt"));
  if (absl::Status written = WriteTestFile(path, exposition, 0644); !written.ok()) {
    return written;
  }
  auto [rc, out] = jit::testing::RunShell("/usr/bin/promtool check metrics < " + path);
  if (rc != 0) {
    return absl::FailedPreconditionError(absl::StrCat("promtool (exit ", rc, "): ", out));
  }
  return absl::OkStatus();
}

absl::StatusOr<double> SampleValue(const std::string& exposition, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::ConsumePrefix(&line, series) || !absl::ConsumePrefix(&line, " ")) continue;
    double value = 0;
    if (!absl::SimpleAtod(line, &value)) {
      return absl::InvalidArgumentError(absl::StrCat(series, ": value \"", line, "\""));
    }
    return value;
  }
  return absl::NotFoundError(absl::StrCat("no sample ", series));
}

}  // namespace jit::testkit
