// Tests the connectors (JSONL and CSV directories, SQLite) and the projection: a plan built
// from the north-star spec reads only the fields its maps use, and a connector read returns
// only those.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "tests/unit/support/files.h"
#include "compiler/check/type_check.h"
#include "compiler/driver/pipeline.h"
#include "compiler/ir/plan_builder.h"
#include "runtime/connectors/connector.h"
#include "runtime/connectors/early_writeback.h"
#include "runtime/connectors/nesting.h"
#include "runtime/connectors/raw_json.h"
#include "tests/unit/support/writer.h"
#include "tests/unit/support/example_spec.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/queue_files.h"
#include "runtime/state/queue_book.h"
#include "runtime/state/state.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx;

fs::path TempDir(const std::string& name) { return testing::FreshDir("engine_test", name); }

void Write(const fs::path& p, const std::string& text) { testing::WriteWhole(p, text); }

std::string Text(const value::Value& v) { return value::Display(v); }

plan::Plan BuildSpec(const std::string& spec) { return testing::BuildSpecPlanOrFail(spec); }

// Every record of `object`, read through the streaming API, values owned.
struct ReadAll {
  std::vector<std::map<std::string, value::Value>> records;
  std::vector<int64_t> lines;
  std::vector<connectors::BadLine> bad;
  size_t batches = 0;
  size_t width = 0;
};

bool Read(connectors::Connector& c, const std::string& object, const std::vector<std::string>& fields, ReadAll& out,
          std::string& error, std::vector<plan::FieldType> types = {}, size_t batch = 1024) {
  if (types.empty()) types.assign(fields.size(), plan::FieldType::kAny);
  auto r = c.OpenReader(connectors::ReadRequest{object, fields, types, batch, {}, {}, {}, {}}, error);
  if (!r) return false;
  connectors::RecordBatch b;
  while (r->Next(b)) {
    ++out.batches;
    out.width = b.width;
    for (size_t i = 0; i < b.size(); ++i) {
      std::map<std::string, value::Value> rec;
      for (size_t f = 0; f < fields.size(); ++f) rec[fields[f]] = b.Row(i)[f].Owned();
      out.records.push_back(std::move(rec));
      out.lines.push_back(b.lines[i]);
    }
    for (const connectors::BadLine& x : b.bad) out.bad.push_back(x);
  }
  error = r->error();
  return error.empty();
}

plan::TargetField Target(const std::string& name, plan::FieldType type, std::optional<int> scale = std::nullopt) {
  plan::TargetField f;
  f.name = name;
  f.path = {name};
  f.type = type;
  f.scale = scale;
  return f;
}

std::vector<plan::TargetField> Targets(const std::vector<std::string>& names) {
  std::vector<plan::TargetField> out;
  for (const std::string& n : names) {
    plan::TargetField f;
    f.name = n;
    f.path = {n};
    out.push_back(f);
  }
  return out;
}

std::string ReadFile(const fs::path& p) { return testing::ReadWhole(p); }

// The lines of a JSONL file by their "id" (the last line of an id), and how many lines it has.
std::map<std::string, std::string> LinesById(const fs::path& p, size_t& lines) {
  std::ifstream in(p);
  std::string line;
  std::map<std::string, std::string> out;
  lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    out[nlohmann::json::parse(line)["id"].get<std::string>()] = line;
  }
  return out;
}

}  // namespace

