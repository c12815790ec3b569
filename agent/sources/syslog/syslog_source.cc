#include "agent/sources/syslog/syslog_source.h"

#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "agent/sources/syslog/syslog_framing.h"
#include "agent/support/json_writer.h"

namespace logship {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kReadBytes = 64 << 10;
constexpr auto kResumeInterval = std::chrono::milliseconds(20);
constexpr auto kRetryListen = std::chrono::seconds(5);
constexpr auto kRetryAccept = std::chrono::milliseconds(200);
constexpr size_t kDatagramsPerWakeup = 1024;  // then the worker's other work gets a turn

// A unix socket path left by an earlier run is removed; anything else there (a file, or a socket
// another process still serves, like journald's /dev/log) is not ours to take.
void removeStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;  // nothing there
  if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path + " exists and is not a socket");
  const int probe = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const bool served =
      probe >= 0 && ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  if (probe >= 0) ::close(probe);
  if (served) throw std::runtime_error(path + " is in use by another process");
  ::unlink(path.c_str());
}

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// Messages received since the last flush, copied into one buffer that becomes the batch's raw
// bytes; events are made at the flush, when the buffer no longer moves.
struct SyslogSource::Pending {
  struct Item {
    size_t offset;
    size_t size;
    int64_t received_ns;
    uint32_t peer;  // index into peers
    uint16_t port;
    bool truncated;
  };
  std::unique_ptr<char[]> buffer;
  size_t size = 0;
  size_t capacity = 0;
  std::vector<Item> items;
  std::vector<std::string> peers;  // distinct sender addresses of this batch
  uint64_t truncated = 0;

  uint32_t peerIndex(std::string_view ip) {
    for (size_t i = peers.size(); i-- > 0;) {
      if (peers[i] == ip) return static_cast<uint32_t>(i);
    }
    peers.emplace_back(ip);
    return static_cast<uint32_t>(peers.size() - 1);
  }
};

// Hands what the parser emits to the topology.
class SyslogSource::ParsedEmitter final : public Emitter {
 public:
  explicit ParsedEmitter(SourceContext& context) : context_(context) {}
  void emit(Batch&& batch, std::string_view) override { context_.emit(std::move(batch)); }

 private:
  SourceContext& context_;
};

// One TCP connection, plain or TLS. Reads until the peer closes, the source stops, the connection
// idles out or the pipeline is full (then it waits in paused_ until resumed).
class SyslogSource::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(SyslogSource& source, tcp::socket socket, asio::ssl::context* tls)
      : source_(source),
        alive_(source.alive_),
        frames_(source.config_.max_message_bytes.bytes),
        buffer_(new char[kReadBytes]) {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (!ec) {
      peer_ip_ = remote.address().to_string();
      peer_port_ = remote.port();
    }
    if (tls != nullptr) {
      tls_stream_.emplace(std::move(socket), *tls);
    } else {
      socket_.emplace(std::move(socket));
    }
    touch();
  }

  void start() {
    if (!tls_stream_) return read();
    auto self = shared_from_this();
    tls_stream_->async_handshake(asio::ssl::stream_base::server,
                                 [self](const boost::system::error_code& ec) {
                                   if (!*self->alive_) return;
                                   if (ec) return self->end("TLS handshake: " + ec.message());
                                   self->read();
                                 });
  }

  void read() {
    if (closed_) return;
    if (source_.downstreamFull()) {
      touch();  // waiting on us is not idling
      source_.paused_.push_back(shared_from_this());
      source_.scheduleResume();
      return;
    }
    auto self = shared_from_this();
    auto handler = [self](const boost::system::error_code& ec, size_t n) {
      if (!*self->alive_) return;
      self->onRead(ec, n);
    };
    if (tls_stream_) {
      tls_stream_->async_read_some(asio::buffer(buffer_.get(), kReadBytes), handler);
    } else {
      socket_->async_read_some(asio::buffer(buffer_.get(), kReadBytes), handler);
    }
  }

  void resume() {
    touch();
    read();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
  }

  bool idleSince(std::chrono::steady_clock::time_point cutoff) const { return last_ < cutoff; }
  // Hands on a last line that has no LF (the source is stopping).
  void finishStream() {
    size_t lost = 0;
    const std::string last = frames_.finish(&lost);
    if (!last.empty()) source_.add(last, false, nowNs(), peer_ip_, peer_port_);
    if (lost > 0) source_.context_->metrics().discarded("partial_frame", 1);
  }
  const std::string& peer() const { return peer_ip_; }

 private:
  tcp::socket& lowest() { return tls_stream_ ? tls_stream_->next_layer() : *socket_; }
  void touch() { last_ = std::chrono::steady_clock::now(); }

  void onRead(const boost::system::error_code& ec, size_t n) {
    touch();
    const int64_t now = nowNs();
    if (n > 0) {
      frames_.feed(std::string_view(buffer_.get(), n), [&](std::string_view m, bool truncated) {
        source_.add(m, truncated, now, peer_ip_, peer_port_);
      });
    }
    if (ec) {
      finishStream();
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
        return end({});
      }
      return end(ec.message());
    }
    read();
  }

  void end(const std::string& why) {
    if (!why.empty()) {
      source_.context_->metrics().error("connection");
      source_.refused_log_.log(LogLevel::kWarn, "syslog source '" + source_.id_ +
                                                    "': connection from " + peer_ip_ + ": " + why);
    }
    close();
    source_.closed(this);
  }

  SyslogSource& source_;
  std::shared_ptr<bool> alive_;
  SyslogFrameReader frames_;
  std::unique_ptr<char[]> buffer_;
  std::optional<tcp::socket> socket_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_stream_;
  std::string peer_ip_;
  uint16_t peer_port_ = 0;
  std::chrono::steady_clock::time_point last_;
  bool closed_ = false;
};

