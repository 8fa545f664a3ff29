// Defines the JSON Lines writer of the directory connector: upserts into `Object.jsonl`.
//
// Records stream into `Object.jsonl.tmp`, one line each, keys in the request's order; Commit
// renames it into place. An upsert must leave one line per key, so the writer remembers the
// keys it wrote, in constant memory: a Bloom filter of key hashes. A key the filter may have
// seen is a "suspect"; only when there are suspects, or an older file to merge, does Commit
// compact: it finds the real duplicates among the suspects (one pass over the new lines), keeps
// the last line of each key, and merges the older file's records (a record written again gets
// the new values of the written fields and keeps its others). Memory stays flat however many
// records a run writes; only the compaction's suspects and merged keys are held.
//
// Fields nest by their path (nesting.h): `CustomerRef.value` is written {"CustomerRef":
// {"value": ...}}. The merge splices the new members into the older line's JSON text: the
// members it does not write keep their bytes (the digits of `9999999999999999.99`, `8700.0`)
// and their order; a member written again is replaced in place, a new one appended.
//
// Record identity: when the target has an id field (WriteRequest::id_field) the map does not
// write, a record keeps the id its line already has, else it gets the next integer after the
// largest numeric id of the file (as a string, like NetSuite's internal ids), written into the
// line last; that id is the record's result id. Only then are the keys of the older file and
// of this run held in memory (a hash and an id each).
//
// Lines of the older file that are not JSON: the merge never loses their bytes. A line whose
// members the splice scanner can delimit is merged like any other, whatever its values
// (`"Amount":NaN`, `"IsWon":tru`, `1e400`: the reader skips members it does not read, so the
// merged line reads as the record); the members written again replace theirs. A line the
// scanner cannot delimit (cut off, not an object) is kept byte for byte; when its key can be
// read and the run writes that key, the new record is appended as a line of its own (the
// reader reports the old line as a bad line and reads the new one: one record per key). A
// line whose key cannot be read is kept as it was and never matched.
//
// Durability: Commit fsyncs `Object.jsonl.tmp`, renames it into place and fsyncs the
// directory; a failure of any step is the commit's error (the .tmp file removed).
#include <simdjson.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "runtime/connectors/early_writeback.h"
#include "runtime/connectors/internal.h"
#include "runtime/connectors/raw_json.h"
#include "runtime/connectors/nesting.h"
#include "runtime/value/text_hash.h"

