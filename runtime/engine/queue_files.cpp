// Defines the queue files (queue_files.h).
#include "runtime/engine/queue_files.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

namespace crmx::engine {

namespace {

constexpr const char* kNames[] = {"quality.jsonl",  "held.jsonl",         "waiting.jsonl", "errors.jsonl",
                                  "retrying.jsonl", "dead_letters.jsonl", "deleted.jsonl", "flags.jsonl"};

void AppendStrings(connectors::RawBuffer& out, const std::vector<std::string>& items) {
  out.Put("[");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.Put(",");
    out.PutJsonString(items[i]);
  }
  out.Put("]");
}

// Removes the temporary queue files (`NAME.tmp-PID`) of runs that were killed before their end
// (their process is gone): each would otherwise stay, up to a whole run's queue lines. A file
// whose process still runs (or whose pid was reused) is left alone.
void RemoveStaleTemps(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    for (const char* n : kNames) {
      std::string prefix = std::string(n) + ".tmp-";
      if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
      long pid = 0;
      const char* digits = name.data() + prefix.size();
      auto [end, err] = std::from_chars(digits, name.data() + name.size(), pid);
      if (err != std::errc() || end != name.data() + name.size() || pid <= 0 || pid == ::getpid()) break;
      if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) {
        std::error_code rm;
        std::filesystem::remove(e.path(), rm);
      }
      break;
    }
  }
}

}  // namespace

std::unique_ptr<QueueFiles> QueueFiles::Open(const std::string& dir, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  RemoveStaleTemps(dir);
  std::unique_ptr<QueueFiles> q(new QueueFiles());
  q->dir_ = dir;
  for (int f = 0; f < kFiles; ++f) {
    q->final_[f] = (std::filesystem::path(dir) / kNames[f]).string();
    q->temp_[f] = q->final_[f] + ".tmp-" + std::to_string(::getpid());
    q->files_[f] = std::fopen(q->temp_[f].c_str(), "wb");
    if (q->files_[f] == nullptr) {
      error = "cannot write the queue file " + q->temp_[f] + ": " + std::strerror(errno);
      return nullptr;
    }
  }
  return q;
}

QueueFiles::~QueueFiles() {
  for (std::FILE* f : files_)
    if (f) std::fclose(f);
  // A run that did not finish: the previous run's files stay.
  if (!finished_) {
    std::error_code ec;
    for (const std::string& t : temp_)
      if (!t.empty()) std::filesystem::remove(t, ec);
  }
}

connectors::RawBuffer& QueueFiles::Begin(File f, const std::string& map, const std::string& key) {
  connectors::RawBuffer& out = lines_[f];
  out.Reserve(kBuffer + kBuffer / 4);
  // `{"map":NAME,"key":` of the last map, kept: a run queues the lines of one map after another.
  if (map != map_ || map_prefix_.empty()) {
    map_ = map;
    map_prefix_ = "{\"map\":";
    connectors::AppendJsonString(map_prefix_, map);
    map_prefix_ += ",\"key\":";
  }
  out.Put(map_prefix_);
  if (key.empty()) out.Put("null");
  else out.PutJsonString(key);
  return out;
}

void QueueFiles::End(File f) {
  connectors::RawBuffer& out = lines_[f];
  out.Put("}\n");
  if (out.size() >= kBuffer) WriteOut(f);
}

void QueueFiles::WriteOut(File f) {
  connectors::RawBuffer& out = lines_[f];
  failed_ = failed_ || (!out.empty() && std::fwrite(out.data(), 1, out.size(), files_[f]) != out.size());
  out.clear();
}

void QueueFiles::Add(const std::string& map, const std::string& queue, const QueueItem& item) {
  File f = queue == "data_quality" ? kQuality
           : queue == "held"       ? kHeld
           : queue == "waiting"    ? kWaiting
           : queue == "retrying"   ? kRetrying
           : queue == "dead_letter" ? kDeadLetters
           : queue == "deleted"    ? kDeleted
                                   : kErrors;
  connectors::RawBuffer& out = Begin(f, map, item.key);
  out.Put(",\"file\":");
  out.PutJsonString(item.file);
  out.Put(",\"line\":");
  char* p = out.Room(24);
  out.Commit(std::to_chars(p, p + 24, item.line).ptr);
  out.Put(",\"reasons\":");
  AppendStrings(out, item.reasons);
  if (f == kQuality) {
    out.Put(",\"fields\":");
    AppendStrings(out, item.fields);
  }
  End(f);
}

void QueueFiles::Flag(const std::string& map, const std::string& key, const std::string& flag) {
  connectors::RawBuffer& out = Begin(kFlags, map, key);
  // `,"flag":FLAG}` of the last flag, kept: a map raises a few flags over and over.
  if (flag != flag_ || flag_suffix_.empty()) {
    flag_ = flag;
    flag_suffix_ = ",\"flag\":";
    connectors::AppendJsonString(flag_suffix_, flag);
  }
  out.Put(flag_suffix_);
  End(kFlags);
}

bool QueueFiles::Finish(std::string& error) {
  for (int f = 0; f < kFiles; ++f) {
    if (files_[f] == nullptr) continue;
    WriteOut(static_cast<File>(f));
    if (std::fclose(files_[f]) != 0) failed_ = true;
    files_[f] = nullptr;
  }
  if (failed_) {
    error = "cannot write the queue files in " + dir_;
    return false;
  }
  for (int f = 0; f < kFiles; ++f) {
    if (std::rename(temp_[f].c_str(), final_[f].c_str()) != 0) {
      error = "cannot replace the queue file " + final_[f] + ": " + std::strerror(errno);
      return false;
    }
  }
  finished_ = true;
  return true;
}

}  // namespace crmx::engine
