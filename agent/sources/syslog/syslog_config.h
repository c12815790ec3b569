#pragma once

#include <string>

#include "agent/api/config.h"

namespace logship {

struct SyslogSourceConfig {
  std::string address;
  std::string mode = "udp";
  ConfigNode tls;
  int64_t max_connections = 256;
  ByteSize max_message_bytes{64u << 10};
  Duration idle_timeout = std::chrono::minutes(5);
  ByteSize receive_buffer_bytes{8u << 20};
  ByteSize batch_bytes{256u << 10};
  Duration batch_timeout = std::chrono::milliseconds(50);
  std::string timezone_offset = "UTC";
  bool structured_data = true;

  static const OptionTable<SyslogSourceConfig>& options();
};

}  // namespace logship
