#include "common/http/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace jit::http {
namespace {

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using CurlUrlPtr = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;
using CurlSlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

struct CurlString {
  char* p = nullptr;
  ~CurlString() { curl_free(p); }
};

absl::Status InitCurlOnce() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) return absl::InternalError("libcurl initialisation failed");
  return absl::OkStatus();
}

struct Body {
  std::string data;
  size_t limit;
  bool overflow = false;
};

size_t WriteCallback(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* body = static_cast<Body*>(userdata);
  const size_t n = size * nmemb;
  if (body->data.size() + n > body->limit) {
    body->overflow = true;
    return 0;  // aborts the transfer
  }
  body->data.append(ptr, n);
  return n;
}

std::string UrlEncode(CURL* curl, std::string_view s) {
  CurlString out;
  out.p = curl_easy_escape(curl, s.data(), static_cast<int>(s.size()));
  return out.p != nullptr ? std::string(out.p) : std::string();
}

bool IsLoopbackHost(std::string_view host) { return host == "127.0.0.1" || host == "[::1]"; }

}  // namespace

std::string UrlForLog(std::string_view url) {
  const size_t cut = url.find_first_of("?#");
  return std::string(url.substr(0, cut));
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<std::string> PercentDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return absl::InvalidArgumentError("malformed percent-escape");
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("malformed percent-escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

absl::StatusOr<std::string> QueryParameter(std::string_view url, std::string_view name) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string();
  std::string_view query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    absl::StatusOr<std::string> key = PercentDecode(pair.substr(0, eq));
    if (!key.ok()) return key.status();
    if (*key == name) {
      return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::string();
}

absl::Status CheckUrlAllowed(std::string_view url, bool allow_loopback_http) {
  if (absl::Status s = InitCurlOnce(); !s.ok()) return s;
  CurlUrlPtr u(curl_url(), &curl_url_cleanup);
  const std::string text(url);
  if (u == nullptr || curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError("malformed URL: " + UrlForLog(url));
  }
  CurlString scheme, host, user;
  if (curl_url_get(u.get(), CURLUPART_SCHEME, &scheme.p, 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_HOST, &host.p, 0) != CURLUE_OK) {
    return absl::InvalidArgumentError("URL has no scheme or host: " + UrlForLog(url));
  }
  if (curl_url_get(u.get(), CURLUPART_USER, &user.p, 0) == CURLUE_OK) {
    return absl::InvalidArgumentError("URL must not carry credentials");
  }
  const std::string_view s(scheme.p);
  if (s == "https") return absl::OkStatus();
  if (s == "http" && allow_loopback_http && IsLoopbackHost(host.p)) return absl::OkStatus();
  return absl::InvalidArgumentError("URL must be https: " + UrlForLog(url));
}

// A libcurl share handle holding the connection and TLS session caches of one client. libcurl
// calls lock/unlock around every use of shared data from any thread.
struct CurlHttpClient::Share {
  CURLSH* handle = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];

  ~Share() {
    if (handle != nullptr) curl_share_cleanup(handle);
  }
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Share*>(self)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Share*>(self)->locks[data].unlock();
  }
};

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options, std::unique_ptr<Share> share)
    : options_(std::move(options)), share_(std::move(share)) {}

// Every easy handle is cleaned up at the end of its Perform, so none still uses the share.
CurlHttpClient::~CurlHttpClient() = default;

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(
    CurlHttpClientOptions options) {
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.total_timeout <= absl::ZeroDuration() || options.max_response_bytes == 0) {
    return absl::InvalidArgumentError("http client timeouts and size limit must be positive");
  }
  if (absl::Status s = InitCurlOnce(); !s.ok()) return s;
  auto share = std::make_unique<Share>();
  share->handle = curl_share_init();
  if (share->handle == nullptr ||
      curl_share_setopt(share->handle, CURLSHOPT_LOCKFUNC, &Share::Lock) != CURLSHE_OK ||
      curl_share_setopt(share->handle, CURLSHOPT_UNLOCKFUNC, &Share::Unlock) != CURLSHE_OK ||
      curl_share_setopt(share->handle, CURLSHOPT_USERDATA, share.get()) != CURLSHE_OK ||
      curl_share_setopt(share->handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
      curl_share_setopt(share->handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
      curl_share_setopt(share->handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
    return absl::InternalError("libcurl share initialisation failed");
  }
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(options), std::move(share)));
}

