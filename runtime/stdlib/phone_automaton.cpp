// Implements DigitAutomaton (phone_automaton.h): each pattern is parsed to a small tree, the
// trees become one nondeterministic automaton (Thompson's construction, a final state per
// pattern), and the subset construction makes it deterministic. Inputs are digits only, so a
// class is a set of ten bits and the automaton has ten transitions per state.
#include "runtime/stdlib/phone_automaton.h"

#include <algorithm>
#include <memory>
#include <unordered_map>

namespace crmx::stdlib::phone {

namespace {

constexpr uint16_t kAllDigits = 0x3ff;
// Bounds on what a pattern may ask for: RE2's own repeat limit is 1000.
constexpr int kMaxRepeat = 1000;
constexpr size_t kMaxNfaStates = 200000;
constexpr size_t kMaxDepth = 100;

// A parsed pattern.
struct Node {
  enum class Kind { kSet, kConcat, kAlt, kRepeat };
  Kind kind = Kind::kConcat;
  uint16_t digits = 0;  // kSet
  std::vector<std::unique_ptr<Node>> children;
  int min = 0, max = 0;  // kRepeat; max -1: unbounded
};

// A recursive-descent parser of the subset; any other syntax makes `ok` false.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::unique_ptr<Node> ParseAll() {
    std::unique_ptr<Node> node = Alternation(0);
    if (pos_ != text_.size()) ok_ = false;
    return ok_ ? std::move(node) : nullptr;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  std::unique_ptr<Node> Alternation(size_t depth) {
    if (depth > kMaxDepth) {
      ok_ = false;
      return nullptr;
    }
    auto alt = std::make_unique<Node>();
    alt->kind = Node::Kind::kAlt;
    alt->children.push_back(Concatenation(depth));
    while (ok_ && !AtEnd() && Peek() == '|') {
      ++pos_;
      alt->children.push_back(Concatenation(depth));
    }
    return alt;
  }

  std::unique_ptr<Node> Concatenation(size_t depth) {
    auto concat = std::make_unique<Node>();
    while (ok_ && !AtEnd() && Peek() != '|' && Peek() != ')') {
      std::unique_ptr<Node> atom = Atom(depth);
      if (!ok_) break;
      concat->children.push_back(Quantified(std::move(atom)));
    }
    return concat;
  }

  std::unique_ptr<Node> Atom(size_t depth) {
    char c = Peek();
    ++pos_;
    if (c >= '0' && c <= '9') return Set(static_cast<uint16_t>(1u << (c - '0')));
    if (c == '\\' && !AtEnd() && Peek() == 'd') {
      ++pos_;
      return Set(kAllDigits);
    }
    if (c == '[') return Class();
    if (c == '(') {
      if (text_.substr(pos_, 2) == "?:") pos_ += 2;
      std::unique_ptr<Node> inner = Alternation(depth + 1);
      if (AtEnd() || Peek() != ')') ok_ = false;
      ++pos_;
      return inner;
    }
    ok_ = false;
    return nullptr;
  }

  // After '[': digits, ranges of digits and `\d`, possibly negated (within the digits).
  std::unique_ptr<Node> Class() {
    bool negated = !AtEnd() && Peek() == '^';
    if (negated) ++pos_;
    uint16_t digits = 0;
    bool first = true;
    while (!AtEnd() && (Peek() != ']' || first)) {
      first = false;
      char c = Peek();
      ++pos_;
      if (c == '\\' && !AtEnd() && Peek() == 'd') {
        ++pos_;
        digits |= kAllDigits;
        continue;
      }
      if (c < '0' || c > '9') {
        ok_ = false;
        return nullptr;
      }
      char last = c;
      if (pos_ + 1 < text_.size() && Peek() == '-' && text_[pos_ + 1] != ']') {
        last = text_[pos_ + 1];
        pos_ += 2;
        if (last < c || last > '9') {
          ok_ = false;
          return nullptr;
        }
      }
      for (char d = c; d <= last; ++d) digits = static_cast<uint16_t>(digits | (1u << (d - '0')));
    }
    if (AtEnd()) {
      ok_ = false;
      return nullptr;
    }
    ++pos_;  // ']'
    return Set(negated ? static_cast<uint16_t>(kAllDigits & ~digits) : digits);
  }

