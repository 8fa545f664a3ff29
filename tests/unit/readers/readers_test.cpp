// Tests the fidelity of the file readers (runtime/connectors: jsonl_reader.cpp, csv_reader.cpp,
// csv_line.h, FromText): what real exports hold comes back as written. A byte-order mark,
// RFC 4180 quoting across lines, bad records with the line they start on, nested JSON paths,
// conversion by the field's type with one wording for what does not convert, exact digits.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/csv_line.h"
#include "runtime/connectors/internal.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;
using T = plan::FieldType;
using value::Kind;
using value::Value;

// A fresh directory per test case.
class Dir {
 public:
  explicit Dir(const std::string& name)
      : path_(fs::temp_directory_path() / ("crmx_readers_test_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Dir() { fs::remove_all(path_); }
  void Write(const std::string& file, const std::string& text) const {
    std::ofstream out(path_ / file, std::ios::binary);
    out << text;
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// Every record of `object`, values owned, by field name.
struct ReadAll {
  std::vector<std::map<std::string, Value>> records;
  std::vector<int64_t> lines;
  std::vector<connectors::BadLine> bad;
  size_t batches = 0;
};

ReadAll Read(const Dir& d, const std::string& object, const std::vector<std::string>& fields,
             std::vector<T> types = {}, size_t batch = 1024) {
  if (types.empty()) types.assign(fields.size(), T::kAny);
  std::string error;
  auto c = connectors::Open("dir:" + d.str(), error);
  REQUIRE_MESSAGE(c, error);
  connectors::ReadRequest req;
  req.object = object;
  req.fields = fields;
  req.types = types;
  req.batch = batch;
  auto r = c->OpenReader(req, error);
  REQUIRE_MESSAGE(r, error);
  ReadAll out;
  connectors::RecordBatch b;
  while (r->Next(b)) {
    ++out.batches;
    REQUIRE(b.width == fields.size());
    for (size_t i = 0; i < b.size(); ++i) {
      std::map<std::string, Value> rec;
      for (size_t f = 0; f < fields.size(); ++f) rec[fields[f]] = b.Row(i)[f].Owned();
      out.records.push_back(std::move(rec));
      out.lines.push_back(b.lines[i]);
    }
    for (const connectors::BadLine& x : b.bad) out.bad.push_back(x);
  }
  REQUIRE_MESSAGE(r->error().empty(), r->error());
  return out;
}

// The text of a string value (fails on anything else).
std::string Str(const Value& v) {
  REQUIRE_MESSAGE(v.kind() == Kind::kString, value::Display(v));
  return std::string(v.AsText());
}

std::string Shown(const Value& v) { return value::Display(v); }

std::string Reason(const Value& v) {
  REQUIRE_MESSAGE(v.IsError(), value::Display(v));
  return v.ErrorReason();
}

}  // namespace

TEST_CASE("a UTF-8 byte-order mark before a CSV header is not part of the first column's name") {
  Dir d("bom_csv");
  d.Write("Account.csv", "\xEF\xBB\xBFId,Name\n001A,Acme\n");
  d.Write("Quoted.csv", "\xEF\xBB\xBF\"Id\",\"Name\"\n\"001B\",\"Beta\"\n");
  ReadAll r = Read(d, "Account", {"Id", "Name"});
  REQUIRE(r.records.size() == 1);
  CHECK(Str(r.records[0]["Id"]) == "001A");
  CHECK(Str(r.records[0]["Name"]) == "Acme");
  CHECK(r.lines == std::vector<int64_t>{2});
  ReadAll q = Read(d, "Quoted", {"Id"});
  REQUIRE(q.records.size() == 1);
  CHECK(Str(q.records[0]["Id"]) == "001B");
  // The compiler's tables split their header with SplitCsvLine: the mark goes there too.
  CHECK(connectors::SplitCsvLine("\xEF\xBB\xBF" "code,rate") == std::vector<std::string>{"code", "rate"});
}

TEST_CASE("a UTF-8 byte-order mark before the first JSON line is skipped") {
  Dir d("bom_jsonl");
  d.Write("Account.jsonl", "\xEF\xBB\xBF{\"Id\":\"1\"}\n{\"Id\":\"2\"}\n");
  ReadAll r = Read(d, "Account", {"Id"});
  CHECK(r.bad.empty());
  REQUIRE(r.records.size() == 2);
  CHECK(Str(r.records[0]["Id"]) == "1");
  CHECK(r.lines == std::vector<int64_t>{1, 2});
  // Only at the start of the file: the same bytes before a later line are malformed JSON.
  d.Write("Later.jsonl", "{\"Id\":\"1\"}\n\xEF\xBB\xBF{\"Id\":\"2\"}\n");
  ReadAll later = Read(d, "Later", {"Id"});
  CHECK(later.records.size() == 1);
  REQUIRE(later.bad.size() == 1);
  CHECK(later.bad[0].line == 2);
}

TEST_CASE("CSV quoted cells hold line ends, CRLF and doubled quotes; records keep their first line") {
  Dir d("csv_rfc4180");
  d.Write("Lead.csv",
          "Id,Description,N\r\n"
          "1,\"Looking to buy\r\nmore panels\",x\r\n"
          "2,\"say \"\"hi\"\"\",y\r\n"
          "3,\"a\nb\nc\",z\r\n"
          "4,plain,w");  // no final line end
  ReadAll r = Read(d, "Lead", {"Id", "Description", "N"});
  CHECK(r.bad.empty());
  REQUIRE(r.records.size() == 4);
  CHECK(Str(r.records[0]["Description"]) == "Looking to buy\r\nmore panels");  // kept as written
  CHECK(Str(r.records[0]["N"]) == "x");                                     // no "\r"
  CHECK(Str(r.records[1]["Description"]) == "say \"hi\"");
  CHECK(Str(r.records[2]["Description"]) == "a\nb\nc");
  CHECK(Str(r.records[3]["N"]) == "w");
  CHECK(r.lines == std::vector<int64_t>{2, 4, 5, 8});
  // One record a batch: records spanning lines cut nowhere.
  ReadAll one = Read(d, "Lead", {"Id", "Description"}, {}, 1);
  CHECK(one.batches == 4);
  CHECK(one.lines == r.lines);
}

TEST_CASE("CSV empty cells: unquoted is null; quoted is the empty string, or null in a typed field") {
  Dir d("csv_empty");
  d.Write("Opp.csv", "Name,Amount,Stage\n,,\n\"\",\"\",\"\"\n");
  ReadAll r = Read(d, "Opp", {"Name", "Amount", "Stage"}, {T::kString, T::kDecimal, T::kAny});
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0]["Name"].IsNull());
  CHECK(r.records[0]["Amount"].IsNull());
  CHECK(Str(r.records[1]["Name"]).empty());
  CHECK(Str(r.records[1]["Stage"]).empty());
  CHECK(r.records[1]["Amount"].IsNull());  // "" is no amount, not a malformed one
}

TEST_CASE("bad CSV records: the line they start on, and the read goes on") {
  Dir d("csv_bad");
  d.Write("Case.csv",
          "Id,Note\n"
          "1,\"two\nlines\",extra\n"  // line 2: 3 cells, spanning lines 2-3
          "2,ok\n"                    // line 4
          "3,\"never closed\n"        // line 5: unterminated at the end of the file
          "4,after\n"                 // line 6
          "5,last\n");                // line 7
  ReadAll r = Read(d, "Case", {"Id", "Note"});
  REQUIRE(r.bad.size() == 2);
  CHECK(r.bad[0].line == 2);
  CHECK(r.bad[0].reason == "CSV line has 3 cells, the header 2");
  CHECK(r.bad[0].file == "Case.csv");
  CHECK(r.bad[1].line == 5);
  CHECK(r.bad[1].reason == "unterminated quoted cell");
  CHECK(r.bad[1].detail == "a quoted cell opened on this line is not closed before the end of the file");
  REQUIRE(r.records.size() == 3);
  CHECK(Str(r.records[0]["Id"]) == "2");
  CHECK(Str(r.records[1]["Note"]) == "after");
  CHECK(Str(r.records[2]["Note"]) == "last");
  CHECK(r.lines == std::vector<int64_t>{4, 6, 7});
}

TEST_CASE("CSV records spanning the reader's 256 KiB chunks") {
  Dir d("csv_chunks");
  std::string text = "Id,Note,Amount\n";
  const int n = 45000;
  for (int i = 0; i < n; ++i)
    text += std::to_string(i) + ",\"line one of " + std::to_string(i) + "\r\nline \"\"two\"\"\"," + std::to_string(i) + ".50\n";
  REQUIRE(text.size() > (2u << 20));
  d.Write("Big.csv", text);
  ReadAll r = Read(d, "Big", {"Id", "Note", "Amount"}, {T::kInt, T::kString, T::kDecimal}, 700);
  CHECK(r.bad.empty());
  REQUIRE(r.records.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; i += 997) {
    CAPTURE(i);
    CHECK(r.records[static_cast<size_t>(i)]["Id"].AsInt() == i);
    CHECK(Str(r.records[static_cast<size_t>(i)]["Note"]) == "line one of " + std::to_string(i) + "\r\nline \"two\"");
    CHECK(Shown(r.records[static_cast<size_t>(i)]["Amount"]) == std::to_string(i) + ".50m");
    CHECK(r.lines[static_cast<size_t>(i)] == 2 + 2 * i);
  }
}

TEST_CASE("JSON Lines longer than the reader's 256 KiB chunk: the buffer grows, every line read") {
  // A 700 KB line and a 300 KB one between short lines, then enough short ones to refill a few
  // times after the buffer grew.
  Dir d("jsonl_long");
  std::string text;
  auto line = [&](int id, size_t pad) {
    text += "{\"Id\":" + std::to_string(id) + ",\"Pad\":\"" + std::string(pad, 'x') + "\",\"Note\":\"n" + std::to_string(id) + "\"}\n";
  };
  line(0, 10);
  line(1, 700000);
  line(2, 10);
  line(3, 300000);
  for (int i = 4; i < 20000; ++i) line(i, 40);
  d.Write("Long.jsonl", text);
  ReadAll r = Read(d, "Long", {"Id", "Pad", "Note"}, {T::kInt, T::kString, T::kString}, 700);
  CHECK(r.bad.empty());
  REQUIRE(r.records.size() == 20000u);
  CHECK(Str(r.records[1]["Pad"]).size() == 700000u);
  CHECK(Str(r.records[3]["Pad"]).size() == 300000u);
  for (int i = 0; i < 20000; i += 1999) {
    CAPTURE(i);
    CHECK(r.records[static_cast<size_t>(i)]["Id"].AsInt() == i);
    CHECK(Str(r.records[static_cast<size_t>(i)]["Note"]) == "n" + std::to_string(i));
    CHECK(r.lines[static_cast<size_t>(i)] == i + 1);
  }
}

TEST_CASE("a dotted field reads a nested JSON value; an object or array of an untyped field is a map or list") {
  Dir d("nested");
  d.Write("Customer.jsonl",
          "{\"Id\":\"1\",\"MetaData\":{\"CreateTime\":\"x\",\"LastUpdatedTime\":\"2024-01-19T09:42:24.000+0000\","
          "\"Deep\":{\"Amount\":9999999999999999.99}},\"properties\":{\"name\":\"Acme\"},\"a.b\":\"literal\"}\n"
          "{\"Id\":\"2\",\"MetaData\":null,\"properties\":\"not an object\"}\n"
          "{\"Id\":\"3\"}\n");
  ReadAll r = Read(d, "Customer", {"Id", "MetaData.LastUpdatedTime", "properties.name", "MetaData.Deep.Amount", "a.b"},
                   {T::kString, T::kDateTime, T::kString, T::kDecimal, T::kString});
  CHECK(r.bad.empty());
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0]["MetaData.LastUpdatedTime"].kind() == Kind::kTimestamp);
  CHECK(Shown(r.records[0]["MetaData.LastUpdatedTime"]) == Shown(connectors::FromText("2024-01-19T09:42:24Z", T::kDateTime, "t")));
  CHECK(Str(r.records[0]["properties.name"]) == "Acme");
  CHECK(Shown(r.records[0]["MetaData.Deep.Amount"]) == "9999999999999999.99m");
  CHECK(Str(r.records[0]["a.b"]) == "literal");  // a key that holds the dots
  for (size_t i = 1; i < 3; ++i) {
    CHECK(r.records[i]["MetaData.LastUpdatedTime"].IsNull());  // no object there: no value
    CHECK(r.records[i]["properties.name"].IsNull());
  }
  // A nested object asked for whole, untyped: a map, its numbers exact.
  ReadAll deep = Read(d, "Customer", {"MetaData.Deep"});
  REQUIRE(deep.records.size() == 3);
  REQUIRE(deep.records[0]["MetaData.Deep"].kind() == Kind::kMap);
  const auto& entries = deep.records[0]["MetaData.Deep"].AsMap().entries;
  REQUIRE(entries.size() == 1);
  CHECK(Str(entries[0].first) == "Amount");
  CHECK(Shown(entries[0].second) == "9999999999999999.99m");
  // The object itself and a field inside it, in one projection.
  ReadAll both = Read(d, "Customer", {"MetaData", "MetaData.Deep.Amount"}, {T::kAny, T::kDecimal});
  REQUIRE(both.records.size() == 3);
  const Value& meta = both.records[0]["MetaData"];
  REQUIRE(meta.kind() == Kind::kMap);
  CHECK(Shown(both.records[0]["MetaData.Deep.Amount"]) == "9999999999999999.99m");
  CHECK(Shown(meta).find("9999999999999999.99") != std::string::npos);  // exact inside the map
  CHECK(both.records[1]["MetaData"].IsNull());
}

