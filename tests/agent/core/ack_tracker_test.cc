#include "agent/core/ack_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>

namespace logship {
namespace {

TEST(OrderedAckTracker, AdvancesOnlyOverAContiguousRun) {
  std::vector<uint64_t> advanced;
  OrderedAckTracker tracker(0, [&](uint64_t off) { advanced.push_back(off); });
  AckToken a = tracker.track(100);
  AckToken b = tracker.track(200);
  AckToken c = tracker.track(300);
  c.resolve(AckStatus::kDelivered);
  EXPECT_EQ(tracker.checkpoint(), 0u);
  b.resolve(AckStatus::kDelivered);
  EXPECT_EQ(tracker.checkpoint(), 0u);
  EXPECT_EQ(tracker.pending(), 1u);
  a.resolve(AckStatus::kDelivered);
  EXPECT_EQ(tracker.checkpoint(), 300u);
  EXPECT_EQ(advanced, std::vector<uint64_t>{300});
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(OrderedAckTracker, RejectedPassesErroredHolds) {
  OrderedAckTracker tracker;
  AckToken a = tracker.track(10);
  AckToken b = tracker.track(20);
  AckToken c = tracker.track(30);
  AckToken d = tracker.track(40);
  a.resolve(AckStatus::kRejected);
  EXPECT_EQ(tracker.checkpoint(), 10u);
  b.resolve(AckStatus::kDelivered);
  c.resolve(AckStatus::kErrored);
  d.resolve(AckStatus::kDelivered);
  EXPECT_EQ(tracker.checkpoint(), 20u);
  EXPECT_TRUE(tracker.held());
  EXPECT_EQ(tracker.pending(), 0u);
  // Later batches are still counted out but never move the checkpoint past the error.
  AckToken e = tracker.track(50);
  e.resolve(AckStatus::kDelivered);
  EXPECT_EQ(tracker.checkpoint(), 20u);
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(OrderedAckTracker, DroppedTokenHoldsTheCheckpoint) {
  OrderedAckTracker tracker;
  AckToken a = tracker.track(10);
  { AckToken lost = tracker.track(20); }
  a.resolve(AckStatus::kDelivered);
  EXPECT_EQ(tracker.checkpoint(), 10u);
  EXPECT_TRUE(tracker.held());
}

TEST(OrderedAckTracker, ConcurrentAcksInRandomOrderEndAtTheLastOffset) {
  OrderedAckTracker tracker;
  constexpr int kBatches = 20000;
  std::vector<AckToken> tokens;
  for (int i = 1; i <= kBatches; ++i) tokens.push_back(tracker.track(i * 10));
  std::shuffle(tokens.begin(), tokens.end(), std::mt19937(42));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < tokens.size(); i += 4) tokens[i].resolve(AckStatus::kDelivered);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(tracker.checkpoint(), uint64_t{kBatches} * 10);
  EXPECT_EQ(tracker.pending(), 0u);
}

}  // namespace
}  // namespace logship
