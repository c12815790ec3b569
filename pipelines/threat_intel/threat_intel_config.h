#pragma once

#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"
#include "agent/support/units.h"

namespace logship {

struct ThreatIntelConfig {
  std::string field = "source.ip";
  ConfigNode lists;
  Duration reload_interval = std::chrono::seconds(10);

  static const OptionTable<ThreatIntelConfig>& options();
};

void registerThreatIntel(Registry& registry);

}  // namespace logship