absl::StatusOr<HttpResponse> CurlHttpClient::Get(std::string_view url) {
  return Perform("GET", url, nullptr, {});
}

absl::StatusOr<HttpResponse> CurlHttpClient::GetWithHeaders(std::string_view url,
                                                            const std::vector<Field>& headers) {
  return Perform("GET", url, nullptr, headers);
}

absl::StatusOr<HttpResponse> CurlHttpClient::PostForm(std::string_view url,
                                                      const std::vector<Field>& form,
                                                      const std::vector<Field>& headers) {
  CurlPtr encoder(curl_easy_init(), &curl_easy_cleanup);
  if (encoder == nullptr) return absl::InternalError("curl_easy_init failed");
  std::string body;
  for (const Field& f : form) {
    if (!body.empty()) body.push_back('&');
    body += UrlEncode(encoder.get(), f.name);
    body.push_back('=');
    body += UrlEncode(encoder.get(), f.value.Reveal());
  }
  return Post(url, "application/x-www-form-urlencoded", SecretString(std::move(body)), headers);
}

absl::StatusOr<HttpResponse> CurlHttpClient::Post(std::string_view url,
                                                  std::string_view content_type,
                                                  const SecretString& body,
                                                  const std::vector<Field>& headers) {
  std::vector<Field> all = headers;
  all.push_back({"Content-Type", SecretString(content_type)});
  return Perform("POST", url, &body, all);
}

absl::StatusOr<HttpResponse> CurlHttpClient::Perform(std::string_view method, std::string_view url,
                                                     const SecretString* body,
                                                     const std::vector<Field>& headers) {
  if (absl::Status s = CheckUrlAllowed(url, options_.allow_loopback_http); !s.ok()) return s;
  CurlPtr curl(curl_easy_init(), &curl_easy_cleanup);
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  const std::string url_text(url);
  Body response_body{.limit = options_.max_response_bytes};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_SHARE, share_->handle);
  curl_easy_setopt(c, CURLOPT_URL, url_text.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, options_.allow_loopback_http ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.total_timeout)));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "jit-access");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteCallback);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response_body);
  if (options_.allow_loopback_http) curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,::1");

  // Header lines hold secrets (Authorization: Basic ...): build them in wiped strings.
  // (SecretString's storage is a std::string, so Reveal().data() is NUL-terminated.)
  std::vector<SecretString> header_lines;
  header_lines.reserve(headers.size() + 1);
  for (const Field& h : headers) {
    std::string line = h.name + ": ";
    line.append(h.value.Reveal());
    header_lines.emplace_back(std::move(line));
  }
  header_lines.emplace_back(std::string("Accept: application/json"));
  CurlSlistPtr list(nullptr, &curl_slist_free_all);
  for (const SecretString& line : header_lines) {
    curl_slist* next = curl_slist_append(list.get(), line.Reveal().data());
    if (next == nullptr) return absl::InternalError("curl_slist_append failed");
    list.release();
    list.reset(next);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->Reveal().data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }

  const CURLcode rc = curl_easy_perform(c);
  const std::string where = std::string(method) + " " + UrlForLog(url);
  if (response_body.overflow) {
    return absl::UnavailableError(where + ": response larger than the limit");
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(where + ": " + curl_easy_strerror(rc));
  }
  HttpResponse response;
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  char* content_type = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
      content_type != nullptr) {
    response.content_type = content_type;
  }
  char* location = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
    response.location = location;
  }
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
    response.retry_after = absl::Seconds(retry_after);
  }
  response.body = std::move(response_body.data);
  return response;
}

}  // namespace jit::http
