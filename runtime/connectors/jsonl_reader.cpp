// Defines the JSON Lines reader of the directory connector: one JSON object a line, parsed
// with simdjson On Demand (a UTF-8 byte-order mark before the first line is skipped). Only the
// projected keys are converted; the others are skipped without building anything. Strings
// without escapes are borrowed from the line (no copy). A dotted field reads a nested value
// ("MetaData.LastUpdatedTime"), or a key that holds the dots.
//
// Conversion follows the field's type, and a value never goes through a double unless the
// field is a double: a number is read from its token's digits (FromText: a decimal keeps every
// digit, a string field keeps the number's text, an int field refuses a fraction); a string
// is FromText's ("12.50" in a decimal field is 12.50, "true" in a bool field is true); a bool
// in a string field is its text. What does not convert is an error value naming the field and
// the value (FromText's wording: "Amount: `lots` is not a decimal number"), an object or array
// where a scalar is expected included. In a field of type `any`, objects and arrays are maps
// and lists, and numbers are ints, exact decimals (up to 38 digits) or, beyond, doubles. A
// number that is not JSON ("01", "1.2.3") makes its line a bad line ("malformed JSON").
//
// Nesting: a value of an `any` field becomes nested maps and lists by recursion, so it may be
// at most kMaxNesting arrays/objects deep; a deeper one is an error value naming the field
// ("Name: nested deeper than 64 levels") and the read goes on. Values the projection does not
// read, and values of typed fields (their JSON text is kept), are skipped by simdjson without
// recursion, at any depth.
#include <simdjson.h>

#include <atomic>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "runtime/connectors/internal.h"
#include "runtime/connectors/line_source.h"

namespace crmx::connectors {

namespace {

namespace od = simdjson::ondemand;

// Adds to JsonlFastPathLines() (defined below, with it).
void CountFastLines(uint64_t n);
using plan::FieldType;
using value::Value;

// The projected fields by name: a small open-addressing table (no allocation per lookup).
class FieldIndex {
 public:
  explicit FieldIndex(const std::vector<std::string>& fields) : names_(fields) {
    size_t cap = 16;
    while (cap < fields.size() * 4) cap *= 2;
    slots_.assign(cap, -1);
    for (size_t i = 0; i < fields.size(); ++i) {
      size_t h = Hash(fields[i]) & (cap - 1);
      while (slots_[h] >= 0) h = (h + 1) & (cap - 1);
      slots_[h] = static_cast<int>(i);
    }
  }
  int Find(std::string_view key) const {
    size_t mask = slots_.size() - 1;
    for (size_t h = Hash(key) & mask;; h = (h + 1) & mask) {
      int i = slots_[h];
      if (i < 0) return -1;
      if (names_[static_cast<size_t>(i)] == key) return i;
    }
  }

