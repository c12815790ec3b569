// BeastHttpClient against a small HTTP/1.1 server on 127.0.0.1, run by the test on a thread.
#include "outputs/common/http_client.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "outputs/common/compression.h"

namespace logship {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// What the server does with one request.
struct ServerReply {
  std::string raw;     // written as it is (status line, headers, body)
  bool hang = false;   // answer nothing; wait for the client to give up
  bool close = false;  // close the connection after the reply
};

// Serves one connection at a time (the client under test sends one request at a time), counting
// the connections it accepts and keeping every request it read.
class LoopbackHttpServer {
 public:
  using Handler = std::function<ServerReply(const http::request<http::string_body>&)>;

  explicit LoopbackHttpServer(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackHttpServer() {
    stopping_ = true;
    // Wake the blocking accept with a connection of our own.
    beast::error_code ignored;
    tcp::socket poke(io_);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ignored);
    thread_.join();
  }
  std::string port() const { return std::to_string(port_); }
  int accepted() const { return accepted_.load(); }
  std::vector<http::request<http::string_body>> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (true) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_ || ec) return;
      ++accepted_;
      beast::flat_buffer buffer;
      while (true) {
        http::request<http::string_body> request;
        http::read(socket, buffer, request, ec);
        if (ec) break;  // the client closed (or gave up on) the connection
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(request);
        }
        ServerReply reply = handler_(request);
        if (reply.hang) continue;  // the next read ends when the client closes
        asio::write(socket, asio::buffer(reply.raw), ec);
        if (ec || reply.close) break;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  Handler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<http::request<http::string_body>> requests_;
};

std::string okReply(const std::string& body, const std::string& extra_headers = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class BeastHttpClientTest : public ::testing::Test {
 protected:
  HttpClientSettings settingsFor(const std::string& port) {
    HttpClientSettings s;
    s.endpoint.host = "127.0.0.1";
    s.endpoint.port = port;
    s.endpoint.base_path = "/base";
    s.connect_timeout = std::chrono::seconds(2);
    s.request_timeout = std::chrono::seconds(2);
    return s;
  }
  // Sends one request and runs the io_context until its answer, for at most 10 s.
  HttpResponse roundTrip(BeastHttpClient& client, HttpRequest request) {
    std::optional<HttpResponse> got;
    client.send(std::make_shared<const HttpRequest>(std::move(request)),
                [&](HttpResponse&& r) { got = std::move(r); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!got && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    io_.restart();
    EXPECT_TRUE(got) << "no answer within 10 s";
    return got ? std::move(*got) : HttpResponse{};
  }
  HttpRequest post(std::string body, std::string target = "/push") {
    HttpRequest r;
    r.target = std::move(target);
    r.body = std::move(body);
    return r;
  }

  asio::io_context io_;
};

TEST_F(BeastHttpClientTest, SendsTheRequestAndReusesTheKeptAliveConnection) {
  LoopbackHttpServer server([](auto& req) { return ServerReply{okReply("got " + req.body())}; });
  HttpClientSettings settings = settingsFor(server.port());
  settings.headers = {{"Authorization", "Bearer t"}};
  BeastHttpClient client(io_, settings);
  std::string error;
  ASSERT_TRUE(client.init(&error)) << error;
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = roundTrip(client, post("n" + std::to_string(i)));
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "got n" + std::to_string(i));
    EXPECT_EQ(r.content_type, "text/plain");
  }
  EXPECT_EQ(server.accepted(), 1);  // one connection for all three
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method(), http::verb::post);
  EXPECT_EQ(std::string(requests[0].target()), "/base/push");
  EXPECT_EQ(std::string(requests[0][http::field::host]), "127.0.0.1:" + server.port());
  EXPECT_EQ(std::string(requests[0][http::field::authorization]), "Bearer t");
  EXPECT_EQ(requests[2].body(), "n2");
}

