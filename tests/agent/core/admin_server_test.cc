#include "agent/core/admin_server.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace logship {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using Access = AdminServer::Access;

TEST(AdminAccessTest, LoopbackAddresses) {
  EXPECT_TRUE(isLoopbackAddress("127.0.0.1:9555"));
  EXPECT_TRUE(isLoopbackAddress("127.8.9.10:1"));
  EXPECT_TRUE(isLoopbackAddress("[::1]:9555"));
  EXPECT_TRUE(isLoopbackAddress("localhost:9555"));
  EXPECT_FALSE(isLoopbackAddress("0.0.0.0:9555"));
  EXPECT_FALSE(isLoopbackAddress("[::]:9555"));
  EXPECT_FALSE(isLoopbackAddress("10.0.0.7:9555"));
  EXPECT_FALSE(isLoopbackAddress("not-an-address:1"));
}

TEST(AdminAccessTest, BearerTokens) {
  EXPECT_TRUE(bearerTokenMatches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearerTokenMatches("bearer s3cret", "s3cret"));  // the scheme has no case
  EXPECT_FALSE(bearerTokenMatches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(bearerTokenMatches("Bearer s3cret2", "s3cret"));
  EXPECT_FALSE(bearerTokenMatches("Bearer S3CRET", "s3cret"));
  EXPECT_FALSE(bearerTokenMatches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(bearerTokenMatches("s3cret", "s3cret"));
  EXPECT_FALSE(bearerTokenMatches("", "s3cret"));
  EXPECT_FALSE(bearerTokenMatches("Bearer ", ""));  // no token configured: nothing matches
}

TEST(AdminAccessTest, WhoMayCallWhat) {
  const AdminAccess local("127.0.0.1:9555", "", true);
  EXPECT_EQ(local.refusal(Access::kControl, ""), 0);
  EXPECT_EQ(local.lockedReason(), "");

  // A DaemonSet's 0.0.0.0 without a token: probes and metrics answer, control does not.
  const AdminAccess open_network("0.0.0.0:9555", "", true);
  EXPECT_EQ(open_network.refusal(Access::kProbe, ""), 0);
  EXPECT_EQ(open_network.refusal(Access::kMetrics, ""), 0);
  EXPECT_EQ(open_network.refusal(Access::kControl, ""), 403);
  EXPECT_EQ(open_network.refusal(Access::kControl, "Bearer anything"), 403);
  EXPECT_NE(open_network.lockedReason().find("admin.auth.token_file"), std::string::npos);

  const AdminAccess with_token("0.0.0.0:9555", "tok", true);
  EXPECT_EQ(with_token.refusal(Access::kControl, ""), 401);
  EXPECT_EQ(with_token.refusal(Access::kControl, "Bearer nope"), 401);
  EXPECT_EQ(with_token.refusal(Access::kControl, "Bearer tok"), 0);
  EXPECT_EQ(with_token.refusal(Access::kMetrics, ""), 0);
  EXPECT_EQ(with_token.refusal(Access::kProbe, ""), 0);
  EXPECT_EQ(with_token.lockedReason(), "");

  const AdminAccess private_metrics("0.0.0.0:9555", "tok", false);
  EXPECT_EQ(private_metrics.refusal(Access::kMetrics, ""), 401);
  EXPECT_EQ(private_metrics.refusal(Access::kMetrics, "Bearer tok"), 0);
  EXPECT_EQ(private_metrics.refusal(Access::kProbe, ""), 0);
  // A token also locks loopback: a local user without it must not tap.
  EXPECT_EQ(AdminAccess("127.0.0.1:1", "tok", true).refusal(Access::kControl, ""), 401);
}

class AdminServerTest : public ::testing::Test {
 protected:
  void start(std::string token, bool metrics_public = true) {
    AdminServer::Settings settings;
    settings.address = "127.0.0.1:0";
    settings.token = std::move(token);
    settings.metrics_public = metrics_public;
    server_ = std::make_unique<AdminServer>(settings, &registry_);
    auto reply = [](std::string body) {
      return [body](const AdminServer::Request& req) {
        return AdminServer::Response{200, "text/plain", body + " " + req.peer.substr(0, 10)};
      };
    };
    server_->route("/healthz", Access::kProbe, reply("ok"));
    server_->route("/metrics", Access::kMetrics, reply("metrics"));
    server_->route("/status", Access::kControl, reply("status"));
    server_->route("/slow", Access::kControl, [this](const AdminServer::Request&) {
      std::unique_lock lock(mutex_);
      slow_entered_ = true;
      entered_.notify_all();
      released_.wait(lock, [this] { return slow_released_; });
      return AdminServer::Response{200, "text/plain", "slow"};
    });
    server_->start();
  }

  std::pair<int, std::string> get(const std::string& target, const std::string& token = "") {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                  server_->port()));
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    if (res.result_int() == 401) {
      EXPECT_EQ(res[http::field::www_authenticate], "Bearer realm=\"logship\"");
    }
    return {static_cast<int>(res.result_int()), res.body()};
  }

  std::string metricsText() {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
  }

  prometheus::Registry registry_;
  std::unique_ptr<AdminServer> server_;
  std::mutex mutex_;
  std::condition_variable entered_, released_;
  bool slow_entered_ = false, slow_released_ = false;
};

TEST_F(AdminServerTest, ControlNeedsTheTokenProbesAndMetricsDoNot) {
  start("t0ken-with-32-bytes-of-entropy!!");
  EXPECT_EQ(get("/healthz").first, 200);
  EXPECT_EQ(get("/metrics").first, 200);
  EXPECT_EQ(get("/status").first, 401);
  EXPECT_EQ(get("/status", "wrong").first, 401);
  const auto [status, body] = get("/status", "t0ken-with-32-bytes-of-entropy!!");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "status 127.0.0.1:");  // the handler sees the peer
  EXPECT_EQ(get("/nosuch").first, 404);
  const std::string metrics = metricsText();
  EXPECT_NE(metrics.find(R"(logship_admin_requests_total{code="401",endpoint="/status"} 2)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(logship_admin_requests_total{code="200",endpoint="/status"} 1)"),
            std::string::npos)
      << metrics;
}

TEST_F(AdminServerTest, ANewTokenAndPrivateMetricsTakeEffectAtOnce) {
  start("old");
  EXPECT_EQ(get("/status", "old").first, 200);
  server_->setAccess("new", false);
  EXPECT_EQ(get("/status", "old").first, 401);
  EXPECT_EQ(get("/status", "new").first, 200);
  EXPECT_EQ(get("/metrics").first, 401);
  EXPECT_EQ(get("/metrics", "new").first, 200);
  EXPECT_EQ(get("/healthz").first, 200);
}

TEST_F(AdminServerTest, ProbesAreAnsweredWhileAControlHandlerWaits) {
  start("");
  std::thread slow([this] { EXPECT_EQ(get("/slow").first, 200); });
  {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(entered_.wait_for(lock, std::chrono::seconds(10), [this] { return slow_entered_; }));
  }
  // A liveness probe must not wait for a tap's long poll.
  EXPECT_EQ(get("/healthz").first, 200);
  EXPECT_EQ(get("/metrics").first, 200);
  {
    std::lock_guard lock(mutex_);
    slow_released_ = true;
  }
  released_.notify_all();
  slow.join();
}

}  // namespace
}  // namespace logship
