// Defines the directory connector: `Object.jsonl` or `Object.csv` per object (connector.h).
// Writes are upserts kept in memory and written back by Commit: the object's file is
// rewritten (JSONL), its other lines kept as they were.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "runtime/connectors/csv_line.h"
#include "runtime/connectors/internal.h"

namespace crmx::connectors {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using value::Value;


class FileConnector : public Connector {
 public:
  explicit FileConnector(std::string dir) : dir_(std::move(dir)) {}

  std::string Describe() const override { return "directory " + dir_; }

  bool Read(const std::string& object, const std::vector<std::string>& fields, ReadResult& out,
            std::string& error) override {
    fs::path jsonl = fs::path(dir_) / (object + ".jsonl");
    fs::path csv = fs::path(dir_) / (object + ".csv");
    std::error_code ec;
    if (fs::is_regular_file(jsonl, ec)) return ReadJsonl(jsonl, object + ".jsonl", fields, out, error);
    if (fs::is_regular_file(csv, ec)) return ReadCsv(csv, object + ".csv", fields, out, error);
    error = "no `" + object + ".jsonl` or `" + object + ".csv` in " + dir_;
    return false;
  }

  bool Upsert(const std::string& object, const std::string& key_field,
              const std::vector<std::pair<std::string, Value>>& record, std::string& id, std::string& error) override {
    Pending& p = pending_[object];
    if (!p.loaded) {
      p.loaded = true;
      std::ifstream in(fs::path(dir_) / (object + ".jsonl"));
      std::string line;
      while (std::getline(in, line)) p.lines.push_back(line);
    }
    json rec = json::object();
    for (const auto& [k, v] : record) rec[k] = ToJson(v);
    if (!rec.contains(key_field) || rec[key_field].is_null()) {
      error = "no value for the key `" + key_field + "`";
      return false;
    }
    id = rec[key_field].is_string() ? rec[key_field].get<std::string>() : rec[key_field].dump();
    if (p.by_key.empty()) {
      for (size_t i = 0; i < p.lines.size(); ++i) {
        json j = json::parse(p.lines[i], nullptr, false);
        if (j.is_object() && j.contains(key_field)) {
          const json& k = j[key_field];
          p.by_key[k.is_string() ? k.get<std::string>() : k.dump()] = i;
        }
      }
    }
    auto it = p.by_key.find(id);
    if (it == p.by_key.end()) {
      p.by_key[id] = p.lines.size();
      p.lines.push_back(rec.dump());
    } else {
      json j = json::parse(p.lines[it->second]);
      for (auto f = rec.begin(); f != rec.end(); ++f) j[f.key()] = f.value();
      p.lines[it->second] = j.dump();
    }
    p.dirty = true;
    return true;
  }

  bool Commit(std::string& error) override {
    for (auto& [object, p] : pending_) {
      if (!p.dirty) continue;
      fs::path path = fs::path(dir_) / (object + ".jsonl");
      fs::path tmp = path;
      tmp += ".tmp";
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
          error = "cannot write " + tmp.string();
          return false;
        }
        for (const std::string& l : p.lines) out << l << "\n";
      }
      std::error_code ec;
      fs::rename(tmp, path, ec);
      if (ec) {
        error = "cannot replace " + path.string() + ": " + ec.message();
        return false;
      }
      p.dirty = false;
    }
    return true;
  }

 private:
  struct Pending {
    bool loaded = false;
    bool dirty = false;
    std::vector<std::string> lines;
    std::map<std::string, size_t> by_key;
  };

  static bool ReadJsonl(const fs::path& path, const std::string& name, const std::vector<std::string>& fields,
                        ReadResult& out, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error = "cannot read " + path.string();
      return false;
    }
    std::string line;
    int64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines are not records
      ++out.lines;
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        out.bad.push_back(BadLine{name, n, j.is_discarded() ? "malformed JSON" : "not a JSON object"});
        continue;
      }
      Record r;
      r.file = name;
      r.line = n;
      if (fields.empty()) {
        for (auto it = j.begin(); it != j.end(); ++it) r.fields.emplace(it.key(), FromJson(it.value()));
      } else {
        for (const std::string& f : fields) {
          auto it = j.find(f);
          r.fields.emplace(f, it == j.end() ? Value::Null() : FromJson(*it));
        }
      }
      out.records.push_back(std::move(r));
    }
    return true;
  }

  static bool ReadCsv(const fs::path& path, const std::string& name, const std::vector<std::string>& fields,
                      ReadResult& out, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line)) {
      error = "cannot read the header of " + path.string();
      return false;
    }
    std::vector<std::string> header = connectors::SplitCsvLine(line);
    std::vector<std::pair<std::string, long>> cols;  // field -> column (-1: absent)
    if (fields.empty()) {
      for (size_t i = 0; i < header.size(); ++i) cols.emplace_back(header[i], static_cast<long>(i));
    } else {
      for (const std::string& f : fields) {
        auto it = std::find(header.begin(), header.end(), f);
        cols.emplace_back(f, it == header.end() ? -1 : static_cast<long>(it - header.begin()));
      }
    }
    int64_t n = 1;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      ++out.lines;
      std::vector<std::string> cells = connectors::SplitCsvLine(line);
      if (cells.size() != header.size()) {
        out.bad.push_back(BadLine{name, n, "CSV line has " + std::to_string(cells.size()) + " cells, the header " +
                                               std::to_string(header.size())});
        continue;
      }
      Record r;
      r.file = name;
      r.line = n;
      for (const auto& [f, c] : cols) {
        r.fields.emplace(f, c < 0 || cells[c].empty() ? Value::Null() : Value::String(cells[c]));
      }
      out.records.push_back(std::move(r));
    }
    return true;
  }

  std::string dir_;
  std::map<std::string, Pending> pending_;
};

}  // namespace

std::unique_ptr<Connector> OpenFiles(const std::string& dir, std::string& error) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = "`" + dir + "` is not a directory";
    return nullptr;
  }
  return std::make_unique<FileConnector>(dir);
}

}  // namespace crmx::connectors
