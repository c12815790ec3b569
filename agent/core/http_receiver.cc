#include "agent/core/http_receiver.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "agent/core/admin_server.h"
#include "agent/core/listener.h"
#include "agent/core/log.h"
#include "agent/support/ascii.h"

namespace logship {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

HttpBody HttpBody::copyOf(std::string_view bytes) {
  HttpBody body;
  body.data = std::make_unique_for_overwrite<char[]>(bytes.size() + kHttpBodyPadding);
  if (!bytes.empty()) std::memcpy(body.data.get(), bytes.data(), bytes.size());
  std::memset(body.data.get() + bytes.size(), 0, kHttpBodyPadding);
  body.size = bytes.size();
  return body;
}

namespace {

// A header token as compared: surrounding blanks dropped, lower case.
std::string headerToken(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::string out(text);
  for (char& c : out) c = asciiLower(c);
  return out;
}

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

bool parseBodyEncoding(std::string_view content_encoding, BodyEncoding* out) {
  const std::string name = headerToken(content_encoding);
  if (name.empty() || name == "identity") {
    *out = BodyEncoding::kIdentity;
  } else if (name == "gzip" || name == "x-gzip") {
    *out = BodyEncoding::kGzip;
  } else if (name == "deflate") {
    *out = BodyEncoding::kDeflate;
  } else if (name == "zstd") {
    *out = BodyEncoding::kZstd;
  } else if (name == "snappy") {
    *out = BodyEncoding::kSnappy;
  } else {
    return false;
  }
  return true;
}

namespace {

// Output grows in steps, so a bomb is stopped within one step of the limit.
constexpr size_t kInflateStep = 64 << 10;

DecompressStatus inflateBody(std::string_view in, size_t max_bytes, std::string& out) {
  z_stream z{};
  // 15 window bits + 32: a gzip or a zlib header, whichever the body has.
  if (inflateInit2(&z, 15 + 32) != Z_OK) return DecompressStatus::kCorrupt;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_bytes + 1) break;
    const size_t at = out.size();
    out.resize(std::min(at + kInflateStep, max_bytes + 1));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
    z.avail_out = static_cast<uInt>(out.size() - at);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) rc = Z_DATA_ERROR;  // truncated
    if (rc != Z_OK && rc != Z_STREAM_END) break;
  }
  inflateEnd(&z);
  if (out.size() > max_bytes) return DecompressStatus::kTooLarge;
  return rc == Z_STREAM_END ? DecompressStatus::kOk : DecompressStatus::kCorrupt;
}

DecompressStatus zstdBody(std::string_view in, size_t max_bytes, std::string& out) {
  const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return DecompressStatus::kCorrupt;
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_bytes) {
    return DecompressStatus::kTooLarge;
  }
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!ctx) return DecompressStatus::kCorrupt;
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t left = 1;  // ZSTD_decompressStream's hint: 0 once a frame is complete
  while (input.pos < input.size || left != 0) {
    if (out.size() >= max_bytes + 1) return DecompressStatus::kTooLarge;
    const size_t at = out.size();
    out.resize(std::min(at + kInflateStep, max_bytes + 1));
    ZSTD_outBuffer output{out.data() + at, out.size() - at, 0};
    left = ZSTD_decompressStream(ctx.get(), &output, &input);
    out.resize(at + output.pos);
    if (ZSTD_isError(left)) return DecompressStatus::kCorrupt;
    if (left != 0 && input.pos == input.size && output.pos < output.size) {
      return DecompressStatus::kCorrupt;  // truncated
    }
  }
  return out.size() > max_bytes ? DecompressStatus::kTooLarge : DecompressStatus::kOk;
}

}  // namespace

