#include "outputs/loki/loki_encoder.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <snappy.h>

#include "loki/logproto.pb.h"
#include "outputs/loki/loki_service.h"
#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using namespace std::chrono_literals;
using testing::makeBatch;

std::vector<EventRef> refsOf(std::vector<std::shared_ptr<Batch>>& batches,
                             std::vector<std::unique_ptr<HttpSinkInput>>& inputs) {
  std::vector<EventRef> refs;
  for (auto& b : batches) {
    inputs.push_back(std::make_unique<HttpSinkInput>());
    inputs.back()->batch = b;
    for (uint32_t i = 0; i < b->events().size(); ++i) refs.push_back({inputs.back().get(), i});
  }
  return refs;
}

class LokiEncoderTest : public ::testing::Test {
 protected:
  LokiEncoder make(std::map<std::string, std::string> labels, bool json = false, bool raw = false,
                   std::vector<std::pair<std::string, std::string>> metadata = {}) {
    LokiEncoderOptions options;
    options.structured_metadata = std::move(metadata);
    for (auto& [name, text] : labels) {
      OutputTemplate t;
      std::string error;
      EXPECT_TRUE(t.compile(text, false, &error));
      t.setTierNames({"audit", "app", "debug"});
      options.labels.emplace_back(name, std::move(t));
    }
    options.json = json;
    options.raw_message = raw;
    return LokiEncoder(global_, std::move(options));
  }

  // Three events on two streams (level high / info), the info stream out of time order.
  std::vector<EventRef> sample() {
    auto b = makeBatch({"first", "second", "third"}, AckToken());
    auto& ev = b->events();
    ev[0].severity = Severity::kHigh;
    ev[0].tier = 1;
    ev[0].correlation_id = "corr-1";
    ev[1].severity = Severity::kInfo;
    ev[1].tier = 1;
    ev[1].timestamp_ns = 1700000000'000005000;
    ev[2].severity = Severity::kInfo;
    ev[2].tier = 1;
    ev[2].timestamp_ns = 1700000000'000001000;
    b->addField(ev[2], "trace.id", FieldValue::string("4bf92f3577b34da6"));
    batches_.push_back(b);
    return refsOf(batches_, inputs_);
  }

  GlobalConfig global_ = testing::globalWithTiers("/tmp");
  NdjsonEncoder ndjson_{global_};
  std::vector<std::shared_ptr<Batch>> batches_;
  std::vector<std::unique_ptr<HttpSinkInput>> inputs_;
};

TEST_F(LokiEncoderTest, ProtobufDecodesToSortedStreamsWithMetadata) {
  auto encoder = make({{"host", "{host.name}"}, {"level", "{log.level}"}, {"tier", "{tier}"}});
  auto refs = sample();
  std::string body;
  encoder.encode(refs, body);
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  logproto::PushRequest push;
  ASSERT_TRUE(push.ParseFromString(raw));
  ASSERT_EQ(push.streams_size(), 2);
  const auto& high = push.streams(0);
  EXPECT_EQ(high.labels(), "{host=\"web-1\", level=\"high\", tier=\"app\"}");
  ASSERT_EQ(high.entries_size(), 1);
  // The line is the event's NDJSON object but for `@timestamp`, which the entry carries.
  std::string full;
  ndjson_.encodeEvent(*batches_[0], batches_[0]->events()[0], full);
  full.pop_back();
  const std::string stamp = "\"@timestamp\":\"2023-11-14T22:13:20.000000000Z\",";
  ASSERT_EQ(full.find(stamp), 1u) << full;
  EXPECT_EQ(high.entries(0).line(), "{" + full.substr(1 + stamp.size()));
  EXPECT_EQ(high.entries(0).timestamp().seconds(), 1700000000);
  EXPECT_EQ(high.entries(0).timestamp().nanos(), 0);
  ASSERT_EQ(high.entries(0).structuredmetadata_size(), 1);
  EXPECT_EQ(high.entries(0).structuredmetadata(0).name(), "correlation_id");
  EXPECT_EQ(high.entries(0).structuredmetadata(0).value(), "corr-1");

  const auto& info = push.streams(1);
  EXPECT_EQ(info.labels(), "{host=\"web-1\", level=\"info\", tier=\"app\"}");
  ASSERT_EQ(info.entries_size(), 2);
  // Ordered by timestamp, not by arrival.
  EXPECT_EQ(info.entries(0).timestamp().nanos(), 1000);
  EXPECT_NE(info.entries(0).line().find("\"message\":\"third\""), std::string::npos);
  EXPECT_EQ(info.entries(0).structuredmetadata(0).name(), "trace_id");
  EXPECT_EQ(info.entries(0).structuredmetadata(0).value(), "4bf92f3577b34da6");
  EXPECT_EQ(info.entries(1).timestamp().nanos(), 5000);
  EXPECT_EQ(info.entries(1).structuredmetadata_size(), 0);

  // Byte-exact: the generated serializer writes the very same bytes.
  std::string reserialized;
  ASSERT_TRUE(push.SerializeToString(&reserialized));
  EXPECT_EQ(reserialized, raw);

  // The encoder's scratch space carries nothing from one request to the next.
  std::string again;
  encoder.encode(refs, again);
  EXPECT_EQ(again, body);
}

