#include <gtest/gtest.h>

#include "agent/sources/opentelemetry/otlp_decoder.h"
#include "outputs/common/compression.h"
#include "outputs/opentelemetry/opentelemetry_encoder.h"
#include "outputs/opentelemetry/opentelemetry_service.h"
#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using namespace std::chrono_literals;
using testing::makeBatch;
namespace logs = opentelemetry::proto::logs::v1;

constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpanId = "00f067aa0ba902b7";

class OpenTelemetryEncoderTest : public ::testing::Test {
 protected:
  OpenTelemetryEncoder make(bool json = false) {
    OpenTelemetryEncoderOptions options;
    options.json = json;
    options.resource_fields = OpenTelemetryConfig{}.resource_fields;
    return OpenTelemetryEncoder(global_, std::move(options));
  }

  // Three events of two services on host web-1 (a batch field); the second with trace context,
  // a scope and typed fields, the third with ids that are not ids.
  std::vector<EventRef> sample() {
    auto b = makeBatch({"GET /cart 200", "payment declined", "bad ids"}, AckToken());
    auto& ev = b->events();
    b->addField(ev[0], "service.name", FieldValue::string("shop"));
    ev[0].severity = Severity::kInfo;
    b->addField(ev[1], "service.name", FieldValue::string("payments"));
    b->addField(ev[1], "service.version", FieldValue::string("1.4.2"));
    ev[1].severity = Severity::kHigh;
    ev[1].tier = 0;
    ev[1].correlation_id = "corr-7";
    b->addField(ev[1], "trace.id", FieldValue::string(kTraceId));
    b->addField(ev[1], "span.id", FieldValue::string(kSpanId));
    b->addField(ev[1], "otel.scope.name", FieldValue::string("checkout"));
    b->addField(ev[1], "http.response.status_code", FieldValue::integer(402));
    b->addField(ev[1], "payment.amount", FieldValue::real(12.5));
    b->addField(ev[1], "payment.retry", FieldValue::boolean(false));
    b->addField(ev[1], "user.name", FieldValue::string("caf\xC3\xA9 \xFF"));
    b->addField(ev[2], "service.name", FieldValue::string("shop"));
    b->addField(ev[2], "trace.id", FieldValue::string("not-a-trace"));
    b->addField(ev[2], "span.id", FieldValue::string("0000000000000000"));
    ev[2].flags |= Event::kTruncated;
    batches_.push_back(b);
    std::vector<EventRef> refs;
    inputs_.push_back(std::make_unique<HttpSinkInput>());
    inputs_.back()->batch = b;
    for (uint32_t i = 0; i < b->events().size(); ++i) refs.push_back({inputs_.back().get(), i});
    return refs;
  }

  static std::map<std::string, const opentelemetry::proto::common::v1::AnyValue*> attributesOf(
      const google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>& kvs) {
    std::map<std::string, const opentelemetry::proto::common::v1::AnyValue*> out;
    for (auto& kv : kvs) out[kv.key()] = &kv.value();
    return out;
  }

  GlobalConfig global_ = testing::globalWithTiers("/tmp");
  std::vector<std::shared_ptr<Batch>> batches_;
  std::vector<std::unique_ptr<HttpSinkInput>> inputs_;
};