SyslogSource::SyslogSource(SyslogSourceConfig config, BuildContext& ctx,
                           const SyslogParserFactory& parser)
    : config_(std::move(config)), id_(ctx.id), pending_(std::make_unique<Pending>()) {
  if (config_.tls.defined()) {
    static const std::vector<std::string_view> kNoReserved;
    tls_config_ = ServerTlsConfig::options().parse(config_.tls, ctx.diag, kNoReserved);
  }
  parser_ = parser(config_, ctx);
}

SyslogSource::~SyslogSource() { *alive_ = false; }

void SyslogSource::start(SourceContext& context) {
  context_ = &context;
  emitter_ = std::make_unique<ParsedEmitter>(context);
  parser_->start(context);
  auto& io = context.io();
  batch_timer_ = std::make_unique<asio::steady_timer>(io);
  resume_timer_ = std::make_unique<asio::steady_timer>(io);
  sweep_timer_ = std::make_unique<asio::steady_timer>(io);
  retry_timer_ = std::make_unique<asio::steady_timer>(io);
  listen();
}

void SyslogSource::listen() {
  auto& io = context_->io();
  try {
    if (config_.mode == "tcp") {
      std::string error;
      if (tls_config_ && !tls_) {
        auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        if (!loadServerTls(*tls, *tls_config_, &error)) throw std::runtime_error("tls: " + error);
        tls_ = std::move(tls);
      }
      auto acceptor = std::make_unique<tcp::acceptor>(io);
      if (!listenOn(*acceptor, config_.address, &error)) throw std::runtime_error(error);
      acceptor_ = std::move(acceptor);
      acceptNext();
      sweepIdle();
    } else {
      const int fd_size =
          static_cast<int>(std::min<uint64_t>(config_.receive_buffer_bytes.bytes, 1u << 30));
      auto enlarge = [&](int fd) {
        // As root, SO_RCVBUFFORCE passes net.core.rmem_max; otherwise the kernel caps the size.
        if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &fd_size, sizeof fd_size) != 0) {
          ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &fd_size, sizeof fd_size);
        }
        int granted = 0;  // the kernel reports twice what it grants, for its bookkeeping
        socklen_t size = sizeof granted;
        if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &size) == 0 && granted / 2 < fd_size) {
          logWarn("syslog source '" + id_ + "': receive buffer " + std::to_string(granted / 2) +
                  " bytes, not the " + std::to_string(fd_size) +
                  " asked for (net.core.rmem_max caps it without CAP_NET_ADMIN)");
        }
      };
      if (config_.mode == "udp") {
        auto socket = std::make_unique<asio::ip::udp::socket>(io);
        asio::ip::address ip;
        uint16_t port = 0;
        std::string error;
        if (!parseListenAddress(config_.address, &ip, &port, &error)) {
          throw std::runtime_error(error);
        }
        const asio::ip::udp::endpoint endpoint(ip, port);
        socket->open(endpoint.protocol());
        enlarge(socket->native_handle());
        socket->bind(endpoint);
        socket->non_blocking(true);
        udp_ = std::move(socket);
      } else {
        auto socket = std::make_unique<asio::local::datagram_protocol::socket>(io);
        socket->open();
        removeStaleSocket(config_.address);
        enlarge(socket->native_handle());
        socket->bind(asio::local::datagram_protocol::endpoint(config_.address));
        ::chmod(config_.address.c_str(), 0666);  // like /dev/log: every local process may log
        socket->non_blocking(true);
        unix_ = std::move(socket);
      }
      waitDatagrams();
    }
    logInfo("syslog source '" + id_ + "' listens on " + config_.address + " (" + config_.mode +
            (tls_ ? ", TLS" : "") + ")");
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (why.find(config_.address) == std::string::npos) {
      why = "cannot listen on " + config_.address + ": " + why;
    }
    retryListen(why);
  }
}

