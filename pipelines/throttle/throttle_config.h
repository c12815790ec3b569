#pragma once

#include <cstdint>
#include <string>

#include "agent/api/config.h"
#include "agent/api/registry.h"

namespace logship {

struct ThrottleConfig {
  int64_t threshold = 0;
  Duration window{};
  std::string key;
  int64_t max_keys = 10000;
  std::string reason = "throttled";

  static const OptionTable<ThrottleConfig>& options();
};

void registerThrottle(Registry& registry);

}  // namespace logship
