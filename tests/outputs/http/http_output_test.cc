#include "outputs/http/http_output.h"

#include <gtest/gtest.h>

#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using namespace std::chrono_literals;
using testing::makeBatch;

class HttpEncoderTest : public ::testing::Test {
 protected:
  std::string encode(HttpEncoding encoding) {
    auto b = makeBatch({"first", "say \"hi\""}, AckToken());
    b->events()[1].severity = Severity::kHigh;
    b->addField(b->events()[1], "user.id", FieldValue::integer(7));
    HttpSinkInput input;
    input.batch = b;
    std::vector<EventRef> refs = {{&input, 0}, {&input, 1}};
    std::string out;
    encodeHttpBody(ndjson_, encoding, refs, out);
    return out;
  }

  GlobalConfig global_ = testing::globalWithTiers("/tmp");
  NdjsonEncoder ndjson_{global_};
};

constexpr std::string_view kFirst =
    R"({"@timestamp":"2023-11-14T22:13:20.000000000Z","host":{"name":"web-1"},)"
    R"("log":{"file":{"path":"/var/log/app.log"},"offset":0},"message":"first"})";
constexpr std::string_view kSecond =
    R"({"@timestamp":"2023-11-14T22:13:20.000001000Z","host":{"name":"web-1"},)"
    R"("log":{"file":{"path":"/var/log/app.log"},"level":"high","offset":6},)"
    R"("message":"say \"hi\"",)"
    R"("user":{"id":7}})";

TEST_F(HttpEncoderTest, NdjsonIsOneObjectALine) {
  EXPECT_EQ(encode(HttpEncoding::kNdjson),
            std::string(kFirst) + "\n" + std::string(kSecond) + "\n");
  EXPECT_EQ(httpContentType(HttpEncoding::kNdjson), "application/x-ndjson");
}

TEST_F(HttpEncoderTest, JsonIsOneArrayOfTheSameObjects) {
  EXPECT_EQ(encode(HttpEncoding::kJson),
            "[" + std::string(kFirst) + "," + std::string(kSecond) + "]");
  EXPECT_EQ(httpContentType(HttpEncoding::kJson), "application/json");
}

