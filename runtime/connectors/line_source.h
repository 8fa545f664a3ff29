// Defines LineSource: the lines of a file, read in large chunks, for the JSONL and CSV
// readers. A line handed out stays valid (in place in the buffer) until Refill(), which the
// readers call only between batches: the values of a batch may borrow text from their lines.
// The buffer keeps `padding` readable bytes after the data (simdjson reads up to 64 bytes past
// the end of a document). A UTF-8 byte-order mark at the start of the file (Excel, Salesforce
// Data Loader) is skipped: it is not part of the first line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/connectors/connector.h"

namespace crmx::connectors {

class LineSource {
 public:
  LineSource(std::FILE* f, size_t padding) : f_(f), padding_(padding), buf_(kChunk + padding) {
    if (std::fseek(f_, 0, SEEK_END) == 0) total_ = static_cast<uint64_t>(std::ftell(f_));
    std::fseek(f_, 0, SEEK_SET);
  }
  ~LineSource() { std::fclose(f_); }
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  // The next complete line in the buffer (without its "\n" and a "\r" before it), or false
  // when the buffer holds no complete line (call Refill) or the file ended. `number` is the
  // line's 1-based number. `room` is how many bytes may be read from the line's start.
  bool NextLine(std::string_view& line, int64_t& number, size_t& room) {
    if (pos_ >= have_) return false;
    const char* start = buf_.data() + pos_;
    const void* nl = std::memchr(start, '\n', have_ - pos_);
    size_t len;
    if (nl != nullptr) {
      len = static_cast<size_t>(static_cast<const char*>(nl) - start);
      pos_ += len + 1;
    } else if (eof_) {
      len = have_ - pos_;  // the last line has no "\n"
      pos_ = have_;
    } else {
      return false;
    }
    room = buf_.size() - static_cast<size_t>(start - buf_.data());
    number = ++line_;
    line = std::string_view(start, len > 0 && start[len - 1] == '\r' ? len - 1 : len);
    return true;
  }

  // Moves the unread part to the front and reads more: false at the end of the file (and
  // when nothing is left). Invalidates every line handed out before. Grows the buffer for a
  // line longer than it.
  bool Refill(std::string& error) {
    if (eof_ && pos_ >= have_) return false;
    bool first = done_ == 0 && pos_ == 0 && have_ == 0 && !eof_;
    std::memmove(buf_.data(), buf_.data() + pos_, have_ - pos_);
    have_ -= pos_;
    done_ += pos_;
    pos_ = 0;
    if (have_ + padding_ == buf_.size()) buf_.resize(buf_.size() * 2);  // a very long line
    size_t n = std::fread(buf_.data() + have_, 1, buf_.size() - padding_ - have_, f_);
    if (n == 0) {
      if (std::ferror(f_)) {
        error = std::string("read failed: ") + std::strerror(errno);
        return false;
      }
      eof_ = true;
    }
    have_ += n;
    std::memset(buf_.data() + have_, 0, padding_);
    // Checked once, on the first chunk (which holds the whole start of the file).
    if (first && have_ >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
    return have_ > 0;
  }

  // For readers whose records span lines (CSV quoted cells): the bytes read and not yet
  // consumed, valid until Refill; AtEnd() when no more bytes will follow them.
  std::string_view Unread() const { return std::string_view(buf_.data() + pos_, have_ - pos_); }
  bool AtEnd() const { return eof_; }
  // Consumes the first `bytes` of Unread(), which hold `lines` lines (a record spanning
  // lines); returns the 1-based number of the first of them.
  int64_t Consume(size_t bytes, int64_t lines) {
    pos_ += bytes;
    int64_t first = line_ + 1;
    line_ += lines;
    return first;
  }

  uint64_t done() const { return done_ + pos_; }
  uint64_t total() const { return total_; }

 private:
  static constexpr size_t kChunk = 256 << 10;
  std::FILE* f_;
  size_t padding_;
  std::vector<char> buf_;
  size_t pos_ = 0, have_ = 0;
  bool eof_ = false;
  int64_t line_ = 0;
  uint64_t done_ = 0, total_ = 0;
};

// A reader of a line-per-record file: batches of up to `batch` records, refilling the buffer
// only between batches (the records of a batch borrow from it). Subclasses turn one line into
// a record or a bad line.
class LineRecordReader : public RecordReader {
 public:
  LineRecordReader(std::FILE* f, size_t padding, std::string name, const ReadRequest& req)
      : src_(f, padding), name_(std::move(name)), req_(req) {}

  bool Next(RecordBatch& out) override {
    out.Clear();
    out.width = req_.fields.size();
    out.file = name_;
    out.values.reserve(req_.batch * out.width);
    for (;;) {
      std::string_view line;
      int64_t number = 0;
      size_t room = 0;
      while (out.size() < req_.batch && src_.NextLine(line, number, room)) Record(line, number, room, out);
      if (out.size() >= req_.batch || !out.lines.empty() || !out.bad.empty()) return true;
      if (!src_.Refill(error_)) return false;
    }
  }
  uint64_t Done() const override { return src_.done(); }
  uint64_t Total() const override { return src_.total(); }

 protected:
  // Appends the record of `line` (its values and line number) or a bad line to `out`; `room`
  // is how many bytes may be read from the line's start.
  virtual void Record(std::string_view line, int64_t number, size_t room, RecordBatch& out) = 0;

  LineSource src_;
  std::string name_;
  ReadRequest req_;
};

}  // namespace crmx::connectors