void SyslogSource::retryListen(const std::string& why) {
  context_->metrics().error("listen");
  logError("syslog source '" + id_ + "': " + why + "; trying again in 5s");
  acceptor_.reset();
  udp_.reset();
  unix_.reset();
  retry_timer_->expires_after(kRetryListen);
  retry_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    listen();
  });
}

void SyslogSource::acceptNext() {
  acceptor_->async_accept([this, alive = alive_](const boost::system::error_code& ec,
                                                 tcp::socket socket) {
    if (!*alive) return;
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or buffers: trying again at once would only spin the worker.
      context_->metrics().error("accept");
      refused_log_.log(LogLevel::kWarn,
                       "syslog source '" + id_ + "' cannot accept: " + ec.message());
      retry_timer_->expires_after(kRetryAccept);
      retry_timer_->async_wait([this, alive](const boost::system::error_code& wait_ec) {
        if (!wait_ec && *alive) acceptNext();
      });
      return;
    }
    onAccepted(std::move(socket));
    acceptNext();
  });
}

void SyslogSource::onAccepted(tcp::socket socket) {
  if (connections_.size() >= static_cast<size_t>(config_.max_connections)) {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    socket.close(ec);
    context_->metrics().error("max_connections");
    refused_log_.log(LogLevel::kWarn, "syslog source '" + id_ + "' refused a connection from " +
                                          (ec ? std::string("?") : remote.address().to_string()) +
                                          ": max_connections (" +
                                          std::to_string(config_.max_connections) + ") reached");
    return;
  }
  auto connection = std::make_shared<Connection>(*this, std::move(socket), tls_.get());
  connections_.push_back(connection);
  connections_open_ = connections_.size();
  connection->start();
}

void SyslogSource::closed(Connection* connection) {
  std::erase_if(connections_, [&](const auto& c) { return c.get() == connection; });
  connections_open_ = connections_.size();
}

void SyslogSource::scheduleResume() {
  if (resume_timer_->expiry() > std::chrono::steady_clock::now()) return;  // already armed
  resume_timer_->expires_after(kResumeInterval);
  resume_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    if (datagrams_paused_) countKernelDrops();
    if (downstreamFull()) return scheduleResume();
    auto waiting = std::move(paused_);
    paused_.clear();
    for (auto& c : waiting) c->resume();
    if (datagrams_paused_) {
      datagrams_paused_ = false;
      waitDatagrams();
    }
  });
}

void SyslogSource::sweepIdle() {
  sweep_timer_->expires_after(std::min<Duration>(config_.idle_timeout, std::chrono::seconds(1)));
  sweep_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    const auto cutoff = std::chrono::steady_clock::now() - config_.idle_timeout;
    auto all = connections_;
    for (auto& c : all) {
      // A connection paused for room downstream is not idle: its sender is waiting on us.
      const bool paused = std::find(paused_.begin(), paused_.end(), c) != paused_.end();
      if (!paused && c->idleSince(cutoff)) {
        c->close();  // its pending read ends with operation_aborted and unregisters it
      }
    }
    sweepIdle();
  });
}