namespace crmx::connectors {

namespace {

namespace fs = std::filesystem;
using value::Kind;
using value::Value;

// The text of a key value: a string as is, anything else as JSON.
std::string KeyText(const Value& v) {
  if (v.kind() == Kind::kString) return std::string(v.AsText());
  std::string s;
  AppendJson(s, v);
  return s;
}

// A blocked Bloom filter over 64-bit hashes: 2^26 bits (8 MiB) in 512-bit blocks, 4 probes in
// the block the hash picks, so a key costs one cache miss. At 2 million keys, about one insert
// in 3,000 is a false "maybe seen".
class Bloom {
 public:
  // Anonymous memory: the kernel's zero pages, not 8 MiB of stores. Asked for as 2 MiB huge
  // pages (where the kernel allows them): a probe then misses the cache, not also the TLB
  // (4 KiB pages would need 2,048 entries); a small run touches a few of them either way.
  Bloom() {
    void* p = mmap(nullptr, kMapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    map_ = p;
    uintptr_t at = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
    words_ = reinterpret_cast<uint64_t*>(at);
    madvise(words_, kWords * sizeof(uint64_t), MADV_HUGEPAGE);  // advice: no failure to report
  }
  ~Bloom() { munmap(map_, kMapped); }
  Bloom(const Bloom&) = delete;
  Bloom& operator=(const Bloom&) = delete;
  // Adds `h`; true when it may have been added before.
  bool TestAndSet(uint64_t h) {
    uint64_t* block = Block(h);
    bool seen = true;
    for (int i = 0; i < 4; ++i) {
      uint64_t bit = (h >> (9 * i)) & 511;
      uint64_t mask = uint64_t{1} << (bit & 63);
      seen = seen && (block[bit >> 6] & mask) != 0;
      block[bit >> 6] |= mask;
    }
    return seen;
  }
  bool Test(uint64_t h) const {
    const uint64_t* block = Block(h);
    for (int i = 0; i < 4; ++i) {
      uint64_t bit = (h >> (9 * i)) & 511;
      if ((block[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
    }
    return true;
  }
  // Starts loading `h`'s block: a probe a record later finds it in cache.
  void Prefetch(uint64_t h) const { __builtin_prefetch(Block(h), 1); }

 private:
  static constexpr size_t kWords = (size_t{1} << 26) / 64;
  static constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  static constexpr size_t kMapped = kWords * sizeof(uint64_t) + kHuge;  // room to align
  uint64_t* Block(uint64_t h) const { return words_ + ((h >> 40) % (kWords / 8)) * 8; }
  void* map_ = nullptr;
  uint64_t* words_ = nullptr;
};

// A small scanner of JSON text, for splicing members into an existing line without
// re-serialising what is not changed. It trusts the text is JSON (lines that are not objects
// are not merged into).
size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// Past the end of the string starting at `i` (its opening quote); npos when unterminated.
size_t StringEnd(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == '"') return i + 1;
  }
  return std::string_view::npos;
}

// Past the end of the JSON value starting at `i`; npos when malformed.
size_t ValueEnd(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return StringEnd(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        i = StringEnd(s, i);
        if (i == std::string_view::npos) return i;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }
  size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
         s[i] != '\n')
    ++i;
  return i == start ? std::string_view::npos : i;
}

struct JsonMember {
  std::string_view key;  // the key's JSON text, quotes included
  size_t value_begin = 0, value_end = 0;
};

// The members of the object `s` (from its first non-space character), and where its closing
// brace is; false when `s` is not a JSON object.
bool ObjectMembers(std::string_view s, std::vector<JsonMember>& out, size_t& close) {
  out.clear();
  size_t i = SkipSpace(s, 0);
  if (i >= s.size() || s[i] != '{') return false;
  i = SkipSpace(s, i + 1);
  if (i < s.size() && s[i] == '}') {
    close = i;
    return true;
  }
  while (i < s.size()) {
    if (s[i] != '"') return false;
    size_t key_end = StringEnd(s, i);
    if (key_end == std::string_view::npos) return false;
    JsonMember m;
    m.key = s.substr(i, key_end - i);
    i = SkipSpace(s, key_end);
    if (i >= s.size() || s[i] != ':') return false;
    i = SkipSpace(s, i + 1);
    m.value_begin = i;
    m.value_end = ValueEnd(s, i);
    if (m.value_end == std::string_view::npos) return false;
    out.push_back(m);
    i = SkipSpace(s, m.value_end);
    if (i < s.size() && s[i] == '}') {
      close = i;
      return true;
    }
    if (i >= s.size() || s[i] != ',') return false;
    i = SkipSpace(s, i + 1);
  }
  return false;
}

// Flushes the file or directory `path` to the disk (fsync); false with `error` when it cannot.
bool SyncPath(const std::string& path, bool directory, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) {
    error = "cannot sync " + path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = ::fsync(fd) == 0;
  if (!ok) error = "cannot sync " + path + ": " + std::strerror(errno);
  ::close(fd);
  return ok;
}

// `old_text` (an object) with the members of `new_text` (an object) spliced in: a member of
// both gets the new value in place (objects the writer nests, `nodes`, are spliced member by
// member), a new member is appended; the rest of `old_text` is kept byte for byte. `new_text`
// when `old_text` is not an object.
std::string SpliceMembers(std::string_view old_text, std::string_view new_text, const std::vector<FieldNode>& nodes) {
  std::vector<JsonMember> olds, news;
  size_t old_close = 0, new_close = 0;
  if (!ObjectMembers(old_text, olds, old_close) || !ObjectMembers(new_text, news, new_close))
    return std::string(new_text);
  // What replaces an old member's value [begin, end): the new value's text, or (`nested`) the
  // splice of an object into an object.
  struct Edit {
    size_t begin, end;
    std::string_view text;
    std::string nested;
  };
  std::vector<Edit> edits;
  edits.reserve(news.size());
  std::string appended;
  std::string quoted;
  for (const JsonMember& n : news) {
    std::string_view value = new_text.substr(n.value_begin, n.value_end - n.value_begin);
    const JsonMember* o = nullptr;
    for (const JsonMember& x : olds)
      if (x.key == n.key) o = &x;
    if (o == nullptr) {
      if (!olds.empty() || !appended.empty()) appended.push_back(',');
      appended.append(n.key);
      appended.push_back(':');
      appended.append(value);
      continue;
    }
    std::string_view before = old_text.substr(o->value_begin, o->value_end - o->value_begin);
    // An object written over an object: spliced member by member when the member is one of
    // the record's nested objects (its node found by its quoted name; only then is it needed).
    const FieldNode* node = nullptr;
    if (!before.empty() && before[0] == '{' && !value.empty() && value[0] == '{') {
      for (const FieldNode& f : nodes) {
        quoted.clear();
        AppendJsonString(quoted, f.name);
        if (quoted == n.key) node = &f;
      }
    }
    if (node && !node->leaf())
      edits.push_back(Edit{o->value_begin, o->value_end, {}, SpliceMembers(before, value, node->children)});
    else
      edits.push_back(Edit{o->value_begin, o->value_end, value, {}});
  }
  // The old text with its replaced values, in order, and the new members before its `}`.
  std::sort(edits.begin(), edits.end(), [](const Edit& x, const Edit& y) { return x.begin < y.begin; });
  std::string out;
  out.reserve(old_text.size() + new_text.size());
  size_t at = 0;
  for (const Edit& e : edits) {
    out.append(old_text.substr(at, e.begin - at));
    out.append(e.nested.empty() ? e.text : std::string_view(e.nested));
    at = e.end;
  }
  out.append(old_text.substr(at, old_close - at));
  out.append(appended);
  out.append(old_text.substr(old_close));
  return out;
}

// A numeric id's value ("17" -> 17); nullopt when the text is not all digits.
std::optional<uint64_t> NumericId(std::string_view t) {
  if (t.empty() || t.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

class JsonlWriter : public RowWriter {
 public:
  JsonlWriter(std::string path, const WriteRequest& req, std::FILE* out, size_t key)
      : path_(std::move(path)), tmp_(path_ + ".tmp"), req_(req), out_(out), key_(key) {
    std::error_code ec;
    existed_ = fs::exists(path_, ec);
    nodes_ = NestFields(req_.fields);
    for (const FieldNode& n : nodes_) {
      std::string prefix = prefixes_.empty() ? "{" : ",";
      AppendJsonString(prefix, n.name);
      prefixes_.push_back(prefix + ":");
    }
    buf_.Reserve(kWriteChunk + (size_t{64} << 10));
    padded_prefixes_.assign(prefixes_.size() * kPadded, '\0');
    for (size_t i = 0; i < prefixes_.size(); ++i) {
      const std::string& prefix = prefixes_[i];
      Member m;
      m.padded = prefix.size() <= kPadded;
      if (m.padded) std::memcpy(&padded_prefixes_[i * kPadded], prefix.data(), prefix.size());
      m.prefix = m.padded ? &padded_prefixes_[i * kPadded] : prefix.data();
      m.prefix_size = prefix.size();
      if (nodes_[i].leaf()) {
        m.field = nodes_[i].field;
        m.target = &req_.fields[m.field];
      }
      members_.push_back(m);
    }
    first_is_key_ = !nodes_.empty() && nodes_[0].leaf() && nodes_[0].field == key_;
    for (size_t i = 0; i < req_.fields.size(); ++i)
      if (!req_.id_field.empty() && req_.fields[i].name == req_.id_field) written_id_ = i;
    assign_ids_ = !req_.id_field.empty() && written_id_ >= req_.fields.size();
    if (assign_ids_) AppendJsonString(id_prefix_, req_.id_field);
  }

  // Reads the ids the older file's lines have, by key (only when the writer assigns ids).
  bool LoadIds(std::string& error) {
    if (!assign_ids_ || !existed_) return true;
    return EachLine(path_, [&](const std::string& key, const std::string& line) {
      if (key.empty()) return true;
      std::string id = FieldOfLine(line, req_.id_field);
      if (id.empty()) return true;
      if (auto n = NumericId(id)) next_id_ = std::max(next_id_, *n + 1);
      ids_[value::HashText(key)] = std::move(id);
      return true;
    }, error);
  }
  ~JsonlWriter() override {
    std::string ignored;
    writeback_.Stop(ignored);  // before the file is closed
    if (out_ != nullptr) {
      std::fclose(out_);
      std::error_code ec;
      fs::remove(tmp_, ec);  // never committed: the old file stays as it was
    }
  }

  bool WriteOne(const Value* values, WriteResult& r, std::string& error) override {
    const Value& key = values[key_];
    if (key.IsNull() || key.IsError()) {
      r.message = "no value for the key `" + req_.key_field + "`";
      return true;
    }
    // A string key is hashed in place; others through their JSON text.
    std::string other;
    std::string_view text = key.kind() == Kind::kString ? key.AsText() : std::string_view(other = KeyText(key));
    // The filter's block is a cache miss (8 MiB, one random block a key): it is fetched now
    // and probed on the next record (or at Finish), while the engine works on that one.
    uint64_t h = value::HashText(text);
    ProbePending();
    bloom_.Prefetch(h);
    pending_ = h;
    has_pending_ = true;
    // Lines gather in buf_ and go to the file in large writes.
    if (buf_.size() >= kWriteChunk && !WriteOut(error)) return false;
    if (nodes_.empty()) buf_.Put("{");
    for (size_t i = 0; i < members_.size(); ++i) {
      const Member& m = members_[i];
      // Text, numbers and nulls (most values) straight into the buffer, the member's name
      // first: one capacity check for both.
      size_t bound = m.target != nullptr ? FieldBound(values[m.field]) : 0;
      if (bound != 0) {
        char* p = buf_.Room(kPadded + m.prefix_size + bound);
        if (m.padded) std::memcpy(p, m.prefix, kPadded);
        else std::memcpy(p, m.prefix, m.prefix_size);
        buf_.Commit(WriteField(p + m.prefix_size, values[m.field], *m.target));
        continue;
      }
      scratch_.clear();
      if (m.target != nullptr) AppendField(scratch_, values[m.field], *m.target);
      else AppendNested(scratch_, nodes_[i].children, req_.fields, values);
      buf_.Put(prefixes_[i]);
      buf_.Put(scratch_);
    }
    // The record's own id: the one it has (this run or the older file), else the next one.
    if (assign_ids_) {
      auto [it, fresh] = ids_.try_emplace(h);
      if (fresh) it->second = std::to_string(next_id_++);
      r.id = it->second;
      if (!nodes_.empty()) buf_.Put(",");
      buf_.Put(id_prefix_);
      buf_.Put(":");
      buf_.PutJsonString(r.id);
    } else if (written_id_ < req_.fields.size()) {
      r.id = KeyText(values[written_id_]);
    } else {
      r.id.assign(text);
    }
    buf_.Put("}\n");
    r.ok = true;
    return true;
  }

  // Writes the gathered lines to the file.
  bool WriteOut(std::string& error) {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) {
      error = "cannot write " + tmp_ + ": " + std::strerror(errno);
      return false;
    }
    handed_ += buf_.size();
    writeback_.Written(fileno(out_), tmp_, handed_);
    buf_.clear();
    return true;
  }

  bool Finish(std::string& error) override {
    bool ok = WriteOut(error);
    std::string writeback_error;  // the first error says why
    if (!writeback_.Stop(writeback_error) && ok) {
      ok = false;
      error = writeback_error;
    }
    if (ok && std::fclose(out_) != 0) {
      ok = false;
      error = "cannot write " + tmp_ + ": " + std::strerror(errno);
    } else if (!ok) {
      std::fclose(out_);
    }
    out_ = nullptr;
    std::error_code ec;
    auto fail = [&] {
      fs::remove(tmp_, ec);  // the old file stays as it was
      return false;
    };
    if (!ok) return fail();
    ProbePending();
    if ((existed_ || !suspects_.empty()) && !Compact(error)) return fail();
    // The data on the disk before the name points at it, and the name on the disk after.
    if (!SyncPath(tmp_, false, error)) return fail();
    fs::rename(tmp_, path_, ec);
    if (ec) {
      error = "cannot replace " + path_ + ": " + ec.message();
      return fail();
    }
    std::string dir = fs::path(path_).parent_path().string();
    return SyncPath(dir.empty() ? "." : dir, true, error);
  }

 private:
  // The key text of a JSON line (its key field's string, or the field's JSON text), "" when the
  // line has none or is not a JSON object. simdjson: only the key is looked at.
  std::string KeyOfLine(const std::string& line) {
    // Lines this writer wrote with the key first (`{"key":"text",...`): the text without a
    // parser, unless it has escapes.
    // (prefixes_[0] is `{"key":`.)
    if (first_is_key_ && line.size() > prefixes_[0].size() + 1 && line.compare(0, prefixes_[0].size(), prefixes_[0]) == 0 &&
        line[prefixes_[0].size()] == '"') {
      size_t start = prefixes_[0].size() + 1;
      size_t end = line.find_first_of("\"\\", start);
      if (end != std::string::npos && line[end] == '"') return line.substr(start, end - start);
    }
    padded_.assign(line);
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (key_parser_.iterate(padded_.data(), line.size(), padded_.size()).get(doc)) return {};
    simdjson::ondemand::value v;
    if (doc.find_field_unordered(KeyMember()).get(v)) return {};
    // A nested key (`ref.id`): down its path.
    for (size_t d = 1; d < key_path_.size(); ++d)
      if (v.find_field_unordered(key_path_[d]).get(v)) return {};
    std::string_view text;
    if (!v.get_string().get(text)) return std::string(text);
    std::string_view token = v.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    return token == "null" ? std::string() : std::string(token);
  }

  const std::string& KeyMember() {
    if (key_path_.empty()) key_path_ = PathOf(req_.fields[key_]);
    return key_path_[0];
  }

  // The text of the top-level field `name` of a JSON line (a string's text, other values'
  // JSON); "" when absent, null or not an object.
  std::string FieldOfLine(const std::string& line, const std::string& name) {
    padded_.assign(line);
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (key_parser_.iterate(padded_.data(), line.size(), padded_.size()).get(doc)) return {};
    simdjson::ondemand::value v;
    if (doc.find_field_unordered(name).get(v)) return {};
    std::string_view text;
    if (!v.get_string().get(text)) return std::string(text);
    std::string_view token = v.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    return token == "null" ? std::string() : std::string(token);
  }

  // Calls `each(key text, line text)` for every non-empty line of `path`.
  template <class F>
  bool EachLine(const std::string& path, F each, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      error = "cannot read " + path;
      return false;
    }
    std::string line;
    char buf[1 << 16];
    bool ok = true;
    while (ok && std::fgets(buf, sizeof buf, f) != nullptr) {
      line += buf;
      if (line.back() != '\n' && !std::feof(f)) continue;
      if (line.back() == '\n') line.pop_back();
      if (!line.empty()) ok = each(KeyOfLine(line), line);
      line.clear();
    }
    std::fclose(f);
    return ok;
  }

  // One line per key: the new file's last line of a key wins; the old file's records are kept,
  // merged with the new values of a key written again.
  bool Compact(std::string& error) {
    // The suspects' real duplicates: key -> number of lines in the new file.
    std::unordered_map<std::string, int64_t> count;
    std::unordered_set<std::string> new_keys;  // old keys written again (confirmed)
    std::unordered_set<std::string> old_candidates;
    if (existed_) {
      bool ok = EachLine(path_, [&](const std::string& key, const std::string&) {
        if (bloom_.Test(value::HashText(key))) old_candidates.insert(key);
        return true;
      }, error);
      if (!ok) return false;
    }
    if (!EachLine(tmp_, [&](const std::string& key, const std::string&) {
          uint64_t h = value::HashText(key);
          if (suspects_.count(h)) ++count[key];
          if (old_candidates.count(key)) new_keys.insert(key);
          return true;
        }, error))
      return false;
    bool duplicates = false;
    for (const auto& [k, n] : count) duplicates = duplicates || n > 1;
    if (!duplicates && new_keys.empty() && !existed_) return true;  // false alarms only
    // The new lines of the keys written again, to merge into the old records.
    std::unordered_map<std::string, std::string> updates;
    std::string merged = tmp_ + ".merge";
    std::FILE* out = std::fopen(merged.c_str(), "wb");
    if (out == nullptr) {
      error = "cannot write " + merged;
      return false;
    }
    int write_errno = 0;  // why the first write that failed failed (ENOSPC: a full disk)
    auto put = [&](const std::string& text) {
      bool done = std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fputc('\n', out) != EOF;
      if (!done && write_errno == 0) write_errno = errno;
      return done;
    };
    bool ok = true;
    if (!new_keys.empty()) {
      ok = EachLine(tmp_, [&](const std::string& key, const std::string& line) {
        if (new_keys.count(key)) updates[key] = line;  // the last line of the key wins
        return true;
      }, error);
    }
    // Keys whose new line was spliced into an old line (not a line the scanner cannot read).
    std::unordered_set<std::string> merged_keys;
    if (ok && existed_) {
      std::vector<JsonMember> members;
      size_t close = 0;
      ok = EachLine(path_, [&](const std::string& key, const std::string& line) {
        auto u = updates.find(key);
        if (u == updates.end()) return put(line);
        // Not an object the scanner can delimit: kept byte for byte, the new line written
        // below as a record of its own.
        if (!ObjectMembers(line, members, close)) return put(line);
        merged_keys.insert(key);
        // The new members spliced into the old line's text: the rest keeps its bytes.
        return put(SpliceMembers(line, u->second, nodes_));
      }, error);
    }
    if (ok) {
      ok = EachLine(tmp_, [&](const std::string& key, const std::string& line) {
        if (merged_keys.count(key)) return true;  // merged into the old record above
        auto c = count.find(key);
        if (c != count.end() && --c->second > 0) return true;  // a later line of this key follows
        return put(line);
      }, error);
    }
    if (std::fclose(out) != 0) {
      if (write_errno == 0) write_errno = errno;
      ok = false;
    }
    std::error_code ec;
    if (ok) fs::rename(merged, tmp_, ec);
    if (!ok || ec) {
      if (error.empty())
        error = "cannot write " + merged + ": " + (ec ? ec.message() : write_errno ? std::strerror(write_errno) : "the write failed");
      fs::remove(merged, ec);
      return false;
    }
    return true;
  }

  std::string path_, tmp_;
  WriteRequest req_;
  std::FILE* out_;
  size_t key_;
  bool existed_ = false;
  std::vector<FieldNode> nodes_;        // the record's members, nested by path
  std::vector<std::string> prefixes_;  // per member of nodes_: `{"name":` (the first), `,"name":`
  bool first_is_key_ = false;          // the first member is the key field
  std::vector<std::string> key_path_;
  // Record identity (WriteRequest::id_field).
  size_t written_id_ = static_cast<size_t>(-1);  // the id field among the written fields
  bool assign_ids_ = false;                        // the writer assigns ids
  std::string id_prefix_;                          // the id field as a JSON string
  std::unordered_map<uint64_t, std::string> ids_;  // key hash -> id (older file and this run)
  uint64_t next_id_ = 1;
  static constexpr size_t kWriteChunk = 256 << 10;
  RawBuffer buf_;  // lines not yet written to out_ (up to about kWriteChunk bytes)
  uint64_t handed_ = 0;        // bytes written to out_
  EarlyWriteback writeback_;   // of the bytes written, while the run goes on
  std::string scratch_;  // a value WriteField does not write (AppendField's text)
  // prefixes_ of up to kPadded bytes, each in kPadded bytes (zeros after): copied whole.
  static constexpr size_t kPadded = 32;
  std::vector<char> padded_prefixes_;
  // Per member of nodes_, what WriteOne needs of it, side by side.
  struct Member {
    const char* prefix = nullptr;  // its prefixes_ text (in padded_prefixes_ when `padded`)
    size_t prefix_size = 0;
    bool padded = false;
    size_t field = 0;                             // a leaf: its target field
    const plan::TargetField* target = nullptr;    // null: nested members
  };
  std::vector<Member> members_;
  // The key hash of the last line written, not probed yet (WriteOne).
  void ProbePending() {
    if (has_pending_ && bloom_.TestAndSet(pending_)) suspects_.insert(pending_);
    has_pending_ = false;
  }
  Bloom bloom_;
  uint64_t pending_ = 0;
  bool has_pending_ = false;
  std::unordered_set<uint64_t> suspects_;
  simdjson::ondemand::parser key_parser_;
  std::string padded_;
};

}  // namespace

std::unique_ptr<RecordWriter> OpenJsonlWriter(const std::string& path, const WriteRequest& req, std::string& error) {
  size_t key = req.fields.size();
  for (size_t i = 0; i < req.fields.size(); ++i)
    if (req.fields[i].name == req.key_field) key = i;
  if (key == req.fields.size()) {
    error = "the key `" + req.key_field + "` is not among the fields written";
    return nullptr;
  }
  std::string tmp = path + ".tmp";
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (out == nullptr) {
    error = "cannot write " + tmp;
    return nullptr;
  }
  auto w = std::make_unique<JsonlWriter>(path, req, out, key);
  if (!w->LoadIds(error)) return nullptr;
  return w;
}

}  // namespace crmx::connectors
