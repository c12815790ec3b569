#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ParseRegexConfig {
  std::vector<std::string> patterns;
  std::string field;
  std::map<std::string, std::string> types;
  std::string timestamp_format;
  std::string timezone_offset = "UTC";

  static const OptionTable<ParseRegexConfig>& options();
};

void registerParseRegex(Registry& registry);

}  // namespace logship
