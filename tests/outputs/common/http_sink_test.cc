#include "outputs/common/http_sink.h"

#include <gtest/gtest.h>

#include <functional>

#include "outputs/common/compression.h"
#include "tests/outputs/common/http_test_support.h"

namespace logship {
namespace {

using namespace std::chrono_literals;
using testing::AckRecorder;
using testing::header;
using testing::makeBatch;
using testing::ScriptedTransport;
using testing::TestContext;

// Body: the messages, one per line. Verdicts: classifyStatus unless a test scripts one.
class LinesDriver final : public HttpSinkDriver {
 public:
  void encode(const HttpSinkRequest& request, HttpRequest& out) override {
    out.target = "/push";
    for (const EventRef& ref : request.events) {
      out.body.append(ref.event().message);
      out.body.push_back('\n');
    }
  }
  Verdict classify(const HttpSinkRequest& request, const HttpResponse& response) override {
    if (scripted) return scripted(request, response);
    return classifyStatus(response);
  }
  std::function<Verdict(const HttpSinkRequest&, const HttpResponse&)> scripted;
};

class HttpSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.endpoint.host = "127.0.0.1";
    settings_.endpoint.port = "9";
    settings_.concurrency = 2;
    settings_.batch.max_events = 10;
    settings_.batch.max_bytes.bytes = 1 << 20;
    settings_.batch.timeout = 1s;
    settings_.retry.initial_backoff = 100ms;
    settings_.retry.max_backoff = 1s;
  }
  void start() {
    sink_ = std::make_unique<HttpSink>(settings_, driver_);
    auto transport = std::make_unique<ScriptedTransport>();
    auto scheduler = std::make_unique<ManualScheduler>();
    transport_ = transport.get();
    clock_ = scheduler.get();
    // The top of every jitter range, so each wait is exactly the backoff ceiling.
    sink_->start(context_, std::move(transport), std::move(scheduler), [] { return 0.9999999; });
  }
  std::vector<std::string> lines(int from, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back("line-" + std::to_string(from + i));
    return out;
  }
  void consume(int cookie, int from, int n) {
    sink_->consume(makeBatch(lines(from, n), acks_.token(cookie)), acks_.token(cookie + 1000));
  }

  std::string dir_ = testing::tempDir("http-sink");
  TestContext context_{testing::globalWithTiers(dir_)};
  HttpSettings settings_;
  LinesDriver driver_;
  AckRecorder acks_;  // outlives the sink, which resolves what it holds when destroyed
  std::unique_ptr<HttpSink> sink_;
  ScriptedTransport* transport_ = nullptr;
  ManualScheduler* clock_ = nullptr;
};

TEST_F(HttpSinkTest, MergesSmallBatchesUntilTheTimeoutAndAcksAfterSuccess) {
  start();
  consume(1, 0, 3);
  consume(2, 3, 2);
  EXPECT_EQ(transport_->sent, 0u);  // below both limits: wait for more
  clock_->advance(999ms);
  EXPECT_EQ(transport_->sent, 0u);
  clock_->advance(1ms);
  ASSERT_EQ(transport_->pending.size(), 1u);
  EXPECT_EQ(transport_->pending[0].request->body, "line-0\nline-1\nline-2\nline-3\nline-4\n");
  EXPECT_FALSE(acks_.resolved(1001));
  transport_->respond(204);
  ASSERT_TRUE(acks_.resolved(1001));
  EXPECT_EQ(acks_.status(1001), AckStatus::kDelivered);
  EXPECT_EQ(acks_.status(1002), AckStatus::kDelivered);
  EXPECT_EQ(context_.metrics_.sent_events, 5u);
  EXPECT_EQ(context_.metric("logship_output_http_requests_total", {{"status", "204"}}), 1);
}

TEST_F(HttpSinkTest, CutsRequestsAtMaxEventsAndAcksABatchOnlyWhenAllItsRequestsSucceed) {
  start();
  consume(1, 0, 25);  // 10 + 10 go at once (concurrency 2), 5 wait
  ASSERT_EQ(transport_->pending.size(), 2u);
  transport_->respond(204);
  // A slot freed, but the last 5 are below the limits: they wait for the timeout.
  EXPECT_EQ(transport_->pending.size(), 1u);
  clock_->advance(1s);
  ASSERT_EQ(transport_->pending.size(), 2u);
  EXPECT_EQ(transport_->pending[1].request->body.substr(0, 8), "line-20\n");
  transport_->respond(204);
  EXPECT_FALSE(acks_.resolved(1001));  // its last five are still open
  transport_->respond(204);
  ASSERT_TRUE(acks_.resolved(1001));
  EXPECT_EQ(acks_.status(1001), AckStatus::kDelivered);
}