TEST_F(LokiEncoderTest, EntriesOfManyInterleavedStreamsStayInTheirOwn) {
  // More streams than the encoder keeps at hand, taking turns: every entry in its stream, in
  // order, in this request and in the next (whose streams are numbered anew).
  constexpr int kStreams = 11;
  constexpr int kRounds = 6;
  std::vector<std::string> lines;
  for (int i = 0; i < kStreams * kRounds; ++i) lines.push_back("line " + std::to_string(i));
  auto b = makeBatch(lines, AckToken());
  for (int i = 0; i < kStreams * kRounds; ++i) {
    b->events()[i].timestamp_ns = i;
    b->addField(b->events()[i], "shard", FieldValue::integer(i % kStreams));
  }
  batches_.push_back(b);
  auto refs = refsOf(batches_, inputs_);
  auto encoder = make({{"shard", "{shard}"}});
  for (int request = 0; request < 2; ++request) {
    std::string body, raw;
    encoder.encode(request == 0 ? std::span(refs) : std::span(refs).subspan(3), body);
    ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
    logproto::PushRequest push;
    ASSERT_TRUE(push.ParseFromString(raw));
    ASSERT_EQ(push.streams_size(), kStreams);
    for (int s = 0; s < kStreams; ++s) {
      const int shard = (s + request * 3) % kStreams;  // streams in order of first arrival
      const auto& stream = push.streams(s);
      EXPECT_EQ(stream.labels(), "{shard=\"" + std::to_string(shard) + "\"}");
      ASSERT_EQ(stream.entries_size(), kRounds - (request == 1 && shard < 3 ? 1 : 0));
      for (int e = 0; e < stream.entries_size(); ++e) {
        const int i = shard + kStreams * (e + (request == 1 && shard < 3 ? 1 : 0));
        EXPECT_EQ(stream.entries(e).timestamp().nanos(), i);
        EXPECT_NE(stream.entries(e).line().find("\"line " + std::to_string(i) + "\""),
                  std::string::npos);
      }
    }
  }
}

