#include "agent/core/admin_server.h"

#include <openssl/crypto.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "agent/core/log.h"

namespace logship {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string hostOf(std::string_view address) {
  const size_t colon = address.rfind(':');
  std::string host(address.substr(0, colon == std::string_view::npos ? address.size() : colon));
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

bool isLoopbackAddress(std::string_view address) {
  const std::string host = hostOf(address);
  if (host == "localhost") return true;
  beast::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  return !ec && ip.is_loopback();
}

bool bearerTokenMatches(std::string_view presented, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || presented.size() <= kScheme.size()) return false;
  // The scheme is case-insensitive (RFC 7235).
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(presented[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return false;
    }
  }
  presented.remove_prefix(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  // Only the length can be learnt from the time taken, not the bytes.
  if (presented.size() != token.size()) return false;
  return CRYPTO_memcmp(presented.data(), token.data(), token.size()) == 0;
}

// Threads serving requests: room for two taps' long polls with probes still answered.
constexpr int kThreads = 3;

int AdminAccess::refusal(AdminServer::Access access, std::string_view authorization) const {
  using Access = AdminServer::Access;
  if (access == Access::kProbe || (access == Access::kMetrics && metrics_public_)) return 0;
  if (!token_.empty()) return bearerTokenMatches(authorization, token_) ? 0 : 401;
  return isLoopbackAddress(address_) ? 0 : 403;
}

std::string AdminAccess::lockedReason() const {
  if (!token_.empty() || isLoopbackAddress(address_)) return {};
  return "the admin server listens on " + address_ +
         " without admin.auth.token_file: /status, /tap and /reload answer 403" +
         (metrics_public_ ? "" : " (and /metrics, as metrics_public is false)") +
         " until a token is set";
}

struct AdminServer::State {
  struct Route {
    Access access;
    Handler handler;
  };

  explicit State(Settings s)
      : settings(std::move(s)), access(settings.address, settings.token, settings.metrics_public) {}

  const Settings settings;  // as started; the token and metrics_public may change in `access`
  std::mutex mutex;
  AdminAccess access;  // under `mutex`
  std::map<std::string, Route> routes;
  asio::io_context io{kThreads};
  tcp::acceptor acceptor{io};
  std::optional<ssl::context> tls;
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  LogThrottle refusals;

  int refusal(Access access, std::string_view authorization) {
    std::lock_guard lock(mutex);
    return this->access.refusal(access, authorization);
  }

  std::string lockedReason() {
    std::lock_guard lock(mutex);
    return access.lockedReason();
  }

  void count(const std::string& path, int status) {
    if (requests == nullptr) return;
    requests
        ->Add({{"endpoint", routes.count(path) ? path : "other"}, {"code", std::to_string(status)}})
        .Increment();
  }
};

namespace {

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, AdminServer::State& state, std::string peer)
      : stream_(std::move(stream)), state_(state), peer_(std::move(peer)) {}