TEST(HttpOutputClassifyTest, SuccessRetryRejectAndSplit) {
  auto verdict = [](int status, std::string body = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return classifyGenericHttpResponse(r);
  };
  EXPECT_EQ(verdict(200).kind, Verdict::Kind::kSuccess);
  EXPECT_EQ(verdict(204).kind, Verdict::Kind::kSuccess);
  EXPECT_EQ(verdict(429).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(verdict(503).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(verdict(0).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(verdict(413).kind, Verdict::Kind::kSplit);
  Verdict refused = verdict(422, "field x is not allowed");
  EXPECT_EQ(refused.kind, Verdict::Kind::kReject);
  EXPECT_EQ(refused.detail, "field x is not allowed");
  EXPECT_EQ(verdict(401).kind, Verdict::Kind::kRetry);
  EXPECT_TRUE(verdict(401).unhealthy);
}

struct Harness {
  explicit Harness(const std::string& yaml)
      : dir(testing::tempDir("http-output")), global(testing::globalWithTiers(dir)) {
    out = testing::buildOutput<GenericHttpOutput>("http", yaml, global, diag);
    if (out == nullptr) return;
    context = std::make_unique<testing::TestContext>(global);
    auto owned = std::make_unique<testing::ScriptedTransport>();
    transport = owned.get();
    auto scheduler = std::make_unique<ManualScheduler>();
    clock = scheduler.get();
    out->startWith(*context, std::move(owned), std::move(scheduler), [] { return 0.0; });
  }
  ~Harness() {
    if (out) out->stop();
  }
  std::string dir;
  GlobalConfig global;
  Diagnostics diag;
  std::unique_ptr<GenericHttpOutput> out;
  std::unique_ptr<testing::TestContext> context;
  testing::ScriptedTransport* transport = nullptr;
  ManualScheduler* clock = nullptr;
  testing::AckRecorder acks;
};

TEST(HttpOutputTest, PostsBatchesToTheUrlAndRetriesThenDelivers) {
  Harness h(
      "type: http\nendpoint: http://127.0.0.1:8080/ingest/logs?token=x\n"
      "headers: {X-Source: logship}\nbatch: {timeout: 50ms, max_events: 2}\n"
      "retry: {initial_backoff: 100ms}\n");
  ASSERT_NE(h.out, nullptr) << h.diag.errors()[0];
  EXPECT_EQ(h.out->destination(), "http://127.0.0.1:8080/ingest/logs?token=x");
  h.out->consume(makeBatch({"a", "b", "c"}, AckToken()), h.acks.token(1));
  h.clock->advance(50ms);
  ASSERT_EQ(h.transport->pending.size(), 2u);  // cut at two events
  const HttpRequest& first = *h.transport->pending[0].request;
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.target, "");  // the endpoint's own path and query
  EXPECT_EQ(testing::header(first, "Content-Type"), "application/x-ndjson");
  EXPECT_EQ(testing::header(first, "X-Source"), "logship");
  EXPECT_EQ(std::count(first.body.begin(), first.body.end(), '\n'), 2);
  EXPECT_NE(first.body.find("\"message\":\"a\""), std::string::npos);
  const std::string first_body = first.body;
  h.transport->respond(503);
  h.transport->respond(200);
  EXPECT_FALSE(h.acks.resolved(1));
  h.clock->advance(1s);
  ASSERT_EQ(h.transport->pending.size(), 1u);
  EXPECT_EQ(h.transport->pending[0].request->body, first_body);  // the same events again
  h.transport->respond(202);
  ASSERT_TRUE(h.acks.resolved(1));
  EXPECT_EQ(h.acks.status(1), AckStatus::kDelivered);
}

TEST(HttpOutputTest, RefusedEventsAreDeadLettered) {
  Harness h(
      "type: http\nendpoint: https://127.0.0.1:8443/\nencoding: json\nmethod: PUT\n"
      "compression: gzip\nbatch: {timeout: 10ms}\n");
  ASSERT_NE(h.out, nullptr) << h.diag.errors()[0];
  h.out->consume(makeBatch({"bad one"}, AckToken()), h.acks.token(1));
  h.clock->advance(10ms);
  ASSERT_EQ(h.transport->pending.size(), 1u);
  const HttpRequest& r = *h.transport->pending[0].request;
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "");
  EXPECT_EQ(testing::header(r, "Content-Type"), "application/json");
  EXPECT_EQ(testing::header(r, "Content-Encoding"), "gzip");
  h.transport->respond(400, "schema mismatch");
  ASSERT_TRUE(h.acks.resolved(1));
  EXPECT_EQ(h.acks.status(1), AckStatus::kRejected);
  std::string dead = testing::readFile(h.dir + "/dead_letter/out.ndjson");
  EXPECT_NE(dead.find("\"message\":\"bad one\""), std::string::npos);
  EXPECT_NE(dead.find("schema mismatch"), std::string::npos);
  EXPECT_EQ(h.context->metric("logship_output_rejected_events_total", {{"reason", "http_400"}}), 1);
}

TEST(HttpOutputTest, AnEndpointPathEndingInASlashKeepsIt) {
  Harness h("type: http\nendpoint: http://127.0.0.1:8080/in/\nbatch: {timeout: 10ms}\n");
  ASSERT_NE(h.out, nullptr) << h.diag.errors()[0];
  EXPECT_EQ(h.out->destination(), "http://127.0.0.1:8080/in/");
  h.out->consume(makeBatch({"x"}, AckToken()), h.acks.token(1));
  h.clock->advance(10ms);
  ASSERT_EQ(h.transport->pending.size(), 1u);
  EXPECT_EQ(h.transport->pending[0].request->target, "/");
  h.transport->respond(200);
}

TEST(HttpOutputTest, ConfigErrors) {
  GlobalConfig global;
  Diagnostics diag;
  EXPECT_EQ(testing::buildOutput<GenericHttpOutput>("http", "type: http\nendpoint: ftp://x\n",
                                                    global, diag),
            nullptr);
  ASSERT_FALSE(diag.errors().empty());
  EXPECT_NE(diag.errors()[0].find("http:// or https://"), std::string::npos) << diag.errors()[0];
  Diagnostics more;
  EXPECT_EQ(testing::buildOutput<GenericHttpOutput>(
                "http", "type: http\nendpoint: http://h:1\nencoding: msgpack\n", global, more),
            nullptr);
  ASSERT_FALSE(more.errors().empty());
  EXPECT_NE(more.errors()[0].find("p.yaml:3:11"), std::string::npos) << more.errors()[0];
}

}  // namespace
}  // namespace logship
