#include "agent/core/http_receiver.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace logship {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

// A source context whose emitted batches wait in `held` until the test resolves them, and whose
// downstream is full when the test says so.
class HoldingContext final : public SourceContext {
 public:
  HoldingContext() : work_(io_.get_executor()) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HoldingContext() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::string_view id() const override { return "http"; }
  const GlobalConfig& global() const override { return global_; }
  ComponentMetrics& metrics() override { return metrics_; }
  prometheus::Registry& metricsRegistry() override { return registry_; }
  asio::io_context& io() override { return io_; }
  void emit(Batch&& batch) override {
    std::lock_guard lock(mutex_);
    held_.push_back(std::move(batch));
  }
  bool downstreamFull() const override { return full.load(); }
  void finished() override {}

  template <class Fn>
  void run(Fn fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  size_t heldCount() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  bool waitHeld(size_t n) {
    for (int i = 0; i < 1000 && heldCount() < n; ++i) std::this_thread::sleep_for(5ms);
    return heldCount() >= n;
  }
  // Resolves the oldest held batch; returns its messages.
  std::vector<std::string> resolve(AckStatus status) {
    std::lock_guard lock(mutex_);
    Batch batch = std::move(held_.front());
    held_.erase(held_.begin());
    std::vector<std::string> messages;
    for (const Event& e : batch.events()) messages.emplace_back(e.message);
    batch.takeAck().resolve(status);
    return messages;
  }
  uint64_t errors(const std::string& reason) {
    std::lock_guard lock(metrics_.mutex);
    return metrics_.errors[reason];
  }

  std::atomic<bool> full{false};

 private:
  struct CountingMetrics final : ComponentMetrics {
    void received(uint64_t, uint64_t) override {}
    void sent(uint64_t, uint64_t) override {}
    void discarded(std::string_view, uint64_t) override {}
    void error(std::string_view reason) override {
      std::lock_guard lock(mutex);
      ++errors[std::string(reason)];
    }
    std::mutex mutex;
    std::map<std::string, uint64_t> errors;
  };
  GlobalConfig global_;
  CountingMetrics metrics_;
  prometheus::Registry registry_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Batch> held_;
};

// One event per line of the body.
HttpDecoded linesDecoder(ReceivedHttpRequest& request) {
  HttpDecoded out;
  const size_t size = request.body.size;
  out.batch = Batch(std::move(request.body.data), size, {});
  std::string_view rest = out.batch.raw();
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    Event& e = out.batch.events().emplace_back();
    e.message = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  out.reply.status = 204;
  if (out.batch.events().size() == 1 && out.batch.events()[0].message == "bad") {
    out.reply = {400, "text/plain", "bad line\n"};
  }
  return out;
}

struct Answer {
  int status = 0;
  std::string body;
  std::string retry_after;
  bool closed_early = false;  // no answer: the connection ended
};

Answer post(uint16_t port, std::string body,
            std::vector<std::pair<http::field, std::string>> headers = {},
            std::string target = "/lines", http::verb method = http::verb::post) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(10s);
  Answer answer;
  beast::error_code ec;
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    answer.closed_early = true;
    return answer;
  }
  http::request<http::string_body> req(method, target, 11);
  req.set(http::field::host, "127.0.0.1");
  for (auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) {
    answer.closed_early = true;
    return answer;
  }
  answer.status = res.result_int();
  answer.body = res.body();
  answer.retry_after = std::string(res[http::field::retry_after]);
  return answer;
}

