#pragma once

// Allocation-free timestamp parsing and formatting for the hot path.
//
// Every function here is pure: it reads a std::string_view, never allocates, never throws and
// never consults the C library's time zone or locale state (gmtime/timegm/strptime are both slow
// and not thread-safe enough for per-event use). Results are nanoseconds since the Unix epoch in
// UTC. Input is untrusted: anything malformed or out of the int64 nanosecond range
// (1677-09-21 .. 2262-04-11) yields std::nullopt, never an assertion.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logship::timestamp {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

// The wall clock, in nanoseconds since the epoch.
inline int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
inline constexpr int64_t kSecondsPerDay = 86'400;

// Buffer sizes callers need for the format functions.
inline constexpr size_t kRfc3339NanosLength = 30;   // 2026-11-22T03:57:28.123456789Z
inline constexpr size_t kRfc3339MillisLength = 24;  // 2026-11-22T03:57:28.123Z

// A proleptic Gregorian calendar date.
struct CivilDate {
  int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// Days since 1970-01-01 for a proleptic Gregorian date. Works for any year without overflow for
// |year| < 2^40; the caller validates month and day.
constexpr int64_t daysFromCivil(int64_t year, unsigned month, unsigned day) {
  // Shifting the year to start in March puts the leap day at the end, so the day-of-year of each
  // month becomes a linear formula and 400-year eras repeat exactly.
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t shifted_month = month > 2 ? month - 3 : month + 9;
  const int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// Inverse of daysFromCivil().
constexpr CivilDate civilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t shifted_month = (5 * day_of_year + 2) / 153;
  CivilDate date;
  date.day = static_cast<unsigned>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  date.month = static_cast<unsigned>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  date.year = year_of_era + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

constexpr bool isLeapYear(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

constexpr unsigned daysInMonth(int64_t year, unsigned month) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return month == 2 && isLeapYear(year) ? 29 : kDays[month - 1];
}

// Broken-down local time to UTC nanoseconds. Validates every field (second may be 60 for a leap
// second, which lands on the following second as POSIX time does) and the int64 range.
std::optional<int64_t> civilToNanos(int64_t year, unsigned month, unsigned day, unsigned hour,
                                    unsigned minute, unsigned second, int64_t fraction_ns,
                                    int32_t offset_seconds);

// RFC 3339 / ISO 8601 date-time: "2024-01-02T03:04:05.123456789+01:00". Accepts 'T', 't' or ' '
// between date and time, '.' or ',' before a fraction of any length (digits past the ninth are
// truncated), and 'Z', +hh:mm, +hhmm or +hh zones. Without a zone the first overload assumes
// UTC, the second default_offset_seconds (the local zone of the producer). The whole input must
// be the timestamp.
std::optional<int64_t> parseRfc3339(std::string_view text);
std::optional<int64_t> parseRfc3339(std::string_view text, int32_t default_offset_seconds);

// Prefix form for parsers that find a timestamp at the start of a longer line. Returns the
// number of bytes consumed (0 when text does not start with a timestamp) and sets ns.
size_t scanRfc3339(std::string_view text, int32_t default_offset_seconds, int64_t& ns);

// How far into the future of the reference time an RFC 3164 timestamp may lie before it is
// assumed to belong to the previous year. A day covers skewed clocks and zones; a log copied from
// another host or replayed from last December, whose dates lie days or weeks "ahead", is last
// year's (taking it as this year's would date its events, and its alerts, in the future).
inline constexpr int64_t kSyslogFutureToleranceSeconds = kSecondsPerDay;

// RFC 3164 "Mmm dd hh:mm:ss" (day space- or zero-padded, or unpadded: "Jun  4", "Jun 04",
// "Jun 4"), optionally followed by a fraction ("Jun 14 15:16:01.123456"). The format has no year
// and no zone: offset_seconds is the producer's UTC offset, and the year is inferred from
// reference_ns (normally the time the line was read). The chosen year is the latest one that
// does not put the timestamp more than kSyslogFutureToleranceSeconds after the reference: a
// "Dec 31" line read on Jan 1 lands in the previous year, a "Jan 1" line read on Dec 31 a few
// seconds early (clock skew) lands in the next year, and everything else in the reference year.
// Feb 29 in a non-leap reference year walks back to the nearest leap year.
std::optional<int64_t> parseSyslogTime(std::string_view text, int64_t reference_ns,
                                       int32_t offset_seconds);
size_t scanSyslogTime(std::string_view text, int64_t reference_ns, int32_t offset_seconds,
                      int64_t& ns);

// Apache/ctime "Sun Dec 04 04:47:44 2005" (optionally bracketed as in error logs, optionally
// with a fraction after the seconds as Apache 2.4 writes), interpreted at offset_seconds, or the
// common log format "10/Oct/2000:13:55:36 -0700" whose own zone wins over offset_seconds.
std::optional<int64_t> parseApacheTime(std::string_view text, int32_t offset_seconds);

// Common log format only; default_offset_seconds applies when the zone is missing.
std::optional<int64_t> parseCommonLogTime(std::string_view text, int32_t default_offset_seconds);

enum class Unit {
  kSeconds,
  kMillis,
  kMicros,
  kNanos,
  // Guess from the magnitude of the integer part: below 1e11 is seconds (up to year 5138),
  // below 1e14 milliseconds, below 1e17 microseconds, otherwise nanoseconds.
  kAuto,
};

// Decimal epoch value with optional '-' sign and optional fraction of the unit
// ("1700000000.123" seconds, "1700000000123.5" milliseconds). Sub-nanosecond digits are
// truncated.
std::optional<int64_t> parseEpoch(std::string_view text, Unit unit = Unit::kAuto);

// strptime-like parsing with a fixed, locale-free directive set:
//   %Y year (up to 4 digits)   %y two-digit year (69-99 -> 19xx, 00-68 -> 20xx)
//   %m month  %d day  %e day (leading space allowed)  %H hour  %M minute  %S second
//   %f fraction digits (any length, truncated to ns)  %b %h %B month name (short or full)
//   %a %A weekday name (skipped)  %j day of year (skipped; %m/%d must give the date)
//   %z Z, +hh:mm, +hhmm or +hh  %Z UTC, GMT or Z only  %s epoch seconds (wins over other fields)
//   %T = %H:%M:%S  %F = %Y-%m-%d  %% literal '%'  %n %t and whitespace match any whitespace run
// Other characters match literally. Fields not in the format default to 1970-01-01 00:00:00;
// offset_seconds applies unless %z/%Z is present. The whole text must be consumed.
std::optional<int64_t> parseStrftime(std::string_view text, std::string_view format,
                                     int32_t offset_seconds);

// Writes "2026-11-22T03:57:28.123456789Z" (always nine fraction digits) and returns its length,
// kRfc3339NanosLength. out must hold kRfc3339NanosLength bytes; no terminator is written.
size_t formatRfc3339(int64_t ns, char* out);

// Same with three fraction digits (truncated, not rounded): "2026-11-22T03:57:28.123Z". out must
// hold kRfc3339MillisLength bytes.
size_t formatRfc3339Millis(int64_t ns, char* out);

// The UTC date of `ns` as "2026-11-22": what the archive, the journal and the report file and
// group by.
std::string utcDate(int64_t ns);

// Tries, in order, RFC 3339 (zone-less values at offset_seconds), an epoch number (unit guessed
// by magnitude), an RFC 3164 timestamp (year inferred from reference_ns) and the Apache ctime and
// common log formats. Surrounding whitespace is ignored.
std::optional<int64_t> parseAny(std::string_view text, int64_t reference_ns,
                                int32_t offset_seconds = 0);

}  // namespace logship::timestamp
