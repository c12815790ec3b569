#include "pipelines/classify_tier/classify_tier.h"

#include <gtest/gtest.h>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::addString;
using testing::CapturingEmitter;
using testing::makeBatch;

class ClassifyTierTest : public testing::TransformTest {};

TEST_F(ClassifyTierTest, FirstMatchingRuleThenDefault) {
  auto t = build("classify_tier", R"(
type: classify_tier
rules:
  - {tier: audit, when: {field: event.category, equals: authentication}}
  - {tier: security, when: {field: log.level, in: [critical, high]}}
  - {tier: debug, when: {field: log.level, equals: debug}}
default: app
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"auth and critical", "critical", "debug", "plain"});
  addString(b, 0, "event.category", "authentication");
  b.events()[0].severity = Severity::kCritical;
  b.events()[1].severity = Severity::kCritical;
  b.events()[2].severity = Severity::kDebug;
  CapturingEmitter out;
  t->process(b, out);
  auto& e = out.batches[0]->events();
  EXPECT_EQ(e[0].tier, 0);  // audit: first rule wins
  EXPECT_EQ(e[1].tier, 1);  // security
  EXPECT_EQ(e[2].tier, 3);  // debug
  EXPECT_EQ(e[3].tier, 2);  // app
}

TEST_F(ClassifyTierTest, DefaultOnlyForUnclassifiedAndOverwriteOff) {
  auto t = build("classify_tier", R"(
type: classify_tier
overwrite: false
rules: [{tier: security, when: {field: log.level, equals: high}}]
default: app
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"already audit and high", "high"});
  b.events()[0].tier = 0;
  b.events()[0].severity = Severity::kHigh;
  b.events()[1].severity = Severity::kHigh;
  CapturingEmitter out;
  t->process(b, out);
  EXPECT_EQ(out.batches[0]->events()[0].tier, 0);
  EXPECT_EQ(out.batches[0]->events()[1].tier, 1);
}

TEST_F(ClassifyTierTest, TierRulesCanReadTheTier) {
  auto t = build("classify_tier", R"(
type: classify_tier
rules: [{tier: audit, when: {field: tier, equals: security}}]
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"x", "y"});
  b.events()[0].tier = 1;
  CapturingEmitter out;
  t->process(b, out);
  EXPECT_EQ(out.batches[0]->events()[0].tier, 0);
  EXPECT_EQ(out.batches[0]->events()[1].tier, kNoTier);  // no default: left alone
}

TEST_F(ClassifyTierTest, UnknownTiersAreConfigErrors) {
  EXPECT_EQ(build("classify_tier", "type: classify_tier\ndefault: forever\n"), nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:2:10: unknown tier 'forever' (configured tiers: audit, security, app, debug)");
  EXPECT_EQ(build("classify_tier", R"(type: classify_tier
rules:
  - {tier: audti, when: {field: a, exists: true}}
default: app
)"),
            nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:3:12: unknown tier 'audti' (configured tiers: audit, security, app, debug)");
  EXPECT_EQ(build("classify_tier", "type: classify_tier\nrules:\n  - {tier: audit}\n"), nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:5: a rule needs both tier and when");
  global_.tiers.clear();
  EXPECT_EQ(build("classify_tier", "type: classify_tier\ndefault: app\n"), nullptr);
  EXPECT_EQ(firstError(),
            "t.yaml:2:10: unknown tier 'app' (configured tiers: none; add a top-level tiers "
            "section)");
}

}  // namespace
}  // namespace logship
