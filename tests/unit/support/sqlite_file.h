// Test helpers for SQLite files (state files, target databases), each call with a connection of
// the test's own: run SQL, read one value.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace crmx::testing {

// Runs SQL on `path` with a connection of the test's own.
inline void Exec(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(path.string().c_str(), &h) == SQLITE_OK);
  char* msg = nullptr;
  int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &msg);
  std::string text = msg ? msg : "";
  sqlite3_free(msg);
  sqlite3_close(h);
  REQUIRE_MESSAGE(rc == SQLITE_OK, text);
}

// The first column of the first row of `sql` on `path`, as text ("" when no row).
inline std::string Scalar(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(path.string().c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

}  // namespace crmx::testing