TEST_F(BeastHttpClientTest, AConnectionTheServerClosesIsNotReused) {
  int n = 0;
  LoopbackHttpServer server([&n](auto&) {
    ++n;
    return n == 1 ? ServerReply{okReply("bye", "Connection: close\r\n"), false, true}
                  : ServerReply{okReply("hello")};
  });
  BeastHttpClient client(io_, settingsFor(server.port()));
  EXPECT_EQ(roundTrip(client, post("a")).body, "bye");
  EXPECT_EQ(roundTrip(client, post("b")).body, "hello");
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(BeastHttpClientTest, ARequestOnAConnectionClosedWhileIdleIsSentAgainOnANewOne) {
  // The server drops each connection after its reply without saying so (an idle timeout).
  LoopbackHttpServer server([](auto& req) {
    return ServerReply{okReply("got " + req.body()), false, true};
  });
  BeastHttpClient client(io_, settingsFor(server.port()));
  EXPECT_EQ(roundTrip(client, post("a")).body, "got a");
  // The pooled connection is dead: the write or the read fails before any of a response came,
  // and the request goes out again on a fresh connection instead of failing.
  HttpResponse r = roundTrip(client, post("b"));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "got b");
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(BeastHttpClientTest, ChunkedResponseBodyIsJoined) {
  LoopbackHttpServer server([](auto&) {
    return ServerReply{
        "HTTP/1.1 207 Multi-Status\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"};
  });
  BeastHttpClient client(io_, settingsFor(server.port()));
  HttpResponse r = roundTrip(client, post("x"));
  EXPECT_EQ(r.status, 207) << r.error;
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(roundTrip(client, post("y")).body, "hello world");
  EXPECT_EQ(server.accepted(), 1);  // a chunked body ends the message; the connection goes on
}

TEST_F(BeastHttpClientTest, AResponseBodyOverTheLimitIsAnErrorAndTheConnectionIsDropped) {
  LoopbackHttpServer server([](auto& req) {
    return ServerReply{okReply(req.body() == "big" ? std::string(4096, 'x') : "small")};
  });
  HttpClientSettings settings = settingsFor(server.port());
  settings.max_response_bytes = 1024;
  BeastHttpClient client(io_, settings);
  HttpResponse r = roundTrip(client, post("big"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "read: body limit exceeded");
  EXPECT_TRUE(r.body.empty());
  // The rest of that body is never read as the next response.
  HttpResponse next = roundTrip(client, post("after"));
  EXPECT_EQ(next.status, 200) << next.error;
  EXPECT_EQ(next.body, "small");
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(BeastHttpClientTest, AChunkedResponseBodyOverTheLimitIsAnError) {
  LoopbackHttpServer server([](auto&) {
    std::string chunk(1000, 'x');
    std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) raw += "3e8\r\n" + chunk + "\r\n";
    return ServerReply{raw + "0\r\n\r\n"};
  });
  HttpClientSettings settings = settingsFor(server.port());
  settings.max_response_bytes = 1024;
  BeastHttpClient client(io_, settings);
  HttpResponse r = roundTrip(client, post("x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "read: body limit exceeded");
}

TEST_F(BeastHttpClientTest, ARequestWithNoAnswerTimesOut) {
  LoopbackHttpServer server([](auto& req) {
    return req.body() == "slow" ? ServerReply{"", true} : ServerReply{okReply("fine")};
  });
  HttpClientSettings settings = settingsFor(server.port());
  settings.request_timeout = std::chrono::milliseconds(200);
  BeastHttpClient client(io_, settings);
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = roundTrip(client, post("slow"));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "read: timed out");
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::seconds(5));
  // The timed-out connection is not reused: its answer could still arrive.
  HttpResponse next = roundTrip(client, post("quick"));
  EXPECT_EQ(next.body, "fine") << next.error;
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(BeastHttpClientTest, ARefusedConnectionIsAnErrorWithoutAStatus) {
  std::string port;
  {
    // A port nobody listens on any more.
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = std::to_string(a.local_endpoint().port());
  }
  BeastHttpClient client(io_, settingsFor(port));
  HttpResponse r = roundTrip(client, post("x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "connect: Connection refused");
}

std::string zstdDecompress(const std::string& in) {
  unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return "<not zstd>";
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n)) return "<bad zstd>";
  out.resize(n);
  return out;
}

TEST_F(BeastHttpClientTest, CompressedBodiesArriveAsTheSinksSendThem) {
  LoopbackHttpServer server([](auto&) { return ServerReply{okReply("")}; });
  BeastHttpClient client(io_, settingsFor(server.port()));
  std::string plain;
  for (int i = 0; i < 200; ++i) plain += "{\"message\":\"line " + std::to_string(i) + "\"}\n";
  Compressor compressor;
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    // As HttpSink builds the request: the compressed body and its Content-Encoding.
    HttpRequest request = post("");
    ASSERT_TRUE(compressor.compress(c, plain, request.body));
    ASSERT_LT(request.body.size(), plain.size());
    request.headers.emplace_back("Content-Encoding", std::string(contentEncoding(c)));
    std::string sent = request.body;
    EXPECT_EQ(roundTrip(client, std::move(request)).status, 200);
    auto got = server.requests().back();
    EXPECT_EQ(std::string(got[http::field::content_encoding]), std::string(contentEncoding(c)));
    EXPECT_EQ(std::string(got[http::field::content_length]), std::to_string(sent.size()));
    EXPECT_EQ(got.body(), sent);  // byte for byte: nothing re-encoded on the way
    std::string decoded;
    if (c == Compression::kGzip) {
      ASSERT_TRUE(gunzip(got.body(), decoded));
    } else {
      decoded = zstdDecompress(got.body());
    }
    EXPECT_EQ(decoded, plain) << contentEncoding(c);
  }
  EXPECT_EQ(std::string(contentEncoding(Compression::kGzip)), "gzip");
  EXPECT_EQ(std::string(contentEncoding(Compression::kZstd)), "zstd");
}

}  // namespace
}  // namespace logship
