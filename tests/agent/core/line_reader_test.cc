#include "agent/core/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>
#include <string>

#include "tests/agent/batch_messages.h"

namespace logship {
namespace {

using testing::messages;

// A pipe the test writes into and the reader reads from.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    ::close(fds_[0]);
    if (fds_[1] >= 0) ::close(fds_[1]);
  }
  void write(const std::string& s) { ASSERT_EQ(::write(fds_[1], s.data(), s.size()), (ssize_t)s.size()); }
  void closeWrite() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }
  int readFd() const { return fds_[0]; }

 private:
  int fds_[2];
};

TEST(SplitLines, ViewsOffsetsAndCrlf) {
  std::vector<Event> events;
  EXPECT_EQ(splitLines("a\r\nbb\n\nccc", 100, 5, events), 3u);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].message, "a");
  EXPECT_EQ(events[1].message, "bb");
  EXPECT_EQ(events[2].message, "");
  EXPECT_EQ(events[1].offset, 103u);
  EXPECT_EQ(events[2].offset, 106u);
  EXPECT_EQ(events[0].timestamp_ns, 5);
}

TEST(SplitLines, RandomTextSplitsAsALineByLineReading) {
  // Lines of every length around the 64-byte blocks the scan reads, CRs within and before line
  // ends, and a text that ends inside a line.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    size_t size = rng() % 700;
    while (text.size() < size) {
      unsigned r = rng() % 100;
      text += r < 8 ? '\n' : r < 11 ? '\r' : static_cast<char>('a' + r % 26);
    }
    std::vector<Event> events;
    size_t added = splitLines(text, 1000, 1, events);

    std::vector<std::pair<std::string, uint64_t>> expected;
    for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = text.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      expected.emplace_back(line, 1000 + start);
    }
    ASSERT_EQ(added, expected.size()) << text;
    ASSERT_EQ(events.size(), expected.size());
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].message, expected[i].first) << "line " << i << " of " << text;
      EXPECT_EQ(events[i].offset, expected[i].second);
    }
  }
}

TEST(LineReader, CarriesPartialLinesAcrossReads) {
  Pipe p;
  LineReader reader(1024, 0);
  ssize_t n;
  p.write("first\nsec");
  auto c1 = reader.read(p.readFd(), 4096, 0, &n);
  ASSERT_TRUE(c1);
  EXPECT_EQ(messages(c1->batch), std::vector<std::string>{"first"});
  EXPECT_EQ(c1->end_offset, 6u);
  EXPECT_TRUE(reader.hasPartial());
  p.write("ond\nthird\n");
  auto c2 = reader.read(p.readFd(), 4096, 0, &n);
  ASSERT_TRUE(c2);
  EXPECT_EQ(messages(c2->batch), (std::vector<std::string>{"second", "third"}));
  EXPECT_EQ(c2->batch.events()[0].offset, 6u);
  EXPECT_EQ(c2->end_offset, 19u);
  EXPECT_FALSE(reader.hasPartial());
}

TEST(LineReader, FlushesAnUnterminatedLastLine) {
  Pipe p;
  LineReader reader(1024, 0);
  ssize_t n;
  p.write("a\nno newline");
  auto c = reader.read(p.readFd(), 4096, 0, &n);
  EXPECT_EQ(c->end_offset, 2u);
  auto last = reader.flushPartial(0);
  ASSERT_TRUE(last);
  EXPECT_EQ(messages(last->batch), std::vector<std::string>{"no newline"});
  EXPECT_EQ(last->end_offset, 12u);
  EXPECT_FALSE(reader.flushPartial(0));
}

TEST(LineReader, TruncatesLongLinesAndKeepsGoing) {
  Pipe p;
  LineReader reader(16, 0);
  ssize_t n;
  std::string longline(100, 'x');
  p.write("short\n" + longline.substr(0, 40));
  auto c1 = reader.read(p.readFd(), 4096, 0, &n);
  ASSERT_TRUE(c1);
  ASSERT_EQ(c1->batch.events().size(), 2u);
  EXPECT_EQ(c1->batch.events()[1].message, std::string(16, 'x'));
  EXPECT_TRUE(c1->batch.events()[1].flags & Event::kTruncated);
  EXPECT_EQ(c1->truncated_lines, 1u);
  // The checkpoint stays before the long line until its end is seen.
  EXPECT_EQ(c1->end_offset, 6u);
  p.write(longline.substr(40));
  auto c2 = reader.read(p.readFd(), 4096, 0, &n);
  ASSERT_TRUE(c2);
  EXPECT_TRUE(c2->batch.events().empty());
  EXPECT_EQ(c2->end_offset, 6u);
  p.write("\nafter\n");
  auto c3 = reader.read(p.readFd(), 4096, 0, &n);
  ASSERT_TRUE(c3);
  EXPECT_EQ(messages(c3->batch), std::vector<std::string>{"after"});
  EXPECT_EQ(c3->end_offset, 6u + 100 + 1 + 6);
}

TEST(LineReader, LongCompleteLineInsideABatchIsTruncatedToo) {
  Pipe p;
  LineReader reader(8, 0);
  ssize_t n;
  p.write("0123456789abc\nok\n");
  auto c = reader.read(p.readFd(), 4096, 0, &n);
  ASSERT_TRUE(c);
  EXPECT_EQ(messages(c->batch), (std::vector<std::string>{"01234567", "ok"}));
  EXPECT_EQ(c->truncated_lines, 1u);
  EXPECT_EQ(c->end_offset, 17u);
}

TEST(LineReader, EndOfInput) {
  Pipe p;
  LineReader reader(64, 0);
  ssize_t n = 1;
  p.closeWrite();
  EXPECT_FALSE(reader.read(p.readFd(), 4096, 0, &n));
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace logship
