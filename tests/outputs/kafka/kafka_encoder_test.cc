#include "outputs/kafka/kafka_encoder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "outputs/kafka/kafka_service.h"

namespace logship {
namespace {

class KafkaEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    global_.tiers = {{"audit", {}, false}, {"app", {}, false}};
    global_.host_name = "node-1";
  }
  Batch batchOf(std::vector<std::string> lines) {
    std::string text;
    for (auto& l : lines) text += l + "\n";
    auto raw = std::make_unique<char[]>(text.size());
    std::memcpy(raw.get(), text.data(), text.size());
    Batch b(std::move(raw), text.size(), AckToken());
    size_t at = 0;
    for (auto& l : lines) {
      Event& e = b.events().emplace_back();
      e.message = b.raw().substr(at, l.size());
      e.timestamp_ns = 1700000000123456789;
      at += l.size() + 1;
    }
    return b;
  }
  KafkaEncoder make(std::string topic, std::string key,
                    std::map<std::string, std::string> headers = {
                        {"host", "{host.name}"}, {"severity", "{log.level}"}, {"tier", "{tier}"}}) {
    std::string error;
    auto e = KafkaEncoder::create(topic, key, headers, global_, &error);
    EXPECT_TRUE(e.has_value()) << error;
    return std::move(*e);
  }
  GlobalConfig global_;
};

TEST_F(KafkaEncoderTest, ValueIsTheNdjsonObjectTopicKeyAndHeadersFromTemplates) {
  Batch batch = batchOf({"Accepted password for bob"});
  batch.addSharedString("host.name", "web-7");
  Event& e = batch.events()[0];
  e.severity = Severity::kHigh;
  e.tier = 0;
  e.correlation_id = "c-42";
  batch.addField(e, "user.name", FieldValue::string("bob"));
  batch.addField(e, "source.port", FieldValue::integer(22));
  KafkaEncoder encoder = make("logs.{tier}", "{correlation_id}");
  KafkaRecord r = encoder.encode(batch, e);
  EXPECT_EQ(r.value,
            "{\"@timestamp\":\"2023-11-14T22:13:20.123456789Z\",\"correlation_id\":\"c-42\","
            "\"host\":{\"name\":\"web-7\"},\"log\":{\"level\":\"high\"},\"message\":\"Accepted "
            "password for bob\",\"source\":{\"port\":22},\"tier\":\"audit\",\"user\":{\"name\":"
            "\"bob\"}}");
  EXPECT_EQ(r.topic, "logs.audit");
  EXPECT_EQ(r.key, "c-42");
  ASSERT_EQ(r.header_count, 3u);
  EXPECT_EQ(r.headers[0].name, "host");
  EXPECT_EQ(r.headers[0].value, "web-7");
  EXPECT_EQ(r.headers[1].name, "severity");
  EXPECT_EQ(r.headers[1].value, "high");
  EXPECT_EQ(r.headers[2].name, "tier");
  EXPECT_EQ(r.headers[2].value, "audit");
}

TEST_F(KafkaEncoderTest, EmptyRenderingsLeaveKeyAndHeadersOut) {
  Batch batch = batchOf({"plain line"});
  KafkaEncoder encoder = make("logs.{tier}", "{correlation_id}");
  KafkaRecord r = encoder.encode(batch, batch.events()[0]);
  EXPECT_EQ(r.topic, "logs.");
  EXPECT_TRUE(r.key.empty());
  EXPECT_EQ(r.header_count, 0u);
  EXPECT_EQ(r.value,
            "{\"@timestamp\":\"2023-11-14T22:13:20.123456789Z\",\"message\":\"plain line\"}");
}

TEST_F(KafkaEncoderTest, ViewsOfEachRecordAreItsOwnAcrossEvents) {
  Batch batch = batchOf({"first", "second"});
  batch.events()[0].tier = 0;
  batch.events()[1].tier = 1;
  KafkaEncoder encoder = make("logs.{tier}", "{message}");
  KafkaRecord a = encoder.encode(batch, batch.events()[0]);
  EXPECT_EQ(a.topic, "logs.audit");
  EXPECT_EQ(a.key, "first");
  KafkaRecord b = encoder.encode(batch, batch.events()[1]);
  EXPECT_EQ(b.topic, "logs.app");
  EXPECT_EQ(b.key, "second");
}

TEST_F(KafkaEncoderTest, BadTemplatesAndConstantTopicsAreConfigErrors) {
  std::string error;
  EXPECT_FALSE(KafkaEncoder::create("logs.{tier", "", {}, global_, &error));
  EXPECT_TRUE(error.starts_with("topic:")) << error;
  EXPECT_FALSE(KafkaEncoder::create("logs", "{}", {}, global_, &error));
  EXPECT_TRUE(error.starts_with("key:")) << error;
  EXPECT_FALSE(KafkaEncoder::create("logs", "", {{"x", "{a"}}, global_, &error));
  EXPECT_TRUE(error.starts_with("headers.x:")) << error;
  EXPECT_FALSE(KafkaEncoder::create("my logs", "", {}, global_, &error));
  EXPECT_NE(error.find("not a valid Kafka topic"), std::string::npos) << error;
  EXPECT_TRUE(KafkaEncoder::create("logs.{tier}", "", {}, global_, &error));
}

TEST(KafkaTopicTest, KafkaTopicNameRules) {
  EXPECT_TRUE(KafkaEncoder::validTopic("logs.audit"));
  EXPECT_TRUE(KafkaEncoder::validTopic("a-b_C.9"));
  EXPECT_FALSE(KafkaEncoder::validTopic(""));
  EXPECT_FALSE(KafkaEncoder::validTopic("."));
  EXPECT_FALSE(KafkaEncoder::validTopic(".."));
  EXPECT_FALSE(KafkaEncoder::validTopic("a b"));
  EXPECT_FALSE(KafkaEncoder::validTopic("logs/x"));
  EXPECT_FALSE(KafkaEncoder::validTopic(std::string(250, 'a')));
  EXPECT_TRUE(KafkaEncoder::validTopic(std::string(249, 'a')));
}

TEST(KafkaErrorTest, ClassifiesProduceAndDeliveryErrors) {
  EXPECT_EQ(classifyKafkaError(RD_KAFKA_RESP_ERR_NO_ERROR), KafkaOutcome::kDelivered);
  EXPECT_EQ(classifyKafkaError(RD_KAFKA_RESP_ERR__QUEUE_FULL), KafkaOutcome::kQueueFull);
  EXPECT_EQ(classifyKafkaError(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE), KafkaOutcome::kRejected);
  EXPECT_EQ(classifyKafkaError(RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION), KafkaOutcome::kRejected);
  EXPECT_EQ(classifyKafkaError(RD_KAFKA_RESP_ERR__FATAL), KafkaOutcome::kFatal);
  EXPECT_EQ(classifyKafkaError(RD_KAFKA_RESP_ERR__PURGE_INFLIGHT), KafkaOutcome::kPurged);
  EXPECT_EQ(classifyKafkaError(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT), KafkaOutcome::kRetry);
  EXPECT_EQ(classifyKafkaError(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION), KafkaOutcome::kRetry);
  EXPECT_EQ(kafkaRejectReason(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE), "message_too_large");
  EXPECT_EQ(kafkaRejectReason(RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION), "invalid_topic");
}

}  // namespace
}  // namespace logship
