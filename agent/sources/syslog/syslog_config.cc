#include "agent/sources/syslog/syslog_config.h"

#include "agent/core/listener.h"

namespace logship {

const OptionTable<SyslogSourceConfig>& SyslogSourceConfig::options() {
  static const OptionTable<SyslogSourceConfig> table = [] {
    OptionTable<SyslogSourceConfig> t;
    t.required("address", &SyslogSourceConfig::address,
               "Where to listen: \"host:port\" (\"0.0.0.0:514\", \"[::]:6514\"), or the socket's "
               "path for mode unix (\"/run/logship/log.sock\").")
        .oneOf("mode", &SyslogSourceConfig::mode, {"udp", "tcp", "unix"},
               "udp: one message per datagram. tcp: octet-counted (RFC 6587, RFC 5425) and "
               "newline-framed messages, detected per message. unix: a datagram socket like "
               "/dev/log. Delivery is at most once: neither plain syslog nor UDP lets the sender "
               "know what was received, so a message is durable only once read (with a disk "
               "buffer downstream). While an output is full, TCP and unix senders are slowed, "
               "not dropped; UDP datagrams the kernel drops meanwhile are counted (discarded, "
               "reason udp_overflow).")
        .optional("tls", &SyslogSourceConfig::tls,
                  "Syslog over TLS (RFC 5425, mode tcp): {cert_file, key_file, ca_file, "
                  "verify_client}.")
        .optional("max_connections", &SyslogSourceConfig::max_connections,
                  "TCP connections served at once; more are closed at once and counted.")
        .optional("max_message_bytes", &SyslogSourceConfig::max_message_bytes,
                  "Longer messages are truncated to this size, flagged and counted.")
        .optional("idle_timeout", &SyslogSourceConfig::idle_timeout,
                  "A TCP connection that sends nothing for this long is closed.")
        .optional("receive_buffer_bytes", &SyslogSourceConfig::receive_buffer_bytes,
                  "UDP receive buffer asked for, to ride out bursts (without CAP_NET_ADMIN "
                  "net.core.rmem_max caps it, with a warning).")
        .optional("batch_bytes", &SyslogSourceConfig::batch_bytes,
                  "Messages are handed on in batches of about this many bytes ...")
        .optional("batch_timeout", &SyslogSourceConfig::batch_timeout,
                  "... or this long after the first message of a batch arrived.")
        .optional("timezone_offset", &SyslogSourceConfig::timezone_offset,
                  "UTC offset of timestamps without a zone (RFC 3164), e.g. \"+02:00\".")
        .optional("structured_data", &SyslogSourceConfig::structured_data,
                  "Turn RFC 5424 structured data into sd.<id>.<name> fields.")
        .check([](const SyslogSourceConfig& c, const ConfigNode& node, Diagnostics& diag) {
          if (c.max_connections < 1) diag.error(node.location(), "'max_connections' must be >= 1");
          if (c.max_message_bytes.bytes < 480 || c.max_message_bytes.bytes > (16u << 20)) {
            diag.error(node.location(),
                       "'max_message_bytes' must be from 480 (RFC 5424's least) to 16MiB");
          }
          if (c.idle_timeout.count() <= 0 || c.batch_timeout.count() <= 0) {
            diag.error(node.location(), "'idle_timeout' and 'batch_timeout' must be > 0");
          }
          if (c.batch_bytes.bytes == 0) diag.error(node.location(), "'batch_bytes' must be > 0");
          if (c.tls.defined() && c.mode != "tcp") {
            diag.error(node.location(), "'tls' needs mode tcp");
          }
          if (c.mode != "unix") {
            boost::asio::ip::address ip;
            uint16_t port = 0;
            std::string error;
            if (!parseListenAddress(c.address, &ip, &port, &error)) {
              const ConfigNode address = node["address"];
              diag.error(address.defined() ? address.location() : node.location(), error);
            }
          }
        });
    return t;
  }();
  return table;
}

}  // namespace logship
