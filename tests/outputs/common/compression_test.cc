#include "outputs/common/compression.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace logship {
namespace {

// Snappy works in 64 KiB blocks: pieces of every size, including empty ones and ones that cross
// block boundaries, must decompress to the text they make together.
TEST(SnappyCompress, PiecesDecompressToTheirConcatenation) {
  std::mt19937 rng(7);
  std::string text;
  while (text.size() < 300'000) {
    text += "ts=2026-12-02T08:56:34Z level=info msg=\"request " + std::to_string(rng()) + "\"\n";
  }
  std::vector<std::string_view> pieces;
  for (size_t at = 0; at < text.size();) {
    size_t size = std::min<size_t>(text.size() - at, rng() % 3 == 0 ? 0 : rng() % 90'000);
    pieces.push_back(std::string_view(text).substr(at, size));
    at += size;
  }
  ASSERT_GT(pieces.size(), 5u);
  std::string out = "prefix";
  snappyCompress(pieces, out);
  ASSERT_EQ(out.substr(0, 6), "prefix");
  std::string back;
  ASSERT_TRUE(snappy::Uncompress(out.data() + 6, out.size() - 6, &back));
  EXPECT_EQ(back, text);
  EXPECT_LT(out.size(), text.size() / 2);
}

TEST(SnappyCompress, NoPiecesIsTheEmptyText) {
  std::string out;
  snappyCompress({}, out);
  std::string back = "x";
  ASSERT_TRUE(snappy::Uncompress(out.data(), out.size(), &back));
  EXPECT_EQ(back, "");
}

}  // namespace
}  // namespace logship
