// W1 peer and throughput floor: hand-written C++ with simdjson On Demand.
//
//   w1_simdjson IN_DIR OUT_DIR [DATA_DIR]
//
// Reads IN_DIR/Account.jsonl in 4 MiB chunks (streaming: memory does not grow with the input),
// parses each chunk's complete lines with iterate_many, and writes
// OUT_DIR/{Customer,quality,held,flags}.jsonl following bench/w1/SEMANTICS.md. DATA_DIR
// (default: the directory two levels above this source file, i.e. bench/w1, baked in at
// build time) holds geo.json and rates.csv. quality/held/flags.jsonl are crmx-run's queue lines
// (SEMANTICS.md, "Queue lines").
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#ifndef W1_DATA_DIR
#define W1_DATA_DIR "."
#endif

namespace {

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "w1_simdjson: %s\n", msg.c_str());
  std::exit(1);
}

bool IsWs(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsWs(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWs(s.back())) s.remove_suffix(1);
  return s;
}

class Out {
 public:
  explicit Out(const std::string& path) : f_(std::fopen(path.c_str(), "wb")) {
    if (f_ == nullptr) Die("cannot write " + path);
    buf_.reserve(kFlush + 4096);
  }
  ~Out() {
    Flush();
    std::fclose(f_);
  }
  std::string& buf() { return buf_; }
  void Done() {
    if (buf_.size() >= kFlush) Flush();
  }

 private:
  static constexpr size_t kFlush = 1 << 20;
  void Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) Die("write failed");
    buf_.clear();
  }
  std::FILE* f_;
  std::string buf_;
};

// JSON string: `"` and `\` escaped, control characters as \b \f \n \r \t or \u00xx; the rest raw.
void Str(std::string& o, std::string_view s) {
  o += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    o.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\b': o += "\\b"; break;
      case '\f': o += "\\f"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default: {
        static const char* hex = "0123456789abcdef";
        o += "\\u00";
        o += hex[c >> 4];
        o += hex[c & 15];
      }
    }
  }
  o.append(s.data() + run, s.size() - run);
  o += '"';
}

void OptStr(std::string& o, const std::string* s) {
  if (s == nullptr) o += "null";
  else Str(o, *s);
}

struct Rate {
  int64_t mantissa;
  int scale;
};

struct Tables {
  std::unordered_map<std::string, std::string> states, countries, calling;
  std::unordered_set<std::string> nanp;
  std::unordered_map<std::string, Rate> rates;
  std::unordered_map<std::string, std::string> subsidiary{
      {"US", "Acme Inc"}, {"CA", "Acme Canada"}, {"GB", "Acme UK Ltd"}, {"DE", "Acme GmbH"}};
};

Tables LoadTables(const std::string& dir) {
  Tables t;
  simdjson::dom::parser p;
  simdjson::dom::element geo;
  if (p.load(dir + "/geo.json").get(geo)) Die("cannot read " + dir + "/geo.json");
  auto fill = [&](const char* key, std::unordered_map<std::string, std::string>& m) {
    simdjson::dom::object obj;
    if (geo[key].get(obj)) Die(std::string("geo.json: no object ") + key);
    for (auto [k, v] : obj) {
      std::string_view s;
      if (v.get(s)) Die(std::string("geo.json: ") + key + ": a value is not a string");
      m.emplace(std::string(k), std::string(s));
    }
  };
  fill("states", t.states);
  fill("countries", t.countries);
  fill("calling_codes", t.calling);
  simdjson::dom::array nanp;
  if (geo["nanp"].get(nanp)) Die("geo.json: no array nanp");
  for (auto v : nanp) {
    std::string_view s;
    if (v.get(s)) Die("geo.json: nanp: a value is not a string");
    t.nanp.emplace(s);
  }
  std::ifstream in(dir + "/rates.csv");
  if (!in) Die("cannot read " + dir + "/rates.csv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::string_view l = Trim(line);
    if (l.empty()) continue;
    size_t comma = l.find(',');
    std::string cur(l.substr(0, comma));
    std::string val(l.substr(comma + 1));
    size_t dot = val.find('.');
    std::string digits = dot == std::string::npos ? val : val.substr(0, dot) + val.substr(dot + 1);
    t.rates[cur] = Rate{std::stoll(digits), dot == std::string::npos ? 0 : static_cast<int>(val.size() - dot - 1)};
  }
  return t;
}

