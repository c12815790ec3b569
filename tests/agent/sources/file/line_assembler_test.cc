#include "agent/sources/file/line_assembler.h"

#include <gtest/gtest.h>

#include <cstring>

#include "agent/core/line_reader.h"
#include "tests/agent/batch_messages.h"

namespace logship {
namespace {

using testing::messages;

// A batch of `lines` as the file reader makes it: one buffer, an event per line, offsets from
// `base`.
Batch linesBatch(const std::vector<std::string>& lines, uint64_t base = 0) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch batch(std::move(raw), text.size(), AckToken());
  splitLines(batch.raw(), base, 1, batch.events());
  return batch;
}

std::string cri(std::string_view stream, char tag, std::string_view body) {
  return "2024-05-01T10:00:00.000000001Z " + std::string(stream) + " " + tag + " " +
         std::string(body);
}

TEST(CriAssemblerTest, JoinsPartialsTakesTimeAndStreamFlagsOtherLines) {
  CriAssembler a(1 << 20);
  Batch b =
      linesBatch({cri("stdout", 'F', "{\"msg\":\"whole\"}"), cri("stderr", 'P', "first half, "),
                  cri("stderr", 'F', "second half"), "not a cri line"});
  const auto r = a.assemble(b, false);
  EXPECT_FALSE(r.held);
  EXPECT_EQ(messages(b), (std::vector<std::string>{"{\"msg\":\"whole\"}", "first half, second half",
                                                   "not a cri line"}));
  EXPECT_EQ(b.events()[0].timestamp_ns, 1714557600000000001);
  EXPECT_EQ(b.findField(b.events()[1], "stream")->value.string_value, "stderr");
  EXPECT_TRUE(b.events()[2].flags & Event::kParseError);
  EXPECT_EQ(r.truncated_events, 0u);
}

TEST(CriAssemblerTest, HoldsBackAnUnfinishedMessageUntilFinal) {
  CriAssembler a(1 << 20);
  Batch b = linesBatch(
      {cri("stdout", 'F', "done"), cri("stdout", 'P', "to be "), cri("stdout", 'P', "continued")},
      1000);
  const auto r = a.assemble(b, false);
  ASSERT_TRUE(r.held);
  EXPECT_EQ(*r.held, 1000 + cri("stdout", 'F', "done").size() + 1);
  EXPECT_EQ(messages(b), (std::vector<std::string>{"done"}));
  Batch again = linesBatch({cri("stdout", 'P', "to be "), cri("stdout", 'P', "continued")});
  EXPECT_FALSE(a.assemble(again, true).held);  // an idle file: shipped as it is
  EXPECT_EQ(messages(again), (std::vector<std::string>{"to be continued"}));
}

TEST(CriAssemblerTest, AMessageLongerThanTheLimitIsCutAndItsRestDroppedAcrossReads) {
  CriAssembler a(10);
  Batch first = linesBatch(
      {cri("stdout", 'P', "0123456"), cri("stdout", 'P', "789abc"), cri("stdout", 'P', "def")});
  auto r = a.assemble(first, false);
  // Not held back: 10 bytes are all that will be kept of it.
  EXPECT_FALSE(r.held);
  EXPECT_EQ(messages(first), (std::vector<std::string>{"0123456789"}));
  EXPECT_TRUE(first.events()[0].flags & Event::kTruncated);
  EXPECT_EQ(r.truncated_events, 1u);
  EXPECT_EQ(r.dropped_lines, 1u);
  // The next read: the message's remaining pieces up to its F line are dropped; an interleaved
  // stderr line and what follows are kept.
  Batch second = linesBatch({cri("stdout", 'P', "more"), cri("stderr", 'F', "stderr"),
                             cri("stdout", 'F', "end"), cri("stdout", 'F', "next")});
  r = a.assemble(second, false);
  EXPECT_EQ(messages(second), (std::vector<std::string>{"stderr", "next"}));
  EXPECT_EQ(r.dropped_lines, 2u);
  EXPECT_EQ(r.truncated_events, 0u);
}

TEST(CriAssemblerTest, HeldBackBytesNeverExceedTheLimit) {
  // However long the message grows, what is held back for the next read stays under the limit:
  // past it the message is cut and nothing is held.
  CriAssembler a(64);
  std::vector<std::string> lines;
  for (int i = 0; i < 40; ++i) {
    lines.push_back(cri("stdout", 'P', std::string(8, static_cast<char>('a' + i % 26))));
    Batch b = linesBatch(lines);
    CriAssembler fresh(64);
    const auto r = fresh.assemble(b, false);
    // A piece is its 8 bytes plus a 33-byte prefix: at most twice the limit of raw pieces is
    // held, then the message is cut.
    const size_t raw = b.raw().size();
    if (r.held) {
      EXPECT_LE(raw, 128u);
    } else {
      EXPECT_GT(raw, 128u);
      ASSERT_EQ(b.events().size(), 1u);
      EXPECT_LE(b.events()[0].message.size(), 64u);
      EXPECT_TRUE(b.events()[0].flags & Event::kTruncated);
    }
  }
}

MultilineConfig startRule(int64_t max_lines = 500, uint64_t max_bytes = 1 << 20) {
  MultilineConfig c;
  c.start = R"(^\d{4}-)";
  c.max_lines = max_lines;
  c.max_bytes.bytes = max_bytes;
  return c;
}

TEST(MultilineAssemblerTest, StartModeGroupsAndHoldsTheLastGroup) {
  MultilineAssembler a(std::make_shared<const MultilineRule>(startRule()), 1 << 20);
  Batch b = linesBatch({"2024-05-01 panic: boom", "  at main.go:1", "  at main.go:2",
                        "2024-05-01 ok", "2024-05-01 Traceback:", "  File x"},
                       50);
  const auto r = a.assemble(b, false);
  EXPECT_EQ(messages(b),
            (std::vector<std::string>{"2024-05-01 panic: boom\n  at main.go:1\n  at main.go:2",
                                      "2024-05-01 ok"}));
  ASSERT_TRUE(r.held);
  EXPECT_EQ(*r.held, 50u + std::string("2024-05-01 panic: boom\n  at main.go:1\n  at main.go:2\n"
                                       "2024-05-01 ok\n")
                               .size());
}

TEST(MultilineAssemblerTest, ContinueModeJoinsMatchingLines) {
  MultilineConfig c;
  c.continue_ = R"(^\s)";
  MultilineAssembler a(std::make_shared<const MultilineRule>(c), 1 << 20);
  Batch b = linesBatch({"Exception in thread main", "\tat A", "\tat B", "next"});
  a.assemble(b, true);
  EXPECT_EQ(messages(b),
            (std::vector<std::string>{"Exception in thread main\n\tat A\n\tat B", "next"}));
}

TEST(MultilineAssemblerTest, MaxLinesStartsANewGroup) {
  MultilineAssembler a(std::make_shared<const MultilineRule>(startRule(3)), 1 << 20);
  Batch b = linesBatch({"2024-05-01 a", " 1", " 2", " 3", " 4", "2024-05-01 b"});
  const auto r = a.assemble(b, true);
  EXPECT_EQ(messages(b),
            (std::vector<std::string>{"2024-05-01 a\n 1\n 2", " 3\n 4", "2024-05-01 b"}));
  EXPECT_EQ(r.truncated_events, 0u);
  EXPECT_EQ(r.dropped_lines, 0u);
}

TEST(MultilineAssemblerTest, AGroupOverTheLimitIsCutAndTheRestDroppedAcrossReads) {
  // The source's max_line_bytes (20) caps a group below the rule's own max_bytes.
  MultilineAssembler a(std::make_shared<const MultilineRule>(startRule()), 20);
  Batch first = linesBatch({"2024-05-01 12345", " 67", " abcde", " fgh"});
  auto r = a.assemble(first, false);
  EXPECT_FALSE(r.held);  // cut: nothing of it is held back
  EXPECT_EQ(messages(first), (std::vector<std::string>{"2024-05-01 12345\n 67"}));
  EXPECT_TRUE(first.events()[0].flags & Event::kTruncated);
  EXPECT_EQ(r.truncated_events, 1u);
  EXPECT_EQ(r.dropped_lines, 2u);
  Batch second = linesBatch({" ijk", " lmn", "2024-05-01 b", " 1"});
  r = a.assemble(second, true);
  EXPECT_EQ(messages(second), (std::vector<std::string>{"2024-05-01 b\n 1"}));
  EXPECT_EQ(r.dropped_lines, 2u);
  EXPECT_EQ(r.truncated_events, 0u);
  EXPECT_FALSE(second.events()[0].flags & Event::kTruncated);
  // A CRLF file: the CRs count, as they stay inside the joined view.
  MultilineAssembler crlf(std::make_shared<const MultilineRule>(startRule()), 20);
  Batch b = linesBatch({"2024-05-01 123\r", " 45\r", " 6\r", "2024-05-01 z\r"});
  r = crlf.assemble(b, true);
  ASSERT_EQ(b.events().size(), 2u);
  EXPECT_LE(b.events()[0].message.size(), 20u);
  EXPECT_EQ(r.truncated_events, 1u);
}

}  // namespace
}  // namespace logship