TEST_F(LokiEncoderTest, ProtobufOfEdgeValuesMatchesTheGeneratedSerializer) {
  auto encoder = make({{"job", "fixed"}}, false, true);
  // Lines whose lengths take one, two and three bytes to write.
  auto b = makeBatch(
      {"", "pre-epoch", std::string(300, 'x'), "bad \xff utf8", std::string(20'000, 'y')},
      AckToken());
  b->events()[0].timestamp_ns = 0;
  b->events()[1].timestamp_ns = -1'500'000'000;  // 1969: seconds -2, nanos 500000000
  b->events()[2].timestamp_ns = 1'000'000'000;
  b->events()[3].timestamp_ns = 2'000'000'000;
  b->events()[4].timestamp_ns = 1'500'000'000;
  batches_.push_back(b);
  auto refs = refsOf(batches_, inputs_);
  std::string raw;
  encoder.encodeProtobuf(refs, raw);
  logproto::PushRequest push;
  ASSERT_TRUE(push.ParseFromString(raw));
  std::string reserialized;
  ASSERT_TRUE(push.SerializeToString(&reserialized));
  EXPECT_EQ(reserialized, raw);
  ASSERT_EQ(push.streams(0).entries_size(), 5);
  EXPECT_EQ(push.streams(0).entries(0).timestamp().seconds(), -2);
  EXPECT_EQ(push.streams(0).entries(0).timestamp().nanos(), 500000000);
  EXPECT_EQ(push.streams(0).entries(0).line(), "pre-epoch");  // raw message lines
  EXPECT_EQ(push.streams(0).entries(1).line(), "");
  EXPECT_EQ(push.streams(0).entries(2).line(), std::string(300, 'x'));
  EXPECT_EQ(push.streams(0).entries(3).line(), std::string(20'000, 'y'));
  EXPECT_EQ(push.streams(0).entries(4).line(), "bad \xEF\xBF\xBD utf8");
}

TEST_F(LokiEncoderTest, JsonFormCarriesTheSameStreams) {
  auto encoder = make({{"level", "{log.level}"}}, true);
  auto refs = sample();
  std::string body;
  encoder.encode(refs, body);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(body).get(doc)) << body;
  simdjson::dom::array streams = doc["streams"];
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(std::string_view(doc["streams"].at(1)["stream"]["level"]), "info");
  auto values = doc["streams"].at(1)["values"];
  EXPECT_EQ(std::string_view(values.at(0).at(0)), "1700000000000001000");
  EXPECT_EQ(std::string_view(values.at(0).at(2)["trace_id"]), "4bf92f3577b34da6");
  std::string_view line = values.at(1).at(1);
  EXPECT_NE(line.find("\"message\":\"second\""), std::string_view::npos);
  simdjson::dom::array second = values.at(1);
  EXPECT_EQ(second.size(), 2u);  // no metadata object when there is none
  EXPECT_EQ(std::string_view(doc["streams"].at(0)["values"].at(0).at(2)["correlation_id"]),
            "corr-1");

  std::string again;
  encoder.encode(refs, again);
  EXPECT_EQ(again, body);
}

TEST_F(LokiEncoderTest, ConfiguredFieldsTravelAsStructuredMetadata) {
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"user_id", "user.id"}, {"pod", "k8s.pod"}, {"host", "host.name"}};
  auto b = makeBatch({"with", "without"}, AckToken());
  b->events()[0].correlation_id = "corr-1";
  b->addField(b->events()[0], "user.id", FieldValue::integer(42));
  b->addField(b->events()[0], "k8s.pod", FieldValue::string("api-\xff"));
  b->addField(b->events()[1], "user.id", FieldValue::string(""));  // empty: left out
  batches_.push_back(b);
  auto refs = refsOf(batches_, inputs_);

  auto protobuf = make({{"job", "fixed"}}, false, true, metadata);
  std::string raw;
  protobuf.encodeProtobuf(refs, raw);
  logproto::PushRequest push;
  ASSERT_TRUE(push.ParseFromString(raw));
  std::string reserialized;
  ASSERT_TRUE(push.SerializeToString(&reserialized));
  EXPECT_EQ(reserialized, raw);
  ASSERT_EQ(push.streams(0).entries_size(), 2);
  auto pairs = [&](int entry) {
    std::string out;
    for (const auto& p : push.streams(0).entries(entry).structuredmetadata()) {
      out += p.name() + "=" + p.value() + ";";
    }
    return out;
  };
  // The batch-wide host.name counts as the event's; invalid UTF-8 is replaced.
  EXPECT_EQ(pairs(0), "correlation_id=corr-1;user_id=42;pod=api-\xEF\xBF\xBD;host=web-1;");
  EXPECT_EQ(pairs(1), "host=web-1;");

  auto json = make({{"job", "fixed"}}, true, true, metadata);
  std::string body;
  json.encode(refs, body);
  EXPECT_EQ(body,
            "{\"streams\":[{\"stream\":{\"job\":\"fixed\"},\"values\":["
            "[\"" +
                std::to_string(b->events()[0].timestamp_ns) +
                "\",\"with\",{\"correlation_id\":\"corr-1\",\"user_id\":\"42\","
                "\"pod\":\"api-\xEF\xBF\xBD\",\"host\":\"web-1\"}],"
                "[\"" +
                std::to_string(b->events()[1].timestamp_ns) +
                "\",\"without\",{\"host\":\"web-1\"}]]}]}");
}

TEST_F(LokiEncoderTest, LabelValuesAreCleanedNotDropped) {
  auto encoder = make({{"user", "{user.name}"}, {"path", "{log.file.path}"}});
  auto b = makeBatch({"x"}, AckToken(), "/var/log/a\"b\\c\nd\te\x01\xff.log");
  std::string long_value(3000, 'u');
  b->addField(b->events()[0], "user.name", FieldValue::string(long_value));
  std::string labels;
  encoder.labelSet(*b, b->events()[0], labels);
  EXPECT_EQ(labels, "{path=\"/var/log/a\\\"b\\\\c\\nd\\te \xEF\xBF\xBD.log\", user=\"" +
                        std::string(2048, 'u') + "\"}");
}

TEST_F(LokiEncoderTest, EmptyValuesOmitTheLabelAndNoLabelsFallBack) {
  auto encoder = make({{"user", "{user.name}"}, {"host", "{host.name}"}});
  auto b = makeBatch({"x"}, AckToken());
  std::string labels;
  encoder.labelSet(*b, b->events()[0], labels);
  EXPECT_EQ(labels, "{host=\"web-1\"}");
  auto none = makeBatch({"x"}, AckToken(), "");
  labels.clear();
  encoder.labelSet(*none, none->events()[0], labels);
  EXPECT_EQ(labels, "{service_name=\"unknown_service\"}");
}

TEST(LokiLabelNameTest, FollowsLokisRules) {
  EXPECT_TRUE(isValidLokiLabelName("host"));
  EXPECT_TRUE(isValidLokiLabelName("_x9"));
  EXPECT_TRUE(isValidLokiLabelName("Tier_2"));
  EXPECT_FALSE(isValidLokiLabelName(""));
  EXPECT_FALSE(isValidLokiLabelName("9lives"));
  EXPECT_FALSE(isValidLokiLabelName("host.name"));
  EXPECT_FALSE(isValidLokiLabelName("log-level"));
  EXPECT_FALSE(isValidLokiLabelName("__name__"));
}

TEST(LokiConfigTest, BadLabelNamesAndTemplatesAreConfigErrorsWithLocations) {
  GlobalConfig global;
  Diagnostics diag;
  auto out = testing::buildOutput<LokiOutput>(
      "loki",
      "type: loki\nendpoint: http://127.0.0.1:3100\nlabels:\n  host.name: x\n  ok: \"{a\"\n"
      "  __r: y\n",
      global, diag);
  EXPECT_EQ(out, nullptr);
  ASSERT_EQ(diag.errors().size(), 3u);
  EXPECT_NE(diag.errors()[0].find("p.yaml:6:3"), std::string::npos) << diag.errors()[0];
  EXPECT_NE(diag.errors()[0].find("'__r'"), std::string::npos);
  EXPECT_NE(diag.errors()[1].find("p.yaml:4:3"), std::string::npos) << diag.errors()[1];
  EXPECT_NE(diag.errors()[2].find("unclosed"), std::string::npos);

  Diagnostics more;
  std::string yaml = "type: loki\nendpoint: ftp://x\nlabels: {";
  for (int i = 0; i < 16; ++i)
    yaml += (i ? ", " : "") + std::string("l") + std::to_string(i) + ": v";
  yaml += "}\n";
  EXPECT_EQ(testing::buildOutput<LokiOutput>("loki", yaml, global, more), nullptr);
  ASSERT_EQ(more.errors().size(), 2u);
  EXPECT_NE(more.errors()[0].find("http:// or https://"), std::string::npos);
  EXPECT_NE(more.errors()[1].find("at most 15 labels"), std::string::npos);
}

TEST(LokiConfigTest, BadStructuredMetadataNamesAreConfigErrorsWithLocations) {
  GlobalConfig global;
  Diagnostics diag;
  auto out = testing::buildOutput<LokiOutput>(
      "loki",
      "type: loki\nendpoint: http://127.0.0.1:3100\nstructured_metadata:\n  user.id: user.id\n"
      "  trace_id: span.id\n  ok: \"\"\n",
      global, diag);
  EXPECT_EQ(out, nullptr);
  ASSERT_EQ(diag.errors().size(), 3u);
  EXPECT_EQ(diag.errors()[0], "p.yaml:6:3: structured metadata 'ok' names no field");
  EXPECT_EQ(diag.errors()[1], "p.yaml:5:3: structured metadata 'trace_id' is always sent");
  EXPECT_EQ(diag.errors()[2],
            "p.yaml:4:3: structured metadata name 'user.id' is not valid for Loki "
            "([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)");
}

TEST(LokiClassifyTest, StatusesFollowLokisContract) {
  auto verdict = [](int status, std::string body = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return classifyLokiResponse(r);
  };
  EXPECT_EQ(verdict(204).kind, Verdict::Kind::kSuccess);
  Verdict old = verdict(400, "entry for stream '{a=\"b\"}' has timestamp too old: 2020-01-01");
  EXPECT_EQ(old.kind, Verdict::Kind::kReject);
  EXPECT_EQ(old.reason, "too_old");
  EXPECT_NE(old.detail.find("too old"), std::string::npos);
  EXPECT_EQ(verdict(400, "max line size exceeded").reason, "line_too_long");
  EXPECT_EQ(verdict(400, "stream has 20 label names; limit 15").reason, "too_many_labels");
  EXPECT_EQ(verdict(400, "error parsing labels").reason, "invalid_labels");
  EXPECT_EQ(verdict(400, "??").reason, "http_400");
  EXPECT_EQ(verdict(429).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(verdict(500).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(verdict(0).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(verdict(413).kind, Verdict::Kind::kSplit);
}

// The whole output on a scripted transport: tenants from a template, one request each.
TEST(LokiOutputTest, TenantTemplateSendsOneRequestPerTenant) {
  std::string dir = testing::tempDir("loki-output");
  GlobalConfig global = testing::globalWithTiers(dir);
  testing::TestContext context(global);
  Diagnostics diag;
  auto [out, t, clock] = testing::startScripted<LokiOutput>(
      "loki",
      "type: loki\nendpoint: http://127.0.0.1:3100/base/\ntenant: \"{tier}\"\n"
      "labels: {tier: \"{tier}\"}\nbatch: {timeout: 50ms}\n",
      context, diag);
  ASSERT_NE(out, nullptr) << diag.errors()[0];
  testing::AckRecorder acks;
  auto b = makeBatch({"a1", "d1", "a2"}, AckToken());
  b->events()[0].tier = 0;
  b->events()[1].tier = 2;
  b->events()[2].tier = 0;
  out->consume(b, acks.token(1));
  clock->advance(50ms);
  ASSERT_EQ(t->pending.size(), 2u);
  EXPECT_EQ(testing::header(*t->pending[0].request, "X-Scope-OrgID"), "audit");
  EXPECT_EQ(testing::header(*t->pending[1].request, "X-Scope-OrgID"), "debug");
  EXPECT_EQ(testing::header(*t->pending[0].request, "Content-Type"), "application/x-protobuf");
  EXPECT_EQ(t->pending[0].request->target, "/loki/api/v1/push");
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(t->pending[0].request->body.data(),
                                 t->pending[0].request->body.size(), &raw));
  logproto::PushRequest push;
  ASSERT_TRUE(push.ParseFromString(raw));
  EXPECT_EQ(push.streams(0).entries_size(), 2);
  t->respond(204);
  EXPECT_FALSE(acks.resolved(1));
  t->respond(400, "entry too old");
  ASSERT_TRUE(acks.resolved(1));
  EXPECT_EQ(acks.status(1), AckStatus::kRejected);
  std::string dead = testing::readFile(dir + "/dead_letter/out.ndjson");
  EXPECT_NE(dead.find("\"message\":\"d1\""), std::string::npos);
  EXPECT_NE(dead.find("too_old: entry too old"), std::string::npos);
  EXPECT_EQ(context.metric("logship_output_rejected_events_total", {{"reason", "too_old"}}), 1);
  EXPECT_EQ(out->destination(), "http://127.0.0.1:3100/base/loki/api/v1/push");
  out->stop();
}

}  // namespace
}  // namespace logship
