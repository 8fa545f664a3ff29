// Declares the JSON writing of connector.h (AppendJsonString, AppendField) into a raw buffer,
// for writers that keep their own (the JSONL writer): the caller makes room for a value's
// bound once, then the value is written with no capacity check per byte or per append.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "runtime/connectors/connector.h"

namespace crmx::connectors {

// A JSON string's bound and its writer (runtime/value/json_string.h).
using value::JsonStringBound;
using value::WriteJsonString;

// The most bytes WriteField writes for `v` (text, null, booleans, integers, decimals); 0 for
// the values it leaves to AppendField (doubles, dates, lists, maps, ...).
inline size_t FieldBound(const value::Value& v) {
  switch (v.kind()) {
    case value::Kind::kString: return JsonStringBound(v.AsText().size());
    case value::Kind::kNull:
    case value::Kind::kBool: return 5;
    case value::Kind::kInt:
    case value::Kind::kUint: return 20;
    case value::Kind::kDecimal: return decimal::Decimal::kMaxChars;
    default: return 0;
  }
}
// Writes what AppendField appends for `v` (FieldBound(v) > 0) at `p`; returns the end.
char* WriteField(char* p, const value::Value& v, const plan::TargetField& field);

// A growing byte buffer written through raw pointers: Room(n) makes room for `n` more bytes
// (one capacity check), the caller writes there and Commits where it ended.
class RawBuffer {
 public:
  char* Room(size_t n) {
    if (cap_ - len_ < n) Grow(n);
    return data_.get() + len_;
  }
  void Commit(char* end) { len_ = static_cast<size_t>(end - data_.get()); }
  void Put(std::string_view text) {
    std::memcpy(Room(text.size()), text.data(), text.size());
    len_ += text.size();
  }
  // `s` as a JSON string (AppendJsonString's bytes).
  void PutJsonString(std::string_view s) { Commit(WriteJsonString(Room(JsonStringBound(s.size())), s)); }
  // Room for `n` bytes in all, so that the buffer does not grow below that.
  void Reserve(size_t n) {
    if (cap_ < n) Grow(n - len_);
  }
  const char* data() const { return data_.get(); }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  void clear() { len_ = 0; }

 private:
  void Grow(size_t n);
  std::unique_ptr<char[]> data_;
  size_t len_ = 0, cap_ = 0;
};

}  // namespace crmx::connectors
