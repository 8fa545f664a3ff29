// Defines Curl() (curl_library.h).
#include "runtime/http/curl_library.h"

#include "runtime/dynlib/shared_library.h"

namespace crmx::http {
namespace {

dynlib::Loaded<CurlLibrary> Load() {
  dynlib::Loaded<CurlLibrary> l;
  // The soname of libcurl's ABI 4 (every libcurl since 7.16), as linked before.
  const dynlib::SharedLibrary* so = dynlib::SharedLibrary::Open("libcurl.so.4", "HTTP requests and email", l.error);
  if (so == nullptr) return l;
  decltype(&::curl_global_init) global_init = nullptr;
  CurlLibrary& c = l.table;
  l.ok = so->Bind(global_init, "curl_global_init", l.error) && so->Bind(c.easy_init, "curl_easy_init", l.error) &&
         so->Bind(c.easy_cleanup, "curl_easy_cleanup", l.error) && so->Bind(c.easy_reset, "curl_easy_reset", l.error) &&
         so->Bind(c.easy_setopt, "curl_easy_setopt", l.error) &&
         so->Bind(c.easy_perform, "curl_easy_perform", l.error) &&
         so->Bind(c.easy_getinfo, "curl_easy_getinfo", l.error) &&
         so->Bind(c.easy_strerror, "curl_easy_strerror", l.error) &&
         so->Bind(c.slist_append, "curl_slist_append", l.error) &&
         so->Bind(c.slist_free_all, "curl_slist_free_all", l.error);
  if (!l.ok) return l;
  // curl_global_init is not thread-safe; this runs once, under the static's guard below.
  if (CURLcode rc = global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    l.ok = false;
    l.error = "libcurl.so.4: curl_global_init failed (code " + std::to_string(static_cast<int>(rc)) + ")";
  }
  return l;
}

}  // namespace

const CurlLibrary* Curl(std::string& error) {
  static const dynlib::Loaded<CurlLibrary> loaded = Load();
  return loaded.Get(error);
}

}  // namespace crmx::http
