#include "parsers/common/parser_support.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/parsers/parser_test_support.h"

namespace logship::parsers {
namespace {

TEST(LevelNamesTest, TheIssuesNormalisationTable) {
  const std::pair<const char*, Severity> cases[] = {{"fatal", Severity::kCritical},
                                                    {"CRIT", Severity::kCritical},
                                                    {"critical", Severity::kCritical},
                                                    {"emerg", Severity::kCritical},
                                                    {"Alert", Severity::kCritical},
                                                    {"error", Severity::kHigh},
                                                    {"ERR", Severity::kHigh},
                                                    {"warn", Severity::kMedium},
                                                    {"Warning", Severity::kMedium},
                                                    {"notice", Severity::kLow},
                                                    {"info", Severity::kInfo},
                                                    {"INFO ", Severity::kInfo},
                                                    {"debug", Severity::kDebug},
                                                    {"trace", Severity::kDebug},
                                                    {"high", Severity::kHigh},
                                                    {"low", Severity::kLow},
                                                    {"", Severity::kUnset},
                                                    {"informative", Severity::kUnset},
                                                    {"3", Severity::kHigh},
                                                    {"60", Severity::kCritical}};
  for (const auto& [text, severity] : cases) {
    EXPECT_EQ(severityFromLevelName(text), severity) << text;
  }
}

TEST(LevelNumbersTest, SyslogAndBunyanRanges) {
  const Severity syslog[8] = {Severity::kCritical, Severity::kCritical, Severity::kCritical,
                              Severity::kHigh,     Severity::kMedium,   Severity::kLow,
                              Severity::kInfo,     Severity::kDebug};
  for (int code = 0; code < 8; ++code) EXPECT_EQ(severityFromLevelNumber(code), syslog[code]);
  EXPECT_EQ(severityFromLevelNumber(10), Severity::kDebug);  // bunyan trace
  EXPECT_EQ(severityFromLevelNumber(20), Severity::kDebug);
  EXPECT_EQ(severityFromLevelNumber(30), Severity::kInfo);
  EXPECT_EQ(severityFromLevelNumber(40), Severity::kMedium);
  EXPECT_EQ(severityFromLevelNumber(50), Severity::kHigh);
  EXPECT_EQ(severityFromLevelNumber(60), Severity::kCritical);
  EXPECT_EQ(severityFromLevelNumber(8), Severity::kUnset);
  EXPECT_EQ(severityFromLevelNumber(-1), Severity::kUnset);
  EXPECT_EQ(severityFromLevelNumber(1000), Severity::kUnset);
}

TEST(UtcOffsetTest, AcceptedAndRejectedSpellings) {
  EXPECT_EQ(parseUtcOffset("UTC"), 0);
  EXPECT_EQ(parseUtcOffset("Z"), 0);
  EXPECT_EQ(parseUtcOffset("+02:00"), 7200);
  EXPECT_EQ(parseUtcOffset("-0530"), -(5 * 3600 + 30 * 60));
  EXPECT_EQ(parseUtcOffset("+9"), 9 * 3600);
  EXPECT_EQ(parseUtcOffset("+18:00"), 18 * 3600);
  for (const char* bad : {"CEST", "+19:00", "+02:60", "02:00", "+2:0", "+020", "+"}) {
    EXPECT_FALSE(parseUtcOffset(bad).has_value()) << bad;
  }
}

TEST(ConversionsTest, WholeTextOnly) {
  int64_t i = 0;
  EXPECT_TRUE(parseInt64("-12", i));
  EXPECT_EQ(i, -12);
  EXPECT_TRUE(parseInt64("+7", i));
  EXPECT_EQ(i, 7);
  EXPECT_FALSE(parseInt64("12x", i));
  EXPECT_FALSE(parseInt64("99999999999999999999", i));
  EXPECT_FALSE(parseInt64("", i));
  double d = 0;
  EXPECT_TRUE(parseDouble("2.5e3", d));
  EXPECT_EQ(d, 2500);
  EXPECT_FALSE(parseDouble("2.5.1", d));
  bool b = false;
  EXPECT_TRUE(parseBool("Yes", b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(parseBool("off", b));
  EXPECT_FALSE(b);
  EXPECT_FALSE(parseBool("maybe", b));
}

TEST(ParseErrorTest, RestoresTheEventAndFlagsIt) {
  Batch batch = testing::makeBatch({"raw line"}, 5);
  Event& e = batch.events()[0];
  batch.addField(e, "kept", FieldValue::integer(1));
  const Event before = e;
  for (int i = 0; i < 20; ++i) batch.addField(e, "added", FieldValue::integer(i));  // grows
  e.message = "changed";
  e.severity = Severity::kHigh;
  e.timestamp_ns = 99;
  markParseError(batch, e, before, "broken");
  EXPECT_EQ(e.message, "raw line");
  EXPECT_EQ(e.severity, Severity::kUnset);
  EXPECT_EQ(e.timestamp_ns, 5);
  EXPECT_EQ(e.flags & Event::kParseError, Event::kParseError);
  ASSERT_EQ(e.field_count, 2);
  EXPECT_EQ(e.fields[0].key, "kept");
  EXPECT_EQ(e.fields[1].key, "event.parse_error");
  EXPECT_EQ(e.fields[1].value.string_value, "broken");
}

}  // namespace
}  // namespace logship::parsers
