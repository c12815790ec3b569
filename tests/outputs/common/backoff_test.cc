#include "outputs/common/backoff.h"

#include <gtest/gtest.h>

namespace logship {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(BackoffTest, DoublesUpToTheCapAndJittersOverTheWholeRange) {
  double u = 0.999999;
  Backoff b(milliseconds(100), seconds(2), [&] { return u; });
  EXPECT_EQ(b.ceiling(0), milliseconds(100));
  EXPECT_EQ(b.ceiling(1), milliseconds(200));
  EXPECT_EQ(b.ceiling(4), milliseconds(1600));
  EXPECT_EQ(b.ceiling(5), seconds(2));
  EXPECT_EQ(b.ceiling(60), seconds(2));  // no overflow for long outages
  EXPECT_NEAR(std::chrono::duration<double>(b.delay(3)).count(), 0.8, 1e-3);
  u = 0.0;
  EXPECT_EQ(b.delay(3), milliseconds(0));  // full jitter reaches zero
  u = 0.5;
  EXPECT_EQ(b.delay(2), milliseconds(200));
}

TEST(BackoffTest, RandomDelaysStayWithinTheCeiling) {
  Backoff b(milliseconds(10), seconds(1));
  for (uint32_t attempt = 0; attempt < 12; ++attempt) {
    for (int i = 0; i < 50; ++i) {
      auto d = b.delay(attempt);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d, b.ceiling(attempt));
    }
  }
}

TEST(BackoffTest, RetryAfterWinsWhenLonger) {
  Backoff b(milliseconds(100), seconds(1), [] { return 0.5; });
  EXPECT_EQ(b.delay(0, seconds(7)), seconds(7));
  EXPECT_EQ(b.delay(3, milliseconds(1)), milliseconds(400));
  EXPECT_EQ(b.delay(0, std::chrono::hours(5)), std::chrono::hours(1));
}

TEST(BackoffTest, ParsesRetryAfterSecondsAndHttpDates) {
  EXPECT_EQ(parseRetryAfter("120", 0), seconds(120));
  EXPECT_EQ(parseRetryAfter(" 3 ", 0), seconds(3));
  // 1994-11-06T08:49:37Z is 784111777.
  EXPECT_EQ(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), seconds(30));
  EXPECT_EQ(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30), seconds(0));
  EXPECT_FALSE(parseRetryAfter("", 0));
  EXPECT_FALSE(parseRetryAfter("-4", 0));
  EXPECT_FALSE(parseRetryAfter("soon", 0));
  EXPECT_FALSE(parseRetryAfter("Sun, 06 Foo 1994 08:49:37 GMT", 0));
}

}  // namespace
}  // namespace logship