DecompressStatus decompressBody(BodyEncoding encoding, std::string_view in, size_t max_bytes,
                                HttpBody& out) {
  if (encoding == BodyEncoding::kIdentity) {
    if (in.size() > max_bytes) return DecompressStatus::kTooLarge;
    out = HttpBody::copyOf(in);
    return DecompressStatus::kOk;
  }
  if (encoding == BodyEncoding::kSnappy) {
    size_t length = 0;
    if (!snappy::GetUncompressedLength(in.data(), in.size(), &length)) {
      return DecompressStatus::kCorrupt;
    }
    if (length > max_bytes) return DecompressStatus::kTooLarge;
    HttpBody body;
    body.data = std::make_unique_for_overwrite<char[]>(length + kHttpBodyPadding);
    if (!snappy::RawUncompress(in.data(), in.size(), body.data.get())) {
      return DecompressStatus::kCorrupt;
    }
    std::memset(body.data.get() + length, 0, kHttpBodyPadding);
    body.size = length;
    out = std::move(body);
    return DecompressStatus::kOk;
  }
  std::string plain;
  const DecompressStatus status = encoding == BodyEncoding::kZstd
                                      ? zstdBody(in, max_bytes, plain)
                                      : inflateBody(in, max_bytes, plain);
  if (status == DecompressStatus::kOk) out = HttpBody::copyOf(plain);
  return status;
}

class HttpReceiverSession;

struct HttpReceiver::State {
  State(HttpReceiverSettings s, SourceContext& c)
      : settings(std::move(s)), context(c), acceptor(c.io()) {}

  const HttpReceiverSettings settings;
  SourceContext& context;
  std::map<std::string, HttpDecoder, std::less<>> routes;
  tcp::acceptor acceptor;
  std::optional<ssl::context> tls;
  std::set<HttpReceiverSession*> sessions;
  bool accepting = false;
  bool stopped = false;
  LogThrottle refusals;

  const HttpDecoder* decoderFor(std::string_view path) const {
    auto it = routes.find(path);
    if (it == routes.end()) it = routes.find(std::string_view("*"));
    return it == routes.end() ? nullptr : &it->second;
  }
  // Counts a refused request; the context is the source's only until it stops.
  void refused(std::string_view reason) {
    if (!stopped) context.metrics().error(reason);
  }
  void accept(const std::shared_ptr<State>& self);
  void sessionEnded(HttpReceiverSession* session, const std::shared_ptr<State>& self);
};

namespace {

// Resolves a batch's acknowledgement into a call on the worker that emitted it; owns itself from
// the token's creation to its resolution, which may come on any thread.
class AckWaiter final : public AckReceiver {
 public:
  AckWaiter(asio::io_context& io, std::function<void(AckStatus)> done)
      : io_(io), done_(std::move(done)) {}
  void acknowledge(uint64_t, AckStatus status) override {
    asio::post(io_, [done = std::move(done_), status] { done(status); });
    delete this;
  }

 private:
  asio::io_context& io_;
  std::function<void(AckStatus)> done_;
};

std::string peerAddress(const tcp::socket& socket) {
  beast::error_code ec;
  auto address = socket.remote_endpoint(ec).address();
  if (ec) return {};
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

std::string mediaTypeOf(std::string_view content_type) {
  return headerToken(content_type.substr(0, content_type.find(';')));
}

}  // namespace

class HttpReceiverSession {
 public:
  virtual ~HttpReceiverSession() = default;
  // The receiver stops: a connection waiting for its next request is closed.
  virtual void closeIfIdle() = 0;
};

namespace {

template <class Stream>
class Session final : public HttpReceiverSession,
                      public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<HttpReceiver::State> state, std::string peer_ip)
      : stream_(std::move(stream)), state_(std::move(state)), peer_ip_(std::move(peer_ip)) {
    state_->sessions.insert(this);
  }
  ~Session() override { state_->sessionEnded(this, state_); }

