#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct DetectConfig {
  std::string name;
  std::string summary;
  ConfigNode when;
  std::vector<std::string> group_by;
  int64_t threshold = 1;
  Duration window = std::chrono::seconds(60);
  std::string severity = "high";
  Duration cooldown{0};
  std::string mode = "threshold";
  int64_t max_groups = 10000;
  int64_t samples = 3;
  bool resolve = true;

  static const OptionTable<DetectConfig>& options();
};

void registerDetect(Registry& registry);

}  // namespace logship
