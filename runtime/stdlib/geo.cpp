// Implements std.geo (geo.h): indexes over the generated iso-codes tables, built once on first
// use, keyed by GeoKey; currencies from ICU (CLDR's region -> currency data).
#include "runtime/stdlib/geo.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/ucurr.h>
#include <unicode/unistr.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/stdlib/geo_data.h"
#include "runtime/value/text_hash.h"

namespace crmx::stdlib {

namespace {

// What the ASCII GeoKey does with each byte under 0x80: drop it (apostrophes and periods),
// break words on it (every other non-alphanumeric), read it as " and " ('&'), or append the byte
// given (letters lower-cased, digits).
constexpr char kDrop = 1, kBreak = 2, kAnd = 3;
constexpr std::array<char, 128> kAsciiKey = [] {
  std::array<char, 128> table{};
  for (int c = 0; c < 128; ++c) {
    char ch = static_cast<char>(c);
    if (c == '\'' || c == '.') table[c] = kDrop;
    else if (c == '&') table[c] = kAnd;
    else if (c >= 'A' && c <= 'Z') table[c] = static_cast<char>(c + 32);
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) table[c] = ch;
    else table[c] = kBreak;
  }
  return table;
}();

// GeoKey of ASCII text, without ICU: for ASCII, NFKD changes nothing, there are no combining
// marks, and alphanumerics and case folding are the ASCII ones. Same rules as GeoKey's ICU path.
// Writes at most 4 * name.size() bytes to `out` ("&" becomes " and") and returns how many, or
// std::string_view::npos when `name` is not ASCII (then `out` holds garbage).
size_t AsciiGeoKey(std::string_view name, char* out) {
  size_t n = 0;
  bool space = false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) return std::string_view::npos;
    char k = kAsciiKey[c];
    if (k > kAnd) {
      if (space && n > 0) out[n++] = ' ';
      space = false;
      out[n++] = k;
    } else if (k == kBreak) {
      space = true;
    } else if (k == kAnd) {
      if (n > 0) out[n++] = ' ';
      out[n++] = 'a', out[n++] = 'n', out[n++] = 'd';
      space = true;
    }
  }
  return n;
}

// GeoKey through ICU, for text that is not ASCII.
std::string UnicodeGeoKey(std::string_view name) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  icu::UnicodeString decomposed = U_SUCCESS(status) ? nfkd->normalize(source, status) : source;
  if (U_FAILURE(status)) decomposed = source;
  icu::UnicodeString key;
  bool space = false;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    // Apostrophes and periods join: "Côte d'Ivoire" -> "cote divoire", "U.S." -> "us".
    if (c == '\'' || c == 0x2019 || c == '.') continue;
    if (c == '&') {
      if (!key.isEmpty()) key.append(u' ');
      key.append(icu::UnicodeString(u"and"));
      space = true;
      continue;
    }
    if (u_isalnum(c)) {
      if (space && !key.isEmpty()) key.append(u' ');
      space = false;
      key.append(u_foldCase(c, U_FOLD_CASE_DEFAULT));
    } else {
      space = true;
    }
  }
  std::string out;
  key.toUTF8String(out);
  return out;
}

using value::HashText;

// GeoKey -> code, built once: an open-addressing table over one buffer of keys, so that a
// lookup hashes and compares bytes and allocates nothing. The codes are views of the generated
// tables (static data).
class Index {
 public:
  // Adds GeoKey(name) -> code; a key that already means another code is a broken invariant of
  // the data (tests/unit/stdlib checks there is none), and the first entry wins.
  void Add(std::string_view name, std::string_view code) {
    if (name.empty()) return;
    std::string key = GeoKey(name);
    if (Find(key) != nullptr) return;
    if ((count_ + 1) * 2 > slots_.size()) Grow();
    Slot slot{HashText(key), static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(key.size()), code};
    keys_ += key;
    Place(slot);
    ++count_;
  }

  // The code of `key` (a GeoKey), or null.
  const std::string_view* Find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    uint64_t hash = HashText(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.code.empty()) return nullptr;
      if (slot.hash == hash && std::string_view(keys_).substr(slot.key, slot.length) == key) return &slot.code;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key = 0;     // offset of the key in keys_
    uint32_t length = 0;  // of the key
    std::string_view code;  // empty: a free slot (no code is empty)
  };

  void Place(const Slot& slot) {
    size_t mask = slots_.size() - 1;
    size_t i = slot.hash & mask;
    while (!slots_[i].code.empty()) i = (i + 1) & mask;
    slots_[i] = slot;
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& slot : old) {
      if (!slot.code.empty()) Place(slot);
    }
  }

  std::string keys_;
  std::vector<Slot> slots_;  // a power of two, at most half full
  size_t count_ = 0;
};

