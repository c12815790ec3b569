// Every timestamp format logship reads and writes, in one file on purpose: the formats share
// the private field scanners below (fixed and variable digits, month and weekday names, zones,
// fractions), which are the hot path of every parser and stay inlinable only here.
#include "agent/support/timestamp.h"

#include <array>
#include <cstdio>
#include <cstdint>
#include <cstring>

#include "agent/support/ascii.h"

namespace logship::timestamp {
namespace {

constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

constexpr int64_t floorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// Exactly `count` digits.
bool readFixed(std::string_view s, size_t& pos, int count, unsigned& value) {
  if (pos > s.size() || s.size() - pos < static_cast<size_t>(count)) return false;
  unsigned v = 0;
  for (int i = 0; i < count; ++i) {
    const char c = s[pos + i];
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += count;
  value = v;
  return true;
}

// Between one and `max_count` digits, as strptime reads numeric fields.
bool readVariable(std::string_view s, size_t& pos, int max_count, unsigned& value) {
  unsigned v = 0;
  int count = 0;
  while (count < max_count && pos < s.size() && isDigit(s[pos])) {
    v = v * 10 + static_cast<unsigned>(s[pos] - '0');
    ++pos;
    ++count;
  }
  if (count == 0) return false;
  value = v;
  return true;
}

// One or more fraction digits; digits beyond nanosecond precision are consumed and dropped.
bool readFraction(std::string_view s, size_t& pos, int64_t& fraction_ns) {
  int64_t value = 0;
  int64_t place = kNanosPerSecond / 10;
  const size_t begin = pos;
  while (pos < s.size() && isDigit(s[pos])) {
    value += (s[pos] - '0') * place;
    place /= 10;
    ++pos;
  }
  if (pos == begin) return false;
  fraction_ns = value;
  return true;
}

constexpr std::string_view kMonthNames[] = {"january",   "february", "march",    "april",
                                            "may",       "june",     "july",     "august",
                                            "september", "october",  "november", "december"};
constexpr std::string_view kWeekdayNames[] = {"sunday",   "monday", "tuesday", "wednesday",
                                              "thursday", "friday", "saturday"};

constexpr uint32_t packLower3(char a, char b, char c) {
  return static_cast<uint32_t>(static_cast<unsigned char>(asciiLower(a))) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(asciiLower(b))) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(asciiLower(c)));
}

// Month abbreviations packed into integers, so a lookup is a few integer compares.
constexpr auto kMonthKeys = [] {
  std::array<uint32_t, 12> keys{};
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = packLower3(kMonthNames[i][0], kMonthNames[i][1], kMonthNames[i][2]);
  }
  return keys;
}();

// English three-letter month abbreviation, case-insensitive; 0 when not a month.
unsigned monthFromAbbrev(std::string_view s, size_t pos) {
  if (s.size() < pos + 3) return 0;
  const uint32_t key = packLower3(s[pos], s[pos + 1], s[pos + 2]);
  for (size_t i = 0; i < kMonthKeys.size(); ++i) {
    if (kMonthKeys[i] == key) return static_cast<unsigned>(i + 1);
  }
  return 0;
}

// Consumes the rest of a full English name after its three-letter prefix, if present.
void skipFullNameTail(std::string_view s, size_t& pos, std::string_view full_name) {
  const std::string_view tail = full_name.substr(3);
  if (s.size() - pos < tail.size()) return;
  for (size_t i = 0; i < tail.size(); ++i) {
    if (asciiLower(s[pos + i]) != tail[i]) return;
  }
  pos += tail.size();
}

bool readMonthName(std::string_view s, size_t& pos, bool allow_full, unsigned& month) {
  const unsigned m = monthFromAbbrev(s, pos);
  if (m == 0) return false;
  pos += 3;
  if (allow_full) skipFullNameTail(s, pos, kMonthNames[m - 1]);
  month = m;
  return true;
}

bool readWeekdayName(std::string_view s, size_t& pos, bool allow_full) {
  if (s.size() < pos + 3) return false;
  for (std::string_view name : kWeekdayNames) {
    if (asciiLower(s[pos]) == name[0] && asciiLower(s[pos + 1]) == name[1] &&
        asciiLower(s[pos + 2]) == name[2]) {
      pos += 3;
      if (allow_full) skipFullNameTail(s, pos, name);
      return true;
    }
  }
  return false;
}