TEST_CASE("JSON objects and arrays in an untyped field keep exact numbers") {
  Dir d("generic");
  d.Write("X.jsonl", "{\"Obj\":{\"p\":9999999999999999.99,\"l\":[1,0.1,\"s\",true,null,1e2]}}\n");
  ReadAll r = Read(d, "X", {"Obj"});
  REQUIRE(r.records.size() == 1);
  const Value& obj = r.records[0]["Obj"];
  REQUIRE(obj.kind() == Kind::kMap);
  const auto& entries = obj.AsMap().entries;
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].second.kind() == Kind::kDecimal);
  CHECK(Shown(entries[0].second) == "9999999999999999.99m");
  REQUIRE(entries[1].second.kind() == Kind::kList);
  const auto& l = entries[1].second.AsList();
  REQUIRE(l.size() == 6);
  CHECK(l[0].kind() == Kind::kInt);
  CHECK(Shown(l[1]) == "0.1m");
  CHECK(Str(l[2]) == "s");
  CHECK(l[3].IsTrue());
  CHECK(l[4].IsNull());
  CHECK(Shown(l[5]) == "100m");
}

TEST_CASE("typed conversion at the connector: values convert by the field's type, or are errors naming field and value") {
  Dir d("typed");
  d.Write("R.jsonl",
          "{\"Amount\":\"lots\",\"Name\":42,\"Flag\":true,\"Count\":1.5,\"Day\":\"2024-01-19\",\"At\":\"2024-01-19T09:42:24.000+0000\"}\n"
          "{\"Amount\":\"12.50\",\"Name\":1.50,\"Flag\":\"false\",\"Count\":3,\"Day\":\"yesterday\",\"At\":\"soon\"}\n"
          "{\"Amount\":{\"value\":1},\"Name\":{\"first\":\"A\"},\"Flag\":\"TRUE\",\"Count\":[1],\"Day\":20240119,\"At\":true}\n"
          "{\"Amount\":true,\"Name\":false,\"Flag\":1,\"Count\":\"7\",\"Day\":\"\",\"At\":null}\n"
          "{\"Amount\":\"\",\"Name\":\"\",\"Flag\":2,\"Count\":\"x\"}\n");
  ReadAll r = Read(d, "R", {"Amount", "Name", "Flag", "Count", "Day", "At"},
                   {T::kDecimal, T::kString, T::kBool, T::kInt, T::kDate, T::kDateTime});
  CHECK(r.bad.empty());
  REQUIRE(r.records.size() == 5);
  auto& a = r.records[0];
  CHECK(Reason(a["Amount"]) == "Amount: `lots` is not a decimal number");
  CHECK(Str(a["Name"]) == "42");  // a number in a string field keeps its text
  CHECK(a["Flag"].IsTrue());
  CHECK(Reason(a["Count"]) == "Count: `1.5` is not an integer");
  CHECK(a["Day"].kind() == Kind::kTimestamp);
  CHECK(a["At"].kind() == Kind::kTimestamp);
  auto& b = r.records[1];
  CHECK(b["Amount"].kind() == Kind::kDecimal);
  CHECK(Shown(b["Amount"]) == "12.50m");  // APIs send numbers as strings
  CHECK(Str(b["Name"]) == "1.50");
  REQUIRE(b["Flag"].kind() == Kind::kBool);
  CHECK_FALSE(b["Flag"].AsBool());
  CHECK(b["Count"].AsInt() == 3);
  CHECK(Reason(b["Day"]) == "Day: `yesterday` is not a date (YYYY-MM-DD)");
  CHECK(Reason(b["At"]) == "At: `soon` is not a datetime (RFC 3339)");
  auto& c = r.records[2];
  CHECK(Reason(c["Amount"]) == "Amount: `{\"value\":1}` is not a decimal number");
  CHECK(Reason(c["Name"]) == "Name: `{\"first\":\"A\"}` is not a string");
  CHECK(c["Flag"].IsTrue());
  CHECK(Reason(c["Count"]) == "Count: `[1]` is not an integer");
  CHECK(Reason(c["Day"]) == "Day: `20240119` is not a date (YYYY-MM-DD)");
  CHECK(Reason(c["At"]) == "At: `true` is not a datetime (RFC 3339)");
  auto& e = r.records[3];
  CHECK(Reason(e["Amount"]) == "Amount: `true` is not a decimal number");
  CHECK(Str(e["Name"]) == "false");  // a bool in a string field keeps its text
  CHECK(e["Flag"].IsTrue());         // 1 and 0 are bools, as in CSV
  CHECK(e["Count"].AsInt() == 7);
  CHECK(e["Day"].IsNull());  // "" in a typed field: no value
  CHECK(e["At"].IsNull());
  auto& f = r.records[4];
  CHECK(f["Amount"].IsNull());
  CHECK(Str(f["Name"]).empty());
  CHECK(Reason(f["Flag"]) == "Flag: `2` is not true or false");
  CHECK(Reason(f["Count"]) == "Count: `x` is not an integer");
  CHECK(f["Day"].IsNull());  // absent
}

