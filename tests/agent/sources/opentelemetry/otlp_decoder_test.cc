#include "agent/sources/opentelemetry/otlp_decoder.h"

#include <gtest/gtest.h>

namespace logship {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace logs = opentelemetry::proto::logs::v1;

class OtlpDecoderTest : public ::testing::Test {
 protected:
  OtlpDecoderTest() { global_.tiers = {{"audit", {}, false}, {"app", {}, false}}; }

  bool decode(std::string_view body, OtlpEncoding encoding) {
    error_.clear();
    return decoder_.decode(body, encoding, kNow, batch_, &records_, &error_);
  }
  std::string text(size_t event, std::string_view key) {
    const Field* f = batch_.events().at(event).findField(key);
    if (f == nullptr) return "<missing>";
    EXPECT_EQ(f->value.kind, FieldValue::Kind::kString) << key;
    return std::string(f->value.string_value);
  }
  const Field* field(size_t event, std::string_view key) {
    return batch_.events().at(event).findField(key);
  }

  static constexpr int64_t kNow = 1800000000'000000000;
  GlobalConfig global_;
  OtlpDecoder decoder_{global_};
  Batch batch_;
  size_t records_ = 0;
  std::string error_;
};

// What an OpenTelemetry SDK's JSON exporter sends, with the liberties OTLP/JSON allows: original
// field names, integers as numbers, the severity by name, a structured body.
TEST_F(OtlpDecoderTest, ReadsOtlpJson) {
  constexpr std::string_view kBody = R"({"resourceLogs":[{
    "resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"checkout"}},
      {"key":"host.name","value":{"stringValue":"web-2"}}]},
    "scopeLogs":[{
      "scope":{"name":"cart","version":"2.1.0"},
      "logRecords":[
        {"timeUnixNano":"1700000000123456789","observedTimeUnixNano":"1700000001000000000",
         "severityNumber":13,"severityText":"WARN",
         "body":{"stringValue":"stock low"},
         "traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","spanId":"00f067aa0ba902b7",
         "attributes":[
           {"key":"item.count","value":{"intValue":"3"}},
           {"key":"price","value":{"doubleValue":9.5}},
           {"key":"cached","value":{"boolValue":true}},
           {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":2}]}}},
           {"key":"http","value":{"kvlistValue":{"values":[
              {"key":"method","value":{"stringValue":"GET"}},
              {"key":"status","value":{"intValue":200}}]}}},
           {"key":"correlation_id","value":{"stringValue":"req-9"}},
           {"key":"tier","value":{"stringValue":"app"}}]},
        {"observed_time_unix_nano":1700000002000000000,"severity_number":"SEVERITY_NUMBER_FATAL",
         "body":{"kvlistValue":{"values":[{"key":"event","value":{"stringValue":"crash"}}]}},
         "trace_id":"","unknown_field":{"x":1}},
        {"severityText":"Info3"}
      ]}]}]})";
  ASSERT_TRUE(decode(kBody, OtlpEncoding::kJson)) << error_;
  ASSERT_EQ(records_, 3u);
  ASSERT_EQ(batch_.events().size(), 3u);
  const Event& e = batch_.events()[0];
  EXPECT_EQ(e.message, "stock low");
  EXPECT_EQ(e.timestamp_ns, 1700000000123456789);
  EXPECT_EQ(e.severity, Severity::kMedium);
  EXPECT_EQ(text(0, "trace.id"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(text(0, "span.id"), "00f067aa0ba902b7");
  EXPECT_EQ(text(0, "service.name"), "checkout");
  EXPECT_EQ(text(0, "host.name"), "web-2");
  EXPECT_EQ(text(0, "otel.scope.name"), "cart");
  EXPECT_EQ(text(0, "otel.scope.version"), "2.1.0");
  EXPECT_EQ(field(0, "item.count")->value.int_value, 3);
  EXPECT_EQ(field(0, "price")->value.double_value, 9.5);
  EXPECT_TRUE(field(0, "cached")->value.bool_value);
  EXPECT_EQ(text(0, "tags"), R"(["a",2])");
  EXPECT_EQ(text(0, "http.method"), "GET");
  EXPECT_EQ(field(0, "http.status")->value.int_value, 200);
  EXPECT_EQ(e.correlation_id, "req-9");
  EXPECT_EQ(e.tier, 1);
  EXPECT_EQ(field(0, "tier"), nullptr);
  // No time: the observed time; a structured body as its JSON; the severity by enum name.
  const Event& crash = batch_.events()[1];
  EXPECT_EQ(crash.timestamp_ns, 1700000002000000000);
  EXPECT_EQ(crash.message, R"({"event":"crash"})");
  EXPECT_EQ(crash.severity, Severity::kCritical);
  EXPECT_EQ(field(1, "trace.id"), nullptr);
  EXPECT_EQ(text(1, "service.name"), "checkout");
  // Neither time: the time of receipt; severity from its text alone.
  const Event& bare = batch_.events()[2];
  EXPECT_EQ(bare.timestamp_ns, kNow);
  EXPECT_EQ(bare.severity, Severity::kLow);
  EXPECT_EQ(bare.message, "");
}

TEST_F(OtlpDecoderTest, ReadsProtobuf) {
  otlp::ExportLogsServiceRequest request;
  auto* rl = request.add_resource_logs();
  auto* kv = rl->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("api");
  auto* record = rl->add_scope_logs()->add_log_records();
  record->set_time_unix_nano(1700000000'000000001);
  record->set_severity_number(logs::SEVERITY_NUMBER_DEBUG2);
  record->mutable_body()->set_string_value("hello");
  record->set_trace_id(
      std::string("\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6\xa3\xce\x92\x9d\x0e\x0e\x47\x36", 16));
  record->set_span_id(std::string(8, '\0'));  // all zero: no span
  auto* bytes = record->add_attributes();
  bytes->set_key("digest");
  bytes->mutable_value()->set_bytes_value("\x01\xab");
  ASSERT_TRUE(decode(request.SerializeAsString(), OtlpEncoding::kProtobuf)) << error_;
  ASSERT_EQ(batch_.events().size(), 1u);
  EXPECT_EQ(batch_.events()[0].message, "hello");
  EXPECT_EQ(batch_.events()[0].severity, Severity::kDebug);
  EXPECT_EQ(text(0, "trace.id"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(field(0, "span.id"), nullptr);
  EXPECT_EQ(text(0, "service.name"), "api");
  EXPECT_EQ(text(0, "digest"), "01ab");
}

TEST_F(OtlpDecoderTest, RefusesWhatIsNotARequestAndAddsNothing) {
  for (
      std::string_view bad : {
          std::string_view("not json"),
          std::string_view("[1,2]"),
          std::string_view(R"({"resourceLogs":{}})"),
          std::string_view(
              R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"ok"}},{"timeUnixNano":"soon"}]}]}]})"),
          std::string_view(
              R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz"}]}]}]})"),
          std::string_view(
              R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":99}]}]}]})"),
      }) {
    EXPECT_FALSE(decode(bad, OtlpEncoding::kJson)) << bad;
    EXPECT_FALSE(error_.empty()) << bad;
    EXPECT_TRUE(batch_.events().empty()) << bad;
  }
  EXPECT_FALSE(decode("\x0a\xff\xff\xff\xff\x0f", OtlpEncoding::kProtobuf));
  EXPECT_TRUE(batch_.events().empty());
  // An empty request is a request.
  EXPECT_TRUE(decode("", OtlpEncoding::kProtobuf));
  EXPECT_TRUE(decode("{}", OtlpEncoding::kJson));
  EXPECT_EQ(records_, 0u);
}

TEST(OtlpSeverityTest, MapsBothWays) {
  for (std::string_view level : {"debug", "info", "low", "medium", "high", "critical"}) {
    EXPECT_EQ(otlp::levelName(otlp::severityNumber(level), ""), level);
  }
  EXPECT_EQ(otlp::severityNumber("warning"), 0);
  EXPECT_EQ(otlp::levelName(1, ""), "debug");      // TRACE
  EXPECT_EQ(otlp::levelName(12, ""), "low");       // INFO4
  EXPECT_EQ(otlp::levelName(16, ""), "medium");    // WARN4
  EXPECT_EQ(otlp::levelName(20, ""), "high");      // ERROR4
  EXPECT_EQ(otlp::levelName(24, ""), "critical");  // FATAL4
  EXPECT_EQ(otlp::levelName(0, "Error"), "high");
  EXPECT_EQ(otlp::levelName(0, "WARN2"), "medium");
  EXPECT_EQ(otlp::levelName(0, "trace"), "debug");
  EXPECT_EQ(otlp::levelName(0, "Critical"), "critical");
  EXPECT_EQ(otlp::levelName(0, "verbose-ish"), "");
  EXPECT_EQ(otlp::levelName(0, ""), "");
}

}  // namespace
}  // namespace logship
