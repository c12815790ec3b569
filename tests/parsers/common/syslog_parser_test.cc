#include "parsers/common/syslog_parser.h"

#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/support/timestamp.h"
#include "tests/requirements.h"

#ifndef LOGSHIP_CORPUS_DIR
#error "LOGSHIP_CORPUS_DIR must name the directory holding linux_syslog_2k.log"
#endif

namespace logship::syslog {
namespace {

constexpr int64_t kNs = timestamp::kNanosPerSecond;

int64_t utcNanos(int year, int month, int day, int hour, int minute, int second,
                 int64_t fraction_ns = 0) {
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * kNs + fraction_ns;
}

// True when part is empty or lies inside whole: every field must be a view into the line.
bool isViewInto(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void expectViewsInto(const SyslogMessage& m, std::string_view line) {
  EXPECT_TRUE(isViewInto(m.hostname, line));
  EXPECT_TRUE(isViewInto(m.app_name, line));
  EXPECT_TRUE(isViewInto(m.procid, line));
  EXPECT_TRUE(isViewInto(m.msgid, line));
  EXPECT_TRUE(isViewInto(m.structured_data, line));
  EXPECT_TRUE(isViewInto(m.message, line));
}

std::vector<std::string> loadCorpus() {
  std::vector<std::string> lines;
  std::ifstream in(std::string(LOGSHIP_CORPUS_DIR) + "/linux_syslog_2k.log", std::ios::binary);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

class SyslogParserTest : public ::testing::Test {
 protected:
  SyslogOptions options_{utcNanos(2005, 8, 1, 0, 0, 0), 0};
  SyslogMessage m_;
};

TEST_F(SyslogParserTest, Rfc3164WithPri) {
  const std::string_view line =
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
  ASSERT_TRUE(parseSyslog(line, {utcNanos(2003, 11, 1, 0, 0, 0), 0}, m_));
  EXPECT_EQ(m_.pri, 34);
  EXPECT_EQ(m_.facility, 4);
  EXPECT_EQ(m_.severity, 2);
  EXPECT_TRUE(m_.has_timestamp);
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2003, 10, 11, 22, 14, 15));
  EXPECT_EQ(m_.hostname, "mymachine");
  EXPECT_EQ(m_.app_name, "su");
  EXPECT_EQ(m_.procid, "");
  EXPECT_EQ(m_.message, "'su root' failed for lonvick on /dev/pts/8");
  EXPECT_FALSE(m_.rfc5424);
}

TEST_F(SyslogParserTest, Rfc3164WithoutPriAndPamTag) {
  const std::string_view line =
      "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 "
      "euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 \r\n";
  ASSERT_TRUE(parseSyslog(line, options_, m_));
  EXPECT_EQ(m_.pri, -1);
  EXPECT_EQ(m_.facility, -1);
  EXPECT_EQ(m_.severity, -1);
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2005, 6, 14, 15, 16, 1));
  EXPECT_EQ(m_.hostname, "combo");
  EXPECT_EQ(m_.app_name, "sshd(pam_unix)");
  EXPECT_EQ(m_.procid, "19939");
  // The line terminator is not part of the message, trailing spaces are.
  EXPECT_EQ(m_.message,
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
            "rhost=218.188.2.4 ");
}

TEST_F(SyslogParserTest, KernelIndentationIsKept) {
  ASSERT_TRUE(parseSyslog(
      "Jul 27 14:41:57 combo kernel:  BIOS-e820: 0000000000000000 - 00000000000a0000 (usable)",
      options_, m_));
  EXPECT_EQ(m_.app_name, "kernel");
  EXPECT_EQ(m_.message, " BIOS-e820: 0000000000000000 - 00000000000a0000 (usable)");
}

TEST_F(SyslogParserTest, TwoWordTags) {
  ASSERT_TRUE(parseSyslog("Jun 19 04:09:11 combo syslogd 1.4.1: restart.", options_, m_));
  EXPECT_EQ(m_.hostname, "combo");
  EXPECT_EQ(m_.app_name, "syslogd 1.4.1");
  EXPECT_EQ(m_.message, "restart.");

  ASSERT_TRUE(
      parseSyslog("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2", options_, m_));
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2005, 7, 7, 8, 6, 15));
  EXPECT_EQ(m_.hostname, "combo");
  EXPECT_EQ(m_.app_name, "-- root");
  EXPECT_EQ(m_.procid, "2421");
  EXPECT_EQ(m_.message, "ROOT LOGIN ON tty2");
}