TEST_CASE("a malformed JSON number is a bad line, not a value") {
  Dir d("bad_number");
  d.Write("R.jsonl", "{\"Name\":1.2.3}\n{\"Name\":01}\n{\"Name\":-}\n{\"Name\":\"ok\"}\n");
  ReadAll r = Read(d, "R", {"Name"}, {T::kString});
  REQUIRE(r.bad.size() == 3);
  CHECK(r.bad[0].line == 1);
  CHECK(r.bad[0].reason == "malformed JSON");
  CHECK(r.bad[1].line == 2);
  CHECK(r.bad[2].line == 3);
  REQUIRE(r.records.size() == 1);
  CHECK(r.lines == std::vector<int64_t>{4});
}

TEST_CASE("exact digits: a JSON number never goes through a double when a decimal holds it") {
  Dir d("exact");
  d.Write("M.jsonl",
          "{\"v\":9999999999999999.99}\n"
          "{\"v\":0.1}\n"
          "{\"v\":123456789012345678901234567890.5}\n"     // 31 digits: a decimal
          "{\"v\":12345678901234567890123}\n"              // an integer beyond int64: a decimal
          "{\"v\":1234567890123456789012345678901234567890.5}\n"  // 41 digits: no decimal holds it
          "{\"v\":42}\n"
          "{\"v\":1.5e3}\n");
  ReadAll dec = Read(d, "M", {"v"}, {T::kDecimal});
  REQUIRE(dec.records.size() == 7);
  CHECK(Shown(dec.records[0]["v"]) == "9999999999999999.99m");
  CHECK(Shown(dec.records[1]["v"]) == "0.1m");
  CHECK(Shown(dec.records[2]["v"]) == "123456789012345678901234567890.5m");
  CHECK(Shown(dec.records[3]["v"]) == "12345678901234567890123m");
  CHECK(Reason(dec.records[4]["v"]) == "v: `1234567890123456789012345678901234567890...` is not a decimal number");
  CHECK(Shown(dec.records[5]["v"]) == "42m");
  CHECK(Shown(dec.records[6]["v"]) == "1500m");
  ReadAll any = Read(d, "M", {"v"});
  REQUIRE(any.records.size() == 7);
  CHECK(Shown(any.records[0]["v"]) == "9999999999999999.99m");
  CHECK(Shown(any.records[1]["v"]) == "0.1m");
  CHECK(Shown(any.records[2]["v"]) == "123456789012345678901234567890.5m");
  CHECK(Shown(any.records[3]["v"]) == "12345678901234567890123m");
  CHECK(any.records[4]["v"].kind() == Kind::kDouble);  // beyond 38 digits: the nearest double
  CHECK(any.records[5]["v"].kind() == Kind::kInt);
  CHECK(Shown(any.records[6]["v"]) == "1500m");
  // A string field keeps the number's text, digits and all.
  ReadAll text = Read(d, "M", {"v"}, {T::kString});
  CHECK(Str(text.records[0]["v"]) == "9999999999999999.99");
  CHECK(Str(text.records[4]["v"]) == "1234567890123456789012345678901234567890.5");
  // CSV cells: the same digits.
  d.Write("C.csv", "v\n9999999999999999.99\n0.1\n123456789012345678901234567890.5\n");
  ReadAll csv = Read(d, "C", {"v"}, {T::kDecimal});
  REQUIRE(csv.records.size() == 3);
  CHECK(Shown(csv.records[0]["v"]) == "9999999999999999.99m");
  CHECK(Shown(csv.records[1]["v"]) == "0.1m");
  CHECK(Shown(csv.records[2]["v"]) == "123456789012345678901234567890.5m");
}

