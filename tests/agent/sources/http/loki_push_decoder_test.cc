#include "agent/sources/http/loki_push_decoder.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include "agent/core/http_receiver.h"
#include "loki/logproto.pb.h"
#include "outputs/loki/loki_encoder.h"
#include "tests/agent/batch_messages.h"
#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using testing::messages;

class LokiPushDecoderTest : public ::testing::Test {
 protected:
  Batch decode(std::string_view body, bool protobuf, std::string* error = nullptr,
               LokiPushOptions options = {}) {
    LokiPushDecoder decoder(global_, std::move(options));
    HttpBody padded = HttpBody::copyOf(body);
    Batch batch(std::move(padded.data), body.size(), {});
    std::string problem = protobuf ? decoder.decodeProtobuf(batch) : decoder.decodeJson(batch);
    if (error) *error = problem;
    return batch;
  }
  static std::string field(const Batch& batch, size_t event, std::string_view key) {
    const Field* f = batch.findField(batch.events()[event], key);
    return f ? std::string(f->value.string_value) : "<none>";
  }

  GlobalConfig global_ = testing::globalWithTiers("/tmp");
};

TEST_F(LokiPushDecoderTest, LabelSets) {
  Arena arena;
  std::vector<LokiPushDecoder::Label> labels;
  ASSERT_TRUE(LokiPushDecoder::parseLabelSet(R"({a="x", b_2 = "say \"hi\"\\\n"})", arena, labels));
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].name, "a");
  EXPECT_EQ(labels[0].value, "x");
  EXPECT_EQ(labels[1].name, "b_2");
  EXPECT_EQ(labels[1].value, "say \"hi\"\\\n");
  EXPECT_TRUE(LokiPushDecoder::parseLabelSet("{}", arena, labels));
  EXPECT_TRUE(labels.empty());
  for (std::string_view bad :
       {"", "a=\"x\"", "{a=\"x\"", "{a=x}", "{=\"x\"}", "{a=\"x\"} tail", "{a=\"x\\\"}"}) {
    EXPECT_FALSE(LokiPushDecoder::parseLabelSet(bad, arena, labels)) << bad;
  }
}

// The JSON form as Loki's API documentation gives it.
TEST_F(LokiPushDecoderTest, JsonPush) {
  Batch b = decode(R"({"streams": [{"stream": {"job": "varlogs", "host": "h1"},
      "values": [["1700000000123456789", "fizzbuzz"],
                 ["1700000001000000000", "with \"meta\"", {"trace_id": "0af7", "user": "bob"}]]},
    {"values": [["1", "labels after values"]], "stream": {"job": "late"}}]})",
                   false);
  ASSERT_EQ(messages(b),
            (std::vector<std::string>{"fizzbuzz", "with \"meta\"", "labels after values"}));
  EXPECT_EQ(b.events()[0].timestamp_ns, 1700000000123456789);
  EXPECT_EQ(field(b, 0, "labels.job"), "varlogs");
  EXPECT_EQ(field(b, 1, "labels.host"), "h1");
  EXPECT_EQ(field(b, 1, "trace.id"), "0af7");
  EXPECT_EQ(field(b, 1, "user"), "bob");
  EXPECT_EQ(field(b, 2, "labels.job"), "late");
  EXPECT_EQ(b.events()[2].timestamp_ns, 1);
}

TEST_F(LokiPushDecoderTest, MalformedJsonIsRefused) {
  std::string error;
  for (std::string_view body :
       {R"({"streams":[{"values":[["x","line"]]}]})", R"({"streams":[{"values":[["1"]]}]})",
        R"({"nothing":1})", R"({"streams":[{"stream":{"a":1},"values":[]}]})", "[",
        R"({"streams":[{"values":[["1","a",{"k":2}]]}]})"}) {
    Batch b = decode(body, false, &error);
    EXPECT_FALSE(error.empty()) << body;
    EXPECT_TRUE(b.events().empty()) << body;
  }
  decode(R"({"streams":[{"values":[["soon","line"]]}]})", false, &error);
  EXPECT_EQ(error, "timestamp \"soon\" is not nanoseconds");
}

