#include "pipelines/sample/sample.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::CapturingEmitter;
using testing::makeBatch;

class SampleTest : public testing::TransformTest {};

TEST_F(SampleTest, KeyedSamplingKeepsOrDropsWholeKeys) {
  auto t = build("sample", "{type: sample, rate: 4, key: '{correlation_id}'}");
  ASSERT_NE(t, nullptr) << firstError();
  // 400 ids, 5 events each, spread over two batches.
  std::vector<std::string> ids;
  for (int i = 0; i < 400; ++i) ids.push_back("req-" + std::to_string(i));
  std::map<std::string, int> kept;
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> lines(1000, "line");
    Batch b = makeBatch(lines);
    for (size_t i = 0; i < 1000; ++i) b.events()[i].correlation_id = ids[(i + round * 1000) % 400];
    CapturingEmitter out;
    t->process(b, out);
    for (auto& batch : out.batches) {
      for (auto& e : batch->events()) kept[std::string(e.correlation_id)]++;
    }
  }
  for (auto& [id, n] : kept) EXPECT_EQ(n, 5) << id;  // all five or none
  EXPECT_GT(kept.size(), 60u);
  EXPECT_LT(kept.size(), 140u);  // about 100 of 400
  EXPECT_EQ(context_->metrics_.discarded_by_reason["sampled"], 2000u - kept.size() * 5);

  // The decision is a function of the key alone: another instance agrees.
  auto other = build("sample", "{type: sample, rate: 4, key: correlation_id}");
  Batch b = makeBatch(std::vector<std::string>(400, "x"));
  for (size_t i = 0; i < 400; ++i) b.events()[i].correlation_id = ids[i];
  CapturingEmitter out;
  other->process(b, out);
  ASSERT_EQ(out.events(), kept.size());
  for (auto& e : out.batches[0]->events()) EXPECT_TRUE(kept.count(std::string(e.correlation_id)));
}

TEST_F(SampleTest, EventsWithoutTheKeyAreSampledByCount) {
  auto t = build("sample", "{type: sample, rate: 3, key: '{trace.id}'}");
  ASSERT_NE(t, nullptr) << firstError();
  size_t kept = 0;
  for (int round = 0; round < 3; ++round) {
    Batch b = makeBatch(std::vector<std::string>(10, "no key"));
    CapturingEmitter out;
    t->process(b, out);
    kept += out.events();
  }
  EXPECT_EQ(kept, 10u);  // 30 events, every third
  EXPECT_EQ(context_->metrics_.discarded_by_reason["sampled"], 20u);
}

TEST_F(SampleTest, ConfigErrors) {
  EXPECT_EQ(build("sample", "type: sample\nrate: 0\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:2:7: rate must be at least 1");
  EXPECT_EQ(build("sample", "type: sample\nrate: 2\nkey: '{host.name'\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:6: unclosed '{' in template '{host.name'");
}

}  // namespace
}  // namespace logship