TEST_CASE("the CSV scanner on its own: incomplete input asks for more") {
  std::vector<connectors::CsvCell> cells;
  size_t used = 0;
  int64_t lines = 0;
  using connectors::CsvScan;
  using connectors::ScanCsvRecord;
  CHECK(ScanCsvRecord("a,\"b", false, cells, used, lines) == CsvScan::kIncomplete);
  CHECK(ScanCsvRecord("a,\"b", true, cells, used, lines) == CsvScan::kUnterminated);
  CHECK(ScanCsvRecord("a,\"b\"", false, cells, used, lines) == CsvScan::kIncomplete);  // may be `""`
  CHECK(ScanCsvRecord("a,b", false, cells, used, lines) == CsvScan::kIncomplete);      // the line may go on
  REQUIRE(ScanCsvRecord("a,\"b\"\"c\nd\"e\r\nnext", false, cells, used, lines) == CsvScan::kRecord);
  REQUIRE(cells.size() == 2);
  CHECK(cells[1].Text() == "b\"c\nde");  // text after the closing quote is kept (Python's csv)
  CHECK(lines == 2);
  CHECK(used == std::string_view("a,\"b\"\"c\nd\"e\r\n").size());
  CHECK(connectors::SplitCsvLine("x,\"y, z\",\"q\"\"\"") == std::vector<std::string>{"x", "y, z", "q\""});
  CHECK(connectors::SplitCsvLine("a,b\r") == std::vector<std::string>{"a", "b"});
}

