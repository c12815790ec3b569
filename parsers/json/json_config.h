#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ParseJsonConfig {
  std::string field;
  std::string nested = "flatten";
  int64_t max_depth = 8;
  ByteSize max_bytes{1u << 20};
  int64_t max_fields = 256;
  bool wrapped = false;
  std::string timezone_offset = "UTC";

  static const OptionTable<ParseJsonConfig>& options();
};

void registerParseJson(Registry& registry);

}  // namespace logship
