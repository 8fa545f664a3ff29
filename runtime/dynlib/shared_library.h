// Defines SharedLibrary: a shared library crmx-run loads when it first needs it (dlopen), not at
// start-up. libcurl (the API connectors, webhooks, email) and libpq (a PostgreSQL state) bring
// 30 more libraries with them (TLS, Kerberos, LDAP, IDN, ...): linked, the dynamic loader mapped
// and relocated them in every process, 6.4 ms of a 13 ms start (bench/w1/README.md), though a
// run between files or `crmx-run queue list` on a SQLite state never calls them. The libraries
// are still dependencies of the package (docs/dependencies.md); only when they load changes.
//
// A library is opened once and never closed (its functions may be called until exit); what it
// resolves is kept by its caller (runtime/http/curl_library.h, runtime/state/db/postgres_db.cpp).
#pragma once

#include <string>
#include <utility>

namespace crmx::dynlib {

class SharedLibrary {
 public:
  // Opens `soname` ("libcurl.so.4"): null with `error` ("cannot load libcurl.so.4: <why>") when
  // the library or one it needs cannot be loaded. `purpose` says what needs it, for the error.
  static SharedLibrary* Open(const char* soname, const char* purpose, std::string& error);

  // Sets `fn` to the library's function `name`; false with `error` when it has none (a library
  // older than the one crmx-run was built against).
  template <class F>
  bool Bind(F*& fn, const char* name, std::string& error) const {
    void* p = Find(name, error);
    fn = reinterpret_cast<F*>(p);
    return p != nullptr;
  }

 private:
  SharedLibrary(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  void* Find(const char* name, std::string& error) const;

  void* handle_;
  std::string soname_;
};

// What loading a library and binding a table of its functions came to: kept in a function's
// static (loaded once per process, by whichever thread asks first) and asked with Get.
template <class Table>
struct Loaded {
  Table table{};
  std::string error;
  bool ok = false;
  // The table, or null with `why` set to why it could not be loaded.
  const Table* Get(std::string& why) const {
    if (!ok) why = error;
    return ok ? &table : nullptr;
  }
};

}  // namespace crmx::dynlib