  std::unique_ptr<Node> Quantified(std::unique_ptr<Node> atom) {
    while (ok_ && !AtEnd()) {
      int min = 0, max = 0;
      char c = Peek();
      if (c == '?') {
        min = 0, max = 1;
      } else if (c == '*') {
        min = 0, max = -1;
      } else if (c == '+') {
        min = 1, max = -1;
      } else if (c == '{') {
        size_t start = pos_;
        ++pos_;
        if (!Number(min)) {
          // RE2 reads a '{' that opens no repeat as a literal '{': not a digit, not ours.
          pos_ = start;
          ok_ = false;
          break;
        }
        max = min;
        if (!AtEnd() && Peek() == ',') {
          ++pos_;
          max = -1;
          if (!AtEnd() && Peek() != '}' && (!Number(max) || max < min)) ok_ = false;
        }
        if (!ok_ || AtEnd() || Peek() != '}') {
          ok_ = false;
          break;
        }
      } else {
        break;
      }
      ++pos_;
      // A non-greedy '?' after a quantifier changes which match RE2 reports, not whether.
      if (!AtEnd() && Peek() == '?') ++pos_;
      auto repeat = std::make_unique<Node>();
      repeat->kind = Node::Kind::kRepeat;
      repeat->min = min;
      repeat->max = max;
      repeat->children.push_back(std::move(atom));
      atom = std::move(repeat);
    }
    return atom;
  }

  bool Number(int& out) {
    size_t start = pos_;
    out = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9' && out <= kMaxRepeat) out = out * 10 + (text_[pos_++] - '0');
    return pos_ > start && out <= kMaxRepeat;
  }

  static std::unique_ptr<Node> Set(uint16_t digits) {
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kSet;
    node->digits = digits;
    return node;
  }

  std::string_view text_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// The nondeterministic automaton: each edge reads one digit of a set, or nothing (an empty set).
struct Nfa {
  struct Edge {
    uint16_t digits;
    uint32_t to;
  };
  std::vector<std::vector<Edge>> edges;
  std::vector<uint32_t> accept;
  std::vector<char> reads_digit;  // the state has an edge that reads a digit
  bool ok = true;

  uint32_t Add() {
    if (edges.size() >= kMaxNfaStates) ok = false;
    edges.emplace_back();
    accept.push_back(0);
    reads_digit.push_back(0);
    return static_cast<uint32_t>(edges.size() - 1);
  }
  void Link(uint32_t from, uint16_t digits, uint32_t to) {
    edges[from].push_back({digits, to});
    if (digits != 0) reads_digit[from] = 1;
  }

  // Thompson's construction of `node` from state `from`; returns the state it ends in.
  uint32_t Compile(const Node& node, uint32_t from) {
    if (!ok) return from;
    switch (node.kind) {
      case Node::Kind::kSet: {
        uint32_t to = Add();
        // An empty class matches nothing: no edge (an edge without digits reads nothing).
        if (node.digits != 0) Link(from, node.digits, to);
        return to;
      }
      case Node::Kind::kConcat: {
        uint32_t at = from;
        for (const auto& child : node.children) at = Compile(*child, at);
        return at;
      }
      case Node::Kind::kAlt: {
        uint32_t to = Add();
        for (const auto& child : node.children) {
          uint32_t start = Add();
          Link(from, 0, start);
          Link(Compile(*child, start), 0, to);
        }
        return to;
      }
      case Node::Kind::kRepeat: {
        const Node& child = *node.children.front();
        uint32_t at = from;
        for (int i = 0; i < node.min && ok; ++i) at = Compile(child, at);
        if (node.max < 0) {
          uint32_t loop = Add();
          Link(at, 0, loop);
          Link(Compile(child, loop), 0, loop);
          return loop;
        }
        uint32_t to = Add();
        Link(at, 0, to);
        for (int i = node.min; i < node.max && ok; ++i) {
          at = Compile(child, at);
          Link(at, 0, to);
        }
        return to;
      }
    }
    return from;
  }

