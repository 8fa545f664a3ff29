// Defines the queue files: a QueueSink (engine.h) writing a run's queues as JSON Lines into a
// folder, one file per queue, for people and scripts to pick up (docs/operations.md):
//   quality.jsonl  records failing a `require`   {"map","key","file","line","reasons","fields"}
//   held.jsonl     records parked by `hold`       {"map","key","file","line","reasons"}
//   waiting.jsonl  records whose `ref` is missing {"map","key","file","line","reasons"}
//   errors.jsonl   malformed lines, expression errors {"map","key","file","line","reasons"}
//   retrying.jsonl writes that failed and are due again  {"map","key","file","line","reasons"}
//   dead_letters.jsonl writes given up (retries exhausted, not retriable) {... "reasons","fields"}
//   deleted.jsonl  records deleted at the source   {"map","key","file","line","reasons"}
//   flags.jsonl    flags on written records       {"map","key","flag"}
// Every file is created (empty when nothing was queued) and replaced by each run; lines are in
// the order the records were read. `key` is null when the record has none.
//
// A run writes `NAME.tmp-PID` files and renames them into place in Finish: a run that fails
// (or never finishes) leaves the previous run's files as they were, and its temporaries go.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "runtime/connectors/raw_json.h"
#include "runtime/engine/engine.h"

namespace crmx::engine {

class QueueFiles : public QueueSink {
 public:
  // Opens the temporaries in `dir` (created when missing), after removing those runs that were
  // killed left behind (their process gone). Null with `error` on failure.
  static std::unique_ptr<QueueFiles> Open(const std::string& dir, std::string& error);
  ~QueueFiles() override;

  void Add(const std::string& map, const std::string& queue, const QueueItem& item) override;
  void Flag(const std::string& map, const std::string& key, const std::string& flag) override;
  // Closes the temporaries and renames them over the queue files.
  bool Finish(std::string& error) override;

 private:
  enum File { kQuality, kHeld, kWaiting, kErrors, kRetrying, kDeadLetters, kDeleted, kFlags, kFiles };
  QueueFiles() = default;
  // The line of `map` and `key` begun in the file's buffer (`{"map":...,"key":...`), returned
  // for the caller to add its members; End closes it and writes the buffer out when full.
  connectors::RawBuffer& Begin(File f, const std::string& map, const std::string& key);
  void End(File f);
  void WriteOut(File f);

  std::string dir_;
  std::string final_[kFiles], temp_[kFiles];  // the queue files and their temporaries
  std::FILE* files_[kFiles] = {};
  // Each file's lines not yet written: large, so that a queue of a hundred thousand lines is a
  // few dozen write calls, not thousands (reserved when the file gets its first line).
  static constexpr size_t kBuffer = 256 * 1024;
  connectors::RawBuffer lines_[kFiles];
  bool finished_ = false;
  std::string map_, map_prefix_;  // the last map and its lines' `{"map":NAME,"key":`
  std::string flag_, flag_suffix_;  // the last flag and its lines' `,"flag":FLAG`
  bool failed_ = false;
};

}  // namespace crmx::engine
