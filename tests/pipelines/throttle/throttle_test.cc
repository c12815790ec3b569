#include "pipelines/throttle/throttle.h"

#include <gtest/gtest.h>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::addString;
using testing::CapturingEmitter;
using testing::makeBatch;

class ThrottleTest : public testing::TransformTest {
 protected:
  std::unique_ptr<Throttle> make(const std::string& yaml) {
    node_ = load(yaml);
    diag_ = Diagnostics();
    BuildContext ctx{"t", global_, diag_, node_};
    auto config =
        ThrottleConfig::options().parse(node_, diag_, reservedKeys(ComponentKind::kTransform));
    if (!diag_.ok()) return nullptr;
    auto t = std::make_unique<Throttle>(std::move(config), ctx, clock_);
    context_ = std::make_unique<testing::TestContext>(global_);
    t->start(*context_);
    return t;
  }
  size_t run(Throttle& t, const std::vector<std::string>& hosts) {
    Batch b = makeBatch(std::vector<std::string>(hosts.size(), "line"));
    for (size_t i = 0; i < hosts.size(); ++i) addString(b, i, "host.name", hosts[i]);
    CapturingEmitter out;
    t.process(b, out);
    return out.events();
  }
  ManualClock clock_{testing::kT0};
};

TEST_F(ThrottleTest, AtMostThresholdPerKeyPerWindow) {
  auto t = make("{type: throttle, threshold: 3, window: 10s, key: '{host.name}'}");
  ASSERT_NE(t, nullptr) << firstError();
  EXPECT_EQ(run(*t, {"a", "a", "a", "a", "b", "a", "b"}), 5u);  // a: 3 of 5, b: 2
  clock_.advance(std::chrono::seconds(9));
  EXPECT_EQ(run(*t, {"a", "b", "b"}), 1u);  // a still full; b gets its third
  clock_.advance(std::chrono::seconds(1));  // a's window is over
  EXPECT_EQ(run(*t, {"a", "a", "a", "a"}), 3u);
  EXPECT_EQ(context_->metrics_.discarded_by_reason["throttled"], 2u + 2u + 1u);
}

TEST_F(ThrottleTest, WithoutKeyOneLimitAndKeyLimitSharesOverflow) {
  auto t = make("{type: throttle, threshold: 2, window: 1m}");
  ASSERT_NE(t, nullptr) << firstError();
  EXPECT_EQ(run(*t, {"a", "b", "c"}), 2u);
  auto capped = make("{type: throttle, threshold: 1, window: 1m, key: host.name, max_keys: 2}");
  ASSERT_NE(capped, nullptr) << firstError();
  EXPECT_EQ(run(*capped, {"a", "b", "c", "d", "a"}), 3u);  // a, b, and one of c/d
}

TEST_F(ThrottleTest, ConfigErrors) {
  EXPECT_EQ(make("type: throttle\nthreshold: 0\nwindow: 1s\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0], "t.yaml:2:12: threshold must be at least 1");
  EXPECT_EQ(make("type: throttle\nthreshold: 1\nwindow: soon\n"), nullptr);
  EXPECT_EQ(diag_.errors()[0],
            "t.yaml:3:9: expected a duration like 500ms, 10s, 5m, 7d or 2y, got 'soon'");
}

}  // namespace
}  // namespace logship
