#include "parsers/syslog/parse_syslog.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/parsers/parser_test_support.h"
#include "tests/requirements.h"

namespace logship {
namespace {

using testing::buildOrFail;
using testing::FakeContext;
using testing::integer;
using testing::kCorpusReadTimeNs;
using testing::parseFailed;
using testing::runLines;
using testing::str;
using testing::utcNs;

// What a corpus line says, read by the test's own simple rules: "Mmm dd hh:mm:ss host " then a
// tag up to the first ": " (a trailing "[pid]" split off), then the body.
struct SyslogExpectation {
  int64_t timestamp_ns = 0;
  std::string host;
  std::string program;
  int64_t pid = -1;
  std::string body;
};

SyslogExpectation expectSyslog(const std::string& line) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  SyslogExpectation out;
  char month[4] = {};
  unsigned day = 0, hour = 0, minute = 0, second = 0;
  char host[64] = {};
  int consumed = 0;
  if (std::sscanf(line.c_str(), "%3s %u %u:%u:%u %63s %n", month, &day, &hour, &minute, &second,
                  host, &consumed) != 6) {
    ADD_FAILURE() << "the test cannot read " << line;
    return out;
  }
  unsigned month_number = 0;
  for (unsigned m = 0; m < 12; ++m) {
    if (std::strcmp(month, kMonths[m]) == 0) month_number = m + 1;
  }
  out.timestamp_ns = utcNs(2005, month_number, day, hour, minute, second);
  out.host = host;
  const std::string rest = line.substr(static_cast<size_t>(consumed));
  const size_t colon = rest.find(": ");
  std::string tag = rest.substr(0, colon);
  out.body = rest.substr(colon + 2);
  if (!tag.empty() && tag.back() == ']') {
    const size_t open = tag.rfind('[');
    out.pid = std::stoll(tag.substr(open + 1, tag.size() - open - 2));
    tag = tag.substr(0, open);
  }
  out.program = tag;
  return out;
}

TEST(ParseSyslogCorpusTest, EveryLinuxSyslogLineParses) {
  const std::vector<std::string> lines = testing::readLines("linux_syslog_2k.log");
  LOGSHIP_REQUIRE(!(lines.empty()), "corpus not readable under " << LOGSHIP_CORPUS_DIR);
  auto transform = buildOrFail("parse_syslog");
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  auto batch = runLines(*transform, lines, kCorpusReadTimeNs, &context);
  ASSERT_NE(batch, nullptr);
  int with_pid = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Event& e = batch->events()[i];
    const SyslogExpectation expected = expectSyslog(lines[i]);
    ASSERT_FALSE(parseFailed(e)) << lines[i];
    EXPECT_EQ(e.message, lines[i]);  // the raw line stays in message
    EXPECT_EQ(e.timestamp_ns, expected.timestamp_ns) << lines[i];
    EXPECT_EQ(str(e, "host.name"), expected.host) << lines[i];
    EXPECT_EQ(str(e, "process.name"), expected.program) << lines[i];
    EXPECT_EQ(str(e, "syslog.message"), expected.body) << lines[i];
    if (expected.pid >= 0) {
      EXPECT_EQ(integer(e, "process.pid"), expected.pid) << lines[i];
      ++with_pid;
    } else {
      EXPECT_EQ(e.findField("process.pid"), nullptr) << lines[i];
    }
    // No PRI in a file written by syslogd: no level is invented.
    EXPECT_EQ(e.severity, Severity::kUnset);
    EXPECT_EQ(e.findField("log.syslog.priority"), nullptr);
  }
  EXPECT_GT(with_pid, 0);
  EXPECT_TRUE(context.counting().discarded_by_reason.empty());
}

