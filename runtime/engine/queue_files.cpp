// Defines the queue files (queue_files.h).
#include "runtime/engine/queue_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace crmx::engine {

namespace {

constexpr size_t kBuffer = 256 * 1024;

constexpr const char* kNames[] = {"quality.jsonl",  "held.jsonl",         "waiting.jsonl", "errors.jsonl",
                                  "retrying.jsonl", "dead_letters.jsonl", "deleted.jsonl", "flags.jsonl"};

void AppendStrings(std::string& out, const std::vector<std::string>& items) {
  out.push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    connectors::AppendJsonString(out, items[i]);
  }
  out.push_back(']');
}

void AppendKey(std::string& out, const std::string& map, const std::string& key) {
  out += "{\"map\":";
  connectors::AppendJsonString(out, map);
  out += ",\"key\":";
  if (key.empty()) out += "null"; else connectors::AppendJsonString(out, key);
}

}  // namespace

std::unique_ptr<QueueFiles> QueueFiles::Open(const std::string& dir, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
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
    q->buffers_[f] = std::make_unique_for_overwrite<char[]>(kBuffer);
    std::setvbuf(q->files_[f], q->buffers_[f].get(), _IOFBF, kBuffer);
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

void QueueFiles::Write(File f) {
  line_ += "}\n";
  failed_ = failed_ || std::fwrite(line_.data(), 1, line_.size(), files_[f]) != line_.size();
}

void QueueFiles::Add(const std::string& map, const std::string& queue, const QueueItem& item) {
  File f = queue == "data_quality" ? kQuality
           : queue == "held"       ? kHeld
           : queue == "waiting"    ? kWaiting
           : queue == "retrying"   ? kRetrying
           : queue == "dead_letter" ? kDeadLetters
           : queue == "deleted"    ? kDeleted
                                   : kErrors;
  line_.clear();
  AppendKey(line_, map, item.key);
  line_ += ",\"file\":";
  connectors::AppendJsonString(line_, item.file);
  line_ += ",\"line\":" + std::to_string(item.line) + ",\"reasons\":";
  AppendStrings(line_, item.reasons);
  if (f == kQuality) {
    line_ += ",\"fields\":";
    AppendStrings(line_, item.fields);
  }
  Write(f);
}

void QueueFiles::Flag(const std::string& map, const std::string& key, const std::string& flag) {
  line_.clear();
  AppendKey(line_, map, key);
  line_ += ",\"flag\":";
  connectors::AppendJsonString(line_, flag);
  Write(kFlags);
}

bool QueueFiles::Finish(std::string& error) {
  for (std::FILE*& f : files_) {
    if (f && std::fclose(f) != 0) failed_ = true;
    f = nullptr;
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
