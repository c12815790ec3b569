#include "outputs/common/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <unordered_set>

namespace logship {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct BeastHttpClient::Impl {
  Impl(asio::io_context& io_context, HttpClientSettings s)
      : io(io_context), settings(std::move(s)), resolver(io_context) {
    host_header = settings.endpoint.host;
    if (host_header.find(':') != std::string::npos) host_header = "[" + host_header + "]";
    bool default_port = settings.endpoint.port == (settings.endpoint.tls ? "443" : "80");
    if (!default_port) host_header += ":" + settings.endpoint.port;
  }
  asio::io_context& io;
  HttpClientSettings settings;
  std::string host_header;
  std::optional<ssl::context> tls;
  tcp::resolver resolver;
  std::vector<std::shared_ptr<Connection>> idle;
  std::unordered_set<std::shared_ptr<Connection>> busy;
  bool closed = false;

  void release(std::shared_ptr<Connection> connection, bool reusable);
};

class BeastHttpClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(std::shared_ptr<BeastHttpClient::Impl> impl)
      : owner_(std::move(impl)), impl_(*owner_) {
    if (impl_.tls) {
      tls_.emplace(impl_.io, *impl_.tls);
    } else {
      plain_.emplace(impl_.io);
    }
  }

  void start(std::shared_ptr<const HttpRequest> request, Callback done, bool reused) {
    request_ = std::move(request);
    done_ = std::move(done);
    reused_ = reused;
    if (connected_) {
      write();
    } else {
      connect();
    }
  }

  void close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    connected_ = false;
  }

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  template <class F>
  void withStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }

  void connect() {
    auto self = shared_from_this();
    if (tls_ && used_) {
      // An SSL stream cannot be reused after a failure: start over with a fresh one.
      tls_.emplace(impl_.io, *impl_.tls);
    }
    used_ = true;
    const HttpEndpoint& e = impl_.settings.endpoint;
    impl_.resolver.async_resolve(
        e.host, e.port, [self](const beast::error_code& ec, tcp::resolver::results_type results) {
          if (ec) return self->fail(ec, "resolve", false);
          self->lowest().expires_after(self->impl_.settings.connect_timeout);
          self->lowest().async_connect(results,
                                       [self](const beast::error_code& ec, const tcp::endpoint&) {
                                         if (ec) return self->fail(ec, "connect", false);
                                         self->lowest().socket().set_option(tcp::no_delay(true));
                                         if (self->tls_) return self->handshake();
                                         self->connected_ = true;
                                         self->write();
                                       });
        });
  }

  void handshake() {
    auto self = shared_from_this();
    const std::string& name = impl_.settings.tls.server_name.empty()
                                  ? impl_.settings.endpoint.host
                                  : impl_.settings.tls.server_name;
    // SNI carries host names only (RFC 6066 section 3); an address is verified, not sent.
    beast::error_code not_an_address;
    asio::ip::make_address(name, not_an_address);
    if (not_an_address && !SSL_set_tlsext_host_name(tls_->native_handle(), name.c_str())) {
      return fail(
          beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
          "tls", false);
    }
    if (impl_.settings.tls.verify) {
      tls_->set_verify_callback(ssl::host_name_verification(name));
    }
    lowest().expires_after(impl_.settings.connect_timeout);
    tls_->async_handshake(ssl::stream_base::client, [self](const beast::error_code& ec) {
      if (ec) return self->fail(ec, "tls handshake", false);
      self->connected_ = true;
      self->write();
    });
  }

  void write() {
    auto self = shared_from_this();
    message_ = {};
    message_.version(11);
    message_.method(http::string_to_verb(request_->method));
    target_ = impl_.settings.endpoint.base_path + request_->target;
    if (target_.empty()) target_ = "/";
    message_.target(target_);
    message_.set(http::field::host, impl_.host_header);
    message_.set(http::field::user_agent, "logship");
    for (auto& [name, value] : impl_.settings.headers) message_.set(name, value);
    for (auto& [name, value] : request_->headers) message_.set(name, value);
    message_.body() =
        http::span_body<const char>::value_type(request_->body.data(), request_->body.size());
    message_.prepare_payload();
    message_.keep_alive(true);
    lowest().expires_after(impl_.settings.request_timeout);
    withStream([&](auto& stream) {
      http::async_write(stream, message_, [self](const beast::error_code& ec, size_t) {
        if (ec) return self->fail(ec, "write", true);
        self->read();
      });
    });
  }

  void read() {
    auto self = shared_from_this();
    parser_.emplace();
    parser_->body_limit(impl_.settings.max_response_bytes);
    // The header first, on its own: a body whose Content-Length is over the limit is refused
    // before any of it is read. (Read in one go, Boost 1.74's parser lets such a body through when
    // it arrives in the same read as the header.)
    withStream([&](auto& stream) {
      http::async_read_header(stream, buffer_, *parser_,
                              [self](const beast::error_code& ec, size_t) {
                                if (ec) return self->fail(ec, "read", !self->parser_->got_some());
                                auto length = self->parser_->content_length();
                                if (length && *length > self->impl_.settings.max_response_bytes) {
                                  return self->fail(http::error::body_limit, "read", false);
                                }
                                self->readBody();
                              });
    });
  }

  void readBody() {
    auto self = shared_from_this();
    withStream([&](auto& stream) {
      http::async_read(stream, buffer_, *parser_, [self](const beast::error_code& ec, size_t) {
        if (ec) return self->fail(ec, "read", false);
        self->lowest().expires_never();
        auto& msg = self->parser_->get();
        HttpResponse response;
        response.status = static_cast<int>(msg.result_int());
        response.body = std::move(msg.body());
        if (auto it = msg.find(http::field::retry_after); it != msg.end()) {
          response.retry_after = std::string(it->value());
        }
        if (auto it = msg.find(http::field::etag); it != msg.end()) {
          response.etag = std::string(it->value());
        }
        if (auto it = msg.find(http::field::content_type); it != msg.end()) {
          response.content_type = std::string(it->value());
        }
        bool keep = msg.keep_alive();
        self->finish(std::move(response), keep);
      });
    });
  }

  // `before_response`: nothing of a response arrived, so a request on a connection the server
  // closed while it sat idle can be sent again on a new one.
  void fail(const beast::error_code& ec, const char* stage, bool before_response) {
    close();
    if (reused_ && before_response && ec != asio::error::operation_aborted && !impl_.closed) {
      reused_ = false;
      buffer_.clear();
      connect();
      return;
    }
    HttpResponse response;
    response.error = std::string(stage) + ": " + ec.message();
    if (ec == beast::error::timeout) response.error = std::string(stage) + ": timed out";
    finish(std::move(response), false);
  }

  void finish(HttpResponse&& response, bool reusable) {
    Callback done = std::move(done_);
    done_ = nullptr;
    request_.reset();
    parser_.reset();
    if (!reusable) {
      close();
      buffer_.clear();
    }
    impl_.release(shared_from_this(), reusable && connected_);
    if (done) done(std::move(response));
  }

  // Handlers may run after the client is gone; the shared state lives as long as they do.
  std::shared_ptr<BeastHttpClient::Impl> owner_;
  BeastHttpClient::Impl& impl_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::string target_;
  http::request<http::span_body<const char>> message_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::shared_ptr<const HttpRequest> request_;
  Callback done_;
  bool connected_ = false;
  bool reused_ = false;
  bool used_ = false;
};

