// Defines CurlLibrary: the libcurl functions crmx-run calls (the HTTP client, client.h; email
// alerts, runtime/watch/notify.cpp), from libcurl loaded at their first use rather than linked
// (runtime/dynlib/shared_library.h: libcurl and the 25 libraries it needs cost every process
// ~6 ms of start-up, and a run between files never sends a request).
//
// Call them as curl->easy_setopt(handle, CURLOPT_URL, url): the same functions and arguments as
// libcurl's API, through pointers.
#pragma once

#include <curl/curl.h>

#include <string>

namespace crmx::http {

struct CurlLibrary {
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// libcurl, loaded and globally initialised (curl_global_init) once per process, whichever thread
// asks first; null with `error` ("cannot load libcurl.so.4 (HTTP requests and email): ...") when
// it cannot be loaded. The same answer every time.
const CurlLibrary* Curl(std::string& error);

}  // namespace crmx::http