  void run() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      readHeader();
    } else {
      idle_ = true;
      beast::get_lowest_layer(stream_).expires_after(state_->settings.idle_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                self->idle_ = false;
                                if (!ec && !self->state_->stopped) self->readHeader();
                              });
    }
  }

  void closeIfIdle() override {
    if (!idle_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

 private:
  void readHeader() {
    parser_.emplace();
    parser_->header_limit(64 << 10);
    parser_->body_limit(state_->settings.max_body_bytes);
    idle_ = true;
    beast::get_lowest_layer(stream_).expires_after(state_->settings.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->idle_ = false;
                              self->onHeader(ec);
                            });
  }

  void onHeader(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return refuse(413, "too_large", "413 request body larger than max_body_bytes\n");
    }
    if (ec) return;  // closed, timed out, or not HTTP: nothing to answer
    auto& request = parser_->get();
    if (!state_->settings.token.empty() &&
        !bearerTokenMatches(view(request[http::field::authorization]), state_->settings.token)) {
      return refuse(401, "unauthorized",
                    "401 unauthorized: send Authorization: Bearer <token> (auth.token_file)\n");
    }
    const std::string_view target = view(request.target());
    const size_t q = target.find('?');
    path_ = std::string(target.substr(0, q));
    query_ = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
    decoder_ = state_->decoderFor(path_);
    if (decoder_ == nullptr) return refuse(404, "not_found", "404 no receiver on " + path_ + "\n");
    if (request.method() != http::verb::post) {
      return refuse(405, "method_not_allowed", "405 send logs with POST\n");
    }
    const std::string_view encoding = view(request[http::field::content_encoding]);
    if (!parseBodyEncoding(encoding, &encoding_)) {
      return refuse(415, "unsupported_encoding",
                    "415 unsupported Content-Encoding '" + std::string(encoding) +
                        "' (identity, gzip, deflate, zstd, snappy)\n");
    }
    if (state_->stopped) return refuse(503, "stopping", "503 the receiver is stopping\n");
    if (state_->context.downstreamFull()) {
      return refuse(429, "downstream_full", "429 an output downstream is full; retry later\n");
    }
    if (beast::iequals(request[http::field::expect], "100-continue")) {
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                        request.version());
      http::async_write(stream_, *interim,
                        [self = this->shared_from_this(), interim](beast::error_code ec, size_t) {
                          if (!ec) self->readBody();
                        });
      return;
    }
    readBody();
  }

  void readBody() {
    beast::get_lowest_layer(stream_).expires_after(state_->settings.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onBody(ec); });
  }

  void onBody(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return refuse(413, "too_large", "413 request body larger than max_body_bytes\n");
    }
    if (ec) return;
    body_read_ = true;
    if (state_->stopped) return refuse(503, "stopping", "503 the receiver is stopping\n");
    auto& request = parser_->get();
    ReceivedHttpRequest req;
    req.path = path_;
    req.query = query_;
    const std::string media_type = mediaTypeOf(view(request[http::field::content_type]));
    req.media_type = media_type;
    req.peer_ip = peer_ip_;
    switch (decompressBody(encoding_, request.body(), state_->settings.max_body_bytes, req.body)) {
      case DecompressStatus::kOk:
        break;
      case DecompressStatus::kTooLarge:
        return refuse(413, "too_large", "413 decompressed body larger than max_body_bytes\n");
      case DecompressStatus::kCorrupt:
        return refuse(400, "bad_encoding",
                      "400 the body is not valid " +
                          std::string(view(request[http::field::content_encoding])) + "\n");
    }
    request.body() = {};
    const size_t body_bytes = req.body.size;
    HttpDecoded decoded;
    try {
      decoded = (*decoder_)(req);
    } catch (const std::exception& e) {
      return refuse(500, "decoder_failed", std::string("500 ") + e.what() + "\n");
    }
    if (decoded.reply.status >= 300) {
      state_->refused("bad_request");
      return respond(std::move(decoded.reply));
    }
    if (decoded.batch.events().empty()) return respond(std::move(decoded.reply));
    state_->context.metrics().received(decoded.batch.events().size(), body_bytes);
    decoded.batch.ack() = AckToken(
        new AckWaiter(state_->context.io(),
                      [self = this->shared_from_this(), reply = std::move(decoded.reply)](
                          AckStatus status) mutable { self->onAck(status, std::move(reply)); }),
        0);
    state_->context.emit(std::move(decoded.batch));
  }

  void onAck(AckStatus status, HttpReply reply) {
    if (status == AckStatus::kErrored) {
      retry_after_ = true;
      reply = {503, "text/plain; charset=utf-8",
               "503 an output could not take the batch; send it again\n"};
    }
    respond(std::move(reply));
  }

  // Answers without reading the body (or what is left of it): the connection closes after.
  void refuse(int status, std::string_view reason, std::string text) {
    state_->refused(reason);
    if (status == 429 || status == 503) retry_after_ = true;
    if (status != 401 && status < 500) {
      state_->refusals.log(LogLevel::kWarn, "http source '" + state_->settings.name +
                                                "': " + std::to_string(status) + " to " + peer_ip_ +
                                                " (" + std::string(reason) + ")");
    }
    respond({status, "text/plain; charset=utf-8", std::move(text)});
  }

  void respond(HttpReply reply) {
    const bool have_request = parser_ && parser_->is_header_done();
    response_ = {};
    response_.version(have_request ? parser_->get().version() : 11);
    response_.result(static_cast<http::status>(reply.status));
    response_.set(http::field::server, "logship");
    if (!reply.body.empty()) response_.set(http::field::content_type, reply.content_type);
    if (reply.status == 401)
      response_.set(http::field::www_authenticate, "Bearer realm=\"logship\"");
    if (reply.status == 405) response_.set(http::field::allow, "POST");
    if (retry_after_) response_.set(http::field::retry_after, "1");
    retry_after_ = false;
    response_.keep_alive(body_read_ && have_request && parser_->get().keep_alive() &&
                         state_->settings.keep_alive && !state_->stopped);
    response_.body() = std::move(reply.body);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(state_->settings.idle_timeout);
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (self->response_.keep_alive()) {
                          self->body_read_ = false;
                          self->readHeader();
                        } else {
                          self->drainAndClose();
                        }
                      });
  }

  // Closing a socket with unread input resets the connection, and the client may lose the answer
  // before reading it: stop sending, then read and drop what comes for a short while.
  void drainAndClose() {
    auto& lowest = beast::get_lowest_layer(stream_);
    beast::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    beast::get_lowest_layer(stream_).async_read_some(
        asio::buffer(scratch_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (!ec) self->drain();
        });
  }

  Stream stream_;
  std::shared_ptr<HttpReceiver::State> state_;
  std::string peer_ip_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string path_;
  std::string query_;
  const HttpDecoder* decoder_ = nullptr;
  BodyEncoding encoding_ = BodyEncoding::kIdentity;
  bool idle_ = false;       // waiting for a request (or a handshake) to begin
  bool body_read_ = false;  // the request was read whole: the connection may be kept
  bool retry_after_ = false;
  char scratch_[4096];
};

}  // namespace

