// bench_phone: std.phone's e164 through libphonenumber (SlowE164) and through E164 (the fast
// path, libphonenumber for what it declines), side by side on (a) the W1 phone mix, the Phone
// and country of bench/w1's Account.jsonl, (b) the differential corpus of
// tests/unit/stdlib/phone_corpus.h and (c) the part of it the fast path answers. Prints
// key=value lines (README.md in this folder).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "runtime/stdlib/geo.h"
#include "runtime/stdlib/phone.h"
#include "runtime/stdlib/phone_paths.h"
#include "tests/unit/stdlib/phone_corpus.h"

namespace {

using crmx::stdlib::Result;
using crmx::test::PhoneCase;

struct Options {
  std::string w1;          // Account.jsonl; empty: no W1 figures
  int runs = 5;            // timed passes over each set; the best one counts
  size_t corpus_limit = 0; // 0: the whole corpus
};

std::optional<Options> ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--w1") options.w1 = argv[i + 1];
    else if (flag == "--runs") options.runs = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--corpus-limit") options.corpus_limit = std::strtoul(argv[i + 1], nullptr, 10);
    else return std::nullopt;
  }
  if (argc % 2 == 0) return std::nullopt;
  return options;
}

// The e164 calls W1 makes: e164(Phone, country_code(BillingCountry)) for records with a Phone
// whose country is known (the others are held before the phone is read).
std::vector<PhoneCase> ReadW1(const std::string& path) {
  std::vector<PhoneCase> cases;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json record = nlohmann::json::parse(line);
    const nlohmann::json& phone = record["Phone"];
    const nlohmann::json& country = record["BillingCountry"];
    if (!phone.is_string() || !country.is_string()) continue;
    Result<std::string_view> code = crmx::stdlib::CountryCode(country.get<std::string>());
    if (code.ok()) cases.push_back({phone.get<std::string>(), std::string(code.value())});
  }
  return cases;
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Best CPU time of `runs` passes over `cases`, in ns per call, after one untimed warm-up pass.
template <class F>
double NsPerCall(const std::vector<PhoneCase>& cases, int runs, F e164) {
  size_t sink = 0;
  for (const PhoneCase& c : cases) sink += e164(c.text, c.region).ok();
  double best = 1e300;
  for (int run = 0; run < runs; ++run) {
    double start = CpuSeconds();
    for (const PhoneCase& c : cases) sink += e164(c.text, c.region).ok();
    best = std::min(best, CpuSeconds() - start);
  }
  if (sink == 1) std::fputs("", stdout);  // keeps the calls observable
  return best * 1e9 / static_cast<double>(cases.size());
}

bool SameAnswer(const Result<std::string>& a, const Result<std::string>& b) {
  if (a.ok() != b.ok()) return false;
  return a.ok() ? a.value() == b.value() : a.reason() == b.reason();
}

void Report(const std::string& name, const std::vector<PhoneCase>& cases, int runs) {
  size_t declined = 0;
  size_t valid = 0;
  size_t mismatches = 0;
  for (const PhoneCase& c : cases) {
    declined += crmx::stdlib::phone::FastE164(c.text, c.region).has_value() ? 0 : 1;
    Result<std::string> slow = crmx::stdlib::phone::SlowE164(c.text, c.region);
    valid += slow.ok() ? 1 : 0;
    mismatches += SameAnswer(slow, crmx::stdlib::E164(c.text, c.region)) ? 0 : 1;
  }
  double slow_ns = NsPerCall(cases, runs, crmx::stdlib::phone::SlowE164);
  double fast_ns =
      NsPerCall(cases, runs, [](std::string_view t, std::string_view r) { return crmx::stdlib::E164(t, r); });
  std::printf("%s_calls=%zu\n%s_valid=%zu\n%s_fallbacks=%zu\n%s_mismatches=%zu\n", name.c_str(), cases.size(),
              name.c_str(), valid, name.c_str(), declined, name.c_str(), mismatches);
  std::printf("%s_libphonenumber_ns=%.0f\n%s_e164_ns=%.0f\n%s_ratio=%.1f\n", name.c_str(), slow_ns, name.c_str(),
              fast_ns, name.c_str(), slow_ns / fast_ns);
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options = ParseOptions(argc, argv);
  if (!options) {
    std::fprintf(stderr, "usage: bench_phone [--w1 Account.jsonl] [--runs K] [--corpus-limit N]\n");
    return 2;
  }
  double start = CpuSeconds();
  (void)crmx::stdlib::E164("+1 415 555 2671");
  std::printf("first_call_ms=%.1f\nruns=%d\n", (CpuSeconds() - start) * 1e3, options->runs);
  if (!options->w1.empty()) {
    std::vector<PhoneCase> w1 = ReadW1(options->w1);
    if (w1.empty()) {
      std::fprintf(stderr, "bench_phone: no phone in %s\n", options->w1.c_str());
      return 1;
    }
    Report("w1", w1, options->runs);
  }
  std::vector<PhoneCase> corpus = crmx::test::MakePhoneCorpus();
  if (options->corpus_limit > 0 && corpus.size() > options->corpus_limit) {
    // Every k-th case, so that a small sample still spans all regions.
    std::vector<PhoneCase> sample;
    size_t step = corpus.size() / options->corpus_limit + 1;
    for (size_t i = 0; i < corpus.size(); i += step) sample.push_back(corpus[i]);
    corpus = std::move(sample);
  }
  Report("corpus", corpus, options->runs);
  // The cases the fast path answers: its own speed across all regions, without the fallbacks.
  std::vector<PhoneCase> answered;
  for (const PhoneCase& c : corpus) {
    if (crmx::stdlib::phone::FastE164(c.text, c.region)) answered.push_back(c);
  }
  Report("corpus_fast", answered, options->runs);
  return 0;
}
