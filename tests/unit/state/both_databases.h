// Test support of the state store's cases that run on both databases (flag_sets_test.cpp,
// item_sets_test.cpp) or on PostgreSQL (postgres_test.cpp): a fresh SQLite file, then a fresh PostgreSQL database of the test
// cluster when there is one (ctest's test_state_postgres), and a scalar read.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>

#include "runtime/state/state.h"
#include "runtime/state/statement.h"
#include "tests/unit/support/files.h"

namespace crmx::testing {

inline std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// A fresh database `name` (letters, digits, `_`) of the test cluster: its URL, "" (and a
// message) without a cluster.
inline std::string FreshDatabase(const std::string& name) {
  std::string base = Env("CRMX_TEST_PG_URL");
  if (base.empty()) {
    MESSAGE("PostgreSQL part SKIPPED: CRMX_TEST_PG_URL unset (ctest's test_state_postgres sets it)");
    return "";
  }
  std::string error;
  auto admin = state::db::ConnectPostgres(base, Env("CRMX_TEST_PG_PASSWORD"), error);
  REQUIRE_MESSAGE(admin, error);
  std::string ignored;
  admin->Exec("DROP DATABASE IF EXISTS " + name, ignored);
  REQUIRE_MESSAGE(admin->Exec("CREATE DATABASE " + name, error), error);
  return base.substr(0, base.rfind('/') + 1) + name;
}

// Runs `body` on a fresh SQLite state file, then on a fresh PostgreSQL database named `name` of
// the test cluster when there is one.
inline void OnBothDatabases(const std::string& name, const std::function<void(state::StateStore&)>& body) {
  {
    auto dir = FreshDir("state_both_databases", name);
    std::string error;
    auto st = state::StateStore::Open((dir / "state.db").string(), error);
    REQUIRE_MESSAGE(st, error);
    INFO("SQLite");
    body(*st);
  }
  std::string url = FreshDatabase(name);
  if (url.empty()) return;
  std::string error;
  state::OpenOptions o;
  o.password = Env("CRMX_TEST_PG_PASSWORD");
  auto st = state::StateStore::Open(url, error, o);
  REQUIRE_MESSAGE(st, error);
  INFO("PostgreSQL");
  body(*st);
}

inline int64_t Scalar(state::StateStore& st, const std::string& sql) {
  state::Statement q(st.db(), sql);
  REQUIRE_MESSAGE(q.Row(), q.Error());
  return q.Int(0);
}

inline std::string K(int i) { return "K" + std::to_string(i); }

}  // namespace crmx::testing
