// Defines `Value`, the run-time value of crmx expressions: null, bool, int, uint, double, exact
// decimal, string, bytes, list, map, timestamp, duration, type, and error (a failure carrying
// its reason: CEL's errors as values, and `hold "reason"`).
//
// Representation: a tagged union of 48 bytes. Scalars (null, bool, int, uint, double, decimal,
// timestamp, duration, type) are stored inline: copying them never allocates. Strings and
// bytes are either
//   - owned: the bytes live in a reference-counted heap buffer shared by every copy, or
//   - borrowed (`StringView`, `BytesView`): the Value points at bytes it does not own. The
//     caller guarantees the bytes outlive every copy of the Value. The runtime uses this for
//     fields of a record read into an input buffer: the buffer lives as long as the record's
//     evaluation, and anything that must outlive it (an output record) is copied with
//     `Owned()`.
// Lists, maps and errors live on the heap, reference-counted and immutable once shared (the
// VM appends in place only to a list it holds the one reference to).
//
// Reference counts are not atomic: a Value and its copies belong to one thread (one VM).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/decimal/decimal.h"

namespace crmx::value {

using decimal::Decimal;

enum class Kind : uint8_t {
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kDecimal,
  kString,
  kBytes,
  kList,
  kMap,
  kTimestamp,
  kDuration,
  kType,
  kError,
};

// A point in time (seconds since the Unix epoch, UTC) or a span of time. `nanos` has the sign
// of `seconds` for durations (CEL / protobuf), and is 0..999'999'999 for timestamps.
struct Time {
  int64_t seconds = 0;
  int32_t nanos = 0;
};

// CEL's range of timestamps: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, and of
// durations: about +-10000 years.
inline constexpr int64_t kMinTimestampSeconds = -62135596800;
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;
inline constexpr int64_t kMaxDurationSeconds = 315576000000;

class Value;

// The shared part of strings, lists, maps and errors.
struct HeapObject {
  explicit HeapObject(Kind k) : kind(k) {}
  virtual ~HeapObject() = default;
  uint32_t refs = 1;
  Kind kind;
};

struct StringObject : HeapObject {
  explicit StringObject(std::string s) : HeapObject(Kind::kString), text(std::move(s)) {}
  std::string text;
};

struct ListObject : HeapObject {
  // Defined after Value (below): clang needs Value complete for ~vector<Value>.
  ListObject();
  ~ListObject() override;
  std::vector<Value> items;
};

// Entries in insertion order; keys are unique under CEL equality (1, 1u and 1.0 are one key).
// Entries are added while the map is built, never after (a Find may have indexed them).
struct MapObject : HeapObject {
  MapObject();
  ~MapObject() override;
  std::vector<std::pair<Value, Value>> entries;
  // The entry with key `key`, or null. A map of kIndexedAt or more entries (a lookup table)
  // answers a string key from a hash index of its string keys, built by its first Find: a
  // lookup does not compare the key with every entry.
  const Value* Find(const Value& key) const;
  static constexpr size_t kIndexedAt = 16;

 private:
  struct KeyIndex;
  const KeyIndex* Index() const;
  mutable std::atomic<KeyIndex*> index_{nullptr};  // built once; threads may race to build it
};

struct ErrorObject : HeapObject {
  ErrorObject(std::string r, bool h) : HeapObject(Kind::kError), reason(std::move(r)), hold(h) {}
  std::string reason;
  bool hold;  // `hold "reason"`: park the record for review, not an error
};

class Value {
 public:
  Value() : kind_(Kind::kNull) {}
  ~Value() { Release(); }
  Value(const Value& o) : kind_(o.kind_), size_(o.size_), u_(o.u_) { Retain(); }
  Value(Value&& o) noexcept : kind_(o.kind_), size_(o.size_), u_(o.u_) { o.kind_ = Kind::kNull; }
  Value& operator=(const Value& o) {
    if (this != &o) {
      o.Retain();
      Release();
      kind_ = o.kind_;
      size_ = o.size_;
      u_ = o.u_;
    }
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      Release();
      kind_ = o.kind_;
      size_ = o.size_;
      u_ = o.u_;
      o.kind_ = Kind::kNull;
    }
    return *this;
  }

