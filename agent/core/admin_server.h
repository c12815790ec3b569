#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace prometheus {
class Registry;
}

namespace logship {

// The admin HTTP server: /healthz and /readyz for probes, /metrics for Prometheus, and the
// control endpoints (/status, /tap, /reload). HTTP/1.1, or HTTPS with a certificate, on a few
// threads of its own, so that a handler that waits (a tap's long poll) leaves the others
// answering probes; handlers may run concurrently.
//
// Who may call what: probes are always answered; /metrics too unless metrics_public is off; the
// control endpoints need `Authorization: Bearer <token>` when a token is set (401 without), and
// without one they answer only on a loopback address (403 elsewhere, with the reason): on a
// shared network any pod could otherwise stream raw events or reload the pipeline. Every control
// request is logged with its peer and counted (`logship_admin_requests_total`); refusals are
// logged at WARN, at most one line per 10 s.
class AdminServer {
 public:
  enum class Access { kProbe, kMetrics, kControl };
  struct Request {
    std::string method;
    std::string path;
    std::string query;
    std::string body;
    std::string peer;  // "address:port" of the client
  };
  struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };
  using Handler = std::function<Response(const Request&)>;

  struct Settings {
    std::string address = "127.0.0.1:9555";
    std::string token;  // the Bearer token itself; empty: no auth
    bool metrics_public = true;
    std::string tls_cert_file;  // PEM chain; with tls_key_file, HTTPS
    std::string tls_key_file;
  };

  // `registry` (may be null) receives the request counter.
  AdminServer(Settings settings, prometheus::Registry* registry);
  ~AdminServer();

  void route(const std::string& path, Access access, Handler handler);
  // Takes a reloaded configuration's token and metrics_public; the address and TLS settings
  // take a restart. Thread-safe.
  void setAccess(std::string token, bool metrics_public);
  // Binds and starts serving; throws std::runtime_error naming the address when it cannot bind
  // or the certificate cannot be loaded.
  void start();
  void stop();
  uint16_t port() const { return port_; }
  // Why the control endpoints answer 403 to everyone (no token on a non-loopback address), or "".
  std::string controlLockedReason() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
};

// Who may use which endpoint of an admin server (see AdminServer).
class AdminAccess {
 public:
  AdminAccess(std::string address, std::string token, bool metrics_public)
      : address_(std::move(address)), token_(std::move(token)), metrics_public_(metrics_public) {}
  // 0 when a request to an endpoint of `access` with this Authorization header may proceed,
  // else the status to refuse it with: 401 (token missing or wrong) or 403 (no token is set and
  // the server listens beyond loopback).
  int refusal(AdminServer::Access access, std::string_view authorization) const;
  // Why control endpoints answer 403 to everyone, or "".
  std::string lockedReason() const;

 private:
  std::string address_;
  std::string token_;
  bool metrics_public_;
};

// Whether the host of `address` ("host:port", "[v6]:port") is a loopback address.
bool isLoopbackAddress(std::string_view address);

// Whether `presented` (the Authorization header's value) carries `token`, compared in constant
// time.
bool bearerTokenMatches(std::string_view presented, std::string_view token);

}  // namespace logship
