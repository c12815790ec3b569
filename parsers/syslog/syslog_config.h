#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ParseSyslogConfig {
  std::string timezone_offset = "UTC";
  bool structured_data = true;

  static const OptionTable<ParseSyslogConfig>& options();
};

void registerParseSyslog(Registry& registry);

}  // namespace logship