  static Value Null() { return Value(); }
  static Value Bool(bool b) { Value v(Kind::kBool); v.u_.b = b; return v; }
  static Value Int(int64_t i) { Value v(Kind::kInt); v.u_.i = i; return v; }
  static Value Uint(uint64_t u) { Value v(Kind::kUint); v.u_.u = u; return v; }
  static Value Double(double d) { Value v(Kind::kDouble); v.u_.d = d; return v; }
  static Value Dec(Decimal d) { Value v(Kind::kDecimal); v.u_.dec = d; return v; }
  static Value String(std::string s) { return Owned(Kind::kString, std::move(s)); }
  static Value Bytes(std::string s) { return Owned(Kind::kBytes, std::move(s)); }
  // Borrowed text: `s` must outlive the Value and its copies (see the file comment).
  static Value StringView(std::string_view s) { return Borrowed(Kind::kString, s); }
  static Value BytesView(std::string_view s) { return Borrowed(Kind::kBytes, s); }
  static Value List(std::vector<Value> items);
  // Builds a map; a repeated key is an error value ("repeated map key").
  static Value Map(std::vector<std::pair<Value, Value>> entries);
  // Validated by the caller: within the CEL ranges above.
  static Value Timestamp(Time t) { Value v(Kind::kTimestamp); v.u_.t = t; return v; }
  static Value Duration(Time t) { Value v(Kind::kDuration); v.u_.t = t; return v; }
  // A type value (`type(1)` is `int`): `name` is a string with static storage ("int", "list").
  static Value Type(const char* name) { Value v(Kind::kType); v.u_.type = name; return v; }
  static Value Error(std::string reason) { return Heap(new ErrorObject(std::move(reason), false)); }
  static Value Hold(std::string reason) { return Heap(new ErrorObject(std::move(reason), true)); }

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsError() const { return kind_ == Kind::kError; }
  bool IsBool() const { return kind_ == Kind::kBool; }
  bool IsTrue() const { return kind_ == Kind::kBool && u_.b; }
  bool IsFalse() const { return kind_ == Kind::kBool && !u_.b; }
  bool IsNumber() const {
    return kind_ == Kind::kInt || kind_ == Kind::kUint || kind_ == Kind::kDouble || kind_ == Kind::kDecimal;
  }

  // Accessors: calling one for another kind is a broken invariant.
  bool AsBool() const { return u_.b; }
  int64_t AsInt() const { return u_.i; }
  uint64_t AsUint() const { return u_.u; }
  double AsDouble() const { return u_.d; }
  const Decimal& AsDecimal() const { return u_.dec; }
  // kString and kBytes.
  std::string_view AsText() const { return {u_.s.data, size_}; }
  const std::vector<Value>& AsList() const { return static_cast<const ListObject*>(u_.s.owner)->items; }
  const MapObject& AsMap() const { return *static_cast<const MapObject*>(u_.s.owner); }
  Time AsTime() const { return u_.t; }
  const char* AsTypeName() const { return u_.type; }
  const std::string& ErrorReason() const { return static_cast<const ErrorObject*>(u_.s.owner)->reason; }
  bool IsHold() const { return kind_ == Kind::kError && static_cast<const ErrorObject*>(u_.s.owner)->hold; }

  // Strings/bytes: true when the bytes are borrowed.
  bool IsBorrowed() const { return (kind_ == Kind::kString || kind_ == Kind::kBytes) && u_.s.owner == nullptr; }
  // A copy that owns everything it holds (borrowed text copied, also inside lists and maps).
  Value Owned() const;
  // A string (bytes) value of `part`, a piece of this one's text: it shares this value's bytes
  // (no copy) and keeps them alive as this value does (borrowed stays borrowed).
  Value Slice(std::string_view part) const {
    Value v(kind_);
    v.u_.s.data = part.data();
    v.u_.s.owner = u_.s.owner;
    v.size_ = static_cast<uint32_t>(part.size());
    v.Retain();
    return v;
  }

  // Appends to a list held by this Value alone (copying the list first when it is shared).
  void Append(Value item);