std::string gzip(std::string_view in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

class HttpReceiverTest : public ::testing::Test {
 protected:
  void start(HttpReceiverSettings settings = {}) {
    settings.name = "test";
    settings.address = "127.0.0.1:0";
    context_.run([&] {
      receiver_ = std::make_unique<HttpReceiver>(settings, context_);
      receiver_->route("/lines", linesDecoder);
      std::string error;
      ASSERT_TRUE(receiver_->start(&error)) << error;
      port_ = receiver_->port();
    });
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    context_.run([&] { receiver_.reset(); });
  }
  std::future<Answer> postAsync(std::string body,
                                std::vector<std::pair<http::field, std::string>> headers = {}) {
    return std::async(std::launch::async, [this, body = std::move(body), headers] {
      return post(port_, body, headers);
    });
  }
  // Posts `body`, resolves the batch it became with `status` and returns the answer; `messages`
  // receives what the batch held.
  Answer deliver(std::string body, AckStatus status,
                 std::vector<std::pair<http::field, std::string>> headers = {},
                 std::vector<std::string>* messages = nullptr) {
    auto answer = postAsync(std::move(body), std::move(headers));
    if (!context_.waitHeld(1)) return {};
    std::vector<std::string> held = context_.resolve(status);
    if (messages) *messages = std::move(held);
    return answer.get();
  }

  HoldingContext context_;
  std::unique_ptr<HttpReceiver> receiver_;
  uint16_t port_ = 0;
};

TEST_F(HttpReceiverTest, AnswersOnlyOnceTheBatchIsDelivered) {
  start();
  auto answer = postAsync("one\ntwo\n");
  ASSERT_TRUE(context_.waitHeld(1));
  EXPECT_EQ(answer.wait_for(200ms), std::future_status::timeout);
  EXPECT_EQ(context_.resolve(AckStatus::kDelivered), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(answer.get().status, 204);
}

TEST_F(HttpReceiverTest, ErroredIs503WithRetryAfterAndRejectedIsAccepted) {
  start();
  Answer a = deliver("x\n", AckStatus::kErrored);
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.retry_after, "1");
  EXPECT_EQ(deliver("y\n", AckStatus::kRejected).status, 204);
}

TEST_F(HttpReceiverTest, DecoderRefusalIsSentAtOnceAndNothingIsEmitted) {
  start();
  Answer a = post(port_, "bad");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body, "bad line\n");
  EXPECT_EQ(context_.heldCount(), 0u);
  EXPECT_EQ(post(port_, "").status, 204);  // nothing to deliver
  EXPECT_EQ(context_.heldCount(), 0u);
}

TEST_F(HttpReceiverTest, BearerToken) {
  HttpReceiverSettings s;
  s.token = "s3cret";
  start(s);
  EXPECT_EQ(post(port_, "a\n").status, 401);
  EXPECT_EQ(post(port_, "a\n", {{http::field::authorization, "Bearer wrong"}}).status, 401);
  EXPECT_EQ(context_.errors("unauthorized"), 2u);
  EXPECT_EQ(
      deliver("a\n", AckStatus::kDelivered, {{http::field::authorization, "Bearer s3cret"}}).status,
      204);
}

TEST_F(HttpReceiverTest, CompressedBodies) {
  start();
  const std::string text = "alpha\nbeta\n";
  std::string snappy_body;
  snappy::Compress(text.data(), text.size(), &snappy_body);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"gzip", gzip(text)}, {"zstd", zstd(text)}, {"snappy", snappy_body}};
  for (auto& [encoding, body] : cases) {
    std::vector<std::string> messages;
    EXPECT_EQ(
        deliver(body, AckStatus::kDelivered, {{http::field::content_encoding, encoding}}, &messages)
            .status,
        204)
        << encoding;
    EXPECT_EQ(messages, (std::vector<std::string>{"alpha", "beta"})) << encoding;
  }
  EXPECT_EQ(post(port_, "x", {{http::field::content_encoding, "br"}}).status, 415);
  EXPECT_EQ(post(port_, "not gzip", {{http::field::content_encoding, "gzip"}}).status, 400);
}

TEST_F(HttpReceiverTest, BodiesPastTheLimitAre413BeforeAndAfterDecompression) {
  HttpReceiverSettings s;
  s.max_body_bytes = 1000;
  start(s);
  EXPECT_EQ(post(port_, std::string(1001, 'a')).status, 413);
  const std::string bomb = gzip(std::string(100000, 'a'));
  ASSERT_LT(bomb.size(), 1000u);
  EXPECT_EQ(post(port_, bomb, {{http::field::content_encoding, "gzip"}}).status, 413);
  EXPECT_EQ(
      post(port_, zstd(std::string(100000, 'a')), {{http::field::content_encoding, "zstd"}}).status,
      413);
  EXPECT_EQ(context_.heldCount(), 0u);
  EXPECT_EQ(context_.errors("too_large"), 3u);
}

TEST_F(HttpReceiverTest, FullDownstreamIs429WithRetryAfter) {
  start();
  context_.full = true;
  Answer a = post(port_, "a\n");
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(a.retry_after, "1");
  EXPECT_EQ(context_.heldCount(), 0u);
  context_.full = false;
  EXPECT_EQ(deliver("a\n", AckStatus::kDelivered).status, 204);
}

TEST_F(HttpReceiverTest, UnknownPathAndMethod) {
  start();
  EXPECT_EQ(post(port_, "a", {}, "/elsewhere").status, 404);
  EXPECT_EQ(post(port_, "", {}, "/lines", http::verb::get).status, 405);
}

TEST_F(HttpReceiverTest, KeepsTheConnectionForTheNextRequest) {
  start();
  std::thread resolver([&] {
    for (int i = 0; i < 3; ++i) {
      if (context_.waitHeld(1)) context_.resolve(AckStatus::kDelivered);
    }
  });
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(10s);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    http::request<http::string_body> req(http::verb::post, "/lines", 11);
    req.body() = "line " + std::to_string(i);
    req.prepare_payload();
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    EXPECT_EQ(res.result_int(), 204);
    EXPECT_TRUE(res.keep_alive());
  }
  resolver.join();
}

