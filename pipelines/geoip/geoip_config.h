#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"
#include "agent/support/units.h"

namespace logship {

struct GeoipConfig {
  std::string field = "source.ip";
  std::string target;  // empty: the field's parent (source.ip -> source)
  std::vector<std::string> database;
  std::map<std::string, std::string> mappings;
  int64_t cache_size = 10000;
  Duration reload_interval = std::chrono::seconds(10);

  static const OptionTable<GeoipConfig>& options();
};

void registerGeoip(Registry& registry);

}  // namespace logship
