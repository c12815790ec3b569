#include "agent/sources/http/plain_body_decoder.h"

#include <gtest/gtest.h>

#include "agent/core/http_receiver.h"
#include "tests/agent/batch_messages.h"

namespace logship {
namespace {

using testing::messages;

constexpr int64_t kNow = 1700000000'000000000;

class PlainBodyDecoderTest : public ::testing::Test {
 protected:
  // A batch holding `body` with its padding, as the receiver hands it over, decoded.
  Batch decode(BodyFormat format, std::string_view body, std::string* error = nullptr) {
    HttpBody padded = HttpBody::copyOf(body);
    Batch batch(std::move(padded.data), body.size(), {});
    std::string problem = decoder_.decode(format, batch, kNow, &malformed_);
    if (error) *error = problem;
    return batch;
  }
  std::string field(const Batch& batch, size_t event, std::string_view key) {
    const Field* f = batch.findField(batch.events()[event], key);
    return f ? std::string(f->value.string_value) : "<none>";
  }

  GlobalConfig global_;
  PlainBodyDecoder decoder_{global_};
  size_t malformed_ = 0;
};

TEST_F(PlainBodyDecoderTest, FormatsByConfigurationOrMediaType) {
  EXPECT_EQ(bodyFormatFor("auto", "application/x-ndjson"), BodyFormat::kNdjson);
  EXPECT_EQ(bodyFormatFor("auto", "application/json"), BodyFormat::kJson);
  EXPECT_EQ(bodyFormatFor("auto", "text/plain"), BodyFormat::kText);
  EXPECT_EQ(bodyFormatFor("auto", ""), BodyFormat::kText);
  EXPECT_EQ(bodyFormatFor("auto", "application/xml"), std::nullopt);
  EXPECT_EQ(bodyFormatFor("ndjson", "text/plain"), BodyFormat::kNdjson);
  EXPECT_EQ(bodyFormatFor("text", "application/json"), BodyFormat::kText);
}

TEST_F(PlainBodyDecoderTest, NdjsonLinesBecomeFieldsAndBadLinesStayAsText) {
  Batch b = decode(BodyFormat::kNdjson,
                   "{\"message\":\"hi\",\"user\":{\"name\":\"bob\"},\"n\":3}\r\n\n"
                   "not json\n"
                   "{\"@timestamp\":\"2024-01-02T03:04:05Z\",\"log.level\":\"high\"}");
  ASSERT_EQ(b.events().size(), 3u);
  EXPECT_EQ(b.events()[0].message, "hi");
  EXPECT_EQ(field(b, 0, "user.name"), "bob");
  EXPECT_EQ(b.findField(b.events()[0], "n")->value.int_value, 3);
  EXPECT_EQ(b.events()[0].timestamp_ns, kNow);
  EXPECT_EQ(b.events()[1].message, "not json");
  EXPECT_TRUE(b.events()[1].flags & Event::kParseError);
  EXPECT_EQ(malformed_, 1u);
  EXPECT_EQ(b.events()[2].timestamp_ns, 1704164645'000000000);
  EXPECT_EQ(b.events()[2].severity, Severity::kHigh);
}

TEST_F(PlainBodyDecoderTest, JsonArrayOrOneObject) {
  Batch array = decode(BodyFormat::kJson, " [{\"message\":\"a\"}, {\"x\":\"1\"}] ");
  EXPECT_EQ(messages(array), (std::vector<std::string>{"a", "{\"x\":\"1\"}"}));
  EXPECT_EQ(field(array, 1, "x"), "1");
  Batch one = decode(BodyFormat::kJson, "{\n  \"message\": \"pretty\"\n}\n");
  EXPECT_EQ(messages(one), (std::vector<std::string>{"pretty"}));
  EXPECT_EQ(messages(decode(BodyFormat::kJson, "[]")), std::vector<std::string>{});
}

TEST_F(PlainBodyDecoderTest, MalformedJsonIsRefusedWhole) {
  std::string error;
  for (std::string_view body : {"[{\"a\":1}, 2]", "[{\"a\":1}", "{\"a\":1}\n{\"b\":2}", "\"text\"",
                                "{\"a\":", "[{\"a\":\"\\x\"}]",
                                "[{\"message\":\"a\"},{\"x\":{"}) {
    Batch b = decode(BodyFormat::kJson, body, &error);
    EXPECT_FALSE(error.empty()) << body;
    EXPECT_TRUE(b.events().empty()) << body;
  }
  decode(BodyFormat::kJson, "[{\"a\":1}, 2]", &error);
  EXPECT_EQ(error, "element 1 of the JSON array is not an object");
}

TEST_F(PlainBodyDecoderTest, TextLines) {
  Batch b = decode(BodyFormat::kText, "one\r\n  \ntwo\nthree");
  EXPECT_EQ(messages(b), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(b.events()[2].timestamp_ns, kNow);
}

}  // namespace
}  // namespace logship