 private:
  // Every key of every line is looked up, most of them not projected: hash the length and
  // three bytes only (a collision just costs one more comparison).
  static size_t Hash(std::string_view s) {
    if (s.empty()) return 0;
    uint64_t h = s.size() * 0x9E3779B97F4A7C15ull;
    h ^= static_cast<unsigned char>(s.front()) | static_cast<uint64_t>(static_cast<unsigned char>(s.back())) << 8 |
         static_cast<uint64_t>(static_cast<unsigned char>(s[s.size() / 2])) << 16;
    h *= 0xff51afd7ed558ccdull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
  std::vector<std::string> names_;
  std::vector<int> slots_;
};

// The text of a key from just after its opening quote (`raw`, inside a line that stage 1 found
// well formed, with SIMDJSON_PADDING readable bytes after it) to its closing quote; a null view
// when the key has a backslash before its closing quote (escapes: unescape it instead). Eight
// bytes at a time: the padding keeps the reads past the quote inside the buffer.
std::string_view RawKey(const char* raw) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  const char* p = raw;
  for (;; p += 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    uint64_t quote = x ^ (kOnes * '"'), backslash = x ^ (kOnes * '\\');
    uint64_t hits = (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHighs;
    if (hits != 0) {
      // The first hit is exact (a borrow only carries past a byte that was a hit itself).
      p += __builtin_ctzll(hits) / 8;
      break;
    }
  }
  if (*p == '\\') return {};
  return std::string_view(raw, static_cast<size_t>(p - raw));
}

// The keys of the last lines, by their place in the object: lines of one export list their keys
// in the same order, so the key at place k is most likely the one that was there before, and
// comparing its bytes is cheaper than finding its end and hashing it.
class KeyOrder {
 public:
  static constexpr int kUnknown = -2;
  // The field index (or -1) of the key at place `at` whose text starts at `raw` (just after
  // its opening quote, with SIMDJSON_PADDING readable bytes after the key's closing quote) when
  // it is the key learned for that place; kUnknown otherwise.
  int Find(size_t at, const char* raw) const {
    if (at >= keys_.size()) return kUnknown;
    const Key& k = keys_[at];
    // The learned text and its closing quote, eight bytes at a time; the last piece is masked
    // (the learned text is zero-padded, the line has padding after the quote).
    size_t n = k.text.size() - 8;
    size_t i = 0;
    uint64_t a, b;
    for (; i + 8 <= n; i += 8) {
      std::memcpy(&a, raw + i, 8);
      std::memcpy(&b, k.text.data() + i, 8);
      if (a != b) return kUnknown;
    }
    if (i < n) {
      std::memcpy(&a, raw + i, 8);
      std::memcpy(&b, k.text.data() + i, 8);
      uint64_t mask = ~uint64_t{0} >> (64 - 8 * (n - i));
      if (((a ^ b) & mask) != 0) return kUnknown;
    }
    return k.field;
  }
  // Find, for the fast path: `size` is the key's text length if it ends where stage 1's next
  // structural (its colon) says, that is with no white space before the colon. A key of at
  // most 16 bytes is two eight-byte comparisons: equal bytes of the learned key (which holds no
  // quote or backslash) right up to that length mean the closing quote is right after them.
  int FindSized(size_t at, const char* raw, size_t size) const {
    if (at >= keys_.size()) return kUnknown;
    const Key& k = keys_[at];
    if (k.size != size) return kUnknown;
    uint64_t a;
    std::memcpy(&a, raw, 8);
    if (size <= 8) return ((a ^ k.head) & k.head_mask) == 0 ? k.field : kUnknown;
    if (a != k.head) return kUnknown;
    if (size > 16) return Find(at, raw);
    std::memcpy(&a, raw + size - 8, 8);
    return a == k.tail ? k.field : kUnknown;
  }
  // Remembers `key` (its text in the line: no escapes) at place `at`, `field` its index or -1.
  void Learn(size_t at, std::string_view key, int field) {
    if (at > kMaxKeys) return;
    if (at >= keys_.size()) keys_.resize(at + 1);
    Key& k = keys_[at];
    k.text.assign(key);
    k.text.push_back('"');
    k.text.append(8, '\0');
    k.field = field;
    k.size = key.size();
    k.head = 0;
    std::memcpy(&k.head, key.data(), std::min<size_t>(key.size(), 8));
    k.head_mask = key.size() >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * key.size())) - 1;
    k.tail = 0;
    if (key.size() >= 8) std::memcpy(&k.tail, key.data() + key.size() - 8, 8);
  }