TEST_CASE("JSON keys are matched as the line spells them, and unescaped when they have escapes") {
  // The reader takes a key's text from the line (eight bytes at a time up to its closing
  // quote) unless a backslash comes first: keys of every length around the eight-byte steps,
  // at the end of a line (the reads past the quote fall in the buffer's padding), and keys
  // spelled with escapes that equal a projected field once unescaped.
  Dir d("keys");
  std::vector<std::string> fields;
  std::string line = "{";
  for (size_t len = 1; len <= 25; ++len) {
    std::string key;
    for (size_t i = 0; i < len; ++i) key.push_back(static_cast<char>('a' + (i + len) % 26));
    fields.push_back(key);
    line += (len > 1 ? "," : "") + std::string("\"") + key + "\":\"v" + std::to_string(len) + "\"";
  }
  line += "}";
  // The same record with every key escaped in some way, and a key with an escaped quote
  // that is not projected.
  std::string escaped = "{\"x\\\"y\":1";
  for (size_t f = 0; f < fields.size(); ++f) {
    std::string k = fields[f];
    std::string spelled = f % 2 == 0 ? "\\u00" + std::string(k[0] < 'p' ? "6" : "7") +
                                           "0123456789abcdef"[(k[0] - 0x60) & 15] + k.substr(1)
                                     : k.substr(0, k.size() - 1) + "\\u00" + (k.back() < 'p' ? "6" : "7") +
                                           "0123456789abcdef"[(k.back() - 0x60) & 15];
    escaped += ",\"" + spelled + "\":\"v" + std::to_string(f + 1) + "\"";
  }
  escaped += "}";
  // A last line ending on a long key, no newline after it.
  std::string last = "{\"" + fields.back() + "\":\"end\"}";
  d.Write("Keys.jsonl", line + "\n" + escaped + "\n" + last);
  fields.push_back("x\"y");
  ReadAll r = Read(d, "Keys", fields);
  CHECK(r.bad.empty());
  REQUIRE(r.records.size() == 3);
  for (size_t f = 0; f + 1 < fields.size(); ++f) {
    CAPTURE(fields[f]);
    CHECK(Str(r.records[0][fields[f]]) == "v" + std::to_string(f + 1));
    CHECK(Str(r.records[1][fields[f]]) == "v" + std::to_string(f + 1));
  }
  CHECK(r.records[0]["x\"y"].IsNull());
  CHECK(Shown(r.records[1]["x\"y"]) == "1");
  CHECK(Str(r.records[2][fields[24]]) == "end");
  // A key whose raw text holds a backslash is not taken for a field named with one.
  d.Write("Slash.jsonl", "{\"a\\\\b\":\"one\",\"a\\\\\\\\b\":\"two\"}\n");
  ReadAll s = Read(d, "Slash", {"a\\b", "a\\\\b"});
  REQUIRE(s.records.size() == 1);
  CHECK(Str(s.records[0]["a\\b"]) == "one");
  CHECK(Str(s.records[0]["a\\\\b"]) == "two");
}