TEST_F(OpenTelemetryEncoderTest, GroupsByResourceAndMapsTheRecord) {
  auto encoder = make();
  std::string body;
  encoder.encode(sample(), body);
  otlp::ExportLogsServiceRequest request;
  ASSERT_TRUE(request.ParseFromString(body));
  ASSERT_EQ(request.resource_logs_size(), 2);
  // shop: events 0 and 2 in one resource (same service, same host), no scope.
  const auto& shop = request.resource_logs(0);
  auto shop_resource = attributesOf(shop.resource().attributes());
  ASSERT_EQ(shop_resource.size(), 2u);
  EXPECT_EQ(shop_resource["service.name"]->string_value(), "shop");
  EXPECT_EQ(shop_resource["host.name"]->string_value(), "web-1");
  ASSERT_EQ(shop.scope_logs_size(), 1);
  EXPECT_FALSE(shop.scope_logs(0).has_scope());
  ASSERT_EQ(shop.scope_logs(0).log_records_size(), 2);
  const auto& first = shop.scope_logs(0).log_records(0);
  EXPECT_EQ(first.body().string_value(), "GET /cart 200");
  EXPECT_EQ(first.time_unix_nano(), 1700000000'000000000u);
  EXPECT_EQ(first.observed_time_unix_nano(), 1700000000'000000000u);
  EXPECT_EQ(first.severity_number(), logs::SEVERITY_NUMBER_INFO);
  EXPECT_EQ(first.severity_text(), "info");
  EXPECT_TRUE(first.trace_id().empty());
  auto first_attributes = attributesOf(first.attributes());
  EXPECT_EQ(first_attributes["log.file.path"]->string_value(), "/var/log/app.log");
  EXPECT_EQ(first_attributes.count("host.name"), 0u);
  EXPECT_EQ(first_attributes.count("service.name"), 0u);
  // Ids that are not hex of the right size stay attributes; nothing is dropped.
  const auto& bad = shop.scope_logs(0).log_records(1);
  EXPECT_TRUE(bad.trace_id().empty());
  EXPECT_TRUE(bad.span_id().empty());
  EXPECT_EQ(bad.severity_number(), logs::SEVERITY_NUMBER_UNSPECIFIED);
  auto bad_attributes = attributesOf(bad.attributes());
  EXPECT_EQ(bad_attributes["trace.id"]->string_value(), "not-a-trace");
  EXPECT_EQ(bad_attributes["span.id"]->string_value(), "0000000000000000");
  EXPECT_TRUE(bad_attributes["log.truncated"]->bool_value());

  const auto& payments = request.resource_logs(1);
  auto payments_resource = attributesOf(payments.resource().attributes());
  EXPECT_EQ(payments_resource["service.name"]->string_value(), "payments");
  EXPECT_EQ(payments_resource["service.version"]->string_value(), "1.4.2");
  ASSERT_EQ(payments.scope_logs_size(), 1);
  EXPECT_EQ(payments.scope_logs(0).scope().name(), "checkout");
  const auto& record = payments.scope_logs(0).log_records(0);
  EXPECT_EQ(record.severity_number(), logs::SEVERITY_NUMBER_ERROR);
  EXPECT_EQ(record.severity_text(), "high");
  EXPECT_EQ(otlp::idHex(record.trace_id(), 16), kTraceId);
  EXPECT_EQ(otlp::idHex(record.span_id(), 8), kSpanId);
  auto attributes = attributesOf(record.attributes());
  EXPECT_EQ(attributes.count("trace.id"), 0u);
  EXPECT_EQ(attributes.count("otel.scope.name"), 0u);
  EXPECT_EQ(attributes["http.response.status_code"]->int_value(), 402);
  EXPECT_EQ(attributes["payment.amount"]->double_value(), 12.5);
  EXPECT_FALSE(attributes["payment.retry"]->bool_value());
  EXPECT_TRUE(attributes["payment.retry"]->has_bool_value());
  EXPECT_EQ(attributes["user.name"]->string_value(), "caf\xC3\xA9 \xEF\xBF\xBD");
  EXPECT_EQ(attributes["tier"]->string_value(), "audit");
  EXPECT_EQ(attributes["correlation_id"]->string_value(), "corr-7");
}

TEST_F(OpenTelemetryEncoderTest, JsonFollowsOtlpHttpAndReadsBackAsTheSameRequest) {
  auto refs = sample();
  std::string json;
  make(true).encode(refs, json);
  // lowerCamelCase keys, ids in hex, 64-bit integers as strings, severity as a number.
  EXPECT_NE(json.find("\"resourceLogs\":[{\"resource\":{\"attributes\":["), std::string::npos);
  EXPECT_NE(json.find("\"traceId\":\"" + std::string(kTraceId) + "\""), std::string::npos);
  EXPECT_NE(json.find("\"spanId\":\"" + std::string(kSpanId) + "\""), std::string::npos);
  EXPECT_NE(json.find("\"timeUnixNano\":\"1700000000000000000\""), std::string::npos);
  EXPECT_NE(json.find("\"severityNumber\":17,\"severityText\":\"high\""), std::string::npos);
  EXPECT_NE(json.find("{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"402\"}}"),
            std::string::npos);
  EXPECT_NE(json.find("\"scope\":{\"name\":\"checkout\"}"), std::string::npos);
  EXPECT_EQ(json.find("resource_logs"), std::string::npos);

  otlp::ExportLogsServiceRequest from_json;
  std::string error;
  ASSERT_TRUE(otlp::parseJson(json, &from_json, &error)) << error;
  std::string protobuf;
  make(false).encode(refs, protobuf);
  otlp::ExportLogsServiceRequest from_protobuf;
  ASSERT_TRUE(from_protobuf.ParseFromString(protobuf));
  EXPECT_EQ(from_json.DebugString(), from_protobuf.DebugString());
}

// logship -> OTLP -> logship: what went out comes back, in both encodings.
TEST_F(OpenTelemetryEncoderTest, RoundTripsThroughTheDecoder) {
  auto refs = sample();
  for (bool json : {false, true}) {
    std::string body;
    make(json).encode(refs, body);
    Batch decoded;
    OtlpDecoder decoder(global_);
    size_t records = 0;
    std::string error;
    ASSERT_TRUE(decoder.decode(body, json ? OtlpEncoding::kJson : OtlpEncoding::kProtobuf, 1,
                               decoded, &records, &error))
        << error;
    ASSERT_EQ(records, 3u);
    // Records come back grouped by resource: shop (events 0 and 2), then payments (event 1).
    const size_t original_of[] = {0, 2, 1};
    for (size_t i = 0; i < 3; ++i) {
      const Event& in = refs[original_of[i]].event();
      const Batch& in_batch = refs[original_of[i]].batch();
      const Event& out = decoded.events()[i];
      SCOPED_TRACE(std::string(in.message) + (json ? " (json)" : " (protobuf)"));
      EXPECT_EQ(out.message, in.message);
      EXPECT_EQ(out.timestamp_ns, in.timestamp_ns);
      EXPECT_EQ(out.severity, in.severity);
      EXPECT_EQ(out.tier, in.tier);
      EXPECT_EQ(out.correlation_id, in.correlation_id);
      EXPECT_EQ(out.flags, in.flags);
      auto same = [&](const Field& f) {
        const Field* back = out.findField(f.key);
        ASSERT_NE(back, nullptr) << f.key;
        EXPECT_EQ(back->value.kind, f.value.kind) << f.key;
        std::string a, b;
        appendFieldText(back->value, a);
        appendFieldText(f.value, b);
        if (f.key != "user.name") {
          EXPECT_EQ(a, b) << f.key;
        }
      };
      for (uint16_t k = 0; k < in.field_count; ++k) same(in.fields[k]);
      for (const Field& f : in_batch.sharedFields()) same(f);
      EXPECT_EQ(out.field_count, in.field_count + in_batch.sharedFields().size());
    }
  }
}

TEST(OpenTelemetryResponseTest, FollowsOtlpHttpSemantics) {
  auto verdict = [](int status, std::string body = {}, std::string type = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = std::move(type);
    int64_t rejected = -1;
    std::string message;
    Verdict v = classifyOtlpResponse(r, &rejected, &message);
    return std::make_tuple(v, rejected, message);
  };
  EXPECT_EQ(std::get<0>(verdict(200)).kind, Verdict::Kind::kSuccess);
  EXPECT_EQ(std::get<1>(verdict(200)), 0);
  otlp::ExportLogsServiceResponse partial;
  partial.mutable_partial_success()->set_rejected_log_records(2);
  partial.mutable_partial_success()->set_error_message("too old");
  auto [v1, n1, m1] = verdict(200, partial.SerializeAsString(), "application/x-protobuf");
  EXPECT_EQ(v1.kind, Verdict::Kind::kSuccess);  // never sent again, as OTLP asks
  EXPECT_EQ(n1, 2);
  EXPECT_EQ(m1, "too old");
  auto [v2, n2, m2] =
      verdict(200, R"({"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"x"}})",
              "application/json");
  EXPECT_EQ(n2, 3);
  EXPECT_EQ(m2, "x");
  EXPECT_EQ(std::get<1>(verdict(200, "{}", "application/json")), 0);
  EXPECT_EQ(std::get<0>(verdict(200, "\xff\xff garbage", "application/x-protobuf")).kind,
            Verdict::Kind::kSuccess);
  for (int retried : {429, 502, 503, 504, 0}) {
    EXPECT_EQ(std::get<0>(verdict(retried)).kind, Verdict::Kind::kRetry) << retried;
  }
  EXPECT_EQ(std::get<0>(verdict(400, "bad")).kind, Verdict::Kind::kReject);
  EXPECT_EQ(std::get<0>(verdict(400, "bad")).detail, "bad");
  // A refusal's google.rpc.Status gives the detail, in either encoding.
  EXPECT_EQ(
      std::get<0>(verdict(400, otlp::statusBody(false, 3, "bad time"), "application/x-protobuf"))
          .detail,
      "bad time");
  EXPECT_EQ(
      std::get<0>(verdict(400, otlp::statusBody(true, 3, "bad \"id\""), "application/json")).detail,
      "bad \"id\"");
  EXPECT_EQ(std::get<0>(verdict(404)).kind, Verdict::Kind::kReject);
  EXPECT_EQ(std::get<0>(verdict(413)).kind, Verdict::Kind::kSplit);
  EXPECT_TRUE(std::get<0>(verdict(401)).unhealthy);
}

