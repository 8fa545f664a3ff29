// Tests the directory connector against hostile files: JSONL values nested far deeper than any
// record needs (the reader's depth limit), target files with lines that are not JSON (the
// writer's merge keeps them), and the writer's commit (file content, and an error, never a
// silent success, when the directory is gone).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/unit/support/files.h"
#include "runtime/connectors/connector.h"
#include "tests/unit/support/writer.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;
using value::Value;

fs::path TempDir(const std::string& name) { return testing::FreshDir("robust_test", name); }

void Write(const fs::path& p, const std::string& text) { testing::WriteWhole(p, text); }

std::string ReadFile(const fs::path& p) { return testing::ReadWhole(p); }

std::string Nested(size_t depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

struct Records {
  std::vector<std::vector<Value>> rows;
  std::vector<connectors::BadLine> bad;
};

Records ReadJsonl(const fs::path& dir, const std::string& object, const std::vector<std::string>& fields,
                  const std::vector<plan::FieldType>& types) {
  std::string error;
  auto c = connectors::Open(dir.string(), error);
  REQUIRE_MESSAGE(c, error);
  auto r = c->OpenReader(connectors::ReadRequest{object, fields, types, 16, {}, {}, {}, {}}, error);
  REQUIRE_MESSAGE(r, error);
  Records out;
  connectors::RecordBatch b;
  while (r->Next(b)) {
    for (size_t i = 0; i < b.size(); ++i) {
      std::vector<Value> row;
      for (size_t f = 0; f < fields.size(); ++f) row.push_back(b.Row(i)[f].Owned());
      out.rows.push_back(std::move(row));
    }
    for (const connectors::BadLine& x : b.bad) out.bad.push_back(x);
  }
  CHECK_MESSAGE(r->error().empty(), r->error());
  return out;
}

bool NoTmpLeft(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.find(".tmp") != std::string::npos) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("the JSONL reader: a value nested 30,000 deep in a read field is an error value; the read goes on") {
  fs::path d = TempDir("deep");
  Write(d / "Account.jsonl", "{\"Id\":\"x\",\"Name\":" + Nested(30000) + "}\n" +
                                 "{\"Id\":\"y\",\"Name\":" + Nested(64) + "}\n" +
                                 "{\"Id\":\"z\",\"Name\":" + Nested(65) + "}\n" +
                                 "{\"Id\":\"o\",\"Name\":" + std::string(30000, '[') + "{\"a\":" +
                                 std::string(30000, '{') + "}\n" + "{\"Id\":\"w\",\"Name\":\"ok\"}\n");
  using T = plan::FieldType;
  for (T type : {T::kAny, T::kString}) {
    CAPTURE(static_cast<int>(type));
    Records r = ReadJsonl(d, "Account", {"Id", "Name"}, {T::kString, type});
    REQUIRE(r.rows.size() == 4);
    CHECK(r.rows[0][0].AsText() == "x");
    REQUIRE(r.rows[0][1].IsError());
    if (type == T::kAny) {
      CHECK(r.rows[0][1].ErrorReason() == "Name: nested deeper than 64 levels");
      // 64 levels are a list of lists; 65 are too deep.
      CHECK(r.rows[1][1].kind() == value::Kind::kList);
      REQUIRE(r.rows[2][1].IsError());
      CHECK(r.rows[2][1].ErrorReason() == "Name: nested deeper than 64 levels");
    }
    CHECK(r.rows[3][0].AsText() == "w");
    CHECK(r.rows[3][1].AsText() == "ok");
    // The unterminated one is a bad line, not a crash.
    REQUIRE(r.bad.size() == 1);
    CHECK(r.bad[0].line == 4);
  }
  fs::remove_all(d);
}

TEST_CASE("the JSONL reader: a value nested 100,000 deep in a field the projection does not read is skipped") {
  fs::path d = TempDir("deep_skip");
  Write(d / "Account.jsonl", "{\"Id\":\"x\",\"Junk\":" + Nested(100000) + ",\"Name\":\"A\"}\n" +
                                 "{\"Junk\":{\"a\":" + Nested(100000, "{}") + "},\"Id\":\"y\"}\n");
  using T = plan::FieldType;
  Records r = ReadJsonl(d, "Account", {"Id", "Name"}, {T::kString, T::kAny});
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0][0].AsText() == "x");
  CHECK(r.rows[0][1].AsText() == "A");
  CHECK(r.rows[1][0].AsText() == "y");
  CHECK(r.bad.empty());
  // A dotted field under a deep value: the path is the projection's, the value too deep.
  Records n = ReadJsonl(d, "Account", {"Id", "Junk.a"}, {T::kString, T::kAny});
  REQUIRE(n.rows.size() == 2);
  REQUIRE(n.rows[1][1].IsError());
  CHECK(n.rows[1][1].ErrorReason() == "Junk.a: nested deeper than 64 levels");
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer: a target line with NaN, `tru` or 1e400 is kept; the merge neither aborts nor leaves .tmp") {
  fs::path d = TempDir("bad_target");
  const std::string old_lines =
      "{\"Id\":\"006A\",\"Amount\":NaN,\"StageName\":\"Open\"}\n"
      "{\"Id\":\"006B\",\"IsWon\":tru,\"StageName\":\"Open\"}\n"
      "{\"Id\":\"006C\",\"Amount\":1e400,\"StageName\":\"Open\"}\n"
      "{\"Amount\":NaN,\"Id\":\"006D\"}\n"
      "{\"Amount\":1e400,\"Id\":\n"
      "{\"Id\":\"006E\",\"StageName\":\"Open\"}\n"
      "{\"Id\":\"006G\",\"Name\":\"x\n"
      "{\"IsWon\":tru,\"Id\":\"006H\",\"Name\":\n";
  Write(d / "Opportunity.jsonl", old_lines);
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  {
    std::vector<plan::TargetField> fields(2);
    fields[0].name = "Id";
    fields[0].path = {"Id"};
    fields[1].name = "StageName";
    fields[1].path = {"StageName"};
    auto w = c->OpenWriter(connectors::WriteRequest{"Opportunity", "Id", fields, "Id", 0}, error);
    REQUIRE_MESSAGE(w, error);
    for (const char* id : {"006A", "006B", "006C", "006D", "006E", "006F", "006G", "006H"}) {
      std::vector<Value> rec{Value::String(id), Value::String("Closed Won")};
      testing::PutOk(*w, rec.data());
    }
    REQUIRE_MESSAGE(testing::CommitAll(*w, error), error);
  }
  CHECK(NoTmpLeft(d));
  // Lines whose members can be delimited are merged, their other bytes kept (NaN, tru and
  // 1e400 included); lines cut off keep their bytes, and the record written for their key
  // follows as its own line; a line without a readable key is kept and never matched.
  CHECK(ReadFile(d / "Opportunity.jsonl") ==
        "{\"Id\":\"006A\",\"Amount\":NaN,\"StageName\":\"Closed Won\"}\n"
        "{\"Id\":\"006B\",\"IsWon\":tru,\"StageName\":\"Closed Won\"}\n"
        "{\"Id\":\"006C\",\"Amount\":1e400,\"StageName\":\"Closed Won\"}\n"
        "{\"Amount\":NaN,\"Id\":\"006D\",\"StageName\":\"Closed Won\"}\n"
        "{\"Amount\":1e400,\"Id\":\n"
        "{\"Id\":\"006E\",\"StageName\":\"Closed Won\"}\n"
        "{\"Id\":\"006G\",\"Name\":\"x\n"
        "{\"IsWon\":tru,\"Id\":\"006H\",\"Name\":\n"
        "{\"Id\":\"006F\",\"StageName\":\"Closed Won\"}\n"
        "{\"Id\":\"006G\",\"StageName\":\"Closed Won\"}\n"
        "{\"Id\":\"006H\",\"StageName\":\"Closed Won\"}\n");
  // A reader sees each key once: the bad lines are bad lines.
  using T = plan::FieldType;
  Records r = ReadJsonl(d, "Opportunity", {"Id", "StageName"}, {T::kString, T::kString});
  std::map<std::string, int> seen;
  for (const auto& row : r.rows) ++seen[std::string(row[0].AsText())];
  for (const auto& [id, n] : seen) CHECK_MESSAGE(n == 1, id);
  CHECK(seen.size() == 8);
  CHECK(r.bad.size() == 3);
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer's commit: the file in place, and an error when it cannot be") {
  fs::path d = TempDir("commit");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  std::vector<plan::TargetField> fields(1);
  fields[0].name = "id";
  fields[0].path = {"id"};
  {
    auto w = c->OpenWriter(connectors::WriteRequest{"Customer", "id", fields, {}, 0}, error);
    REQUIRE(w);
    std::vector<Value> a{Value::String("A")};
    testing::PutOk(*w, a.data());
    REQUIRE_MESSAGE(testing::CommitAll(*w, error), error);
  }
  CHECK(ReadFile(d / "Customer.jsonl") == "{\"id\":\"A\"}\n");
  CHECK(NoTmpLeft(d));
  {
    // The directory goes away before the commit (the tests run as root: permissions do not
    // stop them): Commit fails with a message.
    auto w = c->OpenWriter(connectors::WriteRequest{"Customer", "id", fields, {}, 0}, error);
    REQUIRE(w);
    std::vector<Value> b{Value::String("B")};
    testing::PutOk(*w, b.data());
    fs::remove_all(d);
    error.clear();
    CHECK_FALSE(testing::CommitAll(*w, error));
    CHECK(error.find("Customer.jsonl") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(d));
}