 private:
  // Places beyond this are looked up by hash each time (a record with thousands of keys).
  static constexpr size_t kMaxKeys = 256;
  struct Key {
    std::string text;  // the key, its closing quote, then 8 zero bytes
    int field = -1;
    size_t size = 0;                // the key's length
    uint64_t head = 0, head_mask = 0;  // its first (up to) 8 bytes, and which bytes those are
    uint64_t tail = 0;              // its last 8 bytes (keys of 8 bytes or more)
  };
  std::vector<Key> keys_;
};

std::string_view TrimRight(std::string_view s) {
  // Nearly every token ends on a byte above the space: no loop.
  if (!s.empty() && static_cast<unsigned char>(s.back()) > ' ') return s;
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A JSON number token per the JSON grammar: simdjson On Demand hands out the token of a
// number it has not parsed ("1.2.3", "01"), and the reader converts the text itself.
bool IsJsonNumber(std::string_view t) {
  const char* p = t.data();
  const char* end = p + t.size();
  auto digit = [](const char* c) { return static_cast<unsigned>(*c - '0') < 10; };
  if (p < end && *p == '-') ++p;
  if (p == end || !digit(p)) return false;
  if (*p == '0') {
    ++p;
  } else {
    while (++p < end && digit(p)) {
    }
  }
  if (p < end && *p == '.') {
    if (++p == end || !digit(p)) return false;
    while (++p < end && digit(p)) {
    }
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    if (++p < end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !digit(p)) return false;
    while (++p < end && digit(p)) {
    }
  }
  return p == end;
}

// Cheaper than IsJsonNumber, for the conversions that parse the number anyway (which refuse
// "1.2.3", "-" and "1e"): refuses what they would accept and JSON does not, leading zeros
// ("01") and a final point ("1."); lets "1.e5" through.
bool NotPlainlyMalformed(std::string_view t) {
  if (t.empty() || t.back() < '0' || t.back() > '9') return false;
  size_t i = t[0] == '-' ? 1 : 0;
  return !(t.size() > i + 1 && t[i] == '0' && t[i + 1] >= '0' && t[i + 1] <= '9');
}

// A JSON number in a field of type `any`: an int when it is an integer that fits, else an
// exact decimal when it fits decimal::Decimal (38 digits), else (beyond 38 digits or an
// exponent out of its range) a double. Never read through a double when a decimal holds it.
Value AnyNumber(std::string_view token, std::string_view field) {
  int64_t i = 0;
  auto r = std::from_chars(token.data(), token.data() + token.size(), i);
  if (r.ec == std::errc() && r.ptr == token.data() + token.size()) return Value::Int(i);
  if (auto d = decimal::Decimal::Parse(token)) return Value::Dec(*d);
  double x = 0;
  auto rd = std::from_chars(token.data(), token.data() + token.size(), x);
  if (rd.ec == std::errc() && rd.ptr == token.data() + token.size()) return Value::Double(x);
  return Value::Error(std::string(field) + ": `" + std::string(token.substr(0, 40)) + (token.size() > 40 ? "...`" : "`") +
                      " is out of the range of a number");
}

// How many arrays and objects deep a value of an `any` field may be: its conversion recurses
// once a level (a record's own nesting is a few levels; 64 is far more than any needs, and
// far less than a thread's stack holds).
constexpr int kMaxNesting = 64;

// Generic's outcome besides its value: `ok` false makes the line a bad line; `too_deep` makes
// the field an error value.
struct GenericStatus {
  bool ok = true;
  bool too_deep = false;
};

// Any JSON value as an owned Value (lists and maps of fields typed `any`); numbers as
// AnyNumber. `depth`: the arrays and objects around `v`. Stops (too_deep) beyond kMaxNesting,
// leaving the rest of the value to simdjson, which skips it without recursion.
Value Generic(od::value v, std::string_view field, GenericStatus& st, int depth) {
  bool& ok = st.ok;
  od::json_type t;
  if (v.type().get(t)) {
    ok = false;
    return Value::Null();
  }
  switch (t) {
    case od::json_type::null: return Value::Null();
    case od::json_type::boolean: {
      bool b = false;
      ok = ok && !v.get_bool().get(b);
      return Value::Bool(b);
    }
    case od::json_type::number: {
      std::string_view token = TrimRight(v.raw_json_token());
      if (!IsJsonNumber(token)) {
        ok = false;
        return Value::Null();
      }
      return AnyNumber(token, field);
    }
    case od::json_type::string: {
      std::string_view s;
      ok = ok && !v.get_string().get(s);
      return Value::String(std::string(s));
    }
    case od::json_type::array: {
      if (depth >= kMaxNesting) {
        st.too_deep = true;
        return Value::Null();
      }
      std::vector<Value> items;
      od::array a;
      if (v.get_array().get(a)) {
        ok = false;
        return Value::Null();
      }
      for (auto item : a) {
        od::value x;
        if (item.get(x)) {
          ok = false;
          break;
        }
        items.push_back(Generic(x, field, st, depth + 1));
        if (st.too_deep) break;
      }
      return Value::List(std::move(items));
    }
    case od::json_type::object: {
      if (depth >= kMaxNesting) {
        st.too_deep = true;
        return Value::Null();
      }
      std::vector<std::pair<Value, Value>> entries;
      od::object o;
      if (v.get_object().get(o)) {
        ok = false;
        return Value::Null();
      }
      for (auto f : o) {
        std::string_view k;
        if (f.unescaped_key().get(k)) {
          ok = false;
          break;
        }
        std::string key(k);
        entries.emplace_back(Value::String(std::move(key)), Generic(f.value(), field, st, depth + 1));
        if (st.too_deep) break;
      }
      return Value::Map(std::move(entries));
    }
  }
  ok = false;
  return Value::Null();
}

// The projection as a tree of keys. A plain field is a key under the root; a dotted field
// ("MetaData.LastUpdatedTime") is both a key under the root (a key may hold dots) and a path
// of nodes (`LastUpdatedTime` under `MetaData`).
struct PathNode {
  std::string key;
  int field = -1;         // the projected field this key's value is, -1 when none
  std::vector<int> kids;  // nodes of the keys under it (dotted fields only)
};

class JsonlReader : public LineRecordReader {
 public:
  JsonlReader(std::FILE* f, std::string name, const ReadRequest& req)
      : LineRecordReader(f, simdjson::SIMDJSON_PADDING, std::move(name), req), index_(RootKeys(req.fields)) {
    // The fast path reads the structural indexes of the active implementation's stage 1 (its
    // own allocation: On Demand's parser keeps them private); nested projections and a failed
    // allocation keep On Demand's path for every line.
    if (!nested_ && JsonlFastPath() &&
        !simdjson::get_active_implementation()->create_dom_parser_implementation(0, simdjson::DEFAULT_MAX_DEPTH, stage1_))
      fast_ = true;
  }
  ~JsonlReader() override { CountFastLines(fast_lines_); }

 private:
  // Builds nodes_ and returns the keys under the root, in node order (root_[i] is the node of
  // key i).
  std::vector<std::string> RootKeys(const std::vector<std::string>& fields) {
    std::vector<std::string> keys;
    auto kid = [&](std::vector<int>* kids, std::string_view key) {
      if (kids == nullptr) {
        for (size_t i = 0; i < keys.size(); ++i)
          if (keys[i] == key) return root_[i];
        keys.emplace_back(key);
        root_.push_back(static_cast<int>(nodes_.size()));
        nodes_.push_back(PathNode{std::string(key), -1, {}});
        return root_.back();
      }
      for (int k : *kids)
        if (nodes_[static_cast<size_t>(k)].key == key) return k;
      int k = static_cast<int>(nodes_.size());
      kids->push_back(k);
      nodes_.push_back(PathNode{std::string(key), -1, {}});
      return k;
    };
    // First every field's own key, so that key i is field i (the path Decode takes when no
    // field is dotted); then the paths of the dotted ones.
    for (size_t f = 0; f < fields.size(); ++f) {
      keys.push_back(fields[f]);
      root_.push_back(static_cast<int>(nodes_.size()));
      nodes_.push_back(PathNode{fields[f], static_cast<int>(f), {}});
    }
    for (size_t f = 0; f < fields.size(); ++f) {
      const std::string& name = fields[f];
      if (name.find('.') == std::string::npos) continue;
      nested_ = true;
      int at = -1;
      size_t from = 0;
      for (;;) {
        size_t dot = name.find('.', from);
        std::string_view seg = std::string_view(name).substr(from, dot == std::string::npos ? std::string::npos : dot - from);
        // kid() grows nodes_: the kids are copied out and back rather than pointed to.
        int k = at < 0 ? kid(nullptr, seg) : -1;
        if (at >= 0) {
          std::vector<int> kids = nodes_[static_cast<size_t>(at)].kids;
          k = kid(&kids, seg);
          nodes_[static_cast<size_t>(at)].kids = std::move(kids);
        }
        at = k;
        if (dot == std::string::npos) break;
        from = dot + 1;
      }
      nodes_[static_cast<size_t>(at)].field = static_cast<int>(f);
    }
    return keys;
  }

  void Record(std::string_view line, int64_t number, size_t room, RecordBatch& out) override {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank lines are not records
    size_t base = out.values.size();
    out.values.resize(base + out.width);
    if (fast_) {
      if (Walk(line, out, base)) {
        ++fast_lines_;
        out.lines.push_back(number);
        return;
      }
      // On Demand decides (and words the error): the row starts again from nulls.
      for (size_t k = 0; k < out.width; ++k) out.values[base + k] = Value();
    }
    std::string why, detail;
    if (!Decode(line, room, out, base, why, detail)) {
      out.values.resize(base);
      out.bad.push_back(BadLine{name_, number, why, detail});
      return;
    }
    out.lines.push_back(number);
  }

  // The fast path: stage 1 (the active implementation's kernel, AVX2 on most machines), then
  // one walk in document order over the line's structural indexes, each key looked up by its
  // raw bytes, each projected value converted from its token. It takes only lines it checks to
  // be well-formed JSON objects, all the way down (skipped values included), whose projected
  // values are scalars: there On Demand would give the same values (Convert's conversions,
  // simdjson's unescaping), the last of duplicate keys winning as there. Anything else (a bad
  // line, a non-object, an object or array in a projected field, a conversion error, nesting
  // deeper than kMaxNesting) is false with the row possibly half written: Decode reads the line
  // again and says what it is.
  bool Walk(std::string_view line, RecordBatch& out, size_t base) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(line.data());
    if (line.size() > stage1_->capacity() && stage1_->set_capacity(line.size())) return false;
    if (stage1_->stage1(bytes, line.size(), simdjson::stage1_mode::regular)) return false;
    const uint32_t* s = stage1_->structural_indexes.get();
    const uint32_t n = stage1_->n_structural_indexes;
    const char* b = line.data();
    // Stage 1 ends the indexes with the line's length: the token before it ends there.
    auto token = [&](uint32_t i) {
      return TrimRight(std::string_view(b + s[i], s[i + 1] - s[i]));
    };
    if (n < 2 || b[s[0]] != '{') return false;
    uint32_t i = 1;
    size_t at = 0;  // the member's place in the object
    if (b[s[1]] == '}') {
      i = 2;
    } else {
      for (;;) {
        // A key, its colon, a value, then a comma or the closing brace.
        if (i + 3 >= n || b[s[i]] != '"' || b[s[i + 1]] != ':') return false;
        const char* raw = b + s[i] + 1;
        int f = order_.FindSized(at, raw, s[i + 1] - s[i] - 2);
        if (f == KeyOrder::kUnknown) {
          std::string_view key = RawKey(raw);
          if (key.data() == nullptr) {
            if (!UnescapeKey(raw, line.size(), key)) return false;
            f = index_.Find(key);
          } else {
            f = index_.Find(key);
            order_.Learn(at, key, f);
          }
        }
        ++at;
        uint32_t v = i + 2;
        char c = b[s[v]];
        if (c == '{' || c == '[') {
          if (f >= 0) return false;
          i = Skip(b, s, n, v);
          if (i == 0) return false;
        } else if (c == '"' && f < 0) {
          // A string nobody reads: stage 1 checked it (closed, no raw control characters; a
          // byte after its closing quote would be a structural of its own).
          i = v + 1;
        } else {
          std::string_view t = token(v);
          if (!Scalar(c, t)) return false;
          if (f >= 0 && !ConvertToken(c, t, line.size(), static_cast<size_t>(f), out, base)) return false;
          i = v + 1;
        }
        if (i >= n) return false;
        char sep = b[s[i++]];
        if (sep == '}') break;
        if (sep != ',') return false;
      }
    }
    // Nothing after the object but white space.
    return i == n;
  }

  // A scalar token (up to the next structural, white space after it dropped) checked as JSON:
  // a string (stage 1 checked its characters and that it closes), a literal, a number.
  static bool Scalar(char c, std::string_view t) {
    switch (c) {
      case '"': return t.size() >= 2 && t.back() == '"';
      case 'n': return t == "null";
      case 't': return t == "true";
      case 'f': return t == "false";
      default: return IsJsonNumber(t);
    }
  }

  // Checks the object or array whose opening structural is s[v] as JSON (its scalars by
  // Scalar) and returns the index after its closing one; 0 when it is not well formed or
  // nests deeper than kMaxNesting.
  static uint32_t Skip(const char* b, const uint32_t* s, uint32_t n, uint32_t v) {
    uint64_t objects = 0;  // bit d: the container at depth d is an object
    int depth = 0;
    uint32_t i = v;
    auto token = [&](uint32_t k) { return TrimRight(std::string_view(b + s[k], s[k + 1] - s[k])); };
    for (;;) {
      // A value at s[i].
      if (i >= n) return 0;
      char c = b[s[i]];
      if (c == '{' || c == '[') {
        if (depth >= kMaxNesting) return 0;
        objects = c == '{' ? objects | uint64_t{1} << depth : objects & ~(uint64_t{1} << depth);
        ++depth;
        ++i;
        if (i >= n) return 0;
        if (b[s[i]] == (c == '{' ? '}' : ']')) {
          --depth;
          ++i;
        } else if (c == '{') {
          if (i + 1 >= n || b[s[i]] != '"' || b[s[i + 1]] != ':' || !Scalar('"', token(i))) return 0;
          i += 2;
          continue;
        } else {
          continue;
        }
      } else {
        if (!Scalar(c, token(i))) return 0;
        ++i;
      }
      // After a value: close containers, or a comma and the next member.
      for (;;) {
        if (depth == 0) return i;
        if (i >= n) return 0;
        char sep = b[s[i]];
        bool object = (objects >> (depth - 1)) & 1;
        if (sep == (object ? '}' : ']')) {
          --depth;
          ++i;
          continue;
        }
        if (sep != ',') return 0;
        ++i;
        if (object) {
          if (i + 1 >= n || b[s[i]] != '"' || b[s[i + 1]] != ':' || !Scalar('"', token(i))) return 0;
          i += 2;
        }
        break;
      }
    }
  }

  // A key with escapes (`raw` just after its opening quote), unescaped by simdjson into
  // scratch_; false when the escapes are not JSON.
  bool UnescapeKey(const char* raw, size_t line_size, std::string_view& key) {
    scratch_.resize(line_size + simdjson::SIMDJSON_PADDING);
    uint8_t* end = stage1_->parse_string(reinterpret_cast<const uint8_t*>(raw), scratch_.data());
    if (end == nullptr) return false;
    key = std::string_view(reinterpret_cast<const char*>(scratch_.data()), static_cast<size_t>(end - scratch_.data()));
    return true;
  }

  // A projected scalar (`t` its checked token, `c` its first byte) converted as Convert and
  // ConvertOther do; false where they would make the line a bad line.
  bool ConvertToken(char c, std::string_view t, size_t line_size, size_t at, RecordBatch& out, size_t base) {
    Value& dst = out.values[base + at];
    if (c == '"') {
      std::string_view text(t.data() + 1, t.size() - 2);
      if (std::memchr(text.data(), '\\', text.size()) != nullptr) {
        scratch_.resize(line_size + simdjson::SIMDJSON_PADDING);
        uint8_t* end = stage1_->parse_string(reinterpret_cast<const uint8_t*>(t.data() + 1), scratch_.data());
        if (end == nullptr) return false;
        text = out.arena.emplace_back(reinterpret_cast<const char*>(scratch_.data()),
                                      static_cast<size_t>(end - scratch_.data()));
      }
      dst = FromText(text, req_.types[at], req_.fields[at]);
      return true;
    }
    if (c == 'n') {
      dst = Value::Null();
      return true;
    }
    if (c == 't' || c == 'f') {
      dst = FromBool(c == 't', at);
      return true;
    }
    return !ConvertNumber(t, at, dst);
  }

  // A JSON bool in field `at`: a string field keeps the text; a typed field other than bool
  // says what it got.
  Value FromBool(bool b, size_t at) const {
    FieldType type = req_.types[at];
    return type == FieldType::kAny || type == FieldType::kBool ? Value::Bool(b)
                                                               : FromText(b ? "true" : "false", type, req_.fields[at]);
  }

  // A number's token in field `at`, from its digits: a decimal keeps every digit; a string
  // field keeps the text. NUMBER_ERROR (a bad line) when the token is not a JSON number.
  simdjson::error_code ConvertNumber(std::string_view token, size_t at, Value& dst) const {
    FieldType type = req_.types[at];
    const std::string& field = req_.fields[at];
    if (type == FieldType::kDecimal || type == FieldType::kInt || type == FieldType::kDouble || type == FieldType::kAny
            ? !NotPlainlyMalformed(token)
            : !IsJsonNumber(token))
      return simdjson::NUMBER_ERROR;
    if (type == FieldType::kDecimal) {
      // Parse first, FromText (for its message) only when it fails: W1's revenue is a number.
      auto d = decimal::Decimal::Parse(token);
      dst = d ? Value::Dec(*d) : FromText(token, type, field);
      return simdjson::SUCCESS;
    }
    dst = type == FieldType::kAny ? AnyNumber(token, field) : FromText(token, type, field);
    return simdjson::SUCCESS;
  }

  // On Demand's path, for every line the fast path does not take.
  // False with `why` ("malformed JSON", "not a JSON object") and the parser's `detail`.
  bool Decode(std::string_view line, size_t room, RecordBatch& out, size_t base, std::string& why, std::string& detail) {
    why = "malformed JSON";
    od::document doc;
    auto fail = [&](simdjson::error_code e) {
      detail = simdjson::error_message(e);
      return false;
    };
    if (auto e = parser_.iterate(line.data(), line.size(), room).get(doc)) return fail(e);
    od::object obj;
    od::json_type t;
    if (auto e = doc.type().get(t)) return fail(e);
    if (t != od::json_type::object) {
      why = "not a JSON object";
      return false;
    }
    if (auto e = doc.get_object().get(obj)) return fail(e);
    line_end_ = line.data() + room;
    size_t at = 0;  // the member's place in the object
    for (auto result : obj) {
      if (auto e = result.error()) return fail(e);
      od::field& field = result.value_unsafe();
      int i = order_.Find(at, field.key().raw());
      if (i == KeyOrder::kUnknown) {
        // The key as it stands in the line when it has no escapes (nearly always): no copy.
        std::string_view key = RawKey(field.key().raw());
        if (key.data() == nullptr) {
          if (auto e = field.unescaped_key().get(key)) return fail(e);
          i = index_.Find(key);
        } else {
          i = index_.Find(key);
          order_.Learn(at, key, i);
        }
      }
      ++at;
      if (i < 0) continue;
      if (!nested_) {
        // Keys 0..n-1 are the fields: no node to look at.
        if (auto e = Convert(field.value(), static_cast<size_t>(i), out, base)) return fail(e);
        continue;
      }
      const PathNode& node = nodes_[static_cast<size_t>(root_[static_cast<size_t>(i)])];
      simdjson::error_code e = node.kids.empty()
                                   ? Convert(field.value(), static_cast<size_t>(node.field), out, base)
                                   : Descend(field.value(), node, out, base);
      if (e) return fail(e);
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {  // not at the end
      detail = "text after the object";
      return false;
    }
    return true;
  }

  // The value of a key with dotted fields under it: each nested field's value, and the value
  // itself when it is projected too (then it is read twice, from its text).
  [[gnu::noinline]] simdjson::error_code Descend(od::value v, const PathNode& node, RecordBatch& out, size_t base) {
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t != od::json_type::object) {
      // Not an object: the nested fields have no value.
      return node.field >= 0 ? ConvertNested(v, static_cast<size_t>(node.field), out, base) : simdjson::SUCCESS;
    }
    od::object o;
    if (auto e = v.get_object().get(o)) return e;
    if (node.field >= 0) {
      // Rare (a projection with both `MetaData` and `MetaData.X`): read the object's text
      // twice with a parser of its own.
      std::string_view text;
      if (auto e = o.raw_json().get(text)) return e;
      od::parser p;
      od::document d;
      size_t room = static_cast<size_t>(line_end_ - text.data());
      od::value whole;
      if (auto e = p.iterate(text.data(), text.size(), room).get(d)) return e;
      if (auto e = d.get_value().get(whole)) return e;
      if (auto e = ConvertNested(whole, static_cast<size_t>(node.field), out, base)) return e;
      if (auto e = p.iterate(text.data(), text.size(), room).get(d)) return e;
      if (auto e = d.get_object().get(o)) return e;
      return Kids(o, node, out, base);
    }
    return Kids(o, node, out, base);
  }

  simdjson::error_code Kids(od::object o, const PathNode& node, RecordBatch& out, size_t base) {
    for (auto field : o) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      const PathNode* kid = nullptr;
      for (int k : node.kids)
        if (nodes_[static_cast<size_t>(k)].key == key) kid = &nodes_[static_cast<size_t>(k)];
      if (kid == nullptr) continue;
      simdjson::error_code e = kid->kids.empty()
                                   ? ConvertNested(field.value(), static_cast<size_t>(kid->field), out, base)
                                   : Descend(field.value(), *kid, out, base);
      if (e) return e;
    }
    return simdjson::SUCCESS;
  }

