// Defines DigitAutomaton: a deterministic automaton over the ASCII digits that recognises one or
// more of libphonenumber's patterns at once. The fast path (phone_fast.cpp) walks a number's
// digits through it once instead of calling RE2 per pattern: RE2's per-call overhead is most of
// the cost of validating a number. Only the pattern syntax libphonenumber's metadata uses for
// national numbers is read; anything else is refused, and the caller keeps RE2 for that pattern.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace crmx::stdlib::phone {

class DigitAutomaton {
 public:
  // At most this many patterns in one automaton (one bit each).
  static constexpr size_t kMaxPatterns = 32;
  // Larger automatons are refused (the caller keeps RE2): a bound on memory and build time.
  static constexpr size_t kMaxStates = 4096;

  // The automaton of `patterns`: pattern i sets bit i of the answers. The syntax read: digits,
  // `\d`, classes of digits and ranges (`[2-9]`, `[^0]`), groups (`(...)`, `(?:...)`), `|`,
  // and the quantifiers `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`. Null for any other syntax
  // (anchors, escapes, ...), more than kMaxPatterns patterns, or more than kMaxStates states.
  static std::optional<DigitAutomaton> Build(std::span<const std::string_view> patterns);

  struct Matches {
    uint32_t whole = 0;   // the patterns that match all of the digits (RE2's FullMatch)
    uint32_t prefix = 0;  // the patterns that match a prefix of them, the empty one included
  };
  // Which patterns match `digits`. Precondition: `digits` holds only '0' to '9'.
  Matches Run(std::string_view digits) const {
    Matches out;
    uint32_t state = kStart;
    out.prefix = accept_[state];
    for (char c : digits) {
      state = next_[state][static_cast<size_t>(c - '0')];
      if (state == kDead) return out;
      out.prefix |= accept_[state];
    }
    out.whole = accept_[state];
    return out;
  }

  // The number of states, the dead one included (for tests and measurements).
  size_t States() const { return accept_.size(); }

 private:
  // State 0 rejects everything and never leaves; the walk starts in state 1.
  static constexpr uint32_t kDead = 0;
  static constexpr uint32_t kStart = 1;

  std::vector<std::array<uint16_t, 10>> next_;
  std::vector<uint32_t> accept_;  // per state: the patterns that accept there
};

}  // namespace crmx::stdlib::phone
