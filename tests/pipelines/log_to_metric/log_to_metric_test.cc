#include "pipelines/log_to_metric/log_to_metric.h"

#include <gtest/gtest.h>

#include "tests/pipelines/pipeline_test_support.h"

namespace logship {
namespace {

using testing::addString;
using testing::CapturingEmitter;
using testing::makeBatch;
using testing::metricValue;
using testing::seriesCount;

class LogToMetricTest : public testing::TransformTest {};

TEST_F(LogToMetricTest, CountersWithLabelsAndConditions) {
  auto t = build("log_to_metric", R"(
type: log_to_metric
metrics:
  - type: counter
    name: cere_unauthorized_access_attempts_total
    help: Failed logins.
    when: {field: event.outcome, equals: failure}
  - type: counter
    name: security_events_total
    labels: {type: event.action, severity: '{log.level}'}
    when: {field: event.action, exists: true}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"f1", "f2", "ok", "plain"});
  addString(b, 0, "event.outcome", "failure");
  addString(b, 0, "event.action", "ssh_failed_password");
  addString(b, 1, "event.outcome", "failure");
  addString(b, 1, "event.action", "ssh_failed_password");
  addString(b, 2, "event.action", "ssh_accepted_password");
  b.events()[0].severity = Severity::kMedium;
  b.events()[1].severity = Severity::kMedium;
  b.events()[2].severity = Severity::kInfo;
  CapturingEmitter out;
  t->process(b, out);
  // Events pass through unchanged.
  ASSERT_EQ(out.events(), 4u);
  EXPECT_EQ(out.batches[0]->events()[3].message, "plain");
  auto& r = context_->registry_;
  EXPECT_EQ(metricValue(r, "cere_unauthorized_access_attempts_total", {}), 2);
  EXPECT_EQ(metricValue(r, "security_events_total",
                        {{"type", "ssh_failed_password"}, {"severity", "medium"}}),
            2);
  EXPECT_EQ(metricValue(r, "security_events_total",
                        {{"type", "ssh_accepted_password"}, {"severity", "info"}}),
            1);
  EXPECT_EQ(seriesCount(r, "security_events_total"), 2u);
}

TEST_F(LogToMetricTest, CardinalityCapFoldsNewLabelSetsIntoOther) {
  auto t = build("log_to_metric", R"(
type: log_to_metric
cardinality_limit: 3
metrics:
  - {type: counter, name: logins_total, labels: {user: user.name}}
)");
  ASSERT_NE(t, nullptr) << firstError();
  std::vector<std::string> lines(10, "login");
  Batch b = makeBatch(lines);
  for (int i = 0; i < 10; ++i) addString(b, i, "user.name", "user" + std::to_string(i % 5));
  CapturingEmitter out;
  t->process(b, out);
  auto& r = context_->registry_;
  EXPECT_EQ(seriesCount(r, "logins_total"), 4u);  // 3 users + __other__
  EXPECT_EQ(metricValue(r, "logins_total", {{"user", "user0"}}), 2);
  EXPECT_EQ(metricValue(r, "logins_total", {{"user", "__other__"}}), 4);  // user3, user4
}

TEST_F(LogToMetricTest, HistogramsObserveNumericFields) {
  auto t = build("log_to_metric", R"(
type: log_to_metric
metrics:
  - type: histogram
    name: block_import_seconds
    field: duration
    buckets: [0.1, 1, 10]
    labels: {host: host.name}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"a", "b", "c", "no value", "text value"});
  b.addField(b.events()[0], "duration", FieldValue::real(0.05));
  b.addField(b.events()[1], "duration", FieldValue::integer(5));
  addString(b, 2, "duration", "0.5");
  addString(b, 4, "duration", "slow");
  b.addSharedString("host.name", "node-1");
  CapturingEmitter out;
  t->process(b, out);
  auto families = context_->registry_.Collect();
  bool found = false;
  for (auto& f : families) {
    if (f.name != "block_import_seconds") continue;
    ASSERT_EQ(f.metric.size(), 1u);
    auto& h = f.metric[0].histogram;
    found = true;
    EXPECT_EQ(h.sample_count, 3u);
    EXPECT_DOUBLE_EQ(h.sample_sum, 5.55);
    ASSERT_EQ(h.bucket.size(), 4u);
    EXPECT_EQ(h.bucket[0].cumulative_count, 1u);  // <= 0.1
    EXPECT_EQ(h.bucket[1].cumulative_count, 2u);  // <= 1
    EXPECT_EQ(h.bucket[2].cumulative_count, 3u);  // <= 10
  }
  EXPECT_TRUE(found);
}

TEST_F(LogToMetricTest, GaugesKeepTheLastValuePerLabelSet) {
  auto t = build("log_to_metric", R"(
type: log_to_metric
metrics:
  - type: gauge
    name: cere_node_peers
    field: substrate.peers
    labels: {chain: substrate.chain}
)");
  ASSERT_NE(t, nullptr) << firstError();
  Batch b = makeBatch({"idle 5", "idle 2", "para 7", "no peers field"});
  b.addField(b.events()[0], "substrate.peers", FieldValue::integer(5));
  b.addField(b.events()[1], "substrate.peers", FieldValue::integer(2));
  b.addField(b.events()[2], "substrate.peers", FieldValue::integer(7));
  addString(b, 0, "substrate.chain", "Relaychain");
  addString(b, 1, "substrate.chain", "Relaychain");
  addString(b, 2, "substrate.chain", "Parachain");
  CapturingEmitter out;
  t->process(b, out);
  std::map<std::string, double> values;
  for (auto& f : context_->registry_.Collect()) {
    if (f.name != "cere_node_peers") continue;
    EXPECT_EQ(f.type, prometheus::MetricType::Gauge);
    for (auto& m : f.metric) values[m.label.at(0).value] = m.gauge.value;
  }
  EXPECT_EQ(values, (std::map<std::string, double>{{"Parachain", 7}, {"Relaychain", 2}}));
  EXPECT_EQ(build("log_to_metric", "{type: log_to_metric, metrics: [{type: gauge, name: g}]}"),
            nullptr);
  EXPECT_NE(firstError().find("a gauge needs field"), std::string::npos) << firstError();
}

TEST_F(LogToMetricTest, ConfigErrors) {
  EXPECT_EQ(
      build("log_to_metric", "type: log_to_metric\nmetrics:\n  - {type: counter, name: 9lives}\n"),
      nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:27: '9lives' is not a Prometheus metric name");
  EXPECT_EQ(build("log_to_metric", "type: log_to_metric\nmetrics:\n  - {type: summary, name: x}\n"),
            nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:12: 'summary' is not one of: counter, histogram, gauge");
  EXPECT_EQ(build("log_to_metric",
                  "type: log_to_metric\nmetrics:\n  - {type: counter, name: x, labels: "
                  "{__bad: a}}\n"),
            nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:39: '__bad' is not a Prometheus label name");
  EXPECT_EQ(
      build("log_to_metric", "type: log_to_metric\nmetrics:\n  - {type: histogram, name: h}\n"),
      nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:5: a histogram needs field (the value observed)");
  EXPECT_EQ(build("log_to_metric",
                  "type: log_to_metric\nmetrics:\n  - {type: histogram, name: h, field: v, "
                  "buckets: [1, 0.5]}\n"),
            nullptr);
  EXPECT_EQ(firstError(), "t.yaml:3:51: buckets must be increasing");
}

}  // namespace
}  // namespace logship
