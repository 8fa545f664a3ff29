// Implements std.time (time.h): the civil calendar (Howard Hinnant's days_from_civil), a
// strftime-style parser and formatter, and time zones through Abseil (cctz) over the system's
// tz database.
#include "runtime/stdlib/time.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <optional>

namespace crmx::stdlib {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

constexpr std::string_view kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                        "July",    "August",   "September", "October", "November", "December"};
constexpr std::string_view kWeekdays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// 0 = Sunday.
int Weekday(int64_t days) { return static_cast<int>(((days % 7) + 11) % 7); }

std::optional<absl::TimeZone> LoadZone(std::string_view name) {
  if (name == "UTC" || name == "Z" || name == "GMT" || name == "Etc/UTC") return absl::UTCTimeZone();
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(std::string(name), &tz)) return std::nullopt;
  return tz;
}

// What a text says, field by field.
struct Fields {
  int year = 0;
  bool has_year = false;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0, micros = 0;
  int day_of_year = 0;  // 1..366 when %j was read
  int hour12 = -1;      // %I
  int pm = -1;          // %p: 0 AM, 1 PM
  int weekday = -1;     // %a / %A
  std::optional<int> offset_seconds;
  std::optional<absl::TimeZone> zone;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  Parser(std::string_view text, std::string_view format) : text_(text), format_(format) {}

  // Empty on success, else what went wrong.
  // %F and %T are expanded by the caller (Expand).
  std::string Run(Fields* f) { return Match(format_, f); }

 private:
  std::string Match(std::string_view format, Fields* f) {
    for (size_t i = 0; i < format.size(); ++i) {
      char c = format[i];
      if (c == ' ') {
        while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
        continue;
      }
      if (c != '%') {
        if (pos_ >= text_.size() || !EqualsIgnoreCase(text_.substr(pos_, 1), format.substr(i, 1))) {
          return "expected `" + std::string(1, c) + "` at " + Where();
        }
        ++pos_;
        continue;
      }
      if (++i >= format.size()) return "the format ends inside a `%` directive";
      char d = format[i];
      if (d == ':' && i + 1 < format.size() && format[i + 1] == 'z') {
        ++i;
        d = 'z';
      }
      std::string error = Directive(d, f);
      if (!error.empty()) return error;
    }
    if (pos_ != text_.size()) return "unexpected " + Quote(text_.substr(pos_)) + " at the end";
    return {};
  }

  std::string Where() const {
    if (pos_ >= text_.size()) return "the end";
    return "position " + std::to_string(pos_ + 1);
  }

  // Reads min..max digits.
  bool Number(size_t min, size_t max, int* out) {
    size_t start = pos_;
    int v = 0;
    while (pos_ < text_.size() && pos_ - start < max && IsDigit(text_[pos_])) v = v * 10 + (text_[pos_++] - '0');
    if (pos_ - start < min) {
      pos_ = start;
      return false;
    }
    *out = v;
    return true;
  }

  std::string NumberField(char d, size_t min, size_t max, int lo, int hi, int* out) {
    if (!Number(min, max, out)) return "expected digits for `%" + std::string(1, d) + "` at " + Where();
    if (*out < lo || *out > hi) {
      return "`%" + std::string(1, d) + "` is " + std::to_string(*out) + ", outside " + std::to_string(lo) + ".." +
             std::to_string(hi);
    }
    return {};
  }

  // A name of `names` (full, or its first three letters), case-insensitive.
  bool Name(const std::string_view* names, int count, int* out) {
    for (int i = 0; i < count; ++i) {
      std::string_view full = names[i];
      if (pos_ + full.size() <= text_.size() && EqualsIgnoreCase(text_.substr(pos_, full.size()), full)) {
        pos_ += full.size();
        *out = i;
        return true;
      }
    }
    for (int i = 0; i < count; ++i) {
      std::string_view abbr = names[i].substr(0, 3);
      if (pos_ + 3 <= text_.size() && EqualsIgnoreCase(text_.substr(pos_, 3), abbr)) {
        pos_ += 3;
        *out = i;
        return true;
      }
    }
    return false;
  }