 private:
  explicit Value(Kind k) : kind_(k) {}
  static Value Owned(Kind k, std::string s);
  static Value Borrowed(Kind k, std::string_view s);
  static Value Heap(HeapObject* o) {
    Value v(o->kind);
    v.u_.s.data = nullptr;
    v.u_.s.owner = o;
    return v;
  }
  // The kinds whose payload holds a heap object (or none: borrowed text), always in u_.s.owner:
  // a copy or a drop tests one bit and one pointer, not a switch over the kinds.
  static constexpr uint32_t kOwnerKinds = 1u << static_cast<unsigned>(Kind::kString) |
                                          1u << static_cast<unsigned>(Kind::kBytes) |
                                          1u << static_cast<unsigned>(Kind::kList) |
                                          1u << static_cast<unsigned>(Kind::kMap) |
                                          1u << static_cast<unsigned>(Kind::kError);
  HeapObject* Object() const {
    return ((kOwnerKinds >> static_cast<unsigned>(kind_)) & 1u) != 0 ? u_.s.owner : nullptr;
  }
  void Retain() const {
    if (HeapObject* o = Object()) ++o->refs;
  }
  void Release() {
    if (HeapObject* o = Object()) {
      if (--o->refs == 0) delete o;
    }
  }

  Kind kind_;
  uint32_t size_ = 0;  // kString, kBytes: the length
  union Payload {
    Payload() : i(0) {}
    int64_t i;
    bool b;
    uint64_t u;
    double d;
    Decimal dec;
    Time t;
    const char* type;
    // kString, kBytes: the text, and its owner (null when borrowed); kList, kMap, kError: the
    // object in `owner` (data null).
    struct {
      const char* data;
      HeapObject* owner;
    } s;
  } u_;
};

// ---------------------------------------------------------------------------- CEL semantics

// CEL equality (`==`): numbers compare by value across int, uint, double and decimal; other
// kinds equal only themselves; lists element-wise, maps by keys; NaN equals nothing. Values
// of different kinds are not equal (no error). Errors are the caller's concern.
bool Equal(const Value& a, const Value& b);

// CEL ordering for `<` `<=` `>` `>=`: numbers across kinds, strings and bytes bytewise, bools,
// timestamps, durations. -1, 0, 1; 2 when unordered (NaN); nullopt when the kinds do not order.
enum class Order : int8_t { kLess = -1, kEqual = 0, kGreater = 1, kUnordered = 2, kNoOverload = 3 };
Order Compare(const Value& a, const Value& b);

// The CEL type name of a value: "int", "list", "map", "google.protobuf.Timestamp", "error".
const char* TypeName(const Value& v);

// Text of the value for people and for `crmxc eval`: 1, 2u, 1.5, 19.99m, "text" (quoted,
// escaped), b"..", [1, 2], {"k": 1}, timestamp("2024-01-01T00:00:00Z"), duration("1.5s"),
// int (types), error(reason). Without `decimal_suffix`, decimals are written as a spec writes
// them in a record literal (19.99, not 19.99m).
std::string Display(const Value& v, bool decimal_suffix = true);

// Go's strconv.FormatFloat(d, 'g', -1, 64), which CEL's `string(double)` follows: "1.5",
// "1e+06", "1e-05", "NaN", "+Inf", "-Inf".
std::string FormatDouble(double d);
// "2009-02-13T23:31:30Z", "...30.5Z": RFC 3339 in UTC with the fraction only when non-zero.
std::string FormatTimestamp(Time t);
// "1.5s", "-0.000000001s", "3600s": seconds with up to 9 fraction digits (protobuf JSON).
std::string FormatDuration(Time t);
// RFC 3339 text ("2009-02-13T23:31:30Z", "...+01:00", fractions up to 9 digits). False on
// malformed text or outside CEL's range.
bool ParseTimestamp(std::string_view text, Time& out);
// Go duration text ("1h30m", "1.5s", "-2ms", "100ns", "0"). False on malformed text or
// outside CEL's range.
bool ParseDuration(std::string_view text, Time& out);
// Normalizes seconds + nanos (nanos any int64) into a Time with nanos of the sign of
// seconds (durations) or 0..1e9 (timestamps). False on int64 overflow.
bool MakeDuration(int64_t seconds, int64_t nanos, Time& out);
bool MakeTimestamp(int64_t seconds, int64_t nanos, Time& out);

inline ListObject::ListObject() : HeapObject(Kind::kList) {}
inline ListObject::~ListObject() = default;
inline MapObject::MapObject() : HeapObject(Kind::kMap) {}

}  // namespace crmx::value
