#include "agent/support/timestamp.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>

namespace logship::timestamp {
namespace {

constexpr int64_t kNs = kNanosPerSecond;

// libc is the independent oracle in tests; the code under test never calls it.
int64_t utcSeconds(int year, int month, int day, int hour, int minute, int second) {
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

int64_t utcNanos(int year, int month, int day, int hour, int minute, int second,
                 int64_t fraction_ns = 0) {
  return utcSeconds(year, month, day, hour, minute, second) * kNs + fraction_ns;
}

std::string format(int64_t ns) {
  char buffer[kRfc3339NanosLength];
  return std::string(buffer, formatRfc3339(ns, buffer));
}

std::string formatMillis(int64_t ns) {
  char buffer[kRfc3339MillisLength];
  return std::string(buffer, formatRfc3339Millis(ns, buffer));
}

class CivilTest : public ::testing::Test {};

TEST_F(CivilTest, DaysFromCivilMatchesLibcAcrossFourCenturies) {
  for (int year = 1800; year <= 2200; year += 7) {
    for (unsigned month = 1; month <= 12; ++month) {
      const unsigned last = daysInMonth(year, month);
      for (unsigned day : {1u, 15u, last}) {
        const int64_t days = daysFromCivil(year, month, day);
        ASSERT_EQ(days * kSecondsPerDay, utcSeconds(year, month, day, 0, 0, 0))
            << year << "-" << month << "-" << day;
        const CivilDate back = civilFromDays(days);
        ASSERT_EQ(back.year, year);
        ASSERT_EQ(back.month, month);
        ASSERT_EQ(back.day, day);
      }
    }
  }
}

TEST_F(CivilTest, LeapYearRules) {
  EXPECT_TRUE(isLeapYear(2000));
  EXPECT_TRUE(isLeapYear(2024));
  EXPECT_FALSE(isLeapYear(1900));
  EXPECT_FALSE(isLeapYear(2023));
  EXPECT_EQ(daysInMonth(2024, 2), 29u);
  EXPECT_EQ(daysInMonth(2100, 2), 28u);
  EXPECT_EQ(daysInMonth(2023, 13), 0u);
}

class Rfc3339Test : public ::testing::Test {};

TEST_F(Rfc3339Test, ParsesRfc5424Examples) {
  // Timestamps from the examples in RFC 5424 section 6.5.
  EXPECT_EQ(parseRfc3339("2003-10-11T22:14:15.003Z"),
            utcNanos(2003, 10, 11, 22, 14, 15, 3'000'000));
  EXPECT_EQ(parseRfc3339("2003-08-24T05:14:15.000003-07:00"),
            utcNanos(2003, 8, 24, 12, 14, 15, 3'000));
  EXPECT_EQ(parseRfc3339("1985-04-12T23:20:50.52Z"),
            utcNanos(1985, 4, 12, 23, 20, 50, 520'000'000));
}

TEST_F(Rfc3339Test, AcceptsZoneAndSeparatorVariants) {
  const int64_t expected = utcNanos(2024, 1, 2, 3, 4, 5);
  EXPECT_EQ(parseRfc3339("2024-01-02T03:04:05Z"), expected);
  EXPECT_EQ(parseRfc3339("2024-01-02t03:04:05z"), expected);
  EXPECT_EQ(parseRfc3339("2024-01-02 03:04:05Z"), expected);
  EXPECT_EQ(parseRfc3339("2024-01-02T04:04:05+01:00"), expected);
  EXPECT_EQ(parseRfc3339("2024-01-02T04:34:05+0130"), expected);
  EXPECT_EQ(parseRfc3339("2024-01-01T20:04:05-0700"), expected);
  EXPECT_EQ(parseRfc3339("2024-01-02T08:04:05+05"), expected);
  EXPECT_EQ(parseRfc3339("2024-01-02T03:04:05-00:00"), expected);
}

TEST_F(Rfc3339Test, ZonelessUsesDefaultOffset) {
  EXPECT_EQ(parseRfc3339("2021-05-30 16:57:44"), utcNanos(2021, 5, 30, 16, 57, 44));
  EXPECT_EQ(parseRfc3339("2021-05-30 16:57:44", 2 * 3600), utcNanos(2021, 5, 30, 14, 57, 44));
  // An explicit zone wins over the default.
  EXPECT_EQ(parseRfc3339("2021-05-30 16:57:44Z", 2 * 3600), utcNanos(2021, 5, 30, 16, 57, 44));
}

TEST_F(Rfc3339Test, FractionPrecision) {
  const int64_t base = utcNanos(2024, 1, 2, 3, 4, 5);
  EXPECT_EQ(parseRfc3339("2024-01-02T03:04:05.1Z"), base + 100'000'000);
  EXPECT_EQ(parseRfc3339("2024-01-02T03:04:05.123456789Z"), base + 123'456'789);
  EXPECT_EQ(parseRfc3339("2024-01-02T03:04:05,5Z"), base + 500'000'000);
  // Beyond nanoseconds the extra digits are truncated, not rounded.
  EXPECT_EQ(parseRfc3339("2024-01-02T03:04:05.1234567899999Z"), base + 123'456'789);
}

TEST_F(Rfc3339Test, RejectsMalformedInput) {
  for (std::string_view bad : {
           "",
           "2024-01-02",
           "2024-01-02T03:04Z",
           "2024-13-02T03:04:05Z",
           "2024-00-02T03:04:05Z",
           "2023-02-29T03:04:05Z",
           "2024-04-31T03:04:05Z",
           "2024-01-02T24:00:00Z",
           "2024-01-02T03:60:05Z",
           "2024-01-02T03:04:61Z",
           "2024-01-02T03:04:05+24:00",
           "2024-01-02T03:04:05+01:60",
           "2024-01-02T03:04:05.Z",
           "2024-01-02T03:04:05Z ",
           "2024-01-02X03:04:05Z",
           "24-01-02T03:04:05Z",
           "2024-1-02T03:04:05Z",
           "２０２４-01-02T03:04:05Z",
       }) {
    EXPECT_EQ(parseRfc3339(bad), std::nullopt) << bad;
  }
}

TEST_F(Rfc3339Test, LeapYearAndLeapSecond) {
  EXPECT_EQ(parseRfc3339("2024-02-29T00:00:00Z"), utcNanos(2024, 2, 29, 0, 0, 0));
  // POSIX time has no leap seconds: :60 is the first second of the next minute.
  EXPECT_EQ(parseRfc3339("2016-12-31T23:59:60Z"), utcNanos(2017, 1, 1, 0, 0, 0));
}

TEST_F(Rfc3339Test, Int64RangeEdges) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(parseRfc3339("1677-09-21T00:12:43.145224192Z"), kMin);
  EXPECT_EQ(parseRfc3339("2262-04-11T23:47:16.854775807Z"), kMax);
  EXPECT_EQ(parseRfc3339("1677-09-21T00:12:43.145224191Z"), std::nullopt);
  EXPECT_EQ(parseRfc3339("2262-04-11T23:47:16.854775808Z"), std::nullopt);
  EXPECT_EQ(parseRfc3339("9999-12-31T23:59:59Z"), std::nullopt);
  EXPECT_EQ(parseRfc3339("0000-01-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(format(kMin), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(format(kMax), "2262-04-11T23:47:16.854775807Z");
}

TEST_F(Rfc3339Test, ScanReportsConsumedLength) {
  int64_t ns = 0;
  EXPECT_EQ(scanRfc3339("2024-01-02T03:04:05.5+01:00 host app", 0, ns), 27u);
  EXPECT_EQ(ns, utcNanos(2024, 1, 2, 2, 4, 5, 500'000'000));
  // A sign that does not start a zone ends the timestamp.
  EXPECT_EQ(scanRfc3339("2024-01-02T03:04:05-xx", 3600, ns), 19u);
  EXPECT_EQ(ns, utcNanos(2024, 1, 2, 2, 4, 5));
  EXPECT_EQ(scanRfc3339("not a time", 0, ns), 0u);
}

class FormatTest : public ::testing::Test {};

TEST_F(FormatTest, WritesNineAndThreeDigitFractions) {
  const int64_t ns = utcNanos(2026, 11, 22, 3, 57, 28, 123'456'789);
  EXPECT_EQ(format(ns), "2026-11-22T03:57:28.123456789Z");
  EXPECT_EQ(formatMillis(ns), "2026-11-22T03:57:28.123Z");
  EXPECT_EQ(format(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(formatMillis(utcNanos(2000, 2, 29, 23, 59, 59, 999'999'999)),
            "2000-02-29T23:59:59.999Z");
}

// The date and time of the last second formatted are reused: runs within one second, and
// seconds going back and forth, must each come out whole.
TEST_F(FormatTest, RunsWithinASecondAndBackAgain) {
  const int64_t base = utcNanos(2026, 12, 31, 23, 59, 59);
  EXPECT_EQ(format(base + 1), "2026-12-31T23:59:59.000000001Z");
  EXPECT_EQ(format(base + 999'999'999), "2026-12-31T23:59:59.999999999Z");
  EXPECT_EQ(formatMillis(base + 5'000'000), "2026-12-31T23:59:59.005Z");
  EXPECT_EQ(format(base + kNs), "2027-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format(base + 7), "2026-12-31T23:59:59.000000007Z");
  EXPECT_EQ(format(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format(-kNs + 3), "1969-12-31T23:59:59.000000003Z");
  EXPECT_EQ(format(3), "1970-01-01T00:00:00.000000003Z");
}

TEST_F(FormatTest, NegativeTimesFloorTowardsThePast) {
  EXPECT_EQ(format(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format(-kNs), "1969-12-31T23:59:59.000000000Z");
  EXPECT_EQ(formatMillis(-1), "1969-12-31T23:59:59.999Z");
}

TEST_F(FormatTest, MatchesLibcAndRoundTripsOnRandomInstants) {
  std::mt19937_64 rng(20240601);
  std::uniform_int_distribution<int64_t> dist(std::numeric_limits<int64_t>::min(),
                                              std::numeric_limits<int64_t>::max());
  for (int i = 0; i < 20000; ++i) {
    const int64_t ns = dist(rng);
    const std::string text = format(ns);
    ASSERT_EQ(text.size(), kRfc3339NanosLength);
    ASSERT_EQ(parseRfc3339(text), ns) << text;

    int64_t seconds = ns / kNs;
    if (ns % kNs < 0) --seconds;
    const time_t t = static_cast<time_t>(seconds);
    struct tm tm = {};
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char expected[32];
    strftime(expected, sizeof(expected), "%Y-%m-%dT%H:%M:%S", &tm);
    ASSERT_EQ(text.substr(0, 19), expected) << ns;
  }
}

class SyslogTimeTest : public ::testing::Test {
 protected:
  const int64_t mid_2005_ = utcNanos(2005, 8, 1, 0, 0, 0);
};

TEST_F(SyslogTimeTest, ParsesCorpusStyleTimestamps) {
  EXPECT_EQ(parseSyslogTime("Jun 14 15:16:01", mid_2005_, 0), utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(parseSyslogTime("Jul  3 04:07:49", mid_2005_, 0), utcNanos(2005, 7, 3, 4, 7, 49));
  EXPECT_EQ(parseSyslogTime("Jul 3 04:07:49", mid_2005_, 0), utcNanos(2005, 7, 3, 4, 7, 49));
  EXPECT_EQ(parseSyslogTime("Jul 03 04:07:49", mid_2005_, 0), utcNanos(2005, 7, 3, 4, 7, 49));
  EXPECT_EQ(parseSyslogTime("jul 03 04:07:49", mid_2005_, 0), utcNanos(2005, 7, 3, 4, 7, 49));
  EXPECT_EQ(parseSyslogTime("Jun 14 15:16:01.250", mid_2005_, 0),
            utcNanos(2005, 6, 14, 15, 16, 1, 250'000'000));
}

TEST_F(SyslogTimeTest, AppliesOffset) {
  // 15:16:01 at UTC-07:00 is 22:16:01 UTC.
  EXPECT_EQ(parseSyslogTime("Jun 14 15:16:01", mid_2005_, -7 * 3600),
            utcNanos(2005, 6, 14, 22, 16, 1));
}

TEST_F(SyslogTimeTest, InfersYearAcrossNewYear) {
  const int64_t new_year_morning = utcNanos(2024, 1, 1, 0, 5, 0);
  // December lines read in January belong to the previous year.
  EXPECT_EQ(parseSyslogTime("Dec 31 23:59:58", new_year_morning, 0),
            utcNanos(2023, 12, 31, 23, 59, 58));
  EXPECT_EQ(parseSyslogTime("Jan  1 00:04:59", new_year_morning, 0),
            utcNanos(2024, 1, 1, 0, 4, 59));
  // A January line seen just before midnight on Dec 31 (skewed clocks) is next year's.
  const int64_t new_years_eve = utcNanos(2023, 12, 31, 23, 59, 50);
  EXPECT_EQ(parseSyslogTime("Jan  1 00:00:03", new_years_eve, 0), utcNanos(2024, 1, 1, 0, 0, 3));
  EXPECT_EQ(parseSyslogTime("Dec 31 23:59:49", new_years_eve, 0),
            utcNanos(2023, 12, 31, 23, 59, 49));
}

TEST_F(SyslogTimeTest, FutureToleranceIsOneDay) {
  const int64_t reference = utcNanos(2024, 6, 1, 0, 0, 0);
  EXPECT_EQ(parseSyslogTime("Jun  1 23:59:59", reference, 0), utcNanos(2024, 6, 1, 23, 59, 59));
  EXPECT_EQ(parseSyslogTime("Jun  2 00:00:00", reference, 0), utcNanos(2024, 6, 2, 0, 0, 0));
  // More than a day ahead: a copied or replayed log, from last year.
  EXPECT_EQ(parseSyslogTime("Jun  2 00:00:01", reference, 0), utcNanos(2023, 6, 2, 0, 0, 1));
  EXPECT_EQ(parseSyslogTime("Jun 20 00:00:00", reference, 0), utcNanos(2023, 6, 20, 0, 0, 0));
  EXPECT_EQ(parseSyslogTime("Nov 30 00:00:00", reference, 0), utcNanos(2023, 11, 30, 0, 0, 0));
}

TEST_F(SyslogTimeTest, YearIsInferredInTheProducersZone) {
  // 2024-01-01T01:00Z is still Dec 31 2023 at UTC-05:00, so "Dec 31 20:00" is local today.
  const int64_t reference = utcNanos(2024, 1, 1, 1, 0, 0);
  EXPECT_EQ(parseSyslogTime("Dec 31 19:30:00", reference, -5 * 3600),
            utcNanos(2024, 1, 1, 0, 30, 0));
  EXPECT_EQ(parseSyslogTime("Jan  1 12:00:00", reference, -5 * 3600),
            utcNanos(2024, 1, 1, 17, 0, 0));
}

TEST_F(SyslogTimeTest, LeapDayWalksBackToALeapYear) {
  EXPECT_EQ(parseSyslogTime("Feb 29 12:00:00", utcNanos(2025, 3, 10, 0, 0, 0), 0),
            utcNanos(2024, 2, 29, 12, 0, 0));
  EXPECT_EQ(parseSyslogTime("Feb 29 12:00:00", utcNanos(2024, 3, 10, 0, 0, 0), 0),
            utcNanos(2024, 2, 29, 12, 0, 0));
}

TEST_F(SyslogTimeTest, RejectsMalformed) {
  for (std::string_view bad : {"", "Jun", "Jun 14", "Jun 14 15:16", "Jun 31 15:16:01",
                               "Jux 14 15:16:01", "Jun 00 15:16:01", "Jun 14 25:16:01",
                               "Jun 14 15:16:01 2005", "June 14 15:16:01", "Jun   4 15:16:01"}) {
    EXPECT_EQ(parseSyslogTime(bad, mid_2005_, 0), std::nullopt) << bad;
  }
}

TEST_F(SyslogTimeTest, ScanStopsAtTheHostname) {
  int64_t ns = 0;
  EXPECT_EQ(scanSyslogTime("Jun 14 15:16:01 combo sshd", mid_2005_, 0, ns), 15u);
  EXPECT_EQ(ns, utcNanos(2005, 6, 14, 15, 16, 1));
}

class ApacheTimeTest : public ::testing::Test {};

TEST_F(ApacheTimeTest, ParsesErrorLogTimestamps) {
  const int64_t expected = utcNanos(2005, 12, 4, 4, 47, 44);
  EXPECT_EQ(parseApacheTime("Sun Dec 04 04:47:44 2005", 0), expected);
  EXPECT_EQ(parseApacheTime("[Sun Dec 04 04:47:44 2005]", 0), expected);
  EXPECT_EQ(parseApacheTime("Sun Dec  4 04:47:44 2005", 0), expected);
  EXPECT_EQ(parseApacheTime("Sun Dec 04 04:47:44 2005", 3600), expected - 3600 * kNs);
  EXPECT_EQ(parseApacheTime("[Wed Oct 11 14:32:52.123456 2000]", 0),
            utcNanos(2000, 10, 11, 14, 32, 52, 123'456'000));
}

TEST_F(ApacheTimeTest, ParsesCommonLogFormat) {
  const int64_t expected = utcNanos(2000, 10, 10, 20, 55, 36);
  EXPECT_EQ(parseApacheTime("10/Oct/2000:13:55:36 -0700", 0), expected);
  EXPECT_EQ(parseApacheTime("[10/Oct/2000:13:55:36 -0700]", 5 * 3600), expected);
  EXPECT_EQ(parseCommonLogTime("10/Oct/2000:20:55:36 +0000", 0), expected);
  EXPECT_EQ(parseCommonLogTime("10/Oct/2000:21:55:36", 3600), expected);
}

TEST_F(ApacheTimeTest, RejectsMalformed) {
  for (std::string_view bad :
       {"", "[]", "Sun Dec 04 04:47:44", "Xyz Dec 04 04:47:44 2005", "Sun Dex 04 04:47:44 2005",
        "Sun Dec 04 04:47:44 2005 extra", "10/Oct/2000:13:55:36 -07:0", "10/Oct/2000:13:55:36 x",
        "32/Oct/2000:13:55:36 -0700", "10/Oct/2000 13:55:36 -0700"}) {
    EXPECT_EQ(parseApacheTime(bad, 0), std::nullopt) << bad;
  }
}

class EpochTest : public ::testing::Test {};

TEST_F(EpochTest, ExplicitUnits) {
  EXPECT_EQ(parseEpoch("1700000000", Unit::kSeconds), 1'700'000'000 * kNs);
  EXPECT_EQ(parseEpoch("1700000000123", Unit::kMillis), 1'700'000'000'123'000'000);
  EXPECT_EQ(parseEpoch("1700000000123456", Unit::kMicros), 1'700'000'000'123'456'000);
  EXPECT_EQ(parseEpoch("1700000000123456789", Unit::kNanos), 1'700'000'000'123'456'789);
  EXPECT_EQ(parseEpoch("5", Unit::kMillis), 5'000'000);
}

TEST_F(EpochTest, AutoGuessesByMagnitude) {
  EXPECT_EQ(parseEpoch("1700000000"), 1'700'000'000 * kNs);
  EXPECT_EQ(parseEpoch("1700000000123"), 1'700'000'000'123'000'000);
  EXPECT_EQ(parseEpoch("1700000000123456"), 1'700'000'000'123'456'000);
  EXPECT_EQ(parseEpoch("1700000000123456789"), 1'700'000'000'123'456'789);
  EXPECT_EQ(parseEpoch("0"), 0);
}

TEST_F(EpochTest, Fractions) {
  EXPECT_EQ(parseEpoch("1700000000.123"), 1'700'000'000'123'000'000);
  EXPECT_EQ(parseEpoch("1700000000.123456789123"), 1'700'000'000'123'456'789);
  EXPECT_EQ(parseEpoch("1700000000123.5", Unit::kMillis), 1'700'000'000'123'500'000);
  EXPECT_EQ(parseEpoch("-1.5", Unit::kSeconds), -1'500'000'000);
}

TEST_F(EpochTest, RejectsMalformedAndOverflow) {
  for (std::string_view bad : {"", "-", ".5", "1.", "1e9", "12a", " 1", "1 ", "1..2",
                               "99999999999999999999", "9300000000", "+-1"}) {
    EXPECT_EQ(parseEpoch(bad, Unit::kSeconds), std::nullopt) << bad;
  }
  EXPECT_EQ(parseEpoch("9223372036854775807", Unit::kNanos), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parseEpoch("9223372036854775808", Unit::kNanos), std::nullopt);
}

class StrftimeTest : public ::testing::Test {};

TEST_F(StrftimeTest, CommonFormats) {
  EXPECT_EQ(parseStrftime("2024-01-02 03:04:05", "%Y-%m-%d %H:%M:%S", 0),
            utcNanos(2024, 1, 2, 3, 4, 5));
  EXPECT_EQ(parseStrftime("2024-01-02T03:04:05.250+0100", "%FT%T.%f%z", 0),
            utcNanos(2024, 1, 2, 2, 4, 5, 250'000'000));
  EXPECT_EQ(parseStrftime("Sun Dec  4 04:47:44 2005", "%a %b %e %T %Y", 0),
            utcNanos(2005, 12, 4, 4, 47, 44));
  EXPECT_EQ(parseStrftime("Sunday, 04 December 2005 04:47:44 UTC", "%A, %d %B %Y %T %Z", 3600),
            utcNanos(2005, 12, 4, 4, 47, 44));
  EXPECT_EQ(parseStrftime("02/01/24 03:04", "%d/%m/%y %H:%M", -3600),
            utcNanos(2024, 1, 2, 4, 4, 0));
  EXPECT_EQ(parseStrftime("1700000000.5", "%s.%f", 7200), 1'700'000'000'500'000'000);
  EXPECT_EQ(parseStrftime("100%|2024 002 01 02", "100%%|%Y %j %m %d", 0),
            utcNanos(2024, 1, 2, 0, 0, 0));
  // Whitespace in the format matches any run, including none.
  EXPECT_EQ(parseStrftime("2024-01-02   03:04:05", "%F %T", 0), utcNanos(2024, 1, 2, 3, 4, 5));
  EXPECT_EQ(parseStrftime("2024-01-0203:04:05", "%F %T", 0), utcNanos(2024, 1, 2, 3, 4, 5));
}

TEST_F(StrftimeTest, DefaultsMissingFieldsToEpochStart) {
  EXPECT_EQ(parseStrftime("03:04:05", "%T", 0), utcNanos(1970, 1, 1, 3, 4, 5));
}

TEST_F(StrftimeTest, RejectsMismatches) {
  EXPECT_EQ(parseStrftime("2024-01-02", "%Y/%m/%d", 0), std::nullopt);
  EXPECT_EQ(parseStrftime("2024-01-02x", "%Y-%m-%d", 0), std::nullopt);
  EXPECT_EQ(parseStrftime("2024-01-02", "%Y-%m-%d %H", 0), std::nullopt);
  EXPECT_EQ(parseStrftime("2024-02-30", "%F", 0), std::nullopt);
  EXPECT_EQ(parseStrftime("2024", "%Q", 0), std::nullopt);
  EXPECT_EQ(parseStrftime("2024", "%Y%", 0), std::nullopt);
  EXPECT_EQ(parseStrftime("12:00 CEST", "%H:%M %Z", 0), std::nullopt);
}

class ParseAnyTest : public ::testing::Test {
 protected:
  const int64_t reference_ = utcNanos(2005, 8, 1, 0, 0, 0);
};

TEST_F(ParseAnyTest, RecognisesEachFamily) {
  EXPECT_EQ(parseAny(" 2005-06-14T15:16:01Z\n", reference_), utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(parseAny("1118762161", reference_), utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(parseAny("1118762161000", reference_), utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(parseAny("Jun 14 15:16:01", reference_), utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(parseAny("Tue Jun 14 15:16:01 2005", reference_), utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(parseAny("14/Jun/2005:17:16:01 +0200", reference_), utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(parseAny("2005-06-14 17:16:01", reference_, 7200), utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(parseAny("yesterday", reference_), std::nullopt);
  EXPECT_EQ(parseAny("   ", reference_), std::nullopt);
}

class TimestampRobustnessTest : public ::testing::Test {};

// Every prefix and every single-byte corruption of valid inputs must be handled without a
// crash, and anything accepted must format back to a timestamp within the int64 range.
TEST_F(TimestampRobustnessTest, PrefixesAndCorruptionsAreSafe) {
  const std::string samples[] = {"2024-01-02T03:04:05.123456789+01:00", "Jun 14 15:16:01.123",
                                 "[Sun Dec 04 04:47:44 2005]", "10/Oct/2000:13:55:36 -0700",
                                 "1700000000.123456"};
  int accepted = 0;
  for (const std::string& sample : samples) {
    for (size_t length = 0; length <= sample.size(); ++length) {
      std::string variant = sample.substr(0, length);
      for (size_t i = 0; i <= variant.size(); ++i) {
        for (char replacement : {'\0', '9', ':', '-', 'Z', '\xff'}) {
          std::string mutated = variant;
          if (i < mutated.size()) mutated[i] = replacement;
          if (auto ns = parseAny(mutated, 0)) {
            ++accepted;
            EXPECT_EQ(format(*ns).size(), kRfc3339NanosLength);
          }
          parseStrftime(mutated, "%a %b %e %T %Y", 0);
          parseStrftime(mutated, "%s.%f%z", 0);
        }
      }
    }
  }
  EXPECT_GT(accepted, 0);
}

TEST(UtcDate, DaysTurnAtMidnightUtcAlsoBeforeTheEpoch) {
  EXPECT_EQ(utcDate(0), "1970-01-01");
  EXPECT_EQ(utcDate(1700000000'000000000), "2023-11-14");
  EXPECT_EQ(utcDate(86400'000000000 - 1), "1970-01-01");
  EXPECT_EQ(utcDate(86400'000000000), "1970-01-02");
  EXPECT_EQ(utcDate(-1), "1969-12-31");
  EXPECT_EQ(utcDate(-86400'000000000), "1969-12-31");
}

}  // namespace
}  // namespace logship::timestamp
