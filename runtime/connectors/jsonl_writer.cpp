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
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "runtime/connectors/internal.h"

namespace crmx::connectors {

namespace {

namespace fs = std::filesystem;
using value::Kind;
using value::Value;

uint64_t HashKey(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

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
  Bloom() : words_(kWords, 0) {}
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
    const uint64_t* block = const_cast<Bloom*>(this)->Block(h);
    for (int i = 0; i < 4; ++i) {
      uint64_t bit = (h >> (9 * i)) & 511;
      if ((block[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
    }
    return true;
  }

 private:
  static constexpr size_t kWords = (size_t{1} << 26) / 64;
  uint64_t* Block(uint64_t h) { return words_.data() + ((h >> 40) % (kWords / 8)) * 8; }
  std::vector<uint64_t> words_;
};

class JsonlWriter : public RecordWriter {
 public:
  JsonlWriter(std::string path, const WriteRequest& req, std::FILE* out, size_t key)
      : path_(std::move(path)), tmp_(path_ + ".tmp"), req_(req), out_(out), key_(key) {
    std::error_code ec;
    existed_ = fs::exists(path_, ec);
    for (const plan::TargetField& f : req_.fields) {
      std::string prefix;
      AppendJsonString(prefix, f.name);
      prefixes_.push_back(prefix + ":");
    }
  }
  ~JsonlWriter() override {
    if (out_ != nullptr) {
      std::fclose(out_);
      std::error_code ec;
      fs::remove(tmp_, ec);  // never committed: the old file stays as it was
    }
  }

  bool Upsert(const Value* values, std::string* id, std::string& error) override {
    const Value& key = values[key_];
    if (key.IsNull() || key.IsError()) {
      error = "no value for the key `" + req_.key_field + "`";
      return false;
    }
    // A string key is hashed in place; others through their JSON text.
    std::string other;
    std::string_view text = key.kind() == Kind::kString ? key.AsText() : std::string_view(other = KeyText(key));
    uint64_t h = HashKey(text);
    if (bloom_.TestAndSet(h)) suspects_.insert(h);
    line_.clear();
    line_.push_back('{');
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      if (i) line_.push_back(',');
      line_ += prefixes_[i];
      AppendField(line_, values[i], req_.fields[i]);
    }
    line_ += "}\n";
    if (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size()) {
      error = "cannot write " + tmp_;
      return false;
    }
    if (id) id->assign(text);
    return true;
  }

  bool Commit(std::string& error) override {
    bool ok = std::fclose(out_) == 0;
    out_ = nullptr;
    if (!ok) {
      error = "cannot write " + tmp_;
      return false;
    }
    if ((existed_ || !suspects_.empty()) && !Compact(error)) return false;
    std::error_code ec;
    fs::rename(tmp_, path_, ec);
    if (ec) {
      error = "cannot replace " + path_ + ": " + ec.message();
      return false;
    }
    return true;
  }

 private:
  // The key text of a JSON line (its key field's string, or the field's JSON text), "" when the
  // line has none or is not a JSON object. simdjson: only the key is looked at.
  std::string KeyOfLine(const std::string& line) {
    // Lines this writer wrote with the key first (`{"key":"text",...`): the text without a
    // parser, unless it has escapes.
    if (key_ == 0 && line.size() > prefixes_[0].size() + 2 && line[0] == '{' &&
        line.compare(1, prefixes_[0].size(), prefixes_[0]) == 0 && line[prefixes_[0].size() + 1] == '"') {
      size_t start = prefixes_[0].size() + 2;
      size_t end = line.find_first_of("\"\\", start);
      if (end != std::string::npos && line[end] == '"') return line.substr(start, end - start);
    }
    padded_.assign(line);
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (key_parser_.iterate(padded_.data(), line.size(), padded_.size()).get(doc)) return {};
    simdjson::ondemand::value v;
    if (doc.find_field_unordered(req_.key_field).get(v)) return {};
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
        if (bloom_.Test(HashKey(key))) old_candidates.insert(key);
        return true;
      }, error);
      if (!ok) return false;
    }
    if (!EachLine(tmp_, [&](const std::string& key, const std::string&) {
          uint64_t h = HashKey(key);
          if (suspects_.count(h)) ++count[key];
          if (old_candidates.count(key)) new_keys.insert(key);
          return true;
        }, error))
      return false;
    bool duplicates = false;
    for (const auto& [k, n] : count) duplicates = duplicates || n > 1;
    if (!duplicates && new_keys.empty() && !existed_) return true;  // false alarms only
    // The new lines of the keys written again, to merge into the old records.
    std::unordered_map<std::string, nlohmann::json> updates;
    std::string merged = tmp_ + ".merge";
    std::FILE* out = std::fopen(merged.c_str(), "wb");
    if (out == nullptr) {
      error = "cannot write " + merged;
      return false;
    }
    auto put = [&](const std::string& text) {
      return std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fputc('\n', out) != EOF;
    };
    bool ok = true;
    if (!new_keys.empty()) {
      ok = EachLine(tmp_, [&](const std::string& key, const std::string& line) {
        if (new_keys.count(key)) updates[key] = nlohmann::json::parse(line);  // the last line of the key wins
        return true;
      }, error);
    }
    if (ok && existed_) {
      ok = EachLine(path_, [&](const std::string& key, const std::string& line) {
        auto u = updates.find(key);
        if (u == updates.end()) return put(line);
        nlohmann::json rec = nlohmann::json::parse(line, nullptr, false);
        for (auto f = u->second.begin(); f != u->second.end(); ++f) rec[f.key()] = f.value();
        return put(rec.dump());
      }, error);
    }
    if (ok) {
      ok = EachLine(tmp_, [&](const std::string& key, const std::string& line) {
        if (updates.count(key)) return true;  // merged into the old record above
        auto c = count.find(key);
        if (c != count.end() && --c->second > 0) return true;  // a later line of this key follows
        return put(line);
      }, error);
    }
    ok = std::fclose(out) == 0 && ok;
    std::error_code ec;
    if (ok) fs::rename(merged, tmp_, ec);
    if (!ok || ec) {
      fs::remove(merged, ec);
      if (error.empty()) error = "cannot write " + merged;
      return false;
    }
    return true;
  }

  std::string path_, tmp_;
  WriteRequest req_;
  std::FILE* out_;
  size_t key_;
  bool existed_ = false;
  std::vector<std::string> prefixes_;  // per field: `"name":`
  std::string line_;
  Bloom bloom_;
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
  std::setvbuf(out, nullptr, _IOFBF, 1 << 20);
  return std::make_unique<JsonlWriter>(path, req, out, key);
}

}  // namespace crmx::connectors