// 'Z', or +hh:mm, +hhmm, +hh (and '-' variants). Leaves pos untouched on failure so a caller
// scanning a prefix can treat the sign as the end of the timestamp.
bool readZone(std::string_view s, size_t& pos, int32_t& offset_seconds) {
  if (pos >= s.size()) return false;
  const char c = s[pos];
  if (c == 'Z' || c == 'z') {
    offset_seconds = 0;
    ++pos;
    return true;
  }
  if (c != '+' && c != '-') return false;
  size_t p = pos + 1;
  unsigned hours = 0;
  unsigned minutes = 0;
  if (!readFixed(s, p, 2, hours) || hours > 23) return false;
  size_t after_hours = p;
  if (p < s.size() && s[p] == ':') ++p;
  if (!readFixed(s, p, 2, minutes)) {
    p = after_hours;
    minutes = 0;
  } else if (minutes > 59) {
    return false;
  }
  const int32_t magnitude = static_cast<int32_t>(hours * 3600 + minutes * 60);
  offset_seconds = c == '-' ? -magnitude : magnitude;
  pos = p;
  return true;
}

std::string_view trimSpace(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Combines whole seconds and a non-negative fraction without overflowing early near the lower
// end of the range, where seconds * 1e9 alone would not fit but the sum does.
std::optional<int64_t> secondsToNanos(int64_t seconds, int64_t fraction_ns) {
  if (seconds < 0 && fraction_ns > 0) {
    seconds += 1;
    fraction_ns -= kNanosPerSecond;
  }
  int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNanosPerSecond, &ns)) return std::nullopt;
  if (__builtin_add_overflow(ns, fraction_ns, &ns)) return std::nullopt;
  return ns;
}

