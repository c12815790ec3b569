#include "agent/core/admin_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

#include "agent/core/log.h"

namespace logship {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::map<std::string, AdminServer::Handler>& routes)
      : stream_(std::move(socket)), routes_(routes) {}

  void run() { read(); }

 private:
  void read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->respond();
                     });
  }

  void respond() {
    AdminServer::Request req;
    req.method = std::string(request_.method_string());
    std::string target(request_.target());
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    req.body = request_.body();
    AdminServer::Response res;
    auto it = routes_.find(req.path);
    if (it == routes_.end()) {
      res.status = 404;
      res.body = "not found\n";
    } else {
      try {
        res = it->second(req);
      } catch (const std::exception& e) {
        res.status = 500;
        res.body = std::string(e.what()) + "\n";
      }
    }
    response_ = {};
    response_.version(request_.version());
    response_.result(static_cast<http::status>(res.status));
    response_.set(http::field::content_type, res.content_type);
    response_.set(http::field::server, "logship");
    response_.keep_alive(request_.keep_alive());
    response_.body() = std::move(res.body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (self->response_.keep_alive()) {
                          self->read();
                        } else {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        }
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  const std::map<std::string, AdminServer::Handler>& routes_;
};

}  // namespace

struct AdminServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  void accept(const std::map<std::string, Handler>& routes) {
    acceptor.async_accept([this, &routes](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), routes)->run();
      accept(routes);
    });
  }
};

AdminServer::AdminServer(std::string address)
    : address_(std::move(address)), impl_(std::make_unique<Impl>()) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::route(const std::string& path, Handler handler) {
  routes_[path] = std::move(handler);
}

void AdminServer::start() {
  size_t colon = address_.rfind(':');
  if (colon == std::string::npos) {
    throw std::runtime_error("admin address '" + address_ + "' must be host:port");
  }
  std::string host = address_.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("admin address '" + address_ + "': bad IP address");
  unsigned long port = std::stoul(address_.substr(colon + 1));
  tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("admin server cannot listen on " + address_ + ": " + ec.message());
  }
  port_ = acceptor.local_endpoint().port();
  impl_->accept(routes_);
  thread_ = std::thread([this] { impl_->io.run(); });
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->io.stop();
  });
  thread_.join();
}

}  // namespace logship
