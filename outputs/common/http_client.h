#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "outputs/common/http_config.h"
#include "outputs/common/http_transport.h"

namespace boost::asio {
class io_context;
}

namespace logship {

struct HttpClientSettings {
  HttpEndpoint endpoint;
  HttpTlsConfig tls;
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::nanoseconds request_timeout = std::chrono::seconds(30);
  // Added to every request (auth, custom headers).
  std::vector<std::pair<std::string, std::string>> headers;
  size_t max_idle_connections = 16;
  size_t max_response_bytes = 64u << 20;
};

// HTTP/1.1 client on Boost.Beast: keep-alive connections reused from a pool, plain TCP or TLS
// (OpenSSL, verifying the peer by default), connect and request timeouts. Runs on one io_context;
// the caller bounds how many requests are open at once.
class BeastHttpClient final : public HttpTransport {
 public:
  BeastHttpClient(boost::asio::io_context& io, HttpClientSettings settings);
  ~BeastHttpClient() override;

  // Sets up TLS (reads CA, certificate and key files); false with `error` if that fails.
  bool init(std::string* error);
  void send(std::shared_ptr<const HttpRequest> request, Callback done) override;
  void shutdown() override;
  // Replaces a header added to every request (a re-read secret).
  void setHeader(const std::string& name, const std::string& value);

  class Connection;
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace logship