  // The states reachable from `states` without reading a digit, sorted, and of those only the
  // ones that matter to a DFA state: those that read a digit or accept. `seen` is all zeros
  // before and after.
  void Close(std::vector<uint32_t>& states, std::vector<char>& seen) const {
    for (uint32_t s : states) seen[s] = 1;
    for (size_t i = 0; i < states.size(); ++i) {
      for (const Edge& e : edges[states[i]]) {
        if (e.digits == 0 && !seen[e.to]) {
          seen[e.to] = 1;
          states.push_back(e.to);
        }
      }
    }
    for (uint32_t s : states) seen[s] = 0;
    std::erase_if(states, [this](uint32_t s) { return accept[s] == 0 && !reads_digit[s]; });
    std::sort(states.begin(), states.end());
    states.erase(std::unique(states.begin(), states.end()), states.end());
  }
};

// A hash of a set of NFA states (a DFA state during the subset construction).
struct SetHash {
  size_t operator()(const std::vector<uint32_t>& set) const {
    uint64_t h = set.size();
    for (uint32_t s : set) h = (h ^ s) * 0x9e3779b97f4a7c15ULL;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

}  // namespace

std::optional<DigitAutomaton> DigitAutomaton::Build(std::span<const std::string_view> patterns) {
  if (patterns.size() > kMaxPatterns) return std::nullopt;
  Nfa nfa;
  uint32_t start = nfa.Add();
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::unique_ptr<Node> tree = Parser(patterns[i]).ParseAll();
    if (tree == nullptr) return std::nullopt;
    uint32_t begin = nfa.Add();
    nfa.Link(start, 0, begin);
    uint32_t end = nfa.Compile(*tree, begin);
    if (!nfa.ok) return std::nullopt;
    nfa.accept[end] |= 1u << i;
  }

  // The subset construction; state 0 is the empty set (dead), state 1 the start. A DFA state is
  // the sorted set of NFA states that read a digit or accept (Nfa::Close).
  DigitAutomaton out;
  std::unordered_map<std::vector<uint32_t>, uint16_t, SetHash> ids;
  std::vector<std::vector<uint32_t>> sets;
  std::vector<char> seen(nfa.edges.size());
  auto intern = [&](const std::vector<uint32_t>& set) -> std::optional<uint16_t> {
    if (auto it = ids.find(set); it != ids.end()) return it->second;
    if (sets.size() >= kMaxStates) return std::nullopt;
    uint32_t accept = 0;
    for (uint32_t s : set) accept |= nfa.accept[s];
    auto id = static_cast<uint16_t>(sets.size());
    ids.emplace(set, id);
    sets.push_back(set);
    out.accept_.push_back(accept);
    out.next_.emplace_back();
    return id;
  };
  intern({});
  std::vector<uint32_t> first = {start};
  nfa.Close(first, seen);
  intern(first);
  // The closure of each state an edge reads into, computed once.
  std::vector<std::vector<uint32_t>> closures(nfa.edges.size());
  std::vector<char> closed(nfa.edges.size());
  auto closure = [&](uint32_t s) -> const std::vector<uint32_t>& {
    if (!closed[s]) {
      closures[s] = {s};
      nfa.Close(closures[s], seen);
      closed[s] = 1;
    }
    return closures[s];
  };
  std::array<std::vector<uint32_t>, 10> moved;
  for (size_t state = 1; state < sets.size(); ++state) {
    // One pass over the state's edges fills the ten successors.
    for (std::vector<uint32_t>& m : moved) m.clear();
    for (uint32_t s : sets[state]) {
      for (const Nfa::Edge& e : nfa.edges[s]) {
        if (e.digits == 0) continue;
        const std::vector<uint32_t>& reached = closure(e.to);
        for (int digit = 0; digit < 10; ++digit) {
          if (e.digits & (1u << digit)) moved[static_cast<size_t>(digit)].insert(moved[static_cast<size_t>(digit)].end(), reached.begin(), reached.end());
        }
      }
    }
    for (size_t digit = 0; digit < 10; ++digit) {
      std::vector<uint32_t>& m = moved[digit];
      std::sort(m.begin(), m.end());
      m.erase(std::unique(m.begin(), m.end()), m.end());
      std::optional<uint16_t> id = intern(m);
      if (!id) return std::nullopt;
      out.next_[state][digit] = *id;
    }
  }
  return out;
}

}  // namespace crmx::stdlib::phone