TEST_F(HttpSinkTest, RetriesWithExponentialBackoffAndReportsUnhealthy) {
  start();
  consume(1, 0, 10);
  ASSERT_EQ(transport_->pending.size(), 1u);
  transport_->respond(503, "overloaded");
  EXPECT_FALSE(sink_->healthy());
  EXPECT_EQ(transport_->sent, 1u);
  // Waits of 100, 200, 400, 800 ms then the 1 s cap.
  for (auto wait : {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms}) {
    clock_->advance(wait - 1ms);
    size_t before = transport_->sent;
    EXPECT_EQ(transport_->pending.size(), 0u);
    clock_->advance(1ms);
    ASSERT_EQ(transport_->sent, before + 1) << "after " << wait.count() << " ms";
    transport_->respond(0);  // connection refused
  }
  EXPECT_EQ(context_.metric("logship_output_http_retries_total", {}), 7);
  EXPECT_FALSE(acks_.resolved(1001));
  clock_->advance(1s);
  transport_->respond(204);
  EXPECT_TRUE(sink_->healthy());
  EXPECT_EQ(acks_.status(1001), AckStatus::kDelivered);
  // The same bytes every time: nothing re-encoded, nothing lost.
  EXPECT_EQ(context_.metric("logship_output_http_requests_total", {{"status", "error"}}), 6);
}

TEST_F(HttpSinkTest, HonoursRetryAfterAndStaysHealthyOnThrottling) {
  start();
  consume(1, 0, 10);
  transport_->respond(429, "slow down", "7");
  EXPECT_TRUE(sink_->healthy());
  clock_->advance(6999ms);
  EXPECT_EQ(transport_->pending.size(), 0u);
  clock_->advance(1ms);
  ASSERT_EQ(transport_->pending.size(), 1u);
  transport_->respond(204);
  EXPECT_EQ(acks_.status(1001), AckStatus::kDelivered);
}

TEST_F(HttpSinkTest, PermanentRefusalsAreDeadLetteredCountedAndRejected) {
  start();
  consume(1, 0, 10);
  transport_->respond(422, "no");
  ASSERT_TRUE(acks_.resolved(1001));
  EXPECT_EQ(acks_.status(1001), AckStatus::kRejected);
  std::string dead = testing::readFile(dir_ + "/dead_letter/out.ndjson");
  EXPECT_NE(dead.find("\"message\":\"line-0\""), std::string::npos);
  // The receiver's answer goes with the reason.
  EXPECT_NE(dead.find("\"error\":{\"code\":422,\"message\":\"http_422: no\",\"output\":\"out\"}}\n"),
            std::string::npos);
  EXPECT_EQ(std::count(dead.begin(), dead.end(), '\n'), 10);
  EXPECT_EQ(context_.metric("logship_output_rejected_events_total", {{"reason", "http_422"}}), 10);
  EXPECT_EQ(context_.metrics_.discarded_events["http_422"], 10u);
}

TEST_F(HttpSinkTest, FailingRequestsHoldTheirSlotsSoTheRestWaitsUnencoded) {
  start();
  consume(1, 0, 50);
  ASSERT_EQ(transport_->pending.size(), 2u);
  transport_->respond(503);
  transport_->respond(503);
  EXPECT_EQ(sink_->activeRequests(), 2u);
  EXPECT_EQ(sink_->queuedEvents(), 30u);
  clock_->advance(100ms);
  EXPECT_EQ(transport_->pending.size(), 2u);  // the same two again, no new ones
  transport_->respond(204);
  EXPECT_EQ(transport_->pending.size(), 2u);  // now the next 10 go
}

TEST_F(HttpSinkTest, GivesUpAfterMaxAttemptsLeavingTheBatchErrored) {
  settings_.retry.max_attempts = 3;
  start();
  consume(1, 0, 10);
  transport_->respond(500);
  clock_->advance(100ms);
  transport_->respond(500);
  clock_->advance(200ms);
  transport_->respond(500);
  ASSERT_TRUE(acks_.resolved(1001));
  EXPECT_EQ(acks_.status(1001), AckStatus::kErrored);
  EXPECT_EQ(context_.metrics_.discarded_events["retries_exhausted"], 10u);
}

TEST_F(HttpSinkTest, PartialVerdictsRetryOnlyTheNamedEvents) {
  driver_.scripted = [](const HttpSinkRequest& request, const HttpResponse& response) {
    if (request.events.size() == 1) return Verdict::success();
    Verdict v;
    v.kind = Verdict::Kind::kPartial;
    v.retry = {1};
    v.rejected = {{2, 400, "mapper_parsing_exception", "bad field"}};
    return v;
  };
  start();
  consume(1, 0, 3);
  clock_->advance(1s);
  transport_->respond(200);
  EXPECT_FALSE(acks_.resolved(1001));
  clock_->advance(100ms);
  ASSERT_EQ(transport_->pending.size(), 1u);
  EXPECT_EQ(transport_->pending[0].request->body, "line-1\n");
  transport_->respond(200);
  EXPECT_EQ(acks_.status(1001), AckStatus::kRejected);
  std::string dead = testing::readFile(dir_ + "/dead_letter/out.ndjson");
  EXPECT_NE(dead.find("\"line-2\""), std::string::npos);
  EXPECT_NE(dead.find("mapper_parsing_exception: bad field"), std::string::npos);
  EXPECT_EQ(dead.find("\"line-1\""), std::string::npos);
}