  std::string Directive(char d, Fields* f) {
    switch (d) {
      case 'Y': {
        f->has_year = true;
        return NumberField(d, 4, 4, 1, 9999, &f->year);
      }
      case 'y': {
        int y = 0;
        std::string e = NumberField(d, 2, 2, 0, 99, &y);
        // POSIX: 69..99 are 1969..1999, 00..68 are 2000..2068.
        f->year = y >= 69 ? 1900 + y : 2000 + y;
        f->has_year = true;
        return e;
      }
      case 'm': return NumberField(d, 1, 2, 1, 12, &f->month);
      case 'd': return NumberField(d, 1, 2, 1, 31, &f->day);
      case 'e':
        if (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
        return NumberField(d, 1, 2, 1, 31, &f->day);
      case 'j': return NumberField(d, 1, 3, 1, 366, &f->day_of_year);
      case 'H': return NumberField(d, 1, 2, 0, 23, &f->hour);
      case 'I': return NumberField(d, 1, 2, 1, 12, &f->hour12);
      case 'M': return NumberField(d, 1, 2, 0, 59, &f->minute);
      case 'S': return NumberField(d, 1, 2, 0, 59, &f->second);
      case 'f':
      case 'L': {
        size_t start = pos_;
        int micros = 0;
        int digits = 0;
        while (pos_ < text_.size() && IsDigit(text_[pos_]) && digits < 9) {
          if (digits < 6) micros = micros * 10 + (text_[pos_] - '0');
          ++digits;
          ++pos_;
        }
        if (pos_ == start) return "expected fraction digits for `%" + std::string(1, d) + "` at " + Where();
        for (int i = digits; i < 6; ++i) micros *= 10;
        f->micros = micros;
        return {};
      }
      case 'p': {
        if (pos_ + 2 <= text_.size() && EqualsIgnoreCase(text_.substr(pos_, 2), "AM")) {
          f->pm = 0;
        } else if (pos_ + 2 <= text_.size() && EqualsIgnoreCase(text_.substr(pos_, 2), "PM")) {
          f->pm = 1;
        } else {
          return "expected `AM` or `PM` at " + Where();
        }
        pos_ += 2;
        return {};
      }
      case 'b':
      case 'B': {
        int m = 0;
        if (!Name(kMonths, 12, &m)) return "expected a month name at " + Where();
        f->month = m + 1;
        return {};
      }
      case 'a':
      case 'A': {
        if (!Name(kWeekdays, 7, &f->weekday)) return "expected a weekday name at " + Where();
        return {};
      }
      case 'z': {
        if (pos_ < text_.size() && (text_[pos_] == 'Z' || text_[pos_] == 'z')) {
          ++pos_;
          f->offset_seconds = 0;
          return {};
        }
        if (pos_ >= text_.size() || (text_[pos_] != '+' && text_[pos_] != '-')) {
          return "expected a UTC offset such as `+0100` or `Z` at " + Where();
        }
        int sign = text_[pos_++] == '-' ? -1 : 1;
        int hours = 0;
        int minutes = 0;
        if (!Number(2, 2, &hours)) return "expected a UTC offset such as `+0100` or `Z` at " + Where();
        if (pos_ < text_.size() && text_[pos_] == ':') ++pos_;
        Number(2, 2, &minutes);
        if (hours > 18 || minutes > 59) return "the UTC offset is out of range";
        f->offset_seconds = sign * (hours * 3600 + minutes * 60);
        return {};
      }
      case 'Z': {
        size_t start = pos_;
        while (pos_ < text_.size() && !IsSpace(text_[pos_])) ++pos_;
        std::string_view name = text_.substr(start, pos_ - start);
        if (name.empty()) return "expected a time zone name at " + Where();
        auto zone = LoadZone(name);
        if (!zone) return "unknown time zone " + Quote(name);
        f->zone = *zone;
        return {};
      }
      case '%':
        if (pos_ < text_.size() && text_[pos_] == '%') {
          ++pos_;
          return {};
        }
        return "expected `%` at " + Where();
      default: return "unknown directive `%" + std::string(1, d) + "` in the format";
    }
  }

  std::string_view text_;
  std::string_view format_;
  size_t pos_ = 0;
};

// Expands %F and %T so that the parser's end-of-text check runs once, on the whole format.
std::string Expand(std::string_view format) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '%' && i + 1 < format.size()) {
      char d = format[i + 1];
      if (d == 'F') {
        out += "%Y-%m-%d";
        ++i;
        continue;
      }
      if (d == 'T') {
        out += "%H:%M:%S";
        ++i;
        continue;
      }
      out += format.substr(i, 2);
      ++i;
      continue;
    }
    out.push_back(format[i]);
  }
  return out;
}

