#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ParseAuthConfig {
  std::string input = "auto";
  std::string timezone_offset = "UTC";
  bool header_on_every_line = false;

  static const OptionTable<ParseAuthConfig>& options();
};

void registerParseAuth(Registry& registry);

}  // namespace logship
