#include "outputs/kafka/kafka_output.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "agent/cli/builtin_components.h"
#include "tests/kafka/kafka_test_support.h"

namespace logship {
namespace {

using testing::eventually;
using testing::MockCluster;
using testing::readTopic;
using testing::ThreadContext;

struct Acks final : AckReceiver {
  void acknowledge(uint64_t cookie, AckStatus status) override {
    std::lock_guard lock(mutex);
    statuses[cookie] = status;
  }
  std::optional<AckStatus> of(uint64_t cookie) {
    std::lock_guard lock(mutex);
    auto it = statuses.find(cookie);
    if (it == statuses.end()) return std::nullopt;
    return it->second;
  }
  std::mutex mutex;
  std::map<uint64_t, AckStatus> statuses;
};

class KafkaOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.createTopic("logs", 3);
    data_dir_ = std::filesystem::temp_directory_path() /
                ("kafka_output_test_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(data_dir_);
    global_.data_dir = data_dir_.string();
    global_.host_name = "node-1";
  }
  void TearDown() override {
    if (sink_) context_->run([&] { sink_->stop(); });
    sink_.reset();
    context_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  void build(const std::string& extra = "") {
    std::string yaml = "{type: kafka, brokers: '" + cluster_.bootstraps() +
                       "', topic: '{topic}', key: '{message}', poll_interval: 2ms, "
                       "retry_backoff: 50ms" +
                       extra + "}";
    node_ = ConfigNode(YAML::Load(yaml), std::make_shared<const std::string>("t.yaml"));
    registry_ = std::make_unique<Registry>();
    registerBuiltinComponents(*registry_);
    BuildContext ctx{"kafka", global_, diag_, node_};
    sink_ = registry_->find(ComponentKind::kOutput, "kafka")->build_sink(ctx);
    ASSERT_NE(sink_, nullptr) << (diag_.errors().empty() ? "" : diag_.errors()[0]);
    context_ = std::make_unique<ThreadContext>(global_);
    context_->run([&] { sink_->start(*context_); });
  }

  // A batch of `count` events "<prefix>-<i>" for topic `topic`.
  SharedBatch batchOf(const std::string& prefix, int count, const std::string& topic = "logs",
                      size_t pad = 0) {
    std::string text;
    for (int i = 0; i < count; ++i)
      text += prefix + "-" + std::to_string(i) + std::string(pad, 'x') + "\n";
    auto raw = std::make_unique<char[]>(text.size());
    std::memcpy(raw.get(), text.data(), text.size());
    auto batch = std::make_shared<Batch>(std::move(raw), text.size(), AckToken());
    size_t at = 0;
    while (at < batch->raw().size()) {
      size_t nl = batch->raw().find('\n', at);
      Event& e = batch->events().emplace_back();
      e.message = batch->raw().substr(at, nl - at);
      batch->addField(e, "topic", FieldValue::string(batch->arena().copy(topic)));
      at = nl + 1;
    }
    return batch;
  }

  void consume(SharedBatch batch, uint64_t cookie) {
    context_->run([&] { sink_->consume(std::move(batch), AckToken(&acks_, cookie)); });
  }

  MockCluster cluster_;
  GlobalConfig global_;
  std::filesystem::path data_dir_;
  Diagnostics diag_;
  ConfigNode node_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ThreadContext> context_;
  std::unique_ptr<Sink> sink_;
  Acks acks_;
};

TEST_F(KafkaOutputTest, EveryEventBecomesOneMessageAndTheBatchIsDeliveredAfterReports) {
  build();
  consume(batchOf("a", 100), 1);
  consume(batchOf("b", 50), 2);
  ASSERT_TRUE(eventually([&] { return acks_.of(1) && acks_.of(2); }));
  EXPECT_EQ(*acks_.of(1), AckStatus::kDelivered);
  EXPECT_EQ(*acks_.of(2), AckStatus::kDelivered);
  auto messages = readTopic(cluster_.bootstraps(), "logs", 150);
  ASSERT_EQ(messages.size(), 150u);
  std::set<std::string> keys;
  for (auto& m : messages) {
    keys.insert(m.key);
    EXPECT_NE(m.value.find("\"message\":\"" + m.key + "\""), std::string::npos) << m.value;
  }
  EXPECT_EQ(keys.size(), 150u);
  EXPECT_EQ(context_->metrics_.sent_events.load(), 150u);
}

TEST_F(KafkaOutputTest, TooLargeAndInvalidTopicMessagesAreRejectedAndDeadLettered) {
  build(", librdkafka: {message.max.bytes: '2000'}");
  auto batch = batchOf("ok", 3);
  consume(batch, 1);
  consume(batchOf("huge", 2, "logs", 5000), 2);
  consume(batchOf("badtopic", 1, "not a topic!"), 3);
  ASSERT_TRUE(eventually([&] { return acks_.of(1) && acks_.of(2) && acks_.of(3); }));
  EXPECT_EQ(*acks_.of(1), AckStatus::kDelivered);
  EXPECT_EQ(*acks_.of(2), AckStatus::kRejected);
  EXPECT_EQ(*acks_.of(3), AckStatus::kRejected);
  EXPECT_EQ(context_->metrics_.discardCount("message_too_large"), 2u);
  EXPECT_EQ(context_->metrics_.discardCount("invalid_topic"), 1u);
  std::ifstream dead(data_dir_ / "dead_letter" / "kafka.ndjson");
  std::vector<std::string> lines;
  for (std::string l; std::getline(dead, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("huge-0"), std::string::npos);
  EXPECT_NE(lines[2].find("badtopic-0"), std::string::npos);
  EXPECT_EQ(readTopic(cluster_.bootstraps(), "logs", 3).size(), 3u);
}

TEST_F(KafkaOutputTest, FullLocalQueueHoldsTheBatchUntilBrokersComeBack) {
  cluster_.setAllBrokers(false);
  build(", librdkafka: {queue.buffering.max.messages: '10'}");
  consume(batchOf("held", 60), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(acks_.of(1).has_value()) << "acknowledged while no broker was reachable";
  cluster_.setAllBrokers(true);
  ASSERT_TRUE(eventually([&] { return acks_.of(1).has_value(); }, std::chrono::seconds(20)));
  EXPECT_EQ(*acks_.of(1), AckStatus::kDelivered);
  auto messages = readTopic(cluster_.bootstraps(), "logs", 60);
  std::set<std::string> keys;
  for (auto& m : messages) keys.insert(m.key);
  EXPECT_EQ(messages.size(), 60u);
  EXPECT_EQ(keys.size(), 60u);
}

TEST_F(KafkaOutputTest, FatalIdempotenceErrorRecreatesTheProducerWithoutLoss) {
  build();
  consume(batchOf("before", 20), 1);
  ASSERT_TRUE(eventually([&] { return acks_.of(1).has_value(); }));
  cluster_.setRtt(300);  // keep the next batch in flight while the producer fails
  context_->run([&] {
    sink_->consume(batchOf("during", 200), AckToken(&acks_, 2));
    auto* output = static_cast<KafkaOutput*>(sink_.get());
    rd_kafka_test_fatal_error(output->producerHandle(),
                              RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "injected");
  });
  ASSERT_TRUE(eventually([&] { return acks_.of(2).has_value(); }, std::chrono::seconds(30)));
  EXPECT_EQ(*acks_.of(2), AckStatus::kDelivered);
  EXPECT_GE(context_->metrics_.errorCount("producer_fatal"), 1u);
  cluster_.setRtt(0);
  auto messages = readTopic(cluster_.bootstraps(), "logs", 220);
  std::set<std::string> keys;
  for (auto& m : messages) keys.insert(m.key);
  EXPECT_EQ(keys.size(), 220u) << "every event at least once";
}

TEST_F(KafkaOutputTest, StopPurgesWhatWasNotAcknowledgedAndLeavesItErrored) {
  cluster_.setAllBrokers(false);
  build(", flush_timeout: 300ms");
  consume(batchOf("never", 10), 1);
  auto started = std::chrono::steady_clock::now();
  context_->run([&] { sink_->stop(); });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ASSERT_TRUE(acks_.of(1).has_value());
  EXPECT_EQ(*acks_.of(1), AckStatus::kErrored);
}

TEST(KafkaOutputConfigTest, RejectsBadTemplatesAndUnknownLibrdkafkaOptions) {
  Registry registry;
  registerBuiltinComponents(registry);
  GlobalConfig global;
  auto errors = [&](const std::string& yaml) {
    Diagnostics diag;
    ConfigNode node(YAML::Load(yaml), std::make_shared<const std::string>("p.yaml"));
    BuildContext ctx{"k", global, diag, node};
    registry.find(ComponentKind::kOutput, "kafka")->build_sink(ctx);
    return diag.errors();
  };
  EXPECT_TRUE(errors("{brokers: 'h:1', topic: 'logs.{tier}'}").empty());
  auto bad = errors("{brokers: 'h:1', topic: 'logs.{tier'}");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("p.yaml:1:"), std::string::npos) << bad[0];
  bad = errors("{brokers: 'h:1', topic: 'x', librdkafka: {no.such.option: 1}}");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("no.such.option"), std::string::npos) << bad[0];
  EXPECT_EQ(errors("{brokers: 'h:1', topic: 'x', compression: brotli}").size(), 1u);
}

}  // namespace
}  // namespace logship