void HttpReceiver::State::accept(const std::shared_ptr<State>& self) {
  if (stopped || accepting || sessions.size() >= settings.max_connections) return;
  accepting = true;
  acceptor.async_accept([self](beast::error_code ec, tcp::socket socket) {
    self->accepting = false;
    if (ec == asio::error::operation_aborted || self->stopped) return;
    if (!ec) {
      std::string peer = peerAddress(socket);
      if (self->tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *self->tls),
            self, std::move(peer))
            ->run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), self,
                                                     std::move(peer))
            ->run();
      }
    }
    self->accept(self);
  });
}

void HttpReceiver::State::sessionEnded(HttpReceiverSession* session,
                                       const std::shared_ptr<State>& self) {
  sessions.erase(session);
  accept(self);
}

HttpReceiver::HttpReceiver(HttpReceiverSettings settings, SourceContext& context)
    : state_(std::make_shared<State>(std::move(settings), context)) {}

HttpReceiver::~HttpReceiver() { stop(); }

void HttpReceiver::route(std::string path, HttpDecoder decoder) {
  state_->routes[std::move(path)] = std::move(decoder);
}

bool HttpReceiver::start(std::string* error) {
  const HttpReceiverSettings& s = state_->settings;
  if (!s.tls_cert_file.empty()) {
    state_->tls.emplace(ssl::context::tls_server);
    if (!loadServerTls(*state_->tls,
                       {s.tls_cert_file, s.tls_key_file, s.tls_ca_file, s.tls_verify_client},
                       error)) {
      *error = "tls: " + *error;
      return false;
    }
  }
  if (!listenOn(state_->acceptor, s.address, error)) return false;
  state_->accept(state_);
  return true;
}

void HttpReceiver::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  // Closing may end a session, which erases itself from the set.
  std::vector<HttpReceiverSession*> sessions(state_->sessions.begin(), state_->sessions.end());
  for (HttpReceiverSession* session : sessions) session->closeIfIdle();
}

uint16_t HttpReceiver::port() const {
  beast::error_code ec;
  const auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

}  // namespace logship
