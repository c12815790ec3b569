#pragma once

#include <cstdint>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ParseAuditdConfig {
  Duration flush_timeout = std::chrono::seconds(2);
  int64_t max_pending = 1024;
  int64_t max_fields = 256;

  static const OptionTable<ParseAuditdConfig>& options();
};

void registerParseAuditd(Registry& registry);

}  // namespace logship
