// Tests SharedLibrary (runtime/dynlib/shared_library.h): a library that is not there and a
// function a library lacks are errors that name them; a function bound from a real library is
// the library's; and libcurl's table (runtime/http/curl_library.h) loads whole, the same table
// every time.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "runtime/dynlib/shared_library.h"
#include "runtime/http/curl_library.h"

namespace {

using crmx::dynlib::Loaded;
using crmx::dynlib::SharedLibrary;

TEST_CASE("a library that cannot be loaded is an error naming it and what needs it") {
  std::string error;
  CHECK(SharedLibrary::Open("libcrmx-no-such-library.so.7", "the test", error) == nullptr);
  CHECK(error.find("cannot load libcrmx-no-such-library.so.7 (the test): ") == 0);
  // dlerror's reason follows.
  CHECK(error.find("No such file") != std::string::npos);
}

TEST_CASE("a function is bound from the library, a missing one is an error") {
  std::string error;
  const SharedLibrary* m = SharedLibrary::Open("libm.so.6", "the test", error);
  REQUIRE(m != nullptr);
  CHECK(error.empty());
  double (*cosine)(double) = nullptr;
  REQUIRE(m->Bind(cosine, "cos", error));
  CHECK(cosine(0.0) == 1.0);
  CHECK(cosine(M_PI) == doctest::Approx(-1.0));
  int (*missing)(int) = [](int x) { return x; };  // set to null by the failed Bind
  CHECK_FALSE(m->Bind(missing, "crmx_no_such_function", error));
  CHECK((missing == nullptr));
  CHECK(error.find("libm.so.6 has no function crmx_no_such_function") == 0);
}

TEST_CASE("Loaded: the table when it loaded, the reason when it did not") {
  Loaded<int> good;
  good.table = 7;
  good.ok = true;
  std::string why = "untouched";
  REQUIRE(good.Get(why) != nullptr);
  CHECK(*good.Get(why) == 7);
  CHECK(why == "untouched");
  Loaded<int> bad;
  bad.error = "cannot load libx.so.1 (y): gone";
  CHECK(bad.Get(why) == nullptr);
  CHECK(why == "cannot load libx.so.1 (y): gone");
}

TEST_CASE("libcurl's table loads whole, once") {
  std::string error;
  const crmx::http::CurlLibrary* curl = crmx::http::Curl(error);
  REQUIRE_MESSAGE(curl != nullptr, error);
  CHECK((curl->easy_init != nullptr));
  CHECK((curl->slist_free_all != nullptr));
  CHECK(crmx::http::Curl(error) == curl);
  // The functions work: an easy handle made, an option set, freed; an error code's text.
  CURL* h = curl->easy_init();
  REQUIRE(h != nullptr);
  CHECK(curl->easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:9/") == CURLE_OK);
  curl->easy_cleanup(h);
  CHECK(std::string(curl->easy_strerror(CURLE_COULDNT_CONNECT)) == "Couldn't connect to server");
}

}  // namespace
