// Implements EarlyWriteback (early_writeback.h).
#include "runtime/connectors/early_writeback.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace crmx::connectors {

EarlyWriteback::~EarlyWriteback() {
  std::string ignored;
  Stop(ignored);
}

void EarlyWriteback::Written(int fd, const std::string& path, uint64_t end) {
#ifdef __linux__
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_ || end < asked_ + step_) return;
    fd_ = fd;
    if (path_.empty()) path_ = path;
    asked_ = end;
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  wake_.notify_one();
#else
  (void)fd;
  (void)path;
  (void)end;
#endif
}

void EarlyWriteback::Loop() {
#ifdef __linux__
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || asked_ > sent_; });
    if (asked_ == sent_) return;  // stopped, everything asked for sent
    const uint64_t from = sent_, to = asked_;
    const int fd = fd_;
    lock.unlock();
    // Started and waited for: one run in flight at a time, paced by the disk.
    int rc = ::sync_file_range(fd, static_cast<off64_t>(from), static_cast<off64_t>(to - from),
                               SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    int saved = errno;
    lock.lock();
    if (rc != 0 && error_.empty()) error_ = "cannot write " + path_ + " to the disk: " + std::strerror(saved);
    sent_ = to;
  }
#endif
}

bool EarlyWriteback::Stop(std::string& error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (error_.empty()) return true;
  error = error_;
  return false;
}

}  // namespace crmx::connectors
