#include "pipelines/common/ip_prefix_set.h"

#include <gtest/gtest.h>

#include <random>

namespace logship {
namespace {

IpAddress v4(uint32_t a) { return IpAddress{0, 0xffff00000000ULL | a}; }

std::string dotted(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." +
         std::to_string(a >> 8 & 255) + "." + std::to_string(a & 255);
}

TEST(IpPrefixSetTest, AddressesPrefixesAndBothFamilies) {
  IpPrefixSet set;
  ASSERT_TRUE(set.add("10.0.0.0/8"));
  ASSERT_TRUE(set.add("192.0.2.7"));
  ASSERT_TRUE(set.add("2001:db8::/32"));
  set.finish();
  EXPECT_TRUE(set.contains("10.255.255.255"));
  EXPECT_FALSE(set.contains("11.0.0.0"));
  EXPECT_TRUE(set.contains("192.0.2.7"));
  EXPECT_FALSE(set.contains("192.0.2.8"));
  EXPECT_TRUE(set.contains("::ffff:10.1.2.3"));
  EXPECT_TRUE(set.contains("2001:db8:1::5"));
  EXPECT_FALSE(set.contains("2001:db9::"));
  EXPECT_FALSE(set.contains("not an address"));
  std::string error;
  EXPECT_FALSE(set.add("10.0.0.0/33", &error));
  EXPECT_EQ(error, "'10.0.0.0/33': prefix length must be 0-32");
}

TEST(IpPrefixSetTest, RangesSpanningTheV4SpaceAnswerV4Lookups) {
  IpPrefixSet all;
  all.add("::/0");
  all.finish();
  EXPECT_TRUE(all.contains("0.0.0.0"));
  EXPECT_TRUE(all.contains("255.255.255.255"));
  IpPrefixSet edges;
  edges.add("0.0.0.0/32");
  edges.add("255.255.255.255");
  edges.finish();
  EXPECT_TRUE(edges.contains("0.0.0.0"));
  EXPECT_TRUE(edges.contains("255.255.255.255"));
  EXPECT_FALSE(edges.contains("255.255.255.254"));
  EXPECT_FALSE(edges.contains("::"));
}

// The /16 index against a plain scan, on prefixes of every length that overlap and touch.
TEST(IpPrefixSetTest, AgreesWithAScanOnRandomPrefixes) {
  std::mt19937 random(42);
  struct Prefix {
    uint32_t first, last;
  };
  std::vector<Prefix> prefixes;
  IpPrefixSet set;
  for (int i = 0; i < 5000; ++i) {
    const int bits = 8 + static_cast<int>(random() % 25);
    const uint32_t mask = bits == 32 ? ~0u : ~(~0u >> bits);
    const uint32_t first = random() & mask;
    prefixes.push_back({first, first | ~mask});
    ASSERT_TRUE(set.add(dotted(first) + "/" + std::to_string(bits)));
  }
  set.finish();
  for (int i = 0; i < 200000; ++i) {
    // Half at random, half at or next to a prefix's edge.
    uint32_t a = random();
    if (i % 2) {
      const Prefix& p = prefixes[random() % prefixes.size()];
      a = (i % 4 == 1 ? p.first : p.last) + static_cast<uint32_t>(random() % 3) - 1;
    }
    bool expected = false;
    for (const Prefix& p : prefixes) expected = expected || (p.first <= a && a <= p.last);
    ASSERT_EQ(set.contains(v4(a)), expected) << dotted(a);
  }
}

}  // namespace
}  // namespace logship
