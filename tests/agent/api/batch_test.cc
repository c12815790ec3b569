#include "agent/api/batch.h"

#include <gtest/gtest.h>

#include <cstring>

namespace logship {
namespace {

class RecordingReceiver : public AckReceiver {
 public:
  void acknowledge(uint64_t cookie, AckStatus status) override {
    calls.emplace_back(cookie, status);
  }
  std::vector<std::pair<uint64_t, AckStatus>> calls;
};

Batch makeBatch(std::string_view text, AckToken ack = {}) {
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch b(std::move(raw), text.size(), std::move(ack));
  return b;
}

TEST(Arena, CopiesAndAligns) {
  Arena arena(16);
  std::string_view a = arena.copy("hello");
  auto* d = arena.allocateArray<double>(3);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(d) % alignof(double), 0u);
  std::string big(10000, 'x');
  std::string_view b = arena.copy(big);
  EXPECT_EQ(a, "hello");
  EXPECT_EQ(b, big);
  EXPECT_GE(arena.bytesReserved(), 10000u);
}

TEST(Batch, FieldsGrowInTheArenaAndSharedFieldsApply) {
  Batch batch = makeBatch("one\ntwo\n");
  Event& e = batch.events().emplace_back();
  for (int i = 0; i < 40; ++i) {
    batch.addField(e, batch.arena().copy("k" + std::to_string(i)), FieldValue::integer(i));
  }
  batch.addSharedString("host.name", "web-1");
  batch.setField(e, "k7", FieldValue::string("seven"));
  ASSERT_EQ(e.field_count, 40);
  EXPECT_EQ(batch.findField(e, "k39")->value.int_value, 39);
  EXPECT_EQ(batch.findField(e, "k7")->value.string_value, "seven");
  EXPECT_EQ(batch.findField(e, "host.name")->value.string_value, "web-1");
  EXPECT_EQ(batch.findField(e, "nope"), nullptr);
  // An event's own field wins over a shared one.
  batch.addField(e, "host.name", FieldValue::string("override"));
  EXPECT_EQ(batch.findField(e, "host.name")->value.string_value, "override");
}

TEST(Batch, CloneCopiesEventsAndKeepsTheOriginalAlive) {
  auto original = std::make_shared<Batch>(makeBatch("abc\n"));
  Event& e = original->events().emplace_back();
  e.message = original->raw().substr(0, 3);
  original->addField(e, "a", FieldValue::integer(1));
  Batch copy = original->cloneFrom(original);
  original.reset();  // the copy holds it
  ASSERT_EQ(copy.events().size(), 1u);
  EXPECT_EQ(copy.events()[0].message, "abc");
  copy.addField(copy.events()[0], "b", FieldValue::integer(2));
  EXPECT_EQ(copy.events()[0].field_count, 2);
}

TEST(Batch, IdsAreUniqueAndAMovedFromBatchTakesANewOne) {
  Batch a = makeBatch("a\n");
  Batch b = makeBatch("b\n");
  EXPECT_NE(a.id(), b.id());
  const uint64_t a_id = a.id();
  Batch moved = std::move(a);
  EXPECT_EQ(moved.id(), a_id);
  EXPECT_NE(a.id(), a_id);
  EXPECT_NE(a.id(), b.id());
  b = std::move(moved);
  EXPECT_EQ(b.id(), a_id);
  EXPECT_NE(moved.id(), a_id);
}

TEST(AckToken, CombinesEveryForkAndReportsOnce) {
  RecordingReceiver receiver;
  {
    AckToken token(&receiver, 7);
    AckToken a = token.fork();
    AckToken b = token.fork();
    token.resolve(AckStatus::kDelivered);
    a.resolve(AckStatus::kRejected);
    EXPECT_TRUE(receiver.calls.empty());
    b.resolve(AckStatus::kDelivered);
  }
  ASSERT_EQ(receiver.calls.size(), 1u);
  EXPECT_EQ(receiver.calls[0], std::make_pair(uint64_t{7}, AckStatus::kRejected));
}

TEST(AckToken, ErroredBeatsRejectedAndDroppedTokensAreErrors) {
  RecordingReceiver receiver;
  {
    AckToken token(&receiver, 1);
    AckToken dropped = token.fork();  // never resolved
    token.resolve(AckStatus::kRejected);
  }
  ASSERT_EQ(receiver.calls.size(), 1u);
  // One output refused for good, another never finished: the batch must be read again.
  EXPECT_EQ(receiver.calls[0].second, AckStatus::kErrored);
  receiver.calls.clear();
  { AckToken token(&receiver, 2); }
  EXPECT_EQ(receiver.calls.at(0).second, AckStatus::kErrored);
}

TEST(AckToken, BatchConsumedByAStageCountsAsDelivered) {
  RecordingReceiver receiver;
  { Batch b = makeBatch("x\n", AckToken(&receiver, 3)); }
  ASSERT_EQ(receiver.calls.size(), 1u);
  EXPECT_EQ(receiver.calls[0].second, AckStatus::kDelivered);
}

TEST(Severity, NamesRoundTrip) {
  for (auto s : {Severity::kDebug, Severity::kInfo, Severity::kLow, Severity::kMedium,
                 Severity::kHigh, Severity::kCritical}) {
    EXPECT_EQ(severityFromName(toString(s)), s);
  }
  EXPECT_EQ(severityFromName("warning"), Severity::kUnset);
}

}  // namespace
}  // namespace logship