void SyslogSource::waitDatagrams() {
  auto handler = [this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    readDatagrams();
  };
  if (udp_) {
    udp_->async_wait(asio::socket_base::wait_read, handler);
  } else if (unix_) {
    unix_->async_wait(asio::socket_base::wait_read, handler);
  }
}

// Drains what the kernel holds, up to a batch, then waits again (or pauses when the pipeline is
// full, leaving the rest in the kernel's buffer).
void SyslogSource::readDatagrams() {
  const int fd = udp_ ? udp_->native_handle() : unix_->native_handle();
  std::string ip;
  sockaddr_storage last_from{};
  socklen_t last_from_len = 0;
  uint16_t port = 0;
  const size_t max = config_.max_message_bytes.bytes;
  if (!datagram_buffer_) datagram_buffer_.reset(new char[max + 1]);
  size_t drained = 0;
  size_t datagrams = 0;
  const int64_t now = nowNs();
  while (drained < config_.batch_bytes.bytes && datagrams < kDatagramsPerWakeup) {
    sockaddr_storage from{};
    iovec iov{datagram_buffer_.get(), max + 1};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        context_->metrics().error("receive");
        refused_log_.log(LogLevel::kWarn,
                         "syslog source '" + id_ + "': receive failed: " + std::strerror(errno));
      }
      break;
    }
    drained += static_cast<size_t>(n);
    ++datagrams;
    if (udp_ && (msg.msg_namelen != last_from_len ||
                 std::memcmp(&from, &last_from, msg.msg_namelen) != 0)) {
      last_from = from;
      last_from_len = msg.msg_namelen;
      char text[INET6_ADDRSTRLEN] = {};
      if (from.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&from);
        ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
        port = ntohs(a->sin_port);
      } else if (from.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&from);
        ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
        port = ntohs(a->sin6_port);
      }
      ip = text;
    }
    const bool truncated = static_cast<size_t>(n) > max || (msg.msg_flags & MSG_TRUNC) != 0;
    std::string_view message(datagram_buffer_.get(), std::min(static_cast<size_t>(n), max));
    while (!message.empty() &&
           (message.back() == '\n' || message.back() == '\r' || message.back() == '\0')) {
      message.remove_suffix(1);
    }
    if (!message.empty()) add(message, truncated, now, ip, port);
  }
  countKernelDrops();
  if (downstreamFull()) {
    datagrams_paused_ = true;
    scheduleResume();
    return;
  }
  waitDatagrams();
}

// The socket's drop counter (SO_MEMINFO) is read whenever the socket was drained and while it is
// paused, so drops are counted when they happen, not when the next datagram gets through.
void SyslogSource::countKernelDrops() {
  const int fd = udp_ ? udp_->native_handle() : unix_ ? unix_->native_handle() : -1;
  if (fd < 0) return;
  uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t size = sizeof meminfo;
  if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &size) != 0 ||
      size <= SK_MEMINFO_DROPS * sizeof(uint32_t)) {
    return;
  }
  const uint32_t drops = meminfo[SK_MEMINFO_DROPS];
  if (drops == kernel_drops_seen_) return;
  const uint32_t lost = drops - kernel_drops_seen_;  // the counter wraps
  kernel_drops_seen_ = drops;
  context_->metrics().discarded("udp_overflow", lost);
  refused_log_.log(LogLevel::kWarn, "syslog source '" + id_ + "': the kernel dropped " +
                                        std::to_string(lost) +
                                        " datagrams while logship could not keep up (raise "
                                        "receive_buffer_bytes, or see what holds the outputs)");
}

