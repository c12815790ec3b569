#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/registry.h"
#include "agent/core/log.h"
#include "agent/core/listener.h"
#include "agent/sources/syslog/syslog_config.h"

namespace logship {

// Builds the transform that turns received syslog lines into the fields parse_syslog gives. The
// composition root supplies it, since sources do not know the parsers.
using SyslogParserFactory =
    std::function<std::unique_ptr<Transform>(const SyslogSourceConfig& config, BuildContext& ctx)>;

// Receives syslog over UDP, TCP (plain or TLS, octet-counted or newline-framed) or a unix datagram
// socket on its worker. Messages from all senders are gathered into batches (cut at batch_bytes or
// batch_timeout), each event tagged with source.ip/source.port, and parsed before they are emitted.
// While an output is full, TCP connections are not read (the senders' sockets fill and they wait)
// and datagram sockets are not drained (the kernel's receive buffer rides the burst; what it drops
// is counted as discarded, reason udp_overflow).
class SyslogSource final : public Source {
 public:
  SyslogSource(SyslogSourceConfig config, BuildContext& ctx, const SyslogParserFactory& parser);
  ~SyslogSource() override;

  void start(SourceContext& context) override;
  void stop() override;
  std::string statusJson() const override;

  class Connection;

 private:
  struct Pending;
  class ParsedEmitter;

  void listen();
  void retryListen(const std::string& why);
  void acceptNext();
  void onAccepted(boost::asio::ip::tcp::socket socket);
  void waitDatagrams();
  void readDatagrams();
  void countKernelDrops();
  void scheduleResume();
  void sweepIdle();

  // Gathers one message into the pending batch; flushes when it is full.
  void add(std::string_view message, bool truncated, int64_t received_ns, std::string_view peer_ip,
           uint16_t peer_port);
  void flush();
  bool downstreamFull() const { return context_->downstreamFull(); }
  void closed(Connection* connection);

  SyslogSourceConfig config_;
  std::string id_;
  std::unique_ptr<Transform> parser_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::optional<ServerTlsConfig> tls_config_;
  SourceContext* context_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<boost::asio::ip::udp::socket> udp_;
  std::unique_ptr<boost::asio::local::datagram_protocol::socket> unix_;
  std::unique_ptr<boost::asio::steady_timer> batch_timer_;
  std::unique_ptr<boost::asio::steady_timer> resume_timer_;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
  std::unique_ptr<boost::asio::steady_timer> retry_timer_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::vector<std::shared_ptr<Connection>> paused_;  // waiting for room downstream
  bool datagrams_paused_ = false;
  std::unique_ptr<Pending> pending_;
  std::unique_ptr<ParsedEmitter> emitter_;
  std::unique_ptr<char[]> datagram_buffer_;  // one datagram, max_message_bytes + 1
  uint32_t kernel_drops_seen_ = 0;           // the socket's running drop count (SO_MEMINFO)
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> connections_open_{0};
  LogThrottle refused_log_;
};

void registerSyslogSource(Registry& registry, SyslogParserFactory parser);

}  // namespace logship
