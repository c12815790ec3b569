#include "parsers/regex/parse_regex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/parsers/parser_test_support.h"
#include "tests/requirements.h"

namespace logship {
namespace {

using testing::boolean;
using testing::buildOrFail;
using testing::FakeContext;
using testing::integer;
using testing::parseFailed;
using testing::real;
using testing::runLines;
using testing::str;
using testing::utcNs;

// The Apache error log pattern of the issue: "[Sun Dec 04 04:47:44 2005] [notice] message".
constexpr char kApacheOptions[] =
    "patterns: ['^\\[(?P<timestamp>[^\\]]+)\\] \\[(?P<level>[a-z]+)\\] (?P<message>.*)$']";

// Expected values computed from the line text by the test itself.
struct ApacheExpectation {
  int64_t timestamp_ns = 0;
  Severity severity = Severity::kUnset;
  std::string message;
};

ApacheExpectation expectApache(const std::string& line) {
  static const std::map<std::string, Severity> kLevels = {
      {"emerg", Severity::kCritical}, {"alert", Severity::kCritical}, {"crit", Severity::kCritical},
      {"error", Severity::kHigh},     {"warn", Severity::kMedium},    {"notice", Severity::kLow},
      {"info", Severity::kInfo},      {"debug", Severity::kDebug}};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  ApacheExpectation out;
  char weekday[4] = {};
  char month[4] = {};
  unsigned day = 0, hour = 0, minute = 0, second = 0;
  int year = 0;
  char level[16] = {};
  int consumed = 0;
  if (std::sscanf(line.c_str(), "[%3s %3s %u %u:%u:%u %d] [%15[a-z]] %n", weekday, month, &day,
                  &hour, &minute, &second, &year, level, &consumed) != 8) {
    ADD_FAILURE() << "the test cannot read " << line;
    return out;
  }
  unsigned month_number = 0;
  for (unsigned m = 0; m < 12; ++m) {
    if (std::strcmp(month, kMonths[m]) == 0) month_number = m + 1;
  }
  out.timestamp_ns = utcNs(year, month_number, day, hour, minute, second);
  auto it = kLevels.find(level);
  out.severity = it == kLevels.end() ? Severity::kUnset : it->second;
  out.message = line.substr(static_cast<size_t>(consumed));
  return out;
}

TEST(ParseRegexCorpusTest, EveryApacheErrorLineMatchesWithLevelsMapped) {
  const std::vector<std::string> lines = testing::readLines("apache_error_2k.log");
  LOGSHIP_REQUIRE(!(lines.empty()), "corpus not readable under " << LOGSHIP_CORPUS_DIR);
  auto transform = buildOrFail("parse_regex", kApacheOptions);
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  auto batch = runLines(*transform, lines, 0, &context);
  ASSERT_NE(batch, nullptr);
  std::map<Severity, int> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Event& e = batch->events()[i];
    const ApacheExpectation expected = expectApache(lines[i]);
    ASSERT_FALSE(parseFailed(e)) << lines[i];
    EXPECT_EQ(e.timestamp_ns, expected.timestamp_ns) << lines[i];
    EXPECT_EQ(e.severity, expected.severity) << lines[i];
    EXPECT_NE(e.severity, Severity::kUnset) << lines[i];
    EXPECT_EQ(e.message, expected.message) << lines[i];
    EXPECT_EQ(str(e, "event.original"), lines[i]);
    EXPECT_EQ(e.field_count, 1) << lines[i];
    ++seen[e.severity];
  }
  EXPECT_TRUE(context.counting().discarded_by_reason.empty());
  // Both levels of this corpus occur, so the mapping was exercised both ways.
  EXPECT_GT(seen[Severity::kLow], 0);
  EXPECT_GT(seen[Severity::kHigh], 0);
}

TEST(ParseRegexTest, FirstMatchingPatternWinsAndGroupNamesBecomeDottedFields) {
  auto transform = buildOrFail(
      "parse_regex",
      "patterns:\n"
      "  - '^(?P<source__ip>\\d+\\.\\d+\\.\\d+\\.\\d+) (?P<method>[A-Z]+) (?P<status>\\d+)$'\n"
      "  - '^(?P<method>[A-Z]+) (?P<status>\\d+)( (?P<note>\\w+))?$'\n"
      "types: {status: int}\n");
  ASSERT_NE(transform, nullptr);
  auto batch = runLines(*transform, {"10.0.0.1 GET 200", "POST 201", "PUT 500 oops", "nothing"});
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(str(events[0], "source.ip"), "10.0.0.1");
  EXPECT_EQ(str(events[0], "method"), "GET");
  EXPECT_EQ(integer(events[0], "status"), 200);
  EXPECT_EQ(str(events[1], "method"), "POST");
  EXPECT_EQ(integer(events[1], "status"), 201);
  EXPECT_EQ(events[1].findField("source.ip"), nullptr);
  EXPECT_EQ(events[1].findField("note"), nullptr);  // the optional group did not take part
  EXPECT_EQ(str(events[2], "note"), "oops");
  EXPECT_TRUE(parseFailed(events[3]));
  EXPECT_EQ(str(events[3], "event.parse_error"), "no pattern matched");
  EXPECT_EQ(events[3].message, "nothing");
  EXPECT_FALSE(parseFailed(events[0]));
  // Fields come out in the order the pattern names them.
  EXPECT_EQ(events[0].fields[0].key, "source.ip");
  EXPECT_EQ(events[0].fields[2].key, "status");
}

TEST(ParseRegexTest, TypedConversionsAndFailures) {
  auto transform = buildOrFail("parse_regex",
                               "patterns: ['^(?P<n>\\S+) (?P<ratio>\\S+) (?P<cached>\\S+)$']\n"
                               "types: {n: int, ratio: float, cached: bool}\n");
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  auto batch =
      runLines(*transform, {"-42 0.25 true", "x 1 no", "1 y no", "1 1 maybe"}, 0, &context);
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(integer(events[0], "n"), -42);
  EXPECT_EQ(real(events[0], "ratio"), 0.25);
  EXPECT_EQ(boolean(events[0], "cached"), true);
  EXPECT_EQ(str(events[1], "event.parse_error"), "captured value is not an int");
  EXPECT_EQ(str(events[2], "event.parse_error"), "captured value is not a float");
  EXPECT_EQ(str(events[3], "event.parse_error"), "captured value is not a bool");
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(events[i].field_count, 1);
  EXPECT_EQ(context.counting().discarded_by_reason["parse_error"], 3u);
}

TEST(ParseRegexTest, ParsesAFieldAndAnExplicitTimestampFormat) {
  auto transform = buildOrFail("parse_regex",
                               "patterns: ['^(?P<time>\\d+/\\d+/\\d+ [\\d:]+) (?P<rest>.*)$']\n"
                               "field: body\n"
                               "timestamp_format: '%d/%m/%Y %H:%M:%S'\n"
                               "timezone_offset: '-01:00'\n");
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  transform->start(context);
  Batch batch = testing::makeBatch({"raw one", "raw two"});
  batch.addField(batch.events()[0], "body", FieldValue::string("02/01/2024 03:04:05 the rest"));
  testing::CapturingEmitter out;
  transform->process(batch, out);
  ASSERT_EQ(out.batches.size(), 1u);
  const auto& events = out.batches[0]->events();
  EXPECT_EQ(events[0].timestamp_ns, utcNs(2024, 1, 2, 4, 4, 5));
  EXPECT_EQ(str(events[0], "rest"), "the rest");
  EXPECT_EQ(events[0].message, "raw one");
  EXPECT_EQ(str(events[1], "event.parse_error"), "field to parse is missing");
}

TEST(ParseRegexTest, MatchingIsLinearInTheInput) {
  // (a+)+$ backtracks exponentially in engines that backtrack; RE2 does not.
  auto transform = buildOrFail("parse_regex", "patterns: ['^(?P<x>(a+)+)$']");
  ASSERT_NE(transform, nullptr);
  const std::string evil = std::string(200000, 'a') + "b";
  const auto start = std::chrono::steady_clock::now();
  auto batch = runLines(*transform, {evil});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_NE(batch, nullptr);
  EXPECT_TRUE(parseFailed(batch->events()[0]));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(ParseRegexConfigTest, BadPatternsAndTypesAreReportedWhereTheyAreWritten) {
  Diagnostics diag;
  EXPECT_EQ(testing::buildTransform("parse_regex",
                                    "patterns:\n"
                                    "  - '(?P<ok>a)'\n"
                                    "  - '(unclosed'\n"
                                    "types: {ok: int}\n",
                                    diag),
            nullptr);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].rfind("t.yaml:3:5: invalid RE2 pattern: missing ): (unclosed", 0), 0u)
      << diag.errors()[0];

  Diagnostics types;
  EXPECT_EQ(testing::buildTransform("parse_regex",
                                    "patterns: ['(?P<ok>a)(?P<other>b)']\n"
                                    "types: {ok: int, missing: int, other: decimal}\n",
                                    types),
            nullptr);
  ASSERT_EQ(types.errors().size(), 2u);
  EXPECT_EQ(types.errors()[0],
            "t.yaml:2:39: type 'decimal' is not one of: int, float, bool, string");
  EXPECT_EQ(types.errors()[1], "t.yaml:2:8: types names 'missing', which no pattern captures");

  Diagnostics unknown;
  EXPECT_EQ(testing::buildTransform("parse_regex", "patterns: [a]\npattern: b", unknown), nullptr);
  ASSERT_EQ(unknown.errors().size(), 1u);
  EXPECT_EQ(unknown.errors()[0].rfind("t.yaml:2:1: unknown option 'pattern'", 0), 0u);

  Diagnostics missing;
  EXPECT_EQ(testing::buildTransform("parse_regex", "field: x", missing), nullptr);
  ASSERT_FALSE(missing.errors().empty());
  EXPECT_EQ(missing.errors()[0], "t.yaml:1:1: missing required option 'patterns'");
}

}  // namespace
}  // namespace logship
