// Test helpers for connectors::RecordWriter: one record through a writer and its result.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/connectors/connector.h"

namespace crmx::testing {

// Adds one record; it must be written: returns its id in the target system.
inline std::string PutOk(connectors::RecordWriter& w, const value::Value* values) {
  std::vector<connectors::WriteResult> done;
  std::string error;
  REQUIRE_MESSAGE(w.Add(values, 0, done, error), error);
  REQUIRE(done.size() == 1);
  REQUIRE_MESSAGE(done[0].ok, done[0].Describe());
  return done[0].id;
}

// Adds one record; it must fail: returns the reason.
inline std::string PutFails(connectors::RecordWriter& w, const value::Value* values) {
  std::vector<connectors::WriteResult> done;
  std::string error;
  REQUIRE_MESSAGE(w.Add(values, 0, done, error), error);
  REQUIRE(done.size() == 1);
  CHECK_FALSE(done[0].ok);
  return done[0].message;
}

// Commits; every record must have had its result already.
inline bool CommitAll(connectors::RecordWriter& w, std::string& error) {
  std::vector<connectors::WriteResult> done;
  bool ok = w.Commit(done, error);
  CHECK(done.empty());
  return ok;
}

}  // namespace crmx::testing
