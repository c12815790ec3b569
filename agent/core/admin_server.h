#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace logship {

// The admin HTTP server (/metrics, /healthz, /readyz, /status): HTTP/1.1 on its own thread, bound to
// 127.0.0.1 by default. Handlers run on that thread and must be quick.
class AdminServer {
 public:
  struct Request {
    std::string method;
    std::string path;
    std::string query;
    std::string body;
  };
  struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };
  using Handler = std::function<Response(const Request&)>;

  explicit AdminServer(std::string address);
  ~AdminServer();

  void route(const std::string& path, Handler handler);
  // Binds and starts serving; throws std::runtime_error naming the address when it cannot bind.
  void start();
  void stop();
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::string address_;
  std::map<std::string, Handler> routes_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace logship