TEST_F(SyslogParserTest, MissingHostname) {
  ASSERT_TRUE(parseSyslog("<13>Jun 14 15:16:01 sshd[123]: Server listening", options_, m_));
  EXPECT_EQ(m_.hostname, "");
  EXPECT_EQ(m_.app_name, "sshd");
  EXPECT_EQ(m_.procid, "123");
  EXPECT_EQ(m_.message, "Server listening");

  ASSERT_TRUE(parseSyslog("Jun 14 15:16:01 su: pam_unix(su:session): x", options_, m_));
  EXPECT_EQ(m_.hostname, "");
  EXPECT_EQ(m_.app_name, "su");
  EXPECT_EQ(m_.message, "pam_unix(su:session): x");
}

TEST_F(SyslogParserTest, LinesWithoutTagKeepTheWholeMessage) {
  ASSERT_TRUE(parseSyslog("Jun 14 15:16:01 combo this is free text: with a colon", options_, m_));
  EXPECT_EQ(m_.hostname, "combo");
  EXPECT_EQ(m_.app_name, "");
  EXPECT_EQ(m_.message, "this is free text: with a colon");

  ASSERT_TRUE(parseSyslog("Jun 14 15:16:01 combo url:http://x y", options_, m_));
  EXPECT_EQ(m_.app_name, "");
  EXPECT_EQ(m_.message, "url:http://x y");

  ASSERT_TRUE(parseSyslog("Jun 14 15:16:01 combo", options_, m_));
  EXPECT_EQ(m_.hostname, "combo");
  EXPECT_EQ(m_.message, "");
}

TEST_F(SyslogParserTest, PriOnlyLineIsAllMessage) {
  ASSERT_TRUE(parseSyslog("<13>hello world", options_, m_));
  EXPECT_EQ(m_.pri, 13);
  EXPECT_FALSE(m_.has_timestamp);
  EXPECT_EQ(m_.hostname, "");
  EXPECT_EQ(m_.app_name, "");
  EXPECT_EQ(m_.message, "hello world");

  ASSERT_TRUE(parseSyslog("<86>sudo: alice : TTY=pts/0", options_, m_));
  EXPECT_EQ(m_.app_name, "sudo");
  EXPECT_EQ(m_.message, "alice : TTY=pts/0");
}

TEST_F(SyslogParserTest, RsyslogHighPrecisionTimestamps) {
  ASSERT_TRUE(
      parseSyslog("2024-01-02T03:04:05.123456+00:00 web-1 sshd[991]: Accepted publickey for deploy",
                  options_, m_));
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2024, 1, 2, 3, 4, 5, 123'456'000));
  EXPECT_EQ(m_.hostname, "web-1");
  EXPECT_EQ(m_.app_name, "sshd");
  EXPECT_EQ(m_.procid, "991");
  EXPECT_EQ(m_.message, "Accepted publickey for deploy");
  EXPECT_FALSE(m_.rfc5424);

  ASSERT_TRUE(parseSyslog("<38>2024-01-02T04:04:05.5+01:00 web-1 CRON[7]: (root) CMD (true)",
                          options_, m_));
  EXPECT_EQ(m_.pri, 38);
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2024, 1, 2, 3, 4, 5, 500'000'000));
  EXPECT_EQ(m_.app_name, "CRON");

  // Zone-less ISO timestamps use the configured offset.
  ASSERT_TRUE(parseSyslog("2024-01-02T05:04:05 web-1 app: x", {0, 2 * 3600}, m_));
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2024, 1, 2, 3, 4, 5));
}

TEST_F(SyslogParserTest, InfersYearAcrossNewYear) {
  const SyslogOptions january{utcNanos(2024, 1, 2, 8, 0, 0), 0};
  ASSERT_TRUE(parseSyslog("<13>Dec 31 23:59:59 host app: late", january, m_));
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2023, 12, 31, 23, 59, 59));
  ASSERT_TRUE(parseSyslog("<13>Jan  2 07:59:00 host app: early", january, m_));
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2024, 1, 2, 7, 59, 0));
  // A local zone shifts both the reference and the result.
  const SyslogOptions tokyo{utcNanos(2023, 12, 31, 16, 0, 0), 9 * 3600};  // Jan 1 01:00 JST
  ASSERT_TRUE(parseSyslog("Dec 31 23:30:00 host app: x", tokyo, m_));
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2023, 12, 31, 14, 30, 0));
}

