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

MultilineConfig continueRule(uint64_t max_bytes = 1 << 20) {
  MultilineConfig c;
  c.continue_ = R"(^\s)";
  c.max_bytes.bytes = max_bytes;
  return c;
}

TEST(MultilineAssemblerTest, ContinueModeHoldsTheLastGroupUntilALineEndsIt) {
  MultilineAssembler a(std::make_shared<const MultilineRule>(continueRule()), 1 << 20);
  Batch first = linesBatch({"done", "Exception in thread main", "\tat A"}, 100);
  auto r = a.assemble(first, false);
  EXPECT_EQ(messages(first), (std::vector<std::string>{"done"}));
  ASSERT_TRUE(r.held);
  EXPECT_EQ(*r.held, 105u);  // the reader gives the held lines back; they come again
  Batch second = linesBatch({"Exception in thread main", "\tat A", "\tat B", "after"}, 105);
  r = a.assemble(second, false);
  EXPECT_EQ(messages(second),
            (std::vector<std::string>{"Exception in thread main\n\tat A\n\tat B"}));
  ASSERT_TRUE(r.held);
  EXPECT_EQ(*r.held, 105u + std::string("Exception in thread main\n\tat A\n\tat B\n").size());
  // An idle file: what is held is shipped as it is.
  Batch last = linesBatch({"after"});
  r = a.assemble(last, true);
  EXPECT_FALSE(r.held);
  EXPECT_EQ(messages(last), (std::vector<std::string>{"after"}));
}

TEST(MultilineAssemblerTest, ContinueModeLeadingContinuationsStandAlone) {
  // Lines that continue a group shipped in an earlier read (after its timeout) form an event of
  // their own rather than being lost.
  MultilineAssembler a(std::make_shared<const MultilineRule>(continueRule()), 1 << 20);
  Batch b = linesBatch({"\tat C", "\tat D", "next"});
  a.assemble(b, true);
  EXPECT_EQ(messages(b), (std::vector<std::string>{"\tat C\n\tat D", "next"}));
}

TEST(MultilineAssemblerTest, ContinueModeCutsAtMaxBytesAndDropsTheRestAcrossReads) {
  MultilineAssembler a(std::make_shared<const MultilineRule>(continueRule(16)), 1 << 20);
  Batch first = linesBatch({"Error: x", " at 1", " at 2", " at 3"});
  auto r = a.assemble(first, false);
  EXPECT_FALSE(r.held);
  EXPECT_EQ(messages(first), (std::vector<std::string>{"Error: x\n at 1"}));
  EXPECT_TRUE(first.events()[0].flags & Event::kTruncated);
  EXPECT_EQ(r.truncated_events, 1u);
  EXPECT_EQ(r.dropped_lines, 2u);
  Batch second = linesBatch({" at 4", "Fine", " at 5"});
  r = a.assemble(second, true);
  EXPECT_EQ(messages(second), (std::vector<std::string>{"Fine\n at 5"}));
  EXPECT_EQ(r.dropped_lines, 1u);
  EXPECT_FALSE(second.events()[0].flags & Event::kTruncated);
}

TEST(MultilineAssemblerTest, ThereIsNoEndMode) {
  // Only start and continue exist: an `end` rule is refused where it is written, not ignored.
  ConfigNode node(YAML::Load("{end: ';$'}"), std::make_shared<const std::string>("t.yaml"));
  MultilineConfig c;
  Diagnostics diag;
  EXPECT_FALSE(readMultiline(node, c, diag));
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_NE(diag.errors()[0].find("unknown option 'end' (known: start, continue"),
            std::string::npos)
      << diag.errors()[0];
  EXPECT_NE(diag.errors()[1].find("exactly one of start or continue"), std::string::npos);
}