TEST(OpenTelemetryOutputTest, PostsGzippedProtobufAndCountsPartialRejections) {
  std::string dir = testing::tempDir("otel-output");
  GlobalConfig global = testing::globalWithTiers(dir);
  testing::TestContext context(global);
  Diagnostics diag;
  auto [out, t, clock] = testing::startScripted<OpenTelemetryOutput>(
      "opentelemetry",
      "type: opentelemetry\nendpoint: http://127.0.0.1:4318\nbatch: {timeout: 50ms}\n", context,
      diag);
  ASSERT_NE(out, nullptr) << diag.errors()[0];
  testing::AckRecorder acks;
  out->consume(makeBatch({"a", "b", "c"}, AckToken()), acks.token(1));
  clock->advance(50ms);
  ASSERT_EQ(t->pending.size(), 1u);
  const HttpRequest& request = *t->pending[0].request;
  EXPECT_EQ(request.target, "/v1/logs");
  EXPECT_EQ(testing::header(request, "Content-Type"), "application/x-protobuf");
  EXPECT_EQ(testing::header(request, "Content-Encoding"), "gzip");
  std::string raw;
  ASSERT_TRUE(gunzip(request.body, raw));
  otlp::ExportLogsServiceRequest sent;
  ASSERT_TRUE(sent.ParseFromString(raw));
  EXPECT_EQ(sent.resource_logs(0).scope_logs(0).log_records_size(), 3);
  otlp::ExportLogsServiceResponse partial;
  partial.mutable_partial_success()->set_rejected_log_records(1);
  t->respond(200, partial.SerializeAsString());
  ASSERT_TRUE(acks.resolved(1));
  EXPECT_EQ(acks.status(1), AckStatus::kDelivered);
  EXPECT_EQ(context.metric("logship_output_rejected_events_total",
                           {{"output", "out"}, {"reason", "partial_success"}}),
            1);
  EXPECT_EQ(out->destination(), "http://127.0.0.1:4318/v1/logs");
  out->stop();
}

TEST(OpenTelemetryOutputTest, RefusesZstdAndARelativePath) {
  GlobalConfig global = testing::globalWithTiers("/tmp");
  Diagnostics diag;
  auto out = testing::buildOutput<OpenTelemetryOutput>(
      "opentelemetry",
      "type: opentelemetry\nendpoint: http://127.0.0.1:4318\ncompression: zstd\npath: v1/logs\n",
      global, diag);
  EXPECT_EQ(out, nullptr);
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_NE(diag.errors()[0].find("gzip"), std::string::npos) << diag.errors()[0];
  EXPECT_NE(diag.errors()[1].find("path must start with '/'"), std::string::npos);
}

}  // namespace
}  // namespace logship