TEST_CASE("a JSONL directory: projected, typed, streamed reads; malformed lines with their line number") {
  fs::path d = TempDir("jsonl");
  Write(d / "Account.jsonl",
        "{\"Id\":\"1\",\"Name\":\"A\\\"b\",\"Phone\":\"x\",\"Amount\":1.50,\"N\":3}\n"
        "{not json\n"
        "\n"
        "{\"Id\":\"2\",\"Name\":null,\"Amount\":\"12.345\"}\n"
        "[1]\n"
        "{\"Id\":\"3\",\"Amount\":\"lots\"} trailing\n"
        "{\"Id\":\"4\",\"Amount\":1e3}");  // no final newline
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE_MESSAGE(c, error);
  using T = plan::FieldType;
  ReadAll r;
  REQUIRE_MESSAGE(Read(*c, "Account", {"Id", "Name", "Amount"}, r, error, {T::kString, T::kString, T::kDecimal}, 2), error);
  CHECK(r.width == 3);  // only the projected fields
  CHECK(r.batches >= 2);  // batches of 2 records
  REQUIRE(r.records.size() == 3);
  CHECK(Text(r.records[0]["Name"]) == "\"A\\\"b\"");  // unescaped: A"b
  CHECK(r.records[0]["Amount"].kind() == value::Kind::kDecimal);  // a JSON number in a decimal field: exact
  CHECK(Text(r.records[0]["Amount"]) == "1.50m");
  CHECK(r.records[1]["Name"].IsNull());
  CHECK(Text(r.records[1]["Amount"]) == "12.345m");  // decimal digits in a string (SAP style)
  CHECK(r.lines == std::vector<int64_t>{1, 4, 7});
  CHECK(Text(r.records[2]["Amount"]) == "1000m");
  REQUIRE(r.bad.size() == 3);
  CHECK(r.bad[0].line == 2);
  CHECK(r.bad[0].file == "Account.jsonl");
  CHECK(r.bad[0].reason == "malformed JSON");
  CHECK(!r.bad[0].detail.empty());  // what simdjson said
  CHECK(r.bad[1].reason == "not a JSON object");
  CHECK(r.bad[2].line == 6);
  CHECK(r.bad[2].reason == "malformed JSON");  // text after the object
  // Text that is not a decimal in a decimal field is an error value naming the field.
  Write(d / "Bad.jsonl", "{\"Amount\":\"lots\"}\n");
  ReadAll bad;
  REQUIRE(Read(*c, "Bad", {"Amount"}, bad, error, {T::kDecimal}));
  REQUIRE(bad.records.size() == 1);
  CHECK(bad.records[0]["Amount"].IsError());
  CHECK(bad.records[0]["Amount"].ErrorReason() == "Amount: `lots` is not a decimal number");
  ReadAll none;
  CHECK_FALSE(Read(*c, "Nope", {"Id"}, none, error));
  CHECK(error.find("Nope.jsonl") != std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("WriteField writes what AppendField appends: text, nulls, booleans, integers, decimals") {
  using value::Value;
  auto dec = [](const char* t) { return Value::Dec(*decimal::Decimal::Parse(t)); };
  std::vector<Value> values{
      Value::Null(), Value::Bool(true), Value::Bool(false), Value::Int(0), Value::Int(-1),
      Value::Int(INT64_MIN), Value::Int(INT64_MAX), Value::Uint(UINT64_MAX), Value::String(""),
      Value::String("plain text"), Value::String("quote \" backslash \\ tab \t nul " + std::string(1, '\0')),
      Value::String("\xc3\xa9t\xc3\xa9 \xff\xfe invalid UTF-8 \x7f"), dec("0"), dec("0.00"), dec("-0.5"),
      dec("-12345.678"), dec("1.5E+3"), dec("2.5e-3"), dec("99999999999999999999999999999999999999"),
      dec("-0.00000000000000000000000000000000000001"), dec("18446744073709551616.25"), dec("915125"),
      dec("0.125"), dec("0.135"), dec("-7.005")};
  std::vector<plan::TargetField> fields{Target("s", plan::FieldType::kString), Target("d", plan::FieldType::kDecimal),
                                        Target("d2", plan::FieldType::kDecimal, 2),
                                        Target("d0", plan::FieldType::kDecimal, 0)};
  for (const Value& v : values) {
    for (const plan::TargetField& f : fields) {
      std::string expected;
      connectors::AppendField(expected, v, f);
      size_t bound = connectors::FieldBound(v);
      CAPTURE(expected);
      CAPTURE(f.name);
      REQUIRE(bound > 0);
      std::string raw(bound + 1, '\x5a');
      char* end = connectors::WriteField(raw.data(), v, f);
      CHECK(std::string(raw.data(), end) == expected);
      CHECK(static_cast<size_t>(end - raw.data()) <= bound);
      CHECK(raw.back() == '\x5a');
    }
  }
  // What it leaves to AppendField.
  CHECK(connectors::FieldBound(Value::Double(1.5)) == 0);
  CHECK(connectors::FieldBound(Value::List({Value::Int(1)})) == 0);
}

TEST_CASE("the JSONL writer: every kind of value and member, as AppendField and AppendNested write them") {
  // Text, numbers and nulls go straight into the writer's buffer; dates, lists, doubles, nested
  // members and long member names through AppendField: every line as the slow path writes it.
  fs::path d = TempDir("jsonl_kinds");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  using value::Value;
  std::vector<plan::TargetField> f{Target("id", plan::FieldType::kString),
                                   Target("a_member_name_longer_than_thirty_two_bytes", plan::FieldType::kString),
                                   Target("day", plan::FieldType::kDate), Target("n", plan::FieldType::kDouble),
                                   Target("amount", plan::FieldType::kDecimal, 2), Target("tags", plan::FieldType::kAny),
                                   Target("ref.value", plan::FieldType::kString), Target("ref.type", plan::FieldType::kAny),
                                   Target("\"odd\\name\"", plan::FieldType::kInt)};
  f[6].path = {"ref", "value"};
  f[7].path = {"ref", "type"};
  std::string big(3 << 20, 'x');  // larger than the writer's buffer: it grows
  big[100] = '"';
  std::vector<std::vector<Value>> rows{
      {Value::String("K1"), Value::String("t\u00e9xt \"q\""), connectors::FromText("2024-02-29", plan::FieldType::kDate, "day"),
       Value::Double(0.1), Value::Dec(*decimal::Decimal::Parse("7.125")), Value::List({Value::Int(1), Value::String("b")}),
       Value::String("R1"), Value::Null(), Value::Int(-3)},
      {Value::String("K2"), Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null(),
       Value::Bool(true), Value::Null()},
      {Value::String("K3"), Value::String(big), Value::String("2024-01-01"), Value::Int(5), Value::Int(5),
       Value::String("x"), Value::String("R3"), Value::Uint(9), Value::Bool(false)},
  };
  {
    auto w = c->OpenWriter(connectors::WriteRequest{"Kinds", "id", f, {}, 0}, error);
    REQUIRE_MESSAGE(w, error);
    for (auto& row : rows) testing::PutOk(*w, row.data());
    REQUIRE(testing::CommitAll(*w, error));
  }
  std::string expected;
  for (auto& row : rows) {
    std::vector<connectors::FieldNode> nodes = connectors::NestFields(f);
    expected.push_back('{');
    connectors::AppendNestedMembers(expected, nodes, [&](std::string& o, size_t i) { connectors::AppendField(o, row[i], f[i]); });
    expected += "}\n";
  }
  CHECK(ReadFile(d / "Kinds.jsonl") == expected);
  CHECK(expected.find("\"day\":\"2024-02-29\"") != std::string::npos);
  CHECK(expected.find("\"ref\":{\"value\":\"R1\",\"type\":null}") != std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer: keys of every length written twice, one line each, the last wins") {
  // The writer hashes keys eight bytes at a time (the tail overlapping): keys of 0 to 40 bytes,
  // some differing only in their last byte or their length, each written twice.
  fs::path d = TempDir("jsonl_twice");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  using value::Value;
  std::map<std::string, std::string> expected;
  {
    auto w = c->OpenWriter(connectors::WriteRequest{"Twice", "id", Targets({"id", "v"}), {}, 0}, error);
    REQUIRE_MESSAGE(w, error);
    std::vector<std::string> keys;
    for (size_t len = 1; len <= 40; ++len) {
      keys.push_back(std::string(len, 'k'));
      keys.push_back(std::string(len - 1, 'k') + "j");
      keys.push_back(std::string(len, '\0'));
    }
    for (int round = 0; round < 2; ++round) {
      for (const std::string& k : keys) {
        std::vector<Value> rec{Value::String(k), Value::Int(round)};
        CHECK(testing::PutOk(*w, rec.data()) == k);
        expected[k] = "{\"id\":" + nlohmann::json(k).dump() + ",\"v\":" + std::to_string(round) + "}";
      }
    }
    REQUIRE(testing::CommitAll(*w, error));
  }
  size_t lines = 0;
  CHECK(LinesById(d / "Twice.jsonl", lines) == expected);
  CHECK(lines == expected.size());
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer: a key written twice in a row, and last of all, is one line") {
  // The writer probes its duplicate-key filter one record late (the filter's block is fetched
  // first): a key repeated by the next record, and one repeated by the very last record (probed
  // at Finish), must still be found.
  fs::path d = TempDir("jsonl_in_a_row");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  using value::Value;
  {
    auto w = c->OpenWriter(connectors::WriteRequest{"Row", "id", Targets({"id", "v"}), {}, 0}, error);
    REQUIRE_MESSAGE(w, error);
    for (auto [k, v] : std::vector<std::pair<const char*, int>>{{"a", 1}, {"a", 2}, {"b", 3}, {"c", 4}, {"c", 5}}) {
      std::vector<Value> rec{Value::String(k), Value::Int(v)};
      CHECK(testing::PutOk(*w, rec.data()) == k);
    }
    REQUIRE(testing::CommitAll(*w, error));
  }
  size_t lines = 0;
  std::map<std::string, std::string> expected{{"a", "{\"id\":\"a\",\"v\":2}"}, {"b", "{\"id\":\"b\",\"v\":3}"},
                                              {"c", "{\"id\":\"c\",\"v\":5}"}};
  CHECK(LinesById(d / "Row.jsonl", lines) == expected);
  CHECK(lines == 3);
  fs::remove_all(d);
}

TEST_CASE("the queue files: every line as its fields say, across maps and buffer flushes") {
  fs::path d = TempDir("queue_lines");
  std::string error;
  std::string flags, held, quality;
  {
    auto q = engine::QueueFiles::Open(d.string(), error);
    REQUIRE_MESSAGE(q, error);
    // Enough lines to cross the files' 256 KiB buffers, two maps interleaved (the line's map
    // prefix is kept for the last map), keys with escapes and none.
    for (int i = 0; i < 6000; ++i) {
      std::string map = i % 3 == 0 ? "m\"1" : "account_to_customer";
      std::string key = i % 7 == 0 ? "" : "K\n" + std::to_string(i);
      std::string flag = i % 2 ? "finance:default_terms" : "x\\y";
      q->Flag(map, key, flag);
      nlohmann::json k = key.empty() ? nlohmann::json(nullptr) : nlohmann::json(key);
      flags += "{\"map\":" + nlohmann::json(map).dump() + ",\"key\":" + k.dump() + ",\"flag\":" + nlohmann::json(flag).dump() + "}\n";
      engine::QueueItem item{key, "Account.jsonl", -i, {"r\t1", "r2"}, {"Name", "Phone"}, {}};
      q->Add(map, i % 2 ? "held" : "data_quality", item);
      std::string line = "{\"map\":" + nlohmann::json(map).dump() + ",\"key\":" + k.dump() +
                         ",\"file\":\"Account.jsonl\",\"line\":" + std::to_string(-i) + ",\"reasons\":[\"r\\t1\",\"r2\"]";
      if (i % 2) held += line + "}\n";
      else quality += line + ",\"fields\":[\"Name\",\"Phone\"]}\n";
    }
    REQUIRE(q->Finish(error));
  }
  CHECK(ReadFile(d / "flags.jsonl") == flags);
  CHECK(ReadFile(d / "held.jsonl") == held);
  CHECK(ReadFile(d / "quality.jsonl") == quality);
  CHECK(ReadFile(d / "errors.jsonl").empty());
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer past its 256 KiB write chunks: every line once, a key written twice upserted") {
  // The writer gathers lines and writes them in chunks of about 256 KiB: 110,000 lines (~9.5 MB)
  // cross 36 chunk boundaries and two of the early write-back's 4 MiB steps (its thread sends
  // them to the disk while the writer goes on; the commit stops it, then fsyncs); key K0 is
  // written first and again last, K7 around the boundaries (its later values win), and text
  // needing escapes sits across them too.
  fs::path d = TempDir("jsonl_chunks");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  using value::Value;
  std::map<std::string, std::string> expected;
  {
    auto w = c->OpenWriter(connectors::WriteRequest{"Big", "id", Targets({"id", "name", "amount"}), {}, 0}, error);
    REQUIRE_MESSAGE(w, error);
    auto put = [&](const std::string& id, const std::string& name, int64_t amount) {
      std::vector<Value> rec{Value::String(id), Value::String(name), Value::Int(amount)};
      testing::PutOk(*w, rec.data());
      expected[id] = "{\"id\":" + nlohmann::json(id).dump() + ",\"name\":" + nlohmann::json(name).dump() +
                     ",\"amount\":" + std::to_string(amount) + "}";
    };
    for (int i = 0; i < 110000; ++i) {
      std::string id = "K" + std::to_string(i);
      put(id, "name \"" + std::to_string(i) + "\"\twith a tab and some padding text", i);
      if (i % 9000 == 8999) put("K7", "again\n" + std::to_string(i), -i);
    }
    put("K0", "last", 42);
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(fs::file_size(d / "Big.jsonl") > (size_t{8} << 20));
  size_t lines = 0;
  CHECK(LinesById(d / "Big.jsonl", lines) == expected);
  CHECK(lines == 110000);
  CHECK_FALSE(fs::exists(d / "Big.jsonl.tmp"));
  fs::remove_all(d);
}

// A writer of Full.jsonl (id, name) in a new folder `d` holding `before` as Full.jsonl, its file
// `full_name` a symbolic link to /dev/full (every write: ENOSPC); null (and a message) without
// /dev/full.
std::unique_ptr<connectors::RecordWriter> FullDiskWriter(const std::string& dir, const std::string& full_name,
                                                   const std::string& before, fs::path& d) {
  if (!fs::exists("/dev/full")) {
    MESSAGE("SKIPPED: no /dev/full");
    return nullptr;
  }
  d = TempDir(dir);
  Write(d / "Full.jsonl", before);
  fs::create_symlink("/dev/full", d / full_name);
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  auto w = c->OpenWriter(connectors::WriteRequest{"Full", "id", Targets({"id", "name"}), {}, 0}, error);
  REQUIRE_MESSAGE(w, error);
  return w;
}

TEST_CASE("the JSONL writer on a full disk: the error says why, the older file stays as it was") {
  // Its temporary file is /dev/full.
  fs::path d;
  auto w = FullDiskWriter("jsonl_full", "Full.jsonl.tmp", "{\"id\":\"K0\",\"name\":\"before\"}\n", d);
  if (!w) return;
  std::string error;
  using value::Value;
  // Past a write chunk (256 KiB): the failure comes from Add or from the commit, and says why.
  bool failed = false;
  for (int i = 0; i < 20000 && !failed; ++i) {
    std::vector<Value> rec{Value::String("K" + std::to_string(i)), Value::String("a name long enough to fill chunks")};
    std::vector<connectors::WriteResult> done;
    failed = !w->Add(rec.data(), 0, done, error);
  }
  if (!failed) {
    std::vector<connectors::WriteResult> done;
    failed = !w->Commit(done, error);
  }
  CHECK(failed);
  CHECK(error == "cannot write " + (d / "Full.jsonl.tmp").string() + ": No space left on device");
  w.reset();
  CHECK(testing::ReadWhole(d / "Full.jsonl") == "{\"id\":\"K0\",\"name\":\"before\"}\n");
  CHECK_FALSE(fs::exists(fs::symlink_status(d / "Full.jsonl.tmp")));
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer's merge into an older file on a full disk: the error says why, nothing is left") {
  // The merged file is /dev/full; the older file makes the commit merge.
  const std::string before = "{\"id\":\"K0\",\"name\":\"before\"}\n";
  fs::path d;
  auto w = FullDiskWriter("jsonl_merge_full", "Full.jsonl.tmp.merge", before, d);
  if (!w) return;
  std::string error;
  using value::Value;
  std::vector<Value> rec{Value::String("K0"), Value::String("after")};
  testing::PutOk(*w, rec.data());
  std::vector<connectors::WriteResult> done;
  CHECK_FALSE(w->Commit(done, error));
  CHECK(error == "cannot write " + (d / "Full.jsonl.tmp.merge").string() + ": No space left on device");
  w.reset();
  CHECK(testing::ReadWhole(d / "Full.jsonl") == before);
  CHECK_FALSE(fs::exists(fs::symlink_status(d / "Full.jsonl.tmp.merge")));
  CHECK_FALSE(fs::exists(d / "Full.jsonl.tmp"));
  fs::remove_all(d);
}

TEST_CASE("early writeback: a file's bytes go to the disk while it is written; a failed writeback is said") {
  fs::path d = TempDir("early_writeback");
  const std::string path = (d / "Big.jsonl.tmp").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  const std::string chunk(256 << 10, 'x');
  {
    connectors::EarlyWriteback wb(uint64_t{1} << 20);
    uint64_t written = 0;
    for (int i = 0; i < 12; ++i) {
      REQUIRE(::write(fd, chunk.data(), chunk.size()) == static_cast<ssize_t>(chunk.size()));
      written += chunk.size();
      wb.Written(fd, path, written);
    }
    std::string error;
    CHECK_MESSAGE(wb.Stop(error), error);
    // Stopped: what is written later is the caller's fsync's alone.
    wb.Written(fd, path, written + (uint64_t{8} << 20));
    CHECK(wb.Stop(error));
  }
  ::close(fd);
  CHECK(fs::file_size(path) == 12 * chunk.size());

  // A file the kernel cannot write back (a pipe: ESPIPE): Stop says so, with the file's name.
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  {
    connectors::EarlyWriteback wb(uint64_t{1} << 20);
    wb.Written(pipe_fds[1], "the pipe", uint64_t{2} << 20);
    std::string error;
    CHECK_FALSE(wb.Stop(error));
    CHECK(error == "cannot write the pipe to the disk: Illegal seek");
  }
  {
    // Under `step` bytes: nothing is sent (no thread), nothing fails.
    connectors::EarlyWriteback wb(uint64_t{1} << 20);
    wb.Written(pipe_fds[1], "the pipe", uint64_t{1} << 19);
    std::string error;
    CHECK(wb.Stop(error));
    CHECK(error.empty());
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  fs::remove_all(d);
}

TEST_CASE("dates and datetimes: read as timestamps, written back as their schema type") {
  using T = plan::FieldType;
  using value::Value;
  CHECK(Text(connectors::FromText("2024-05-05", T::kDate, "CloseDate")) == "timestamp(\"2024-05-05T00:00:00Z\")");
  CHECK(Text(connectors::FromText("2024-02-29", T::kDate, "CloseDate")) == "timestamp(\"2024-02-29T00:00:00Z\")");
  Value bad = connectors::FromText("2023-02-29", T::kDate, "CloseDate");  // not a day
  REQUIRE(bad.IsError());
  CHECK(bad.ErrorReason() == "CloseDate: `2023-02-29` is not a date (YYYY-MM-DD)");
  // Salesforce writes offsets without a colon.
  CHECK(Text(connectors::FromText("2024-05-05T10:17:04.000+0200", T::kDateTime, "CreatedDate")) ==
        "timestamp(\"2024-05-05T08:17:04Z\")");
  CHECK(Text(connectors::FromText("2024-05-05 10:17:04Z", T::kDateTime, "CreatedDate")) ==
        "timestamp(\"2024-05-05T10:17:04Z\")");
  CHECK(connectors::FromText("yesterday", T::kDateTime, "CreatedDate").IsError());
  Value day = connectors::FromText("2024-05-05", T::kDate, "d");
  std::string out;
  connectors::AppendField(out, day, Target("d", T::kDate));
  CHECK(out == "\"2024-05-05\"");
  out.clear();
  connectors::AppendField(out, day, Target("d", T::kDateTime));
  CHECK(out == "\"2024-05-05T00:00:00Z\"");
}

TEST_CASE("the JSONL writer: one line per key, the last write wins, an older file merged") {
  fs::path d = TempDir("jsonl_write");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  using value::Value;
  {
    auto w = c->OpenWriter(connectors::WriteRequest{"Customer", "id", Targets({"id", "name", "amount"}), {}, 0}, error);
    REQUIRE_MESSAGE(w, error);
    std::vector<Value> a{Value::String("A"), Value::String("Ann \"x\"\n"), Value::Dec(*decimal::Decimal::Parse("1.5"))};
    std::vector<Value> b{Value::String("B"), Value::Null(), Value::Int(7)};
    std::vector<Value> a2{Value::String("A"), Value::String("Ann 2"), Value::Null()};
    std::string id;
    id = testing::PutOk(*w, a.data());
    CHECK(id == "A");
    testing::PutOk(*w, b.data());
    testing::PutOk(*w, a2.data());  // the same key again in the same run
    std::vector<Value> nokey{Value::Null(), Value::String("x"), Value::Null()};
    error = testing::PutFails(*w, nokey.data());
    CHECK(error == "no value for the key `id`");
    CHECK_FALSE(fs::exists(d / "Customer.jsonl"));  // nothing in place before Commit
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(ReadFile(d / "Customer.jsonl") ==
        "{\"id\":\"B\",\"name\":null,\"amount\":7}\n{\"id\":\"A\",\"name\":\"Ann 2\",\"amount\":null}\n");
  {
    // A second run writes some fields of A and a new C: A keeps its other fields.
    auto w = c->OpenWriter(connectors::WriteRequest{"Customer", "id", Targets({"id", "status"}), {}, 0}, error);
    REQUIRE(w);
    std::vector<Value> a{Value::String("A"), Value::String("paid")};
    std::vector<Value> cc{Value::String("C"), Value::String("open")};
    testing::PutOk(*w, a.data());
    testing::PutOk(*w, cc.data());
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(ReadFile(d / "Customer.jsonl") ==
        "{\"id\":\"B\",\"name\":null,\"amount\":7}\n"
        "{\"id\":\"A\",\"name\":\"Ann 2\",\"amount\":null,\"status\":\"paid\"}\n"
        "{\"id\":\"C\",\"status\":\"open\"}\n");
  {
    // A writer never committed leaves the file as it was.
    auto w = c->OpenWriter(connectors::WriteRequest{"Customer", "id", Targets({"id"}), {}, 0}, error);
    std::vector<Value> x{Value::String("X")};
    testing::PutOk(*w, x.data());
  }
  CHECK(ReadFile(d / "Customer.jsonl").find("\"X\"") == std::string::npos);
  CHECK_FALSE(fs::exists(d / "Customer.jsonl.tmp"));
  // Decimals at the target's scale.
  {
    std::vector<plan::TargetField> f{Target("id", plan::FieldType::kString), Target("usd", plan::FieldType::kDecimal, 2)};
    auto w = c->OpenWriter(connectors::WriteRequest{"Money", "id", f, {}, 0}, error);
    std::vector<Value> m{Value::String("M"), Value::Dec(*decimal::Decimal::Parse("915125"))};
    testing::PutOk(*w, m.data());
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(ReadFile(d / "Money.jsonl") == "{\"id\":\"M\",\"usd\":915125.00}\n");
  fs::remove_all(d);
}

TEST_CASE("the JSONL writer merges into an older line whose members are in another order") {
  // A file another tool wrote: its members in its own order, values of other lengths than the
  // new ones, a member the map does not write. Each written value replaces the old one in
  // place; the order, the other member and its bytes stay.
  fs::path d = TempDir("jsonl_merge_order");
  Write(d / "Customer.jsonl",
        "{\"amount\": 1, \"name\":\"Old name, longer\",\"extra\":[1.50,true],\"id\":\"A\"}\n"
        "{\"id\":\"B\",\"amount\":7}\n");
  std::string error;
  auto c = connectors::Open(d.string(), error);
  REQUIRE(c);
  using value::Value;
  {
    auto w = c->OpenWriter(connectors::WriteRequest{"Customer", "id", Targets({"id", "name", "amount"}), {}, 0}, error);
    REQUIRE_MESSAGE(w, error);
    std::vector<Value> a{Value::String("A"), Value::String("N"), Value::Int(123456)};
    testing::PutOk(*w, a.data());
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(ReadFile(d / "Customer.jsonl") ==
        "{\"amount\": 123456, \"name\":\"N\",\"extra\":[1.50,true],\"id\":\"A\"}\n"
        "{\"id\":\"B\",\"amount\":7}\n");
  fs::remove_all(d);
}

TEST_CASE("a CSV directory: typed cells, empty cells null, bad lines") {
  fs::path d = TempDir("csv");
  Write(d / "Item.csv", "sku,itemId,note,price\nGC1,1001,\"a, b\",9.90\nGC2,,x,\nbroken\n");
  std::string error;
  auto c = connectors::Open("dir:" + d.string(), error);
  REQUIRE(c);
  using T = plan::FieldType;
  ReadAll r;
  REQUIRE(Read(*c, "Item", {"sku", "note", "price", "itemId"}, r, error, {T::kString, T::kString, T::kDecimal, T::kInt}));
  REQUIRE(r.records.size() == 2);
  CHECK(r.width == 4);
  CHECK(Text(r.records[0]["note"]) == "\"a, b\"");
  CHECK(Text(r.records[0]["price"]) == "9.90m");
  CHECK(Text(r.records[0]["itemId"]) == "1001");
  CHECK(r.records[1]["itemId"].IsNull());
  CHECK(r.records[1]["price"].IsNull());
  REQUIRE(r.bad.size() == 1);
  CHECK(r.bad[0].line == 4);
  fs::remove_all(d);
}

TEST_CASE("a system path that does not exist is named as missing, not as the wrong kind") {
  std::string error;
  fs::path missing = TempDir("missing_target") / "erp";
  CHECK(connectors::Open(missing.string(), error) == nullptr);
  CHECK(error.find("`" + missing.string() + "` does not exist") == 0);
  CHECK(error.find("neither") == std::string::npos);
  // A SQLite path is still created when missing.
  auto db = connectors::Open((TempDir("missing_db") / "erp.db").string(), error);
  CHECK(db != nullptr);
}

TEST_CASE("a SQLite database: upsert on the key, projected reads") {
  fs::path d = TempDir("sqlite");
  std::string error;
  auto c = connectors::Open((d / "erp.db").string(), error);
  REQUIRE_MESSAGE(c, error);
  using value::Value;
  std::string id1, id2, id3;
  {
    auto w = c->OpenWriter(connectors::WriteRequest{"Customer", "externalId", Targets({"externalId", "companyName", "lines"}), {}, 0}, error);
    REQUIRE_MESSAGE(w, error);
    std::vector<Value> a{Value::String("A"), Value::String("Acme"), Value::List({Value::Int(1)})};
    std::vector<Value> b{Value::String("B"), Value::Null(), Value::Null()};
    std::vector<Value> a2{Value::String("A"), Value::String("Acme 2"), Value::Null()};
    id1 = testing::PutOk(*w, a.data());
    id2 = testing::PutOk(*w, b.data());
    id3 = testing::PutOk(*w, a2.data());
    REQUIRE(testing::CommitAll(*w, error));
  }
  CHECK(id1 == id3);  // the same record: idempotent upsert
  CHECK(id1 != id2);
  ReadAll r;
  REQUIRE(Read(*c, "Customer", {"externalId", "companyName", "missing"}, r, error));
  REQUIRE(r.records.size() == 2);
  CHECK(r.width == 3);
  CHECK(Text(r.records[0]["companyName"]) == "\"Acme 2\"");
  CHECK(r.records[0]["missing"].IsNull());
  CHECK(r.records[1]["companyName"].IsNull());
  ReadAll none;
  REQUIRE(Read(*c, "SalesOrder", {"x"}, none, error));  // no table yet: no records
  CHECK(none.records.empty());
  fs::remove_all(d);
}

TEST_CASE("a SQLite read: the query selects the projected columns and applies the pushed-down `when`") {
  fs::path d = TempDir("sqlite_query");
  std::string error;
  auto c = connectors::Open((d / "crm.db").string(), error);
  REQUIRE(c);
  using value::Value;
  {
    // (Not `Id`: SQLite column names ignore case, and `id` is the table's own id column.)
    auto w = c->OpenWriter(connectors::WriteRequest{"Opportunity", "OppId", Targets({"OppId", "StageName", "Name", "Notes"}), {}, 0}, error);
    REQUIRE_MESSAGE(w, error);
    const char* stages[] = {"Closed Won", "Prospecting", "Closed Won", "Closed Lost", "Closed Won"};
    for (int i = 0; i < 5; ++i) {
      std::vector<Value> rec{Value::String("O" + std::to_string(i)), Value::String(stages[i]), Value::String("n"),
                             Value::String("long text")};
      testing::PutOk(*w, rec.data());
    }
    REQUIRE(testing::CommitAll(*w, error));
  }
  plan::SourceCondition won{"StageName", plan::FilterOp::kEq, Value::String("Closed Won"), 0};
  connectors::ReadRequest req{"Opportunity", {"OppId", "StageName"}, {plan::FieldType::kString, plan::FieldType::kString}, 2, {won}, {}, {}, {}};
  auto r = c->OpenReader(req, error);
  REQUIRE_MESSAGE(r, error);
  CHECK(r->Query().rfind("SELECT rowid, \"OppId\", \"StageName\" FROM \"Opportunity\" WHERE ", 0) == 0);
  CHECK(r->Query().find("Notes") == std::string::npos);  // a column the map does not read
  connectors::RecordBatch b;
  std::vector<std::string> ids;
  while (r->Next(b))
    for (size_t i = 0; i < b.size(); ++i) ids.push_back(std::string(b.Row(i)[0].AsText()));
  CHECK(ids == std::vector<std::string>{"O0", "O2", "O4"});
  CHECK(r->Filtered() == 2);
  CHECK(r->Total() == 3);
  fs::remove_all(d);
}

TEST_CASE("the projection: a plan reads only the fields its maps use") {
  plan::Plan p = BuildSpec(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/acme.crmx");
  REQUIRE(p.maps.size() == 3);
  CHECK(p.maps[0].name == "account_to_customer");
  CHECK(p.maps[1].name == "won_to_order");  // after the map it refs
  CHECK(p.maps[1].depends_on == std::vector<std::string>{"account_to_customer"});
  const plan::Map& a = p.maps[0];
  // The fields its statements read, and the change cursor.
  CHECK(a.projection.fields == std::vector<std::string>{"BillingCountry", "BillingState", "Id", "IsDeleted", "Name",
                                                        "PaymentTerms__c", "Phone", "ShippingCountry",
                                                        "ShippingState", "Subsidiary__c", "SystemModstamp"});
  CHECK(a.cursor == "SystemModstamp");
  CHECK(a.deleted_field == "IsDeleted");
  const plan::Map& o = p.maps[1];
  CHECK(o.projection.fields ==
        std::vector<std::string>{"AccountId", "Amount", "CurrencyIsoCode", "Id", "IsDeleted", "StageName", "SystemModstamp"});
  REQUIRE(o.projection.relations.size() == 2);
  CHECK(o.projection.relations[0].name == "Account");
  CHECK(o.projection.relations[0].via == "AccountId");
  CHECK(o.projection.relations[0].fields == std::vector<std::string>{"BillingCountry"});
  CHECK(o.projection.relations[1].name == "OpportunityLineItems");
  CHECK(o.projection.relations[1].child);
  CHECK(o.projection.relations[1].via == "OpportunityId");
  CHECK(o.projection.relations[1].fields == std::vector<std::string>{"ProductCode", "Quantity", "SystemModstamp", "UnitPrice"});
  CHECK(o.projection.relations[1].cursor == "SystemModstamp");
  CHECK(p.FindSync("won_to_order")->when.size() == 2);
  CHECK(p.FindSync("won_to_order")->when[0].reason == "StageName is not Closed Won");
  CHECK(p.FindSync("won_to_order")->when[1].reason == "Amount is not > 0");
  const plan::Table* t = p.FindTable("item_by_sku");
  REQUIRE(t != nullptr);
  CHECK(!t->entries.empty());
  // The connector's read of Account returns those fields only, of the 38 in the file.
  std::string error;
  auto c = connectors::Open(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/data/crm", error);
  REQUIRE(c);
  ReadAll projected;
  REQUIRE(Read(*c, "Account", a.projection.fields, projected, error, a.projection.types));
  CHECK(ReadFile(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/data/crm/Account.jsonl")
            .find("\"BillingCity\"") != std::string::npos);  // a field the file has and the map does not read
  CHECK(projected.width == 11);
  CHECK(projected.records[0].size() == 11);
  CHECK(projected.records.size() + projected.bad.size() == 300);
  CHECK(projected.bad.size() == 1);
}

TEST_CASE("the engine: every record ends in exactly one place; waiting on refs; state kept") {
  fs::path d = TempDir("engine");
  fs::create_directories(d / "crm");
  plan::Plan p = BuildSpec(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/acme.crmx");
  fs::copy(std::string(CRMX_SOURCE_DIR) + "/examples/acme-salesforce-netsuite/data/crm", d / "crm");
  std::string error;
  auto crm = connectors::Open((d / "crm").string(), error);
  auto erp = connectors::Open((d / "erp.db").string(), error);
  auto st = state::StateStore::Open((d / "state.db").string(), error);
  REQUIRE(st);
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  systems.by_name["erp"] = erp.get();
  engine::RunReport rep;
  REQUIRE_MESSAGE(engine::Run(p, systems, st.get(), engine::RunOptions{}, rep, error), error);
  REQUIRE(rep.maps.size() == 3);
  for (const engine::MapReport& m : rep.maps) {
    CAPTURE(m.name);
    CHECK(m.written + m.skipped.count + m.data_quality.count + m.held.count + m.waiting.count + m.error.count ==
          m.input_lines);
  }
  CHECK(rep.maps[0].input_lines == 300);
  CHECK(rep.maps[0].error.count >= 1);
  CHECK(rep.maps[0].error.samples[0].line == 137);
  CHECK(rep.maps[1].input_lines == 400);
  CHECK(rep.maps[1].skipped.by_reason["StageName is not Closed Won"] == 174);
  CHECK(rep.maps[1].skipped.by_reason["Amount is not > 0"] == 8);
  CHECK(rep.maps[1].data_quality.by_reason["no account"] == 4);
  CHECK(rep.maps[2].input_lines == rep.maps[1].written);

  // A second run with the same state reads only what changed since: nothing, but the records
  // left waiting (their account may have been written since) and the malformed line.
  engine::RunReport again;
  REQUIRE(engine::Run(p, systems, st.get(), engine::RunOptions{}, again, error));
  const engine::MapReport& a2 = again.maps[0];
  CHECK(a2.written == 0);
  CHECK(a2.skipped.by_reason.at("unchanged since the last run") == 299);
  CHECK(a2.error.count == 1);
  const engine::MapReport& o2 = again.maps[1];
  CHECK(o2.waiting.count == rep.maps[1].waiting.count);  // looked at again, still waiting
  CHECK(o2.skipped.by_reason.at("unchanged since the last run") == 400 - rep.maps[1].waiting.count);
  // A changed account is written again; --full (RunOptions::full) looks at every record.
  {
    fs::path accounts = d / "crm" / "Account.jsonl";
    std::string text = ReadFile(accounts);
    size_t at = text.find("\"SystemModstamp\":\"");
    REQUIRE(at != std::string::npos);
    text.replace(at + 18, 4, "2099");  // the first account's stamp, in the future
    Write(accounts, text);
  }
  engine::RunReport third;
  REQUIRE(engine::Run(p, systems, st.get(), engine::RunOptions{}, third, error));
  CHECK(third.maps[0].written + third.maps[0].data_quality.count + third.maps[0].held.count == 1);
  engine::RunOptions full;
  full.full = true;
  engine::RunReport all;
  REQUIRE(engine::Run(p, systems, st.get(), full, all, error));
  CHECK(all.maps[0].written == rep.maps[0].written);
  CHECK(all.maps[0].skipped.count == 0);
  fs::remove_all(d);
}

TEST_CASE("the engine on a small spec: every outcome, reasons, flags, refs, the state file") {
  std::string dir = std::string(CRMX_SOURCE_DIR) + "/tests/unit/engine/mini";
  plan::Plan p = BuildSpec(dir + "/mini.crmx");
  // The plan survives its file format.
  plan::Plan back;
  std::string error;
  REQUIRE_MESSAGE(plan::ReadPlan(plan::WritePlan(p), back, error), error);
  fs::path d = TempDir("mini");
  auto crm = connectors::Open(dir + "/crm", error);
  auto erp = connectors::Open((d / "erp.db").string(), error);
  auto st = state::StateStore::Open((d / "state.db").string(), error);
  REQUIRE(crm);
  REQUIRE(erp);
  REQUIRE(st);
  engine::Systems systems;
  systems.by_name["crm"] = crm.get();
  systems.by_name["erp"] = erp.get();
  // The queue files of the run, besides the report.
  std::unique_ptr<engine::QueueFiles> queues = engine::QueueFiles::Open((d / "queues").string(), error);
  REQUIRE(queues);
  engine::RunOptions options;
  options.sinks.push_back(queues.get());
  engine::RunReport rep;
  REQUIRE_MESSAGE(engine::Run(back, systems, st.get(), options, rep, error), error);
  REQUIRE(rep.maps.size() == 2);
  const engine::MapReport& a = rep.maps[0];
  CHECK(a.name == "acct");
  CHECK(a.input_lines == 6);
  CHECK(a.written == 3);
  CHECK(a.data_quality.count == 1);
  REQUIRE(a.data_quality.samples.size() == 1);
  CHECK(a.data_quality.samples[0].key == "A3");
  CHECK(a.data_quality.samples[0].line == 3);
  CHECK(a.data_quality.samples[0].reasons == std::vector<std::string>{"missing Name", "no country"});
  CHECK(a.held.by_reason == std::map<std::string, int64_t>{{"Pending Review", 1}});
  CHECK(a.error.count == 1);
  CHECK(a.error.samples[0].line == 5);
  CHECK(a.error.samples[0].reasons[0] == "malformed JSON");
  CHECK(a.flags_on_written == std::map<std::string, int64_t>{{"finance:default_terms", 2}});
  const engine::MapReport& o = rep.maps[1];
  CHECK(o.input_lines == 8);
  CHECK(o.written == 2);
  CHECK(o.skipped.by_reason ==
        std::map<std::string, int64_t>{{"StageName is not Closed Won", 1}, {"Amount is not > 0", 1}});
  CHECK(o.data_quality.by_reason == std::map<std::string, int64_t>{{"no account", 1}});
  CHECK(o.waiting.by_reason == std::map<std::string, int64_t>{
                                   {"account data-quality", 1}, {"account held", 1}, {"account not found", 1}});
  CHECK(o.error.count == 0);
  // The orders reference the customers' ids in the ERP.
  ReadAll orders, customers;
  REQUIRE(Read(*erp, "SalesOrder", {"externalId", "entity", "total"}, orders, error));
  REQUIRE(Read(*erp, "Customer", {"id", "externalId", "terms"}, customers, error));
  REQUIRE(orders.records.size() == 2);
  REQUIRE(customers.records.size() == 3);
  CHECK(Text(orders.records[0]["entity"]) == "\"" + Text(customers.records[0]["id"]) + "\"");
  CHECK(Text(orders.records[0]["total"]) == "\"100.50\"");  // exact digits at the field's scale (TEXT)
  CHECK(Text(customers.records[1]["terms"]) == "\"Net 30\"");
  // The queue files hold every queued record and every flag.
  CHECK(ReadFile(d / "queues" / "quality.jsonl").find(
            "{\"map\":\"acct\",\"key\":\"A3\",\"file\":\"Account.jsonl\",\"line\":3,\"reasons\":[\"missing Name\","
            "\"no country\"],\"fields\":[") == 0);
  CHECK(ReadFile(d / "queues" / "errors.jsonl").find("\"key\":null,\"file\":\"Account.jsonl\",\"line\":5,") !=
        std::string::npos);
  std::string flags = ReadFile(d / "queues" / "flags.jsonl");
  CHECK(std::count(flags.begin(), flags.end(), '\n') == 2);
  CHECK(flags.find("\"flag\":\"finance:default_terms\"") != std::string::npos);
  std::string waiting = ReadFile(d / "queues" / "waiting.jsonl");
  CHECK(std::count(waiting.begin(), waiting.end(), '\n') == 3);
  // The state's flags (in flag sets): the two raised.
  CHECK(st->OpenItemCounts()["flag"] == 2);
  // A second run is idempotent: the same records, updated in place.
  engine::RunReport again;
  REQUIRE(engine::Run(back, systems, st.get(), engine::RunOptions{}, again, error));
  CHECK(again.run == rep.run + 1);
  ReadAll customers2;
  REQUIRE(Read(*erp, "Customer", {"id"}, customers2, error));
  CHECK(customers2.records.size() == 3);
  // Its records written again: their flags cleared and raised again by it, two as before.
  std::vector<state::Item> flagged;
  state::ItemFilter only_flags;
  only_flags.queue = "flag";
  REQUIRE_MESSAGE(state::ListItems(*st, only_flags, flagged, error), error);
  REQUIRE(flagged.size() == 2);
  for (const state::Item& it : flagged) {
    CHECK(it.first_run == again.run);
    CHECK(it.reasons == std::vector<std::string>{"finance:default_terms"});
  }
  fs::remove_all(d);
}
