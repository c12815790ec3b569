#include "pipelines/filter/filter.h"

#include <gtest/gtest.h>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::CapturingEmitter;
using testing::makeBatch;

class FilterTest : public testing::TransformTest {};

TEST_F(FilterTest, KeepsMatchingAndCountsTheRest) {
  auto t = build("filter", "{type: filter, when: {field: message, matches: '^keep'}}");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"keep 1", "drop 1", "keep 2", "drop 2", "drop 3"});
  CapturingEmitter out;
  t->process(b, out);
  ASSERT_EQ(out.batches.size(), 1u);
  ASSERT_EQ(out.batches[0]->events().size(), 2u);
  EXPECT_EQ(out.batches[0]->events()[1].message, "keep 2");
  EXPECT_EQ(context_->metrics_.discarded_by_reason["filtered"], 3u);
}

TEST_F(FilterTest, DropActionAndOwnReason) {
  auto t = build("filter", R"(
type: filter
action: drop
reason: debug_noise
when: {field: log.level, equals: debug}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"a", "b"});
  b.events()[0].severity = Severity::kDebug;
  CapturingEmitter out;
  t->process(b, out);
  ASSERT_EQ(out.events(), 1u);
  EXPECT_EQ(out.batches[0]->events()[0].message, "b");
  EXPECT_EQ(context_->metrics_.discarded_by_reason["debug_noise"], 1u);
}

TEST_F(FilterTest, EmptiedBatchIsReleasedAndItsAckResolves) {
  auto t = build("filter", "{type: filter, when: {field: x, exists: true}}");
  Batch b = makeBatch({"a"});
  CapturingEmitter out;
  t->process(b, out);
  EXPECT_TRUE(out.batches.empty());
  EXPECT_EQ(context_->metrics_.discarded_by_reason["filtered"], 1u);
}

TEST_F(FilterTest, ConfigErrors) {
  EXPECT_EQ(build("filter", "type: filter\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:1:1: missing required option 'when'");
  EXPECT_EQ(build("filter", "type: filter\naction: maybe\nwhen: {field: a, exists: true}\n"),
            nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:9: 'maybe' is not one of: keep, drop");
}

}  // namespace
}  // namespace logship
