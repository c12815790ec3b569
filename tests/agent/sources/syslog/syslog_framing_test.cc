#include "agent/sources/syslog/syslog_framing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace logship {
namespace {

struct Received {
  std::vector<std::string> messages;
  std::vector<bool> truncated;
};

// Feeds `stream` in pieces of `step` bytes, as reads would deliver it.
Received feedInSteps(SyslogFrameReader& reader, std::string_view stream, size_t step) {
  Received out;
  for (size_t i = 0; i < stream.size(); i += step) {
    reader.feed(stream.substr(i, step), [&](std::string_view m, bool truncated) {
      out.messages.emplace_back(m);
      out.truncated.push_back(truncated);
    });
  }
  return out;
}

TEST(SyslogFrameReader, OctetCountedFramesWhateverTheReadBoundaries) {
  const std::string a = "<13>1 2026-01-01T00:00:00Z host app - - - first";
  const std::string b = "<13>1 2026-01-01T00:00:00Z host app - - - second\nwith a newline";
  const std::string stream =
      std::to_string(a.size()) + " " + a + std::to_string(b.size()) + " " + b;
  for (size_t step : {1, 2, 7, 64, 4096}) {
    SyslogFrameReader reader(1024);
    const Received got = feedInSteps(reader, stream, step);
    ASSERT_EQ(got.messages.size(), 2u) << "step " << step;
    EXPECT_EQ(got.messages[0], a);
    EXPECT_EQ(got.messages[1], b);  // the LF inside a counted frame is part of the message
    EXPECT_EQ(got.truncated, (std::vector<bool>{false, false}));
  }
}

TEST(SyslogFrameReader, NewlineFramesWithCrLfAndBlankLines) {
  SyslogFrameReader reader(1024);
  const Received got = feedInSteps(reader, "<13>Jan  1 00:00:00 h a: one\r\n\n<13>two\n", 3);
  EXPECT_EQ(got.messages, (std::vector<std::string>{"<13>Jan  1 00:00:00 h a: one", "<13>two"}));
}

TEST(SyslogFrameReader, MixedFramingOnOneConnection) {
  SyslogFrameReader reader(1024);
  const Received got = feedInSteps(reader, "5 <1>ab<2>line\n3 <3>", 4);
  EXPECT_EQ(got.messages, (std::vector<std::string>{"<1>ab", "<2>line", "<3>"}));
}

TEST(SyslogFrameReader, DigitsWithoutSpaceAreALine) {
  SyslogFrameReader reader(1024);
  const Received got = feedInSteps(reader, "2024-01-02T03:04:05Z host app: text\n", 5);
  EXPECT_EQ(got.messages, (std::vector<std::string>{"2024-01-02T03:04:05Z host app: text"}));
}

TEST(SyslogFrameReader, LongMessagesAreCutAndTheRestSkipped) {
  for (size_t step : {1, 5, 1000}) {
    SyslogFrameReader reader(8);
    const std::string counted = "20 <13>aaaaaaaaaaaaaaaa";  // 20 bytes, 8 kept
    const Received got = feedInSteps(reader, counted + "<13>bbbbbbbbbbbb\n<13>ok\n", step);
    ASSERT_EQ(got.messages.size(), 3u) << "step " << step;
    EXPECT_EQ(got.messages[0], "<13>aaaa");
    EXPECT_EQ(got.messages[1], "<13>bbbb");
    EXPECT_EQ(got.messages[2], "<13>ok");
    EXPECT_EQ(got.truncated, (std::vector<bool>{true, true, false}));
  }
}

TEST(SyslogFrameReader, AMessageOfExactlyTheLimitIsWhole) {
  SyslogFrameReader reader(6);
  const Received got = feedInSteps(reader, "<13>ab\n6 <13>cd", 1);
  EXPECT_EQ(got.messages, (std::vector<std::string>{"<13>ab", "<13>cd"}));
  EXPECT_EQ(got.truncated, (std::vector<bool>{false, false}));
}

TEST(SyslogFrameReader, FinishReturnsAnUnterminatedLineButNotAPartialFrame) {
  SyslogFrameReader line_reader(64);
  feedInSteps(line_reader, "<13>last words\r", 4);
  size_t lost = 1;
  EXPECT_EQ(line_reader.finish(&lost), "<13>last words");
  EXPECT_EQ(lost, 0u);

  SyslogFrameReader counted_reader(64);
  feedInSteps(counted_reader, "30 <13>cut short", 4);
  EXPECT_EQ(counted_reader.finish(&lost), "");
  EXPECT_EQ(lost, 13u);
  // The reader starts over: nothing of the old stream is left.
  const Received got = feedInSteps(counted_reader, "<13>fresh\n", 3);
  EXPECT_EQ(got.messages, (std::vector<std::string>{"<13>fresh"}));
}

TEST(SyslogFrameReader, ACountedFrameEndingInANewlineLosesIt) {
  // rsyslog's RSYSLOG_SyslogProtocol23Format ends with LF, and omfwd counts it in the frame.
  SyslogFrameReader reader(1024);
  const Received got = feedInSteps(reader, "12 <13>1 - x y\n12 <13>1 - x z\n", 5);
  EXPECT_EQ(got.messages, (std::vector<std::string>{"<13>1 - x y", "<13>1 - x z"}));
}

TEST(SyslogFrameReader, ALineStartingWithNumberAndSpaceIsNotAFrame) {
  SyslogFrameReader reader(1024);
  const Received got = feedInSteps(reader, "1700000000 host app: epoch first\n<13>next\n", 3);
  EXPECT_EQ(got.messages,
            (std::vector<std::string>{"1700000000 host app: epoch first", "<13>next"}));
}

}  // namespace
}  // namespace logship