TEST_CASE("keys in another order, longer, shorter or escaped than the line before's are still found") {
  // The reader compares each key with the one at the same place in the lines before: a key
  // that only starts like it, is a prefix of it, or goes on with an escape must not match.
  Dir d("key_order");
  d.Write("Order.jsonl",
          "{\"Id\":\"1\",\"Name\":\"a\",\"Idx\":\"x1\"}\n"
          "{\"Idx\":\"x2\",\"Id\":\"2\",\"Name\":\"b\"}\n"
          "{\"I\":\"i3\",\"Idx\":\"x3\",\"Nam\":\"no\",\"Name\":\"c\",\"Id\":\"3\"}\n"
          "{\"I\\\"d\":\"q\",\"Id\\u0078\":\"x4\",\"Name\\\\\":\"no\",\"Id\":\"4\"}\n"
          "{\"Id\":\"5\",\"Name\":\"e\",\"Idx\":\"x5\"}\n"
          "{\"Name\":\"f\"}\n"
          "{}\n"
          "{\"Id\":\"8\",\"Name\":\"h\",\"Idx\":\"x8\",\"Extra1\":1,\"Extra2\":2,\"Idx\":\"x8b\"}\n");
  ReadAll r = Read(d, "Order", {"Id", "Name", "Idx", "I"});
  CHECK(r.bad.empty());
  REQUIRE(r.records.size() == 8);
  auto row = [&](size_t i) {
    std::string out;
    for (const char* f : {"Id", "Name", "Idx", "I"}) out += Shown(r.records[i][f]) + " ";
    return out;
  };
  CHECK(row(0) == "\"1\" \"a\" \"x1\" null ");
  CHECK(row(1) == "\"2\" \"b\" \"x2\" null ");
  CHECK(row(2) == "\"3\" \"c\" \"x3\" \"i3\" ");
  CHECK(row(3) == "\"4\" null \"x4\" null ");
  CHECK(row(4) == "\"5\" \"e\" \"x5\" null ");
  CHECK(row(5) == "null \"f\" null null ");
  CHECK(row(6) == "null null null null ");
  // A key given twice: the last value, as before.
  CHECK(row(7) == "\"8\" \"h\" \"x8b\" null ");
}

namespace {

// Everything a read gives, as text: each record's line and values, each bad line's line,
// reason and detail.
std::string Transcript(const Dir& d, const std::string& object, const std::vector<std::string>& fields,
                       const std::vector<T>& types) {
  ReadAll r = Read(d, object, fields, types, 7);
  std::string out;
  for (size_t i = 0; i < r.records.size(); ++i) {
    out += std::to_string(r.lines[i]) + ":";
    for (const std::string& f : fields) out += " " + Shown(r.records[i][f]);
    out += "\n";
  }
  for (const connectors::BadLine& b : r.bad)
    out += "bad " + std::to_string(b.line) + ": " + b.reason + " (" + b.detail + ")\n";
  return out;
}

}  // namespace

