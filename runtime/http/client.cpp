// Defines the libcurl-backed HTTP client of client.h: one easy handle per Client, reset (not
// recreated) between requests so its connection cache, DNS cache and TLS sessions survive,
// and the table that turns curl's error codes into the transport errors callers classify.
#include "runtime/http/client.h"

#include <cctype>
#include <cerrno>
#include <cstring>

#include "runtime/http/curl_library.h"

namespace crmx::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Called once per header line. A status line starts a new response (a 100 Continue, a proxy's
// CONNECT answer or a redirect came first): only the last response's headers are kept.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    headers->emplace_back(std::string(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1))));
  }
  return size * count;
}

// The one table of transport failures: what went wrong, in the words callers test for.
// A connection the server closed without answering ("Empty reply from server") is reported as
// a reset: for a caller both mean "the request may or may not have been processed".
std::string Classify(CURLcode code, long os_errno, std::string_view text) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "dns";
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ETIMEDOUT) return "timeout";
      if (os_errno == ECONNREFUSED || text.find("refused") != std::string_view::npos) return "connection refused";
      return "connection failed";
    case CURLE_GOT_NOTHING:
      return "connection reset";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
      return "connection reset";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return "tls";
    case CURLE_BAD_CONTENT_ENCODING:
      return "bad content encoding";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "bad url";
    default:
      return "transport error";
  }
}

}  // namespace

std::string Response::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

struct Client::Impl {
  Options options;
  // libcurl (loaded by the first Client), null when it could not be loaded; `curl` is null
  // then or when curl_easy_init failed (out of memory). Send reports either.
  const CurlLibrary* lib = nullptr;
  std::string load_error;
  CURL* curl = nullptr;
};

Client::Client(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->lib = Curl(impl_->load_error);
  if (impl_->lib != nullptr) impl_->curl = impl_->lib->easy_init();
}

Client::~Client() {
  if (impl_->curl != nullptr) impl_->lib->easy_cleanup(impl_->curl);
}

Response Client::Send(const Request& request) {
  ++sent_;
  Response response;
  CURL* curl = impl_->curl;
  if (curl == nullptr) {
    response.transport_error = impl_->lib == nullptr ? "transport error: " + impl_->load_error
                                                     : "transport error: curl_easy_init failed";
    return response;
  }
  const CurlLibrary& c = *impl_->lib;
  const Options& options = impl_->options;
  // Reset keeps the live connections, the DNS cache and the TLS session cache.
  c.easy_reset(curl);

  char error_text[CURL_ERROR_SIZE] = {0};
  c.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  c.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  // Threads and signals: curl must not use SIGALRM for DNS timeouts.
  c.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  auto timeout = request.timeout.count() > 0 ? request.timeout : options.timeout;
  c.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  c.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  c.easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  // "": offer every encoding curl can undo (gzip, deflate, ...) and decode the body.
  c.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  c.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  c.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_file.empty()) c.easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  // Redirects are not followed: an Authorization header must not travel to another host.
  c.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // No CURLOPT_PROXY / CURLOPT_NOPROXY: curl then takes http_proxy, https_proxy and no_proxy
  // from the environment.

  const std::string& method = request.method;
  if (method == "GET") {
    c.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    c.easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    // POSTFIELDS makes it a POST with this body; CUSTOMREQUEST renames the method.
    c.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    c.easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    if (method != "POST") c.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  curl_slist* header_list = nullptr;
  for (const auto& [name, value] : request.headers) {
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    header_list = c.slist_append(header_list, line.c_str());
  }
  // No "Expect: 100-continue" round trip before large bodies.
  header_list = c.slist_append(header_list, "Expect:");
  c.easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);

  c.easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  c.easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  c.easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  c.easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  CURLcode code = c.easy_perform(curl);
  c.slist_free_all(header_list);

  if (code != CURLE_OK) {
    long os_errno = 0;
    c.easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    std::string text = error_text[0] != '\0' ? error_text : c.easy_strerror(code);
    response.status = 0;
    response.headers.clear();
    response.body.clear();
    response.transport_error = Classify(code, os_errno, text) + ": " + text;
    return response;
  }
  c.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  return out;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += UrlEncode(name);
    out += '=';
    out += UrlEncode(value);
  }
  return out;
}

}  // namespace crmx::http
