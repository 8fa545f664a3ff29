// Defines EarlyWriteback: a file's written bytes sent to the disk by a background thread while
// the writer goes on, so that the fsync which makes the file durable (the writer's to make,
// still) finds little left to write, and the wait for the disk overlaps the writer's work
// instead of following it. Linux's sync_file_range; a writer on another system, or one that
// never writes `step` bytes, starts no thread and leaves it all to the fsync.
//
// A failed writeback is kept and Stop says it (the caller's fsync might no longer see it: the
// kernel reports a writeback error once per open file), so nothing it wrote is given up silently.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace crmx::connectors {

class EarlyWriteback {
 public:
  // Sends the bytes in runs of at least `step` (4 MiB: the writer is well ahead of the disk).
  explicit EarlyWriteback(uint64_t step = uint64_t{4} << 20) : step_(step) {}
  ~EarlyWriteback();
  EarlyWriteback(const EarlyWriteback&) = delete;
  EarlyWriteback& operator=(const EarlyWriteback&) = delete;

  // The bytes [0, end) of the file `fd` (named `path` in errors) are in the kernel's hands
  // (written). The same fd and path for every call until Stop.
  void Written(int fd, const std::string& path, uint64_t end);
  // Waits for the thread to send what Written asked for; false with `error` when a writeback
  // failed. Before the fd is closed.
  bool Stop(std::string& error);

 private:
  void Loop();

  const uint64_t step_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  int fd_ = -1;
  std::string path_;
  uint64_t asked_ = 0;  // written up to here: to be sent (the writer's thread sets it)
  uint64_t sent_ = 0;   // sent and waited for up to here (the background thread's)
  bool stop_ = false;
  std::string error_;  // the first failed writeback
};

}  // namespace crmx::connectors