TEST_CASE("the JSONL fast path reads every line as simdjson On Demand does") {
  // The reader walks stage 1's structural indexes itself and leaves to On Demand every line it
  // does not check to be a well-formed object with scalar projected values. Edge cases of both
  // kinds, read with the fast path and without it, must give the same records, values, errors
  // and bad lines with the same numbers.
  Dir d("fast_path");
  std::string big = "{\"Id\":\"big\",\"pad\":\"" + std::string(300000, 'x') + "\",\"Name\":\"after\"}";
  std::vector<std::string> lines = {
      "{\"Id\":\"1\",\"Name\":\"plain\",\"Amount\":12.50,\"Count\":3,\"Flag\":true,\"Any\":1e3,\"Skip\":{\"a\":[1,2,{\"b\":null}]}}",
      "{\"Name\":\"reordered\",\"Id\":\"2\",\"Flag\":false,\"Amount\":\"7.25\",\"Count\":null}",
      "  { \"Id\" : \"3\" , \"Name\" :\t\"spaced\" , \"Amount\" : -0.5e2 , \"Skip\" : [ ] , \"E\" : { } }  ",
      "{\"Id\":\"4\",\"Name\":\"esc \\\"q\\\" \\\\ \\/ \\n \\u00e9 \\ud83d\\ude00\",\"Any\":\"\\u0041\"}",
      "{\"Id\":\"5\",\"Name\":\"bad surrogate \\ud800\"}",
      "{\"Id\":\"6\",\"Name\":\"bad escape \\x\"}",
      "{\"Id\":\"7\",\"Skip\":\"bad escape skipped \\x\"}",
      "{\"I\\u0064\":\"8 escaped key\",\"Na\\u006de\":\"n8\"}",
      "{\"Id\":\"9\",\"Count\":1.5,\"Flag\":\"yes\",\"Amount\":\"lots\"}",
      "{\"Id\":\"10\",\"Name\":{\"nested\":true},\"Any\":[1,{\"x\":2.50}]}",
      "{\"Id\":\"11\",\"Count\":01}",
      "{\"Id\":\"12\",\"Skip\":01}",
      "{\"Id\":\"13\",\"Skip\":tru}",
      "{\"Id\":\"14\",\"Skip\":nulll}",
      "{\"Id\":\"15\",\"Name\":nul}",
      "{\"Id\":\"16\",\"Skip\":[1,,2]}",
      "{\"Id\":\"17\",\"Skip\":{\"a\" 1}}",
      "{\"Id\":\"18\",\"Skip\":[1 2]}",
      "{\"Id\":\"19\"} trailing",
      "{\"Id\":\"20\"}}",
      "{\"Id\":\"21\",}",
      "{\"Id\":\"22\"",
      "{\"Id\":\"23",
      "[\"not\",\"an\",\"object\"]",
      "\"text\"",
      "42",
      "{\"Id\":\"26\",\"Name\":\"bad \xC3\x28 utf8\"}",
      "{\"Id\":\"27\",\"Name\":\"ctl \x01 char\"}",
      "{\"Id\":\"28\",\"Id\":\"28b\",\"Name\":\"dup\",\"Name\":null}",
      "{}",
      "   ",
      "{\"Id\":\"31\",\"Name\":\"x\"y}",
      "{\"Id\":\"32\",\"Amount\":1e400,\"Count\":99999999999999999999,\"Any\":123456789012345678901234567890123456789012}",
      "{\"Id\":\"33\",\"Skip\":" + std::string(70, '[') + std::string(70, ']') + "}",
      "{\"Id\":\"34\",\"Any\":" + std::string(70, '[') + std::string(70, ']') + "}",
      "{\"Id\":\"35\" \"Name\":\"no colon\"}",
      "{\"Id\":\"36\",\"Name\":\"a\"\"b\"}",
      "{\"Id\":\"37\",\"Skip\":[\"a\":1]}",
      "{\"Id\":\"38\",\"Skip\":{\"a\":1,}}",
      "{\"Id\":\"39\",\"Skip\":{1:2}}",
      "{\"Id\":\"40\",\"Name\":-,\"Count\":-1}",
      "{\"Id\":\"41\",\"Name\":true,\"Count\":false,\"Amount\":null}",
      big,
      "{\"Id\":\"43 crlf\",\"Name\":\"c\"}\r",
      "{\"Id\":\"44\",\"Name\":\"last\"}",
      // Keys matched by length and first and last eight bytes against the line before's:
      // same lengths (7, 8, 9, 16, 17 bytes), one byte apart; white space before a colon.
      "{\"Id\":\"45\",\"Seven_7\":1,\"Eight_88\":2,\"Nine_9999\":3,\"Sixteen_16161616\":4,\"Seventeen_1717171\":5}",
      "{\"Id\":\"46\",\"Seven_X\":1,\"Eight_8X\":2,\"Nine_999X\":3,\"Sixteen_1616161X\":4,\"Seventeen_171717X\":5}",
      "{\"Id\":\"47\",\"Xeven_7\":1,\"Xight_88\":2,\"Xine_9999\":3,\"Xixteen_16161616\":4,\"Xeventeen_1717171\":5}",
      "{\"Id\":\"48\",\"Seven_7\" :1,\"Eight_88\"\t:2,\"Nine_9999\":3,\"Sixteen_16161616\" : 4,\"Seventeen_1717171\":5}",
      "{\"Id\":\"49\",\"Seven_\\u0037\":1,\"Eight_8\\u0038\":2,\"Nine_999\\u0039\":3}",
  };
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  d.Write("R.jsonl", text);
  std::vector<std::string> fields = {"Id",        "Name",      "Amount",           "Count",
                                     "Flag",      "Any",       "Seven_7",          "Eight_88",
                                     "Nine_9999", "Sixteen_16161616", "Seventeen_1717171"};
  std::vector<T> types = {T::kString, T::kString, T::kDecimal, T::kInt, T::kBool, T::kAny,
                          T::kInt,    T::kInt,    T::kInt,     T::kInt, T::kInt};
  std::vector<T> as_text(fields.size(), T::kString);
  for (const auto& ts : {types, as_text}) {
    connectors::SetJsonlFastPath(false);
    std::string slow = Transcript(d, "R", fields, ts);
    connectors::SetJsonlFastPath(true);
    uint64_t before = connectors::JsonlFastPathLines();
    std::string fast = Transcript(d, "R", fields, ts);
    CHECK(fast == slow);
    // Lines 1-4, 7-9, 29, 30, 33 and 42-50: well formed, scalar projected values (escapes,
    // conversion errors and a 300 kB line included). The others are On Demand's.
    CHECK(connectors::JsonlFastPathLines() - before == 19);
    // The cases above are read as such: records and bad lines both.
    CHECK(slow.find("1: \"1\" \"plain\"") != std::string::npos);
    CHECK(slow.find("bad 22: malformed JSON") != std::string::npos);
    CHECK(slow.find("bad 24: not a JSON object") != std::string::npos);
    CHECK(slow.find("43: \"big\" \"after\"") != std::string::npos);
    CHECK(slow.find("47: \"46\" null null null null null null null null null null") != std::string::npos);
    CHECK(slow.find("49: \"48\" null null null null null") != std::string::npos);
    CHECK(slow.find("50: \"49\" null null null null null") != std::string::npos);
  }
}

