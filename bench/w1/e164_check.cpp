// e164_check: verifies the W1 peers' phone normalisation against libphonenumber itself.
//
//   e164_check FILE.tsv
//
// Each line is `PHONE \t COUNTRY \t E164` where E164 is what the peers wrote (empty = null).
// For each line, libphonenumber parses PHONE with COUNTRY as the default region; the line
// passes when either the peers wrote null and libphonenumber rejects the text (parse error or
// not a valid number), or the peers wrote X and libphonenumber finds a valid number whose E.164
// form is X. run_w1.py writes the file from a verified run (bench/w1/SEMANTICS.md, "phone").
// Prints `e164_check: N numbers, M mismatches` and exits 1 on any mismatch.
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: e164_check FILE.tsv\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "e164_check: cannot read " << argv[1] << "\n";
    return 2;
  }
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::string line;
  long total = 0, bad = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) {
      std::cerr << "e164_check: malformed line: " << line << "\n";
      return 2;
    }
    std::string phone = line.substr(0, t1), region = line.substr(t1 + 1, t2 - t1 - 1),
                expected = line.substr(t2 + 1);
    ++total;
    PhoneNumber n;
    std::string got;
    if (util.Parse(phone, region, &n) == PhoneNumberUtil::NO_PARSING_ERROR && util.IsValidNumber(n)) {
      util.Format(n, PhoneNumberUtil::E164, &got);
    }
    if (got != expected) {
      if (++bad <= 20) {
        std::cerr << "mismatch: phone \"" << phone << "\" region " << region << ": peers "
                  << (expected.empty() ? "null" : expected) << ", libphonenumber "
                  << (got.empty() ? "null (parse error or invalid number)" : got) << "\n";
      }
    }
  }
  std::cout << "e164_check: " << total << " numbers, " << bad << " mismatches\n";
  return bad == 0 ? 0 : 1;
}
