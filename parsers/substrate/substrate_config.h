#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ParseSubstrateConfig {
  std::string field;  // empty: the message
  std::string timezone_offset = "UTC";

  static const OptionTable<ParseSubstrateConfig>& options();
};

void registerParseSubstrate(Registry& registry);

}  // namespace logship