TEST(CriAssemblerTest, AMessageOfExactlyTheLimitIsHeldWholeThenCutByOneMoreByte) {
  CriAssembler a(100);
  const std::string half1(50, 'a'), half2(50, 'b');
  Batch first = linesBatch({cri("stdout", 'P', half1), cri("stdout", 'P', half2)}, 7);
  auto r = a.assemble(first, false);
  ASSERT_TRUE(r.held);  // 100 bytes: not over the limit, so it may still end whole
  EXPECT_EQ(*r.held, 7u);
  EXPECT_TRUE(first.events().empty());
  Batch again =
      linesBatch({cri("stdout", 'P', half1), cri("stdout", 'P', half2), cri("stdout", 'F', "")});
  r = a.assemble(again, false);
  EXPECT_EQ(messages(again), (std::vector<std::string>{half1 + half2}));
  EXPECT_FALSE(again.events()[0].flags & Event::kTruncated);
  EXPECT_EQ(r.truncated_events, 0u);
  Batch over = linesBatch({cri("stdout", 'P', half1), cri("stdout", 'P', half2),
                           cri("stdout", 'F', "x"), cri("stdout", 'F', "next")});
  r = a.assemble(over, false);
  EXPECT_EQ(messages(over), (std::vector<std::string>{half1 + half2, "next"}));
  EXPECT_TRUE(over.events()[0].flags & Event::kTruncated);
  EXPECT_EQ(r.truncated_events, 1u);
}

TEST(CriAssemblerTest, PartialsJoinedThenGroupedByMultilineWithinTheLimit) {
  // As the file source chains them for `format: cri` with `multiline`: CRI pieces are joined
  // first, then the joined lines grouped; the group is copied (its lines are not adjacent in the
  // buffer) and cut at the limit.
  CriAssembler cri_assembler(30);
  MultilineAssembler multiline(std::make_shared<const MultilineRule>(startRule()), 30);
  Batch b = linesBatch({cri("stdout", 'F', "2024-05-01 start"), cri("stdout", 'P', "  at a"),
                        cri("stdout", 'F', "bc"), cri("stdout", 'F', "  at d"),
                        cri("stdout", 'F', "2024-05-01 next")});
  auto r1 = cri_assembler.assemble(b, true);
  EXPECT_EQ(r1.truncated_events, 0u);
  ASSERT_EQ(messages(b), (std::vector<std::string>{"2024-05-01 start", "  at abc", "  at d",
                                                   "2024-05-01 next"}));
  auto r2 = multiline.assemble(b, true);
  EXPECT_EQ(messages(b),
            (std::vector<std::string>{"2024-05-01 start\n  at abc", "2024-05-01 next"}));
  EXPECT_TRUE(b.events()[0].flags & Event::kTruncated);
  EXPECT_EQ(r2.truncated_events, 1u);
  EXPECT_EQ(r2.dropped_lines, 1u);
  EXPECT_EQ(b.events()[0].timestamp_ns, 1714557600000000001);
  EXPECT_EQ(b.findField(b.events()[0], "stream")->value.string_value, "stdout");
}

TEST(CriAssemblerTest, ACutCriMessageStaysFlaggedThroughMultiline) {
  CriAssembler cri_assembler(12);
  MultilineAssembler multiline(std::make_shared<const MultilineRule>(startRule()), 1 << 20);
  Batch b = linesBatch({cri("stdout", 'F', "2024-05-01 a"), cri("stdout", 'P', " at "),
                        cri("stdout", 'F', "xxxxxxxxxx")});
  cri_assembler.assemble(b, true);
  ASSERT_EQ(messages(b), (std::vector<std::string>{"2024-05-01 a", " at xxxxxxxx"}));
  EXPECT_FALSE(b.events()[0].flags & Event::kTruncated);
  EXPECT_TRUE(b.events()[1].flags & Event::kTruncated);
  multiline.assemble(b, true);
  ASSERT_EQ(b.events().size(), 1u);
  EXPECT_EQ(b.events()[0].message, "2024-05-01 a\n at xxxxxxxx");
  // A group holding a cut line says it is incomplete.
  EXPECT_TRUE(b.events()[0].flags & Event::kTruncated);
}

}  // namespace
}  // namespace logship