const Index& Countries() {
  static const Index* index = [] {
    auto* m = new Index();
    for (size_t i = 0; i < geo_data::kCountryCount; ++i) {
      const auto& c = geo_data::kCountries[i];
      m->Add(c.alpha2, c.alpha2);
      m->Add(c.alpha3, c.alpha2);
    }
    for (size_t i = 0; i < geo_data::kCountryCount; ++i) {
      const auto& c = geo_data::kCountries[i];
      m->Add(c.name, c.alpha2);
      m->Add(c.common_name, c.alpha2);
      m->Add(c.official_name, c.alpha2);
    }
    for (size_t i = 0; i < geo_data::kCountryAliasCount; ++i) {
      m->Add(geo_data::kCountryAliases[i].alias, geo_data::kCountryAliases[i].code);
    }
    return m;
  }();
  return *index;
}

// Keys: state names and codes ("california", "ca", "us ca") -> "CA".
const Index& States() {
  static const Index* index = [] {
    auto* m = new Index();
    for (size_t i = 0; i < geo_data::kSubdivisionCount; ++i) {
      const auto& s = geo_data::kSubdivisions[i];
      std::string_view code = s.code.substr(3);
      m->Add(code, code);
      m->Add(s.code, code);
      m->Add(s.name, code);
    }
    for (size_t i = 0; i < geo_data::kStateAliasCount; ++i) {
      m->Add(geo_data::kStateAliases[i].alias, geo_data::kStateAliases[i].code.substr(3));
    }
    return m;
  }();
  return *index;
}

// The code of `name` in `index`, or null. Short ASCII names (nearly all) are normalised into a
// buffer on the stack.
const std::string_view* FindCode(const Index& index, std::string_view name) {
  constexpr size_t kShortName = 64;
  if (name.size() <= kShortName) {
    char key[4 * kShortName];
    size_t length = AsciiGeoKey(name, key);
    if (length != std::string_view::npos) return index.Find(std::string_view(key, length));
  }
  return index.Find(GeoKey(name));
}

// The last answers of one index on one thread, by the raw text: CRM columns repeat a few
// spellings ("United States", "U.S.A.", "Québec") over and over, and a hit costs a hash and a
// comparison of the text instead of normalising it (through ICU when it is not ASCII) and probing
// the index. Direct-mapped; texts longer than kMaxText are not remembered. Zero-initialised
// (thread_local without a constructor): a slot of length 0 is free.
class Memo {
 public:
  static constexpr size_t kSlots = 1024;
  static constexpr size_t kMaxText = 38;

  const std::string_view* Lookup(const Index& index, std::string_view name) {
    if (name.empty() || name.size() > kMaxText) return FindCode(index, name);
    uint64_t hash = HashText(name);
    Slot& slot = slots_[hash % kSlots];
    if (slot.hash == hash && slot.length == name.size() && std::memcmp(slot.text, name.data(), name.size()) == 0) {
      return slot.code;
    }
    const std::string_view* code = FindCode(index, name);
    slot.hash = hash;
    slot.length = static_cast<uint8_t>(name.size());
    std::memcpy(slot.text, name.data(), name.size());
    slot.code = code;
    return code;
  }

 private:
  struct Slot {
    uint64_t hash;
    const std::string_view* code;  // null: the index does not know the text
    uint8_t length;
    char text[kMaxText];
  };
  Slot slots_[kSlots];
};

}  // namespace

std::string GeoKey(std::string_view name) {
  std::string key(4 * name.size(), '\0');
  size_t length = AsciiGeoKey(name, key.data());
  if (length == std::string_view::npos) return UnicodeGeoKey(name);
  key.resize(length);
  return key;
}

// The codes are views of the static indexes: valid for the life of the program, so the VM
// hands them out without copying.
Result<std::string_view> StateCode(std::string_view name) {
  thread_local Memo memo;
  const std::string_view* code = memo.Lookup(States(), name);
  if (code == nullptr) return Fail("unknown state or province " + Quote(name));
  return *code;
}

Result<std::string_view> CountryCode(std::string_view name) {
  thread_local Memo memo;
  const std::string_view* code = memo.Lookup(Countries(), name);
  if (code == nullptr) return Fail("unknown country " + Quote(name));
  return *code;
}

bool IsCurrencyCode(std::string_view code) {
  for (size_t i = 0; i < geo_data::kCurrencyCount; ++i) {
    if (geo_data::kCurrencies[i].alpha3 == code) return true;
  }
  return false;
}

Result<std::string> CurrencyOf(std::string_view country) {
  auto found = CountryCode(country);
  if (!found) return Fail(std::string(found.reason()));
  std::string code(*found);
  std::string locale = "und_" + code;
  UErrorCode status = U_ZERO_ERROR;
  UChar buffer[8];
  int32_t length = ucurr_forLocale(locale.c_str(), buffer, 8, &status);
  std::string currency;
  if (U_SUCCESS(status) && length == 3) {
    for (int32_t i = 0; i < 3; ++i) currency.push_back(static_cast<char>(buffer[i]));
  }
  // ICU answers XXX ("no currency") for Antarctica and the like.
  if (currency.empty() || currency == "XXX" || !IsCurrencyCode(currency)) {
    return Fail("no currency is known for country `" + code + "`");
  }
  return currency;
}

}  // namespace crmx::stdlib