  void run() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    }
  }

 private:
  void read() {
    request_ = {};
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->respond();
                     });
  }

  void respond() {
    AdminServer::Request req;
    req.method = std::string(request_.method_string());
    const std::string target(request_.target());
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    req.body = request_.body();
    req.peer = peer_;
    AdminServer::Response res;
    auto it = state_.routes.find(req.path);
    const auto access = it == state_.routes.end() ? AdminServer::Access::kProbe : it->second.access;
    if (it == state_.routes.end()) {
      res = {404, "text/plain; charset=utf-8", "not found\n"};
    } else if (const auto authorization = request_[http::field::authorization];
               int refused = state_.refusal(
                   access, std::string_view(authorization.data(), authorization.size()))) {
      res.status = refused;
      res.body = refused == 401 ? "401 unauthorized: send Authorization: Bearer <token> (the "
                                  "file in admin.auth.token_file)\n"
                                : "403 forbidden: " + state_.lockedReason() + "\n";
      state_.refusals.log(LogLevel::kWarn, "admin: refused " + req.method + " " + req.path +
                                               " from " + peer_ + " (" + std::to_string(refused) +
                                               ")");
    } else {
      try {
        res = it->second.handler(req);
      } catch (const std::exception& e) {
        res = {500, "text/plain; charset=utf-8", std::string(e.what()) + "\n"};
      }
      if (access == AdminServer::Access::kControl) {
        logInfo("admin: " + req.method + " " + target + " from " + peer_ + ": " +
                std::to_string(res.status));
      }
    }
    state_.count(req.path, res.status);
    response_ = {};
    response_.version(request_.version());
    response_.result(static_cast<http::status>(res.status));
    response_.set(http::field::content_type, res.content_type);
    response_.set(http::field::server, "logship");
    if (res.status == 401) response_.set(http::field::www_authenticate, "Bearer realm=\"logship\"");
    response_.keep_alive(request_.keep_alive());
    response_.body() = std::move(res.body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (self->response_.keep_alive()) {
                          self->read();
                        } else {
                          self->close();
                        }
                      });
  }

  void close() {
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    } else {
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  AdminServer::State& state_;
  std::string peer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void accept(AdminServer::State& state) {
  state.acceptor.async_accept([&state](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      beast::error_code ignored;
      const auto remote = socket.remote_endpoint(ignored);
      std::string peer = remote.address().to_string() + ":" + std::to_string(remote.port());
      if (state.tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *state.tls),
            state, std::move(peer))
            ->run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), state,
                                                     std::move(peer))
            ->run();
      }
    }
    accept(state);
  });
}

}  // namespace

AdminServer::AdminServer(Settings settings, prometheus::Registry* registry)
    : state_(std::make_shared<State>(std::move(settings))) {
  if (registry != nullptr) {
    state_->requests = &prometheus::BuildCounter()
                            .Name("logship_admin_requests_total")
                            .Help("Requests to the admin server, by endpoint and status code.")
                            .Register(*registry);
  }
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::route(const std::string& path, Access access, Handler handler) {
  state_->routes[path] = State::Route{access, std::move(handler)};
}

void AdminServer::setAccess(std::string token, bool metrics_public) {
  std::lock_guard lock(state_->mutex);
  state_->access = AdminAccess(state_->settings.address, std::move(token), metrics_public);
}

std::string AdminServer::controlLockedReason() const { return state_->lockedReason(); }

void AdminServer::start() {
  const std::string& address = state_->settings.address;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    throw std::runtime_error("admin address '" + address + "' must be host:port");
  }
  beast::error_code ec;
  auto ip = asio::ip::make_address(hostOf(address), ec);
  if (ec) throw std::runtime_error("admin address '" + address + "': bad IP address");
  const unsigned long port = std::stoul(address.substr(colon + 1));
  if (!state_->settings.tls_cert_file.empty()) {
    state_->tls.emplace(ssl::context::tls_server);
    state_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
    state_->tls->use_certificate_chain_file(state_->settings.tls_cert_file, ec);
    if (!ec)
      state_->tls->use_private_key_file(state_->settings.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      throw std::runtime_error("admin tls: cannot load " + state_->settings.tls_cert_file + " / " +
                               state_->settings.tls_key_file + ": " + ec.message());
    }
  }
  tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("admin server cannot listen on " + address + ": " + ec.message());
  }
  port_ = acceptor.local_endpoint().port();
  logInfo(
      std::string("admin: ") + (state_->tls ? "https" : "http") + " on " + hostOf(address) + ":" +
      std::to_string(port_) + "; control endpoints " +
      (state_->settings.token.empty()
           ? (isLoopbackAddress(address) ? "open to local clients (loopback, no token)" : "locked")
           : "need the Bearer token") +
      "; /metrics " + (state_->settings.metrics_public ? "open" : "needs the token"));
  if (std::string why = controlLockedReason(); !why.empty()) logWarn("admin: " + why);
  accept(*state_);
  for (int i = 0; i < kThreads; ++i) threads_.emplace_back([state = state_] { state->io.run(); });
}

void AdminServer::stop() {
  if (threads_.empty()) return;
  asio::post(state_->io, [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
    state->io.stop();
  });
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace logship