// A PushRequest built with Loki's schema, with a field this reader does not know.
TEST_F(LokiPushDecoderTest, ProtobufPush) {
  logproto::PushRequest push;
  auto* stream = push.add_streams();
  stream->set_labels(R"({app="api", level="high"})");
  stream->set_hash(42);
  auto* entry = stream->add_entries();
  entry->mutable_timestamp()->set_seconds(1700000000);
  entry->mutable_timestamp()->set_nanos(5);
  entry->set_line("GET /health 200");
  auto* meta = entry->add_structuredmetadata();
  meta->set_name("correlation_id");
  meta->set_value("c-1");
  entry = stream->add_entries();
  entry->set_line("");
  LokiPushOptions options;
  options.label_fields = {{"level", "log.level"}};
  std::string error;
  Batch b = decode(push.SerializeAsString(), true, &error, options);
  ASSERT_EQ(error, "");
  ASSERT_EQ(messages(b), (std::vector<std::string>{"GET /health 200", ""}));
  EXPECT_EQ(b.events()[0].timestamp_ns, 1700000000'000000005);
  EXPECT_EQ(b.events()[0].correlation_id, "c-1");
  EXPECT_EQ(b.events()[0].severity, Severity::kHigh);
  EXPECT_EQ(field(b, 1, "labels.app"), "api");

  const std::string wire = push.SerializeAsString();
  for (size_t cut : {size_t{1}, wire.size() / 2, wire.size() - 1}) {
    Batch cut_batch = decode(wire.substr(0, cut), true, &error);
    EXPECT_FALSE(error.empty()) << cut;
    EXPECT_TRUE(cut_batch.events().empty()) << cut;
  }
  stream->set_labels("{app=api}");
  decode(push.SerializeAsString(), true, &error);
  EXPECT_EQ(error, "bad label set {app=api}");
}

// What logship's loki output sends comes back as the events it was made from.
TEST_F(LokiPushDecoderTest, UndoesTheLokiOutput) {
  for (bool json : {false, true}) {
    LokiEncoderOptions encoder_options;
    for (auto [name, text] : {std::pair{"host", "{host.name}"}, {"level", "{log.level}"}}) {
      OutputTemplate t;
      std::string error;
      ASSERT_TRUE(t.compile(text, false, &error));
      encoder_options.labels.emplace_back(name, std::move(t));
    }
    encoder_options.json = json;
    LokiEncoder encoder(global_, std::move(encoder_options));
    auto batch = testing::makeBatch({"first \"quoted\"", "second"}, AckToken());
    batch->events()[0].severity = Severity::kHigh;
    batch->events()[1].correlation_id = "corr-9";
    batch->addField(batch->events()[1], "trace.id", FieldValue::string("4bf9"));
    batch->addField(batch->events()[1], "user.name", FieldValue::string("alice"));
    HttpSinkInput input;
    input.batch = batch;
    std::vector<EventRef> refs = {{&input, 0}, {&input, 1}};
    std::string body;
    encoder.encode(refs, body);
    if (!json) {
      std::string plain;
      ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &plain));
      body = plain;
    }
    LokiPushOptions options;
    options.label_fields = {{"host", "host.name"}, {"level", "log.level"}};
    options.json_lines = true;
    std::string error;
    Batch b = decode(body, !json, &error, options);
    ASSERT_EQ(error, "") << json;
    ASSERT_EQ(b.events().size(), 2u);
    // Streams come out by label set: find each event by its message.
    const Event& first = b.events()[0].message == "second" ? b.events()[1] : b.events()[0];
    const Event& second = b.events()[0].message == "second" ? b.events()[0] : b.events()[1];
    EXPECT_EQ(first.message, "first \"quoted\"");
    EXPECT_EQ(first.severity, Severity::kHigh);
    EXPECT_EQ(first.timestamp_ns, batch->events()[0].timestamp_ns);
    EXPECT_EQ(second.timestamp_ns, batch->events()[1].timestamp_ns);
    EXPECT_EQ(second.correlation_id, "corr-9");
    EXPECT_EQ(std::string(b.findField(second, "trace.id")->value.string_value), "4bf9");
    EXPECT_EQ(std::string(b.findField(second, "user.name")->value.string_value), "alice");
    EXPECT_EQ(std::string(b.findField(second, "host.name")->value.string_value), "web-1");
    EXPECT_EQ(std::string(b.findField(first, "log.file.path")->value.string_value),
              "/var/log/app.log");
  }
}

}  // namespace
}  // namespace logship