void writeDigits(char* out, uint64_t value, int count) {
  for (int i = count - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Writes "YYYY-MM-DDThh:mm:ss." and returns the sub-second part of ns.
int64_t writeDateTime(int64_t ns, char* out) {
  // Remainder first: seconds * 1e9 would overflow for instants just above INT64_MIN.
  int64_t fraction = ns % kNanosPerSecond;
  int64_t seconds = ns / kNanosPerSecond;
  if (fraction < 0) {
    fraction += kNanosPerSecond;
    seconds -= 1;
  }
  // Events come in runs from the same second: the date and time are written once per run.
  thread_local int64_t last_seconds = INT64_MIN;
  thread_local char last_text[20];
  if (seconds == last_seconds) {
    std::memcpy(out, last_text, sizeof last_text);
    return fraction;
  }
  const int64_t days = floorDiv(seconds, kSecondsPerDay);
  const int64_t second_of_day = seconds - days * kSecondsPerDay;
  const CivilDate date = civilFromDays(days);
  // The int64 nanosecond range spans years 1677..2262, so four digits always suffice.
  writeDigits(out, static_cast<uint64_t>(date.year), 4);
  out[4] = '-';
  writeDigits(out + 5, date.month, 2);
  out[7] = '-';
  writeDigits(out + 8, date.day, 2);
  out[10] = 'T';
  writeDigits(out + 11, static_cast<uint64_t>(second_of_day / 3600), 2);
  out[13] = ':';
  writeDigits(out + 14, static_cast<uint64_t>(second_of_day / 60 % 60), 2);
  out[16] = ':';
  writeDigits(out + 17, static_cast<uint64_t>(second_of_day % 60), 2);
  out[19] = '.';
  std::memcpy(last_text, out, sizeof last_text);
  last_seconds = seconds;
  return fraction;
}

// Parses "hh:mm:ss" with an optional fraction.
bool readClock(std::string_view s, size_t& pos, unsigned& hour, unsigned& minute, unsigned& second,
               int64_t& fraction_ns) {
  if (!readFixed(s, pos, 2, hour) || !expect(s, pos, ':') || !readFixed(s, pos, 2, minute) ||
      !expect(s, pos, ':') || !readFixed(s, pos, 2, second)) {
    return false;
  }
  fraction_ns = 0;
  if (pos + 1 < s.size() && (s[pos] == '.' || s[pos] == ',') && isDigit(s[pos + 1])) {
    ++pos;
    readFraction(s, pos, fraction_ns);
  }
  return true;
}

struct StrftimeFields {
  int64_t year = 1970;
  unsigned month = 1;
  unsigned day = 1;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  int64_t fraction_ns = 0;
  int32_t offset_seconds = 0;
  bool has_epoch = false;
  int64_t epoch_seconds = 0;
};

bool matchStrftime(std::string_view text, size_t& pos, std::string_view format, StrftimeFields& f) {
  for (size_t i = 0; i < format.size(); ++i) {
    const char fc = format[i];
    if (isSpace(fc)) {
      while (pos < text.size() && isSpace(text[pos])) ++pos;
      continue;
    }
    if (fc != '%') {
      if (!expect(text, pos, fc)) return false;
      continue;
    }
    if (++i >= format.size()) return false;
    unsigned value = 0;
    switch (format[i]) {
      case 'Y':
        if (!readVariable(text, pos, 4, value)) return false;
        f.year = value;
        break;
      case 'y':
        if (!readFixed(text, pos, 2, value)) return false;
        f.year = value < 69 ? 2000 + value : 1900 + value;
        break;
      case 'm':
        if (!readVariable(text, pos, 2, f.month)) return false;
        break;
      case 'e':
        if (pos < text.size() && text[pos] == ' ') ++pos;
        [[fallthrough]];
      case 'd':
        if (!readVariable(text, pos, 2, f.day)) return false;
        break;
      case 'H':
        if (!readVariable(text, pos, 2, f.hour)) return false;
        break;
      case 'M':
        if (!readVariable(text, pos, 2, f.minute)) return false;
        break;
      case 'S':
        if (!readVariable(text, pos, 2, f.second)) return false;
        break;
      case 'f':
        if (!readFraction(text, pos, f.fraction_ns)) return false;
        break;
      case 'b':
      case 'h':
      case 'B':
        if (!readMonthName(text, pos, /*allow_full=*/true, f.month)) return false;
        break;
      case 'a':
      case 'A':
        if (!readWeekdayName(text, pos, /*allow_full=*/true)) return false;
        break;
      case 'j':
        if (!readVariable(text, pos, 3, value)) return false;
        break;
      case 'z':
        if (!readZone(text, pos, f.offset_seconds)) return false;
        break;
      case 'Z': {
        const std::string_view rest = text.substr(pos);
        if (rest.substr(0, 3) == "UTC" || rest.substr(0, 3) == "GMT") {
          pos += 3;
        } else if (rest.substr(0, 1) == "Z") {
          pos += 1;
        } else {
          return false;
        }
        f.offset_seconds = 0;
        break;
      }
      case 's': {
        bool negative = false;
        if (pos < text.size() && text[pos] == '-') {
          negative = true;
          ++pos;
        }
        const size_t begin = pos;
        int64_t seconds = 0;
        while (pos < text.size() && isDigit(text[pos])) {
          if (__builtin_mul_overflow(seconds, 10, &seconds) ||
              __builtin_add_overflow(seconds, text[pos] - '0', &seconds)) {
            return false;
          }
          ++pos;
        }
        if (pos == begin) return false;
        f.has_epoch = true;
        f.epoch_seconds = negative ? -seconds : seconds;
        break;
      }
      case 'T':
        if (!matchStrftime(text, pos, "%H:%M:%S", f)) return false;
        break;
      case 'F':
        if (!matchStrftime(text, pos, "%Y-%m-%d", f)) return false;
        break;
      case 'n':
      case 't':
        while (pos < text.size() && isSpace(text[pos])) ++pos;
        break;
      case '%':
        if (!expect(text, pos, '%')) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

std::optional<int64_t> civilToNanos(int64_t year, unsigned month, unsigned day, unsigned hour,
                                    unsigned minute, unsigned second, int64_t fraction_ns,
                                    int32_t offset_seconds) {
  // The year bound only keeps daysFromCivil far from overflow; the nanosecond range check
  // below is what really limits the result.
  if (year < -1'000'000 || year > 1'000'000 || month < 1 || month > 12 || day < 1 ||
      day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60 ||
      fraction_ns < 0 || fraction_ns >= kNanosPerSecond) {
    return std::nullopt;
  }
  const int64_t seconds = daysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 +
                          minute * 60 + second - static_cast<int64_t>(offset_seconds);
  return secondsToNanos(seconds, fraction_ns);
}

size_t scanRfc3339(std::string_view text, int32_t default_offset_seconds, int64_t& ns) {
  size_t pos = 0;
  unsigned year = 0;
  unsigned month = 0;
  unsigned day = 0;
  if (!readFixed(text, pos, 4, year) || !expect(text, pos, '-') ||
      !readFixed(text, pos, 2, month) || !expect(text, pos, '-') || !readFixed(text, pos, 2, day)) {
    return 0;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) return 0;
  ++pos;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  int64_t fraction_ns = 0;
  if (!readClock(text, pos, hour, minute, second, fraction_ns)) return 0;
  int32_t offset_seconds = default_offset_seconds;
  readZone(text, pos, offset_seconds);
  const std::optional<int64_t> result =
      civilToNanos(year, month, day, hour, minute, second, fraction_ns, offset_seconds);
  if (!result) return 0;
  ns = *result;
  return pos;
}

std::optional<int64_t> parseRfc3339(std::string_view text, int32_t default_offset_seconds) {
  int64_t ns = 0;
  const size_t consumed = scanRfc3339(text, default_offset_seconds, ns);
  if (consumed == 0 || consumed != text.size()) return std::nullopt;
  return ns;
}

std::optional<int64_t> parseRfc3339(std::string_view text) { return parseRfc3339(text, 0); }

size_t scanSyslogTime(std::string_view text, int64_t reference_ns, int32_t offset_seconds,
                      int64_t& ns) {
  const unsigned month = monthFromAbbrev(text, 0);
  if (month == 0) return 0;
  size_t pos = 3;
  if (!expect(text, pos, ' ')) return 0;
  // "Jun  4" pads with a space; some producers write "Jun 4" or "Jun 04".
  if (pos < text.size() && text[pos] == ' ') ++pos;
  unsigned day = 0;
  if (!readVariable(text, pos, 2, day) || day < 1 || day > 31) return 0;
  if (!expect(text, pos, ' ')) return 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  int64_t fraction_ns = 0;
  if (!readClock(text, pos, hour, minute, second, fraction_ns)) return 0;
  if (hour > 23 || minute > 59 || second > 60) return 0;

  const int64_t reference_local =
      floorDiv(reference_ns, kNanosPerSecond) + static_cast<int64_t>(offset_seconds);
  const int64_t reference_year = civilFromDays(floorDiv(reference_local, kSecondsPerDay)).year;
  const int64_t latest_allowed = reference_local + kSyslogFutureToleranceSeconds;
  const int64_t time_of_day = hour * 3600 + minute * 60 + second;
  // Newest year first; eight years back always contains a leap year for "Feb 29".
  for (int64_t year = reference_year + 1; year >= reference_year - 8; --year) {
    if (day > daysInMonth(year, month)) continue;
    const int64_t local = daysFromCivil(year, month, day) * kSecondsPerDay + time_of_day;
    if (local > latest_allowed) continue;
    const std::optional<int64_t> result =
        civilToNanos(year, month, day, hour, minute, second, fraction_ns, offset_seconds);
    if (!result) return 0;
    ns = *result;
    return pos;
  }
  return 0;
}

std::optional<int64_t> parseSyslogTime(std::string_view text, int64_t reference_ns,
                                       int32_t offset_seconds) {
  int64_t ns = 0;
  const size_t consumed = scanSyslogTime(text, reference_ns, offset_seconds, ns);
  if (consumed == 0 || consumed != text.size()) return std::nullopt;
  return ns;
}

std::optional<int64_t> parseCommonLogTime(std::string_view text, int32_t default_offset_seconds) {
  size_t pos = 0;
  unsigned day = 0;
  unsigned month = 0;
  unsigned year = 0;
  if (!readVariable(text, pos, 2, day) || !expect(text, pos, '/') ||
      !readMonthName(text, pos, /*allow_full=*/false, month) || !expect(text, pos, '/') ||
      !readFixed(text, pos, 4, year) || !expect(text, pos, ':')) {
    return std::nullopt;
  }
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  int64_t fraction_ns = 0;
  if (!readClock(text, pos, hour, minute, second, fraction_ns)) return std::nullopt;
  int32_t offset_seconds = default_offset_seconds;
  if (pos < text.size()) {
    if (!expect(text, pos, ' ') || !readZone(text, pos, offset_seconds)) return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return civilToNanos(year, month, day, hour, minute, second, fraction_ns, offset_seconds);
}

std::optional<int64_t> parseApacheTime(std::string_view text, int32_t offset_seconds) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (!text.empty() && isDigit(text.front())) return parseCommonLogTime(text, offset_seconds);

  size_t pos = 0;
  unsigned month = 0;
  unsigned day = 0;
  if (!readWeekdayName(text, pos, /*allow_full=*/false) || !expect(text, pos, ' ') ||
      !readMonthName(text, pos, /*allow_full=*/false, month) || !expect(text, pos, ' ')) {
    return std::nullopt;
  }
  // ctime() pads the day with a space ("Dec  4"); Apache writes "Dec 04".
  if (pos < text.size() && text[pos] == ' ') ++pos;
  if (!readVariable(text, pos, 2, day) || !expect(text, pos, ' ')) return std::nullopt;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  unsigned year = 0;
  int64_t fraction_ns = 0;
  if (!readClock(text, pos, hour, minute, second, fraction_ns) || !expect(text, pos, ' ') ||
      !readFixed(text, pos, 4, year) || pos != text.size()) {
    return std::nullopt;
  }
  return civilToNanos(year, month, day, hour, minute, second, fraction_ns, offset_seconds);
}

std::optional<int64_t> parseEpoch(std::string_view text, Unit unit) {
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
    negative = text[pos] == '-';
    ++pos;
  }
  const size_t integer_begin = pos;
  int64_t integer = 0;
  while (pos < text.size() && isDigit(text[pos])) {
    if (__builtin_mul_overflow(integer, 10, &integer) ||
        __builtin_add_overflow(integer, text[pos] - '0', &integer)) {
      return std::nullopt;
    }
    ++pos;
  }
  if (pos == integer_begin) return std::nullopt;
  std::string_view fraction_digits;
  if (pos < text.size() && text[pos] == '.') {
    const size_t fraction_begin = ++pos;
    while (pos < text.size() && isDigit(text[pos])) ++pos;
    if (pos == fraction_begin) return std::nullopt;
    fraction_digits = text.substr(fraction_begin, pos - fraction_begin);
  }
  if (pos != text.size()) return std::nullopt;

  if (unit == Unit::kAuto) {
    if (integer < 100'000'000'000) {
      unit = Unit::kSeconds;
    } else if (integer < 100'000'000'000'000) {
      unit = Unit::kMillis;
    } else if (integer < 100'000'000'000'000'000) {
      unit = Unit::kMicros;
    } else {
      unit = Unit::kNanos;
    }
  }
  int64_t scale = 1;
  switch (unit) {
    case Unit::kSeconds:
      scale = kNanosPerSecond;
      break;
    case Unit::kMillis:
      scale = 1'000'000;
      break;
    case Unit::kMicros:
      scale = 1'000;
      break;
    case Unit::kNanos:
    case Unit::kAuto:
      scale = 1;
      break;
  }
  int64_t fraction_ns = 0;
  int64_t place = scale / 10;
  for (size_t i = 0; i < fraction_digits.size() && place > 0; ++i, place /= 10) {
    fraction_ns += (fraction_digits[i] - '0') * place;
  }
  int64_t ns = 0;
  if (__builtin_mul_overflow(integer, scale, &ns) || __builtin_add_overflow(ns, fraction_ns, &ns)) {
    return std::nullopt;
  }
  return negative ? -ns : ns;
}

std::optional<int64_t> parseStrftime(std::string_view text, std::string_view format,
                                     int32_t offset_seconds) {
  StrftimeFields fields;
  fields.offset_seconds = offset_seconds;
  size_t pos = 0;
  if (!matchStrftime(text, pos, format, fields) || pos != text.size()) return std::nullopt;
  if (fields.has_epoch) {
    if (fields.fraction_ns >= kNanosPerSecond) return std::nullopt;
    return secondsToNanos(fields.epoch_seconds, fields.fraction_ns);
  }
  return civilToNanos(fields.year, fields.month, fields.day, fields.hour, fields.minute,
                      fields.second, fields.fraction_ns, fields.offset_seconds);
}

size_t formatRfc3339(int64_t ns, char* out) {
  const int64_t fraction = writeDateTime(ns, out);
  writeDigits(out + 20, static_cast<uint64_t>(fraction), 9);
  out[29] = 'Z';
  return kRfc3339NanosLength;
}

size_t formatRfc3339Millis(int64_t ns, char* out) {
  const int64_t fraction = writeDateTime(ns, out);
  writeDigits(out + 20, static_cast<uint64_t>(fraction / 1'000'000), 3);
  out[23] = 'Z';
  return kRfc3339MillisLength;
}

std::optional<int64_t> parseAny(std::string_view text, int64_t reference_ns,
                                int32_t offset_seconds) {
  text = trimSpace(text);
  if (text.empty()) return std::nullopt;
  if (auto ns = parseRfc3339(text, offset_seconds)) return ns;
  if (auto ns = parseEpoch(text, Unit::kAuto)) return ns;
  if (auto ns = parseSyslogTime(text, reference_ns, offset_seconds)) return ns;
  return parseApacheTime(text, offset_seconds);
}

std::string utcDate(int64_t ns) {
  const int64_t per_day = kNanosPerSecond * kSecondsPerDay;
  int64_t days = ns / per_day;
  if (ns < 0 && ns % per_day != 0) --days;
  const CivilDate d = civilFromDays(days);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(d.year), d.month,
                d.day);
  return buf;
}

}  // namespace logship::timestamp