TEST_F(HttpReceiverTest, ClientsPastMaxConnectionsWaitForAFreeOne) {
  HttpReceiverSettings s;
  s.max_connections = 1;
  start(s);
  asio::io_context io;
  beast::tcp_stream first(io);
  first.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  std::this_thread::sleep_for(100ms);  // accepted: the one connection is taken
  auto second = postAsync("second\n");
  EXPECT_EQ(second.wait_for(300ms), std::future_status::timeout);
  EXPECT_EQ(context_.heldCount(), 0u);
  first.close();
  ASSERT_TRUE(context_.waitHeld(1));
  context_.resolve(AckStatus::kDelivered);
  EXPECT_EQ(second.get().status, 204);
}

TEST_F(HttpReceiverTest, AnIdleConnectionIsClosed) {
  HttpReceiverSettings s;
  s.idle_timeout = 200ms;
  start(s);
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  stream.expires_after(5s);
  char byte;
  beast::error_code ec;
  const auto started = std::chrono::steady_clock::now();
  stream.socket().read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HttpReceiverTest, ExpectContinueIsAnsweredBeforeTheBody) {
  start();
  auto answer = std::async(std::launch::async, [this] {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    const std::string head =
        "POST /lines HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    asio::write(socket, asio::buffer(head));
    std::string interim(25, '\0');
    asio::read(socket, asio::buffer(interim));
    asio::write(socket, asio::buffer(std::string("body\n")));
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return std::make_pair(interim, res.result_int());
  });
  ASSERT_TRUE(context_.waitHeld(1));
  EXPECT_EQ(context_.resolve(AckStatus::kDelivered), (std::vector<std::string>{"body"}));
  auto [interim, status] = answer.get();
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(status, 204);
}

TEST_F(HttpReceiverTest, StopClosesTheListenerAndAnswersWhatWaits) {
  start();
  auto waiting = postAsync("pending\n");
  ASSERT_TRUE(context_.waitHeld(1));
  context_.run([&] { receiver_->stop(); });
  EXPECT_TRUE(post(port_, "late\n").closed_early);
  context_.resolve(AckStatus::kDelivered);
  EXPECT_EQ(waiting.get().status, 204);
}

TEST(DecompressBodyTest, RefusesCorruptAndOversizedInput) {
  HttpBody out;
  EXPECT_EQ(decompressBody(BodyEncoding::kGzip, gzip("hello"), 100, out), DecompressStatus::kOk);
  EXPECT_EQ(out.view(), "hello");
  EXPECT_EQ(out.data[out.size], '\0');  // padded
  const std::string truncated = gzip("hello world").substr(0, 8);
  EXPECT_EQ(decompressBody(BodyEncoding::kGzip, truncated, 100, out), DecompressStatus::kCorrupt);
  EXPECT_EQ(decompressBody(BodyEncoding::kZstd, "garbage", 100, out), DecompressStatus::kCorrupt);
  EXPECT_EQ(decompressBody(BodyEncoding::kZstd, zstd("hello").substr(0, 6), 100, out),
            DecompressStatus::kCorrupt);
  EXPECT_EQ(decompressBody(BodyEncoding::kSnappy, "\xff\xff\xff\xff\x0f", 100, out),
            DecompressStatus::kTooLarge);
  EXPECT_EQ(decompressBody(BodyEncoding::kSnappy, "\x05xx", 100, out), DecompressStatus::kCorrupt);
  EXPECT_EQ(decompressBody(BodyEncoding::kIdentity, "12345", 4, out), DecompressStatus::kTooLarge);
  EXPECT_EQ(decompressBody(BodyEncoding::kZstd, zstd(std::string(5000, 'z')), 4999, out),
            DecompressStatus::kTooLarge);
  EXPECT_EQ(decompressBody(BodyEncoding::kZstd, zstd(std::string(5000, 'z')), 5000, out),
            DecompressStatus::kOk);
  EXPECT_EQ(out.size, 5000u);
}

TEST(DecompressBodyTest, ContentEncodingNames) {
  BodyEncoding e;
  ASSERT_TRUE(parseBodyEncoding("", &e));
  EXPECT_EQ(e, BodyEncoding::kIdentity);
  ASSERT_TRUE(parseBodyEncoding(" GZip ", &e));
  EXPECT_EQ(e, BodyEncoding::kGzip);
  ASSERT_TRUE(parseBodyEncoding("zstd", &e));
  EXPECT_EQ(e, BodyEncoding::kZstd);
  EXPECT_FALSE(parseBodyEncoding("br", &e));
}

}  // namespace
}  // namespace logship
