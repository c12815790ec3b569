#pragma once

#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct TagSeverityConfig {
  std::vector<std::string> fields = {"log.level", "level", "severity", "lvl", "loglevel"};
  std::string syslog_code_field = "log.syslog.severity.code";
  bool message = true;
  bool overwrite = false;
  ConfigNode rules;  // [{when, set | raise_to}]
  std::string default_level = "info";

  static const OptionTable<TagSeverityConfig>& options();
};

void registerTagSeverity(Registry& registry);

}  // namespace logship