TEST_F(SyslogParserTest, Rfc5424Examples) {
  // The examples of RFC 5424 section 6.5.
  const std::string line1 =
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' "
      "failed for lonvick on /dev/pts/8";
  ASSERT_TRUE(parseSyslog(line1, options_, m_));
  EXPECT_TRUE(m_.rfc5424);
  EXPECT_EQ(m_.pri, 34);
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2003, 10, 11, 22, 14, 15, 3'000'000));
  EXPECT_EQ(m_.hostname, "mymachine.example.com");
  EXPECT_EQ(m_.app_name, "su");
  EXPECT_EQ(m_.procid, "");
  EXPECT_EQ(m_.msgid, "ID47");
  EXPECT_EQ(m_.structured_data, "");
  EXPECT_EQ(m_.message, "'su root' failed for lonvick on /dev/pts/8");

  ASSERT_TRUE(parseSyslog(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
      "the do-nuts.",
      options_, m_));
  EXPECT_EQ(m_.facility, 20);
  EXPECT_EQ(m_.severity, 5);
  EXPECT_EQ(m_.timestamp_ns, utcNanos(2003, 8, 24, 12, 14, 15, 3'000));
  EXPECT_EQ(m_.hostname, "192.0.2.1");
  EXPECT_EQ(m_.app_name, "myproc");
  EXPECT_EQ(m_.procid, "8710");
  EXPECT_EQ(m_.msgid, "");
  EXPECT_EQ(m_.message, "%% It's time to make the do-nuts.");

  ASSERT_TRUE(parseSyslog(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
      "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
      "class=\"high\"]",
      options_, m_));
  EXPECT_EQ(m_.app_name, "evntslog");
  EXPECT_EQ(m_.structured_data,
            "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
            "[examplePriority@32473 class=\"high\"]");
  EXPECT_EQ(m_.message, "");

  std::vector<std::string> params;
  forEachSdParam(
      m_.structured_data, [&](std::string_view id, std::string_view name, std::string_view value) {
        params.push_back(std::string(id) + "/" + std::string(name) + "=" + std::string(value));
      });
  EXPECT_EQ(params, (std::vector<std::string>{
                        "exampleSDID@32473/iut=3", "exampleSDID@32473/eventSource=Application",
                        "exampleSDID@32473/eventID=1011", "examplePriority@32473/class=high"}));
}

TEST_F(SyslogParserTest, Rfc5424AllNil) {
  ASSERT_TRUE(parseSyslog("<13>1 - - - - - -", options_, m_));
  EXPECT_TRUE(m_.rfc5424);
  EXPECT_FALSE(m_.has_timestamp);
  EXPECT_EQ(m_.hostname, "");
  EXPECT_EQ(m_.app_name, "");
  EXPECT_EQ(m_.procid, "");
  EXPECT_EQ(m_.msgid, "");
  EXPECT_EQ(m_.structured_data, "");
  EXPECT_EQ(m_.message, "");

  ASSERT_TRUE(parseSyslog("<13>1 - host - - - - a message", options_, m_));
  EXPECT_EQ(m_.hostname, "host");
  EXPECT_EQ(m_.message, "a message");
}

TEST_F(SyslogParserTest, Rfc5424EscapedStructuredData) {
  const std::string_view line =
      "<13>1 2024-01-01T00:00:00Z h app 42 m [id@1 a=\"x \\\"q\\\" \\] y\" b=\"c:\\\\\"][two "
      "k=\"\"] body [not sd]";
  ASSERT_TRUE(parseSyslog(line, options_, m_));
  EXPECT_EQ(m_.procid, "42");
  EXPECT_EQ(m_.structured_data, "[id@1 a=\"x \\\"q\\\" \\] y\" b=\"c:\\\\\"][two k=\"\"]");
  EXPECT_EQ(m_.message, "body [not sd]");

  std::vector<std::string> unescaped;
  forEachSdParam(m_.structured_data,
                 [&](std::string_view id, std::string_view name, std::string_view raw) {
                   char buffer[64];
                   ASSERT_LE(raw.size(), sizeof(buffer));
                   unescaped.push_back(std::string(id) + "/" + std::string(name) + "=" +
                                       std::string(buffer, unescapeSdValue(raw, buffer)));
                 });
  EXPECT_EQ(unescaped, (std::vector<std::string>{"id@1/a=x \"q\" ] y", "id@1/b=c:\\", "two/k="}));
}

TEST_F(SyslogParserTest, ForEachSdParamCanStopEarly) {
  int calls = 0;
  forEachSdParam("[a x=\"1\" y=\"2\"][b z=\"3\"]",
                 [&](std::string_view, std::string_view, std::string_view) {
                   ++calls;
                   return calls < 2;
                 });
  EXPECT_EQ(calls, 2);
}

TEST_F(SyslogParserTest, MalformedStructuredDataStaysInMessage) {
  ASSERT_TRUE(
      parseSyslog("<13>1 2024-01-01T00:00:00Z h a p m [id@1 k=\"unterminated] tail", options_, m_));
  EXPECT_TRUE(m_.rfc5424);
  EXPECT_EQ(m_.structured_data, "");
  EXPECT_EQ(m_.message, "[id@1 k=\"unterminated] tail");

  int calls = 0;
  forEachSdParam("[id@1 k=\"unterminated] tail",
                 [&](std::string_view, std::string_view, std::string_view) { ++calls; });
  forEachSdParam("[a b]", [&](std::string_view, std::string_view, std::string_view) { ++calls; });
  forEachSdParam("garbage", [&](std::string_view, std::string_view, std::string_view) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST_F(SyslogParserTest, Rfc5424BadTimestampKeepsText) {
  ASSERT_TRUE(parseSyslog("<13>1 2024-99-99T00:00:00Z host app - - - msg", options_, m_));
  EXPECT_TRUE(m_.rfc5424);
  EXPECT_FALSE(m_.has_timestamp);
  EXPECT_EQ(m_.hostname, "");
  EXPECT_EQ(m_.message, "2024-99-99T00:00:00Z host app - - - msg");

  // Without a digit or NILVALUE after the version this is RFC 3164 text after a PRI.
  ASSERT_TRUE(parseSyslog("<13>1 yesterday host", options_, m_));
  EXPECT_FALSE(m_.rfc5424);
  EXPECT_EQ(m_.message, "1 yesterday host");
}

TEST_F(SyslogParserTest, RejectsNonSyslog) {
  for (std::string_view line :
       {"", "hello world", "{\"json\":true}", "<192>Jun 14 15:16:01 h a: b", "<>x", "<abc>x", "<13",
        "<1234>x", "2024-13-01T00:00:00Z host app: x", "Jun 14 15:16:01x host a: b", "1 apple"}) {
    m_.hostname = "stale";
    EXPECT_FALSE(parseSyslog(line, options_, m_)) << line;
    EXPECT_EQ(m_.hostname, "") << "output must be reset on failure";
    EXPECT_EQ(m_.pri, -1);
  }
}

TEST_F(SyslogParserTest, Names) {
  EXPECT_EQ(severityName(0), "emerg");
  EXPECT_EQ(severityName(3), "err");
  EXPECT_EQ(severityName(7), "debug");
  EXPECT_EQ(severityName(8), "");
  EXPECT_EQ(severityName(-1), "");
  EXPECT_EQ(facilityName(0), "kern");
  EXPECT_EQ(facilityName(4), "auth");
  EXPECT_EQ(facilityName(10), "authpriv");
  EXPECT_EQ(facilityName(16), "local0");
  EXPECT_EQ(facilityName(23), "local7");
  EXPECT_EQ(facilityName(24), "");
}

class SyslogCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_ = loadCorpus();
    LOGSHIP_REQUIRE(!(lines_.empty()), "corpus not readable under " << LOGSHIP_CORPUS_DIR);
  }

  std::vector<std::string> lines_;
  // The corpus (Loghub Linux_2k) runs from June to July 2005.
  const SyslogOptions options_{utcNanos(2005, 8, 1, 0, 0, 0), 0};
};

// Expectations come from the line text itself: "Mmm dd hh:mm:ss combo TAG[PID]: MESSAGE", where
// TAG runs to the first '[' or ": " (so "syslogd 1.4.1" and "-- root" are whole tags).
TEST_F(SyslogCorpusTest, EveryLineParsesWithHostAppAndTime) {
  size_t with_pid = 0;
  for (const std::string& raw : lines_) {
    const std::string line = raw.substr(0, raw.find_last_not_of("\r\n") + 1);
    SyslogMessage m;
    ASSERT_TRUE(parseSyslog(raw, options_, m)) << line;
    expectViewsInto(m, raw);

    struct tm tm = {};
    const char* after_time = strptime(line.c_str(), "%b %d %H:%M:%S", &tm);
    ASSERT_NE(after_time, nullptr) << line;
    tm.tm_year = 2005 - 1900;
    ASSERT_TRUE(m.has_timestamp);
    EXPECT_EQ(m.timestamp_ns, static_cast<int64_t>(timegm(&tm)) * kNs) << line;

    const size_t host_at = line.find(" combo ");
    ASSERT_NE(host_at, std::string::npos) << line;
    EXPECT_EQ(m.hostname, "combo") << line;
    std::string rest = line.substr(host_at + 7);
    rest.erase(0, rest.find_first_not_of(' '));
    const size_t bracket = rest.find('[');
    const size_t colon = rest.find(": ");
    const size_t tag_end = std::min(bracket, colon);
    ASSERT_NE(tag_end, std::string::npos) << line;
    EXPECT_EQ(m.app_name, rest.substr(0, tag_end)) << line;
    std::string expected_message;
    if (tag_end == bracket) {
      const size_t close = rest.find("]: ", bracket);
      ASSERT_NE(close, std::string::npos) << line;
      EXPECT_EQ(m.procid, rest.substr(bracket + 1, close - bracket - 1)) << line;
      expected_message = rest.substr(close + 3);
      ++with_pid;
    } else {
      EXPECT_EQ(m.procid, "") << line;
      expected_message = rest.substr(colon + 2);
    }
    EXPECT_EQ(m.message, expected_message) << line;
    EXPECT_EQ(m.pri, -1);
    EXPECT_FALSE(m.rfc5424);
  }
  EXPECT_GT(with_pid, 0u);
}

TEST_F(SyslogCorpusTest, WithPriPrefixEveryLineStillParses) {
  for (const std::string& raw : lines_) {
    const std::string line = "<86>" + raw;
    SyslogMessage plain;
    SyslogMessage prefixed;
    ASSERT_TRUE(parseSyslog(raw, options_, plain));
    ASSERT_TRUE(parseSyslog(line, options_, prefixed)) << line;
    EXPECT_EQ(prefixed.facility, 10);
    EXPECT_EQ(prefixed.severity, 6);
    EXPECT_EQ(prefixed.app_name, plain.app_name);
    EXPECT_EQ(prefixed.message, plain.message);
    EXPECT_EQ(prefixed.timestamp_ns, plain.timestamp_ns);
  }
}

// Truncated prefixes of every corpus line, and a few byte corruptions, must never crash and
// must only ever yield views into the input.
TEST_F(SyslogCorpusTest, TruncatedAndCorruptedLinesAreSafe) {
  size_t accepted = 0;
  size_t rejected = 0;
  for (const std::string& raw : lines_) {
    for (size_t length = 0; length <= raw.size(); ++length) {
      // A heap copy of exactly `length` bytes lets ASan catch any read past the end.
      const std::string prefix = raw.substr(0, length);
      SyslogMessage m;
      if (parseSyslog(prefix, options_, m)) {
        ++accepted;
        expectViewsInto(m, prefix);
      } else {
        ++rejected;
      }
      const std::string with_pri = "<13>1 " + prefix;
      if (parseSyslog(with_pri, options_, m)) expectViewsInto(m, with_pri);
    }
    std::string corrupted = raw;
    for (size_t i = 0; i < corrupted.size(); i += 7) {
      const char saved = corrupted[i];
      for (char c : {'\0', '[', ']', ':', ' ', '"', '<'}) {
        corrupted[i] = c;
        SyslogMessage m;
        if (parseSyslog(corrupted, options_, m)) expectViewsInto(m, corrupted);
      }
      corrupted[i] = saved;
    }
  }
  // Short prefixes are not syslog, long ones are: both paths were exercised.
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
}

}  // namespace
}  // namespace logship::syslog