BeastHttpClient::BeastHttpClient(asio::io_context& io, HttpClientSettings settings)
    : impl_(std::make_shared<Impl>(io, std::move(settings))) {}

BeastHttpClient::~BeastHttpClient() { shutdown(); }

bool BeastHttpClient::init(std::string* error) {
  if (!impl_->settings.endpoint.tls) return true;
  try {
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    const HttpTlsConfig& tls = impl_->settings.tls;
    if (tls.ca_file.empty()) {
      ctx.set_default_verify_paths();
    } else {
      ctx.load_verify_file(tls.ca_file);
    }
    if (!tls.cert_file.empty()) {
      ctx.use_certificate_chain_file(tls.cert_file);
      ctx.use_private_key_file(tls.key_file, ssl::context::pem);
    }
    ctx.set_verify_mode(tls.verify ? ssl::verify_peer : ssl::verify_none);
    impl_->tls.emplace(std::move(ctx));
  } catch (const boost::system::system_error& e) {
    *error = std::string("TLS setup failed: ") + e.what();
    return false;
  }
  return true;
}

void BeastHttpClient::send(std::shared_ptr<const HttpRequest> request, Callback done) {
  if (impl_->closed || (impl_->settings.endpoint.tls && !impl_->tls)) {
    HttpResponse response;
    response.error = impl_->closed ? "client shut down" : "TLS is not set up";
    asio::post(impl_->io, [done = std::move(done), response = std::move(response)]() mutable {
      done(std::move(response));
    });
    return;
  }
  std::shared_ptr<Connection> connection;
  bool reused = false;
  if (!impl_->idle.empty()) {
    connection = std::move(impl_->idle.back());
    impl_->idle.pop_back();
    reused = true;
  } else {
    connection = std::make_shared<Connection>(impl_);
  }
  impl_->busy.insert(connection);
  connection->start(std::move(request), std::move(done), reused);
}

void BeastHttpClient::Impl::release(std::shared_ptr<Connection> connection, bool reusable) {
  busy.erase(connection);
  if (reusable && !closed && idle.size() < settings.max_idle_connections) {
    idle.push_back(std::move(connection));
  }
}

void BeastHttpClient::shutdown() {
  impl_->closed = true;
  impl_->resolver.cancel();
  for (auto& c : impl_->idle) c->close();
  impl_->idle.clear();
  // Closing makes their pending operations complete with an error on the io_context.
  auto busy = impl_->busy;
  for (auto& c : busy) c->close();
}

void BeastHttpClient::setHeader(const std::string& name, const std::string& value) {
  for (auto& [n, v] : impl_->settings.headers) {
    if (n == name) {
      v = value;
      return;
    }
  }
  impl_->settings.headers.emplace_back(name, value);
}

}  // namespace logship
