#include "agent/sources/kafka/kafka_source.h"

#include <gtest/gtest.h>

#include <set>

#include "agent/cli/builtin_components.h"
#include "tests/kafka/kafka_test_support.h"

namespace logship {
namespace {

using testing::eventually;
using testing::MockCluster;
using testing::ThreadContext;

void produceTo(const std::string& bootstraps, const std::string& topic, int32_t partition,
               const std::vector<std::string>& values) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  for (const std::string& v : values) {
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                      RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  }
  rd_kafka_flush(rk, 10000);
  rd_kafka_destroy(rk);
}

// The group's committed offset per partition (-1001 when none).
std::map<int32_t, int64_t> committed(const std::string& bootstraps, const std::string& group,
                                     const std::string& topic, int partitions) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  rd_kafka_committed(rk, list, 5000);
  std::map<int32_t, int64_t> out;
  for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return out;
}

std::vector<std::string> values(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + "-" + std::to_string(i));
  return out;
}

class KafkaSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.createTopic("in", 2);
    produceTo(cluster_.bootstraps(), "in", 0, values("p0", 20));
    produceTo(cluster_.bootstraps(), "in", 1, values("p1", 20));
  }

  std::unique_ptr<Source> build(ThreadContext& context) {
    std::string yaml = "{type: kafka, brokers: '" + cluster_.bootstraps() +
                       "', topics: [in], group_id: g1, format: raw" +
                       ", batch_events: 5, "
                       "poll_interval: 5ms, commit_interval: 50ms, "
                       "librdkafka: {session.timeout.ms: '6000', heartbeat.interval.ms: '200'}}";
    node_ = ConfigNode(YAML::Load(yaml), std::make_shared<const std::string>("t.yaml"));
    registry_ = std::make_unique<Registry>();
    registerBuiltinComponents(*registry_);
    BuildContext ctx{"in", global_, diag_, node_};
    auto source = registry_->find(ComponentKind::kSource, "kafka")->build_source(ctx);
    EXPECT_NE(source, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    context.run([&] { source->start(context); });
    return source;
  }

  // Batches still held resolve (Errored) while their source's trackers are alive.
  static void shutdown(ThreadContext& context, Source& source) {
    context.run([&] { source.stop(); });
    context.takeBatches();
    context.run([&] { source.saveState(); });
  }

  MockCluster cluster_;
  GlobalConfig global_;
  Diagnostics diag_;
  ConfigNode node_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(KafkaSourceTest, CommitsOnlyTheContiguousDeliveredPrefixOfEachPartition) {
  ThreadContext context(global_);
  auto source = build(context);
  ASSERT_TRUE(eventually([&] { return context.eventCount() == 40; }));
  std::vector<Batch> batches = context.takeBatches();
  std::vector<Batch*> p0, p1;
  for (Batch& b : batches) {
    ASSERT_FALSE(b.events().empty());
    (b.events()[0].message.starts_with("p0-") ? p0 : p1).push_back(&b);
  }
  ASSERT_GE(p0.size(), 2u);
  ASSERT_GE(p1.size(), 2u);
  for (Batch* b : p0) {
    for (size_t i = 0; i < b->events().size(); ++i) {
      EXPECT_EQ(b->events()[i].message.substr(0, 3), "p0-") << "one partition per batch";
    }
  }
  auto endOf = [](Batch* b) { return static_cast<int64_t>(b->events().back().offset) + 1; };

  // Nothing delivered yet: nothing committed.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LT(committed(cluster_.bootstraps(), "g1", "in", 2)[0], 0);

  // The second batch of partition 0 alone does not move the commit; the first then covers both.
  p0[1]->ack().resolve(AckStatus::kDelivered);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LT(committed(cluster_.bootstraps(), "g1", "in", 2)[0], 0);
  p0[0]->ack().resolve(AckStatus::kDelivered);
  int64_t want = endOf(p0[1]);
  EXPECT_TRUE(
      eventually([&] { return committed(cluster_.bootstraps(), "g1", "in", 2)[0] == want; }));

  // An Errored batch holds partition 1 where it is, whatever comes after it.
  p1[0]->ack().resolve(AckStatus::kErrored);
  for (size_t i = 1; i < p1.size(); ++i) p1[i]->ack().resolve(AckStatus::kDelivered);
  // Rejected (dead-lettered) batches let the commit pass.
  for (size_t i = 2; i < p0.size(); ++i) p0[i]->ack().resolve(AckStatus::kRejected);
  EXPECT_TRUE(eventually([&] { return committed(cluster_.bootstraps(), "g1", "in", 2)[0] == 20; }));
  EXPECT_LT(committed(cluster_.bootstraps(), "g1", "in", 2)[1], 0);
  shutdown(context, *source);
  batches.clear();

  // A new member of the group gets exactly the uncommitted window again: all of partition 1.
  ThreadContext again(global_);
  auto second = build(again);
  ASSERT_TRUE(eventually([&] { return again.eventCount() == 20; }, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::multiset<std::string> got;
  for (Batch& b : again.takeBatches()) {
    for (const Event& e : b.events()) got.insert(std::string(e.message));
  }
  std::multiset<std::string> expected;
  for (auto& v : values("p1", 20)) expected.insert(v);
  EXPECT_EQ(got, expected);
  shutdown(again, *second);
}

TEST_F(KafkaSourceTest, PausesWhileDownstreamIsFull) {
  ThreadContext context(global_);
  context.full_ = true;
  auto source = build(context);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(context.eventCount(), 0u) << "read while the outputs were full";
  context.full_ = false;
  EXPECT_TRUE(eventually([&] { return context.eventCount() == 40; }));
  shutdown(context, *source);
}

TEST_F(KafkaSourceTest, AMessageOverMaxMessageBytesIsCutFlaggedAndNotDecoded) {
  cluster_.createTopic("big", 1);
  std::string huge = R"({"message":")" + std::string(5000, 'q') + R"("})";
  produceTo(cluster_.bootstraps(), "big", 0, {R"({"message":"small"})", huge});
  ThreadContext context(global_);
  std::string yaml = "{type: kafka, brokers: '" + cluster_.bootstraps() +
                     "', topics: [big], group_id: g2, format: json, max_message_bytes: 1KiB, "
                     "poll_interval: 5ms}";
  node_ = ConfigNode(YAML::Load(yaml), std::make_shared<const std::string>("t.yaml"));
  registry_ = std::make_unique<Registry>();
  registerBuiltinComponents(*registry_);
  BuildContext ctx{"big", global_, diag_, node_};
  auto source = registry_->find(ComponentKind::kSource, "kafka")->build_source(ctx);
  ASSERT_NE(source, nullptr);
  context.run([&] { source->start(context); });
  ASSERT_TRUE(eventually([&] { return context.eventCount() == 2; }));
  std::vector<Event> events;
  std::vector<Batch> batches = context.takeBatches();
  for (Batch& b : batches) events.insert(events.end(), b.events().begin(), b.events().end());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].message, "small");
  EXPECT_FALSE(events[0].flags & Event::kTruncated);
  EXPECT_EQ(events[1].message, std::string_view(huge).substr(0, 1024));
  EXPECT_TRUE(events[1].flags & Event::kTruncated);
  shutdown(context, *source);
}

}  // namespace
}  // namespace logship
