#pragma once

#include <chrono>
#include <cstdint>
#include <map>
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
  std::string mode = "threshold";
  int64_t threshold = 1;
  std::string distinct;  // threshold: count distinct values of this field instead of events
  std::string sum;       // threshold: sum this numeric field instead of counting
  ConfigNode steps;      // sequence: [{when, count}, ...]
  std::string field;     // stall, change, new_value: the field watched
  double drop_percent = 0;  // change
  double rise_percent = 0;  // change
  Duration ttl = std::chrono::hours(24 * 30);  // new_value: how long a seen value is remembered
  Duration window = std::chrono::seconds(60);
  Duration cooldown{0};
  std::string time = "event";
  Duration allowed_lateness = std::chrono::minutes(1);
  std::string severity = "high";
  int64_t max_groups = 10000;
  int64_t samples = 3;
  bool resolve = true;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  static const OptionTable<DetectConfig>& options();
};

void registerDetect(Registry& registry);

}  // namespace logship
