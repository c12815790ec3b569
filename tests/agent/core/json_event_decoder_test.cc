#include "agent/core/json_event_decoder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "outputs/common/ndjson_encoder.h"

namespace logship {
namespace {

class JsonEventDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override { global_.tiers = {{"audit", {}, false}, {"app", {}, false}}; }

  // A batch whose raw buffer is `payload` plus simdjson's padding, with one event decoded from it.
  Batch decode(const std::string& payload, bool* ok = nullptr) {
    size_t capacity = payload.size() + simdjson::SIMDJSON_PADDING;
    auto raw = std::make_unique<char[]>(capacity);
    std::memcpy(raw.get(), payload.data(), payload.size());
    Batch batch(std::move(raw), payload.size(), AckToken());
    Event& e = batch.events().emplace_back();
    bool result = decoder_.decode(batch, e, batch.raw(), capacity);
    if (ok) *ok = result;
    return batch;
  }

  GlobalConfig global_;
  JsonEventDecoder decoder_{global_};
};

TEST_F(JsonEventDecoderTest, RestoresWhatTheOutputEncodes) {
  // An event as the kafka output writes it.
  std::string text = "sshd[1]: Accepted \"password\"\tfor bob";
  auto raw = std::make_unique<char[]>(text.size());
  std::memcpy(raw.get(), text.data(), text.size());
  Batch original(std::move(raw), text.size(), AckToken());
  Event& o = original.events().emplace_back();
  o.message = original.raw();
  o.timestamp_ns = 1700000000123456789;
  o.severity = Severity::kHigh;
  o.tier = 0;
  o.correlation_id = "c-9";
  original.addField(o, "user.name", FieldValue::string("bob"));
  original.addField(o, "source.port", FieldValue::integer(22));
  original.addField(o, "event.score", FieldValue::real(0.5));
  original.addField(o, "event.ok", FieldValue::boolean(true));
  original.addSharedString("host.name", "web-1");
  NdjsonEncoder encoder(global_);
  std::string json;
  encoder.encodeEvent(original, o, json);
  json.pop_back();

  bool ok = false;
  Batch batch = decode(json, &ok);
  ASSERT_TRUE(ok) << json;
  const Event& e = batch.events()[0];
  EXPECT_EQ(e.message, text);
  EXPECT_EQ(e.timestamp_ns, 1700000000123456789);
  EXPECT_EQ(e.severity, Severity::kHigh);
  EXPECT_EQ(e.tier, 0);
  EXPECT_EQ(e.correlation_id, "c-9");
  EXPECT_EQ(e.flags, 0);
  ASSERT_NE(e.findField("user.name"), nullptr);
  EXPECT_EQ(e.findField("user.name")->value.string_value, "bob");
  EXPECT_EQ(e.findField("source.port")->value.int_value, 22);
  EXPECT_EQ(e.findField("event.score")->value.double_value, 0.5);
  EXPECT_TRUE(e.findField("event.ok")->value.bool_value);
  EXPECT_EQ(e.findField("host.name")->value.string_value, "web-1");
  EXPECT_EQ(e.findField("log.level"), nullptr) << "restored into the event, not a field";

  // And encoding the restored event gives the same JSON back.
  std::string again;
  encoder.encodeEvent(batch, e, again);
  again.pop_back();
  EXPECT_EQ(again, json);
}

TEST_F(JsonEventDecoderTest, UnknownTierAndLevelStayFieldsArraysStayJson) {
  Batch batch = decode(
      R"({"message":"m","tier":"cold","log":{"level":"loud"},"tags":[1,"a"],"a":{"b":{"c":null}}})");
  const Event& e = batch.events()[0];
  EXPECT_EQ(e.tier, kNoTier);
  EXPECT_EQ(e.severity, Severity::kUnset);
  EXPECT_EQ(e.findField("tier")->value.string_value, "cold");
  EXPECT_EQ(e.findField("log.level")->value.string_value, "loud");
  EXPECT_EQ(e.findField("tags")->value.string_value, "[1,\"a\"]");
  EXPECT_EQ(e.findField("a.b.c"), nullptr);
}

TEST_F(JsonEventDecoderTest, MalformedPayloadKeepsTheRawTextFlagged) {
  for (std::string bad : {"not json", "[1,2]", "{\"message\":\"x\",", "{\"a\":tru}", ""}) {
    bool ok = true;
    Batch batch = decode(bad, &ok);
    EXPECT_FALSE(ok) << bad;
    const Event& e = batch.events()[0];
    EXPECT_EQ(e.message, bad);
    EXPECT_EQ(e.field_count, 0);
    EXPECT_TRUE(e.flags & Event::kParseError) << bad;
  }
}

TEST_F(JsonEventDecoderTest, DeepNestingIsKeptAsTextNotRecursedForever) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "{\"k\":";
  deep += "1";
  for (int i = 0; i < 200; ++i) deep += "}";
  bool ok = false;
  Batch batch = decode(deep, &ok);
  EXPECT_TRUE(ok);
  ASSERT_EQ(batch.events()[0].field_count, 1);
  EXPECT_TRUE(batch.events()[0].fields[0].value.string_value.starts_with("{\"k\":"));
}

}  // namespace
}  // namespace logship