int64_t Pow10(int n) {
  int64_t v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

// One Account's fields that the mapping reads (copied: simdjson's string buffer is reused).
struct Account {
  std::string id, name, billing_state, shipping_state, billing_country, phone, currency, subsidiary, terms;
  bool has_id, has_name, has_bstate, has_sstate, has_bcountry, has_phone, has_currency, has_sub, has_terms,
      has_revenue;
  int64_t revenue;
};

template <typename V>
bool GetStr(V& v, std::string& out) {
  if (v.is_null()) return false;
  std::string_view s;
  if (v.get_string().get(s)) Die("expected a string");
  out.assign(s);
  return true;
}

constexpr const char* kMap = "account_to_customer";  // the spec's map name (w1.crmx)
constexpr const char* kInFile = "Account.jsonl";

class W1 {
 public:
  W1(Tables t, const std::string& out_dir)
      : t_(std::move(t)),
        cust_(out_dir + "/Customer.jsonl"),
        qual_(out_dir + "/quality.jsonl"),
        held_(out_dir + "/held.jsonl"),
        flags_(out_dir + "/flags.jsonl") {
    // Constant per run: the start of every queue line, and its "file".
    q_head_ = "{\"map\":";
    Str(q_head_, kMap);
    q_head_ += ",\"key\":";
    q_file_ = ",\"file\":";
    Str(q_file_, kInFile);
    q_file_ += ",\"line\":";
  }

  // `line`: the record's 1-based line number in Account.jsonl.
  template <typename Doc>
  void Record(Doc& doc, uint64_t line) {
    Account& a = a_;
    a.has_id = a.has_name = a.has_bstate = a.has_sstate = a.has_bcountry = a.has_phone = a.has_currency =
        a.has_sub = a.has_terms = a.has_revenue = false;
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) Die("a line is not a JSON object");
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) Die("bad key");
      auto v = field.value();
      if (key == "Id") a.has_id = GetStr(v, a.id);
      else if (key == "Name") a.has_name = GetStr(v, a.name);
      else if (key == "BillingState") a.has_bstate = GetStr(v, a.billing_state);
      else if (key == "ShippingState") a.has_sstate = GetStr(v, a.shipping_state);
      else if (key == "BillingCountry") a.has_bcountry = GetStr(v, a.billing_country);
      else if (key == "Phone") a.has_phone = GetStr(v, a.phone);
      else if (key == "CurrencyIsoCode") a.has_currency = GetStr(v, a.currency);
      else if (key == "Subsidiary__c") a.has_sub = GetStr(v, a.subsidiary);
      else if (key == "PaymentTerms__c") a.has_terms = GetStr(v, a.terms);
      else if (key == "AnnualRevenue") {
        if (!v.is_null()) {
          int64_t i;
          double d;
          if (!v.get_int64().get(i)) a.revenue = i;
          else if (!v.get_double().get(d) && d == static_cast<double>(static_cast<int64_t>(d))) a.revenue = static_cast<int64_t>(d);
          else Die("AnnualRevenue is not a whole number");
          a.has_revenue = true;
        }
      }
    }
    Map(a, line);
  }

 private:
  const std::string* Lookup(const std::unordered_map<std::string, std::string>& m, std::string_view s) {
    key_.assign(Trim(s));
    for (char& c : key_) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    auto it = m.find(key_);
    return it == m.end() ? nullptr : &it->second;
  }

  bool E164(const Account& a, const std::string& country, std::string& out) {
    if (!a.has_phone) return false;
    digits_.clear();
    for (char c : a.phone) {
      if (c >= '0' && c <= '9') digits_ += c;
    }
    if (digits_.empty()) return false;
    out.clear();
    if (Trim(a.phone).front() == '+') {
      out = "+" + digits_;
      return true;
    }
    if (t_.nanp.count(country) != 0) {
      if (digits_.size() == 10) out = "+1" + digits_;
      else if (digits_.size() == 11 && digits_[0] == '1') out = "+" + digits_;
      else return false;
      return true;
    }
    if (digits_[0] == '0' && digits_.size() > 1) {
      out = "+" + t_.calling.at(country) + digits_.substr(1);
      return true;
    }
    return false;
  }

  bool Usd(const Account& a, std::string& out) {
    if (!a.has_revenue || !a.has_currency) return false;
    auto it = t_.rates.find(a.currency);
    if (it == t_.rates.end()) return false;
    int64_t p;
    if (__builtin_mul_overflow(a.revenue, it->second.mantissa, &p)) Die("AnnualRevenue too large");
    int s = it->second.scale;
    // Cents, rounded half up, away from zero (SEMANTICS.md, "Money"): round the magnitude,
    // a tie (remainder exactly half) goes up, then put the sign back. Integers only.
    bool neg = p < 0;
    uint64_t m = neg ? 0 - static_cast<uint64_t>(p) : static_cast<uint64_t>(p);
    uint64_t q;
    if (s > 2) {
      uint64_t div = static_cast<uint64_t>(Pow10(s - 2));
      q = m / div;
      if (m % div >= 5 * static_cast<uint64_t>(Pow10(s - 3))) ++q;
    } else if (__builtin_mul_overflow(m, static_cast<uint64_t>(Pow10(2 - s)), &q)) {
      Die("AnnualRevenue too large");
    }
    out.clear();
    if (neg && q != 0) out += '-';  // 0.00, never -0.00
    out += std::to_string(q / 100);
    out += '.';
    out += static_cast<char>('0' + (q % 100) / 10);
    out += static_cast<char>('0' + q % 10);
    return true;
  }

  // The start of a queue line up to and including "line":LINE (see SEMANTICS.md).
  void QueueHead(std::string& o, const Account& a, uint64_t line) {
    o += q_head_;
    OptStr(o, a.has_id ? &a.id : nullptr);
    o += q_file_;
    o += std::to_string(line);
  }

  void Map(const Account& a, uint64_t line) {
    std::string_view name = a.has_name ? Trim(a.name) : std::string_view();
    if (name.empty()) {
      std::string& o = qual_.buf();
      QueueHead(o, a, line);
      o += ",\"reasons\":[\"missing Name\"],\"fields\":[\"Name\"]}\n";
      qual_.Done();
      return;
    }
    const std::string* country = a.has_bcountry ? Lookup(t_.countries, a.billing_country) : nullptr;
    if (country == nullptr) {
      std::string& o = held_.buf();
      QueueHead(o, a, line);
      o += ",\"reasons\":[\"Unknown country\"]}\n";
      held_.Done();
      return;
    }
    const std::string* state = a.has_bstate ? Lookup(t_.states, a.billing_state)
                               : a.has_sstate ? Lookup(t_.states, a.shipping_state)
                                              : nullptr;
    bool has_phone = E164(a, *country, phone_);
    const std::string* sub = &kPending;
    if (a.has_sub) sub = &a.subsidiary;
    else if (auto it = t_.subsidiary.find(*country); it != t_.subsidiary.end()) sub = &it->second;
    const std::string* terms = a.has_terms ? &a.terms : &kNet30;
    if (!a.has_terms) {
      std::string& f = flags_.buf();
      f += q_head_;
      OptStr(f, a.has_id ? &a.id : nullptr);
      f += ",\"flag\":\"finance:default_terms\"}\n";
      flags_.Done();
    }
    bool has_rev = Usd(a, rev_);
    std::string& o = cust_.buf();
    o += "{\"externalId\":";
    OptStr(o, a.has_id ? &a.id : nullptr);
    o += ",\"companyName\":";
    Str(o, name);
    o += ",\"state\":";
    OptStr(o, state);
    o += ",\"country\":";
    Str(o, *country);
    o += ",\"phone\":";
    OptStr(o, has_phone ? &phone_ : nullptr);
    o += ",\"subsidiary\":";
    Str(o, *sub);
    o += ",\"terms\":";
    Str(o, *terms);
    o += ",\"currency\":";
    OptStr(o, a.has_currency ? &a.currency : nullptr);
    o += ",\"annualRevenueUsd\":";
    o += has_rev ? rev_ : std::string("null");
    o += "}\n";
    cust_.Done();
  }

  inline static const std::string kPending = "PENDING_REVIEW";
  inline static const std::string kNet30 = "Net 30";
  Tables t_;
  Out cust_, qual_, held_, flags_;
  Account a_;
  std::string q_head_, q_file_;
  std::string key_, digits_, phone_, rev_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: w1_simdjson IN_DIR OUT_DIR [DATA_DIR]\n");
    return 2;
  }
  std::string in_dir = argv[1], out_dir = argv[2], data_dir = argc > 3 ? argv[3] : W1_DATA_DIR;
  W1 w1(LoadTables(data_dir), out_dir);

  std::string in_path = in_dir + "/" + kInFile;
  std::FILE* in = std::fopen(in_path.c_str(), "rb");
  if (in == nullptr) Die("cannot read " + in_path);
  constexpr size_t kChunk = 4 << 20;
  std::vector<char> buf(kChunk + simdjson::SIMDJSON_PADDING);
  size_t have = 0;  // bytes in buf (a partial line carried over, then the new read)
  uint64_t line = 0;  // line number of the last record (one record a line, no blank lines)
  simdjson::ondemand::parser parser;
  for (;;) {
    size_t n = std::fread(buf.data() + have, 1, kChunk - have, in);
    have += n;
    if (have == 0) break;
    size_t end = have;  // parse up to and including the last newline (or everything at EOF)
    if (n != 0) {
      while (end > 0 && buf[end - 1] != '\n') --end;
      if (end == 0) {
        if (have == kChunk) Die("a line is longer than the 4 MiB chunk");
        continue;
      }
    }
    simdjson::ondemand::document_stream docs;
    if (parser.iterate_many(buf.data(), end, 1 << 20).get(docs)) Die("iterate_many failed");
    for (auto it = docs.begin(); it != docs.end(); ++it) {
      // Records are counted, not lines: check (O(1)) that each is an object starting a line and
      // follows no blank line, so that the count is the line number. buf[0] starts a line.
      // current_index() is the record's "{", except for the first record of one of
      // iterate_many's 1 MiB batches: there it is the batch start, which is white space when
      // the previous batch ended on a record's "}" (its newline starts the next batch). So
      // skip JSON white space first; the bytes before the "{" are checked as for any record.
      size_t at = it.current_index();
      if (buf[at] != '{') {
        while (at + 1 < end && (buf[at] == '\n' || buf[at] == ' ' || buf[at] == '\t' || buf[at] == '\r')) ++at;
      }
      if (buf[at] != '{' || (at != 0 && (buf[at - 1] != '\n' || at == 1 || buf[at - 2] == '\n')))
        Die("after line " + std::to_string(line) + ": not one JSON object a line, or a blank line");
      simdjson::ondemand::document_reference d;
      if ((*it).get(d)) Die("malformed JSON line");
      w1.Record(d, ++line);
    }
    if (docs.truncated_bytes() != 0) Die("a truncated JSON document");
    std::memmove(buf.data(), buf.data() + end, have - end);
    have -= end;
    if (n == 0) break;
  }
  std::fclose(in);
  return 0;
}