// Parses and validates; on success the fields name a real calendar date.
std::string ParseFields(std::string_view text, std::string_view format, Fields* f) {
  std::string expanded = Expand(format);
  Parser parser(text, expanded);
  std::string error = parser.Run(f);
  if (!error.empty()) return error;
  if (!f->has_year) return "the format reads no year (`%Y` or `%y`)";
  if (f->day_of_year > 0) {
    int days = IsLeap(f->year) ? 366 : 365;
    if (f->day_of_year > days) return "day " + std::to_string(f->day_of_year) + " does not exist in " + std::to_string(f->year);
    int m = 1;
    int rest = f->day_of_year;
    while (rest > DaysInMonth(f->year, m)) rest -= DaysInMonth(f->year, m++);
    f->month = m;
    f->day = rest;
  }
  if (f->day > DaysInMonth(f->year, f->month)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", f->year, f->month, f->day);
    return std::string(buf) + " is not a date";
  }
  if (f->hour12 >= 0) {
    f->hour = f->hour12 % 12 + (f->pm == 1 ? 12 : 0);
  } else if (f->pm >= 0) {
    return "`%p` needs a 12-hour clock (`%I`)";
  }
  if (f->weekday >= 0 && Weekday(DaysFromCivil(f->year, f->month, f->day)) != f->weekday) {
    return "the weekday does not match the date";
  }
  return {};
}

std::string Mismatch(std::string_view text, std::string_view format, const std::string& why) {
  return Quote(text) + " does not match the format " + Quote(format) + ": " + why;
}

// What a formatter prints.
struct Moment {
  Civil civil;
  int64_t days = 0;
  int offset_seconds = 0;
  std::string abbreviation = "UTC";
};

void Pad(std::string* out, int64_t v, int width, char fill = '0') {
  std::string digits = std::to_string(v);
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out->push_back(fill);
  out->append(digits);
}

Result<std::string> Render(const Moment& m, std::string_view format) {
  std::string out;
  const Civil& c = m.civil;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (++i >= format.size()) return Fail("the format " + Quote(format) + " ends inside a `%` directive");
    char d = format[i];
    bool colon = false;
    if (d == ':' && i + 1 < format.size() && format[i + 1] == 'z') {
      colon = true;
      d = format[++i];
    }
    switch (d) {
      case 'Y': Pad(&out, c.year, 4); break;
      case 'y': Pad(&out, c.year % 100, 2); break;
      case 'm': Pad(&out, c.month, 2); break;
      case 'd': Pad(&out, c.day, 2); break;
      case 'e': Pad(&out, c.day, 2, ' '); break;
      case 'j': Pad(&out, m.days - DaysFromCivil(c.year, 1, 1) + 1, 3); break;
      case 'H': Pad(&out, c.hour, 2); break;
      case 'I': Pad(&out, c.hour % 12 == 0 ? 12 : c.hour % 12, 2); break;
      case 'p': out += c.hour < 12 ? "AM" : "PM"; break;
      case 'M': Pad(&out, c.minute, 2); break;
      case 'S': Pad(&out, c.second, 2); break;
      case 'f': Pad(&out, c.micros, 6); break;
      case 'L': Pad(&out, c.micros / 1000, 3); break;
      case 'z': {
        int o = m.offset_seconds;
        out.push_back(o < 0 ? '-' : '+');
        o = o < 0 ? -o : o;
        Pad(&out, o / 3600, 2);
        if (colon) out.push_back(':');
        Pad(&out, (o % 3600) / 60, 2);
        break;
      }
      case 'Z': out += m.abbreviation; break;
      case 'b': out += kMonths[c.month - 1].substr(0, 3); break;
      case 'B': out += kMonths[c.month - 1]; break;
      case 'a': out += kWeekdays[Weekday(m.days)].substr(0, 3); break;
      case 'A': out += kWeekdays[Weekday(m.days)]; break;
      case 'F': {
        auto r = Render(m, "%Y-%m-%d");
        out += *r;
        break;
      }
      case 'T': {
        auto r = Render(m, "%H:%M:%S");
        out += *r;
        break;
      }
      case '%': out.push_back('%'); break;
      default: return Fail("unknown directive `%" + std::string(1, d) + "` in the format " + Quote(format));
    }
  }
  return out;
}

}  // namespace

Result<Date> DateFromCivil(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d is not a date", year, month, day);
    return Fail(buf);
  }
  return Date{static_cast<int32_t>(DaysFromCivil(year, month, day))};
}

