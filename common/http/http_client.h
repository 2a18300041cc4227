// A small HTTP client interface (identity providers, the policy decision hook), and its
// libcurl implementation.
//
// CurlHttpClient: HTTPS only, certificates and host names verified, redirects never followed
// (a provider endpoint that redirects is an error, not a hop to somewhere else), connect and
// total timeouts, a cap on response size. Plain http is possible only when explicitly allowed
// and only to 127.0.0.1 or [::1] (tests with a provider on loopback). Request bodies and
// headers carry secrets (client secret, authorization code, PKCE verifier) and are never
// logged; error messages name the URL without its query.
#ifndef JIT_COMMON_HTTP_HTTP_CLIENT_H_
#define JIT_COMMON_HTTP_HTTP_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace jit::http {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string location;  // the Location header of a redirect, if any
  // The Retry-After header (delta-seconds or an HTTP date, as a wait from now); zero when
  // absent.
  absl::Duration retry_after = absl::ZeroDuration();
};

// A request parameter or header whose value may be secret.
struct Field {
  std::string name;
  SecretString value;
};

// Thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // UNAVAILABLE for transport failures (connect, TLS, timeout); INVALID_ARGUMENT for a URL
  // the client may not fetch. Any HTTP status is a successful response.
  virtual absl::StatusOr<HttpResponse> Get(std::string_view url) = 0;
  // GET with request headers (an API token); header values are never logged.
  // Implementations that do not support it return UNIMPLEMENTED.
  virtual absl::StatusOr<HttpResponse> GetWithHeaders(std::string_view url,
                                                      const std::vector<Field>& headers) {
    return absl::UnimplementedError("GetWithHeaders is not supported by this client");
  }
  // POST with an application/x-www-form-urlencoded body.
  virtual absl::StatusOr<HttpResponse> PostForm(std::string_view url,
                                                const std::vector<Field>& form,
                                                const std::vector<Field>& headers) = 0;
  // POST of `body` as `content_type` (e.g. "application/json").
  virtual absl::StatusOr<HttpResponse> Post(std::string_view url, std::string_view content_type,
                                            const SecretString& body,
                                            const std::vector<Field>& headers) = 0;
};

struct CurlHttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration total_timeout = absl::Seconds(10);
  size_t max_response_bytes = 1024 * 1024;
  // PEM bundle to trust instead of the system store ("" = system store).
  std::string ca_file;
  // Allow http:// to 127.0.0.1 and [::1] only. Never set in production.
  bool allow_loopback_http = false;
};

// OK when `url` is https:// (or, with allow_loopback_http, http://127.0.0.1 or http://[::1])
// with a host and no user info. INVALID_ARGUMENT otherwise.
absl::Status CheckUrlAllowed(std::string_view url, bool allow_loopback_http);

// The URL without query and fragment, for messages.
std::string UrlForLog(std::string_view url);

// RFC 3986 percent-encoding: unreserved characters (ALPHA DIGIT - . _ ~) stay, every other
// byte becomes %XX. For query parameters and form values.
std::string PercentEncode(std::string_view s);

// Decodes %XX and (for form/query values) '+' as space. INVALID_ARGUMENT for a malformed
// escape.
absl::StatusOr<std::string> PercentDecode(std::string_view s);

// The value of query parameter `name` in `url` ("" when absent). For reading the code and
// state from a redirect.
absl::StatusOr<std::string> QueryParameter(std::string_view url, std::string_view name);

// Requests share one connection cache (and TLS session cache), so calls to the same host
// reuse open connections instead of connecting (and handshaking) again.
class CurlHttpClient final : public HttpClient {
 public:
  // INVALID_ARGUMENT for non-positive timeouts or limits; INTERNAL if libcurl cannot start.
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options);

  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  absl::StatusOr<HttpResponse> Get(std::string_view url) override;
  absl::StatusOr<HttpResponse> GetWithHeaders(std::string_view url,
                                              const std::vector<Field>& headers) override;
  absl::StatusOr<HttpResponse> PostForm(std::string_view url, const std::vector<Field>& form,
                                        const std::vector<Field>& headers) override;
  absl::StatusOr<HttpResponse> Post(std::string_view url, std::string_view content_type,
                                    const SecretString& body,
                                    const std::vector<Field>& headers) override;

 private:
  struct Share;  // the shared caches and their locks
  CurlHttpClient(CurlHttpClientOptions options, std::unique_ptr<Share> share);
  absl::StatusOr<HttpResponse> Perform(std::string_view method, std::string_view url,
                                       const SecretString* body, const std::vector<Field>& headers);

  const CurlHttpClientOptions options_;
  const std::unique_ptr<Share> share_;
};

}  // namespace jit::http

#endif  // JIT_COMMON_HTTP_HTTP_CLIENT_H_