void SyslogSource::add(std::string_view message, bool truncated, int64_t received_ns,
                       std::string_view peer_ip, uint16_t peer_port) {
  Pending& p = *pending_;
  if (p.size + message.size() > p.capacity) {
    const size_t capacity =
        std::max(p.size + message.size(), std::max<size_t>(p.capacity * 2, 16 << 10));
    std::unique_ptr<char[]> bigger(new char[capacity]);
    if (p.size > 0) std::memcpy(bigger.get(), p.buffer.get(), p.size);
    p.buffer = std::move(bigger);
    p.capacity = capacity;
  }
  std::memcpy(p.buffer.get() + p.size, message.data(), message.size());
  p.items.push_back(Pending::Item{p.size, message.size(), received_ns,
                                  peer_ip.empty() ? UINT32_MAX : p.peerIndex(peer_ip), peer_port,
                                  truncated});
  p.size += message.size();
  p.truncated += truncated;
  if (p.size >= config_.batch_bytes.bytes) {
    flush();
  } else if (p.items.size() == 1) {
    batch_timer_->expires_after(config_.batch_timeout);
    batch_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (ec || !*alive) return;
      flush();
    });
  }
}

void SyslogSource::flush() {
  Pending& p = *pending_;
  if (p.items.empty()) return;
  batch_timer_->cancel();
  const char* base = p.buffer.get();
  Batch batch(std::move(p.buffer), p.size, AckToken{});
  Arena& arena = batch.arena();
  std::vector<std::string_view> peers;
  peers.reserve(p.peers.size());
  for (const std::string& peer : p.peers) peers.push_back(arena.copy(peer));
  // Most batches come from one sender (a TCP connection): its address is then a field of the
  // batch, not one of every event.
  const Pending::Item& first = p.items.front();
  const bool one_sender =
      std::all_of(p.items.begin(), p.items.end(), [&](const Pending::Item& item) {
        return item.peer == first.peer && item.port == first.port;
      });
  if (one_sender && first.peer != UINT32_MAX) {
    batch.addSharedField("source.ip", FieldValue::string(peers[first.peer]));
    batch.addSharedField("source.port", FieldValue::integer(first.port));
  }
  batch.events().reserve(p.items.size());
  for (const Pending::Item& item : p.items) {
    Event& event = batch.events().emplace_back();
    event.message = std::string_view(base + item.offset, item.size);
    event.offset = item.offset;
    event.timestamp_ns = item.received_ns;
    if (item.truncated) event.flags |= Event::kTruncated;
    if (!one_sender && item.peer != UINT32_MAX) {
      batch.addField(event, "source.ip", FieldValue::string(peers[item.peer]));
      batch.addField(event, "source.port", FieldValue::integer(item.port));
    }
  }
  context_->metrics().received(p.items.size(), p.size);
  if (p.truncated > 0) context_->metrics().discarded("truncated_message", p.truncated);
  messages_ += p.items.size();
  *pending_ = Pending{};
  parser_->process(batch, *emitter_);
}

void SyslogSource::stop() {
  if (context_ == nullptr) return;
  for (auto& c : connections_) c->finishStream();
  flush();
  *alive_ = false;
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  if (udp_) udp_->close(ignored);
  if (unix_) {
    unix_->close(ignored);
    ::unlink(config_.address.c_str());
  }
  for (auto& c : connections_) c->close();
  connections_.clear();
  paused_.clear();
  for (auto* timer :
       {batch_timer_.get(), resume_timer_.get(), sweep_timer_.get(), retry_timer_.get()}) {
    if (timer != nullptr) timer->cancel();
  }
}

std::string SyslogSource::statusJson() const {
  std::string out = "{\"address\":";
  json::appendString(out, config_.address);
  out += ",\"mode\":";
  json::appendString(out, config_.mode);
  return out + ",\"tls\":" + (tls_config_ ? "true" : "false") +
         ",\"connections\":" + std::to_string(connections_open_.load()) +
         ",\"messages\":" + std::to_string(messages_.load()) + "}";
}

void registerSyslogSource(Registry& registry, SyslogParserFactory parser) {
  registry.addSource<SyslogSourceConfig, SyslogSource>(
      "syslog",
      "Receives syslog over UDP, TCP (octet-counted or newline-framed, optionally TLS) or a unix "
      "socket; parses RFC 3164 and RFC 5424 into the fields parse_syslog gives, plus source.ip "
      "and source.port of the sender. At most once: see mode.",
      std::move(parser));
}

}  // namespace logship