Civil CivilFromDate(Date date) {
  int64_t z = date.days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  Civil c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(yoe + era * 400 + (c.month <= 2));
  return c;
}

Result<Date> ParseDate(std::string_view text, std::string_view format) {
  Fields f;
  std::string error = ParseFields(text, format, &f);
  if (!error.empty()) return Fail(Mismatch(text, format, error));
  return DateFromCivil(f.year, f.month, f.day);
}

Result<DateTime> ParseDateTime(std::string_view text, std::string_view format, std::string_view zone) {
  Fields f;
  std::string error = ParseFields(text, format, &f);
  if (!error.empty()) return Fail(Mismatch(text, format, error));
  int64_t local_seconds = DaysFromCivil(f.year, f.month, f.day) * 86'400 + f.hour * 3600 + f.minute * 60 + f.second;
  int64_t seconds = 0;
  if (f.offset_seconds) {
    seconds = local_seconds - *f.offset_seconds;
  } else {
    std::optional<absl::TimeZone> tz = f.zone;
    if (!tz) {
      tz = LoadZone(zone);
      if (!tz) return Fail("unknown time zone " + Quote(zone));
    }
    absl::TimeZone::TimeInfo info = tz->At(absl::CivilSecond(f.year, f.month, f.day, f.hour, f.minute, f.second));
    // Skipped local times use the offset before the change (they land after the gap); repeated
    // ones the first occurrence. `pre` is both.
    seconds = absl::ToUnixSeconds(info.pre);
  }
  return DateTime{seconds * kMicrosPerSecond + f.micros};
}

Result<DateTime> ParseTimestamp(std::string_view text) {
  size_t t = text.find_first_of("Tt ");
  bool fraction = t != std::string_view::npos && text.find('.', t) != std::string_view::npos;
  auto r = ParseDateTime(text, fraction ? "%Y-%m-%dT%H:%M:%S.%f%z" : "%Y-%m-%dT%H:%M:%S%z");
  if (!r) return Fail(Quote(text) + " is not an RFC 3339 timestamp");
  return r;
}

Result<std::string> FormatDate(Date date, std::string_view format) {
  Moment m;
  m.civil = CivilFromDate(date);
  m.days = date.days;
  return Render(m, format);
}

Result<std::string> FormatDateTime(DateTime datetime, std::string_view format, std::string_view zone) {
  auto tz = LoadZone(zone);
  if (!tz) return Fail("unknown time zone " + Quote(zone));
  int64_t seconds = FloorDiv(datetime.micros, kMicrosPerSecond);
  absl::Time t = absl::FromUnixSeconds(seconds);
  absl::TimeZone::CivilInfo info = tz->At(t);
  Moment m;
  m.civil.year = static_cast<int>(info.cs.year());
  m.civil.month = info.cs.month();
  m.civil.day = info.cs.day();
  m.civil.hour = info.cs.hour();
  m.civil.minute = info.cs.minute();
  m.civil.second = info.cs.second();
  m.civil.micros = static_cast<int>(datetime.micros - seconds * kMicrosPerSecond);
  m.days = DaysFromCivil(m.civil.year, m.civil.month, m.civil.day);
  m.offset_seconds = info.offset;
  m.abbreviation = info.zone_abbr ? info.zone_abbr : "";
  return Render(m, format);
}

std::string TimestampText(DateTime datetime) {
  int64_t seconds = FloorDiv(datetime.micros, kMicrosPerSecond);
  int64_t micros = datetime.micros - seconds * kMicrosPerSecond;
  const char* format = micros == 0 ? "%Y-%m-%dT%H:%M:%SZ" : micros % 1000 == 0 ? "%Y-%m-%dT%H:%M:%S.%LZ" : "%Y-%m-%dT%H:%M:%S.%fZ";
  auto r = FormatDateTime(datetime, format, "UTC");
  return r ? *r : std::string();
}

Result<Date> DateOf(DateTime datetime, std::string_view zone) {
  auto tz = LoadZone(zone);
  if (!tz) return Fail("unknown time zone " + Quote(zone));
  absl::CivilDay day(absl::ToCivilDay(absl::FromUnixSeconds(FloorDiv(datetime.micros, kMicrosPerSecond)), *tz));
  return Date{static_cast<int32_t>(DaysFromCivil(day.year(), day.month(), day.day()))};
}

}  // namespace crmx::stdlib