TEST(ParseSyslogTest, Rfc5424WithStructuredData) {
  const std::string line =
      R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 8710 ID47 )"
      R"([exampleSDID@32473 iut="3" eventSource="App \"X\""][meta seq="7"] An event)";
  auto transform = buildOrFail("parse_syslog");
  ASSERT_NE(transform, nullptr);
  auto batch = runLines(*transform, {line});
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_FALSE(parseFailed(e));
  EXPECT_EQ(e.message, line);
  EXPECT_EQ(e.timestamp_ns, utcNs(2003, 10, 11, 22, 14, 15, 3));
  EXPECT_EQ(e.severity, Severity::kLow);  // 165 = local4.notice
  EXPECT_EQ(integer(e, "log.syslog.priority"), 165);
  EXPECT_EQ(integer(e, "log.syslog.facility.code"), 20);
  EXPECT_EQ(str(e, "log.syslog.facility.name"), "local4");
  EXPECT_EQ(integer(e, "log.syslog.severity.code"), 5);
  EXPECT_EQ(str(e, "log.syslog.severity.name"), "notice");
  EXPECT_EQ(str(e, "log.syslog.version"), "1");  // ECS keeps it a keyword
  EXPECT_EQ(str(e, "host.name"), "mymachine.example.com");
  EXPECT_EQ(str(e, "process.name"), "evntslog");
  EXPECT_EQ(integer(e, "process.pid"), 8710);
  EXPECT_EQ(str(e, "log.syslog.msgid"), "ID47");
  EXPECT_EQ(str(e, "sd.exampleSDID@32473.iut"), "3");
  EXPECT_EQ(str(e, "sd.exampleSDID@32473.eventSource"), "App \"X\"");
  EXPECT_EQ(str(e, "sd.meta.seq"), "7");
  EXPECT_EQ(str(e, "syslog.message"), "An event");
}

TEST(ParseSyslogTest, StructuredDataCanBeLeftOut) {
  auto transform = buildOrFail("parse_syslog", "structured_data: false");
  ASSERT_NE(transform, nullptr);
  auto batch = runLines(*transform, {R"(<14>1 - host app - - [a b="c"] text)"});
  ASSERT_NE(batch, nullptr);
  const Event& e = batch->events()[0];
  EXPECT_EQ(e.findField("sd.a.b"), nullptr);
  EXPECT_EQ(str(e, "syslog.message"), "text");
}

TEST(ParseSyslogTest, PriSeverityMapsToTheSixLevels) {
  const Severity expected[8] = {Severity::kCritical, Severity::kCritical, Severity::kCritical,
                                Severity::kHigh,     Severity::kMedium,   Severity::kLow,
                                Severity::kInfo,     Severity::kDebug};
  std::vector<std::string> lines;
  for (int severity = 0; severity < 8; ++severity) {
    lines.push_back("<" + std::to_string(8 + severity) + ">Jan  2 03:04:05 host app[1]: x");
  }
  auto transform = buildOrFail("parse_syslog");
  ASSERT_NE(transform, nullptr);
  auto batch = runLines(*transform, lines, utcNs(2024, 3, 1, 0, 0, 0));
  ASSERT_NE(batch, nullptr);
  for (int severity = 0; severity < 8; ++severity) {
    const Event& e = batch->events()[severity];
    EXPECT_EQ(e.severity, expected[severity]) << severity;
    EXPECT_EQ(str(e, "log.syslog.facility.name"), "user");
    EXPECT_EQ(e.timestamp_ns, utcNs(2024, 1, 2, 3, 4, 5));
  }
}

TEST(ParseSyslogTest, YearIsInferredFromTheReadTimeAndZoneFromTheOption) {
  auto transform = buildOrFail("parse_syslog", "timezone_offset: '+01:00'");
  ASSERT_NE(transform, nullptr);
  // Read just after new year: a December line belongs to the year before.
  auto batch = runLines(*transform, {"Dec 31 23:59:59 h app: late", "Jan  1 00:00:30 h app: new"},
                        utcNs(2025, 1, 1, 0, 1, 0));
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->events()[0].timestamp_ns, utcNs(2024, 12, 31, 22, 59, 59));
  EXPECT_EQ(batch->events()[1].timestamp_ns, utcNs(2024, 12, 31, 23, 0, 30));
}

TEST(ParseSyslogTest, NonNumericProcIdAndNonSyslogLines) {
  auto transform = buildOrFail("parse_syslog");
  ASSERT_NE(transform, nullptr);
  FakeContext context;
  auto batch = runLines(*transform,
                        {"<13>1 2024-01-02T03:04:05Z h app worker-7 - - text", "plain text",
                         "<999>Jan  1 00:00:00 h x: y", ""},
                        0, &context);
  ASSERT_NE(batch, nullptr);
  const auto& events = batch->events();
  EXPECT_EQ(str(events[0], "log.syslog.procid"), "worker-7");
  EXPECT_EQ(events[0].findField("process.pid"), nullptr);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_TRUE(parseFailed(events[i]));
    EXPECT_EQ(str(events[i], "event.parse_error"), "not a syslog line");
    EXPECT_EQ(events[i].field_count, 1);
  }
  EXPECT_EQ(context.counting().discarded_by_reason["parse_error"], 3u);
}

}  // namespace
}  // namespace logship