  // A nested value: Convert, out of the hot loop.
  [[gnu::noinline]] simdjson::error_code ConvertNested(od::value v, size_t at, RecordBatch& out, size_t base) {
    return Convert(v, at, out, base);
  }

  // One projected value (field `at` of the request, in the record at `base`), converted by the
  // field's type. Inlined into Decode's loop with only strings and null (most of W1's values)
  // on its path: a call per field, or a larger body, costs W1 5-8% more instructions.
  [[gnu::always_inline]] simdjson::error_code Convert(od::value v, size_t at, RecordBatch& out, size_t base) {
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t == od::json_type::string) {
      std::string_view raw = TrimRight(v.raw_json_token());
      // No escapes: borrow from the line (a view built directly: substr's range check keeps
      // GCC from inlining it here).
      std::string_view text(raw.data() + 1, raw.size() >= 2 ? raw.size() - 2 : 0);
      if (raw.size() < 2 || std::memchr(text.data(), '\\', text.size()) != nullptr) {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return e;
        text = out.arena.emplace_back(s);
      }
      out.values[base + at] = FromText(text, req_.types[at], req_.fields[at]);
      return simdjson::SUCCESS;
    }
    if (t == od::json_type::null) {
      out.values[base + at] = Value::Null();
      return simdjson::SUCCESS;
    }
    return ConvertOther(v, t, at, out, base);
  }

  // Convert's numbers, bools, objects and arrays.
  [[gnu::noinline]] simdjson::error_code ConvertOther(od::value v, od::json_type t, size_t at, RecordBatch& out,
                                                      size_t base) {
    FieldType type = req_.types[at];
    const std::string& field = req_.fields[at];
    Value& dst = out.values[base + at];
    if (t == od::json_type::number) return ConvertNumber(TrimRight(v.raw_json_token()), at, dst);
    if (t == od::json_type::boolean) {
      bool b = false;
      if (auto e = v.get_bool().get(b)) return e;
      dst = FromBool(b, at);
      return simdjson::SUCCESS;
    }
    if (type == FieldType::kAny) {
      GenericStatus st;
      dst = Generic(v, field, st, 0);
      if (st.too_deep) dst = Value::Error(field + ": nested deeper than " + std::to_string(kMaxNesting) + " levels");
      return st.ok ? simdjson::SUCCESS : simdjson::TAPE_ERROR;
    }
    // An object or array where a scalar was expected: an error value naming the field and
    // showing the JSON.
    std::string_view text;
    if (t == od::json_type::object) {
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      if (auto e = o.raw_json().get(text)) return e;
    } else {
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      if (auto e = a.raw_json().get(text)) return e;
    }
    text = TrimRight(text);
    dst = type == FieldType::kString
              ? Value::Error(field + ": `" + std::string(text.substr(0, 40)) + (text.size() > 40 ? "...`" : "`") +
                             " is not a string")
              : FromText(text, type, field);
    return simdjson::SUCCESS;
  }

  std::vector<PathNode> nodes_;
  std::vector<int> root_;  // per key of index_: its node
  bool nested_ = false;    // a field is dotted: keys lead to nodes
  FieldIndex index_;
  KeyOrder order_;
  od::parser parser_;
  // The fast path's stage 1 and its place to unescape strings in.
  bool fast_ = false;
  std::unique_ptr<simdjson::internal::dom_parser_implementation> stage1_;
  std::vector<uint8_t> scratch_;
  uint64_t fast_lines_ = 0;
  const char* line_end_ = nullptr;  // how far the current line's buffer may be read
};

}  // namespace

namespace {
std::atomic<bool> fast_path{true};
std::atomic<uint64_t> fast_lines{0};
}  // namespace

uint64_t JsonlFastPathLines() { return fast_lines; }

namespace {
void CountFastLines(uint64_t n) { fast_lines += n; }
}  // namespace

void SetJsonlFastPath(bool on) { fast_path = on; }
bool JsonlFastPath() { return fast_path; }

std::unique_ptr<RecordReader> OpenJsonlReader(const std::string& path, const std::string& name,
                                              const ReadRequest& req, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error = "cannot read " + path;
    return nullptr;
  }
  return std::make_unique<JsonlReader>(f, name, req);
}

}  // namespace crmx::connectors