TEST_CASE("the JSONL fast path agrees with On Demand on 20,000 randomly damaged lines") {
  // Lines like the W1 accounts, each damaged by a few random edits (a byte replaced by one that
  // matters to JSON, removed, doubled, a piece cut off); read with and without the fast path,
  // the records, values, errors and bad lines must be the same. The seed is fixed: a failure
  // can be replayed.
  const std::vector<std::string> seeds = {
      "{\"Id\":\"0015e0000000001AAA\",\"Name\":\"Acme \\\"Inc\\\"\",\"State\":\"CA\",\"Phone\":\"(415) 555-0132\","
      "\"Amount\":1250000.50,\"Count\":3,\"Flag\":true,\"Any\":[1,{\"x\":null}],\"Skip\":{\"a\":[true,false,\"s\"]}}",
      "{\"Name\":\"M\\u00fcller GmbH\",\"Id\":\"0015e0000000002AAA\",\"Count\":-12,\"Amount\":\"7.25\",\"Flag\":null,"
      "\"Phone\":\"+49 30 123456\",\"State\":null}",
      "{\"Id\":\"0015e0000000003AAA\",\"Amount\":1e-3,\"Any\":\"text\",\"Skip\":[],\"Name\":\"  spaced  \"}",
  };
  const std::string alphabet = std::string("\"{}[],:\\ \t0123456789.-+eEtrufalsn") + "\x01\xC3\xA9\xFF";
  std::mt19937 rng(20261207);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::string text;
  size_t lines = 0;
  for (; lines < 20000; ++lines) {
    std::string l = seeds[lines % seeds.size()];
    // Every fifth line is left whole, so that the fast path has lines to take.
    size_t edits = lines % 5 == 0 ? 0 : 1 + pick(3);
    for (size_t e = 0; e < edits && !l.empty(); ++e) {
      size_t at = pick(l.size());
      switch (pick(4)) {
        case 0: l[at] = alphabet[pick(alphabet.size())]; break;
        case 1: l.erase(at, 1); break;
        case 2: l.insert(at, l.substr(at, 1 + pick(6))); break;
        default: l.resize(at); break;
      }
    }
    // A damaged line must stay one line.
    for (char& c : l)
      if (c == '\n') c = ' ';
    text += l + "\n";
  }
  Dir d("fast_path_damaged");
  d.Write("R.jsonl", text);
  std::vector<std::string> fields = {"Id", "Name", "State", "Phone", "Amount", "Count", "Flag", "Any"};
  std::vector<T> types = {T::kString, T::kString, T::kString, T::kString, T::kDecimal, T::kInt, T::kBool, T::kAny};
  connectors::SetJsonlFastPath(false);
  std::string slow = Transcript(d, "R", fields, types);
  connectors::SetJsonlFastPath(true);
  uint64_t before = connectors::JsonlFastPathLines();
  std::string fast = Transcript(d, "R", fields, types);
  uint64_t taken = connectors::JsonlFastPathLines() - before;
  // Compared line by line, so that a failure names the first line that differs.
  std::istringstream a(slow), b(fast);
  std::string la, lb;
  size_t compared = 0, bad = 0;
  while (std::getline(a, la)) {
    REQUIRE(std::getline(b, lb));
    CHECK_MESSAGE(la == lb, "On Demand: " << la << "\nfast path: " << lb);
    if (la.rfind("bad ", 0) == 0) ++bad;
    if (la != lb) break;
    ++compared;
  }
  CHECK_FALSE(std::getline(b, lb));
  // Both kinds of line were there: the whole ones (and damage that left valid JSON) through
  // the fast path, the others through On Demand's errors.
  CHECK(taken >= 4000);
  CHECK(bad >= 5000);
  MESSAGE("damaged lines: " << lines << ", fast path " << taken << ", bad " << bad << ", compared " << compared);
}