TEST_F(HttpSinkTest, SplitsTooLargeRequestsInHalvesDownToOneEvent) {
  driver_.scripted = [](const HttpSinkRequest& request, const HttpResponse& response) {
    if (response.status == 413) {
      Verdict v;
      v.kind = Verdict::Kind::kSplit;
      v.status = 413;
      return v;
    }
    return classifyStatus(response);
  };
  start();
  consume(1, 0, 4);
  clock_->advance(1s);
  transport_->respond(413);
  ASSERT_EQ(transport_->pending.size(), 2u);
  EXPECT_EQ(transport_->pending[0].request->body, "line-0\nline-1\n");
  EXPECT_EQ(transport_->pending[1].request->body, "line-2\nline-3\n");
  transport_->respond(204);
  transport_->respond(413);
  ASSERT_EQ(transport_->pending.size(), 2u);
  transport_->respond(204);
  transport_->respond(413);  // one event alone is still too large: refused for good
  EXPECT_EQ(acks_.status(1001), AckStatus::kRejected);
  std::string dead = testing::readFile(dir_ + "/dead_letter/out.ndjson");
  EXPECT_NE(dead.find("\"line-3\""), std::string::npos);
  EXPECT_EQ(std::count(dead.begin(), dead.end(), '\n'), 1);
}

TEST_F(HttpSinkTest, AddsAuthCustomHeadersAndContentEncoding) {
  std::string secret = dir_ + "/password";
  { std::ofstream(secret) << "s3cret\n"; }
  settings_.auth.strategy = "basic";
  settings_.auth.user = "shipper";
  settings_.auth.password_file = secret;
  settings_.headers = {{"X-Team", "logs"}};
  settings_.compression = Compression::kGzip;
  start();
  consume(1, 0, 10);
  ASSERT_EQ(transport_->pending.size(), 1u);
  const HttpRequest& r = *transport_->pending[0].request;
  EXPECT_EQ(header(r, "Authorization"), "Basic " + base64Encode("shipper:s3cret"));
  EXPECT_EQ(header(r, "X-Team"), "logs");
  EXPECT_EQ(header(r, "Content-Encoding"), "gzip");
  std::string plain;
  ASSERT_TRUE(gunzip(r.body, plain));
  EXPECT_EQ(plain.substr(0, 14), "line-0\nline-1\n");
}

TEST_F(HttpSinkTest, AnUnreadableSecretMakesTheOutputUnhealthyAndWaits) {
  settings_.auth.strategy = "bearer";
  settings_.auth.token_file = dir_ + "/missing-token";
  start();
  EXPECT_FALSE(sink_->healthy());
  consume(1, 0, 10);
  EXPECT_EQ(transport_->sent, 0u);
  { std::ofstream(dir_ + "/missing-token") << "tok"; }
  clock_->advance(100ms);
  ASSERT_EQ(transport_->pending.size(), 1u);
  EXPECT_EQ(header(*transport_->pending[0].request, "Authorization"), "Bearer tok");
}

TEST_F(HttpSinkTest, StopLeavesOpenBatchesErroredForARereadLater) {
  start();
  consume(1, 0, 10);
  consume(2, 10, 3);
  sink_->stop();
  EXPECT_TRUE(transport_->shut_down);
  EXPECT_EQ(acks_.status(1001), AckStatus::kErrored);
  EXPECT_EQ(acks_.status(1002), AckStatus::kErrored);
}

TEST(ClassifyStatusTest, MapsStatusesToOutcomes) {
  auto kind = [](int status) {
    HttpResponse r;
    r.status = status;
    return classifyStatus(r);
  };
  EXPECT_EQ(kind(204).kind, Verdict::Kind::kSuccess);
  EXPECT_EQ(kind(0).kind, Verdict::Kind::kRetry);
  EXPECT_TRUE(kind(0).unhealthy);
  EXPECT_EQ(kind(429).kind, Verdict::Kind::kRetry);
  EXPECT_FALSE(kind(429).unhealthy);
  EXPECT_EQ(kind(503).kind, Verdict::Kind::kRetry);
  EXPECT_EQ(kind(401).kind, Verdict::Kind::kRetry);
  EXPECT_TRUE(kind(403).unhealthy);
  EXPECT_EQ(kind(400).kind, Verdict::Kind::kReject);
  EXPECT_EQ(kind(404).reason, "http_404");
}

}  // namespace
}  // namespace logship
